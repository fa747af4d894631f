"""What the app shows and checks about a certificate, independent of where it came from."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime

from asn1crypto import x509

from app.signing.errors import (
    CertificateExpiredError,
    CertificateMismatchError,
    CertificateNotYetValidError,
    CertificateUsageError,
    SigningError,
)

# Either is enough for a document signature; Vietnamese CAs set both on signing certificates.
SIGNING_KEY_USAGES = frozenset({"digital_signature", "non_repudiation"})


def sha256_hex(der: bytes) -> str:
    return hashlib.sha256(der).hexdigest()


def normalise_fingerprint(value: str) -> str:
    """Accepts 'AB:CD…', 'ab cd…' or 'abcd…' as people copy fingerprints."""
    return "".join(ch for ch in value.lower() if ch in "0123456789abcdef")


def common_name(name: x509.Name) -> str:
    native = name.native
    value = native.get("common_name") or native.get("organization_name") or ""
    if isinstance(value, list):  # several CN attributes: take the most specific
        value = value[-1]
    return str(value)


@dataclass(frozen=True)
class CertificateInfo:
    subject: str
    common_name: str
    issuer: str
    serial_number: str  # hex, as CAs print it
    not_before: datetime
    not_after: datetime
    key_usage: frozenset[str]
    is_ca: bool
    sha256: str
    cka_id: bytes = b""  # the token object id that pairs the certificate with its key
    label: str = ""
    der: bytes = field(default=b"", repr=False)

    @property
    def cka_id_hex(self) -> str:
        return self.cka_id.hex()

    @property
    def can_sign(self) -> bool:
        return bool(self.key_usage & SIGNING_KEY_USAGES) and not self.is_ca

    def days_left(self, now: datetime | None = None) -> int:
        return (self.not_after - (now or datetime.now(UTC))).days

    def asn1(self) -> x509.Certificate:
        return x509.Certificate.load(self.der)

    @classmethod
    def from_der(cls, der: bytes, *, cka_id: bytes = b"", label: str = "") -> CertificateInfo:
        cert = x509.Certificate.load(der)
        usage = cert.key_usage_value
        constraints = cert.basic_constraints_value
        return cls(
            subject=cert.subject.human_friendly,
            common_name=common_name(cert.subject),
            issuer=cert.issuer.human_friendly,
            serial_number=format(cert.serial_number, "X"),
            not_before=cert.not_valid_before,
            not_after=cert.not_valid_after,
            key_usage=frozenset(usage.native) if usage is not None else frozenset(),
            is_ca=bool(constraints is not None and constraints["ca"].native),
            sha256=sha256_hex(der),
            cka_id=cka_id,
            label=label,
            der=der,
        )


def check_for_signing(
    info: CertificateInfo, *, now: datetime | None = None, expected_sha256: str | None = None
) -> None:
    """Raises the SigningError a signer must see before any document is touched."""
    problem = signing_problem(info, now=now, expected_sha256=expected_sha256)
    if problem is not None:
        raise problem


def signing_problem(
    info: CertificateInfo, *, now: datetime | None = None, expected_sha256: str | None = None
) -> SigningError | None:
    now = now or datetime.now(UTC)
    # The registered certificate is checked first: a wrong person's valid certificate must
    # never be reported as merely "expired" or "fine".
    if expected_sha256 is not None and normalise_fingerprint(expected_sha256) != info.sha256:
        return CertificateMismatchError(info.common_name or info.subject)
    if now < info.not_before:
        return CertificateNotYetValidError(info.not_before)
    if now > info.not_after:
        return CertificateExpiredError(info.not_after)
    if not info.can_sign:
        return CertificateUsageError()
    return None
