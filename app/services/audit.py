"""The hash-chained audit log: append inside the caller's transaction; verify the chain.

Appending runs inside the write transaction of the change it records, so the log and the
change commit together or not at all. Writes begin IMMEDIATE, so no two writers can read
the same chain head.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from app.models.audit import GENESIS_HASH, AuditEntry
from app.models.base import utcnow


def _entry_hash(
    prev_hash: str,
    at: datetime,
    actor: str,
    action: str,
    entity: str,
    entity_id: str | None,
    detail: dict[str, object],
) -> str:
    payload = json.dumps(
        [prev_hash, at.isoformat(timespec="microseconds"), actor, action, entity, entity_id, detail],
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def chain_head(session: Session) -> str:
    head = session.scalar(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1))
    return head or GENESIS_HASH


@dataclass(frozen=True)
class AuditRecord:
    """One change to record; `append_many` chains a batch of them in one go."""

    action: str
    entity: str
    entity_id: object = None
    detail: dict[str, object] | None = None


def append(
    session: Session,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_id: object = None,
    detail: dict[str, object] | None = None,
) -> AuditEntry:
    entry = _chain(session, actor, [AuditRecord(action, entity, entity_id, detail)])[0]
    session.add(entry)
    session.flush()
    return entry


def append_many(session: Session, *, actor: str, records: Sequence[AuditRecord]) -> int:
    """Append a batch (an import, a pasted column) reading the chain head once and
    inserting with one executemany; same chain as appending one by one."""
    entries = _chain(session, actor, records)
    if entries:
        session.execute(
            insert(AuditEntry),
            [
                {
                    "at": e.at, "actor": e.actor, "action": e.action, "entity": e.entity,
                    "entity_id": e.entity_id, "detail": e.detail, "prev_hash": e.prev_hash,
                    "hash": e.hash,
                }
                for e in entries
            ],
        )
    return len(entries)


def _chain(session: Session, actor: str, records: Sequence[AuditRecord]) -> list[AuditEntry]:
    prev = chain_head(session)
    entries = []
    for record in records:
        # Round-trip detail through JSON now so the hash covers exactly what is stored.
        clean: dict[str, object] = json.loads(
            json.dumps(record.detail or {}, ensure_ascii=False, default=str)
        )
        at = utcnow()
        eid = None if record.entity_id is None else str(record.entity_id)
        digest = _entry_hash(prev, at, actor, record.action, record.entity, eid, clean)
        entries.append(
            AuditEntry(
                at=at, actor=actor, action=record.action, entity=record.entity,
                entity_id=eid, detail=clean, prev_hash=prev, hash=digest,
            )
        )
        prev = digest
    return entries


@dataclass(frozen=True)
class ChainCheck:
    ok: bool
    entries: int
    first_broken_id: int | None
    reason: str | None


def verify_chain(session: Session) -> ChainCheck:
    prev = GENESIS_HASH
    count = 0
    for entry in session.scalars(select(AuditEntry).order_by(AuditEntry.id)):
        count += 1
        if entry.prev_hash != prev:
            return ChainCheck(False, count, entry.id, "prev_hash does not match the previous row")
        expected = _entry_hash(
            entry.prev_hash, entry.at, entry.actor, entry.action, entry.entity,
            entry.entity_id, entry.detail,
        )
        if entry.hash != expected:
            return ChainCheck(False, count, entry.id, "row content does not match its hash")
        prev = entry.hash
    return ChainCheck(True, count, None, None)
