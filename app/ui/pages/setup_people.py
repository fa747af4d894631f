"""Set-up tabs for people: teachers with their assignments and handover, and accounts."""

from __future__ import annotations

from datetime import UTC

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QLabel, QPushButton, QSplitter, QVBoxLayout, QWidget

from app.i18n import _
from app.services import accounts, school_staffing
from app.services.accounts import AccountInfo
from app.services.school_setup import AssignmentInfo, StaffInfo
from app.ui.dialogs.account_dialog import AccountDialog, role_title, show_temporary_password
from app.ui.dialogs.handover_dialog import HandoverDialog
from app.ui.dialogs.setup_dialogs import assign_dialog
from app.ui.itemmodels import Column, DataclassTableModel
from app.ui.itemmodels.dataclass_table import ALIGN_RIGHT
from app.ui.pages.setup_common import (
    SetupHost,
    button_row,
    fit_columns,
    make_table,
    select_where,
    selected_row,
)


def roles_text(roles: tuple[str, ...]) -> str:
    return ", ".join(role_title(r) for r in roles)


def account_status(a: AccountInfo) -> str:
    if not a.active:
        return _("Ngừng sử dụng")
    if a.locked_until is not None:
        local = a.locked_until.replace(tzinfo=UTC).astimezone()
        return _("Tạm khoá đến {time}").format(time=local.strftime("%H:%M"))
    if a.must_change_password:
        return _("Chờ đổi mật khẩu")
    return _("Đang dùng")


