"""The admin's "Thiết lập trường" page: school details and school years, classes, subjects,
teachers with their assignments and handover, and accounts — one tab each.

Every change goes through an admin-only service (refused for anyone else even if this page
were reachable) and runs off the GUI thread; afterwards the page re-reads the set-up
overview and a line at the top says what happened, or what to do.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date

from PySide6.QtCore import QDate, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.errors import UserFacingError
from app.i18n import _
from app.services import accounts, school_calendar, school_setup, school_structure
from app.services.accounts import AccountInfo
from app.services.school_setup import YearInfo
from app.ui import theme
from app.ui.background import run_in_background
from app.ui.context import UiContext
from app.ui.dialogs.form_dialog import FormDialog
from app.ui.dialogs.setup_dialogs import new_year_dialog, text_field
from app.ui.formatting import format_year
from app.ui.pages.setup_certificates import CertificatesTab
from app.ui.pages.setup_common import button_row
from app.ui.pages.setup_people import AccountsTab, StaffTab
from app.ui.pages.setup_tabs import ClassesTab, SubjectsTab

log = logging.getLogger(__name__)

Success = str | Callable[[object], str]


def _date_edit(value: date) -> QDateEdit:
    edit = QDateEdit(QDate(value.year, value.month, value.day))
    edit.setDisplayFormat("dd/MM/yyyy")
    edit.setCalendarPopup(True)
    return edit


def _to_date(edit: QDateEdit) -> date:
    d = edit.date()
    return date(d.year(), d.month(), d.day())


class SchoolTab(QWidget):
    """School details, the chosen year's dates, and the grades."""

    FIELDS = ("name", "school_code", "department_code", "province", "district", "address",
              "issuing_place", "principal_name")

    def __init__(self, host: SetupPage, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.host = host
        school_box = QGroupBox(_("Thông tin trường"))
        form = QFormLayout(school_box)
        self.edits = {key: text_field() for key in self.FIELDS}
        labels = {
            "name": _("Tên trường:"), "school_code": _("Mã trường:"), "department_code": _("Mã Sở GD&&ĐT:"),
            "province": _("Tỉnh/thành phố:"), "district": _("Xã/phường:"), "address": _("Địa chỉ:"),
            "issuing_place": _("Địa danh ghi trên học bạ:"), "principal_name": _("Hiệu trưởng:"),
        }
        for key in self.FIELDS:
            form.addRow(labels[key], self.edits[key])
        self.save_school_button = QPushButton(_("Lưu thông tin trường"))
        self.save_school_button.clicked.connect(self.save_school)
        form.addRow("", self.save_school_button)

        year_box = QGroupBox(_("Năm học và học kì"))
        year_form = QFormLayout(year_box)
        self.year_title = QLabel()
        self.start_edit = _date_edit(date(2026, 9, 5))
        self.hk1_end_edit = _date_edit(date(2027, 1, 17))
        self.end_edit = _date_edit(date(2027, 5, 31))
        self.save_dates_button = QPushButton(_("Lưu ngày"))
        self.save_dates_button.clicked.connect(self.save_dates)
        self.current_button = QPushButton(_("Đặt làm năm học hiện tại"))
        self.current_button.clicked.connect(self.make_current)
        year_form.addRow(self.year_title)
        year_form.addRow(_("Khai giảng:"), self.start_edit)
        year_form.addRow(_("Hết học kì I:"), self.hk1_end_edit)
        year_form.addRow(_("Kết thúc năm học:"), self.end_edit)
        year_form.addRow(button_row(self.save_dates_button, self.current_button))

        grade_box = QGroupBox(_("Khối lớp"))
        grade_row = QHBoxLayout(grade_box)
        self.grades_label = QLabel()
        self.grade_spin = QSpinBox()
        self.grade_spin.setRange(1, 12)
        self.add_grade_button = QPushButton(_("Thêm khối"))
        self.add_grade_button.clicked.connect(self.add_grade)
        grade_row.addWidget(self.grades_label, 1)
        grade_row.addWidget(self.grade_spin)
        grade_row.addWidget(self.add_grade_button)

        right = QVBoxLayout()
        right.addWidget(year_box)
        right.addWidget(grade_box)
        right.addStretch(1)
        layout = QHBoxLayout(self)
        layout.addWidget(school_box, 3)
        layout.addLayout(right, 2)

    def refresh(self) -> None:
        details = self.host.overview.school
        for key, edit in self.edits.items():
            edit.setText(getattr(details, key) or "")
        year = self.host.year()
        for widget in (self.start_edit, self.hk1_end_edit, self.end_edit, self.save_dates_button):
            widget.setEnabled(year is not None)
        if year is None:
            self.year_title.setText(_("Chưa có năm học. Hãy bấm “Năm học mới…”."))
            self.current_button.hide()
        else:
            self.year_title.setText(
                _("Năm học {year}").format(year=format_year(year.name))
                + (_(" (năm học hiện tại)") if year.is_current else "")
            )
            self.start_edit.setDate(QDate(year.start_date.year, year.start_date.month, year.start_date.day))
            hk1 = year.semesters[0].end_date if year.semesters else year.start_date
            self.hk1_end_edit.setDate(QDate(hk1.year, hk1.month, hk1.day))
            self.end_edit.setDate(QDate(year.end_date.year, year.end_date.month, year.end_date.day))
            self.current_button.setVisible(not year.is_current)
        grades = ", ".join(str(g.number) for g in self.host.overview.grades)
        self.grades_label.setText(_("Các khối: {grades}").format(grades=grades or _("(chưa có)")))

    @Slot()
    def save_school(self) -> None:
        values = {key: edit.text() for key, edit in self.edits.items()}
        db, actor = self.host.db, self.host.actor
        self.host.run_write(lambda: school_setup.update_school(db, actor, **values),
                            _("Đã lưu thông tin trường."))

    @Slot()
    def save_dates(self) -> None:
        year = self.host.year()
        if year is None:
            return
        start, hk1, end = _to_date(self.start_edit), _to_date(self.hk1_end_edit), _to_date(self.end_edit)
        db, actor = self.host.db, self.host.actor
        self.host.run_write(
            lambda: school_calendar.set_year_dates(db, actor, year.id, start_date=start, hk1_end=hk1,
                                                   end_date=end),
            _("Đã lưu ngày của năm học."),
        )

    @Slot()
    def make_current(self) -> None:
        year = self.host.year()
        if year is not None:
            db, actor = self.host.db, self.host.actor
            self.host.run_write(lambda: school_calendar.set_current_year(db, actor, year.id),
                                _("Năm học {year} là năm học hiện tại.").format(year=format_year(year.name)))

    @Slot()
    def add_grade(self) -> None:
        number = self.grade_spin.value()
        db, actor = self.host.db, self.host.actor
        self.host.run_write(lambda: school_structure.add_grade(db, actor, number),
                            _("Đã thêm khối {n}.").format(n=number))


class SetupPage(QWidget):
    def __init__(self, context: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = context.db
        self.actor = context.actor
        self.busy = False
        self.dialog: FormDialog | None = None
        self.accounts: tuple[AccountInfo, ...] = ()
        self._year_id: int | None = None
        self.overview = school_setup.setup_overview(self.db, self.actor)
        self._year_id = self.overview.year_id

        title = QLabel(_("Thiết lập trường"))
        font = title.font()
        font.setPointSizeF(theme.HEADER_POINT_SIZE)
        font.setBold(True)
        title.setFont(font)
        self.year_combo = QComboBox()
        self.year_combo.setAccessibleName(_("Năm học"))
        self.year_combo.currentIndexChanged.connect(self._year_chosen)
        self.new_year_button = QPushButton(_("Năm học mới…"))
        self.new_year_button.clicked.connect(self.new_year)
        top = QHBoxLayout()
        top.addWidget(title)
        top.addSpacing(24)
        top.addWidget(QLabel(_("Năm học:")))
        top.addWidget(self.year_combo)
        top.addWidget(self.new_year_button)
        top.addStretch(1)

        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.hide()

        self.school_tab = SchoolTab(self)
        self.classes_tab = ClassesTab(self)
        self.subjects_tab = SubjectsTab(self)
        self.staff_tab = StaffTab(self)
        self.accounts_tab = AccountsTab(self)
        self.certificates_tab = CertificatesTab(self, data_dir=context.data_dir)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.school_tab, _("Trường và năm học"))
        self.tabs.addTab(self.classes_tab, _("Lớp học"))
        self.tabs.addTab(self.subjects_tab, _("Môn học"))
        self.tabs.addTab(self.staff_tab, _("Giáo viên và phân công"))
        self.tabs.addTab(self.accounts_tab, _("Tài khoản"))
        self.tabs.addTab(self.certificates_tab, _("Chứng thư số"))

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 8)
        layout.setSpacing(8)
        layout.addLayout(top)
        layout.addWidget(self.message)
        layout.addWidget(self.tabs, 1)
        self.reload()

    # -- the host interface of the tabs -----------------------------------------------------------

    def year(self) -> YearInfo | None:
        return next((y for y in self.overview.years if y.id == self.overview.year_id), None)

    def reload(self) -> None:
        self.overview = school_setup.setup_overview(self.db, self.actor, self._year_id)
        self._year_id = self.overview.year_id
        self.accounts = accounts.list_accounts(self.db, self.actor)
        self.year_combo.blockSignals(True)
        self.year_combo.clear()
        for y in self.overview.years:
            label = format_year(y.name) + (_(" (hiện tại)") if y.is_current else "")
            self.year_combo.addItem(label, y.id)
        self.year_combo.setCurrentIndex(max(0, self.year_combo.findData(self._year_id)))
        self.year_combo.blockSignals(False)
        for tab in (self.school_tab, self.classes_tab, self.subjects_tab, self.staff_tab, self.accounts_tab,
                    self.certificates_tab):
            tab.refresh()

    def show_message(self, text: str, *, error: bool = False) -> None:
        self.message.setObjectName("pageError" if error else "pageOk")
        self.message.setStyleSheet(
            "" if error else "background: #e3f4e1; color: #1d4d1a; border: 1px solid #9cc997;"
            " border-radius: 4px; padding: 8px;"
        )
        self.message.style().unpolish(self.message)
        self.message.style().polish(self.message)
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def _told(self, success: Success, result: object) -> None:
        text = success(result) if callable(success) else success
        self.reload()
        self.show_message(text)

    def open_dialog(self, dialog: FormDialog, success: Success) -> None:
        self.dialog = dialog

        def finished(result: int) -> None:
            self.dialog = None
            if result == FormDialog.DialogCode.Accepted:
                self._told(success, dialog.result_value)
            dialog.deleteLater()

        dialog.finished.connect(finished)
        dialog.open()

    def run_write(self, work: Callable[[], object], success: Success) -> None:
        if self.busy:
            return
        self.busy = True
        self.setEnabled(False)

        def done(result: object) -> None:
            self.busy = False
            self.setEnabled(True)
            self._told(success, result)

        def failed(exc: BaseException) -> None:
            self.busy = False
            self.setEnabled(True)
            if not isinstance(exc, UserFacingError):
                raise exc
            self.show_message(exc.message, error=True)

        run_in_background(self, work, done, failed)

    def confirm(self, title: str, text: str) -> bool:
        answer = QMessageBox.question(self, title, text)
        return answer == QMessageBox.StandardButton.Yes

    # -- own actions ----------------------------------------------------------------------------

    @Slot(int)
    def _year_chosen(self, _index: int) -> None:
        data = self.year_combo.currentData()
        if data is not None and data != self._year_id:
            self._year_id = int(data)
            self.reload()
            self.show_message("")

    @Slot()
    def new_year(self) -> None:
        def told(year: object) -> str:
            if isinstance(year, YearInfo):
                self._year_id = year.id  # show the new year
                return _("Đã tạo năm học {year}.").format(year=format_year(year.name))
            return ""

        self.open_dialog(new_year_dialog(self.db, self.actor, self.overview, self), told)
