"""What the mark book services share: the class and subject being opened, its students in
Vietnamese order, who may view or edit it, its lock, and the per-cell change history.

Internal to `markbook`, `markbook_primary` and `locking`; screens use those modules.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.errors import NotFound, UserFacingError
from app.models import (
    AuditEntry,
    Enrolment,
    Grade,
    SchoolClass,
    SchoolYear,
    Student,
    Subject,
    TeachingAssignment,
    UserAccount,
)
from app.rules.vnsort import name_sort_key
from app.services import audit
from app.services.access import Actor, PermissionDenied, can_edit_scores
from app.services.score_entry import CellEntry, CellProblem, EntryError, EntryProblems

LEVEL_BY_CODE = {"02": "tieuhoc", "03": "thcs", "04": "thpt", "05": "thpt"}
AUDIT_ACTION: Final = "score.set"

# Thông tư 27 periods: giữa HKI, cuối HKI, giữa HKII, cuối năm.
PERIODS: Final = ("gk1", "ck1", "gk2", "cn")
PERIOD_NAMES: Final = {
    "gk1": "Giữa học kì I",
    "ck1": "Cuối học kì I",
    "gk2": "Giữa học kì II",
    "cn": "Cuối năm học",
}


@dataclass(frozen=True)
class CellChange:
    """One recorded change of one cell: who, when (UTC), old → new stored text."""

    at: datetime
    actor_login: str
    actor_name: str
    old: str | None
    new: str | None
    source: str  # "typed", "paste", "copy"…


@dataclass(frozen=True)
class StudentRef:
    student_id: int
    enrolment_id: int
    number: int  # position in the Vietnamese-ordered class list, from 1
    full_name: str
    not_assessed: bool  # disabled student exempt from assessment (individual plan)


@dataclass
class Opened:
    """A class × subject resolved inside one session (ORM objects; never returned)."""

    klass: SchoolClass
    grade: Grade
    year: SchoolYear
    level: str
    subject: Subject | None
    assignment: TeachingAssignment | None
    teacher_name: str | None


def open_class(s: Session, class_id: int) -> tuple[SchoolClass, Grade, SchoolYear, str]:
    found = s.execute(
        select(SchoolClass, Grade, SchoolYear)
        .join(Grade, Grade.id == SchoolClass.grade_id)
        .join(SchoolYear, SchoolYear.id == SchoolClass.school_year_id)
        .where(SchoolClass.id == class_id)
    ).first()
    if found is None:
        raise NotFound(f"Không tìm thấy lớp có mã {class_id}.")
    klass, grade, year = found
    return klass, grade, year, LEVEL_BY_CODE.get(grade.level, "thcs")


def open_subject(s: Session, class_id: int, subject_id: int) -> Opened:
    klass, grade, year, level = open_class(s, class_id)
    subject = s.get(Subject, subject_id)
    if subject is None or subject.school_year_id != klass.school_year_id or subject.grade_id != grade.id:
        raise NotFound(f"Lớp {klass.name} không học môn có mã {subject_id} trong năm học này.")
    row = s.execute(
        select(TeachingAssignment, UserAccount.full_name)
        .outerjoin(UserAccount, UserAccount.id == TeachingAssignment.teacher_id)
        .where(TeachingAssignment.class_id == class_id, TeachingAssignment.subject_id == subject_id)
    ).first()
    assignment, teacher = (row[0], row[1]) if row else (None, None)
    return Opened(klass, grade, year, level, subject, assignment, teacher)


def students_of(s: Session, class_id: int) -> tuple[StudentRef, ...]:
    """The class's current students, in the Vietnamese order of the class list."""
    pairs = s.execute(
        select(Enrolment.id, Student.id, Student.full_name, Student.disabled_not_assessed)
        .join(Student, Student.id == Enrolment.student_id)
        .where(Enrolment.class_id == class_id, Enrolment.end_date.is_(None))
    ).all()
    ordered = sorted(pairs, key=lambda p: name_sort_key(p[2]))
    return tuple(
        StudentRef(student_id=sid, enrolment_id=eid, number=n, full_name=name, not_assessed=bool(exempt))
        for n, (eid, sid, name, exempt) in enumerate(ordered, start=1)
    )


def student_in(students: tuple[StudentRef, ...], student_id: int, class_name: str) -> StudentRef:
    for ref in students:
        if ref.student_id == student_id:
            return ref
    raise NotFound(f"Học sinh mã {student_id} không có trong danh sách lớp {class_name}.")


def can_view_markbook(actor: Actor, class_id: int, subject_id: int) -> bool:
    # The subject's own teacher, the class's homeroom teacher, and the school-wide roles
    # (leaders review, the clerk prints); other subject teachers of the class do not.
    return (
        can_edit_scores(actor, class_id, subject_id)
        or actor.sees_whole_school
        or class_id in actor.homeroom_class_ids
    )


def require_view_markbook(actor: Actor, class_id: int, subject_id: int) -> None:
    if not can_view_markbook(actor, class_id, subject_id):
        raise PermissionDenied(
            "Bạn không dạy môn này ở lớp này nên không xem được sổ điểm. "
            "Giáo viên bộ môn, giáo viên chủ nhiệm lớp và ban giám hiệu mới xem được."
        )


class MarkbookLocked(UserFacingError):
    """The class × subject is locked (khoá sổ); only a leader's unlock allows changes."""


