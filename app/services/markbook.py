"""The secondary mark book (Thông tư 22/2021): one class × subject × semester as a grid.

`load_markbook` returns the grid as frozen dataclasses: the students in Vietnamese order,
as many continuous-assessment columns (TX) as the subject's lessons require
(`required_tx_count`) plus any extra already entered, mid-term (GK), end-of-term (CK),
the comment, and the semester and year averages computed by the rules engine.

`set_scores` writes what teachers typed or pasted, all or nothing: every value is parsed
(`score_entry`), the lock and the teacher's assignment are checked inside the write
transaction, and every changed cell gets one audit entry (who, when, old → new) in the
same transaction. `cell_history` reads a cell's changes back from the audit log.

`row_results` is pure: the item model calls it on every keystroke to show the averages
before the write has even reached the disk.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import UserFacingError
from app.models import SecondaryAssessment
from app.models.db import Database
from app.rules import tt22
from app.services import audit
from app.services.access import Actor, can_edit_scores, require_edit_scores
from app.services.markbook_common import (
    CellChange,
    Opened,
    StudentRef,
    as_text,
    cell_changes,
    open_subject,
    parse_batch,
    require_assigned_or_system,
    require_unlocked,
    require_view_markbook,
    student_in,
    students_of,
)
from app.services.markbook_results import SemesterResult, exempt, row_results, semester_result
from app.services.record_lock import require_values_open
from app.services.score_entry import (
    COLUMN_CK,
    COLUMN_COMMENT,
    COLUMN_GK,
    MAX_TX_COLUMNS,
    CellEntry,
    CellProblem,
    EntryError,
    EntryProblems,
    SecondaryKind,
    column_label,
    parse_secondary_cell,
    tx_column,
    tx_index,
)

__all__ = [
    "AUDIT_ENTITY",
    "CellEntry",
    "CellProblem",
    "EntryProblems",
    "MarkRow",
    "Markbook",
    "ScoreChange",
    "SemesterResult",
    "cell_entity_id",
    "cell_history",
    "copy_comments_from_first_semester",
    "load_markbook",
    "row_results",
    "set_score",
    "set_scores",
]

AUDIT_ENTITY: Final = "secondary_assessment"
AUDIT_ACTION: Final = "score.set"


@dataclass(frozen=True)
class MarkRow:
    student_id: int
    enrolment_id: int
    number: int
    full_name: str
    not_assessed: bool
    tx: tuple[str | None, ...]  # stored texts, one per TX column of the mark book
    gk: str | None
    ck: str | None
    comment: str | None
    semester: SemesterResult  # this semester: ĐTBmhk or Đạt/Chưa đạt
    other: SemesterResult  # the other semester (read-only here, needed for the year)
    year: SemesterResult  # ĐTBmcn, or the comment subject's year result

    def value(self, column: str) -> str | None:
        index = tx_index(column)
        if index is not None:
            return self.tx[index] if index < len(self.tx) else None
        return {COLUMN_GK: self.gk, COLUMN_CK: self.ck, COLUMN_COMMENT: self.comment}[column]

    def with_value(self, column: str, stored: str | None, book: Markbook) -> MarkRow:
        """This row with one cell changed and its results recomputed (pure, no database)."""
        index = tx_index(column)
        if index is not None:
            tx = list(self.tx) + [None] * (index + 1 - len(self.tx))
            tx[index] = stored
            changed = replace(self, tx=tuple(tx))
        elif column == COLUMN_COMMENT:
            return replace(self, comment=stored)
        else:
            changed = replace(self, gk=stored) if column == COLUMN_GK else replace(self, ck=stored)
        this, year = row_results(
            book.kind, book.lessons_per_year, book.semester, changed.tx, changed.gk, changed.ck, self.other
        )
        return replace(
            changed, semester=exempt(this, self.not_assessed), year=exempt(year, self.not_assessed)
        )


@dataclass(frozen=True)
class Markbook:
    class_id: int
    class_name: str
    year_name: str
    level: str  # thcs / thpt
    subject_id: int
    subject_code: str
    subject_name: str
    kind: SecondaryKind  # "score" or "comment" (Đ/CĐ)
    lessons_per_year: int
    semester: int
    tx_required: int
    tx_columns: int
    rows: tuple[MarkRow, ...]
    teacher_name: str | None
    locked_at: datetime | None
    can_edit: bool  # the actor may type here now (assigned teacher, not locked)
    # (student_id, column) → how many times a recorded value was changed afterwards.
    corrections: Mapping[tuple[int, str], int]

    @property
    def entry_columns(self) -> tuple[str, ...]:
        return (*(tx_column(i) for i in range(self.tx_columns)), COLUMN_GK, COLUMN_CK, COLUMN_COMMENT)

    def row_of(self, student_id: int) -> MarkRow:
        for row in self.rows:
            if row.student_id == student_id:
                return row
        raise KeyError(student_id)


@dataclass(frozen=True)
class ScoreChange:
    student_id: int
    column: str
    old: str | None
    new: str | None
    row: MarkRow  # the student's row after the change, results recomputed

    @property
    def changed(self) -> bool:
        return self.old != self.new


# ---------------------------------------------------------------------------- loading


def cell_entity_id(enrolment_id: int, subject_id: int, semester: int) -> str:
    """The audit log's entity_id of one student × subject × semester."""
    return f"{enrolment_id}/{subject_id}/{semester}"


