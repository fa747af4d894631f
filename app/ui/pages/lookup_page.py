"""The "Tra cứu" area: find any student of the school, then open their page.

Top to bottom: one big search box (a name typed without diacritics, a student code or an
identification number; results follow the typing), the filters (school year, class, and
whether to include students who left or finished), a counts line, and the results table.
Enter or a double click opens the student's page (app.ui.pages.lookup_student) in place;
"Quay lại" (Esc) comes back to the same results.

Typing is debounced (`DEBOUNCE_MS`) and every search runs off the GUI thread: on 10,000
students a search costs tens of milliseconds, too much to spend between two key presses.
Only the newest search's answer is shown; slower answers to older queries are dropped.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QSignalBlocker, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QKeyEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.errors import UserFacingError
from app.i18n import _
from app.models.db import Database
from app.services.access import Actor
from app.services.lookup import (
    STATUS_CURRENT,
    LookupChoices,
    LookupHit,
    LookupQuery,
    LookupResult,
    lookup_choices,
    search_students,
)
from app.ui import theme
from app.ui.background import run_in_background
from app.ui.formatting import NO_VALUE, format_date, format_year
from app.ui.itemmodels import DataclassTableModel
from app.ui.itemmodels.dataclass_table import ALIGN_CENTER, Column
from app.ui.pages.lookup_student import StudentPanel

log = logging.getLogger(__name__)

DEBOUNCE_MS = 250
SEARCH_POINT_SIZE = 17.0
PROMPT = "Gõ tên học sinh (không cần dấu), mã học sinh hoặc số định danh để tìm."


def _id_text(hit: LookupHit) -> str:
    return hit.national_id if not hit.provisional_id else _("chưa có")


def result_columns() -> tuple[Column, ...]:
    return (
        Column(_("Họ và tên"), lambda h: h.full_name),
        Column(_("Ngày sinh"), lambda h: format_date(h.date_of_birth), ALIGN_CENTER),
        Column(_("Giới tính"), lambda h: h.sex, ALIGN_CENTER),
        Column(_("Lớp"), lambda h: h.class_name or NO_VALUE, ALIGN_CENTER),
        Column(_("Năm học"), lambda h: format_year(h.year_name) if h.year_name else NO_VALUE, ALIGN_CENTER),
        Column(_("Mã học sinh"), lambda h: h.student_code),
        Column(_("Số định danh"), _id_text,
               tooltip=lambda h: None if h.national_id_full else _("Chỉ hiện 4 số cuối")),
        Column(_("Tình trạng"), lambda h: h.status_label,
               foreground=lambda h: None if h.status == STATUS_CURRENT else theme.MUTED_TEXT),
    )


class _SearchBox(QLineEdit):
    """Down moves into the results, so the keyboard alone goes from typing to a student."""

    down_pressed = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Down:
            self.down_pressed.emit()
            return
        super().keyPressEvent(event)


class _ResultsTable(QTableView):
    """Enter opens the selected student, as a double click does."""

    activated_row = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.activated_row.emit()
            return
        super().keyPressEvent(event)


class LookupPage(QWidget):
    """The "Tra cứu" area of the main window."""

    status_message = Signal(str)

    def __init__(self, db: Database, actor: Actor, parent: QWidget | None = None, *, background: bool = True):
        super().__init__(parent)
        self._db = db
        self._actor = actor
        self._background = background
        self._request = 0
        self.result: LookupResult | None = None
        self._shown_once = False
        self.choices: LookupChoices = lookup_choices(db, actor)  # a few rows: a short read

        self.search_box = _SearchBox()
        self.search_box.setObjectName("lookupSearch")
        self.search_box.setPlaceholderText(
            _("Tìm học sinh: tên không cần dấu, mã học sinh hoặc số định danh")
        )
        self.search_box.setAccessibleName(_("Tìm học sinh"))
        self.search_box.setClearButtonEnabled(True)
        font = self.search_box.font()
        font.setPointSizeF(SEARCH_POINT_SIZE)
        self.search_box.setFont(font)
        self.search_box.setMinimumHeight(48)
        self.search_box.textChanged.connect(self._schedule)
        self.search_box.returnPressed.connect(self._on_return)
        self.search_box.down_pressed.connect(self._into_results)

        self.year_combo = QComboBox()
        self.year_combo.setAccessibleName(_("Lọc theo năm học"))
        self.class_combo = QComboBox()
        self.class_combo.setAccessibleName(_("Lọc theo lớp"))
        self.class_combo.setMinimumContentsLength(8)
        self._fill_years()
        self.include_left = QCheckBox(_("Gồm cả học sinh đã chuyển đi, thôi học hoặc đã ra trường"))
        self.include_left.setChecked(True)
        year_label = QLabel(_("&Năm học:"))
        year_label.setBuddy(self.year_combo)
        class_label = QLabel(_("Lớ&p:"))
        class_label.setBuddy(self.class_combo)
        filters = QHBoxLayout()
        filters.addWidget(year_label)
        filters.addWidget(self.year_combo)
        filters.addSpacing(12)
        filters.addWidget(class_label)
        filters.addWidget(self.class_combo)
        filters.addSpacing(12)
        filters.addWidget(self.include_left)
        filters.addStretch(1)
        self.year_combo.currentIndexChanged.connect(self._on_year_changed)
        self.class_combo.currentIndexChanged.connect(self.search_now)
        self.include_left.toggled.connect(self.search_now)

        self.counts_label = QLabel(_(PROMPT))
        self.counts_label.setObjectName("countsLine")
        self.counts_label.setWordWrap(True)
        self.error_label = QLabel()
        self.error_label.setObjectName("pageError")
        self.error_label.setWordWrap(True)
        self.error_label.hide()

        self.model = DataclassTableModel(result_columns(), (), self)
        self.table = _ResultsTable()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setAccessibleName(_("Học sinh tìm thấy"))
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.doubleClicked.connect(lambda _index: self.open_selected())
        self.table.activated_row.connect(self.open_selected)
        self.table.selectionModel().selectionChanged.connect(self._on_selection_changed)

        self.open_button = QPushButton(_("&Xem hồ sơ học sinh"))
        self.open_button.setToolTip(_("Quá trình học tập và các bản học bạ của học sinh đang chọn (Enter)"))
        self.open_button.setEnabled(False)
        self.open_button.clicked.connect(self.open_selected)
        self.transfer_in_button = QPushButton(_("&Nhận học sinh chuyển đến…"))
        self.transfer_in_button.setToolTip(
            _("Mở gói hồ sơ chuyển trường (.hbt), kiểm tra chữ ký và tiếp nhận học sinh")
        )
        self.transfer_in_button.setVisible(actor.sees_whole_school)
        self.transfer_in_button.clicked.connect(self.start_transfer_in)
        counts_row = QHBoxLayout()
        counts_row.addWidget(self.counts_label, 1)
        counts_row.addWidget(self.transfer_in_button)
        counts_row.addWidget(self.open_button)

        search_view = QWidget()
        search_layout = QVBoxLayout(search_view)
        search_layout.setContentsMargins(10, 10, 10, 6)
        search_layout.setSpacing(8)
        search_layout.addWidget(self.search_box)
        search_layout.addLayout(filters)
        search_layout.addLayout(counts_row)
        search_layout.addWidget(self.error_label)
        search_layout.addWidget(self.table, 1)

        self.student_panel = StudentPanel(db, actor, background=background)
        self.student_panel.back_requested.connect(self.show_results)
        self.student_panel.status_message.connect(self.status_message)

        self.stack = QStackedWidget()
        self.stack.addWidget(search_view)
        self.stack.addWidget(self.student_panel)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self.search_now)
        self.setFocusProxy(self.search_box)

    # -- filters ----------------------------------------------------------------------------

    def _fill_years(self) -> None:
        year_id, class_id = self.year_combo.currentData(), self.class_combo.currentData()
        blocker = QSignalBlocker(self.year_combo)
        self.year_combo.clear()
        self.year_combo.addItem(_("Mọi năm học"), None)
        for year in self.choices.years:
            label = format_year(year.name) + (_(" (năm nay)") if year.is_current else "")
            self.year_combo.addItem(label, year.id)
        self.year_combo.setCurrentIndex(max(self.year_combo.findData(year_id), 0))
        del blocker
        self._fill_classes()
        self.class_combo.setCurrentIndex(max(self.class_combo.findData(class_id), 0))

    def refresh_choices(self) -> None:
        """Years and classes created since the page was built appear in the filters."""
        choices = lookup_choices(self._db, self._actor)
        if choices != self.choices:
            self.choices = choices
            blocker = QSignalBlocker(self.class_combo)
            self._fill_years()
            del blocker

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._shown_once:
            self.refresh_choices()  # a few rows: a short read
        self._shown_once = True

    def _fill_classes(self) -> None:
        year_id = self.year_combo.currentData()
        blocker = QSignalBlocker(self.class_combo)
        self.class_combo.clear()
        self.class_combo.addItem(_("Mọi lớp"), None)
        # Newest year first, as in the year filter.
        for year in self.choices.years:
            if year_id is not None and year.id != year_id:
                continue
            for klass in (c for c in self.choices.classes if c.year_id == year.id):
                label = klass.name if year_id is not None else f"{klass.name} ({format_year(year.name)})"
                self.class_combo.addItem(label, klass.id)
        del blocker

    @Slot()
    def _on_year_changed(self) -> None:
        self._fill_classes()
        self.search_now()

    def current_query(self) -> LookupQuery:
        return LookupQuery(
            text=self.search_box.text(),
            year_id=self.year_combo.currentData(),
            class_id=self.class_combo.currentData(),
            include_left=self.include_left.isChecked(),
        )

    # -- searching --------------------------------------------------------------------------

    @Slot()
    def _schedule(self) -> None:
        self._timer.start()

    @Slot()
    def _on_return(self) -> None:
        if self._timer.isActive():
            self.search_now()
        elif self.model.rowCount() == 1:
            self.table.selectRow(0)
            self.open_selected()
        else:
            self._into_results()

    @Slot()
    def _into_results(self) -> None:
        if self.model.rowCount():
            self.table.setFocus()
            if not self.table.selectionModel().hasSelection():
                self.table.selectRow(0)

    @Slot()
    def search_now(self) -> None:
        self._timer.stop()
        self._request += 1
        request = self._request
        query = self.current_query()
        db, actor = self._db, self._actor

        def done(result: LookupResult) -> None:
            if request == self._request:  # an answer to an older query is dropped
                self.show_result(result)

        def failed(exc: BaseException) -> None:
            if request == self._request:
                self._show_error(exc)

        if self._background:
            run_in_background(self, lambda: search_students(db, actor, query), done, failed)
        else:
            try:
                done(search_students(db, actor, query))
            except Exception as exc:  # the same path as a background failure
                failed(exc)

    def show_result(self, result: LookupResult) -> None:
        self.result = result
        self.error_label.hide()
        self.model.set_rows(result.hits)
        self.table.resizeColumnsToContents()
        self.counts_label.setText(self._counts_text(result))
        self.open_button.setEnabled(False)
        if result.hits:
            self.table.selectRow(0)

    def _counts_text(self, result: LookupResult) -> str:
        query = result.query
        if not query.text.strip() and query.year_id is None and query.class_id is None:
            return _(PROMPT)
        if not result.hits:
            text = _("Không tìm thấy học sinh nào. Hãy gõ ít chữ hơn, bỏ bớt bộ lọc, hoặc thử mã học sinh.")
            if not self._actor.sees_whole_school:
                # Teachers find only their own classes' students: say so, or they think the data is lost.
                text += " " + _("Bạn chỉ tìm được học sinh của các lớp mình dạy hoặc chủ nhiệm.")
            return text
        if result.total > len(result.hits):
            return _("Hiện {shown} trong {total} học sinh tìm thấy. Gõ thêm để thu hẹp.").format(
                shown=len(result.hits), total=result.total)
        return _("Tìm thấy {n} học sinh. Nhấn Enter hoặc bấm đúp để xem hồ sơ.").format(n=result.total)

    def _show_error(self, exc: BaseException) -> None:
        if isinstance(exc, UserFacingError):
            text = exc.message
        else:
            log.error("look-up failed", exc_info=exc)
            text = _("Không tìm được. Lỗi đã được ghi vào nhật ký; hãy báo cho cán bộ quản trị.")
        self.error_label.setText(text)
        self.error_label.show()

    # -- the student page -------------------------------------------------------------------

    def selected_hit(self) -> LookupHit | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_at(rows[0]) if rows else None

    @Slot()
    def _on_selection_changed(self) -> None:
        self.open_button.setEnabled(self.selected_hit() is not None)

    @Slot()
    def open_selected(self) -> None:
        hit = self.selected_hit()
        if hit is not None:
            self.open_student(hit.student_id)

    def start_transfer_in(self) -> None:
        from app.ui.dialogs.transfer_in import TransferInDialog

        dialog = TransferInDialog(self._db, self._actor, self)
        dialog.transfer_accepted.connect(self.open_student)
        dialog.exec()

    def open_student(self, student_id: int) -> None:
        self.student_panel.show_student(student_id)
        self.stack.setCurrentWidget(self.student_panel)
        self.student_panel.tree.setFocus()

    @Slot()
    def show_results(self) -> None:
        self.stack.setCurrentIndex(0)
        self.table.setFocus()
