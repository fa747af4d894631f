"""The outbox: enqueue an issued document inside the issuing transaction; move items forward.

The issuing service calls `enqueue` in the same write transaction that stores the signed
file's rows and the audit entry, so the document and its way to the hub commit together
(architecture.md §6). Everything else here is used by the sync worker and the USB-stick
bundle: freezing an item's manifest before its first send, and the forward-only moves
(pending → sent → accepted, or needs_attention with a reason) that the database triggers
also enforce.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.models.audit import GENESIS_HASH, AuditEntry
from app.models.base import utcnow
from app.models.outbox import ACCEPTED, NEEDS_ATTENTION, PENDING, SENT, OutboxItem, SyncReceipt
from app.sync import protocol


@dataclass(frozen=True)
class Enqueued:
    item_id: int
    submission_id: str
    created: bool  # False: the same document version was already in the outbox


class OutboxConflict(ValueError):
    """The same document version is already in the outbox with other bytes (a caller's bug)."""


def enqueue(
    session: Session,
    *,
    kind: Literal["record", "sheet"],
    document_id: str,
    version: int,
    sha256: str,
    size: int,
    store_key: str,
    school_code: str,
    year: str,
    student_code: str | None = None,
    supersedes: str | None = None,
    extras: Mapping[str, Any] | None = None,
    created_at: datetime | None = None,
) -> Enqueued:
    """Put one issued document in the outbox, inside the caller's write transaction.

    Call it from the issuing transaction after the signed file is stored (fsynced, renamed)
    and after the audit entry of the issuing is appended: the item records the audit
    chain head at that point, which travels with the submission so the hub countersigns it.

    - `kind`: "record" (a student's học bạ for one year) or "sheet" (a class subject sheet);
    - `document_id`, `version`: the document version's UUID (`record_uuid` / `sheet_uuid`,
      which already include the version) and its version number (1, then 2… for corrections);
    - `supersedes`: for a correction, the `document_id` of the version it replaces;
    - `sha256`, `size`: of the signed file exactly as stored;
    - `store_key`: where the worker reads it: a path relative to the document store
      (`<database folder>/documents`, e.g. "ab/abcd….pdf") or an absolute path; a file
      sealed with the database key (app.models.cipher) is unsealed when read;
    - `school_code`, `year` ("2026-2027"), `student_code` (records only: mã học sinh, never
      the national id);
    - `extras`: small JSON facts shown to the department (class name, subject code, term,
      the correction's reason, the SHA-256 of the sheets a record depends on): strings,
      integers, lists and objects only.

    Enqueuing the same (kind, document_id, version) again with the same bytes returns the
    existing item (`created` False); with other bytes it raises OutboxConflict. Nothing is
    committed here: the caller's transaction commits or rolls back everything together.
    """
    if kind not in protocol.KINDS:
        raise ValueError(f"kind must be one of {protocol.KINDS}")
    if not protocol.is_sha256(sha256):
        raise ValueError("sha256 must be 64 lowercase hex digits")
    submission_id = protocol.submission_id_for(kind, document_id, version)
    existing = session.scalar(select(OutboxItem).where(OutboxItem.submission_id == submission_id))
    if existing is not None:
        if existing.sha256 != sha256:
            raise OutboxConflict(f"{kind} {document_id} v{version} is already queued with other bytes")
        return Enqueued(existing.id, submission_id, created=False)
    session.flush()  # the caller's audit entry, if any, gets its hash before we read the head
    head = session.scalar(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)) or GENESIS_HASH
    item = OutboxItem(
        submission_id=submission_id,
        kind=kind,
        document_id=document_id,
        version=version,
        supersedes=supersedes,
        school_code=school_code,
        student_code=student_code if kind == "record" else None,
        year_name=year,
        sha256=sha256,
        size=size,
        store_key=store_key,
        extras=dict(extras or {}),
        audit_head=head,
        created_at=created_at or utcnow(),
        state=PENDING,
        attempts=0,
    )
    session.add(item)
    session.flush()
    # Checked now, not at sync time: a malformed item must fail the issuing, not sit forever.
    build_manifest(item, send_sha256=sha256, size=size, device_id=None).check()
    return Enqueued(item.id, submission_id, created=True)


