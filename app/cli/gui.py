"""`python -m app gui` (the default): pick the database and the demo's file, run the UI.

No Qt here: `app.ui.application` does everything that needs it, so the layer rule
"PySide6 only under app.ui" holds.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from app import config
from app.i18n import set_language
from app.models.db import Database, open_database
from app.paths import default_data_dir, default_database_path

if TYPE_CHECKING:
    from app.ui.startup_guard import StartupGuard

log = logging.getLogger(__name__)

DEMO_FILE = "hocba-demo.sqlite3"


def process_age_ms() -> float | None:
    """Milliseconds since this process started, from the kernel's record (Linux), else None.

    Cheap and taken from outside Python, so it includes interpreter start-up and imports.
    Resolution is one clock tick (10 ms).
    """
    try:
        stat = Path("/proc/self/stat").read_text()
        fields = stat[stat.rindex(")") + 2 :].split()
        start_ticks = int(fields[19])  # field 22 of stat(5): starttime, in ticks since boot
        ticks_per_second = os.sysconf("SC_CLK_TCK")
        now = time.clock_gettime(time.CLOCK_BOOTTIME)
    except (OSError, ValueError, IndexError, AttributeError):
        return None
    age = (now - start_ticks / ticks_per_second) * 1000
    return age if 0 <= age < 3_600_000 else None


def prepare_database(path: Path, key: bytes | None = None) -> Database:
    """Open (creating and migrating if needed) the school's database; no school is made here:
    a database without one starts the first-run wizard. `key`: an encrypted database's key."""
    return open_database(path, key=key)


def open_keyed(guard: StartupGuard, path: Path) -> Database:
    """The key first (finishing an interrupted encryption; asking for the recovery code when this
    PC's keyring lost it), then the guarded open with that key. Runs with the QApplication up."""
    from app.services.encryption import key_for_opening
    from app.services.keys import KeyMismatch, KeyMissing
    from app.ui.encryption_flow import encrypt_if_requested
    from app.ui.recovery_code_dialog import ask_recovery_code

    encrypt_if_requested(guard, path)  # the admin asked for it in Cài đặt
    try:
        key = key_for_opening(path, lock_held=True)
    except (KeyMissing, KeyMismatch) as exc:
        # Asks until a code fits or the person gives up (then the message says what to do).
        if not ask_recovery_code(path, exc.message):
            raise
        key = key_for_opening(path, lock_held=True)
    guard.key = key
    return guard.open(lambda p: prepare_database(p, key))


def demo_path(db_path: Path | None) -> Path:
    """Where the demo school lives: the named file itself with --db, else a file of its own
    beside the real one, so trying the demo never blocks creating the real school."""
    return db_path if db_path is not None else default_database_path().with_name(DEMO_FILE)


def open_or_create_demo(path: Path) -> Database:
    """Open the demo school at `path`, creating it first if the file has no school yet.

    A new file is built under a temporary name and renamed into place, so an interrupted
    first run leaves no half-made database that would be taken for a real one.
    """
    from app.services.demo import create_demo_school
    from app.services.first_run import has_school

    started = time.perf_counter()
    if path.exists():
        from app.services.encryption import key_for_opening

        db = open_database(path, key=key_for_opening(path))
        if not has_school(db):
            create_demo_school(db)  # one transaction: all of it or nothing
            log.info("demo school created in %s in %.1f s", path, time.perf_counter() - started)
        return db
    log.info("creating the demo school in %s", path)
    partial = path.with_name(path.name + ".creating")
    for leftover in (partial, *(partial.with_name(partial.name + s) for s in ("-wal", "-shm"))):
        leftover.unlink(missing_ok=True)
    db = open_database(partial)
    try:
        create_demo_school(db)
    finally:
        db.dispose()
    os.replace(partial, path)
    log.info("demo school created in %.1f s", time.perf_counter() - started)
    return open_database(path)  # a new demo file is never encrypted


def run(db_path: Path | None, screenshot: Path | None = None, as_login: str | None = None) -> int:
    data_dir = default_data_dir()
    # Before any UI module is imported: some build their column headers at import time.
    language = config.load(data_dir).language
    set_language(language)
    log.info("interface language: %s", language)
    path = (db_path or default_database_path()).expanduser()
    demo = demo_path(db_path.expanduser() if db_path else None)
    from app.ui.application import run as run_application
    from app.ui.encryption_flow import encrypt_new_school
    from app.ui.startup_guard import StartupGuard

    # One instance per data folder (a second start shows the first); recovery; backups.
    guard = StartupGuard.claim(path)
    if guard is None:
        return 0
    try:
        code = run_application(
            lambda: open_keyed(guard, path),
            path,
            screenshot=screenshot,
            process_age_ms=process_age_ms,
            open_demo=lambda: open_or_create_demo(demo),
            as_login=as_login,
            data_dir=data_dir,
            after_school_created=lambda db: encrypt_new_school(guard, path, db),
        )
    finally:
        guard.release()
    sys.stdout.flush()
    return code
