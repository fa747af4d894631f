"""The start-up check: find damage, set damaged files aside, restore the newest good backup.

Run by the app before it opens the database (holding the data folder's lock), in this order:

1. finish a restore the machine stopped in the middle of (restore.finish_interrupted_restore);
2. the database file is missing but backups exist: restore the newest good one;
3. after an unclean stop (the open-marker `<db>.open` is still there): a missing or damaged
   -wal means committed changes SQLite would drop silently; a damaged -shm is only an index
   SQLite rebuilds. Damaged side files are copied (the -wal, whose good part SQLite still
   replays) or moved (the -shm) into `set-aside/`;
4. `PRAGMA quick_check` (integrity_check in the doctor): on failure, the database and its side
   files are moved aside and the newest backup that passes integrity_check is restored;
5. with a lost or damaged -wal and a backup newer than what is left (more audit entries),
   the backup is restored.

Every step adds a Vietnamese sentence to the report saying exactly what happened, which
backup (with its date) was used and what may be missing. Nothing is ever deleted.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from app.models import cipher
from app.services import safe_files
from app.services.backup import BackupInfo, SnapshotFacts, check_file, list_backups, read_facts
from app.services.backup_thinning import SCHOOL_TZ
from app.services.restore import RestoreResult, finish_interrupted_restore, restore_backup
from app.services.wal_check import inspect_wal, shm_header_ok

log = logging.getLogger(__name__)

OPEN_MARKER_SUFFIX = ".open"
STATUS_OK = "ok"
STATUS_RECOVERED = "recovered"
STATUS_NEEDS_ATTENTION = "needs_attention"

SYNCED_HINT = (
    "Các học bạ đã ký và đã gửi lên Sở vẫn còn ở Sở: có thể lấy lại sau theo danh sách biên nhận của Sở."
)


@dataclass(frozen=True)
class RecoveryReport:
    status: str
    events: tuple[str, ...] = ()
    restored: RestoreResult | None = None
    set_aside: tuple[Path, ...] = field(default_factory=tuple)

    @property
    def message(self) -> str | None:
        """What to show the user, or None when there is nothing to say."""
        return "\n\n".join(self.events) if self.events else None

    def to_json_dict(self) -> dict[str, object]:
        return {
            "status": self.status,
            "events": list(self.events),
            "restored": self.restored.to_json_dict() if self.restored else None,
            "set_aside": [str(p) for p in self.set_aside],
        }


# --------------------------------------------------------------------------- the open marker


def open_marker(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + OPEN_MARKER_SUFFIX)


def mark_open(db_path: Path) -> None:
    """Note that the app has the database open; removed by `mark_closed` on a clean exit."""
    marker = open_marker(db_path)
    marker.write_text(
        json.dumps({"pid": os.getpid(), "opened_at": datetime.now(UTC).isoformat()}), encoding="utf-8"
    )
    safe_files.fsync_file(marker)


def mark_closed(db_path: Path) -> None:
    open_marker(db_path).unlink(missing_ok=True)


# --------------------------------------------------------------------------- helpers


def local_time_text(when: datetime | None) -> str:
    if when is None:
        return "không rõ thời điểm"
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)  # audit times are stored as naive UTC
    return when.astimezone(SCHOOL_TZ).strftime("%H:%M ngày %d/%m/%Y")


def find_good_backups(
    folders: Sequence[Path], stem: str, key: bytes | None, *, limit: int = 5
) -> list[tuple[BackupInfo, SnapshotFacts]]:
    """Up to `limit` newest snapshots across `folders` that pass integrity_check, newest first."""
    candidates = sorted(
        (b for folder in dict.fromkeys(folders) for b in list_backups(folder, stem)),
        key=lambda b: b.created_at,
        reverse=True,
    )
    good: list[tuple[BackupInfo, SnapshotFacts]] = []
    for info in candidates:
        problem, facts = check_file(info.path, key)
        if problem is None and facts is not None:
            good.append((info, facts))
            if len(good) >= limit:
                break
        else:
            log.warning("backup %s failed verification: %s", info.path, problem)
    return good


def check_live(
    db_path: Path, key: bytes | None, *, full: bool = False
) -> tuple[str | None, SnapshotFacts | None]:
    """Open the database normally (SQLite replays the -wal) and check it; (problem, facts)."""
    errors = cipher.database_errors(key)
    try:
        conn = cipher.connect(db_path, key)
    except errors as exc:
        return f"không mở được ({exc})", None
    try:
        pragma = "integrity_check(20)" if full else "quick_check(20)"
        rows = [str(r[0]) for r in conn.execute(f"PRAGMA {pragma}").fetchall()]
        if rows != ["ok"]:
            return "; ".join(rows[:5]), None
        return None, read_facts(conn)
    except errors as exc:
        return str(exc), None
    finally:
        conn.close()


KEY_PROBLEM = (
    "Không đọc được tệp dữ liệu, và cả các bản sao lưu của nó, bằng khoá hiện có trên máy này: "
    "nhiều khả năng dữ liệu đã được mã hoá mà máy không có đúng khoá (không phải tệp bị hỏng). "
    "Không có gì bị thay đổi. Hãy nhờ cán bộ quản trị khôi phục khoá rồi mở lại.\n\nTệp: {path}"
)


def _looks_like_a_key_problem(db_path: Path, problem: str, folders: Sequence[Path], stem: str) -> bool:
    """The file is unreadable as a whole, and so is every backup: a key problem, not damage.

    (Damage rarely strikes the database and all its backups at once; a wrong key always does.)
    """
    if "not a database" not in problem or cipher.looks_plain(db_path):
        return False
    return any(list_backups(folder, stem) for folder in folders)


INDEX_ONLY_MARKERS = ("wrong # of entries in index", "missing from index", "non-unique entry in index")


def only_index_damage(problem: str) -> bool:
    parts = [p for p in problem.split("; ") if p]
    return bool(parts) and all(any(m in p for m in INDEX_ONLY_MARKERS) for p in parts)


def _restored_sentence(result: RestoreResult, facts_lost_after: datetime | None) -> str:
    when = local_time_text(result.backup_created_at)
    text = (
        f"Đã khôi phục dữ liệu từ bản sao lưu lúc {when} (tệp “{result.restored_from.name}”). "
        f"Những gì nhập hoặc sửa sau {when} có thể bị mất: hãy kiểm tra lại điểm và nhận xét đã "
        "nhập gần đây."
    )
    if facts_lost_after is not None:
        text += f" Thay đổi cuối cùng trong bản sao lưu lúc {local_time_text(facts_lost_after)}."
    if result.documents.restored:
        text += f" Đã chép lại {result.documents.restored} tệp học bạ từ bản sao lưu."
    return text + " " + SYNCED_HINT


# --------------------------------------------------------------------------- the check


def recover_at_start(
    db_path: Path,
    *,
    backup_folders: Sequence[Path] = (),
    key: bytes | None = None,
    assume_unclean: bool = False,
    full_check: bool = False,
) -> RecoveryReport:
    """Check `db_path` before opening it, and recover from damage. Caller holds the folder lock.

    `assume_unclean`: treat the side files as left by an unclean stop even without the open
    marker (the doctor, when it finds a -wal while nobody has the database open).
    `full_check`: integrity_check instead of the faster quick_check (the doctor's repair).
    """
    events: list[str] = []
    aside: list[Path] = []
    restored: RestoreResult | None = None

    finished = finish_interrupted_restore(db_path, key)
    if finished:
        events.append(finished)

    stem = db_path.stem
    wal, shm = safe_files.side_files(db_path)[:2]
    unclean = assume_unclean or open_marker(db_path).exists()

    if not db_path.exists():
        good = find_good_backups(backup_folders, stem, key, limit=1)
        if not good:
            return RecoveryReport(STATUS_RECOVERED if events else STATUS_OK, tuple(events))
        info, backup_facts = good[0]
        restored = restore_backup(info.path, db_path, key=key, reason="missing", lock_held=True)
        events.append(
            f"Không thấy tệp dữ liệu “{db_path.name}” trong thư mục dữ liệu. "
            + _restored_sentence(restored, backup_facts.last_change_at)
        )
        mark_closed(db_path)
        return RecoveryReport(STATUS_RECOVERED, tuple(events), restored, restored.set_aside)

    wal_problem: str | None = None
    if unclean:
        if not wal.exists():
            wal_problem = (
                "Lần trước Học bạ số không được đóng bình thường và tệp nhật ký ghi "
                f"“{wal.name}” đã bị xoá. Những thay đổi chưa kịp ghi vào tệp dữ liệu chính đã mất theo."
            )
        else:
            state = inspect_wal(wal)
            if state.damaged:
                lost = (
                    "toàn bộ tệp bị bỏ qua"
                    if not state.header_ok
                    else f"ít nhất {state.lost_commits} lần lưu sau phần hỏng không đọc được"
                )
                wal_problem = f"Tệp nhật ký ghi “{wal.name}” bị hỏng ({lost})."
        if shm.exists() and not shm_header_ok(shm):
            folder = safe_files.set_aside_folder(db_path.parent, "shm")
            aside += safe_files.move_aside([shm], folder)
            events.append(
                f"Tệp chỉ mục “{shm.name}” bị hỏng: đã chuyển sang “{folder}”. Tệp này chỉ là chỉ mục, "
                "SQLite tự dựng lại; không mất dữ liệu."
            )
    if wal_problem and wal.exists():
        folder = safe_files.set_aside_folder(db_path.parent, "wal")
        aside += safe_files.copy_aside([wal, shm], folder)
        wal_problem += f" Bản chép của tệp hỏng được giữ ở “{folder}”."

    problem, facts = check_live(db_path, key, full=full_check)
    if problem is not None and only_index_damage(problem):
        # Indexes are derived data: rebuilding them loses nothing, a restore would.
        conn = cipher.connect(db_path, key)
        try:
            conn.execute("REINDEX")
        finally:
            conn.close()
        problem, facts = check_live(db_path, key, full=True)
        events.append(
            "Một số chỉ mục của cơ sở dữ liệu bị hỏng: đã dựng lại chỉ mục (REINDEX); dữ liệu không đổi."
        )
    if problem is not None:
        good = find_good_backups(backup_folders, stem, key, limit=1)
        if not good:
            if _looks_like_a_key_problem(db_path, problem, backup_folders, stem):
                events.append(KEY_PROBLEM.format(path=db_path))
            else:
                events.append(
                    f"Tệp dữ liệu bị hỏng (chi tiết kỹ thuật: {problem}) và không tìm thấy bản sao lưu "
                    "dùng được. Đừng xoá tệp; hãy gọi cán bộ quản trị để khôi phục."
                )
            return RecoveryReport(STATUS_NEEDS_ATTENTION, tuple(events), None, tuple(aside))
        info, backup_facts = good[0]
        restored = restore_backup(info.path, db_path, key=key, reason="damaged", lock_held=True)
        where = restored.set_aside[0].parent if restored.set_aside else None
        if wal_problem:
            events.append(wal_problem)
        events.append(
            f"Tệp dữ liệu bị hỏng (chi tiết kỹ thuật: {problem}). Các tệp hỏng đã được chuyển sang "
            f"“{where}” (không xoá). " + _restored_sentence(restored, backup_facts.last_change_at)
        )
        mark_closed(db_path)
        return RecoveryReport(STATUS_RECOVERED, tuple(events), restored, (*aside, *restored.set_aside))

    if wal_problem:
        assert facts is not None
        good = find_good_backups(backup_folders, stem, key, limit=1)
        if good and good[0][1].audit_entries > facts.audit_entries:
            info, backup_facts = good[0]
            restored = restore_backup(info.path, db_path, key=key, reason="wal", lock_held=True)
            events.append(
                wal_problem
                + " Bản sao lưu mới hơn phần dữ liệu còn lại, nên đã dùng bản sao lưu. "
                + _restored_sentence(restored, backup_facts.last_change_at)
            )
            aside += restored.set_aside
        else:
            events.append(
                wal_problem + " Dữ liệu còn lại vẫn toàn vẹn và được giữ nguyên (không có bản sao "
                "lưu nào mới hơn). Thay đổi cuối cùng còn lại lúc "
                f"{local_time_text(facts.last_change_at)}; những gì nhập sau thời điểm đó có thể bị "
                "mất, hãy kiểm tra lại. " + SYNCED_HINT
            )
    # Handled: the next start must not report the same lost -wal again.
    mark_closed(db_path)
    status = STATUS_RECOVERED if events else STATUS_OK
    return RecoveryReport(status, tuple(events), restored, tuple(aside))
