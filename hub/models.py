"""The hub's tables: schools, their devices, content-addressed blobs, submissions."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class School(Base):
    __tablename__ = "school"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Device(Base):
    """A school PC allowed to submit; only the SHA-256 of its credential is kept."""

    __tablename__ = "device"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id", ondelete="RESTRICT"), index=True)
    credential_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)


class Blob(Base):
    """A document's bytes, present in the blob store (the row is written after the fsync)."""

    __tablename__ = "blob"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    stored_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Submission(Base):
    """One submission id, exactly one row (unique), with the receipt the hub signed for it."""

    __tablename__ = "submission"

    # 64-bit on PostgreSQL (a whole country's records); SQLite's rowid is 64-bit already.
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    submission_id: Mapped[str] = mapped_column(String(36), unique=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id", ondelete="RESTRICT"), index=True)
    device_id: Mapped[str | None] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(10))  # http / bundle
    kind: Mapped[str] = mapped_column(String(10))
    document_id: Mapped[str] = mapped_column(String(36), index=True)
    version: Mapped[int] = mapped_column(Integer)
    supersedes: Mapped[str | None] = mapped_column(String(36))
    student_code: Mapped[str | None] = mapped_column(String(40))
    year: Mapped[str] = mapped_column(String(9))
    # Indexed: GET /v1/verify/{sha256} looks a printed record up by either hash.
    document_sha256: Mapped[str] = mapped_column(ForeignKey("blob.sha256", ondelete="RESTRICT"), index=True)
    issued_sha256: Mapped[str] = mapped_column(String(64), index=True)
    manifest: Mapped[str] = mapped_column(Text)  # canonical JSON, as hashed
    manifest_sha256: Mapped[str] = mapped_column(String(64))
    audit_head: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(DateTime)
    receipt: Mapped[str] = mapped_column(Text)  # the signed receipt, canonical JSON
    verification_status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    verification_summary: Mapped[str | None] = mapped_column(Text)
    verification_detail: Mapped[str | None] = mapped_column(Text)  # JSON per signature
    verified_at: Mapped[datetime | None] = mapped_column(DateTime)
