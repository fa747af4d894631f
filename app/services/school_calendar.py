"""School years and their semesters (admin-only, audited).

A new year copies the subjects of the latest year, grade by grade (a school's own names
and lesson counts carry over), or takes the national programme's list when there is none.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import UserFacingError
from app.models import Grade, School, SchoolYear, Semester, Subject
from app.models.db import Database
from app.services import audit
from app.services.access import Actor, require_admin
from app.services.school_setup import SemesterInfo, YearInfo, get_or_404, the_school
from app.services.school_structure import add_curriculum_subjects

# --------------------------------------------------------------------------- years


def default_year_dates(start_year: int) -> tuple[date, date, date]:
    """Opening day, end of semester 1, end of the year (the Ministry's usual framework)."""
    return date(start_year, 9, 5), date(start_year + 1, 1, 17), date(start_year + 1, 5, 31)


def check_year_dates(start_year: int, start: date, hk1_end: date, end: date) -> None:
    if not (date(start_year, 7, 1) <= start <= date(start_year, 10, 31)):
        raise UserFacingError(
            f"Ngày khai giảng phải nằm trong năm {start_year} (từ tháng 7 đến tháng 10).", field="start_date"
        )
    if not start < hk1_end < end:
        raise UserFacingError(
            "Ngày kết thúc học kì I phải sau ngày khai giảng và trước ngày kết thúc năm học.",
            field="hk1_end",
        )
    if end > date(start_year + 1, 8, 31):
        raise UserFacingError(
            f"Năm học phải kết thúc trước tháng 9 năm {start_year + 1}.", field="end_date"
        )


def _year_info(y: SchoolYear) -> YearInfo:
    return YearInfo(
        y.id, y.name, y.start_date, y.end_date, y.is_current,
        tuple(SemesterInfo(m.number, m.start_date, m.end_date) for m in y.semesters),
    )


def add_year_rows(
    s: Session, school: School, start_year: int, start: date, hk1_end: date, end: date
) -> SchoolYear:
    """Insert the year and its two semesters (no checks, no audit: callers do both)."""
    year = SchoolYear(
        school_id=school.id, name=f"{start_year}-{start_year + 1}", start_date=start, end_date=end,
        is_current=False,
    )
    s.add(year)
    s.flush()
    s.add_all([
        Semester(school_year_id=year.id, number=1, start_date=start, end_date=hk1_end),
        Semester(school_year_id=year.id, number=2, start_date=hk1_end + timedelta(days=1), end_date=end),
    ])
    s.flush()
    return year


def create_school_year(
    db: Database,
    actor: Actor,
    start_year: int,
    *,
    start_date: date | None = None,
    hk1_end: date | None = None,
    end_date: date | None = None,
    make_current: bool = True,
) -> YearInfo:
    """A new school year with its two semesters; subjects are copied from the latest year
    (or taken from the national programme when there is none)."""
    require_admin(actor)
    if not 2000 <= start_year <= 2100:
        raise UserFacingError("Năm học không hợp lệ; hãy nhập năm bắt đầu, ví dụ 2026.", field="start_year")
    d_start, d_hk1, d_end = default_year_dates(start_year)
    start, hk1, end = start_date or d_start, hk1_end or d_hk1, end_date or d_end
    check_year_dates(start_year, start, hk1, end)
    with db.write() as s:
        school = the_school(s)
        name = f"{start_year}-{start_year + 1}"
        if s.scalar(select(SchoolYear.id).where(SchoolYear.school_id == school.id, SchoolYear.name == name)):
            raise UserFacingError(f"Năm học {name} đã có.", field="start_year")
        previous = s.scalar(
            select(SchoolYear).where(SchoolYear.school_id == school.id).order_by(SchoolYear.start_date.desc())
        )
        year = add_year_rows(s, school, start_year, start, hk1, end)
        grades = s.scalars(select(Grade).where(Grade.school_id == school.id)).all()
        copied = 0
        for grade in grades:
            source = []
            if previous is not None:
                source = list(s.scalars(
                    select(Subject).where(Subject.school_year_id == previous.id, Subject.grade_id == grade.id)
                ))
            if source:
                for sub in source:
                    s.add(Subject(
                        school_year_id=year.id, grade_id=grade.id, code=sub.code, name=sub.name,
                        lessons_per_year=sub.lessons_per_year, assessment=sub.assessment,
                        periodic_test=sub.periodic_test, sort_order=sub.sort_order,
                    ))
                    copied += 1
            else:
                copied += len(add_curriculum_subjects(s, year.id, grade))
        if make_current:
            for other in s.scalars(select(SchoolYear).where(SchoolYear.school_id == school.id)):
                other.is_current = other.id == year.id
        audit.append(
            s, actor=actor.login, action="school_year.create", entity="school_year", entity_id=year.id,
            detail={"name": name, "start_date": start, "hk1_end": hk1, "end_date": end,
                    "subjects": copied, "current": make_current},
        )
        s.flush()
        s.refresh(year)
        return _year_info(year)


def set_year_dates(
    db: Database, actor: Actor, year_id: int, *, start_date: date, hk1_end: date, end_date: date
) -> YearInfo:
    require_admin(actor)
    with db.write() as s:
        year = get_or_404(s, SchoolYear, year_id, "năm học")
        start_year = int(year.name[:4])
        check_year_dates(start_year, start_date, hk1_end, end_date)
        sem1, sem2 = sorted(year.semesters, key=lambda m: m.number)
        old = {"start_date": year.start_date, "hk1_end": sem1.end_date, "end_date": year.end_date}
        new = {"start_date": start_date, "hk1_end": hk1_end, "end_date": end_date}
        year.start_date, year.end_date = start_date, end_date
        sem1.start_date, sem1.end_date = start_date, hk1_end
        sem2.start_date, sem2.end_date = hk1_end + timedelta(days=1), end_date
        changes: dict[str, object] = {k: [old[k], new[k]] for k in new if old[k] != new[k]}
        if changes:
            audit.append(s, actor=actor.login, action="school_year.update", entity="school_year",
                         entity_id=year.id, detail=changes)
        s.flush()
        return _year_info(year)


def set_current_year(db: Database, actor: Actor, year_id: int) -> None:
    require_admin(actor)
    with db.write() as s:
        year = get_or_404(s, SchoolYear, year_id, "năm học")
        if year.is_current:
            return
        before = None
        for other in s.scalars(select(SchoolYear).where(SchoolYear.school_id == year.school_id)):
            if other.is_current:
                before = other.name
            other.is_current = other.id == year.id
        audit.append(s, actor=actor.login, action="school_year.set_current", entity="school_year",
                     entity_id=year.id, detail={"current": [before, year.name]})
