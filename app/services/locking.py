"""Locking the mark book (khoá sổ) of a class × subject, and unlocking it with a reason.

The subject teacher locks when the year's assessments are complete: `lock_report` lists
what is missing first (the same list the lock refuses on); missing comments are only
warnings because the record book marks them "nếu có". Once locked, every write service
refuses changes (and database triggers refuse them too, see app.models.triggers), until
the principal or vice principal unlocks with a reason. Both are audited. Signing (a later
issue) requires the lock.

The lock covers the whole year of the subject (both semesters, or every TT27 period):
`TeachingAssignment.locked_at` is one value per class × subject, and the teacher's
confirmation that signing needs is for the year's class subject sheet.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import UserFacingError
from app.models import AuditEntry, PrimaryAssessment, SecondaryAssessment, UserAccount
from app.models.base import utcnow
from app.models.db import Database
from app.rules import tt22
from app.services import audit
from app.services.access import Actor, PermissionDenied, can_edit_scores, require_leader
from app.services.markbook_common import (
    Opened,
    StudentRef,
    open_subject,
    require_view_markbook,
    students_of,
    to_local,
)
from app.services.score_entry import tx_column

__all__ = [
    "LockReport",
    "MissingItem",
    "lock_markbook",
    "lock_report",
    "unlock_markbook",
]

AUDIT_ENTITY: Final = "teaching_assignment"
MIN_REASON_CHARS: Final = 10
# The TT27 periods a locked (year-end) primary subject must have assessed: the record book
# shows the end of semester I and the end of the year; mid-terms stay optional here.
PRIMARY_REQUIRED_PERIODS: Final = ("ck1", "cn")
PRIMARY_PERIOD_NAMES: Final = {
    "gk1": "giữa học kì I",
    "ck1": "cuối học kì I",
    "gk2": "giữa học kì II",
    "cn": "cuối năm học",
}
_SEMESTER_NAMES: Final = {1: "học kì I", 2: "học kì II"}


@dataclass(frozen=True)
class MissingItem:
    """One thing missing for one student; `column` and `period` point at the cell to fill."""

    student_id: int
    number: int
    student_name: str
    period: str  # "1" / "2" (TT22 semester) or a TT27 period code
    column: str  # "tx1", "gk", "ck", "comment", "level", "test"
    what: str  # Vietnamese, e.g. "thiếu điểm cuối kì học kì II"


@dataclass(frozen=True)
class LockReport:
    class_id: int
    class_name: str
    subject_id: int
    subject_name: str
    teacher_name: str | None
    locked_at: datetime | None
    locked_by: str | None  # full name of who locked it (from the audit log)
    missing: tuple[MissingItem, ...]  # blocks the lock
    warnings: tuple[MissingItem, ...]  # shown, does not block (comments "nếu có")
    can_lock: bool  # the actor is the subject's teacher and nothing is missing
    can_unlock: bool  # the actor is a leader and it is locked

    @property
    def locked(self) -> bool:
        return self.locked_at is not None

    @property
    def complete(self) -> bool:
        return not self.missing

    def summary(self) -> str:
        if self.locked_at is not None:
            who = f" bởi {self.locked_by}" if self.locked_by else ""
            return f"Đã khoá sổ lúc {to_local(self.locked_at):%H:%M ngày %d/%m/%Y}{who}."
        if self.missing:
            students = len({m.student_id for m in self.missing})
            return f"Chưa khoá được: còn thiếu {len(self.missing)} mục của {students} học sinh."
        return "Đã đủ điểm và đánh giá, có thể khoá sổ."


def lock_report(db: Database, actor: Actor, class_id: int, subject_id: int) -> LockReport:
    """What is missing before the class × subject can be locked, and its lock state."""
    require_view_markbook(actor, class_id, subject_id)
    with db.read() as s:
        return _report(s, actor, open_subject(s, class_id, subject_id))


def lock_markbook(db: Database, actor: Actor, class_id: int, subject_id: int) -> LockReport:
    """Lock (khoá sổ): only the subject's assigned teacher, only when nothing is missing."""
    with db.write() as s:
        opened = open_subject(s, class_id, subject_id)
        subject_name = opened.subject.name if opened.subject else ""
        if not can_edit_scores(actor, class_id, subject_id):
            raise PermissionDenied(
                "Chỉ giáo viên bộ môn được phân công dạy môn này ở lớp này mới khoá được sổ điểm."
            )
        assignment = opened.assignment
        if assignment is None:
            raise UserFacingError(
                f"Môn {subject_name} lớp {opened.klass.name} chưa được phân công giáo viên "
                "nên chưa khoá sổ được."
            )
        if assignment.locked_at is not None:
            raise UserFacingError(
                f"Sổ điểm môn {subject_name} lớp {opened.klass.name} đã khoá lúc "
                f"{to_local(assignment.locked_at):%H:%M ngày %d/%m/%Y}."
            )
        report = _report(s, actor, opened)
        if report.missing:
            first = report.missing[0]
            raise UserFacingError(
                f"Chưa khoá được sổ điểm môn {subject_name} lớp {opened.klass.name}: còn thiếu "
                f"{len(report.missing)} mục, ví dụ {first.student_name} {first.what}. "
                "Hãy nhập đủ rồi khoá lại."
            )
        assignment.locked_at = utcnow()
        audit.append(
            s,
            actor=actor.login,
            action="markbook.lock",
            entity=AUDIT_ENTITY,
            entity_id=assignment.id,
            detail={
                "class_id": class_id,
                "subject_id": subject_id,
                "warnings": len(report.warnings),
            },
        )
        s.flush()
        return _report(s, actor, opened)


