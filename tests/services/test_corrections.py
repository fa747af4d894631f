"""Corrections of issued records, end to end on a small demo class (real SQLite, real files, demo signer):
request → approve → the student's scores open → sheets and record signed again → the new version issues,
the old one is superseded, both in the history; and the scores behind issued records stay locked."""

from __future__ import annotations

import io
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from app.errors import UserFacingError
from app.models import (
    AuditEntry,
    CorrectionRequest,
    Document,
    DocumentFile,
    Enrolment,
    OutboxItem,
    SecondaryAssessment,
    Subject,
    UserAccount,
)
from app.services import audit, corrections, locking, markbook
from app.services.access import SYSTEM, Actor, PermissionDenied
from app.services.accounts import actor_for
from app.services.certificates import SEAL
from app.services.document_store import read_document
from app.services.record_lock import RecordIssued
from app.services.score_entry import CellEntry
from app.signing.validation import validate_pdf
from tests.services.signing_data import DemoClass, make_demo_class


@pytest.fixture
def issued(tmp_path: Path) -> Iterator[DemoClass]:
    demo = make_demo_class(tmp_path / "issued", students=2)
    demo.issue_all()
    yield demo
    demo.db.dispose()


def _actor(demo: DemoClass, login: str) -> Actor:
    with demo.db.read() as s:
        user_id = s.scalar(select(UserAccount.id).where(UserAccount.login == login))
    assert user_id is not None
    return actor_for(demo.db, user_id)


def _students(demo: DemoClass) -> list[tuple[int, int]]:
    """(student id, enrolment id) of the class, in id order."""
    with demo.db.read() as s:
        return [
            (sid, eid)
            for sid, eid in s.execute(
                select(Enrolment.student_id, Enrolment.id)
                .where(Enrolment.class_id == demo.class_id)
                .order_by(Enrolment.id)
            )
        ]


def _scored_subject(demo: DemoClass) -> int:
    with demo.db.read() as s:
        ids = s.scalars(
            select(Subject.id).where(
                Subject.id.in_(demo.subject_ids.values()), Subject.assessment != "comment"
            )
        ).all()
    return min(ids)


def _ck2(demo: DemoClass, enrolment_id: int, subject_id: int) -> str | None:
    with demo.db.read() as s:
        return s.scalar(
            select(SecondaryAssessment.ck).where(
                SecondaryAssessment.enrolment_id == enrolment_id,
                SecondaryAssessment.subject_id == subject_id,
                SecondaryAssessment.semester == 2,
            )
        )


def _file_of(demo: DemoClass, uuid: str) -> bytes:
    with demo.db.read() as s:
        doc = s.scalar(select(Document).where(Document.uuid == uuid))
        assert doc is not None and doc.current_sha256
        key = s.scalar(select(DocumentFile.store_key).where(DocumentFile.sha256 == doc.current_sha256))
        assert key is not None
        return read_document(demo.db, key, doc.current_sha256)


def _set_ck2(demo: DemoClass, student_id: int, subject_id: int, value: str) -> None:
    markbook.set_scores(demo.db, SYSTEM, demo.class_id, subject_id, 2, [CellEntry(student_id, "ck", value)])


def test_scores_behind_an_issued_record_stay_locked(issued: DemoClass) -> None:
    (student_id, enrolment_id), _ = _students(issued)
    subject_id = _scored_subject(issued)
    principal = _actor(issued, issued.principal)
    # A leader may still unlock the mark book after issuing…
    reason = "Kiểm tra lại điểm sau phát hành"
    locking.unlock_markbook(issued.db, principal, issued.class_id, subject_id, reason)
    before = _ck2(issued, enrolment_id, subject_id)
    # …but the service refuses, in words, to change an issued student's scores,
    with pytest.raises(RecordIssued, match=r"đã phát hành.*đính chính"):
        _set_ck2(issued, student_id, subject_id, "10" if before != "10" else "9.5")
    # and so does the database, whatever writes to it.
    conn = sqlite3.connect(issued.db.path)
    try:
        for sql in (
            f"UPDATE secondary_assessment SET ck = '1' WHERE enrolment_id = {enrolment_id}",
            f"DELETE FROM secondary_assessment WHERE enrolment_id = {enrolment_id}",
            f"INSERT INTO conduct (enrolment_id, period, level) VALUES ({enrolment_id}, 'he', 'T')",
            f"UPDATE year_comment SET text = 'khác' WHERE enrolment_id = {enrolment_id}",
            f"DELETE FROM attendance WHERE enrolment_id = {enrolment_id}",
        ):
            with pytest.raises(sqlite3.DatabaseError, match="approved correction"):
                conn.execute(sql)
    finally:
        conn.close()
    assert _ck2(issued, enrolment_id, subject_id) == before


