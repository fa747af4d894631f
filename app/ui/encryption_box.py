"""The "Mã hoá dữ liệu" box of Cài đặt: whether the data is encrypted, and for the admin the
switch to turn it on (done at the next start) or to see the recovery code again (after
typing their password once more: a passer-by at an unlocked admin session must not get it).
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Slot
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.errors import UserFacingError
from app.i18n import _
from app.services import accounts, encryption_admin, keys
from app.ui.background import run_in_background
from app.ui.context import UiContext
from app.ui.recovery_code_dialog import RecoveryCodeSheet

log = logging.getLogger(__name__)

ENCRYPTED_TEXT = (
    "Dữ liệu học bạ và các tệp học bạ đã ký trên máy này được mã hoá (SQLCipher, AES-256). Khoá nằm "
    "trong kho khoá của Windows; các bản sao lưu cũng được mã hoá."
)
PLAIN_TEXT = (
    "Dữ liệu học bạ trên máy này chưa được mã hoá: ai chép được tệp dữ liệu là đọc được thông tin của "
    "học sinh."
)
REQUESTED_TEXT = "Dữ liệu sẽ được mã hoá ở lần mở Học bạ số tới."
CONFIRM_TEXT = (
    "Học bạ số sẽ mã hoá dữ liệu ở lần mở tới (mất vài giây đến vài phút), rồi hiện mã khôi phục "
    "25 ký tự: hãy chuẩn bị giấy bút để chép. Mất cả máy lẫn mã khôi phục là mất dữ liệu.\n\n"
    "Bật mã hoá?"
)
AFTER_REQUEST_TEXT = "Hãy đóng Học bạ số rồi mở lại để mã hoá dữ liệu. Khi mở lại, hãy chép mã khôi phục."


class EncryptionBox(QGroupBox):
    def __init__(self, context: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(_("Mã hoá dữ liệu"), parent)
        self.context = context
        self.db_path = context.db.path
        layout = QVBoxLayout(self)
        self.status = QLabel()
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        row = QHBoxLayout()
        self.encrypt_button = QPushButton(_("Bật mã hoá dữ liệu…"))
        self.encrypt_button.clicked.connect(self.ask_encryption)
        self.show_code_button = QPushButton(_("Xem lại mã khôi phục…"))
        self.show_code_button.clicked.connect(self.ask_show_code)
        row.addWidget(self.encrypt_button)
        row.addWidget(self.show_code_button)
        row.addStretch(1)
        layout.addLayout(row)
        self.sheet: RecoveryCodeSheet | None = None
        self.refresh()

    def refresh(self) -> None:
        encrypted = keys.is_encrypted(self.db_path)
        requested = encryption_admin.encryption_requested(self.db_path)
        admin = self.context.actor.is_admin
        if encrypted:
            self.status.setText(_(ENCRYPTED_TEXT))
        elif requested:
            self.status.setText(_(PLAIN_TEXT) + " " + _(REQUESTED_TEXT))
        else:
            self.status.setText(_(PLAIN_TEXT))
        self.encrypt_button.setVisible(admin and not encrypted)
        self.encrypt_button.setEnabled(not requested)
        self.show_code_button.setVisible(admin and encrypted)

    @Slot()
    def ask_encryption(self) -> None:
        answer = QMessageBox.question(self, _("Mã hoá dữ liệu"), _(CONFIRM_TEXT))
        if answer != QMessageBox.StandardButton.Yes:
            return
        self.request()

    def request(self) -> None:
        try:
            encryption_admin.request_encryption(self.context.db, self.context.actor)
        except UserFacingError as exc:
            QMessageBox.warning(self, _("Mã hoá dữ liệu"), exc.message)
            return
        self.refresh()
        QMessageBox.information(self, _("Mã hoá dữ liệu"), _(AFTER_REQUEST_TEXT))

    @Slot()
    def ask_show_code(self) -> None:
        password, ok = QInputDialog.getText(
            self,
            _("Xem lại mã khôi phục"),
            _("Nhập lại mật khẩu của bạn:"),
            QLineEdit.EchoMode.Password,
        )
        if ok and password:
            self.show_code(password)

    def show_code(self, password: str) -> None:
        """Check the admin's password and fetch the code off the GUI thread, then show it."""
        db, actor = self.context.db, self.context.actor

        def work() -> str:
            accounts.sign_in(db, actor.login, password)
            return encryption_admin.recovery_code_for(db, actor)

        self.show_code_button.setEnabled(False)
        run_in_background(self, work, self._code_ready, self._code_failed)

    def _code_ready(self, code: object) -> None:
        self.show_code_button.setEnabled(True)
        sheet = RecoveryCodeSheet(str(code), self.context.overview.school_name, parent=self)
        sheet.written.setChecked(True)  # seen again: closable at once
        sheet.open()
        self.sheet = sheet

    def _code_failed(self, exc: BaseException) -> None:
        self.show_code_button.setEnabled(True)
        message = exc.message if isinstance(exc, UserFacingError) else _("Không lấy được mã khôi phục.")
        if not isinstance(exc, UserFacingError):
            log.error("recovery code: %s", exc.__class__.__name__)
        QMessageBox.warning(self, _("Xem lại mã khôi phục"), message)
