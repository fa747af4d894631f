"""The key every command opens its database with (None for a plain database).

Commands call `database_key(path)` right before `open_database(path, key=…)`. It first
finishes a conversion a power cut interrupted (app.services.encryption), then reads the key
from the OS keyring. A missing or wrong key raises a UserFacingError (keys.KeyMissing…)
whose message says what to do; `app.main` prints it instead of a traceback.
"""

from __future__ import annotations

from pathlib import Path


def database_key(db_path: Path) -> bytes | None:
    from app.services.encryption import key_for_opening

    return key_for_opening(Path(db_path).expanduser())
