"""corrections and locks: correction_request, trusted_root, and the triggers keeping the
scores behind issued records locked

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23

- correction_request: a homeroom teacher's request to correct an issued record, the
  leader's decision and the new version it led to (app.models.corrections);
- trusted_root: root certificates the admin imported into the app's trust store;
- ix_document_enrolment_id: the triggers below look up a student's record on every write;
- triggers (app.models.triggers.CORRECTION_TRIGGERS): requests only move forward and keep
  what was asked; the values of a student whose current record is issued are refused
  unless a correction of it is approved.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.models.triggers import CORRECTION_TRIGGERS, TRIGGERS

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "correction_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("enrolment_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("new_document_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("requested_by_name", sa.String(length=200), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_by_name", sa.String(length=200), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("issued_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "state IN ('requested', 'approved', 'rejected', 'issued')", name=op.f("ck_correction_request_state")
        ),
        sa.CheckConstraint("length(trim(reason)) > 0", name=op.f("ck_correction_request_reason")),
        sa.ForeignKeyConstraint(
            ["enrolment_id"], ["enrolment.id"],
            name=op.f("fk_correction_request_enrolment_id_enrolment"), ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["document_id"], ["document.id"],
            name=op.f("fk_correction_request_document_id_document"), ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["new_document_id"], ["document.id"],
            name=op.f("fk_correction_request_new_document_id_document"), ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"], ["user_account.id"],
            name=op.f("fk_correction_request_requested_by_id_user_account"), ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["user_account.id"],
            name=op.f("fk_correction_request_decided_by_id_user_account"), ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_correction_request")),
        sa.UniqueConstraint("uuid", name=op.f("uq_correction_request_uuid")),
    )  # fmt: skip
    op.create_index(
        op.f("ix_correction_request_enrolment_id"), "correction_request", ["enrolment_id"], unique=False
    )
    op.create_index(
        "uq_correction_request_open", "correction_request", ["enrolment_id"], unique=True,
        sqlite_where=sa.text("state IN ('requested', 'approved')"),
    )  # fmt: skip
    op.create_table(
        "trusted_root",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("der", sa.LargeBinary(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("not_after", sa.DateTime(), nullable=False),
        sa.Column("added_by", sa.String(length=100), nullable=False),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trusted_root")),
        sa.UniqueConstraint("sha256", name=op.f("uq_trusted_root_sha256")),
    )
    op.create_index("ix_document_enrolment_id", "document", ["enrolment_id"], unique=False)
    for name in CORRECTION_TRIGGERS:
        op.execute(TRIGGERS[name].strip())


def downgrade() -> None:
    for name in CORRECTION_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_index("ix_document_enrolment_id", table_name="document")
    op.drop_table("trusted_root")
    op.drop_index("uq_correction_request_open", table_name="correction_request")
    op.drop_index(op.f("ix_correction_request_enrolment_id"), table_name="correction_request")
    op.drop_table("correction_request")
