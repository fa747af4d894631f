"""What every document page shares: fonts, styles, the page frame with its footer
("Mã hồ sơ … · Phiên bản … · Trang x/y"), the DEMO watermark, and the signature blocks
that tell the packaging step where to put the empty signature fields.

ReportLab runs with `invariant=1` (no clock, no random ids) and only the shipped Noto
fonts (the canvas's initial font too, so the standard Helvetica is never referenced);
colours are RGB only, for the sRGB output intent of PDF/A.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageTemplate, Paragraph, Table, TableStyle
from reportlab.platypus.doctemplate import LayoutError

from app.errors import UserFacingError
from app.paths import resource

__all__ = [
    "BASE_TABLE",
    "BLACK",
    "CONTENT_WIDTH",
    "GREY",
    "PAGE_HEIGHT",
    "PAGE_WIDTH",
    "SANS",
    "SERIF",
    "SERIF_BOLD",
    "SERIF_ITALIC",
    "DocumentInfo",
    "FieldPlacement",
    "RenderError",
    "SignatureBlock",
    "SignatureColumn",
    "Styles",
    "TableWithTail",
    "build_pdf",
    "esc",
    "grid_style",
    "long_date",
    "styles",
    "table",
]

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_X = 18 * mm
MARGIN_TOP = 14 * mm
MARGIN_BOTTOM = 16 * mm
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN_X

SERIF = "NotoSerif"
SERIF_BOLD = "NotoSerif-Bold"
SERIF_ITALIC = "NotoSerif-Italic"
SANS = "NotoSans"
SANS_BOLD = "NotoSans-Bold"
_FONT_FILES = {
    SERIF: "NotoSerif-Regular.ttf",
    SERIF_BOLD: "NotoSerif-Bold.ttf",
    SERIF_ITALIC: "NotoSerif-Italic.ttf",
    SANS: "NotoSans-Regular.ttf",
    SANS_BOLD: "NotoSans-Bold.ttf",
}

BLACK = colors.Color(0, 0, 0)
GREY = colors.Color(0.35, 0.35, 0.35)
LIGHT = colors.Color(0.93, 0.93, 0.93)
WATERMARK = colors.Color(0.9, 0.9, 0.9)


class RenderError(UserFacingError):
    """The document cannot be laid out: one table row (a very long comment) is taller than
    a page, and rows are never split across pages."""


@lru_cache(maxsize=1)
def register_fonts() -> None:
    # Binary streams (Flate only): ASCII85 on top makes files a quarter larger and slower
    # to write, and buys nothing in a file that is binary anyway.
    rl_config.useA85 = 0
    for name, filename in _FONT_FILES.items():
        pdfmetrics.registerFont(TTFont(name, str(resource("fonts", filename))))
    # No bold italic is shipped; <b><i> falls back to bold rather than to a base-14 font.
    pdfmetrics.registerFontFamily(
        SERIF, normal=SERIF, bold=SERIF_BOLD, italic=SERIF_ITALIC, boldItalic=SERIF_BOLD
    )
    pdfmetrics.registerFontFamily(SANS, normal=SANS, bold=SANS_BOLD, italic=SANS, boldItalic=SANS_BOLD)


@dataclass(frozen=True)
class Styles:
    body: ParagraphStyle
    small: ParagraphStyle
    label: ParagraphStyle
    cell: ParagraphStyle
    cell_center: ParagraphStyle
    cell_head: ParagraphStyle
    heading: ParagraphStyle
    section: ParagraphStyle
    title: ParagraphStyle
    subtitle: ParagraphStyle
    motto: ParagraphStyle
    note: ParagraphStyle
    sig_title: ParagraphStyle
    sig_hint: ParagraphStyle
    sig_name: ParagraphStyle


@lru_cache(maxsize=1)
def styles() -> Styles:
    register_fonts()
    base = ParagraphStyle("body", fontName=SERIF, fontSize=10.5, leading=14.5, textColor=BLACK)

    def style(name: str, **kw: Any) -> ParagraphStyle:
        return ParagraphStyle(name, parent=base, **kw)

    return Styles(
        body=style("body2", alignment=TA_JUSTIFY),
        small=style("small", fontSize=9, leading=12),
        label=style("label", fontSize=10.5, leading=15),
        cell=style("cell", fontSize=9.5, leading=12.5),
        cell_center=style("cellc", fontSize=9.5, leading=12.5, alignment=TA_CENTER),
        cell_head=style("cellh", fontName=SERIF_BOLD, fontSize=9, leading=11.5, alignment=TA_CENTER),
        heading=style(
            "heading",
            fontName=SERIF_BOLD,
            fontSize=12,
            leading=16,
            alignment=TA_CENTER,
            spaceBefore=2,
            spaceAfter=5,
        ),
        section=style("section", fontName=SERIF_BOLD, fontSize=10.5, leading=14, spaceBefore=8, spaceAfter=4),
        title=style("title", fontName=SERIF_BOLD, fontSize=30, leading=38, alignment=TA_CENTER),
        subtitle=style("subtitle", fontName=SERIF_BOLD, fontSize=16, leading=22, alignment=TA_CENTER),
        motto=style("motto", fontName=SERIF_BOLD, fontSize=11.5, leading=15, alignment=TA_CENTER),
        note=style("note", fontName=SERIF_ITALIC, fontSize=8.5, leading=11, textColor=GREY),
        sig_title=style("sigt", fontName=SERIF_BOLD, fontSize=10.5, leading=13.5, alignment=TA_CENTER),
        sig_hint=style("sigh", fontName=SERIF_ITALIC, fontSize=9.5, leading=12.5, alignment=TA_CENTER),
        sig_name=style("sign", fontName=SERIF_BOLD, fontSize=10.5, leading=13.5, alignment=TA_CENTER),
    )


def esc(text: str | None) -> str:
    """Text for a ReportLab Paragraph (which reads a little markup): escape it."""
    if not text:
        return ""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\n", "<br/>")


def long_date(place: str, day: date) -> str:
    """ "Hà Nội, ngày 31 tháng 5 năm 2027" — the dating line of Vietnamese documents."""
    # Administrative style (Nghị định 30/2020): a leading zero for days below 10 and for
    # January and February only.
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"{place}, ngày {day.day:02d} tháng {month} năm {day.year}"


# Plain-string cells ("" in spanned cells) would otherwise select ReportLab's default
# Helvetica, a non-embedded base-14 font that PDF/A forbids.
# Plain strings are also much cheaper than Paragraphs for short values (no line breaking).
BASE_TABLE: tuple[tuple[Any, ...], ...] = (
    ("FONTNAME", (0, 0), (-1, -1), SERIF),
    ("FONTSIZE", (0, 0), (-1, -1), 9.5),
    ("LEADING", (0, 0), (-1, -1), 12.5),
)


def grid_style(header_rows: int = 1, extra: Sequence[tuple[Any, ...]] = ()) -> TableStyle:
    commands: list[tuple[Any, ...]] = [
        *BASE_TABLE,
        ("GRID", (0, 0), (-1, -1), 0.5, BLACK),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("BACKGROUND", (0, 0), (-1, header_rows - 1), LIGHT),
    ]
    commands.extend(extra)
    return TableStyle(commands)


# ----------------------------------------------------------------- signature blocks


@dataclass(frozen=True)
class FieldPlacement:
    """Where an empty signature field goes: page index from 0, rectangle in PDF points."""

    name: str
    page: int
    rect: tuple[float, float, float, float]


@dataclass(frozen=True)
class SignatureColumn:
    """One signer's block: optional dating line, title, hint, the field(s), the name.

    A column with an empty `field` is a blank spacer (to put a lone signer on the right).
    """

    title: str
    hint: str
    name: str
    field: str
    dating: str | None = None
    seal_field: str | None = None  # the school's seal, over the left of the signature


class SignatureBlock(Flowable):  # type: ignore[misc]  # ReportLab is untyped
    """Signature blocks side by side; records where its fields land when drawn.

    It never splits: it moves to the next page whole, so a signer's title is never
    separated from the space for the signature.
    """

    FIELD_HEIGHT = 22 * mm
    FIELD_WIDTH = 58 * mm
    SEAL_SIZE = 26 * mm

    def __init__(self, columns: Sequence[SignatureColumn], placements: list[FieldPlacement]) -> None:
        super().__init__()
        self.columns = tuple(columns)
        self.placements = placements
        st = styles()
        self._parts: list[tuple[list[Paragraph], Paragraph]] = []
        for col in self.columns:
            top = []
            if col.dating:
                top.append(Paragraph(esc(col.dating), st.sig_hint))
            top.append(Paragraph(esc(col.title), st.sig_title))
            top.append(Paragraph(esc(col.hint), st.sig_hint))
            self._parts.append((top, Paragraph(esc(col.name), st.sig_name)))

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        self.width = avail_width
        col_w = avail_width / len(self.columns)
        self._tops = max(sum(p.wrap(col_w, 1000)[1] for p in top) for top, _ in self._parts)
        self._name_h = max(name.wrap(col_w, 1000)[1] for _, name in self._parts)
        self.height = self._tops + self.FIELD_HEIGHT + self._name_h + 3 * mm
        return self.width, self.height

    def split(self, avail_width: float, avail_height: float) -> list[Flowable]:
        return []

    def draw(self) -> None:
        canv = self.canv
        col_w = self.width / len(self.columns)
        page = canv.getPageNumber() - 1
        for i, (col, (top, name)) in enumerate(zip(self.columns, self._parts, strict=True)):
            x0 = i * col_w
            # Bottom-align the headings: a dating line pushes its column's title down level
            # with the others' titles.
            y = self.height - (self._tops - sum(p.wrap(col_w, 1000)[1] for p in top))
            for p in top:
                _, h = p.wrap(col_w, 1000)
                y -= h
                p.drawOn(canv, x0, y)
            # Dating lines make some columns taller: align every field below the tallest top.
            field_top = self.height - self._tops - 1 * mm
            fx = x0 + (col_w - self.FIELD_WIDTH) / 2
            fy = field_top - self.FIELD_HEIGHT
            if col.field:
                self._place(col.field, page, fx, fy, fx + self.FIELD_WIDTH, field_top)
            if col.seal_field:
                # By custom the seal covers about a third of the signature, on its left.
                sx = fx - self.SEAL_SIZE * 2 / 3
                sy = fy + (self.FIELD_HEIGHT - self.SEAL_SIZE) / 2
                self._place(col.seal_field, page, sx, sy, sx + self.SEAL_SIZE, sy + self.SEAL_SIZE)
            _, h = name.wrap(col_w, 1000)
            name.drawOn(canv, x0, fy - 2 * mm - h)

    def _place(self, field: str, page: int, x1: float, y1: float, x2: float, y2: float) -> None:
        ax1, ay1 = self.canv.absolutePosition(x1, y1)
        ax2, ay2 = self.canv.absolutePosition(x2, y2)
        self.placements.append(
            FieldPlacement(field, page, (round(ax1, 2), round(ay1, 2), round(ax2, 2), round(ay2, 2)))
        )


# --------------------------------------------------------------------- the document


@dataclass(frozen=True)
class DocumentInfo:
    title: str
    author: str  # the school
    subject: str
    footer: str  # left part of the footer; "Trang x/y" is added on the right
    is_demo: bool


class _NumberedCanvas(Canvas):  # type: ignore[misc]  # ReportLab is untyped
    """Holds pages back until the end so each footer can say "Trang x/y"."""

    def __init__(self, *args: Any, info: DocumentInfo, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._info = info
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self._footer(number, total)
            super().showPage()
        super().save()

    def _footer(self, number: int, total: int) -> None:
        self.saveState()
        self.setFillColor(GREY)
        self.setStrokeColor(GREY)
        self.setLineWidth(0.4)
        y = MARGIN_BOTTOM - 6 * mm
        self.line(MARGIN_X, y + 9, PAGE_WIDTH - MARGIN_X, y + 9)
        self.setFont(SANS, 7.5)
        self.drawString(MARGIN_X, y, self._info.footer)
        self.drawRightString(PAGE_WIDTH - MARGIN_X, y, f"Trang {number}/{total}")
        self.restoreState()


def _decorate(info: DocumentInfo) -> Callable[[Canvas, BaseDocTemplate], None]:
    def on_page(canv: Canvas, _doc: BaseDocTemplate) -> None:
        if not info.is_demo:
            return
        canv.saveState()
        canv.setFillColor(WATERMARK)
        canv.setFont(SANS_BOLD, 64)
        canv.translate(PAGE_WIDTH / 2, PAGE_HEIGHT / 2)
        canv.rotate(50)
        canv.drawCentredString(0, 12, "DEMO")
        canv.setFont(SANS_BOLD, 20)
        canv.drawCentredString(0, -22, "Dữ liệu mẫu — không có giá trị pháp lý")
        canv.restoreState()

    return on_page


def build_pdf(story: list[Flowable], info: DocumentInfo) -> bytes:
    """Lay out `story` on A4 pages with the footer and watermark; the raw PDF bytes."""
    register_fonts()
    buffer = io.BytesIO()
    doc = BaseDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN_X,
        rightMargin=MARGIN_X,
        topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM,
        title=info.title,
        author=info.author,
        subject=info.subject,
        creator="Học bạ số",
        invariant=1,
        pageCompression=1,
        enforceColorSpace="rgb",
        initialFontName=SERIF,
        initialFontSize=10.5,
        initialLeading=14.5,
        lang="vi-VN",
    )
    frame = Frame(
        MARGIN_X,
        MARGIN_BOTTOM,
        CONTENT_WIDTH,
        PAGE_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM,
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
        id="body",
    )
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=_decorate(info))])

    def canvas_maker(*args: Any, **kwargs: Any) -> Canvas:
        return _NumberedCanvas(*args, info=info, **kwargs)

    try:
        doc.build(story, canvasmaker=canvas_maker)
    except LayoutError as exc:
        raise RenderError(
            f"Không dàn trang được “{info.title}”: một dòng của bảng dài hơn một trang giấy (thường do "
            "một nhận xét quá dài). Hãy rút gọn nhận xét đó rồi thử lại.",
            field="layout",
        ) from exc
    return buffer.getvalue()


def table(rows: list[list[Any]], widths: Sequence[float], style: TableStyle, repeat: int = 1) -> Table:
    """A table that repeats its header on each page and never splits a row across pages."""
    t = Table(rows, colWidths=list(widths), repeatRows=repeat, splitInRow=0, hAlign="LEFT")
    t.setStyle(style)
    return t


class TableWithTail(Flowable):  # type: ignore[misc]  # ReportLab is untyped
    """A long table followed by closing flowables (a note, a signature block) that must not
    end up alone on the last page: the table is split so that at least `keep_rows` of its
    rows go with the tail. Rows are never split; the header repeats on each page.
    """

    def __init__(
        self, body: Table, tail: Sequence[Flowable], *, header_rows: int, keep_rows: int = 3
    ) -> None:
        super().__init__()
        self.body = body
        self.tail = list(tail)
        self.header_rows = header_rows
        self.keep_rows = keep_rows

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        _, self._body_h = self.body.wrap(avail_width, avail_height)
        self._tail_hs = [f.wrap(avail_width, avail_height)[1] for f in self.tail]
        self.width = avail_width
        self.height = self._body_h + sum(self._tail_hs)
        return self.width, self.height

    def split(self, avail_width: float, avail_height: float) -> list[Flowable]:
        self.wrap(avail_width, avail_height)
        heights = list(self.body._rowHeights)
        last_cut = len(heights) - self.keep_rows
        used, cut = 0.0, 0
        for i, h in enumerate(heights):
            if i >= last_cut or used + h > avail_height:
                break
            used += h
            cut = i + 1
        if cut <= self.header_rows:
            return []  # not one body row fits here: start on the next page
        parts = self.body.split(avail_width, used + 0.01)
        if len(parts) != 2:
            return []
        first, rest = parts
        return [first, TableWithTail(rest, self.tail, header_rows=self.header_rows, keep_rows=self.keep_rows)]

    def draw(self) -> None:
        y = self.height - self._body_h
        self.body.drawOn(self.canv, 0, y)
        for flowable, h in zip(self.tail, self._tail_hs, strict=True):
            y -= h
            flowable.drawOn(self.canv, 0, y)
