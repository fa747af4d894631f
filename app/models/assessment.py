"""Assessments of a student in an enrolment (one class × school year).

Scores are stored as text ("7.5", "Đ", "CĐ") and parsed into Decimal by the services:
SQLite has no decimal type, and binary floats must never touch an average
(domain.md §4.2). Continuous assessments are a JSON list in one column because their
number varies with the subject's lessons per year.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, utcnow


class SecondaryAssessment(Base):
    """Thông tư 22: one subject, one semester (ĐĐGtx list, ĐĐGgk, ĐĐGck, comment)."""

    __tablename__ = "secondary_assessment"
    __table_args__ = (
        UniqueConstraint("enrolment_id", "subject_id", "semester"),
        CheckConstraint("semester IN (1, 2)", name="semester"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolment.id", ondelete="RESTRICT"))
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id", ondelete="RESTRICT"))
    semester: Mapped[int] = mapped_column(Integer)
    tx: Mapped[list[str]] = mapped_column(JSON, default=list)
    gk: Mapped[str | None] = mapped_column(String(4))
    ck: Mapped[str | None] = mapped_column(String(4))
    comment: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class Reassessment(Base):
    """Thông tư 22: the summer re-assessment (kiểm tra lại) of one subject."""

    __tablename__ = "reassessment"
    __table_args__ = (UniqueConstraint("enrolment_id", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolment.id", ondelete="RESTRICT"))
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id", ondelete="RESTRICT"))
    value: Mapped[str] = mapped_column(String(4))
    assessed_on: Mapped[date | None] = mapped_column(Date)


class PrimaryAssessment(Base):
    """Thông tư 27: one subject in one period (level T/H/C, optional integer test score)."""

    __tablename__ = "primary_assessment"
    __table_args__ = (
        UniqueConstraint("enrolment_id", "subject_id", "period"),
        CheckConstraint("period IN ('gk1', 'ck1', 'gk2', 'cn')", name="period"),
        CheckConstraint("level IS NULL OR level IN ('T', 'H', 'C')", name="level"),
        CheckConstraint(
            "test_score IS NULL OR test_score BETWEEN 0 AND 10", name="test_score"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolment.id", ondelete="RESTRICT"))
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id", ondelete="RESTRICT"))
    period: Mapped[str] = mapped_column(String(3))  # giữa HKI, cuối HKI, giữa HKII, cuối năm
    level: Mapped[str | None] = mapped_column(String(1))
    test_score: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class PrimaryTrait(Base):
    """Thông tư 27: a quality (phẩm chất) or competency (năng lực) in one period."""

    __tablename__ = "primary_trait"
    __table_args__ = (
        UniqueConstraint("enrolment_id", "code", "period"),
        CheckConstraint("kind IN ('quality', 'competency')", name="kind"),
        CheckConstraint("period IN ('gk1', 'ck1', 'gk2', 'cn')", name="period"),
        CheckConstraint("level IS NULL OR level IN ('T', 'Đ', 'C')", name="level"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolment.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(10))
    code: Mapped[str] = mapped_column(String(30))
    period: Mapped[str] = mapped_column(String(3))
    level: Mapped[str | None] = mapped_column(String(2))
    comment: Mapped[str | None] = mapped_column(Text)


class Conduct(Base):
    """Thông tư 22: conduct (rèn luyện) per semester, and after summer training ('he')."""

    __tablename__ = "conduct"
    __table_args__ = (
        UniqueConstraint("enrolment_id", "period"),
        CheckConstraint("period IN ('hk1', 'hk2', 'he')", name="period"),
        CheckConstraint("level IN ('T', 'K', 'Đ', 'CĐ')", name="level"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolment.id", ondelete="RESTRICT"))
    period: Mapped[str] = mapped_column(String(3))
    level: Mapped[str] = mapped_column(String(2))
    comment: Mapped[str | None] = mapped_column(Text)


class Attendance(Base):
    """Sessions absent per semester (the 45-session limit counts the year's total)."""

    __tablename__ = "attendance"
    __table_args__ = (
        UniqueConstraint("enrolment_id", "semester"),
        CheckConstraint("semester IN (1, 2)", name="semester"),
        CheckConstraint("excused >= 0 AND unexcused >= 0", name="non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolment.id", ondelete="RESTRICT"))
    semester: Mapped[int] = mapped_column(Integer)
    excused: Mapped[int] = mapped_column(Integer, default=0)
    unexcused: Mapped[int] = mapped_column(Integer, default=0)


class YearComment(Base):
    """The homeroom teacher's year comment on the record page."""

    __tablename__ = "year_comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(
        ForeignKey("enrolment.id", ondelete="RESTRICT"), unique=True
    )
    text: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class Award(Base):
    """Titles and awards: computed titles are confirmed here; ad-hoc awards too."""

    __tablename__ = "award"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('xuat_sac', 'gioi', 'tieu_bieu', 'khac')", name="kind"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolment.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(300))
    decided_on: Mapped[date | None] = mapped_column(Date)
