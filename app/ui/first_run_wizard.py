"""The first start of a fresh installation: create the school, or open the demo school.

Three short steps for a real school — the school, the first admin account, done — and
one click for the demo. Creating the school (service `first_run.create_school`) writes
everything in one transaction and signs the new admin in; the demo is made (or reopened)
by a function the command layer passes in, since where the demo lives is its decision.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.errors import UserFacingError
from app.i18n import _
from app.models.db import Database
from app.rules import curriculum
from app.services import accounts, first_run
from app.services.accounts import SignedIn
from app.services.demo import school_year_start
from app.ui import theme
from app.ui.background import run_in_background
from app.ui.dialogs.change_password_dialog import error_label, password_field
from app.ui.dialogs.setup_dialogs import text_field

log = logging.getLogger(__name__)

WELCOME, SCHOOL, ADMIN, WORKING = range(4)
ADMIN_FIELDS = frozenset({"login", "full_name", "new_password"})


def _heading(text: str, scale: float = 1.35) -> QLabel:
    label = QLabel(text)
    font = label.font()
    font.setPointSizeF(theme.BASE_POINT_SIZE * scale)
    font.setBold(True)
    label.setFont(font)
    label.setWordWrap(True)
    return label


def _paragraph(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    return label


def _big_button(text: str) -> QPushButton:
    button = QPushButton(text)
    font = button.font()
    font.setPointSizeF(theme.BASE_POINT_SIZE * 1.2)
    font.setBold(True)
    button.setFont(font)
    button.setMinimumHeight(int(button.fontMetrics().height() * 2.6))
    return button


class FirstRunWizard(QDialog):
    """After `accepted`: `outcome` is "created" (with `signed_in`) or "demo" (with `demo_db`)."""

    def __init__(
        self,
        db: Database,
        *,
        open_demo: Callable[[], Database] | None,
        today: date | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._db = db
        self._open_demo = open_demo
        self.outcome: str | None = None
        self.signed_in: SignedIn | None = None
        self.demo_db: Database | None = None
        self.busy = False
        self.setWindowTitle(_("Học bạ số — Bắt đầu"))
        self.setModal(True)
        self.setMinimumSize(860, 600)
        self._start_year = school_year_start(today or date.today())

        self.pages = QStackedWidget()
        self.pages.addWidget(self._welcome_page())
        self.pages.addWidget(self._school_page())
        self.pages.addWidget(self._admin_page())
        self.pages.addWidget(self._working_page())
        self.message = error_label()
        self.back_button = QPushButton(_("Quay lại"))
        self.next_button = QPushButton(_("Tiếp tục"))
        self.quit_button = QPushButton(_("Thoát"))
        self.back_button.clicked.connect(self.back)
        self.next_button.clicked.connect(self.next)
        self.quit_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.quit_button)
        buttons.addStretch(1)
        buttons.addWidget(self.back_button)
        buttons.addWidget(self.next_button)
        for button in (self.back_button, self.next_button, self.quit_button):
            button.setMinimumHeight(int(button.fontMetrics().height() * 2.1))
            button.setMinimumWidth(button.fontMetrics().horizontalAdvance("m") * 9)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 22, 28, 18)
        layout.setSpacing(12)
        layout.addWidget(self.pages, 1)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        # A message about a field goes away once the person starts correcting it.
        for field in (*self.fields.values(), self.admin_repeat):
            if isinstance(field, QLineEdit):
                field.textEdited.connect(self.message.hide)
        self.show_page(WELCOME)

    # -- pages --------------------------------------------------------------------------------

    def _welcome_page(self) -> QWidget:
        page = QWidget()
        column = QVBoxLayout(page)
        column.setSpacing(14)
        column.addWidget(_heading(_("Chào mừng đến với Học bạ số"), 1.6))
        column.addWidget(_paragraph(_(
            "Máy này chưa có dữ liệu của trường nào. Hãy chọn một trong hai cách bắt đầu:"
        )))
        self.create_button = _big_button(_("Tạo trường của tôi"))
        self.create_button.clicked.connect(lambda: self.show_page(SCHOOL))
        self.demo_button = _big_button(_("Mở trường mẫu (DEMO) để dùng thử"))
        self.demo_button.clicked.connect(self.open_demo)
        self.demo_button.setEnabled(self._open_demo is not None)
        column.addWidget(self.create_button)
        column.addWidget(_paragraph(_(
            "Dành cho cán bộ quản trị của trường: nhập thông tin trường và tạo tài khoản quản trị. "
            "Sau đó thêm lớp, môn học, giáo viên trong “Thiết lập trường”, hoặc nhập từ tệp Excel."
        )))
        column.addSpacing(8)
        column.addWidget(self.demo_button)
        column.addWidget(_paragraph(_(
            "Một trường THCS mẫu với học sinh, điểm số và giáo viên giả định, để thử mọi chức năng. "
            "Dữ liệu mẫu được ghi rõ DEMO và không trộn với dữ liệu thật."
        )))
        column.addStretch(1)
        return page

    def _school_page(self) -> QWidget:
        page = QWidget()
        column = QVBoxLayout(page)
        column.addWidget(_heading(_("Bước 1/2: Thông tin trường")))
        form = QFormLayout()
        form.setVerticalSpacing(9)
        self.fields: dict[str, QWidget] = {}
        for key, label, hint in (
            ("name", _("Tên trường:"), _("Ví dụ: Trường THCS Nguyễn Du")),
            ("school_code", _("Mã trường:"), _("Mã trường trên CSDL ngành")),
            ("department_code", _("Mã Sở GD&&ĐT:"), _("Ví dụ: 79")),
            ("province", _("Tỉnh/thành phố:"), ""),
            ("issuing_place", _("Địa danh ghi trên học bạ:"), _("Ví dụ: Tân Lập")),
            ("principal_name", _("Hiệu trưởng:"), _("Có thể bổ sung sau")),
        ):
            edit = text_field()
            edit.setPlaceholderText(hint)
            self.fields[key] = edit
            form.addRow(label, edit)
        levels = QWidget()
        level_row = QHBoxLayout(levels)
        level_row.setContentsMargins(0, 0, 0, 0)
        self.level_boxes: dict[str, QCheckBox] = {}
        for key in curriculum.LEVELS:
            box = QCheckBox(_(curriculum.LEVEL_NAMES[key]))
            self.level_boxes[key] = box
            level_row.addWidget(box)
        level_row.addStretch(1)
        self.level_boxes["thcs"].setChecked(True)
        self.fields["levels"] = levels
        form.addRow(_("Cấp học:"), levels)
        self.year_spin = QSpinBox()
        self.year_spin.setRange(2000, 2100)
        self.year_spin.setValue(self._start_year)
        self.year_spin.setPrefix(_("Năm học "))
        self.year_spin.setSuffix(_("–{next}").format(next=self._start_year + 1))
        self.year_spin.valueChanged.connect(lambda y: self.year_spin.setSuffix(f"–{y + 1}"))
        self.fields["start_year"] = self.year_spin
        form.addRow(_("Năm học:"), self.year_spin)
        self.classes_spin = QSpinBox()
        self.classes_spin.setRange(0, first_run.MAX_CLASSES_PER_GRADE)
        self.classes_spin.setValue(0)
        self.classes_spin.setSuffix(_(" lớp mỗi khối"))
        self.classes_spin.setToolTip(_("Tạo sẵn các lớp 6A1, 6A2…; để 0 nếu muốn tự tạo hoặc nhập từ Excel."))
        self.fields["classes_per_grade"] = self.classes_spin
        form.addRow(_("Tạo sẵn lớp:"), self.classes_spin)
        column.addLayout(form)
        column.addStretch(1)
        return page

    def _admin_page(self) -> QWidget:
        page = QWidget()
        column = QVBoxLayout(page)
        column.addWidget(_heading(_("Bước 2/2: Tài khoản quản trị")))
        column.addWidget(_paragraph(_(
            "Cán bộ quản trị thiết lập trường, tạo tài khoản cho giáo viên và đặt lại mật khẩu khi "
            "ai đó quên. Hãy ghi nhớ mật khẩu này; nếu quên, không ai trong trường lấy lại được."
        )))
        form = QFormLayout()
        form.setVerticalSpacing(9)
        self.admin_name = text_field()
        self.admin_login = text_field("quantri")
        self.admin_password = password_field()
        self.admin_repeat = password_field()
        self.fields.update({"full_name": self.admin_name, "login": self.admin_login,
                            "new_password": self.admin_password})
        form.addRow(_("Họ và tên:"), self.admin_name)
        form.addRow(_("Tên đăng nhập:"), self.admin_login)
        form.addRow(_("Mật khẩu:"), self.admin_password)
        form.addRow(_("Nhập lại mật khẩu:"), self.admin_repeat)
        column.addLayout(form)
        rule = _("Mật khẩu cần ít nhất {n} kí tự.").format(n=accounts.MIN_PASSWORD_LENGTH)
        column.addWidget(_paragraph(rule))
        column.addStretch(1)
        return page

    def _working_page(self) -> QWidget:
        page = QWidget()
        column = QVBoxLayout(page)
        column.addStretch(1)
        self.working_label = _heading(_("Đang chuẩn bị…"), 1.2)
        self.working_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        bar = QProgressBar()
        bar.setRange(0, 0)  # busy, no percentage
        column.addWidget(self.working_label)
        column.addWidget(bar)
        column.addStretch(1)
        return page

    # -- navigation ---------------------------------------------------------------------------

    def show_page(self, index: int) -> None:
        self.pages.setCurrentIndex(index)
        self.message.hide()
        self.back_button.setVisible(index in (SCHOOL, ADMIN))
        self.next_button.setVisible(index in (SCHOOL, ADMIN))
        self.next_button.setText(_("Tạo trường") if index == ADMIN else _("Tiếp tục"))
        self.next_button.setDefault(index in (SCHOOL, ADMIN))
        self.quit_button.setEnabled(index != WORKING)
        first = {SCHOOL: self.fields["name"], ADMIN: self.admin_name}.get(index)
        if first is not None:
            first.setFocus()

    @Slot()
    def back(self) -> None:
        self.show_page(max(WELCOME, self.pages.currentIndex() - 1))

    @Slot()
    def next(self) -> None:
        if self.pages.currentIndex() == SCHOOL:
            if not self.fields_text("name").strip():
                self.show_error(_("Hãy nhập tên trường."), "name")
                return
            if not any(box.isChecked() for box in self.level_boxes.values()):
                self.show_error(_("Hãy chọn ít nhất một cấp học."), "levels")
                return
            self.show_page(ADMIN)
        elif self.pages.currentIndex() == ADMIN:
            self.create_school()

    def fields_text(self, key: str) -> str:
        widget = self.fields[key]
        return widget.text() if isinstance(widget, QLineEdit) else ""

    def show_error(self, text: str, field: str | None = None) -> None:
        if field in ADMIN_FIELDS:
            self.pages.setCurrentIndex(ADMIN)
        elif field in self.fields:
            self.pages.setCurrentIndex(SCHOOL)
        current = self.pages.currentIndex()
        self.back_button.setVisible(current in (SCHOOL, ADMIN))
        self.next_button.setVisible(current in (SCHOOL, ADMIN))
        self.next_button.setText(_("Tạo trường") if current == ADMIN else _("Tiếp tục"))
        self.quit_button.setEnabled(True)
        self.message.setText(text)
        self.message.show()
        widget = self.fields.get(field or "")
        if widget is not None:
            widget.setFocus()

    # -- doing --------------------------------------------------------------------------------

    def answers(self) -> first_run.NewSchool:
        return first_run.NewSchool(
            name=self.fields_text("name"),
            school_code=self.fields_text("school_code"),
            department_code=self.fields_text("department_code"),
            province=self.fields_text("province"),
            issuing_place=self.fields_text("issuing_place"),
            principal_name=self.fields_text("principal_name") or None,
            levels=tuple(k for k, box in self.level_boxes.items() if box.isChecked()),
            start_year=self.year_spin.value(),
            admin_full_name=self.admin_name.text(),
            admin_login=self.admin_login.text(),
            admin_password=self.admin_password.text(),
            classes_per_grade=self.classes_spin.value(),
        )

    @Slot()
    def create_school(self) -> None:
        if self.busy:
            return
        if self.admin_password.text() != self.admin_repeat.text():
            self.admin_repeat.clear()
            self.show_error(_("Hai lần nhập mật khẩu chưa giống nhau. Hãy nhập lại."), "new_password")
            return
        answers, db = self.answers(), self._db

        def work() -> SignedIn:
            first_run.create_school(db, answers)
            return accounts.sign_in(db, answers.admin_login, answers.admin_password)

        self._start(_("Đang tạo trường…"), work, self._school_created)

    def _school_created(self, signed: object) -> None:
        assert isinstance(signed, SignedIn)
        log.info("school created by the first-run wizard; admin %s", signed.login)
        self.outcome, self.signed_in = "created", signed
        self.accept()

    @Slot()
    def open_demo(self) -> None:
        if self.busy or self._open_demo is None:
            return
        self._start(_("Đang mở trường mẫu…"), self._open_demo, self._demo_ready)

    def _demo_ready(self, db: object) -> None:
        assert isinstance(db, Database)
        self.outcome, self.demo_db = "demo", db
        self.accept()

    def _start(self, text: str, work: Callable[[], object], done: Callable[[object], None]) -> None:
        self.busy = True
        self.working_label.setText(text)
        back_to = self.pages.currentIndex()
        self.show_page(WORKING)

        def finished(result: object) -> None:
            self.busy = False
            done(result)

        def failed(exc: BaseException) -> None:
            self.busy = False
            self.show_page(back_to)
            if not isinstance(exc, UserFacingError):
                log.error("first run failed", exc_info=exc)
                self.show_error(_("Không làm được: {error}").format(error=f"{type(exc).__name__}: {exc}"))
                return
            self.show_error(exc.message, exc.field)

        run_in_background(self, work, finished, failed)
