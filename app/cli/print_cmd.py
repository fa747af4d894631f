"""`python -m app print`: the confirmed printout (bản in có xác nhận) of an issued record.

`python -m app print --db FILE --document ID --out FILE.pdf [--as LOGIN]` writes the print
copy (the record's pages, a note on each, and a verification page with the SHA-256 of the
signed file and a QR code of the hub's verify address) and records the print in the audit
log, as LOGIN when given (else as the system account, like every command); the entry is
marked as made from the command line, since `--as` asks no password. Prints JSON.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, TextIO

from app.errors import UserFacingError

EXIT_REFUSED = 1
EXIT_BAD_ARGUMENTS = 2


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "print", help="in bản có xác nhận (kèm mã QR xác minh) của một học bạ đã phát hành"
    )
    parser.add_argument("--db", type=Path, required=True, dest="print_db")
    parser.add_argument(
        "--document",
        required=True,
        dest="print_document",
        metavar="SỐ|MÃ_HỒ_SƠ",
        help="số của học bạ, hoặc mã hồ sơ (UUID)",
    )
    parser.add_argument("--out", type=Path, required=True, dest="print_out", metavar="TỆP.pdf")
    parser.add_argument("--as", dest="print_as", metavar="LOGIN", help="ghi vào nhật ký là người này in")


def run_args(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from app.models.db import open_database
    from app.services.access import SYSTEM
    from app.services.printing import actor_by_login, find_document, print_to_file

    db_path: Path = args.print_db.expanduser()
    if not db_path.exists():
        err.write(f"Lỗi: không có tệp cơ sở dữ liệu {db_path}.\n")
        return EXIT_REFUSED
    target: Path = args.print_out.expanduser()
    if target.suffix.lower() != ".pdf":
        err.write("Lỗi: tệp in phải có đuôi .pdf, ví dụ --out banin.pdf.\n")
        return EXIT_BAD_ARGUMENTS
    from app.cli.db_key import database_key

    db = open_database(db_path, key=database_key(db_path))
    try:
        actor = actor_by_login(db, args.print_as) if args.print_as else SYSTEM
        printout = print_to_file(db, actor, find_document(db, args.print_document), target)
    except UserFacingError as exc:
        err.write(f"Lỗi: {exc.message}\n")
        return EXIT_REFUSED
    finally:
        db.dispose()
    result = {
        "document": printout.document_id,
        "record_id": printout.record_id,
        "version": printout.version,
        "student": printout.student_code,
        "class": printout.class_name,
        "sha256": printout.sha256,
        "verify_url": printout.verify_url,
        "file": str(target),
        "print_sha256": printout.print_sha256,
    }
    if printout.verify_url is None:
        result["note"] = "Chưa kết nối máy chủ của Sở: bản in không có mã QR (chỉ có mã SHA-256)."
    json.dump(result, out, ensure_ascii=False, indent=2)
    out.write("\n")
    return 0
