"""Turning encryption at rest on for an existing plain database, safely (ADR 0001).

The steps, each named (`checkpoint`) so tests can stop the process at any of them:

1. `checked`   — under the data folder's lock: the -wal is checkpointed into the file, which
                 passes `integrity_check`; row counts and the audit chain are noted.
2. `key-stored`— a new key is made and kept in the OS keyring; a pending marker names it.
3. `exported`  — `sqlcipher_export` writes an encrypted copy beside the database
                 (`<db>.encrypting`), which is fsynced, reopened with the key and checked:
                 `integrity_check`, `cipher_integrity_check`, the same row counts, the same
                 audit chain.
4. `marked`    — the pending marker becomes the marker (`<db>.encryption.json`): from here
                 the conversion is completed, not undone, by whoever comes next.
5. `aside`     — the plain file gets a second name (`<db>.before-encryption`; a hard link, a
                 copy where links are impossible), so it survives the swap.
6. `swapped`   — the encrypted copy is renamed over the database (one atomic rename).
7. `removed`   — the database is reopened with the key from the keyring; only then is the
                 plain file overwritten with zeros and removed.
8. `sealed`    — document files are sealed one by one (temp file, fsync, rename); the store
                 reads sealed and plain files alike, so a stop in the middle loses nothing,
                 and running the command again seals the rest.

`finish_interrupted(db_path)` runs before every open (the composition root's
`key_for_opening`): whatever step a power cut stopped at, the database opens — still
plain (stopped before 4) or encrypted (from 4 on).

"Removed" is honest about disks: overwriting a file's blocks erases its old content on a
magnetic disk, but an SSD (and a copy-on-write or journaling file system) writes elsewhere
and keeps the old pages until it reuses them; the OS's shadow copies and older backups may
hold the plain file too. The only full answer is a whole-disk encryption (BitLocker) set
up before personal data is entered; the admin is told so.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.errors import UserFacingError
from app.models import cipher
from app.models.db import open_database
from app.services import keys, safe_files
from app.services.audit import chain_head, verify_chain
from app.services.datafolder import InstanceLock, require_space

log = logging.getLogger(__name__)

ENCRYPTING_SUFFIX = ".encrypting"
PENDING_MARKER_SUFFIX = ".encryption.pending.json"
PLAIN_ASIDE_SUFFIX = ".before-encryption"
WIPE_CHUNK = 1024 * 1024


def checkpoint(name: str) -> None:
    """A named step of the conversion (tests stop the process here; logs show how far it got)."""
    log.info("encryption: %s", name)


class ConversionFailed(UserFacingError):
    """The encrypted copy did not match the database; nothing was changed."""


@dataclass(frozen=True)
class ConversionResult:
    db_path: Path
    already_encrypted: bool
    recovery_code: str | None  # shown once to the admin; None when the database was already encrypted
    tables: int
    rows: int
    audit_entries: int
    documents_sealed: int
    documents_damaged: tuple[str, ...]
    plain_backups: tuple[Path, ...]  # snapshots made before, still in clear
    seconds: float
    notes: tuple[str, ...] = field(default=())
    encrypted_backups: tuple[Path, ...] = field(default=())  # made right after, in each backup folder

    def to_json_dict(self) -> dict[str, object]:
        return {
            "database": str(self.db_path),
            "already_encrypted": self.already_encrypted,
            "recovery_code": self.recovery_code,
            "tables": self.tables,
            "rows": self.rows,
            "audit_entries": self.audit_entries,
            "documents_sealed": self.documents_sealed,
            "documents_damaged": list(self.documents_damaged),
            "plain_backups": [str(p) for p in self.plain_backups],
            "seconds": round(self.seconds, 3),
            "notes": list(self.notes),
            "encrypted_backups": [str(p) for p in self.encrypted_backups],
        }


def encrypting_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ENCRYPTING_SUFFIX)


def pending_marker_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + PENDING_MARKER_SUFFIX)


def plain_aside_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + PLAIN_ASIDE_SUFFIX)


# --------------------------------------------------------------------------- facts to compare


@dataclass(frozen=True)
class _Facts:
    counts: dict[str, int]
    audit_entries: int
    audit_ok: bool
    audit_head: str
    user_version: int


def _table_counts(conn: Any, schema: str = "main") -> dict[str, int]:
    names = [
        r[0]
        for r in conn.execute(
            f"SELECT name FROM {schema}.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    return {n: conn.execute(f'SELECT count(*) FROM {schema}."{n}"').fetchone()[0] for n in sorted(names)}


def _integrity(conn: Any) -> list[str]:
    return [str(r[0]) for r in conn.execute("PRAGMA integrity_check(20)").fetchall()]


def _facts(path: Path, key: bytes | None) -> _Facts:
    conn = cipher.connect(path, key)
    try:
        problems = _integrity(conn)
        if problems != ["ok"]:
            raise ConversionFailed(
                "Tệp dữ liệu không qua được kiểm tra toàn vẹn nên chưa mã hoá được ("
                + "; ".join(problems[:3])
                + "). Hãy chạy `python -m app doctor --db FILE --repair` trước rồi thử lại."
            )
        counts = _table_counts(conn)
        user_version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    finally:
        conn.close()
    db = open_database(path, migrate=False, key=key)
    try:
        with db.read() as s:
            chain = verify_chain(s)
            head = chain_head(s)
    finally:
        db.dispose()
    return _Facts(counts, chain.entries, chain.ok, head, user_version)


# --------------------------------------------------------------------------- the conversion


def encrypt_database(
    db_path: Path,
    *,
    backup_folders: Sequence[Path] = (),
    lock_held: bool = False,
) -> ConversionResult:
    """Encrypt the plain database at `db_path` (and seal its document files); see the module doc.

    On an already encrypted database, seals any document files left plain and changes nothing else.
    Refused (InstanceRunning) while the app has the folder open, unless the caller holds the lock.
    """
    started = time.perf_counter()
    lock = None if lock_held else InstanceLock.acquire(db_path.parent)
    try:
        notes: list[str] = []
        done = finish_interrupted(db_path)
        if done:
            notes.append(done)
        if not db_path.is_file():
            raise UserFacingError(f"Không tìm thấy tệp dữ liệu “{db_path}”.")
        if keys.is_encrypted(db_path):
            key = keys.database_key(db_path)
            assert key is not None
            sealed, damaged = seal_documents(db_path, key)
            facts = _facts(db_path, key)
            return ConversionResult(
                db_path, True, None, len(facts.counts), sum(facts.counts.values()), facts.audit_entries,
                sealed, damaged, plain_backups(db_path, backup_folders), time.perf_counter() - started,
                tuple(notes),
            )  # fmt: skip
        if cipher.looks_plain(db_path) is not True:
            raise UserFacingError(
                "Tệp dữ liệu không phải tệp SQLite thường (có thể đã hỏng, hoặc đã được mã hoá nhưng mất tệp "
                f"“{keys.marker_path(db_path).name}” bên cạnh). Nếu tệp đã được mã hoá, hãy dùng "
                f"`python -m app key recover --db FILE` với mã khôi phục.\n\nTệp: {db_path}"
            )
        code, facts = _convert(db_path)
        key = keys.database_key(db_path)
        sealed, damaged = seal_documents(db_path, key)
        checkpoint("sealed")
        # The plain snapshots cannot be restored into the encrypted database: make good ones now.
        made = _first_encrypted_backups(db_path, key, backup_folders)
        notes.append(
            "Tệp dữ liệu cũ (chưa mã hoá) đã được ghi đè rồi xoá. Trên ổ SSD, ổ đĩa có thể vẫn giữ bản cũ ở "
            "vùng trống một thời gian; để chắc chắn, hãy bật BitLocker cho ổ đĩa."
        )
        old = plain_backups(db_path, backup_folders)
        if old:
            notes.append(
                f"Còn {len(old)} bản sao lưu cũ chưa mã hoá (ai chép được là đọc được). "
                + ("Đã có bản sao lưu mới được mã hoá; " if made else "Hãy sao lưu lại ngay, rồi ")
                + "hãy xoá các bản cũ đó."
            )
        log.info("database %s encrypted (%d rows)", db_path.name, sum(facts.counts.values()))
        return ConversionResult(
            db_path, False, code, len(facts.counts), sum(facts.counts.values()), facts.audit_entries,
            sealed, damaged, old, time.perf_counter() - started, tuple(notes), made,
        )  # fmt: skip
    finally:
        if lock is not None:
            lock.release()


def _convert(db_path: Path) -> tuple[str, _Facts]:
    # 1. The -wal into the file (we hold the lock: nobody else writes), then the facts.
    conn = cipher.connect(db_path, None)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    before = _facts(db_path, None)
    if not before.audit_ok:
        raise ConversionFailed(
            "Nhật ký thay đổi (audit) của tệp dữ liệu bị đứt nên chưa mã hoá. Hãy chạy `python -m app doctor "
            "--db FILE` và liên hệ hỗ trợ."
        )
    require_space(db_path.parent, db_path.stat().st_size * 2, "mã hoá dữ liệu")
    checkpoint("checked")

    # 2. The key, durable in the keyring before any encrypted file could become the database.
    secret, made = keys.new_key()
    keys.store_secret(made.info.key_id, secret)
    pending = pending_marker_path(db_path)
    keys.write_marker(pending, made.info)
    checkpoint("key-stored")

    # 3. The encrypted copy, verified.
    target = encrypting_path(db_path)
    _remove_with_side_files(target)
    _export(db_path, target, made.key, before.user_version)
    safe_files.fsync_file(target)
    safe_files.fsync_dir(target.parent)
    after = _facts(target, made.key)
    _finalise_copy(target, made.key)
    if after.counts != before.counts or (after.audit_entries, after.audit_head) != (
        before.audit_entries,
        before.audit_head,
    ) or not after.audit_ok:
        _remove_with_side_files(target)
        pending.unlink(missing_ok=True)
        keys.forget_secret(made.info.key_id)
        raise ConversionFailed(
            "Bản mã hoá không khớp với dữ liệu gốc nên chưa mã hoá; tệp dữ liệu không thay đổi. Hãy thử lại; "
            "nếu vẫn lỗi, hãy liên hệ hỗ trợ."
        )
    checkpoint("exported")

    # 4. From here on the conversion is completed, never undone.
    os.replace(pending, keys.marker_path(db_path))
    safe_files.fsync_dir(db_path.parent)
    checkpoint("marked")
    _swap(db_path)
    return made.recovery_code, before


def _export(source: Path, target: Path, key: bytes, user_version: int) -> None:
    conn = _plain_via_sqlcipher(source)
    try:
        conn.execute("ATTACH DATABASE ? AS encrypted KEY ?", (str(target), f"x'{key.hex()}'"))
        conn.execute("SELECT sqlcipher_export('encrypted')")
        # sqlcipher_export copies schema and rows but not the header's user_version.
        conn.execute(f"PRAGMA encrypted.user_version = {int(user_version)}")
        conn.execute("DETACH DATABASE encrypted")
    finally:
        conn.close()


def _plain_via_sqlcipher(path: Path) -> Any:
    # sqlcipher_export lives in SQLCipher's build; a plain file opens there with no key.
    from sqlcipher3 import dbapi2

    conn = dbapi2.connect(str(path), isolation_level=None)
    conn.execute("PRAGMA busy_timeout = 10000")
    return conn


def _finalise_copy(target: Path, key: bytes) -> None:
    """One self-contained file (no -wal beside it) before it is renamed over the database."""
    conn = cipher.connect(target, key)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode = DELETE")
    finally:
        conn.close()
    safe_files.fsync_file(target)


def _swap(db_path: Path) -> None:
    aside = plain_aside_path(db_path)
    target = encrypting_path(db_path)
    # An empty -wal/-shm of the plain file would be read against the new file: remove them.
    for side in safe_files.side_files(db_path):
        side.unlink(missing_ok=True)
    if not aside.exists():
        try:
            os.link(db_path, aside)
        except OSError:  # a file system without hard links (FAT32 USB drive)
            safe_files.copy_synced(db_path, aside)
        safe_files.fsync_dir(db_path.parent)
    checkpoint("aside")
    os.replace(target, db_path)
    safe_files.fsync_dir(db_path.parent)
    checkpoint("swapped")
    _remove_plain_aside(db_path)


def _remove_plain_aside(db_path: Path) -> bool:
    """Wipe and remove the plain copy once the database opens with the keyring's key."""
    aside = plain_aside_path(db_path)
    if not aside.exists():
        return True
    key = keys.database_key(db_path)
    if key is None or not _sound(db_path, key):
        log.error("encrypted database does not open; the plain copy is kept: %s", aside.name)
        return False
    wipe_file(aside)
    checkpoint("removed")
    return True


