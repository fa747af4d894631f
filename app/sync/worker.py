"""One sync: send the outbox to the hub, oldest first, and bring back verified receipts.

Run it off the GUI thread (the network pool); it opens its own short write transactions
and never holds one across a network call. Steps:

1. take the sync lock (one sync at a time) and reset "in progress" marks a dead sync left;
2. probe the hub: anything but the real hub's /v1/info (captive portal, proxy page, another
   server) ends the sync as "offline", nothing changes;
3. reconcile items already "sent" (an answer lost after the hub committed);
4. for each waiting item, oldest first: freeze its manifest (after the long-term extension,
   if a timestamp server is configured), upload the document unless the hub has it, mark
   it sent, submit it, verify the receipt against the pinned key, and store the receipt
   and "accepted" in one transaction;
5. refresh the hub's signature verification of accepted items still "pending" there.

A link that fails beyond the retries stops the sync; items keep their state and go out next
time. A refusal of one item (another document under the same id, a damaged local file)
moves only that item to "needs attention" with the reason.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime

from sqlalchemy import func, select

from app.errors import UserFacingError
from app.models.base import utcnow
from app.models.db import Database
from app.models.outbox import ACCEPTED, NEEDS_ATTENTION, PENDING, SENT, WAITING_STATES, OutboxItem
from app.sync import credentials, outbox, protocol
from app.sync.client import (
    BadReceipt,
    HubClient,
    MissingBlob,
    Offline,
    Refused,
    RetryPolicy,
    SyncError,
    Timeouts,
)
from app.sync.documents import DocumentMissing, LocalDocuments, documents_dir_for
from app.sync.lock import SyncLock
from app.sync.state import get_state, read_state

log = logging.getLogger(__name__)

# Named points a crash test may stop the process at (SyncOptions.hook).
POINTS = ("prepared", "blob_uploaded", "marked_sent", "answer_received", "accepted", "reconciled")
Hook = Callable[[str, str | None], None]
# (issued bytes) -> (bytes to send, note for the item): the long-term extension.
Extender = Callable[[bytes], tuple[bytes, str]]


class NotConnected(UserFacingError):
    def __init__(self) -> None:
        super().__init__(
            "Máy này chưa được kết nối với máy chủ của Sở. Vào Đồng bộ → Kết nối máy này với máy chủ của Sở, "
            "hoặc chạy: python -m app hub-connect --db … --hub … --credential-env …"
        )


@dataclass(frozen=True)
class SyncOptions:
    hub_url: str | None = None  # another address of the same hub (the pinned key still decides)
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    timeouts: Timeouts = field(default_factory=Timeouts)
    longterm: bool = True  # extend towards B-LTA when a timestamp server is configured
    hook: Hook | None = None
    client_factory: Callable[..., HubClient] = HubClient
    extender: Extender | None = None  # default: app.sync.longterm from the configured server
    # Roots (DER) that chain the signers' certificates for fetching revocation data: the school's
    # trust store (app.signing.trust), passed in by the caller; the signatures' own roots are added.
    trust_roots: tuple[bytes, ...] = ()


@dataclass(frozen=True)
class SyncSummary:
    sent: int  # submissions sent this run
    accepted: int  # new on the hub, receipt verified and stored
    already_there: int  # the hub had them (a replay or a reconciled lost answer)
    failed: int  # items needing a person's attention (all of them, not only this run's)
    waiting: int  # still pending or sent: they go out next time
    offline: bool = False
    error: str | None = None  # why the sync stopped early, in Vietnamese
    retries: int = 0
    requests: int = 0
    started_at: str = ""
    finished_at: str = ""

    def to_json(self) -> dict[str, object]:
        return asdict(self)


@dataclass
class _Run:
    sent: int = 0
    accepted: int = 0
    already_there: int = 0


def run_sync(db: Database, options: SyncOptions | None = None) -> SyncSummary:
    """One sync of `db`'s outbox; raises NotConnected / SyncBusy before touching the network."""
    options = options or SyncOptions()
    with db.read() as s:
        state = read_state(s)
        if state is None or not (state.device_id and state.hub_public_key and state.hub_url):
            raise NotConnected()
        device_id, hub_url = str(state.device_id), options.hub_url or str(state.hub_url)
        pinned, hub_id, school = protocol.unb64(str(state.hub_public_key)), state.hub_id, state.school_code
        tsa = state.timestamp_url
    credential = credentials.load(device_id)
    if not credential:
        raise NotConnected()
    started = utcnow()
    with SyncLock(db.path):
        with db.write() as s:
            outbox.reset_stale_marks(s)
            get_state(s).last_attempt_at = started
        client = options.client_factory(
            hub_url,
            credential,
            pinned_key=pinned,
            hub_id=hub_id,
            policy=options.policy,
            timeouts=options.timeouts,
        )
        extender = options.extender
        if extender is None and options.longterm and tsa:
            from app.sync.longterm import extender_for

            extender = extender_for(tsa, trust_roots=options.trust_roots, timeouts=options.timeouts)
        job = _Job(db, client, device_id, school, options.hook, extender)
        error: SyncError | None = None
        try:
            job.run()
        except SyncError as exc:
            error = exc
        finally:
            client.close()
            with db.write() as s:  # marks of this run: nothing is in progress any more
                outbox.reset_stale_marks(s)
        return _finish(db, job, client, error, started)


