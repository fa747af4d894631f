"""workflows: comment snippets, the audit log's entity index, mark book lock triggers

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23

- comment_snippet: reusable comments per teacher (app.models.snippets);
- ix_audit_log_entity: per-cell change history of the mark book reads the audit log by
  (entity, entity_id) on every cell the teacher selects;
- triggers refusing INSERT/UPDATE/DELETE of secondary_assessment and primary_assessment
  rows whose class × subject is locked (app.models.triggers.LOCK_TRIGGERS).
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.models.triggers import LOCK_TRIGGERS, TRIGGERS

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # --- mark book (markbook engineer): snippets, audit entity index, lock triggers ------
    op.create_table(
        "comment_snippet",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("subject_code", sa.String(length=20), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("use_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_used_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["user_account.id"],
            name=op.f("fk_comment_snippet_owner_id_user_account"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comment_snippet")),
    )
    op.create_index(op.f("ix_comment_snippet_owner_id"), "comment_snippet", ["owner_id"], unique=False)
    op.create_index("ix_audit_log_entity", "audit_log", ["entity", "entity_id"], unique=False)
    for name in LOCK_TRIGGERS:
        op.execute(TRIGGERS[name].strip())
    # --- end mark book -----------------------------------------------------------------------

    # --- pre-sign checklist (homeroom engineer): what each person last looked at -------
    op.create_table(
        "checklist_look",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("actor_login", sa.String(length=60), nullable=False),
        sa.Column("looked_at", sa.DateTime(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("students", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["class_id"], ["school_class.id"],
            name=op.f("fk_checklist_look_class_id_school_class"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checklist_look")),
        sa.UniqueConstraint("class_id", "actor_login", name=op.f("uq_checklist_look_class_id_actor_login")),
    )
    # --- end pre-sign checklist -----------------------------------------------------------


def downgrade() -> None:
    # --- pre-sign checklist ---
    op.drop_table("checklist_look")
    # --- end pre-sign checklist ---
    # --- mark book ---
    for name in LOCK_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_index("ix_audit_log_entity", table_name="audit_log")
    op.drop_index(op.f("ix_comment_snippet_owner_id"), table_name="comment_snippet")
    op.drop_table("comment_snippet")
    # --- end mark book ---
