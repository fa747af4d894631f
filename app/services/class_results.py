"""Read services for the main window: the school overview and a class's year results.

Return frozen dataclasses (never ORM objects), so screens hold plain values and the
session can close before anything is drawn.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.errors import NotFound, UserFacingError
from app.models import (
    Attendance,
    Conduct,
    Enrolment,
    Grade,
    PrimaryAssessment,
    PrimaryTrait,
    Reassessment,
    School,
    SchoolClass,
    SchoolYear,
    SecondaryAssessment,
    Student,
    Subject,
    UserAccount,
)
from app.models.db import Database
from app.rules import tt22, tt27
from app.rules.errors import RuleInputError
from app.rules.identity import mask_national_id
from app.rules.levels import Level
from app.rules.vnsort import name_sort_key
from app.services.access import Actor, can_view_class, require_view_class
from app.services.stored_values import stored_pass, stored_score

LEVEL_BY_CODE = {"02": "tieuhoc", "03": "thcs", "04": "thpt", "05": "thpt"}

PROMOTION_LABELS = {
    "len_lop": "Được lên lớp",
    "ren_luyen_he": "Rèn luyện trong hè",
    "kiem_tra_lai": "Kiểm tra lại",
    "o_lai": "Ở lại lớp",
}
TITLE_LABELS = {"xuat_sac": "Học sinh Xuất sắc", "gioi": "Học sinh Giỏi"}
PRIMARY_RESULT_LABELS = {
    "HTXS": "Hoàn thành xuất sắc",
    "HTT": "Hoàn thành tốt",
    "HT": "Hoàn thành",
    "CHT": "Chưa hoàn thành",
}
SEX_LABELS = {0: "", 1: "Nam", 2: "Nữ"}


@dataclass(frozen=True)
class ClassSummary:
    id: int
    name: str
    grade: int
    homeroom_name: str | None
    student_count: int


@dataclass(frozen=True)
class SchoolOverview:
    school_name: str
    school_code: str
    is_demo: bool
    year_name: str | None
    classes: tuple[ClassSummary, ...]


@dataclass(frozen=True)
class StudentResultRow:
    student_id: int
    number: int  # position in the Vietnamese-ordered class list, from 1
    full_name: str
    sex: str
    date_of_birth: date
    national_id_masked: str
    provisional_id: bool
    learning: str | None  # "Tốt"… or primary "Hoàn thành tốt"…
    conduct: str | None
    sessions_absent: int
    promotion: str | None  # code, see PROMOTION_LABELS (secondary)
    promotion_label: str
    title: str | None  # label
    explanations: tuple[str, ...]
    problem: str | None  # why the year cannot be computed yet (missing data), in Vietnamese


@dataclass(frozen=True)
class ClassResults:
    class_id: int
    class_name: str
    year_name: str
    level: str
    homeroom_name: str | None
    rows: tuple[StudentResultRow, ...]


def school_overview(db: Database, actor: Actor) -> SchoolOverview:
    """The school and the classes of the current year `actor` may see: every class for the
    school-wide roles, else the classes they lead or teach."""
    with db.read() as s:
        school = s.scalar(select(School).order_by(School.id).limit(1))
        if school is None:
            raise UserFacingError(
                "Cơ sở dữ liệu chưa có trường nào. Hãy tạo trường mới hoặc mở trường mẫu (DEMO)."
            )
        year = _current_year(s, school.id)
        classes: tuple[ClassSummary, ...] = ()
        if year is not None:
            counts = dict(
                s.execute(
                    select(Enrolment.class_id, func.count())
                    .join(SchoolClass, SchoolClass.id == Enrolment.class_id)
                    .where(SchoolClass.school_year_id == year.id, Enrolment.end_date.is_(None))
                    .group_by(Enrolment.class_id)
                ).all()
            )
            rows = s.execute(
                select(SchoolClass, Grade.number, UserAccount.full_name)
                .join(Grade, Grade.id == SchoolClass.grade_id)
                .outerjoin(UserAccount, UserAccount.id == SchoolClass.homeroom_teacher_id)
                .where(SchoolClass.school_year_id == year.id)
            ).all()
            classes = tuple(
                sorted(
                    (
                        ClassSummary(c.id, c.name, grade, homeroom, int(counts.get(c.id, 0)))
                        for c, grade, homeroom in rows
                        if can_view_class(actor, c.id)
                    ),
                    key=lambda c: (c.grade, _natural_key(c.name)),
                )
            )
        return SchoolOverview(
            school_name=school.name,
            school_code=school.school_code,
            is_demo=school.is_demo,
            year_name=year.name if year else None,
            classes=classes,
        )


def class_results(db: Database, actor: Actor, class_id: int) -> ClassResults:
    """One class's year results; refused (PermissionDenied) unless `actor` may see the class."""
    require_view_class(actor, class_id)
    with db.read() as s:
        found = s.execute(
            select(SchoolClass, Grade, SchoolYear, UserAccount.full_name)
            .join(Grade, Grade.id == SchoolClass.grade_id)
            .join(SchoolYear, SchoolYear.id == SchoolClass.school_year_id)
            .outerjoin(UserAccount, UserAccount.id == SchoolClass.homeroom_teacher_id)
            .where(SchoolClass.id == class_id)
        ).first()
        if found is None:
            raise NotFound(f"Không tìm thấy lớp có mã {class_id}.")
        klass, grade, year, homeroom = found
        level = LEVEL_BY_CODE.get(grade.level, "thcs")
        loader = _PrimaryLoader(s, klass, grade) if level == "tieuhoc" else _SecondaryLoader(
            s, klass, grade, level
        )
        rows = loader.rows()
        return ClassResults(klass.id, klass.name, year.name, level, homeroom, rows)


