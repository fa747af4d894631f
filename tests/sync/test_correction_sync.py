"""A correction reaches the hub: the new version of the record (and any sheet signed again) carries the id
of the version it supersedes, and the hub verifies it (real hub on loopback, demo signer)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from app.models import Enrolment, SchoolClass, UserAccount
from app.models.db import Database, open_database
from app.models.outbox import OutboxItem
from app.services import corrections
from app.services.accounts import actor_for
from app.services.certificates import SEAL, demo_folder, ensure_demo_signers
from app.services.signing_order import plan_signing
from app.services.signing_run import run_signing
from app.signing.signers import DemoSignerSpec
from tests.hub.servers import ROOT, RunningHub
from tests.sync.conftest import connect, sync
from tests.sync.docs import DocSet

pytestmark = pytest.mark.slow


def _app(*args: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "app", *args], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _user(db: Database, login: str) -> int:
    with db.read() as s:
        found = s.scalar(select(UserAccount.id).where(UserAccount.login == login))
    assert found is not None
    return found


def _sync_until_verified(db: Database) -> list[str | None]:
    deadline = time.monotonic() + 120
    checks: list[str | None] = []
    while time.monotonic() < deadline:
        sync(db)
        with db.read() as s:
            checks = [i.hub_verification for i in s.scalars(select(OutboxItem))]
        if "pending" not in checks and None not in checks:
            break
        time.sleep(0.5)
    return checks


def test_a_corrected_record_reaches_the_hub_naming_what_it_supersedes(
    hub: RunningHub, docset: DocSet, tmp_path: Path
) -> None:
    path = tmp_path / "school" / "hocba.sqlite3"
    _app("demo", "--db", str(path), "--classes", "1", "--students-per-class", "2")
    _app("issue-demo", "--db", str(path))
    [root] = list(path.parent.rglob("demo-root.pem"))
    (hub.data / "trust" / "correction-demo-root.pem").write_bytes(root.read_bytes())
    db = open_database(path)
    try:
        with db.read() as s:
            school = s.scalars(select(OutboxItem.school_code)).first()
            class_id, homeroom_id = s.execute(select(SchoolClass.id, SchoolClass.homeroom_teacher_id)).one()
            student_id = s.scalars(select(Enrolment.student_id).where(Enrolment.class_id == class_id)).first()
        assert school is not None and homeroom_id is not None and student_id is not None
        connect(db, hub, hub.url, school)
        assert sync(db).waiting == 0

        homeroom = actor_for(db, homeroom_id)
        request = corrections.request_correction(
            db, homeroom, class_id, student_id, "Sai nơi sinh của học sinh trên học bạ"
        )
        approved = corrections.approve_correction(db, actor_for(db, _user(db, "hieutruong")), request.uuid)
        pki = ensure_demo_signers(db)
        with db.read() as s:
            homeroom_login = s.scalar(select(UserAccount.login).where(UserAccount.id == homeroom_id))
        assert homeroom_login is not None
        for role, login in (("gvcn", homeroom_login), ("hieutruong", "hieutruong"), ("condau", SEAL)):
            plan = plan_signing(db, role, class_id, pki.credentials[login].sha256)
            run = run_signing(db, plan, DemoSignerSpec(demo_folder(db), login), None)
            assert run.count("signed") == 1, run.to_json()

        checks = _sync_until_verified(db)
        assert set(checks) == {"verified"}, checks
    finally:
        db.dispose()
    on_hub = {str(r["document_id"]): r for r in hub.listing(school)}
    new = on_hub[approved.new_document_uuid or ""]
    assert new["version"] == 2 and new["supersedes"] == request.document_uuid
    assert on_hub[request.document_uuid]["version"] == 1  # the old version stays on the hub too
