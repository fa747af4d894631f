"""The two moments the admin meets the recovery code of an encrypted database (ADR 0001).

- `RecoveryCodeSheet`: shown once, right after encryption is turned on: the code in large
  letters, what it is for, and a box to tick ("I wrote it down") before it can be closed.
- `RecoveryCodeEntry`: at start, when this PC's keyring no longer has the key (Windows
  reinstalled, another account, a new PC): type the code; it is checked (format, check
  character, then against the database) before anything is written.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.errors import UserFacingError
from app.i18n import _
from app.services import keys
from app.ui.recovery_code_print import ask_and_print

SHEET_TEXT = (
    "Dữ liệu học bạ trên máy này đã được mã hoá. Khoá để mở nằm trong kho khoá của Windows. Nếu máy "
    "hỏng, cài lại Windows hoặc chuyển sang máy mới, chỉ mã khôi phục dưới đây mở lại được dữ liệu và "
    "các bản sao lưu.\n\nHãy chép tay (hoặc in) mã này, ghi tên trường và ngày, rồi cất cùng con dấu "
    "của trường. Không chụp ảnh, không gửi qua mạng. Cán bộ quản trị xem lại được mã trong Cài đặt."
)

ENTRY_TEXT = (
    "Dữ liệu học bạ trên máy này đã được mã hoá, nhưng máy không còn đúng khoá để mở (Windows được cài "
    "lại, đổi tài khoản Windows, hoặc dữ liệu được chép từ máy khác). Hãy nhập mã khôi phục 25 ký tự đã "
    "chép khi bật mã hoá. Không có mã: hãy liên hệ cán bộ quản trị; đừng xoá tệp nào."
)


def _code_font() -> QFont:
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    font.setPointSizeF(font.pointSizeF() * 1.8)
    font.setBold(True)
    return font


class RecoveryCodeSheet(QDialog):
    """The recovery code, shown to the admin; closable only once they say it is written down."""

    def __init__(self, code: str, school_name: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Mã khôi phục dữ liệu"))
        layout = QVBoxLayout(self)
        intro = QLabel(_(SHEET_TEXT))
        intro.setWordWrap(True)
        layout.addWidget(intro)
        if school_name:
            layout.addWidget(QLabel(school_name))
        self.code_label = QLabel(code)
        self.code_label.setFont(_code_font())
        self.code_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.code_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.code_label.setObjectName("recoveryCode")
        layout.addWidget(self.code_label)
        self._code = code
        self._school_name = school_name
        self.print_button = QPushButton(_("In mã khôi phục…"))
        self.print_button.setToolTip(_("In một trang có mã khôi phục để cất cùng con dấu của trường"))
        self.print_button.clicked.connect(self.print_code)
        layout.addWidget(self.print_button, alignment=Qt.AlignmentFlag.AlignCenter)
        self.printed = QLabel()
        self.printed.setWordWrap(True)
        self.printed.hide()
        layout.addWidget(self.printed)
        self.written = QCheckBox(_("Tôi đã chép (hoặc in) mã khôi phục và cất ở nơi an toàn"))
        layout.addWidget(self.written)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok)
        self.buttons.accepted.connect(self.accept)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(_("Đóng"))
        self.ok_button.setEnabled(False)
        self.written.toggled.connect(self.ok_button.setEnabled)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("m") * 46)

    @Slot()
    def print_code(self) -> None:
        # Straight to the printer the admin picks: the app keeps no copy of the code anywhere.
        printer = ask_and_print(self._code, self._school_name, self)
        if printer is not None:
            self.printed.setText(
                _("Đã gửi trang mã khôi phục tới máy in “{printer}”. Hãy lấy tờ giấy ngay, đừng để lại "
                  "ở máy in.").format(printer=printer)
            )  # fmt: skip
            self.printed.show()

    def reject(self) -> None:
        # Escape or the window's close button must not skip the one moment the code is shown.
        if self.written.isChecked():
            super().reject()


class RecoveryCodeEntry(QDialog):
    """Ask for the recovery code of `db_path`; accepted only once the code opens it."""

    def __init__(self, db_path: Path, message: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._db_path = db_path
        self.reason = message  # the service's wording (for the log and the command line)
        self.setWindowTitle(_("Nhập mã khôi phục"))
        layout = QVBoxLayout(self)
        why = QLabel(_(ENTRY_TEXT))
        why.setWordWrap(True)
        layout.addWidget(why)
        where = QLabel(_("Tệp: {path}").format(path=db_path))
        where.setWordWrap(True)
        where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(where)
        layout.addWidget(QLabel(_("Mã khôi phục (25 ký tự, có thể gõ liền hoặc có dấu gạch):")))
        self.field = QLineEdit()
        self.field.setFont(_code_font())
        self.field.setPlaceholderText("XXXXX-XXXXX-XXXXX-XXXXX-XXXXX")
        layout.addWidget(self.field)
        self.error = QLabel()
        self.error.setObjectName("pageError")
        self.error.setWordWrap(True)
        self.error.hide()
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(_("Mở khoá dữ liệu"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("Thoát"))
        buttons.accepted.connect(self.try_code)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("m") * 46)
        self.adjustSize()

    @Slot()
    def try_code(self) -> None:
        try:
            keys.install_recovered(self._db_path, self.field.text())
        except UserFacingError as exc:
            self.error.setText(exc.message)
            self.error.show()
            self.adjustSize()  # room for the message: wrapped labels do not grow the dialog themselves
            self.field.selectAll()
            self.field.setFocus()
            return
        self.accept()


def ask_recovery_code(db_path: Path, message: str) -> bool:
    """Modal, before the main window exists: True once a code put the key back into the keyring."""
    dialog = RecoveryCodeEntry(db_path, message)
    return dialog.exec() == QDialog.DialogCode.Accepted


def show_recovery_code(code: str, school_name: str = "", parent: QWidget | None = None) -> None:
    RecoveryCodeSheet(code, school_name, parent).exec()
