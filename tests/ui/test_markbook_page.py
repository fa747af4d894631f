"""The "Sổ điểm" page, driven by the keyboard and the clipboard like a teacher would, on a
real demo database with the real accounts (pytest-qt, offscreen)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QAbstractItemView, QApplication, QLineEdit
from pytestqt.qtbot import QtBot

from app.models.db import Database
from app.services import locking
from app.services import markbook as mb
from app.services import markbook_primary as mp
from app.services.access import Actor
from app.ui.itemmodels.markbook_model import MarkbookModel, parse_clipboard
from app.ui.itemmodels.markbook_sheets import PrimarySubjectSheet, SecondarySheet, TraitsSheet
from app.ui.pages.markbook_page import MarkbookPage, default_period
from tests.services.markbook_data import Teaching, actor, copy_of, make_template, teaching

pytestmark = pytest.mark.qt


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("markbook_ui")
    return {level: make_template(folder, level) for level in ("thcs", "tieuhoc")}


@pytest.fixture
def thcs_db(templates: dict[str, Path], tmp_path: Path) -> Iterator[Database]:
    db = copy_of(templates["thcs"], tmp_path)
    yield db
    db.dispose()


@pytest.fixture
def tieuhoc_db(templates: dict[str, Path], tmp_path: Path) -> Iterator[Database]:
    db = copy_of(templates["tieuhoc"], tmp_path)
    yield db
    db.dispose()


PageMaker = Callable[[Database, Actor], MarkbookPage]


@pytest.fixture
def make_page(ui_app: QApplication, qtbot: QtBot) -> Iterator[PageMaker]:
    pages: list[MarkbookPage] = []

    def make(db: Database, who: Actor) -> MarkbookPage:
        page = MarkbookPage(db, who)
        qtbot.addWidget(page)
        page.resize(1280, 760)
        page.show()
        qtbot.waitExposed(page)
        page.activateWindow()
        pages.append(page)
        return page

    yield make
    for page in pages:
        page.writer.wait_idle()
        page.writer.shutdown()


def _open(page: MarkbookPage, t: Teaching, period: str) -> None:
    assert page.select(t.class_id, t.subject_id, period)
    assert page.model.sheet is not None


def _cell(page: MarkbookPage, row: int, key: str) -> None:
    sheet = page.model.sheet
    assert sheet is not None
    page.table.selectionModel().setCurrentIndex(
        page.model.index(row, sheet.column_of(key)), QItemSelectionModel.SelectionFlag.ClearAndSelect
    )
    page.table.setFocus()


def _editor(page: MarkbookPage) -> QLineEdit:
    editors = [e for e in page.table.viewport().findChildren(QLineEdit) if e.isVisible()]
    assert len(editors) == 1, editors
    return editors[0]


def _type(qtbot: QtBot, page: MarkbookPage, text: str, finish: Qt.Key = Qt.Key.Key_Return) -> None:
    """Type into the current cell as on a keyboard: the first key opens the editor."""
    qtbot.keyClick(page.table, text[0])
    assert page.table.state() == QAbstractItemView.State.EditingState
    editor = _editor(page)
    if len(text) > 1:
        qtbot.keyClicks(editor, text[1:])
    qtbot.keyClick(editor, finish)
    # Enter commits through a queued call; wait for the editor to close (or reopen).
    qtbot.waitUntil(lambda: not editor.isVisible() or page.model.last_refusal is None, timeout=2000)
    qtbot.wait(20)


def _settle(qtbot: QtBot, page: MarkbookPage) -> None:
    page.writer.wait_idle()
    qtbot.wait(20)  # deliver the writer's queued results to the GUI thread


def _shown(page: MarkbookPage, row: int, key: str) -> str:
    sheet = page.model.sheet
    assert sheet is not None
    return str(page.model.index(row, sheet.column_of(key)).data())


def _stored(db: Database, t: Teaching, semester: int, row: int, column: str) -> str | None:
    book = mb.load_markbook(db, t.teacher, t.class_id, t.subject_id, semester)
    return book.rows[row].value(column)


# ------------------------------------------------------------------------------ the model


def test_the_model_passes_the_model_tester(
    ui_app: QApplication, qtmodeltester, thcs_db: Database, tieuhoc_db: Database
) -> None:
    t = teaching(thcs_db, "toan")
    model = MarkbookModel()
    for semester in (1, 2):
        book = mb.load_markbook(thcs_db, t.teacher, t.class_id, t.subject_id, semester)
        model.set_sheet(SecondarySheet(thcs_db, t.teacher, book))
        qtmodeltester.check(model)
    assert model.setData(model.index(0, 2), "6,5")  # no writer: in memory only
    qtmodeltester.check(model)
    p = teaching(tieuhoc_db, "toan")
    book_p = mp.load_primary_markbook(tieuhoc_db, p.teacher, p.class_id, p.subject_id, "cn")
    model.set_sheet(PrimarySubjectSheet(tieuhoc_db, p.teacher, book_p))
    qtmodeltester.check(model)
    traits = mp.load_traits(tieuhoc_db, actor(tieuhoc_db, "hieutruong"), p.class_id, "ck1")
    model.set_sheet(TraitsSheet(tieuhoc_db, p.teacher, traits))
    qtmodeltester.check(model)
    model.set_sheet(None)
    qtmodeltester.check(model)


def test_spreadsheet_clipboard_text_is_split_into_cells() -> None:
    assert parse_clipboard("7,5\t8\r\n9\t\r\n") == [["7,5", "8"], ["9", ""]]
    assert parse_clipboard('"Chăm chỉ,\nngoan"\t8\n') == [["Chăm chỉ,\nngoan", "8"]]
    assert parse_clipboard("") == []


def test_the_default_period_follows_the_school_calendar() -> None:
    from datetime import date

    assert default_period("thcs", date(2026, 10, 1)) == "1"
    assert default_period("thcs", date(2027, 1, 20)) == "2"
    assert default_period("tieuhoc", date(2026, 12, 20)) == "ck1"
    assert default_period("tieuhoc", date(2027, 5, 10)) == "cn"


# ------------------------------------------------------------------------------ typing


def test_entering_and_correcting_scores_by_keyboard(
    qtbot: QtBot, make_page: PageMaker, thcs_db: Database, artifacts_dir: Path
) -> None:
    t = teaching(thcs_db, "toan")
    page = make_page(thcs_db, t.teacher)
    _open(page, t, "1")
    sheet = page.model.sheet
    assert isinstance(sheet, SecondarySheet) and sheet.can_edit
    first_gk = sheet.column_of("gk")

    _cell(page, 0, "gk")
    _type(qtbot, page, "3,5")

    # Enter accepted the score and moved down to the next student, same column.
    assert _shown(page, 0, "gk") == "3,5"
    assert (page.table.currentIndex().row(), page.table.currentIndex().column()) == (1, first_gk)
    row = sheet.rows[0]
    assert isinstance(row, mb.MarkRow) and row.semester.value is not None
    assert _shown(page, 0, "semester") == f"{row.semester.value}".replace(".", ",")
    _settle(qtbot, page)
    assert _stored(thcs_db, t, 1, 0, "gk") == "3.5"

    # Correct it: back up, type, Tab moves right to the end-of-term column with its editor open.
    qtbot.keyClick(page.table, Qt.Key.Key_Up)
    _type(qtbot, page, "4", Qt.Key.Key_Tab)
    assert _shown(page, 0, "gk") == "4"
    assert page.table.currentIndex().column() == sheet.column_of("ck")
    qtbot.keyClick(_editor(page), Qt.Key.Key_Escape)
    _settle(qtbot, page)
    assert _stored(thcs_db, t, 1, 0, "gk") == "4"

    # The history of the corrected cell is shown, newest first, with who and old → new.
    _cell(page, 0, "gk")
    lines = [page.history_panel.list.item(i).text() for i in range(page.history_panel.list.count())]
    assert len(lines) == 2 and t.teacher.full_name in lines[0]
    assert lines[0].endswith("3,5 → 4") and "→ 3,5" in lines[1]
    assert page.model.index(0, first_gk).data(Qt.ItemDataRole.UserRole + 10) == 2  # corner mark
    page.grab().save(str(artifacts_dir / "markbook_secondary.png"))


def test_an_invalid_value_is_refused_with_the_reason_near_the_cell(
    qtbot: QtBot, make_page: PageMaker, thcs_db: Database, artifacts_dir: Path
) -> None:
    t = teaching(thcs_db, "toan")
    page = make_page(thcs_db, t.teacher)
    _open(page, t, "2")
    before = _shown(page, 2, "ck")
    _cell(page, 2, "ck")

    _type(qtbot, page, "10,5")

    assert _shown(page, 2, "ck") == before
    assert page.table.balloon.isVisible() and "lớn hơn 10" in page.table.balloon.text()
    assert "lớn hơn 10" in page.status_text
    # The cell keeps the focus and the editor reopens with what was typed, ready to fix.
    qtbot.waitUntil(lambda: page.table.state() == QAbstractItemView.State.EditingState, timeout=2000)
    editor = _editor(page)
    assert editor.text() == "10,5" and editor.selectedText() == "10,5"
    assert page.table.currentIndex().row() == 2
    page.grab().save(str(artifacts_dir / "markbook_refused.png"))

    qtbot.keyClicks(editor, "7,25")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "7,3" in page.table.balloon.text(), timeout=2000)
    qtbot.waitUntil(lambda: page.table.state() == QAbstractItemView.State.EditingState, timeout=2000)
    editor = _editor(page)
    qtbot.keyClicks(editor, "7,3")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.table.currentIndex().row() == 3, timeout=2000)
    assert _shown(page, 2, "ck") == "7,3"
    assert not page.table.balloon.isVisible()
    _settle(qtbot, page)
    assert _stored(thcs_db, t, 2, 2, "ck") == "7.3"


def test_paste_a_block_from_excel_and_delete(qtbot: QtBot, make_page: PageMaker, thcs_db: Database) -> None:
    t = teaching(thcs_db, "toan")
    page = make_page(thcs_db, t.teacher)
    _open(page, t, "1")
    _cell(page, 0, "tx1")
    QGuiApplication.clipboard().setText("9\t8,5\r\n7,5\t6\r\n")

    qtbot.keyClick(page.table, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)

    assert [_shown(page, r, k) for r in (0, 1) for k in ("tx1", "tx2")] == ["9", "8,5", "7,5", "6"]
    _settle(qtbot, page)
    assert [_stored(thcs_db, t, 1, r, k) for r in (0, 1) for k in ("tx1", "tx2")] == ["9", "8.5", "7.5", "6"]
    history = mb.cell_history(
        thcs_db,
        t.teacher,
        t.class_id,
        t.subject_id,
        1,
        mb.load_markbook(thcs_db, t.teacher, t.class_id, t.subject_id, 1).rows[1].student_id,
        "tx1",
    )
    assert history[0].source == "paste"

    # A block with one bad value pastes nothing and says which cell and why.
    QGuiApplication.clipboard().setText("5\n10,5\n")
    qtbot.keyClick(page.table, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert _shown(page, 0, "tx1") == "9"
    assert "Chưa dán gì" in page.table.balloon.text() and "lớn hơn 10" in page.table.balloon.text()

    # Pasting onto a computed column is refused.
    _cell(page, 0, "ck")
    QGuiApplication.clipboard().setText("5\t5\n")
    qtbot.keyClick(page.table, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert "Không dán được" in page.table.balloon.text()

    # Delete empties the selected cells; the average then says what is missing.
    _cell(page, 1, "tx2")
    qtbot.keyClick(page.table, Qt.Key.Key_Delete)
    assert _shown(page, 1, "tx2") == ""
    _settle(qtbot, page)
    assert _stored(thcs_db, t, 1, 1, "tx2") is None


def test_comment_only_subjects_take_d_and_cd(qtbot: QtBot, make_page: PageMaker, thcs_db: Database) -> None:
    t = teaching(thcs_db, "gdtc")
    page = make_page(thcs_db, t.teacher)
    _open(page, t, "2")
    _cell(page, 0, "ck")
    _type(qtbot, page, "cd")
    assert _shown(page, 0, "ck") == "CĐ"
    assert _shown(page, 0, "semester") == "Chưa đạt" and _shown(page, 0, "year") == "Chưa đạt"
    _cell(page, 0, "gk")
    _type(qtbot, page, "8")
    assert "không cho điểm số" in page.table.balloon.text()


def test_comments_with_snippets_and_last_semester(
    qtbot: QtBot, make_page: PageMaker, thcs_db: Database
) -> None:
    t = teaching(thcs_db, "toan")
    page = make_page(thcs_db, t.teacher)
    _open(page, t, "2")
    _cell(page, 0, "comment")
    panel = page.comment_panel
    assert not panel.editor.isReadOnly()
    panel.editor.setPlainText("Có cố gắng.")
    panel.filter.setText("tap trung")  # typed without diacritics
    assert panel.snippet_list.count() == 1
    panel.editor.moveCursor(panel.editor.textCursor().MoveOperation.End)
    qtbot.keyClick(panel.filter, Qt.Key.Key_Return)
    assert panel.editor.toPlainText() == "Có cố gắng. Cần tập trung hơn trong giờ học."

    qtbot.keyClick(panel.editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)

    assert _shown(page, 0, "comment") == "Có cố gắng. Cần tập trung hơn trong giờ học."
    _settle(qtbot, page)
    assert _stored(thcs_db, t, 2, 0, "comment") == "Có cố gắng. Cần tập trung hơn trong giờ học."

    # A comment written and left unsaved is saved when the teacher moves to another student.
    _cell(page, 1, "comment")
    panel.editor.setPlainText("Tiến bộ.")
    _cell(page, 2, "comment")
    _settle(qtbot, page)
    assert _stored(thcs_db, t, 2, 1, "comment") == "Tiến bộ."

    # Saving a snippet of one's own puts it first in the list.
    panel.editor.setPlainText("Biết tự học ở nhà.")
    panel.keep_button.click()
    _settle(qtbot, page)
    panel.filter.clear()
    assert panel.snippet_list.item(0).text() == "Biết tự học ở nhà."


# ------------------------------------------------------------------------------ locking


def test_lock_then_unlock_by_the_principal(
    qtbot: QtBot, make_page: PageMaker, thcs_db: Database, artifacts_dir: Path
) -> None:
    t = teaching(thcs_db, "nguvan")
    page = make_page(thcs_db, t.teacher)
    _open(page, t, "2")
    assert page.lock_button.isVisible() and page.lock_button.isEnabled()
    assert not page.unlock_button.isVisible()

    page.lock_button.click()
    dialog = page.lock_dialog
    assert dialog is not None and dialog.isVisible() and dialog.lock_button.isEnabled()
    dialog.lock_button.click()
    qtbot.waitUntil(lambda: page.lock_dialog is None, timeout=3000)

    assert "Đã khoá sổ" in page.lock_label.text()
    assert not page.model.flags(page.model.index(0, 2)) & Qt.ItemFlag.ItemIsEditable
    assert "đã khoá" in page.hint_label.text()
    _cell(page, 0, "gk")
    qtbot.keyClick(page.table, "9")
    assert page.table.state() != QAbstractItemView.State.EditingState
    assert not page.lock_button.isEnabled() and not page.unlock_button.isVisible()  # a teacher cannot unlock

    principal_page = make_page(thcs_db, actor(thcs_db, "hieutruong"))
    _open(principal_page, t, "2")
    assert principal_page.unlock_button.isVisible()
    principal_page.unlock_button.click()
    unlock = principal_page.unlock_dialog
    assert unlock is not None
    unlock.unlock_button.click()
    qtbot.waitUntil(lambda: unlock.error.isVisible(), timeout=3000)
    assert "lý do" in unlock.error.text()
    principal_page.grab().save(str(artifacts_dir / "markbook_locked_principal.png"))
    unlock.grab().save(str(artifacts_dir / "markbook_unlock_dialog.png"))
    unlock.reason.setPlainText("Giáo viên nhập nhầm điểm cuối kì")
    unlock.unlock_button.click()
    qtbot.waitUntil(lambda: principal_page.unlock_dialog is None, timeout=3000)
    assert not locking.lock_report(thcs_db, t.teacher, t.class_id, t.subject_id).locked
    assert not principal_page.model.flags(principal_page.model.index(0, 2)) & Qt.ItemFlag.ItemIsEditable


def test_the_lock_dialog_lists_what_is_missing_and_leads_to_it(
    qtbot: QtBot, make_page: PageMaker, thcs_db: Database
) -> None:
    t = teaching(thcs_db, "nguvan")
    row = mb.load_markbook(thcs_db, t.teacher, t.class_id, t.subject_id, 1).rows[3]
    mb.set_score(thcs_db, t.teacher, t.class_id, t.subject_id, 1, row.student_id, "ck", "")
    page = make_page(thcs_db, t.teacher)
    _open(page, t, "2")
    assert "còn thiếu 1 mục" in page.lock_label.text()
    page.lock_button.click()
    dialog = page.lock_dialog
    assert dialog is not None and not dialog.lock_button.isEnabled()
    first = dialog.items.item(0)
    assert row.full_name in first.text() and "cuối kì học kì I" in first.text()
    dialog.items.itemActivated.emit(first)
    assert str(page.period_combo.currentData()) == "1"
    current = page.table.currentIndex()
    sheet = page.model.sheet
    assert sheet is not None
    assert (sheet.student_id(current.row()), sheet.columns[current.column()].key) == (row.student_id, "ck")


def test_a_write_refused_by_the_file_is_undone_on_screen(
    qtbot: QtBot, make_page: PageMaker, thcs_db: Database
) -> None:
    t = teaching(thcs_db, "nguvan")
    page = make_page(thcs_db, t.teacher)
    _open(page, t, "1")
    before = _shown(page, 0, "gk")
    # Someone else locks the book after the page was opened (another window, the same teacher).
    locking.lock_markbook(thcs_db, t.teacher, t.class_id, t.subject_id)
    _cell(page, 0, "gk")
    _type(qtbot, page, "2")
    _settle(qtbot, page)
    qtbot.waitUntil(lambda: page.error_label.isVisible(), timeout=3000)
    assert "đã khoá" in page.error_label.text()
    assert _shown(page, 0, "gk") == before  # reloaded from the file
    assert not page.model.sheet or not page.model.sheet.can_edit


def test_school_wide_roles_see_read_only(qtbot: QtBot, make_page: PageMaker, thcs_db: Database) -> None:
    t = teaching(thcs_db, "toan")
    page = make_page(thcs_db, actor(thcs_db, "vanthu"))
    _open(page, t, "1")
    assert "chỉ xem" in page.hint_label.text()
    assert "(chỉ xem)" in page.subject_combo.currentText()
    assert not page.model.flags(page.model.index(0, 2)) & Qt.ItemFlag.ItemIsEditable
    assert page.comment_panel.editor.isReadOnly() or page.model.sheet is not None


# ------------------------------------------------------------------------------ primary


def test_primary_levels_scores_and_traits(
    qtbot: QtBot, make_page: PageMaker, tieuhoc_db: Database, artifacts_dir: Path
) -> None:
    t = teaching(tieuhoc_db, "toan")
    page = make_page(tieuhoc_db, t.teacher)
    _open(page, t, "cn")
    sheet = page.model.sheet
    assert isinstance(sheet, PrimarySubjectSheet)
    assert [c.key for c in sheet.columns] == ["number", "name", "level", "test", "comment"]
    _cell(page, 0, "level")
    _type(qtbot, page, "h", Qt.Key.Key_Tab)
    assert _shown(page, 0, "level") == "H"
    # Tab opened the test score's editor: type straight on.
    editor = _editor(page)
    qtbot.keyClicks(editor, "7,5")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "số nguyên" in page.table.balloon.text(), timeout=2000)
    qtbot.waitUntil(lambda: page.table.state() == QAbstractItemView.State.EditingState, timeout=2000)
    editor = _editor(page)
    qtbot.keyClicks(editor, "7")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: _shown(page, 0, "test") == "7", timeout=2000)
    _settle(qtbot, page)
    stored = mp.load_primary_markbook(tieuhoc_db, t.teacher, t.class_id, t.subject_id, "cn").rows[0]
    assert (stored.level, stored.test_score) == ("H", 7)
    # A student with a comment earlier in the year: one click puts it in the editor to adapt.
    with_earlier = next(
        r for r, row in enumerate(sheet.rows) if isinstance(row, mp.PrimaryRow) and row.previous_comment
    )
    _cell(page, with_earlier, "comment")
    panel = page.comment_panel
    assert panel.previous_button.isEnabled()
    panel.previous_button.click()
    earlier = sheet.rows[with_earlier]
    assert isinstance(earlier, mp.PrimaryRow) and panel.editor.toPlainText() == earlier.previous_comment
    page.grab().save(str(artifacts_dir / "markbook_primary.png"))

    # The homeroom (class) teacher's qualities and competencies sheet, comments in the panel.
    homeroom = page.actor if t.class_id in page.actor.homeroom_class_ids else None
    assert homeroom is not None, "at primary the class teacher teaches Toán"
    assert page.select(t.class_id, None, "cn")
    traits = page.model.sheet
    assert isinstance(traits, TraitsSheet) and traits.can_edit
    _cell(page, 0, "cham_chi")
    _type(qtbot, page, "c")
    assert _shown(page, 0, "cham_chi") == "C"
    page.table.setCurrentIndex(page.model.index(0, traits.column_of("cham_chi")))
    assert "Chăm chỉ" in page.comment_panel.title.text()
    page.comment_panel.editor.setPlainText("Cần chăm làm bài hơn.")
    page.comment_panel.save_button.click()
    _settle(qtbot, page)
    row = mp.load_traits(tieuhoc_db, t.teacher, t.class_id, "cn").rows[0]
    assert row.value("cham_chi") == "C" and row.value("cham_chi.comment") == "Cần chăm làm bài hơn."
    page.grab().save(str(artifacts_dir / "markbook_primary_traits.png"))
