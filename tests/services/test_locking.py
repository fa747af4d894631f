"""Locking the mark book (khoá sổ): what is missing first, who may lock and unlock, and the
database refusing changes to a locked class × subject whoever writes them."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from app.errors import UserFacingError
from app.models import AuditEntry, TeachingAssignment
from app.models.db import Database
from app.services import audit, locking
from app.services import markbook as mb
from app.services.access import PermissionDenied
from app.services.markbook_common import MarkbookLocked
from tests.services.markbook_data import Teaching, actor, copy_of, make_template, other_teacher, teaching


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_template(tmp_path_factory.mktemp("locking"), "thcs")


@pytest.fixture
def book_db(template: Path, tmp_path: Path) -> Iterator[Database]:
    db = copy_of(template, tmp_path)
    yield db
    db.dispose()


@pytest.fixture
def van(book_db: Database) -> Teaching:
    return teaching(book_db, "nguvan")


def _first_student(db: Database, t: Teaching) -> mb.MarkRow:
    book = mb.load_markbook(db, t.teacher, t.class_id, t.subject_id, 2)
    return next(r for r in book.rows if not r.not_assessed)


def _audit_actions(db: Database, action: str) -> list[tuple[str, dict[str, object]]]:
    """(actor, detail) of the audit entries of one action, oldest first."""
    with db.read() as s:
        return [
            (e.actor, dict(e.detail))
            for e in s.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id))
        ]


def test_a_complete_book_can_be_locked_and_then_refuses_changes(book_db: Database, van: Teaching) -> None:
    report = locking.lock_report(book_db, van.teacher, van.class_id, van.subject_id)
    assert report.complete and report.can_lock and not report.locked
    assert not report.can_unlock
    assert "có thể khoá sổ" in report.summary()

    locked = locking.lock_markbook(book_db, van.teacher, van.class_id, van.subject_id)

    assert locked.locked and not locked.can_lock
    assert locked.locked_by == van.teacher.full_name
    assert "Đã khoá sổ" in locked.summary()
    row = _first_student(book_db, van)
    with pytest.raises(MarkbookLocked, match="đã khoá") as caught:
        mb.set_score(book_db, van.teacher, van.class_id, van.subject_id, 2, row.student_id, "gk", "9")
    assert "hiệu trưởng" in caught.value.message
    book = mb.load_markbook(book_db, van.teacher, van.class_id, van.subject_id, 2)
    assert not book.can_edit and book.locked_at is not None
    assert book.row_of(row.student_id) == row
    ((who, detail),) = _audit_actions(book_db, "markbook.lock")
    assert who == van.teacher.login and detail["subject_id"] == van.subject_id
    with pytest.raises(UserFacingError, match="đã khoá"):
        locking.lock_markbook(book_db, van.teacher, van.class_id, van.subject_id)


def test_the_lock_is_refused_while_something_is_missing(book_db: Database, van: Teaching) -> None:
    row = _first_student(book_db, van)
    mb.set_score(book_db, van.teacher, van.class_id, van.subject_id, 2, row.student_id, "ck", "")
    mb.set_score(book_db, van.teacher, van.class_id, van.subject_id, 2, row.student_id, "tx1", "")

    report = locking.lock_report(book_db, van.teacher, van.class_id, van.subject_id)

    assert not report.complete and not report.can_lock
    assert {(m.student_id, m.period, m.column) for m in report.missing} == {
        (row.student_id, "2", "ck"),
        (row.student_id, "2", "tx1"),
    }
    assert any("cuối kì học kì II" in m.what for m in report.missing)
    assert "còn thiếu 2 mục của 1 học sinh" in report.summary()
    with pytest.raises(UserFacingError, match=row.full_name):
        locking.lock_markbook(book_db, van.teacher, van.class_id, van.subject_id)
    assert not locking.lock_report(book_db, van.teacher, van.class_id, van.subject_id).locked
    assert _audit_actions(book_db, "markbook.lock") == []


def test_students_exempt_from_assessment_do_not_block_the_lock(book_db: Database, van: Teaching) -> None:
    book = mb.load_markbook(book_db, van.teacher, van.class_id, van.subject_id, 1)
    exempt = [r for r in book.rows if r.not_assessed]
    assert exempt and all(r.gk is None for r in exempt)
    report = locking.lock_report(book_db, van.teacher, van.class_id, van.subject_id)
    assert report.complete
    assert not {m.student_id for m in report.warnings} & {r.student_id for r in exempt}


def test_missing_comments_are_only_warnings(book_db: Database, van: Teaching) -> None:
    row = _first_student(book_db, van)
    mb.set_score(book_db, van.teacher, van.class_id, van.subject_id, 2, row.student_id, "comment", "")
    report = locking.lock_report(book_db, van.teacher, van.class_id, van.subject_id)
    assert report.complete
    assert (row.student_id, "2", "comment") in {(w.student_id, w.period, w.column) for w in report.warnings}


@pytest.mark.parametrize("who", ["stranger", "hieutruong", "admin"])
def test_only_the_assigned_teacher_locks(book_db: Database, van: Teaching, who: str) -> None:
    person = other_teacher(book_db, van) if who == "stranger" else actor(book_db, who)
    with pytest.raises(PermissionDenied):
        locking.lock_markbook(book_db, person, van.class_id, van.subject_id)


def test_only_a_leader_unlocks_and_only_with_a_reason(book_db: Database, van: Teaching) -> None:
    locking.lock_markbook(book_db, van.teacher, van.class_id, van.subject_id)
    principal = actor(book_db, "hieutruong")
    report = locking.lock_report(book_db, principal, van.class_id, van.subject_id)
    assert report.can_unlock
    assert not locking.lock_report(book_db, van.teacher, van.class_id, van.subject_id).can_unlock
    for who in (van.teacher, actor(book_db, "admin"), actor(book_db, "vanthu")):
        with pytest.raises(PermissionDenied, match="hiệu trưởng"):
            locking.unlock_markbook(book_db, who, van.class_id, van.subject_id, "Nhập nhầm điểm cuối kì")
    for reason in ("", "   ", "sai"):
        with pytest.raises(UserFacingError, match="lý do"):
            locking.unlock_markbook(book_db, principal, van.class_id, van.subject_id, reason)
    assert locking.lock_report(book_db, principal, van.class_id, van.subject_id).locked

    unlocked = locking.unlock_markbook(
        book_db,
        actor(book_db, "phohieutruong"),
        van.class_id,
        van.subject_id,
        "  Giáo viên nhập nhầm điểm cuối kì\n của em An  ",
    )

    assert not unlocked.locked
    ((who, detail),) = _audit_actions(book_db, "markbook.unlock")
    assert who == "phohieutruong"
    assert detail["reason"] == "Giáo viên nhập nhầm điểm cuối kì của em An"
    row = _first_student(book_db, van)
    change = mb.set_score(book_db, van.teacher, van.class_id, van.subject_id, 2, row.student_id, "gk", "9")
    assert change.new == "9"
    with pytest.raises(UserFacingError, match="đang mở"):
        locking.unlock_markbook(book_db, principal, van.class_id, van.subject_id, "Mở lại lần nữa cho chắc")
    with book_db.read() as s:
        assert audit.verify_chain(s).ok


def _raw(db: Database) -> sqlite3.Connection:
    # Straight through sqlite3, as another program or a SQL tool would write.
    return sqlite3.connect(db.path, isolation_level=None)


def test_the_database_refuses_changes_to_a_locked_book_whoever_writes(
    book_db: Database, van: Teaching
) -> None:
    toan = teaching(book_db, "toan")
    row = _first_student(book_db, van)
    locking.lock_markbook(book_db, van.teacher, van.class_id, van.subject_id)
    conn = _raw(book_db)
    try:
        key = (row.enrolment_id, van.subject_id)
        for statement in (
            "UPDATE secondary_assessment SET gk = '10' WHERE enrolment_id = ? AND subject_id = ?",
            "DELETE FROM secondary_assessment WHERE enrolment_id = ? AND subject_id = ?",
        ):
            with pytest.raises(sqlite3.DatabaseError, match="locked"):
                conn.execute(statement, key)
        with pytest.raises(sqlite3.DatabaseError, match="locked"):
            conn.execute(
                "INSERT INTO secondary_assessment (enrolment_id, subject_id, semester, tx, updated_at)"
                " VALUES (?, ?, 1, '[]', '2027-01-01')",
                (_exempt_enrolment(book_db, van), van.subject_id),
            )
        # Moving a row out of the locked subject is refused too (OLD is checked, not only NEW).
        with pytest.raises(sqlite3.DatabaseError, match="locked"):
            conn.execute(
                "UPDATE secondary_assessment SET subject_id = ? WHERE enrolment_id = ? AND subject_id = ?",
                (toan.subject_id, *key),
            )
        # Other subjects of the class are not affected.
        conn.execute(
            "UPDATE secondary_assessment SET gk = '10' WHERE enrolment_id = ? AND subject_id = ?",
            (row.enrolment_id, toan.subject_id),
        )
        assert conn.execute(
            "SELECT gk FROM secondary_assessment WHERE enrolment_id = ? AND subject_id = ? AND semester = 2",
            key,
        ).fetchone() == (row.gk,)
    finally:
        conn.close()
    with book_db.write() as s:
        assignment = s.scalar(
            select(TeachingAssignment).where(
                TeachingAssignment.class_id == van.class_id, TeachingAssignment.subject_id == van.subject_id
            )
        )
        assert assignment is not None
        assignment.locked_at = None
    conn = _raw(book_db)
    try:
        conn.execute(
            "UPDATE secondary_assessment SET gk = '10' WHERE enrolment_id = ? AND subject_id = ?",
            (row.enrolment_id, van.subject_id),
        )
    finally:
        conn.close()


def _exempt_enrolment(db: Database, t: Teaching) -> int:
    # The disabled student has no assessment rows yet, so an INSERT would otherwise succeed.
    book = mb.load_markbook(db, t.teacher, t.class_id, t.subject_id, 1)
    return next(r.enrolment_id for r in book.rows if r.not_assessed)
