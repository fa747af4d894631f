"""The recovery code on paper: one A4 page the admin files with the school's seal (ADR 0001).

The page is laid out as a QTextDocument and sent straight to the QPrinter the user chose; the
app itself never writes the code to a file (a "print to PDF" printer is the user's decision).
"""

from __future__ import annotations

import html
from datetime import date

from PySide6.QtCore import QMarginsF
from PySide6.QtGui import QPageLayout, QPageSize, QTextDocument
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QDialog, QWidget

from app.i18n import _

PAGE_TITLE = "MÃ KHÔI PHỤC DỮ LIỆU HỌC BẠ SỐ"

PURPOSE = (
    "Dữ liệu học bạ trên máy tính của trường đã được mã hoá. Khi máy hỏng, cài lại Windows, đổi "
    "tài khoản Windows hoặc chuyển dữ liệu sang máy mới, chỉ mã này mở lại được dữ liệu và các bản "
    "sao lưu. Mất cả máy lẫn mã này là mất dữ liệu."
)

KEEPING = (
    "Cất tờ giấy này cùng con dấu của trường, trong tủ có khoá. Không chụp ảnh, không gửi qua mạng, "
    "không dán cạnh máy tính. Khi cần dùng: mở Học bạ số, nhập 25 ký tự khi phần mềm hỏi (gõ liền "
    "hoặc có dấu gạch đều được)."
)


CODE_STYLE = (
    "font-family: 'DejaVu Sans Mono', 'Consolas', 'Courier New', monospace; "
    "font-size: 22pt; font-weight: bold; white-space: nowrap;"
)


def recovery_sheet_html(code: str, school_name: str, on: date) -> str:
    """The printed page: school, date, the code in large monospace groups, what it is for, where it goes."""
    # One table cell per group of five, so a line break can only fall between groups, never inside one.
    cells = "".join(
        f"<td align='center'><span style=\"{CODE_STYLE}\">{html.escape(group)}</span></td>"
        for group in code.split("-")
    )
    school = html.escape(school_name) if school_name else "……………………………………………"
    return (
        "<html><body style='font-family: sans-serif; font-size: 12pt;'>"
        f"<h2 align='center'>{html.escape(_(PAGE_TITLE))}</h2>"
        f"<p><b>{html.escape(_('Trường:'))}</b> {school}<br/>"
        f"<b>{html.escape(_('Ngày in:'))}</b> {on.strftime('%d/%m/%Y')}</p>"
        "<p>&nbsp;</p>"
        f"<table align='center' width='100%' cellspacing='0' cellpadding='8'><tr>{cells}</tr></table>"
        "<p>&nbsp;</p>"
        f"<h3>{html.escape(_('Mã này dùng để làm gì'))}</h3>"
        f"<p>{html.escape(_(PURPOSE))}</p>"
        f"<h3>{html.escape(_('Cất giữ ở đâu'))}</h3>"
        f"<p>{html.escape(_(KEEPING))}</p>"
        "<p>&nbsp;</p>"
        f"<p>{html.escape(_('Người cất giữ (ký, ghi rõ họ tên):'))}</p>"
        "</body></html>"
    )


def print_recovery_sheet(printer: QPrinter, code: str, school_name: str, on: date | None = None) -> None:
    """Lay the one-page sheet out on `printer` (A4 portrait, 20 mm margins) and print it."""
    printer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    printer.setPageOrientation(QPageLayout.Orientation.Portrait)
    printer.setPageMargins(QMarginsF(20, 20, 20, 20), QPageLayout.Unit.Millimeter)
    doc = QTextDocument()
    # Lay out with the printer's own metrics: measured at screen resolution, the big code's
    # cells come out narrower than its glyphs on paper and the groups break mid-way.
    doc.documentLayout().setPaintDevice(printer)
    doc.setPageSize(printer.pageRect(QPrinter.Unit.DevicePixel).size())
    doc.setDocumentMargin(0)
    doc.setHtml(recovery_sheet_html(code, school_name, on or date.today()))
    doc.print_(printer)


def ask_and_print(code: str, school_name: str, parent: QWidget | None = None) -> str | None:
    """The system print dialog, then the sheet on the printer the user picked: its name, None if cancelled."""
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setDocName(_("Mã khôi phục dữ liệu"))
    dialog = QPrintDialog(printer, parent)
    dialog.setWindowTitle(_("In mã khôi phục"))
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    print_recovery_sheet(printer, code, school_name)
    return printer.printerName() or printer.outputFileName()
