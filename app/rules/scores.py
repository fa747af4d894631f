"""Exact decimal arithmetic for scores: validation and half-up rounding to one decimal.

Thông tư 22/2021 rounds every score and average to one decimal, half up. Binary floats
cannot represent most tenths (6.45 is stored as 6.4499999…), so a float pipeline rounds
some averages the wrong way; everything here is Decimal, with a private context so a
caller changing the thread's decimal context cannot change a student's result.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from decimal import (
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
    localcontext,
)
from typing import Final

from app.rules.errors import RuleInputError

__all__ = [
    "MAX_SCORE",
    "MIN_SCORE",
    "RULES_CONTEXT",
    "TENTH",
    "check_score",
    "rounded",
    "rules_context",
]

TENTH: Final = Decimal("0.1")
MIN_SCORE: Final = Decimal(0)
MAX_SCORE: Final = Decimal(10)

# 28 significant digits is far more than a weighted mean of at most a few dozen
# one-decimal scores needs, so the only rounding that ever matters is the explicit one.
RULES_CONTEXT: Final = Context(
    prec=28,
    rounding=ROUND_HALF_UP,
    traps=[InvalidOperation, DivisionByZero, Overflow],
)


def rules_context() -> AbstractContextManager[Context]:
    """A context manager that runs the enclosed arithmetic in RULES_CONTEXT."""
    return localcontext(RULES_CONTEXT)


def rounded(value: Decimal) -> Decimal:
    """Round to one decimal, half up (6.45 → 6.5, 6.44 → 6.4), as the Thông tư requires."""
    return value.quantize(TENTH, rounding=ROUND_HALF_UP, context=RULES_CONTEXT)


# The 101 valid scores 0.0 … 10.0. Decimal hashes by numeric value, so 7.5, 7.50 and
# Decimal(7) all find their entry: one set lookup replaces the range and decimals checks
# on the hot path (a school evaluates a few hundred thousand scores at a time).
_VALID_SCORES: Final = frozenset(Decimal(n) / 10 for n in range(101))


def check_score(value: object, field: str, *, what: str = "Điểm") -> Decimal:
    """Return ``value`` as a Decimal score, or raise RuleInputError naming ``field``.

    A score is a number from 0 to 10 with at most one decimal (Thông tư 22/2021,
    Điều 6–7: scores are on a 10-point scale, rounded to one decimal). ``int`` is accepted
    because it is exact; ``float`` is refused so binary rounding can never leak in.
    """
    if type(value) is Decimal and not value.is_snan() and value in _VALID_SCORES:
        return value  # the common case; a signalling NaN cannot even be hashed
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        if isinstance(value, float):
            raise RuleInputError(
                field,
                f"{what} phải là số thập phân chính xác (Decimal), "
                "không dùng số thực nhị phân (float).",
            )
        raise RuleInputError(field, f"{what} phải là một số từ 0 đến 10, nhận được {value!r}.")
    score = Decimal(value) if isinstance(value, int) else value
    if not score.is_finite():
        raise RuleInputError(field, f"{what} phải là một số hữu hạn từ 0 đến 10.")
    if score < MIN_SCORE or score > MAX_SCORE:
        raise RuleInputError(field, f"{what} {_plain(score)} nằm ngoài thang điểm 0–10.")
    if score != score.quantize(TENTH, context=RULES_CONTEXT):
        raise RuleInputError(
            field,
            f"{what} {_plain(score)} có quá một chữ số thập phân "
            "(điểm chỉ lấy đến một chữ số sau dấu phẩy).",
        )
    return score


def _plain(value: Decimal) -> str:
    # Error messages show the number the way a Vietnamese teacher writes it.
    return format(value, "f").replace(".", ",")
