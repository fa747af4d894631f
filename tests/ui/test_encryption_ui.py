"""Encryption at rest in the app: the recovery code sheet, typing the code when the keyring lost
the key (through the real start-up path), and the admin's switch in Cài đặt."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from keyrings.alt.file import PlaintextKeyring
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox
from pytestqt.qtbot import QtBot

from app.cli import gui
from app.models import cipher
from app.models.db import Database, open_database
from app.services import accounts, encryption, encryption_admin, keys
from app.services.access import Actor
from app.services.demo import DEMO_PASSWORD
from app.ui.context import UiContext
from app.ui.encryption_box import EncryptionBox
from app.ui.encryption_flow import encrypt_if_requested, encrypt_new_school
from app.ui.reads import read_overview
from app.ui.recovery_code_dialog import RecoveryCodeEntry, RecoveryCodeSheet
from app.ui.startup_guard import StartupGuard
from tests.services.data_safety_helpers import make_demo
from tests.services.encryption_helpers import empty_keyring, file_keyring

pytestmark = pytest.mark.qt
__all__ = ["file_keyring"]


def _when_modal(kind: type, act: Callable[[QDialog], None]) -> QTimer:
    """Answer the next modal dialog of `kind` (exec() would otherwise wait for a person)."""
    timer = QTimer()

    def poll() -> None:
        widget = QApplication.activeModalWidget()
        if isinstance(widget, kind) and widget.isVisible():
            timer.stop()
            act(widget)

    timer.timeout.connect(poll)
    timer.start(50)
    return timer


def _context(db: Database, actor: Actor) -> UiContext:
    return UiContext(db=db, actor=actor, overview=read_overview(db, actor), database_path=db.path)


def test_the_sheet_cannot_be_closed_before_the_code_is_written_down(
    ui_app: QApplication, qtbot: QtBot, artifacts_dir: Path
) -> None:
    code = keys.recovery_code(keys.new_secret())
    sheet = RecoveryCodeSheet(code, "Trường THCS Kim Liên")
    qtbot.addWidget(sheet)
    sheet.show()
    qtbot.waitExposed(sheet)
    assert sheet.code_label.text() == code and not sheet.ok_button.isEnabled()
    sheet.reject()  # Escape
    assert sheet.isVisible()
    sheet.grab().save(str(artifacts_dir / "recovery_code_sheet.png"))
    sheet.written.setChecked(True)
    assert sheet.ok_button.isEnabled()
    sheet.ok_button.click()
    assert not sheet.isVisible() and sheet.result() == QDialog.DialogCode.Accepted


def test_typing_the_code_checks_it_before_keeping_it(
    ui_app: QApplication,
    qtbot: QtBot,
    file_keyring: PlaintextKeyring,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    artifacts_dir: Path,
) -> None:
    db_path = make_demo(tmp_path / "data" / "hocba.sqlite3", classes=1, students=3)
    code = encryption.encrypt_database(db_path).recovery_code
    assert code is not None
    empty_keyring(tmp_path, monkeypatch, "reinstalled")
    entry = RecoveryCodeEntry(db_path, keys.MISSING_MESSAGE.format(path=db_path))
    qtbot.addWidget(entry)
    entry.show()
    entry.field.setText(code[:-1] + ("0" if code[-1] != "0" else "1"))  # one wrong character
    entry.try_code()
    assert entry.isVisible() and "gõ sai" in entry.error.text()
    entry.grab().save(str(artifacts_dir / "recovery_code_entry_error.png"))
    entry.field.setText(keys.recovery_code(keys.new_secret()))  # well formed, another school's
    entry.try_code()
    assert entry.isVisible() and "không phải của tệp" in entry.error.text()
    with pytest.raises(keys.KeyMissing):
        keys.database_key(db_path)
    entry.field.setText(code)
    entry.try_code()
    assert entry.result() == QDialog.DialogCode.Accepted
    assert keys.database_key(db_path) is not None


def test_the_app_asks_for_the_code_when_the_keyring_lost_the_key(
    ui_app: QApplication,
    file_keyring: PlaintextKeyring,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    artifacts_dir: Path,
) -> None:
    db_path = make_demo(tmp_path / "data" / "hocba.sqlite3", classes=1, students=3)
    code = encryption.encrypt_database(db_path).recovery_code
    assert code is not None
    empty_keyring(tmp_path, monkeypatch, "new-windows")

    def answer(dialog: QDialog) -> None:
        assert isinstance(dialog, RecoveryCodeEntry)
        dialog.field.setText(code.lower())
        dialog.try_code()

    timer = _when_modal(RecoveryCodeEntry, answer)
    out = artifacts_dir / "gui_run_encrypted_after_recovery.png"
    out.unlink(missing_ok=True)
    assert gui.run(db_path, screenshot=out) == 0
    timer.stop()
    assert out.exists()  # the sign-in screen of the encrypted school
    assert keys.database_key(db_path) is not None


def test_giving_up_on_the_code_is_a_message_and_changes_nothing(
    ui_app: QApplication,
    file_keyring: PlaintextKeyring,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    db_path = make_demo(tmp_path / "data" / "hocba.sqlite3", classes=1, students=3)
    encryption.encrypt_database(db_path)
    before = db_path.read_bytes()
    empty_keyring(tmp_path, monkeypatch, "elsewhere")
    shown: list[str] = []
    monkeypatch.setattr(
        QMessageBox, "critical", staticmethod(lambda _p, _t, text, *a: shown.append(text) or 0)
    )
    timer = _when_modal(RecoveryCodeEntry, lambda dialog: dialog.reject())
    assert gui.run(db_path) == 1
    timer.stop()
    assert len(shown) == 1 and "mã khôi phục" in shown[0] and str(db_path) in shown[0]
    assert db_path.read_bytes() == before


def test_the_admin_turns_encryption_on_in_settings_and_it_happens_at_the_next_start(
    ui_app: QApplication,
    qtbot: QtBot,
    file_keyring: PlaintextKeyring,
    tmp_path: Path,
    artifacts_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    db_path = make_demo(tmp_path / "data" / "hocba.sqlite3", classes=1, students=3)
    db = open_database(db_path)
    try:
        teacher = accounts.actor_for(db, accounts.sign_in(db, "vanthu", DEMO_PASSWORD).user_id)
        admin = accounts.actor_for(db, accounts.sign_in(db, "admin", DEMO_PASSWORD).user_id)
        plain_box = EncryptionBox(_context(db, teacher))
        qtbot.addWidget(plain_box)
        assert not plain_box.encrypt_button.isVisibleTo(plain_box)
        box = EncryptionBox(_context(db, admin))
        qtbot.addWidget(box)
        assert box.encrypt_button.isVisibleTo(box) and not box.show_code_button.isVisibleTo(box)
        monkeypatch.setattr(QMessageBox, "information", staticmethod(lambda *a: 0))
        box.request()
        assert encryption_admin.encryption_requested(db_path) and not box.encrypt_button.isEnabled()
        box.resize(700, box.sizeHint().height())
        box.grab().save(str(artifacts_dir / "settings_encryption_requested.png"))
    finally:
        db.dispose()

    # The next start: converted before opening, the code shown once.
    shown_codes: list[str] = []

    def written_down(dialog: QDialog) -> None:
        assert isinstance(dialog, RecoveryCodeSheet)
        shown_codes.append(dialog.code_label.text())
        dialog.written.setChecked(True)
        dialog.accept()

    timer = _when_modal(RecoveryCodeSheet, written_down)
    guard = StartupGuard.claim(db_path)
    assert guard is not None
    try:
        encrypt_if_requested(guard, db_path)
    finally:
        guard.release()
        timer.stop()
    assert len(shown_codes) == 1 and keys.parse_recovery_code(shown_codes[0])
    assert cipher.looks_plain(db_path) is False and not encryption_admin.encryption_requested(db_path)
    key = keys.database_key(db_path)
    assert guard.key == key and key is not None
    db = open_database(db_path, key=key)
    try:
        box = EncryptionBox(_context(db, admin))
        qtbot.addWidget(box)
        assert box.show_code_button.isVisibleTo(box) and not box.encrypt_button.isVisibleTo(box)
        box.show_code(DEMO_PASSWORD)
        qtbot.waitUntil(lambda: box.sheet is not None, timeout=10_000)
        assert box.sheet is not None and box.sheet.code_label.text() == shown_codes[0]
        box.sheet.close()
    finally:
        db.dispose()


def test_a_new_real_school_is_encrypted_right_after_the_first_run(
    ui_app: QApplication, file_keyring: PlaintextKeyring, tmp_path: Path
) -> None:
    from app.services.first_run import NewSchool, create_school

    path = tmp_path / "data" / "hocba.sqlite3"
    db = open_database(path)
    create_school(db, NewSchool(
        name="Trường THCS Thật", school_code="1", department_code="1", province="Huế",
        issuing_place="Huế", levels=("thcs",), start_year=2026, admin_full_name="Quản Trị",
        admin_login="quantri", admin_password="mat-khau-quan-tri",
    ))  # fmt: skip
    name = "Trường THCS Thật".encode()

    def on_disk() -> bytes:
        return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())

    assert name in on_disk()  # the control: in clear before
    shown: list[str] = []

    def written_down(dialog: QDialog) -> None:
        assert isinstance(dialog, RecoveryCodeSheet)
        shown.append(dialog.code_label.text())
        dialog.written.setChecked(True)
        dialog.accept()

    timer = _when_modal(RecoveryCodeSheet, written_down)
    guard = StartupGuard.claim(path)
    assert guard is not None
    try:
        reopened = encrypt_new_school(guard, path, db)
    finally:
        guard.release()
        timer.stop()
    try:
        assert reopened.key is not None and reopened.key == keys.database_key(path) == guard.key
        assert len(shown) == 1 and name not in on_disk()
        assert accounts.sign_in(reopened, "quantri", "mat-khau-quan-tri").login == "quantri"
    finally:
        reopened.dispose()
    # The demo school is never encrypted (its password is public anyway).
    demo = open_database(make_demo(tmp_path / "demo" / "hocba-demo.sqlite3", classes=1, students=2))
    guard = StartupGuard.claim(demo.path)
    assert guard is not None
    try:
        assert encrypt_new_school(guard, demo.path, demo) is demo and demo.key is None
    finally:
        guard.release()
        demo.dispose()
