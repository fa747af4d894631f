"""The generic dataclass table model and the class page's column descriptions, on real rows."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QApplication

from app.models.db import Database
from app.services.access import SYSTEM
from app.services.class_results import (
    PROMOTION_LABELS,
    TITLE_LABELS,
    ClassResults,
    SchoolOverview,
    class_results,
    school_overview,
)
from app.ui import theme
from app.ui.formatting import counts_line, format_date
from app.ui.itemmodels import ROW_ROLE, Column, DataclassTableModel
from app.ui.itemmodels.class_tables import CLASS_COLUMNS, student_columns

SECONDARY_HEADERS = [
    "STT",
    "Họ và tên",
    "Giới tính",
    "Ngày sinh",
    "Số định danh",
    "Kết quả học tập",
    "Rèn luyện",
    "Số buổi nghỉ",
    "Lên lớp",
    "Danh hiệu",
]

pytestmark = pytest.mark.qt


@pytest.fixture(scope="module")
def overview(demo_db: Database) -> SchoolOverview:
    return school_overview(demo_db, SYSTEM)


@pytest.fixture(scope="module")
def first_class(demo_db: Database, overview: SchoolOverview) -> ClassResults:
    return class_results(demo_db, SYSTEM, overview.classes[0].id)


def _texts(model: DataclassTableModel, header: str) -> list[str]:
    column = model.column_index(header)
    assert column >= 0, header
    return [model.index(r, column).data() for r in range(model.rowCount())]


def test_student_model_passes_the_model_tester(
    ui_app: QApplication, qtmodeltester, first_class: ClassResults
) -> None:
    assert first_class.rows, "the demo class has students"
    model = DataclassTableModel(student_columns(first_class.level), first_class.rows)
    qtmodeltester.check(model)
    # And again after a reset with other columns, the way the page swaps levels.
    model.set_rows(first_class.rows[:5], student_columns("tieuhoc"))
    qtmodeltester.check(model)


def test_class_model_passes_the_model_tester(
    ui_app: QApplication, qtmodeltester, overview: SchoolOverview
) -> None:
    model = DataclassTableModel(CLASS_COLUMNS, overview.classes)
    qtmodeltester.check(model)
    assert model.rowCount() == len(overview.classes) == 2
    label = model.index(0, 0).data()
    first = overview.classes[0]
    assert first.name in label and f"{first.student_count} học sinh" in label


def test_empty_model_passes_the_model_tester(ui_app: QApplication, qtmodeltester) -> None:
    qtmodeltester.check(DataclassTableModel(student_columns("thcs")))


def test_columns_are_data_and_rows_come_back_whole(ui_app: QApplication, first_class: ClassResults) -> None:
    model = DataclassTableModel(student_columns(first_class.level), first_class.rows)
    assert [c.header for c in model.columns] == SECONDARY_HEADERS
    # Long headers wrap onto two lines on screen; the words are the same.
    shown = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert [" ".join(h.split()) for h in shown] == SECONDARY_HEADERS
    assert "Rèn luyện" not in [c.header for c in student_columns("tieuhoc")]

    row = first_class.rows[0]
    assert model.index(0, 0).data(ROW_ROLE) is row
    assert model.row_at(model.index(0, 3)) is row
    assert model.row_at(QModelIndex()) is None
    assert _texts(model, "STT") == [str(r.number) for r in first_class.rows]
    assert _texts(model, "Họ và tên") == [r.full_name for r in first_class.rows]
    assert _texts(model, "Ngày sinh") == [format_date(r.date_of_birth) for r in first_class.rows]
    assert _texts(model, "Lên lớp") == [r.promotion_label for r in first_class.rows]
    assert model.index(0, 1).data(Qt.ItemDataRole.AccessibleTextRole) == (f"Họ và tên: {row.full_name}")


def test_dates_are_day_first() -> None:
    import datetime

    assert format_date(datetime.date(2013, 9, 5)) == "05/09/2013"


def test_provisional_id_is_flagged_in_words_and_colour(
    ui_app: QApplication, first_class: ClassResults
) -> None:
    real = first_class.rows[0]
    provisional = dataclasses.replace(real, national_id_masked="", provisional_id=True)
    with_id = dataclasses.replace(real, national_id_masked="••••••••4567", provisional_id=False)
    model = DataclassTableModel(student_columns("thcs"), (provisional, with_id))
    column = model.column_index("Số định danh")
    assert model.index(0, column).data() == "Chưa có"
    assert model.index(0, column).data(Qt.ItemDataRole.ForegroundRole) == theme.WARNING_TEXT
    assert "chưa có số định danh" in model.index(0, column).data(Qt.ItemDataRole.ToolTipRole)
    assert model.index(1, column).data() == "••••••••4567"
    assert model.index(1, column).data(Qt.ItemDataRole.ForegroundRole) is None


def test_rows_without_enough_data_say_so_with_the_problem_as_tooltip(
    ui_app: QApplication, first_class: ClassResults
) -> None:
    problem = "Chưa có kết quả rèn luyện của cả hai học kì; giáo viên chủ nhiệm cần nhập."
    incomplete = dataclasses.replace(
        first_class.rows[0],
        learning=None,
        conduct=None,
        promotion=None,
        promotion_label="Chưa đủ dữ liệu",
        title=None,
        explanations=(),
        problem=problem,
    )
    model = DataclassTableModel(student_columns("thcs"), (incomplete,))
    # Said once, in words, where the decision would be; the result columns show a dash.
    assert _texts(model, "Lên lớp") == ["Chưa đủ dữ liệu"]
    assert _texts(model, "Kết quả học tập") == _texts(model, "Rèn luyện") == ["—"]
    for header in ("Kết quả học tập", "Rèn luyện", "Lên lớp"):
        index = model.index(0, model.column_index(header))
        assert problem in index.data(Qt.ItemDataRole.ToolTipRole)
    assert (
        model.index(0, model.column_index("Lên lớp")).data(Qt.ItemDataRole.ForegroundRole)
        == theme.WARNING_TEXT
    )
    assert problem in model.index(0, 1).data(Qt.ItemDataRole.ToolTipRole)


@pytest.mark.parametrize(
    ("code", "colour"),
    [
        ("o_lai", theme.NOT_PROMOTED_BG),
        ("kiem_tra_lai", theme.REASSESSMENT_BG),
        ("ren_luyen_he", theme.SUMMER_TRAINING_BG),
        ("len_lop", None),
    ],
)
def test_promotion_cues_are_colour_and_words(
    ui_app: QApplication, first_class: ClassResults, code: str, colour: object
) -> None:
    row = dataclasses.replace(
        first_class.rows[0], promotion=code, promotion_label=PROMOTION_LABELS[code], problem=None
    )
    model = DataclassTableModel(student_columns("thcs"), (row,))
    for column in range(model.columnCount()):
        assert model.index(0, column).data(Qt.ItemDataRole.BackgroundRole) == colour
    assert model.index(0, model.column_index("Lên lớp")).data() == PROMOTION_LABELS[code]


def test_counts_line_counts_what_the_rows_say(first_class: ClassResults) -> None:
    rows = first_class.rows
    line = counts_line(rows)
    assert line.startswith(f"{len(rows)} học sinh")
    expected = {
        "Học sinh Xuất sắc": sum(r.title == TITLE_LABELS["xuat_sac"] for r in rows),
        "Học sinh Giỏi": sum(r.title == TITLE_LABELS["gioi"] for r in rows),
        "kiểm tra lại": sum(r.promotion == "kiem_tra_lai" for r in rows),
        "rèn luyện hè": sum(r.promotion == "ren_luyen_he" for r in rows),
        "ở lại lớp": sum(r.promotion == "o_lai" for r in rows),
    }
    for label, n in expected.items():
        assert (f"{n} {label}" in line) == bool(n), (label, n, line)


def test_counts_line_example_wording(first_class: ClassResults) -> None:
    base = dataclasses.replace(first_class.rows[0], problem=None, title=None)

    def make(n: int, **changes: object) -> list[object]:
        return [dataclasses.replace(base, **changes) for _ in range(n)]

    rows = (
        make(5, title=TITLE_LABELS["xuat_sac"], promotion="len_lop")
        + make(9, title=TITLE_LABELS["gioi"], promotion="len_lop")
        + make(2, promotion="kiem_tra_lai")
        + make(1, promotion="ren_luyen_he")
        + make(1, promotion="o_lai")
        + make(22, promotion="len_lop")
    )
    assert counts_line(rows) == (  # type: ignore[arg-type]
        "40 học sinh · 5 Học sinh Xuất sắc · 9 Học sinh Giỏi · 2 kiểm tra lại · 1 rèn luyện hè · 1 ở lại lớp"
    )


@dataclass(frozen=True)
class _Point:
    x: int
    label: str


def test_generic_model_on_any_frozen_dataclass(ui_app: QApplication, qtmodeltester) -> None:
    columns = (
        Column("Nhãn", lambda p: p.label, tooltip=lambda p: f"x = {p.x}"),
        Column("x", lambda p: str(p.x)),
    )
    model = DataclassTableModel(columns, (_Point(1, "một"), _Point(2, "hai")))
    qtmodeltester.check(model)
    assert model.index(1, 0).data(Qt.ItemDataRole.ToolTipRole) == "x = 2"
    assert model.headerData(1, Qt.Orientation.Vertical) == "2"
    assert model.index(0, 0).flags() & Qt.ItemFlag.ItemIsSelectable
    assert not model.index(0, 0).flags() & Qt.ItemFlag.ItemIsEditable
