"""`python -m app encrypt --db FILE`: turn encryption at rest on for a plain database.

Writes a verified encrypted copy, swaps it in, removes the plain file and seals the
document files (app.services.encryption); the key goes to the OS keyring. Prints JSON with
the **recovery code** (shown this once: the admin writes it down or prints it and keeps it
with the school's seal) and exits 0; 1 with a Vietnamese message when refused. Run again on
an encrypted database, it seals any document files left plain and changes nothing else.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TextIO

from app.errors import UserFacingError

RECOVERY_NOTE = (
    "Hãy chép tay hoặc in mã khôi phục này và cất cùng con dấu của trường. Mất cả máy (hoặc kho khoá "
    "của Windows) lẫn mã này là mất toàn bộ dữ liệu và các bản sao lưu. Mã chỉ hiện lần này; quản trị "
    "viên xem lại được bằng `python -m app key show-recovery --db FILE --login TÀI_KHOẢN`."
)


def run(db_path: Path, *, out: TextIO, err: TextIO) -> int:
    from app.services.backup_settings import backup_folders
    from app.services.encryption import encrypt_database

    db_path = db_path.expanduser()
    try:
        result = encrypt_database(db_path, backup_folders=backup_folders(db_path))
    except UserFacingError as exc:
        err.write(f"Lỗi: {exc.message}\n")
        return 1
    except OSError as exc:  # a file another program holds open (Windows), a full disk…
        err.write(
            f"Lỗi: chưa mã hoá xong vì không ghi được tệp ({exc.strerror or exc}). Dữ liệu vẫn dùng "
            "được; hãy đóng mọi chương trình đang mở tệp dữ liệu, kiểm tra chỗ trống trên ổ đĩa, rồi chạy "
            "lại lệnh.\n"
        )
        return 1
    report = result.to_json_dict()
    if result.recovery_code is not None:
        report["recovery_note"] = RECOVERY_NOTE
    json.dump(report, out, ensure_ascii=False, indent=2)
    out.write("\n")
    for note in result.notes:
        err.write(f"Lưu ý: {note}\n")
    return 0
