"""`python -m app import students|teachers FILE.xlsx --db FILE`: import from a school's .xlsx.

Prints a JSON report on stdout:
``{"rows": n, "imported": n, "errors": [{"row": n, "field": str, "message": str}], …}``
(`row` is the row number as Excel shows it; `field` a stable key such as
"national_id"; `message` Vietnamese). Exit codes: 0 imported (or, with --dry-run, would
import) every row; 1 some row has an error and nothing was imported; 2 the file or the
arguments cannot be used at all (message on stderr).

The command line acts as the system (IT staff holding the database file have every right).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TextIO

from app.errors import UserFacingError

EXIT_OK = 0
EXIT_ROW_ERRORS = 1
EXIT_UNUSABLE = 2


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("import", help="nhập học sinh hoặc giáo viên từ tệp Excel .xlsx, in báo cáo JSON")
    kinds = parser.add_subparsers(dest="import_kind", metavar="LOẠI", required=True)
    students = kinds.add_parser("students", help="nhập danh sách học sinh (tất cả hoặc không dòng nào)")
    teachers = kinds.add_parser("teachers", help="nhập danh sách giáo viên và tạo tài khoản")
    for p in (students, teachers):
        p.add_argument("file", type=Path, metavar="FILE.xlsx")
        p.add_argument("--db", type=Path, required=True, dest="import_db", help="tệp cơ sở dữ liệu")
        p.add_argument("--sheet", help="tên trang tính (mặc định: trang đầu tiên có dòng tiêu đề)")
        p.add_argument("--dry-run", action="store_true", help="chỉ kiểm tra, không ghi gì")
    students.add_argument(
        "--class", dest="class_name", help="nhập tất cả vào lớp này (khi tệp không có cột Lớp)"
    )
    teachers.add_argument(
        "--accounts-out", type=Path, help="tệp .xlsx ghi tên đăng nhập và mật khẩu tạm của tài khoản mới"
    )


def run_args(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    return run(
        args.import_kind,
        args.file,
        args.import_db,
        class_name=getattr(args, "class_name", None),
        sheet=args.sheet,
        dry_run=args.dry_run,
        accounts_out=getattr(args, "accounts_out", None),
        out=out,
        err=err,
    )


def run(
    kind: str,
    file: Path,
    db_path: Path,
    *,
    class_name: str | None = None,
    sheet: str | None = None,
    dry_run: bool = False,
    accounts_out: Path | None = None,
    out: TextIO,
    err: TextIO,
) -> int:
    if not db_path.is_file():
        err.write(f"Lỗi: không tìm thấy tệp cơ sở dữ liệu {db_path}.\n")
        return EXIT_UNUSABLE
    from app.cli.db_key import database_key
    from app.models.db import open_database
    from app.services.access import SYSTEM

    db = open_database(db_path, key=database_key(db_path))
    try:
        if kind == "students":
            from app.services.excel_import import import_students_file

            report = import_students_file(
                db, SYSTEM, file, class_name=class_name, sheet=sheet, dry_run=dry_run
            )
            data = report.to_json_dict()
        else:
            from app.services.excel_teachers import import_teachers_file

            if accounts_out is None and not dry_run:
                err.write(
                    "Lỗi: hãy cho biết tệp .xlsx để ghi mật khẩu tạm của các tài khoản mới "
                    "(--accounts-out FILE.xlsx); mật khẩu không được in ra màn hình.\n"
                )
                return EXIT_UNUSABLE
            teachers = import_teachers_file(
                db, SYSTEM, file, sheet=sheet, dry_run=dry_run, accounts_out=accounts_out
            )
            data = teachers.to_json_dict()
    except UserFacingError as exc:
        err.write(f"Lỗi: {exc.message}\n")
        return EXIT_UNUSABLE
    finally:
        db.dispose()
    json.dump(data, out, ensure_ascii=False, indent=2)
    out.write("\n")
    return EXIT_ROW_ERRORS if data["errors"] else EXIT_OK
