"""Small helpers that turn values into Vietnamese text for explanations."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from decimal import Decimal

__all__ = ["join_and", "nfc", "vn_number", "vn_pass"]


def nfc(text: str) -> str:
    """NFC form of a name typed or imported by a user, so explanations are always NFC."""
    return unicodedata.normalize("NFC", text)


def vn_number(value: Decimal) -> str:
    """One-decimal number with the Vietnamese decimal comma: Decimal("9.4") → "9,4"."""
    return f"{value:.1f}".replace(".", ",")


def vn_pass(value: bool) -> str:
    """Result of a comment-only subject: "Đạt" or "Chưa đạt"."""
    return "Đạt" if value else "Chưa đạt"


def join_and(items: Iterable[str]) -> str:
    """"a", "a và b", "a, b và c" — the natural Vietnamese enumeration."""
    parts = list(items)
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " và " + parts[-1]
