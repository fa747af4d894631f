"""Transfers between schools: packages sent, packages received and the documents they brought.

`TransferOut` records that a student left with a transfer package (the enrolment it ended,
the destination school, the date, the package's SHA-256). `TransferIn` records a package
this school accepted: its signed manifest as received, the verification report in words,
and, when the principal accepted a package that did not verify, the reason. Each document
the package brought is a `ReceivedDocument`: a file in the content-addressed store, bytes
exactly as the other school signed them, read-only and never re-signed. Triggers
(app.models.triggers.TRANSFER_TRIGGERS) refuse changing or deleting any of these rows.
"""

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
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, utcnow

RECEIVED_RECORD = "record"
RECEIVED_SHEET = "sheet"


class TransferOut(Base):
    __tablename__ = "transfer_out"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id", ondelete="RESTRICT"), index=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolment.id", ondelete="RESTRICT"), unique=True)
    transfer_date: Mapped[date] = mapped_column(Date)
    destination_school: Mapped[str] = mapped_column(String(200))
    package_sha256: Mapped[str] = mapped_column(String(64))
    manifest_sha256: Mapped[str] = mapped_column(String(64))
    records: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class TransferIn(Base):
    __tablename__ = "transfer_in"
    __table_args__ = (UniqueConstraint("manifest_sha256"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id", ondelete="RESTRICT"), index=True)
    source_school_code: Mapped[str] = mapped_column(String(20))
    source_school_name: Mapped[str] = mapped_column(String(200))
    package_sha256: Mapped[str] = mapped_column(String(64))
    manifest_sha256: Mapped[str] = mapped_column(String(64))
    manifest: Mapped[bytes] = mapped_column(LargeBinary)  # exactly the bytes the seal signed
    manifest_signature: Mapped[bytes] = mapped_column(LargeBinary)  # CMS, DER
    verified: Mapped[bool] = mapped_column(Boolean)  # every check passed at import
    report: Mapped[str] = mapped_column(Text)  # the verification report (JSON, in words)
    override_reason: Mapped[str | None] = mapped_column(Text)  # the principal's, when not verified
    student_created: Mapped[bool] = mapped_column(Boolean)  # False: matched an existing student
    accepted_by: Mapped[str] = mapped_column(String(60))
    accepted_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ReceivedDocument(Base):
    """A record or subject sheet another school issued, kept as received (read-only)."""

    __tablename__ = "received_document"
    __table_args__ = (
        UniqueConstraint("transfer_in_id", "sha256"),
        CheckConstraint("kind IN ('record', 'sheet')", name="kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    transfer_in_id: Mapped[int] = mapped_column(ForeignKey("transfer_in.id", ondelete="RESTRICT"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    document_uuid: Mapped[str] = mapped_column(String(36))  # mahoso / mabangdiem of the issuing school
    version: Mapped[int] = mapped_column(Integer)
    year_name: Mapped[str] = mapped_column(String(9))
    class_name: Mapped[str] = mapped_column(String(20))
    school_name: Mapped[str] = mapped_column(String(200))  # the school that issued it
    subject_code: Mapped[str | None] = mapped_column(String(20))  # sheets
    term: Mapped[str | None] = mapped_column(String(10))  # sheets
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    store_key: Mapped[str] = mapped_column(String(400))
    size: Mapped[int] = mapped_column(Integer)
    signatures_ok: Mapped[bool] = mapped_column(Boolean)  # every signature intact and trusted at import
    received_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
