"""Detached CMS signatures (a transfer package's manifest) with the seal's real PKCS#11 token."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.signing.detached import check_detached, sign_detached
from app.signing.errors import DemoSignerRefusedError
from app.signing.pin import Pin
from app.signing.signers import DemoSignerSpec
from app.signing.worker import TokenWorker
from tests.signing.conftest import PIN, SCHOOL, Tokens

MANIFEST = '{"format":"hocba-transfer","student":{"full_name":"Nguyễn Văn An"}}'.encode()


def test_the_seal_token_signs_the_manifest_on_the_token_thread(
    hsm: Tokens, worker: TokenWorker, trust: list[bytes]
) -> None:
    # The seal's key demands the PIN before every signature (CKA_ALWAYS_AUTHENTICATE).
    pin = Pin(PIN)
    signed = worker.submit(sign_detached, MANIFEST, hsm.seal.spec(), pin).result()
    assert pin.wiped, "the PIN is wiped once the signature is made"
    assert signed.certificate.sha256 == hsm.seal.sha256 and not signed.demo

    good = check_detached(MANIFEST, signed.cms_der, trust, use_bundled_roots=False)
    assert good.ok and good.signer_name == SCHOOL and good.signer_cert_sha256 == hsm.seal.sha256
    assert hsm.pki.intermediate.der in good.certificates  # the chain travels with the signature

    changed = check_detached(MANIFEST.replace(b"An", b"Ba"), signed.cms_der, trust, use_bundled_roots=False)
    assert not changed.intact and not changed.ok

    untrusted = check_detached(MANIFEST, signed.cms_der, [hsm.pki.other_root.der], use_bundled_roots=False)
    assert untrusted.intact and not untrusted.trusted


def test_garbage_is_reported_not_raised() -> None:
    check = check_detached(MANIFEST, b"\x30\x03garbage")
    assert check.problem is not None and not check.ok


def test_the_demo_seal_is_refused_unless_allowed(tmp_path: Path) -> None:
    with pytest.raises(DemoSignerRefusedError):
        sign_detached(MANIFEST, DemoSignerSpec(tmp_path, "school-seal"), None)
