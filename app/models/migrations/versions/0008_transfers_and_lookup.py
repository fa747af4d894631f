"""transfers and lookup: transfer_out, transfer_in, received_document and their triggers

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23

- transfer_out: a student left with a transfer package (enrolment ended, destination, date);
- transfer_in: a package this school accepted, with its signed manifest as received, the
  verification report and the principal's override reason when it did not verify;
- received_document: each record or sheet a package brought, kept as received (read-only);
- triggers (app.models.triggers.TRANSFER_TRIGGERS): none of these rows change or go away.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.models.triggers import TRANSFER_TRIGGERS, TRIGGERS

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "transfer_out",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("enrolment_id", sa.Integer(), nullable=False),
        sa.Column("transfer_date", sa.Date(), nullable=False),
        sa.Column("destination_school", sa.String(length=200), nullable=False),
        sa.Column("package_sha256", sa.String(length=64), nullable=False),
        sa.Column("manifest_sha256", sa.String(length=64), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=60), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enrolment_id"], ["enrolment.id"], name=op.f("fk_transfer_out_enrolment_id_enrolment"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["student_id"], ["student.id"], name=op.f("fk_transfer_out_student_id_student"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfer_out")),
        sa.UniqueConstraint("enrolment_id", name=op.f("uq_transfer_out_enrolment_id")),
    )
    op.create_index(op.f("ix_transfer_out_student_id"), "transfer_out", ["student_id"], unique=False)
    op.create_table(
        "transfer_in",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("source_school_code", sa.String(length=20), nullable=False),
        sa.Column("source_school_name", sa.String(length=200), nullable=False),
        sa.Column("package_sha256", sa.String(length=64), nullable=False),
        sa.Column("manifest_sha256", sa.String(length=64), nullable=False),
        sa.Column("manifest", sa.LargeBinary(), nullable=False),
        sa.Column("manifest_signature", sa.LargeBinary(), nullable=False),
        sa.Column("verified", sa.Boolean(), nullable=False),
        sa.Column("report", sa.Text(), nullable=False),
        sa.Column("override_reason", sa.Text(), nullable=True),
        sa.Column("student_created", sa.Boolean(), nullable=False),
        sa.Column("accepted_by", sa.String(length=60), nullable=False),
        sa.Column("accepted_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["student_id"], ["student.id"], name=op.f("fk_transfer_in_student_id_student"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfer_in")),
        sa.UniqueConstraint("manifest_sha256", name=op.f("uq_transfer_in_manifest_sha256")),
    )
    op.create_index(op.f("ix_transfer_in_student_id"), "transfer_in", ["student_id"], unique=False)
    op.create_table(
        "received_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("transfer_in_id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("document_uuid", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("year_name", sa.String(length=9), nullable=False),
        sa.Column("class_name", sa.String(length=20), nullable=False),
        sa.Column("school_name", sa.String(length=200), nullable=False),
        sa.Column("subject_code", sa.String(length=20), nullable=True),
        sa.Column("term", sa.String(length=10), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("store_key", sa.String(length=400), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("signatures_ok", sa.Boolean(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('record', 'sheet')", name=op.f("ck_received_document_kind")),
        sa.ForeignKeyConstraint(
            ["student_id"], ["student.id"], name=op.f("fk_received_document_student_id_student"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["transfer_in_id"], ["transfer_in.id"], name=op.f("fk_received_document_transfer_in_id_transfer_in"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_received_document")),
        sa.UniqueConstraint(
            "transfer_in_id", "sha256", name=op.f("uq_received_document_transfer_in_id_sha256")
        ),
    )
    op.create_index(op.f("ix_received_document_sha256"), "received_document", ["sha256"], unique=False)
    op.create_index(op.f("ix_received_document_student_id"), "received_document", ["student_id"], unique=False)
    op.create_index(
        op.f("ix_received_document_transfer_in_id"), "received_document", ["transfer_in_id"], unique=False
    )
    for name in TRANSFER_TRIGGERS:
        op.execute(TRIGGERS[name].strip())


def downgrade() -> None:
    for name in TRANSFER_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table("received_document")
    op.drop_table("transfer_in")
    op.drop_table("transfer_out")
