"""The homeroom teacher's hand-in lists: pick a list, see it, export all to Excel, print.

Printing renders the service's HTML with Qt (QTextDocument) into the system print dialog
with a preview, which also offers "print to PDF"; `print_to_pdf` does the same into a file.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QMarginsF, Qt, Signal, Slot
from PySide6.QtGui import QPageLayout, QPageSize, QTextDocument
from PySide6.QtPrintSupport import QPrinter, QPrintPreviewDialog
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.errors import UserFacingError
from app.i18n import _
from app.services.class_lists import ClassList, default_file_name, export_xlsx, lists_html
from app.ui.itemmodels import DataclassTableModel
from app.ui.itemmodels.homeroom_tables import list_columns

log = logging.getLogger(__name__)

PRINT_POINT_SIZE = 10.5  # a printed A4 list: the screen's 12 pt is too large on paper


class ClassListsPanel(QWidget):
    message = Signal(str)  # what happened, for the page's status line

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._lists: tuple[ClassList, ...] = ()
        self.export_dir: Path | None = None  # where the file dialog opens
        self.model = DataclassTableModel((), (), self)

        self.list_widget = QListWidget()
        self.list_widget.setAccessibleName(_("Các danh sách"))
        self.list_widget.currentRowChanged.connect(self._show_list)
        self.title_label = QLabel()
        self.title_label.setObjectName("countsLine")
        self.note_label = QLabel()
        self.note_label.setWordWrap(True)
        self.note_label.setStyleSheet("color: #a14a00;")
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(True)
        self.table.horizontalHeader().setMinimumHeight(int(self.table.fontMetrics().height() * 2.4))
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setAccessibleName(_("Học sinh trong danh sách"))
        self.export_button = QPushButton(_("Xuất Excel (mọi danh sách)…"))
        self.export_button.clicked.connect(self._ask_export)
        self.print_button = QPushButton(_("In danh sách này…"))
        self.print_button.clicked.connect(lambda: self._print(all_lists=False))
        self.print_all_button = QPushButton(_("In tất cả…"))
        self.print_all_button.clicked.connect(lambda: self._print(all_lists=True))

        self.title_label.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.export_button)
        buttons.addWidget(self.print_button)
        buttons.addWidget(self.print_all_button)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addLayout(buttons)
        right_layout.addWidget(self.title_label)
        right_layout.addWidget(self.note_label)
        right_layout.addWidget(self.table, 1)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.list_widget)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 4)
        splitter.setSizes([200, 900])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.addWidget(splitter)

    @property
    def lists(self) -> tuple[ClassList, ...]:
        return self._lists

    def set_lists(self, lists: Sequence[ClassList]) -> None:
        current = self.list_widget.currentRow()
        self._lists = tuple(lists)
        self.list_widget.blockSignals(True)
        self.list_widget.clear()
        for cl in self._lists:
            item = QListWidgetItem(f"{_(cl.short_title)} ({len(cl.entries)})")
            item.setToolTip(_(cl.title))
            self.list_widget.addItem(item)
        self.list_widget.blockSignals(False)
        has = bool(self._lists)
        for button in (self.export_button, self.print_button, self.print_all_button):
            button.setEnabled(has)
        self.list_widget.setCurrentRow(min(max(current, 0), len(self._lists) - 1) if has else -1)
        self._show_list(self.list_widget.currentRow())

    def current_list(self) -> ClassList | None:
        row = self.list_widget.currentRow()
        return self._lists[row] if 0 <= row < len(self._lists) else None

    @Slot(int)
    def _show_list(self, row: int) -> None:
        cl = self._lists[row] if 0 <= row < len(self._lists) else None
        if cl is None:
            self.model.set_rows((), ())
            self.title_label.clear()
            self.note_label.hide()
            return
        self.model.set_rows(cl.entries, list_columns(cl))
        self.title_label.setText(_("{title}: {n} học sinh").format(title=_(cl.title), n=len(cl.entries)))
        self.note_label.setText(cl.note or "")
        self.note_label.setVisible(bool(cl.note))
        # Name, date and sex fit their text; the list's own columns share the rest and wrap.
        header = self.table.horizontalHeader()
        for column in range(self.model.columnCount()):
            mode = QHeaderView.ResizeMode.ResizeToContents if column < 4 else QHeaderView.ResizeMode.Stretch
            header.setSectionResizeMode(column, mode)

    # -- export and print ------------------------------------------------------------------

    def export_to(self, path: Path) -> Path:
        written = export_xlsx(self._lists, path)
        self.message.emit(_("Đã xuất {n} danh sách vào tệp {file}.").format(n=len(self._lists), file=written))
        return written

    @Slot()
    def _ask_export(self) -> None:
        if not self._lists:
            return
        start = (self.export_dir or Path.home()) / default_file_name(self._lists)
        chosen, _filter = QFileDialog.getSaveFileName(
            self, _("Xuất danh sách ra Excel"), str(start), _("Sổ làm việc Excel (*.xlsx)")
        )
        if not chosen:
            return
        path = Path(chosen)
        if path.suffix.lower() != ".xlsx":
            path = path.with_suffix(".xlsx")
        try:
            self.export_to(path)
        except UserFacingError as exc:
            self.message.emit(exc.message)

    def document(self, printer: QPrinter, *, all_lists: bool) -> QTextDocument:
        chosen = self._lists if all_lists else tuple(x for x in (self.current_list(),) if x)
        doc = QTextDocument(self)
        font = QApplication.font()
        font.setPointSizeF(PRINT_POINT_SIZE)
        doc.setDefaultFont(font)
        # Lay the text out in the printer's own pixels, on its page inside its margins: the
        # fonts then keep their point size on paper, and Qt adds no margins of its own.
        doc.documentLayout().setPaintDevice(printer)
        doc.setHtml(lists_html(chosen))
        doc.setPageSize(printer.pageRect(QPrinter.Unit.DevicePixel).size())
        return doc

    def print_to_pdf(self, path: Path, *, all_lists: bool = True) -> Path:
        printer = self._printer()
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(path))
        self.document(printer, all_lists=all_lists).print_(printer)
        return path

    def _printer(self) -> QPrinter:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setPageLayout(
            QPageLayout(
                QPageSize(QPageSize.PageSizeId.A4),
                QPageLayout.Orientation.Portrait,
                QMarginsF(15, 15, 15, 15),
                QPageLayout.Unit.Millimeter,
            )
        )
        return printer

    def _print(self, *, all_lists: bool) -> None:
        if not self._lists:
            return
        printer = self._printer()
        doc = self.document(printer, all_lists=all_lists)
        dialog = QPrintPreviewDialog(printer, self)
        dialog.setWindowTitle(_("Xem trước khi in"))
        dialog.paintRequested.connect(doc.print_)
        dialog.exec()
