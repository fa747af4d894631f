"""Accounts, their certificates, students, enrolments and study history."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, utcnow

# Roles (domain.md §2). Homeroom and subject teaching also follow from assignments; the
# role says what a person may do at all, the assignment says where.
ROLE_ADMIN = "admin"
ROLE_SUBJECT_TEACHER = "gvbm"
ROLE_HOMEROOM_TEACHER = "gvcn"
ROLE_PRINCIPAL = "hieutruong"
ROLE_VICE_PRINCIPAL = "phohieutruong"
ROLE_CLERK = "vanthu"
ALL_ROLES = (
    ROLE_ADMIN,
    ROLE_SUBJECT_TEACHER,
    ROLE_HOMEROOM_TEACHER,
    ROLE_PRINCIPAL,
    ROLE_VICE_PRINCIPAL,
    ROLE_CLERK,
)


class UserAccount(Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id", ondelete="RESTRICT"))
    login: Mapped[str] = mapped_column(String(60), unique=True)
    full_name: Mapped[str] = mapped_column(String(100))
    # argon2id hash (argon2-cffi's encoded form); never the password itself.
    password_hash: Mapped[str] = mapped_column(String(200))
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    roles: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )
    certificates: Mapped[list[Certificate]] = relationship(back_populates="user")

    @property
    def role_codes(self) -> frozenset[str]:
        return frozenset(r.role for r in self.roles)


class UserRole(Base):
    __tablename__ = "user_role"
    __table_args__ = (
        UniqueConstraint("user_id", "role"),
        CheckConstraint(
            "role IN ('admin', 'gvbm', 'gvcn', 'hieutruong', 'phohieutruong', 'vanthu')",
            name="role",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(20))

    user: Mapped[UserAccount] = relationship(back_populates="roles")


class Certificate(Base):
    """A signing certificate registered to a person, or (user_id NULL) the school seal."""

    __tablename__ = "certificate"
    __table_args__ = (UniqueConstraint("sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id", ondelete="RESTRICT"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    is_school_seal: Mapped[bool] = mapped_column(Boolean, default=False)
    subject: Mapped[str] = mapped_column(String(500))
    issuer: Mapped[str] = mapped_column(String(500))
    serial_hex: Mapped[str] = mapped_column(String(80))
    not_before: Mapped[datetime] = mapped_column(DateTime)
    not_after: Mapped[datetime] = mapped_column(DateTime)
    sha256: Mapped[str] = mapped_column(String(64))
    der: Mapped[bytes] = mapped_column(LargeBinary)
    registered_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)

    user: Mapped[UserAccount | None] = relationship(back_populates="certificates")


class Student(Base):
    """Front-page identity (domain.md §4.1). Identifiers never change once created."""

    __tablename__ = "student"
    __table_args__ = (
        CheckConstraint("sex IN (0, 1, 2)", name="sex"),
        CheckConstraint(
            "national_id IS NULL OR (length(national_id) = 12 AND national_id NOT GLOB '*[^0-9]*')",
            name="national_id_digits",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id", ondelete="RESTRICT"))
    student_code: Mapped[str] = mapped_column(String(40), unique=True)  # mahocsinh
    hocba_code: Mapped[str] = mapped_column(String(60), unique=True)  # madinhdanhhocba
    # 12 digits kept as text (leading zeros). NULL = provisional record, flagged in lists.
    national_id: Mapped[str | None] = mapped_column(String(12), unique=True)
    # A principal may accept a number that disagrees with birth date/sex, with a reason.
    national_id_override: Mapped[str | None] = mapped_column(Text)
    full_name: Mapped[str] = mapped_column(String(100))
    sex: Mapped[int] = mapped_column(Integer)  # QCVN 109:2017: 0 unknown, 1 male, 2 female
    date_of_birth: Mapped[date] = mapped_column(Date)
    place_of_birth: Mapped[str | None] = mapped_column(String(200))
    home_town: Mapped[str | None] = mapped_column(String(200))  # quê quán
    ethnicity: Mapped[str] = mapped_column(String(50), default="Kinh")
    nationality: Mapped[str] = mapped_column(String(50), default="Việt Nam")
    address: Mapped[str | None] = mapped_column(String(300))
    policy_status: Mapped[str | None] = mapped_column(String(200))  # đối tượng chính sách
    disabled_not_assessed: Mapped[bool] = mapped_column(Boolean, default=False)
    father_name: Mapped[str | None] = mapped_column(String(100))
    mother_name: Mapped[str | None] = mapped_column(String(100))
    guardian_name: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    enrolments: Mapped[list[Enrolment]] = relationship(back_populates="student")
    history: Mapped[list[StudyHistory]] = relationship(
        back_populates="student", order_by="StudyHistory.year_name"
    )


class StudyHistory(Base):
    """Years studied at other schools (quá trình học tập); years here come from enrolments."""

    __tablename__ = "study_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id", ondelete="CASCADE"))
    year_name: Mapped[str] = mapped_column(String(9))
    class_name: Mapped[str] = mapped_column(String(20))
    school_name: Mapped[str] = mapped_column(String(200))
    registration_number: Mapped[str | None] = mapped_column(String(40))  # số đăng bộ

    student: Mapped[Student] = relationship(back_populates="history")


class Enrolment(Base):
    """A student in a class for a school year, with dates so transfers are possible."""

    __tablename__ = "enrolment"
    __table_args__ = (
        UniqueConstraint("student_id", "class_id"),
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="dates"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id", ondelete="RESTRICT"))
    class_id: Mapped[int] = mapped_column(ForeignKey("school_class.id", ondelete="RESTRICT"))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    end_reason: Mapped[str | None] = mapped_column(String(200))  # chuyển trường, thôi học…
    registration_number: Mapped[str | None] = mapped_column(String(40))  # số đăng bộ

    student: Mapped[Student] = relationship(back_populates="enrolments")
