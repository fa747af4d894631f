"""Making certificates: the demo CA of the demo school, and test/benchmark PKIs.

Real schools never get certificates from here: theirs come from licensed CAs on tokens.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey
Usage = Literal["ca", "signing", "signing_only_encipherment"]


def new_key(kind: Literal["rsa", "ec"] = "rsa", bits: int = 2048) -> PrivateKey:
    if kind == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


NAME_LIMIT = 64  # X.509 bound for a common name; `cryptography` counts it in UTF-8 bytes


def bounded(text: str, limit: int = NAME_LIMIT) -> str:
    """`text` cut to `limit` UTF-8 bytes, ending with an ellipsis (school names can be long).

    A Vietnamese letter with two diacritics takes 3 bytes, so the cut comes early.
    """
    if len(text.encode("utf-8")) <= limit:
        return text
    room = limit - len("…".encode())
    while len(text.encode("utf-8")) > room:
        text = text[:-1]
    return text.rstrip() + "…"


def person_name(common_name: str, organisation: str, *, province: str | None = None) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "VN")]
    if province:
        attrs.append(x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, bounded(province, 128)))
    attrs += [
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, bounded(organisation)),
        x509.NameAttribute(NameOID.COMMON_NAME, bounded(common_name)),
    ]
    return x509.Name(attrs)


@dataclass(frozen=True)
class Issued:
    certificate: x509.Certificate
    key: PrivateKey | None  # None when the key lives on a token

    @property
    def der(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.DER)

    @property
    def pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def key_pem(self) -> bytes:
        assert self.key is not None
        return self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )


def issue(
    subject: x509.Name,
    public_key: PublicKey,
    *,
    issuer: Issued | None,
    usage: Usage,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    days: int = 730,
    key: PrivateKey | None = None,
    path_length: int | None = None,
) -> Issued:
    """A certificate for `public_key`; self-signed with `key` when `issuer` is None."""
    now = datetime.now(UTC)
    start = not_before or now - timedelta(days=1)
    end = not_after or start + timedelta(days=days)
    signer_key = issuer.key if issuer is not None else key
    assert signer_key is not None, "a self-signed certificate needs its own private key"
    issuer_name = issuer.certificate.subject if issuer is not None else subject
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.certificate.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
    is_ca = usage == "ca"
    builder = builder.add_extension(
        x509.BasicConstraints(ca=is_ca, path_length=path_length if is_ca else None), critical=True
    )
    builder = builder.add_extension(_key_usage(usage), critical=True)
    certificate = builder.sign(signer_key, hashes.SHA256())
    return Issued(certificate, key)


def _key_usage(usage: Usage) -> x509.KeyUsage:
    flags = dict.fromkeys(
        (
            "digital_signature",
            "content_commitment",
            "key_encipherment",
            "data_encipherment",
            "key_agreement",
            "key_cert_sign",
            "crl_sign",
            "encipher_only",
            "decipher_only",
        ),
        False,
    )
    if usage == "ca":
        flags.update(key_cert_sign=True, crl_sign=True, digital_signature=True)
    elif usage == "signing":
        flags.update(digital_signature=True, content_commitment=True)
    else:  # an encryption-only certificate: must be refused for signing
        flags.update(key_encipherment=True)
    return x509.KeyUsage(**flags)


def self_signed_root(common_name: str, organisation: str, *, kind: Literal["rsa", "ec"] = "rsa") -> Issued:
    key = new_key(kind)
    return issue(
        person_name(common_name, organisation),
        key.public_key(),
        issuer=None,
        usage="ca",
        key=key,
        days=3650,
    )


def intermediate(
    root: Issued, common_name: str, organisation: str, *, kind: Literal["rsa", "ec"] = "rsa"
) -> Issued:
    key = new_key(kind)
    issued = issue(
        person_name(common_name, organisation),
        key.public_key(),
        issuer=root,
        usage="ca",
        days=3000,
        path_length=0,
    )
    return Issued(issued.certificate, key)


def crl(issuer: Issued, revoked_serials: Iterable[int] = ()) -> bytes:
    """A CRL signed by `issuer` (DER), for revocation checks in tests."""
    assert issuer.key is not None
    now = datetime.now(UTC)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.certificate.subject)
        .last_update(now - timedelta(minutes=5))
        .next_update(now + timedelta(days=7))
        .add_extension(x509.CRLNumber(1), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.certificate.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
    )
    for serial in revoked_serials:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(serial)
            .revocation_date(now - timedelta(minutes=1))
            .build()
        )
    return builder.sign(issuer.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)
