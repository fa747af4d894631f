"""The wire format and the client's judgement of what counts as the hub."""

from __future__ import annotations

import json
import random
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from app.models.db import Database
from app.models.outbox import OutboxItem
from app.sync import protocol
from app.sync.client import HubClient, NotTheHub, Offline, RetryPolicy, parse_retry_after
from tests.hub.helpers import manifest_for
from tests.hub.servers import RunningHub, free_port, start_hub
from tests.sync.conftest import FAST, QUICK, connect, sync
from tests.sync.docs import DocSet, fresh_id, issue
from tests.sync.proxy import FaultProxy


def _receipt(key: Ed25519PrivateKey, sid: str = "s") -> dict[str, object]:
    r = protocol.Receipt("hub", sid, "m" * 64, "d" * 64, "S1", "a" * 64, "2027-01-01T00:00:00Z", 7, "http")
    return protocol.sign_receipt(r, key)


def test_receipts_verify_only_with_the_hub_key_and_untouched() -> None:
    key, other = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes_raw()
    signed = _receipt(key, "abc")
    assert protocol.verify_receipt(signed, public, submission_id="abc").sequence == 7
    with pytest.raises(protocol.ReceiptError, match="another key"):
        protocol.verify_receipt(_receipt(other), public)
    forged = json.loads(json.dumps(signed))
    forged["body"]["document_sha256"] = "e" * 64
    with pytest.raises(protocol.ReceiptError, match="does not verify"):
        protocol.verify_receipt(forged, public)
    with pytest.raises(protocol.ReceiptError, match="another submission"):
        protocol.verify_receipt(signed, public, submission_id="xyz")
    with pytest.raises(protocol.ReceiptError, match="another manifest"):
        protocol.verify_receipt(signed, public, manifest_sha256="0" * 64)


def test_manifests_round_trip_canonically(docset: DocSet) -> None:
    m = manifest_for(docset.unsigned[0].pdf, extras={"ghi_chú": "Điều chỉnh điểm", "sheets": ["a" * 64]})
    wire = json.loads(protocol.canonical_json(m.to_json()))
    again = protocol.Manifest.from_json(wire)
    assert again == m and again.canonical() == m.canonical()
    assert protocol.canonical_json({"b": 1, "a": "ệ"}) == '{"a":"ệ","b":1}'.encode()


def test_retry_after_and_backoff() -> None:
    assert parse_retry_after("120") == 120.0
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 28 <= (parse_retry_after(later) or 0) <= 31
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None
    policy = RetryPolicy(base_delay_s=2, max_delay_s=60)
    rng = random.Random(1)
    for retry, step in [(0, 2), (1, 4), (3, 16), (10, 60)]:
        delays = [policy.backoff(retry, rng) for _ in range(200)]
        assert step / 2 <= min(delays) and max(delays) <= step
        assert max(delays) - min(delays) > step / 4  # jittered, not in lockstep


class _Redirect(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(302)
        self.send_header("Location", "http://portal.example/login")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


def test_only_the_real_hub_counts_as_online(hub: RunningHub, proxy: FaultProxy, tmp_path: Path) -> None:
    info = HubClient(hub.url, policy=FAST, timeouts=QUICK).probe()
    # Another hub (another key) behind the same address is not "our" hub.
    with pytest.raises(NotTheHub, match="khoá ký biên nhận khác"):
        HubClient(hub.url, pinned_key=b"x" * 32, policy=FAST, timeouts=QUICK).probe()
    other = start_hub(tmp_path / "other", verify=False)
    try:
        with pytest.raises(NotTheHub):
            HubClient(other.url, pinned_key=info.public_key, policy=FAST, timeouts=QUICK).probe()
    finally:
        other.stop()
    proxy.mode = "captive"
    with pytest.raises(NotTheHub, match="wifi"):
        HubClient(proxy.url, pinned_key=info.public_key, policy=FAST, timeouts=QUICK).probe()
    server = HTTPServer(("127.0.0.1", 0), _Redirect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with pytest.raises(NotTheHub):
            HubClient(f"http://127.0.0.1:{server.server_port}", policy=FAST, timeouts=QUICK).probe()
    finally:
        server.shutdown()
    with pytest.raises(Offline):
        HubClient(f"http://127.0.0.1:{free_port()}", policy=FAST, timeouts=QUICK).probe()


def test_the_hubs_verification_comes_back_with_a_later_sync(
    school: Database, hub: RunningHub, docset: DocSet
) -> None:
    connect(school, hub, hub.url, docset.school_code)
    sid = issue(
        school, docset.signed[2], school_code=docset.school_code, document_id=fresh_id()
    ).submission_id
    assert sync(school).accepted == 1
    deadline = time.monotonic() + 60
    while True:
        sync(school)
        with school.read() as s:
            item = s.scalar(select(OutboxItem).where(OutboxItem.submission_id == sid))
            assert item is not None
            status, summary = item.hub_verification, item.hub_verification_summary
        if status != "pending" or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert status == "verified" and summary and "Hợp lệ" in summary
