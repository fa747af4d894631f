"""One instance per data folder, and the start-up path: recovery, notices, the open marker."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QMainWindow
from pytestqt.qtbot import QtBot

from app.cli import gui
from app.services import backup
from app.services.recovery import open_marker
from app.ui.single_instance import SingleInstance, server_name
from app.ui.startup_guard import StartupGuard
from tests.services.data_safety_helpers import audit_count, flip_page_headers, integrity, make_demo

pytestmark = pytest.mark.qt
ROOT = Path(__file__).resolve().parents[2]

SECOND_START = """
import sys
from pathlib import Path
from app.ui.single_instance import SingleInstance, ask_running_instance_to_show
folder = Path(sys.argv[1])
assert SingleInstance.claim(folder) is None, "the first instance holds the folder"
print(ask_running_instance_to_show(folder, wait_seconds=10), flush=True)
"""


def test_a_second_start_brings_the_first_window_forward(
    ui_app: QApplication, qtbot: QtBot, tmp_path: Path
) -> None:
    first = SingleInstance.claim(tmp_path)
    assert first is not None
    try:
        assert first.listen()
        window = QMainWindow()
        qtbot.addWidget(window)
        window.show()
        window.showMinimized()
        with qtbot.waitSignal(first.show_requested, timeout=15_000):
            second = subprocess.Popen(
                [sys.executable, "-c", SECOND_START, str(tmp_path)],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                text=True,
                env=dict(os.environ, PYTHONPATH=str(ROOT), QT_QPA_PLATFORM="offscreen"),
            )
        out, _ = second.communicate(timeout=30)
        assert out.strip() == "True"
        assert not window.isMinimized()
    finally:
        first.release()
    again = SingleInstance.claim(tmp_path)
    assert again is not None
    again.release()


def test_names_differ_per_folder_and_not_per_spelling(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    assert server_name(tmp_path / "a") == server_name(tmp_path / "a" / ".." / "a")
    assert server_name(tmp_path / "a") != server_name(tmp_path / "b")


def test_startup_recovers_a_damaged_database_and_tells_the_user(
    ui_app: QApplication, qtbot: QtBot, tmp_path: Path
) -> None:
    db_path = make_demo(tmp_path / "hocba.sqlite3")
    snap = backup.create_backup(db_path, tmp_path / "backups")
    flip_page_headers(db_path)
    guard = StartupGuard.claim(db_path)
    assert guard is not None
    try:
        db = guard.open(gui.prepare_database)
        try:
            assert open_marker(db_path).exists()
            assert any("Đã khôi phục dữ liệu từ bản sao lưu" in n for n in guard.notices)
            qtbot.waitUntil(lambda: guard.notice_box is not None, timeout=5_000)
            assert guard.notice_box is not None
            assert "có thể bị mất" in guard.notice_box.informativeText()
            guard.notice_box.close()
        finally:
            db.dispose()
    finally:
        guard.release()
    assert not open_marker(db_path).exists()
    assert integrity(db_path) == ["ok"]
    assert audit_count(db_path) == snap.facts.audit_entries


def test_gui_run_restores_from_the_default_backup_folder(
    ui_app: QApplication, tmp_path: Path, artifacts_dir: Path
) -> None:
    db_path = make_demo(tmp_path / "hocba.sqlite3")
    backup.create_backup(db_path, tmp_path / "backups")
    db_path.write_bytes(db_path.read_bytes()[:20000])  # truncated
    assert gui.run(db_path, screenshot=artifacts_dir / "gui_run_after_recovery.png") == 0
    assert integrity(db_path) == ["ok"]
    assert list((tmp_path / "set-aside").rglob(db_path.name))
    assert not open_marker(db_path).exists()
