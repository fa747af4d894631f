"""Corrections of issued records (đính chính học bạ) and the roots the school trusts.

`CorrectionRequest`: the homeroom teacher asks to correct a student's issued year record
with a reason; the principal or vice principal approves (or rejects with a note). On
approval the new version (`Document`, version + 1, naming the one it supersedes) is created
as a draft and the student's scores open for the correction; when that version issues, the
request becomes `issued` and the old version is marked superseded. States only move
forward (triggers in app.models.triggers.CORRECTION_TRIGGERS); at most one request per
student's year is open (requested or approved) at a time.

`TrustedRoot`: a root certificate the admin imported into the app's own trust store
(resources/trust plus these; never the operating system's store).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, utcnow
from app.models.documents import Document

REQUESTED = "requested"
APPROVED = "approved"
REJECTED = "rejected"
ISSUED = "issued"
CORRECTION_STATES = (REQUESTED, APPROVED, REJECTED, ISSUED)
OPEN_STATES = (REQUESTED, APPROVED)


class CorrectionRequest(Base):
    __tablename__ = "correction_request"
    __table_args__ = (
        CheckConstraint("state IN ('requested', 'approved', 'rejected', 'issued')", name="state"),
        CheckConstraint("length(trim(reason)) > 0", name="reason"),
        Index(
            "uq_correction_request_open",
            "enrolment_id",
            unique=True,
            sqlite_where=text("state IN ('requested', 'approved')"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolment.id", ondelete="RESTRICT"), index=True)
    # The issued version being corrected, and (once approved) the new version.
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id", ondelete="RESTRICT"))
    new_document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id", ondelete="RESTRICT"))
    reason: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(10), default=REQUESTED)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    requested_by_name: Mapped[str] = mapped_column(String(200))
    requested_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    decided_by_name: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    decision_note: Mapped[str | None] = mapped_column(Text)  # why it was rejected
    issued_at: Mapped[datetime | None] = mapped_column(DateTime)


class TrustedRoot(Base):
    __tablename__ = "trusted_root"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)  # of the DER certificate
    der: Mapped[bytes] = mapped_column(LargeBinary)
    subject: Mapped[str] = mapped_column(Text)
    not_after: Mapped[datetime] = mapped_column(DateTime)
    added_by: Mapped[str] = mapped_column(String(100))
    added_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


# The issued-record triggers (app.models.triggers) look up a student's record on every write
# of their values: without this index each write scans the whole document table (measured in
# bench/bench_corrections.py). Declared here, beside the triggers' other tables, so the
# documents module stays as the signing work left it.
DOCUMENT_ENROLMENT_INDEX = Index("ix_document_enrolment_id", Document.enrolment_id)