def test_request_checks_who_and_why(issued: DemoClass) -> None:
    (student_id, _), _ = _students(issued)
    homeroom = _actor(issued, issued.homeroom)
    other_teacher = _actor(issued, next(t for t in issued.teachers.values() if t != issued.homeroom))
    with pytest.raises(UserFacingError, match="lý do"):
        corrections.request_correction(issued.db, homeroom, issued.class_id, student_id, "  sai  ")
    with pytest.raises(PermissionDenied):
        corrections.request_correction(
            issued.db, other_teacher, issued.class_id, student_id, "Nhập nhầm điểm Toán"
        )
    request = corrections.request_correction(
        issued.db, homeroom, issued.class_id, student_id, "Nhập nhầm   điểm cuối kì II môn Toán"
    )
    assert request.state == "requested" and request.reason == "Nhập nhầm điểm cuối kì II môn Toán"
    assert request.requested_by == homeroom.full_name and request.version == 1
    with pytest.raises(UserFacingError, match="đã có một đề nghị"):
        corrections.request_correction(
            issued.db, homeroom, issued.class_id, student_id, "Lần thứ hai cũng sai"
        )
    with pytest.raises(PermissionDenied):
        corrections.pending_corrections(issued.db, homeroom)
    with pytest.raises(PermissionDenied):
        corrections.approve_correction(issued.db, homeroom, request.uuid)
    states = {r.student_id: r for r in corrections.class_record_states(issued.db, homeroom, issued.class_id)}
    assert not states[student_id].can_request and "chờ phê duyệt" in states[student_id].status_text


def test_reject_needs_a_note_and_closes_the_request(issued: DemoClass) -> None:
    (student_id, _), _ = _students(issued)
    homeroom = _actor(issued, issued.homeroom)
    vice = _actor(issued, "phohieutruong")
    request = corrections.request_correction(
        issued.db, homeroom, issued.class_id, student_id, "Sai ngày sinh của học sinh"
    )
    with pytest.raises(UserFacingError, match="lý do không duyệt"):
        corrections.reject_correction(issued.db, vice, request.uuid, "")
    rejected = corrections.reject_correction(issued.db, vice, request.uuid, "Ngày sinh trong hồ sơ gốc đúng")
    assert rejected.state == "rejected" and rejected.decided_by == vice.full_name
    assert corrections.pending_corrections(issued.db, vice) == ()
    with pytest.raises(UserFacingError, match="đã được xử lý"):
        corrections.approve_correction(issued.db, vice, request.uuid)
    # Rejected: nothing opened, a new request may be made.
    assert corrections.request_correction(issued.db, homeroom, issued.class_id, student_id, "Lý do khác hẳn")


