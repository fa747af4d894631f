"""Reading the table out of a school's .xlsx file: which sheet, which header, which rows.

The file is read once, in openpyxl's read-only mode (it streams the sheet instead of
building every cell object; a 2,000-row list reads in a fraction of a second). What comes
out is plain values per row and field, with the row number as Excel shows it, so every
later message can say "dòng 17".

Rows that are not data are left out, deliberately and visibly: blank rows, a row that
numbers the columns under the header ("(1) (2) (3)"), the header repeated on a printed
second page, and the footer — totals ("Tổng cộng: 45 học sinh") and the signature block
("Người lập biểu", "Hiệu trưởng", the signers' names under them).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from app.errors import NotFound, UserFacingError
from app.rules.vnsort import fold
from app.services.excel_headers import (
    HEADER_SEARCH_ROWS,
    IGNORED,
    FieldSpec,
    HeaderMatch,
    find_header,
    is_numbering_row,
    match_field,
)

__all__ = ["SheetRow", "SheetTable", "read_table"]

# Past this many blank rows in a row the table has ended; sheets formatted down to row
# 1,048,576 would otherwise be read to the bottom.
_BLANK_RUN_END = 200

# Matched in full against the folded first text cell of a row that has neither a date of
# birth nor an identification number. Kept narrow: "Tống" is a family name, so a bare
# "tong" only counts when a number or a colon follows ("Tổng: 45", "Cộng 45").
_FOOTER = re.compile(
    r"(?:tong|cong)\s*[:\d].*"
    r"|(?:tong cong|tong so|tong hop)\b.*"
    r"|danh sach (?:nay|gom|co)\b.*"
    r"|(?:nguoi lap|lap bieu|nguoi ghi so)\b.*"
    r"|(?:pho )?hieu truong\b.*|giao vien chu nhiem\b.*|ban giam hieu\b.*"
    r"|xac nhan\b.*|ghi chu\b.*|\(?ky(?: ten|,? ghi ro| va ghi ro| ghi ro)\b.*"
    r"|t\.?\s?/?m\.?\s.*"
    r"|.*\bngay\b.*\bthang\b.*\bnam\b.*"
)


@dataclass(frozen=True)
class SheetRow:
    row: int  # 1-based, as Excel shows it
    values: Mapping[str, object]  # field key → the cell's value (absent: empty or no column)


@dataclass(frozen=True)
class SheetTable:
    file_name: str
    sheet: str
    header: HeaderMatch
    rows: tuple[SheetRow, ...]
    footer_rows: tuple[int, ...]  # rows left out as totals or signatures
    epoch_1904: bool  # the workbook counts date serials from 1904 (Excel for Mac)


def read_table(path: Path, fields: Sequence[FieldSpec], *, sheet: str | None = None, what: str) -> SheetTable:
    """Read the table of `path`; raise UserFacingError saying what to do when it cannot.

    `what` names the rows in messages ("học sinh", "giáo viên").
    """
    workbook = _open(path)
    try:
        names = _candidate_sheets(workbook, sheet)
        for name in names:
            table = _read_sheet(workbook, name, path.name, fields)
            if table is not None:
                return table
    finally:
        workbook.close()
    labels = "“Họ và tên”, “Ngày sinh”, “Giới tính”" if what == "học sinh" else "“Họ và tên”, “Môn dạy”"
    where = f"trang “{sheet}”" if sheet else "các trang tính"
    raise UserFacingError(
        f"Không tìm thấy dòng tiêu đề của danh sách {what} trong {where} của tệp {path.name}. "
        f"Dòng tiêu đề cần nằm trong {HEADER_SEARCH_ROWS} dòng đầu và có các cột như {labels}.",
        field="file",
    )


def _open(path: Path):  # type: ignore[no-untyped-def]  # openpyxl's Workbook is untyped
    suffix = path.suffix.lower()
    if suffix in (".xls", ".csv", ".ods"):
        raise UserFacingError(
            f"Tệp {path.name} là dạng {suffix}, chương trình chỉ đọc được tệp Excel .xlsx. "
            "Hãy mở tệp bằng Excel, chọn Lưu thành (Save As) → Sổ làm việc Excel (.xlsx), rồi chọn "
            "lại tệp mới.",
            field="file",
        )
    if not path.is_file():
        raise NotFound(f"Không tìm thấy tệp {path}. Hãy chọn lại tệp.", field="file")
    try:
        return load_workbook(path, read_only=True, data_only=True)
    except PermissionError:
        raise UserFacingError(
            f"Không mở được tệp {path.name} vì không có quyền đọc. Hãy đóng tệp trong Excel rồi thử lại.",
            field="file",
        ) from None
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError):
        raise UserFacingError(
            f"Tệp {path.name} không phải tệp Excel .xlsx đọc được (có thể tệp bị hỏng hoặc có đặt mật "
            "khẩu). Hãy mở tệp bằng Excel, bỏ mật khẩu nếu có, lưu lại dạng .xlsx rồi chọn lại.",
            field="file",
        ) from None


def _candidate_sheets(workbook, sheet: str | None) -> list[str]:  # type: ignore[no-untyped-def]
    if sheet is not None:
        if sheet not in workbook.sheetnames:
            raise UserFacingError(
                f"Tệp không có trang tính “{sheet}”. Các trang có trong tệp: "
                f"{', '.join(workbook.sheetnames)}.",
                field="sheet",
            )
        return [sheet]
    # The active sheet first (what the user saw last), then the other visible ones.
    names = [ws.title for ws in workbook.worksheets if ws.sheet_state == "visible"]
    active = workbook.active.title if workbook.active is not None else None
    if active in names:
        names.remove(active)
        names.insert(0, active)
    return names


def _rows(worksheet) -> Iterator[tuple[object, ...]]:  # type: ignore[no-untyped-def]
    # Some programs write a wrong sheet size; without it openpyxl reads what is really there.
    worksheet.reset_dimensions()
    yield from worksheet.iter_rows(min_row=1, values_only=True)


def _is_blank(row: Sequence[object]) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in row)


def _read_sheet(workbook, name: str, file_name: str, fields: Sequence[FieldSpec]) -> SheetTable | None:  # type: ignore[no-untyped-def]
    worksheet = workbook[name]
    if not hasattr(worksheet, "iter_rows"):  # a chart sheet
        return None
    rows = _rows(worksheet)
    head: list[tuple[object, ...]] = []
    for row in rows:
        head.append(row)
        if len(head) >= HEADER_SEARCH_ROWS:
            break
    header = find_header(head, fields)
    if header is None:
        return None

    positions = {m.field: m.column for m in header.columns if m.field and m.field != IGNORED}
    data: list[SheetRow] = []
    footer: list[int] = []
    in_footer = False
    blank_run = 0

    def rest() -> Iterator[tuple[int, tuple[object, ...]]]:
        yield from enumerate(head[header.row :], start=header.row + 1)
        yield from enumerate(rows, start=len(head) + 1)

    for number, row in rest():
        if _is_blank(row):
            blank_run += 1
            if blank_run >= _BLANK_RUN_END:
                break
            continue
        blank_run = 0
        if is_numbering_row(row) or _repeats_header(row, fields):
            continue
        values = {f: row[c] for f, c in positions.items() if c < len(row) and not _is_blank((row[c],))}
        has_birth_or_id = "date_of_birth" in values or "national_id" in values
        if not has_birth_or_id and (in_footer or _looks_like_footer(row)):
            # Totals and the signature block; once it starts, rows without a date of
            # birth or an identification number are the signers' names, not students.
            in_footer = True
            footer.append(number)
            continue
        data.append(SheetRow(row=number, values=values))
    return SheetTable(
        file_name=file_name,
        sheet=name,
        header=header,
        rows=tuple(data),
        footer_rows=tuple(footer),
        epoch_1904=bool(getattr(workbook, "epoch", None) and workbook.epoch.year == 1904),
    )


def _repeats_header(row: Sequence[object], fields: Sequence[FieldSpec]) -> bool:
    keys = {match_field(v, fields) for v in row} - {None, IGNORED}
    return len(keys) >= 2


def _looks_like_footer(row: Sequence[object]) -> bool:
    for value in row:
        if isinstance(value, str) and any(ch.isalpha() for ch in value):
            return bool(_FOOTER.fullmatch(fold(value)))
    return False
