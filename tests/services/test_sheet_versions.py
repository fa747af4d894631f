"""A summer re-assessment changes a class subject sheet that was already signed: the subject teacher
signs a new version (superseding the old), and the waiting student's record refers to it
(real SQLite, real files, demo signer, real pyHanko)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from app.models import Document, DocumentFile, OutboxItem, Student, Subject
from app.services import homeroom
from app.services.certificates import SEAL
from app.services.document_store import read_document
from app.services.homeroom_types import HomeroomStudent
from app.signing.validation import validate_pdf
from tests.services.homeroom_data import homeroom_teacher
from tests.services.signing_data import DemoClass, make_demo_class


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[DemoClass]:
    made = make_demo_class(tmp_path / "summer", students=20)
    yield made
    made.db.dispose()


def _waiting_for_reassessment(demo: DemoClass) -> HomeroomStudent:
    overview = homeroom.homeroom_overview(demo.db, homeroom_teacher(demo.db, demo.class_id), demo.class_id)
    found = [s for s in overview.students if s.promotion == "kiem_tra_lai"]
    assert found, "the demo plans a student with re-assessment in a class of 20"
    return found[0]


@dataclass(frozen=True)
class _Doc:
    uuid: str
    version: int
    supersedes: str | None
    state: str
    superseded: bool
    current_sha256: str


def _sheet(demo: DemoClass, uuid: str) -> tuple[_Doc, bytes]:
    with demo.db.read() as s:
        doc = s.scalar(select(Document).where(Document.uuid == uuid))
        assert doc is not None and doc.current_sha256
        key = s.scalar(select(DocumentFile.store_key).where(DocumentFile.sha256 == doc.current_sha256))
        assert key is not None
        found = _Doc(
            doc.uuid, doc.version, doc.supersedes, doc.state, bool(doc.superseded), doc.current_sha256
        )
    return found, read_document(demo.db, key, found.current_sha256)


def test_reassessment_after_signing_needs_a_new_sheet_version(demo: DemoClass) -> None:
    student = _waiting_for_reassessment(demo)
    with demo.db.read() as s:
        code = s.scalar(select(Student.student_code).where(Student.id == student.student_id))
    demo.lock_all()
    demo.sign_sheets()
    first = demo.plan("gvcn", demo.homeroom)
    [skipped] = [i for i in first.items if i.student_code == code]
    assert skipped.status == "skipped" and "kiểm tra lại" in (skipped.reason or "")
    assert demo.sign("gvcn", demo.homeroom).complete

    # The summer: the re-assessment results come in (the mark books stay locked).
    teacher = homeroom_teacher(demo.db, demo.class_id)
    good = {"score": "8,0", "comment": "Đạt"}
    for line in student.reassessment_subjects:
        row = homeroom.set_reassessment(
            demo.db, teacher, demo.class_id, student.student_id, line.subject_id, good[line.kind]
        )
    assert row.promotion == "len_lop"

    # The record waits for the changed year sheets; the plan says why.
    [blocked] = [i for i in demo.plan("gvcn", demo.homeroom).items if i.student_code == code]
    assert blocked.status == "blocked" and "thay đổi sau khi ký" in (blocked.reason or "")
    with demo.db.read() as s:
        codes = {
            s.scalar(select(Subject.code).where(Subject.id == line.subject_id))
            for line in student.reassessment_subjects
        }
    resigned = []
    for login in sorted({demo.teachers[code] for code in codes}):
        plan = demo.plan("gvbm", login)
        again = plan.pending
        mine = {(c, "canam") for c in codes if demo.teachers[c] == login}
        assert {(i.subject_code, i.term) for i in again} == mine
        assert all(i.version == 2 and i.supersedes and "ký lại" in i.label for i in again)
        assert len(plan.having("done")) == len(plan.items) - len(again)  # nothing else is signed again
        assert demo.sign("gvbm", login).complete
        resigned.extend(again)
    assert {i.subject_code for i in resigned} == codes

    for item in resigned:
        doc, data = _sheet(demo, item.document_uuid)
        assert doc.version == 2 and doc.supersedes == item.supersedes and doc.state == "gvbm_signed"
        old, _ = _sheet(demo, item.supersedes or "")
        assert old.superseded and old.state == "gvbm_signed"
        assert validate_pdf(data, [demo.pki.root_der()]).all_ok
    # Nothing else changed: a second look plans nothing more.
    for login in sorted({demo.teachers[code] for code in codes}):
        assert demo.plan("gvbm", login).pending == ()

    # Now the student is signed on their own, and their record names the new sheet versions.
    later = demo.plan("gvcn", demo.homeroom)
    assert [i.student_code for i in later.pending] == [code]
    assert demo.sign("gvcn", demo.homeroom).count("signed") == 1
    for role, login in (("hieutruong", demo.principal), ("condau", SEAL)):
        assert demo.sign(role, login).complete
    with demo.db.read() as s:
        record_uuid = s.scalars(
            select(Document.uuid).join(OutboxItem, OutboxItem.document_id == Document.uuid)
            .where(Document.kind == "record", OutboxItem.student_code == code)
        ).one()  # fmt: skip
        sheet_items = s.execute(
            select(OutboxItem.version, OutboxItem.supersedes).where(OutboxItem.kind == "sheet")
        ).all()
    assert sum(1 for version, supersedes in sheet_items if version == 2 and supersedes) == len(resigned)
    _, data = _sheet(demo, record_uuid)
    xml = next(v for k, v in PdfReader(io.BytesIO(data)).attachments.items() if k.endswith(".xml"))[0]
    for item in resigned:
        doc, _ = _sheet(demo, item.document_uuid)
        assert doc.uuid.encode() in xml and doc.current_sha256.encode() in xml
        assert (item.supersedes or "").encode() not in xml
