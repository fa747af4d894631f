"""What teachers type into a mark book cell, parsed into what is stored (pure, no database).

Every parser takes the raw text of one cell and returns the canonical stored text, or
None for an empty cell, or raises `EntryError` with a Vietnamese message saying what to
type instead. The mark book's item model calls these on every keystroke commit, and the
services call them again inside the write transaction, so the screen and the database
can never disagree about what is valid.

Decisions (Thông tư 22/2021 Điều 6–7: a score is on the 10-point scale, "số nguyên hoặc
số thập phân được lấy đến chữ số thập phân thứ nhất sau khi làm tròn số"):
- "7,5" and "7.5" are the same score: Vietnamese teachers write a decimal comma, English
  keyboards and Excel exports give a dot. Stored as "7.5"; whole scores as "8".
- "7,25" is refused, not rounded: the score in the mark book is the one already rounded
  by the teacher, and silently turning a typo ("7,25" for "7,5") into 7,3 would record a
  score nobody decided. The message names the rounded value so the fix is one retype.
- "10,5", negative numbers and anything that is not a number are refused with the reason.
- Comment-only subjects take Đ / CĐ, also typed without a Vietnamese keyboard ("d", "cd",
  Telex "dd", "cdd") or in words ("Đạt", "chưa đạt").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from typing import Final, Literal

from app.errors import UserFacingError
from app.rules.levels import normalize_code
from app.rules.scores import TENTH, rounded
from app.rules.vnsort import fold

__all__ = [
    "COLUMN_CK",
    "COLUMN_COMMENT",
    "COLUMN_GK",
    "MAX_COMMENT_CHARS",
    "MAX_TX_COLUMNS",
    "CellEntry",
    "CellProblem",
    "EntryError",
    "EntryProblems",
    "SecondaryKind",
    "column_label",
    "display_value",
    "parse_check",
    "parse_comment",
    "parse_integer_score",
    "parse_score",
    "parse_secondary_cell",
    "tx_column",
    "tx_index",
]

SecondaryKind = Literal["score", "comment"]

COLUMN_GK: Final = "gk"
COLUMN_CK: Final = "ck"
COLUMN_COMMENT: Final = "comment"
_TX_PREFIX: Final = "tx"
# Thông tư 22 sets a minimum of continuous assessments, not a maximum; ten columns is far
# more than any school records, and a bound keeps a pasted block from creating hundreds.
MAX_TX_COLUMNS: Final = 10
MAX_COMMENT_CHARS: Final = 4000

_NUMBER = re.compile(r"\d+(?:[.,]\d*)?|[.,]\d+")
_PASS_WORDS: Final = frozenset({"d", "dd", "dat"})
_FAIL_WORDS: Final = frozenset({"cd", "cdd", "chuadat", "khongdat"})
_SPACES = re.compile(r"\s+")


class EntryError(UserFacingError):
    """A value a teacher typed that cannot go into the cell; `message` says what to type."""


def tx_column(index: int) -> str:
    """The column key of the index-th continuous assessment, from 0: "tx1", "tx2", …"""
    return f"{_TX_PREFIX}{index + 1}"


def tx_index(column: str) -> int | None:
    """0-based position of a "txN" column key, or None for any other column."""
    if column.startswith(_TX_PREFIX) and column[len(_TX_PREFIX) :].isdigit():
        number = int(column[len(_TX_PREFIX) :])
        if 1 <= number <= MAX_TX_COLUMNS:
            return number - 1
    return None


def column_label(column: str) -> str:
    """How a column is named in messages: "TX2", "giữa kì", "cuối kì", "nhận xét"."""
    index = tx_index(column)
    if index is not None:
        return f"TX{index + 1}"
    return {
        COLUMN_GK: "giữa kì",
        COLUMN_CK: "cuối kì",
        COLUMN_COMMENT: "nhận xét",
        "level": "mức đánh giá",
        "test": "điểm kiểm tra",
    }.get(column, column)


def _clean(raw: str) -> str:
    # NFC, and no spaces at all inside a short code or number ("7 ,5", " CĐ ").
    return _SPACES.sub("", unicodedata.normalize("NFC", raw))


def _vn(value: Decimal) -> str:
    text = format(value, "f")
    return text.replace(".", ",")


def parse_score(raw: str) -> str | None:
    """A TT22 score 0–10 with at most one decimal → stored text ("8", "7.5"), or None if empty."""
    text = _clean(raw)
    if not text:
        return None
    if _NUMBER.fullmatch(text) is None:
        if text.startswith("-") and _NUMBER.fullmatch(text[1:]):
            raise EntryError("Điểm không được âm. Hãy nhập một số từ 0 đến 10.")
        if _check_code(text) is not None:
            raise EntryError(
                "Môn này đánh giá bằng điểm số, không nhập Đ/CĐ. "
                "Hãy nhập một số từ 0 đến 10, ví dụ 7 hoặc 7,5."
            )
        raise EntryError(
            f"“{raw.strip()}” không phải là điểm. Hãy nhập một số từ 0 đến 10, ví dụ 7 hoặc 7,5."
        )
    value = Decimal(text.replace(",", "."))
    if value > 10:
        raise EntryError(f"Điểm {_vn(value.normalize())} lớn hơn 10. Điểm chấm theo thang 10, từ 0 đến 10.")
    if value != value.quantize(TENTH):
        fixed = _vn(rounded(value))
        raise EntryError(
            f"Điểm chỉ lấy một chữ số sau dấu phẩy: {_vn(value)} làm tròn thành {fixed}. Hãy nhập {fixed}."
        )
    return _stored(value)


def _stored(value: Decimal) -> str:
    tenths = value.quantize(TENTH)
    if tenths == tenths.to_integral_value():
        return str(int(tenths))
    return format(tenths, "f")


def parse_integer_score(raw: str) -> int | None:
    """A primary (TT27) periodic test score: a whole number 0–10, or None if empty."""
    text = _clean(raw)
    if not text:
        return None
    if _NUMBER.fullmatch(text) is None:
        raise EntryError(f"“{raw.strip()}” không phải là điểm. Hãy nhập một số nguyên từ 0 đến 10, ví dụ 8.")
    value = Decimal(text.replace(",", "."))
    if value != value.to_integral_value():
        raise EntryError(
            "Điểm bài kiểm tra định kì ở tiểu học là số nguyên (Thông tư 27/2020), không có phần thập phân. "
            "Hãy nhập một số nguyên từ 0 đến 10."
        )
    if value > 10:
        raise EntryError(f"Điểm {int(value)} lớn hơn 10. Hãy nhập một số nguyên từ 0 đến 10.")
    return int(value)


def _check_code(text: str) -> str | None:
    key = fold(normalize_code(text)).replace(" ", "")
    if key in _PASS_WORDS:
        return "Đ"
    if key in _FAIL_WORDS:
        return "CĐ"
    return None


def parse_check(raw: str) -> str | None:
    """A comment-only subject's check: "Đ" (Đạt) or "CĐ" (Chưa đạt), or None if empty."""
    text = unicodedata.normalize("NFC", raw).strip()
    if not text:
        return None
    code = _check_code(text)
    if code is not None:
        return code
    if _NUMBER.fullmatch(_clean(text)):
        raise EntryError(
            "Môn này đánh giá bằng nhận xét, không cho điểm số. Hãy nhập Đ (Đạt) hoặc CĐ (Chưa đạt)."
        )
    raise EntryError(f"“{text}” không phải là mức đánh giá. Hãy nhập Đ (Đạt) hoặc CĐ (Chưa đạt).")


