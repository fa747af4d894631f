"""The pre-sign checklist of a class, as a panel (the homeroom page shows it in a tab).

Each row says what to fix; its last column reads as a link, and activating the row
(double-click, Enter, or a click on the link) emits `navigate_requested(page, target)`
with the page key of the main window and what to select there. The checklist is read on
the thread pool (one read per subject), so the page never waits for it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from PySide6.QtCore import QModelIndex, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.errors import UserFacingError
from app.i18n import _
from app.services.checklist import KIND_LABELS, Checklist, ChecklistItem
from app.ui.background import run_in_background
from app.ui.itemmodels import DataclassTableModel
from app.ui.itemmodels.homeroom_tables import CHECKLIST_COLUMNS

log = logging.getLogger(__name__)

LoadChecklist = Callable[[int], Checklist]
MarkLooked = Callable[[int], datetime]
LINK_COLUMN = len(CHECKLIST_COLUMNS) - 1


class ChecklistPanel(QWidget):
    navigate_requested = Signal(str, dict)
    loaded = Signal()  # after every (re)load, for tests and the status bar

    def __init__(self, load: LoadChecklist, mark_looked: MarkLooked, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._load = load
        self._mark_looked = mark_looked
        self._class_id: int | None = None
        self._checklist: Checklist | None = None
        self._loading = False

        self.model = DataclassTableModel(CHECKLIST_COLUMNS, (), self)
        self.summary_label = QLabel(_("Chọn lớp để kiểm tra."))
        self.summary_label.setObjectName("countsLine")
        self.summary_label.setWordWrap(True)
        self.filter_combo = QComboBox()
        self.filter_combo.setAccessibleName(_("Lọc theo loại"))
        self.filter_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.filter_combo.setMinimumContentsLength(30)
        self.filter_combo.currentIndexChanged.connect(self._apply_filter)
        self.refresh_button = QPushButton(_("Kiểm tra lại"))
        self.refresh_button.setToolTip(_("Đọc lại dữ liệu của lớp và lập lại danh sách."))
        self.refresh_button.clicked.connect(self.reload)
        self.looked_button = QPushButton(_("Đánh dấu đã xem"))
        self.looked_button.setToolTip(
            _("Ghi nhớ kết quả hiện tại; lần sau danh sách sẽ chỉ ra học sinh có kết quả thay đổi.")
        )
        self.looked_button.clicked.connect(self._on_mark_looked)

        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(True)
        self.table.verticalHeader().hide()
        self.table.setAccessibleName(_("Những việc cần làm trước khi ký"))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(LINK_COLUMN, QHeaderView.ResizeMode.Interactive)
        # Long texts wrap: rows follow their contents whatever the column widths become.
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.activated.connect(self._follow)
        self.table.clicked.connect(self._on_clicked)
        self.table.setCursor(Qt.CursorShape.PointingHandCursor)

        tools = QHBoxLayout()
        tools.addWidget(QLabel(_("Hiện:")))
        tools.addWidget(self.filter_combo)
        tools.addStretch(1)
        tools.addWidget(self.refresh_button)
        tools.addWidget(self.looked_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.addWidget(self.summary_label)
        layout.addLayout(tools)
        layout.addWidget(self.table, 1)

    # -- API ------------------------------------------------------------------------------

    @property
    def checklist(self) -> Checklist | None:
        return self._checklist

    @property
    def loading(self) -> bool:
        return self._loading

    def set_class(self, class_id: int | None) -> None:
        """Show another class; the list is read when `reload` is called (tab shown)."""
        if class_id != self._class_id:
            self._class_id = class_id
            self._checklist = None
            self.model.set_rows(())
            self.summary_label.setText(_("Đang chờ kiểm tra…"))

    def invalidate(self) -> None:
        """The class changed: read the list again now if it is on screen, else when shown."""
        self._checklist = None
        if self.isVisible():
            self.reload()
        else:
            self.summary_label.setText(_("Đang chờ kiểm tra…"))

    def ensure_loaded(self) -> None:
        if self._checklist is None and not self._loading:
            self.reload()

    @Slot()
    def reload(self) -> None:
        class_id = self._class_id
        if class_id is None:
            return
        self._loading = True
        self.refresh_button.setEnabled(False)
        self.summary_label.setText(_("Đang kiểm tra dữ liệu của lớp…"))
        run_in_background(self, lambda: self._load(class_id), self._show, self._failed)

    def follow_row(self, row: int) -> None:
        self._follow(self.model.index(row, LINK_COLUMN))

    # -- reacting -------------------------------------------------------------------------

    def _show(self, result: object) -> None:
        self._loading = False
        self.refresh_button.setEnabled(True)
        if not isinstance(result, Checklist) or result.class_id != self._class_id:
            return  # a class chosen meanwhile: its own load follows
        self._checklist = result
        current = self.filter_combo.currentData()
        self.filter_combo.blockSignals(True)
        self.filter_combo.clear()
        self.filter_combo.addItem(_("Tất cả ({n})").format(n=len(result.items)), None)
        for kind, label in KIND_LABELS.items():
            n = result.count(kind)
            if n:
                self.filter_combo.addItem(f"{_(label)} ({n})", kind)
        position = self.filter_combo.findData(current)
        self.filter_combo.setCurrentIndex(max(position, 0))
        self.filter_combo.blockSignals(False)
        self._apply_filter()
        self.summary_label.setText(self._summary(result))
        self.loaded.emit()

    def _failed(self, error: BaseException) -> None:
        self._loading = False
        self.refresh_button.setEnabled(True)
        if isinstance(error, UserFacingError):
            self.summary_label.setText(error.message)
        else:
            log.error("checklist failed", exc_info=error)
            self.summary_label.setText(_("Không lập được danh sách kiểm tra. Hãy thử lại."))
        self.loaded.emit()

    def _summary(self, checklist: Checklist) -> str:
        blocking = checklist.blocking_count
        other = len(checklist.items) - blocking
        if not checklist.items:
            text = _("Lớp {name}: không còn gì cần sửa trước khi ký.").format(name=checklist.class_name)
        else:
            text = _("Lớp {name}: {b} mục cần sửa trước khi ký, {o} mục nên xem lại.").format(
                name=checklist.class_name, b=blocking, o=other
            )
        if checklist.last_looked_at is None:
            text += " " + _("Bấm “Đánh dấu đã xem” để lần sau biết kết quả nào thay đổi.")
        else:
            when = checklist.last_looked_at.replace(tzinfo=UTC).astimezone()
            text += " " + _("Lần đánh dấu đã xem trước: {when}.").format(when=f"{when:%H:%M ngày %d/%m/%Y}")
        return text

    @Slot()
    def _apply_filter(self) -> None:
        checklist = self._checklist
        if checklist is None:
            return
        kind = self.filter_combo.currentData()
        rows = [i for i in checklist.items if kind is None or i.kind == kind]
        self.model.set_rows(rows)
        # The link column fits its text, up to a third of the table, so the content column
        # keeps most of the width.
        self.table.resizeColumnToContents(LINK_COLUMN)
        widest = max(self.table.viewport().width() // 3, 200)
        if self.table.columnWidth(LINK_COLUMN) > widest:
            self.table.setColumnWidth(LINK_COLUMN, widest)

    @Slot()
    def _on_mark_looked(self) -> None:
        if self._class_id is None:
            return
        try:
            self._mark_looked(self._class_id)
        except UserFacingError as exc:
            self.summary_label.setText(exc.message)
            return
        self.reload()

    @Slot(QModelIndex)
    def _on_clicked(self, index: QModelIndex) -> None:
        if index.column() == LINK_COLUMN:
            self._follow(index)

    @Slot(QModelIndex)
    def _follow(self, index: QModelIndex) -> None:
        item = self.model.row_at(index)
        if isinstance(item, ChecklistItem):
            self.navigate_requested.emit(item.target.page, item.target.selection())
