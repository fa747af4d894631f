"""The confirmed printout window (bản in có xác nhận): preview, print, save as PDF.

Opened from the document view of an issued record. The print copy (the record's pages with
a note on each and a last page with the SHA-256 and the QR code of the hub's verify address)
is built off the GUI thread; the window opens on the verification page. Each print or save
writes one entry in the print log (the audit trail), also off the GUI thread; the status
line says when it is recorded. The signed original is never changed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, Qt, QTimer, Slot
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QStackedLayout,
    QVBoxLayout,
    QWidget,
)

from app.errors import UserFacingError
from app.i18n import _
from app.models.db import Database
from app.services.access import Actor
from app.services.printing import CHANNEL_PRINTER, Printout, log_printout, prepare_printout, save_printout
from app.ui.background import run_in_background
from app.ui.pdf_printing import paint_pdf

log = logging.getLogger(__name__)


class ConfirmedPrintDialog(QDialog):
    """Preview, print and save the confirmed printout of one issued record."""

    def __init__(
        self,
        db: Database,
        actor: Actor,
        document_id: int,
        parent: QWidget | None = None,
        *,
        background: bool = True,
    ) -> None:
        super().__init__(parent)
        self._db, self._actor, self._document_id = db, actor, document_id
        self._background = background
        self.printout: Printout | None = None
        self.logged = 0  # print log entries written from this window
        self.warning_box: QMessageBox | None = None
        self._buffer: QBuffer | None = None
        self.setWindowTitle(_("Bản in có xác nhận"))
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.resize(860, 1000)

        self.pdf = QPdfDocument(self)
        self.view = QPdfView(self)
        self.view.setDocument(self.pdf)
        self.view.setPageMode(QPdfView.PageMode.MultiPage)
        self.view.setZoomMode(QPdfView.ZoomMode.FitInView)
        self.view.setAccessibleName(_("Trang bản in có xác nhận"))

        self.title_label = QLabel(_("Đang tạo bản in có xác nhận…"))
        self.title_label.setWordWrap(True)
        font = self.title_label.font()
        font.setBold(True)
        self.title_label.setFont(font)
        self.detail_label = QLabel()
        self.detail_label.setWordWrap(True)
        self.detail_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.message = QLabel(_("Đang tạo bản in có xác nhận…"))
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.stack = QStackedLayout()
        self.stack.addWidget(self.message)
        self.stack.addWidget(self.view)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 10, 10, 10)
        layout.setSpacing(8)
        layout.addWidget(self.title_label)
        layout.addWidget(self.detail_label)
        layout.addLayout(self._toolbar())
        layout.addLayout(self.stack, 1)
        layout.addWidget(self.status_label)
        self._set_ready(False)

        def load() -> Printout:
            return prepare_printout(db, actor, document_id)

        if background:
            run_in_background(self, load, self._loaded, self._failed)
        else:
            try:
                self._loaded(load())
            except BaseException as exc:  # the same path as a background error
                self._failed(exc)

    def _button(self, text: str, tip: str, slot: Callable[[], None]) -> QPushButton:
        button = QPushButton(text)
        button.setToolTip(tip)
        button.clicked.connect(slot)
        return button

    def _toolbar(self) -> QHBoxLayout:
        self.first_page_button = self._button(
            _("Trang đầu"), _("Xem trang đầu của học bạ"), self.show_first_page
        )
        self.check_page_button = self._button(
            _("Trang xác nhận"), _("Xem trang có mã QR và mã SHA-256"), self.show_verification_page
        )
        self.print_button = self._button(_("In…"), _("In bản có xác nhận (Ctrl+P)"), self.print_document)
        self.save_button = self._button(
            _("Lưu PDF…"), _("Lưu bản in có xác nhận thành tệp PDF"), self.save_pdf
        )
        close = self._button(_("Đóng"), _("Đóng cửa sổ bản in"), self.reject)
        bar = QHBoxLayout()
        bar.addWidget(self.first_page_button)
        bar.addWidget(self.check_page_button)
        bar.addStretch(1)
        for w in (self.print_button, self.save_button, close):
            bar.addWidget(w)
        QShortcut(QKeySequence(QKeySequence.StandardKey.Print), self, self.print_document)
        return bar

    def _set_ready(self, ready: bool) -> None:
        for w in (self.first_page_button, self.check_page_button, self.print_button, self.save_button):
            w.setEnabled(ready)
        self.stack.setCurrentIndex(1 if ready else 0)

    # -- loading ----------------------------------------------------------------------------

    def _loaded(self, printout: Printout) -> None:
        self.printout = printout
        self._buffer = QBuffer(self)
        self._buffer.setData(QByteArray(printout.pdf))
        self._buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        self.pdf.load(self._buffer)
        if self.pdf.status() != QPdfDocument.Status.Ready:
            self._failed(RuntimeError(f"QPdfDocument status {self.pdf.status()}"))
            return
        self.title_label.setText(
            _("Bản in có xác nhận — {name}, lớp {klass}, năm học {year}").format(
                name=printout.student_name, klass=printout.class_name, year=printout.year_name
            )
        )
        if printout.verify_url:
            where = _("Mã QR dẫn tới: {url}").format(url=printout.verify_url)
        else:
            where = _(
                "Trường chưa kết nối máy chủ của Sở nên bản in không có mã QR; trang xác nhận ghi mã "
                "SHA-256 để đối chiếu với tệp gốc."
            )
        self.detail_label.setText(
            _("Mã hồ sơ {record} · phiên bản {version}").format(
                record=printout.record_id, version=printout.version
            )
            + "\n"
            + _("SHA-256 của bản gốc: {sha}").format(sha=printout.sha256)
            + "\n"
            + where
        )
        self._set_ready(True)
        self.show_verification_page()
        # Again once the view has laid the pages out (a jump before that is lost).
        QTimer.singleShot(0, self.show_verification_page)

    def _failed(self, error: BaseException) -> None:
        if isinstance(error, UserFacingError):
            text = error.message
        else:
            log.error("confirmed printout failed", exc_info=error)
            text = _("Không tạo được bản in. Lỗi đã được ghi vào nhật ký; hãy báo cho cán bộ quản trị.")
        self.title_label.setText(_("Chưa tạo được bản in có xác nhận"))
        self.message.setText(text)
        self._set_ready(False)

    @Slot()
    def show_first_page(self) -> None:
        self.view.pageNavigator().jump(0, QPointF(), 0)

    @Slot()
    def show_verification_page(self) -> None:
        if self.pdf.pageCount():
            self.view.pageNavigator().jump(self.pdf.pageCount() - 1, QPointF(), 0)

    # -- print, save, log -------------------------------------------------------------------

    @Slot()
    def print_document(self) -> None:
        if self.printout is None:
            return
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setDocName(self.printout.file_stem)
        dialog = QPrintDialog(printer, self)
        dialog.setWindowTitle(_("In bản có xác nhận"))
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.print_to(printer)

    def print_to(self, printer: QPrinter) -> int:
        """Paint every page onto `printer` (scaled to its page), then log the print; the page count."""
        if self.printout is None:
            return 0
        if paint_pdf(self.pdf, printer) is None:
            self._warn(_("In bản có xác nhận"), _("Không mở được máy in. Hãy kiểm tra máy in rồi thử lại."))
            return 0
        target_name = printer.outputFileName() or printer.printerName() or None
        printout, actor, db = self.printout, self._actor, self._db
        self._run(
            lambda: log_printout(db, actor, printout, channel=CHANNEL_PRINTER, target=target_name),
            _("Đã in và ghi vào nhật ký in."),
        )
        return self.pdf.pageCount()

    @Slot()
    def save_pdf(self) -> None:
        if self.printout is None:
            return
        suggested = str(Path.home() / f"{self.printout.file_stem}.pdf")
        path, _chosen = QFileDialog.getSaveFileName(
            self, _("Lưu bản in có xác nhận"), suggested, _("Tệp PDF (*.pdf)")
        )
        if path:
            self.save_to(Path(path))

    def save_to(self, path: Path) -> None:
        """Write the print copy to `path` and log it (off the GUI thread)."""
        if self.printout is None:
            return
        printout, actor, db = self.printout, self._actor, self._db
        self._run(
            lambda: save_printout(db, actor, printout, path),
            _("Đã lưu {file} và ghi vào nhật ký in.").format(file=path.name),
        )

    def _run(self, work: Callable[[], None], done_text: str) -> None:
        self.status_label.setText(_("Đang ghi nhật ký in…"))

        def done(_result: object) -> None:
            self.logged += 1
            self.status_label.setText(done_text)

        def failed(error: BaseException) -> None:
            if isinstance(error, UserFacingError):
                text = error.message
            else:
                log.error("print log failed", exc_info=error)
                text = _("Không ghi được nhật ký in. Lỗi đã được ghi lại; hãy báo cho cán bộ quản trị.")
            self.status_label.setText(text)
            self._warn(_("Bản in có xác nhận"), text)

        if self._background:
            run_in_background(self, work, done, failed)
            return
        try:
            work()
        except BaseException as exc:  # the same path as a background error
            failed(exc)
        else:
            done(None)

    def _warn(self, title: str, text: str) -> None:
        """Non-blocking, so the window (and tests) keep running while it is shown."""
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Close, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.warning_box = box
        box.open()
