"""A demo school with the students the look-up must tell apart: look-alike names (An, Ân,
Anh), a "đ" name, a student who transferred out and one who studied only in an earlier year."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from app.models import Enrolment, Grade, School, SchoolClass, SchoolYear, Student
from app.models.db import Database
from app.services.access import Actor
from app.services.demo import create_demo_school


@dataclass(frozen=True)
class LookupSchool:
    db: Database
    class_a: int  # current year
    class_b: int  # current year
    past_class: int  # an earlier year
    past_year: int
    current_year: int
    students: dict[str, int]  # key → student id (see `make_lookup_school`)


def add_student(db: Database, school_id: int, code: str, name: str, national_id: str | None, sex: int) -> int:
    with db.write() as s:
        st = Student(
            school_id=school_id, student_code=code, hocba_code=f"HB-{code}", national_id=national_id,
            full_name=name, sex=sex, date_of_birth=date(2013, 3, 4),
        )
        s.add(st)
        s.flush()
        return st.id


def enrol(db: Database, student_id: int, class_id: int, start: date, end: date | None = None,
           reason: str | None = None) -> int:
    with db.write() as s:
        e = Enrolment(
            student_id=student_id, class_id=class_id, start_date=start, end_date=end, end_reason=reason
        )
        s.add(e)
        s.flush()
        return e.id


def make_lookup_school(db: Database, *, students_per_class: int = 6) -> LookupSchool:
    create_demo_school(db, classes=2, students_per_class=students_per_class, seed=5)
    with db.write() as s:
        school = s.scalar(select(School))
        assert school is not None
        year = s.scalar(select(SchoolYear).where(SchoolYear.is_current.is_(True)))
        assert year is not None
        classes = list(s.scalars(select(SchoolClass).where(SchoolClass.school_year_id == year.id)
                                 .order_by(SchoolClass.name)))
        grade = s.get(Grade, classes[0].grade_id)
        assert grade is not None
        start = year.start_date
        past = SchoolYear(school_id=school.id, name=f"{start.year - 1}-{start.year}",
                          start_date=date(start.year - 1, 9, 5), end_date=date(start.year, 5, 31),
                          is_current=False)
        s.add(past)
        s.flush()
        past_class = SchoolClass(school_year_id=past.id, grade_id=grade.id, name="9Z")
        s.add(past_class)
        s.flush()
        ids = (
            school.id, classes[0].id, classes[1].id, past_class.id, past.id, year.id, start, past.start_date
        )
    school_id, class_a, class_b, past_class_id, past_id, year_id, start, past_start = ids
    students = {
        "an": add_student(db, school_id, "7900000001", "Nguyễn Văn An", "079213000111", 1),
        "an_circ": add_student(db, school_id, "7900000002", "Nguyễn Văn Ân", "079213000222", 1),
        "anh": add_student(db, school_id, "7900000003", "Nguyễn Văn Anh", "079213000333", 1),
        "dao": add_student(db, school_id, "7900000004", "Đặng Thị Đào", "079313000444", 2),
        "left": add_student(db, school_id, "7900000005", "Lò Thị Mỷ", "011313000555", 2),
        "past": add_student(db, school_id, "7900000006", "Trần Quốc Bảo", "079211000666", 1),
        "provisional": add_student(db, school_id, "7900000007", "Hà Văn Tùng", None, 1),
    }
    enrol(db, students["an"], class_a, start)
    enrol(db, students["an_circ"], class_b, start)
    enrol(db, students["anh"], class_a, start)
    enrol(db, students["dao"], class_b, start)
    enrol(db, students["left"], class_a, start, date(start.year + 1, 1, 15), "Chuyển trường")
    enrol(db, students["past"], past_class_id, past_start)
    enrol(db, students["provisional"], class_b, start)
    return LookupSchool(db, class_a, class_b, past_class_id, past_id, year_id, students)


def teacher_of(class_id: int, login: str = "gv.thu") -> Actor:
    """A subject teacher assigned to one class only (built directly: who teaches is the point)."""
    return Actor(user_id=None, login=login, full_name="Giáo viên thử", roles=frozenset({"gvbm"}),
                 teaching=frozenset({(class_id, 1)}))


def role_actor(role: str) -> Actor:
    return Actor(user_id=None, login=role, full_name=role, roles=frozenset({role}))
