"""Sync through the fault-injecting proxy: every bad-link behaviour a school meets."""

from __future__ import annotations

import functools
from collections import Counter

import pytest
from sqlalchemy import select

from app.models.db import Database
from app.models.outbox import OutboxItem, SyncState
from app.sync.client import HubClient, Timeouts
from tests.hub.servers import RunningHub
from tests.sync.conftest import connect, sync
from tests.sync.docs import DocSet, fresh_id, issue
from tests.sync.proxy import Fault, FaultProxy, many

SUBMIT = "PUT /v1/submissions"
BLOB = "PUT /v1/blobs"


def _issue(db: Database, docset: DocSet, n: int = 2) -> list[str]:
    docs = docset.unsigned[:n]
    return [issue(db, d, school_code=docset.school_code, document_id=fresh_id()).submission_id for d in docs]


def _states(db: Database) -> dict[str, str]:
    with db.read() as s:
        return {i.submission_id: i.state for i in s.scalars(select(OutboxItem))}


def assert_on_hub(db: Database, hub: RunningHub, school_code: str) -> None:
    """Every accepted item is on the hub exactly once, with the bytes this PC holds."""
    listed = Counter(r["id"] for r in hub.listing(school_code))
    shas = {r["id"]: r["sha256"] for r in hub.listing(school_code)}
    with db.read() as s:
        for item in s.scalars(select(OutboxItem).where(OutboxItem.state == "accepted")):
            assert listed[item.submission_id] == 1
            assert shas[item.submission_id] == item.send_sha256


@pytest.fixture
def linked(school: Database, hub: RunningHub, proxy: FaultProxy, docset: DocSet) -> Database:
    connect(school, hub, proxy.url, docset.school_code)
    return school


def test_latency_alone_changes_nothing(
    linked: Database, proxy: FaultProxy, hub: RunningHub, docset: DocSet
) -> None:
    proxy.latency_s = 0.05
    ids = _issue(linked, docset)
    summary = sync(linked)
    assert summary.accepted == 2 and summary.waiting == 0 and summary.retries == 0
    assert set(_states(linked).values()) == {"accepted"} and set(_states(linked)) == set(ids)
    assert_on_hub(linked, hub, docset.school_code)


@pytest.mark.parametrize(
    "faults",
    [
        pytest.param(
            [Fault("reset_upload", match=BLOB), Fault("reset_upload", match=BLOB)], id="reset-mid-upload"
        ),
        pytest.param(
            [Fault("reset_answer", match=BLOB), Fault("reset_answer", match=SUBMIT)], id="reset-mid-answer"
        ),
        pytest.param([Fault("stall", match=SUBMIT, stall_s=8)], id="stall"),
        pytest.param(
            [
                Fault("status", status=502, match="GET /v1/info"),
                Fault("status", status=500, match=BLOB),
                Fault("status", status=503, match=SUBMIT),
                Fault("status", status=502, match=SUBMIT),
            ],
            id="5xx",
        ),
        pytest.param([Fault("status", status=429, retry_after="1")], id="429"),
    ],
)
def test_transient_faults_are_retried(
    linked: Database, proxy: FaultProxy, hub: RunningHub, docset: DocSet, faults: list[Fault]
) -> None:
    _issue(linked, docset)
    proxy.inject(*faults)
    summary = sync(linked)
    assert proxy.pending_faults() == 0
    # An answer cut after the hub committed comes back as "already there" on the retry.
    assert summary.waiting == 0 and summary.accepted + summary.already_there == 2 and summary.failed == 0, (
        summary
    )
    assert summary.retries >= len(faults)
    assert_on_hub(linked, hub, docset.school_code)


def test_retry_after_is_honoured(linked: Database, proxy: FaultProxy, docset: DocSet) -> None:
    waits: list[float] = []
    factory = functools.partial(HubClient, sleep=waits.append)
    _issue(linked, docset, 1)
    proxy.inject(Fault("status", status=429, retry_after="4", match=BLOB))
    summary = sync(linked, client_factory=factory)
    assert summary.accepted == 1
    assert len(waits) == 1 and 4.0 <= waits[0] <= 5.0  # not the 0.02 s backoff of the test policy


