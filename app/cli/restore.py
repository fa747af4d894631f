"""`python -m app restore --from BACKUP --db FILE`: put a backup in place of the database.

BACKUP is a snapshot file, or a backup folder (its newest snapshot that passes the
integrity check is used). The replaced files are moved into `set-aside/` beside the
database, never deleted. Refused while Học bạ số has the folder open.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TextIO

from app.errors import UserFacingError
from app.services.recovery import find_good_backups
from app.services.restore import restore_backup

NEEDS_KEY = (
    "Lỗi: bản sao lưu “{name}” được mã hoá, và máy này chưa có khoá của nó. Hãy nhập mã khôi phục: "
    "`python -m app key recover --db {db} --from {source}`, rồi chạy lại lệnh khôi phục.\n"
)


def _encrypted_without_key(source: Path, db_path: Path, key: bytes | None) -> Path | None:
    """The snapshot that is encrypted while no key is known (a new PC before `key recover`)."""
    if key is not None:
        return None
    from app.models import cipher
    from app.services.backup import list_backups

    candidates = [b.path for b in list_backups(source, db_path.stem)] if source.is_dir() else [source]
    return next((p for p in candidates if p.is_file() and cipher.looks_plain(p) is False), None)


def run(source: Path, db_path: Path, *, out: TextIO, err: TextIO, key: bytes | None = None) -> int:
    source, db_path = source.expanduser(), db_path.expanduser()
    locked = _encrypted_without_key(source, db_path, key)
    if locked is not None:
        err.write(NEEDS_KEY.format(name=locked.name, db=db_path, source=source))
        return 1
    snapshot = source
    if source.is_dir():
        good = find_good_backups([source], db_path.stem, key, limit=1)
        if not good:
            err.write(
                f"Lỗi: thư mục “{source}” không có bản sao lưu dùng được của “{db_path.name}”. "
                "Hãy chỉ rõ tệp sao lưu (.sqlite3).\n"
            )
            return 1
        snapshot = good[0][0].path
    elif not source.is_file():
        err.write(f"Lỗi: không tìm thấy bản sao lưu “{source}”.\n")
        return 1
    try:
        result = restore_backup(snapshot, db_path, key=key, reason="restore")
    except UserFacingError as exc:
        err.write(f"Lỗi: {exc.message}\n")
        return 1
    json.dump(result.to_json_dict(), out, ensure_ascii=False, indent=2)
    out.write("\n")
    return 0
