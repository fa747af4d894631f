"""Printing a PDF on any QPrinter: each page rendered at the printer's resolution and
scaled to fit its page. Shared by the record viewer and the confirmed printout."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QSize, Qt
from PySide6.QtGui import QPainter
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPrintSupport import QPrinter


def paint_pdf(pdf: QPdfDocument, printer: QPrinter) -> int | None:
    """The number of pages printed, or None when the printer could not be opened."""
    painter = QPainter()
    if not painter.begin(printer):
        return None
    dpi = printer.resolution()
    try:
        for page in range(pdf.pageCount()):
            if page:
                printer.newPage()
            size_pt = pdf.pagePointSize(page)
            image = pdf.render(page, QSize(int(size_pt.width() * dpi / 72), int(size_pt.height() * dpi / 72)))
            fitted = image.size().scaled(painter.viewport().size(), Qt.AspectRatioMode.KeepAspectRatio)
            smooth = Qt.TransformationMode.SmoothTransformation
            painter.drawImage(QPointF(0, 0), image.scaled(fitted, Qt.AspectRatioMode.KeepAspectRatio, smooth))
    finally:
        painter.end()
    return pdf.pageCount()
