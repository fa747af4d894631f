"""Render a record or a class subject sheet: canonical XML, ReportLab pages, PDF/A-3b file.

The public entry points of app.documents. Pure functions of their input (no clock, no
database, no Qt): the same record always gives the same PDF and XML bytes.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from reportlab.platypus import Flowable

from app.documents import labels
from app.documents.fields import RECORD_FIELDS, SHEET_FIELDS
from app.documents.pdfa import PackageInfo, package_pdfa
from app.documents.record import LEVEL_TITLES, TranscriptRecord
from app.documents.render_common import DocumentInfo, FieldPlacement, build_pdf
from app.documents.render_front import front_page
from app.documents.render_primary import primary_year_page
from app.documents.render_secondary import secondary_year_page
from app.documents.sheet_record import TERM_LABELS, SubjectSheet
from app.documents.subject_sheet import sheet_story
from app.documents.xml_record import record_xml, sheet_xml

__all__ = ["RenderedDocument", "record_file_stem", "render_record", "render_sheet", "sheet_file_stem"]


@dataclass(frozen=True)
class RenderedDocument:
    pdf: bytes
    xml: bytes
    file_stem: str  # file name without extension, ASCII, unique per record version / sheet

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.pdf).hexdigest()


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_") or "x"


def record_file_stem(record: TranscriptRecord) -> str:
    return _safe(f"hocba-{record.student.hocba_code}-{record.year_name}-v{record.meta.version}")


def sheet_file_stem(sheet: SubjectSheet) -> str:
    return _safe(f"bangdiem-{sheet.class_name}-{sheet.subject_code}-{sheet.term}-v{sheet.version}")


def render_record(record: TranscriptRecord) -> RenderedDocument:
    """The học bạ of one student × year: front page, year page, empty signature fields."""
    xml = record_xml(record)
    placements: list[FieldPlacement] = []
    story: list[Flowable] = front_page(record)
    if record.is_primary:
        story.extend(primary_year_page(record, placements))
    else:
        story.extend(secondary_year_page(record, placements))
    school = record.school
    student = record.student
    level = LEVEL_TITLES.get(school.level_code, "").lower()
    title = f"Học bạ {level} — {student.full_name} — lớp {record.class_name}, năm học {record.year_name}"
    meta = record.meta
    footer = f"Học bạ số · {student.full_name} · Mã hồ sơ {meta.record_id} · Phiên bản {meta.version}"
    pdf = build_pdf(
        story,
        DocumentInfo(title=title, author=school.name, subject=title, footer=footer, is_demo=school.is_demo),
    )
    stem = record_file_stem(record)
    info = PackageInfo(
        title=title,
        author=school.name,
        subject=f"Học bạ số {level} (mã định danh học bạ {student.hocba_code}), mã hồ sơ {meta.record_id}",
        keywords=f"học bạ; {record.year_name}; {record.class_name}; {school.school_code}",
        document_id=meta.record_id,
        version=meta.version,
        created=meta.issued_on,
        attachment_name=f"{stem}.xml",
        attachment_description=f"Dữ liệu học bạ (XML) — {student.full_name}, năm học {record.year_name}",
    )
    return RenderedDocument(package_pdfa(pdf, xml, info, placements, RECORD_FIELDS), xml, stem)


def render_sheet(sheet: SubjectSheet) -> RenderedDocument:
    """A class subject sheet with its `GVBM` signature field."""
    xml = sheet_xml(sheet)
    placements: list[FieldPlacement] = []
    story = sheet_story(sheet, placements)
    title = sheet.title
    footer = f"Bảng điểm môn · {sheet.subject_name} · Lớp {sheet.class_name} · Mã {sheet.sheet_id}"
    pdf = build_pdf(
        story,
        DocumentInfo(
            title=title, author=sheet.school.name, subject=title, footer=footer, is_demo=sheet.school.is_demo
        ),
    )
    stem = sheet_file_stem(sheet)
    info = PackageInfo(
        title=title,
        author=sheet.school.name,
        subject=f"{title}, năm học {sheet.year_name}, mã {sheet.sheet_id}",
        keywords=f"bảng điểm; {sheet.year_name}; {sheet.class_name}; {sheet.subject_code}; "
        f"{labels.year_label(sheet.year_name)}; {TERM_LABELS[sheet.term]}",
        document_id=sheet.sheet_id,
        version=sheet.version,
        created=sheet.issued_on,
        attachment_name=f"{stem}.xml",
        attachment_description=f"Dữ liệu bảng điểm (XML) — {title}",
    )
    return RenderedDocument(package_pdfa(pdf, xml, info, placements, SHEET_FIELDS), xml, stem)
