"""SIGKILL the syncing process at named points (and at random moments), restart, sync again:
nothing lost, nothing duplicated, receipts verify, the database passes integrity_check."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest
from sqlalchemy import select, text

from app.models.db import Database, open_database
from app.models.outbox import OutboxItem, SyncReceipt, SyncState
from app.sync import protocol
from app.sync.worker import POINTS
from tests.hub.servers import ROOT, RunningHub
from tests.sync.conftest import connect, sync
from tests.sync.docs import DocSet, fresh_id, issue

ITEMS = 3


def _child(db: Database, point: str, nth: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.sync.crash_child", str(db.path), point, str(nth)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _prepare(school: Database, hub: RunningHub, docset: DocSet) -> list[str]:
    connect(school, hub, hub.url, docset.school_code)
    ids = [
        issue(school, d, school_code=docset.school_code, document_id=fresh_id()).submission_id
        for d in docset.signed[:ITEMS]
    ]
    school.dispose()  # the child owns the file while it runs
    return ids


def _check_after_restart(school: Database, hub: RunningHub, docset: DocSet, ids: list[str]) -> None:
    db = open_database(school.path)
    try:
        with db.read() as s:
            assert s.execute(text("PRAGMA integrity_check")).scalar() == "ok"
            assert sorted(i.submission_id for i in s.scalars(select(OutboxItem))) == sorted(
                ids
            )  # nothing lost
        summary = sync(db)
        assert summary.waiting == 0 and summary.failed == 0, summary
        with db.read() as s:
            items = {
                i.submission_id: (i.state, i.send_sha256, i.in_progress_since)
                for i in s.scalars(select(OutboxItem))
            }
            receipts = {r.submission_id: r.receipt_json for r in s.scalars(select(SyncReceipt))}
            state = s.get(SyncState, 1)
            assert state is not None and state.hub_public_key
            key = protocol.unb64(state.hub_public_key)
        assert {st for st, _sha, _mark in items.values()} == {"accepted"}
        assert {mark for _st, _sha, mark in items.values()} == {None}
        listed = hub.listing(docset.school_code)
        counts = Counter(r["id"] for r in listed)
        shas = {r["id"]: r["sha256"] for r in listed}
        for sid in ids:
            assert counts[sid] == 1  # nothing duplicated
            assert shas[sid] == items[sid][1]  # the bytes on the hub are the local ones
            protocol.verify_receipt(json.loads(receipts[sid]), key, submission_id=sid)
    finally:
        db.dispose()


@pytest.mark.slow
@pytest.mark.parametrize("point", POINTS[:-1])  # "reconciled" needs items left "sent": below
def test_sigkill_at_a_named_point(school: Database, hub: RunningHub, docset: DocSet, point: str) -> None:
    ids = _prepare(school, hub, docset)
    child = _child(school, point, 2)
    _out, err = child.communicate(timeout=120)
    assert child.returncode == -signal.SIGKILL, err
    _check_after_restart(school, hub, docset, ids)


@pytest.mark.slow
def test_sigkill_while_reconciling_lost_answers(school: Database, hub: RunningHub, docset: DocSet) -> None:
    ids = _prepare(school, hub, docset)
    first = _child(school, "answer_received", 1)  # the hub committed; the answer died with the process
    first.communicate(timeout=120)
    second = _child(school, "reconciled", 1)
    _out, err = second.communicate(timeout=120)
    assert second.returncode == -signal.SIGKILL, err
    _check_after_restart(school, hub, docset, ids)


@pytest.mark.slow
def test_sigkill_at_random_moments(school: Database, hub: RunningHub, docset: DocSet) -> None:
    ids = _prepare(school, hub, docset)
    rng = random.Random(11)
    for _ in range(4):
        child = _child(school, "never", 1)
        time.sleep(rng.uniform(0.3, 2.0))  # the child's start-up takes most of a second
        child.send_signal(signal.SIGKILL)
        child.communicate(timeout=60)
    _check_after_restart(school, hub, docset, ids)