def _check_semester(semester: int) -> None:
    if semester not in (1, 2):
        raise UserFacingError("Học kì phải là 1 hoặc 2.", field="semester")


def _kind(opened: Opened) -> SecondaryKind:
    assert opened.subject is not None
    if opened.subject.assessment == "score":
        return "score"
    if opened.subject.assessment == "comment":
        return "comment"
    raise UserFacingError(
        f"Môn {opened.subject.name} đánh giá theo Thông tư 27 (tiểu học); hãy mở sổ theo dõi tiểu học."
    )


def _assessments(
    s: Session, enrolment_ids: Sequence[int], subject_id: int
) -> dict[tuple[int, int], SecondaryAssessment]:
    return {
        (a.enrolment_id, a.semester): a
        for a in s.scalars(
            select(SecondaryAssessment).where(
                SecondaryAssessment.enrolment_id.in_(list(enrolment_ids)),
                SecondaryAssessment.subject_id == subject_id,
            )
        )
    }


def _tx_of(a: SecondaryAssessment | None) -> list[str | None]:
    return list(a.tx) if a is not None and a.tx else []


def _build_row(
    ref: StudentRef,
    kind: SecondaryKind,
    lessons: int,
    semester: int,
    this: SecondaryAssessment | None,
    other: SecondaryAssessment | None,
    width: int,
) -> MarkRow:
    tx = _tx_of(this)
    tx += [None] * (width - len(tx))
    gk = this.gk if this else None
    ck = this.ck if this else None
    other_result = semester_result(
        kind, lessons, _tx_of(other), other.gk if other else None, other.ck if other else None
    )
    result, year = row_results(kind, lessons, semester, tx, gk, ck, other_result)
    no_assessment = ref.not_assessed
    return MarkRow(
        student_id=ref.student_id,
        enrolment_id=ref.enrolment_id,
        number=ref.number,
        full_name=ref.full_name,
        not_assessed=ref.not_assessed,
        tx=tuple(tx),
        gk=gk,
        ck=ck,
        comment=this.comment if this else None,
        semester=exempt(result, no_assessment),
        other=exempt(other_result, no_assessment),
        year=exempt(year, no_assessment),
    )


