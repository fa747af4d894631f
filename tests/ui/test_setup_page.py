"""The admin's set-up page: every tab on a real demo database, changes made through the
dialogs, errors shown in place, models checked with qtmodeltester, screenshots."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from app.models.db import Database, open_database
from app.services import accounts, school_setup
from app.services.access import PermissionDenied
from app.services.accounts import AccountInfo
from app.services.first_run import has_school
from app.ui.application import WINDOW_SIZE, build_main_window
from app.ui.context import UiContext
from app.ui.dialogs.account_dialog import AccountDialog
from app.ui.dialogs.form_dialog import FormDialog
from app.ui.dialogs.handover_dialog import HandoverDialog
from app.ui.first_run_wizard import ADMIN, SCHOOL, FirstRunWizard
from app.ui.pages.setup_page import SetupPage
from app.ui.reads import read_overview
from tests.ui.accounts_helpers import actor, homeroom_teacher_login, private_copy, subject_teacher_login
from tests.ui.demo_data import make_demo_database

pytestmark = pytest.mark.qt


@pytest.fixture
def db(demo_db_path: Path, tmp_path: Path) -> Iterator[Database]:
    database = open_database(private_copy(demo_db_path, tmp_path))
    yield database
    database.dispose()


@pytest.fixture
def page(ui_app: QApplication, qtbot: QtBot, db: Database, monkeypatch: pytest.MonkeyPatch) -> SetupPage:
    monkeypatch.setattr(SetupPage, "confirm", lambda self, title, text: True)
    admin = actor(db, "admin")
    context = UiContext(db=db, actor=admin, overview=read_overview(db, admin), database_path=db.path)
    p = SetupPage(context)
    qtbot.addWidget(p)
    p.resize(1120, 720)
    p.show()
    qtbot.waitExposed(p)
    return p


def _submit(qtbot: QtBot, page: SetupPage, dialog: FormDialog) -> None:
    dialog.submit()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=10_000)


def _wait_idle(qtbot: QtBot, page: SetupPage) -> None:
    qtbot.waitUntil(lambda: not page.busy, timeout=10_000)


def test_every_tab_shows_the_school(
    page: SetupPage, qtbot: QtBot, qtmodeltester: ModelTester, artifacts_dir: Path
) -> None:
    overview = page.overview
    assert page.school_tab.edits["name"].text() == overview.school.name
    assert page.classes_tab.model.rowCount() == len(overview.classes) == 2
    assert page.subjects_tab.model.rowCount() == sum(1 for s in overview.subjects if s.grade == 6)
    assert page.staff_tab.staff_model.rowCount() == sum(1 for p in overview.staff if p.active)
    assert page.accounts_tab.model.rowCount() == len(page.accounts)
    for model in (page.classes_tab.model, page.subjects_tab.model, page.staff_tab.staff_model,
                  page.staff_tab.work_model, page.accounts_tab.model):
        qtmodeltester.check(model)
    names = ("truong", "lop", "mon", "giao_vien", "tai_khoan")
    for index, name in enumerate(names):
        page.tabs.setCurrentIndex(index)
        if name == "giao_vien":
            page.staff_tab.select_person(homeroom_teacher_login(page.db))
        qtbot.wait(20)
        assert page.grab().save(str(artifacts_dir / f"setup_{name}.png"))


def test_create_an_account_and_show_its_temporary_password(page: SetupPage, qtbot: QtBot) -> None:
    page.tabs.setCurrentWidget(page.accounts_tab)
    page.accounts_tab.create_button.click()
    dialog = page.dialog
    assert isinstance(dialog, AccountDialog)
    dialog.full_name.insert("Đặng Thị Thu Hà")  # as typed (keyClicks is ASCII-only)
    assert dialog.login.text() == "gv.dangthithuha", "a login is suggested from the name"
    dialog.role_boxes["gvbm"].setChecked(True)
    temporary = dialog.password.text()
    assert len(temporary) == 11
    _submit(qtbot, page, dialog)
    assert page.dialog is None
    assert "gv.dangthithuha" in page.message.text()
    created = next(a for a in page.accounts if a.login == "gv.dangthithuha")
    assert created.must_change_password and created.roles == ("gvbm",)
    box = page.accounts_tab.password_box
    assert isinstance(box, QMessageBox) and temporary in box.informativeText()
    assert accounts.sign_in(page.db, "gv.dangthithuha", temporary).must_change_password


def test_account_errors_stay_in_the_dialog(page: SetupPage, qtbot: QtBot) -> None:
    page.accounts_tab.create_button.click()
    dialog = page.dialog
    assert isinstance(dialog, AccountDialog)
    dialog.full_name.insert("Người Mới")
    _submit(qtbot, page, dialog)
    assert dialog.isVisible() and "ít nhất một vai trò" in dialog.error.text()
    dialog.login.setText("admin")
    dialog.role_boxes["vanthu"].setChecked(True)
    _submit(qtbot, page, dialog)
    assert "đã có người dùng" in dialog.error.text() and dialog.full_name.text() == "Người Mới"
    dialog.reject()


def test_reset_unlock_and_deactivate(page: SetupPage, qtbot: QtBot) -> None:
    login = subject_teacher_login(page.db)
    tab = page.accounts_tab
    page.tabs.setCurrentWidget(tab)
    assert tab.select_login(login)
    tab.reset_button.click()
    _wait_idle(qtbot, page)
    assert isinstance(tab.password_box, QMessageBox)
    temporary = tab.password_box.informativeText().split("<b>")[1].split("</b>")[0]
    assert accounts.sign_in(page.db, login, temporary).must_change_password
    assert tab.select_login(login)
    tab.active_button.click()
    _wait_idle(qtbot, page)
    info = next(a for a in page.accounts if a.login == login)
    assert not info.active and "Ngừng sử dụng" in tab.model.index(
        tab.model.rows.index(info), 3).data()
    assert tab.select_login(login) and tab.active_button.text() == "Dùng lại"
    tab.active_button.click()
    _wait_idle(qtbot, page)
    assert next(a for a in page.accounts if a.login == login).active


def test_the_last_admin_is_protected_with_a_clear_message(page: SetupPage, qtbot: QtBot) -> None:
    tab = page.accounts_tab
    assert tab.select_login("admin")
    tab.active_button.click()
    _wait_idle(qtbot, page)
    assert page.message.isVisible() and "chính mình" in page.message.text()
    assert all(a.active for a in page.accounts if a.login == "admin")


def test_add_a_class_with_a_wrong_then_right_name(page: SetupPage, qtbot: QtBot) -> None:
    page.tabs.setCurrentWidget(page.classes_tab)
    page.classes_tab.add_button.click()
    dialog = page.dialog
    assert dialog is not None
    grade = dialog.fields["grade"]
    name = dialog.fields["name"]
    grade.setCurrentIndex(grade.findData(7))  # type: ignore[attr-defined]
    qtbot.keyClicks(name, "6A5")
    _submit(qtbot, page, dialog)
    assert dialog.isVisible() and "bắt đầu bằng số 7" in dialog.error.text()
    name.clear()  # type: ignore[attr-defined]
    qtbot.keyClicks(name, "7a5")
    _submit(qtbot, page, dialog)
    assert page.dialog is None
    assert "7A5" in [c.name for c in page.overview.classes]
    assert page.classes_tab.model.rowCount() == 3


def test_change_a_homeroom_teacher(page: SetupPage, qtbot: QtBot) -> None:
    tab = page.classes_tab
    tab.table.selectRow(0)
    klass = tab.chosen()
    assert klass is not None
    tab.homeroom_button.click()
    dialog = page.dialog
    assert dialog is not None
    combo = dialog.fields["teacher"]
    new_teacher = subject_teacher_login(page.db)
    combo.setCurrentIndex(combo.findData(actor(page.db, new_teacher).user_id))  # type: ignore[attr-defined]
    _submit(qtbot, page, dialog)
    updated = next(c for c in page.overview.classes if c.id == klass.id)
    assert updated.homeroom_id == actor(page.db, new_teacher).user_id
    assert klass.id in actor(page.db, new_teacher).homeroom_class_ids


def test_assign_teaching_then_hand_over(page: SetupPage, qtbot: QtBot, artifacts_dir: Path) -> None:
    tab = page.staff_tab
    page.tabs.setCurrentWidget(tab)
    newcomer = accounts.create_account(page.db, page.actor, login="gv.moi", full_name="Trương Văn Mới",
                                       roles=["gvbm"], temporary_password="tam-thoi-123")
    page.reload()
    assert tab.select_person("gv.moi")
    assert tab.work_model.rowCount() == 0
    tab.assign_button.click()
    dialog = page.dialog
    assert dialog is not None
    subject = dialog.fields["subject"]
    subject.setCurrentIndex(0)  # type: ignore[attr-defined]
    classes = dialog.fields["classes"]
    assert classes.count() == 1  # type: ignore[attr-defined]
    classes.item(0).setCheckState(Qt.CheckState.Checked)  # type: ignore[attr-defined]
    _submit(qtbot, page, dialog)
    assert "1 lớp-môn" in page.message.text()
    assert tab.work_model.rowCount() == 1

    leaving = homeroom_teacher_login(page.db)
    before = actor(page.db, leaving)
    assert tab.select_person(leaving)
    tab.handover_button.click()
    handover = page.dialog
    assert isinstance(handover, HandoverDialog)
    assert handover.items.count() == 1 + len(before.teaching)
    _submit(qtbot, page, handover)
    assert "người nhận" in handover.error.text()
    handover.target.setCurrentIndex(handover.target.findData(newcomer.user_id))
    _submit(qtbot, page, handover)
    assert "lí do" in handover.error.text()
    handover.reason.insert("Nghỉ hưu")
    qtbot.wait(50)  # let the layout grow for the message
    assert handover.grab().save(str(artifacts_dir / "setup_handover.png"))
    _submit(qtbot, page, handover)
    assert page.dialog is None and "Đã bàn giao" in page.message.text()
    after = actor(page.db, "gv.moi")
    assert before.teaching <= after.teaching and after.homeroom_class_ids == before.homeroom_class_ids
    assert actor(page.db, leaving).teaching == frozenset()


def test_subjects_tab_adds_and_removes(page: SetupPage, qtbot: QtBot) -> None:
    tab = page.subjects_tab
    page.tabs.setCurrentWidget(tab)
    count = tab.model.rowCount()
    tab.add_button.click()
    dialog = page.dialog
    assert dialog is not None
    dialog.fields["name"].insert("Tiếng Chăm")  # type: ignore[attr-defined]
    _submit(qtbot, page, dialog)
    assert tab.model.rowCount() == count + 1
    tab.table.selectRow(count)
    assert tab.remove_button.isEnabled()
    tab.remove_button.click()
    _wait_idle(qtbot, page)
    assert tab.model.rowCount() == count
    tab.table.selectRow(0)
    assert not tab.remove_button.isEnabled(), "a subject with scores cannot be removed"
    tab.defaults_button.click()
    _wait_idle(qtbot, page)
    assert "đã có đủ" in page.message.text()


def test_school_details_errors_lose_nothing(page: SetupPage, qtbot: QtBot) -> None:
    tab = page.school_tab
    old = page.overview.school.name
    tab.edits["name"].setText("  ")
    tab.save_school()
    _wait_idle(qtbot, page)
    assert "Hãy nhập tên trường" in page.message.text()
    assert page.overview.school.name == old and tab.edits["name"].text() == "  "
    tab.edits["name"].setText("Trường THCS Kết Đoàn")
    tab.save_school()
    _wait_idle(qtbot, page)
    assert page.overview.school.name == "Trường THCS Kết Đoàn"


def test_a_new_school_year(page: SetupPage, qtbot: QtBot) -> None:
    page.new_year_button.click()
    dialog = page.dialog
    assert dialog is not None
    _submit(qtbot, page, dialog)
    assert page.year_combo.count() == 2
    year = page.year()
    assert year is not None and year.name == "2027-2028" and year.is_current
    assert page.classes_tab.model.rowCount() == 0
    assert page.subjects_tab.model.rowCount() > 0, "subjects were copied"
    page.year_combo.setCurrentIndex(0)
    assert page.classes_tab.model.rowCount() == 2


def test_only_admins_get_the_page(ui_app: QApplication, qtbot: QtBot, db: Database) -> None:
    teacher = actor(db, subject_teacher_login(db))
    context = UiContext(db=db, actor=teacher, overview=read_overview(db, teacher))
    with pytest.raises(PermissionDenied):
        SetupPage(context)
    window = build_main_window(db, teacher)
    qtbot.addWidget(window)
    assert "setup" not in window.area_pages
    admin_window = build_main_window(db, actor(db, "admin"))
    qtbot.addWidget(admin_window)
    admin_window.resize(*WINDOW_SIZE)
    setup = admin_window.area_pages["setup"]
    assert isinstance(setup, SetupPage)
    assert isinstance(school_setup.setup_overview(db, actor(db, "admin")).school.name, str)


def test_account_status_words() -> None:
    from app.ui.pages.setup_people import account_status

    base = AccountInfo(1, "a", "A", ("gvbm",), True, False, 0, None)
    assert account_status(base) == "Đang dùng"
    assert account_status(replace(base, must_change_password=True)) == "Chờ đổi mật khẩu"
    assert account_status(replace(base, active=False)) == "Ngừng sử dụng"
    locked = replace(base, locked_until=datetime(2026, 1, 1, 3, 0))
    assert account_status(locked).startswith("Tạm khoá đến")


# --------------------------------------------------------------------------- first-run wizard


@pytest.fixture
def wizard_db(tmp_path: Path) -> Iterator[Database]:
    database = open_database(tmp_path / "new.sqlite3")
    yield database
    database.dispose()


def _wizard(qtbot: QtBot, db: Database, open_demo: object = None) -> FirstRunWizard:
    wizard = FirstRunWizard(db, open_demo=open_demo, today=date(2026, 9, 1))  # type: ignore[arg-type]
    qtbot.addWidget(wizard)
    wizard.open()
    qtbot.waitExposed(wizard)
    return wizard


def test_the_wizard_creates_the_school_and_signs_the_admin_in(
    ui_app: QApplication, qtbot: QtBot, wizard_db: Database, artifacts_dir: Path
) -> None:
    wizard = _wizard(qtbot, wizard_db)
    assert not wizard.demo_button.isEnabled(), "no demo offered when nobody can make one"
    assert wizard.grab().save(str(artifacts_dir / "wizard_welcome.png"))
    wizard.create_button.click()
    assert wizard.pages.currentIndex() == SCHOOL
    wizard.next()
    assert "tên trường" in wizard.message.text()
    wizard.fields["name"].insert("Trường THCS Tân Lập")  # type: ignore[attr-defined]
    wizard.fields["school_code"].insert("79000123")  # type: ignore[attr-defined]
    wizard.fields["department_code"].insert("79")  # type: ignore[attr-defined]
    wizard.fields["province"].insert("Thành phố Hồ Chí Minh")  # type: ignore[attr-defined]
    wizard.fields["issuing_place"].insert("Tân Lập")  # type: ignore[attr-defined]
    wizard.classes_spin.setValue(2)
    assert wizard.year_spin.value() == 2026 and wizard.year_spin.suffix() == "–2027"
    assert wizard.grab().save(str(artifacts_dir / "wizard_school.png"))
    wizard.next()
    assert wizard.pages.currentIndex() == ADMIN
    wizard.admin_name.insert("Nguyễn Văn Quản")
    wizard.admin_login.setText("Quản trị")
    wizard.admin_password.insert("mat-khau-quan-tri")
    wizard.admin_repeat.insert("mat-khau-khac")
    wizard.next()
    assert "chưa giống nhau" in wizard.message.text() and wizard.admin_repeat.text() == ""
    wizard.admin_repeat.insert("mat-khau-quan-tri")
    wizard.next()
    qtbot.waitUntil(lambda: not wizard.busy, timeout=10_000)
    assert wizard.pages.currentIndex() == ADMIN and "Tên đăng nhập cần" in wizard.message.text()
    assert not has_school(wizard_db), "nothing written"
    wizard.admin_login.setText("quantri")
    assert wizard.grab().save(str(artifacts_dir / "wizard_admin.png"))
    with qtbot.waitSignal(wizard.accepted, timeout=15_000):
        wizard.next()
    assert wizard.outcome == "created" and wizard.signed_in is not None
    assert wizard.signed_in.login == "quantri" and not wizard.signed_in.must_change_password
    admin = accounts.actor_for(wizard_db, wizard.signed_in.user_id)
    overview = school_setup.setup_overview(wizard_db, admin)
    assert overview.school.name == "Trường THCS Tân Lập" and len(overview.classes) == 8


def test_the_wizard_opens_the_demo(
    ui_app: QApplication, qtbot: QtBot, wizard_db: Database, tmp_path: Path
) -> None:
    opened: list[Database] = []

    def open_demo() -> Database:
        demo = open_database(make_demo_database(tmp_path / "demo.sqlite3"))
        opened.append(demo)
        return demo

    wizard = _wizard(qtbot, wizard_db, open_demo)
    with qtbot.waitSignal(wizard.accepted, timeout=30_000):
        wizard.demo_button.click()
    try:
        assert wizard.outcome == "demo" and wizard.demo_db is opened[0]
        assert has_school(opened[0]) and not has_school(wizard_db)
    finally:
        opened[0].dispose()