def _finish(
    db: Database, job: _Job, client: HubClient, error: SyncError | None, started: datetime
) -> SyncSummary:
    with db.write() as s:
        counts = dict(s.execute(select(OutboxItem.state, func.count()).group_by(OutboxItem.state)).all())
        waiting = sum(counts.get(st, 0) for st in WAITING_STATES)
        summary = SyncSummary(
            sent=job.counts.sent,
            accepted=job.counts.accepted,
            already_there=job.counts.already_there,
            failed=counts.get(NEEDS_ATTENTION, 0),
            waiting=waiting,
            offline=isinstance(error, Offline),
            error=error.message if error else None,
            retries=client.stats.retries,
            requests=client.stats.requests,
            started_at=started.isoformat(timespec="seconds"),
            finished_at=utcnow().isoformat(timespec="seconds"),
        )
        state = get_state(s)
        now = utcnow()
        if error is None:
            state.last_success_at = now
        else:
            state.last_error = error.message
            state.last_error_at = now
        state.last_summary = summary.to_json()
    return summary


class _Job:
    def __init__(
        self,
        db: Database,
        client: HubClient,
        device_id: str,
        school_code: str | None,
        hook: Hook | None,
        extender: Extender | None,
    ) -> None:
        self.db = db
        self.client = client
        self.device_id = device_id
        self.school_code = school_code
        self.hook = hook
        self.extender = extender
        self.documents = LocalDocuments(documents_dir_for(db.path), db.key)
        self.counts = _Run()
        self.key_id = protocol.key_id(client.pinned_key or b"")

    def _point(self, name: str, submission_id: str | None) -> None:
        if self.hook is not None:
            self.hook(name, submission_id)

    def run(self) -> None:
        self.client.probe()
        self._reconcile_sent()
        with self.db.read() as s:
            ids = list(
                s.scalars(
                    select(OutboxItem.id).where(OutboxItem.state.in_(WAITING_STATES)).order_by(OutboxItem.id)
                )
            )
        for item_id in ids:
            self._send(item_id)
        self._refresh_verification()

    # ------------------------------------------------------------------ lost answers

    def _reconcile_sent(self) -> None:
        with self.db.read() as s:
            sent = {sid: m for sid, m in s.execute(select(OutboxItem.submission_id, OutboxItem.manifest)
                                                   .where(OutboxItem.state == SENT))}  # fmt: skip
        if not sent:
            return
        items, _unknown = self.client.reconcile(list(sent))
        for found in items:
            manifest = sent.get(found.submission_id)
            if manifest is None:
                continue
            digest = protocol.sha256_hex(manifest.encode("utf-8"))
            receipt = self._verify(found.receipt, found.submission_id, digest)
            if self._accept(found.submission_id, found.receipt, receipt, found.verification):
                self.counts.already_there += 1
        self._point("reconciled", None)

    # ------------------------------------------------------------------ one item

    def _send(self, item_id: int) -> None:
        manifest, data = self._prepare(item_id)
        if manifest is None or data is None:
            return
        sid = manifest.submission_id
        with self.db.write() as s:
            item = s.get(OutboxItem, item_id)
            assert item is not None
            if item.state not in WAITING_STATES:
                return
            tried_before = item.attempts > 0 or item.state == SENT
            item.in_progress_since = utcnow()
            item.attempts += 1
            item.last_attempt_at = utcnow()
        try:
            self._upload(manifest, data, check_first=tried_before)
            self._point("blob_uploaded", sid)
            with self.db.write() as s:
                item = s.get(OutboxItem, item_id)
                assert item is not None
                outbox.mark_sent(s, item, "http")
            self._point("marked_sent", sid)
            self.counts.sent += 1
            try:
                answer = self.client.put_submission(manifest)
            except MissingBlob:  # the blob vanished on the hub side: send it again, once
                self._upload(manifest, data, check_first=False)
                answer = self.client.put_submission(manifest)
        except Refused as exc:
            self._needs_attention(item_id, exc.message)
            return
        except Offline as exc:
            self._note_error(item_id, exc.message)
            raise
        self._point("answer_received", sid)
        receipt = self._verify(answer.receipt, sid, manifest.sha256)
        if self._accept(sid, answer.receipt, receipt, answer.verification):
            if answer.status == "accepted":
                self.counts.accepted += 1
            else:
                self.counts.already_there += 1
        self._point("accepted", sid)

    def _prepare(self, item_id: int) -> tuple[protocol.Manifest | None, bytes | None]:
        """The frozen manifest and the bytes it names; freezes them on the first send."""
        with self.db.read() as s:
            item = s.get(OutboxItem, item_id)
            if item is None or item.state not in WAITING_STATES:
                return None, None
            frozen = item.manifest is not None
            store_key, sha, send_key, send_sha = (
                item.store_key,
                item.sha256,
                item.send_store_key,
                item.send_sha256,
            )
            school = item.school_code
            manifest = outbox.frozen_manifest(item) if frozen else None
        if self.school_code and school != self.school_code:
            self._needs_attention(
                item_id,
                f"Học bạ ghi mã trường {school} nhưng máy này được Sở cấp quyền cho trường "
                f"{self.school_code}. "
                "Hãy kiểm tra mã trường rồi liên hệ Sở.",
            )
            return None, None
        try:
            if frozen:
                assert send_key is not None and manifest is not None
                return manifest, self.documents.read(send_key, send_sha)
            data = self.documents.read(store_key, sha)
        except DocumentMissing as exc:
            log.error("outbox item %s: %s", item_id, exc)
            self._needs_attention(
                item_id,
                "Tệp học bạ đã phát hành trên máy bị thiếu hoặc hỏng. "
                "Hãy chạy Kiểm tra dữ liệu (doctor --repair) "
                "để lấy lại tệp từ bản sao lưu.",
            )
            return None, None
        send, note = data, None
        if self.extender is not None:
            send, note = self.extender(data)
        send_key, send_sha = (store_key, sha) if send is data else self.documents.put(send)
        with self.db.write() as s:
            item = s.get(OutboxItem, item_id)
            assert item is not None
            manifest = outbox.freeze_manifest(
                s, item, send_sha256=send_sha, send_size=len(send), send_store_key=send_key,
                device_id=self.device_id, longterm_note=note,
            )  # fmt: skip
        self._point("prepared", manifest.submission_id)
        return manifest, send

    def _upload(self, manifest: protocol.Manifest, data: bytes, *, check_first: bool) -> None:
        sha = manifest.document.sha256
        if check_first and self.client.blob_size(sha) == len(data):
            return
        self.client.put_blob(sha, data)

    def _verify(
        self, signed: dict[str, object], submission_id: str, manifest_sha256: str
    ) -> protocol.Receipt:
        try:
            return protocol.verify_receipt(
                signed,
                self.client.pinned_key or b"",
                submission_id=submission_id,
                manifest_sha256=manifest_sha256,
            )
        except protocol.ReceiptError as exc:
            log.error("receipt for %s rejected: %s", submission_id, exc)
            raise BadReceipt(
                "Biên nhận của máy chủ không hợp lệ (không đúng chữ ký của máy chủ đã kết nối). "
                "Học bạ chưa được "
                "coi là đã gửi; hãy báo Sở kiểm tra máy chủ."
            ) from None

    def _accept(
        self,
        submission_id: str,
        signed: dict[str, object],
        receipt: protocol.Receipt,
        verification: protocol.Verification,
    ) -> bool:
        with self.db.write() as s:
            item = s.scalar(select(OutboxItem).where(OutboxItem.submission_id == submission_id))
            if item is None or item.state not in (PENDING, SENT):
                return False
            return outbox.accept(s, item, dict(signed), receipt, self.key_id, verification)

    def _needs_attention(self, item_id: int, reason: str) -> None:
        with self.db.write() as s:
            item = s.get(OutboxItem, item_id)
            if item is not None:
                outbox.mark_needs_attention(s, item, reason)

    def _note_error(self, item_id: int, message: str) -> None:
        with self.db.write() as s:
            item = s.get(OutboxItem, item_id)
            if item is not None:
                item.last_error = message
                item.in_progress_since = None

    # ------------------------------------------------------------------ the hub's verification

    def _refresh_verification(self, limit: int = 2000) -> None:
        with self.db.read() as s:
            ids = list(
                s.scalars(
                    select(OutboxItem.submission_id)
                    .where(OutboxItem.state == ACCEPTED)
                    .where(
                        (OutboxItem.hub_verification.is_(None)) | (OutboxItem.hub_verification == "pending")
                    )
                    .order_by(OutboxItem.id)
                    .limit(limit)
                )
            )
        if not ids:
            return
        items, _unknown = self.client.reconcile(ids)
        changed = {i.submission_id: i.verification for i in items if i.verification.status != "pending"}
        if not changed:
            return
        with self.db.write() as s:
            for item in s.scalars(select(OutboxItem).where(OutboxItem.submission_id.in_(list(changed)))):
                outbox.record_verification(item, changed[item.submission_id])
