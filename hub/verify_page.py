"""`GET /v1/verify/<sha256>`: what the hub knows about one document, as JSON or as a small page.

A person holding a printed record scans its QR code with a phone; the phone opens this
address and must get a page a parent or an admissions officer reads at a glance, in
Vietnamese. The desktop app asks the same address for JSON. Nothing about the student is
shown: a SHA-256 is only known to someone who holds the document already, and the page
says only whether the hub holds it, which school sent it, and whether it was superseded.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hub.schemas import HEX64, NULLABLE_STR

VIETNAM = timezone(timedelta(hours=7))  # no daylight saving time

VERIFY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["sha256", "held", "status", "message"],
    "properties": {
        "sha256": HEX64,
        "held": {"type": "boolean", "description": "whether the hub holds a document with these bytes"},
        "status": {"enum": ["current", "superseded", "unknown"]},
        "message": {"type": "string", "description": "the answer in Vietnamese"},
        "hub_id": {"type": "string"},
        "hub_name": {"type": "string"},
        "document": {
            "anyOf": [
                {"type": "null"},
                {
                    "type": "object",
                    "properties": {
                        "kind": {"enum": ["record", "sheet"]},
                        "document_id": {"type": "string", "format": "uuid"},
                        "version": {"type": "integer"},
                        "year": {"type": "string"},
                        "school_code": {"type": "string"},
                        "received_at": {"type": "string", "format": "date-time"},
                        "matches": {
                            "enum": ["document", "issued"],
                            "description": "the bytes are the file sent, or the file as issued (before "
                            "long-term extension)",
                        },
                        "verification": NULLABLE_STR,
                    },
                },
            ]
        },
        "superseded_by": {
            "anyOf": [
                {"type": "null"},
                {
                    "type": "object",
                    "properties": {
                        "document_id": {"type": "string", "format": "uuid"},
                        "version": {"type": "integer"},
                        "sha256": HEX64,
                        "received_at": {"type": "string", "format": "date-time"},
                    },
                },
            ]
        },
        "receipt": {
            "anyOf": [{"type": "null"}, {"$ref": "#/components/schemas/SignedReceipt"}],
            "description": "the hub's signed receipt of the submission that carried these bytes",
        },
    },
}

_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:0;padding:16px;background:#f4f6f8;color:#1b1f24}"
    "main{max-width:560px;margin:auto;background:#fff;border-radius:12px;padding:20px;"
    "box-shadow:0 1px 4px #0002}h1{font-size:1.25em;margin:0 0 12px}"
    ".ok{color:#17663a}.warn{color:#a05a00}.bad{color:#b3261e}"
    "dl{display:grid;grid-template-columns:auto 1fr;gap:6px 12px}dt{color:#555}dd{margin:0}"
    "code{word-break:break-all;font-size:.85em}footer{margin-top:16px;color:#666;font-size:.85em}"
)


def verify_html(answer: dict[str, Any]) -> str:
    """The page a phone shows; every value escaped."""
    status = answer["status"]
    css = {"current": "ok", "superseded": "warn"}.get(status, "bad")
    title = {
        "current": "Học bạ hợp lệ, là bản hiện hành",
        "superseded": "Học bạ đã bị thay thế bằng bản điều chỉnh",
    }.get(status, "Máy chủ của Sở không có tài liệu này")
    rows: list[tuple[str, str]] = []
    doc = answer.get("document")
    if isinstance(doc, dict):
        rows += [
            ("Loại", "Học bạ học sinh" if doc.get("kind") == "record" else "Bảng điểm môn học"),
            ("Năm học", str(doc.get("year", ""))),
            ("Phiên bản", str(doc.get("version", ""))),
            ("Mã trường", str(doc.get("school_code", ""))),
            ("Sở nhận lúc", _when(str(doc.get("received_at", "")))),
        ]
    newer = answer.get("superseded_by")
    if isinstance(newer, dict):
        rows.append(
            ("Bản mới", f"phiên bản {newer.get('version')}, nhận lúc {_when(str(newer.get('received_at')))}")
        )
    items = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in rows)
    return (
        '<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>Xác minh học bạ — {html.escape(str(answer.get('hub_name', '')))}</title>"
        f"<style>{_STYLE}</style></head><body><main>"
        f'<h1 class="{css}">{html.escape(title)}</h1>'
        f"<p>{html.escape(str(answer['message']))}</p>"
        f"<dl>{items}</dl>"
        f"<p>Mã SHA-256 của tệp:<br><code>{html.escape(str(answer['sha256']))}</code></p>"
        "<footer>Trang này chỉ cho biết máy chủ của Sở có giữ tệp mang mã trên hay không. "
        "Để chắc chắn bản giấy đúng với bản gốc, hãy mở tệp học bạ bằng phần mềm Học bạ số "
        f"và kiểm tra chữ ký số. — {html.escape(str(answer.get('hub_name', '')))}</footer>"
        "</main></body></html>"
    )


def _when(iso: str) -> str:
    """An ISO time in UTC (2026-11-23T02:05:00Z) in Vietnam's time: "23/11/2026 09:05 (giờ Việt Nam)"."""
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M") + " (giờ Việt Nam)"
