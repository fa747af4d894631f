"""Reusable comment snippets (mẫu nhận xét) a teacher keeps for writing comments fast.

A snippet belongs to one teacher (`owner_id`), or to the whole school when `owner_id` is
NULL (created by the admin). `subject_code` narrows it to one subject (NULL: any subject);
`use_count` lets the most used ones come first in the picker.

Also here: the audit log's (entity, entity_id) index, added by the same migration (0002)
for the mark book's per-cell change history, which would otherwise scan the whole log.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.audit import AuditEntry
from app.models.base import Base, utcnow


class CommentSnippet(Base):
    __tablename__ = "comment_snippet"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    subject_code: Mapped[str | None] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    use_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)


AUDIT_ENTITY_INDEX = Index("ix_audit_log_entity", AuditEntry.entity, AuditEntry.entity_id)
