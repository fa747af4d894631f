"""gettext-style translation usable from Qt-free layers.

Source strings are Vietnamese (the product's language). A second language is a JSON
catalogue in resources/i18n/<code>.json mapping each Vietnamese string to its
translation; a missing entry falls back to Vietnamese, so an incomplete catalogue never
hides text.
"""

from __future__ import annotations

import json
import unicodedata

from app.paths import resource

_catalogue: dict[str, str] = {}
_language = "vi"


def set_language(code: str) -> None:
    global _catalogue, _language
    if code == "vi":
        _catalogue = {}
    else:
        path = resource("i18n", f"{code}.json")
        raw = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        _catalogue = {unicodedata.normalize("NFC", k): v for k, v in raw.items()}
    _language = code


def language() -> str:
    return _language


def _(message: str) -> str:
    message = unicodedata.normalize("NFC", message)
    return _catalogue.get(message, message)
