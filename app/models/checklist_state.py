"""What a person last saw of a class's results, for the pre-sign checklist.

One row per class and person: when they last marked the checklist as looked at, a hash
of the class's results then, and per student a short fingerprint (hash plus the values
shown), so the checklist can say which students' results changed since and how.
Keyed by login rather than account id so the command line (no account) works the same.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, utcnow


class ChecklistLook(Base):
    __tablename__ = "checklist_look"
    __table_args__ = (UniqueConstraint("class_id", "actor_login"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("school_class.id", ondelete="CASCADE"))
    actor_login: Mapped[str] = mapped_column(String(60))
    looked_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    digest: Mapped[str] = mapped_column(String(64))  # SHA-256 of every student's fingerprint
    # {"<student_id>": {"hash": "...", "values": {"label": "shown value", ...}}, ...}
    students: Mapped[dict[str, dict[str, object]]] = mapped_column(JSON, default=dict)
