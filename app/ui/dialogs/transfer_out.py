"""A student transfers out: destination school, date, where to save; the package is made and signed.

The preview (what the package will carry, what the clerk should know) and the package
itself are made off the GUI thread. The demo school signs with its demo seal. A real school
signs with its seal token: the token holding a registered seal certificate is found on the
configured PKCS#11 modules and its PIN asked (the signing page's PIN dialog), all through the
token thread, never here; a caller may also hand in the signer it chose (`signer`, `pin`).
"""

from __future__ import annotations

import html
import logging
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (
    QDateEdit,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app.errors import UserCancelled, UserFacingError
from app.i18n import _
from app.models.db import Database
from app.services.access import Actor
from app.services.transfer_out import (
    TransferOutPreview,
    TransferOutResult,
    export_transfer,
    preview_transfer_out,
    registered_seals,
)
from app.signing.pin import Pin
from app.signing.signers import SignerSpec
from app.signing.worker import TokenWorker
from app.ui.background import run_in_background
from app.ui.dialogs.change_password_dialog import error_label
from app.ui.dialogs.pin_dialog import PinBroker
from app.ui.dialogs.transfer_seal import seal_signer
from app.ui.formatting import format_date, format_year
from app.ui.token_thread import shared_token_worker

log = logging.getLogger(__name__)

PACKAGE_FILTER = "Gói hồ sơ chuyển trường (*.hbt)"
NOTE_STYLE = "background:#fff0c2; color:#5a3b00; border:1px solid #e0c56e; border-radius:4px; padding:8px;"
DONE_STYLE = "background:#e3f4e6; color:#14532d; border:1px solid #8cc79a; border-radius:4px; padding:8px;"


def preview_html(preview: TransferOutPreview) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(format_year(r.year_name))}</td><td>{html.escape(r.class_name)}</td>"
        f"<td>{html.escape(r.school_name)}</td>"
        f"<td>{_('nhận từ trường cũ') if r.received else _('trường phát hành')}</td></tr>"
        for r in preview.records
    )
    table = (
        f"<table cellpadding='4' cellspacing='0' border='1' style='border-color:#c9d3df'>"
        f"<tr><th>{_('Năm học')}</th><th>{_('Lớp')}</th><th>{_('Trường')}</th><th>{_('Nguồn')}</th></tr>"
        f"{rows}</table>"
        if rows
        else f"<p>{_('Chưa có học bạ nào đã phát hành.')}</p>"
    )
    sheets = _(
        "Kèm {count} bảng điểm môn mà học bạ tham chiếu, chứng thư số của người ký và danh mục có "
        "con dấu của trường ký."
    ).format(count=preview.sheets)
    return f"<p><b>{_('Gói sẽ mang:')}</b></p>{table}<p>{sheets}</p>"


