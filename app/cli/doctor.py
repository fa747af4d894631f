"""`python -m app doctor --db FILE [--repair]`: the full check, as a JSON report.

Exit 0 when healthy (after repairs, with `--repair`), 1 when a problem remains, 2 when the
check itself could not run (for instance `--repair` while the app has the folder open).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from app.errors import UserFacingError
from app.services.backup_settings import backup_folders
from app.services.doctor import run_doctor


def run(
    db_path: Path,
    *,
    repair: bool,
    backups: Sequence[Path] = (),
    out: TextIO,
    err: TextIO,
    key: bytes | None = None,
) -> int:
    db_path = db_path.expanduser()
    folders = (*[b.expanduser() for b in backups], *backup_folders(db_path))
    try:
        report = run_doctor(db_path, key=key, backup_folders=tuple(dict.fromkeys(folders)), repair=repair)
    except UserFacingError as exc:
        err.write(f"Lỗi: {exc.message}\n")
        return 2
    json.dump(report.to_json_dict(), out, ensure_ascii=False, indent=2)
    out.write("\n")
    return 0 if report.healthy else 1
