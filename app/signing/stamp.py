"""The visible signature stamp: drawn once per batch with ReportLab, reused for every document.

pyHanko's text stamps lay out and subset a font for each signature; a static stamp is a
small PDF page imported as a form XObject into each document, so the per-document cost is
one object copy. The stamp says who signed, in which role and on which day; a demo
signature says DEMO in red.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

from pyhanko.pdf_utils import content, generic, layout
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.stamp import StaticStampStyle
from reportlab.lib.colors import Color
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from app.paths import resource

WIDTH, HEIGHT = 220.0, 78.0
# One face only: every embedded font subset adds about 12 kB to every signed document.
FONT, FONT_FILE = "HocBaStamp", "NotoSans-Regular.ttf"


@dataclass(frozen=True)
class StampText:
    signer_name: str
    title: str
    day: date
    demo: bool = False
    organisation: str | None = None


def _register_font() -> None:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT, str(resource("fonts", FONT_FILE))))


def _fit(c: canvas.Canvas, text: str, font: str, size: float, width: float) -> float:
    """The largest size up to `size` at which `text` fits `width` (long names do happen)."""
    while size > 5 and c.stringWidth(text, font, size) > width:
        size -= 0.5
    return size


def render_stamp_pdf(text: StampText) -> bytes:
    _register_font()
    buf = io.BytesIO()
    # The initial font is ours too: an unused, unembedded Helvetica would follow the stamp
    # into every PDF/A record.
    c = canvas.Canvas(buf, pagesize=(WIDTH, HEIGHT), invariant=True, pageCompression=1, initialFontName=FONT)
    ink = Color(0.72, 0.05, 0.05) if text.demo else Color(0.05, 0.2, 0.55)
    c.setStrokeColor(ink)
    c.setLineWidth(1.2)
    c.roundRect(1, 1, WIDTH - 2, HEIGHT - 2, 6)
    inner = WIDTH - 16
    organisation = f" — {text.organisation}" if text.organisation else ""
    lines = [
        ("Đã ký bởi:", 7.5),
        (text.signer_name, 11.0),
        (text.title + organisation, 8.0),
        (f"Ngày ký: {text.day:%d/%m/%Y}", 8.0),
    ]
    y = HEIGHT - 14
    c.setFillColor(ink)
    for line, size in lines:
        size = _fit(c, line, FONT, size, inner)
        c.setFont(FONT, size)
        c.drawString(8, y, line)
        y -= size + 3.5
    if text.demo:
        c.saveState()
        c.setFillColor(Color(0.85, 0.0, 0.0, alpha=0.35))
        c.setFont(FONT, 30)
        c.drawRightString(WIDTH - 8, 8, "DEMO")
        c.restoreState()
        c.setFont(FONT, 6)
        c.drawString(8, 5, "Chữ ký thử — không có giá trị pháp lý")
    c.showPage()
    c.save()
    return buf.getvalue()


class _StampPage(content.PdfContent):
    """The stamp page imported as a form XObject into whichever writer signs now."""

    def __init__(self, reader: PdfFileReader) -> None:
        super().__init__(box=layout.BoxConstraints(width=WIDTH, height=HEIGHT))
        self._reader = reader

    def render(self) -> bytes:
        # Fresh resources for every document: entries of the previous writer must not leak.
        self._resources = content.PdfResources()  # type: ignore[no-untyped-call]
        xobj = self._ensure_writer.import_page_as_xobject(self._reader)
        self.set_resource(content.ResourceType.XOBJECT, generic.pdf_name("/HocBaStamp"), xobj)
        return b"/HocBaStamp Do"


@dataclass(frozen=True)
class PreparedStamp:
    text: StampText
    pdf: bytes
    style: StaticStampStyle


def prepare_stamp(text: StampText) -> PreparedStamp:
    pdf = render_stamp_pdf(text)
    reader = PdfFileReader(io.BytesIO(pdf))
    style = StaticStampStyle(
        background=_StampPage(reader),
        background_opacity=1.0,
        border_width=0,
        background_layout=layout.SimpleBoxLayoutRule(
            x_align=layout.AxisAlignment.ALIGN_MID,
            y_align=layout.AxisAlignment.ALIGN_MID,
            margins=layout.Margins(1, 1, 1, 1),
            inner_content_scaling=layout.InnerScaling.STRETCH_TO_FIT,
        ),
    )
    return PreparedStamp(text, pdf, style)
