"""The sync outbox: issued documents waiting to reach the department's hub (architecture.md §6).

An `OutboxItem` is written by the issuing transaction (app.sync.outbox.enqueue) next to
the document's own rows, so an issued document and its way out commit together. Its
state only moves forward (pending → sent → accepted, or needs_attention); triggers in
app.models.triggers refuse anything else, refuse an "accepted" without a stored receipt,
and refuse changing what the item carries once its manifest is frozen.

`SyncReceipt` keeps each receipt exactly as the hub signed it; `SyncState` is the one row
of connection settings and the last sync's outcome that the status line reads.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, utcnow

PENDING = "pending"
SENT = "sent"  # the submission may have reached the hub; no verified receipt yet
ACCEPTED = "accepted"  # the hub's receipt was verified and stored in the same transaction
NEEDS_ATTENTION = "needs_attention"  # the hub refused it, or the local file is damaged: a person must act
STATES = (PENDING, SENT, ACCEPTED, NEEDS_ATTENTION)
WAITING_STATES = (PENDING, SENT)


class OutboxItem(Base):
    __tablename__ = "outbox_item"
    __table_args__ = (
        UniqueConstraint("kind", "document_id", "version"),
        CheckConstraint("kind IN ('record', 'sheet')", name="kind"),
        CheckConstraint("state IN ('pending', 'sent', 'accepted', 'needs_attention')", name="state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # the sending order: oldest first
    submission_id: Mapped[str] = mapped_column(String(36), unique=True)
    kind: Mapped[str] = mapped_column(String(10))
    document_id: Mapped[str] = mapped_column(String(36))
    version: Mapped[int] = mapped_column(Integer)
    supersedes: Mapped[str | None] = mapped_column(String(36))
    school_code: Mapped[str] = mapped_column(String(40))
    student_code: Mapped[str | None] = mapped_column(String(40))
    year_name: Mapped[str] = mapped_column(String(9))
    sha256: Mapped[str] = mapped_column(String(64))  # the issued file
    size: Mapped[int] = mapped_column(Integer)
    store_key: Mapped[str] = mapped_column(String(400))  # where the issued file is (see app.sync.blobs)
    extras: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    audit_head: Mapped[str] = mapped_column(String(64))  # chain head of the issuing transaction
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    state: Mapped[str] = mapped_column(String(20), default=PENDING, index=True)
    # Frozen before the first send: the canonical manifest, and the bytes it names (the
    # issued file, or its long-term extension when a timestamp server is configured).
    manifest: Mapped[str | None] = mapped_column(Text)
    send_sha256: Mapped[str | None] = mapped_column(String(64))
    send_store_key: Mapped[str | None] = mapped_column(String(400))
    longterm_note: Mapped[str | None] = mapped_column(Text)
    channel: Mapped[str | None] = mapped_column(String(10))  # "http" or "bundle"
    in_progress_since: Mapped[datetime | None] = mapped_column(DateTime)  # reset at the start of a sync
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(Text)  # the latest transient problem, in Vietnamese
    attention_reason: Mapped[str | None] = mapped_column(Text)  # why a person must act, in Vietnamese
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime)
    hub_verification: Mapped[str | None] = mapped_column(String(10))  # pending / verified / invalid
    hub_verification_summary: Mapped[str | None] = mapped_column(Text)
    hub_verification_at: Mapped[datetime | None] = mapped_column(DateTime)


class SyncReceipt(Base):
    __tablename__ = "sync_receipt"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    outbox_item_id: Mapped[int] = mapped_column(
        ForeignKey("outbox_item.id", ondelete="RESTRICT"), unique=True
    )
    submission_id: Mapped[str] = mapped_column(String(36))
    hub_id: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[str] = mapped_column(String(40))  # the hub's clock, as it signed it
    sequence: Mapped[int] = mapped_column(Integer)
    receipt_json: Mapped[str] = mapped_column(Text)  # the signed receipt, canonical JSON
    stored_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class SyncState(Base):
    """One row (id 1): which hub this school's database sends to, and how the last sync went.

    The device credential is never here: it lives in the OS keyring under `device_id`.
    """

    __tablename__ = "sync_state"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hub_url: Mapped[str | None] = mapped_column(String(300))
    hub_id: Mapped[str | None] = mapped_column(String(64))
    hub_name: Mapped[str | None] = mapped_column(String(200))
    hub_public_key: Mapped[str | None] = mapped_column(String(64))  # base64 Ed25519, pinned at connect
    device_id: Mapped[str | None] = mapped_column(String(36))
    school_code: Mapped[str | None] = mapped_column(String(40))
    connected_at: Mapped[datetime | None] = mapped_column(DateTime)
    interval_minutes: Mapped[int] = mapped_column(Integer, default=60)  # 0: only on demand
    timestamp_url: Mapped[str | None] = mapped_column(String(300))
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)
