"""Verification in the window: the signatures panel beside the preview, the "verify any file"
dialog (printed to a real PDF and rendered with pdftoppm), drag and drop onto the main window,
and the hub's answer about supersession from a real hub on loopback."""

from __future__ import annotations

import io
import shutil
import subprocess
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest
from pypdf import PdfReader
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QLabel, QWidget
from pytestqt.qtbot import QtBot

from app.models.db import Database, open_database
from app.services.access import SYSTEM
from app.services.transfer_out import export_transfer
from app.services.verification import verify_bytes
from app.sync import protocol
from app.sync.state import get_state
from app.ui.application import WINDOW_SIZE, build_main_window
from app.ui.dialogs.verify_file import VerifyFileDialog, dropped_files, file_urls
from app.ui.pages.document_view import DocumentView, record_opener
from app.ui.pages.signatures_panel import ORANGE, RED, SignaturesPanel
from tests.hub.helpers import Wire, manifest_for
from tests.hub.servers import RunningHub, start_hub
from tests.services.verification_data import IssuedSchool, issued_school, swap_xml

pytestmark = pytest.mark.qt


@pytest.fixture(scope="module")
def school(tmp_path_factory: pytest.TempPathFactory) -> IssuedSchool:
    return issued_school(tmp_path_factory.mktemp("issued-ui"))


@pytest.fixture
def db(school: IssuedSchool) -> Iterator[Database]:
    database = open_database(school.path)
    yield database
    database.dispose()


def _wait_preview(qtbot: QtBot, view: DocumentView) -> None:
    qtbot.waitUntil(
        lambda: view.preview is not None or view.title_label.text() == "Chưa xem được học bạ", timeout=30000
    )


def test_panel_beside_the_preview_of_an_issued_record(
    ui_app: QApplication, qtbot: QtBot, school: IssuedSchool, db: Database, artifacts_dir: Path
) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    view = record_opener(db, SYSTEM)(parent, school.student_id)
    _wait_preview(qtbot, view)
    assert view.preview is not None and view.preview.signed is not None
    assert view.preview.document.pdf == school.pdf  # the stored signed file, not a re-render
    panel = view.signatures
    assert [c.card.role for c in panel.cards] == [
        "Giáo viên chủ nhiệm",
        "Hiệu trưởng",
        "Nhà trường (con dấu)",
    ]
    assert panel.headline_label.text().startswith("Hợp lệ: 3 chữ ký")
    assert RED not in panel.headline_label.styleSheet()
    assert view.confirmed_print_button.isEnabled()
    view.resize(1400, 1000)
    view.show()
    qtbot.wait(600)  # QPdfView draws pages asynchronously
    view.grab().save(str(artifacts_dir / "document_view_signatures.png"))
    view.close()


def test_a_record_changed_on_disk_shows_in_red_beside_the_preview(
    ui_app: QApplication, qtbot: QtBot, school: IssuedSchool, tmp_path: Path, artifacts_dir: Path
) -> None:
    copy = tmp_path / "school"
    shutil.copytree(school.path.parent, copy)
    [stored] = [p for p in copy.rglob("*.pdf") if p.read_bytes() == school.pdf]
    stored.write_bytes(swap_xml(school.pdf))
    db = open_database(copy / school.path.name)
    try:
        parent = QWidget()
        qtbot.addWidget(parent)
        view = record_opener(db, SYSTEM)(parent, school.student_id)
        _wait_preview(qtbot, view)
        assert view.preview is not None and view.preview.verification is not None
        headline = view.signatures.headline_label
        assert headline.text().startswith("Tài liệu đã bị sửa sau khi ký") and RED in headline.styleSheet()
        assert all(RED in card.styleSheet() for card in view.signatures.cards)
        assert "Tệp học bạ lưu trên máy đã bị thay đổi" in view.signatures.unsigned_label.text()
        assert not view.confirmed_print_button.isEnabled()  # paper must not vouch for a changed file
        view.resize(1400, 1000)
        view.show()
        qtbot.wait(600)
        view.grab().save(str(artifacts_dir / "document_view_changed.png"))
        view.close()
    finally:
        db.dispose()


def test_an_unsigned_record_has_no_signatures_to_show(
    ui_app: QApplication, qtbot: QtBot, demo_db: Database
) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    view = record_opener(demo_db, SYSTEM)(parent, 1)
    _wait_preview(qtbot, view)
    assert view.preview is not None and view.preview.signed is None
    assert view.signatures.cards == []
    assert view.signatures.headline_label.text().startswith("Bản xem trước")
    assert not view.confirmed_print_button.isEnabled()
    view.close()


def test_a_changed_document_shows_in_red(
    ui_app: QApplication, qtbot: QtBot, school: IssuedSchool, db: Database, artifacts_dir: Path
) -> None:
    report = verify_bytes(swap_xml(school.pdf), "hocba-da-sua.pdf", db=db)
    panel = SignaturesPanel()
    qtbot.addWidget(panel)
    panel.set_report(report)
    assert panel.headline_label.text().startswith("Tài liệu đã bị sửa sau khi ký")
    assert RED in panel.headline_label.styleSheet()
    assert len(panel.cards) == 3 and all(RED in c.styleSheet() for c in panel.cards)
    assert all(c.verdict_label.text().startswith("Tài liệu đã bị sửa sau khi ký") for c in panel.cards)
    panel.resize(420, 1100)
    panel.show()
    qtbot.waitExposed(panel)
    panel.grab().save(str(artifacts_dir / "signatures_panel_changed.png"))

    # An intact record whose signers this PC does not trust: orange, not red, and says why.
    panel.set_report(verify_bytes(school.pdf, "hocba.pdf"))
    assert len(panel.cards) == 3 and ORANGE in panel.headline_label.styleSheet()
    assert "chưa xác thực được người ký" in panel.headline_label.text()
    assert all("Được tin cậy: <b>không</b>" in _labels(c) for c in panel.cards)


def _labels(widget: QWidget) -> str:
    return "\n".join(label.text() for label in widget.findChildren(QLabel))


def _png_of_first_page(pdf: Path, out: Path) -> Path:
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(out)],
        check=True,
        timeout=120,
    )
    return out.with_suffix(".png")


def test_verify_dialog_reads_and_prints_a_changed_file(
    ui_app: QApplication,
    qtbot: QtBot,
    school: IssuedSchool,
    db: Database,
    tmp_path: Path,
    artifacts_dir: Path,
) -> None:
    forged = tmp_path / "hocba-da-sua.pdf"
    forged.write_bytes(swap_xml(school.pdf))
    dialog = VerifyFileDialog(forged, db)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.hub_checked, timeout=30000)
    assert dialog.report is not None and dialog.report.changed
    assert dialog.print_button.isEnabled() and dialog.save_button.isEnabled()
    # This school's database was never connected to a hub: the dialog says so, in words.
    assert "chưa kết nối với máy chủ của Sở" in dialog.panel.hub_label.text()

    printed = tmp_path / "bao-cao.pdf"
    assert dialog.save_pdf(printed)
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(printed.read_bytes())).pages)
    text = " ".join(text.split())
    assert "BÁO CÁO XÁC MINH CHỮ KÝ SỐ" in text and "Tài liệu đã bị sửa sau khi ký" in text
    assert dialog.report.sha256 in text.replace(" ", "") or dialog.report.sha256[:16] in text
    png = _png_of_first_page(printed, artifacts_dir / "verify_report_printed")
    assert png.stat().st_size > 5_000
    dialog.resize(720, 900)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.grab().save(str(artifacts_dir / "verify_dialog_changed.png"))


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[RunningHub]:
    running = start_hub(tmp_path / "hub", verify=False)
    yield running
    running.stop()


def test_dropping_a_file_on_the_window_verifies_it_and_asks_the_hub(
    ui_app: QApplication,
    qtbot: QtBot,
    school: IssuedSchool,
    hub: RunningHub,
    tmp_path: Path,
    artifacts_dir: Path,
) -> None:
    copy = tmp_path / "school"
    shutil.copytree(school.path.parent, copy)
    db = open_database(copy / school.path.name)
    try:
        # The department's hub holds this record, submitted as the sync would, and this PC knows
        # the hub's address and pinned key as hub-connect leaves them.
        wire = Wire(hub.url, hub.device("19039901"))
        wire.put_blob(school.pdf)
        assert wire.submit(manifest_for(school.pdf, "19039901")).status_code == 201
        wire.close()
        info = protocol.Info.from_json(httpx.get(f"{hub.url}/v1/info").json())
        with db.write() as s:
            state = get_state(s)
            state.hub_url, state.hub_public_key = hub.url, protocol.b64(info.public_key)
        target = tmp_path / "hocba-nhan-duoc.pdf"
        target.write_bytes(school.pdf)

        window = build_main_window(db)
        qtbot.addWidget(window)
        window.resize(*WINDOW_SIZE)
        window.show()
        qtbot.waitExposed(window)
        assert window.acceptDrops() and window.verify_file_action.text() == "&Xác minh tệp…"

        mime = file_urls([target, tmp_path / "ghi-chu.txt"])
        assert dropped_files(mime) == [target]  # only PDFs and packages are taken
        where = QPoint(200, 200)
        enter = QDragEnterEvent(
            where, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
        )
        QApplication.sendEvent(window, enter)
        assert enter.isAccepted()
        drop = QDropEvent(
            where.toPointF(),
            Qt.DropAction.CopyAction,
            mime,
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier,
        )
        QApplication.sendEvent(window, drop)
        assert len(window.verify_dialogs) == 1
        dialog = window.verify_dialogs[0]
        assert isinstance(dialog, VerifyFileDialog)
        qtbot.waitUntil(lambda: dialog.hub_checked, timeout=30000)
        assert dialog.report is not None and dialog.report.ok
        assert dialog.report.hub is not None and dialog.report.hub.status == "current"
        assert dialog.report.hub.receipt_checked is True
        assert "bản hiện hành" in dialog.panel.hub_label.text()
        dialog.resize(720, 1000)
        qtbot.wait(100)
        dialog.grab().save(str(artifacts_dir / "verify_dialog_dropped_current.png"))
        dialog.close()

        text_file = file_urls([tmp_path / "a.txt"])  # held here: the event does not own its data
        other = QDragEnterEvent(
            where,
            Qt.DropAction.CopyAction,
            text_file,
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier,
        )
        QApplication.sendEvent(window, other)
        assert not other.isAccepted()
        window.close()
    finally:
        db.dispose()


def test_verify_dialog_reads_a_transfer_package(
    ui_app: QApplication, qtbot: QtBot, school: IssuedSchool, tmp_path: Path, artifacts_dir: Path
) -> None:
    copy = tmp_path / "school"
    shutil.copytree(school.path.parent, copy)  # the export ends the enrolment: work on a copy
    db = open_database(copy / school.path.name)
    try:
        package = tmp_path / "chuyen-truong.hbt"
        export_transfer(
            db,
            SYSTEM,
            school.student_id,
            package,
            destination="Trường THCS Đích",
            transfer_date=date(2027, 1, 5),
        )
        dialog = VerifyFileDialog(package, db)
        qtbot.addWidget(dialog)
        qtbot.waitUntil(lambda: dialog.hub_checked, timeout=30000)
        assert dialog.report is not None and dialog.report.kind == "package" and dialog.report.ok
        assert dialog.panel.headline_label.text().startswith("Gói hợp lệ")
        assert "[Đạt] Học bạ năm học" in dialog.panel.unsigned_label.text()
        assert dialog.panel.hub_label.isHidden()  # the hub holds records, not packages: not asked
        dialog.resize(720, 600)
        dialog.show()
        qtbot.waitExposed(dialog)
        dialog.grab().save(str(artifacts_dir / "verify_dialog_package.png"))
    finally:
        db.dispose()
