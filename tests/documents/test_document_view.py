"""The học bạ preview window (QtPdf): loads off the GUI thread, zooms, prints, exports;
reachable from the class page by its button and by a double click."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from app.errors import UserFacingError
from app.models.db import Database, open_database
from app.services.access import SYSTEM
from app.services.class_results import school_overview
from app.ui.pages.class_page import ClassPage
from app.ui.pages.document_view import DocumentView, Preview, record_opener
from app.ui.reads import class_reader

pytestmark = pytest.mark.qt


@pytest.fixture
def db(thcs_path: Path) -> Database:
    database = open_database(thcs_path)
    yield database  # type: ignore[misc]
    database.dispose()


def _wait_loaded(qtbot: QtBot, view: DocumentView) -> None:
    qtbot.waitUntil(
        lambda: (
            view.preview is not None
            or (view.stack.currentIndex() == 0 and view.title_label.text() != "Đang tạo học bạ…")
        ),
        timeout=20000,
    )


def test_preview_from_the_class_page(
    qapp: QApplication, qtbot: QtBot, db: Database, tmp_path: Path, artifacts_dir: Path
) -> None:
    overview = school_overview(db, SYSTEM)
    opened: list[DocumentView] = []
    opener = record_opener(db, SYSTEM)

    def open_record(parent: QWidget, student_id: int) -> DocumentView:
        view = opener(parent, student_id)
        opened.append(view)
        return view

    page = ClassPage(overview.classes, class_reader(db, SYSTEM), open_record=open_record)
    qtbot.addWidget(page)
    page.show()
    assert not page.record_button.isEnabled()
    page.select_student(0)
    assert page.record_button.isEnabled()
    page.resize(1100, 520)
    page.grab().save(str(artifacts_dir / "class_page_record_button.png"))
    page.record_button.click()
    assert len(opened) == 1
    view = opened[0]
    _wait_loaded(qtbot, view)
    assert view.preview is not None
    row = page.selected_student()
    assert row is not None and row.full_name in view.title_label.text()
    assert view.pdf.pageCount() == 2
    assert view.page_label.text() == "Trang 1/2"

    before = view.view.zoomFactor()
    view.zoom_in()
    assert view.view.zoomFactor() == pytest.approx(before * 1.25)
    view.zoom_out()
    view.zoom_out()
    assert view.view.zoomFactor() == pytest.approx(before / 1.25)
    view.fit_width()

    # Export writes exactly the rendered document and its XML.
    assert view.write_file(tmp_path / "hb.pdf", view.preview.document.pdf)
    assert (tmp_path / "hb.pdf").read_bytes() == view.preview.document.pdf
    assert view.write_file(tmp_path / "hb.xml", view.preview.document.xml)
    assert (tmp_path / "hb.xml").read_bytes().startswith(b"<hocba")
    assert not view.write_file(tmp_path / "no-such-folder" / "x.pdf", b"x")  # a message, not a crash
    assert view.warning_box is not None and "no-such-folder" in view.warning_box.text()
    view.warning_box.close()

    printer = QPrinter(QPrinter.PrinterMode.ScreenResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "printed.pdf"))
    assert view.print_to(printer) == 2
    assert (tmp_path / "printed.pdf").stat().st_size > 10_000

    view.resize(900, 1000)
    view.show()
    qtbot.wait(600)  # QPdfView draws pages asynchronously
    view.grab().save(str(artifacts_dir / "document_view.png"))

    # A double click on a student opens the preview too.
    index = page.student_model.index(1, 1)
    page.table.doubleClicked.emit(index)
    page.select_student(1)
    page.table.doubleClicked.emit(page.student_model.index(1, 1))
    assert len(opened) >= 2
    for v in opened:
        _wait_loaded(qtbot, v)
        v.close()


def test_a_refused_record_shows_the_message(qapp: QApplication, qtbot: QtBot) -> None:
    def refuse() -> Preview:
        raise UserFacingError(
            "Chưa lập được học bạ của học sinh Nguyễn Văn A (mã học sinh 1): thiếu nơi sinh."
        )

    view = DocumentView(refuse, background=False)
    qtbot.addWidget(view)
    assert view.preview is None
    assert "thiếu nơi sinh" in view.message.text()
    assert not view.export_pdf_button.isEnabled() and not view.print_button.isEnabled()
