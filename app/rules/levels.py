"""Result levels of Thông tư 22/2021 (Tốt / Khá / Đạt / Chưa đạt) and their ordering."""

from __future__ import annotations

import unicodedata
from enum import Enum

from app.rules.errors import RuleInputError

__all__ = ["Level", "RuleInputError", "normalize_code"]


def normalize_code(value: str) -> str:
    """NFC-normalise and trim a short code typed or imported by a user.

    U+00D0 (Icelandic eth, "Ð") looks exactly like U+0110 ("Đ") and turns up in data
    pasted from spreadsheets, so it is mapped to "Đ" rather than rejected.
    """
    return unicodedata.normalize("NFC", value).strip().replace("\u00d0", "\u0110")


class Level(Enum):
    """A secondary-school result level (conduct or learning), totally ordered CĐ < Đ < K < T.

    The values are the codes used in the national data schema (``canam``: T/K/Đ/CĐ).
    """

    CHUA_DAT = "CĐ"
    DAT = "Đ"
    KHA = "K"
    TOT = "T"

    @property
    def rank(self) -> int:
        """0 for Chưa đạt … 3 for Tốt; differences of ranks count "levels"."""
        return _RANK[self]

    @property
    def label(self) -> str:
        """The Vietnamese name shown to users."""
        return _LABEL[self]

    @classmethod
    def from_rank(cls, rank: int) -> Level:
        """The level with the given rank, clamped to the scale."""
        return _BY_RANK[max(0, min(3, rank))]

    @classmethod
    def parse(cls, value: object, field: str) -> Level:
        """Read a level code ("T", "K", "Đ", "CĐ"; NFC or NFD) or raise RuleInputError."""
        if isinstance(value, Level):
            return value
        if isinstance(value, str):
            found = _BY_CODE.get(normalize_code(value))
            if found is not None:
                return found
        raise RuleInputError(
            field,
            f"Mức đánh giá không hợp lệ: {value!r}. "
            "Chỉ nhận T (Tốt), K (Khá), Đ (Đạt) hoặc CĐ (Chưa đạt).",
        )

    # Enum members compare by identity only; the rules need "at least Đạt" etc.
    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Level):
            return NotImplemented
        return _RANK[self] < _RANK[other]

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Level):
            return NotImplemented
        return _RANK[self] <= _RANK[other]

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Level):
            return NotImplemented
        return _RANK[self] > _RANK[other]

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Level):
            return NotImplemented
        return _RANK[self] >= _RANK[other]


_RANK: dict[Level, int] = {Level.CHUA_DAT: 0, Level.DAT: 1, Level.KHA: 2, Level.TOT: 3}
_BY_RANK: dict[int, Level] = {rank: level for level, rank in _RANK.items()}
_BY_CODE: dict[str, Level] = {level.value: level for level in Level}
_LABEL: dict[Level, str] = {
    Level.CHUA_DAT: "Chưa đạt",
    Level.DAT: "Đạt",
    Level.KHA: "Khá",
    Level.TOT: "Tốt",
}
