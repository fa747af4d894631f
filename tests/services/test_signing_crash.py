"""SIGKILL a homeroom signing batch at named points, restart: nothing half-signed or lost, the database
passes integrity_check, and running the batch again continues to the end (real processes, real SQLite,
real files, demo signer, real pyHanko)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select, text

from app.models import Document, DocumentFile, OutboxItem, Signature
from app.models.db import open_database
from app.services import audit, safe_files
from app.services.certificates import SEAL
from app.services.document_store import read_document, sweep_unreferenced
from app.services.signing_run import POINTS
from app.signing.validation import validate_pdf
from tests.services.signing_data import DemoClass, make_demo_class

ROOT = Path(__file__).resolve().parents[2]
STUDENTS = 4


def _child(
    demo: DemoClass, point: str, nth: int, role: str = "gvcn", login: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tests.services.sign_crash_child", str(demo.db.path), demo.class_name,
         role, login or demo.homeroom, point, str(nth)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip


def _check_consistent(demo: DemoClass) -> int:
    """Each record is untouched (draft or none) or signed with its rows and file; returns the signed count."""
    db = open_database(demo.db.path)
    try:
        with db.read() as s:
            assert s.execute(text("PRAGMA integrity_check")).scalar() == "ok"
            assert s.execute(text("PRAGMA foreign_key_check")).all() == []
            assert audit.verify_chain(s).ok
            signed = 0
            for doc in s.scalars(select(Document).where(Document.kind == "record")):
                sigs = s.scalars(select(Signature).where(Signature.document_id == doc.id)).all()
                rows = s.scalars(select(DocumentFile).where(DocumentFile.document_id == doc.id))
                files = {f.sha256: f for f in rows}
                if doc.state == "draft":
                    assert sigs == [] and doc.current_sha256 in files
                    continue
                assert doc.state == "gvcn_signed" and [g.role for g in sigs] == ["gvcn"]
                assert sigs[0].file_sha256 == doc.current_sha256 and doc.current_sha256 in files
                stored = files[doc.current_sha256 or ""]
                data = read_document(db, stored.store_key, stored.sha256)  # present, matching its hash
                report = validate_pdf(data, [demo.pki.root_der()])
                assert report.all_ok and [x.field for x in report.signatures] == ["GVCN"]
                signed += 1
        store = Path(db.path).parent / "documents"
        for item in safe_files.iter_store(store):
            if not item.is_temp:  # a temp name is a write the kill cut short: never referenced
                assert safe_files.sha256_of(item.path) == item.sha256
        return signed
    finally:
        db.dispose()


@pytest.fixture
def demo(tmp_path: Path) -> DemoClass:
    made = make_demo_class(tmp_path / "crash", students=STUDENTS)
    made.lock_all()
    made.sign_sheets()
    made.db.dispose()  # the child owns the file while it runs
    return made


@pytest.mark.slow
@pytest.mark.parametrize("point", POINTS)
def test_sigkill_mid_batch_then_the_batch_continues(demo: DemoClass, point: str) -> None:
    nth = 1 if point == "drafts_stored" else 2  # in the middle of the batch
    killed = _child(demo, point, nth)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    before = _check_consistent(demo)
    expected_before = {"drafts_stored": 0, "signed": 1, "file_stored": 1, "committed": 2}[point]
    assert before == expected_before
    if point == "file_stored":
        # The signed file reached the store but not its row: the start-up sweep sets it aside.
        db = open_database(demo.db.path)
        try:
            assert len(sweep_unreferenced(db).moved) == 1
        finally:
            db.dispose()
    again = _child(demo, "never", 0)
    assert again.returncode == 0, again.stderr
    run = json.loads(again.stdout)
    assert run["counts"]["signed"] == STUDENTS - before and run["counts"]["failed"] == 0
    assert _check_consistent(demo) == STUDENTS
    # Nothing left to sign, nothing signed twice.
    third = _child(demo, "never", 0)
    assert third.returncode == 0 and json.loads(third.stdout)["documents"] == []


@pytest.mark.slow
@pytest.mark.parametrize("point", ["file_stored", "committed"])
def test_sigkill_while_issuing_keeps_records_and_outbox_together(demo: DemoClass, point: str) -> None:
    for role, login in (("gvcn", demo.homeroom), ("hieutruong", demo.principal)):
        assert _child(demo, "never", 0, role, login).returncode == 0
    killed = _child(demo, point, 2, "condau", SEAL)
    assert killed.returncode == -signal.SIGKILL, killed.stderr

    def issued_and_queued() -> tuple[list[str], list[str]]:
        db = open_database(demo.db.path)
        try:
            with db.read() as s:
                assert s.execute(text("PRAGMA integrity_check")).scalar() == "ok"
                assert audit.verify_chain(s).ok
                issued = sorted(s.scalars(select(Document.uuid).where(Document.state == "issued")))
                queued = sorted(
                    s.scalars(select(OutboxItem.document_id).where(OutboxItem.kind == "record"))
                )
            return issued, queued
        finally:
            db.dispose()

    issued, queued = issued_and_queued()
    assert issued == queued and len(issued) == {"file_stored": 1, "committed": 2}[point]
    again = _child(demo, "never", 0, "condau", SEAL)
    assert again.returncode == 0, again.stderr
    issued, queued = issued_and_queued()
    assert issued == queued and len(issued) == STUDENTS  # each issued record queued exactly once