def _current_year(s: Session, school_id: int) -> SchoolYear | None:
    return s.scalar(
        select(SchoolYear)
        .where(SchoolYear.school_id == school_id)
        .order_by(SchoolYear.is_current.desc(), SchoolYear.start_date.desc())
        .limit(1)
    )


def _natural_key(name: str) -> tuple[object, ...]:
    # "6A2" before "6A10".
    import re

    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name))


class _ClassLoader:
    """Loads a class's students and everything their year results need in a few queries."""

    def __init__(self, s: Session, klass: SchoolClass, grade: Grade) -> None:
        self.s = s
        self.klass = klass
        self.subjects = tuple(
            s.scalars(
                select(Subject)
                .where(Subject.school_year_id == klass.school_year_id, Subject.grade_id == grade.id)
                .order_by(Subject.sort_order, Subject.id)
            )
        )
        pairs = s.execute(
            select(Enrolment, Student)
            .join(Student, Student.id == Enrolment.student_id)
            .where(Enrolment.class_id == klass.id, Enrolment.end_date.is_(None))
        ).all()
        self.pairs = sorted(pairs, key=lambda p: name_sort_key(p[1].full_name))
        self.enrolment_ids = [e.id for e, _ in self.pairs]
        absences: dict[int, int] = defaultdict(int)
        for a in s.scalars(select(Attendance).where(Attendance.enrolment_id.in_(self.enrolment_ids))):
            absences[a.enrolment_id] += a.excused + a.unexcused
        self.absences = absences

    def rows(self) -> tuple[StudentResultRow, ...]:
        out = []
        for number, (enrolment, student) in enumerate(self.pairs, start=1):
            out.append(self._row(number, enrolment, student))
        return tuple(out)

    def _base(self, number: int, enrolment: Enrolment, student: Student) -> dict[str, object]:
        return {
            "student_id": student.id,
            "number": number,
            "full_name": student.full_name,
            "sex": SEX_LABELS.get(student.sex, ""),
            "date_of_birth": student.date_of_birth,
            "national_id_masked": mask_national_id(student.national_id),
            "provisional_id": student.national_id is None,
            "sessions_absent": self.absences.get(enrolment.id, 0),
        }

    def _not_assessed(self, base: dict[str, object]) -> StudentResultRow:
        return StudentResultRow(
            **base,  # type: ignore[arg-type]
            learning=None, conduct=None, promotion=None,
            promotion_label="Không đánh giá",
            title=None,
            explanations=("Học sinh khuyết tật được miễn đánh giá theo kế hoạch giáo dục cá nhân.",),
            problem=None,
        )

    def _incomplete(self, base: dict[str, object], exc: RuleInputError) -> StudentResultRow:
        return StudentResultRow(
            **base,  # type: ignore[arg-type]
            learning=None, conduct=None, promotion=None,
            promotion_label="Chưa đủ dữ liệu",
            title=None, explanations=(), problem=exc.message,
        )

    def _row(self, number: int, enrolment: Enrolment, student: Student) -> StudentResultRow:
        raise NotImplementedError


