"""Test documents shaped like the real ones: a page, the record's XML attached, and the
empty signature fields created before any signature (the seal's field carrying its lock).
"""

from __future__ import annotations

import io
from typing import Literal

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign.fields import FieldMDPAction, FieldMDPSpec, MDPPerm, SigFieldSpec, append_signature_field
from pypdf import PdfReader, PdfWriter
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from app.paths import resource

RECORD_FIELDS = ("GVCN", "HieuTruong", "ConDau")
# The seal field's /Lock: all fields and /P 1 (no changes), all fields only (the shape
# app.documents makes today), or none at all.
SealLock = Literal["all+p1", "all"] | None
XML_NAME = "hocba.xml"


def record_xml(student: str) -> bytes:
    body = f"<HocBa><HoTen>{student}</HoTen><Toan>8.5</Toan></HocBa>"
    return ('<?xml version="1.0" encoding="UTF-8"?>' + body).encode()


def _page(title: str, lines: list[str]) -> bytes:
    if "TestNoto" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("TestNoto", str(resource("fonts", "NotoSerif-Regular.ttf"))))
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(595, 842), invariant=True)
    c.setFont("TestNoto", 16)
    c.drawString(60, 780, title)
    c.setFont("TestNoto", 11)
    for i, line in enumerate(lines):
        c.drawString(60, 750 - 16 * i, line)
    c.showPage()
    c.save()
    return buf.getvalue()


def _attach(pdf: bytes, name: str, data: bytes) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.add_attachment(name, data)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def with_fields(pdf: bytes, fields: tuple[str, ...], *, seal_lock: SealLock = "all+p1") -> bytes:
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    for i, name in enumerate(fields):
        lock: dict[str, object] = {}
        if name == "ConDau" and seal_lock is not None:
            lock["field_mdp_spec"] = FieldMDPSpec(FieldMDPAction.ALL)
            if seal_lock == "all+p1":
                lock["doc_mdp_update_value"] = MDPPerm.NO_CHANGES
        x = 40 + i * 180
        append_signature_field(writer, SigFieldSpec(name, box=(x, 60, x + 170, 120), **lock))  # type: ignore[arg-type]
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def student_record(
    student: str = "Nguyễn Thị Ánh", *, seal_lock: SealLock = "all+p1", extra_fields: tuple[str, ...] = ()
) -> bytes:
    """A học bạ page with the XML attached and the fields GVCN, HieuTruong, ConDau (+ extras)."""
    page = _page("HỌC BẠ — năm học 2025-2026", [f"Họ và tên: {student}", "Toán: 8,5", "Xếp loại: Tốt"])
    return with_fields(
        _attach(page, XML_NAME, record_xml(student)), RECORD_FIELDS + extra_fields, seal_lock=seal_lock
    )


def subject_sheet(subject: str = "Toán", class_name: str = "6A") -> bytes:
    page = _page(
        f"BẢNG ĐIỂM MÔN {subject.upper()} — LỚP {class_name}",
        ["1. Nguyễn Văn An: 8,0", "2. Trần Thị Bình: 9,0"],
    )
    return with_fields(page, ("GVBM",))
