"""verification and prints: certificate_request

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23

- certificate_request: a user's request to register the certificate read from their token
  to their own account, waiting for the admin's confirmation (app.models.cert_requests);
  at most one pending request per certificate.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "certificate_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("der", sa.LargeBinary(), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("issuer", sa.String(length=500), nullable=False),
        sa.Column("serial_hex", sa.String(length=80), nullable=False),
        sa.Column("not_before", sa.DateTime(), nullable=False),
        sa.Column("not_after", sa.DateTime(), nullable=False),
        sa.Column("token_label", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("decided_by", sa.String(length=60), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "state IN ('pending', 'confirmed', 'rejected')", name=op.f("ck_certificate_request_state")
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["school.id"], name=op.f("fk_certificate_request_school_id_school"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_certificate_request_user_id_user_account"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificate_request")),
    )
    op.create_index(op.f("ix_certificate_request_user_id"), "certificate_request", ["user_id"], unique=False)
    op.create_index(
        "uq_certificate_request_pending", "certificate_request", ["sha256"], unique=True,
        sqlite_where=sa.text("state = 'pending'"),
    )


def downgrade() -> None:
    op.drop_index("uq_certificate_request_pending", table_name="certificate_request")
    op.drop_index(op.f("ix_certificate_request_user_id"), table_name="certificate_request")
    op.drop_table("certificate_request")