class _SecondaryLoader(_ClassLoader):
    def __init__(self, s: Session, klass: SchoolClass, grade: Grade, level: str) -> None:
        super().__init__(s, klass, grade)
        self.level = level
        ids = self.enrolment_ids
        self.assessments: dict[tuple[int, int, int], SecondaryAssessment] = {
            (a.enrolment_id, a.subject_id, a.semester): a
            for a in s.scalars(
                select(SecondaryAssessment).where(SecondaryAssessment.enrolment_id.in_(ids))
            )
        }
        self.reassessments = {
            (r.enrolment_id, r.subject_id): r.value
            for r in s.scalars(select(Reassessment).where(Reassessment.enrolment_id.in_(ids)))
        }
        self.conduct = {
            (c.enrolment_id, c.period): c.level
            for c in s.scalars(select(Conduct).where(Conduct.enrolment_id.in_(ids)))
        }

    def _semester(self, enrolment_id: int, subject: Subject, semester: int) -> object:
        a = self.assessments.get((enrolment_id, subject.id, semester))
        if subject.assessment == "comment":
            if a is None:
                return tt22.CommentSemester((), None, None)
            return tt22.CommentSemester(
                tuple(v == "Đ" for v in a.tx if v is not None), stored_pass(a.gk), stored_pass(a.ck)
            )
        if a is None:
            return tt22.ScoredSemester((), None, None)
        return tt22.ScoredSemester(
            tuple(d for d in (stored_score(v) for v in a.tx) if d is not None),
            stored_score(a.gk),
            stored_score(a.ck),
        )

    def student_input(self, enrolment: Enrolment) -> tt22.StudentYearInput:
        subjects = []
        for subject in self.subjects:
            raw = self.reassessments.get((enrolment.id, subject.id))
            re_value: Decimal | bool | None
            if raw is None:
                re_value = None
            elif subject.assessment == "comment":
                re_value = raw == "Đ"
            else:
                re_value = stored_score(raw)
            subjects.append(
                tt22.SubjectInput(
                    code=subject.code,
                    name=subject.name,
                    kind="comment" if subject.assessment == "comment" else "score",
                    lessons_per_year=subject.lessons_per_year,
                    hk1=self._semester(enrolment.id, subject, 1),  # type: ignore[arg-type]
                    hk2=self._semester(enrolment.id, subject, 2),  # type: ignore[arg-type]
                    reassessment=re_value,
                )
            )

        def conduct(period: str, field: str) -> Level | None:
            raw = self.conduct.get((enrolment.id, period))
            return None if raw is None else Level.parse(raw, field)

        hk1 = conduct("hk1", "conduct.hk1")
        hk2 = conduct("hk2", "conduct.hk2")
        if hk1 is None or hk2 is None:
            raise RuleInputError(
                "conduct", "Chưa có kết quả rèn luyện của cả hai học kì; giáo viên chủ nhiệm cần nhập."
            )
        return tt22.StudentYearInput(
            level=self.level,  # type: ignore[arg-type]
            subjects=tuple(subjects),
            conduct_hk1=hk1,
            conduct_hk2=hk2,
            conduct_after_summer=conduct("he", "conduct.he"),
            sessions_absent=self.absences.get(enrolment.id, 0),
        )

    def _row(self, number: int, enrolment: Enrolment, student: Student) -> StudentResultRow:
        base = self._base(number, enrolment, student)
        if student.disabled_not_assessed:
            return self._not_assessed(base)
        try:
            result = tt22.evaluate_year(self.student_input(enrolment))
        except RuleInputError as exc:
            return self._incomplete(base, exc)
        learning = result.learning_year_after_reassessment or result.learning_year
        conduct = result.conduct_after_summer or result.conduct_year
        return StudentResultRow(
            **base,  # type: ignore[arg-type]
            learning=learning.label,
            conduct=conduct.label,
            promotion=result.promotion,
            promotion_label=PROMOTION_LABELS[result.promotion],
            title=TITLE_LABELS.get(result.title) if result.title else None,
            explanations=result.explanations,
            problem=None,
        )


class _PrimaryLoader(_ClassLoader):
    def __init__(self, s: Session, klass: SchoolClass, grade: Grade) -> None:
        super().__init__(s, klass, grade)
        self.grade = grade.number
        ids = self.enrolment_ids
        self.assessments = {
            (a.enrolment_id, a.subject_id): a
            for a in s.scalars(
                select(PrimaryAssessment).where(
                    PrimaryAssessment.enrolment_id.in_(ids), PrimaryAssessment.period == "cn"
                )
            )
        }
        traits: dict[int, dict[str, dict[str, str]]] = defaultdict(lambda: defaultdict(dict))
        for t in s.scalars(
            select(PrimaryTrait).where(PrimaryTrait.enrolment_id.in_(ids), PrimaryTrait.period == "cn")
        ):
            if t.level is not None:
                traits[t.enrolment_id][t.kind][t.code] = t.level
        self.traits = traits

    def _row(self, number: int, enrolment: Enrolment, student: Student) -> StudentResultRow:
        base = self._base(number, enrolment, student)
        if student.disabled_not_assessed:
            return self._not_assessed(base)
        subjects = []
        for subject in self.subjects:
            a = self.assessments.get((enrolment.id, subject.id))
            subjects.append(
                tt27.PrimarySubject(
                    code=subject.code,
                    name=subject.name,
                    level=(a.level if a else None),  # type: ignore[arg-type]
                    test_score=(a.test_score if a else None),
                )
            )
        traits = self.traits.get(enrolment.id, {})
        try:
            result = tt27.evaluate_primary_year(
                tt27.PrimaryYearInput(
                    grade=self.grade,
                    subjects=tuple(subjects),
                    qualities=dict(traits.get("quality", {})),  # type: ignore[arg-type]
                    competencies=dict(traits.get("competency", {})),  # type: ignore[arg-type]
                )
            )
        except RuleInputError as exc:
            return self._incomplete(base, exc)
        return StudentResultRow(
            **base,  # type: ignore[arg-type]
            learning=PRIMARY_RESULT_LABELS[result.result],
            conduct=None,
            promotion="len_lop" if result.completed else "o_lai",
            promotion_label=result.completion_text,
            title=TITLE_LABELS.get(result.title) if result.title else None,
            explanations=result.explanations,
            problem=None,
        )
