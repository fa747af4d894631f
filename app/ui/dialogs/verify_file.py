"""Verify any file: a PDF or a transfer package dropped on the window, or chosen in File → Xác minh tệp….

The report (who signed, in which role, when, intact and trusted) is computed off the GUI
thread; then, when this PC is connected to the department's hub, the hub is asked (also off
the GUI thread, a few seconds at most) whether the record was superseded. The report can be
printed or saved as PDF, with the same words as on screen.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QMimeData, Qt, QUrl, Slot
from PySide6.QtGui import QTextDocument
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.errors import UserFacingError
from app.i18n import _
from app.models.db import Database
from app.services.verification import KIND_PDF, VerificationReport, verify_file
from app.sync.verify_client import HubVerdict, ask_hub, hub_address, not_connected
from app.ui.background import run_in_background
from app.ui.pages.signatures_panel import SignaturesPanel, report_html

log = logging.getLogger(__name__)

VERIFIABLE_SUFFIXES = (".pdf", ".hbt")
FILE_FILTER = "Học bạ PDF hoặc gói chuyển trường (*.pdf *.hbt);;Mọi tệp (*)"


def dropped_files(mime: QMimeData) -> list[Path]:
    """The local PDF and .hbt files in a drag, in the order given."""
    if not mime.hasUrls():
        return []
    return [
        Path(url.toLocalFile())
        for url in mime.urls()
        if url.isLocalFile() and url.toLocalFile().lower().endswith(VERIFIABLE_SUFFIXES)
    ]


def file_urls(paths: Iterable[Path]) -> QMimeData:
    """A drag's data naming these files (what a file manager gives)."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    return mime


def choose_file(parent: QWidget) -> Path | None:
    path, _chosen = QFileDialog.getOpenFileName(
        parent, _("Chọn tệp cần xác minh"), str(Path.home()), _(FILE_FILTER)
    )
    return Path(path) if path else None


class VerifyFileDialog(QDialog):
    """The verification report of one file, readable and printable."""

    def __init__(
        self,
        path: Path,
        db: Database | None = None,
        parent: QWidget | None = None,
        *,
        ask_the_hub: bool = True,
    ) -> None:
        super().__init__(parent)
        self.path = path
        self.db = db
        self.ask_the_hub = ask_the_hub
        self.report: VerificationReport | None = None
        self.hub_checked = False
        self.warning_box: QMessageBox | None = None
        self.setWindowTitle(_("Xác minh tệp — {name}").format(name=path.name))
        self.resize(720, 820)

        self.file_label = QLabel(_("Tệp: {path}").format(path=path))
        self.file_label.setWordWrap(True)
        self.panel = SignaturesPanel()
        self.panel.show_message(_("Đang kiểm tra chữ ký…"))
        self.print_button = QPushButton(_("In báo cáo…"))
        self.print_button.setToolTip(_("In báo cáo xác minh ra giấy"))
        self.print_button.clicked.connect(self.print_report)
        self.save_button = QPushButton(_("Lưu báo cáo PDF…"))
        self.save_button.setToolTip(_("Lưu báo cáo xác minh thành tệp PDF"))
        self.save_button.clicked.connect(self.save_report)
        close = QPushButton(_("Đóng"))
        close.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for button in (self.print_button, self.save_button, close):
            buttons.addWidget(button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.addWidget(self.file_label)
        layout.addWidget(self.panel, 1)
        layout.addLayout(buttons)
        self._set_ready(False)
        run_in_background(self, self._verify, self._verified, self._failed)

    def _set_ready(self, ready: bool) -> None:
        self.print_button.setEnabled(ready)
        self.save_button.setEnabled(ready)

    # -- the report -------------------------------------------------------------------------

    def _verify(self) -> VerificationReport:  # on a pool thread
        return verify_file(self.path, db=self.db)

    def _verified(self, report: VerificationReport) -> None:
        self.report = report
        self.panel.set_report(report)
        self._set_ready(True)
        # The hub holds records and sheets, not transfer packages: only a PDF is asked about.
        if self.ask_the_hub and report.kind == KIND_PDF and report.problem is None:
            self.panel.set_hub(None, checking=True)
            run_in_background(self, self._ask_hub, self._hub_answered, self._hub_failed)
        else:
            self.hub_checked = True

    def _failed(self, error: BaseException) -> None:
        if isinstance(error, UserFacingError):
            text = error.message
        else:
            log.error("verification failed", exc_info=error)
            text = _("Không kiểm tra được tệp. Lỗi đã được ghi vào nhật ký; hãy báo cho cán bộ quản trị.")
        self.panel.show_message(text)
        self.hub_checked = True

    def _ask_hub(self) -> HubVerdict:  # on a pool thread: HTTP never runs on the GUI thread
        assert self.report is not None
        address = hub_address(self.db) if self.db is not None else None
        if address is None:
            return not_connected()
        return ask_hub(address, self.report.sha256)

    def _hub_answered(self, verdict: HubVerdict) -> None:
        if self.report is not None:
            self.report = self.report.with_hub(verdict)
            self.panel.set_report(self.report)
        self.hub_checked = True

    def _hub_failed(self, error: BaseException) -> None:
        log.warning("hub question failed: %r", error)
        self.panel.set_hub(None)
        self.hub_checked = True

    # -- printing ---------------------------------------------------------------------------

    def report_document(self) -> QTextDocument:
        assert self.report is not None
        doc = QTextDocument(self)
        doc.setHtml(report_html(self.report, printed_at=datetime.now().strftime("%d/%m/%Y %H:%M")))
        return doc

    def print_to(self, printer: QPrinter) -> bool:
        if self.report is None:
            return False
        self.report_document().print_(printer)
        return True

    @Slot()
    def print_report(self) -> None:
        if self.report is None:
            return
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setDocName(_("Báo cáo xác minh {name}").format(name=self.path.stem))
        dialog = QPrintDialog(printer, self)
        dialog.setWindowTitle(_("In báo cáo xác minh"))
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.print_to(printer)

    def save_pdf(self, target: Path) -> bool:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(target))
        if not self.print_to(printer):
            return False
        if not target.is_file():
            self._warn(_("Không lưu được {path}. Hãy chọn thư mục khác.").format(path=target))
            return False
        return True

    @Slot()
    def save_report(self) -> None:
        suggested = str(Path.home() / f"xac-minh-{self.path.stem}.pdf")
        path, _chosen = QFileDialog.getSaveFileName(
            self, _("Lưu báo cáo xác minh"), suggested, _("Tệp PDF (*.pdf)")
        )
        if path:
            self.save_pdf(Path(path))

    def _warn(self, text: str) -> None:
        box = QMessageBox(
            QMessageBox.Icon.Warning, _("Xác minh tệp"), text, QMessageBox.StandardButton.Close, self
        )
        self.warning_box = box
        box.open()


def open_verify_dialog(path: Path, db: Database | None, parent: QWidget | None) -> VerifyFileDialog:
    """A non-modal report window (several files can be open side by side)."""
    dialog = VerifyFileDialog(path, db, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog
