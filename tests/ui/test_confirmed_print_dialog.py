"""The confirmed printout window on a real issued demo record: preview, save, print (to a PDF
printer), each logged; the QR code survives the printer path (read back with zxing-cpp)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.models import AuditEntry, Document
from app.models import documents as d
from app.services.printing import AUDIT_ACTION, actor_by_login
from app.sync.state import get_state
from app.ui.dialogs.confirmed_print import ConfirmedPrintDialog
from tests.services.signing_data import DemoClass, make_demo_class

pytestmark = pytest.mark.qt

HUB = "https://hub.sgd.example.vn"


@pytest.fixture(scope="module")
def issued(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoClass]:
    demo = make_demo_class(tmp_path_factory.mktemp("print-dialog"))
    demo.issue_all()
    with demo.db.write() as s:
        get_state(s).hub_url = HUB
    yield demo
    demo.db.dispose()


def _ids(demo: DemoClass) -> tuple[int, int, str]:
    with demo.db.read() as s:
        record = s.scalars(
            select(Document).where(Document.kind == d.KIND_RECORD).order_by(Document.id)
        ).first()
        sheet = s.scalar(select(Document.id).where(Document.kind == d.KIND_SHEET).limit(1))
        assert record is not None and sheet is not None and record.current_sha256
        return record.id, sheet, record.current_sha256


def _print_log(demo: DemoClass) -> list[dict[str, object]]:
    with demo.db.read() as s:
        return [
            dict(e.detail, actor=e.actor)
            for e in s.scalars(
                select(AuditEntry).where(AuditEntry.action == AUDIT_ACTION).order_by(AuditEntry.id)
            )
        ]


def test_preview_save_and_print_are_logged(
    ui_app: QApplication, qtbot: QtBot, issued: DemoClass, tmp_path: Path, artifacts_dir: Path
) -> None:
    record_id, _sheet, sha = _ids(issued)
    clerk = actor_by_login(issued.db, "vanthu")
    before = len(_print_log(issued))
    dialog = ConfirmedPrintDialog(issued.db, clerk, record_id)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.printout is not None, timeout=30000)
    assert dialog.print_button.isEnabled() and dialog.save_button.isEnabled()
    assert dialog.pdf.pageCount() == 3  # two record pages and the verification page
    assert sha in dialog.detail_label.text()
    assert f"{HUB}/v1/verify/{sha}" in dialog.detail_label.text()
    assert len(_print_log(issued)) == before  # a preview is not a print
    qtbot.waitUntil(
        lambda: dialog.view.pageNavigator().currentPage() == 2, timeout=5000
    )  # opens on the QR page

    qtbot.wait(800)  # QPdfView draws pages asynchronously
    dialog.grab().save(str(artifacts_dir / "confirmed_print_dialog.png"))

    dialog.save_to(tmp_path / "banin.pdf")
    qtbot.waitUntil(lambda: dialog.logged == 1, timeout=20000)
    assert (tmp_path / "banin.pdf").read_bytes() == dialog.printout.pdf  # type: ignore[union-attr]
    assert "banin.pdf" in dialog.status_label.text()

    printer = QPrinter(QPrinter.PrinterMode.ScreenResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "printed.pdf"))
    assert dialog.print_to(printer) == 3
    qtbot.waitUntil(lambda: dialog.logged == 2, timeout=20000)

    entries = _print_log(issued)[before:]
    assert [(e["actor"], e["channel"], e["sha256"]) for e in entries] == [
        ("vanthu", "pdf", sha),
        ("vanthu", "printer", sha),
    ]
    assert entries[1]["target"] == str(tmp_path / "printed.pdf")
    assert not any(e["command_line"] for e in entries)

    # What reaches the printer still carries a readable QR code with the right address.
    stem = tmp_path / "printed-page"
    subprocess.run(
        ["pdftoppm", "-r", "150", "-png", "-singlefile", "-f", "3", "-l", "3", str(tmp_path / "printed.pdf"),
         str(stem)],
        check=True,
    )  # fmt: skip
    with Image.open(stem.with_suffix(".png")) as image:
        assert [r.text for r in zxingcpp.read_barcodes(image)] == [f"{HUB}/v1/verify/{sha}"]
    dialog.close()


def test_a_sheet_is_refused_with_a_message(ui_app: QApplication, qtbot: QtBot, issued: DemoClass) -> None:
    _record, sheet_id, _sha = _ids(issued)
    dialog = ConfirmedPrintDialog(issued.db, actor_by_login(issued.db, "vanthu"), sheet_id, background=False)
    qtbot.addWidget(dialog)
    assert dialog.printout is None
    assert not dialog.print_button.isEnabled()
    assert "Không tìm thấy học bạ" in dialog.message.text()
