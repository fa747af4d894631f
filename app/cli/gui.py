"""`python -m app gui` (the default): pick the database, create the demo on first run, run the UI.

No Qt here: `app.ui.application` does everything that needs it, so the layer rule
"PySide6 only under app.ui" holds.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path

from app.models.db import Database, open_database
from app.paths import default_database_path

log = logging.getLogger(__name__)


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


def prepare_database(path: Path) -> Database:
    """Open (and migrate) `path`; if it does not exist yet, first create the demo school there.

    The demo is built under a temporary name and renamed into place, so an interrupted
    first run leaves no half-made database that would be taken for a real one.
    """
    if not path.exists():
        from app.services.demo import create_demo_school

        log.info("no database at %s yet: creating the demo school there", path)
        started = time.perf_counter()
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
    return open_database(path)


def run(db_path: Path | None, screenshot: Path | None = None) -> int:
    path = (db_path or default_database_path()).expanduser()
    from app.ui.application import run as run_application

    code = run_application(
        lambda: prepare_database(path),
        path,
        screenshot=screenshot,
        process_age_ms=process_age_ms,
    )
    sys.stdout.flush()
    return code
