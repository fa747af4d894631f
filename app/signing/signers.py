"""Signer specifications (what the caller chose) and opening them for one batch.

A `TokenSignerSpec` names a module, a token (serial and/or label) and the CKA_ID of the
certificate the user picked; `open_signer` logs in once, checks the certificate (dates,
key usage, the fingerprint registered for this person), finds the private key with the
same CKA_ID, and decides how to sign: hash-and-sign on the token, or the raw RSA mechanism
with the DigestInfo built here for tokens that offer only CKM_RSA_PKCS.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from asn1crypto import x509 as asn1_x509
from pkcs11 import KeyType, Mechanism
from pkcs11 import exceptions as p11
from pyhanko.keys import load_private_key_from_pemder
from pyhanko.sign.general import SigningError as PyHankoSigningError
from pyhanko.sign.signers import Signer, SimpleSigner
from pyhanko_certvalidator.registry import SimpleCertificateStore

from app.signing import tokens
from app.signing.certinfo import CertificateInfo, check_for_signing, normalise_fingerprint
from app.signing.demo import load_demo_pki
from app.signing.errors import (
    CertificateNotFoundError,
    KeyNotFoundError,
    PinPadNotSupportedError,
    SigningError,
    TokenError,
)
from app.signing.p11signer import TokenThreadSigner
from app.signing.pin import Pin
from app.signing.trust import parse_certificates


@dataclass(frozen=True)
class TokenSignerSpec:
    module_path: str
    cert_id: bytes
    token_serial: str | None = None
    token_label: str | None = None
    expected_cert_sha256: str | None = None  # the certificate registered to this signer
    force_raw_rsa: bool = False  # use CKM_RSA_PKCS even if the token offers hash-and-sign
    extra_certs: tuple[bytes, ...] = ()  # intermediates (DER) to embed if the token lacks them

    is_demo = False

    @property
    def token_ref(self) -> tokens.TokenRef:
        return tokens.TokenRef(serial=self.token_serial, label=self.token_label)


@dataclass(frozen=True)
class DemoSignerSpec:
    folder: Path
    identity: str  # the DemoIdentity key (an account login, or "school-seal")
    expected_cert_sha256: str | None = None

    is_demo = True


SignerSpec = TokenSignerSpec | DemoSignerSpec


@dataclass
class ActiveSigner:
    signer: Signer
    certificate: CertificateInfo
    is_demo: bool
    use_raw_mechanism: bool = False
    always_authenticate: bool = False
    spec: SignerSpec | None = None
    reserve_without_timestamp: int | None = None  # /Contents room, worked out once per batch

    def translate(self, exc: BaseException) -> SigningError | None:
        """The batch-stopping error `exc` stands for, or None if it concerns the document only."""
        cause: BaseException | None = exc
        while cause is not None:  # pyHanko wraps the token's error in its own
            if isinstance(cause, SigningError):
                return cause
            if isinstance(cause, p11.PKCS11Error) and isinstance(self.spec, TokenSignerSpec):
                return tokens.translate(cause, self.spec.module_path, self.spec.token_ref, during_batch=True)
            cause = cause.__cause__ or cause.__context__
        return None


def needs_raw_rsa(mechanisms: frozenset[Any], key_type: Any) -> bool:
    """Tokens that list CKM_RSA_PKCS but no hash-and-sign RSA mechanism (some older cards)."""
    if key_type != KeyType.RSA or not mechanisms:
        return False
    return Mechanism.SHA256_RSA_PKCS not in mechanisms and Mechanism.RSA_PKCS in mechanisms


@contextmanager
def open_signer(spec: SignerSpec, pin: Pin | None, *, now: datetime | None = None) -> Iterator[ActiveSigner]:
    if isinstance(spec, DemoSignerSpec):
        yield _demo_signer(spec, now)
        return
    with tokens.session(spec.module_path, spec.token_ref, pin) as opened:
        try:
            active = _token_signer(spec, opened, pin, now)
        except p11.PKCS11Error as exc:
            raise tokens.translate(exc, spec.module_path, spec.token_ref, during_batch=False) from None
        yield active


def _token_signer(spec: TokenSignerSpec, opened: Any, pin: Pin | None, now: datetime | None) -> ActiveSigner:
    on_token = tokens.read_certificates(opened)
    chosen = _choose_certificate(on_token, spec.cert_id, spec.expected_cert_sha256)
    check_for_signing(chosen, now=now, expected_sha256=spec.expected_cert_sha256)
    key = tokens.find_private_key(opened, spec.cert_id)
    if key is None:
        raise KeyNotFoundError(spec.cert_id.hex())
    reauth = tokens.always_authenticate(key)
    if reauth and pin is None:
        raise PinPadNotSupportedError()
    raw = spec.force_raw_rsa or needs_raw_rsa(tokens.slot_mechanisms(opened.token), key.key_type)
    others = [c.asn1() for c in on_token if c.sha256 != chosen.sha256]
    others += [asn1_x509.Certificate.load(der) for der in spec.extra_certs]
    signer = TokenThreadSigner(
        opened,
        key=key,
        signing_cert=chosen.asn1(),
        other_certs=others,
        use_raw_mechanism=raw,
        reauthenticate_with=pin if reauth else None,
    )
    return ActiveSigner(signer, chosen, False, use_raw_mechanism=raw, always_authenticate=reauth, spec=spec)


def _choose_certificate(
    on_token: tuple[CertificateInfo, ...], cert_id: bytes, expected_sha256: str | None
) -> CertificateInfo:
    matching = [c for c in on_token if c.cka_id == cert_id]
    if not matching:
        raise CertificateNotFoundError(cert_id.hex())
    if expected_sha256 is not None:
        wanted = normalise_fingerprint(expected_sha256)
        for cert in matching:
            if cert.sha256 == wanted:
                return cert
    # A renewed certificate sometimes keeps the old one's CKA_ID: the newest wins.
    return max(matching, key=lambda c: c.not_after)


def _demo_signer(spec: DemoSignerSpec, now: datetime | None) -> ActiveSigner:
    demo = load_demo_pki(spec.folder)
    cred = demo.credentials.get(spec.identity)
    if cred is None:
        raise TokenError(f"không có chứng thư DEMO cho {spec.identity}")
    [cert] = parse_certificates(cred.cert_path.read_bytes())
    info = CertificateInfo.from_der(cert.dump())
    check_for_signing(info, now=now, expected_sha256=spec.expected_cert_sha256)
    [root] = parse_certificates(demo.root_cert_path.read_bytes())
    try:
        key = load_private_key_from_pemder(str(cred.key_path), passphrase=None)
    except (OSError, ValueError, PyHankoSigningError) as exc:
        raise TokenError(f"khoá DEMO hỏng: {exc.__class__.__name__}") from exc
    registry = SimpleCertificateStore()  # type: ignore[no-untyped-call]
    registry.register_multiple([root, cert])
    signer = SimpleSigner(signing_cert=cert, signing_key=key, cert_registry=registry)
    return ActiveSigner(signer, info, True, spec=spec)
