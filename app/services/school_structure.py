"""Grades, subjects per grade and classes (admin-only, audited).

Subjects start from the national programme (`app.rules.curriculum`); after that the
school's own rows are the truth. A subject's assessment type cannot change once results
are entered, and nothing with results, students or assignments can be deleted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import UserFacingError
from app.models import (
    Enrolment,
    Grade,
    PrimaryAssessment,
    Reassessment,
    School,
    SchoolClass,
    SchoolYear,
    SecondaryAssessment,
    Subject,
    TeachingAssignment,
)
from app.models.db import Database
from app.rules import curriculum
from app.rules.vnsort import fold
from app.services import audit
from app.services.access import Actor, require_admin
from app.services.school_setup import (
    LEVEL_BY_CODE,
    ClassInfo,
    GradeInfo,
    SubjectInfo,
    clean_text,
    get_or_404,
    the_school,
)

# --------------------------------------------------------------------------- grades and subjects


def add_grade_row(s: Session, school: School, number: int) -> Grade:
    level = curriculum.level_of_grade(number)
    code = curriculum.LEVEL_CODES[level]
    grade = Grade(school_id=school.id, number=number, level=code)
    s.add(grade)
    if code not in school.level_codes:
        school.levels = ",".join(sorted({*school.level_codes, code}))
    s.flush()
    return grade


def add_grade(db: Database, actor: Actor, number: int) -> GradeInfo:
    require_admin(actor)
    if not 1 <= number <= 12:
        raise UserFacingError("Khối lớp phải từ 1 đến 12.", field="grade")
    with db.write() as s:
        school = the_school(s)
        if s.scalar(select(Grade.id).where(Grade.school_id == school.id, Grade.number == number)):
            raise UserFacingError(f"Trường đã có khối {number}.", field="grade")
        old_levels = school.levels
        grade = add_grade_row(s, school, number)
        detail: dict[str, object] = {"number": number}
        if school.levels != old_levels:
            detail["levels"] = [old_levels, school.levels]
        audit.append(s, actor=actor.login, action="grade.create", entity="grade", entity_id=grade.id,
                     detail=detail)
        return GradeInfo(grade.id, number, LEVEL_BY_CODE[grade.level])


def add_curriculum_subjects(
    s: Session, year_id: int, grade: Grade, electives: Iterable[str] = curriculum.DEFAULT_THPT_ELECTIVES
) -> list[str]:
    """Add the national programme's subjects of a grade that the year lacks; return their codes."""
    level = curriculum.level_of_grade(grade.number)
    have = set(s.scalars(select(Subject.code).where(Subject.school_year_id == year_id,
                                                    Subject.grade_id == grade.id)))
    added = []
    for entry in curriculum.subjects_for(level, grade.number, electives=electives):
        if entry.code in have:
            continue
        s.add(Subject(
            school_year_id=year_id, grade_id=grade.id, code=entry.code, name=entry.name,
            lessons_per_year=entry.lessons_per_year, assessment=entry.assessment,
            periodic_test=entry.periodic_test, sort_order=entry.sort_order,
        ))
        added.append(entry.code)
    s.flush()
    return added


def _grade_by_number(s: Session, number: int) -> Grade:
    school = the_school(s)
    grade = s.scalar(select(Grade).where(Grade.school_id == school.id, Grade.number == number))
    if grade is None:
        raise UserFacingError(f"Trường chưa có khối {number}. Hãy thêm khối trước.", field="grade")
    return grade


def add_default_subjects(
    db: Database,
    actor: Actor,
    year_id: int,
    grade_number: int,
    electives: Iterable[str] = curriculum.DEFAULT_THPT_ELECTIVES,
) -> tuple[str, ...]:
    """Add the programme's subjects the grade is missing this year (codes added)."""
    require_admin(actor)
    with db.write() as s:
        get_or_404(s, SchoolYear, year_id, "năm học")
        grade = _grade_by_number(s, grade_number)
        try:
            added = add_curriculum_subjects(s, year_id, grade, electives)
        except ValueError as exc:
            raise UserFacingError(
                "Hãy chọn đúng 4 môn học lựa chọn khác nhau cho khối THPT.", field="electives"
            ) from exc
        if added:
            audit.append(s, actor=actor.login, action="subject.add_defaults", entity="grade",
                         entity_id=grade.id, detail={"year_id": year_id, "codes": added})
        return tuple(added)