def unlock_markbook(db: Database, actor: Actor, class_id: int, subject_id: int, reason: str) -> LockReport:
    """Unlock: only the principal or vice principal, with the reason recorded in the audit log."""
    require_leader(actor)
    text = " ".join(unicodedata.normalize("NFC", reason or "").split())
    if len(text) < MIN_REASON_CHARS:
        raise UserFacingError(
            f"Hãy ghi lý do mở khoá sổ (ít nhất {MIN_REASON_CHARS} ký tự), ví dụ "
            "“Giáo viên nhập nhầm điểm cuối kì của em Nguyễn Văn An”.",
            field="reason",
        )
    with db.write() as s:
        opened = open_subject(s, class_id, subject_id)
        assignment = opened.assignment
        subject_name = opened.subject.name if opened.subject else ""
        if assignment is None or assignment.locked_at is None:
            raise UserFacingError(
                f"Sổ điểm môn {subject_name} lớp {opened.klass.name} đang mở, không cần mở khoá."
            )
        locked_at = assignment.locked_at
        assignment.locked_at = None
        audit.append(
            s,
            actor=actor.login,
            action="markbook.unlock",
            entity=AUDIT_ENTITY,
            entity_id=assignment.id,
            detail={
                "class_id": class_id,
                "subject_id": subject_id,
                "reason": text,
                "locked_at": locked_at.isoformat(),
            },
        )
        s.flush()
        return _report(s, actor, opened)


# ---------------------------------------------------------------------------- internals


def _report(s: Session, actor: Actor, opened: Opened) -> LockReport:
    subject = opened.subject
    assert subject is not None
    students = tuple(r for r in students_of(s, opened.klass.id) if not r.not_assessed)
    if subject.assessment == "level":
        missing, warnings = _primary_missing(s, opened, students)
    else:
        missing, warnings = _secondary_missing(s, opened, students)
    assignment = opened.assignment
    locked_at = assignment.locked_at if assignment else None
    locked_by = _locked_by(s, assignment.id) if assignment and locked_at else None
    return LockReport(
        class_id=opened.klass.id,
        class_name=opened.klass.name,
        subject_id=subject.id,
        subject_name=subject.name,
        teacher_name=opened.teacher_name,
        locked_at=locked_at,
        locked_by=locked_by,
        missing=tuple(missing),
        warnings=tuple(warnings),
        can_lock=(
            locked_at is None
            and not missing
            and assignment is not None
            and can_edit_scores(actor, opened.klass.id, subject.id)
        ),
        can_unlock=locked_at is not None and actor.is_leader,
    )


