"""The "Nhật ký" page on a real demo database: filters, export, backups, roles; with screenshots."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.models import Enrolment, SchoolClass, UserAccount
from app.models.db import Database, open_database
from app.services import audit, backup
from app.services.access import Actor, load_actor
from app.ui.pages.audit_page import AuditPage
from tests.services.data_safety_helpers import make_demo

pytestmark = pytest.mark.qt


@pytest.fixture
def logged_db(tmp_path: Path) -> Iterator[Database]:
    path = make_demo(tmp_path / "data" / "hocba.sqlite3", classes=2, students=8)
    db = open_database(path)
    with db.write() as s:
        classes = list(s.scalars(select(SchoolClass).order_by(SchoolClass.id)))
        for n, klass in enumerate(classes):
            enrolments = list(s.scalars(select(Enrolment).where(Enrolment.class_id == klass.id).limit(3)))
            for i, e in enumerate(enrolments):
                audit.append(
                    s,
                    actor="hieutruong" if n else "admin",
                    action="score.set",
                    entity="secondary_assessment",
                    entity_id=f"{e.id}:1:1",
                    detail={
                        "class_id": klass.id,
                        "student_id": e.student_id,
                        "column": "ck",
                        "old": str(5 + i),
                        "new": str(6 + i),
                    },
                )
        audit.append(
            s,
            actor="admin",
            action="student.update",
            entity="student",
            entity_id=enrolments[0].student_id,
            detail={"national_id": ["001203004567", "001203004568"]},
        )
    yield db
    db.dispose()


def _actor(db: Database, login: str) -> Actor:
    with db.read() as s:
        uid = s.scalar(select(UserAccount.id).where(UserAccount.login == login))
        assert uid is not None
        return load_actor(s, uid)


@pytest.fixture
def page(ui_app: QApplication, qtbot: QtBot, logged_db: Database) -> AuditPage:
    p = AuditPage(logged_db, _actor(logged_db, "hieutruong"))
    qtbot.addWidget(p)
    p.resize(1200, 760)
    p.show()
    qtbot.waitExposed(p)
    return p


def test_shows_the_log_newest_first_with_masked_ids(
    page: AuditPage, artifacts_dir: Path, qtmodeltester
) -> None:  # type: ignore[no-untyped-def]
    qtmodeltester.check(page.model)
    rows = page.rows()
    assert len(rows) == 8  # 6 score changes, 1 identity change, the demo creation
    assert rows[0].action == "student.update"
    assert "001203004567" not in rows[0].change and "••••••••4568" in rows[0].change
    assert page.counts_label.text() == "8 mục khớp bộ lọc."
    assert page.backup_warning.isVisible() is False or "cùng ổ đĩa" in page.backup_warning.text()
    assert "chưa có" in page.backup_label.text()
    page.grab().save(str(artifacts_dir / "audit_page.png"))


def test_filters_by_class_student_and_person(
    page: AuditPage, logged_db: Database, artifacts_dir: Path
) -> None:
    with logged_db.read() as s:
        second = s.scalars(select(SchoolClass).order_by(SchoolClass.id.desc())).first()
        assert second is not None
        e = s.scalars(select(Enrolment).where(Enrolment.class_id == second.id)).first()
        assert e is not None
        class_id, student_id, class_name = second.id, e.student_id, second.name
    page.class_combo.setCurrentIndex(page.class_combo.findData(class_id))
    assert page.student_combo.isEnabled() and page.student_combo.count() == 9
    assert {r.class_name for r in page.rows()} == {class_name}
    page.student_combo.setCurrentIndex(page.student_combo.findData(student_id))
    assert len(page.rows()) == 1 and page.rows()[0].change == "ck: 5 → 6"
    page.set_filter(actor_login="admin")
    assert {r.actor_login for r in page.rows()} == {"admin"} and len(page.rows()) == 4
    page.set_filter(class_id=class_id, actor_login="admin")
    assert page.rows() == ()
    assert page.counts_label.text() == "0 mục khớp bộ lọc."
    page.set_filter(actor_login="hieutruong")
    page.grab().save(str(artifacts_dir / "audit_page_filtered.png"))


def test_export_runs_off_the_gui_thread_and_writes_the_file(
    page: AuditPage, qtbot: QtBot, tmp_path: Path
) -> None:
    page.set_filter(actor_login="admin")
    out = tmp_path / "nhat-ky"
    page.export_to(out)
    qtbot.waitUntil(lambda: page.last_export is not None, timeout=20_000)
    assert page.last_export == out.with_suffix(".xlsx")
    sheet = load_workbook(page.last_export).active
    assert sheet is not None
    assert sheet.max_row == 5  # header + the 4 entries by admin
    assert "Đã xuất 4 mục" in page.status_label.text()
    page.set_filter()
    assert page.rows()[0].action == "audit.export"


def test_back_up_now_from_the_page(
    page: AuditPage, qtbot: QtBot, tmp_path: Path, artifacts_dir: Path
) -> None:
    assert page.back_up_now()
    qtbot.waitUntil(lambda: page.backup_button.isEnabled(), timeout=30_000)
    folder = page.db_path.parent / "backups"
    snapshots = backup.list_backups(folder, page.db_path.stem)
    assert len(snapshots) == 1
    assert "Đã sao lưu vào" in page.status_label.text()
    assert "chưa có" not in page.backup_label.text()
    assert page.backup_warning.isVisible() and "cùng ổ đĩa" in page.backup_warning.text()
    page.grab().save(str(artifacts_dir / "audit_page_backup.png"))
    usb = tmp_path / "usb"
    usb.mkdir()
    assert page.back_up_now((usb,))
    qtbot.waitUntil(lambda: page.backup_button.isEnabled(), timeout=30_000)
    assert len(backup.list_backups(usb, page.db_path.stem)) == 1


@pytest.mark.parametrize("login", ["vanthu", "teacher"])
def test_others_see_only_a_refusal(
    ui_app: QApplication, qtbot: QtBot, logged_db: Database, login: str
) -> None:
    if login == "teacher":
        with logged_db.read() as s:
            login = s.scalars(select(UserAccount.login).where(UserAccount.login.like("gv.%"))).first() or ""
    p = AuditPage(logged_db, _actor(logged_db, login))
    qtbot.addWidget(p)
    assert not p.allowed
    assert "Chỉ hiệu trưởng" in p.denied_label.text()
    assert not hasattr(p, "model")


def test_the_scheduler_backs_up_when_due_on_the_thread_pool(
    ui_app: QApplication, qtbot: QtBot, tmp_path: Path
) -> None:
    from app.ui.backup_scheduler import BackupScheduler

    db_path = make_demo(tmp_path / "hocba.sqlite3")
    scheduler = BackupScheduler(db_path, first_check_ms=0, check_every_ms=60_000)
    with qtbot.waitSignal(scheduler.finished, timeout=30_000) as done:
        scheduler.start()
    assert len(done.args[0].results) == 1
    assert len(backup.list_backups(tmp_path / "backups", "hocba")) == 1
    scheduler.check()  # not due any more: nothing is made, nothing is reported
    qtbot.waitUntil(lambda: not scheduler.busy, timeout=10_000)
    assert len(backup.list_backups(tmp_path / "backups", "hocba")) == 1
    scheduler.stop()
