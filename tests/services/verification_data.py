"""A small demo school with one class issued through the real signing order (demo signer),
and the three ways of tampering with a signed record that the verification must catch."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pypdf import PdfReader, PdfWriter

from app.models.db import open_database
from app.services.demo import create_demo_school
from app.services.issuing import issue_demo, issued_records
from app.services.records import find_class, find_student


@dataclass(frozen=True)
class IssuedSchool:
    path: Path  # the database (its demo CA lives beside it)
    class_id: int
    student_id: int
    student_code: str
    pdf: bytes  # that student's issued record


def issued_school(folder: Path) -> IssuedSchool:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "hocba.sqlite3"
    db = open_database(path)
    try:
        create_demo_school(db, classes=1, students_per_class=3, seed=5)
        class_id = find_class(db, "6A1")
        [result] = issue_demo(db, [class_id])
        assert result.issued == 3, result.problems
        record = issued_records(db, class_id)[0]
        student_id = find_student(db, record.student_code)
    finally:
        db.dispose()
    return IssuedSchool(path, class_id, student_id, record.student_code, record.data)


def flip_byte(pdf: bytes) -> bytes:
    data = bytearray(pdf)
    data[data.index(b"stream", 200) + 20] ^= 0x01  # inside the first content stream, signed by all
    return bytes(data)


def swap_xml(pdf: bytes) -> bytes:
    """An incremental update replacing the embedded XML: the signed bytes stay as they were."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    names = writer.root["/Names"]["/EmbeddedFiles"]["/Names"]
    index = next(i for i, v in enumerate(names) if isinstance(v, str) and v.lower().endswith(".xml"))
    ef = names[index + 1].get_object()["/EF"]
    ef["/F"] = writer.add_object(
        generic.StreamObject(
            {generic.pdf_name("/Type"): generic.pdf_name("/EmbeddedFile")},
            stream_data=b'<?xml version="1.0" encoding="UTF-8"?><hocba><diem>10</diem></hocba>',
        )
    )
    writer.update_container(ef)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def rewrite_with_pypdf(pdf: bytes) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


TAMPERINGS = {"one_byte": flip_byte, "xml_swap": swap_xml, "pypdf_rewrite": rewrite_with_pypdf}
