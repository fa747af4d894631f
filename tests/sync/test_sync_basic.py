"""The sync path end to end on a good link: issue → sync → accepted with a verified receipt."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from app.models.db import Database
from app.models.outbox import ACCEPTED, OutboxItem, SyncReceipt
from app.sync import protocol
from tests.hub.servers import RunningHub
from tests.sync.conftest import connect, sync
from tests.sync.docs import DocSet, fresh_id, issue


def test_issued_items_reach_the_hub_with_verified_receipts(
    school: Database, hub: RunningHub, docset: DocSet
) -> None:
    connected = connect(school, hub, hub.url, docset.school_code)
    ids = [
        issue(school, d, school_code=docset.school_code, document_id=fresh_id()).submission_id
        for d in docset.signed
    ]
    summary = sync(school)
    assert (summary.sent, summary.accepted, summary.already_there, summary.failed, summary.waiting) == (
        3,
        3,
        0,
        0,
        0,
    )
    key = protocol.unb64(_pinned(school))
    with school.read() as s:
        items = {i.submission_id: (i.state, i.send_sha256) for i in s.scalars(select(OutboxItem))}
        receipts = {r.submission_id: r.receipt_json for r in s.scalars(select(SyncReceipt))}
    assert set(items) == set(ids) and all(state == ACCEPTED for state, _sha in items.values())
    for sid in ids:
        signed = json.loads(receipts[sid])
        receipt = protocol.verify_receipt(signed, key, submission_id=sid)
        assert receipt.hub_id == connected.hub_id
    listed = {e["id"]: e for e in hub.listing(docset.school_code)}
    for sid in ids:
        assert listed[sid]["sha256"] == items[sid][1]


def _pinned(db: Database) -> str:
    from app.models.outbox import SyncState

    with db.read() as s:
        state = s.get(SyncState, 1)
        assert state is not None and state.hub_public_key
        return state.hub_public_key


def test_sheets_and_corrections_travel_too(school: Database, hub: RunningHub, docset: DocSet) -> None:
    connect(school, hub, hub.url, docset.school_code)
    sheet = issue(
        school, docset.unsigned[4], school_code=docset.school_code, document_id=fresh_id(), kind="sheet"
    )
    first_id = fresh_id()
    issue(school, docset.unsigned[5], school_code=docset.school_code, document_id=first_id)
    fix = issue(school, docset.unsigned[6], school_code=docset.school_code, document_id=fresh_id(), version=2,
                supersedes=first_id)  # fmt: skip
    assert sync(school).accepted == 3
    listed = {r["id"]: r for r in hub.listing(docset.school_code)}
    assert listed[sheet.submission_id]["kind"] == "sheet" and listed[sheet.submission_id]["student"] is None
    assert listed[fix.submission_id]["version"] == 2 and listed[fix.submission_id]["supersedes"] == first_id


def test_one_sync_at_a_time(school: Database, hub: RunningHub, docset: DocSet) -> None:
    from app.sync.lock import SyncBusy, SyncLock

    connect(school, hub, hub.url, docset.school_code)
    with SyncLock(school.path), pytest.raises(SyncBusy, match="đang chạy"):
        sync(school)
    assert sync(school).error is None  # the lock is free again
