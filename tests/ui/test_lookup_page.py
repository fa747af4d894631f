"""The "Tra cứu" area on real databases (offscreen): search as you type, filters, masking,
the student page with its record versions, and opening a version in the viewer."""

from __future__ import annotations

import hashlib
import uuid
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.models import Document, Enrolment, School, SchoolClass, StudyHistory, TransferOut
from app.models.db import Database, open_database
from app.services.access import SYSTEM
from app.ui.application import WINDOW_SIZE, build_main_window
from app.ui.pages.document_view import DocumentView
from app.ui.pages.lookup_page import LookupPage
from tests.services.lookup_data import LookupSchool, add_student, enrol, make_lookup_school, teacher_of
from tests.services.signing_data import DemoClass, make_demo_class

pytestmark = pytest.mark.qt


@pytest.fixture(scope="module")
def school(tmp_path_factory: pytest.TempPathFactory) -> LookupSchool:
    db = open_database(tmp_path_factory.mktemp("lookup-ui") / "school.sqlite3")
    return make_lookup_school(db)


@pytest.fixture(scope="module")
def issued(tmp_path_factory: pytest.TempPathFactory) -> DemoClass:
    """Three issued records; the third student then transferred out, after an earlier school."""
    demo = make_demo_class(tmp_path_factory.mktemp("lookup-issued"), students=3)
    demo.issue_all()
    with demo.db.write() as s:
        enrolment = s.scalars(
            select(Enrolment).where(Enrolment.class_id == demo.class_id).order_by(Enrolment.id.desc())
        ).first()
        assert enrolment is not None
        left_on = date(enrolment.start_date.year + 1, 1, 15)
        enrolment.end_date, enrolment.end_reason = left_on, "Chuyển trường"
        s.add(TransferOut(student_id=enrolment.student_id, enrolment_id=enrolment.id, transfer_date=left_on,
                          destination_school="Trường THCS Đống Đa, Hà Nội", package_sha256="a" * 64,
                          manifest_sha256="b" * 64, records=1, created_by="vanthu"))
        s.add(StudyHistory(student_id=enrolment.student_id, year_name="2022-2023", class_name="5A",
                           school_name="Trường Tiểu học Kim Liên"))
        school_id = s.scalar(select(School.id))
        # The second student's record is being corrected: version 2, not signed yet.
        second = s.scalars(
            select(Document).where(Document.class_id == demo.class_id, Document.kind == "record")
            .order_by(Document.id)
        ).all()[1]
        s.add(Document(
            uuid=str(uuid.uuid4()), kind="record", school_id=second.school_id,
            school_year_id=second.school_year_id, class_id=second.class_id, enrolment_id=second.enrolment_id,
            version=2, supersedes=second.uuid, supersede_reason="Sai ngày sinh", state="draft",
        ))  # fmt: skip
    assert school_id is not None
    sid = add_student(demo.db, school_id, "7911111111", "Nguyễn Văn Ân", "079213000999", 1)
    enrol(demo.db, sid, demo.class_id, date(2026, 9, 5))
    return demo


def _page(qtbot: QtBot, db: Database, actor=SYSTEM, **kw: object) -> LookupPage:  # type: ignore[no-untyped-def]
    page = LookupPage(db, actor, **kw)  # type: ignore[arg-type]
    qtbot.addWidget(page)
    page.resize(1200, 700)
    page.show()
    qtbot.waitExposed(page)
    return page


def _wait_for(qtbot: QtBot, page: LookupPage, typed: str) -> None:
    """Until the answer to `typed` is shown (answered on the thread pool)."""
    qtbot.waitUntil(lambda: page.result is not None and page.result.query.text == typed, timeout=20_000)


def _names(page: LookupPage) -> list[str]:
    return [h.full_name for h in page.model.rows]


def _cell(page: LookupPage, row: int, header: str) -> str:
    return str(page.model.data(page.model.index(row, page.model.column_index(header))))


def test_search_as_you_type_without_diacritics(
    ui_app: QApplication, qtbot: QtBot, school: LookupSchool, artifacts_dir: Path
) -> None:
    page = _page(qtbot, school.db)
    assert "Gõ tên học sinh" in page.counts_label.text()
    assert page.model.rowCount() == 0
    qtbot.keyClicks(page.search_box, "nguyen van an")
    # Debounced, then answered from the thread pool.
    _wait_for(qtbot, page, "nguyen van an")
    assert _names(page)[:3] == ["Nguyễn Văn An", "Nguyễn Văn Ân", "Nguyễn Văn Anh"]
    assert "Tìm thấy 3 học sinh" in page.counts_label.text()
    assert page.open_button.isEnabled(), "the best match is selected, ready for Enter"
    assert _cell(page, 0, "Tình trạng") == "Đang học"
    assert _cell(page, 0, "Số định danh") == "079213000111", "SYSTEM may see whole numbers"
    page.grab().save(str(artifacts_dir / "lookup_results.png"))
    # Only the newest query's answer counts, however the answers arrive.
    page.search_box.setText("dang thi dao")
    page.search_now()
    _wait_for(qtbot, page, "dang thi dao")
    assert _names(page) == ["Đặng Thị Đào"]
    page.search_box.setText("zzzz")
    page.search_now()
    _wait_for(qtbot, page, "zzzz")
    assert "Không tìm thấy học sinh nào" in page.counts_label.text()
    assert not page.open_button.isEnabled()


