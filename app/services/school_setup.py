"""School set-up by the admin: school details, school years and semesters, grades,
subjects per grade, and classes.

Everything here is admin-only (`require_admin`) and audited with old → new values.
Teachers' assignments, homeroom teachers and handover are in `school_staffing`; the
`setup_overview` read serves the set-up screen with everything it shows in one snapshot.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from app.errors import NotFound, UserFacingError
from app.models import (
    Enrolment,
    Grade,
    PrimaryAssessment,
    School,
    SchoolClass,
    SchoolYear,
    SecondaryAssessment,
    Subject,
    TeachingAssignment,
    UserAccount,
)
from app.models.db import Database
from app.rules import curriculum
from app.rules.vnsort import name_sort_key
from app.services import audit
from app.services.access import Actor, require_admin
from app.services.accounts import sorted_roles

LEVEL_BY_CODE = {code: key for key, code in curriculum.LEVEL_CODES.items()}
ASSESSMENT_NAMES = {
    "score": "Đánh giá bằng điểm số",
    "comment": "Đánh giá bằng nhận xét (Đạt/Chưa đạt)",
    "level": "Mức độ hoàn thành (tiểu học)",
}
_T = TypeVar("_T")


# --------------------------------------------------------------------------- values


@dataclass(frozen=True)
class SchoolDetails:
    id: int
    name: str
    school_code: str
    department_code: str
    province: str
    district: str | None
    address: str | None
    levels: tuple[str, ...]  # level keys: tieuhoc, thcs, thpt
    issuing_place: str
    principal_name: str | None
    is_demo: bool


@dataclass(frozen=True)
class SemesterInfo:
    number: int
    start_date: date
    end_date: date


@dataclass(frozen=True)
class YearInfo:
    id: int
    name: str
    start_date: date
    end_date: date
    is_current: bool
    semesters: tuple[SemesterInfo, ...]


@dataclass(frozen=True)
class GradeInfo:
    id: int
    number: int
    level: str


@dataclass(frozen=True)
class ClassInfo:
    id: int
    name: str
    grade: int
    homeroom_id: int | None
    homeroom_name: str | None
    students: int


@dataclass(frozen=True)
class SubjectInfo:
    id: int
    grade: int
    code: str
    name: str
    lessons_per_year: int
    assessment: str
    periodic_test: bool
    sort_order: int
    has_results: bool  # scores or levels entered: the assessment type can no longer change


@dataclass(frozen=True)
class StaffInfo:
    user_id: int
    login: str
    full_name: str
    roles: tuple[str, ...]
    active: bool


@dataclass(frozen=True)
class AssignmentInfo:
    id: int
    class_id: int
    class_name: str
    grade: int
    subject_id: int
    subject_name: str
    teacher_id: int
    teacher_name: str
    locked: bool


@dataclass(frozen=True)
class SetupOverview:
    school: SchoolDetails
    years: tuple[YearInfo, ...]
    year_id: int | None  # the year the lists below belong to
    grades: tuple[GradeInfo, ...]
    classes: tuple[ClassInfo, ...]
    subjects: tuple[SubjectInfo, ...]
    staff: tuple[StaffInfo, ...]
    assignments: tuple[AssignmentInfo, ...]


# --------------------------------------------------------------------------- shared helpers


def natural_key(name: str) -> tuple[object, ...]:
    # "6A2" before "6A10".
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"(\d+)", name) if p)


def the_school(s: Session) -> School:
    school = s.scalar(select(School).order_by(School.id).limit(1))
    if school is None:
        raise UserFacingError("Chưa có trường nào. Hãy tạo trường trước.")
    return school


def get_or_404(s: Session, model: type[_T], key: int, what: str) -> _T:
    row = s.get(model, key)
    if row is None:
        raise NotFound(f"Không tìm thấy {what}; có thể ai đó vừa xoá. Hãy tải lại trang.")
    return row


def year_or_current(s: Session, school_id: int, year_id: int | None) -> SchoolYear | None:
    if year_id is not None:
        return get_or_404(s, SchoolYear, year_id, "năm học")
    return s.scalar(
        select(SchoolYear)
        .where(SchoolYear.school_id == school_id)
        .order_by(SchoolYear.is_current.desc(), SchoolYear.start_date.desc())
        .limit(1)
    )


def clean_text(
    value: str | None, limit: int, what: str, *, required: bool, field: str | None = None
) -> str | None:
    """Spaces collapsed; None when empty and optional. `what` names the field in messages."""
    text = " ".join((value or "").split())
    if not text:
        if required:
            raise UserFacingError(f"Hãy nhập {what}.", field=field)
        return None
    if len(text) > limit:
        raise UserFacingError(f"{what[0].upper()}{what[1:]} dài quá {limit} kí tự.", field=field)
    return text


# key, longest length, name in messages, required
SCHOOL_FIELDS: tuple[tuple[str, int, str, bool], ...] = (
    ("name", 200, "tên trường", True),
    ("school_code", 20, "mã trường", True),
    ("department_code", 20, "mã Sở Giáo dục và Đào tạo", True),
    ("province", 100, "tỉnh/thành phố", True),
    ("issuing_place", 100, "địa danh ghi trên học bạ", True),
    ("district", 100, "xã/phường", False),
    ("address", 300, "địa chỉ", False),
    ("principal_name", 100, "họ tên hiệu trưởng", False),
)


def clean_school_fields(values: Mapping[str, str | None]) -> dict[str, str | None]:
    return {
        key: clean_text(values.get(key), limit, what, required=required, field=key)
        for key, limit, what, required in SCHOOL_FIELDS
    }


# --------------------------------------------------------------------------- reads


def school_details(s: Session) -> SchoolDetails:
    school = the_school(s)
    return SchoolDetails(
        id=school.id,
        name=school.name,
        school_code=school.school_code,
        department_code=school.department_code,
        province=school.province,
        district=school.district,
        address=school.address,
        levels=tuple(LEVEL_BY_CODE[c] for c in school.level_codes if c in LEVEL_BY_CODE),
        issuing_place=school.issuing_place,
        principal_name=school.principal_name,
        is_demo=school.is_demo,
    )


def setup_overview(db: Database, actor: Actor, year_id: int | None = None) -> SetupOverview:
    require_admin(actor)
    with db.read() as s:
        details = school_details(s)
        years = tuple(
            YearInfo(
                y.id, y.name, y.start_date, y.end_date, y.is_current,
                tuple(SemesterInfo(m.number, m.start_date, m.end_date) for m in y.semesters),
            )
            for y in s.scalars(
                select(SchoolYear).where(SchoolYear.school_id == details.id).order_by(SchoolYear.start_date)
            )
        )
        year = year_or_current(s, details.id, year_id)
        grades = tuple(
            GradeInfo(g.id, g.number, LEVEL_BY_CODE.get(g.level, "thcs"))
            for g in s.scalars(select(Grade).where(Grade.school_id == details.id).order_by(Grade.number))
        )
        staff = tuple(
            sorted(
                (
                    StaffInfo(u.id, u.login, u.full_name, sorted_roles(u.role_codes), u.active)
                    for u in s.scalars(select(UserAccount).options(selectinload(UserAccount.roles)))
                ),
                key=lambda p: (not p.active, name_sort_key(p.full_name), p.login),
            )
        )
        classes: tuple[ClassInfo, ...] = ()
        subjects: tuple[SubjectInfo, ...] = ()
        assignments: tuple[AssignmentInfo, ...] = ()
        if year is not None:
            classes = _classes(s, year.id)
            subjects = _subjects(s, year.id)
            assignments = _assignments(s, year.id)
        return SetupOverview(
            school=details,
            years=years,
            year_id=year.id if year else None,
            grades=grades,
            classes=classes,
            subjects=subjects,
            staff=staff,
            assignments=assignments,
        )


def _classes(s: Session, year_id: int) -> tuple[ClassInfo, ...]:
    counts = dict(
        s.execute(
            select(Enrolment.class_id, func.count())
            .join(SchoolClass, SchoolClass.id == Enrolment.class_id)
            .where(SchoolClass.school_year_id == year_id, Enrolment.end_date.is_(None))
            .group_by(Enrolment.class_id)
        ).all()
    )
    rows = s.execute(
        select(SchoolClass, Grade.number, UserAccount.full_name)
        .join(Grade, Grade.id == SchoolClass.grade_id)
        .outerjoin(UserAccount, UserAccount.id == SchoolClass.homeroom_teacher_id)
        .where(SchoolClass.school_year_id == year_id)
    ).all()
    infos = (
        ClassInfo(c.id, c.name, grade, c.homeroom_teacher_id, homeroom, int(counts.get(c.id, 0)))
        for c, grade, homeroom in rows
    )
    return tuple(sorted(infos, key=lambda c: (c.grade, natural_key(c.name))))


def _subjects(s: Session, year_id: int) -> tuple[SubjectInfo, ...]:
    # Driven from the year's enrolments: the assessment tables' unique index starts with
    # enrolment_id and holds subject_id, so this reads index entries only (~10 ms for 2,000
    # students) where a scan joined to `subject` took ~300 ms.
    enrolments = (
        select(Enrolment.id)
        .join(SchoolClass, SchoolClass.id == Enrolment.class_id)
        .where(SchoolClass.school_year_id == year_id)
    )
    with_results: set[int] = set()
    for model in (SecondaryAssessment, PrimaryAssessment):
        with_results.update(
            s.scalars(select(model.subject_id).where(model.enrolment_id.in_(enrolments)).distinct())
        )
    rows = s.execute(
        select(Subject, Grade.number)
        .join(Grade, Grade.id == Subject.grade_id)
        .where(Subject.school_year_id == year_id)
        .order_by(Grade.number, Subject.sort_order, Subject.id)
    ).all()
    return tuple(
        SubjectInfo(
            sub.id, grade, sub.code, sub.name, sub.lessons_per_year, sub.assessment,
            sub.periodic_test, sub.sort_order, sub.id in with_results,
        )
        for sub, grade in rows
    )


def _assignments(s: Session, year_id: int) -> tuple[AssignmentInfo, ...]:
    rows = s.execute(
        select(TeachingAssignment, SchoolClass.name, Grade.number, Subject.name, Subject.sort_order,
               UserAccount.full_name)
        .join(SchoolClass, SchoolClass.id == TeachingAssignment.class_id)
        .join(Grade, Grade.id == SchoolClass.grade_id)
        .join(Subject, Subject.id == TeachingAssignment.subject_id)
        .join(UserAccount, UserAccount.id == TeachingAssignment.teacher_id)
        .where(SchoolClass.school_year_id == year_id)
    ).all()
    ordered = sorted(rows, key=lambda r: (r[2], natural_key(r[1]), r[4]))
    return tuple(
        AssignmentInfo(
            a.id, a.class_id, class_name, grade, a.subject_id, subject_name, a.teacher_id, teacher,
            a.locked_at is not None,
        )
        for a, class_name, grade, subject_name, _order, teacher in ordered
    )


# --------------------------------------------------------------------------- school


def update_school(
    db: Database,
    actor: Actor,
    *,
    name: str,
    school_code: str,
    department_code: str,
    province: str,
    issuing_place: str,
    district: str | None = None,
    address: str | None = None,
    principal_name: str | None = None,
) -> SchoolDetails:
    require_admin(actor)
    new = clean_school_fields({
        "name": name, "school_code": school_code, "department_code": department_code,
        "province": province, "issuing_place": issuing_place, "district": district,
        "address": address, "principal_name": principal_name,
    })
    with db.write() as s:
        school = the_school(s)
        changes: dict[str, object] = {}
        for key, value in new.items():
            old = getattr(school, key)
            if old != value:
                changes[key] = [old, value]
                setattr(school, key, value)
        if changes:
            audit.append(s, actor=actor.login, action="school.update", entity="school",
                         entity_id=school.id, detail=changes)
        s.flush()
        return school_details(s)