def _check_assessment(assessment: str, grade_number: int) -> None:
    primary = curriculum.level_of_grade(grade_number) == "tieuhoc"
    allowed = ("level",) if primary else ("score", "comment")
    if assessment not in allowed:
        raise UserFacingError(
            "Ở tiểu học, môn học được đánh giá theo mức độ hoàn thành."
            if primary
            else "Ở THCS/THPT, môn học được đánh giá bằng điểm số hoặc bằng nhận xét (Đạt/Chưa đạt).",
            field="assessment",
        )


def _check_lessons(lessons: int) -> None:
    if not 0 <= lessons <= 1000:
        raise UserFacingError("Số tiết trong năm phải từ 0 đến 1000.", field="lessons_per_year")


def add_subject(
    db: Database,
    actor: Actor,
    year_id: int,
    grade_number: int,
    *,
    name: str,
    lessons_per_year: int,
    assessment: str,
    periodic_test: bool = False,
    code: str | None = None,
) -> SubjectInfo:
    """A subject the programme list lacks (an optional subject, a local one)."""
    require_admin(actor)
    clean_name = clean_text(name, 100, "tên môn học", required=True, field="name")
    assert clean_name is not None
    _check_assessment(assessment, grade_number)
    _check_lessons(lessons_per_year)
    subject_code = code or re.sub(r"[^a-z0-9]+", "_", fold(clean_name)).strip("_")[:20] or "mon"
    with db.write() as s:
        get_or_404(s, SchoolYear, year_id, "năm học")
        grade = _grade_by_number(s, grade_number)
        existing = s.execute(
            select(Subject.code, Subject.name, Subject.sort_order)
            .where(Subject.school_year_id == year_id, Subject.grade_id == grade.id)
        ).all()
        if any(fold(n) == fold(clean_name) for _c, n, _o in existing):
            raise UserFacingError(f"Khối {grade_number} đã có môn “{clean_name}”.", field="name")
        codes = {c for c, _n, _o in existing}
        base, n = subject_code, 1
        while subject_code in codes:
            n += 1
            subject_code = f"{base[:17]}_{n}"
        subject = Subject(
            school_year_id=year_id, grade_id=grade.id, code=subject_code, name=clean_name,
            lessons_per_year=lessons_per_year, assessment=assessment,
            periodic_test=periodic_test and assessment == "level",
            sort_order=max((o for _c, _n, o in existing), default=0) + 1,
        )
        s.add(subject)
        s.flush()
        audit.append(s, actor=actor.login, action="subject.create", entity="subject", entity_id=subject.id,
                     detail={"grade": grade_number, "code": subject_code, "name": clean_name,
                             "lessons_per_year": lessons_per_year, "assessment": assessment})
        return SubjectInfo(subject.id, grade_number, subject.code, subject.name, lessons_per_year,
                           assessment, subject.periodic_test, subject.sort_order, False)


def _has_results(s: Session, subject_id: int) -> bool:
    for model in (SecondaryAssessment, PrimaryAssessment, Reassessment):
        if s.scalar(select(model.id).where(model.subject_id == subject_id).limit(1)) is not None:
            return True
    return False


def update_subject(
    db: Database,
    actor: Actor,
    subject_id: int,
    *,
    name: str | None = None,
    lessons_per_year: int | None = None,
    assessment: str | None = None,
) -> SubjectInfo:
    require_admin(actor)
    with db.write() as s:
        subject = get_or_404(s, Subject, subject_id, "môn học")
        grade_number = subject.grade.number
        has_results = _has_results(s, subject.id)
        changes: dict[str, object] = {}
        if name is not None:
            clean_name = clean_text(name, 100, "tên môn học", required=True, field="name")
            if clean_name != subject.name:
                changes["name"] = [subject.name, clean_name]
                subject.name = clean_name  # type: ignore[assignment]
        if lessons_per_year is not None and lessons_per_year != subject.lessons_per_year:
            _check_lessons(lessons_per_year)
            changes["lessons_per_year"] = [subject.lessons_per_year, lessons_per_year]
            subject.lessons_per_year = lessons_per_year
        if assessment is not None and assessment != subject.assessment:
            _check_assessment(assessment, grade_number)
            if has_results:
                raise UserFacingError(
                    f"Môn {subject.name} đã có điểm hoặc nhận xét nên không đổi được cách đánh giá.",
                    field="assessment",
                )
            changes["assessment"] = [subject.assessment, assessment]
            subject.assessment = assessment
        if changes:
            audit.append(s, actor=actor.login, action="subject.update", entity="subject",
                         entity_id=subject.id, detail=changes)
        s.flush()
        return SubjectInfo(subject.id, grade_number, subject.code, subject.name, subject.lessons_per_year,
                           subject.assessment, subject.periodic_test, subject.sort_order, has_results)