def _sound(path: Path, key: bytes) -> bool:
    try:
        conn = cipher.connect(path, key, read_only=True)
    except cipher.database_errors(key):
        return False
    try:
        return [str(r[0]) for r in conn.execute("PRAGMA quick_check").fetchall()] == ["ok"]
    except cipher.database_errors(key):
        return False
    finally:
        conn.close()


def wipe_file(path: Path) -> None:
    """Overwrite with zeros, fsync, then remove (see the module doc for what this means on an SSD)."""
    size = path.stat().st_size
    zeros = bytes(WIPE_CHUNK)
    with path.open("r+b") as f:
        written = 0
        while written < size:
            n = min(WIPE_CHUNK, size - written)
            f.write(zeros[:n])
            written += n
        f.flush()
        os.fsync(f.fileno())
    path.unlink()
    safe_files.fsync_dir(path.parent)


def _remove_with_side_files(path: Path) -> None:
    for p in (path, *safe_files.side_files(path)):
        p.unlink(missing_ok=True)


# --------------------------------------------------------------------------- after a stop


def finish_interrupted(db_path: Path) -> str | None:
    """Complete or undo a conversion a stop interrupted; a sentence when something was done.

    Cheap when there is nothing to do (a few `stat`s). Caller holds the folder lock (or
    nobody else can be converting: `key_for_opening` takes it).
    """
    target = encrypting_path(db_path)
    pending = pending_marker_path(db_path)
    aside = plain_aside_path(db_path)
    if not _interrupted(db_path):
        return None
    if not keys.is_encrypted(db_path):
        # Stopped before step 4: the plain database is authoritative; drop the half-made copy.
        info = keys.read_marker(pending)
        _remove_with_side_files(target)
        pending.unlink(missing_ok=True)
        if info is not None:
            with contextlib.suppress(UserFacingError):
                keys.forget_secret(info.key_id)
        if aside.exists():
            if not db_path.exists():
                os.replace(aside, db_path)
            elif os.path.samefile(aside, db_path):
                aside.unlink()  # a second name of the same file: never overwrite it
            elif _same_content(aside, db_path):
                wipe_file(aside)  # a copy of the same plain file
            else:
                log.warning("kept %s: it differs from the database", aside.name)
        log.info("an interrupted encryption of %s was undone", db_path.name)
        return (
            "Lần mã hoá dữ liệu trước bị ngắt giữa chừng; dữ liệu vẫn ở dạng chưa mã hoá và dùng bình thường."
        )
    # Marked: complete the swap.
    if cipher.looks_plain(db_path) is not False:
        key = keys.database_key(db_path)
        assert key is not None
        if not (target.exists() and _sound(target, key)):
            raise ConversionFailed(
                "Lần mã hoá dữ liệu trước bị ngắt và bản mã hoá không còn dùng được. Tệp dữ liệu gốc vẫn còn "
                f"nguyên: hãy xoá tệp “{keys.marker_path(db_path).name}” bên cạnh nó rồi chạy lại lệnh mã "
                f"hoá, hoặc liên hệ hỗ trợ.\n\nTệp: {db_path}"
            )
        if db_path.exists():
            _swap(db_path)
        else:
            os.replace(target, db_path)
            safe_files.fsync_dir(db_path.parent)
            _remove_plain_aside(db_path)
    else:
        _remove_with_side_files(target)
        _remove_plain_aside(db_path)
    pending.unlink(missing_ok=True)
    log.info("an interrupted encryption of %s was completed", db_path.name)
    return "Lần mã hoá dữ liệu trước bị ngắt giữa chừng; ứng dụng đã hoàn tất việc mã hoá."


