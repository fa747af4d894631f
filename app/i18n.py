"""gettext-style translation usable from Qt-free layers.

Source strings are Vietnamese (the product's language). A second language is a JSON
catalogue in resources/i18n/<code>.json mapping each Vietnamese string to its
translation; a missing entry falls back to Vietnamese, so an incomplete catalogue never
hides text. A catalogue may be split: entries in resources/i18n/<code>.d/*.json are merged
over <code>.json, so each area's screens keep their strings in their own file and several
people can add screens without editing one shared file.
"""

from __future__ import annotations

import json
import unicodedata

from app.paths import resource

_catalogue: dict[str, str] = {}
_language = "vi"


def load_catalogue(code: str) -> dict[str, str]:
    """The whole catalogue of one language: <code>.json, then <code>.d/*.json in name order."""
    main = resource("i18n", f"{code}.json")
    parts = [main] if main.exists() else []
    parts += sorted(resource("i18n", f"{code}.d").glob("*.json"))
    merged: dict[str, str] = {}
    for path in parts:
        raw = json.loads(path.read_text(encoding="utf-8"))
        merged.update({unicodedata.normalize("NFC", k): v for k, v in raw.items()})
    return merged


def set_language(code: str) -> None:
    global _catalogue, _language
    _catalogue = {} if code == "vi" else load_catalogue(code)
    _language = code


def language() -> str:
    return _language


def _(message: str) -> str:
    message = unicodedata.normalize("NFC", message)
    return _catalogue.get(message, message)
