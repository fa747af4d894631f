"""The outbox table: enqueue inside the issuing transaction, forward-only states, receipts
required for "accepted", nothing deleted, frozen manifests fixed — enforced by the database."""

from __future__ import annotations

import sqlite3
from datetime import datetime

import pytest
from sqlalchemy import select, text

from app.models.audit import AuditEntry
from app.models.db import Database
from app.models.outbox import OutboxItem, SyncReceipt
from app.models.triggers import OUTBOX_TRIGGERS
from app.services import audit
from app.sync import outbox, protocol
from tests.sync.docs import DocSet, fresh_id, issue


def _raw(db: Database) -> sqlite3.Connection:
    conn = sqlite3.connect(db.path, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def test_enqueue_commits_with_the_issuing_transaction(school: Database, docset: DocSet) -> None:
    doc = docset.unsigned[0]
    result = issue(school, doc, school_code=docset.school_code)
    assert result.created
    assert result.submission_id == protocol.submission_id_for("record", doc.document_id, 1)
    with school.read() as s:
        item = s.scalar(select(OutboxItem))
        head = s.scalar(select(AuditEntry.hash).order_by(AuditEntry.id.desc()))
        assert item is not None and item.state == "pending" and item.audit_head == head
        assert item.sha256 == protocol.sha256_hex(doc.pdf) and item.student_code == doc.student_code
    # The same version again: the same item, nothing new.
    again = issue(school, doc, school_code=docset.school_code)
    assert not again.created and again.item_id == result.item_id


def test_a_failing_issuing_transaction_leaves_no_outbox_row(school: Database, docset: DocSet) -> None:
    with pytest.raises(RuntimeError), school.write() as s:
        audit.append(s, actor="system", action="document.issue", entity="document", entity_id="x")
        outbox.enqueue(
            s,
            kind="record",
            document_id=fresh_id(),
            version=1,
            sha256="a" * 64,
            size=10,
            store_key="aa/x.pdf",
            school_code=docset.school_code,
            year="2026-2027",
            student_code="HS1",
        )
        raise RuntimeError("the signed file could not be stored")
    with school.read() as s:
        assert s.scalar(select(OutboxItem)) is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"sha256": "b" * 64}, "other bytes"),
        ({"version": 2}, "supersedes"),  # a correction must name what it corrects
        ({"year": "2026"}, "bad year"),
        ({"student_code": None}, "bad student"),
        ({"extras": {"score": 8.5}}, "float"),
    ],
)
def test_malformed_or_conflicting_items_fail_the_issuing(
    school: Database, docset: DocSet, change: dict[str, object], message: str
) -> None:
    doc_id = fresh_id()
    base: dict[str, object] = dict(
        kind="record",
        document_id=doc_id,
        version=1,
        sha256="a" * 64,
        size=10,
        store_key="aa/x.pdf",
        school_code=docset.school_code,
        year="2026-2027",
        student_code="HS1",
    )
    if "sha256" in change:  # the same version already queued with other bytes
        with school.write() as s:
            outbox.enqueue(s, **base)  # type: ignore[arg-type]
    with pytest.raises((ValueError, protocol.ProtocolError), match=message), school.write() as s:
        outbox.enqueue(s, **{**base, **change})  # type: ignore[arg-type]


def test_states_only_move_forward(school: Database, docset: DocSet) -> None:
    item_id = issue(school, docset.unsigned[1], school_code=docset.school_code).item_id
    conn = _raw(school)
    try:
        for bad in ("accepted", "pending"):
            if bad == "pending":
                conn.execute("UPDATE outbox_item SET state = 'sent' WHERE id = ?", (item_id,))
            with pytest.raises(sqlite3.DatabaseError, match=r"accepted only with|only moves forward"):
                conn.execute("UPDATE outbox_item SET state = ? WHERE id = ?", (bad, item_id))
        conn.execute("UPDATE outbox_item SET state = 'needs_attention' WHERE id = ?", (item_id,))
        for later in ("pending", "sent", "accepted"):
            with pytest.raises(sqlite3.DatabaseError, match=r"only moves forward|accepted only with"):
                conn.execute("UPDATE outbox_item SET state = ? WHERE id = ?", (later, item_id))
        with pytest.raises(sqlite3.DatabaseError, match="never deleted"):
            conn.execute("DELETE FROM outbox_item")
        with pytest.raises(sqlite3.DatabaseError, match="start pending"):
            conn.execute(
                "INSERT INTO outbox_item (submission_id, kind, document_id, version, school_code, year_name, "
                "sha256, size, store_key, extras, audit_head, created_at, state, attempts) VALUES "
                "('x', 'record', 'd', 1, 'S', '2026-2027', 'a', 1, 'k', '{}', 'h', '2026-01-01', "
                "'accepted', 0)"
            )
    finally:
        conn.close()


def test_accepted_needs_its_receipt_and_receipts_are_kept_as_signed(school: Database, docset: DocSet) -> None:
    item_id = issue(school, docset.unsigned[2], school_code=docset.school_code).item_id
    with school.write() as s:
        item = s.get(OutboxItem, item_id)
        assert item is not None
        outbox.freeze_manifest(
            s,
            item,
            send_sha256=item.sha256,
            send_size=item.size,
            send_store_key=item.store_key,
            device_id=None,
        )
        outbox.mark_sent(s, item, "http")
    conn = _raw(school)
    try:
        with pytest.raises(sqlite3.DatabaseError, match="accepted only with its stored receipt"):
            conn.execute("UPDATE outbox_item SET state = 'accepted' WHERE id = ?", (item_id,))
        with pytest.raises(sqlite3.DatabaseError, match="never change"):
            conn.execute("UPDATE outbox_item SET manifest = '{}' WHERE id = ?", (item_id,))
        with pytest.raises(sqlite3.DatabaseError, match="never change"):
            conn.execute("UPDATE outbox_item SET sha256 = 'b' WHERE id = ?", (item_id,))
        conn.execute(
            "INSERT INTO sync_receipt (outbox_item_id, submission_id, hub_id, key_id, received_at, sequence, "
            "receipt_json, stored_at) VALUES (?, 's', 'h', 'k', 'now', 1, '{}', '2026-01-01')",
            (item_id,),
        )
        conn.execute("UPDATE outbox_item SET state = 'accepted' WHERE id = ?", (item_id,))
        for statement in ("UPDATE sync_receipt SET receipt_json = 'x'", "DELETE FROM sync_receipt"):
            with pytest.raises(sqlite3.DatabaseError, match="as the hub signed them"):
                conn.execute(statement)
    finally:
        conn.close()


def test_stale_in_progress_marks_are_reset(school: Database, docset: DocSet) -> None:
    item_id = issue(school, docset.unsigned[3], school_code=docset.school_code).item_id
    with school.write() as s:
        s.execute(text("UPDATE outbox_item SET in_progress_since = :t"), {"t": datetime(2026, 1, 1)})
    with school.write() as s:
        assert outbox.reset_stale_marks(s) == 1
    with school.read() as s:
        item = s.get(OutboxItem, item_id)
        assert item is not None and item.in_progress_since is None and item.state == "pending"


def test_outbox_triggers_exist_after_upgrade(school: Database) -> None:
    with school.read() as s:
        names = set(s.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars())
        assert set(OUTBOX_TRIGGERS) <= names
        assert s.scalar(select(SyncReceipt)) is None