def build_manifest(
    item: OutboxItem, *, send_sha256: str, size: int, device_id: str | None
) -> protocol.Manifest:
    return protocol.Manifest(
        submission_id=item.submission_id,
        kind=item.kind,
        document_id=item.document_id,
        version=item.version,
        supersedes=item.supersedes,
        school_code=item.school_code,
        student_code=item.student_code,
        year=item.year_name,
        document=protocol.DocumentRef(send_sha256, size),
        issued_sha256=item.sha256,
        audit_head=item.audit_head,
        created_at=item.created_at.isoformat(timespec="seconds") + "Z",
        device_id=device_id,
        extras=dict(item.extras or {}),
    )


def freeze_manifest(
    session: Session,
    item: OutboxItem,
    *,
    send_sha256: str,
    send_size: int,
    send_store_key: str,
    device_id: str | None,
    longterm_note: str | None = None,
) -> protocol.Manifest:
    """Fix, once, the manifest and bytes this item is sent with (replays must be identical)."""
    if item.manifest is not None:
        return frozen_manifest(item)
    manifest = build_manifest(item, send_sha256=send_sha256, size=send_size, device_id=device_id).check()
    item.manifest = manifest.canonical().decode("utf-8")
    item.send_sha256 = send_sha256
    item.send_store_key = send_store_key
    item.longterm_note = longterm_note
    session.flush()
    return manifest


def frozen_manifest(item: OutboxItem) -> protocol.Manifest:
    if item.manifest is None:
        raise ValueError("the manifest is not frozen yet")
    return protocol.Manifest.from_json(json.loads(item.manifest))


def reset_stale_marks(session: Session) -> int:
    """Clear "in progress" marks left by a sync that died; call while holding the sync lock."""
    result = session.execute(
        update(OutboxItem).where(OutboxItem.in_progress_since.is_not(None)).values(in_progress_since=None)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def mark_sent(session: Session, item: OutboxItem, channel: str) -> None:
    if item.state == PENDING:
        item.state = SENT
        item.sent_at = utcnow()
        item.channel = channel
    session.flush()


def mark_needs_attention(session: Session, item: OutboxItem, reason: str) -> None:
    if item.state in (PENDING, SENT):
        item.state = NEEDS_ATTENTION
        item.attention_reason = reason
        item.in_progress_since = None
    session.flush()


def accept(
    session: Session,
    item: OutboxItem,
    signed_receipt: dict[str, Any],
    receipt: protocol.Receipt,
    key_id: str,
    verification: protocol.Verification | None = None,
) -> bool:
    """Store the verified receipt and mark the item accepted, in the caller's transaction.

    The receipt must already be verified against the pinned hub key. Returns False when the
    item was accepted before (a second copy of the same receipt changes nothing).
    """
    if item.state == ACCEPTED:
        return False
    if item.state == PENDING:  # answered on a path that skipped "sent" (a bundle's receipts)
        mark_sent(session, item, item.channel or "bundle")
    session.add(
        SyncReceipt(
            outbox_item_id=item.id,
            submission_id=receipt.submission_id,
            hub_id=receipt.hub_id,
            key_id=key_id,
            received_at=receipt.received_at,
            sequence=receipt.sequence,
            receipt_json=protocol.canonical_json(signed_receipt).decode("utf-8"),
            stored_at=utcnow(),
        )
    )
    session.flush()
    item.state = ACCEPTED
    item.accepted_at = utcnow()
    item.in_progress_since = None
    item.last_error = None
    if verification is not None:
        record_verification(item, verification)
    session.flush()
    return True


def record_verification(item: OutboxItem, verification: protocol.Verification) -> None:
    item.hub_verification = verification.status
    item.hub_verification_summary = verification.summary
    item.hub_verification_at = utcnow() if verification.status != "pending" else None