def load_markbook(db: Database, actor: Actor, class_id: int, subject_id: int, semester: int) -> Markbook:
    """The mark book of a class × subject × semester, for viewing (everyone allowed) and entry."""
    _check_semester(semester)
    require_view_markbook(actor, class_id, subject_id)
    with db.read() as s:
        opened = open_subject(s, class_id, subject_id)
        kind = _kind(opened)
        subject = opened.subject
        assert subject is not None
        students = students_of(s, class_id)
        by_key = _assessments(s, [r.enrolment_id for r in students], subject_id)
        required = tt22.required_tx_count(subject.lessons_per_year)
        entered = max((len(_tx_of(by_key.get((r.enrolment_id, semester)))) for r in students), default=0)
        width = min(MAX_TX_COLUMNS, max(required, entered))
        other_semester = 2 if semester == 1 else 1
        rows = tuple(
            _build_row(
                ref,
                kind,
                subject.lessons_per_year,
                semester,
                by_key.get((ref.enrolment_id, semester)),
                by_key.get((ref.enrolment_id, other_semester)),
                width,
            )
            for ref in students
        )
        corrections = _corrections(s, students, subject_id, semester)
        locked_at = opened.assignment.locked_at if opened.assignment else None
        return Markbook(
            class_id=class_id,
            class_name=opened.klass.name,
            year_name=opened.year.name,
            level=opened.level,
            subject_id=subject_id,
            subject_code=subject.code,
            subject_name=subject.name,
            kind=kind,
            lessons_per_year=subject.lessons_per_year,
            semester=semester,
            tx_required=required,
            tx_columns=width,
            rows=rows,
            teacher_name=opened.teacher_name,
            locked_at=locked_at,
            can_edit=can_edit_scores(actor, class_id, subject_id) and locked_at is None,
            corrections=corrections,
        )


def _corrections(
    s: Session, students: Sequence[StudentRef], subject_id: int, semester: int
) -> dict[tuple[int, str], int]:
    by_entity = {cell_entity_id(r.enrolment_id, subject_id, semester): r.student_id for r in students}
    out: dict[tuple[int, str], int] = {}
    for (entity_id, column), changes in cell_changes(s, AUDIT_ENTITY, list(by_entity)).items():
        count = sum(1 for c in changes if c.old is not None)
        if count:
            out[(by_entity[entity_id], column)] = count
    return out


# ---------------------------------------------------------------------------- writing


def set_score(
    db: Database,
    actor: Actor,
    class_id: int,
    subject_id: int,
    semester: int,
    student_id: int,
    column: str,
    raw_text: str,
) -> ScoreChange:
    """Write one cell as typed ("7,5", "Đ", a comment; "" clears it). Raises EntryError
    (the reason, in Vietnamese) for a value that cannot go into that cell."""
    try:
        (change,) = set_scores(
            db, actor, class_id, subject_id, semester, [CellEntry(student_id, column, raw_text)]
        )
    except EntryProblems as exc:
        raise EntryError(exc.problems[0].message, field=column) from None
    return change


def set_scores(
    db: Database,
    actor: Actor,
    class_id: int,
    subject_id: int,
    semester: int,
    entries: Sequence[CellEntry],
    *,
    source: str = "typed",
) -> tuple[ScoreChange, ...]:
    """Write a batch of cells (one keystroke or a pasted block) in one transaction, all or
    nothing: if any entry is invalid, EntryProblems lists every invalid one and nothing is
    written. Unchanged values are not audited."""
    _check_semester(semester)
    with db.write() as s:
        opened = open_subject(s, class_id, subject_id)
        kind = _kind(opened)
        require_edit_scores(actor, class_id, subject_id)
        require_assigned_or_system(actor, opened)
        require_unlocked(opened)
        subject = opened.subject
        assert subject is not None
        students = students_of(s, class_id)
        parsed = [
            (ref.student_id, column, as_text(value))
            for ref, column, value in parse_batch(
                entries, students, opened.klass.name, _parsers(kind), column_label
            )
        ]
        refs = {ref.student_id: ref for ref in students}
        require_values_open(s, [refs[sid].enrolment_id for sid, _, _ in parsed])  # issued records
        touched = sorted({sid for sid, _, _ in parsed})
        by_key = _assessments(s, [refs[sid].enrolment_id for sid in touched], subject_id)
        changes: list[tuple[int, str, str | None, str | None]] = []
        for student_id, column, new in parsed:
            ref = refs[student_id]
            row = by_key.get((ref.enrolment_id, semester))
            old = _stored_value(row, column)
            if old == new:
                changes.append((student_id, column, old, new))
                continue
            if row is None:
                row = SecondaryAssessment(
                    enrolment_id=ref.enrolment_id, subject_id=subject_id, semester=semester, tx=[]
                )
                s.add(row)
                by_key[(ref.enrolment_id, semester)] = row
            _store(row, column, new)
            s.flush()
            audit.append(
                s,
                actor=actor.login,
                action=AUDIT_ACTION,
                entity=AUDIT_ENTITY,
                entity_id=cell_entity_id(ref.enrolment_id, subject_id, semester),
                detail={
                    "class_id": class_id,
                    "subject_id": subject_id,
                    "semester": semester,
                    "student_id": student_id,
                    "column": column,
                    "old": old,
                    "new": new,
                    "source": source,
                },
            )
            changes.append((student_id, column, old, new))
        other_semester = 2 if semester == 1 else 1
        rows = {}
        for sid in touched:
            ref = refs[sid]
            this = by_key.get((ref.enrolment_id, semester))
            width = max(len(_tx_of(this)), tt22.required_tx_count(subject.lessons_per_year))
            rows[sid] = _build_row(
                ref,
                kind,
                subject.lessons_per_year,
                semester,
                this,
                by_key.get((ref.enrolment_id, other_semester)),
                width,
            )
        return tuple(ScoreChange(sid, col, old, new, rows[sid]) for sid, col, old, new in changes)


