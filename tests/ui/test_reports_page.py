"""The "Báo cáo" page on a real demo school with one class issued by the demo signer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.models import SchoolClass, UserAccount
from app.models.db import Database, open_database
from app.services.access import Actor
from app.services.accounts import actor_for
from app.services.demo import create_demo_school
from app.services.issuing import issue_demo
from app.ui.areas import AREAS
from app.ui.pages.reports_page import ReportsPage

pytestmark = pytest.mark.qt

STUDENTS = 4


@pytest.fixture(scope="module")
def school(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    db = open_database(tmp_path_factory.mktemp("reports-page") / "hocba.sqlite3")
    create_demo_school(db, classes=2, students_per_class=STUDENTS, seed=7)
    with db.read() as s:
        first = s.scalars(select(SchoolClass.id).order_by(SchoolClass.name)).first()
    assert first is not None
    [issued] = issue_demo(db, [first])
    assert issued.issued == STUDENTS, issued.problems
    yield db
    db.dispose()


def _actor(db: Database, login: str) -> Actor:
    with db.read() as s:
        user_id = s.scalar(select(UserAccount.id).where(UserAccount.login == login))
    assert user_id is not None
    return actor_for(db, user_id)


def test_report_page_shows_progress_and_exports(
    ui_app: QApplication, qtbot: QtBot, school: Database, tmp_path: Path, artifacts_dir: Path
) -> None:
    page = ReportsPage(school, _actor(school, "hieutruong"))
    qtbot.addWidget(page)
    page.resize(1280, 720)
    page.show()
    qtbot.waitUntil(lambda: page.report is not None, timeout=30000)
    report = page.report
    assert report is not None
    table = page.table
    assert table.rowCount() == 3  # two classes and the school total
    cells = [[table.item(r, c).text() for c in range(table.columnCount())] for r in range(3)]
    assert cells[2][0] == "Toàn trường" and cells[2][2] == str(2 * STUDENTS)
    issued_col = 8
    assert sorted(row[issued_col] for row in cells[:2]) == ["0", str(STUDENTS)]
    assert cells[2][issued_col] == str(STUDENTS)
    assert table.item(2, 0).font().bold()
    assert f"{2 * STUDENTS} học sinh" in page.totals_label.text()
    assert "đã phát hành 4" in page.totals_label.text()
    assert page.certificates.rowCount() == 0  # issuing registered the demo certificates
    assert "(0)" in page.certificates_box.title()
    qtbot.wait(100)
    page.grab().save(str(artifacts_dir / "reports_page.png"))

    page.export_to(tmp_path / "bao-cao")  # the .xlsx suffix is added
    qtbot.waitUntil(lambda: page.last_export is not None, timeout=20000)
    assert page.last_export == tmp_path / "bao-cao.xlsx"
    ws = load_workbook(tmp_path / "bao-cao.xlsx")["Tiến độ theo lớp"]
    assert any(row[0].value == "Toàn trường" and row[8].value == STUDENTS for row in ws.iter_rows())
    assert "bao-cao.xlsx" in page.status_label.text()


def test_a_teacher_is_refused_and_does_not_see_the_area(
    ui_app: QApplication, qtbot: QtBot, school: Database
) -> None:
    with school.read() as s:
        teacher = s.scalar(select(UserAccount.login).where(UserAccount.login.like("gv.%")).limit(1))
    assert teacher is not None
    actor = _actor(school, teacher)
    page = ReportsPage(school, actor, background=False)
    qtbot.addWidget(page)
    assert not page.allowed and page.report is None
    assert "hiệu trưởng" in page.denied_label.text()

    keys = [a.key for a in AREAS]
    area = AREAS[keys.index("reports")]
    assert keys.index("reports") == keys.index("lookup") + 1
    assert not area.visible(actor)
    assert area.visible(_actor(school, "hieutruong")) and area.visible(_actor(school, "admin"))
    assert not area.visible(_actor(school, "vanthu"))


def test_missing_certificates_are_listed(
    ui_app: QApplication, qtbot: QtBot, demo_db: Database, artifacts_dir: Path
) -> None:
    page = ReportsPage(demo_db, _actor(demo_db, "admin"), background=False)
    qtbot.addWidget(page)
    report = page.report
    assert report is not None and report.missing_certificates
    rows = page.certificates.rowCount()
    assert rows == len(report.missing_certificates)
    first = [page.certificates.item(0, c).text() for c in range(4)]
    assert first[1] == "school-seal" and first[3] == "chưa đăng ký chứng thư số"
    logins = {page.certificates.item(r, 1).text() for r in range(rows)}
    assert {"hieutruong", "phohieutruong"} <= logins and "admin" not in logins
    assert f"({rows})" in page.certificates_box.title()
    page.resize(1280, 800)
    page.show()
    qtbot.wait(100)
    page.grab().save(str(artifacts_dir / "reports_page_missing_certificates.png"))
