"""Where automatic backups go and how often: a small JSON file in the data folder.

Kept apart from app.config's Settings because it belongs to the data folder (the same
database opened from another account backs up to the same places), not to a user.
The default folder `<data folder>/backups` is on the data's own disk: the app warns until
an administrator adds a folder on another disk or a USB drive.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from app.services.access import Actor, require_admin
from app.services.datafolder import same_disk

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
