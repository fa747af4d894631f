"""`app.cli.gui.run`: the real start-up path, including what happens with a bad database."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QMessageBox

from app.cli import gui
from app.models.db import open_database
from app.services.access import SYSTEM
from app.services.class_results import school_overview
from app.services.first_run import NewSchool, create_school, has_school
from app.ui.application import WINDOW_SIZE
from app.ui.open_errors import describe_open_error

pytestmark = pytest.mark.qt


@pytest.fixture
def shown_errors(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Capture QMessageBox.critical (a modal box would block the test)."""
    shown: list[tuple[str, str]] = []

    def critical(_parent: object, title: str, text: str, *args: object) -> int:
        shown.append((title, text))
        return int(QMessageBox.StandardButton.Ok.value)

    monkeypatch.setattr(QMessageBox, "critical", staticmethod(critical))
    return shown


def test_a_file_that_is_not_a_database_gives_a_clear_message(
    ui_app: QApplication, tmp_path: Path, shown_errors: list[tuple[str, str]]
) -> None:
    path = tmp_path / "hocba.sqlite3"
    garbage = bytes(range(256)) * 64
    path.write_bytes(garbage)
    assert gui.run(path) == 1
    assert len(shown_errors) == 1
    title, text = shown_errors[0]
    assert title == "Không mở được dữ liệu học bạ"
    assert "bị hỏng hoặc không phải tệp của Học bạ số" in text
    assert "Đừng xoá" in text
    assert "sao lưu" in text
    assert str(path) in text
    assert path.read_bytes() == garbage, "the damaged file is kept as it was"


def test_a_database_without_a_school_starts_the_first_run_wizard(
    ui_app: QApplication, tmp_path: Path, artifacts_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "empty.sqlite3"
    open_database(path).dispose()
    out = artifacts_dir / "gui_run_first_start.png"
    out.unlink(missing_ok=True)
    caplog.set_level("INFO")
    assert gui.run(path, screenshot=out) == 0
    assert "FirstRunWizard shown" in caplog.text
    assert QImage(str(out)).width() >= 800
    db = open_database(path)
    try:
        assert not has_school(db), "showing the wizard writes nothing"
    finally:
        db.dispose()


def test_run_with_screenshot_shows_the_sign_in_first(
    ui_app: QApplication, demo_db_path: Path, artifacts_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    out = artifacts_dir / "gui_run_sign_in.png"
    out.unlink(missing_ok=True)
    caplog.set_level("INFO")
    assert gui.run(demo_db_path, screenshot=out) == 0
    assert "LoginDialog shown" in caplog.text
    assert QImage(str(out)).width() >= 800


def test_run_as_a_demo_account_writes_the_window_and_exits(
    ui_app: QApplication, demo_db_path: Path, artifacts_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    out = artifacts_dir / "gui_run.png"
    out.unlink(missing_ok=True)
    caplog.set_level("INFO")
    assert gui.run(demo_db_path, screenshot=out, as_login="admin") == 0
    image = QImage(str(out))
    assert (image.width(), image.height()) == WINDOW_SIZE
    assert "MainWindow shown" in caplog.text
    assert "window built for admin" in caplog.text


def test_run_as_is_refused_outside_the_demo(
    ui_app: QApplication, tmp_path: Path, shown_errors: list[tuple[str, str]]
) -> None:
    path = tmp_path / "real.sqlite3"
    db = open_database(path)
    try:
        create_school(db, NewSchool(
            name="Trường THCS Thật", school_code="1", department_code="1", province="Huế",
            issuing_place="Huế", levels=("thcs",), start_year=2026, admin_full_name="Quản Trị",
            admin_login="quantri", admin_password="mat-khau-quan-tri",
        ))
    finally:
        db.dispose()
    assert gui.run(path, screenshot=tmp_path / "x.png", as_login="quantri") == 2
    assert "Chỉ trường mẫu" in shown_errors[0][1]


def test_process_age_is_plausible() -> None:
    age = gui.process_age_ms()
    if age is None:
        pytest.skip("no /proc on this system")
    assert 0 < age < 3_600_000


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (sqlite3.OperationalError("database is locked"), "đang được một chương trình khác dùng"),
        (sqlite3.DatabaseError("database disk image is malformed"), "bị hỏng"),
        (sqlite3.OperationalError("unable to open database file"), "Không đọc được tệp"),
        (PermissionError(13, "Permission denied"), "Không đọc được tệp"),
        (RuntimeError("Can't locate revision identified by 'abc'"), "phiên bản Học bạ số mới hơn"),
        (RuntimeError("something else"), "RuntimeError: something else"),
    ],
)
def test_open_errors_are_told_in_vietnamese(error: BaseException, expected: str) -> None:
    # As SQLAlchemy raises them: the sqlite3 error as the cause of a wrapper.
    try:
        try:
            raise error
        except BaseException as inner:
            raise RuntimeError("wrapped") from inner
    except RuntimeError as outer:
        wrapped: BaseException = outer
    text = describe_open_error(wrapped if isinstance(error, sqlite3.Error) else error, Path("x"))
    assert expected in text


def test_the_demo_is_created_once_in_its_own_file(tmp_path: Path) -> None:
    path = tmp_path / "new" / "hocba-demo.sqlite3"
    db = gui.open_or_create_demo(path)
    try:
        overview = school_overview(db, SYSTEM)
    finally:
        db.dispose()
    assert overview.is_demo and overview.classes
    assert sorted(p.name for p in path.parent.iterdir() if ".creating" in p.name) == []
    db = gui.open_or_create_demo(path)  # reopened, not made again
    try:
        assert school_overview(db, SYSTEM).school_code == overview.school_code
    finally:
        db.dispose()
    assert gui.demo_path(None).name == gui.DEMO_FILE
    assert gui.demo_path(tmp_path / "mine.sqlite3") == tmp_path / "mine.sqlite3"


def test_the_demo_fills_an_empty_named_file(tmp_path: Path) -> None:
    path = tmp_path / "chosen.sqlite3"
    open_database(path).dispose()
    db = gui.open_or_create_demo(path)
    try:
        assert school_overview(db, SYSTEM).is_demo
    finally:
        db.dispose()
