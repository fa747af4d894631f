"""indexes for GET /v1/verify/{sha256}: submissions by document and by as-issued hash

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23

Anyone holding a printed record scans its QR code and the hub looks the hash up; without
these indexes every look-up reads the whole submission table (a province holds millions).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(op.f("ix_submission_document_sha256"), "submission", ["document_sha256"])
    op.create_index(op.f("ix_submission_issued_sha256"), "submission", ["issued_sha256"])


def downgrade() -> None:
    op.drop_index(op.f("ix_submission_issued_sha256"), table_name="submission")
    op.drop_index(op.f("ix_submission_document_sha256"), table_name="submission")
