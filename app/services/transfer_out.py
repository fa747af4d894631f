"""Transfer out: the clerk makes a student's transfer package and the enrolment ends.

The package (app.services.transfer_package) carries every issued year record of the
student, bytes exactly as stored (the records issued here and those received from earlier
schools), the class subject sheets they reference, the certificates and any revocation data
the signatures carry, and a manifest signed by the school's seal through the same path the
seal signs records with (a PKCS#11 token on the token thread, or the demo signer for the
demo school). The file is written first (temp, fsync, rename); then one transaction ends
the enrolment on the transfer date, records the destination school and appends the audit
entry.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import UserFacingError
from app.models import (
    Certificate,
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
from app.models.transfers import RECEIVED_SHEET, TransferOut
from app.services import audit
from app.services.access import Actor, PermissionDenied
from app.services.certificates import SEAL, demo_folder, ensure_demo_signers, school_of
from app.services.document_store import read_document
from app.services.transfer_package import (
    FORMAT,
    FORMAT_VERSION,
    canonical_json,
    embedded_xml,
    member_name,
    sha256_hex,
    write_package,
)
from app.signing.detached import DetachedSignature, sign_detached
from app.signing.evidence import pdf_evidence
from app.signing.pin import Pin
from app.signing.signers import DemoSignerSpec, SignerSpec
from app.signing.worker import TokenWorker

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PackedDocument:
    kind: str  # record / sheet
    year_name: str
    class_name: str
    school_name: str
    sha256: str
    size: int
    received: bool  # brought by an earlier transfer, not issued here


@dataclass(frozen=True)
class TransferOutPreview:
    student_id: int
    student_code: str
    full_name: str
    class_name: str | None  # the open enrolment's class (None: none open)
    year_name: str | None
    enrolment_start: date | None
    records: tuple[PackedDocument, ...]
    sheets: int
    notes: tuple[str, ...]  # what the clerk should know before sending
    school_is_demo: bool


@dataclass(frozen=True)
class TransferOutResult:
    file: Path
    package_sha256: str
    manifest_sha256: str
    records: int
    sheets: int
    certificates: int
    seal_signer: str
    transfer_date: date
    destination_school: str

    def to_json(self) -> dict[str, object]:
        return {
            "file": str(self.file),
            "package_sha256": self.package_sha256,
            "manifest_sha256": self.manifest_sha256,
            "records": self.records,
            "sheets": self.sheets,
            "certificates": self.certificates,
            "seal_signer": self.seal_signer,
            "transfer_date": self.transfer_date.isoformat(),
            "destination_school": self.destination_school,
        }


def require_transfer_rights(actor: Actor) -> None:
    if not actor.sees_whole_school:
        raise PermissionDenied(
            "Chỉ văn thư, cán bộ quản trị hoặc ban giám hiệu mới làm được thủ tục chuyển trường."
        )


# --- gathering ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Doc:
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


def _open_enrolment(s: Session, student_id: int) -> tuple[Enrolment, SchoolClass, SchoolYear] | None:
    row = s.execute(
        select(Enrolment, SchoolClass, SchoolYear)
        .join(SchoolClass, SchoolClass.id == Enrolment.class_id)
        .join(SchoolYear, SchoolYear.id == SchoolClass.school_year_id)
        .where(Enrolment.student_id == student_id, Enrolment.end_date.is_(None))
        .order_by(SchoolYear.start_date.desc())
    ).first()
    return None if row is None else (row[0], row[1], row[2])


def _records(s: Session, student_id: int) -> list[_Doc]:
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
        _Doc(
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
                _Doc(
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


def _sheet_by_hash(s: Session, sha256: str) -> _Doc | None:
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
        return _Doc(
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
    return _Doc(
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


def preview_transfer_out(db: Database, actor: Actor, student_id: int) -> TransferOutPreview:
    """What the package for `student_id` would carry, and what the clerk should know first."""
    require_transfer_rights(actor)
    with db.read() as s:
        student = s.get(Student, student_id)
        if student is None:
            raise UserFacingError("Không tìm thấy học sinh này. Hãy tìm lại học sinh.")
        found = _open_enrolment(s, student_id)
        opened = (found[1].name, found[2].name, found[0].start_date) if found else None
        records = _records(s, student_id)
        is_demo = school_of(s).is_demo
        sent = s.execute(
            select(TransferOut.destination_school, TransferOut.transfer_date)
            .where(TransferOut.student_id == student_id)
            .order_by(TransferOut.id.desc())
        ).first()
        code, name = student.student_code, student.full_name
    notes: list[str] = []
    if opened is None:
        if sent is not None:
            notes.append(
                f"Học sinh đã chuyển đến {sent[0]} ngày {sent[1]:%d/%m/%Y}; "
                "không làm thủ tục chuyển trường lần nữa được."
            )
        else:
            notes.append(
                "Học sinh không còn theo học ở lớp nào của trường, nên không làm thủ tục chuyển đi được."
            )
    elif not any(r.year_name == opened[1] and not r.received for r in records):
        notes.append(
            f"Học bạ năm học {opened[1]} chưa được phát hành: gói chỉ mang các năm học đã phát hành. "
            "Nếu cần, hãy hoàn tất và ký học bạ năm nay trước khi chuyển."
        )
    if not records:
        notes.append("Học sinh chưa có học bạ nào đã phát hành; gói chỉ mang lý lịch và quá trình học tập.")
    packed = []
    sheets: set[str] = set()
    for r in records:
        data = read_document(db, r.store_key, r.sha256)
        xml = embedded_xml(data)
        sheets.update(ref.sha256 for ref in (xml.sheets if xml else ()) if ref.sha256)
        packed.append(
            PackedDocument(
                "record", r.year_name, r.class_name, r.school_name, r.sha256, len(data), r.received
            )
        )
    return TransferOutPreview(
        student_id,
        code,
        name,
        opened[0] if opened else None,
        opened[1] if opened else None,
        opened[2] if opened else None,
        tuple(packed),
        len(sheets),
        tuple(notes),
        is_demo,
    )


# --- the package ---------------------------------------------------------------------------


def _entry(doc: _Doc, data: bytes, folder: str) -> dict[str, object]:
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
        records = _records(s, student_id)
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


def default_seal_signer(db: Database) -> SignerSpec:
    """The demo school's seal (the demo signer); a real school must choose its seal token."""
    with db.read() as s:
        is_demo = school_of(s).is_demo
    if not is_demo:
        raise UserFacingError(
            "Hãy cắm token con dấu của trường và chọn chứng thư con dấu để ký gói chuyển trường."
        )
    demo = ensure_demo_signers(db)
    return DemoSignerSpec(demo_folder(db), SEAL, expected_cert_sha256=demo.credentials[SEAL].sha256)


