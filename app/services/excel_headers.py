"""Finding the header row of a school's spreadsheet and what each column holds.

Schools' files come from the provincial database, from other school software and from
hand-made Excel sheets: a title and the school's name above the table, the header row
somewhere in the first rows, columns in any order, headers with or without diacritics and
in many wordings ("Họ và tên", "HỌ TÊN HỌC SINH", "Ho ten"). So a header is recognised by
folding it (lower case, no diacritics, punctuation as spaces) and matching the folded text
*in full* against a short list of patterns per field. Matching in full, not by "contains",
is what keeps a title such as "DANH SÁCH HỌC SINH LỚP 6A1" from being taken for a header.

A header row is the row, among the first `HEADER_SEARCH_ROWS`, that names the most known
fields and names a student's (or teacher's) name. A second header row right below it
(for example "Giới tính" merged over "Nam" | "Nữ", or "Họ tên cha mẹ" over "Cha" | "Mẹ")
refines the columns it names.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from app.rules.vnsort import fold

__all__ = [
    "HEADER_SEARCH_ROWS",
    "IGNORED",
    "STUDENT_FIELDS",
    "TEACHER_FIELDS",
    "ColumnMatch",
    "FieldSpec",
    "HeaderMatch",
    "find_header",
    "fold_header",
    "is_numbering_row",
    "match_field",
]

HEADER_SEARCH_ROWS = 20

#: Columns that are recognised but not imported (row numbers): no "unused column" notice.
IGNORED = "_ignored"


@dataclass(frozen=True)
class FieldSpec:
    key: str
    label: str  # Vietnamese, as the preview and the error messages name the field
    pattern: str  # matched in full against the folded header


def _spec(key: str, label: str, *alternatives: str) -> FieldSpec:
    return FieldSpec(key, label, "|".join(f"(?:{a})" for a in alternatives))


# Order matters: the first field whose pattern matches wins, so the specific wordings
# ("họ tên cha", "mã định danh học bạ", "mã định danh Bộ GD&ĐT") come before the general
# ones ("họ tên", "định danh").
_HS = r"(?: hoc sinh| hs| cua hoc sinh| cua hs)?"
_NAME = r"(?:ho (?:va )?ten|ho ten|hoten)"
_NAME_OF = rf"(?:{_NAME} |ten )?"  # "Họ tên cha", "Tên cha", "Cha"
STUDENT_FIELDS: tuple[FieldSpec, ...] = (
    _spec(IGNORED, "Số thứ tự", r"stt", r"tt", r"so tt", r"so thu tu", r"thu tu"),
    _spec("hocba_code", "Mã học bạ", r"(?:ma|so) (?:dinh danh )?hoc ba"),
    _spec(
        "student_code",
        "Mã học sinh",
        r"ma dinh danh (?:bo|nganh|bgd|bo gd|bo gd dt|bo gddt|bo giao duc).*",
        r"(?:ma|ma so|so) (?:hoc sinh|hs)",
        r"mshs|mahs|mhs|ma",
    ),
    _spec(
        "national_id",
        "Số định danh",
        r"(?:so |ma )?(?:dinh danh|ddcn)(?: ca nhan)?(?: .*)?",
        r"(?:so )?(?:cccd|can cuoc|can cuoc cong dan|cmnd|cmnd cccd)(?: .*)?",
        r"(?:so )?(?:cccd|can cuoc)(?: .*)? (?:dinh danh|ddcn)(?: .*)?",
    ),
    _spec("father_name", "Họ tên cha", rf"{_NAME_OF}(?:cha|bo){_HS}"),
    _spec("mother_name", "Họ tên mẹ", rf"{_NAME_OF}me{_HS}"),
    _spec(
        "parents",
        "Họ tên cha/mẹ",
        rf"{_NAME_OF}(?:cha me|bo me|cha hoac me|cha va me|phu huynh|cha me hoc sinh){_HS}",
    ),
    _spec("guardian_name", "Người giám hộ", rf"{_NAME_OF}nguoi giam ho{_HS}"),
    _spec("family_middle", "Họ và đệm", r"ho (?:va )?(?:ten )?dem", r"ho dem", r"ho va chu dem"),
    _spec(
        "full_name",
        "Họ và tên",
        rf"{_NAME}{_HS}",
        r"ho va ten khai sinh",
        r"ten (?:hoc sinh|hs|cua hoc sinh)",
        r"hoc sinh",
    ),
    # A lone "Tên" is the given name of a split "Họ đệm" | "Tên" pair; without "Họ đệm"
    # the reader takes it for the whole name.
    _spec("given_name", "Tên", r"ten", r"ten rieng", r"ten goi"),
    _spec(
        "date_of_birth",
        "Ngày sinh",
        r"(?:ngay )?(?:thang )?(?:nam )?sinh(?: ngay)?(?: dd mm yyyy| ngay thang nam)?",
        r"ngay thang nam sinh.*",
        r"ns",
    ),
    _spec("sex", "Giới tính", r"gioi tinh(?: .*)?", r"gt", r"phai", r"gioi", r"nam nu", r"nam hoac nu"),
    _spec("female_flag", "Nữ", r"nu", r"hs nu", r"hoc sinh nu", r"la nu"),
    _spec("male_flag", "Nam", r"nam", r"hs nam", r"hoc sinh nam"),
    _spec("class_name", "Lớp", r"lop(?: hoc| hien tai| nam hoc nay)?", r"ten lop"),
    _spec("ethnicity", "Dân tộc", r"dan toc"),
    _spec("nationality", "Quốc tịch", r"quoc tich"),
    _spec("place_of_birth", "Nơi sinh", r"noi sinh(?: .*)?"),
    _spec("home_town", "Quê quán", r"que quan(?: .*)?", r"nguyen quan"),
    _spec(
        "address",
        "Địa chỉ",
        r"dia chi(?: .*)?",
        r"(?:cho o|noi o|noi cu tru|noi thuong tru|thuong tru|tam tru)(?: .*)?",
    ),
    _spec(
        "policy_status",
        "Đối tượng chính sách",
        r"(?:doi tuong|dien|che do) (?:chinh sach|uu tien)(?: .*)?",
        r"chinh sach",
    ),
    _spec("registration_number", "Số đăng bộ", r"so dang bo", r"so db"),
)

TEACHER_FIELDS: tuple[FieldSpec, ...] = (
    _spec(IGNORED, "Số thứ tự", r"stt", r"tt", r"so tt", r"so thu tu"),
    _spec("login", "Tên đăng nhập", r"ten dang nhap", r"tai khoan(?: dang nhap)?", r"login", r"username"),
    _spec(
        "homeroom_class",
        "Chủ nhiệm lớp",
        r"(?:lop )?chu nhiem(?: lop)?",
        r"gvcn(?: lop)?",
        r"giao vien chu nhiem(?: lop)?",
    ),
    _spec(
        "classes",
        "Lớp dạy",
        r"lop (?:day|giang day|phu trach)",
        r"cac lop (?:day|giang day)",
        r"phan cong(?: giang day)?",
        r"lop",
    ),
    _spec(
        "subjects",
        "Môn dạy",
        r"(?:cac )?mon(?: hoc)?(?: day| giang day| phu trach)?",
        r"bo mon",
        r"chuyen mon",
    ),
    _spec("roles", "Vai trò", r"vai tro", r"chuc vu", r"chuc danh"),
    _spec(
        "full_name",
        "Họ và tên",
        rf"{_NAME}(?: giao vien| gv| can bo| can bo giao vien)?",
        r"giao vien",
    ),
)

_SPACES = re.compile(r"[^0-9a-z]+")
_NUMBERING_CELL = re.compile(r"\(?[0-9]{1,2}\)?|\(?[a-z]\)?")


def fold_header(text: str) -> str:
    """'Họ và tên (*)' → 'ho va ten'; 'Mã định danh Bộ GD&ĐT' → 'ma dinh danh bo gd dt'."""
    return _SPACES.sub(" ", fold(text)).strip()


_COMPILED: dict[int, tuple[tuple[FieldSpec, re.Pattern[str]], ...]] = {}


def _compiled(fields: Sequence[FieldSpec]) -> tuple[tuple[FieldSpec, re.Pattern[str]], ...]:
    key = id(fields)
    compiled = _COMPILED.get(key)
    if compiled is None:
        compiled = tuple((f, re.compile(f.pattern)) for f in fields)
        _COMPILED[key] = compiled
    return compiled


def match_field(header: object, fields: Sequence[FieldSpec] = STUDENT_FIELDS) -> str | None:
    """The field key a header cell names, or None when it names none we know."""
    if not isinstance(header, str):
        return None
    folded = fold_header(header)
    if not folded:
        return None
    for spec, pattern in _compiled(fields):
        if pattern.fullmatch(folded):
            return spec.key
    return None


@dataclass(frozen=True)
class ColumnMatch:
    column: int  # 0-based position in the row
    header: str  # the header as written in the file
    field: str | None  # None: a column we do not import


@dataclass(frozen=True)
class HeaderMatch:
    row: int  # 1-based Excel row of the (last) header row
    columns: tuple[ColumnMatch, ...]

    def column_of(self, field: str) -> int | None:
        for match in self.columns:
            if match.field == field:
                return match.column
        return None

    @property
    def fields(self) -> frozenset[str]:
        return frozenset(m.field for m in self.columns if m.field)

    @property
    def unused(self) -> tuple[ColumnMatch, ...]:
        return tuple(m for m in self.columns if m.field is None)


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    return " ".join(str(value).split())


def _row_fields(row: Sequence[object], fields: Sequence[FieldSpec]) -> dict[int, str]:
    found: dict[int, str] = {}
    for i, value in enumerate(row):
        key = match_field(value, fields)
        if key is not None:
            found[i] = key
    return found


def _names_a_person(keys: set[str]) -> bool:
    return "full_name" in keys or "given_name" in keys


def is_numbering_row(row: Sequence[object]) -> bool:
    """A row under the header numbering the columns: "(1) (2) (3)…" or "A B C…"."""
    cells = [fold_header(str(v)) if not isinstance(v, int | float) else str(v) for v in row if v is not None]
    cells = [c for c in cells if c]
    return len(cells) >= 3 and all(_NUMBERING_CELL.fullmatch(c) for c in cells)


def find_header(
    rows: Sequence[Sequence[object]], fields: Sequence[FieldSpec] = STUDENT_FIELDS
) -> HeaderMatch | None:
    """Find the header among `rows` (the sheet's first rows, row 1 first); None if none.

    A candidate row must name a person's name column and at least one other known field;
    the best candidate names the most distinct fields (the earliest wins a tie).
    """
    best: tuple[int, int, dict[int, str]] | None = None  # (score, index, fields)
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        found = _row_fields(row, fields)
        keys = {k for k in found.values() if k != IGNORED}
        if len(keys) < 2 or not _names_a_person(keys):
            continue
        if best is None or len(keys) > best[0]:
            best = (len(keys), index, found)
    if best is None:
        return None
    _, index, found = best
    header_row = rows[index]
    header_texts = {i: _cell_text(v) for i, v in enumerate(header_row) if _cell_text(v)}
    last = index
    # A sub-header row: every non-empty cell names a field (e.g. "Nam" | "Nữ" under a
    # merged "Giới tính", or "Cha" | "Mẹ" under "Họ tên cha mẹ"). Its fields win.
    if index + 1 < len(rows):
        below = rows[index + 1]
        below_found = _row_fields(below, fields)
        below_texts = {i: _cell_text(v) for i, v in enumerate(below) if _cell_text(v)}
        if below_found and set(below_texts) == set(below_found):
            for i, key in below_found.items():
                found[i] = key
                header_texts[i] = below_texts[i]
            last = index + 1
    # A field named twice keeps its first column; later ones are reported as unused.
    seen: set[str] = set()
    columns: list[ColumnMatch] = []
    for i in sorted(header_texts):
        field: str | None = found.get(i)
        if field is not None and field != IGNORED:
            if field in seen:
                field = None
            else:
                seen.add(field)
        columns.append(ColumnMatch(column=i, header=header_texts[i], field=field))
    return HeaderMatch(row=last + 1, columns=tuple(columns))
