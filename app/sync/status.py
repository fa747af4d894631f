"""What the sync page and the command line show, always read from the database.

The status line (items waiting, last successful sync, last error in plain Vietnamese) and
the list of outbox items with their state, receipt and the hub's signature verification;
plus saving the sync settings (hub address, interval, timestamp server).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from app.errors import UserFacingError
from app.models import Student
from app.models.db import Database
from app.models.outbox import ACCEPTED, NEEDS_ATTENTION, PENDING, SENT, OutboxItem, SyncReceipt
from app.sync.state import get_state, read_state

SCHOOL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

STATE_LABELS = {
    PENDING: "Chờ gửi",
    SENT: "Đã gửi, chờ biên nhận",
    ACCEPTED: "Sở đã nhận",
    NEEDS_ATTENTION: "Cần xử lý",
}
VERIFICATION_LABELS = {
    None: "",
    "pending": "Sở đang kiểm tra chữ ký",
    "verified": "Chữ ký hợp lệ",
    "invalid": "Chữ ký không hợp lệ",
}
KIND_LABELS = {"record": "Học bạ", "sheet": "Bảng điểm môn"}


def local_text(moment: datetime | None) -> str:
    """A stored UTC time as the school reads it: 23/11/2026 14:05."""
    if moment is None:
        return ""
    return moment.replace(tzinfo=UTC).astimezone(SCHOOL_TZ).strftime("%d/%m/%Y %H:%M")


@dataclass(frozen=True)
class SyncStatus:
    connected: bool
    hub_url: str | None
    hub_name: str | None
    interval_minutes: int
    timestamp_url: str | None
    waiting: int
    needs_attention: int
    accepted: int
    verified: int
    invalid: int
    last_attempt_at: datetime | None
    last_success_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None

    @property
    def current_error(self) -> str | None:
        """The last error, unless a successful sync came after it."""
        if self.last_error is None or self.last_error_at is None:
            return None
        if self.last_success_at is not None and self.last_success_at >= self.last_error_at:
            return None
        return self.last_error

    def line(self) -> str:
        parts = []
        if not self.connected:
            parts.append("Máy này chưa kết nối với máy chủ của Sở.")
        parts.append(
            f"Đang chờ gửi: {self.waiting} hồ sơ." if self.waiting else "Không còn hồ sơ nào chờ gửi."
        )
        if self.needs_attention:
            parts.append(f"Cần xử lý: {self.needs_attention} hồ sơ.")
        if self.last_success_at is not None:
            parts.append(f"Đồng bộ thành công lần cuối: {local_text(self.last_success_at)}.")
        elif self.connected:
            parts.append("Chưa đồng bộ thành công lần nào.")
        error = self.current_error
        if error:
            parts.append(f"Lỗi gần nhất ({local_text(self.last_error_at)}): {error}")
        return " ".join(parts)


@dataclass(frozen=True)
class OutboxRow:
    item_id: int
    submission_id: str
    kind: str
    kind_label: str
    student_code: str | None
    student_name: str | None
    class_name: str | None
    year: str
    version: int
    state: str
    state_label: str
    receipt_text: str  # when the hub received it, and its number there
    verification: str | None
    verification_label: str
    note: str  # why it needs attention, or the last transient problem
    created_at: datetime


def sync_status(db: Database) -> SyncStatus:
    with db.read() as s:
        state = read_state(s)
        counts = dict(s.execute(select(OutboxItem.state, func.count()).group_by(OutboxItem.state)).all())
        checks = dict(
            s.execute(
                select(OutboxItem.hub_verification, func.count())
                .where(OutboxItem.state == ACCEPTED)
                .group_by(OutboxItem.hub_verification)
            ).all()
        )
        return SyncStatus(
            connected=bool(state and state.device_id and state.hub_public_key),
            hub_url=state.hub_url if state else None,
            hub_name=state.hub_name if state else None,
            interval_minutes=state.interval_minutes if state else 60,
            timestamp_url=state.timestamp_url if state else None,
            waiting=counts.get(PENDING, 0) + counts.get(SENT, 0),
            needs_attention=counts.get(NEEDS_ATTENTION, 0),
            accepted=counts.get(ACCEPTED, 0),
            verified=checks.get("verified", 0),
            invalid=checks.get("invalid", 0),
            last_attempt_at=state.last_attempt_at if state else None,
            last_success_at=state.last_success_at if state else None,
            last_error=state.last_error if state else None,
            last_error_at=state.last_error_at if state else None,
        )


def outbox_rows(db: Database, limit: int = 5000) -> tuple[OutboxRow, ...]:
    """Every item, newest first (a school issues a few thousand a year)."""
    with db.read() as s:
        query = (
            select(OutboxItem, SyncReceipt.received_at, SyncReceipt.sequence, Student.full_name)
            .outerjoin(SyncReceipt, SyncReceipt.outbox_item_id == OutboxItem.id)
            .outerjoin(Student, Student.student_code == OutboxItem.student_code)
            .order_by(OutboxItem.id.desc())
            .limit(limit)
        )
        rows = []
        for item, received, sequence, name in s.execute(query):
            extras = item.extras or {}
            receipt = ""
            if received:
                when = datetime.fromisoformat(received.rstrip("Z"))
                receipt = f"{local_text(when)} · số {sequence}"
            rows.append(
                OutboxRow(
                    item_id=item.id,
                    submission_id=item.submission_id,
                    kind=item.kind,
                    kind_label=KIND_LABELS.get(item.kind, item.kind),
                    student_code=item.student_code,
                    student_name=name,
                    class_name=str(extras.get("class_name") or extras.get("class") or "") or None,
                    year=item.year_name,
                    version=item.version,
                    state=item.state,
                    state_label=STATE_LABELS.get(item.state, item.state),
                    receipt_text=receipt,
                    verification=item.hub_verification,
                    verification_label=VERIFICATION_LABELS.get(
                        item.hub_verification, item.hub_verification or ""
                    ),
                    note=item.attention_reason or item.hub_verification_summary or item.last_error or "",
                    created_at=item.created_at,
                )
            )
    return tuple(rows)


def save_settings(
    db: Database,
    *,
    hub_url: str | None = None,
    interval_minutes: int | None = None,
    timestamp_url: str | None = None,
) -> SyncStatus:
    """Change the sync settings; an empty timestamp server address turns the extension off."""
    if interval_minutes is not None and not 0 <= interval_minutes <= 24 * 60:
        raise UserFacingError("Chu kỳ đồng bộ phải từ 0 (chỉ khi bấm nút) đến 1440 phút.", field="interval")
    for value, field_name in ((hub_url, "hub_url"), (timestamp_url, "timestamp_url")):
        if value and not value.strip().lower().startswith(("http://", "https://")):
            raise UserFacingError("Địa chỉ phải bắt đầu bằng https:// (hoặc http://).", field=field_name)
    with db.write() as s:
        state = get_state(s)
        if hub_url is not None:
            state.hub_url = hub_url.strip().rstrip("/") or None
        if interval_minutes is not None:
            state.interval_minutes = interval_minutes
        if timestamp_url is not None:
            state.timestamp_url = timestamp_url.strip() or None
    return sync_status(db)
