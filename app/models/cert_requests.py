"""A user's own request to register the certificate on their token (the admin confirms it).

A teacher plugs in a token whose certificate is registered to nobody and asks, on the
"Ký số" page, for it to be registered to their account; the admin confirms (the
certificate is then registered, app.models.people.Certificate) or rejects it with a note.
The certificate itself is kept in the request, so the admin decides on exactly what was
read from the token. At most one request per certificate waits at a time.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, utcnow

PENDING = "pending"
CONFIRMED = "confirmed"
REJECTED = "rejected"
REQUEST_STATES = (PENDING, CONFIRMED, REJECTED)


class CertificateRequest(Base):
    __tablename__ = "certificate_request"
    __table_args__ = (
        CheckConstraint("state IN ('pending', 'confirmed', 'rejected')", name="state"),
        Index(
            "uq_certificate_request_pending", "sha256", unique=True, sqlite_where=text("state = 'pending'")
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id", ondelete="RESTRICT"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    der: Mapped[bytes] = mapped_column(LargeBinary)
    subject: Mapped[str] = mapped_column(String(500))
    issuer: Mapped[str] = mapped_column(String(500))
    serial_hex: Mapped[str] = mapped_column(String(80))
    not_before: Mapped[datetime] = mapped_column(DateTime)
    not_after: Mapped[datetime] = mapped_column(DateTime)
    token_label: Mapped[str] = mapped_column(String(200), default="")
    state: Mapped[str] = mapped_column(String(10), default=PENDING)
    requested_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(60))  # the admin's login
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    decision_note: Mapped[str | None] = mapped_column(Text)  # why it was rejected
