"""documents and signing: document, document_file, signature and their triggers

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23

- document: one version of a record (student × year) or of a class subject sheet, with its
  state in the signing order (app.models.documents);
- document_file: every file a document had, by SHA-256 in the content-addressed store;
- signature: who signed which field, with which certificate, and which leader approved;
- triggers (app.models.triggers.DOCUMENT_TRIGGERS): final documents, their files and
  signatures never change and are never deleted (only `superseded` may be set).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.models.triggers import DOCUMENT_TRIGGERS, TRIGGERS

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("school_year_id", sa.Integer(), nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("enrolment_id", sa.Integer(), nullable=True),
        sa.Column("subject_id", sa.Integer(), nullable=True),
        sa.Column("term", sa.String(length=10), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("supersedes", sa.String(length=36), nullable=True),
        sa.Column("supersede_reason", sa.Text(), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("superseded", sa.Boolean(), nullable=False),
        sa.Column("current_sha256", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("kind IN ('record', 'sheet')", name=op.f("ck_document_kind")),
        sa.CheckConstraint(
            "state IN ('draft', 'gvbm_signed', 'gvcn_signed', 'approved', 'issued')",
            name=op.f("ck_document_state"),
        ),
        sa.CheckConstraint(
            "(kind = 'record' AND enrolment_id IS NOT NULL AND subject_id IS NULL) OR "
            "(kind = 'sheet' AND subject_id IS NOT NULL AND term IS NOT NULL AND enrolment_id IS NULL)",
            name=op.f("ck_document_subject"),
        ),
        sa.CheckConstraint("version >= 1", name=op.f("ck_document_version")),
        sa.ForeignKeyConstraint(
            ["class_id"],
            ["school_class.id"],
            name=op.f("fk_document_class_id_school_class"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["enrolment_id"],
            ["enrolment.id"],
            name=op.f("fk_document_enrolment_id_enrolment"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["school.id"], name=op.f("fk_document_school_id_school"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["school_year_id"],
            ["school_year.id"],
            name=op.f("fk_document_school_year_id_school_year"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subject.id"], name=op.f("fk_document_subject_id_subject"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document")),
        sa.UniqueConstraint("uuid", name=op.f("uq_document_uuid")),
    )
    op.create_index(op.f("ix_document_class_id"), "document", ["class_id"], unique=False)
    op.create_table(
        "document_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("store_key", sa.String(length=400), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["document.id"],
            name=op.f("fk_document_file_document_id_document"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_file")),
        sa.UniqueConstraint("document_id", "sha256", name=op.f("uq_document_file_document_id_sha256")),
    )
    op.create_index(op.f("ix_document_file_document_id"), "document_file", ["document_id"], unique=False)
    op.create_index(op.f("ix_document_file_sha256"), "document_file", ["sha256"], unique=False)
    op.create_table(
        "signature",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=12), nullable=False),
        sa.Column("signer_user_id", sa.Integer(), nullable=True),
        sa.Column("leader", sa.String(length=15), nullable=True),
        sa.Column("certificate_sha256", sa.String(length=64), nullable=False),
        sa.Column("signer_name", sa.String(length=200), nullable=False),
        sa.Column("demo", sa.Boolean(), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("signed_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "role IN ('gvbm', 'gvcn', 'hieutruong', 'condau')", name=op.f("ck_signature_role")
        ),
        sa.CheckConstraint(
            "leader IS NULL OR leader IN ('hieutruong', 'phohieutruong')", name=op.f("ck_signature_leader")
        ),
        sa.CheckConstraint("(role = 'condau') = (signer_user_id IS NULL)", name=op.f("ck_signature_signer")),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["document.id"],
            name=op.f("fk_signature_document_id_document"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["signer_user_id"],
            ["user_account.id"],
            name=op.f("fk_signature_signer_user_id_user_account"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signature")),
        sa.UniqueConstraint("document_id", "role", name=op.f("uq_signature_document_id_role")),
    )
    op.create_index(op.f("ix_signature_document_id"), "signature", ["document_id"], unique=False)
    for name in DOCUMENT_TRIGGERS:
        op.execute(TRIGGERS[name].strip())


def downgrade() -> None:
    for name in DOCUMENT_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_index(op.f("ix_signature_document_id"), table_name="signature")
    op.drop_table("signature")
    op.drop_index(op.f("ix_document_file_sha256"), table_name="document_file")
    op.drop_index(op.f("ix_document_file_document_id"), table_name="document_file")
    op.drop_table("document_file")
    op.drop_index(op.f("ix_document_class_id"), table_name="document")
    op.drop_table("document")
