"""Sign-in, forced password change, windows built per role, idle lock and sign-out.

Real demo databases (a private copy per test: signing in writes to it), the real dialogs
on the offscreen platform, screenshots in test-artifacts/.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from app.config import Settings
from app.models.db import Database, open_database
from app.rules.vnsort import fold
from app.services import accounts, school_setup, school_structure
from app.services.demo import DEMO_PASSWORD
from app.ui.app_session import AppSession
from app.ui.application import WINDOW_SIZE, build_main_window
from app.ui.dialogs.change_password_dialog import ChangePasswordDialog
from app.ui.login_dialog import LoginDialog
from app.ui.main_window import MainWindow
from tests.ui.accounts_helpers import actor, homeroom_teacher_login, private_copy, subject_teacher_login

pytestmark = pytest.mark.qt


@pytest.fixture
def db(demo_db_path: Path, tmp_path: Path) -> Iterator[Database]:
    database = open_database(private_copy(demo_db_path, tmp_path))
    yield database
    database.dispose()


@pytest.fixture
def dialog(ui_app: QApplication, qtbot: QtBot, db: Database) -> LoginDialog:
    d = LoginDialog(db, school_name="Trường THCS Thử", is_demo=True)
    qtbot.addWidget(d)
    d.resize(960, 620)
    d.show()
    qtbot.waitExposed(d)
    return d


def _type_password(qtbot: QtBot, dialog: LoginDialog, password: str) -> None:
    dialog.password.clear()
    qtbot.keyClicks(dialog.password, password)
    qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not dialog.busy)


# --------------------------------------------------------------------------- the dialog


def test_everyone_is_listed_and_typing_filters_without_diacritics(
    dialog: LoginDialog, db: Database, qtbot: QtBot
) -> None:
    choices = accounts.sign_in_choices(db)
    assert dialog.proxy.rowCount() == len(choices) > 10
    teacher = next(c for c in choices if c.login.startswith("gv."))
    folded = fold(teacher.full_name)  # no diacritics, as a teacher may type on any keyboard
    qtbot.keyClicks(dialog.search, folded)
    assert dialog.proxy.rowCount() == 1
    assert dialog.chosen() == teacher
    assert dialog.chosen_label.text() == teacher.full_name
    dialog.search.clear()
    qtbot.keyClicks(dialog.search, "vanthu")
    assert dialog.chosen() is not None and dialog.chosen().login == "vanthu"  # type: ignore[union-attr]
    dialog.search.clear()
    qtbot.keyClicks(dialog.search, "khong-ai-ca")
    assert dialog.proxy.rowCount() == 0 and dialog.empty_hint.isVisible()
    assert dialog.chosen() is None and "khong-ai-ca" in dialog.chosen_label.text()


def test_a_wrong_password_says_how_many_tries_remain_then_locks(
    dialog: LoginDialog, db: Database, qtbot: QtBot, artifacts_dir: Path
) -> None:
    login = subject_teacher_login(db)
    assert dialog.select_login(login)
    for remaining in (4, 3, 2, 1):
        _type_password(qtbot, dialog, "sai-mat-khau")
        assert dialog.message.isVisible()
        assert f"Còn {remaining} lần thử" in dialog.message.text()
        assert dialog.password.text() == "", "the wrong password is cleared for the next try"
        if remaining == 4:
            assert dialog.grab().save(str(artifacts_dir / "login_wrong_password.png"))
    _type_password(qtbot, dialog, "sai-mat-khau")
    assert "tạm khoá 5 phút" in dialog.message.text()
    _type_password(qtbot, dialog, DEMO_PASSWORD)
    assert "đang tạm khoá" in dialog.message.text()
    assert dialog.result() != LoginDialog.DialogCode.Accepted and dialog.signed_in is None
    assert dialog.grab().save(str(artifacts_dir / "login_locked.png"))


def test_the_right_password_signs_in(dialog: LoginDialog, qtbot: QtBot, artifacts_dir: Path) -> None:
    assert dialog.select_login("hieutruong")
    qtbot.keyClicks(dialog.password, "x")
    dialog.show_box.setChecked(True)
    assert dialog.grab().save(str(artifacts_dir / "login.png"))
    with qtbot.waitSignal(dialog.accepted):
        _type_password(qtbot, dialog, DEMO_PASSWORD)
    assert dialog.signed_in is not None and dialog.signed_in.login == "hieutruong"


def test_missing_choice_and_password_are_explained(dialog: LoginDialog, qtbot: QtBot) -> None:
    dialog.attempt()
    assert "chọn tên" in dialog.message.text()
    assert dialog.select_login("admin")
    dialog.attempt()
    assert "nhập mật khẩu" in dialog.message.text()


def test_a_reset_password_must_be_replaced_before_going_on(
    dialog: LoginDialog, db: Database, qtbot: QtBot, artifacts_dir: Path
) -> None:
    login = subject_teacher_login(db)
    target = actor(db, login)
    temporary = accounts.reset_password(db, actor(db, "admin"), target.user_id or 0)
    assert dialog.select_login(login)
    _type_password(qtbot, dialog, temporary)
    change = dialog.change_dialog
    assert change is not None and change.isVisible()
    assert not change.current.isVisible(), "the password just typed is not asked again"
    qtbot.keyClicks(change.new, "mat-khau-moi-1")
    qtbot.keyClicks(change.repeat, "mat-khau-moi-2")
    change.submit()
    assert "chưa giống nhau" in change.message.text()
    assert change.grab().save(str(artifacts_dir / "login_change_password.png"))
    qtbot.keyClicks(change.repeat, "mat-khau-moi-1")
    with qtbot.waitSignal(dialog.accepted, timeout=10_000):
        change.submit()
    assert dialog.signed_in is not None and dialog.signed_in.user_id == target.user_id
    assert not accounts.sign_in(db, login, "mat-khau-moi-1").must_change_password


def test_cancelling_the_forced_change_does_not_sign_in(
    dialog: LoginDialog, db: Database, qtbot: QtBot
) -> None:
    login = subject_teacher_login(db)
    temporary = accounts.reset_password(db, actor(db, "admin"), actor(db, login).user_id or 0)
    dialog.select_login(login)
    _type_password(qtbot, dialog, temporary)
    assert dialog.change_dialog is not None
    dialog.change_dialog.reject()
    assert dialog.signed_in is None and dialog.isVisible()
    assert "mật khẩu mới" in dialog.message.text()


# --------------------------------------------------------------------------- the session


class _Sessions:
    def __init__(self, qtbot: QtBot, db: Database, data_dir: Path) -> None:
        self.qtbot, self.db, self.data_dir = qtbot, db, data_dir
        self.made: list[AppSession] = []

    def start(self) -> AppSession:
        def show(window: QWidget) -> None:
            window.resize(*WINDOW_SIZE)
            window.show()

        session = AppSession(
            self.db,
            build_window=lambda a: build_main_window(self.db, a, data_dir=self.data_dir),
            show_window=show,
            school_name="Trường THCS Thử",
            is_demo=True,
            settings=Settings(),
        )
        self.made.append(session)
        session.start()
        assert session.login_dialog is not None
        return session

    def sign_in(self, session: AppSession, login: str, password: str = DEMO_PASSWORD) -> MainWindow:
        dialog = session.login_dialog
        assert dialog is not None
        assert dialog.select_login(login)
        _type_password(self.qtbot, dialog, password)
        self.qtbot.waitUntil(lambda: session.login_dialog is None and session.window is not None)
        assert session.window is not None
        return session.window


@pytest.fixture
def sessions(ui_app: QApplication, qtbot: QtBot, db: Database, tmp_path: Path) -> Iterator[_Sessions]:
    made = _Sessions(qtbot, db, tmp_path / "data")
    yield made
    for session in made.made:
        session.quit()
        session.idle.stop()
    ui_app.setQuitOnLastWindowClosed(True)


def _nav_titles(window: MainWindow) -> list[str]:
    return [a.title for a in window.areas]


def test_each_role_gets_its_own_window(sessions: _Sessions, db: Database, artifacts_dir: Path) -> None:
    admin = actor(db, "admin")
    year = school_setup.setup_overview(db, admin).year_id or 0
    school_structure.create_class(db, admin, year, 6, "6A9")  # nobody teaches it

    session = sessions.start()
    window = sessions.sign_in(session, "admin")
    assert "Thiết lập trường" in _nav_titles(window) and "setup" in window.area_pages
    assert window.user_label is not None and admin.full_name in window.user_label.text()
    assert "6A9" in [c.name for c in window.overview.classes]
    window.sign_out_requested.emit()
    assert session.window is None and session.login_dialog is not None

    teacher = subject_teacher_login(db)
    window = sessions.sign_in(session, teacher)
    assert "Thiết lập trường" not in _nav_titles(window) and "setup" not in window.area_pages
    assert "6A9" not in [c.name for c in window.overview.classes]
    assert session.actor is not None and session.actor.login == teacher
    assert window.grab().save(str(artifacts_dir / "main_window_subject_teacher.png"))
    window.sign_out_requested.emit()

    window = sessions.sign_in(session, "hieutruong")
    assert "Thiết lập trường" not in _nav_titles(window)
    assert "6A9" in [c.name for c in window.overview.classes], "the principal sees every class"


def test_idle_time_locks_and_the_same_person_continues(
    sessions: _Sessions, qtbot: QtBot, artifacts_dir: Path
) -> None:
    session = sessions.start()
    window = sessions.sign_in(session, "admin")
    window.show_about()  # a dialog of its own: it must hide too
    about = window.about_box
    assert about is not None and about.isVisible()
    session.idle.set_limit_seconds(0.3)
    qtbot.waitUntil(lambda: session.locked, timeout=5_000)
    lock = session.login_dialog
    assert lock is not None and lock.isVisible() and not window.isVisible()
    assert not about.isVisible()
    assert lock.chosen() is not None and lock.chosen().login == "admin"  # type: ignore[union-attr]
    assert "khoá" in lock.windowTitle()
    assert lock.grab().save(str(artifacts_dir / "lock_screen.png"))
    _type_password(qtbot, lock, "sai-mat-khau")
    assert session.locked and "Còn 4 lần thử" in lock.message.text()
    _type_password(qtbot, lock, DEMO_PASSWORD)
    qtbot.waitUntil(lambda: not session.locked)
    assert session.window is window and window.isVisible(), "the same window comes back"
    assert about.isVisible()
    assert session.idle.active


def test_someone_else_can_sign_in_at_the_lock_screen(sessions: _Sessions, db: Database, qtbot: QtBot) -> None:
    session = sessions.start()
    first = sessions.sign_in(session, "admin")
    first.lock_requested.emit()
    assert session.locked
    teacher = homeroom_teacher_login(db)
    second = sessions.sign_in(session, teacher)
    assert second is not first and not session.locked
    assert session.actor is not None and session.actor.login == teacher
    assert "setup" not in second.area_pages


def test_input_keeps_the_screen_unlocked(sessions: _Sessions, qtbot: QtBot) -> None:
    session = sessions.start()
    window = sessions.sign_in(session, "admin")
    session.idle.set_limit_seconds(0.6)
    for _ in range(8):
        qtbot.wait(150)
        qtbot.mouseMove(window, window.rect().center())
        qtbot.keyClick(window, Qt.Key.Key_Shift)
    assert not session.locked
    session.apply_settings(Settings().with_changes(idle_lock_minutes=0))
    assert not session.idle.active, "0 minutes: never lock"


def test_closing_the_sign_in_quits(sessions: _Sessions, qtbot: QtBot) -> None:
    session = sessions.start()
    assert session.login_dialog is not None
    with qtbot.waitSignal(session.quit_requested):
        session.login_dialog.reject()


def test_closing_the_window_quits(sessions: _Sessions, qtbot: QtBot) -> None:
    session = sessions.start()
    window = sessions.sign_in(session, "admin")
    with qtbot.waitSignal(session.quit_requested):
        window.close()


def test_change_password_from_the_menu(sessions: _Sessions, db: Database, qtbot: QtBot) -> None:
    session = sessions.start()
    window = sessions.sign_in(session, "vanthu")
    window.change_password_action.trigger()
    dialog = next(w for w in window.findChildren(ChangePasswordDialog))
    assert dialog.current.isVisible()
    qtbot.keyClicks(dialog.current, DEMO_PASSWORD)
    qtbot.keyClicks(dialog.new, "hoa-sua-do-1")
    qtbot.keyClicks(dialog.repeat, "hoa-sua-do-1")
    with qtbot.waitSignal(dialog.accepted, timeout=10_000):
        dialog.submit()
    assert accounts.sign_in(db, "vanthu", "hoa-sua-do-1").login == "vanthu"
