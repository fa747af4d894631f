"""`GET /v1/verify/<sha256>` on the real hub (loopback, SQLite and PostgreSQL), and the app's
client asking it (app.sync.verify_client): held or not, current or superseded, JSON or a page."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.sync import protocol
from app.sync.verify_client import HubAddress, ask_hub, verify_url
from tests.hub.helpers import Wire, manifest_for
from tests.hub.servers import RunningHub
from tests.sync.docs import DocSet


@pytest.fixture
def wire(hub: RunningHub) -> Iterator[Wire]:
    w = Wire(hub.url, hub.device(f"T{uuid.uuid4().hex[:10]}"))
    yield w
    w.close()


def _unique(pdf: bytes) -> bytes:
    """The same document with a trailing comment: other bytes, so each test has its own hash."""
    return pdf + f"\n%{uuid.uuid4()}\n".encode()


def _school(wire: Wire) -> str:
    return str(wire.http.get("/v1/devices/me").json()["school_code"])


def _submit(wire: Wire, pdf: bytes, **kw: object) -> protocol.Manifest:
    assert wire.put_blob(pdf).status_code in (200, 201)
    manifest = manifest_for(pdf, _school(wire), **kw)  # type: ignore[arg-type]
    assert wire.submit(manifest).status_code == 201
    return manifest


def _key(hub: RunningHub) -> bytes:
    return protocol.Info.from_json(httpx.get(f"{hub.url}/v1/info").json()).public_key


def test_a_current_document(hub: RunningHub, wire: Wire, docset: DocSet) -> None:
    pdf = _unique(docset.signed[0].pdf)
    manifest = _submit(wire, pdf)
    sha = protocol.sha256_hex(pdf)
    resp = httpx.get(verify_url(hub.url, sha), headers={"Accept": "application/json"})  # no credential
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("application/json")
    data = resp.json()
    assert data["held"] is True and data["status"] == "current" and data["superseded_by"] is None
    assert data["document"]["version"] == 1 and data["document"]["matches"] == "document"
    assert data["document"]["school_code"] == manifest.school_code
    receipt = protocol.verify_receipt(data["receipt"], _key(hub), submission_id=manifest.submission_id)
    assert receipt.document_sha256 == sha
    assert "bản hiện hành" in data["message"]

    verdict = ask_hub(HubAddress(hub.url, _key(hub)), sha)
    assert verdict.status == "current" and verdict.held and verdict.receipt_checked is True
    assert verdict.version == 1 and verdict.reachable


def test_a_corrected_document_is_superseded_by_the_newest_version(
    hub: RunningHub, wire: Wire, docset: DocSet
) -> None:
    v1, v2, v3 = (_unique(d.pdf) for d in docset.signed[:3])
    first = _submit(wire, v1)
    second = _submit(wire, v2, version=2, supersedes=first.document_id)
    _submit(wire, v3, version=3, supersedes=second.document_id)
    data = httpx.get(verify_url(hub.url, protocol.sha256_hex(v1))).json()
    assert data["status"] == "superseded"
    assert data["superseded_by"]["version"] == 3 and data["superseded_by"]["sha256"] == protocol.sha256_hex(
        v3
    )
    assert "đã bị thay thế" in data["message"]
    assert httpx.get(verify_url(hub.url, protocol.sha256_hex(v3))).json()["status"] == "current"

    verdict = ask_hub(HubAddress(hub.url, None), protocol.sha256_hex(v2))
    assert verdict.status == "superseded" and verdict.superseded_by_version == 3
    assert verdict.receipt_checked is None  # no pinned key to check the receipt with
    assert "phiên bản 3" in verdict.message


def test_a_phone_gets_a_page_in_vietnamese(
    hub: RunningHub, wire: Wire, docset: DocSet, artifacts_dir: Path
) -> None:
    pdf = _unique(docset.signed[1].pdf)
    _submit(wire, pdf)
    phone = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
    resp = httpx.get(verify_url(hub.url, protocol.sha256_hex(pdf)), headers=phone)
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/html")
    page = resp.text
    assert '<html lang="vi">' in page and "Học bạ hợp lệ, là bản hiện hành" in page
    assert protocol.sha256_hex(pdf) in page and "HS0001" not in page  # nothing about the student
    (artifacts_dir / "hub_verify_page.html").write_text(page, encoding="utf-8")
    assert "(giờ Việt Nam)" in page  # the hub's UTC clock shown in the reader's time
    unknown = httpx.get(verify_url(hub.url, "0" * 64), headers=phone)
    assert unknown.status_code == 200 and "Máy chủ của Sở không có tài liệu này" in unknown.text


def test_unknown_and_malformed_hashes(hub: RunningHub) -> None:
    data = httpx.get(verify_url(hub.url, "ab" * 32)).json()
    assert data == {**data, "held": False, "status": "unknown", "document": None, "receipt": None}
    assert httpx.get(f"{hub.url}/v1/verify/not-a-hash").status_code == 422
    verdict = ask_hub(HubAddress(hub.url, _key(hub)), "ab" * 32)
    assert verdict.status == "unknown" and not verdict.held and verdict.reachable


def test_the_client_never_fails_when_the_hub_is_away(hub: RunningHub, docset: DocSet, wire: Wire) -> None:
    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    away = ask_hub(HubAddress(f"http://127.0.0.1:{port}", None), "ab" * 32)
    assert away.status == "offline" and not away.reachable and "Không kiểm tra được" in away.message
    # A hub answering with a receipt another key signed is not the hub this PC was connected to.
    pdf = _unique(docset.signed[2].pdf)
    _submit(wire, pdf)
    impostor = ask_hub(HubAddress(hub.url, b"\x01" * 32), protocol.sha256_hex(pdf))
    assert impostor.status == "offline" and "không mang chữ ký" in impostor.message


def test_the_endpoint_is_described_without_a_credential(hub: RunningHub) -> None:
    spec = httpx.get(f"{hub.url}/v1/openapi.json").json()
    operation = spec["paths"]["/v1/verify/{sha256}"]["get"]
    assert operation["security"] == []
    assert "VerifyAnswer" in spec["components"]["schemas"]
