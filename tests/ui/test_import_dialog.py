"""The import preview: every row's problems shown before anything is written; import all."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from app.models import Student
from app.models.db import Database
from app.services.access import SYSTEM
from app.ui.dialogs.import_dialog import ERROR_CELL_BG, ERROR_ROW_BG, NOTE_CELL_BG, ImportDialog
from app.ui.pages.class_page import ClassPage
from tests.fixtures.demo_school import copy_of, homeroom_actor, make_template
from tests.fixtures.excel_files import national_id_for, sample_students, write_handmade_list, write_rows

pytestmark = pytest.mark.qt


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_template(tmp_path_factory.mktemp("dialog") / "template.sqlite3")


@pytest.fixture
def school(template: Path, tmp_path: Path) -> Iterator[Database]:
    db = copy_of(template, tmp_path / "school.sqlite3")
    yield db
    db.dispose()


def student_count(db: Database) -> int:
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(Student)) or 0


def messy_file(path: Path) -> Path:
    """A class list with one good row and rows showing each kind of problem."""
    good = sample_students(4, "6A1", seed=21, first_serial=4000)
    from datetime import date

    dob = date(2015, 4, 12)
    rows: list[list[object]] = [
        ["DANH SÁCH HỌC SINH LỚP 6A1 — NĂM HỌC 2026-2027"],
        [],
        ["STT", "Họ và tên", "Ngày sinh", "Giới tính", "Số định danh", "Lớp"],
    ]
    for i, s in enumerate(good[:2], start=1):
        rows.append(
            [i, s.full_name, s.date_of_birth, "Nam" if s.sex == 1 else "Nữ", int(s.national_id or 0), "6A1"]
        )
    rows += [
        [3, "Trần Minh Khôi", dob, "Nam", "999215004003", "6A1"],
        [4, "Lê Thị Hà", "31/02/2015", "Nữ", national_id_for(dob, 2, 4004), "6A1"],
        [5, "Phạm Gia Bảo", dob, "Nam", good[0].national_id, "6A1"],
        [6, None, dob, "Nữ", None, "6A1"],
        [7, "Đỗ Quốc Anh", dob, "Nam", None, "6A9"],
        [8, "Võ Ngọc Lan", dob, None, national_id_for(dob, 2, 4008), "6A1"],
        [
            9,
            good[2].full_name,
            good[2].date_of_birth,
            "Nam" if good[2].sex == 1 else "Nữ",
            good[2].national_id,
            "6A1",
        ],
        [],
        [None, "Tổng cộng: 9 học sinh"],
    ]
    return write_rows(path, rows, merges=("A1:F1",), date_columns=(3,))


def open_dialog(qtbot: QtBot, db: Database, path: Path, **kwargs: object) -> ImportDialog:
    dialog = ImportDialog(db, SYSTEM, ["6A1", "7A1"], **kwargs)  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    dialog.resize(1200, 720)
    dialog.show()
    dialog.load_file(path)
    qtbot.waitUntil(lambda: dialog.preview is not None and not dialog.busy, timeout=20_000)
    return dialog


def test_preview_highlights_each_rows_problems_and_refuses_to_import(
    qtbot: QtBot, ui_app: QApplication, school: Database, tmp_path: Path, artifacts_dir: Path, qtmodeltester
) -> None:
    dialog = open_dialog(qtbot, school, messy_file(tmp_path / "lop6a1.xlsx"))
    before = student_count(school)

    preview = dialog.preview
    assert preview is not None
    model = dialog.model
    qtmodeltester.check(model)
    assert model.rowCount() == 9  # the total row is not a student
    assert preview.error_row_count == 6
    assert not dialog.import_button.isEnabled()
    assert "6 dòng có lỗi" in dialog.summary_label.text()

    rows = {model.row_at(model.index(r, 0)).row: r for r in range(model.rowCount())}
    id_col = model.column_index("Số định danh")
    dob_col = model.column_index("Ngày sinh")
    name_col = model.column_index("Họ và tên")
    bg = Qt.ItemDataRole.BackgroundRole
    # The cell the problem is about is marked, with the reason as its tooltip.
    assert model.data(model.index(rows[6], id_col), bg) == ERROR_CELL_BG
    assert "999" in model.data(model.index(rows[6], id_col), Qt.ItemDataRole.ToolTipRole)
    assert model.data(model.index(rows[7], dob_col), bg) == ERROR_CELL_BG
    assert model.data(model.index(rows[7], name_col), bg) == ERROR_ROW_BG  # same row, other cell
    assert model.data(model.index(rows[8], id_col), bg) == ERROR_CELL_BG  # duplicate of row 4
    assert model.data(model.index(rows[9], name_col), bg) == ERROR_CELL_BG  # no name
    # A good row whose number lost its zeros: a remark, not an error.
    assert model.data(model.index(rows[4], id_col), bg) == NOTE_CELL_BG
    assert model.data(model.index(rows[4], id_col), Qt.ItemDataRole.DisplayRole).startswith("00")

    # The first row with errors is selected and its problems are spelled out below.
    assert "Dòng 6" in dialog.detail.toPlainText() and "mã tỉnh" in dialog.detail.toPlainText()
    dialog.table.selectRow(rows[7])
    assert "ngày 31" in dialog.detail.toPlainText()

    dialog.table.selectRow(rows[6])
    dialog.grab().save(str(artifacts_dir / "import_preview_errors.png"))

    dialog.only_errors.setChecked(True)
    assert model.rowCount() == 6
    qtmodeltester.check(model)

    dialog.start_import()  # refused while rows have errors
    assert student_count(school) == before and dialog.report is None


def test_valid_file_imports_everything_off_the_gui_thread(
    qtbot: QtBot, ui_app: QApplication, school: Database, tmp_path: Path, artifacts_dir: Path
) -> None:
    students = sample_students(25, "7A1", seed=22, first_serial=5000)
    dialog = open_dialog(
        qtbot, school, write_handmade_list(tmp_path / "7a1.xlsx", students, class_title="7A1")
    )
    assert dialog.preview is not None and dialog.preview.ok
    assert dialog.import_button.isEnabled() and dialog.import_button.text() == "Nhập 25 học sinh"
    assert dialog.warnings_label.isVisibleTo(dialog)  # unused "Ghi chú" column, footer rows left out
    dialog.grab().save(str(artifacts_dir / "import_preview_ok.png"))
    before = student_count(school)

    with qtbot.waitSignal(dialog.imported, timeout=20_000) as signal:
        qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
        assert dialog.busy  # the write runs in the background
    report = signal.args[0]
    assert report.imported == 25
    assert student_count(school) == before + 25
    assert "Đã nhập 25 học sinh" in dialog.summary_label.text()
    assert not dialog.import_button.isEnabled()  # no second import of the same file


def test_unreadable_file_and_choosing_a_class(
    qtbot: QtBot, ui_app: QApplication, school: Database, tmp_path: Path
) -> None:
    bad = tmp_path / "cu.xls"
    bad.write_bytes(b"old excel")
    dialog = ImportDialog(school, SYSTEM, ["6A1", "7A1"], initial_class="7A1")
    qtbot.addWidget(dialog)
    dialog.load_file(bad)
    qtbot.waitUntil(lambda: not dialog.busy and dialog.error_label.isVisibleTo(dialog), timeout=20_000)
    assert ".xlsx" in dialog.error_label.text()
    assert dialog.preview is None and not dialog.import_button.isEnabled()

    (s,) = sample_students(1, None, seed=23, first_serial=6000)
    rows = [
        ["Họ và tên", "Ngày sinh", "Giới tính"],
        [s.full_name, s.date_of_birth, "Nam" if s.sex == 1 else "Nữ"],
    ]
    dialog.load_file(write_rows(tmp_path / "no_class.xlsx", rows))
    qtbot.waitUntil(lambda: dialog.preview is not None and not dialog.busy, timeout=20_000)
    assert dialog.target_class == "7A1" and dialog.preview.rows[0].class_name == "7A1"
    dialog.class_combo.setCurrentIndex(0)  # "Theo cột Lớp trong tệp": this file has none
    qtbot.waitUntil(
        lambda: not dialog.busy and dialog.preview is not None and not dialog.preview.ok, timeout=20_000
    )
    assert dialog.preview.rows[0].error_fields() == {"class_name"}


def test_class_page_buttons_import_and_export(
    qtbot: QtBot, ui_app: QApplication, school: Database, tmp_path: Path, artifacts_dir: Path
) -> None:
    from app.services.class_results import class_results, school_overview

    actor = homeroom_actor(school, "6A1")
    overview = school_overview(school, actor)
    page = ClassPage(overview.classes, lambda cid: class_results(school, actor, cid), excel=(school, actor))
    qtbot.addWidget(page)
    page.resize(1200, 700)
    page.show()
    actions = page.excel_actions
    assert actions is not None and actions.import_button.isVisibleTo(page)
    class_6a1 = next(c for c in overview.classes if c.name == "6A1")
    page.select_class(class_6a1.id)
    before = len(page.results.rows) if page.results else 0

    dialog = actions.open_import()
    assert [dialog.class_combo.itemData(i) for i in range(dialog.class_combo.count())] == [
        "6A1"
    ]  # own class only
    dialog.load_file(
        write_handmade_list(tmp_path / "them.xlsx", sample_students(3, "6A1", seed=24, first_serial=7000))
    )
    qtbot.waitUntil(lambda: dialog.preview is not None and not dialog.busy, timeout=20_000)
    with qtbot.waitSignal(dialog.imported, timeout=20_000):
        dialog.start_import()
    assert page.results is not None and len(page.results.rows) == before + 3  # the page reloaded
    assert f"{before + 3} học sinh" in page.class_combo.currentText()  # and the picker says so

    out = tmp_path / "ds.xlsx"
    actions.choose_save_path = lambda _suggested: out
    actions.export_current()
    qtbot.waitUntil(lambda: actions.last_export is not None, timeout=20_000)
    assert out.is_file() and actions.last_export is not None and actions.last_export.rows == before + 3
    page.grab().save(str(artifacts_dir / "class_page_excel_buttons.png"))


def test_the_class_page_without_a_database_has_no_excel_buttons(qtbot: QtBot, ui_app: QApplication) -> None:
    page = ClassPage((), lambda _cid: pytest.fail("no class to read"))
    qtbot.addWidget(page)
    assert page.excel_actions is None
