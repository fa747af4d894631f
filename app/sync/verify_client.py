"""Asking the department's hub about one document by its SHA-256 (`GET /v1/verify/<sha256>`).

Used by the verification report: "was this record superseded?" is a question only the hub
can answer for a file that came from elsewhere. The question must never hold anyone up, so
it gets short timeouts and a single try; an unreachable hub is an answer too ("không kiểm
tra được lúc này"), never an error. The endpoint needs no credential (a phone scanning the
QR code of a printed record opens the same address), but when this PC is connected to the
hub, the receipt in the answer is checked against the hub key pinned at connect time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from app import __version__
from app.models.db import Database
from app.sync import protocol
from app.sync.state import read_state

VERIFY_PATH = f"{protocol.API}/verify"
# A person is waiting in front of a dialog: a few seconds, not the sync's two minutes.
VERIFY_TIMEOUT = httpx.Timeout(connect=3.0, read=5.0, write=5.0, pool=3.0)

STATUS_CURRENT = "current"
STATUS_SUPERSEDED = "superseded"
STATUS_UNKNOWN = "unknown"  # the hub does not hold these bytes
STATUS_OFFLINE = "offline"  # no answer from the hub (or something else answered)
STATUS_NOT_CONNECTED = "not_connected"  # this PC knows no hub

# Shown after "Máy chủ của Sở:" in the report.
OFFLINE_TEXT = "Không kiểm tra được lúc này (không có mạng, hoặc máy chủ không trả lời)."


def verify_path(sha256: str) -> str:
    return f"{VERIFY_PATH}/{sha256}"


def verify_url(base_url: str, sha256: str) -> str:
    """The address anyone can open to check a document: printed as a QR code on confirmed prints."""
    return base_url.rstrip("/") + verify_path(sha256.lower())


@dataclass(frozen=True)
class HubAddress:
    url: str
    pinned_key: bytes | None  # the receipt key pinned when this PC was connected


@dataclass(frozen=True)
class HubVerdict:
    """What the hub said about one SHA-256, in words."""

    status: str  # current / superseded / unknown / offline / not_connected
    message: str  # plain Vietnamese
    held: bool = False
    version: int | None = None
    year: str | None = None
    school_code: str | None = None
    received_at: str | None = None
    superseded_by_version: int | None = None
    superseded_by_sha256: str | None = None
    receipt: dict[str, Any] | None = None
    receipt_checked: bool | None = None  # True: signed by the pinned key; None: no key to check with
    hub_url: str | None = None

    @property
    def reachable(self) -> bool:
        return self.status not in (STATUS_OFFLINE, STATUS_NOT_CONNECTED)

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status, "message": self.message, "held": self.held, "version": self.version,
            "year": self.year, "school_code": self.school_code, "received_at": self.received_at,
            "superseded_by_version": self.superseded_by_version,
            "superseded_by_sha256": self.superseded_by_sha256, "receipt_checked": self.receipt_checked,
            "hub_url": self.hub_url,
        }  # fmt: skip


def hub_address(db: Database) -> HubAddress | None:
    """The hub this database was connected to (hub-connect), if any."""
    with db.read() as s:
        state = read_state(s)
        if state is None or not state.hub_url:
            return None
        key = protocol.unb64(state.hub_public_key) if state.hub_public_key else None
        return HubAddress(state.hub_url, key)


def not_connected() -> HubVerdict:
    return HubVerdict(
        STATUS_NOT_CONNECTED,
        "Máy này chưa kết nối với máy chủ của Sở nên chưa kiểm tra được học bạ có bị thay thế hay không.",
    )


def ask_hub(
    address: HubAddress,
    sha256: str,
    *,
    timeout: httpx.Timeout = VERIFY_TIMEOUT,
    transport: httpx.BaseTransport | None = None,
) -> HubVerdict:
    """One short question to the hub; any failure becomes an "offline" verdict."""
    offline = HubVerdict(STATUS_OFFLINE, OFFLINE_TEXT, hub_url=address.url)
    headers = {"Accept": protocol.JSON_TYPE, "User-Agent": f"HocBaSo/{__version__}"}
    try:
        with httpx.Client(
            base_url=address.url.rstrip("/"), timeout=timeout, follow_redirects=False, transport=transport
        ) as client:
            resp = client.get(verify_path(sha256.lower()), headers=headers)
    except httpx.HTTPError:
        return offline
    if resp.status_code != 200 or not resp.headers.get("content-type", "").startswith(protocol.JSON_TYPE):
        return offline  # a captive portal's page or a proxy's error is not the hub's answer
    try:
        data = resp.json()
        return _verdict(data, sha256.lower(), address)
    except (ValueError, KeyError, TypeError, protocol.ProtocolError):
        return offline


def _verdict(data: Any, sha256: str, address: HubAddress) -> HubVerdict:
    if not isinstance(data, dict) or data.get("sha256") != sha256:
        raise protocol.ProtocolError("not an answer about this document")
    if not data.get("held"):
        return HubVerdict(
            STATUS_UNKNOWN,
            "Không có tệp này: tệp chưa được nhà trường gửi lên Sở, hoặc không phải bản đã phát hành "
            "(có thể đã bị sửa).",
            hub_url=address.url,
        )
    doc = data["document"]
    receipt = data.get("receipt")
    checked: bool | None = None
    if address.pinned_key is not None and isinstance(receipt, dict):
        try:
            protocol.verify_receipt(receipt, address.pinned_key)
            checked = True
        except protocol.ReceiptError:
            checked = False
    newer = data.get("superseded_by")
    common = dict(
        held=True, version=doc.get("version"), year=doc.get("year"), school_code=doc.get("school_code"),
        received_at=doc.get("received_at"), receipt=receipt, receipt_checked=checked, hub_url=address.url,
    )  # fmt: skip
    if checked is False:
        return HubVerdict(
            STATUS_OFFLINE,
            "Câu trả lời không mang chữ ký của máy chủ Sở mà máy này đã kết nối: không dùng được kết quả.",
            hub_url=address.url,
        )
    if data.get("status") == STATUS_SUPERSEDED and isinstance(newer, dict):
        return HubVerdict(
            STATUS_SUPERSEDED,
            f"Đã bị thay thế: nhà trường đã phát hành bản điều chỉnh (phiên bản {newer.get('version')}). "
            "Bản này không còn là bản hiện hành; hãy dùng bản mới.",
            superseded_by_version=newer.get("version"),
            superseded_by_sha256=newer.get("sha256"),
            **common,
        )
    return HubVerdict(
        STATUS_CURRENT,
        "Đang giữ đúng tệp này; đây là bản hiện hành (chưa bị thay thế).",
        **common,
    )
