"""The confirmed printout (bản in có xác nhận): a print copy of an issued record.

The signed file is never touched. The print copy is a new PDF: the record's pages with the
visible signature stamps drawn into the page (the signature fields themselves are dropped:
once the pages are copied, the signatures no longer cover the bytes, and a viewer would
call them broken), a one-line note at the top of every page, and a last page with the
verification block: the record id, the SHA-256 of the signed file, who signed, and a QR
code with the hub's verify address for that hash, so whoever holds the paper can check it
against the original.

Pure: no database, no clock (the print time is an input), no Qt.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import segno
from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.generic import (
    DecodedStreamObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    StreamObject,
)
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, Table, TableStyle

from app import __version__
from app.documents.render_common import SANS, SANS_BOLD, SERIF, SERIF_BOLD, esc, register_fonts, styles

__all__ = [
    "NOTE_LINE",
    "PrintInfo",
    "SignerLine",
    "confirmed_printout",
    "qr_matrix",
]

NOTE_LINE = "Bản in có xác nhận — kiểm tra bản gốc bằng mã QR"
QR_ERROR_LEVEL = "m"  # 15 % of the code may be smudged or folded and it still reads
QR_SIZE = 52 * mm  # a version-6 code: ~1.1 mm per module, easy for any phone camera
QR_QUIET_ZONE = 4  # modules of white around the code, as the standard asks
_INK = colors.Color(0.05, 0.2, 0.55)
_WARN = colors.Color(0.72, 0.05, 0.05)
_WIDGET_HIDDEN = 2  # annotation flag bit 2: not shown, not printed


@dataclass(frozen=True)
class SignerLine:
    role_title: str  # "Giáo viên chủ nhiệm", "Hiệu trưởng", "Nhà trường (đóng dấu)"
    name: str
    signed_on: date
    demo: bool = False


@dataclass(frozen=True)
class PrintInfo:
    record_id: str  # the record's UUID (mã hồ sơ)
    version: int
    sha256: str  # of the signed file, lowercase hex
    student_name: str
    student_code: str
    class_name: str
    year_name: str
    school_name: str
    signers: tuple[SignerLine, ...]
    verify_url: str | None  # None: no hub configured, so no QR code
    printed_by: str
    printed_at: datetime  # the school's time, as written on the paper
    is_demo: bool = False
    superseded: bool = False  # a newer version replaces this one


def qr_matrix(text: str) -> tuple[tuple[bool, ...], ...]:
    """The dark modules of the QR code for `text` (without the quiet zone)."""
    code = segno.make(text, error=QR_ERROR_LEVEL, micro=False)
    return tuple(tuple(bool(v) for v in row) for row in code.matrix)


def confirmed_printout(signed_pdf: bytes, info: PrintInfo) -> bytes:
    """The print copy of `signed_pdf`: its pages, a note on each, and the verification page."""
    if len(info.sha256) != 64:
        raise ValueError("sha256 must be 64 hex digits")
    reader = PdfReader(io.BytesIO(signed_pdf))
    writer = PdfWriter()
    # Every added page in one ReportLab document: its fonts are embedded once, not per page.
    sizes = [(float(p.mediabox.width), float(p.mediabox.height)) for p in reader.pages]
    overlays = PdfReader(io.BytesIO(_overlays(info, sizes))).pages
    for number, page in enumerate(reader.pages, start=1):
        # Flattened on the reader's copy, before adding: what the dropped fields referenced
        # (the signature values, the field tree) is then never copied into the print copy.
        stamps = _take_widgets(page, number)
        contents = page.get_contents()
        original = contents.get_data() if contents is not None else b""
        added = writer.add_page(page)
        if stamps:
            stream = DecodedStreamObject()
            stream.set_data(b"q\n" + original + b"\nQ\n" + stamps)
            added.replace_contents(stream)  # type: ignore[arg-type]  # a decoded stream works as well
        added.merge_page(overlays[number - 1])
    writer.add_page(overlays[-1])
    for page in writer.pages:
        page.compress_content_streams()
    # Shared fonts and images once (pypdf 5 and later).
    compress = getattr(writer, "compress_identical_objects", None)
    if compress is not None:
        compress()
    writer.add_metadata({
        "/Title": f"Bản in có xác nhận — học bạ {info.student_name}, lớp {info.class_name}, "
                  f"năm học {info.year_name}",
        "/Author": info.school_name,
        "/Subject": f"Mã hồ sơ {info.record_id}, phiên bản {info.version}, SHA-256 {info.sha256}",
        "/Producer": f"Học bạ số {__version__} (ReportLab, pypdf)",
    })  # fmt: skip
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# --------------------------------------------------------------------------- the record's pages


def _number_list(value: Any, default: list[float]) -> list[float]:
    if value is None:
        return default
    return [float(v) for v in value.get_object()]


def _take_widgets(page: PageObject, number: int) -> bytes:
    """Drop the page's annotations (a print copy has no fields to sign or fill) and return
    the content operators drawing each visible widget's normal appearance (the signature
    stamps) where it was; the appearances go into the page's resources."""
    annots = page.get("/Annots")
    if annots is None:
        return b""
    ops: list[str] = []
    xobjects: dict[str, Any] = {}
    for index, ref in enumerate(annots.get_object()):
        annot = ref.get_object()
        if annot.get("/Subtype") != "/Widget" or int(annot.get("/F", 0)) & _WIDGET_HIDDEN:
            continue
        ap = annot.get("/AP")
        normal = ap.get_object().get("/N") if ap is not None else None
        # Streams are always indirect objects; an empty signature field has no appearance.
        form = normal.get_object() if isinstance(normal, IndirectObject) else None
        if not isinstance(form, StreamObject):
            continue
        x0, y0, x1, y1 = _number_list(annot.get("/Rect"), [0, 0, 0, 0])
        bx0, by0, bx1, by1 = _number_list(form.get("/BBox"), [0, 0, 1, 1])
        a, b, c, d, e, f = _number_list(form.get("/Matrix"), [1, 0, 0, 1, 0, 0])
        # The form's bounding box after its own matrix, then fitted onto the annotation's
        # rectangle (ISO 32000-1, 12.5.5 "Appearance streams").
        corners = [(a * x + c * y + e, b * x + d * y + f) for x in (bx0, bx1) for y in (by0, by1)]
        tx0, ty0 = min(p[0] for p in corners), min(p[1] for p in corners)
        tx1, ty1 = max(p[0] for p in corners), max(p[1] for p in corners)
        if tx1 <= tx0 or ty1 <= ty0:
            continue
        sx, sy = (max(x0, x1) - min(x0, x1)) / (tx1 - tx0), (max(y0, y1) - min(y0, y1)) / (ty1 - ty0)
        ex, ey = min(x0, x1) - sx * tx0, min(y0, y1) - sy * ty0
        name = f"/HocBaP{number}W{index}"
        xobjects[name] = normal
        ops.append(f"q {sx:.6f} 0 0 {sy:.6f} {ex:.4f} {ey:.4f} cm {name} Do Q")
    del page[NameObject("/Annots")]
    if not ops:
        return b""
    resources = page.get("/Resources")
    res = resources.get_object() if resources is not None else DictionaryObject()
    if resources is None:
        page[NameObject("/Resources")] = res
    existing = res.get("/XObject")
    xdict = existing.get_object() if existing is not None else DictionaryObject()
    if existing is None:
        res[NameObject("/XObject")] = xdict
    for name, obj in xobjects.items():
        xdict[NameObject(name)] = obj
    return ("\n".join(ops) + "\n").encode("ascii")