def _interrupted(db_path: Path) -> bool:
    leftovers = (encrypting_path(db_path), pending_marker_path(db_path), plain_aside_path(db_path))
    return any(p.exists() for p in leftovers)


def _same_content(a: Path, b: Path) -> bool:
    return a.stat().st_size == b.stat().st_size and safe_files.sha256_of(a) == safe_files.sha256_of(b)


def key_for_opening(db_path: Path, *, lock_held: bool = False) -> bytes | None:
    """What every opener calls first: finish an interrupted conversion, then the key (None: plain).

    Raises keys.KeyMissing / KeyMismatch / KeyringUnavailable with what to do.
    """
    if lock_held:
        finish_interrupted(db_path)
    elif _interrupted(db_path):  # the lock (and its file) only when there is something to finish
        lock = InstanceLock.try_acquire(db_path.parent) if db_path.parent.exists() else None
        if lock is not None:  # else the app (or a conversion) has the folder and finishes it itself
            try:
                finish_interrupted(db_path)
            finally:
                lock.release()
    return keys.database_key(db_path)


# --------------------------------------------------------------------------- documents


def seal_documents(
    db_path: Path, key: bytes | None, *, on_file: Callable[[int], None] | None = None
) -> tuple[int, tuple[str, ...]]:
    """Seal every plain document file of the store; (files sealed, damaged ones left as they are)."""
    if key is None:
        return 0, ()
    file_key = cipher.file_key(key)
    sealed, damaged = 0, []
    for item in list(safe_files.iter_store(db_path.parent / safe_files.DOCUMENTS_DIR)):
        if item.is_temp or item.sha256 is None or safe_files.is_sealed_file(item.path):
            continue
        data = item.path.read_bytes()
        if hashlib.sha256(data).hexdigest() != item.sha256:
            damaged.append(item.relative)  # the doctor reports it; sealing it would hide the damage
            continue
        tmp = item.path.with_name(item.path.name + ".partial")
        with tmp.open("wb") as f:
            f.write(cipher.seal(data, file_key, item.sha256))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, item.path)
        safe_files.fsync_dir(item.path.parent)
        sealed += 1
        checkpoint("sealing")
        if on_file is not None:
            on_file(sealed)
    return sealed, tuple(damaged)


def _first_encrypted_backups(db_path: Path, key: bytes | None, folders: Sequence[Path]) -> tuple[Path, ...]:
    from app.services.backup_settings import back_up_everywhere

    targets = tuple(f for f in folders if f.is_dir())
    if key is None or not targets:
        return ()
    done = back_up_everywhere(db_path, key, targets)
    return tuple(r.snapshot.path for r in done.results)


def plain_backups(db_path: Path, folders: Sequence[Path]) -> tuple[Path, ...]:
    """Snapshots of this database in `folders` that are still in clear (made before the conversion)."""
    from app.services.backup import list_backups

    found: list[Path] = []
    for folder in folders:
        for info in list_backups(folder, db_path.stem):
            if cipher.looks_plain(info.path):
                found.append(info.path)
    return tuple(found)
