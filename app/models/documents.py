"""Documents (records and class subject sheets), their stored files and their signatures.

A `Document` is one version of a student's học bạ for a year (kind "record") or of a
class × subject × term sheet (kind "sheet"). Its state only moves along the signing order
(domain.md §3): sheets draft → gvbm_signed; records draft → gvcn_signed → approved →
issued. A correction is a new row (version + 1) naming the one it supersedes; the old one
only gets `superseded` set. `DocumentFile` names every file the document had, by SHA-256
(the content-addressed store, app.services.document_store); `Signature` says who signed
which field with which certificate. Triggers (app.models.triggers.DOCUMENT_TRIGGERS) refuse
changing or deleting final documents and their files and signatures.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, utcnow

KIND_RECORD = "record"
KIND_SHEET = "sheet"

DRAFT = "draft"
GVBM_SIGNED = "gvbm_signed"  # final state of a sheet
GVCN_SIGNED = "gvcn_signed"
APPROVED = "approved"
ISSUED = "issued"
STATES = (DRAFT, GVBM_SIGNED, GVCN_SIGNED, APPROVED, ISSUED)
FINAL_STATES = (GVBM_SIGNED, ISSUED)

ROLE_GVBM = "gvbm"
ROLE_GVCN = "gvcn"
ROLE_LEADER = "hieutruong"  # principal or vice principal: `Signature.leader` says which
ROLE_SEAL = "condau"
SIGNATURE_ROLES = (ROLE_GVBM, ROLE_GVCN, ROLE_LEADER, ROLE_SEAL)
LEADERS = ("hieutruong", "phohieutruong")


class Document(Base):
    __tablename__ = "document"
    __table_args__ = (
        CheckConstraint("kind IN ('record', 'sheet')", name="kind"),
        CheckConstraint(
            "state IN ('draft', 'gvbm_signed', 'gvcn_signed', 'approved', 'issued')", name="state"
        ),
        CheckConstraint(
            "(kind = 'record' AND enrolment_id IS NOT NULL AND subject_id IS NULL) OR "
            "(kind = 'sheet' AND subject_id IS NOT NULL AND term IS NOT NULL AND enrolment_id IS NULL)",
            name="subject",
        ),
        CheckConstraint("version >= 1", name="version"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)  # record_uuid / sheet_uuid
    kind: Mapped[str] = mapped_column(String(10))
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id", ondelete="RESTRICT"))
    school_year_id: Mapped[int] = mapped_column(ForeignKey("school_year.id", ondelete="RESTRICT"))
    class_id: Mapped[int] = mapped_column(ForeignKey("school_class.id", ondelete="RESTRICT"), index=True)
    enrolment_id: Mapped[int | None] = mapped_column(ForeignKey("enrolment.id", ondelete="RESTRICT"))
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("subject.id", ondelete="RESTRICT"))
    term: Mapped[str | None] = mapped_column(String(10))  # sheets: hocky1, hocky2, canam
    version: Mapped[int] = mapped_column(Integer, default=1)
    supersedes: Mapped[str | None] = mapped_column(String(36))  # uuid of the version it corrects
    supersede_reason: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20), default=DRAFT)
    superseded: Mapped[bool] = mapped_column(Boolean, default=False)
    current_sha256: Mapped[str | None] = mapped_column(String(64))  # the newest file
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    issued_at: Mapped[datetime | None] = mapped_column(DateTime)


class DocumentFile(Base):
    """A file a document had (draft, then one per signature), by SHA-256 in the store."""

    __tablename__ = "document_file"
    __table_args__ = (UniqueConstraint("document_id", "sha256"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id", ondelete="RESTRICT"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    store_key: Mapped[str] = mapped_column(String(400))  # relative to the store: "ab/ab…pdf"
    size: Mapped[int] = mapped_column(Integer)
    stage: Mapped[str] = mapped_column(String(10))  # draft, or the role whose signature made it
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Signature(Base):
    __tablename__ = "signature"
    __table_args__ = (
        UniqueConstraint("document_id", "role"),
        CheckConstraint("role IN ('gvbm', 'gvcn', 'hieutruong', 'condau')", name="role"),
        CheckConstraint("leader IS NULL OR leader IN ('hieutruong', 'phohieutruong')", name="leader"),
        CheckConstraint("(role = 'condau') = (signer_user_id IS NULL)", name="signer"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id", ondelete="RESTRICT"), index=True)
    role: Mapped[str] = mapped_column(String(12))
    signer_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    leader: Mapped[str | None] = mapped_column(String(15))  # which leader approved
    certificate_sha256: Mapped[str] = mapped_column(String(64))
    signer_name: Mapped[str] = mapped_column(String(200))  # as stamped, kept after handovers
    demo: Mapped[bool] = mapped_column(Boolean, default=False)
    file_sha256: Mapped[str] = mapped_column(String(64))  # the file this signature produced
    signed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
