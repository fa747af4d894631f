"""USB-stick bundles for schools with no connection (architecture.md §6).

`export_bundle` writes every unsent item (pending or sent) with its frozen manifest, the
device id and the audit chain head into one `.hbz` file (a ZIP of `bundle.json` and the
PDFs, app.sync.protocol.BundleIndex); the items then count as "sent". The department
imports it with `python -m hub import-bundle`, through the hub's idempotent submission
path, and hands back a receipts file; `import_receipts` verifies each receipt against
the hub key and marks the items accepted, exactly as an online sync would.

The device signs every bundle (`bundle.sig`, app.sync.protocol.sign_bundle: HMAC-SHA256
over bundle.json with the SHA-256 of its credential, which is what the hub keeps of it), so
the hub refuses a bundle that was altered after export, or that comes from an unknown or
revoked device. The credential comes from the OS keyring (stored by hub-connect), or, for a
school that has never been online, is given once to the export (`credential=`), which
stores it in the keyring for the next time.

Documents go out as signed: the long-term extension needs a timestamp server online.
"""

from __future__ import annotations

import contextlib
import json
import os
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import select

from app.errors import UserFacingError
from app.models.audit import GENESIS_HASH, AuditEntry
from app.models.base import utcnow
from app.models.db import Database
from app.models.outbox import ACCEPTED, NEEDS_ATTENTION, WAITING_STATES, OutboxItem, SyncState
from app.sync import credentials, outbox, protocol
from app.sync.documents import DocumentMissing, LocalDocuments, documents_dir_for
from app.sync.lock import SyncLock
from app.sync.state import get_state


@dataclass(frozen=True)
class ExportResult:
    file: str | None
    items: int
    bytes: int
    skipped: int  # items whose local file is missing or damaged (now "needs attention")

    def to_json(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class ReceiptsResult:
    accepted: int
    already_accepted: int
    unknown: int  # receipts for submissions this database does not hold
    refused: int  # items the hub refused (now "needs attention")
    pinned_hub_key: bool  # this file's hub key was pinned now (the school had never connected)
    hub_id: str
    key_id: str

    def to_json(self) -> dict[str, object]:
        return asdict(self)


NO_CREDENTIAL = (
    "Máy này chưa có mã kết nối Sở cấp nên không ký được gói học bạ. Hãy nhập mã kết nối "
    "(Kết nối máy này với Sở, hoặc: bundle export --credential-env BIẾN) rồi xuất lại."
)


def _device_credential(db: Database, given: str | None) -> tuple[str, str]:
    """(device id, credential) to sign the bundle with; a given one is kept in the keyring."""
    if given is not None:
        try:
            device_id, credential = protocol.parse_credential(given)
        except protocol.ProtocolError:
            raise UserFacingError(
                "Mã kết nối không đúng dạng (bắt đầu bằng hbd1.). Hãy chép lại đủ mã Sở đã cấp.",
                field="credential",
            ) from None
        credentials.store(device_id, credential)
        with db.write() as s:
            get_state(s).device_id = device_id  # the hub's key is pinned by the first receipts file
        return device_id, credential
    with db.read() as s:
        state = s.get(SyncState, 1)
        known = state.device_id if state is not None else None
    stored = credentials.load(known) if known else None
    if known is None or stored is None:
        raise UserFacingError(NO_CREDENTIAL, field="credential")
    return known, stored


def export_bundle(db: Database, out: Path, *, credential: str | None = None) -> ExportResult:
    """Write every unsent item into `out`, signed by this device (`credential`: see the module)."""
    documents = LocalDocuments(documents_dir_for(db.path), db.key)
    with SyncLock(db.path):
        signing_device, secret = _device_credential(db, credential)
        with db.write() as s:
            outbox.reset_stale_marks(s)
            state = get_state(s)
            device_id, school = state.device_id, state.school_code
            head = s.scalar(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)) or GENESIS_HASH
            items = list(
                s.scalars(
                    select(OutboxItem).where(OutboxItem.state.in_(WAITING_STATES)).order_by(OutboxItem.id)
                )
            )
            entries: list[tuple[int, protocol.Manifest, str, str]] = []
            skipped = 0
            for item in items:
                if item.manifest is None:
                    try:  # frozen with the bytes as issued: no timestamp server offline
                        documents.read(item.store_key, item.sha256)
                    except DocumentMissing:
                        outbox.mark_needs_attention(s, item, _MISSING)
                        skipped += 1
                        continue
                    outbox.freeze_manifest(
                        s, item, send_sha256=item.sha256, send_size=item.size, send_store_key=item.store_key,
                        device_id=device_id,
                    )  # fmt: skip
                manifest = outbox.frozen_manifest(item)
                entries.append((item.id, manifest, str(item.send_store_key), str(item.send_sha256)))
        if not entries:
            return ExportResult(None, 0, 0, skipped)
        school_code = school or entries[0][1].school_code
        index = protocol.BundleIndex(
            school_code=school_code,
            device_id=device_id,
            created_at=utcnow().isoformat(timespec="seconds") + "Z",
            audit_head=head,
            manifests=tuple(m for _i, m, _k, _h in entries),
        )
        written, damaged = _write_zip(out, index, entries, documents, (signing_device, secret))
        with db.write() as s:  # only after the file is durably written
            for item_id, *_rest in entries:
                row = s.get(OutboxItem, item_id)
                if row is None:
                    continue
                if item_id in damaged:
                    outbox.mark_needs_attention(s, row, _MISSING)
                else:
                    outbox.mark_sent(s, row, "bundle")
    return ExportResult(str(out), len(entries) - len(damaged), written, skipped + len(damaged))


