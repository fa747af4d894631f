"""The main window: a header naming the school, a left navigation, the current page."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

import shiboken6
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QAction, QDragEnterEvent, QDropEvent, QFont, QFontMetrics, QKeySequence
from PySide6.QtWidgets import (
    QButtonGroup,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app import __version__
from app.i18n import _
from app.services.accounts import ROLE_NAMES, sorted_roles
from app.ui import theme
from app.ui.areas import AREAS, Area
from app.ui.context import UiContext
from app.ui.dialogs.change_password_dialog import ChangePasswordDialog
from app.ui.formatting import format_year
from app.ui.pages.class_page import ClassPage

# Areas without a page yet are shown disabled so people see what is coming.
LATER_AREAS = tuple(a.title for a in AREAS if a.factory is None)


class MainWindow(QMainWindow):
    # The session (app_session.py) signs out or locks; the window only asks.
    sign_out_requested = Signal()
    lock_requested = Signal()
    # Relayed from the settings page once it exists (pages are built on first visit).
    settings_changed = Signal()

    def __init__(self, context: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.areas = tuple(a for a in AREAS if a.visible(context.actor))
        self.overview = overview = context.overview
        database_path = context.database_path
        self.setWindowTitle(_("Học bạ số — {school}").format(school=overview.school_name))
        self.setMinimumSize(960, 600)
        self.about_box: QMessageBox | None = None

        self.pages = QStackedWidget()
        # Pages are built on first visit: building all of them up front cost ~1.5 s of
        # start-up on a 2,000-student school, for screens a teacher may never open.
        self.area_pages = _LazyPages(self, {a.key: a for a in self.areas if a.factory is not None})
        class_page = self.area_pages["classes"]
        assert isinstance(class_page, ClassPage)
        self.class_page = class_page

        body = QHBoxLayout()
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(0)
        body.addWidget(self._make_navigation())
        body.addWidget(self.pages, 1)

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self._make_header())
        layout.addLayout(body, 1)
        self.setCentralWidget(central)

        self._make_menus()
        self._make_status_bar(database_path)
        self.setAcceptDrops(True)  # a PDF or a transfer package dropped here is verified
        self.verify_dialogs: list[QWidget] = []
        self._show_status(self.class_page.status_text or _("Sẵn sàng."))

    def _page_built(self, page: QWidget) -> None:
        """Wire a page when it is first built: its status line and its links elsewhere."""
        self.pages.addWidget(page)
        if hasattr(page, "status_message"):
            page.status_message.connect(self._show_status)
        # Pages that link elsewhere (the pre-sign checklist) ask the window to go there.
        if hasattr(page, "navigate_requested"):
            page.navigate_requested.connect(self._on_navigate_requested)
        if hasattr(page, "settings_changed"):
            page.settings_changed.connect(self.settings_changed)

    # -- building ---------------------------------------------------------------------------

    def _make_header(self) -> QFrame:
        header = QFrame()
        header.setObjectName("header")
        self.school_label = QLabel(self.overview.school_name)
        school_font = self.school_label.font()
        school_font.setPointSizeF(theme.HEADER_POINT_SIZE)
        school_font.setBold(True)
        self.school_label.setFont(school_font)
        year = self.overview.year_name
        self.year_label = QLabel(
            _("Năm học {year}").format(year=format_year(year)) if year else _("Chưa có năm học")
        )
        year_font = self.year_label.font()
        year_font.setPointSizeF(theme.BASE_POINT_SIZE * 1.15)
        self.year_label.setFont(year_font)
        self.demo_badge = QLabel(_("DEMO — trường mẫu"))
        self.demo_badge.setObjectName("demoBadge")
        self.demo_badge.setToolTip(_("Đây là dữ liệu mẫu để dùng thử, không phải hồ sơ thật của học sinh."))
        self.demo_badge.setVisible(self.overview.is_demo)

        layout = QHBoxLayout(header)
        layout.setContentsMargins(20, 10, 20, 10)
        layout.setSpacing(20)
        layout.addWidget(self.school_label)
        layout.addWidget(self.year_label)
        layout.addWidget(self.demo_badge)
        layout.addStretch(1)
        self._add_signed_in(layout)
        return header

    def _add_signed_in(self, layout: QHBoxLayout) -> None:
        """Who is signed in, and a button to sign out (not for the command line's SYSTEM)."""
        actor = self.context.actor
        self.user_label: QLabel | None = None
        self.sign_out_button: QPushButton | None = None
        if actor.user_id is None:
            return
        roles = ", ".join(_(ROLE_NAMES[r]) for r in sorted_roles(actor.roles))
        self.user_label = QLabel(_("Đang dùng: {name}").format(name=actor.full_name))
        self.user_label.setToolTip(f"{actor.login} · {roles}")
        self.sign_out_button = QPushButton(_("Đăng xuất"))
        self.sign_out_button.setStyleSheet(
            "QPushButton { color: white; background: transparent; border: 2px solid white;"
            " border-radius: 6px; padding: 4px 14px; } QPushButton:hover { background: #2d73c2; }"
        )
        self.sign_out_button.setToolTip(_("Đăng xuất để người khác dùng máy"))
        self.sign_out_button.clicked.connect(self.sign_out_requested)
        layout.addWidget(self.user_label)
        layout.addWidget(self.sign_out_button)

    def _make_navigation(self) -> QFrame:
        nav = QFrame()
        nav.setObjectName("navigation")
        # Wide enough for the longest title in bold (the checked button), in any language.
        bold = QFont(self.font())
        bold.setBold(True)
        widest = max(QFontMetrics(bold).horizontalAdvance(_(a.title)) for a in self.areas)
        nav.setFixedWidth(max(165, widest + 56))
        layout = QVBoxLayout(nav)
        layout.setContentsMargins(8, 12, 8, 12)
        layout.setSpacing(4)
        self.nav_group = QButtonGroup(self)
        self.nav_group.setExclusive(True)
        self.nav_buttons: dict[str, QPushButton] = {}

        caption_added = False
        # Screens that exist first, then (under a caption) the ones still to come.
        ordered = [a for a in self.areas if a.factory] + [a for a in self.areas if not a.factory]
        for area in ordered:
            if area.factory is None and not caption_added:
                caption = QLabel(_("Sắp có:"))
                caption.setObjectName("navCaption")
                layout.addWidget(caption)
                caption_added = True
            layout.addWidget(self._area_button(area))
        self.nav_buttons[AREAS[0].title].setChecked(True)
        layout.addStretch(1)
        return nav

    def _area_button(self, area: Area) -> QPushButton:
        button = self._nav_button(_(area.title))
        # Keyed by the Vietnamese source title, whatever the display language.
        self.nav_buttons[area.title] = button
        if area.factory is None:
            button.setEnabled(False)
            button.setToolTip(_("Phần “{area}” sẽ có trong phiên bản sau.").format(area=_(area.title)))
        else:
            button.setToolTip(_(area.tooltip))
            button.clicked.connect(
                lambda _checked=False, key=area.key: self.pages.setCurrentWidget(self.area_pages[key])
            )
        return button

    def _nav_button(self, text: str) -> QPushButton:
        button = QPushButton(text)
        button.setCheckable(True)
        button.setCursor(Qt.CursorShape.PointingHandCursor)
        button.setMinimumHeight(int(button.fontMetrics().height() * 2.4))
        self.nav_group.addButton(button)
        self.nav_buttons[text] = button
        return button

    def _make_menus(self) -> None:
        file_menu = self.menuBar().addMenu(_("&Tệp"))
        if self.context.actor.user_id is not None:
            self.change_password_action = QAction(_("Đổi &mật khẩu…"), self)
            self.change_password_action.triggered.connect(self.change_password)
            self.lock_action = QAction(_("&Khoá màn hình"), self)
            self.lock_action.setShortcut(QKeySequence("Ctrl+L"))
            self.lock_action.triggered.connect(self.lock_requested)
            self.sign_out_action = QAction(_("Đăng &xuất"), self)
            self.sign_out_action.triggered.connect(self.sign_out_requested)
            file_menu.addActions([self.change_password_action, self.lock_action, self.sign_out_action])
            file_menu.addSeparator()
        if "audit" in self.area_pages:
            # Leaders and admins only (the area is hidden from others; the service refuses them too).
            self.backup_action = QAction(_("Sao lưu ngay"), self)
            self.backup_action.triggered.connect(self._back_up_now)
            file_menu.addAction(self.backup_action)
            file_menu.addSeparator()
        self.verify_file_action = QAction(_("&Xác minh tệp…"), self)
        self.verify_file_action.setToolTip(_("Kiểm tra chữ ký số của một học bạ PDF hoặc gói chuyển trường"))
        self.verify_file_action.triggered.connect(self.choose_file_to_verify)
        file_menu.addAction(self.verify_file_action)
        file_menu.addSeparator()
        self.quit_action = QAction(_("&Thoát"), self)
        self.quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        self.quit_action.triggered.connect(self.close)
        file_menu.addAction(self.quit_action)

        help_menu = self.menuBar().addMenu(_("Trợ &giúp"))
        self.about_action = QAction(_("&Giới thiệu"), self)
        self.about_action.setMenuRole(QAction.MenuRole.AboutRole)
        self.about_action.triggered.connect(self.show_about)
        help_menu.addAction(self.about_action)

    def _make_status_bar(self, database_path: Path | None) -> None:
        status = self.statusBar()
        status.setSizeGripEnabled(False)
        from app.ui.pages.setup_certificates import expiry_status_label  # certificates running out

        expiry = expiry_status_label(self.context.db, self.context.actor)
        if expiry is not None:
            status.addPermanentWidget(expiry)
        if database_path is not None:
            where = QLabel(_("Dữ liệu: {path}").format(path=database_path))
            where.setToolTip(_("Tệp cơ sở dữ liệu đang mở"))
            where.setStyleSheet("color: #555555; padding-right: 8px;")
            status.addPermanentWidget(where)

    # -- actions ------------------------------------------------------------------------------

    def navigate(self, key: str, **target: object) -> bool:
        """Show the page of area `key` at the place `target` names (class_id, subject_id,
        student_id, period, field), through the page's `show_target` when it has one."""
        page = self.area_pages.get(key)
        if page is None:
            title = next((a.title for a in AREAS if a.key == key), key)
            self._show_status(_("Phần “{area}” chưa có trong phiên bản này.").format(area=_(title)))
            return False
        self.pages.setCurrentWidget(page)
        for area in self.areas:
            if area.key == key and area.title in self.nav_buttons:
                self.nav_buttons[area.title].setChecked(True)
        show_target = getattr(page, "show_target", None)
        select = getattr(page, "select", None)  # the mark book: class, subject, period
        class_id = target.get("class_id")
        if callable(show_target):
            show_target(**target)
        elif callable(select) and isinstance(class_id, int):
            period = target.get("period")
            # Without a period (a whole subject), open semester I, or a primary year's end.
            for candidate in (period,) if period else ("1", "cn"):
                if select(class_id, target.get("subject_id"), candidate):
                    break
        elif isinstance(page, ClassPage) and isinstance(class_id, int):
            page.select_class(class_id)
        return True

    # -- verify any file (dialogs/verify_file.py) ---------------------------------------------

    @Slot()
    def choose_file_to_verify(self) -> None:
        from app.ui.dialogs.verify_file import choose_file

        path = choose_file(self)
        if path is not None:
            self.verify_file(path)

    def verify_file(self, path: Path) -> QWidget:
        from app.ui.dialogs.verify_file import open_verify_dialog

        dialog = open_verify_dialog(path, self.context.db, self)
        self.verify_dialogs = [d for d in self.verify_dialogs if shiboken6.isValid(d)] + [dialog]
        return dialog

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        from app.ui.dialogs.verify_file import dropped_files

        if dropped_files(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        from app.ui.dialogs.verify_file import dropped_files

        files = dropped_files(event.mimeData())
        for path in files:
            self.verify_file(path)
        if files:
            event.acceptProposedAction()

    @Slot()
    def _back_up_now(self) -> None:
        page = self.area_pages["audit"]
        self.pages.setCurrentWidget(page)
        page.back_up_now()  # type: ignore[attr-defined]

    @Slot(str, dict)
    def _on_navigate_requested(self, key: str, target: dict[str, object]) -> None:
        self.navigate(key, **target)

    @Slot(str)
    def _show_status(self, message: str) -> None:
        self.statusBar().showMessage(message)

    @Slot()
    def change_password(self) -> None:
        dialog = ChangePasswordDialog(self.context.db, self.context.actor, parent=self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._show_status(_("Đã đổi mật khẩu.")))
        dialog.open()

    @Slot()
    def show_about(self) -> None:
        """Non-blocking, so the rest of the app (and tests) keep running while it is open."""
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Information)
        box.setWindowTitle(_("Giới thiệu Học bạ số"))
        box.setText(_("Học bạ số — phiên bản {version}").format(version=__version__))
        box.setInformativeText(
            _(
                "Sổ học bạ điện tử cho nhà trường, chạy được cả khi không có mạng.\n"
                "Kết quả học tập và rèn luyện được tính theo Thông tư 22/2021 và "
                "Thông tư 27/2020 của Bộ Giáo dục và Đào tạo."
            )
        )
        box.setStandardButtons(QMessageBox.StandardButton.Close)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.about_box = box
        box.finished.connect(self._about_closed)
        box.open()

    @Slot()
    def _about_closed(self) -> None:
        self.about_box = None


class _LazyPages(Mapping[str, QWidget]):
    """The window's pages by area key; a page is built the first time it is asked for.

    Membership and iteration over keys never build anything (`"setup" in area_pages`).
    """

    def __init__(self, window: MainWindow, areas: dict[str, Area]) -> None:
        self._window = window
        self._areas = areas
        self._built: dict[str, QWidget] = {}

    def __getitem__(self, key: str) -> QWidget:
        page = self._built.get(key)
        if page is None:
            factory = self._areas[key].factory
            assert factory is not None
            page = factory(self._window.context)
            self._built[key] = page
            self._window._page_built(page)
        return page

    def __contains__(self, key: object) -> bool:
        return key in self._areas

    def __iter__(self) -> Iterator[str]:
        return iter(self._areas)

    def __len__(self) -> int:
        return len(self._areas)

    def built(self) -> dict[str, QWidget]:
        return dict(self._built)

