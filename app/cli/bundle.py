"""`python -m app bundle export --db FILE --out FILE.hbz` and `bundle receipts --db FILE RECEIPTS`.

For schools with no connection: export writes every unsent item into one file for a USB
stick; receipts marks the items the department's hub acknowledged as accepted. Both print
JSON; exit 0 on success, 1 with a Vietnamese message otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any, TextIO

from app.errors import UserFacingError


def add_parser(sub: Any) -> None:
    bundle = sub.add_parser("bundle", help="gói học bạ mang bằng USB cho trường không có mạng")
    actions = bundle.add_subparsers(dest="bundle_action", required=True, metavar="VIỆC")
    export = actions.add_parser("export", help="ghi mọi hồ sơ chưa gửi vào một tệp .hbz")
    export.add_argument("--db", type=Path, required=True, dest="bundle_db")
    export.add_argument("--out", type=Path, required=True, dest="bundle_out")
    export.add_argument(
        "--credential-env", metavar="BIẾN", dest="bundle_credential_env",
        help="biến môi trường chứa mã kết nối Sở cấp (máy chưa từng kết nối mạng): cất vào kho khoá, ký gói",
    )  # fmt: skip
    receipts = actions.add_parser(
        "receipts", help="nhận tệp biên nhận Sở gửi về, đánh dấu hồ sơ đã được nhận"
    )
    receipts.add_argument("--db", type=Path, required=True, dest="bundle_db")
    receipts.add_argument("receipts_file", type=Path, metavar="BIÊN_NHẬN")


def run_args(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from app.cli.db_key import database_key
    from app.models.db import open_database
    from app.sync.bundle import export_bundle, import_receipts

    db = open_database(args.bundle_db.expanduser(), key=database_key(args.bundle_db.expanduser()))
    try:
        if args.bundle_action == "export":
            credential = None
            if args.bundle_credential_env:
                credential = os.environ.get(args.bundle_credential_env, "").strip()
                if not credential:
                    name = args.bundle_credential_env
                    raise UserFacingError(f"Biến môi trường {name} không có mã kết nối Sở cấp.")
            result: Any = export_bundle(db, args.bundle_out.expanduser(), credential=credential)
        else:
            result = import_receipts(db, args.receipts_file.expanduser())
    except UserFacingError as exc:
        err.write(f"Lỗi: {exc.message}\n")
        return 1
    finally:
        db.dispose()
    json.dump(result.to_json(), out, ensure_ascii=False)
    out.write("\n")
    return 0
