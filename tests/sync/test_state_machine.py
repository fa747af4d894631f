"""A hypothesis state machine over issue / fault / heal / sync / crash steps.

Checked after every step: the hub never holds two rows for one submission; states only
move forward; an accepted item's bytes on the hub equal the local ones and its stored
receipt verifies against the pinned key. At the end the link heals and every issued item
must end accepted.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select

from app.models.db import Database
from app.models.outbox import OutboxItem, SyncReceipt, SyncState
from app.sync import protocol
from app.sync.client import RetryPolicy, Timeouts
from app.sync.documents import LocalDocuments, documents_dir_for
from app.sync.worker import POINTS, SyncOptions, run_sync
from tests.hub.servers import RunningHub
from tests.sync.conftest import connect
from tests.sync.docs import DocSet, issue, school_db
from tests.sync.proxy import Fault, FaultProxy

ORDER = {"pending": 0, "sent": 1, "accepted": 2, "needs_attention": 3}
FAULTS = [
    Fault("reset_upload"),
    Fault("reset_answer"),
    Fault("status", status=500),
    Fault("status", status=503),
    Fault("status", status=429, retry_after="0"),
    Fault("captive"),
    Fault("drop_answer", match="PUT /v1/submissions"),
    Fault("drop_answer", match="PUT /v1/blobs"),
    Fault("stall", stall_s=2.0),
]
POLICY = RetryPolicy(attempts=3, base_delay_s=0.01, max_delay_s=0.05, max_retry_after_s=2)
TIMEOUTS = Timeouts(connect_s=2, read_s=1, write_s=2, pool_s=2)


class SimulatedCrash(BaseException):
    """Raised from the worker's hook: the process "dies" at that point."""


def machine(hub: RunningHub, proxy: FaultProxy, docset: DocSet, folder: Path) -> type[RuleBasedStateMachine]:
    hub_db = hub.data / "hub.sqlite3"
    blobs = hub.data / "blobs"

    class SyncMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.db: Database | None = None
            self.issued: dict[str, str] = {}  # submission id → document id
            self.seen: dict[str, str] = {}

        @initialize()
        def open_school(self) -> None:
            proxy.clear()
            self.db = school_db(docset, folder / uuid.uuid4().hex / "hocba.sqlite3")
            connect(self.db, hub, proxy.url, docset.school_code)

        def teardown(self) -> None:
            proxy.clear()
            if self.db is not None:
                try:
                    for _ in range(3):
                        if run_sync(self.db, self._options()).waiting == 0:
                            break
                    states = self._states()
                    assert set(states) == set(self.issued)
                    assert set(states.values()) <= {"accepted"}, states
                    self.check_hub_and_receipts()
                finally:
                    self.db.dispose()

        def _options(self, hook: object = None) -> SyncOptions:
            return SyncOptions(policy=POLICY, timeouts=TIMEOUTS, hook=hook)  # type: ignore[arg-type]

        def _states(self) -> dict[str, str]:
            assert self.db is not None
            with self.db.read() as s:
                return {i.submission_id: i.state for i in s.scalars(select(OutboxItem))}

        # ------------------------------------------------------------------ steps

        @rule(doc=st.integers(0, len(docset.unsigned) - 1))
        def issue_new(self, doc: int) -> None:
            assert self.db is not None
            doc_id = str(uuid.uuid4())
            result = issue(self.db, docset.unsigned[doc], school_code=docset.school_code, document_id=doc_id)
            self.issued[result.submission_id] = doc_id

        @precondition(lambda self: bool(self.issued))
        @rule(data=st.data())
        def issue_correction(self, data: st.DataObject) -> None:
            assert self.db is not None
            old = data.draw(st.sampled_from(sorted(self.issued.values())))
            doc = docset.unsigned[data.draw(st.integers(0, len(docset.unsigned) - 1))]
            new_id = str(uuid.uuid4())
            result = issue(
                self.db, doc, school_code=docset.school_code, document_id=new_id, version=2, supersedes=old
            )
            self.issued[result.submission_id] = new_id

        @rule(faults=st.lists(st.sampled_from(FAULTS), min_size=1, max_size=4))
        def break_link(self, faults: list[Fault]) -> None:
            proxy.inject(*[Fault(f.kind, f.status, f.retry_after, f.match, f.stall_s) for f in faults])

        @rule()
        def link_down(self) -> None:
            proxy.mode = "down"

        @rule()
        def heal(self) -> None:
            proxy.clear()

        @rule()
        def sync(self) -> None:
            assert self.db is not None
            summary = run_sync(self.db, self._options())
            assert summary.failed == 0

        def _waiting(self) -> bool:
            return any(state in ("pending", "sent") for state in self._states().values())

        @precondition(lambda self: self.db is not None and self._waiting())
        @rule(point=st.sampled_from(POINTS), nth=st.integers(1, 2))
        def crash_during_sync(self, point: str, nth: int) -> None:
            assert self.db is not None
            seen = 0

            def hook(name: str, _sid: str | None) -> None:
                nonlocal seen
                if name == point:
                    seen += 1
                    if seen >= nth:
                        raise SimulatedCrash(point)

            with contextlib.suppress(SimulatedCrash):
                run_sync(self.db, self._options(hook))
            path = self.db.path  # restart: a new process opens the same file
            self.db.dispose()
            from app.models.db import open_database

            self.db = open_database(path)

        # ------------------------------------------------------------------ invariants

        @invariant()
        def states_only_move_forward(self) -> None:
            if self.db is None:
                return
            for sid, state in self._states().items():
                assert ORDER[state] >= ORDER.get(self.seen.get(sid, "pending"), 0), (
                    sid,
                    self.seen.get(sid),
                    state,
                )
                assert state != "needs_attention"
                self.seen[sid] = state

        @invariant()
        def check_hub_and_receipts(self) -> None:
            if self.db is None:
                return
            conn = sqlite3.connect(f"file:{hub_db}?mode=ro", uri=True)
            try:
                dupes = conn.execute(
                    "SELECT submission_id, count(*) FROM submission "
                    "GROUP BY submission_id HAVING count(*) > 1"
                ).fetchall()
                on_hub = dict(
                    conn.execute("SELECT submission_id, document_sha256 FROM submission").fetchall()
                )
            finally:
                conn.close()
            assert dupes == []
            documents = LocalDocuments(documents_dir_for(self.db.path))
            with self.db.read() as s:
                state = s.get(SyncState, 1)
                assert state is not None and state.hub_public_key
                key = protocol.unb64(state.hub_public_key)
                receipts = {r.outbox_item_id: r.receipt_json for r in s.scalars(select(SyncReceipt))}
                for item in s.scalars(select(OutboxItem).where(OutboxItem.state == "accepted")):
                    assert on_hub[item.submission_id] == item.send_sha256
                    sha = str(item.send_sha256)
                    hub_bytes = (blobs / sha[:2] / sha[2:4] / sha).read_bytes()
                    assert hub_bytes == documents.read(str(item.send_store_key), sha)
                    receipt = protocol.verify_receipt(
                        json.loads(receipts[item.id]), key, submission_id=item.submission_id
                    )
                    assert receipt.document_sha256 == sha

    return SyncMachine


@pytest.mark.slow
def test_no_loss_no_duplicates_under_faults_and_crashes(
    hub: RunningHub, proxy: FaultProxy, docset: DocSet, tmp_path: Path
) -> None:
    run_state_machine_as_test(
        machine(hub, proxy, docset, tmp_path),
        settings=settings(
            max_examples=40,
            stateful_step_count=15,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
