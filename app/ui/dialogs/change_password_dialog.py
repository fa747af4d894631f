"""Change one's own password: from the menu, or forced after an admin reset.

When forced right after sign-in the current password was just typed, so it is not asked
again; cancelling then means the person is not signed in.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from app.errors import UserFacingError
from app.i18n import _
from app.models.db import Database
from app.services import accounts
from app.services.access import Actor
from app.ui.background import run_in_background


def password_field() -> QLineEdit:
    field = QLineEdit()
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setMinimumWidth(field.fontMetrics().horizontalAdvance("m") * 22)
    field.setMinimumHeight(int(field.fontMetrics().height() * 1.9))
    return field


def error_label() -> QLabel:
    label = QLabel()
    label.setObjectName("pageError")
    label.setWordWrap(True)
    label.hide()
    return label


class ChangePasswordDialog(QDialog):
    def __init__(
        self,
        db: Database,
        actor: Actor,
        *,
        forced: bool = False,
        current_password: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._db = db
        self._actor = actor
        self._known_current = current_password
        self.busy = False
        self.setWindowTitle(_("Đổi mật khẩu"))
        self.setModal(True)
        self.setMinimumWidth(620)

        intro = QLabel(
            _("Chào {name}. Vì mật khẩu vừa được cấp lại, bạn cần tự đặt mật khẩu mới trước khi dùng.")
            .format(name=actor.full_name)
            if forced
            else _("Đổi mật khẩu của {name} ({login}).").format(name=actor.full_name, login=actor.login)
        )
        intro.setWordWrap(True)
        rules = QLabel(
            _("Mật khẩu mới cần ít nhất {n} kí tự và không trùng tên đăng nhập. "
              "Đừng dùng chung mật khẩu với người khác.").format(n=accounts.MIN_PASSWORD_LENGTH)
        )
        rules.setWordWrap(True)
        rules.setStyleSheet("color: #555555;")

        self.current = password_field()
        self.new = password_field()
        self.repeat = password_field()
        self.show_box = QCheckBox(_("Hiện mật khẩu"))
        self.show_box.toggled.connect(self._toggle_visible)
        form = QFormLayout()
        form.setVerticalSpacing(10)
        if current_password is None:
            form.addRow(_("Mật khẩu hiện tại:"), self.current)
        else:
            self.current.hide()
        form.addRow(_("Mật khẩu mới:"), self.new)
        form.addRow(_("Nhập lại mật khẩu mới:"), self.repeat)

        self.message = error_label()
        buttons = QDialogButtonBox()
        self.ok_button = buttons.addButton(_("Đổi mật khẩu"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = buttons.addButton(_("Huỷ"), QDialogButtonBox.ButtonRole.RejectRole)
        self.ok_button.setDefault(True)
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 16)
        layout.setSpacing(12)
        layout.addWidget(intro)
        layout.addWidget(rules)
        layout.addLayout(form)
        layout.addWidget(self.show_box, 0, Qt.AlignmentFlag.AlignRight)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        (self.new if current_password is not None else self.current).setFocus()

    @Slot(bool)
    def _toggle_visible(self, visible: bool) -> None:
        mode = QLineEdit.EchoMode.Normal if visible else QLineEdit.EchoMode.Password
        for field in (self.current, self.new, self.repeat):
            field.setEchoMode(mode)

    def show_error(self, text: str) -> None:
        self.message.setText(text)
        self.message.show()
        hint = self.sizeHint()
        if hint.height() > self.height():
            self.resize(self.width(), hint.height())

    @Slot()
    def submit(self) -> None:
        if self.busy:
            return
        current = self._known_current if self._known_current is not None else self.current.text()
        new, repeat = self.new.text(), self.repeat.text()
        if new != repeat:
            self.show_error(_("Hai lần nhập mật khẩu mới chưa giống nhau. Hãy nhập lại."))
            self.repeat.clear()
            self.repeat.setFocus()
            return
        self.busy = True
        self.ok_button.setEnabled(False)
        self.setCursor(Qt.CursorShape.WaitCursor)
        db, actor = self._db, self._actor
        run_in_background(
            self,
            lambda: accounts.change_password(db, actor, current, new),
            self._done,
            self._failed,
        )

    def _finish(self) -> None:
        self.busy = False
        self.ok_button.setEnabled(True)
        self.unsetCursor()

    def _done(self, _result: object) -> None:
        self._finish()
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self._finish()
        if not isinstance(exc, UserFacingError):
            raise exc
        self.show_error(exc.message)
        target = self.current if exc.field == "current_password" and self.current.isVisible() else self.new
        target.selectAll()
        target.setFocus()
