"""The homeroom page on a real demo school, offscreen, as the demo's homeroom teachers use it."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QApplication, QComboBox, QLineEdit, QSpinBox, QTableView, QWidget
from pytestqt.qtbot import QtBot

from app.models.db import Database
from app.services import homeroom as hr
from app.services.access import Actor
from app.services.class_results import school_overview
from app.ui.application import WINDOW_SIZE, build_main_window
from app.ui.itemmodels.editable_table import EditableTableModel
from app.ui.pages.homeroom_page import (
    TAB_ATTENDANCE,
    TAB_CHECKLIST,
    TAB_LISTS,
    TAB_RESULTS,
    TAB_SUMMER,
    HomeroomPage,
)
from tests.services.homeroom_data import Found, actor_by_login, find_student, school, template

__all__ = ["school", "template"]  # fixtures

pytestmark = pytest.mark.qt

PAGE_SIZE = (1115, 740)  # the page's share of the 1280 × 800 main window


def _page(qtbot: QtBot, db: Database, actor: Actor, class_id: int) -> HomeroomPage:
    page = HomeroomPage(db, actor, school_overview(db, actor).classes)
    qtbot.addWidget(page)
    page.resize(*PAGE_SIZE)
    page.show()
    qtbot.waitExposed(page)
    assert page.select_class(class_id)
    assert page.overview is not None and page.overview.class_id == class_id
    return page


def _position(model: EditableTableModel, student_id: int) -> int:
    return next(i for i, r in enumerate(model.rows) if r.student_id == student_id)


def _column(model: EditableTableModel, header: str) -> int:
    column = model.column_index(header)
    assert column >= 0, header
    return column


def _open_editor(table: QTableView, index: QModelIndex) -> QWidget:
    table.setCurrentIndex(index)
    table.edit(index)
    editor = table.viewport().focusWidget()
    assert editor is not None and editor is not table.viewport()
    return editor


def _pick(combo: QComboBox, code: str) -> None:
    position = combo.findData(code)
    assert position >= 0, code
    combo.setCurrentIndex(position)
    combo.activated.emit(position)  # what a click on the entry does


def _text(model: EditableTableModel, row: int, header: str) -> str:
    return str(model.index(row, _column(model, header)).data())


def test_every_model_passes_the_model_tester(
    ui_app: QApplication, qtbot: QtBot, qtmodeltester, school: Database
) -> None:
    found = find_student(school, "reassessment")
    page = _page(qtbot, school, found.teacher, found.class_id)
    page.tabs.setCurrentIndex(TAB_LISTS)  # the lists are built when their tab shows
    page.tabs.setCurrentIndex(TAB_CHECKLIST)
    qtbot.waitUntil(lambda: page.checklist.checklist is not None, timeout=20_000)
    models = (
        page.class_model, page.student_model, page.attendance_model, page.summer_model,
        page.lists_panel.model, page.checklist.model,
    )
    for model in models:
        assert model.rowCount() > 0
        qtmodeltester.check(model)


def test_conduct_is_picked_in_the_cell_and_the_decision_follows(
    ui_app: QApplication, qtbot: QtBot, school: Database, artifacts_dir: Path
) -> None:
    found = find_student(school, "promoted", title="gioi")
    page = _page(qtbot, school, found.teacher, found.class_id)
    model = page.student_model
    row = _position(model, found.student.student_id)
    column = _column(model, "Rèn luyện HKII")
    index = model.index(row, column)
    assert model.flags(index) & Qt.ItemFlag.ItemIsEditable
    assert not model.flags(model.index(row, _column(model, "Học tập HKII"))) & Qt.ItemFlag.ItemIsEditable
    combo = _open_editor(page.table, index)
    assert isinstance(combo, QComboBox)
    assert [combo.itemData(i) for i in range(combo.count())] == ["", "T", "K", "Đ", "CĐ"]
    page.grab().save(str(artifacts_dir / "homeroom_conduct_combo.png"))
    _pick(combo, "CĐ")
    qtbot.waitUntil(lambda: model.rows[row].conduct_hk2 == "CĐ")
    assert index.data() == "Chưa đạt"
    assert _text(model, row, "Lên lớp") == "Rèn luyện hè"  # summer training now
    assert _text(model, row, "Danh hiệu") == ""  # no title with conduct Chưa đạt
    assert any(e.student_id == found.student.student_id for e in page.summer_model.rows)
    stored = hr.homeroom_overview(school, found.teacher, found.class_id).student(found.student.student_id)
    assert stored.conduct_hk2 == "CĐ" and stored.promotion == "ren_luyen_he"
    assert not page.error_label.isVisible()


def test_absences_are_typed_and_enter_moves_down(
    ui_app: QApplication, qtbot: QtBot, school: Database
) -> None:
    found = find_student(school, "promoted")
    page = _page(qtbot, school, found.teacher, found.class_id)
    page.tabs.setCurrentIndex(TAB_ATTENDANCE)
    model = page.attendance_model
    row = _position(model, found.student.student_id)
    spin = _open_editor(page.attendance_table, model.index(row, _column(model, "Nghỉ HKI có phép")))
    assert isinstance(spin, QSpinBox)
    spin.setValue(30)
    qtbot.keyClick(spin, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: model.rows[row].absent(1)[0] == 30)
    qtbot.waitUntil(lambda: page.attendance_table.currentIndex().row() == row + 1)
    spin = _open_editor(page.attendance_table, model.index(row, _column(model, "Nghỉ HKII không phép")))
    assert isinstance(spin, QSpinBox)
    spin.setValue(20)
    qtbot.keyClick(spin, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: model.rows[row].absent(2)[1] == 20)
    assert _text(model, row, "Cả năm") == str(model.rows[row].sessions_absent)
    assert model.rows[row].sessions_absent > 45
    assert _text(model, row, "Lên lớp") == "Ở lại lớp"
    # The results grid shows the same student, recomputed.
    results = page.student_model
    assert results.rows[_position(results, found.student.student_id)].promotion == "o_lai"


def test_summer_results_update_the_decision(
    ui_app: QApplication, qtbot: QtBot, school: Database, artifacts_dir: Path
) -> None:
    summer = find_student(school, "summer")
    again = find_student(school, "reassessment")
    assert summer.class_id == again.class_id  # the demo puts both in one class
    page = _page(qtbot, school, summer.teacher, summer.class_id)
    page.tabs.setCurrentIndex(TAB_SUMMER)
    model = page.summer_model
    value_column = _column(model, "Kết quả sau hè")
    decision = _column(model, "Quyết định")
    page.grab().save(str(artifacts_dir / "homeroom_summer.png"))

    conduct_row = next(i for i, e in enumerate(model.rows) if e.kind == "conduct")
    combo = _open_editor(page.summer_table, model.index(conduct_row, value_column))
    assert isinstance(combo, QComboBox)
    _pick(combo, "Đ")
    qtbot.waitUntil(lambda: model.index(conduct_row, decision).data() == "Được lên lớp")
    results = page.student_model
    assert results.rows[_position(results, summer.student.student_id)].promotion == "len_lop"

    rows = [i for i, e in enumerate(model.rows) if e.student_id == again.student.student_id]
    assert len(rows) == len(again.student.reassessment_subjects) >= 2
    for position in rows:
        entry = model.rows[position]
        editor = _open_editor(page.summer_table, model.index(position, value_column))
        if entry.subject_kind == "score":
            assert isinstance(editor, QLineEdit)
            editor.setText("7,5")
            qtbot.keyClick(editor, Qt.Key.Key_Return)
        else:
            assert isinstance(editor, QComboBox)
            _pick(editor, "Đ")
        qtbot.waitUntil(lambda p=position: model.rows[p].value is not None)
    # Every entry of the student shows the new decision, not only the last one edited.
    assert {model.index(p, decision).data() for p in rows} == {"Được lên lớp"}
    assert model.index(rows[0], value_column).data() in ("7,5", "Đạt")
    student = hr.homeroom_overview(school, again.teacher, again.class_id).student(again.student.student_id)
    assert student.promotion == "len_lop"


def test_a_refused_value_shows_the_reason_and_keeps_the_old_one(
    ui_app: QApplication, qtbot: QtBot, school: Database
) -> None:
    again = find_student(school, "reassessment")
    page = _page(qtbot, school, again.teacher, again.class_id)
    page.tabs.setCurrentIndex(TAB_SUMMER)
    model = page.summer_model
    position = next(i for i, e in enumerate(model.rows) if e.subject_kind == "score")
    editor = _open_editor(page.summer_table, model.index(position, _column(model, "Kết quả sau hè")))
    assert isinstance(editor, QLineEdit)
    editor.setText("11")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(page.error_label.isVisible)
    assert "từ 0 đến 10" in page.error_label.text()
    assert model.rows[position].value is None


def test_the_deciding_sentence_is_shown_first(
    ui_app: QApplication, qtbot: QtBot, school: Database, artifacts_dir: Path
) -> None:
    found = find_student(school, "promoted", title="gioi")
    page = _page(qtbot, school, found.teacher, found.class_id)
    assert page.select_student(found.student.student_id)
    student = page.selected_student()
    assert student is not None and student.student_id == found.student.student_id
    text = " ".join(page.why_text.toPlainText().split())
    sentences = [" ".join(e.text.split()) for e in student.explanations]
    positions = [text.index(s) for s in sentences]
    assert positions == sorted(positions)  # in the service's order, deciding sentence first
    assert student.explanations[0].kind == "promotion" and student.explanations[1].kind == "title"
    assert "Chưa đạt danh hiệu Học sinh Xuất sắc" in text
    assert page.student_panel.comment_edit.toPlainText() == student.year_comment
    page.grab().save(str(artifacts_dir / "homeroom_results.png"))
    page.tabs.setCurrentIndex(TAB_ATTENDANCE)
    page.grab().save(str(artifacts_dir / "homeroom_attendance.png"))


def test_year_comment_and_award_from_the_panel(ui_app: QApplication, qtbot: QtBot, school: Database) -> None:
    found = find_student(school, "promoted", title="gioi")
    page = _page(qtbot, school, found.teacher, found.class_id)
    assert page.select_student(found.student.student_id)
    panel = page.student_panel
    panel.comment_edit.setPlainText("Em ngoan, học giỏi, cần phát huy.")
    assert panel.dirty and panel.save_button.isEnabled()
    panel.save_button.click()
    assert not panel.dirty
    assert page.selected_student().year_comment == "Em ngoan, học giỏi, cần phát huy."  # type: ignore[union-attr]
    panel.tabs.setCurrentIndex(1)
    assert panel.title_button.isVisible() and panel.title_button.isEnabled()
    panel.title_button.click()  # confirm the computed title as an award
    assert [a.kind for a in page.selected_student().awards] == ["gioi"]  # type: ignore[union-attr]
    assert not panel.title_button.isEnabled()
    stored = hr.homeroom_overview(school, found.teacher, found.class_id).student(found.student.student_id)
    assert stored.year_comment == "Em ngoan, học giỏi, cần phát huy."
    assert stored.awards[0].title == "Học sinh Giỏi"
    # An unsaved comment is saved when the teacher moves to another student.
    panel.comment_edit.setPlainText("Nhận xét sửa lại.")
    other = next(s for s in page.student_model.rows if s.student_id != found.student.student_id)
    page.select_student(other.student_id)
    stored = hr.homeroom_overview(school, found.teacher, found.class_id).student(found.student.student_id)
    assert stored.year_comment == "Nhận xét sửa lại."
    # A comment the service refuses is never lost: the page stays on its student.
    page.select_student(found.student.student_id)
    too_long = "Rất chăm chỉ. " * 400
    panel.comment_edit.setPlainText(too_long)
    page.select_student(other.student_id)
    assert page.error_label.isVisible() and "ký tự" in page.error_label.text()
    assert page.selected_student().student_id == found.student.student_id  # type: ignore[union-attr]
    assert panel.comment_edit.toPlainText() == too_long and panel.dirty


def test_principal_sees_the_page_read_only(ui_app: QApplication, qtbot: QtBot, school: Database) -> None:
    found = find_student(school, "promoted")
    principal = actor_by_login(school, "hieutruong")
    page = _page(qtbot, school, principal, found.class_id)
    assert page.readonly_label.isVisible() and "chỉ xem" in page.readonly_label.text()
    for model in (page.student_model, page.attendance_model, page.summer_model):
        assert not model.editable
        for r in range(model.rowCount()):
            for c in range(model.columnCount()):
                assert not model.flags(model.index(r, c)) & Qt.ItemFlag.ItemIsEditable
    model = page.student_model
    row = _position(model, found.student.student_id)
    assert not model.setData(model.index(row, _column(model, "Rèn luyện HKII")), "CĐ")
    page.select_student(found.student.student_id)
    assert page.student_panel.comment_edit.isReadOnly()
    assert not page.student_panel.add_award_button.isEnabled()


def test_checklist_links_go_to_the_place_to_fix(
    ui_app: QApplication, qtbot: QtBot, school: Database, artifacts_dir: Path
) -> None:
    found: Found = find_student(school, "promoted")
    hr.set_year_comment(school, found.teacher, found.class_id, found.student.student_id, "")
    window = build_main_window(school, found.teacher)
    qtbot.addWidget(window)
    window.resize(*WINDOW_SIZE)
    window.show()
    qtbot.waitExposed(window)
    assert window.navigate("homeroom", class_id=found.class_id)
    page = window.area_pages["homeroom"]
    assert isinstance(page, HomeroomPage) and window.pages.currentWidget() is page
    page.tabs.setCurrentIndex(TAB_CHECKLIST)
    qtbot.waitUntil(lambda: page.checklist.checklist is not None, timeout=20_000)
    window.grab().save(str(artifacts_dir / "homeroom_checklist.png"))
    model = page.checklist.model
    kinds = [item.kind for item in model.rows]
    sid = found.student.student_id
    comment_row = next(i for i, item in enumerate(model.rows)
                       if item.kind == "missing_year_comment" and item.target.student_id == sid)
    page.checklist.follow_row(comment_row)
    assert page.tabs.currentIndex() == TAB_RESULTS
    selected = page.selected_student()
    assert selected is not None and selected.student_id == found.student.student_id
    assert page.student_panel.tabs.currentIndex() == 0

    page.tabs.setCurrentIndex(TAB_CHECKLIST)
    subject_row = kinds.index("unlocked_subject")
    subject_item = model.rows[subject_row]
    page.checklist.follow_row(subject_row)
    markbook = window.area_pages.get("markbook")
    assert markbook is not None and window.pages.currentWidget() is markbook
    assert window.nav_buttons["Sổ điểm"].isChecked()
    assert subject_item.target.subject_id is not None


def test_lists_tab_exports_and_prints(
    ui_app: QApplication, qtbot: QtBot, school: Database, tmp_path: Path, artifacts_dir: Path
) -> None:
    found = find_student(school, "reassessment")
    page = _page(qtbot, school, found.teacher, found.class_id)
    page.tabs.setCurrentIndex(TAB_LISTS)
    panel = page.lists_panel
    panel.list_widget.setCurrentRow(2)
    current = panel.current_list()
    assert current is not None and current.kind == "kiem_tra_lai"
    assert panel.model.rowCount() == len(current.entries) == 1
    assert panel.model.index(0, 1).data() == found.student.full_name
    page.grab().save(str(artifacts_dir / "homeroom_lists.png"))
    written = panel.export_to(tmp_path / "lists.xlsx")
    book = openpyxl.load_workbook(written)
    assert book["Kiểm tra lại"]["B6"].value == found.student.full_name
    pdf = panel.print_to_pdf(tmp_path / "lists.pdf")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and data.count(b"/Type /Page\n") + data.count(b"/Type/Page") >= 1