def require_unlocked(opened: Opened) -> None:
    assignment = opened.assignment
    if assignment is None or assignment.locked_at is None:
        return
    subject = opened.subject.name if opened.subject else ""
    when = to_local(assignment.locked_at).strftime("%H:%M ngày %d/%m/%Y")
    raise MarkbookLocked(
        f"Sổ điểm môn {subject} lớp {opened.klass.name} đã khoá lúc {when}, nên không sửa được. "
        "Muốn sửa, hãy đề nghị hiệu trưởng hoặc phó hiệu trưởng mở khoá sổ (ghi rõ lý do)."
    )


def require_assigned_or_system(actor: Actor, opened: Opened) -> None:
    if opened.assignment is None and not actor.is_system:
        subject = opened.subject.name if opened.subject else ""
        raise UserFacingError(
            f"Môn {subject} của lớp {opened.klass.name} chưa được phân công giáo viên. "
            "Cán bộ quản trị cần phân công trước khi nhập điểm."
        )


def to_local(value: datetime) -> datetime:
    """A stored naive-UTC time as the computer's local time (naive), for messages."""
    from datetime import UTC

    return value.replace(tzinfo=UTC).astimezone().replace(tzinfo=None)


def cell_changes(
    s: Session, entity: str, entity_ids: list[str], column: str | None = None
) -> dict[tuple[str, str], list[CellChange]]:
    """Recorded changes of cells, keyed by (entity_id, column), oldest first.

    Uses the (entity, entity_id) index on the audit log, so it stays fast as the log grows.
    """
    if not entity_ids:
        return {}
    query = (
        select(AuditEntry, UserAccount.full_name)
        .outerjoin(UserAccount, UserAccount.login == AuditEntry.actor)
        .where(AuditEntry.entity == entity, AuditEntry.entity_id.in_(entity_ids))
        .order_by(AuditEntry.id)
    )
    if column is not None:
        query = query.where(func.json_extract(AuditEntry.detail, "$.column") == column)
    out: dict[tuple[str, str], list[CellChange]] = {}
    for entry, name in s.execute(query):
        detail = entry.detail or {}
        col = str(detail.get("column", ""))
        out.setdefault((entry.entity_id or "", col), []).append(
            CellChange(
                at=entry.at,
                actor_login=entry.actor,
                actor_name=name or ("Hệ thống" if entry.actor == "system" else entry.actor),
                old=_text_or_none(detail.get("old")),
                new=_text_or_none(detail.get("new")),
                source=str(detail.get("source", "typed")),
            )
        )
    return out


def _text_or_none(value: object) -> str | None:
    return None if value is None else str(value)


# ---------------------------------------------------------------------------- TT27 periods


def check_period(period: str) -> None:
    if period not in PERIODS:
        raise UserFacingError("Kì đánh giá phải là gk1, ck1, gk2 hoặc cn.", field="period")


def previous_period(period: str) -> str | None:
    i = PERIODS.index(period)
    return PERIODS[i - 1] if i else None


def earlier_periods(period: str) -> tuple[str, ...]:
    """The periods before `period`, latest first."""
    return tuple(reversed(PERIODS[: PERIODS.index(period)]))


def latest_comment(by_period: Mapping[str, str | None], period: str) -> str | None:
    """The latest non-empty comment before `period` (not every period assesses everything)."""
    return next((by_period[p] for p in earlier_periods(period) if by_period.get(p)), None)


# ---------------------------------------------------------------------------- batches


@dataclass(frozen=True)
class CellWrite:
    """One cell of a written batch: old → new as stored text (unchanged when equal)."""

    student_id: int
    column: str
    old: str | None
    new: str | None


def as_text(value: object) -> str | None:
    return None if value is None else str(value)


def parse_batch(
    entries: Sequence[CellEntry],
    students: tuple[StudentRef, ...],
    class_name: str,
    parsers: Mapping[str, Callable[[str], object]],
    label: Callable[[str], str],
) -> list[tuple[StudentRef, str, object]]:
    """Parse every entry with its column's parser; all or nothing: EntryProblems lists every
    invalid entry (the message names the first: student, column, reason)."""
    if not entries:
        raise UserFacingError("Không có ô nào để lưu.")
    out: list[tuple[StudentRef, str, object]] = []
    problems: list[CellProblem] = []
    for entry in entries:
        ref = student_in(students, entry.student_id, class_name)
        parser = parsers.get(entry.column)
        try:
            if parser is None:
                raise EntryError(f"Cột “{entry.column}” không nhập được.")
            out.append((ref, entry.column, parser(entry.raw_text)))
        except EntryError as exc:
            problems.append(CellProblem(entry.student_id, entry.column, exc.message))
    if problems:
        first = problems[0]
        name = next(r.full_name for r in students if r.student_id == first.student_id)
        more = f" (và {len(problems) - 1} ô khác)" if len(problems) > 1 else ""
        raise EntryProblems(
            f"Chưa lưu gì vì có {len(problems)} ô không hợp lệ{more}. "
            f"{name}, cột {label(first.column)}: {first.message}",
            tuple(problems),
        )
    return out


def audit_cell(s: Session, actor: Actor, entity: str, entity_id: str, detail: dict[str, object]) -> None:
    audit.append(s, actor=actor.login, action=AUDIT_ACTION, entity=entity, entity_id=entity_id, detail=detail)


def corrections_of(s: Session, entity: str, entity_ids: Mapping[str, int]) -> dict[tuple[int, str], int]:
    """(student_id, column) → how many times a recorded value of that cell was replaced."""
    out: dict[tuple[int, str], int] = {}
    for (entity_id, column), changes in cell_changes(s, entity, list(entity_ids)).items():
        count = sum(1 for c in changes if c.old is not None)
        if count:
            out[(entity_ids[entity_id], column)] = count
    return out
