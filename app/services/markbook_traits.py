"""Thông tư 27: the 5 qualities (phẩm chất) and 10 competencies (năng lực) of a primary
class in one period, rated T (Tốt) / Đ (Đạt) / C (Cần cố gắng) with a comment each.

Kept by the homeroom (class) teacher; everyone who may see the class may read it. Writes
are batches, all or nothing, audited per changed cell like the subject sheets.
Columns are a trait's code for its level and code + ".comment" for its comment.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from sqlalchemy import select

from app.models import PrimaryTrait, UserAccount
from app.models.db import Database
from app.rules import tt27
from app.rules.levels import normalize_code
from app.rules.vnsort import fold
from app.services.access import Actor, can_edit_homeroom, require_homeroom, require_view_class
from app.services.markbook_common import (
    CellWrite,
    as_text,
    audit_cell,
    check_period,
    corrections_of,
    earlier_periods,
    latest_comment,
    open_class,
    parse_batch,
    previous_period,
    students_of,
)
from app.services.record_lock import require_values_open
from app.services.score_entry import CellEntry, EntryError, column_label, parse_comment

__all__ = [
    "COMMENT_SUFFIX",
    "TRAIT_CODES",
    "TRAIT_ENTITY",
    "TRAIT_NAMES",
    "TraitRow",
    "TraitSheet",
    "load_traits",
    "parse_rating",
    "set_traits",
    "trait_entity_id",
]

TRAIT_CODES: Final = (*tt27.QUALITIES, *tt27.ALL_COMPETENCIES)
TRAIT_NAMES: Final = {**tt27.QUALITIES, **tt27.ALL_COMPETENCIES}
TRAIT_KINDS: Final = {
    **dict.fromkeys(tt27.QUALITIES, "quality"),
    **dict.fromkeys(tt27.ALL_COMPETENCIES, "competency"),
}
TRAIT_ENTITY: Final = "primary_trait"
COMMENT_SUFFIX: Final = ".comment"

_RATING_WORDS: Final = {
    "t": "T",
    "tot": "T",
    "d": "Đ",
    "dd": "Đ",
    "dat": "Đ",
    "c": "C",
    "ccg": "C",
    "cancogang": "C",
}


def parse_rating(raw: str) -> str | None:
    """A quality or competency: T (Tốt), Đ (Đạt), C (Cần cố gắng); None if empty."""
    key = fold(normalize_code(raw)).replace(" ", "")
    if not key:
        return None
    if key in _RATING_WORDS:
        return _RATING_WORDS[key]
    raise EntryError(
        f"“{raw.strip()}” không phải là mức đánh giá phẩm chất, năng lực. "
        "Hãy nhập T (Tốt), Đ (Đạt) hoặc C (Cần cố gắng)."
    )


@dataclass(frozen=True)
class TraitRow:
    student_id: int
    enrolment_id: int
    number: int
    full_name: str
    not_assessed: bool
    levels: tuple[str | None, ...]  # in TRAIT_CODES order
    comments: tuple[str | None, ...]
    previous_comments: tuple[str | None, ...]  # each trait's latest comment from an earlier period

    def value(self, column: str) -> str | None:
        if column.endswith(COMMENT_SUFFIX):
            return self.comments[TRAIT_CODES.index(column.removesuffix(COMMENT_SUFFIX))]
        return self.levels[TRAIT_CODES.index(column)]


@dataclass(frozen=True)
class TraitSheet:
    class_id: int
    class_name: str
    grade: int
    year_name: str
    period: str
    previous_period: str | None
    rows: tuple[TraitRow, ...]
    homeroom_name: str | None
    can_edit: bool
    corrections: Mapping[tuple[int, str], int]


def trait_entity_id(enrolment_id: int, period: str) -> str:
    """The audit log's entity_id of one student's traits in one period."""
    return f"{enrolment_id}/{period}"


def trait_label(column: str) -> str:
    return TRAIT_NAMES.get(column.removesuffix(COMMENT_SUFFIX)) or column_label(column)


def load_traits(db: Database, actor: Actor, class_id: int, period: str) -> TraitSheet:
    check_period(period)
    require_view_class(actor, class_id)
    earlier = earlier_periods(period)
    with db.read() as s:
        klass, grade, year, _level = open_class(s, class_id)
        students = students_of(s, class_id)
        found = {
            (t.enrolment_id, t.code, t.period): t
            for t in s.scalars(
                select(PrimaryTrait).where(
                    PrimaryTrait.enrolment_id.in_([r.enrolment_id for r in students]),
                    PrimaryTrait.period.in_([period, *earlier]),
                )
            )
        }
        rows = []
        for ref in students:
            now = [found.get((ref.enrolment_id, code, period)) for code in TRAIT_CODES]
            before = [
                latest_comment(
                    {p: t.comment for p in earlier if (t := found.get((ref.enrolment_id, code, p)))}, period
                )
                for code in TRAIT_CODES
            ]
            rows.append(
                TraitRow(
                    ref.student_id,
                    ref.enrolment_id,
                    ref.number,
                    ref.full_name,
                    ref.not_assessed,
                    tuple(t.level if t else None for t in now),
                    tuple(t.comment if t else None for t in now),
                    tuple(before),
                )
            )
        homeroom = s.get(UserAccount, klass.homeroom_teacher_id) if klass.homeroom_teacher_id else None
        entity_ids = {trait_entity_id(r.enrolment_id, period): r.student_id for r in students}
        return TraitSheet(
            class_id=class_id,
            class_name=klass.name,
            grade=grade.number,
            year_name=year.name,
            period=period,
            previous_period=previous_period(period),
            rows=tuple(rows),
            homeroom_name=homeroom.full_name if homeroom else None,
            can_edit=can_edit_homeroom(actor, class_id),
            corrections=corrections_of(s, TRAIT_ENTITY, entity_ids),
        )


def set_traits(
    db: Database,
    actor: Actor,
    class_id: int,
    period: str,
    entries: Sequence[CellEntry],
    *,
    source: str = "typed",
) -> tuple[CellWrite, ...]:
    """Write quality/competency levels (column = code) and comments (code + ".comment")."""
    check_period(period)
    require_homeroom(actor, class_id)
    with db.write() as s:
        klass, _grade, _year, _level = open_class(s, class_id)
        parsers: dict[str, Callable[[str], object]] = dict.fromkeys(TRAIT_CODES, parse_rating)
        parsers |= {code + COMMENT_SUFFIX: parse_comment for code in TRAIT_CODES}
        parsed = parse_batch(entries, students_of(s, class_id), klass.name, parsers, trait_label)
        require_values_open(s, [ref.enrolment_id for ref, _, _ in parsed])  # issued records
        found = {
            (t.enrolment_id, t.code): t
            for t in s.scalars(
                select(PrimaryTrait).where(
                    PrimaryTrait.period == period,
                    PrimaryTrait.enrolment_id.in_([ref.enrolment_id for ref, _, _ in parsed]),
                )
            )
        }
        changes = []
        for ref, column, new in parsed:
            is_comment = column.endswith(COMMENT_SUFFIX)
            code = column.removesuffix(COMMENT_SUFFIX)
            row = found.get((ref.enrolment_id, code))
            old = (row.comment if is_comment else row.level) if row else None
            if old != new:
                if row is None:
                    row = PrimaryTrait(
                        enrolment_id=ref.enrolment_id, kind=TRAIT_KINDS[code], code=code, period=period
                    )
                    s.add(row)
                    found[(ref.enrolment_id, code)] = row
                if is_comment:
                    row.comment = as_text(new)
                else:
                    row.level = as_text(new)
                s.flush()
                audit_cell(
                    s,
                    actor,
                    TRAIT_ENTITY,
                    trait_entity_id(ref.enrolment_id, period),
                    {
                        "class_id": class_id,
                        "period": period,
                        "student_id": ref.student_id,
                        "column": column,
                        "old": old,
                        "new": new,
                        "source": source,
                    },
                )
            changes.append(CellWrite(ref.student_id, column, as_text(old), as_text(new)))
        return tuple(changes)