def test_filters_year_class_and_departed(ui_app: QApplication, qtbot: QtBot, school: LookupSchool) -> None:
    page = _page(qtbot, school.db, background=False)
    page.search_box.setText("lo thi my")
    page.search_now()
    assert _names(page) == ["Lò Thị Mỷ"]
    assert _cell(page, 0, "Tình trạng").startswith("Đã rời trường ngày 15/01/")
    page.include_left.setChecked(False)  # searches at once
    assert _names(page) == []
    page.include_left.setChecked(True)
    # The past year: its one class only, and its one student.
    page.year_combo.setCurrentIndex(page.year_combo.findData(school.past_year))
    offered = [page.class_combo.itemData(i) for i in range(page.class_combo.count())]
    assert offered == [None, school.past_class]
    page.search_box.setText("")
    page.search_now()
    assert _names(page) == ["Trần Quốc Bảo"]
    assert _cell(page, 0, "Lớp") == "9Z"
    # Back to every year: a class of this year, browsed with no text.
    page.year_combo.setCurrentIndex(0)
    page.class_combo.setCurrentIndex(page.class_combo.findData(school.class_a))
    assert "Nguyễn Văn An" in _names(page) and "Nguyễn Văn Ân" not in _names(page)


def test_new_classes_appear_in_the_filter(ui_app: QApplication, qtbot: QtBot, tmp_path: Path) -> None:
    db = open_database(tmp_path / "school.sqlite3")
    try:
        school = make_lookup_school(db)
        page = _page(qtbot, db, background=False)
        before = page.class_combo.count()
        with db.write() as s:
            first = s.get(SchoolClass, school.class_a)
            assert first is not None
            s.add(SchoolClass(school_year_id=first.school_year_id, grade_id=first.grade_id, name="6Z"))
        page.hide()
        page.show()  # coming back to the area
        assert page.class_combo.count() == before + 1
        assert "6Z" in [page.class_combo.itemText(i).split(" ")[0] for i in range(page.class_combo.count())]
    finally:
        db.dispose()


def test_teachers_see_masked_numbers(ui_app: QApplication, qtbot: QtBot, school: LookupSchool) -> None:
    page = _page(qtbot, school.db, teacher_of(school.class_b), background=False)
    page.search_box.setText("dang thi dao")
    page.search_now()
    assert _names(page) == ["Đặng Thị Đào"]
    assert _cell(page, 0, "Số định danh") == "••••••••0444"
    # Their own classes only, in the filter too, and the page says so when nothing is found.
    assert page.class_combo.count() == 2
    page.search_box.setText("nguyen van an")  # in another class
    page.search_now()
    assert _names(page) == ["Nguyễn Văn Ân"]
    page.search_box.setText("lo thi my")
    page.search_now()
    assert _names(page) == []
    assert "lớp mình dạy hoặc chủ nhiệm" in page.counts_label.text()


