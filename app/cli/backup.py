"""`python -m app backup --db FILE --to DIR`: a verified snapshot plus new document files.

Prints the result as JSON (file, bytes, time, documents copied, snapshots thinned); exit 0
on success, 1 with a Vietnamese message on stderr otherwise. Thinning applies the app's
rotation unless `--keep-all` (a USB drive kept in a drawer).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TextIO

from app.errors import UserFacingError
from app.services.backup import create_backup
from app.services.backup_thinning import ThinningPolicy


def run(
    db_path: Path, to: Path, *, keep_all: bool, out: TextIO, err: TextIO, key: bytes | None = None
) -> int:
    try:
        result = create_backup(
            db_path.expanduser(), to.expanduser(), key=key, policy=None if keep_all else ThinningPolicy()
        )
    except UserFacingError as exc:
        err.write(f"Lỗi: {exc.message}\n")
        return 1
    json.dump(result.to_json_dict(), out, ensure_ascii=False, indent=2)
    out.write("\n")
    if result.documents.skipped_damaged:
        err.write(
            f"Cảnh báo: {len(result.documents.skipped_damaged)} tệp học bạ bị hỏng nên không được sao lưu; "
            "hãy chạy `python -m app doctor --db FILE`.\n"
        )
    return 0