def _canvas(buf: io.BytesIO, size: tuple[float, float]) -> Canvas:
    register_fonts()
    return Canvas(buf, pagesize=size, invariant=True, pageCompression=1, initialFontName=SANS)


def _short_hash(sha256: str) -> str:
    return f"{sha256[:16]}…{sha256[-8:]}"


def _overlays(info: PrintInfo, sizes: list[tuple[float, float]]) -> bytes:
    """One page per record page (its note), then the verification page."""
    buf = io.BytesIO()
    c = _canvas(buf, A4)
    total = len(sizes) + 1
    for number, size in enumerate(sizes, start=1):
        c.setPageSize(size)
        _draw_note(c, info, size, number, total)
        c.showPage()
    c.setPageSize(A4)
    _draw_verification(c, info, total)
    c.showPage()
    c.save()
    return buf.getvalue()


def _draw_note(c: Canvas, info: PrintInfo, size: tuple[float, float], number: int, total: int) -> None:
    """The lines at the top of a record page (inside its 14 mm top margin)."""
    width, height = size
    c.setFillColor(_INK)
    left, right, top = 18 * mm, width - 18 * mm, height - 6 * mm
    c.setFont(SANS_BOLD, 7.5)
    c.drawString(left, top, NOTE_LINE)
    c.setFont(SANS, 7)
    c.drawRightString(right, top, f"trang {number}/{total} · mã QR ở trang {total}")
    c.drawString(left, top - 3.3 * mm, f"Mã hồ sơ {info.record_id} · phiên bản {info.version}")
    c.drawRightString(right, top - 3.3 * mm, f"SHA-256 {_short_hash(info.sha256)}")
    c.setStrokeColor(_INK)
    c.setLineWidth(0.4)
    c.line(left, top - 4.8 * mm, right, top - 4.8 * mm)


