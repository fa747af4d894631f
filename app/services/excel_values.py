"""Reading one spreadsheet cell into a clean value, or a Vietnamese message saying why not.

Cells arrive as whatever openpyxl found: text typed by hand (in any Unicode form, with
stray and non-breaking spaces), numbers where text was meant (identification numbers and
student codes that lost their leading zeros), real Excel dates, or dates typed as text in
any of the ways Vietnamese users write them ("05/09/2014", "5-9-2014", "2014-09-05",
"ngày 5 tháng 9 năm 2014").
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

from openpyxl.utils.datetime import from_excel

from app.rules.identity import SEX_FEMALE, SEX_MALE, check_national_id, normalise_national_id
from app.rules.vnsort import fold

__all__ = [
    "CellProblem",
    "IdReading",
    "class_key",
    "clean_text",
    "display_text",
    "parse_date",
    "parse_flag",
    "parse_national_id",
    "parse_person_name",
    "parse_sex",
    "parse_student_code",
    "split_parents",
]

# Invisible characters that copy-paste from web pages and Word leaves inside cells.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
_DATE_EXAMPLE = "Hãy ghi theo dạng ngày/tháng/năm, ví dụ 05/09/2014, hoặc định dạng ô là ngày tháng."
# Excel's date serials: 1 is 1900-01-01, 2958465 is 9999-12-31.
_MAX_SERIAL = 2_958_465
_OLDEST_YEAR = 1900


class CellProblem(ValueError):
    """A cell that cannot be read; `message` is the Vietnamese sentence for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def display_text(value: object) -> str:
    """A cell as the preview shows it ("" for empty): dates as dd/mm/yyyy, 12.0 as 12."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, bool):
        return "x" if value else ""
    if isinstance(value, float) and value.is_integer() and math.isfinite(value):
        return str(int(value))
    return clean_text(value) or ""


def clean_text(value: object) -> str | None:
    """NFC text with invisible characters dropped and whitespace collapsed; None if blank."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer() and math.isfinite(value):
        value = int(value)
    if isinstance(value, datetime | date):
        return display_text(value)
    text = unicodedata.normalize("NFC", str(value)).translate(_INVISIBLE)
    text = " ".join(text.split())
    return text or None


def parse_person_name(value: object) -> tuple[str | None, bool]:
    """(name, recased): a name written all in capitals becomes "Nguyễn Văn An".

    Exports of the provincial database often write names in capitals; the học bạ and
    every list write them in title case. str.title also capitalises after an apostrophe,
    which is right for names such as "H'Hen Niê".
    """
    text = clean_text(value)
    if text is None:
        return None, False
    letters = [ch for ch in text if ch.isalpha()]
    if len(letters) > 1 and all(ch.isupper() for ch in letters):
        return text.title(), True
    return text, False


# --------------------------------------------------------------------------- dates

_DMY = re.compile(r"(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{2}|\d{4})")
_YMD = re.compile(r"(\d{4})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{1,2})")
_WORDS = re.compile(r"(?:ngay\s*)?(\d{1,2})\s*thang\s*(\d{1,2})\s*nam\s*(\d{4})")
_YEAR_ONLY = re.compile(r"\d{4}")
_ISO_TIME = re.compile(r"(\d{4}-\d{2}-\d{2})[ t]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?")


def parse_date(value: object, *, today: date) -> date:
    """A date of birth from a real Excel date, a date serial number or text; raises CellProblem."""
    if isinstance(value, datetime):
        result = value.date()
    elif isinstance(value, date):
        result = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        result = _from_serial(value)
    elif isinstance(value, str):
        result = _from_text(value)
    else:
        raise CellProblem(f"Không đọc được ngày sinh. {_DATE_EXAMPLE}")
    if result > today:
        raise CellProblem(f"Ngày sinh {result:%d/%m/%Y} nằm trong tương lai. Hãy kiểm tra lại ngày sinh.")
    if result.year < _OLDEST_YEAR:
        raise CellProblem(f"Ngày sinh {result:%d/%m/%Y} không hợp lý. Hãy kiểm tra lại năm sinh.")
    return result


def _from_serial(value: float) -> date:
    if not math.isfinite(value) or not 1 <= value <= _MAX_SERIAL:
        raise CellProblem(f"Ô ngày sinh chứa số {display_text(value)}, không phải ngày. {_DATE_EXAMPLE}")
    converted = from_excel(value)
    if isinstance(converted, datetime):
        return converted.date()
    if isinstance(converted, date):
        return converted
    raise CellProblem(f"Ô ngày sinh chứa số {display_text(value)}, không phải ngày. {_DATE_EXAMPLE}")


def _from_text(raw: str) -> date:
    text = clean_text(raw) or ""
    if not text:
        raise CellProblem("Chưa có ngày sinh.")
    folded = fold(text)
    iso = _ISO_TIME.fullmatch(folded)
    if iso:
        folded = iso.group(1)
    match = _YMD.fullmatch(folded)
    if match:
        year, month, day = (int(g) for g in match.groups())
        return _make_date(day, month, year, text)
    match = _DMY.fullmatch(folded) or _WORDS.fullmatch(folded)
    if match:
        day_text, month_text, year_text = match.groups()
        if len(year_text) == 2:
            raise CellProblem(
                f"Ngày sinh “{text}” chỉ ghi hai chữ số của năm. Hãy ghi năm đủ bốn chữ số, ví dụ 05/09/2014."
            )
        return _make_date(int(day_text), int(month_text), int(year_text), text)
    if _YEAR_ONLY.fullmatch(folded):
        raise CellProblem(f"Ngày sinh “{text}” chỉ có năm. Hãy ghi đủ ngày, tháng và năm, ví dụ 05/09/2014.")
    raise CellProblem(f"Không đọc được ngày sinh “{text}”. {_DATE_EXAMPLE}")


