"""The first start of a fresh installation: create the real school, or the demo school.

`create_school` takes the first-run wizard's answers and builds, in one transaction, the
school, its first admin account, the school year with both semesters, the grades of the
chosen levels with the national programme's subjects, and (optionally) empty classes.
Either all of it is written or nothing is, so an interrupted first run can start over.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from app.errors import UserFacingError
from app.models import School, SchoolClass, UserAccount, UserRole
from app.models.db import Database
from app.models.people import ROLE_ADMIN
from app.rules import curriculum
from app.services import audit
from app.services.accounts import check_full_name, check_login, check_new_password
from app.services.demo import DemoSummary, create_demo_school
from app.services.passwords import hash_password
from app.services.school_calendar import add_year_rows, check_year_dates, default_year_dates
from app.services.school_setup import clean_school_fields
from app.services.school_structure import add_curriculum_subjects, add_grade_row

MAX_CLASSES_PER_GRADE = 30


@dataclass(frozen=True)
class NewSchool:
    """What the first-run wizard asks."""

    name: str
    school_code: str
    department_code: str
    province: str
    issuing_place: str  # địa danh on the records, e.g. "Tân Lập"
    levels: tuple[str, ...]  # level keys: tieuhoc, thcs, thpt
    start_year: int  # first calendar year of the school year
    admin_full_name: str
    admin_login: str
    admin_password: str
    address: str | None = None
    principal_name: str | None = None
    classes_per_grade: int = 0


@dataclass(frozen=True)
class CreatedSchool:
    school_id: int
    admin_user_id: int
    year_name: str
    grades: tuple[int, ...]
    classes: tuple[str, ...]


@dataclass(frozen=True)
class SchoolIdentity:
    """What the sign-in screen shows before anyone is signed in."""

    name: str
    is_demo: bool


def has_school(db: Database) -> bool:
    with db.read() as s:
        return s.scalar(select(School.id).limit(1)) is not None


def school_identity(db: Database) -> SchoolIdentity | None:
    with db.read() as s:
        school = s.scalar(select(School).order_by(School.id).limit(1))
        return SchoolIdentity(school.name, school.is_demo) if school else None


def _check_answers(a: NewSchool) -> None:
    if not a.levels:
        raise UserFacingError("Hãy chọn ít nhất một cấp học của trường.", field="levels")
    unknown = [lv for lv in a.levels if lv not in curriculum.LEVELS]
    if unknown:
        raise UserFacingError(f"Cấp học không hợp lệ: {', '.join(unknown)}.", field="levels")
    if not 2000 <= a.start_year <= 2100:
        raise UserFacingError("Năm học không hợp lệ; hãy chọn năm bắt đầu, ví dụ 2026.", field="start_year")
    if not 0 <= a.classes_per_grade <= MAX_CLASSES_PER_GRADE:
        raise UserFacingError(
            f"Số lớp mỗi khối phải từ 0 đến {MAX_CLASSES_PER_GRADE}.", field="classes_per_grade"
        )


def create_school(db: Database, answers: NewSchool) -> CreatedSchool:
    """Build the school from the wizard's answers; refuse if the database already has one."""
    _check_answers(answers)
    fields = clean_school_fields({
        "name": answers.name, "school_code": answers.school_code,
        "department_code": answers.department_code, "province": answers.province,
        "issuing_place": answers.issuing_place, "address": answers.address,
        "principal_name": answers.principal_name,
    })
    login = check_login(answers.admin_login)
    full_name = check_full_name(answers.admin_full_name)
    check_new_password(answers.admin_password, login=login)
    password_hash = hash_password(answers.admin_password)
    start, hk1_end, end = default_year_dates(answers.start_year)
    check_year_dates(answers.start_year, start, hk1_end, end)
    levels = [lv for lv in curriculum.LEVELS if lv in answers.levels]

    with db.write() as s:
        if s.scalar(select(School.id).limit(1)) is not None:
            raise UserFacingError(
                "Tệp dữ liệu này đã có trường học. Hãy mở trường đó, hoặc tạo trường mới trong tệp khác."
            )
        school = School(
            **fields,
            levels=",".join(curriculum.LEVEL_CODES[lv] for lv in levels),
            is_demo=False,
        )
        s.add(school)
        s.flush()
        admin = UserAccount(
            school_id=school.id, login=login, full_name=full_name, password_hash=password_hash,
            must_change_password=False, active=True, failed_logins=0,
        )
        admin.roles = [UserRole(role=ROLE_ADMIN)]
        s.add(admin)
        year = add_year_rows(s, school, answers.start_year, start, hk1_end, end)
        year.is_current = True
        grades: list[int] = []
        classes: list[str] = []
        for level in levels:
            for number in curriculum.grades_for(level):
                grade = add_grade_row(s, school, number)
                add_curriculum_subjects(s, year.id, grade)
                grades.append(number)
                for k in range(answers.classes_per_grade):
                    name = f"{number}A{k + 1}"
                    s.add(SchoolClass(school_year_id=year.id, grade_id=grade.id, name=name))
                    classes.append(name)
        s.flush()
        audit.append(
            s, actor=login, action="school.create", entity="school", entity_id=school.id,
            detail={**fields, "levels": levels, "year": year.name, "admin": login,
                    "grades": grades, "classes": classes},
        )
        return CreatedSchool(school.id, admin.id, year.name, tuple(grades), tuple(classes))


def create_demo(db: Database) -> DemoSummary:
    """The demo school (marked DEMO everywhere) for trying the app out."""
    return create_demo_school(db)
