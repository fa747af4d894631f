"""The học bạ preview: a student's PDF/A, with zoom, print and export, and its signatures beside it.

Homeroom teachers open it from the class page ("Xem học bạ", or a double click on a
student) to check a record before signing. Building and rendering the record takes a
database read and ~50 ms of layout, so it runs off the GUI thread (architecture.md §3);
the window shows "Đang tạo học bạ…" meanwhile. The PDF shown is the exact file that the
export writes and that the signers will sign: nothing is re-rendered for printing.

Once a record carries a signature, the window shows the stored signed file instead, and the
signatures panel beside it (app.ui.pages.signatures_panel) says for each signature who signed,
in which role, when, whether it is intact and trusted, and whether later changes were
allowed; a document changed after signing shows in red. The check runs with the loading, off
the GUI thread. "In có xác nhận" (a confirmed printout) opens its own dialog.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt, Slot
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
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.documents.render import RenderedDocument
from app.errors import UserFacingError
from app.i18n import _
from app.models.db import Database
from app.services.access import Actor
from app.services.records import student_document, student_record
from app.services.verification import (
    SignedFile,
    VerificationReport,
    current_signed_file,
    verify_signed_file,
)
from app.ui.background import run_in_background
from app.ui.pages.signatures_panel import SignaturesPanel
from app.ui.pdf_printing import paint_pdf

log = logging.getLogger(__name__)

ZOOM_STEP = 1.25
ZOOM_MIN, ZOOM_MAX = 0.25, 4.0


@dataclass(frozen=True)
class Preview:
    """What the window shows: a title line and the rendered document."""

    title: str
    document: RenderedDocument
    signed: SignedFile | None = None  # the stored signed file shown, when there is one
    verification: VerificationReport | None = None


PreviewLoader = Callable[[], Preview]
RecordOpener = Callable[[QWidget, int], "DocumentView"]


class DocumentView(QDialog):
    """A non-modal window showing one rendered document."""

    def __init__(
        self,
        load: PreviewLoader,
        parent: QWidget | None = None,
        *,
        background: bool = True,
        db: Database | None = None,
        actor: Actor | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Xem học bạ"))
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.resize(1240, 1000)
        self.db = db
        self.actor = actor
        self.preview: Preview | None = None
        self.confirmed_print_dialog: QDialog | None = None
        self._buffer: QBuffer | None = None
        self.warning_box: QMessageBox | None = None

        self.pdf = QPdfDocument(self)
        self.view = QPdfView(self)
        self.view.setDocument(self.pdf)
        self.view.setPageMode(QPdfView.PageMode.MultiPage)
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self.view.setAccessibleName(_("Trang học bạ"))
        self.view.pageNavigator().currentPageChanged.connect(self._update_page_label)

        self.title_label = QLabel(_("Đang tạo học bạ…"))
        self.title_label.setObjectName("documentTitle")
        self.title_label.setWordWrap(True)
        font = self.title_label.font()
        font.setBold(True)
        self.title_label.setFont(font)
        self.message = QLabel(_("Đang tạo học bạ…"))
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)

        self.stack = QStackedWidget()
        self.stack.addWidget(self.message)
        self.stack.addWidget(self.view)
        self.signatures = SignaturesPanel()
        self.signatures.show_message(_("Đang kiểm tra chữ ký…"))
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.stack)
        self.splitter.addWidget(self.signatures)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([880, 340])

        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 10, 10, 10)
        layout.setSpacing(8)
        layout.addWidget(self.title_label)
        layout.addLayout(self._make_toolbar())
        layout.addWidget(self.splitter, 1)
        self._set_ready(False)

        if background:
            run_in_background(self, load, self._loaded, self._failed)
        else:
            try:
                self._loaded(load())
            except BaseException as exc:  # same path as the background error
                self._failed(exc)

    # -- building ---------------------------------------------------------------------------

    def _button(self, text: str, tip: str, slot: Callable[[], None]) -> QPushButton:
        button = QPushButton(text)
        button.setToolTip(tip)
        button.clicked.connect(slot)
        return button

    def _make_toolbar(self) -> QHBoxLayout:
        self.zoom_out_button = self._button(_("Thu nhỏ"), _("Thu nhỏ trang (Ctrl+-)"), self.zoom_out)
        self.zoom_in_button = self._button(_("Phóng to"), _("Phóng to trang (Ctrl++)"), self.zoom_in)
        self.fit_width_button = self._button(
            _("Vừa chiều rộng"), _("Trang vừa chiều rộng cửa sổ"), self.fit_width
        )
        self.fit_page_button = self._button(_("Cả trang"), _("Nhìn thấy cả trang"), self.fit_page)
        self.page_label = QLabel()
        self.print_button = self._button(_("In…"), _("In học bạ (Ctrl+P)"), self.print_document)
        self.export_pdf_button = self._button(_("Xuất PDF…"), _("Lưu tệp PDF/A của học bạ"), self.export_pdf)
        self.export_xml_button = self._button(
            _("Xuất XML…"), _("Lưu dữ liệu XML của học bạ"), self.export_xml
        )
        self.confirmed_print_button = self._button(
            _("In có xác nhận"),
            _("In học bạ kèm khối xác nhận (mã SHA-256 và mã QR để kiểm tra với bản gốc)"),
            self.open_confirmed_print,
        )
        close = self._button(_("Đóng"), _("Đóng cửa sổ xem học bạ"), self.reject)

        bar = QHBoxLayout()
        bar.setSpacing(6)
        for w in (self.zoom_out_button, self.zoom_in_button, self.fit_width_button, self.fit_page_button):
            bar.addWidget(w)
        bar.addSpacing(12)
        bar.addWidget(self.page_label)
        bar.addStretch(1)
        for w in (
            self.print_button,
            self.confirmed_print_button,
            self.export_pdf_button,
            self.export_xml_button,
            close,
        ):
            bar.addWidget(w)
        for keys, slot in (
            (QKeySequence.StandardKey.ZoomIn, self.zoom_in),
            (QKeySequence.StandardKey.ZoomOut, self.zoom_out),
            (QKeySequence.StandardKey.Print, self.print_document),
        ):
            QShortcut(QKeySequence(keys), self, slot)
        return bar

    def _set_ready(self, ready: bool) -> None:
        for w in (
            self.zoom_out_button,
            self.zoom_in_button,
            self.fit_width_button,
            self.fit_page_button,
            self.print_button,
            self.export_pdf_button,
            self.export_xml_button,
        ):
            w.setEnabled(ready)
        # A confirmed printout is of an issued record (the seal has signed), never of a draft.
        signed = self.preview.signed if ready and self.preview is not None else None
        issued = signed is not None and signed.state == "issued"
        # …and never of a file changed after signing: paper must not vouch for it.
        checked = self.preview.verification if self.preview is not None else None
        issued = issued and checked is not None and not checked.changed
        self.confirmed_print_button.setEnabled(issued and self.db is not None and self.actor is not None)
        self.stack.setCurrentIndex(1 if ready else 0)

    # -- loading ----------------------------------------------------------------------------

    def _loaded(self, preview: Preview) -> None:
        self.preview = preview
        self._buffer = QBuffer(self)
        self._buffer.setData(QByteArray(preview.document.pdf))
        self._buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        self.pdf.load(self._buffer)
        if self.pdf.status() != QPdfDocument.Status.Ready:
            self._failed(RuntimeError(f"QPdfDocument status {self.pdf.status()}"))
            return
        self.title_label.setText(preview.title)
        self.setWindowTitle(_("Xem học bạ — {title}").format(title=preview.title))
        if preview.verification is not None:
            self.signatures.set_report(preview.verification)
        else:
            self.signatures.show_message(
                _("Bản xem trước: học bạ chưa có chữ ký nào. Sau khi ký, các chữ ký hiện ở đây.")
            )
        self._set_ready(True)
        self._update_page_label(0)

    def _failed(self, error: BaseException) -> None:
        if isinstance(error, UserFacingError):
            text = error.message
        else:
            log.error("document preview failed", exc_info=error)
            text = _(
                "Không tạo được học bạ để xem. Lỗi đã được ghi vào nhật ký; hãy báo cho cán bộ quản trị."
            )
        self.title_label.setText(_("Chưa xem được học bạ"))
        self.message.setText(text)
        self.signatures.show_message(_("Chưa kiểm tra được chữ ký."))
        self._set_ready(False)

    @Slot(int)
    def _update_page_label(self, page: int) -> None:
        total = self.pdf.pageCount()
        self.page_label.setText(_("Trang {page}/{total}").format(page=page + 1, total=total) if total else "")

    # -- zoom -------------------------------------------------------------------------------

    def _zoom_to(self, factor: float) -> None:
        self.view.setZoomMode(QPdfView.ZoomMode.Custom)
        self.view.setZoomFactor(max(ZOOM_MIN, min(ZOOM_MAX, factor)))

    @Slot()
    def zoom_in(self) -> None:
        self._zoom_to(self.view.zoomFactor() * ZOOM_STEP)

    @Slot()
    def zoom_out(self) -> None:
        self._zoom_to(self.view.zoomFactor() / ZOOM_STEP)

    @Slot()
    def fit_width(self) -> None:
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)

    @Slot()
    def fit_page(self) -> None:
        self.view.setZoomMode(QPdfView.ZoomMode.FitInView)

    # -- print and export -------------------------------------------------------------------

    @Slot()
    def print_document(self) -> None:
        if self.preview is None:
            return
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setDocName(self.preview.document.file_stem)
        dialog = QPrintDialog(printer, self)
        dialog.setWindowTitle(_("In học bạ"))
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.print_to(printer)

    def print_to(self, printer: QPrinter) -> int:
        """Paint every page onto `printer`, scaled to fit its page; the number of pages."""
        pages = paint_pdf(self.pdf, printer)
        if pages is None:
            self._warn(_("In học bạ"), _("Không mở được máy in. Hãy kiểm tra máy in rồi thử lại."))
            return 0
        return pages

    def _save(self, suffix: str, data: bytes, caption: str, filter_text: str) -> None:
        if self.preview is None:
            return
        suggested = str(Path.home() / f"{self.preview.document.file_stem}.{suffix}")
        path, _chosen = QFileDialog.getSaveFileName(self, caption, suggested, filter_text)
        if path:
            self.write_file(Path(path), data)

    def write_file(self, path: Path, data: bytes) -> bool:
        try:
            path.write_bytes(data)
        except OSError as exc:
            self._warn(
                _("Không lưu được tệp"),
                _("Không lưu được {path}: {error}. Hãy chọn thư mục khác.").format(
                    path=path, error=exc.strerror or exc
                ),
            )
            return False
        return True

    def _warn(self, title: str, text: str) -> None:
        """Non-blocking, so the window (and tests) keep running while it is shown."""
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Close, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.warning_box = box
        box.open()

    @Slot()
    def open_confirmed_print(self) -> None:
        """The confirmed printout's own dialog, imported only when asked for."""
        if self.preview is None or self.preview.signed is None or self.db is None or self.actor is None:
            return
        try:
            from app.ui.dialogs.confirmed_print import ConfirmedPrintDialog
        except ImportError:
            self._warn(_("In có xác nhận"), _("Phiên bản này chưa có chức năng in có xác nhận."))
            return
        dialog = ConfirmedPrintDialog(self.db, self.actor, self.preview.signed.document_id, self)
        self.confirmed_print_dialog = dialog
        dialog.open()

    @Slot()
    def export_pdf(self) -> None:
        if self.preview is not None:
            self._save("pdf", self.preview.document.pdf, _("Xuất học bạ PDF"), _("Tệp PDF (*.pdf)"))

    @Slot()
    def export_xml(self) -> None:
        if self.preview is not None:
            self._save("xml", self.preview.document.xml, _("Xuất dữ liệu XML"), _("Tệp XML (*.xml)"))


def record_opener(db: Database, actor: Actor) -> RecordOpener:
    """A function opening the preview of one student's record (current school year)."""

    def load(student_id: int) -> Preview:
        signed = current_signed_file(db, student_id, actor=actor)
        if signed is None:
            record, document = student_document(db, student_id, actor=actor)
        else:  # the stored signed file, as signed: never re-rendered
            record = student_record(db, student_id, actor=actor)
            stem = f"hocba-{record.student.student_code}-{record.year_name}-v{signed.version}"
            document = RenderedDocument(signed.pdf, signed.xml, stem)
        title = _("{name} — lớp {klass}, năm học {year}").format(
            name=record.student.full_name, klass=record.class_name, year=record.year_name.replace("-", "–")
        )
        if signed is None:
            return Preview(title, document)
        return Preview(title, document, signed, verify_signed_file(db, signed, f"{document.file_stem}.pdf"))

    def open_record(parent: QWidget, student_id: int) -> DocumentView:
        view = DocumentView(lambda: load(student_id), parent, db=db, actor=actor)
        view.show()
        return view

    return open_record
