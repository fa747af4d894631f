"""The school, its years, grades, classes and subjects."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base

# School levels of the national catalogue (domain.md §4.4).
LEVEL_PRIMARY = "02"
LEVEL_LOWER_SECONDARY = "03"
LEVEL_UPPER_SECONDARY = "04"
LEVEL_CONTINUING = "05"


class School(Base):
    __tablename__ = "school"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    school_code: Mapped[str] = mapped_column(String(20), unique=True)  # matruong
    department_code: Mapped[str] = mapped_column(String(20))  # masogd
    province: Mapped[str] = mapped_column(String(100))
    district: Mapped[str | None] = mapped_column(String(100))
    address: Mapped[str | None] = mapped_column(String(300))
    # Comma-separated level codes taught ("03" or "03,04" for a combined school).
    levels: Mapped[str] = mapped_column(String(20))
    issuing_place: Mapped[str] = mapped_column(String(100))  # diadanhphathanh
    principal_name: Mapped[str | None] = mapped_column(String(100))
    # The demo school is the only one the demo signer may sign for.
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)

    years: Mapped[list[SchoolYear]] = relationship(back_populates="school")

    @property
    def level_codes(self) -> tuple[str, ...]:
        return tuple(c for c in self.levels.split(",") if c)


class SchoolYear(Base):
    __tablename__ = "school_year"
    __table_args__ = (UniqueConstraint("school_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id", ondelete="RESTRICT"))
    name: Mapped[str] = mapped_column(String(9))  # "2026-2027"
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    is_current: Mapped[bool] = mapped_column(Boolean, default=False)

    school: Mapped[School] = relationship(back_populates="years")
    semesters: Mapped[list[Semester]] = relationship(
        back_populates="school_year", order_by="Semester.number"
    )
    classes: Mapped[list[SchoolClass]] = relationship(back_populates="school_year")


class Semester(Base):
    __tablename__ = "semester"
    __table_args__ = (
        UniqueConstraint("school_year_id", "number"),
        CheckConstraint("number IN (1, 2)", name="number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_year_id: Mapped[int] = mapped_column(ForeignKey("school_year.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)

    school_year: Mapped[SchoolYear] = relationship(back_populates="semesters")


class Grade(Base):
    __tablename__ = "grade"
    __table_args__ = (
        UniqueConstraint("school_id", "number"),
        CheckConstraint("number BETWEEN 1 AND 12", name="number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id", ondelete="RESTRICT"))
    number: Mapped[int] = mapped_column(Integer)
    level: Mapped[str] = mapped_column(String(2))  # 02 / 03 / 04 / 05


class SchoolClass(Base):
    """A class (lớp) in one school year, with its homeroom teacher for that year."""

    __tablename__ = "school_class"
    __table_args__ = (UniqueConstraint("school_year_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_year_id: Mapped[int] = mapped_column(ForeignKey("school_year.id", ondelete="RESTRICT"))
    grade_id: Mapped[int] = mapped_column(ForeignKey("grade.id", ondelete="RESTRICT"))
    name: Mapped[str] = mapped_column(String(20))  # "6A1"
    homeroom_teacher_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="RESTRICT")
    )

    school_year: Mapped[SchoolYear] = relationship(back_populates="classes")
    grade: Mapped[Grade] = relationship()


class Subject(Base):
    """A subject or educational activity taught in a grade in a school year."""

    __tablename__ = "subject"
    __table_args__ = (
        UniqueConstraint("school_year_id", "grade_id", "code"),
        CheckConstraint("assessment IN ('score', 'comment', 'level')", name="assessment"),
        CheckConstraint("lessons_per_year >= 0", name="lessons"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_year_id: Mapped[int] = mapped_column(ForeignKey("school_year.id", ondelete="RESTRICT"))
    grade_id: Mapped[int] = mapped_column(ForeignKey("grade.id", ondelete="RESTRICT"))
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(100))
    lessons_per_year: Mapped[int] = mapped_column(Integer)
    # score: 0–10 with comments (TT22); comment: Đ/CĐ (TT22); level: T/H/C (TT27).
    assessment: Mapped[str] = mapped_column(String(10))
    # TT27: the subject has periodic tests with an integer score.
    periodic_test: Mapped[bool] = mapped_column(Boolean, default=False)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)

    grade: Mapped[Grade] = relationship()


class TeachingAssignment(Base):
    """Who teaches a subject in a class. Handover changes the teacher here; what the
    previous teacher signed stays attributed to them in the signature records."""

    __tablename__ = "teaching_assignment"
    __table_args__ = (UniqueConstraint("class_id", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    teacher_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    class_id: Mapped[int] = mapped_column(ForeignKey("school_class.id", ondelete="CASCADE"))
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id", ondelete="RESTRICT"))
    # Mark book locked (khoá sổ) by the subject teacher; unlocking needs the principal.
    locked_at: Mapped[datetime | None] = mapped_column(DateTime)