# --------------------------------------------------------------------------- the verification page


def _hash_lines(sha256: str) -> str:
    groups = [sha256[i : i + 8] for i in range(0, 64, 8)]
    return " ".join(groups[:4]) + "<br/>" + " ".join(groups[4:])


def _signers_text(signers: tuple[SignerLine, ...]) -> str:
    if not signers:
        return "Chưa có chữ ký nào."
    lines = []
    for s in signers:
        demo = " <font color='#b80d0d'>(chữ ký thử DEMO)</font>" if s.demo else ""
        lines.append(f"{esc(s.role_title)}: <b>{esc(s.name)}</b>, ngày {s.signed_on:%d/%m/%Y}{demo}")
    return "<br/>".join(lines)


def _details_table(info: PrintInfo, width: float) -> Table:
    st = styles()
    rows = [
        ("Học sinh", f"<b>{esc(info.student_name)}</b> (mã học sinh {esc(info.student_code)})"),
        ("Lớp, năm học", f"Lớp {esc(info.class_name)}, năm học {esc(info.year_name)}"),
        ("Trường", esc(info.school_name)),
        ("Mã hồ sơ", f"{esc(info.record_id)} — phiên bản {info.version}"),
        ("SHA-256 của bản gốc", f"<font name='{SANS}'>{_hash_lines(info.sha256)}</font>"),
        ("Người ký", _signers_text(info.signers)),
        ("In lúc", f"{info.printed_at:%H:%M ngày %d/%m/%Y}, người in: {esc(info.printed_by)}"),
    ]
    data = [[Paragraph(label, st.cell_head), Paragraph(value, st.cell)] for label, value in rows]
    table = Table(data, colWidths=[42 * mm, width - 42 * mm])
    table.setStyle(
        TableStyle([
            ("GRID", (0, 0), (-1, -1), 0.5, colors.Color(0.5, 0.5, 0.5)),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("BACKGROUND", (0, 0), (0, -1), colors.Color(0.93, 0.93, 0.93)),
            ("TOPPADDING", (0, 0), (-1, -1), 4),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
        ])
    )  # fmt: skip
    return table


def _draw_qr(c: Canvas, url: str, x: float, y: float, size: float) -> None:
    """The QR code as vector squares (sharp at any printer resolution), quiet zone included."""
    matrix = qr_matrix(url)
    modules = len(matrix) + 2 * QR_QUIET_ZONE
    unit = size / modules
    c.setFillColor(colors.white)
    c.rect(x, y, size, size, stroke=0, fill=1)
    c.setFillColor(colors.black)
    for r, row in enumerate(matrix):
        top = y + size - (r + QR_QUIET_ZONE + 1) * unit
        col = 0
        while col < len(row):  # one rectangle per run of dark modules: smaller file, no hairlines
            if not row[col]:
                col += 1
                continue
            start = col
            while col < len(row) and row[col]:
                col += 1
            c.rect(x + (start + QR_QUIET_ZONE) * unit, top, (col - start) * unit, unit, stroke=0, fill=1)


