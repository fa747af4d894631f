"""Create or edit an account (name, login, roles), and show a temporary password."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QCheckBox, QGridLayout, QLabel, QMessageBox, QWidget

from app.i18n import _
from app.models.db import Database
from app.services import accounts
from app.services.access import Actor
from app.services.accounts import AccountInfo
from app.ui.dialogs.form_dialog import FormDialog
from app.ui.dialogs.setup_dialogs import text_field


def role_title(code: str) -> str:
    return _(accounts.ROLE_NAMES[code])


class AccountDialog(FormDialog):
    """`account` None: create (with a generated temporary password); else edit name and roles."""

    def __init__(
        self,
        db: Database,
        actor: Actor,
        *,
        taken_logins: tuple[str, ...],
        account: AccountInfo | None = None,
        parent: QWidget | None = None,
    ) -> None:
        creating = account is None
        super().__init__(
            _("Tạo tài khoản") if account is None else _("Sửa tài khoản {login}").format(login=account.login),
            _("Tạo tài khoản") if creating else _("Lưu"),
            _("Huỷ"),
            parent=parent,
            intro=_("Người dùng mới đăng nhập bằng mật khẩu tạm dưới đây và phải tự đặt mật khẩu "
                    "mới ngay lần đầu.") if creating else None,
        )
        self._taken = taken_logins
        self._login_edited = False
        self.full_name = text_field(account.full_name if account else "")
        self.login = text_field(account.login if account else "")
        self.login.setEnabled(creating)
        self.password = text_field(accounts.generate_temporary_password() if creating else "")
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        mono.setPointSizeF(self.password.font().pointSizeF() * 1.1)
        self.password.setFont(mono)
        self.role_boxes: dict[str, QCheckBox] = {}
        roles_widget = QWidget()
        grid = QGridLayout(roles_widget)
        grid.setContentsMargins(0, 0, 0, 0)
        for i, code in enumerate(accounts.ROLE_ORDER):
            box = QCheckBox(role_title(code))
            box.setChecked(account is not None and code in account.roles)
            self.role_boxes[code] = box
            grid.addWidget(box, i // 2, i % 2)

        self.add_field("full_name", _("Họ và tên:"), self.full_name)
        self.add_field("login", _("Tên đăng nhập:"), self.login)
        self.add_field("roles", _("Vai trò:"), roles_widget)
        if creating:
            self.add_field("new_password", _("Mật khẩu tạm:"), self.password)
            self.full_name.textEdited.connect(self._suggest_login)
            self.login.textEdited.connect(self._login_typed)
        self.set_work(self._make_work_for(db, actor, account))
        self.full_name.setFocus()

    def chosen_roles(self) -> list[str]:
        return [code for code, box in self.role_boxes.items() if box.isChecked()]

    def _login_typed(self, _text: str) -> None:
        self._login_edited = True

    def _suggest_login(self, name: str) -> None:
        if not self._login_edited:
            self.login.setText(accounts.suggest_login(name, self._taken) if name.strip() else "")

    def _make_work_for(
        self, db: Database, actor: Actor, account: AccountInfo | None
    ) -> Callable[[], Callable[[], object]]:
        def make() -> Callable[[], object]:
            name, roles = self.full_name.text(), self.chosen_roles()
            if account is None:
                login, password = self.login.text(), self.password.text()
                return lambda: accounts.create_account(
                    db, actor, login=login, full_name=name, roles=roles, temporary_password=password
                )
            return lambda: accounts.update_account(db, actor, account.user_id, full_name=name, roles=roles)

        return make


def show_temporary_password(parent: QWidget, full_name: str, login: str, password: str) -> QMessageBox:
    """Non-blocking box with the password to pass on (selectable, large)."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Information)
    box.setWindowTitle(_("Mật khẩu tạm"))
    box.setText(_("Mật khẩu tạm của {name} ({login}):").format(name=full_name, login=login))
    box.setInformativeText(
        f"<p style='font-size:x-large; font-family:monospace'><b>{password}</b></p>"
        + _("Hãy đưa mật khẩu này cho người dùng. Khi đăng nhập lần đầu, họ phải tự đặt mật khẩu mới. "
            "Mật khẩu tạm không được lưu ở đâu khác và không xem lại được.")
    )
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    box.setStandardButtons(QMessageBox.StandardButton.Close)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    label = box.findChild(QLabel, "qt_msgbox_informativelabel")
    if label is not None:
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    box.open()
    return box
