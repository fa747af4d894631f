"""Loading a class for the homeroom teacher: one session, a handful of column queries.

`ClassData` reads what a class's homeroom view needs as plain tuples, never ORM objects:
loading ~1,200 assessment rows as ORM instances costs more than evaluating them.
`homeroom_rows` turns it into `HomeroomStudent` rows; the homeroom services (reads, and
writes recomputing the student they changed inside their transaction), the class lists
and the pre-sign checklist all start here.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import NotFound
from app.models import (
    Attendance,
    Award,
    Conduct,
    Enrolment,
    Grade,
    Reassessment,
    School,
    SchoolClass,
    SchoolYear,
    SecondaryAssessment,
    Student,
    Subject,
    TeachingAssignment,
    UserAccount,
    YearComment,
)
from app.rules import tt22
from app.rules.vnsort import name_sort_key
from app.services.class_results import LEVEL_BY_CODE
from app.services.homeroom_types import AwardLine, ClassSubject
from app.services.stored_values import stored_pass, stored_score


@dataclass(frozen=True)
class Pupil:
    enrolment_id: int
    student_id: int
    number: int
    full_name: str
    sex: int
    date_of_birth: date
    national_id: str | None
    disabled: bool


@dataclass(frozen=True)
class Marks:
    """One subject × semester as stored (text values, exactly as the teacher typed them)."""

    tx: tuple[str | None, ...]  # None: an empty cell the mark book keeps in place
    gk: str | None
    ck: str | None
    comment: str | None


class ClassData:
    """The raw homeroom data of one class, read in one session.

    With `only_student_id`, per-student rows are read for that student alone (a write
    recomputing the student it changed); the class list is always read whole, because a
    student's number (STT) is their place in it.
    """

    def __init__(self, s: Session, class_id: int, *, only_student_id: int | None = None) -> None:
        found = s.execute(
            select(
                SchoolClass.name,
                SchoolClass.school_year_id,
                Grade.id,
                Grade.number,
                Grade.level,
                SchoolYear.name,
                School.name,
                UserAccount.full_name,
            )
            .join(Grade, Grade.id == SchoolClass.grade_id)
            .join(SchoolYear, SchoolYear.id == SchoolClass.school_year_id)
            .join(School, School.id == SchoolYear.school_id)
            .outerjoin(UserAccount, UserAccount.id == SchoolClass.homeroom_teacher_id)
            .where(SchoolClass.id == class_id)
        ).first()
        if found is None:
            raise NotFound(f"Không tìm thấy lớp có mã {class_id}.")
        (self.class_name, year_id, self.grade_id, self.grade, grade_level, self.year_name,
         self.school_name, self.homeroom_name) = found
        self.session = s
        self.class_id = class_id
        self.level = LEVEL_BY_CODE.get(grade_level, "thcs")
        self.subjects = self._subjects(s, class_id, year_id)
        self.pupils = self._pupils(s, class_id)
        wanted = [
            p.enrolment_id
            for p in self.pupils
            if only_student_id is None or p.student_id == only_student_id
        ]
        self.enrolment_ids = wanted
        self.conduct: dict[tuple[int, str], str] = {
            (e, period): level
            for e, period, level in s.execute(
                select(Conduct.enrolment_id, Conduct.period, Conduct.level).where(
                    Conduct.enrolment_id.in_(wanted)
                )
            )
        }
        self.attendance: dict[tuple[int, int], tuple[int, int]] = {
            (e, semester): (excused, unexcused)
            for e, semester, excused, unexcused in s.execute(
                select(
                    Attendance.enrolment_id, Attendance.semester, Attendance.excused, Attendance.unexcused
                ).where(Attendance.enrolment_id.in_(wanted))
            )
        }
        self.comments: dict[int, str] = dict(
            s.execute(
                select(YearComment.enrolment_id, YearComment.text).where(YearComment.enrolment_id.in_(wanted))
            ).all()
        )
        awards: dict[int, list[AwardLine]] = defaultdict(list)
        for aid, e, kind, title, decided_on in s.execute(
            select(Award.id, Award.enrolment_id, Award.kind, Award.title, Award.decided_on)
            .where(Award.enrolment_id.in_(wanted))
            .order_by(Award.id)
        ):
            awards[e].append(AwardLine(aid, kind, title, decided_on))
        self.awards = awards
        self.marks: dict[tuple[int, int, int], Marks] = {}
        self.reassessments: dict[tuple[int, int], str] = {}
        if self.level != "tieuhoc":
            for e, subject_id, semester, tx, gk, ck, comment in s.execute(
                select(
                    SecondaryAssessment.enrolment_id,
                    SecondaryAssessment.subject_id,
                    SecondaryAssessment.semester,
                    SecondaryAssessment.tx,
                    SecondaryAssessment.gk,
                    SecondaryAssessment.ck,
                    SecondaryAssessment.comment,
                ).where(SecondaryAssessment.enrolment_id.in_(wanted))
            ):
                self.marks[(e, subject_id, semester)] = Marks(tuple(tx or ()), gk, ck, comment)
            self.reassessments = {
                (e, subject_id): value
                for e, subject_id, value in s.execute(
                    select(Reassessment.enrolment_id, Reassessment.subject_id, Reassessment.value).where(
                        Reassessment.enrolment_id.in_(wanted)
                    )
                )
            }

    @staticmethod
    def _subjects(s: Session, class_id: int, year_id: int) -> tuple[ClassSubject, ...]:
        grade_id = select(SchoolClass.grade_id).where(SchoolClass.id == class_id).scalar_subquery()
        rows = s.execute(
            select(
                Subject.id,
                Subject.code,
                Subject.name,
                Subject.assessment,
                Subject.lessons_per_year,
                UserAccount.full_name,
                TeachingAssignment.id,
                TeachingAssignment.locked_at,
            )
            .outerjoin(
                TeachingAssignment,
                (TeachingAssignment.subject_id == Subject.id) & (TeachingAssignment.class_id == class_id),
            )
            .outerjoin(UserAccount, UserAccount.id == TeachingAssignment.teacher_id)
            .where(Subject.school_year_id == year_id, Subject.grade_id == grade_id)
            .order_by(Subject.sort_order, Subject.id)
        ).all()
        return tuple(
            ClassSubject(
                id=sid,
                code=code,
                name=name,
                kind=kind,
                lessons_per_year=lessons,
                teacher_name=teacher if assignment is not None else None,
                locked=locked_at is not None,
            )
            for sid, code, name, kind, lessons, teacher, assignment, locked_at in rows
        )

    @staticmethod
    def _pupils(s: Session, class_id: int) -> tuple[Pupil, ...]:
        rows = s.execute(
            select(
                Enrolment.id,
                Student.id,
                Student.full_name,
                Student.sex,
                Student.date_of_birth,
                Student.national_id,
                Student.disabled_not_assessed,
            )
            .join(Student, Student.id == Enrolment.student_id)
            .where(Enrolment.class_id == class_id, Enrolment.end_date.is_(None))
        ).all()
        ordered = sorted(rows, key=lambda r: name_sort_key(r[2]))
        return tuple(
            Pupil(e, sid, number, name, sex, dob, nid, bool(disabled))
            for number, (e, sid, name, sex, dob, nid, disabled) in enumerate(ordered, start=1)
        )

    def pupil(self, student_id: int) -> Pupil | None:
        for p in self.pupils:
            if p.student_id == student_id:
                return p
        return None

    def wanted_pupils(self) -> list[Pupil]:
        ids = set(self.enrolment_ids)
        return [p for p in self.pupils if p.enrolment_id in ids]


# ------------------------------------------------------------------ rules-engine inputs


def _semester(data: ClassData, eid: int, subject: ClassSubject, semester: int) -> object:
    m = data.marks.get((eid, subject.id, semester))
    if subject.kind == "comment":
        if m is None:
            return tt22.CommentSemester((), None, None)
        # The mark book keeps empty cells as None; an empty cell is not a Chưa đạt.
        checks = tuple(v == "Đ" for v in m.tx if v)
        return tt22.CommentSemester(checks, stored_pass(m.gk), stored_pass(m.ck))
    if m is None:
        return tt22.ScoredSemester((), None, None)
    scores = tuple(d for d in (stored_score(v) for v in m.tx) if d is not None)
    return tt22.ScoredSemester(scores, stored_score(m.gk), stored_score(m.ck))


def _reassessment_value(data: ClassData, eid: int, subject: ClassSubject) -> Decimal | bool | None:
    raw = data.reassessments.get((eid, subject.id))
    if raw is None:
        return None
    return raw == "Đ" if subject.kind == "comment" else stored_score(raw)


def subject_inputs(data: ClassData, eid: int) -> tuple[tt22.SubjectInput, ...]:
    return tuple(
        tt22.SubjectInput(
            code=subject.code,
            name=subject.name,
            kind="comment" if subject.kind == "comment" else "score",
            lessons_per_year=subject.lessons_per_year,
            hk1=_semester(data, eid, subject, 1),  # type: ignore[arg-type]
            hk2=_semester(data, eid, subject, 2),  # type: ignore[arg-type]
            reassessment=_reassessment_value(data, eid, subject),
        )
        for subject in data.subjects
    )