def _make_date(day: int, month: int, year: int, text: str) -> date:
    if not 1 <= month <= 12:
        raise CellProblem(f"Ngày sinh “{text}” có tháng {month}, không có tháng này. {_DATE_EXAMPLE}")
    try:
        return date(year, month, day)
    except ValueError:
        raise CellProblem(
            f"Ngày sinh “{text}” không có thật (tháng {month} năm {year} không có ngày {day}). "
            "Hãy kiểm tra lại ngày sinh."
        ) from None


# --------------------------------------------------------------------------- sex


_MALE_WORDS = frozenset({"nam", "trai", "m", "male"})
_FEMALE_WORDS = frozenset({"nu", "gai", "f", "female"})
_YES_WORDS = frozenset(
    {"x", "v", "1", "co", "nu", "nam", "yes", "true", "\u2713", "\u2714", "\u2715", "\u2717"}
)
_NO_WORDS = frozenset({"0", "khong", "no", "false", "-"})


def parse_sex(value: object) -> int:
    """1 (Nam) or 2 (Nữ) from "Nam", "NỮ", "nu", "Trai"…; raises CellProblem."""
    text = clean_text(value)
    if text is None:
        raise CellProblem("Chưa có giới tính. Hãy ghi Nam hoặc Nữ.")
    word = fold(text)
    if word in _MALE_WORDS:
        return SEX_MALE
    if word in _FEMALE_WORDS:
        return SEX_FEMALE
    raise CellProblem(f"Giới tính “{text}” không rõ là nam hay nữ. Hãy ghi Nam hoặc Nữ.")


def parse_flag(value: object, column: str) -> bool:
    """A tick column ("Nữ" with x): True for x/1/có/✓, False for an empty cell or 0/không."""
    if isinstance(value, bool):
        return value
    text = clean_text(value)
    if text is None:
        return False
    word = fold(text)
    if word in _YES_WORDS:
        return True
    if word in _NO_WORDS:
        return False
    raise CellProblem(f"Cột “{column}” ghi “{text}”; cột này chỉ nên đánh dấu x (có) hoặc để trống (không).")


# --------------------------------------------------------------------------- identifiers


@dataclass(frozen=True)
class IdReading:
    value: str | None  # normalised (what will be stored), None when the cell is empty
    restored_zeros: bool  # leading zeros were put back (the cell held a number)
    problems: tuple[str, ...]  # Vietnamese messages; empty when the number is valid


def parse_national_id(
    value: object, *, date_of_birth: date | None, sex: int | None, today: date
) -> IdReading:
    """Normalise and check an identification number from a cell.

    Numbers that lost their leading zeros (the cell was formatted as a number) get them
    back, which `normalise_national_id` does only for 10 or 11 digits (see its reasons).
    """
    if isinstance(value, str) and not value.strip():
        value = None
    try:
        normalised = normalise_national_id(value, restore_leading_zeros=True)
    except (TypeError, ValueError):
        return IdReading(
            None,
            False,
            (
                f"Ô số định danh chứa “{display_text(value)}”, không phải một dãy chữ số. "
                "Số định danh cá nhân gồm đúng 12 chữ số; hãy định dạng ô là Văn bản (Text) và nhập lại.",
            ),
        )
    if normalised is None:
        return IdReading(None, False, ())
    plain = normalise_national_id(value)
    restored = plain is not None and plain != normalised
    check = check_national_id(normalised, date_of_birth, sex, today=today)
    return IdReading(normalised, restored, tuple(p.message for p in check.problems))


def parse_student_code(value: object, department_code: str | None) -> tuple[str | None, bool]:
    """(code, restored): the sector student code as text.

    Codes begin with the two-digit code of the provincial department; "01…" (Hà Nội) turns
    into a nine-digit number in a cell formatted as a number. When the cell held a number
    and putting the zero back gives the school's department code, it is put back.
    """
    if isinstance(value, bool):
        return clean_text(str(value)), False
    if isinstance(value, int | float) and math.isfinite(value) and float(value).is_integer():
        digits = str(int(value))
        if (
            department_code
            and department_code.startswith("0")
            and len(digits) == 9
            and ("0" + digits).startswith(department_code)
        ):
            return "0" + digits, True
        return digits, False
    return clean_text(value), False


def split_parents(text: str) -> tuple[str, str] | None:
    """'Nguyễn Văn Bình / Trần Thị Lan' → (father, mother); None when it names one person."""
    parts = [p.strip() for p in re.split(r"\s*(?:/|;|\n|\s-\s|\s–\s|,)\s*", text) if p.strip()]
    if len(parts) != 2:
        return None
    return parts[0], parts[1]


def class_key(name: str) -> str:
    """A class name for comparing: 'Lớp 6 A1' → '6a1', '6a1' → '6a1'."""
    folded = fold(name)
    folded = re.sub(r"^lop\s*", "", folded)
    return re.sub(r"[^0-9a-z]+", "", folded)