class StaffTab(QWidget):
    """Left: active staff; right: what the chosen person leads and teaches this year."""

    def __init__(self, host: SetupHost, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.host = host
        self.staff_model = DataclassTableModel(self._staff_columns(), (), self)
        self.staff_table = make_table(self.staff_model, _("Giáo viên"))
        self.work_model = DataclassTableModel(self._work_columns(), (), self)
        self.work_table = make_table(self.work_model, _("Phân công giảng dạy"))
        self.homeroom_label = QLabel()
        self.homeroom_label.setWordWrap(True)
        self.assign_button = QPushButton(_("Phân công dạy…"))
        self.unassign_button = QPushButton(_("Bỏ phân công"))
        self.handover_button = QPushButton(_("Bàn giao cho người khác…"))
        self.handover_button.setToolTip(_("Khi giáo viên nghỉ hưu, nghỉ dài ngày hoặc chuyển trường."))
        self.assign_button.clicked.connect(self.assign)
        self.unassign_button.clicked.connect(self.unassign)
        self.handover_button.clicked.connect(self.handover)
        self.staff_table.selectionModel().selectionChanged.connect(lambda *_a: self._show_person())
        self.work_table.selectionModel().selectionChanged.connect(lambda *_a: self._update_buttons())

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.homeroom_label)
        right_layout.addLayout(button_row(self.assign_button, self.unassign_button, self.handover_button))
        right_layout.addWidget(self.work_table, 1)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self.staff_table)
        splitter.addWidget(right)
        splitter.setSizes([560, 520])
        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)

    def _staff_columns(self) -> tuple[Column, ...]:
        def counts(p: StaffInfo) -> str:
            return str(sum(1 for a in self.host.overview.assignments if a.teacher_id == p.user_id))

        return (
            Column(_("Họ và tên"), lambda p: p.full_name),
            Column(_("Số lớp-môn"), counts, ALIGN_RIGHT,
                   header_tooltip=_("Số cặp lớp–môn được phân công dạy trong năm học")),
            # Last: it stretches and is cut short with … when the pane is narrow.
            Column(_("Vai trò"), lambda p: roles_text(p.roles), tooltip=lambda p: roles_text(p.roles)),
        )

    def _work_columns(self) -> tuple[Column, ...]:
        return (
            Column(_("Lớp"), lambda a: a.class_name),
            Column(_("Môn"), lambda a: a.subject_name),
            Column(_("Sổ điểm"), lambda a: _("Đã khoá") if a.locked else _("Đang nhập")),
        )

    def refresh(self) -> None:
        chosen = self.person()
        people = tuple(p for p in self.host.overview.staff if p.active)
        self.staff_model.set_rows(people)
        fit_columns(self.staff_table)
        if chosen is None or not select_where(
            self.staff_table, lambda p: isinstance(p, StaffInfo) and p.user_id == chosen.user_id
        ):
            self._show_person()

    def person(self) -> StaffInfo | None:
        row = selected_row(self.staff_table)
        return row if isinstance(row, StaffInfo) else None

    def select_person(self, login: str) -> bool:
        return select_where(self.staff_table, lambda p: isinstance(p, StaffInfo) and p.login == login)

    def _show_person(self) -> None:
        person = self.person()
        overview = self.host.overview
        if person is None:
            self.work_model.set_rows(())
            self.homeroom_label.setText(_("Chọn một người ở bảng bên trái để xem và phân công."))
        else:
            self.work_model.set_rows(tuple(a for a in overview.assignments if a.teacher_id == person.user_id))
            fit_columns(self.work_table)
            led = [c.name for c in overview.classes if c.homeroom_id == person.user_id]
            self.homeroom_label.setText(
                _("{name} chủ nhiệm lớp {classes}.").format(name=person.full_name, classes=", ".join(led))
                if led else _("{name} không chủ nhiệm lớp nào.").format(name=person.full_name)
            )
        self._update_buttons()

    def _update_buttons(self) -> None:
        has_person = self.person() is not None and self.host.overview.year_id is not None
        self.assign_button.setEnabled(has_person)
        self.handover_button.setEnabled(has_person)
        row = selected_row(self.work_table)
        self.unassign_button.setEnabled(isinstance(row, AssignmentInfo) and not row.locked)

    @Slot()
    def assign(self) -> None:
        person = self.person()
        if person is not None:
            host = self.host
            host.open_dialog(
                assign_dialog(host.db, host.actor, host.overview, self, person),
                lambda n: _("Đã phân công {n} lớp-môn cho {name}.").format(n=n, name=person.full_name),
            )

    @Slot()
    def unassign(self) -> None:
        row = selected_row(self.work_table)
        if not isinstance(row, AssignmentInfo):
            return
        question = _("Bỏ phân công {teacher} dạy {subject} lớp {name}?").format(
            teacher=row.teacher_name, subject=row.subject_name, name=row.class_name)
        if not self.host.confirm(_("Bỏ phân công"), question):
            return
        db, actor = self.host.db, self.host.actor
        self.host.run_write(lambda: school_staffing.unassign_teaching(db, actor, row.id),
                            _("Đã bỏ phân công."))

    @Slot()
    def handover(self) -> None:
        person = self.person()
        if person is None:
            return
        host = self.host
        plan = school_staffing.handover_plan(host.db, host.actor, person.user_id, host.overview.year_id)
        dialog = HandoverDialog(host.db, host.actor, plan, host.overview.staff, self)

        def told(result: object) -> str:
            moved = len(getattr(result, "moved", ()))
            return _("Đã bàn giao {n} mục của {source} cho {target}.").format(
                n=moved, source=getattr(result, "from_teacher", ""), target=getattr(result, "to_teacher", ""))

        host.open_dialog(dialog, told)


