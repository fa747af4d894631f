"""Where things live, from a source tree and from a PyInstaller bundle alike."""

from __future__ import annotations

import sys
from pathlib import Path

from platformdirs import user_data_path

APP_NAME = "HocBaSo"
APP_AUTHOR = "HocBaSo"


def _bundle_root() -> Path:
    # PyInstaller unpacks data next to the executable and records it in sys._MEIPASS.
    meipass = getattr(sys, "_MEIPASS", None)
    if meipass:
        return Path(meipass)
    return Path(__file__).resolve().parent.parent


def resources_dir() -> Path:
    return _bundle_root() / "resources"


def resource(*parts: str) -> Path:
    return resources_dir().joinpath(*parts)


def migrations_dir() -> Path:
    return Path(__file__).resolve().parent / "models" / "migrations"


def default_data_dir() -> Path:
    """The per-user local data folder (never roaming: SQLite must not live on a synced share)."""
    return user_data_path(APP_NAME, APP_AUTHOR, roaming=False)


def default_database_path() -> Path:
    return default_data_dir() / "hocba.sqlite3"
