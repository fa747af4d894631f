"""The English translation path: every `_()` literal in app/ui has an English entry, the
entries keep their placeholders and shortcuts, and the app really starts in English."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app import i18n
from app.paths import resource
from tests.conftest import ROOT

UI_ROOT = ROOT / "app" / "ui"
CATALOGUE = resource("i18n", "en.json")
_PLACEHOLDER = re.compile(r"\{(\w*)\}")


def _module_constants(tree: ast.Module) -> dict[str, str]:
    """NAME = "text" at module level: `_(NAME)` translates that text."""
    constants: dict[str, str] = {}
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    constants[target.id] = node.value.value
    return constants


def ui_literals() -> dict[str, str]:
    """Every string given to _() under app/ui, as a literal or a module constant → where."""
    found: dict[str, str] = {}
    for path in sorted(UI_ROOT.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        constants = _module_constants(tree)
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id == "_" and node.args):
                continue
            arg = node.args[0]
            text: str | None = None
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                text = arg.value
            elif isinstance(arg, ast.Name):
                text = constants.get(arg.id)
            if text is not None:
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                found.setdefault(unicodedata.normalize("NFC", text), where)
    # Texts translated where they are shown: the areas' titles and tooltips, the role names.
    from app.services.accounts import ROLE_NAMES
    from app.ui.areas import AREAS

    for area in AREAS:
        found.setdefault(area.title, f"app/ui/areas.py ({area.key})")
        found.setdefault(area.tooltip, f"app/ui/areas.py ({area.key})")
    for role in ROLE_NAMES.values():
        found.setdefault(role, "app/services/accounts.py ROLE_NAMES")
    return found


def catalogue() -> dict[str, str]:
    return i18n.load_catalogue("en")


def _mnemonics(text: str) -> int:
    """Single '&' (a keyboard shortcut); '&&' is a literal ampersand."""
    return len(re.findall(r"(?<!&)&(?!&)", text.replace("&&", "")))


@pytest.fixture
def english() -> Iterator[None]:
    i18n.set_language("en")
    try:
        yield
    finally:
        i18n.set_language("vi")


def test_the_scanner_finds_strings() -> None:
    found = ui_literals()
    assert "Đăng nhập" in found and "&Tệp" in found
    assert len(found) > 300


def test_every_ui_string_has_an_english_entry() -> None:
    entries = catalogue()
    missing = {text: where for text, where in ui_literals().items() if text not in entries}
    listing = "\n".join(f"  {where}: {text!r}" for text, where in sorted(missing.items(), key=lambda m: m[1]))
    assert not missing, f"{len(missing)} UI strings have no English entry in {CATALOGUE.name}:\n{listing}"


def test_entries_keep_placeholders_and_shortcuts() -> None:
    problems = []
    for source, english in catalogue().items():
        if unicodedata.normalize("NFC", source) != source:
            problems.append(f"key not NFC: {source!r}")
        if not english.strip():
            problems.append(f"empty translation: {source!r}")
        if set(_PLACEHOLDER.findall(source)) != set(_PLACEHOLDER.findall(english)):
            problems.append(f"placeholders differ: {source!r} → {english!r}")
        if _mnemonics(source) != _mnemonics(english):
            problems.append(f"shortcut '&' differs: {source!r} → {english!r}")
    assert not problems, "\n".join(problems)


def test_switching_language_translates(english: None) -> None:
    assert i18n.language() == "en"
    assert i18n._("Đăng nhập") == "Sign in"
    assert i18n._("&Tệp") == "&File"
    assert i18n._("Một câu chưa dịch") == "Một câu chưa dịch", "a missing entry falls back to Vietnamese"


def test_the_sign_in_dialog_in_english(
    english: None, ui_app: QApplication, qtbot: QtBot, demo_db_path: Path, artifacts_dir: Path
) -> None:
    from app.models.db import open_database
    from app.ui.login_dialog import LoginDialog

    db = open_database(demo_db_path)
    try:
        dialog = LoginDialog(db, school_name="Trường THCS Minh Khai (DEMO)", is_demo=True)
        qtbot.addWidget(dialog)
        dialog.resize(960, 620)
        dialog.show()
        qtbot.waitExposed(dialog)
        assert dialog.sign_in_button.text() == "Sign in"
        assert dialog.windowTitle() == "Học bạ số — Sign in"
        assert dialog.search.placeholderText() == "Type part of your name, or your login name"
        assert dialog.grab().save(str(artifacts_dir / "login_english.png"))
    finally:
        db.dispose()


@pytest.mark.slow
def test_the_app_starts_in_english_when_the_settings_say_so(
    demo_db_path: Path, tmp_path: Path, artifacts_dir: Path
) -> None:
    """The real start-up path in a child process: settings.json → language → every screen."""
    data_home = tmp_path / "xdg"
    settings_dir = data_home / "HocBaSo"
    settings_dir.mkdir(parents=True)
    (settings_dir / "settings.json").write_text(json.dumps({"language": "en"}), encoding="utf-8")
    env = {**os.environ, "XDG_DATA_HOME": str(data_home), "QT_QPA_PLATFORM": "offscreen"}
    out = artifacts_dir / "main_window_english.png"
    out.unlink(missing_ok=True)
    result = subprocess.run(
        [sys.executable, "-m", "app", "gui", "--db", str(demo_db_path), "--as", "admin",
         "--screenshot", str(out)],
        env=env, capture_output=True, text=True, timeout=120, cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert "interface language: en" in result.stderr
    assert "areas: Classes, Mark book" in result.stderr
    assert QImage(str(out)).width() > 0
