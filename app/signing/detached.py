"""Detached CMS signatures over plain bytes (a transfer package's manifest), and checking them.

Signing goes through `open_signer`, the same path a PDF signature takes: a PKCS#11 token
(call it on the token thread) or, for the demo school only, the demo signer. The signature
is CMS SignedData with CAdES signed attributes (signing certificate v2) over the exact
bytes given, the signer's certificate and chain embedded, so a receiving school can check
it offline against its own trust store. Checking never fetches anything from the network.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from asn1crypto import cms, x509
from pyhanko.sign.validation.generic_cms import async_validate_detached_cms
from pyhanko_certvalidator import ValidationContext

from app.signing.certinfo import CertificateInfo, common_name
from app.signing.errors import DemoSignerRefusedError
from app.signing.pin import Pin
from app.signing.signers import SignerSpec, open_signer
from app.signing.trust import trust_roots as build_trust_roots
from app.signing.validation import KEY_USAGE

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DetachedSignature:
    cms_der: bytes
    certificate: CertificateInfo
    demo: bool


@dataclass(frozen=True)
class DetachedCheck:
    intact: bool  # the bytes are exactly those signed, and the signature is correct
    trusted: bool  # the signer's certificate chains to a root of the trust store
    signer_name: str
    signer_cert_sha256: str
    signed_at: datetime | None  # the signer's claimed time
    certificates: tuple[bytes, ...]  # every certificate the signature carries (DER)
    problem: str | None = None  # the signature could not be read at all

    @property
    def ok(self) -> bool:
        return self.problem is None and self.intact and self.trusted


def sign_detached(
    data: bytes, spec: SignerSpec, pin: Pin | None, *, allow_demo: bool = False
) -> DetachedSignature:
    """Sign `data` (run on the token thread for a token). Wipes `pin` whatever happens."""
    try:
        if spec.is_demo and not allow_demo:
            raise DemoSignerRefusedError()
        with open_signer(spec, pin) as active:
            signed = asyncio.run(
                active.signer.async_sign_general_data(data, "sha256", detached=True, use_cades=True)
            )
            return DetachedSignature(bytes(signed.dump()), active.certificate, active.is_demo)
    finally:
        if pin is not None:
            pin.wipe()


def check_detached(
    data: bytes,
    cms_der: bytes,
    trust_roots: Iterable[bytes | x509.Certificate] = (),
    *,
    use_bundled_roots: bool = True,
) -> DetachedCheck:
    """Whether `cms_der` is a good signature over `data`, by a signer the trust store trusts."""
    try:
        info = cms.ContentInfo.load(cms_der)
        signed_data = info["content"]
        carried = (bytes(c.chosen.dump()) for c in signed_data["certificates"] if c.name == "certificate")
        certs = tuple(dict.fromkeys(carried))
    except Exception as exc:  # any parse failure means the same to the user
        problem = f"không đọc được chữ ký ({exc.__class__.__name__})"
        return DetachedCheck(False, False, "", "", None, (), problem)
    roots = build_trust_roots(trust_roots, bundled=use_bundled_roots)
    context = ValidationContext(trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail")
    try:
        status = asyncio.run(
            async_validate_detached_cms(
                data, signed_data, signer_validation_context=context, key_usage_settings=KEY_USAGE
            )
        )
    except Exception as exc:
        log.info("detached signature check failed: %r", exc)
        return DetachedCheck(False, False, "", "", None, certs, f"chữ ký hỏng ({exc.__class__.__name__})")
    cert = status.signing_cert
    return DetachedCheck(
        intact=bool(status.intact and status.valid),
        trusted=bool(status.trusted),
        signer_name=common_name(cert.subject),
        signer_cert_sha256=cert.sha256.hex(),
        signed_at=status.signer_reported_dt,
        certificates=certs,
    )