def parse_comment(raw: str) -> str | None:
    """A comment: NFC, trimmed; None if empty; refused when longer than a page."""
    text = unicodedata.normalize("NFC", raw).strip()
    if not text:
        return None
    if len(text) > MAX_COMMENT_CHARS:
        raise EntryError(
            f"Nhận xét dài {len(text)} ký tự, quá giới hạn {MAX_COMMENT_CHARS} ký tự. Hãy viết gọn lại."
        )
    return text


def parse_secondary_cell(kind: SecondaryKind, column: str, raw: str) -> str | None:
    """Parse one cell of a TT22 mark book: scores or Đ/CĐ in assessment columns, text in comments."""
    if column == COLUMN_COMMENT:
        return parse_comment(raw)
    if column not in (COLUMN_GK, COLUMN_CK) and tx_index(column) is None:
        raise EntryError(f"Cột “{column}” không nhập được.")
    return parse_check(raw) if kind == "comment" else parse_score(raw)


def display_value(stored: str | None) -> str:
    """Stored text as a teacher reads it: "7.5" → "7,5"; Đ/CĐ and comments unchanged."""
    if stored is None:
        return ""
    if stored[:1].isdigit():
        return stored.replace(".", ",")
    return stored


# ---------------------------------------------------------------------------- batches


@dataclass(frozen=True)
class CellEntry:
    """What was typed into one cell, before parsing."""

    student_id: int
    column: str
    raw_text: str


@dataclass(frozen=True)
class CellProblem:
    student_id: int
    column: str
    message: str


class EntryProblems(UserFacingError):
    """Some entries of a batch are invalid; nothing of the batch was written."""

    def __init__(self, message: str, problems: tuple[CellProblem, ...]) -> None:
        super().__init__(message)
        self.problems = problems
