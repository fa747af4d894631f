"""Turning the rows of a student list into drafts, each with its own problems.

Everything here looks at the file only; what needs the database (does the class exist,
is the student already there) is checked in `excel_import`. A draft keeps both the clean
value that would be stored and the text as the file shows it, so the preview can put the
two side by side and point at the cell to fix.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from app.errors import UserFacingError
from app.rules.identity import SEX_FEMALE, SEX_MALE
from app.rules.vnsort import fold
from app.services.excel_headers import STUDENT_FIELDS, ColumnMatch
from app.services.excel_reader import SheetRow, read_table
from app.services.excel_values import (
    CellProblem,
    class_key,
    clean_text,
    display_text,
    parse_date,
    parse_flag,
    parse_national_id,
    parse_person_name,
    parse_sex,
    parse_student_code,
    split_parents,
)

__all__ = ["FIELD_LABELS", "ParsedStudents", "RowIssue", "StudentDraft", "parse_student_file"]

FIELD_LABELS: dict[str, str] = {spec.key: spec.label for spec in STUDENT_FIELDS}
FIELD_LABELS.update({"file": "Tệp", "row": "Dòng"})

# Longest text each column takes (the model's String lengths).
_MAX_LENGTH = {
    "full_name": 100,
    "student_code": 40,
    "hocba_code": 60,
    "ethnicity": 50,
    "nationality": 50,
    "place_of_birth": 200,
    "home_town": 200,
    "address": 300,
    "policy_status": 200,
    "father_name": 100,
    "mother_name": 100,
    "guardian_name": 100,
    "registration_number": 40,
    "class_name": 20,
}
_PLAIN_TEXT_FIELDS = (
    "hocba_code",
    "ethnicity",
    "nationality",
    "place_of_birth",
    "home_town",
    "address",
    "policy_status",
    "registration_number",
)
_PERSON_FIELDS = ("father_name", "mother_name", "guardian_name")


ErrorSink = Callable[[str, str], None]  # (field, message)


@dataclass(frozen=True)
class RowIssue:
    """A problem (or, in `notes`, a remark) about one row, or about the file (row None)."""

    row: int | None
    field: str
    message: str

    def to_json(self) -> dict[str, object]:
        return {"row": self.row, "field": self.field, "message": self.message}


@dataclass(frozen=True)
class StudentDraft:
    row: int
    full_name: str | None = None
    date_of_birth: date | None = None
    sex: int | None = None
    national_id: str | None = None
    student_code: str | None = None
    class_name: str | None = None
    hocba_code: str | None = None
    ethnicity: str | None = None
    nationality: str | None = None
    place_of_birth: str | None = None
    home_town: str | None = None
    address: str | None = None
    policy_status: str | None = None
    father_name: str | None = None
    mother_name: str | None = None
    guardian_name: str | None = None
    registration_number: str | None = None
    # The cells as the file shows them, for the preview: field → text.
    shown: Mapping[str, str] = field(default_factory=dict)
    errors: tuple[RowIssue, ...] = ()
    notes: tuple[RowIssue, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors

    def error_fields(self) -> frozenset[str]:
        return frozenset(e.field for e in self.errors)

    def note_fields(self) -> frozenset[str]:
        return frozenset(n.field for n in self.notes)


@dataclass(frozen=True)
class ParsedStudents:
    file_name: str
    file_sha256: str
    sheet: str
    header_row: int
    columns: tuple[ColumnMatch, ...]
    drafts: tuple[StudentDraft, ...]
    warnings: tuple[RowIssue, ...]
    footer_rows: tuple[int, ...]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def parse_student_file(
    path: Path,
    *,
    today: date,
    class_name: str | None = None,
    sheet: str | None = None,
    department_code: str | None = None,
) -> ParsedStudents:
    """Read and check a student list file, without the database. Raises UserFacingError
    when the file cannot be read at all (not found, not .xlsx, no header)."""
    table = read_table(path, STUDENT_FIELDS, sheet=sheet, what="học sinh")
    fields = table.header.fields
    warnings: list[RowIssue] = []
    unused = [m.header for m in table.header.unused]
    if unused:
        warnings.append(
            RowIssue(
                table.header.row,
                "file",
                "Các cột sau không được nhập vì chương trình không dùng đến: "
                + ", ".join(f"“{h}”" for h in unused)
                + ".",
            )
        )
    if "class_name" not in fields and class_name is None:
        warnings.append(
            RowIssue(
                None,
                "class_name",
                "Tệp không có cột “Lớp”. Hãy chọn lớp để nhập danh sách vào, hoặc thêm cột “Lớp” vào tệp.",
            )
        )
    if not table.rows:
        raise UserFacingError(
            f"Trang “{table.sheet}” của tệp {table.file_name} không có dòng học sinh nào dưới dòng tiêu đề "
            f"(dòng {table.header.row}). Hãy kiểm tra lại tệp.",
            field="file",
        )
    reader = _RowReader(fields=fields, today=today, class_name=class_name, department_code=department_code)
    drafts = [reader.read(row) for row in table.rows]
    if reader.parents_unsplit:
        warnings.append(
            RowIssue(
                None,
                "parents",
                f"Cột “Họ tên cha/mẹ” có {reader.parents_unsplit} dòng chỉ ghi một tên, không biết là cha "
                "hay mẹ nên chưa nhập tên đó. Hãy bổ sung trong hồ sơ học sinh, hoặc tách thành hai cột "
                "“Họ tên cha” và “Họ tên mẹ” rồi nhập lại.",
            )
        )
    return ParsedStudents(
        file_name=table.file_name,
        file_sha256=_sha256(path),
        sheet=table.sheet,
        header_row=table.header.row,
        columns=table.header.columns,
        drafts=_mark_file_duplicates(drafts),
        warnings=tuple(warnings),
        footer_rows=table.footer_rows,
    )


@dataclass
class _RowReader:
    fields: frozenset[str]
    today: date
    class_name: str | None
    department_code: str | None
    parents_unsplit: int = 0

    def read(self, sheet_row: SheetRow) -> StudentDraft:
        row, cells = sheet_row.row, sheet_row.values
        errors: list[RowIssue] = []
        notes: list[RowIssue] = []
        values: dict[str, object] = {}
        shown = {key: display_text(value) for key, value in cells.items()}

        def error(key: str, message: str) -> None:
            errors.append(RowIssue(row, key, message))

        def note(key: str, message: str) -> None:
            notes.append(RowIssue(row, key, message))

        name, recased = self._name(cells)
        if name is None:
            error("full_name", "Thiếu họ và tên học sinh. Hãy điền họ và tên đầy đủ.")
        else:
            values["full_name"] = name
            shown.setdefault("full_name", name)
            if recased:
                note("full_name", f"Họ tên viết hoa toàn bộ trong tệp; sẽ lưu là “{name}”.")
            if fold(name) == name.casefold():
                note("full_name", "Họ tên không có dấu. Hãy kiểm tra lại theo giấy khai sinh.")

        dob = None
        if "date_of_birth" not in cells:
            error(
                "date_of_birth",
                "Thiếu ngày sinh. Hãy điền ngày sinh theo dạng ngày/tháng/năm, ví dụ 05/09/2014.",
            )
        else:
            try:
                dob = parse_date(cells["date_of_birth"], today=self.today)
                values["date_of_birth"] = dob
            except CellProblem as exc:
                error("date_of_birth", exc.message)

        sex = self._sex(cells, error)
        if sex is not None:
            values["sex"] = sex
            shown["sex"] = "Nữ" if sex == SEX_FEMALE else "Nam"

        reading = parse_national_id(cells.get("national_id"), date_of_birth=dob, sex=sex, today=self.today)
        for message in reading.problems:
            error("national_id", message)
        if reading.value is not None:
            values["national_id"] = reading.value
            shown["national_id"] = reading.value
            if reading.restored_zeros and not reading.problems:
                note(
                    "national_id",
                    "Số định danh trong tệp bị mất số 0 ở đầu (ô định dạng kiểu số); đã khôi phục đủ "
                    "12 chữ số.",
                )
        elif not reading.problems:
            note(
                "national_id",
                "Chưa có số định danh: hồ sơ được lưu tạm, cần bổ sung số định danh trước khi ký học bạ.",
            )

        code, restored = parse_student_code(cells.get("student_code"), self.department_code)
        if code is not None:
            values["student_code"] = code
            shown["student_code"] = code
            if restored:
                note("student_code", "Mã học sinh bị mất số 0 ở đầu (ô định dạng kiểu số); đã khôi phục.")
        else:
            note("student_code", "Chưa có mã học sinh; chương trình sẽ tạo mã tạm của trường.")

        self._class(cells, values, shown, error)
        for key in _PLAIN_TEXT_FIELDS:
            text = clean_text(cells.get(key))
            if text is not None:
                values[key] = text
        for key in _PERSON_FIELDS:
            person, _ = parse_person_name(cells.get(key))
            if person is not None:
                values[key] = person
        self._parents(cells, values)
        for key, limit in _MAX_LENGTH.items():
            stored = values.get(key)
            if isinstance(stored, str) and len(stored) > limit:
                error(key, f"{FIELD_LABELS.get(key, key)} dài quá {limit} kí tự. Hãy rút gọn lại.")
        return StudentDraft(row=row, shown=shown, errors=tuple(errors), notes=tuple(notes), **values)  # type: ignore[arg-type]

    def _name(self, cells: Mapping[str, object]) -> tuple[str | None, bool]:
        if "full_name" in self.fields:
            return parse_person_name(cells.get("full_name"))
        given, recased_given = parse_person_name(cells.get("given_name"))
        family, recased_family = parse_person_name(cells.get("family_middle"))
        if given is None:
            return None, False
        if family is None:
            return given, recased_given
        return f"{family} {given}", recased_given or recased_family

    def _sex(self, cells: Mapping[str, object], error: ErrorSink) -> int | None:
        if "sex" in cells:
            try:
                return parse_sex(cells["sex"])
            except CellProblem as exc:
                error("sex", exc.message)
                return None
        has_female, has_male = "female_flag" in self.fields, "male_flag" in self.fields
        if not (has_female or has_male):
            error("sex", "Thiếu giới tính. Hãy ghi Nam hoặc Nữ.")
            return None
        try:
            female = parse_flag(cells.get("female_flag"), "Nữ") if has_female else None
            male = parse_flag(cells.get("male_flag"), "Nam") if has_male else None
        except CellProblem as exc:
            error("sex", exc.message)
            return None
        if female and male:
            error("sex", "Cả cột “Nam” và cột “Nữ” đều được đánh dấu. Hãy chỉ đánh dấu một cột.")
            return None
        if female or (has_male and male is False and not has_female):
            return SEX_FEMALE
        if male or (has_female and female is False and not has_male):
            return SEX_MALE
        error("sex", "Chưa đánh dấu cột “Nam” hay cột “Nữ”. Hãy đánh dấu x vào một trong hai cột.")
        return None

    def _class(
        self, cells: Mapping[str, object], values: dict[str, object], shown: dict[str, str], error: ErrorSink
    ) -> None:
        in_file = clean_text(cells.get("class_name"))
        if (
            in_file is not None
            and self.class_name is not None
            and class_key(in_file) != class_key(self.class_name)
        ):
            error(
                "class_name",
                f"Dòng này ghi lớp “{in_file}”, khác lớp đang nhập ({self.class_name}). "
                "Hãy sửa lại cột “Lớp” hoặc chọn nhập theo cột “Lớp” trong tệp.",
            )
        chosen = in_file or self.class_name
        if chosen is None:
            if "class_name" in self.fields:
                error("class_name", "Thiếu tên lớp. Hãy điền cột “Lớp”.")
            else:
                error("class_name", "Chưa chọn lớp để nhập vào và tệp không có cột “Lớp”.")
            return
        values["class_name"] = chosen
        shown["class_name"] = chosen

    def _parents(self, cells: Mapping[str, object], values: dict[str, object]) -> None:
        raw = cells.get("parents")
        if not isinstance(raw, str) or not raw.strip():
            return
        pair = split_parents(raw)
        if pair is None:
            self.parents_unsplit += 1
            return
        father, mother = (parse_person_name(p)[0] for p in pair)
        values.setdefault("father_name", father)
        values.setdefault("mother_name", mother)


def _mark_file_duplicates(drafts: list[StudentDraft]) -> tuple[StudentDraft, ...]:
    """Second and later rows repeating a student already earlier in the file get an error."""
    first_by: dict[tuple[str, object], int] = {}
    result: list[StudentDraft] = []
    for draft in drafts:
        extra: list[RowIssue] = []
        keys: list[tuple[str, str, object]] = []
        if draft.national_id and len(draft.national_id) == 12:
            keys.append(("national_id", "cùng số định danh", draft.national_id))
        if draft.student_code:
            keys.append(("student_code", "cùng mã học sinh", draft.student_code))
        if draft.hocba_code:
            keys.append(("hocba_code", "cùng mã học bạ", draft.hocba_code))
        if draft.full_name and draft.date_of_birth and draft.class_name:
            person = (fold(draft.full_name), draft.date_of_birth, class_key(draft.class_name))
            keys.append(("full_name", "cùng họ tên, ngày sinh và lớp", person))
        for key, why, value in keys:
            earlier = first_by.get((key, value))
            if earlier is None:
                first_by[(key, value)] = draft.row
            else:
                extra.append(
                    RowIssue(
                        draft.row,
                        key,
                        f"Học sinh bị trùng: {why} với dòng {earlier}. Hãy xoá dòng thừa hoặc sửa lại "
                        "cho đúng.",
                    )
                )
        if extra:
            draft = _with_errors(draft, extra)
        result.append(draft)
    return tuple(result)


def _with_errors(draft: StudentDraft, extra: list[RowIssue]) -> StudentDraft:
    return replace(draft, errors=draft.errors + tuple(extra))
