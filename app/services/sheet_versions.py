"""Versions of the class subject sheets: which one is current, and whether it is out of date.

A signed sheet never changes. When its values change afterwards (a summer re-assessment
fills the year sheet's "kiểm tra lại" column, or an approved correction changes a student's
scores), the subject teacher signs a new version (version + 1, naming the one it
supersedes); the records signed later refer to that version. A signed sheet is out of date
when the sheet built from the database now differs from the XML embedded in its signed file
(the same XML the PDF was rendered with, so comparing it is exact and costs no rendering).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.documents.record import sheet_uuid
from app.documents.sheet_record import SubjectSheet
from app.documents.xml_record import sheet_xml
from app.models import Document, DocumentFile, Subject
from app.models import documents as d
from app.models.db import Database
from app.services.document_store import read_document

SheetKey = tuple[str, str]  # (subject code, term)


@dataclass(frozen=True)
class SheetDoc:
    """The current (newest, not superseded) version of one class × subject × term sheet."""

    id: int
    uuid: str
    version: int
    state: str
    sha256: str | None
    store_key: str | None


def current_sheet_docs(s: Session, class_id: int) -> dict[SheetKey, SheetDoc]:
    rows = s.execute(
        select(Document, Subject.code, DocumentFile.store_key)
        .join(Subject, Subject.id == Document.subject_id)
        .outerjoin(
            DocumentFile,
            (DocumentFile.document_id == Document.id) & (DocumentFile.sha256 == Document.current_sha256),
        )
        .where(Document.class_id == class_id, Document.kind == d.KIND_SHEET, Document.superseded.is_(False))
    ).all()
    found: dict[SheetKey, SheetDoc] = {}
    for doc, code, key in rows:
        sheet_key = (code, doc.term or "")
        best = found.get(sheet_key)
        if best is None or doc.version > best.version:
            found[sheet_key] = SheetDoc(doc.id, doc.uuid, doc.version, doc.state, doc.current_sha256, key)
    return found


def as_version(sheet: SubjectSheet, version: int) -> SubjectSheet:
    """The sheet as version `version` (its own id: a new version is a new document)."""
    if version == sheet.version:
        return sheet
    school = sheet.school.school_code
    new_id = sheet_uuid(school, sheet.year_name, sheet.class_name, sheet.subject_code, sheet.term, version)
    return replace(sheet, sheet_id=new_id, version=version)


# Signed files never change: their embedded XML is read once per process.
_SIGNED_XML: dict[str, bytes | None] = {}


def _embedded_xml(db: Database, doc: SheetDoc) -> bytes | None:
    if doc.sha256 is None or doc.store_key is None:
        return None
    if doc.sha256 not in _SIGNED_XML:
        data = read_document(db, doc.store_key, doc.sha256)
        files = PdfReader(io.BytesIO(data)).attachments
        xml = next((blobs[0] for name, blobs in files.items() if name.endswith(".xml") and blobs), None)
        _SIGNED_XML[doc.sha256] = xml
    return _SIGNED_XML[doc.sha256]


def stale_sheets(
    db: Database, sheets: Iterable[SubjectSheet], current: Mapping[SheetKey, SheetDoc]
) -> set[SheetKey]:
    """The signed sheets whose values changed since they were signed (a new version is due)."""
    stale: set[SheetKey] = set()
    for sheet in sheets:
        key = (sheet.subject_code, sheet.term)
        doc = current.get(key)
        if doc is None or doc.state != d.GVBM_SIGNED:
            continue
        signed = _embedded_xml(db, doc)
        if signed is not None and signed != sheet_xml(as_version(sheet, doc.version)):
            stale.add(key)
    return stale
