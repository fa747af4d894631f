"""Connecting this PC to the department's hub with the credential the department issued.

Checks the address answers as a hub, that the credential is accepted and belongs to this
database's school; then stores the credential in the OS keyring and pins the hub's receipt
key in the database (later receipts must be signed by it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

from app.errors import UserFacingError
from app.models import School
from app.models.base import utcnow
from app.models.db import Database
from app.sync import credentials, protocol
from app.sync.client import HubClient, RetryPolicy, SyncError, Timeouts
from app.sync.state import get_state


@dataclass(frozen=True)
class Connected:
    hub_url: str
    hub_id: str
    hub_name: str
    key_id: str
    device_id: str
    school_code: str


def connect_device(
    db: Database,
    hub_url: str,
    credential: str,
    *,
    policy: RetryPolicy | None = None,
    timeouts: Timeouts | None = None,
    client_factory: Callable[..., HubClient] = HubClient,
) -> Connected:
    try:
        device_id, credential = protocol.parse_credential(credential)
    except protocol.ProtocolError:
        raise UserFacingError(
            "Mã kết nối không đúng dạng (bắt đầu bằng hbd1.). Hãy chép lại đủ mã Sở đã cấp.",
            field="credential",
        ) from None
    url = hub_url.strip().rstrip("/")
    if not url.lower().startswith(("http://", "https://")):
        raise UserFacingError("Địa chỉ máy chủ phải bắt đầu bằng https://", field="hub_url")
    with db.read() as s:
        schools = list(s.scalars(select(School.school_code)))
    client = client_factory(
        url, credential, policy=policy or RetryPolicy(attempts=3), timeouts=timeouts or Timeouts()
    )
    try:
        info = client.probe()
        who = client.whoami()
    except SyncError as exc:
        raise UserFacingError(exc.message) from None
    finally:
        client.close()
    school = str(who.get("school_code"))
    if school not in schools:
        raise UserFacingError(
            f"Mã kết nối này được Sở cấp cho trường {school}, không phải trường trong tệp dữ liệu này "
            f"({', '.join(schools) or 'chưa có trường'}). Hãy kiểm tra lại mã.",
            field="credential",
        )
    credentials.store(device_id, credential)
    with db.write() as s:
        state = get_state(s)
        state.hub_url = url
        state.hub_id = info.hub_id
        state.hub_name = info.hub_name
        state.hub_public_key = protocol.b64(info.public_key)
        state.device_id = device_id
        state.school_code = school
        state.connected_at = utcnow()
    return Connected(url, info.hub_id, info.hub_name, info.key_id, device_id, school)