def _paragraph_at(c: Canvas, text: str, style_name: str, x: float, top: float, width: float) -> float:
    st = styles()
    style = getattr(st, style_name)
    para = Paragraph(text, style)
    _w, h = para.wrap(width, 1000)
    para.drawOn(c, x, top - h)
    return float(top - h)


def _draw_verification(c: Canvas, info: PrintInfo, total: int) -> None:
    width, height = A4
    margin = 18 * mm
    inner = width - 2 * margin
    c.setFillColor(_INK)
    c.setFont(SERIF_BOLD, 15)
    c.drawCentredString(width / 2, height - 28 * mm, "XÁC NHẬN BẢN IN HỌC BẠ SỐ")
    c.setFont(SANS_BOLD, 11)
    c.drawCentredString(width / 2, height - 36 * mm, NOTE_LINE)
    c.setFillColor(colors.black)
    y = height - 44 * mm
    if info.superseded:
        y = _paragraph_at(
            c, "<font color='#b80d0d'><b>Lưu ý:</b> hồ sơ này đã có phiên bản mới thay thế. "
               "Bản in này là của phiên bản cũ.</font>", "body", margin, y, inner,
        ) - 3 * mm  # fmt: skip
    table = _details_table(info, inner)
    _w, h = table.wrap(inner, height)
    table.drawOn(c, margin, y - h)
    y -= h + 10 * mm
    if info.verify_url:
        _draw_qr(c, info.verify_url, margin, y - QR_SIZE, QR_SIZE)
        text_x = margin + QR_SIZE + 8 * mm
        text = (
            "<b>Kiểm tra bản gốc:</b> quét mã QR bằng điện thoại (hoặc gõ địa chỉ dưới đây) để mở "
            "trang xác minh của Sở. Trang đó cho biết Sở có giữ bản gốc mang đúng mã SHA-256 ở trên "
            "không, và bản đó còn hiệu lực hay đã được thay thế.<br/><br/>"
            f"<font name='{SANS}' size='8'>{esc(info.verify_url)}</font>"
        )
        bottom = _paragraph_at(c, text, "body", text_x, y, inner - QR_SIZE - 8 * mm)
        y = min(bottom, y - QR_SIZE) - 8 * mm
    else:
        c.setStrokeColor(_WARN)
        c.setDash(3, 2)
        c.rect(margin, y - 26 * mm, inner, 26 * mm, stroke=1, fill=0)
        c.setDash()
        _paragraph_at(
            c, "<b>Không có mã QR:</b> trường chưa kết nối với máy chủ của Sở nên chưa có địa chỉ xác "
               "minh trực tuyến. Để kiểm tra bản in này, hãy so mã SHA-256 ở trên với tệp học bạ gốc "
               "(chức năng Xác minh của phần mềm Học bạ số, hoặc hỏi nhà trường).",
            "body", margin + 4 * mm, y - 4 * mm, inner - 8 * mm,
        )  # fmt: skip
        y -= 34 * mm
    _paragraph_at(
        c, "Bản in này không mang chữ ký số. Giá trị pháp lý thuộc về tệp học bạ gốc (PDF có chữ ký "
           "số của giáo viên chủ nhiệm, lãnh đạo nhà trường và con dấu của trường); mã SHA-256 nhận "
           "diện đúng tệp gốc đó: chỉ cần một byte thay đổi là mã khác hẳn.",
        "note", margin, y, inner,
    )  # fmt: skip
    if info.is_demo:
        c.saveState()
        c.setFillColor(colors.Color(0.85, 0.0, 0.0, alpha=0.25))
        c.setFont(SANS_BOLD, 60)
        c.drawCentredString(width / 2, 30 * mm, "DEMO")
        c.restoreState()
    c.setFont(SERIF, 8)
    c.setFillColor(colors.Color(0.35, 0.35, 0.35))
    c.drawCentredString(
        width / 2, 10 * mm, f"Học bạ số · Mã hồ sơ {info.record_id} · Trang {total}/{total} (trang xác nhận)"
    )