class TransferOutDialog(QDialog):
    """`TransferOutDialog(db, actor, student_id)`: make the signed package and end the enrolment."""

    transfer_done = Signal(str)  # the package's path

    def __init__(
        self,
        db: Database,
        actor: Actor,
        student_id: int,
        parent: QWidget | None = None,
        *,
        signer: SignerSpec | None = None,
        pin: Pin | None = None,
        worker: TokenWorker | None = None,
        modules: Sequence[str] | None = None,
    ) -> None:
        super().__init__(parent)
        self.db = db
        self.actor = actor
        self.student_id = student_id
        self.signer, self.pin, self.worker = signer, pin, worker
        self.modules = modules
        self.broker = PinBroker(self)
        self.preview: TransferOutPreview | None = None
        self.result_value: TransferOutResult | None = None
        self.busy = True
        self.setWindowTitle(_("Chuyển trường"))
        self.resize(760, 640)

        self.heading = QLabel(_("Đang đọc hồ sơ học sinh…"))
        self.heading.setWordWrap(True)
        self.heading.setStyleSheet("font-weight:bold;")
        self.contents = QTextBrowser()
        self.notes = QLabel()
        self.notes.setWordWrap(True)
        self.notes.setStyleSheet(NOTE_STYLE)
        self.notes.hide()

        self.destination = QLineEdit()
        self.destination.setPlaceholderText(_("Tên trường chuyển đến, ví dụ: Trường THCS Lê Lợi, TP Huế"))
        self.when = QDateEdit(QDate.currentDate())
        self.when.setCalendarPopup(True)
        self.when.setDisplayFormat("dd/MM/yyyy")
        self.out_path = QLineEdit()
        browse = QPushButton(_("Chọn…"))
        browse.clicked.connect(self.choose_file)
        where = QHBoxLayout()
        where.addWidget(self.out_path, 1)
        where.addWidget(browse)
        self.seal_label = QLabel()
        self.seal_label.setWordWrap(True)
        form = QFormLayout()
        form.addRow(_("Trường chuyển đến:"), self.destination)
        form.addRow(_("Ngày chuyển:"), self.when)
        form.addRow(_("Lưu gói vào tệp:"), where)
        form.addRow(_("Ký danh mục bằng:"), self.seal_label)

        self.error = error_label()
        self.make_button = QPushButton(_("Tạo gói và ký"))
        self.make_button.setDefault(True)
        self.make_button.clicked.connect(self.make_package)
        self.close_button = QPushButton(_("Huỷ"))
        self.close_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.make_button)
        buttons.addWidget(self.close_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 12)
        layout.setSpacing(10)
        layout.addWidget(self.heading)
        layout.addWidget(self.contents, 1)
        layout.addWidget(self.notes)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addLayout(buttons)
        self.make_button.setEnabled(False)
        run_in_background(
            self, lambda: preview_transfer_out(db, actor, student_id), self._previewed, self._failed
        )

    # -- preview -------------------------------------------------------------------------------

    def _previewed(self, preview: TransferOutPreview) -> None:
        self.busy = False
        self.preview = preview
        where = (
            _("lớp {klass}, năm học {year}").format(
                klass=preview.class_name, year=format_year(preview.year_name or "")
            )
            if preview.class_name
            else _("không còn theo học ở lớp nào")
        )
        self.heading.setText(
            _("Chuyển trường: {name} (mã {code}) — {where}").format(
                name=preview.full_name, code=preview.student_code, where=where
            )
        )
        self.contents.setHtml(preview_html(preview))
        if preview.notes:
            self.notes.setText("\n".join(preview.notes))
            self.notes.show()
        if not self.out_path.text():
            self.out_path.setText(str(Path.home() / f"chuyentruong-{preview.student_code}.hbt"))
        if preview.enrolment_start is not None:
            start = preview.enrolment_start
            self.when.setMinimumDate(QDate(start.year, start.month, start.day))
        if self.signer is not None:
            self.seal_label.setText(_("token con dấu của trường đã chọn"))
        elif preview.school_is_demo:
            self.seal_label.setText(_("con dấu thử (DEMO) của trường mẫu"))
        else:
            self.seal_label.setText(
                _(
                    "token con dấu của trường: cắm token vào máy trước khi bấm “Tạo gói và ký”, "
                    "rồi nhập mã PIN"
                )
            )
        self.make_button.setEnabled(preview.class_name is not None)

    def _failed(self, error: BaseException) -> None:
        self.busy = False
        self._show_error(error)

    # -- the package ---------------------------------------------------------------------------

    def choose_file(self) -> None:
        path, _chosen = QFileDialog.getSaveFileName(
            self,
            _("Lưu gói hồ sơ chuyển trường"),
            self.out_path.text() or str(Path.home()),
            _(PACKAGE_FILTER),
        )
        if path:
            self.out_path.setText(path if path.lower().endswith(".hbt") else path + ".hbt")

    def make_package(self) -> None:
        if self.busy or self.preview is None:
            return
        text = self.out_path.text().strip()
        if not text:
            self.error.setText(_("Hãy chọn nơi lưu gói hồ sơ."))
            self.error.show()
            return
        out = Path(text)
        if out.suffix.lower() != ".hbt":
            out = out.with_name(out.name + ".hbt")
        qd = self.when.date()
        when = date(qd.year(), qd.month(), qd.day())
        destination = self.destination.text()
        signer, pin, worker = self.signer, self.pin, self.worker
        self.pin = None  # handed to the service, which wipes it
        self.busy = True
        self.make_button.setEnabled(False)
        self.error.hide()

        preview = self.preview

        def work() -> TransferOutResult:  # on a pool thread; a token's calls go to the token thread
            nonlocal signer, pin, worker
            if signer is None and not preview.school_is_demo:
                from app.ui.pages.signing_page import default_modules  # the modules set in Cài đặt

                worker = worker or shared_token_worker()
                modules = self.modules if self.modules is not None else default_modules(None)
                wanted = registered_seals(self.db)
                signer, pin = seal_signer(worker, modules, wanted, self.broker.ask, preview.school_name)
            return export_transfer(
                self.db,
                self.actor,
                self.student_id,
                out,
                destination=destination,
                transfer_date=when,
                signer=signer,
                pin=pin,
                worker=worker,
            )

        run_in_background(self, work, self._made, self._make_failed)

    def _made(self, result: TransferOutResult) -> None:
        self.busy = False
        self.result_value = result
        self.notes.setText(
            _(
                "Đã tạo gói {file}: {records} học bạ, {sheets} bảng điểm môn, con dấu {seal} ký. "
                "Việc học của học sinh ở trường kết thúc ngày {date}; trường chuyển đến: {school}."
            ).format(
                file=result.file.name,
                records=result.records,
                sheets=result.sheets,
                seal=result.seal_signer,
                date=format_date(result.transfer_date),
                school=result.destination_school,
            )
        )
        self.notes.setStyleSheet(DONE_STYLE)
        self.notes.show()
        self.make_button.hide()
        self.out_path.setText(str(result.file))
        for field in (self.destination, self.when, self.out_path):
            field.setEnabled(False)
        self.close_button.setText(_("Xong"))
        self.transfer_done.emit(str(result.file))

    def _make_failed(self, error: BaseException) -> None:
        self.busy = False
        self.make_button.setEnabled(True)
        if not isinstance(error, UserCancelled):  # closing the PIN dialog is not an error
            self._show_error(error)

    def done(self, result: int) -> None:
        self.broker.close()  # a PIN request still waiting is answered "cancelled", never left hanging
        super().done(result)

    def _show_error(self, error: BaseException) -> None:
        if isinstance(error, UserFacingError):
            self.error.setText(error.message)
        else:
            log.error("transfer out failed", exc_info=error)
            self.error.setText(
                _("Không tạo được gói. Lỗi đã được ghi vào nhật ký; hãy báo cho cán bộ quản trị.")
            )
        self.error.show()
