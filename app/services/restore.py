"""Put a backup snapshot in place of the database, never leaving a half-restored state.

Steps, each safe to be interrupted:
1. verify the snapshot; copy it beside the database as `<db>.restoring`, fsync, verify the copy;
2. write `<db>.restore-pending.json` (what is being restored, where the old files go);
3. move the database and its -wal/-shm into `set-aside/<time>-<reason>/` (never deleted;
   the old -wal must go first, or SQLite would replay it into the restored file);
4. rename `<db>.restoring` to the database; remove the pending note;
5. copy back document files the backup has and the data folder lacks (verified by hash).

If the machine stops between 2 and 4, `finish_interrupted_restore` (run at start by
recovery) completes the restore from the verified staging copy.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from app.services import safe_files
from app.services.access import Actor
from app.services.access import require_admin as _require_admin
from app.services.backup import BackupError, SnapshotFacts, check_file, documents_dir_for, verify_snapshot
from app.services.datafolder import InstanceLock, require_space

log = logging.getLogger(__name__)

STAGING_SUFFIX = ".restoring"
PENDING_SUFFIX = ".restore-pending.json"
_STAMP = re.compile(r"-(\d{8}-\d{6})Z(?:-\d+)?\.sqlite3$")


@dataclass(frozen=True)
class DocumentRestore:
    restored: int
    damaged_in_backup: tuple[str, ...]


@dataclass(frozen=True)
class RestoreResult:
    db_path: Path
    restored_from: Path
    backup_created_at: datetime | None
    facts: SnapshotFacts
    set_aside: tuple[Path, ...]
    documents: DocumentRestore

    def to_json_dict(self) -> dict[str, object]:
        return {
            "database": str(self.db_path),
            "restored_from": str(self.restored_from),
            "backup_created_at": self.backup_created_at.isoformat() if self.backup_created_at else None,
            "audit_entries": self.facts.audit_entries,
            "school_code": self.facts.school_code,
            "set_aside": [str(p) for p in self.set_aside],
            "documents_restored": self.documents.restored,
            "documents_damaged_in_backup": list(self.documents.damaged_in_backup),
        }


def backup_time(snapshot: Path) -> datetime | None:
    """When a snapshot was made, from its name (UTC); None for a file not named by us."""
    match = _STAMP.search(snapshot.name)
    if not match:
        return None
    return datetime.strptime(match.group(1), "%Y%m%d-%H%M%S").replace(tzinfo=UTC)


def staging_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + STAGING_SUFFIX)


def pending_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + PENDING_SUFFIX)


def restore_backup(
    snapshot: Path,
    db_path: Path,
    *,
    key: bytes | None = None,
    reason: str = "restore",
    documents_dir: Path | None = None,
    lock_held: bool = False,
) -> RestoreResult:
    """Replace `db_path` with `snapshot`; the replaced files are set aside, not deleted.

    Refuses (InstanceRunning) while the app has the data folder open, unless the caller
    holds the lock itself (`lock_held`, the start-up recovery).
    """
    lock = None if lock_held else InstanceLock.acquire(db_path.parent)
    try:
        facts = verify_snapshot(snapshot, key)
        require_space(db_path.parent, snapshot.stat().st_size, "khôi phục bản sao lưu")
        staging = staging_path(db_path)
        safe_files.copy_synced(snapshot, staging)
        problem, _ = check_file(staging, key)
        if problem is not None:
            staging.unlink(missing_ok=True)
            raise BackupError(
                f"Bản chép của “{snapshot.name}” bị lỗi khi ghi ra đĩa ({problem}). Hãy kiểm tra ổ "
                "đĩa rồi thử lại."
            )
        aside = safe_files.set_aside_folder(db_path.parent, reason)
        _write_pending(db_path, snapshot, aside)
        moved = _swap_in(db_path, aside)
        docs = restore_documents(
            snapshot.parent / safe_files.DOCUMENTS_DIR, documents_dir or documents_dir_for(db_path), key
        )
        log.info("restored %s from %s; old files in %s", db_path.name, snapshot.name, aside)
        return RestoreResult(db_path, snapshot, backup_time(snapshot), facts, moved, docs)
    finally:
        if lock is not None:
            lock.release()


def _write_pending(db_path: Path, snapshot: Path, aside: Path) -> None:
    note = pending_path(db_path)
    tmp = note.with_name(note.name + ".tmp")
    tmp.write_text(
        json.dumps({"snapshot": str(snapshot), "set_aside": str(aside)}, ensure_ascii=False), encoding="utf-8"
    )
    safe_files.fsync_file(tmp)
    os.replace(tmp, note)
    safe_files.fsync_dir(note.parent)


def _swap_in(db_path: Path, aside: Path) -> tuple[Path, ...]:
    # The -wal first: SQLite would replay an old -wal into the restored file.
    side = safe_files.side_files(db_path)
    moved = safe_files.move_aside([*side, db_path], aside)
    os.replace(staging_path(db_path), db_path)
    safe_files.fsync_dir(db_path.parent)
    pending_path(db_path).unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        aside.rmdir()  # only if nothing was there to set aside
    return moved


def finish_interrupted_restore(db_path: Path, key: bytes | None) -> str | None:
    """Complete (or clean up after) a restore the machine stopped in; a sentence saying what was done."""
    note = pending_path(db_path)
    if not note.exists():
        staging_path(db_path).unlink(missing_ok=True)  # a copy that never got to step 2
        return None
    try:
        info = json.loads(note.read_text(encoding="utf-8"))
        aside = Path(info["set_aside"])
    except (OSError, ValueError, KeyError, TypeError):
        aside = safe_files.set_aside_folder(db_path.parent, "restore")
        info = {}
    staging = staging_path(db_path)
    problem, _ = check_file(staging, key) if staging.exists() else ("không còn bản chép", None)
    if problem is None:
        aside.mkdir(parents=True, exist_ok=True)
        _swap_in(db_path, aside)
        return (
            "Lần khôi phục dữ liệu trước bị ngắt giữa chừng (mất điện hoặc tắt máy); ứng dụng đã "
            f"hoàn tất việc khôi phục từ “{Path(str(info.get('snapshot', '?'))).name}”."
        )
    # Nothing verified to put in place: the database was either already swapped in, or is untouched.
    note.unlink()
    staging.unlink(missing_ok=True)
    return None


def restore_documents(backup_store: Path, store: Path, key: bytes | None = None) -> DocumentRestore:
    """Copy back document files the backup has and `store` lacks, each checked against its name."""
    restored = 0
    damaged: list[str] = []
    for item in safe_files.iter_store(backup_store):
        if item.is_temp:
            continue
        dst = store / item.relative
        if dst.is_file() and dst.stat().st_size == item.size:
            continue
        sealed = safe_files.is_sealed_file(item.path)
        if sealed and not safe_files.content_matches(item.path, item.sha256, key):
            damaged.append(item.relative)
            continue
        try:
            safe_files.copy_synced(item.path, dst, expect_sha256=None if sealed else item.sha256)
        except ValueError:
            damaged.append(item.relative)
            continue
        restored += 1
    return DocumentRestore(restored, tuple(damaged))


def restore_for(actor: Actor, snapshot: Path, db_path: Path, *, key: bytes | None = None) -> RestoreResult:
    """Restore on a person's request: administrators only (it replaces everyone's data)."""
    _require_admin(actor)
    return restore_backup(snapshot, db_path, key=key, reason="restore")