def _item(ref: StudentRef, period: str, column: str, what: str) -> MissingItem:
    return MissingItem(ref.student_id, ref.number, ref.full_name, period, column, what)


def _secondary_missing(
    s: Session, opened: Opened, students: tuple[StudentRef, ...]
) -> tuple[list[MissingItem], list[MissingItem]]:
    subject = opened.subject
    assert subject is not None
    required = tt22.required_tx_count(subject.lessons_per_year)
    found = {
        (a.enrolment_id, a.semester): a
        for a in s.scalars(
            select(SecondaryAssessment).where(
                SecondaryAssessment.subject_id == subject.id,
                SecondaryAssessment.enrolment_id.in_([r.enrolment_id for r in students]),
            )
        )
    }
    what = "điểm" if subject.assessment == "score" else "đánh giá"
    missing: list[MissingItem] = []
    warnings: list[MissingItem] = []
    for ref in students:
        for semester in (1, 2):
            a = found.get((ref.enrolment_id, semester))
            name = _SEMESTER_NAMES[semester]
            stored = list(a.tx) if a and a.tx else []
            entered = sum(1 for v in stored if v is not None)
            if entered < required:
                # Point at the first empty TX cell, gaps included.
                first_empty = next((i for i, v in enumerate(stored) if v is None), len(stored))
                missing.append(
                    _item(
                        ref,
                        str(semester),
                        tx_column(first_empty),
                        f"thiếu {required - entered} {what} thường xuyên {name} (cần {required})",
                    )
                )
            if a is None or a.gk is None:
                missing.append(_item(ref, str(semester), "gk", f"thiếu {what} giữa kì {name}"))
            if a is None or a.ck is None:
                missing.append(_item(ref, str(semester), "ck", f"thiếu {what} cuối kì {name}"))
            if a is None or not a.comment:
                warnings.append(_item(ref, str(semester), "comment", f"chưa có nhận xét {name}"))
    return missing, warnings


def _primary_missing(
    s: Session, opened: Opened, students: tuple[StudentRef, ...]
) -> tuple[list[MissingItem], list[MissingItem]]:
    subject = opened.subject
    assert subject is not None
    found = {
        (a.enrolment_id, a.period): a
        for a in s.scalars(
            select(PrimaryAssessment).where(
                PrimaryAssessment.subject_id == subject.id,
                PrimaryAssessment.enrolment_id.in_([r.enrolment_id for r in students]),
            )
        )
    }
    missing: list[MissingItem] = []
    warnings: list[MissingItem] = []
    for ref in students:
        for period in PRIMARY_REQUIRED_PERIODS:
            a = found.get((ref.enrolment_id, period))
            name = PRIMARY_PERIOD_NAMES[period]
            if a is None or a.level is None:
                missing.append(_item(ref, period, "level", f"thiếu mức đánh giá {name}"))
            if subject.periodic_test and (a is None or a.test_score is None):
                missing.append(_item(ref, period, "test", f"thiếu điểm kiểm tra định kì {name}"))
            if a is None or not a.comment:
                warnings.append(_item(ref, period, "comment", f"chưa có nhận xét {name}"))
    return missing, warnings


def _locked_by(s: Session, assignment_id: int) -> str | None:
    row = s.execute(
        select(AuditEntry.actor, UserAccount.full_name)
        .outerjoin(UserAccount, UserAccount.login == AuditEntry.actor)
        .where(
            AuditEntry.entity == AUDIT_ENTITY,
            AuditEntry.entity_id == str(assignment_id),
            AuditEntry.action == "markbook.lock",
        )
        .order_by(AuditEntry.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    login, name = row
    return name or ("Hệ thống" if login == "system" else login)
