"""User settings: a small JSON file in the data folder (no secrets: those go to keyring)."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

SETTINGS_FILE = "settings.json"


@dataclass(frozen=True)
class Settings:
    language: str = "vi"
    idle_lock_minutes: int = 10
    pkcs11_modules: tuple[str, ...] = field(default_factory=tuple)
    last_database: str | None = None

    def with_changes(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]


def load(data_dir: Path) -> Settings:
    path = data_dir / SETTINGS_FILE
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError, UnicodeDecodeError):
        # A missing or damaged settings file must never stop the app: defaults are safe.
        return Settings()
    known = {k: v for k, v in raw.items() if k in Settings.__dataclass_fields__}
    if "pkcs11_modules" in known:
        known["pkcs11_modules"] = tuple(known["pkcs11_modules"])
    try:
        return Settings(**known)
    except TypeError:
        return Settings()


def save(data_dir: Path, settings: Settings) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / SETTINGS_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(settings), ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(tmp, path)
