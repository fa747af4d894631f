"""outbox and sync: outbox_item, sync_receipt, sync_state and their triggers

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23

- outbox_item: issued documents on their way to the department's hub (app.models.outbox);
- sync_receipt: the hub's signed receipts, one per accepted item, kept as signed;
- sync_state: the one row of connection settings and the last sync's outcome;
- triggers (app.models.triggers.OUTBOX_TRIGGERS): forward-only states, accepted only with
  a receipt, fixed contents once the manifest is frozen, no deletes.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.models.triggers import OUTBOX_TRIGGERS, TRIGGERS

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outbox_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("document_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("supersedes", sa.String(length=36), nullable=True),
        sa.Column("school_code", sa.String(length=40), nullable=False),
        sa.Column("student_code", sa.String(length=40), nullable=True),
        sa.Column("year_name", sa.String(length=9), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("store_key", sa.String(length=400), nullable=False),
        sa.Column("extras", sa.JSON(), nullable=False),
        sa.Column("audit_head", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("manifest", sa.Text(), nullable=True),
        sa.Column("send_sha256", sa.String(length=64), nullable=True),
        sa.Column("send_store_key", sa.String(length=400), nullable=True),
        sa.Column("longterm_note", sa.Text(), nullable=True),
        sa.Column("channel", sa.String(length=10), nullable=True),
        sa.Column("in_progress_since", sa.DateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("attention_reason", sa.Text(), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("accepted_at", sa.DateTime(), nullable=True),
        sa.Column("hub_verification", sa.String(length=10), nullable=True),
        sa.Column("hub_verification_summary", sa.Text(), nullable=True),
        sa.Column("hub_verification_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("kind IN ('record', 'sheet')", name=op.f("ck_outbox_item_kind")),
        sa.CheckConstraint(
            "state IN ('pending', 'sent', 'accepted', 'needs_attention')", name=op.f("ck_outbox_item_state")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_item")),
        sa.UniqueConstraint("kind", "document_id", "version", name=op.f("uq_outbox_item_kind_document_id_version")),
        sa.UniqueConstraint("submission_id", name=op.f("uq_outbox_item_submission_id")),
    )
    op.create_index(op.f("ix_outbox_item_state"), "outbox_item", ["state"], unique=False)
    op.create_table(
        "sync_receipt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("outbox_item_id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.String(length=36), nullable=False),
        sa.Column("hub_id", sa.String(length=64), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("received_at", sa.String(length=40), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("receipt_json", sa.Text(), nullable=False),
        sa.Column("stored_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["outbox_item_id"], ["outbox_item.id"],
            name=op.f("fk_sync_receipt_outbox_item_id_outbox_item"), ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_receipt")),
        sa.UniqueConstraint("outbox_item_id", name=op.f("uq_sync_receipt_outbox_item_id")),
    )
    op.create_table(
        "sync_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hub_url", sa.String(length=300), nullable=True),
        sa.Column("hub_id", sa.String(length=64), nullable=True),
        sa.Column("hub_name", sa.String(length=200), nullable=True),
        sa.Column("hub_public_key", sa.String(length=64), nullable=True),
        sa.Column("device_id", sa.String(length=36), nullable=True),
        sa.Column("school_code", sa.String(length=40), nullable=True),
        sa.Column("connected_at", sa.DateTime(), nullable=True),
        sa.Column("interval_minutes", sa.Integer(), nullable=False),
        sa.Column("timestamp_url", sa.String(length=300), nullable=True),
        sa.Column("last_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("last_success_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_at", sa.DateTime(), nullable=True),
        sa.Column("last_summary", sa.JSON(), nullable=True),
        sa.CheckConstraint("id = 1", name=op.f("ck_sync_state_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_state")),
    )
    for name in OUTBOX_TRIGGERS:
        op.execute(TRIGGERS[name].strip())


def downgrade() -> None:
    for name in OUTBOX_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table("sync_state")
    op.drop_table("sync_receipt")
    op.drop_index(op.f("ix_outbox_item_state"), table_name="outbox_item")
    op.drop_table("outbox_item")
