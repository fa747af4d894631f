"""The homeroom teacher's step through a real SoftHSM2 token (tests/signing's tokens and PKI)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.services.certificates import register_certificate
from app.services.signing_order import SigningRefused, plan_signing
from app.services.signing_run import run_signing
from app.signing.pin import Pin
from app.signing.validation import validate_pdf
from app.signing.worker import TokenWorker
from tests.services.signing_data import DemoClass, make_demo_class
from tests.signing.conftest import PIN, Tokens, hsm, worker  # noqa: F401  (fixtures)


@pytest.fixture
def ready(tmp_path: Path) -> Iterator[DemoClass]:
    demo = make_demo_class(tmp_path / "token", students=2)
    demo.lock_all()
    demo.sign_sheets()
    yield demo
    demo.db.dispose()


def test_homeroom_signs_the_class_with_a_token(ready: DemoClass, hsm: Tokens, worker: TokenWorker) -> None:  # noqa: F811
    register_certificate(ready.db, ready.homeroom, hsm.teacher.cert.der)
    plan = plan_signing(ready.db, "gvcn", ready.class_id, hsm.teacher.sha256)
    assert len(plan.pending) == 2 and plan.signer.login == ready.homeroom
    run = run_signing(ready.db, plan, hsm.teacher.spec(), Pin(PIN), worker=worker)
    assert run.complete and run.count("signed") == 2 and not run.demo
    assert ready.states("record") == ["gvcn_signed", "gvcn_signed"]
    report = validate_pdf(ready.current_file("gvcn_signed"), [hsm.pki.root.der])
    [gvcn] = report.signatures
    assert gvcn.field == "GVCN" and gvcn.intact and gvcn.trusted and gvcn.certifies
    assert gvcn.signer_name == "Nguyễn Văn An"
    # Resumable and idempotent: nothing left for the same token.
    assert plan_signing(ready.db, "gvcn", ready.class_id, hsm.teacher.sha256).pending == ()


def test_token_refusals(ready: DemoClass, hsm: Tokens, worker: TokenWorker) -> None:  # noqa: F811
    other = next(t for t in ready.teachers.values() if t != ready.homeroom)
    register_certificate(ready.db, other, hsm.other_teacher.cert.der)
    with pytest.raises(SigningRefused, match="không phải giáo viên chủ nhiệm"):
        plan_signing(ready.db, "gvcn", ready.class_id, hsm.other_teacher.sha256)
    register_certificate(ready.db, ready.homeroom, hsm.expired.cert.der)
    with pytest.raises(SigningRefused, match="hết hạn"):
        plan_signing(ready.db, "gvcn", ready.class_id, hsm.expired.sha256)
    # A certificate on the token that nobody registered.
    with pytest.raises(SigningRefused, match="chưa được đăng ký"):
        plan_signing(ready.db, "gvcn", ready.class_id, hsm.principal.sha256)
    assert ready.states("record") == []
