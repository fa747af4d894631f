"""The set-up page's "Chứng thư số" tab: registered certificates, users' requests, registering.

Top: a line naming the certificates that run out within 30 days (or have run out). Then the
users' requests waiting for the admin (confirm, or reject with a reason), and the list of
registered certificates (holder, subject, issuer, serial, valid until, days left: amber
under 30 days, red when expired or not yet valid; revoked ones say so). "Đọc từ token…"
reads the certificates of the plugged-in tokens ON THE TOKEN THREAD (app.ui.token_thread;
the GUI thread makes no PKCS#11 call) and lets the admin register one to an account or as
the school seal; "Từ tệp…" does the same with a .cer/.pem file exported from a token.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import Future
from datetime import datetime
from pathlib import Path

import shiboken6
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.errors import UserFacingError
from app.i18n import _
from app.models.db import Database
from app.services import certificate_requests as cr
from app.services.access import Actor
from app.services.certificates import SEAL, RegisteredCertificate, certificate_from_file
from app.signing import tokens
from app.signing.certinfo import CertificateInfo
from app.signing.errors import SigningError
from app.signing.worker import TokenWorker
from app.ui.dialogs.change_password_dialog import error_label
from app.ui.itemmodels import Column, DataclassTableModel
from app.ui.itemmodels.dataclass_table import ALIGN_RIGHT
from app.ui.pages.setup_common import SetupHost, button_row, fit_columns, make_table, selected_row
from app.ui.token_thread import shared_token_worker

log = logging.getLogger(__name__)

AMBER_BG, RED_BG, GREY_BG = QColor("#fff0c2"), QColor("#f9d9dc"), QColor("#e6e6e6")
STATE_WORDS = {
    cr.VALID: "Còn hạn", cr.EXPIRING: "Sắp hết hạn", cr.EXPIRED: "Đã hết hạn",
    cr.NOT_YET_VALID: "Chưa có hiệu lực", cr.REVOKED: "Đã thu hồi",
}  # fmt: skip
STATE_BG = {cr.EXPIRING: AMBER_BG, cr.EXPIRED: RED_BG, cr.NOT_YET_VALID: RED_BG, cr.REVOKED: GREY_BG}


def _date(value: datetime) -> str:
    return value.astimezone().strftime("%d/%m/%Y")


def holder_text(row: cr.CertificateRow) -> str:
    return _("Con dấu của trường") if row.is_seal else f"{row.holder_name} ({row.holder})"


def days_text(row: cr.CertificateRow) -> str:
    state = row.state()
    if state == cr.REVOKED:
        return "—"
    if state == cr.EXPIRED:
        return _("đã hết hạn")
    if state == cr.NOT_YET_VALID:
        return _("chưa hiệu lực")
    return str(max(0, row.days_left()))


def expiry_line(rows: Sequence[cr.CertificateRow], now: datetime | None = None) -> str:
    """One line for the top of the tab: which certificates need renewing soon."""
    if not rows:
        return _("Không có chứng thư số nào hết hạn trong {days} ngày tới.").format(
            days=cr.EXPIRY_WARNING_DAYS
        )
    parts = []
    for row in rows:
        who = _("con dấu của trường") if row.is_seal else row.holder_name
        if row.state(now) == cr.EXPIRED:
            parts.append(_("{who} (đã hết hạn {date})").format(who=who, date=_date(row.not_after)))
        else:
            parts.append(_("{who} (còn {days} ngày)").format(who=who, days=max(0, row.days_left(now))))
    return _("Chứng thư số cần gia hạn sớm: {list}. Hãy nhắc người giữ token liên hệ nhà cung cấp.").format(
        list="; ".join(parts)
    )


def _registered_columns() -> tuple[Column, ...]:
    def bg(row: cr.CertificateRow) -> QColor | None:
        return STATE_BG.get(row.state())

    return (
        Column(_("Người giữ"), holder_text),
        Column(_("Chứng thư của"), lambda r: r.subject_name or r.subject, tooltip=lambda r: r.subject),
        Column(_("Tình trạng"), lambda r: _(STATE_WORDS[r.state()]), background=bg),
        Column(_("Còn (ngày)"), days_text, alignment=ALIGN_RIGHT, background=bg),
        Column(_("Hết hạn"), lambda r: _date(r.not_after)),
        Column(_("Nơi cấp"), lambda r: r.issuer_name or r.issuer, tooltip=lambda r: r.issuer),
        Column(_("Số sê-ri"), lambda r: r.serial_hex),
    )


def _request_columns() -> tuple[Column, ...]:
    return (
        Column(_("Người gửi"), lambda r: f"{r.full_name} ({r.login})"),
        Column(
            _("Chứng thư của"), lambda r: r.subject_name or r.subject,
            tooltip=lambda r: r.subject if r.name_matches else _(
                "Tên trên chứng thư khác tên tài khoản: hãy hỏi lại người gửi trước khi xác nhận."
            ),
            background=lambda r: None if r.name_matches else AMBER_BG,
        ),
        Column(_("Hết hạn"), lambda r: _date(r.not_after)),
        Column(_("Token"), lambda r: r.token_label),
        Column(_("Gửi lúc"), lambda r: r.requested_at.astimezone().strftime("%d/%m/%Y %H:%M")),
        Column(_("Số sê-ri"), lambda r: r.serial_hex),
    )


# --- reading the tokens (ON THE TOKEN THREAD: no Qt) -----------------------------------------------


def read_plugged_certificates(modules: Sequence[str]) -> tuple[tuple[str, CertificateInfo], ...]:
    """(token label, certificate) for every certificate on every token present (token thread)."""
    found: list[tuple[str, CertificateInfo]] = []
    errors: list[str] = []
    for path in modules:
        try:
            tokens.reinitialize(path)  # see tokens plugged in since the module was loaded
            for token in tokens.list_tokens(path):
                found.extend((token.label, c) for c in tokens.list_certificates(path, token.ref))
        except SigningError as exc:
            errors.append(exc.message)
    if not found and errors:
        raise UserFacingError(errors[0])
    return tuple(found)


# --- the registering dialog ---------------------------------------------------------------------------


class PickedRow:
    """One certificate in the dialog: where it came from and what the database says about it."""

    def __init__(self, source: str, status: cr.TokenCertificateStatus) -> None:
        self.source = source
        self.status = status

    @property
    def info(self) -> CertificateInfo:
        return self.status.info

    def short_state(self) -> str:
        """A few words for the table; the full reason shows below it when the row is chosen."""
        s = self.status
        if s.problem and s.holder is None:
            if not s.info.can_sign:
                return _("Không dùng để ký")
            return _(STATE_WORDS[cr.validity_state(s.info.not_before, s.info.not_after)])
        return self.state_text()

    def state_text(self) -> str:
        s = self.status
        if s.holder == SEAL:
            return _("Đã đăng ký: con dấu của trường")
        if s.holder is not None:
            return _("Đã đăng ký cho {name}").format(name=s.holder_name or s.holder)
        if s.problem:
            return s.problem
        if s.requested_by_other or s.requested_by_me:
            return _("Chưa đăng ký; có yêu cầu đăng ký đang chờ")
        return _("Chưa đăng ký")


class RegisterCertificateDialog(QDialog):
    """Pick one certificate (read from tokens, or from a file) and the account it belongs to."""

    _read = Signal(object, object)  # rows or None, error text or None (queued from the token thread)

    def __init__(self, host: SetupHost, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.host = host
        self.setWindowTitle(_("Đăng ký chứng thư số"))
        self.setModal(True)
        self.setMinimumSize(1100, 480)
        self.chosen: tuple[str, bytes] | None = None  # holder, DER
        self.intro = QLabel(_("Đang đọc các chứng thư số trên token đang cắm…"))
        self.intro.setWordWrap(True)
        self.model = DataclassTableModel(self._columns(), (), self)
        self.table = make_table(self.model, _("Chứng thư số đọc được"))
        self.table.selectionModel().selectionChanged.connect(lambda *_a: self._update())
        self.holder_combo = QComboBox()
        self.holder_combo.setAccessibleName(_("Đăng ký cho"))
        self.holder_combo.addItem(_("Con dấu của trường"), SEAL)
        for account in host.accounts:
            if account.active:
                self.holder_combo.addItem(f"{account.full_name} ({account.login})", account.login)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #a14a00;")
        self.error = error_label()
        form = QFormLayout()
        form.addRow(_("Đăng ký cho:"), self.holder_combo)
        buttons = QDialogButtonBox()
        self.ok_button = buttons.addButton(_("Đăng ký"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = buttons.addButton(_("Huỷ"), QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.note)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self._read.connect(self._show, Qt.ConnectionType.QueuedConnection)
        self._update()

    def _columns(self) -> tuple[Column, ...]:
        def bg(row: PickedRow) -> QColor | None:
            return RED_BG if row.status.problem else None

        return (
            Column(_("Token / tệp"), lambda r: r.source),
            Column(_("Người / tổ chức"), lambda r: r.info.common_name, tooltip=lambda r: r.info.subject),
            Column(_("Tình trạng"), lambda r: r.short_state(), tooltip=lambda r: r.state_text(),
                   background=bg),
            Column(_("Hết hạn"), lambda r: _date(r.info.not_after)),
            Column(_("Nơi cấp"), lambda r: cr.names_of(r.info.der)[1], tooltip=lambda r: r.info.issuer),
            Column(_("Số sê-ri"), lambda r: r.info.serial_number),
        )

    # Reading -------------------------------------------------------------------------------------------

    def read_tokens(self, worker: TokenWorker, modules: Sequence[str]) -> None:
        if not modules:
            self._show(None, _(
                "Máy này chưa có phần mềm của token chữ ký số. Hãy cài phần mềm của nhà cung cấp, "
                "hoặc chọn thư viện PKCS#11 trong Cài đặt."
            ))  # fmt: skip
            return
        try:
            future = worker.submit(read_plugged_certificates, tuple(modules))
        except RuntimeError:  # the token thread is shut down (the app is quitting)
            return

        def done(f: Future[tuple[tuple[str, CertificateInfo], ...]]) -> None:  # on the token thread
            error = f.exception()
            if not shiboken6.isValid(self):
                return
            if error is None:
                self._read.emit(f.result(), None)
            else:
                text = error.message if isinstance(error, UserFacingError | SigningError) else repr(error)
                log.warning("reading the tokens' certificates failed: %s", text)
                self._read.emit(None, _("Không đọc được token: {error}").format(error=text))

        future.add_done_callback(done)

    def show_file(self, path: Path) -> None:
        try:
            der = certificate_from_file(path)
        except UserFacingError as exc:
            self._show(None, exc.message)
            return
        self._show(((path.name, CertificateInfo.from_der(der)),), None)

    @Slot(object, object)
    def _show(self, found: Sequence[tuple[str, CertificateInfo]] | None, error: str | None) -> None:
        if error is not None:
            self.intro.setText(error)
            self.intro.setStyleSheet("color: #a1121f;")
            self.model.set_rows(())
            self._update()
            return
        found = found or ()
        statuses = cr.look_up_token_certificates(self.host.db, self.host.actor, [c for _s, c in found])
        rows = [PickedRow(source, status) for (source, _c), status in zip(found, statuses, strict=True)]
        # Registrable certificates first: a token also carries its CA's certificate.
        rows.sort(key=lambda r: (r.status.problem is not None, r.status.holder is not None))
        self.model.set_rows(rows)
        fit_columns(self.table)
        if not rows:
            self.intro.setText(
                _("Không thấy chứng thư số nào. Hãy cắm token rồi bấm “Đọc từ token…” lần nữa.")
            )
        else:
            self.intro.setText(
                _("Chọn chứng thư số cần đăng ký, rồi chọn tài khoản (hoặc con dấu của trường).")
            )
            self.table.selectRow(0)
        self._update()

    # Choosing ------------------------------------------------------------------------------------------

    def selected(self) -> PickedRow | None:
        row = selected_row(self.table)
        return row if isinstance(row, PickedRow) else None

    def select_holder(self, holder: str) -> None:
        self.holder_combo.setCurrentIndex(self.holder_combo.findData(holder))

    def _update(self) -> None:
        row = self.selected()
        self.ok_button.setEnabled(row is not None)
        self.note.setText(row.status.problem or "" if row else "")
        self.note.setVisible(bool(row and row.status.problem))

    @Slot()
    def _accept(self) -> None:
        row = self.selected()
        holder = self.holder_combo.currentData()
        if row is None or holder is None:
            return
        self.chosen = (str(holder), row.info.der)
        self.accept()


class ReasonDialog(QDialog):
    """Asks the reason for a rejection or a revocation (it goes into the audit log)."""

    def __init__(self, title: str, intro_text: str, ok_text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setModal(True)
        self.setMinimumWidth(560)
        intro = QLabel(intro_text)
        intro.setWordWrap(True)
        self.reason_edit = QLineEdit()
        self.reason_edit.setAccessibleName(_("Lý do"))
        buttons = QDialogButtonBox()
        self.ok_button = buttons.addButton(ok_text, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(_("Huỷ"), QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.reason_edit.textChanged.connect(lambda t: self.ok_button.setEnabled(bool(t.strip())))
        self.ok_button.setEnabled(False)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.reason_edit)
        layout.addWidget(buttons)


# --- the tab ---------------------------------------------------------------------------------------


class CertificatesTab(QWidget):
    def __init__(
        self, host: SetupHost, *, worker: TokenWorker | None = None, modules: Sequence[str] | None = None,
        data_dir: Path | None = None, parent: QWidget | None = None,
    ) -> None:  # fmt: skip
        super().__init__(parent)
        self.host = host
        self.worker = worker  # the app's token thread, fetched on first use
        self.modules = tuple(modules) if modules is not None else None
        self.data_dir = data_dir
        self.dialog: QDialog | None = None

        self.expiry_label = QLabel()
        self.expiry_label.setObjectName("expiryLine")
        self.expiry_label.setWordWrap(True)

        self.requests_box = QGroupBox(_("Yêu cầu đăng ký chờ xác nhận"))
        self.request_model = DataclassTableModel(_request_columns(), (), self)
        self.request_table = make_table(self.request_model, _("Yêu cầu đăng ký chứng thư số"))
        self.request_table.setMaximumHeight(170)
        self.confirm_button = QPushButton(_("Xác nhận đăng ký"))
        self.reject_button = QPushButton(_("Từ chối…"))
        self.confirm_button.clicked.connect(self.confirm_selected)
        self.reject_button.clicked.connect(self.reject_selected)
        self.request_table.selectionModel().selectionChanged.connect(lambda *_a: self._update_buttons())
        box = QVBoxLayout(self.requests_box)
        box.addWidget(self.request_table)
        box.addLayout(button_row(self.confirm_button, self.reject_button))

        self.model = DataclassTableModel(_registered_columns(), (), self)
        self.table = make_table(self.model, _("Chứng thư số đã đăng ký"))
        self.read_button = QPushButton(_("Đọc từ token…"))
        self.file_button = QPushButton(_("Từ tệp…"))
        self.file_button.setToolTip(
            _("Tệp .cer hoặc .pem xuất từ token (phần mềm của nhà cung cấp làm được).")
        )
        self.revoke_button = QPushButton(_("Thu hồi…"))
        self.revoke_button.setToolTip(_("Khi mất token, người giữ nghỉ việc, hoặc đã có chứng thư mới."))
        self.read_button.clicked.connect(self.read_from_token)
        self.file_button.clicked.connect(self.choose_file)
        self.revoke_button.clicked.connect(self.revoke_selected)
        self.table.selectionModel().selectionChanged.connect(lambda *_a: self._update_buttons())

        layout = QVBoxLayout(self)
        layout.addWidget(self.expiry_label)
        layout.addWidget(self.requests_box)
        layout.addLayout(button_row(self.read_button, self.file_button, self.revoke_button))
        layout.addWidget(self.table, 1)

    def refresh(self) -> None:
        db, actor = self.host.db, self.host.actor
        rows = cr.registered_certificates(db, actor)
        self.model.set_rows(rows)
        fit_columns(self.table)
        expiring = cr.expiring_certificates(db, actor)
        self.expiry_label.setText(expiry_line(expiring))
        self.expiry_label.setStyleSheet(
            "background: #fff0c2; border: 1px solid #e0b84d; border-radius: 4px; padding: 8px;"
            if expiring else "color: #555555;"
        )  # fmt: skip
        requests = cr.list_requests(db, actor)
        self.request_model.set_rows(requests)
        fit_columns(self.request_table)
        self.requests_box.setVisible(bool(requests))
        self._update_buttons()

    def _update_buttons(self) -> None:
        chosen = selected_row(self.request_table) is not None
        self.confirm_button.setEnabled(chosen)
        self.reject_button.setEnabled(chosen)
        cert = selected_row(self.table)
        self.revoke_button.setEnabled(isinstance(cert, cr.CertificateRow) and cert.revoked_at is None)

    # Registering ---------------------------------------------------------------------------------------

    def _token_worker(self) -> TokenWorker:
        if self.worker is None:
            self.worker = shared_token_worker()
        return self.worker

    def _modules(self) -> tuple[str, ...]:
        if self.modules is None:
            from app.ui.pages.signing_page import default_modules

            self.modules = default_modules(self.data_dir)
        return self.modules

    def _open(self, dialog: RegisterCertificateDialog) -> None:
        self.dialog = dialog
        host = self.host

        def finished(result: int) -> None:
            self.dialog = None
            dialog.deleteLater()
            if result != QDialog.DialogCode.Accepted or dialog.chosen is None:
                return
            holder, der = dialog.chosen
            db, actor = host.db, host.actor

            def told(value: object) -> str:
                if not isinstance(value, RegisteredCertificate):
                    return ""
                if holder == SEAL:
                    return _("Đã đăng ký chứng thư số làm con dấu của trường (hết hạn {date}).").format(
                        date=_date(value.not_after))  # fmt: skip
                return _("Đã đăng ký chứng thư số cho {name} (hết hạn {date}).").format(
                    name=value.holder_name, date=_date(value.not_after))  # fmt: skip

            host.run_write(lambda: cr.register_checked(db, actor, holder, der), told)

        dialog.finished.connect(finished)
        dialog.open()

    @Slot()
    def read_from_token(self) -> None:
        dialog = RegisterCertificateDialog(self.host, self)
        self._open(dialog)
        dialog.read_tokens(self._token_worker(), self._modules())

    @Slot()
    def choose_file(self) -> None:
        name, _filter = QFileDialog.getOpenFileName(self, _("Chọn tệp chứng thư số"), "",
            _("Chứng thư số (*.cer *.crt *.pem *.der);;Mọi tệp (*)"),
        )
        if name:
            self.register_from_file(Path(name))

    def register_from_file(self, path: Path) -> RegisterCertificateDialog:
        dialog = RegisterCertificateDialog(self.host, self)
        self._open(dialog)
        dialog.show_file(path)
        return dialog

    # Requests ------------------------------------------------------------------------------------------

    def _selected_request(self) -> cr.RequestInfo | None:
        row = selected_row(self.request_table)
        return row if isinstance(row, cr.RequestInfo) else None

    @Slot()
    def confirm_selected(self) -> None:
        request = self._selected_request()
        if request is None:
            return
        question = _("Đăng ký chứng thư số “{subject}” (số sê-ri {serial}) cho {name}?").format(
            subject=request.subject, serial=request.serial_hex, name=request.full_name)  # fmt: skip
        if not self.host.confirm(_("Xác nhận đăng ký"), question):
            return
        db, actor = self.host.db, self.host.actor
        self.host.run_write(
            lambda: cr.confirm_request(db, actor, request.id),
            _("Đã đăng ký chứng thư số cho {name}.").format(name=request.full_name),
        )

    @Slot()
    def reject_selected(self) -> ReasonDialog | None:
        request = self._selected_request()
        if request is None:
            return None
        dialog = ReasonDialog(
            _("Từ chối yêu cầu đăng ký"),
            _("Từ chối yêu cầu của {name}? Hãy ghi lý do để người gửi biết cần làm gì.").format(
                name=request.full_name),
            _("Từ chối"), self,
        )  # fmt: skip
        host = self.host

        def finished(result: int) -> None:
            reason = dialog.reason_edit.text()
            dialog.deleteLater()
            if result == QDialog.DialogCode.Accepted:
                db, actor = host.db, host.actor
                host.run_write(
                    lambda: cr.reject_request(db, actor, request.id, reason),
                    _("Đã từ chối yêu cầu của {name}.").format(name=request.full_name),
                )

        dialog.finished.connect(finished)
        dialog.open()
        return dialog

    @Slot()
    def revoke_selected(self) -> ReasonDialog | None:
        row = selected_row(self.table)
        if not isinstance(row, cr.CertificateRow) or row.revoked_at is not None:
            return None
        dialog = ReasonDialog(
            _("Thu hồi chứng thư số"),
            _("Thu hồi chứng thư số của {holder} (số sê-ri {serial})? Từ nay không ký được bằng chứng thư "
              "này; tài liệu đã ký vẫn giữ nguyên giá trị. Hãy ghi lý do.").format(
                holder=holder_text(row), serial=row.serial_hex),
            _("Thu hồi"), self,
        )  # fmt: skip
        host = self.host

        def finished(result: int) -> None:
            reason = dialog.reason_edit.text()
            dialog.deleteLater()
            if result == QDialog.DialogCode.Accepted:
                db, actor = host.db, host.actor
                host.run_write(
                    lambda: cr.revoke_certificate(db, actor, row.sha256, reason),
                    _("Đã thu hồi chứng thư số của {holder}.").format(holder=holder_text(row)),
                )

        dialog.finished.connect(finished)
        dialog.open()
        return dialog


def expiry_status_label(db: Database, actor: Actor) -> QLabel | None:
    """For the main window's status bar: certificates running out within 30 days, if any.

    An admin hears about the school's (seal included), anyone else about their own; the
    details are in Thiết lập trường → Chứng thư số, or under the "Ký số" page's indicator.
    """
    try:
        rows = cr.expiring_certificates(db, actor)
    except UserFacingError:
        return None
    if not rows:
        return None
    soonest = rows[0]
    if actor.is_admin:
        text = _("⚠ {n} chứng thư số sắp hết hạn (sớm nhất {date})").format(
            n=len(rows), date=_date(soonest.not_after))  # fmt: skip
    else:
        text = _("⚠ Chứng thư số của bạn hết hạn ngày {date}").format(
            date=_date(soonest.not_after))  # fmt: skip
    label = QLabel(text)
    label.setObjectName("certificateExpiry")
    where = _("Xem Thiết lập trường → Chứng thư số.") if actor.is_admin else _("Xem trang Ký số.")
    label.setToolTip(expiry_line(rows) + " " + where)
    label.setStyleSheet("color: #a14a00; padding-right: 8px;")
    return label
