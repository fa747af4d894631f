"""`python -m app export class-list|mark-book … --out FILE.xlsx`: write a class list or a
mark book to .xlsx. Prints ``{"file": …, "rows": n}``; exit 2 with a message on stderr
when the class, subject or output file cannot be used.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TextIO

from app.errors import UserFacingError


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("export", help="xuất danh sách lớp hoặc sổ điểm ra tệp Excel .xlsx")
    kinds = parser.add_subparsers(dest="export_kind", metavar="LOẠI", required=True)
    class_list = kinds.add_parser(
        "class-list", help="danh sách lớp (số định danh che bớt, trừ khi --full-ids)"
    )
    mark_book = kinds.add_parser("mark-book", help="sổ điểm một môn của lớp trong một học kỳ")
    for p in (class_list, mark_book):
        p.add_argument("--db", type=Path, required=True, dest="export_db", help="tệp cơ sở dữ liệu")
        p.add_argument("--class", required=True, dest="class_name", help="tên lớp, ví dụ 6A1")
        p.add_argument("--out", type=Path, required=True, dest="out_path", help="tệp .xlsx sẽ ghi")
    class_list.add_argument(
        "--full-ids", action="store_true", help="ghi đủ số định danh (chỉ quản trị; được ghi nhật ký)"
    )
    mark_book.add_argument("--subject", required=True, help="mã hoặc tên môn, ví dụ toan hoặc Toán")
    mark_book.add_argument("--semester", type=int, choices=(1, 2), default=1, help="học kỳ 1 hoặc 2")


def run_args(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    return run(
        args.export_kind,
        args.export_db,
        class_name=args.class_name,
        out_path=args.out_path,
        full_ids=getattr(args, "full_ids", False),
        subject=getattr(args, "subject", None),
        semester=getattr(args, "semester", 1),
        out=out,
        err=err,
    )


def run(
    kind: str,
    db_path: Path,
    *,
    class_name: str,
    out_path: Path,
    full_ids: bool = False,
    subject: str | None = None,
    semester: int = 1,
    out: TextIO,
    err: TextIO,
) -> int:
    if not db_path.is_file():
        err.write(f"Lỗi: không tìm thấy tệp cơ sở dữ liệu {db_path}.\n")
        return 2
    from app.cli.db_key import database_key
    from app.models.db import open_database
    from app.services import excel_export
    from app.services.access import SYSTEM

    db = open_database(db_path, key=database_key(db_path))
    try:
        class_id = excel_export.find_class(db, class_name)
        if kind == "class-list":
            result = excel_export.export_class_list(db, SYSTEM, class_id, out_path, full_ids=full_ids)
        else:
            if not subject:
                err.write("Lỗi: hãy cho biết môn học (--subject, ví dụ --subject toan).\n")
                return 2
            subject_id = excel_export.find_subject(db, class_id, subject)
            result = excel_export.export_mark_book(db, SYSTEM, class_id, subject_id, semester, out_path)
    except UserFacingError as exc:
        err.write(f"Lỗi: {exc.message}\n")
        return 2
    finally:
        db.dispose()
    json.dump({"file": str(result.path), "rows": result.rows}, out, ensure_ascii=False)
    out.write("\n")
    return 0
