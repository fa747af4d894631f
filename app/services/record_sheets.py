"""Build the class subject sheets (app.documents.sheet_record) from the database.

One sheet per class × subject × term: secondary term sheets list each student's ĐĐGtx,
ĐĐGgk, ĐĐGck and the semester average (or Đ/CĐ checks and result); the year sheet the two
semester averages, the year average and the re-assessment; primary sheets the level, the
periodic test score and the comment at the end of HKI and of the year. Values are computed
with the rules engine, one subject at a time, so a sheet can be issued as soon as its own
mark book is complete. Missing data refuses the whole sheet, naming the student and field.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select

from app.documents.record import SheetTerm, sheet_uuid
from app.documents.sheet_record import SheetColumn, SheetRow, SubjectSheet
from app.errors import UserFacingError
from app.models import PrimaryAssessment, Subject
from app.models.db import Database
from app.rules import tt22
from app.rules.errors import RuleInputError
from app.services.access import SYSTEM, Actor, require_view_class
from app.services.class_results import _SecondaryLoader
from app.services.records import ClassContext

__all__ = ["ALL_TERMS", "class_sheets"]

ALL_TERMS: tuple[SheetTerm, ...] = ("hocky1", "hocky2", "canam")
_PRIMARY_PERIOD = {"hocky1": "ck1", "canam": "cn"}
_SEMESTER_NUMBER = {"hocky1": 1, "hocky2": 2}


def _refused(student: str, code: str, subject: str, term: str, detail: str, field: str) -> UserFacingError:
    return UserFacingError(
        f"Chưa lập được bảng điểm môn {subject} ({term}): học sinh {student} (mã học sinh {code}) — {detail}",
        field=field,
    )


def class_sheets(
    db: Database,
    class_id: int,
    *,
    terms: Sequence[SheetTerm] = ALL_TERMS,
    actor: Actor = SYSTEM,
    issued_on: date | None = None,
) -> tuple[SubjectSheet, ...]:
    """Every subject sheet of the class for `terms` (primary has no separate HKII sheet)."""
    require_view_class(actor, class_id)
    with db.read() as s:
        ctx = ClassContext(s, class_id)
        primary_rows: dict[tuple[int, int, str], PrimaryAssessment] = {}
        if ctx.primary:
            for a in s.scalars(
                select(PrimaryAssessment).where(
                    PrimaryAssessment.enrolment_id.in_(ctx.loader.enrolment_ids),
                    PrimaryAssessment.period.in_(("ck1", "cn")),
                )
            ):
                primary_rows[(a.enrolment_id, a.subject_id, a.period)] = a
        sheets = []
        for subject in ctx.subjects:
            teacher = ctx.teachers.get(subject.id)
            if not teacher:
                raise UserFacingError(
                    f"Môn {subject.name} của lớp {ctx.klass.name} chưa phân công giáo viên, nên chưa "
                    "lập được bảng điểm môn. Hãy phân công giáo viên môn học trước.",
                    field="teaching_assignment",
                )
            for term in terms:
                if ctx.primary and term not in _PRIMARY_PERIOD:
                    continue
                if ctx.primary:
                    columns, rows = _primary_rows(ctx, subject, term, primary_rows)
                    kind = "mucdat"
                else:
                    columns, rows = _secondary_rows(ctx, subject, term)
                    kind = "nhanxet" if subject.assessment == "comment" else "diem"
                sheets.append(
                    SubjectSheet(
                        sheet_id=sheet_uuid(
                            ctx.school.school_code, ctx.year.name, ctx.klass.name, subject.code, term
                        ),
                        version=1,
                        issued_on=issued_on or _term_end(ctx, term),
                        school=ctx.school,
                        year_name=ctx.year.name,
                        class_name=ctx.klass.name,
                        grade=ctx.grade.number,
                        subject_code=subject.code,
                        subject_name=subject.name,
                        kind=kind,
                        term=term,
                        teacher=teacher,
                        columns=columns,
                        rows=rows,
                    )
                )
        return tuple(sheets)


def _term_end(ctx: ClassContext, term: str) -> date:
    if term == "hocky1":
        for semester in ctx.year.semesters:
            if semester.number == 1:
                return semester.end_date
    return ctx.year.end_date


def _secondary_rows(
    ctx: ClassContext, subject: Subject, term: SheetTerm
) -> tuple[tuple[SheetColumn, ...], tuple[SheetRow, ...]]:
    loader = ctx.loader
    assert isinstance(loader, _SecondaryLoader)
    comment_only = subject.assessment == "comment"
    term_word = {"hocky1": "học kì I", "hocky2": "học kì II", "canam": "cả năm"}[term]
    rows = []
    if term == "canam":
        columns: tuple[SheetColumn, ...] = (
            SheetColumn("hocky1", "HKI"),
            SheetColumn("hocky2", "HKII"),
            SheetColumn("canam", "Cả năm"),
            SheetColumn("danhgialai", "Đánh giá lại"),
        )
    else:
        n_tx = max(
            (
                len(a.tx)
                for (e, sid, sem), a in loader.assessments.items()
                if sid == subject.id and sem == _SEMESTER_NUMBER[term]
            ),
            default=tt22.required_tx_count(subject.lessons_per_year),
        )
        average = "Kết quả" if comment_only else "ĐTBmhk"
        columns = (
            *(SheetColumn(f"tx{i}", str(i), "ĐĐGtx") for i in range(1, n_tx + 1)),
            SheetColumn("gk", "ĐĐGgk"),
            SheetColumn("ck", "ĐĐGck"),
            SheetColumn("tbm", average),
        )
    for number, (enrolment, student) in enumerate(loader.pairs, start=1):
        if student.disabled_not_assessed:
            rows.append(
                SheetRow(
                    number,
                    student.student_code,
                    student.full_name,
                    (None,) * len(columns),
                    None,
                    not_assessed=True,
                )
            )
            continue
        field = f"{subject.code}.{term}"
        try:
            values, comment = _secondary_values(loader, enrolment.id, subject, term, len(columns))
        except RuleInputError as exc:
            raise _refused(
                student.full_name,
                student.student_code,
                subject.name,
                term_word,
                exc.message,
                f"{field}.{exc.field}",
            ) from exc
        rows.append(SheetRow(number, student.student_code, student.full_name, values, comment))
    return columns, tuple(rows)


def _fmt(v: object) -> str:
    if isinstance(v, bool):
        return "Đ" if v else "CĐ"
    return f"{v:.1f}"


def _secondary_values(
    loader: _SecondaryLoader, enrolment_id: int, subject: Subject, term: SheetTerm, width: int
) -> tuple[tuple[str | None, ...], str | None]:
    lessons = subject.lessons_per_year
    semesters = {n: loader._semester(enrolment_id, subject, n) for n in (1, 2)}

    def result(n: int) -> object:
        sem = semesters[n]
        if isinstance(sem, tt22.ScoredSemester):
            return tt22.semester_average(sem, lessons, field=f"hk{n}")
        assert isinstance(sem, tt22.CommentSemester)
        return tt22.comment_semester_result(sem, lessons, field=f"hk{n}")

    if term == "canam":
        hk1, hk2 = result(1), result(2)
        year = tt22.year_average(hk1, hk2) if not isinstance(hk1, bool) else hk2  # type: ignore[arg-type]
        re_raw = loader.reassessments.get((enrolment_id, subject.id))
        row = loader.assessments.get((enrolment_id, subject.id, 2))
        return (_fmt(hk1), _fmt(hk2), _fmt(year), re_raw), (row.comment if row else None)
    n = _SEMESTER_NUMBER[term]
    average = result(n)
    a = loader.assessments.get((enrolment_id, subject.id, n))
    assert a is not None  # result() raised otherwise
    # Gaps (a cleared TX cell) stay empty in the sheet.
    tx: list[str | None] = [None if v is None else v.replace(",", ".") for v in a.tx]
    tx += [None] * (width - 3 - len(tx))
    return (*tx, a.gk, a.ck, _fmt(average)), a.comment


def _primary_rows(
    ctx: ClassContext, subject: Subject, term: SheetTerm, found: dict[tuple[int, int, str], PrimaryAssessment]
) -> tuple[tuple[SheetColumn, ...], tuple[SheetRow, ...]]:
    period = _PRIMARY_PERIOD[term]
    columns: tuple[SheetColumn, ...] = (SheetColumn("mucdat", "Mức đạt được"),)
    if subject.periodic_test:
        columns = (*columns, SheetColumn("diemktdk", "Điểm KTĐK"))
    term_word = "cuối học kì I" if term == "hocky1" else "cuối năm học"
    rows = []
    for number, (enrolment, student) in enumerate(ctx.loader.pairs, start=1):
        if student.disabled_not_assessed:
            rows.append(
                SheetRow(
                    number,
                    student.student_code,
                    student.full_name,
                    (None,) * len(columns),
                    None,
                    not_assessed=True,
                )
            )
            continue
        a = found.get((enrolment.id, subject.id, period))
        if a is None or a.level is None:
            raise _refused(
                student.full_name,
                student.student_code,
                subject.name,
                term_word,
                "chưa có mức đạt được.",
                f"{subject.code}.{term}.mucdat",
            )
        values: tuple[str | None, ...] = (a.level,)
        if subject.periodic_test:
            if a.test_score is None:
                raise _refused(
                    student.full_name,
                    student.student_code,
                    subject.name,
                    term_word,
                    "chưa có điểm kiểm tra định kì.",
                    f"{subject.code}.{term}.diemktdk",
                )
            values = (a.level, str(a.test_score))
        rows.append(SheetRow(number, student.student_code, student.full_name, values, a.comment))
    return columns, tuple(rows)
