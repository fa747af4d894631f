"""The recovery code sheet on paper: printed through a real QPrinter (PDF output stands in for the
printer the admin picks), then read back with poppler to check what a person would see."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.services import keys
from app.ui.recovery_code_dialog import RecoveryCodeSheet
from app.ui.recovery_code_print import print_recovery_sheet, recovery_sheet_html

pytestmark = pytest.mark.qt


def _poppler(tool: str) -> str:
    found = shutil.which(tool)
    assert found, f"{tool} (poppler-utils) is needed to read the printed sheet back"
    return found


def test_the_printed_sheet_carries_the_code_school_date_and_instructions(
    ui_app: QApplication, tmp_path: Path, artifacts_dir: Path
) -> None:
    code = keys.recovery_code(keys.new_secret())
    target = tmp_path / "sheet.pdf"
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(target))
    print_recovery_sheet(printer, code, "Trường THCS Kim Liên", on=date(2026, 11, 23))

    pages = subprocess.run(
        [_poppler("pdfinfo"), str(target)], capture_output=True, text=True, check=True
    ).stdout
    assert re.search(r"^Pages:\s+1$", pages, re.MULTILINE)
    text = subprocess.run(
        [_poppler("pdftotext"), "-layout", str(target), "-"], capture_output=True, text=True, check=True
    ).stdout
    squeezed = "".join(text.split())
    assert code.replace("-", "") in squeezed  # every character, in order, on the page
    for group in code.split("-"):
        assert group in text
    assert "Trường THCS Kim Liên" in text
    assert "23/11/2026" in text
    assert "MÃ KHÔI PHỤC DỮ LIỆU HỌC BẠ SỐ" in text
    assert "con dấu" in text
    subprocess.run(
        [
            _poppler("pdftoppm"),
            "-png",
            "-r",
            "60",
            "-singlefile",
            str(target),
            str(artifacts_dir / "recovery_code_printed"),
        ],
        check=True,
    )
    assert (artifacts_dir / "recovery_code_printed.png").stat().st_size > 0


def test_the_sheet_without_a_school_name_leaves_a_line_to_write_it() -> None:
    page = recovery_sheet_html("AAAAA-BBBBB-CCCCC-DDDDD-EEEEE", "", date(2026, 1, 2))
    assert "……" in page and "02/01/2026" in page and "AAAAA" in page


def test_the_dialog_offers_printing_next_to_the_code(ui_app: QApplication, qtbot: QtBot) -> None:
    sheet = RecoveryCodeSheet(keys.recovery_code(keys.new_secret()), "Trường THCS Kim Liên")
    qtbot.addWidget(sheet)
    assert sheet.print_button.text() == "In mã khôi phục…" and sheet.print_button.isEnabled()


def test_after_printing_the_admin_is_told_to_collect_the_sheet(
    ui_app: QApplication, qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The system print dialog needs a person: it is replaced by choosing a PDF printer, as a user could;
    # the sheet itself is still printed through the real QPrinter.
    from app.ui import recovery_code_dialog

    target = tmp_path / "printed.pdf"

    def choose_pdf_printer(code: str, school_name: str, parent: object) -> str:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(target))
        print_recovery_sheet(printer, code, school_name)
        return printer.outputFileName()

    monkeypatch.setattr(recovery_code_dialog, "ask_and_print", choose_pdf_printer)
    code = keys.recovery_code(keys.new_secret())
    sheet = RecoveryCodeSheet(code, "Trường THCS Kim Liên")
    qtbot.addWidget(sheet)
    sheet.show()
    assert not sheet.printed.isVisible()
    sheet.print_button.click()
    assert sheet.printed.isVisible() and str(target) in sheet.printed.text()
    assert target.stat().st_size > 0
    assert not sheet.ok_button.isEnabled()  # printing does not stand in for saying it is put away
