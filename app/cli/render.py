"""`python -m app render`: write the học bạ PDFs of a class (or one student), and the class
subject sheets with --sheets; print a JSON list of the files with their SHA-256.

All or nothing: every record is built and rendered in memory first, so a student with
missing data stops the command (exit 1, the message names the student and the field)
before any file is written. Files are written under a temporary name and renamed.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TextIO

from app.documents.record import TranscriptRecord
from app.documents.render import RenderedDocument, render_record, render_sheet
from app.errors import UserFacingError
from app.models.db import Database, open_database
from app.services.record_sheets import class_sheets
from app.services.records import class_records, find_class, find_student, student_record

EXIT_REFUSED = 1
EXIT_BAD_ARGUMENTS = 2


def run(
    db_path: Path | None,
    *,
    class_name: str | None,
    student: str | None,
    year: str | None,
    out_dir: Path,
    sheets: bool,
    xml: bool,
    out: TextIO,
    err: TextIO,
) -> int:
    if db_path is None:
        err.write("Lỗi: cần chỉ ra tệp cơ sở dữ liệu bằng --db TỆP.\n")
        return EXIT_BAD_ARGUMENTS
    if (class_name is None) == (student is None):
        err.write("Lỗi: hãy chọn đúng một trong hai: --class TÊN_LỚP hoặc --student MÃ_HỌC_SINH.\n")
        return EXIT_BAD_ARGUMENTS
    if not db_path.exists():
        err.write(f"Lỗi: không có tệp cơ sở dữ liệu {db_path}.\n")
        return EXIT_REFUSED
    from app.cli.db_key import database_key

    db = open_database(db_path, key=database_key(db_path))
    try:
        documents = _render(db, class_name, student, year, sheets)
    except UserFacingError as exc:
        err.write(f"Lỗi: {exc.message}\n")
        return EXIT_REFUSED
    finally:
        db.dispose()
    listing = []
    out_dir.mkdir(parents=True, exist_ok=True)
    for kind, doc in documents:
        path = out_dir / f"{doc.file_stem}.pdf"
        _write(path, doc.pdf)
        entry: dict[str, object] = {
            "kind": kind,
            "file": str(path),
            "sha256": doc.sha256,
            "bytes": len(doc.pdf),
        }
        if xml:
            xml_path = out_dir / f"{doc.file_stem}.xml"
            _write(xml_path, doc.xml)
            entry["xml"] = str(xml_path)
        listing.append(entry)
    json.dump(listing, out, ensure_ascii=False, indent=2)
    out.write("\n")
    return 0


def _render(
    db: Database, class_name: str | None, student: str | None, year: str | None, sheets: bool
) -> list[tuple[str, RenderedDocument]]:
    records: tuple[TranscriptRecord, ...]
    if student is not None:
        records = (student_record(db, find_student(db, student), year=year),)
        class_id = None
    else:
        assert class_name is not None
        class_id = find_class(db, class_name, year)
        records = class_records(db, class_id)
    documents = [("hocba", render_record(r)) for r in records]
    if sheets:
        if class_id is None:
            class_id = find_class(db, records[0].class_name, records[0].year_name)
        documents.extend(("bangdiem", render_sheet(sheet)) for sheet in class_sheets(db, class_id))
    return documents


def _write(path: Path, data: bytes) -> None:
    partial = path.with_name(path.name + ".partial")
    with open(partial, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(partial, path)
