"""The settings page: saved to settings.json at once, announced to the session, admin-only
machine settings, the About section; screenshots to look at."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app import __version__, config
from app.models.db import Database
from app.services.access import SYSTEM, Actor
from app.ui.context import UiContext
from app.ui.pages.settings_page import SettingsPage
from app.ui.reads import read_overview
from tests.ui.accounts_helpers import actor, subject_teacher_login

pytestmark = pytest.mark.qt


def _page(qtbot: QtBot, db: Database, who: Actor, data_dir: Path) -> SettingsPage:
    context = UiContext(db=db, actor=who, overview=read_overview(db, who), database_path=db.path,
                        data_dir=data_dir)
    page = SettingsPage(context)
    qtbot.addWidget(page)
    page.resize(1100, 900)
    page.show()
    qtbot.waitExposed(page)
    return page


def _saved(data_dir: Path) -> dict[str, object]:
    return dict(json.loads((data_dir / config.SETTINGS_FILE).read_text(encoding="utf-8")))


def test_language_is_saved_and_announced(
    ui_app: QApplication, qtbot: QtBot, demo_db: Database, tmp_path: Path, artifacts_dir: Path
) -> None:
    page = _page(qtbot, demo_db, SYSTEM, tmp_path)
    assert page.language_combo.currentData() == "vi"
    assert page.grab().save(str(artifacts_dir / "settings_page.png"))
    with qtbot.waitSignal(page.settings_changed) as signal:
        page.language_combo.setCurrentIndex(page.language_combo.findData("en"))
    assert signal.args[0].language == "en"
    assert _saved(tmp_path)["language"] == "en"
    assert config.load(tmp_path).language == "en"


def test_admin_sets_the_idle_lock(
    ui_app: QApplication, qtbot: QtBot, demo_db: Database, tmp_path: Path
) -> None:
    page = _page(qtbot, demo_db, actor(demo_db, "admin"), tmp_path)
    assert page.idle_spin.isEnabled() and page.idle_off.isEnabled()
    assert page.idle_spin.value() == config.Settings().idle_lock_minutes
    with qtbot.waitSignal(page.settings_changed) as signal:
        page.idle_spin.setValue(3)
    assert signal.args[0].idle_lock_minutes == 3 and _saved(tmp_path)["idle_lock_minutes"] == 3
    page.idle_off.setChecked(True)
    assert _saved(tmp_path)["idle_lock_minutes"] == 0 and not page.idle_spin.isEnabled()
    page.idle_off.setChecked(False)
    assert _saved(tmp_path)["idle_lock_minutes"] == 3


def test_teachers_see_machine_settings_read_only(
    ui_app: QApplication, qtbot: QtBot, demo_db: Database, tmp_path: Path, artifacts_dir: Path
) -> None:
    teacher = actor(demo_db, subject_teacher_login(demo_db))
    page = _page(qtbot, demo_db, teacher, tmp_path)
    assert page.language_combo.isEnabled(), "anyone may choose the language"
    for widget in (page.idle_spin, page.idle_off, page.add_module_button, page.find_modules_button,
                   page.remove_module_button):
        assert not widget.isEnabled()
    assert page.grab().save(str(artifacts_dir / "settings_page_teacher.png"))


def test_token_module_paths_are_kept_for_signing(
    ui_app: QApplication, qtbot: QtBot, demo_db: Database, tmp_path: Path
) -> None:
    page = _page(qtbot, demo_db, SYSTEM, tmp_path)
    vendor = r"C:\Windows\System32\vnpt-ca_csp11.dll"
    assert page.add_module_paths([vendor, "/usr/lib/libx.so"]) == 2
    assert page.add_module_paths(["/usr/lib/libx.so"]) == 0, "no duplicates"
    assert config.load(tmp_path).pkcs11_modules == (vendor, "/usr/lib/libx.so")
    page.module_list.setCurrentRow(0)
    page.remove_module_button.click()
    assert config.load(tmp_path).pkcs11_modules == ("/usr/lib/libx.so",)
    page.find_modules_button.click()
    assert page.module_message.isVisible() and page.module_message.text()


def test_data_folder_and_version_are_shown(
    ui_app: QApplication, qtbot: QtBot, demo_db: Database, tmp_path: Path
) -> None:
    page = _page(qtbot, demo_db, SYSTEM, tmp_path)
    assert page.data_dir_label.text() == str(tmp_path)
    assert page.database_label.text() == str(demo_db.path)
    assert __version__ in page.version_label.text()


def test_a_damaged_settings_file_falls_back_to_defaults(
    ui_app: QApplication, qtbot: QtBot, demo_db: Database, tmp_path: Path
) -> None:
    (tmp_path / config.SETTINGS_FILE).write_text("{not json", encoding="utf-8")
    page = _page(qtbot, demo_db, SYSTEM, tmp_path)
    assert page.settings == config.Settings()
    page.idle_spin.setValue(7)
    assert config.load(tmp_path).idle_lock_minutes == 7
