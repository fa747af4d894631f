"""Sign-in on a shared school PC, also used as the lock screen after idle time.

Left: everyone's name, large, with their roles underneath; typing filters the list
(without diacritics too: "hoa" finds "Hoà") or takes a login name. Right: the chosen
person and the password. A wrong password says how many tries remain or until when the
account is locked; a password reset by the admin must be replaced before going on.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QSize,
    QSortFilterProxyModel,
    Qt,
    Slot,
)
from PySide6.QtGui import QFont, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from app.errors import UserFacingError
from app.i18n import _
from app.models.db import Database
from app.rules.vnsort import fold
from app.services import accounts
from app.services.accounts import SignedIn, SignInChoice
from app.services.demo import DEMO_PASSWORD
from app.ui import theme
from app.ui.background import run_in_background
from app.ui.dialogs.change_password_dialog import ChangePasswordDialog, error_label, password_field
from app.ui.itemmodels import DataclassTableModel
from app.ui.itemmodels.dataclass_table import ROW_ROLE, Column

log = logging.getLogger(__name__)

_Index = QModelIndex | QPersistentModelIndex
NAME_POINT_SIZE = theme.BASE_POINT_SIZE * 1.3


def role_line(choice: SignInChoice) -> str:
    return ", ".join(_(accounts.ROLE_NAMES[r]) for r in choice.roles)


def choice_columns() -> tuple[Column, ...]:
    return (Column(_("Họ và tên"), lambda c: c.full_name, tooltip=lambda c: f"{c.login} · {role_line(c)}"),)


class PersonDelegate(QStyledItemDelegate):
    """Two lines per person: the name large and bold, the roles smaller and grey."""

    def _fonts(self, base: QFont) -> tuple[QFont, QFont]:
        name = QFont(base)
        name.setPointSizeF(NAME_POINT_SIZE)
        name.setBold(True)
        roles = QFont(base)
        roles.setPointSizeF(theme.BASE_POINT_SIZE * 0.95)
        return name, roles

    def sizeHint(self, option: QStyleOptionViewItem, index: _Index) -> QSize:
        name, roles = self._fonts(option.font)
        from PySide6.QtGui import QFontMetrics

        height = QFontMetrics(name).height() + QFontMetrics(roles).height() + 18
        return QSize(200, height)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        choice = index.data(ROW_ROLE)
        if not isinstance(choice, SignInChoice):
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        widget = opt.widget
        style = widget.style() if widget is not None else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        palette = opt.palette
        text_colour = palette.color(
            QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        )
        name_font, roles_font = self._fonts(opt.font)
        rect: QRect = opt.rect.adjusted(14, 8, -10, -8)
        painter.save()
        painter.setPen(text_colour)
        painter.setFont(name_font)
        name_height = painter.fontMetrics().height()
        painter.drawText(rect.adjusted(0, 0, 0, -(rect.height() - name_height)),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, choice.full_name)
        painter.setFont(roles_font)
        if not selected:
            painter.setPen(theme.MUTED_TEXT)
        painter.drawText(rect.adjusted(0, name_height + 2, 0, 0),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, role_line(choice))
        painter.restore()


class PersonFilter(QSortFilterProxyModel):
    """Keeps people whose name (without diacritics) contains the typed words, or whose
    login starts with the typed text."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._words: list[str] = []
        self._raw = ""

    def set_query(self, text: str) -> None:
        # Qt 6.10 replaced invalidateRowsFilter() by begin/endFilterChange().
        modern = hasattr(self, "beginFilterChange")
        if modern:
            self.beginFilterChange()
        self._raw = text.strip().lower()
        self._words = fold(text).split()
        if modern:
            self.endFilterChange()
        else:
            self.invalidateRowsFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: _Index) -> bool:
        if not self._words:
            return True
        model = self.sourceModel()
        choice = model.index(source_row, 0, source_parent).data(ROW_ROLE)
        if not isinstance(choice, SignInChoice):
            return False
        name = fold(choice.full_name)
        return all(w in name for w in self._words) or choice.login.startswith(self._raw)