def remove_subject(db: Database, actor: Actor, subject_id: int) -> None:
    require_admin(actor)
    with db.write() as s:
        subject = get_or_404(s, Subject, subject_id, "môn học")
        if _has_results(s, subject.id):
            raise UserFacingError(f"Môn {subject.name} đã có điểm hoặc nhận xét nên không xoá được.")
        in_use = select(TeachingAssignment.id).where(TeachingAssignment.subject_id == subject.id).limit(1)
        if s.scalar(in_use):
            raise UserFacingError(
                f"Môn {subject.name} đang được phân công giảng dạy. Hãy bỏ phân công trước khi xoá môn."
            )
        audit.append(s, actor=actor.login, action="subject.delete", entity="subject", entity_id=subject.id,
                     detail={"code": subject.code, "name": subject.name, "grade": subject.grade.number})
        s.delete(subject)


# --------------------------------------------------------------------------- classes


def clean_class_name(name: str, grade_number: int) -> str:
    text = "".join(name.split())
    if text.lower().startswith("lớp"):
        text = text[3:]
    text = text.upper()
    if not text:
        raise UserFacingError("Hãy nhập tên lớp, ví dụ 6A1.", field="name")
    if len(text) > 20:
        raise UserFacingError("Tên lớp dài quá 20 kí tự.", field="name")
    match = re.match(r"\d+", text)
    if match is None or int(match.group()) != grade_number:
        raise UserFacingError(
            f"Tên lớp của khối {grade_number} phải bắt đầu bằng số {grade_number}, ví dụ {grade_number}A1.",
            field="name",
        )
    return text


def create_class(
    db: Database, actor: Actor, year_id: int, grade_number: int, name: str
) -> ClassInfo:
    require_admin(actor)
    clean = clean_class_name(name, grade_number)
    with db.write() as s:
        year = get_or_404(s, SchoolYear, year_id, "năm học")
        grade = _grade_by_number(s, grade_number)
        if s.scalar(select(SchoolClass.id).where(SchoolClass.school_year_id == year.id,
                                                  SchoolClass.name == clean)):
            raise UserFacingError(f"Năm học {year.name} đã có lớp {clean}.", field="name")
        klass = SchoolClass(school_year_id=year.id, grade_id=grade.id, name=clean)
        s.add(klass)
        s.flush()
        audit.append(s, actor=actor.login, action="class.create", entity="school_class", entity_id=klass.id,
                     detail={"year": year.name, "grade": grade_number, "name": clean})
        return ClassInfo(klass.id, clean, grade_number, None, None, 0)


def rename_class(db: Database, actor: Actor, class_id: int, name: str) -> None:
    require_admin(actor)
    with db.write() as s:
        klass = get_or_404(s, SchoolClass, class_id, "lớp")
        clean = clean_class_name(name, klass.grade.number)
        if clean == klass.name:
            return
        if s.scalar(select(SchoolClass.id).where(SchoolClass.school_year_id == klass.school_year_id,
                                                  SchoolClass.name == clean, SchoolClass.id != klass.id)):
            raise UserFacingError(f"Năm học này đã có lớp {clean}.", field="name")
        audit.append(s, actor=actor.login, action="class.update", entity="school_class", entity_id=klass.id,
                     detail={"name": [klass.name, clean]})
        klass.name = clean


def remove_class(db: Database, actor: Actor, class_id: int) -> None:
    """Only a class nobody uses yet (no students, no teaching assignments)."""
    require_admin(actor)
    with db.write() as s:
        klass = get_or_404(s, SchoolClass, class_id, "lớp")
        if s.scalar(select(Enrolment.id).where(Enrolment.class_id == klass.id).limit(1)):
            raise UserFacingError(f"Lớp {klass.name} đã có học sinh nên không xoá được.")
        if s.scalar(select(TeachingAssignment.id).where(TeachingAssignment.class_id == klass.id).limit(1)):
            raise UserFacingError(
                f"Lớp {klass.name} đã được phân công giảng dạy. Hãy bỏ phân công trước khi xoá lớp."
            )
        audit.append(s, actor=actor.login, action="class.delete", entity="school_class", entity_id=klass.id,
                     detail={"name": klass.name, "homeroom_teacher_id": klass.homeroom_teacher_id})
        s.delete(klass)
