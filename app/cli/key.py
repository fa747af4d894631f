"""`python -m app key …`: the database key on this PC.

- `key status --db FILE` — encrypted or not, and whether this PC's keyring has the key (JSON).
- `key recover --db FILE [--from BACKUP]` — asks for the recovery code (typed, or one line on
  standard input) and puts the key back into this PC's keyring: after a Windows reinstall, on
  a new PC, or under another Windows account. On a new PC, where only a backup folder was
  carried over, `--from` names the backup (a snapshot or the folder) the code is tried on; then
  `python -m app restore --from BACKUP --db FILE` puts the data in place.
- `key show-recovery --db FILE --login ADMIN [--password-env VAR]` — prints the recovery code
  again, after the admin's password (asked, or from the variable); the showing is audited.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from pathlib import Path
from typing import TextIO

from app.errors import UserFacingError


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    key = sub.add_parser("key", help="khoá mã hoá dữ liệu: trạng thái, khôi phục từ mã, xem lại mã khôi phục")
    actions = key.add_subparsers(dest="key_action", metavar="VIỆC", required=True)
    status = actions.add_parser("status", help="dữ liệu có mã hoá không, máy này có khoá không")
    status.add_argument("--db", type=Path, required=True, dest="key_db")
    recover = actions.add_parser("recover", help="nhập mã khôi phục để đưa khoá vào máy này")
    recover.add_argument("--db", type=Path, required=True, dest="key_db")
    recover.add_argument("--from", type=Path, dest="key_from", help="bản sao lưu để thử mã (máy mới)")
    show = actions.add_parser("show-recovery", help="xem lại mã khôi phục (cán bộ quản trị)")
    show.add_argument("--db", type=Path, required=True, dest="key_db")
    show.add_argument("--login", required=True, dest="key_login")
    show.add_argument("--password-env", dest="key_password_env", metavar="BIẾN")


def run_args(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    db_path: Path = args.key_db.expanduser()
    try:
        if args.key_action == "status":
            report = _status(db_path)
        elif args.key_action == "recover":
            report = _recover(db_path, args.key_from, err)
        else:
            report = _show(db_path, args.key_login, args.key_password_env, err)
    except UserFacingError as exc:
        err.write(f"Lỗi: {exc.message}\n")
        return 1
    json.dump(report, out, ensure_ascii=False, indent=2)
    out.write("\n")
    return 0


def _status(db_path: Path) -> dict[str, object]:
    from app.services import keys

    encrypted = keys.is_encrypted(db_path)
    report: dict[str, object] = {"database": str(db_path), "encrypted": encrypted}
    if encrypted:
        try:
            keys.database_key(db_path)
            report["key_on_this_pc"] = True
        except UserFacingError as exc:
            report["key_on_this_pc"] = False
            report["message"] = exc.message
    return report


def _ask(prompt: str, err: TextIO) -> str:
    if sys.stdin.isatty():
        return getpass.getpass(prompt)
    err.write(prompt)
    err.flush()
    return sys.stdin.readline().strip()


def _recover(db_path: Path, source: Path | None, err: TextIO) -> dict[str, object]:
    from app.services import keys
    from app.services.backup import list_backups

    probe = None
    if source is not None:
        source = source.expanduser()
        if source.is_dir():
            found = list_backups(source, db_path.stem)
            if not found:
                raise UserFacingError(f"Thư mục “{source}” không có bản sao lưu của “{db_path.name}”.")
            probe = found[0].path
        else:
            probe = source
    code = _ask("Mã khôi phục (25 ký tự, ví dụ 7K3QM-XR2PA-…): ", err)
    keys.install_recovered(db_path, code, probe=probe)
    return {"database": str(db_path), "recovered": True, "key_on_this_pc": True}


def _show(db_path: Path, login: str, password_env: str | None, err: TextIO) -> dict[str, object]:
    from app.cli.db_key import database_key
    from app.models.db import open_database
    from app.services import accounts
    from app.services.encryption_admin import recovery_code_for

    if password_env:
        password = os.environ.get(password_env, "")
        if not password:
            raise UserFacingError(f"Biến môi trường {password_env} chưa có mật khẩu.")
    else:
        password = _ask(f"Mật khẩu của {login}: ", err)
    db = open_database(db_path, key=database_key(db_path))
    try:
        signed = accounts.sign_in(db, login, password)
        code = recovery_code_for(db, accounts.actor_for(db, signed.user_id))
    finally:
        db.dispose()
    return {"database": str(db_path), "recovery_code": code}