def _parsers(kind: SecondaryKind) -> dict[str, Callable[[str], object]]:
    columns = [tx_column(i) for i in range(MAX_TX_COLUMNS)] + [COLUMN_GK, COLUMN_CK, COLUMN_COMMENT]
    return {column: partial(parse_secondary_cell, kind, column) for column in columns}


def _stored_value(row: SecondaryAssessment | None, column: str) -> str | None:
    if row is None:
        return None
    index = tx_index(column)
    if index is not None:
        tx = _tx_of(row)
        return tx[index] if index < len(tx) else None
    return {COLUMN_GK: row.gk, COLUMN_CK: row.ck, COLUMN_COMMENT: row.comment}[column]


def _store(row: SecondaryAssessment, column: str, value: str | None) -> None:
    index = tx_index(column)
    if index is not None:
        tx = _tx_of(row) + [None] * max(0, index + 1 - len(_tx_of(row)))
        tx[index] = value
        while tx and tx[-1] is None:
            tx.pop()  # no trailing gaps; a gap inside stays where the teacher left it
        row.tx = tx  # type: ignore[assignment]  # a new list, so SQLAlchemy sees the change
    elif column == COLUMN_GK:
        row.gk = value
    elif column == COLUMN_CK:
        row.ck = value
    else:
        row.comment = value


def copy_comments_from_first_semester(
    db: Database, actor: Actor, class_id: int, subject_id: int
) -> tuple[ScoreChange, ...]:
    """Fill each empty semester II comment with the student's semester I comment (a start
    to edit, not a final text); comments already written are left alone."""
    book = load_markbook(db, actor, class_id, subject_id, 1)
    current = load_markbook(db, actor, class_id, subject_id, 2)
    entries = [
        CellEntry(row.student_id, COLUMN_COMMENT, row.comment)
        for row in book.rows
        if row.comment and not current.row_of(row.student_id).comment
    ]
    if not entries:
        return ()
    return set_scores(db, actor, class_id, subject_id, 2, entries, source="copy")


# ---------------------------------------------------------------------------- history


def cell_history(
    db: Database,
    actor: Actor,
    class_id: int,
    subject_id: int,
    semester: int,
    student_id: int,
    column: str,
) -> tuple[CellChange, ...]:
    """Every recorded change of one cell, newest first."""
    _check_semester(semester)
    require_view_markbook(actor, class_id, subject_id)
    with db.read() as s:
        opened = open_subject(s, class_id, subject_id)
        ref = student_in(students_of(s, class_id), student_id, opened.klass.name)
        entity_id = cell_entity_id(ref.enrolment_id, subject_id, semester)
        found = cell_changes(s, AUDIT_ENTITY, [entity_id], column)
        return tuple(reversed(found.get((entity_id, column), [])))
