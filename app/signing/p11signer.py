"""pyHanko's PKCS#11 signer, kept on the token thread.

pyHanko's `PKCS11Signer.async_sign_raw` hands the C_Sign call to the event loop's default
thread pool, which would put PKCS#11 calls on a second thread (python-pkcs11 asks the
module for no locking). Here the call runs inline: the loop is the private one
`PdfSigner.sign_pdf` starts with asyncio.run on the token thread, so blocking it is fine.

The key handle and certificates are given, not searched by pyHanko: the caller already
found the key by the CKA_ID of the certificate the user chose. Keys flagged
CKA_ALWAYS_AUTHENTICATE get a context-specific login (the batch's PIN) before each
signature.
"""

from __future__ import annotations

import threading
from typing import Any

from asn1crypto import x509
from pyhanko.sign.pkcs11 import PKCS11Signer
from pyhanko_certvalidator.registry import CertificateStore

from app.signing.pin import Pin


class TokenThreadSigner(PKCS11Signer):
    def __init__(
        self,
        opened_session: Any,
        *,
        key: Any,
        signing_cert: x509.Certificate,
        other_certs: list[x509.Certificate],
        use_raw_mechanism: bool,
        reauthenticate_with: Pin | None,
    ) -> None:
        super().__init__(
            opened_session,
            signing_cert=signing_cert,
            ca_chain=other_certs,
            key_id=b"unused",  # pyHanko insists on a lookup key; ours is already resolved
            other_certs_to_pull=(),
            use_raw_mechanism=use_raw_mechanism,
        )
        self._key_handle = key
        self._loaded = True
        self._reauth_pin = reauthenticate_with
        self._owner_thread = threading.get_ident()  # the thread that opened the session
        self.signatures_made = 0
        self.last_mechanism: Any = None

    @property
    def cert_registry(self) -> CertificateStore:
        return self._cert_registry

    async def ensure_objects_loaded(self) -> None:
        return None

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool = False) -> bytes:
        if dry_run:
            return self.estimate_raw_signature_size_bytes() * b"0"
        if threading.get_ident() != self._owner_thread:
            raise RuntimeError("PKCS#11 signing attempted off the token thread")
        spec = self._select_pkcs11_signing_params(digest_algorithm, sign_kwargs={})
        if spec.pre_sign_transform is not None:
            # Raw mechanisms (CKM_RSA_PKCS): hash and wrap in a DigestInfo here, on the host.
            data = spec.pre_sign_transform(data)
        kwargs = dict(spec.sign_kwargs)
        self.last_mechanism = kwargs.get("mechanism")
        if self._reauth_pin is not None:
            kwargs["pin"] = self._reauth_pin.reveal()
        assert self._key_handle is not None
        try:
            signature: bytes = self._key_handle.sign(data, **kwargs)
        finally:
            kwargs.clear()
        if spec.post_sign_transform is not None:
            signature = spec.post_sign_transform(signature)
        self.signatures_made += 1
        return signature