class AccountsTab(QWidget):
    def __init__(self, host: SetupHost, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.host = host
        self.model = DataclassTableModel(
            (
                Column(_("Họ và tên"), lambda a: a.full_name),
                Column(_("Tên đăng nhập"), lambda a: a.login),
                Column(_("Vai trò"), lambda a: roles_text(a.roles)),
                Column(_("Trạng thái"), account_status),
            ),
            (),
            self,
        )
        self.table = make_table(self.model, _("Tài khoản"))
        self.create_button = QPushButton(_("Tạo tài khoản…"))
        self.edit_button = QPushButton(_("Sửa…"))
        self.reset_button = QPushButton(_("Đặt lại mật khẩu…"))
        self.unlock_button = QPushButton(_("Mở khoá"))
        self.active_button = QPushButton(_("Ngừng sử dụng"))
        self.create_button.clicked.connect(self.create_account)
        self.edit_button.clicked.connect(self.edit_account)
        self.reset_button.clicked.connect(self.reset_password)
        self.unlock_button.clicked.connect(self.unlock)
        self.active_button.clicked.connect(self.toggle_active)
        self.table.doubleClicked.connect(lambda _i: self.edit_account())
        self.table.selectionModel().selectionChanged.connect(lambda *_a: self._update_buttons())
        self.password_box: QWidget | None = None
        layout = QVBoxLayout(self)
        layout.addLayout(button_row(self.create_button, self.edit_button, self.reset_button,
                                    self.unlock_button, self.active_button))
        layout.addWidget(self.table, 1)
        note = QLabel(_("Tài khoản ngừng sử dụng không đăng nhập được nữa; những gì người đó đã nhập "
                        "và đã ký vẫn được giữ nguyên."))
        note.setWordWrap(True)
        note.setStyleSheet("color: #555555;")
        layout.addWidget(note)

    def refresh(self) -> None:
        chosen = self.account()
        self.model.set_rows(self.host.accounts)
        fit_columns(self.table)
        if chosen is not None:
            select_where(self.table, lambda a: isinstance(a, AccountInfo) and a.user_id == chosen.user_id)
        self._update_buttons()

    def account(self) -> AccountInfo | None:
        row = selected_row(self.table)
        return row if isinstance(row, AccountInfo) else None

    def select_login(self, login: str) -> bool:
        return select_where(self.table, lambda a: isinstance(a, AccountInfo) and a.login == login)

    def _update_buttons(self) -> None:
        a = self.account()
        for button in (self.edit_button, self.reset_button, self.active_button):
            button.setEnabled(a is not None)
        self.unlock_button.setEnabled(a is not None and (a.locked_until is not None or a.failed_logins > 0))
        self.active_button.setText(_("Dùng lại") if a is not None and not a.active else _("Ngừng sử dụng"))

    @Slot()
    def create_account(self) -> None:
        host = self.host
        dialog = AccountDialog(host.db, host.actor, taken_logins=tuple(a.login for a in host.accounts),
                               parent=self)
        password = dialog.password

        def told(result: object) -> str:
            if isinstance(result, AccountInfo):
                self.password_box = show_temporary_password(self, result.full_name, result.login,
                                                            password.text())
                return _("Đã tạo tài khoản {login}.").format(login=result.login)
            return ""

        host.open_dialog(dialog, told)

    @Slot()
    def edit_account(self) -> None:
        a = self.account()
        if a is not None:
            host = self.host
            host.open_dialog(AccountDialog(host.db, host.actor, taken_logins=(), account=a, parent=self),
                             _("Đã lưu tài khoản {login}.").format(login=a.login))

    @Slot()
    def reset_password(self) -> None:
        a = self.account()
        if a is None or not self.host.confirm(
            _("Đặt lại mật khẩu"),
            _("Cấp mật khẩu tạm mới cho {name}? Mật khẩu cũ sẽ không dùng được nữa.")
            .format(name=a.full_name),
        ):
            return
        db, actor = self.host.db, self.host.actor

        def told(password: object) -> str:
            self.password_box = show_temporary_password(self, a.full_name, a.login, str(password))
            return _("Đã đặt lại mật khẩu của {login}.").format(login=a.login)

        self.host.run_write(lambda: accounts.reset_password(db, actor, a.user_id), told)

    @Slot()
    def unlock(self) -> None:
        a = self.account()
        if a is not None:
            db, actor = self.host.db, self.host.actor
            self.host.run_write(lambda: accounts.unlock(db, actor, a.user_id),
                                _("Đã mở khoá tài khoản {login}.").format(login=a.login))

    @Slot()
    def toggle_active(self) -> None:
        a = self.account()
        if a is None:
            return
        if a.active and not self.host.confirm(
            _("Ngừng sử dụng tài khoản"),
            _("Ngừng tài khoản của {name}? Người này sẽ không đăng nhập được nữa.").format(name=a.full_name),
        ):
            return
        db, actor = self.host.db, self.host.actor
        self.host.run_write(
            lambda: accounts.set_active(db, actor, a.user_id, not a.active),
            _("Đã mở lại tài khoản {login}.").format(login=a.login) if not a.active
            else _("Đã ngừng tài khoản {login}.").format(login=a.login),
        )