def test_correction_issues_a_new_version_and_supersedes_the_old(issued: DemoClass) -> None:
    (student_id, enrolment_id), (other_id, _) = _students(issued)
    subject_id = _scored_subject(issued)
    homeroom = _actor(issued, issued.homeroom)
    principal = _actor(issued, issued.principal)
    request = corrections.request_correction(
        issued.db, homeroom, issued.class_id, student_id, "Nhập nhầm điểm cuối kì II"
    )
    [pending] = corrections.pending_corrections(issued.db, principal)
    assert pending.uuid == request.uuid and pending.student_id == student_id
    approved = corrections.approve_correction(issued.db, principal, request.uuid)
    assert approved.state == "approved" and approved.new_version == 2
    assert approved.new_document_state == "draft"

    # The corrected student's scores open (after the leader unlocks the mark book); nobody else's.
    locking.unlock_markbook(issued.db, principal, issued.class_id, subject_id, "Đính chính điểm đã duyệt")
    new_value = "10" if _ck2(issued, enrolment_id, subject_id) != "10" else "9.5"
    _set_ck2(issued, student_id, subject_id, new_value)
    assert _ck2(issued, enrolment_id, subject_id) == new_value
    with pytest.raises(RecordIssued):
        _set_ck2(issued, other_id, subject_id, "1")

    # Until the sheets are signed again, the record cannot be: the plan says why.
    locking.lock_markbook(issued.db, SYSTEM, issued.class_id, subject_id)
    [blocked] = issued.plan("gvcn", issued.homeroom).having("blocked")
    assert "thay đổi sau khi ký" in (blocked.reason or "") and blocked.version == 2
    teacher = next(login for code, login in issued.teachers.items() if issued.subject_ids[code] == subject_id)
    resign = issued.plan("gvbm", teacher).pending
    assert resign and all(i.version == 2 and i.supersedes for i in resign)
    assert {i.term for i in resign} == {"hocky2", "canam"}  # hocky1 did not change
    assert issued.sign("gvbm", teacher).complete
    for role, login in (("gvcn", issued.homeroom), ("hieutruong", "phohieutruong"), ("condau", SEAL)):
        run = issued.sign(role, login)
        assert run.count("signed") == 1 and run.complete, run.to_json()

    with issued.db.read() as s:
        old = s.scalar(select(Document).where(Document.uuid == request.document_uuid))
        new = s.scalar(select(Document).where(Document.uuid == approved.new_document_uuid))
        assert old is not None and new is not None
        assert old.superseded and old.state == "issued"
        assert new.state == "issued" and not new.superseded and new.supersedes == old.uuid
        assert new.supersede_reason == request.reason
        closed = s.scalar(select(CorrectionRequest).where(CorrectionRequest.uuid == request.uuid))
        assert closed is not None and closed.state == "issued" and closed.issued_at is not None
        outbox = s.scalar(select(OutboxItem).where(OutboxItem.document_id == new.uuid))
        assert outbox is not None and outbox.version == 2 and outbox.supersedes == old.uuid
        new_sheets = [
            (d.uuid, d.current_sha256 or "", d.superseded, d.state)
            for d in s.scalars(select(Document).where(Document.kind == "sheet", Document.version == 2))
        ]
        assert len(new_sheets) == 2 and all(not sup and st == "gvbm_signed" for _, _, sup, st in new_sheets)
        sheet_items = s.scalars(select(OutboxItem.supersedes).where(OutboxItem.kind == "sheet")).all()
        assert sum(1 for x in sheet_items if x) == 2
        assert audit.verify_chain(s).ok
        actions = set(s.scalars(select(AuditEntry.action).where(AuditEntry.entity == "correction_request")))
    assert actions == {"correction.request", "correction.approve", "correction.issue"}

    # The new file validates, says what it replaces and why, and refers to the new sheet versions.
    data = _file_of(issued, approved.new_document_uuid or "")
    report = validate_pdf(data, [issued.pki.root_der()])
    assert report.all_ok, report.to_json()
    xml = next(v for k, v in PdfReader(io.BytesIO(data)).attachments.items() if k.endswith(".xml"))[0]
    assert request.document_uuid.encode() in xml and "Nhập nhầm điểm cuối kì II".encode() in xml
    assert all(uuid.encode() in xml and sha.encode() in xml for uuid, sha, _, _ in new_sheets)

    history = corrections.student_history(issued.db, homeroom, student_id, issued.class_id)
    versions = [(v.version, v.state, v.superseded) for v in history.versions]
    assert versions == [(1, "issued", True), (2, "issued", False)]
    assert "thay thế" in history.versions[0].state_text
    assert any("Phó" in line or "Lãnh đạo" in line for line in history.versions[1].signers)
    assert [c.state for c in history.corrections] == ["issued"]
    # Issued again: the values lock again, even with the mark book unlocked.
    locking.unlock_markbook(issued.db, principal, issued.class_id, subject_id, "Mở lại để kiểm tra khoá")
    with pytest.raises(RecordIssued):
        _set_ck2(issued, student_id, subject_id, "5")