_MISSING = (
    "Tệp học bạ đã phát hành trên máy bị thiếu hoặc hỏng. Hãy chạy Kiểm tra dữ liệu (doctor --repair) để lấy "
    "lại tệp từ bản sao lưu."
)


def _write_zip(
    out: Path,
    index: protocol.BundleIndex,
    entries: list[tuple[int, protocol.Manifest, str, str]],
    documents: LocalDocuments,
    device: tuple[str, str],
) -> tuple[int, set[int]]:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".partial")
    damaged: set[int] = set()
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as archive:
            seen: set[str] = set()
            for item_id, _manifest, key, sha in entries:
                if sha in seen:
                    continue
                try:
                    data = documents.read(key, sha)
                except DocumentMissing:
                    damaged.add(item_id)
                    continue
                archive.writestr(protocol.bundle_blob_name(sha), data)  # PDFs are compressed already
                seen.add(sha)
            kept = tuple(m for (i, m, _k, _h) in entries if i not in damaged)
            final = protocol.BundleIndex(
                index.school_code, index.device_id, index.created_at, index.audit_head, kept
            )
            raw_index = json.dumps(final.to_json(), ensure_ascii=False, indent=1).encode("utf-8")
            archive.writestr(protocol.BUNDLE_INDEX, raw_index)
            signature = protocol.sign_bundle(raw_index, *device)
            archive.writestr(protocol.BUNDLE_SIGNATURE, json.dumps(signature, indent=1))
        with tmp.open("rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, out)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return out.stat().st_size, damaged


def import_receipts(db: Database, path: Path) -> ReceiptsResult:
    try:
        hub, receipts = protocol.read_receipts_file(json.loads(path.read_text(encoding="utf-8")))
        refused = json.loads(path.read_text(encoding="utf-8")).get("refused", [])
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, protocol.ProtocolError) as exc:
        raise UserFacingError(
            f"Không đọc được tệp biên nhận {path.name} ({exc.__class__.__name__}). "
            "Hãy chép lại tệp Sở gửi về."
        ) from None
    with SyncLock(db.path), db.write() as s:
        state = get_state(s)
        pinned = False
        if state.hub_public_key is None:
            # Never connected online: trust on first use, and say so in the result.
            state.hub_public_key, state.hub_id, state.hub_name = (
                protocol.b64(hub.public_key),
                hub.hub_id,
                hub.hub_name,
            )
            pinned = True
        elif protocol.unb64(state.hub_public_key) != hub.public_key:
            raise UserFacingError(
                "Tệp biên nhận không do máy chủ của Sở mà trường đã kết nối ký. Hãy hỏi lại Sở."
            )
        key = protocol.unb64(state.hub_public_key)
        kid = protocol.key_id(key)
        accepted = already = unknown = 0
        for signed in receipts:
            body = signed.get("body")
            sid = body.get("submission_id") if isinstance(body, dict) else None
            item = s.scalar(select(OutboxItem).where(OutboxItem.submission_id == sid)) if sid else None
            if item is None or item.manifest is None:
                unknown += 1
                continue
            if item.state == ACCEPTED:
                already += 1
                continue
            try:
                receipt = protocol.verify_receipt(
                    signed, key, submission_id=item.submission_id,
                    manifest_sha256=protocol.sha256_hex(item.manifest.encode("utf-8")),
                )  # fmt: skip
            except protocol.ReceiptError:
                raise UserFacingError(
                    "Tệp biên nhận có biên nhận không hợp lệ (sai chữ ký hoặc không khớp hồ sơ). "
                    "Không hồ sơ nào "
                    "được đánh dấu; hãy hỏi lại Sở."
                ) from None
            outbox.accept(s, item, signed, receipt, kid)
            accepted += 1
        n_refused = 0
        for entry in refused if isinstance(refused, list) else []:
            item = s.scalar(
                select(OutboxItem).where(OutboxItem.submission_id == str(entry.get("submission_id")))
            )
            if item is not None and item.state in WAITING_STATES:
                outbox.mark_needs_attention(s, item, str(entry.get("message") or "Sở không nhận hồ sơ này."))
                n_refused += 1
            elif item is not None and item.state == NEEDS_ATTENTION:
                n_refused += 1
    return ReceiptsResult(accepted, already, unknown, n_refused, pinned, hub.hub_id, hub.key_id)
