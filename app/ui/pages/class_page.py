"""The class page: pick a class, see its students' year results and why.

Layout, top to bottom: the class picker, a counts line, the student table, and the
"Vì sao?" panel explaining the selected student's results in full sentences.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable, Sequence
from dataclasses import replace

from PySide6.QtCore import QItemSelection, QModelIndex, QSignalBlocker, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app.errors import UserFacingError
from app.i18n import _
from app.models.db import Database
from app.services.access import Actor
from app.services.class_results import ClassResults, ClassSummary, StudentResultRow
from app.ui.formatting import NO_VALUE, counts_line, format_year, is_incomplete
from app.ui.itemmodels import DataclassTableModel
from app.ui.itemmodels.class_tables import CLASS_COLUMNS, student_columns
from app.ui.pages.class_excel_actions import ClassExcelActions
from app.ui.reads import ClassReader

log = logging.getLogger(__name__)

WHY_PLACEHOLDER = "Chọn một học sinh trong bảng để xem vì sao em có kết quả đó."


class ClassPage(QWidget):
    """The "Lớp học" area of the main window."""

    status_message = Signal(str)

    def __init__(
        self,
        classes: Sequence[ClassSummary],
        read_class: ClassReader,
        parent: QWidget | None = None,
        *,
        excel: tuple[Database, Actor] | None = None,  # the Excel buttons need the database
        open_record: Callable[[QWidget, int], object] | None = None,  # the học bạ preview
    ) -> None:
        super().__init__(parent)
        self._read_class = read_class
        self._results: ClassResults | None = None
        self.status_text = ""

        self.class_model = DataclassTableModel(CLASS_COLUMNS, classes, self)
        self.student_model = DataclassTableModel(student_columns("thcs"), (), self)

        self.class_combo = QComboBox()
        self.class_combo.setModel(self.class_model)
        self.class_combo.setModelColumn(0)
        self.class_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.class_combo.setMaxVisibleItems(20)
        self.class_combo.setAccessibleName(_("Chọn lớp"))
        pick_label = QLabel(_("&Lớp:"))  # Alt+L opens the class list
        pick_label.setBuddy(self.class_combo)
        pick_font = pick_label.font()
        pick_font.setBold(True)
        pick_label.setFont(pick_font)

        picker = QHBoxLayout()
        picker.addWidget(pick_label)
        picker.addWidget(self.class_combo)
        picker.addStretch(1)
        # "Xem học bạ" (also a double click on a student): the PDF to check before signing.
        self._open_record = open_record
        self.record_button = QPushButton(_("Xem &học bạ"))
        self.record_button.setToolTip(_("Xem học bạ (PDF) của học sinh đang chọn, để kiểm tra trước khi ký"))
        self.record_button.setEnabled(False)
        self.record_button.setVisible(open_record is not None)
        self.record_button.clicked.connect(self.open_selected_record)
        picker.addWidget(self.record_button)
        self.excel_actions: ClassExcelActions | None = None
        if excel is not None:
            self.excel_actions = ClassExcelActions(*excel, classes, self._current_summary, self)
            self.excel_actions.status_message.connect(self.status_message)
            self.excel_actions.students_imported.connect(self._reload_current)
            picker.addWidget(self.excel_actions)

        self.counts_label = QLabel()
        self.counts_label.setObjectName("countsLine")
        self.counts_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.error_label = QLabel()
        self.error_label.setObjectName("pageError")
        self.error_label.setWordWrap(True)
        self.error_label.hide()

        self.empty_label = QLabel(_("Năm học này chưa có lớp nào. Cán bộ quản trị cần tạo lớp trước."))
        self.empty_label.setWordWrap(True)
        self.empty_label.setVisible(not classes)

        self.table = self._make_table()
        self.table.setModel(self.student_model)
        self.table.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self.table.doubleClicked.connect(self._on_double_clicked)

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self.table)
        splitter.addWidget(self._make_why_panel())
        # The table gets most of the height; the explanation scrolls when it is long.
        splitter.setStretchFactor(0, 5)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([500, 300])
        self.splitter = splitter

        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 10, 10, 6)
        layout.setSpacing(8)
        layout.addLayout(picker)
        layout.addWidget(self.counts_label)
        layout.addWidget(self.error_label)
        layout.addWidget(self.empty_label)
        layout.addWidget(splitter, 1)

        self.class_combo.currentIndexChanged.connect(self._on_class_changed)
        if classes:
            self._on_class_changed(self.class_combo.currentIndex())

    # -- building ---------------------------------------------------------------------------

    def _make_table(self) -> QTableView:
        table = QTableView()
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setAlternatingRowColors(True)
        table.setWordWrap(False)
        table.setCornerButtonEnabled(False)
        table.verticalHeader().hide()
        row_height = int(table.fontMetrics().height() * 1.65)
        table.verticalHeader().setDefaultSectionSize(row_height)
        table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header = table.horizontalHeader()
        header.setHighlightSections(False)
        header.setStretchLastSection(True)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignCenter)
        header.setMinimumHeight(int(table.fontMetrics().height() * 2.2))
        table.setAccessibleName(_("Danh sách học sinh của lớp"))
        return table

    def _make_why_panel(self) -> QFrame:
        panel = QFrame()
        panel.setObjectName("whyPanel")
        title = QLabel(_("Vì sao?"))
        title_font = title.font()
        title_font.setBold(True)
        title_font.setPointSizeF(title_font.pointSizeF() * 1.15)
        title.setFont(title_font)
        self.why_text = QTextBrowser()
        self.why_text.setFrameShape(QFrame.Shape.NoFrame)
        self.why_text.setOpenLinks(False)
        self.why_text.setAccessibleName(_("Giải thích kết quả của học sinh"))
        self.why_text.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.why_text.setMinimumHeight(int(self.why_text.fontMetrics().height() * 5))
        layout = QVBoxLayout(panel)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.setSpacing(4)
        layout.addWidget(title)
        layout.addWidget(self.why_text, 1)
        self._show_explanation(None)
        return panel

    # -- what tests and the main window use ----------------------------------------------------

    @property
    def results(self) -> ClassResults | None:
        return self._results

    def select_class(self, class_id: int) -> bool:
        for row, summary in enumerate(self.class_model.rows):
            if summary.id == class_id:
                self.class_combo.setCurrentIndex(row)
                return True
        return False

    def select_student(self, row: int) -> None:
        self.table.selectRow(row)
        self.table.scrollTo(self.student_model.index(row, 0))

    def selected_student(self) -> StudentResultRow | None:
        rows = self.table.selectionModel().selectedRows()
        return self.student_model.row_at(rows[0]) if rows else None

    # -- reacting ------------------------------------------------------------------------------

    def _current_summary(self) -> ClassSummary | None:
        return self.class_model.row_at(self.class_model.index(self.class_combo.currentIndex(), 0))

    @Slot()
    def _reload_current(self) -> None:
        """After an import: read the class again and put its new size in the class picker."""
        index, summary = self.class_combo.currentIndex(), self._current_summary()
        if summary is None:
            return
        self._load_class(summary)
        if self._results is not None:
            rows = list(self.class_model.rows)
            rows[index] = replace(summary, student_count=len(self._results.rows))
            with QSignalBlocker(self.class_combo):
                self.class_model.set_rows(rows)
                self.class_combo.setCurrentIndex(index)

    @Slot(int)
    def _on_class_changed(self, index: int) -> None:
        summary = self.class_model.row_at(self.class_model.index(index, 0))
        if summary is None:
            return
        self._load_class(summary)

    def _load_class(self, summary: ClassSummary) -> None:
        try:
            results = self._read_class(summary.id)
        except UserFacingError as exc:
            log.warning("class %s could not be read: %s", summary.id, exc.message)
            self._results = None
            self.student_model.set_rows(())
            self.counts_label.clear()
            self.error_label.setText(exc.message)
            self.error_label.show()
            self._show_explanation(None)
            return
        self.error_label.hide()
        self._results = results
        self.student_model.set_rows(results.rows, student_columns(results.level))
        self.counts_label.setText(counts_line(results.rows, results.level))
        self._fit_columns()
        self._show_explanation(None)
        self.status_text = _("Đang xem lớp {name}, năm học {year}: {n} học sinh.").format(
            name=results.class_name, year=format_year(results.year_name), n=len(results.rows)
        )
        self.status_message.emit(self.status_text)

    def _fit_columns(self) -> None:
        header = self.table.horizontalHeader()
        self.table.resizeColumnsToContents()
        padding = self.table.fontMetrics().horizontalAdvance("n")
        for column in range(self.student_model.columnCount()):
            header.resizeSection(column, header.sectionSize(column) + padding)

    @Slot(QItemSelection, QItemSelection)
    def _on_selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        self._show_explanation(self.selected_student())
        self.record_button.setEnabled(self.selected_student() is not None)

    @Slot(QModelIndex)
    def _on_double_clicked(self, _index: QModelIndex) -> None:
        self.open_selected_record()

    @Slot()
    def open_selected_record(self) -> object:
        row = self.selected_student()
        if row is None or self._open_record is None:
            return None
        return self._open_record(self, row.student_id)

    def _show_explanation(self, row: StudentResultRow | None) -> None:
        if row is None:
            self.why_text.setHtml(f"<p style='color:#555555'>{html.escape(_(WHY_PLACEHOLDER))}</p>")
            return
        level = self._results.level if self._results else "thcs"
        self.why_text.setHtml(explanation_html(row, level))


def explanation_html(row: StudentResultRow, level: str = "thcs") -> str:
    """The "Vì sao?" panel for one student: a summary line, then full sentences."""
    e = html.escape
    parts = [f"<p style='font-size:large'><b>{e(row.full_name)}</b> &nbsp;({e(_('STT'))} {row.number})</p>"]
    if is_incomplete(row):
        parts.append(
            "<p><b style='color:#a14a00'>"
            + e(_("Chưa tính được kết quả cả năm vì chưa đủ dữ liệu."))
            + "</b></p>"
            + f"<p>{e(row.problem or '')}</p>"
        )
    else:
        summary = [
            f"{e(_('Kết quả giáo dục') if level == 'tieuhoc' else _('Kết quả học tập'))}: "
            f"<b>{e(row.learning or NO_VALUE)}</b>",
        ]
        if row.conduct:
            summary.append(f"{e(_('Rèn luyện'))}: <b>{e(row.conduct)}</b>")
        summary.append(f"<b>{e(row.promotion_label)}</b>")
        if row.title:
            summary.append(f"{e(_('Danh hiệu'))}: <b>{e(row.title)}</b>")
        parts.append("<p>" + " &nbsp;·&nbsp; ".join(summary) + "</p>")
        if row.explanations:
            items = "".join(f"<li style='margin-bottom:6px'>{e(text)}</li>" for text in row.explanations)
            parts.append(f"<ul style='margin-left:0px'>{items}</ul>")
    if row.provisional_id:
        parts.append(
            "<p style='color:#a14a00'>"
            + e(_("Học sinh chưa có số định danh cá nhân; cần bổ sung trước khi ký học bạ."))
            + "</p>"
        )
    return "".join(parts)