class LoginDialog(QDialog):
    """Modal sign-in. After `accepted`, `signed_in` holds who signed in."""

    def __init__(
        self,
        db: Database,
        *,
        school_name: str,
        is_demo: bool = False,
        locked_for: SignInChoice | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._db = db
        self._locked_for = locked_for
        self.signed_in: SignedIn | None = None
        self.busy = False
        self.change_dialog: ChangePasswordDialog | None = None
        self.setWindowTitle(
            _("Học bạ số — Đăng nhập") if locked_for is None else _("Học bạ số — Màn hình đã khoá")
        )
        self.setModal(True)
        self.setMinimumSize(880, 580)

        self.choices = accounts.sign_in_choices(db)
        self.model = DataclassTableModel(choice_columns(), self.choices, self)
        self.proxy = PersonFilter(self)
        self.proxy.setSourceModel(self.model)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self._make_header(school_name, is_demo))
        body = QHBoxLayout()
        body.setContentsMargins(24, 18, 24, 18)
        body.setSpacing(24)
        body.addLayout(self._make_people(), 5)
        body.addLayout(self._make_password_side(is_demo), 4)
        layout.addLayout(body, 1)

        self.search.textChanged.connect(self._on_search)
        self.search.returnPressed.connect(self._on_search_return)
        self.people.selectionModel().currentChanged.connect(self._on_current_changed)
        self.people.activated.connect(lambda _i: self.password.setFocus())
        self.password.returnPressed.connect(self.attempt)
        self.sign_in_button.clicked.connect(self.attempt)
        self.quit_button.clicked.connect(self.reject)

        if locked_for is not None and self.select_login(locked_for.login):
            self.password.setFocus()
        else:
            self.search.setFocus()
        self._show_chosen()

    # -- building ---------------------------------------------------------------------------

    def _make_header(self, school_name: str, is_demo: bool) -> QWidget:
        header = QWidget()
        header.setObjectName("loginHeader")
        header.setStyleSheet(f"QWidget#loginHeader {{ background: {theme.ACCENT}; }} "
                             "QWidget#loginHeader QLabel { color: white; }")
        title = QLabel(school_name)
        font = title.font()
        font.setPointSizeF(theme.HEADER_POINT_SIZE)
        font.setBold(True)
        title.setFont(font)
        subtitle = QLabel(
            _("Học bạ số — đăng nhập") if self._locked_for is None else _("Màn hình đã khoá")
        )
        sub_font = subtitle.font()
        sub_font.setPointSizeF(theme.BASE_POINT_SIZE * 1.15)
        subtitle.setFont(sub_font)
        row = QHBoxLayout(header)
        row.setContentsMargins(24, 14, 24, 14)
        row.addWidget(title)
        row.addStretch(1)
        if is_demo:
            badge = QLabel(_("DEMO — trường mẫu"))
            badge.setObjectName("demoBadge")
            row.addWidget(badge)
        row.addWidget(subtitle)
        return header

    def _make_people(self) -> QVBoxLayout:
        column = QVBoxLayout()
        column.setSpacing(8)
        caption = QLabel(_("1. Chọn tên của bạn"))
        caption_font = caption.font()
        caption_font.setBold(True)
        caption_font.setPointSizeF(theme.BASE_POINT_SIZE * 1.15)
        caption.setFont(caption_font)
        self.search = QLineEdit()
        self.search.setPlaceholderText(_("Gõ vài chữ của tên, hoặc tên đăng nhập"))
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumHeight(int(self.search.fontMetrics().height() * 1.9))
        self.search.setAccessibleName(_("Tìm tên"))
        self.people = QListView()
        self.people.setModel(self.proxy)
        self.people.setItemDelegate(PersonDelegate(self.people))
        self.people.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.people.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.people.setUniformItemSizes(True)
        self.people.setAccessibleName(_("Danh sách người dùng"))
        self.empty_hint = QLabel(_("Không thấy tên phù hợp. Hãy gõ đúng tên đăng nhập, "
                                   "hoặc nhờ cán bộ quản trị tạo tài khoản."))
        self.empty_hint.setWordWrap(True)
        self.empty_hint.setStyleSheet("color: #a14a00;")
        self.empty_hint.hide()
        column.addWidget(caption)
        column.addWidget(self.search)
        column.addWidget(self.people, 1)
        column.addWidget(self.empty_hint)
        return column

    def _make_password_side(self, is_demo: bool) -> QVBoxLayout:
        column = QVBoxLayout()
        column.setSpacing(10)
        caption = QLabel(_("2. Nhập mật khẩu"))
        caption_font = caption.font()
        caption_font.setBold(True)
        caption_font.setPointSizeF(theme.BASE_POINT_SIZE * 1.15)
        caption.setFont(caption_font)
        self.chosen_label = QLabel()
        self.chosen_label.setWordWrap(True)
        chosen_font = self.chosen_label.font()
        chosen_font.setPointSizeF(NAME_POINT_SIZE)
        chosen_font.setBold(True)
        self.chosen_label.setFont(chosen_font)
        self.password = password_field()
        self.password.setAccessibleName(_("Mật khẩu"))
        self.show_box = QCheckBox(_("Hiện mật khẩu"))
        self.show_box.toggled.connect(self._toggle_visible)
        self.message = error_label()
        self.sign_in_button = QPushButton(_("Đăng nhập"))
        self.sign_in_button.setDefault(True)
        self.sign_in_button.setMinimumHeight(int(self.sign_in_button.fontMetrics().height() * 2.4))
        button_font = self.sign_in_button.font()
        button_font.setBold(True)
        button_font.setPointSizeF(theme.BASE_POINT_SIZE * 1.15)
        self.sign_in_button.setFont(button_font)
        forgot = QLabel(_("Quên mật khẩu? Hãy nhờ cán bộ quản trị đặt lại."))
        forgot.setWordWrap(True)
        forgot.setStyleSheet("color: #555555;")
        self.quit_button = QPushButton(
            _("Thoát") if self._locked_for is None else _("Thoát ứng dụng")
        )
        column.addWidget(caption)
        column.addWidget(self.chosen_label)
        column.addWidget(self.password)
        column.addWidget(self.show_box)
        column.addWidget(self.message)
        column.addWidget(self.sign_in_button)
        column.addWidget(forgot)
        if self._locked_for is not None:
            lock_note = QLabel(_("Máy đã tự khoá vì lâu không dùng, để bảo vệ dữ liệu học sinh. "
                                 "Người khác có thể chọn tên mình để đăng nhập."))
            lock_note.setWordWrap(True)
            column.addWidget(lock_note)
        if is_demo:
            demo_note = QLabel(_("Trường mẫu: mọi tài khoản dùng mật khẩu {password}")
                               .format(password=DEMO_PASSWORD))
            demo_note.setWordWrap(True)
            demo_note.setStyleSheet(f"color: {theme.DEMO_BADGE_BG}; font-weight: bold;")
            column.addWidget(demo_note)
        column.addStretch(1)
        column.addWidget(self.quit_button, 0, Qt.AlignmentFlag.AlignRight)
        return column

    # -- what tests and the app use ----------------------------------------------------------

    def select_login(self, login: str) -> bool:
        wanted = accounts.normalise_login(login)
        for row in range(self.proxy.rowCount()):
            index = self.proxy.index(row, 0)
            choice = index.data(ROW_ROLE)
            if isinstance(choice, SignInChoice) and choice.login == wanted:
                self.people.setCurrentIndex(index)
                return True
        return False

    def chosen(self) -> SignInChoice | None:
        choice = self.people.currentIndex().data(ROW_ROLE)
        return choice if isinstance(choice, SignInChoice) else None

    def chosen_login(self) -> str:
        choice = self.chosen()
        if choice is not None:
            return choice.login
        return self.search.text().strip()

    # -- reacting ------------------------------------------------------------------------------

    @Slot(str)
    def _on_search(self, text: str) -> None:
        self.proxy.set_query(text)
        count = self.proxy.rowCount()
        self.empty_hint.setVisible(count == 0)
        # An exact login wins; a single match is taken; otherwise the person picks.
        if not self.select_login(text) and count == 1:
            self.people.setCurrentIndex(self.proxy.index(0, 0))
        self._show_chosen()

    @Slot()
    def _on_search_return(self) -> None:
        if self.chosen() is None and self.proxy.rowCount() > 0:
            self.people.setCurrentIndex(self.proxy.index(0, 0))
        self.password.setFocus()

    @Slot(QModelIndex, QModelIndex)
    def _on_current_changed(self, _current: QModelIndex, _previous: QModelIndex) -> None:
        self.message.hide()
        self.password.clear()
        self._show_chosen()

    def _show_chosen(self) -> None:
        choice = self.chosen()
        if choice is not None:
            self.chosen_label.setText(choice.full_name)
            self.chosen_label.setStyleSheet("")
        elif self.search.text().strip():
            self.chosen_label.setText(_("Tên đăng nhập: {login}").format(login=self.search.text().strip()))
            self.chosen_label.setStyleSheet("")
        else:
            self.chosen_label.setText(_("Chưa chọn ai"))
            self.chosen_label.setStyleSheet("color: #8a8a8a;")

    @Slot(bool)
    def _toggle_visible(self, visible: bool) -> None:
        self.password.setEchoMode(QLineEdit.EchoMode.Normal if visible else QLineEdit.EchoMode.Password)

    def show_error(self, text: str) -> None:
        self.message.setText(text)
        self.message.show()

    @Slot()
    def attempt(self) -> None:
        if self.busy:
            return
        login = self.chosen_login()
        if not login:
            self.show_error(_("Hãy chọn tên của mình trong danh sách trước."))
            self.search.setFocus()
            return
        password = self.password.text()
        if not password:
            self.show_error(_("Hãy nhập mật khẩu."))
            self.password.setFocus()
            return
        self.busy = True
        self.sign_in_button.setEnabled(False)
        self.setCursor(Qt.CursorShape.WaitCursor)
        db = self._db
        run_in_background(
            self,
            lambda: accounts.sign_in(db, login, password),
            lambda signed: self._signed_in(signed, password),
            self._failed,
        )

    def _finish(self) -> None:
        self.busy = False
        self.sign_in_button.setEnabled(True)
        self.unsetCursor()

    def _failed(self, exc: BaseException) -> None:
        self._finish()
        if not isinstance(exc, UserFacingError):
            raise exc
        log.info("sign-in refused for %s", self.chosen_login())
        self.show_error(exc.message)
        self.password.clear()
        self.password.setFocus()

    def _signed_in(self, signed: SignedIn, password: str) -> None:
        self._finish()
        if not signed.must_change_password:
            self.signed_in = signed
            self.accept()
            return
        actor = accounts.actor_for(self._db, signed.user_id)
        dialog = ChangePasswordDialog(self._db, actor, forced=True, current_password=password, parent=self)
        self.change_dialog = dialog

        def changed(result: int) -> None:
            self.change_dialog = None
            if result == QDialog.DialogCode.Accepted:
                self.signed_in = signed
                self.accept()
            else:
                self.password.clear()
                self.show_error(_("Bạn cần đặt mật khẩu mới thì mới dùng được ứng dụng."))

        dialog.finished.connect(changed)
        dialog.open()
