"""Reading assessment values as the database stores them (text: "7.5", "Đ", "CĐ").

One place for the parsing every read service needs, so a class page, a homeroom page and
a document never disagree about what a stored cell means.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation


def stored_score(value: str | None) -> Decimal | None:
    """A stored score as Decimal; None for an empty cell or text that is not a number."""
    if value is None or value == "":
        return None
    try:
        return Decimal(value)
    except InvalidOperation:
        return None


def stored_pass(value: str | None) -> bool | None:
    """A comment-only check: True for "Đ", False for anything else, None for empty."""
    if value is None or value == "":
        return None
    return value == "Đ"
