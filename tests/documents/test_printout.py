"""The print copy's page handling on a hand-built PDF: widget appearances (the signature
stamps) land where the widget was, a hidden widget stays hidden, the fields are gone."""

from __future__ import annotations

import io
import subprocess
from datetime import date, datetime
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, FloatObject, NameObject, NumberObject, StreamObject

from app.documents.printout import PrintInfo, SignerLine, confirmed_printout

SHA = "ab" * 32


def _info(url: str | None = "https://hub.example.vn/v1/verify/" + SHA) -> PrintInfo:
    return PrintInfo(
        record_id="11111111-2222-3333-4444-555555555555", version=2, sha256=SHA,
        student_name="Nguyễn Thị Ánh", student_code="HS01", class_name="6A1", year_name="2026-2027",
        school_name="Trường THCS Thử", signers=(SignerLine("Hiệu trưởng", "Lê Văn Bình", date(2027, 5, 31)),),
        verify_url=url, printed_by="Văn thư", printed_at=datetime(2027, 6, 2, 9, 30),
    )  # fmt: skip


def _widget(
    writer: PdfWriter, rect: tuple[float, ...], bbox: tuple[float, ...], flags: int = 4
) -> DictionaryObject:
    form = StreamObject()
    form.set_data(f"0 0 0 rg {bbox[0]} {bbox[1]} {bbox[2] - bbox[0]} {bbox[3] - bbox[1]} re f".encode())
    form.update({
        NameObject("/Type"): NameObject("/XObject"), NameObject("/Subtype"): NameObject("/Form"),
        NameObject("/BBox"): ArrayObject(FloatObject(v) for v in bbox),
    })  # fmt: skip
    annot = DictionaryObject({
        NameObject("/Type"): NameObject("/Annot"), NameObject("/Subtype"): NameObject("/Widget"),
        NameObject("/Rect"): ArrayObject(FloatObject(v) for v in rect), NameObject("/F"): NumberObject(flags),
        NameObject("/AP"): DictionaryObject({NameObject("/N"): writer._add_object(form)}),
    })  # fmt: skip
    return annot


def _source() -> bytes:
    writer = PdfWriter()
    page = writer.add_blank_page(595, 842)
    visible = _widget(writer, (200, 300, 300, 350), (10, 10, 60, 35))  # scaled ×2 onto the rectangle
    hidden = _widget(writer, (50, 500, 150, 550), (0, 0, 100, 50), flags=2)
    page[NameObject("/Annots")] = ArrayObject([writer._add_object(visible), writer._add_object(hidden)])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _render(pdf: bytes, tmp_path: Path, page: int) -> Image.Image:
    src = tmp_path / "copy.pdf"
    src.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "72", "-png", "-singlefile", "-f", str(page), "-l", str(page), str(src),
         str(tmp_path / "page")],
        check=True,
    )  # fmt: skip
    return Image.open(tmp_path / "page.png").convert("L")


def test_stamps_are_drawn_in_place_and_fields_dropped(tmp_path: Path) -> None:
    copy = confirmed_printout(_source(), _info())
    reader = PdfReader(io.BytesIO(copy))
    assert len(reader.pages) == 2
    assert all("/Annots" not in p for p in reader.pages)
    image = _render(copy, tmp_path, 1)
    height = image.height
    assert image.getpixel((250, height - 325)) < 50  # inside the widget rectangle: the appearance
    assert image.getpixel((202, height - 302)) < 50  # its corner: the form's box fills the whole rectangle
    assert image.getpixel((195, height - 325)) > 200  # just outside
    assert image.getpixel((100, height - 525)) > 200  # the hidden widget is not printed
    assert "Bản in có xác nhận" in reader.pages[0].extract_text()


def test_a_bad_hash_is_refused() -> None:
    with pytest.raises(ValueError):
        confirmed_printout(_source(), PrintInfo(**{**_info().__dict__, "sha256": "abc"}))
