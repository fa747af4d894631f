"""What a transfer package carries, gathered from the database: records, sheets, evidence, manifest.

The records are the student's current issued year records here plus those received from
earlier schools (kept as received); the sheets are those the records' embedded data name by
SHA-256; the certificates and revocation data are what the documents' signatures carry.
The manifest is canonical JSON (app.services.transfer_package.canonical_json): the seal
signs exactly these bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import UserFacingError
from app.models import (
    Document,
    DocumentFile,
    Enrolment,
    ReceivedDocument,
    SchoolClass,
    SchoolYear,
    Student,
    StudyHistory,
)
from app.models import documents as d
from app.models.base import utcnow
from app.models.db import Database
from app.models.transfers import RECEIVED_SHEET
from app.services.certificates import school_of
from app.services.document_store import read_document
from app.services.transfer_package import (
    FORMAT,
    FORMAT_VERSION,
    canonical_json,
    embedded_xml,
    member_name,
    sha256_hex,
)
from app.signing.evidence import pdf_evidence


@dataclass(frozen=True)
class PackDoc:
    kind: str
    document_id: str
    version: int
    year_name: str
    class_name: str
    school_name: str
    school_code: str
    sha256: str
    store_key: str
    received: bool
    subject_code: str | None = None
    term: str | None = None


def open_enrolment(s: Session, student_id: int) -> tuple[Enrolment, SchoolClass, SchoolYear] | None:
    row = s.execute(
        select(Enrolment, SchoolClass, SchoolYear)
        .join(SchoolClass, SchoolClass.id == Enrolment.class_id)
        .join(SchoolYear, SchoolYear.id == SchoolClass.school_year_id)
        .where(Enrolment.student_id == student_id, Enrolment.end_date.is_(None))
        .order_by(SchoolYear.start_date.desc())
    ).first()
    return None if row is None else (row[0], row[1], row[2])


def student_records(s: Session, student_id: int) -> list[PackDoc]:
    school = school_of(s)
    own = s.execute(
        select(Document, DocumentFile.store_key, SchoolClass.name, SchoolYear.name)
        .join(Enrolment, Enrolment.id == Document.enrolment_id)
        .join(
            DocumentFile,
            (DocumentFile.document_id == Document.id) & (DocumentFile.sha256 == Document.current_sha256),
        )
        .join(SchoolClass, SchoolClass.id == Document.class_id)
        .join(SchoolYear, SchoolYear.id == Document.school_year_id)
        .where(
            Enrolment.student_id == student_id,
            Document.kind == d.KIND_RECORD,
            Document.state == d.ISSUED,
            Document.superseded.is_(False),
        )
        .order_by(SchoolYear.start_date)
    ).all()
    found = [
        PackDoc(
            "record",
            doc.uuid,
            doc.version,
            year,
            klass,
            school.name,
            school.school_code,
            doc.current_sha256 or "",
            key,
            False,
        )
        for doc, key, klass, year in own
    ]
    received = s.scalars(
        select(ReceivedDocument)
        .where(ReceivedDocument.student_id == student_id, ReceivedDocument.kind == "record")
        .order_by(ReceivedDocument.year_name, ReceivedDocument.id)
    )
    seen = {r.sha256 for r in found}
    for r in received:
        if r.sha256 not in seen:
            seen.add(r.sha256)
            found.append(
                PackDoc(
                    "record",
                    r.document_uuid,
                    r.version,
                    r.year_name,
                    r.class_name,
                    r.school_name,
                    "",
                    r.sha256,
                    r.store_key,
                    True,
                )
            )
    return sorted(found, key=lambda r: r.year_name)


def _sheet_by_hash(s: Session, sha256: str) -> PackDoc | None:
    row = s.execute(
        select(Document, DocumentFile.store_key, SchoolClass.name, SchoolYear.name)
        .join(DocumentFile, DocumentFile.document_id == Document.id)
        .join(SchoolClass, SchoolClass.id == Document.class_id)
        .join(SchoolYear, SchoolYear.id == Document.school_year_id)
        .where(DocumentFile.sha256 == sha256, Document.kind == d.KIND_SHEET)
    ).first()
    if row is not None:
        doc, key, klass, year = row
        school = school_of(s)
        return PackDoc(
            "sheet",
            doc.uuid,
            doc.version,
            year,
            klass,
            school.name,
            school.school_code,
            sha256,
            key,
            False,
            term=doc.term,
        )
    got = s.scalar(
        select(ReceivedDocument).where(
            ReceivedDocument.sha256 == sha256, ReceivedDocument.kind == RECEIVED_SHEET
        )
    )
    if got is None:
        return None
    return PackDoc(
        "sheet",
        got.document_uuid,
        got.version,
        got.year_name,
        got.class_name,
        got.school_name,
        "",
        sha256,
        got.store_key,
        True,
        got.subject_code,
        got.term,
    )


def _entry(doc: PackDoc, data: bytes, folder: str) -> dict[str, object]:
    evidence = pdf_evidence(data)
    return {
        "path": member_name(folder, doc.sha256, ".pdf"),
        "sha256": doc.sha256,
        "size": len(data),
        "document_id": doc.document_id,
        "version": doc.version,
        "year_name": doc.year_name,
        "class_name": doc.class_name,
        "school_name": doc.school_name,
        "school_code": doc.school_code,
        "received_from_earlier_school": doc.received,
        "subject_code": doc.subject_code,
        "term": doc.term,
        "signatures": [
            {
                "field": e.field,
                "signer": e.signer_name,
                "certificate_sha256": e.signer_cert_sha256,
                "timestamped": e.timestamped,
            }
            for e in evidence.signers
        ],
        "document_timestamps": evidence.document_timestamps,
    }


def _student_json(student: Student) -> dict[str, object]:
    return {
        "student_code": student.student_code,
        "hocba_code": student.hocba_code,
        "national_id": student.national_id,
        "full_name": student.full_name,
        "sex": student.sex,
        "date_of_birth": student.date_of_birth.isoformat(),
        "place_of_birth": student.place_of_birth,
        "home_town": student.home_town,
        "ethnicity": student.ethnicity,
        "nationality": student.nationality,
        "address": student.address,
        "policy_status": student.policy_status,
        "disabled_not_assessed": student.disabled_not_assessed,
        "father_name": student.father_name,
        "mother_name": student.mother_name,
        "guardian_name": student.guardian_name,
    }


def _history(s: Session, student_id: int, school_name: str) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = [
        {
            "year_name": h.year_name,
            "class_name": h.class_name,
            "school_name": h.school_name,
            "registration_number": h.registration_number,
        }
        for h in s.scalars(select(StudyHistory).where(StudyHistory.student_id == student_id))
    ]
    for enrolment, klass, year in s.execute(
        select(Enrolment, SchoolClass.name, SchoolYear.name)
        .join(SchoolClass, SchoolClass.id == Enrolment.class_id)
        .join(SchoolYear, SchoolYear.id == SchoolClass.school_year_id)
        .where(Enrolment.student_id == student_id)
    ):
        rows.append(
            {
                "year_name": year,
                "class_name": klass,
                "school_name": school_name,
                "registration_number": enrolment.registration_number,
            }
        )
    return sorted(rows, key=lambda r: (str(r["year_name"]), str(r["school_name"])))


def build_manifest(
    db: Database, student_id: int, *, destination: str, transfer_date: date
) -> tuple[bytes, dict[str, bytes], int]:
    """The manifest bytes, the package's files by member name, and the number of records."""
    files: dict[str, bytes] = {}
    certs: dict[str, bytes] = {}
    revocation: list[dict[str, object]] = []
    with db.read() as s:
        school = school_of(s)
        student = s.get(Student, student_id)
        if student is None:
            raise UserFacingError("Không tìm thấy học sinh này. Hãy tìm lại học sinh.")
        records = student_records(s, student_id)
        history = _history(s, student_id, school.name)
        ident = _student_json(student)
        school_json = {
            "name": school.name,
            "school_code": school.school_code,
            "department_code": school.department_code,
            "province": school.province,
            "is_demo": school.is_demo,
        }
        record_entries, sheet_entries, sheet_seen = [], [], set()
        for rec in records:
            data = read_document(db, rec.store_key, rec.sha256)
            entry = _entry(rec, data, "records")
            xml = embedded_xml(data)
            refs = [r.sha256 for r in (xml.sheets if xml else ()) if r.sha256]
            entry["sheets"] = refs
            record_entries.append(entry)
            files[str(entry["path"])] = data
            _collect(data, certs, revocation, files)
            for sha in refs:
                if sha in sheet_seen:
                    continue
                sheet_seen.add(sha)
                sheet = _sheet_by_hash(s, sha)
                if sheet is None:
                    raise UserFacingError(
                        f"Thiếu tệp bảng điểm môn mà học bạ năm {rec.year_name} tham chiếu ({sha[:12]}…). "
                        "Hãy chạy “Kiểm tra dữ liệu” (doctor --repair) để lấy lại tệp từ bản sao lưu."
                    )
                sheet_data = read_document(db, sheet.store_key, sha)
                if sheet.subject_code is None:
                    sx = embedded_xml(sheet_data)
                    sheet = replace(sheet, subject_code=sx.subject_code if sx else None)
                sheet_entry = _entry(sheet, sheet_data, "sheets")
                sheet_entries.append(sheet_entry)
                files[str(sheet_entry["path"])] = sheet_data
                _collect(sheet_data, certs, revocation, files)
    cert_entries = []
    for sha, der in sorted(certs.items()):
        path = member_name("certs", sha, ".der")
        files[path] = der
        cert_entries.append({"path": path, "sha256": sha})
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created_at": utcnow().isoformat() + "Z",
        "school": school_json,
        "student": ident,
        "history": history,
        "destination": {"school_name": destination, "transfer_date": transfer_date.isoformat()},
        "records": record_entries,
        "sheets": sheet_entries,
        "certificates": cert_entries,
        "revocation": revocation,
    }
    return canonical_json(manifest), files, len(record_entries)


def _collect(
    data: bytes, certs: dict[str, bytes], revocation: list[dict[str, object]], files: dict[str, bytes]
) -> None:
    evidence = pdf_evidence(data)
    for der in evidence.certificates:
        certs.setdefault(sha256_hex(der), der)
    for kind, blobs in (("crl", evidence.crls), ("ocsp", evidence.ocsps)):
        for blob in blobs:
            sha = sha256_hex(blob)
            path = member_name("revocation", sha, f".{kind}")
            if path not in files:
                files[path] = blob
                revocation.append({"path": path, "sha256": sha, "kind": kind})