def test_student_page_history_versions_and_viewer(
    ui_app: QApplication, qtbot: QtBot, issued: DemoClass, artifacts_dir: Path
) -> None:
    page = _page(qtbot, issued.db)
    page.search_box.setText("nguyen van an")
    page.search_now()
    qtbot.waitUntil(lambda: page.result is not None, timeout=10_000)
    # A student with no record yet: the page says so.
    assert _names(page)[0] == "Nguyễn Văn Ân"
    qtbot.keyClick(page.search_box, Qt.Key.Key_Down)  # from typing straight into the results
    qtbot.keyClick(page.table, Qt.Key.Key_Return)
    panel = page.student_panel
    assert page.stack.currentWidget() is panel
    qtbot.waitUntil(lambda: panel.page is not None, timeout=20_000)
    assert panel.name_label.text() == "Nguyễn Văn Ân"
    assert panel.version_items() == []
    year_item = panel.tree.topLevelItem(0)
    assert year_item is not None and year_item.child(0) is not None
    assert "Chưa tạo bản học bạ" in year_item.child(0).text(2)
    qtbot.keyClick(panel.tree, Qt.Key.Key_Escape)
    assert page.stack.currentIndex() == 0

    # The departed student: the earlier school, the year here with its issued record.
    with issued.db.read() as s:
        left_id = s.scalar(select(Enrolment.student_id).where(Enrolment.end_date.is_not(None)))
    assert left_id is not None
    page.open_student(left_id)
    qtbot.waitUntil(lambda: panel.page is not None and panel.page.student_id == left_id, timeout=20_000)
    assert "Đã chuyển đi ngày 15/01/" in panel.status_label.text()
    assert "Trường THCS Đống Đa" in panel.status_label.text()
    assert not panel.transfer_button.isEnabled(), "already transferred out: nothing left to send"
    assert "(đã che)" not in panel.identity_label.text(), "SYSTEM sees the whole number"
    years = [panel.tree.topLevelItem(i) for i in range(panel.tree.topLevelItemCount())]
    assert years[0] is not None and years[0].text(0) == "2022–2023"
    assert years[0] is not None and "Trường Tiểu học Kim Liên" in years[0].text(1)
    (version_item,) = panel.version_items()
    assert version_item.text(0) == "Học bạ bản 1"
    assert version_item.text(2).startswith("Đã phát hành ngày ")
    signed = version_item.text(3)
    for role in ("Giáo viên chủ nhiệm", "Hiệu trưởng", "Con dấu nhà trường"):
        assert role in signed
    assert "Còn thiếu" not in signed
    here = years[-1]
    assert here is not None and "Chuyển trường" in [here.child(i).text(0) for i in range(here.childCount())]
    qtbot.wait(50)  # let the layout settle after the page filled in
    page.grab().save(str(artifacts_dir / "lookup_student_page.png"))

    panel.tree.setCurrentItem(version_item)
    assert panel.open_button.isEnabled()
    panel._background = False  # open the viewer synchronously for the test
    panel.tree.setFocus()
    qtbot.keyClick(panel.tree, Qt.Key.Key_Return)  # Enter on a version opens it
    viewer = panel.viewer
    assert isinstance(viewer, DocumentView)
    qtbot.addWidget(viewer)
    assert viewer.preview is not None, viewer.message.text()
    version = panel.selected_version()
    assert version is not None
    assert hashlib.sha256(viewer.preview.document.pdf).hexdigest() == version.sha256
    assert viewer.pdf.pageCount() >= 1
    assert "bản 1" in viewer.title_label.text()


def test_a_correction_in_progress_shows_what_is_missing(
    ui_app: QApplication, qtbot: QtBot, issued: DemoClass, artifacts_dir: Path
) -> None:
    with issued.db.read() as s:
        corrected = s.scalar(
            select(Enrolment.student_id).join(Document, Document.enrolment_id == Enrolment.id)
            .where(Document.version == 2)
        )
    assert corrected is not None
    page = _page(qtbot, issued.db, background=False)
    page.open_student(corrected)
    panel = page.student_panel
    assert panel.status_label.text().startswith("Đang học lớp ")
    old, new = panel.version_items()
    assert "bản 2 đang được làm" in old.text(2)
    assert new.text(0) == "Học bạ bản 2"
    assert "Đính chính bản 1: Sai ngày sinh" in new.text(2)
    assert new.text(3) == "Còn thiếu: Giáo viên chủ nhiệm, Hiệu trưởng, Con dấu nhà trường"
    panel.tree.setCurrentItem(new)
    assert not panel.open_button.isEnabled(), "nothing to open before the first signature"
    panel.tree.setCurrentItem(old)
    assert panel.open_button.isEnabled()
    qtbot.wait(50)
    page.grab().save(str(artifacts_dir / "lookup_student_correction.png"))


def test_a_teacher_sees_the_number_masked_on_the_page(
    ui_app: QApplication, qtbot: QtBot, issued: DemoClass
) -> None:
    page = _page(qtbot, issued.db, teacher_of(issued.class_id), background=False)
    page.search_box.setText("nguyen van an")
    page.search_now()
    page.open_selected()
    assert page.student_panel.page is not None
    assert "••••••••0999 (đã che)" in page.student_panel.identity_label.text()
    # Transfers are not a teacher's work: neither button is offered.
    assert not page.transfer_in_button.isVisible()
    assert not page.student_panel.transfer_button.isVisible()


def test_the_office_gets_the_transfer_buttons(ui_app: QApplication, qtbot: QtBot, issued: DemoClass) -> None:
    page = _page(qtbot, issued.db, SYSTEM, background=False)
    assert page.transfer_in_button.isVisible()
    page.search_box.setText("nguyen van an")
    page.search_now()
    page.open_selected()
    panel = page.student_panel
    assert panel.page is not None and panel.transfer_button.isVisible() and panel.transfer_button.isEnabled()


def test_the_area_is_enabled_in_the_main_window(
    ui_app: QApplication, qtbot: QtBot, school: LookupSchool, artifacts_dir: Path
) -> None:
    window = build_main_window(school.db)
    qtbot.addWidget(window)
    window.resize(*WINDOW_SIZE)
    window.show()
    qtbot.waitExposed(window)
    button = window.nav_buttons["Tra cứu"]
    assert button.isEnabled()
    button.click()
    page = window.pages.currentWidget()
    assert isinstance(page, LookupPage)
    page.search_box.setText("đào")
    page.search_now()
    qtbot.waitUntil(lambda: page.result is not None, timeout=10_000)
    assert _names(page) == ["Đặng Thị Đào"]
    window.grab().save(str(artifacts_dir / "lookup_main_window.png"))