def _check_seal(db: Database, signed: DetachedSignature) -> None:
    with db.read() as s:
        seal = s.execute(
            select(Certificate.id).where(
                Certificate.sha256 == signed.certificate.sha256,
                Certificate.is_school_seal,
                Certificate.revoked_at.is_(None),
            )
        ).first()
    if seal is None:
        raise UserFacingError(
            "Chứng thư vừa dùng để ký không phải con dấu đã đăng ký của trường. "
            "Hãy chọn đúng token con dấu (hoặc đăng ký chứng thư con dấu trước)."
        )


def export_transfer(
    db: Database,
    actor: Actor,
    student_id: int,
    out: Path,
    *,
    destination: str,
    transfer_date: date,
    signer: SignerSpec | None = None,
    pin: Pin | None = None,
    worker: TokenWorker | None = None,
) -> TransferOutResult:
    """Write the signed package to `out`, then end the enrolment (one transaction, audited)."""
    try:
        require_transfer_rights(actor)
        destination = " ".join(destination.split())
        if not destination:
            raise UserFacingError("Hãy nhập tên trường chuyển đến.", field="destination")
        if len(destination) > 200:
            raise UserFacingError("Tên trường chuyển đến dài quá 200 ký tự.", field="destination")
        with db.read() as s:
            opened = _open_enrolment(s, student_id)
            if opened is None:
                raise UserFacingError(
                    "Học sinh không còn theo học ở lớp nào của trường (có thể đã chuyển đi), "
                    "nên không làm thủ tục chuyển trường được."
                )
            start = opened[0].start_date
            is_demo = school_of(s).is_demo
        if transfer_date < start:
            raise UserFacingError(
                f"Ngày chuyển phải từ ngày học sinh vào lớp ({start:%d/%m/%Y}) trở đi.", field="transfer_date"
            )
        manifest, files, n_records = build_manifest(
            db, student_id, destination=destination, transfer_date=transfer_date
        )
        spec = signer or default_seal_signer(db)
        if worker is not None and not spec.is_demo:
            signed = worker.submit(sign_detached, manifest, spec, pin, allow_demo=is_demo).result()
        else:
            signed = sign_detached(manifest, spec, pin, allow_demo=is_demo)
        pin = None  # wiped by sign_detached
        _check_seal(db, signed)
        out = out.expanduser()
        package_sha = write_package(out, manifest, signed.cms_der, files)
        return _record(
            db,
            actor,
            student_id,
            out,
            package_sha,
            manifest,
            files,
            n_records,
            signed,
            destination,
            transfer_date,
        )
    finally:
        if pin is not None:
            pin.wipe()


def _record(
    db: Database,
    actor: Actor,
    student_id: int,
    out: Path,
    package_sha: str,
    manifest: bytes,
    files: dict[str, bytes],
    n_records: int,
    signed: DetachedSignature,
    destination: str,
    when: date,
) -> TransferOutResult:
    manifest_sha = sha256_hex(manifest)
    with db.write() as s:
        opened = _open_enrolment(s, student_id)
        if opened is None:
            raise UserFacingError(
                "Học sinh vừa được làm thủ tục chuyển đi ở máy khác. Hãy tải lại danh sách."
            )
        enrolment = opened[0]
        enrolment.end_date = when
        enrolment.end_reason = f"Chuyển trường: {destination}"[:200]
        s.add(
            TransferOut(
                student_id=student_id,
                enrolment_id=enrolment.id,
                transfer_date=when,
                destination_school=destination,
                package_sha256=package_sha,
                manifest_sha256=manifest_sha,
                records=n_records,
                created_by=actor.login,
            )
        )
        s.flush()
        audit.append(
            s,
            actor=actor.login,
            action="transfer.out",
            entity="student",
            entity_id=student_id,
            detail={
                "destination": destination,
                "date": when.isoformat(),
                "package_sha256": package_sha,
                "manifest_sha256": manifest_sha,
                "records": n_records,
                "seal_certificate": signed.certificate.sha256,
                "demo": signed.demo,
            },
        )
    sheets = sum(1 for name in files if name.startswith("sheets/"))
    certs = sum(1 for name in files if name.startswith("certs/"))
    return TransferOutResult(
        out,
        package_sha,
        manifest_sha,
        n_records,
        sheets,
        certs,
        signed.certificate.common_name,
        when,
        destination,
    )
