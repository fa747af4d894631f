"""The primary mark book (Thông tư 27/2020): subjects and the qualities and competencies.

Two sheets per class and period (giữa HKI, cuối HKI, giữa HKII, cuối năm):
- a subject sheet (class × subject × period): level T/H/C, the integer periodic test score
  where the subject has a test in that period, and the comment; entered by the subject's
  assigned teacher and locked with the subject (`locking`);
- the trait sheet (class × period): the 5 qualities and 10 competencies at T/Đ/C with a
  comment each; entered by the homeroom (class) teacher.

Writes are batches, all or nothing, audited per changed cell like the secondary mark book.
Comments are long at primary, so each row carries the student's latest comment from an
earlier period of the year (giữa HKII, else cuối HKI, …: not every subject is assessed at
mid-term) and `copy_previous_comments` fills the empty ones from it in one step.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import select

from app.errors import UserFacingError
from app.models import PrimaryAssessment
from app.models.db import Database
from app.rules.levels import normalize_code
from app.rules.vnsort import fold
from app.services.access import Actor, can_edit_scores, require_edit_scores, require_view_class
from app.services.markbook_common import (
    PERIOD_NAMES,
    PERIODS,
    CellChange,
    CellWrite,
    Opened,
    as_text,
    audit_cell,
    cell_changes,
    check_period,
    corrections_of,
    earlier_periods,
    latest_comment,
    open_class,
    open_subject,
    parse_batch,
    previous_period,
    require_assigned_or_system,
    require_unlocked,
    require_view_markbook,
    student_in,
    students_of,
)
from app.services.markbook_traits import (
    COMMENT_SUFFIX,
    TRAIT_CODES,
    TRAIT_ENTITY,
    TRAIT_NAMES,
    TraitRow,
    TraitSheet,
    load_traits,
    parse_rating,
    set_traits,
    trait_entity_id,
)
from app.services.record_lock import require_values_open
from app.services.score_entry import CellEntry, EntryError, column_label, parse_comment, parse_integer_score

__all__ = [
    "COMMENT_SUFFIX",
    "PERIODS",
    "PERIOD_NAMES",
    "TRAIT_CODES",
    "TRAIT_NAMES",
    "PrimaryChange",
    "PrimaryMarkbook",
    "PrimaryRow",
    "TraitRow",
    "TraitSheet",
    "copy_previous_comments",
    "has_test",
    "load_primary_markbook",
    "load_traits",
    "parse_level",
    "parse_rating",
    "primary_cell_history",
    "set_primary_values",
    "set_traits",
]

# TT27 Điều 7: grades 4–5 also have mid-term tests in Tiếng Việt and Toán (stable codes).
_MIDTERM_TEST_SUBJECTS: Final = ("tiengviet", "toan")
_MIDTERM_TEST_GRADES: Final = (4, 5)
SUBJECT_ENTITY: Final = "primary_assessment"
# The trait sheet's names, kept importable from here for the screens and tests.
PrimaryChange = CellWrite

_LEVEL_WORDS: Final = {
    "t": "T",
    "htt": "T",
    "hoanthanhtot": "T",
    "h": "H",
    "ht": "H",
    "hoanthanh": "H",
    "c": "C",
    "cht": "C",
    "chuahoanthanh": "C",
}


def parse_level(raw: str) -> str | None:
    """A subject level: T (Hoàn thành tốt), H (Hoàn thành), C (Chưa hoàn thành); None if empty."""
    key = fold(normalize_code(raw)).replace(" ", "")
    if not key:
        return None
    if key in _LEVEL_WORDS:
        return _LEVEL_WORDS[key]
    raise EntryError(
        f"“{raw.strip()}” không phải là mức đánh giá môn học. "
        "Hãy nhập T (Hoàn thành tốt), H (Hoàn thành) hoặc C (Chưa hoàn thành)."
    )


def has_test(subject_code: str, periodic_test: bool, grade: int, period: str) -> bool:
    """Whether the subject has a periodic test score in this period (TT27 Điều 7)."""
    if not periodic_test:
        return False
    if period in ("ck1", "cn"):
        return True
    return subject_code in _MIDTERM_TEST_SUBJECTS and grade in _MIDTERM_TEST_GRADES


# ---------------------------------------------------------------------------- subjects


@dataclass(frozen=True)
class PrimaryRow:
    student_id: int
    enrolment_id: int
    number: int
    full_name: str
    not_assessed: bool
    level: str | None
    test_score: int | None
    comment: str | None
    previous_comment: str | None  # the subject's latest comment from an earlier period


@dataclass(frozen=True)
class PrimaryMarkbook:
    class_id: int
    class_name: str
    grade: int
    year_name: str
    subject_id: int
    subject_code: str
    subject_name: str
    period: str
    previous_period: str | None
    test_column: bool
    rows: tuple[PrimaryRow, ...]
    teacher_name: str | None
    locked_at: datetime | None
    can_edit: bool
    corrections: Mapping[tuple[int, str], int]


def subject_entity_id(enrolment_id: int, subject_id: int, period: str) -> str:
    return f"{enrolment_id}/{subject_id}/{period}"


def _level_subject(opened: Opened) -> None:
    assert opened.subject is not None
    if opened.subject.assessment != "level":
        raise UserFacingError(
            f"Môn {opened.subject.name} đánh giá theo Thông tư 22 (trung học); hãy mở sổ điểm trung học."
        )


def load_primary_markbook(
    db: Database, actor: Actor, class_id: int, subject_id: int, period: str
) -> PrimaryMarkbook:
    check_period(period)
    require_view_markbook(actor, class_id, subject_id)
    with db.read() as s:
        opened = open_subject(s, class_id, subject_id)
        _level_subject(opened)
        subject = opened.subject
        assert subject is not None
        students = students_of(s, class_id)
        previous = previous_period(period)
        found = {
            (a.enrolment_id, a.period): a
            for a in s.scalars(
                select(PrimaryAssessment).where(
                    PrimaryAssessment.subject_id == subject_id,
                    PrimaryAssessment.period.in_([period, *earlier_periods(period)]),
                    PrimaryAssessment.enrolment_id.in_([r.enrolment_id for r in students]),
                )
            )
        }
        rows = []
        for ref in students:
            a = found.get((ref.enrolment_id, period))
            earlier = {
                p: x.comment for p in earlier_periods(period) if (x := found.get((ref.enrolment_id, p)))
            }
            rows.append(
                PrimaryRow(
                    ref.student_id,
                    ref.enrolment_id,
                    ref.number,
                    ref.full_name,
                    ref.not_assessed,
                    a.level if a else None,
                    a.test_score if a else None,
                    a.comment if a else None,
                    latest_comment(earlier, period),
                )
            )
        locked_at = opened.assignment.locked_at if opened.assignment else None
        entity_ids = {subject_entity_id(r.enrolment_id, subject_id, period): r.student_id for r in students}
        return PrimaryMarkbook(
            class_id=class_id,
            class_name=opened.klass.name,
            grade=opened.grade.number,
            year_name=opened.year.name,
            subject_id=subject_id,
            subject_code=subject.code,
            subject_name=subject.name,
            period=period,
            previous_period=previous,
            test_column=has_test(subject.code, subject.periodic_test, opened.grade.number, period),
            rows=tuple(rows),
            teacher_name=opened.teacher_name,
            locked_at=locked_at,
            can_edit=can_edit_scores(actor, class_id, subject_id) and locked_at is None,
            corrections=corrections_of(s, SUBJECT_ENTITY, entity_ids),
        )


def set_primary_values(
    db: Database,
    actor: Actor,
    class_id: int,
    subject_id: int,
    period: str,
    entries: Sequence[CellEntry],
    *,
    source: str = "typed",
) -> tuple[PrimaryChange, ...]:
    """Write levels ("level"), test scores ("test") and comments ("comment"), all or nothing."""
    check_period(period)
    with db.write() as s:
        opened = open_subject(s, class_id, subject_id)
        _level_subject(opened)
        require_edit_scores(actor, class_id, subject_id)
        require_assigned_or_system(actor, opened)
        require_unlocked(opened)
        subject = opened.subject
        assert subject is not None
        parsers: dict[str, Callable[[str], object]] = {"level": parse_level, "comment": parse_comment}
        if has_test(subject.code, subject.periodic_test, opened.grade.number, period):
            parsers["test"] = parse_integer_score
        parsed = parse_batch(entries, students_of(s, class_id), opened.klass.name, parsers, column_label)
        require_values_open(s, [ref.enrolment_id for ref, _, _ in parsed])  # issued records
        found = {
            a.enrolment_id: a
            for a in s.scalars(
                select(PrimaryAssessment).where(
                    PrimaryAssessment.subject_id == subject_id,
                    PrimaryAssessment.period == period,
                    PrimaryAssessment.enrolment_id.in_([ref.enrolment_id for ref, _, _ in parsed]),
                )
            )
        }
        attribute = {"level": "level", "test": "test_score", "comment": "comment"}
        changes = []
        for ref, column, new in parsed:
            row = found.get(ref.enrolment_id)
            old = getattr(row, attribute[column]) if row else None
            if old != new:
                if row is None:
                    row = PrimaryAssessment(
                        enrolment_id=ref.enrolment_id, subject_id=subject_id, period=period
                    )
                    s.add(row)
                    found[ref.enrolment_id] = row
                setattr(row, attribute[column], new)
                s.flush()
                audit_cell(
                    s,
                    actor,
                    SUBJECT_ENTITY,
                    subject_entity_id(ref.enrolment_id, subject_id, period),
                    {
                        "class_id": class_id,
                        "subject_id": subject_id,
                        "period": period,
                        "student_id": ref.student_id,
                        "column": column,
                        "old": old,
                        "new": new,
                        "source": source,
                    },
                )
            changes.append(PrimaryChange(ref.student_id, column, as_text(old), as_text(new)))
        return tuple(changes)


# ---------------------------------------------------------------------------- comments, history


def copy_previous_comments(
    db: Database, actor: Actor, class_id: int, subject_id: int | None, period: str
) -> int:
    """Fill the empty comments of this period from each student's latest earlier one (subject sheet, or
    the trait sheet when `subject_id` is None); returns how many comments were filled.
    Written comments are never overwritten: the copy is a draft to edit."""
    check_period(period)
    if previous_period(period) is None:
        raise UserFacingError("Giữa học kì I là kì đầu tiên của năm học, không có kì trước để chép nhận xét.")
    entries: list[CellEntry] = []
    if subject_id is None:
        sheet = load_traits(db, actor, class_id, period)
        for row in sheet.rows:
            for code, now, before in zip(TRAIT_CODES, row.comments, row.previous_comments, strict=True):
                if before and not now:
                    entries.append(CellEntry(row.student_id, code + COMMENT_SUFFIX, before))
        if entries:
            set_traits(db, actor, class_id, period, entries, source="copy")
        return len(entries)
    book = load_primary_markbook(db, actor, class_id, subject_id, period)
    entries = [
        CellEntry(r.student_id, "comment", r.previous_comment)
        for r in book.rows
        if r.previous_comment and not r.comment
    ]
    if entries:
        set_primary_values(db, actor, class_id, subject_id, period, entries, source="copy")
    return len(entries)


def primary_cell_history(
    db: Database,
    actor: Actor,
    class_id: int,
    subject_id: int | None,
    period: str,
    student_id: int,
    column: str,
) -> tuple[CellChange, ...]:
    """Every recorded change of one cell of a subject sheet (or of the trait sheet when
    `subject_id` is None), newest first."""
    check_period(period)
    if subject_id is None:
        require_view_class(actor, class_id)
    else:
        require_view_markbook(actor, class_id, subject_id)
    with db.read() as s:
        klass, _grade, _year, _level = open_class(s, class_id)
        ref = student_in(students_of(s, class_id), student_id, klass.name)
        if subject_id is None:
            entity, entity_id = TRAIT_ENTITY, trait_entity_id(ref.enrolment_id, period)
        else:
            entity, entity_id = SUBJECT_ENTITY, subject_entity_id(ref.enrolment_id, subject_id, period)
        found = cell_changes(s, entity, [entity_id], column)
        return tuple(reversed(found.get((entity_id, column), [])))
