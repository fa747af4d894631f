"""Verified, rotating backups of the database and incremental copies of the document store.

A backup folder holds, for a database `hocba.sqlite3`:

    hocba-20261123-021500Z.sqlite3    one snapshot per backup (UTC time in the name)
    documents/…                       the union of every document file ever backed up

A snapshot is taken with SQLite's online backup API (a consistent copy while the app keeps
writing) into `<name>.partial`, switched to rollback-journal mode so it is one
self-contained file, fsynced, reopened read-only and `integrity_check`ed, and only then
renamed to its final name: a file with a snapshot's name is a verified snapshot.

Signed documents are immutable and named by their SHA-256, so copying is by name: a file
already in the backup with the same size is skipped, a new one is hashed while copied
and installed only if its bytes match its name. Thinning (backup_thinning) removes old
snapshots only; document files stay, since any kept snapshot may refer to them.

Snapshots describe themselves (audit entries, the chain head, the last change), so
recovery can tell whether a backup is newer than a damaged database without a side log.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.errors import UserFacingError
from app.models import cipher
from app.services import safe_files
from app.services.access import Actor, PermissionDenied
from app.services.backup_thinning import ThinningPolicy, backups_to_remove
from app.services.datafolder import require_space, same_disk

log = logging.getLogger(__name__)

SNAPSHOT_SUFFIX = ".sqlite3"
PARTIAL_SUFFIX = ".partial"
_STAMP_FORMAT = "%Y%m%d-%H%M%S"


class BackupError(UserFacingError):
    """A backup or restore could not be made; the message says why and what to do."""


@dataclass(frozen=True)
class SnapshotFacts:
    """What a snapshot (or a database) contains, as far as recovery needs to compare."""

    audit_entries: int
    audit_head: str | None
    last_change_at: datetime | None  # time of the newest audit entry (UTC, naive as stored)
    school_code: str | None


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    created_at: datetime  # UTC, aware
    bytes: int


@dataclass(frozen=True)
class DocumentCopy:
    total: int  # files in the source store
    copied: int
    bytes_copied: int
    skipped_damaged: tuple[str, ...]  # relative paths whose content does not match their name


@dataclass(frozen=True)
class BackupResult:
    snapshot: BackupInfo
    facts: SnapshotFacts
    database_bytes: int
    seconds: float
    documents: DocumentCopy
    removed: tuple[Path, ...]  # snapshots removed by thinning
    same_disk_as_data: bool | None

    def to_json_dict(self) -> dict[str, object]:
        return {
            "snapshot": str(self.snapshot.path),
            "created_at": self.snapshot.created_at.isoformat(),
            "bytes": self.snapshot.bytes,
            "seconds": round(self.seconds, 3),
            "audit_entries": self.facts.audit_entries,
            "documents": {
                "total": self.documents.total,
                "copied": self.documents.copied,
                "bytes_copied": self.documents.bytes_copied,
                "damaged_not_copied": list(self.documents.skipped_damaged),
            },
            "removed_by_thinning": [str(p) for p in self.removed],
            "same_disk_as_data": self.same_disk_as_data,
        }


# --------------------------------------------------------------------------- naming


def snapshot_name(stem: str, created_at: datetime, counter: int = 0) -> str:
    stamp = created_at.astimezone(UTC).strftime(_STAMP_FORMAT)
    extra = f"-{counter}" if counter else ""
    return f"{stem}-{stamp}Z{extra}{SNAPSHOT_SUFFIX}"


def _snapshot_pattern(stem: str) -> re.Pattern[str]:
    return re.compile(rf"^{re.escape(stem)}-(\d{{8}}-\d{{6}})Z(?:-(\d+))?{re.escape(SNAPSHOT_SUFFIX)}$")


def list_backups(folder: Path, stem: str) -> tuple[BackupInfo, ...]:
    """The snapshots of database `stem` in `folder`, newest first."""
    if not folder.is_dir():
        return ()
    pattern = _snapshot_pattern(stem)
    found: list[BackupInfo] = []
    for path in folder.iterdir():
        match = pattern.match(path.name)
        if not match or not path.is_file():
            continue
        created = datetime.strptime(match.group(1), _STAMP_FORMAT).replace(tzinfo=UTC)
        # Two backups in one second: the counter keeps their times distinct and ordered.
        created = created.replace(microsecond=int(match.group(2) or 0))
        found.append(BackupInfo(path, created, path.stat().st_size))
    return tuple(sorted(found, key=lambda b: b.created_at, reverse=True))


def documents_dir_for(db_path: Path) -> Path:
    return db_path.parent / safe_files.DOCUMENTS_DIR


# --------------------------------------------------------------------------- checking a file


def read_facts(conn: Any) -> SnapshotFacts:
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    entries, head, last = 0, None, None
    if "audit_log" in tables:
        entries = conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]
        row = conn.execute("SELECT hash, at FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
        if row:
            head = row[0]
            last = datetime.fromisoformat(str(row[1])) if row[1] else None
    school = None
    if "school" in tables:
        got = conn.execute("SELECT school_code FROM school ORDER BY id LIMIT 1").fetchone()
        school = got[0] if got else None
    return SnapshotFacts(entries, head, last, school)


def check_file(path: Path, key: bytes | None) -> tuple[str | None, SnapshotFacts | None]:
    """(None, facts) if `path` is a sound database readable with `key`, else (problem, None)."""
    if not path.is_file():
        return "không tìm thấy tệp", None
    errors = cipher.database_errors(key)
    try:
        conn = cipher.connect(path, key, read_only=True)
    except errors as exc:
        return f"không mở được: {exc}", None
    try:
        rows = [r[0] for r in conn.execute("PRAGMA integrity_check(20)").fetchall()]
        if rows != ["ok"]:
            return "kiểm tra toàn vẹn không đạt: " + "; ".join(map(str, rows[:5])), None
        return None, read_facts(conn)
    except errors as exc:
        return f"không đọc được: {exc}", None
    finally:
        conn.close()


def verify_snapshot(path: Path, key: bytes | None) -> SnapshotFacts:
    problem, facts = check_file(path, key)
    if problem is not None or facts is None:
        raise BackupError(
            f"Bản sao lưu “{path.name}” không dùng được ({problem}). Hãy chọn bản sao lưu khác."
        )
    return facts


# --------------------------------------------------------------------------- making a backup


def create_backup(
    db_path: Path,
    dest: Path,
    *,
    key: bytes | None = None,
    documents_dir: Path | None = None,
    policy: ThinningPolicy | None = ThinningPolicy(),  # noqa: B008 - frozen
    now: datetime | None = None,
) -> BackupResult:
    """Back up `db_path` (and its document store) into folder `dest`, then thin old snapshots.

    Safe while the app writes: the online backup copies a consistent snapshot. With
    `policy=None` nothing is thinned (a manual backup to a USB drive keeps everything).
    """
    started = time.perf_counter()
    if not db_path.is_file():
        raise BackupError(f"Không tìm thấy tệp dữ liệu cần sao lưu: {db_path}")
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BackupError(
            f"Không tạo được thư mục sao lưu “{dest}” ({exc.strerror}). Hãy kiểm tra ổ đĩa/USB "
            "còn cắm và chọn thư mục khác nếu cần."
        ) from exc
    _remove_stale_partials(dest)
    db_bytes = db_path.stat().st_size + _size_or_zero(db_path.with_name(db_path.name + "-wal"))
    require_space(dest, db_bytes, "sao lưu dữ liệu")

    created = (now or datetime.now(UTC)).astimezone(UTC)
    stem = db_path.stem
    final = dest / snapshot_name(stem, created)
    counter = 0
    while final.exists():
        counter += 1
        final = dest / snapshot_name(stem, created, counter)
    partial = final.with_name(final.name + PARTIAL_SUFFIX)
    try:
        _online_backup(db_path, partial, key)
        safe_files.fsync_file(partial)
        problem, facts = check_file(partial, key)
        if problem is not None or facts is None:
            raise BackupError(
                f"Bản sao lưu vừa tạo không qua được kiểm tra ({problem}). Dữ liệu đang dùng có "
                "thể đã hỏng: hãy chạy “Kiểm tra dữ liệu” hoặc gọi cán bộ quản trị."
            )
        os.replace(partial, final)
        safe_files.fsync_dir(dest)
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()

    docs = copy_documents(documents_dir or documents_dir_for(db_path), dest / safe_files.DOCUMENTS_DIR, key)
    removed = thin_backups(dest, stem, policy, created) if policy is not None else ()
    info = BackupInfo(final, created.replace(microsecond=counter), final.stat().st_size)
    seconds = time.perf_counter() - started
    log.info(
        "backup %s: %d bytes, %d new document files, %.2f s", final.name, info.bytes, docs.copied, seconds
    )
    return BackupResult(info, facts, db_bytes, seconds, docs, removed, same_disk(db_path.parent, dest))


def _online_backup(db_path: Path, target: Path, key: bytes | None) -> None:
    errors = cipher.database_errors(key)
    try:
        source = cipher.connect(db_path, key)
    except errors as exc:
        raise BackupError(f"Không mở được tệp dữ liệu để sao lưu ({exc}).") from exc
    try:
        copy = cipher.connect(target, key)
        try:
            source.backup(copy)
            # A snapshot is one self-contained file: no -wal beside it to lose.
            copy.execute("PRAGMA journal_mode = DELETE")
        finally:
            copy.close()
    except errors as exc:
        raise BackupError(
            f"Không sao lưu được ({exc}). Dữ liệu đang dùng có thể đã hỏng: hãy chạy “Kiểm tra "
            "dữ liệu” hoặc gọi cán bộ quản trị."
        ) from exc
    finally:
        source.close()


def copy_documents(source: Path, target: Path, key: bytes | None = None) -> DocumentCopy:
    """Copy the files of store `source` missing from `target`, by name (the files never change).

    A file is checked against its name first (sealed ones through `key`): a damaged file is
    reported and never copied over a good backup copy.
    """
    total = copied = copied_bytes = 0
    damaged: list[str] = []
    for item in safe_files.iter_store(source):
        if item.is_temp:
            continue
        total += 1
        dst = target / item.relative
        if dst.is_file() and dst.stat().st_size == item.size:
            continue
        sealed = safe_files.is_sealed_file(item.path)
        if sealed and not safe_files.content_matches(item.path, item.sha256, key):
            log.warning("document %s does not match its name: not backed up", item.relative)
            damaged.append(item.relative)
            continue
        try:
            expect = None if sealed else item.sha256
            size, _sha = safe_files.copy_synced(item.path, dst, expect_sha256=expect)
        except ValueError:
            log.warning("document %s does not match its name: not backed up", item.relative)
            damaged.append(item.relative)
            continue
        copied += 1
        copied_bytes += size
    return DocumentCopy(total, copied, copied_bytes, tuple(damaged))


def thin_backups(folder: Path, stem: str, policy: ThinningPolicy | None, now: datetime) -> tuple[Path, ...]:
    if policy is None:
        return ()
    snapshots = list_backups(folder, stem)
    remove = backups_to_remove((b.created_at for b in snapshots), now, policy)
    removed: list[Path] = []
    for b in snapshots:
        if b.created_at in remove:
            with contextlib.suppress(FileNotFoundError):
                b.path.unlink()
                removed.append(b.path)
    return tuple(removed)


def _remove_stale_partials(folder: Path) -> None:
    # Our own unfinished snapshots from an interrupted backup: never a user's data.
    for path in folder.glob(f"*{SNAPSHOT_SUFFIX}{PARTIAL_SUFFIX}"):
        with contextlib.suppress(OSError):
            path.unlink()


def _size_or_zero(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


# --------------------------------------------------------------------------- who may


def require_backup_rights(actor: Actor) -> None:
    """A backup is a copy of every student's data: only leaders and admins may make one on demand."""
    if not (actor.is_admin or actor.is_leader):
        raise PermissionDenied(
            "Chỉ hiệu trưởng, phó hiệu trưởng hoặc cán bộ quản trị mới sao lưu dữ liệu được."
        )


def backup_now(
    actor: Actor, db_path: Path, dest: Path, *, key: bytes | None = None, thin: bool = False
) -> BackupResult:
    """ "Sao lưu ngay" to a folder the user chose (a USB drive keeps every backup unless `thin`)."""
    require_backup_rights(actor)
    return create_backup(db_path, dest, key=key, policy=ThinningPolicy() if thin else None)