def test_a_retry_after_too_long_ends_the_sync_without_losing_anything(
    linked: Database, proxy: FaultProxy, docset: DocSet
) -> None:
    ids = _issue(linked, docset, 1)
    proxy.inject(Fault("status", status=503, retry_after="3600", match=BLOB))
    summary = sync(linked)
    assert summary.offline and summary.waiting == 1 and "quá tải" in (summary.error or "")
    assert _states(linked) == {ids[0]: "pending"}
    assert sync(linked).waiting == 0


def test_captive_portal_counts_as_offline(linked: Database, proxy: FaultProxy, docset: DocSet) -> None:
    ids = _issue(linked, docset)
    proxy.mode = "captive"
    summary = sync(linked)
    assert summary.offline and summary.sent == 0 and summary.waiting == 2
    assert "đăng nhập wifi" in (summary.error or "")
    with linked.read() as s:
        items = s.scalars(select(OutboxItem)).all()
        assert {i.state for i in items} == {"pending"} and {i.attempts for i in items} == {0}
        state = s.get(SyncState, 1)
        assert state is not None and state.last_error == summary.error and state.last_success_at is None
    proxy.mode = None
    healed = sync(linked)
    assert healed.accepted == 2 and healed.waiting == 0
    assert set(_states(linked)) == set(ids)


def test_a_captive_portal_mid_sync_is_not_taken_for_the_hub(
    linked: Database, proxy: FaultProxy, hub: RunningHub, docset: DocSet
) -> None:
    _issue(linked, docset, 1)
    proxy.inject(Fault("captive", match=SUBMIT))
    summary = sync(linked)
    assert summary.offline and summary.accepted == 0 and summary.waiting == 1
    assert set(_states(linked).values()) == {"sent"}
    again = sync(linked)
    assert again.waiting == 0 and again.accepted + again.already_there == 1
    assert_on_hub(linked, hub, docset.school_code)


def test_answer_dropped_after_the_hub_committed_is_retried_harmlessly(
    linked: Database, proxy: FaultProxy, hub: RunningHub, docset: DocSet
) -> None:
    _issue(linked, docset, 1)
    proxy.inject(Fault("drop_answer", match=SUBMIT))
    summary = sync(linked)
    assert summary.waiting == 0 and summary.already_there == 1 and summary.accepted == 0
    assert_on_hub(linked, hub, docset.school_code)


def test_a_lost_answer_is_reconciled_at_the_next_sync(
    linked: Database, proxy: FaultProxy, hub: RunningHub, docset: DocSet
) -> None:
    ids = _issue(linked, docset, 1)
    proxy.inject(Fault("drop_answer", match=SUBMIT), *many("reset_upload", 10, match=SUBMIT))
    first = sync(linked)
    assert first.offline and first.waiting == 1 and _states(linked) == {ids[0]: "sent"}
    assert [r["id"] for r in hub.listing(docset.school_code) if r["id"] == ids[0]] == ids  # it did arrive
    proxy.clear()
    second = sync(linked)
    assert second.sent == 0 and second.already_there == 1 and second.waiting == 0  # from reconcile alone
    assert _states(linked) == {ids[0]: "accepted"}
    assert_on_hub(linked, hub, docset.school_code)


def test_a_link_that_stays_down_ends_the_sync_and_keeps_everything(
    linked: Database, proxy: FaultProxy, docset: DocSet
) -> None:
    _issue(linked, docset)
    proxy.inject(*many("reset_upload", 40, match=BLOB))
    summary = sync(linked)
    assert summary.offline and summary.waiting == 2 and summary.accepted == 0
    with linked.read() as s:
        items = s.scalars(select(OutboxItem).order_by(OutboxItem.id)).all()
        # Oldest first: the first item was tried and failed; the second was never reached.
        assert [i.attempts for i in items] == [1, 0] and items[0].last_error
        assert {i.in_progress_since for i in items} == {None}
    proxy.clear()
    assert sync(linked).waiting == 0


@pytest.mark.slow
def test_a_64_kbit_link_with_latency_delivers(
    linked: Database, proxy: FaultProxy, hub: RunningHub, docset: DocSet
) -> None:
    proxy.set_bandwidth(64_000)
    proxy.latency_s = 0.3
    _issue(linked, docset, 1)
    summary = sync(linked, timeouts=Timeouts(connect_s=10, read_s=60, write_s=60))
    assert summary.accepted == 1 and summary.retries == 0
    payload = docset.unsigned[0].pdf
    assert proxy.stats.bytes_up < len(payload) * 1.05  # one upload, small protocol overhead
    assert_on_hub(linked, hub, docset.school_code)
