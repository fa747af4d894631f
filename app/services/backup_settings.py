"""Where automatic backups go and how often: a small JSON file in the data folder.

Kept apart from app.config's Settings because it belongs to the data folder (the same
database opened from another account backs up to the same places), not to a user.
The default folder `<data folder>/backups` is on the data's own disk: the app warns until
an administrator adds a folder on another disk or a USB drive.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.errors import UserFacingError
from app.models import cipher
from app.services.access import Actor, require_admin
from app.services.backup import BackupResult, check_file, create_backup, list_backups
from app.services.datafolder import same_disk

log = logging.getLogger(__name__)

SETTINGS_FILE = "backup-settings.json"
DEFAULT_FOLDER = "backups"


@dataclass(frozen=True)
class BackupSettings:
    folders: tuple[str, ...] = ()  # empty: <data folder>/backups
    automatic: bool = True
    every_hours: int = 24  # at least daily while the app runs
    after_changes: int = 200  # audit entries since the last backup that count as "significant work"

    def with_changes(self, **changes: object) -> BackupSettings:
        return replace(self, **changes)  # type: ignore[arg-type]


def load(data_folder: Path) -> BackupSettings:
    try:
        raw = json.loads((data_folder / SETTINGS_FILE).read_text(encoding="utf-8"))
        known = {k: v for k, v in raw.items() if k in BackupSettings.__dataclass_fields__}
        if "folders" in known:
            known["folders"] = tuple(str(f) for f in known["folders"])
        return BackupSettings(**known)
    except (OSError, ValueError, TypeError, AttributeError):
        return BackupSettings()  # missing or damaged: the safe defaults


def save(data_folder: Path, settings: BackupSettings) -> None:
    data_folder.mkdir(parents=True, exist_ok=True)
    path = data_folder / SETTINGS_FILE
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(asdict(settings), ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(tmp, path)


def backup_folders(db_path: Path, settings: BackupSettings | None = None) -> tuple[Path, ...]:
    """Every folder backups of `db_path` go to (the default one always included)."""
    data_folder = db_path.parent
    settings = settings or load(data_folder)
    default = data_folder / DEFAULT_FOLDER
    chosen = tuple(Path(f).expanduser() for f in settings.folders)
    return tuple(dict.fromkeys((*chosen, default)))


def only_on_data_disk(db_path: Path, folders: tuple[Path, ...]) -> bool:
    """True when no backup folder is on another disk than the data (a disk failure loses both)."""
    return all(same_disk(db_path.parent, f) is not False for f in folders)


def set_backup_folders(actor: Actor, db_path: Path, folders: tuple[Path, ...]) -> BackupSettings:
    require_admin(actor)
    data_folder = db_path.parent
    settings = load(data_folder).with_changes(folders=tuple(str(f) for f in folders))
    save(data_folder, settings)
    return settings


# --------------------------------------------------------------------------- when to back up


@dataclass(frozen=True)
class BackupRound:
    """What one round of backups did: a result per folder that worked, a message per one that failed."""

    results: tuple[BackupResult, ...]
    failures: tuple[tuple[Path, str], ...]
    only_on_data_disk: bool


def newest_backup_time(db_path: Path) -> datetime | None:
    times = [b.created_at for f in backup_folders(db_path) for b in list_backups(f, db_path.stem)]
    return max(times, default=None)


def backup_due(db_path: Path, key: bytes | None, now: datetime | None = None) -> bool:
    """True if the newest backup is too old or much work happened since it.

    Reads files and the database: call it off the GUI thread.
    """
    settings = load(db_path.parent)
    if not settings.automatic:
        return False
    snapshots = sorted(
        (b for f in backup_folders(db_path, settings) for b in list_backups(f, db_path.stem)),
        key=lambda b: b.created_at,
        reverse=True,
    )
    if not snapshots:
        return True
    newest = snapshots[0]
    if (now or datetime.now(UTC)) - newest.created_at >= timedelta(hours=settings.every_hours):
        return True
    _problem, facts = check_file(newest.path, key)
    if facts is None:
        return True  # the newest backup is unusable: make a good one
    return _audit_entries(db_path, key) - facts.audit_entries >= settings.after_changes


def _audit_entries(db_path: Path, key: bytes | None) -> int:
    conn = cipher.connect(db_path, key)
    try:
        return int(conn.execute("SELECT count(*) FROM audit_log").fetchone()[0])
    finally:
        conn.close()


def back_up_everywhere(
    db_path: Path, key: bytes | None, folders: tuple[Path, ...] | None = None
) -> BackupRound:
    """One verified snapshot in each backup folder (blocking: call it on a worker)."""
    targets = folders or backup_folders(db_path)
    results: list[BackupResult] = []
    failures: list[tuple[Path, str]] = []
    for folder in targets:
        try:
            results.append(create_backup(db_path, folder, key=key))
        except UserFacingError as exc:
            log.warning("backup to %s failed: %s", folder, exc.message)
            failures.append((folder, exc.message))
    return BackupRound(tuple(results), tuple(failures), only_on_data_disk(db_path, targets))
