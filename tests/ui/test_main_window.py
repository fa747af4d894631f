"""The main window on a real demo database (offscreen), with screenshots to look at."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from app import __version__
from app.models.db import Database, open_database
from app.services.access import SYSTEM
from app.services.class_results import class_results, school_overview
from app.ui.application import WINDOW_SIZE, build_main_window
from app.ui.main_window import LATER_AREAS, MainWindow
from app.ui.pages.class_page import ClassPage
from tests.ui.demo_data import make_demo_database

pytestmark = pytest.mark.qt


@pytest.fixture
def window(ui_app: QApplication, qtbot: QtBot, demo_db: Database) -> MainWindow:
    w = build_main_window(demo_db)
    qtbot.addWidget(w)
    w.resize(*WINDOW_SIZE)
    w.show()
    qtbot.waitExposed(w)
    return w


def _plain(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").split())


def test_header_names_the_school_and_shows_demo(window: MainWindow, demo_db: Database) -> None:
    overview = school_overview(demo_db, SYSTEM)
    assert overview.is_demo
    assert window.school_label.text() == overview.school_name
    assert overview.school_name in window.windowTitle()
    assert window.demo_badge.isVisible()
    assert "DEMO" in window.demo_badge.text()
    assert overview.year_name is not None
    assert overview.year_name.split("-")[0] in window.year_label.text()
    assert window.year_label.text().startswith("Năm học")


def test_class_list_has_the_demo_classes(window: MainWindow, demo_db: Database) -> None:
    overview = school_overview(demo_db, SYSTEM)
    combo = window.class_page.class_combo
    assert combo.count() == len(overview.classes) == 2
    for i, summary in enumerate(overview.classes):
        text = combo.itemText(i)
        assert summary.name in text
        assert f"{summary.student_count} học sinh" in text
        if summary.homeroom_name:
            assert summary.homeroom_name in text


def test_selecting_a_class_fills_the_table_in_service_order(
    window: MainWindow, demo_db: Database, qtbot: QtBot
) -> None:
    page = window.class_page
    second = school_overview(demo_db, SYSTEM).classes[1]
    assert page.select_class(second.id)
    expected = class_results(demo_db, SYSTEM, second.id)
    model = page.student_model
    assert page.results is not None and page.results.class_id == second.id
    assert model.rowCount() == len(expected.rows) == second.student_count
    name_column = model.column_index("Họ và tên")
    shown = [model.index(r, name_column).data() for r in range(model.rowCount())]
    assert shown == [r.full_name for r in expected.rows]
    assert [model.index(r, 0).data() for r in range(model.rowCount())] == [
        str(n) for n in range(1, len(shown) + 1)
    ]
    assert page.counts_label.text().startswith(f"{len(expected.rows)} học sinh")
    assert second.name in window.statusBar().currentMessage()


def test_selecting_a_student_shows_the_explanations(window: MainWindow) -> None:
    page = window.class_page
    rows = page.student_model.rows
    # A student whose year could be computed, to have sentences to show.
    target = next(i for i, r in enumerate(rows) if r.explanations)
    assert "Chọn một học sinh" in page.why_text.toPlainText()
    page.select_student(target)
    row = rows[target]
    assert page.selected_student() == row
    text = _plain(page.why_text.toPlainText())
    assert row.full_name in text
    for sentence in row.explanations:
        assert _plain(sentence) in text
    assert row.promotion_label in text


def test_later_areas_are_shown_but_disabled(window: MainWindow) -> None:
    classes = window.nav_buttons["Lớp học"]
    assert classes.isEnabled() and classes.isChecked()
    for area in LATER_AREAS:
        button = window.nav_buttons[area]
        assert button.isVisible()
        assert not button.isEnabled()
        assert "phiên bản sau" in button.toolTip()
        assert area in button.toolTip()


def test_menus_quit_and_about(window: MainWindow, qtbot: QtBot) -> None:
    menus = [a.text().replace("&", "") for a in window.menuBar().actions()]
    assert menus == ["Tệp", "Trợ giúp"]
    window.about_action.trigger()
    box = window.about_box
    assert isinstance(box, QMessageBox)
    assert __version__ in box.text()
    assert "Học bạ số" in box.text()
    box.done(0)
    qtbot.waitUntil(lambda: window.about_box is None)
    window.quit_action.trigger()
    assert not window.isVisible()


def test_screenshots(window: MainWindow, qtbot: QtBot, artifacts_dir: Path, demo_db: Database) -> None:
    """Pictures for people: the class list, and a student's explanation."""
    page = window.class_page
    rows = page.student_model.rows
    # Prefer a student with a decision a parent would ask about.
    interesting = next(
        (i for i, r in enumerate(rows) if r.promotion not in (None, "len_lop")),
        next((i for i, r in enumerate(rows) if r.title), 0),
    )
    page.select_student(interesting)
    qtbot.wait(50)
    path = artifacts_dir / "main_window.png"
    assert window.grab().save(str(path))
    assert path.stat().st_size > 10_000

    # The other class, with its first student selected.
    page.select_class(school_overview(demo_db, SYSTEM).classes[1].id)
    page.select_student(0)
    page.table.setFocus(Qt.FocusReason.OtherFocusReason)
    qtbot.wait(50)
    assert window.grab().save(str(artifacts_dir / "main_window_class2.png"))


def test_primary_school_has_its_own_columns(
    ui_app: QApplication, qtbot: QtBot, tmp_path: Path, artifacts_dir: Path
) -> None:
    db = open_database(make_demo_database(tmp_path / "primary.sqlite3", level="tieuhoc"))
    try:
        window = build_main_window(db)
        qtbot.addWidget(window)
        window.resize(*WINDOW_SIZE)
        window.show()
        qtbot.waitExposed(window)
        page = window.class_page
        assert page.results is not None and page.results.level == "tieuhoc"
        assert "ở lại lớp" not in page.counts_label.text()
        headers = [c.header for c in page.student_model.columns]
        assert "Rèn luyện" not in headers and "Kết quả giáo dục" in headers
        completion = page.student_model.column_index("Hoàn thành chương trình")
        for r, row in enumerate(page.student_model.rows):
            index = page.student_model.index(r, completion)
            expected = {"len_lop": "Hoàn thành", "o_lai": "Chưa hoàn thành"}
            assert index.data() == expected.get(row.promotion or "", row.promotion_label)
            assert row.promotion_label in index.data(Qt.ItemDataRole.ToolTipRole)
        page.select_student(next(i for i, r in enumerate(page.student_model.rows) if r.explanations))
        qtbot.wait(50)
        assert window.grab().save(str(artifacts_dir / "main_window_primary.png"))
    finally:
        db.dispose()


def test_a_class_that_cannot_be_read_shows_the_service_message(
    ui_app: QApplication, qtbot: QtBot, demo_db: Database
) -> None:
    # The class list says a class exists; reading it then finds nothing (deleted meanwhile).
    page = ClassPage(school_overview(demo_db, SYSTEM).classes, lambda _id: class_results(demo_db, SYSTEM, -1))
    qtbot.addWidget(page)
    assert page.results is None
    assert page.student_model.rowCount() == 0
    assert not page.error_label.isHidden()
    assert "Không tìm thấy lớp" in page.error_label.text()
