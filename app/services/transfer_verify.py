"""Checking a transfer package offline, and saying what was found in words.

Every check works on the package alone plus the receiving school's trust store (the app's
bundled roots and the roots given): the seal's signature over the manifest, every file's
SHA-256 and size against the manifest, every signature of every PDF (app.signing.validation),
every record fully signed, the data inside each record naming this student and the year
and class the manifest says, and every subject sheet a record references present and
signed. Nothing is fetched from the network and nothing is written.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from asn1crypto import x509
from sqlalchemy import select

from app.errors import UserFacingError
from app.models import Student, TransferIn
from app.models.db import Database
from app.services.certificates import school_of
from app.services.transfer_package import (
    EmbeddedXml,
    PackageContents,
    embedded_xml,
    parse_manifest,
    read_package,
    sha256_hex,
)
from app.signing.detached import DetachedCheck, check_detached
from app.signing.validation import validate_pdf

# Reason codes (stable, for tests and for the audit entry); the words are in `detail`.
MANIFEST_SIGNATURE = "manifest_signature"
MANIFEST_UNTRUSTED = "manifest_untrusted"
FILE_MISSING = "file_missing"
HASH_MISMATCH = "hash_mismatch"
PDF_SIGNATURE = "pdf_signature"
UNTRUSTED_SIGNER = "untrusted_signer"
NOT_FULLY_SIGNED = "not_fully_signed"
WRONG_STUDENT = "wrong_student"
WRONG_YEAR = "wrong_year"
NO_DATA = "no_data"
SHEET_MISSING = "sheet_missing"
DEMO_PACKAGE = "demo_package"
ALREADY_RECEIVED = "already_received"
OK = "ok"


@dataclass(frozen=True)
class Check:
    ok: bool
    subject: str  # what was checked, e.g. "Học bạ năm học 2026-2027 (lớp 6A1)"
    detail: str  # what was found, in words
    code: str = OK


@dataclass(frozen=True)
class PackageStudent:
    full_name: str
    student_code: str
    date_of_birth: str
    national_id: str | None = None

    @property
    def masked_id(self) -> str:
        return f"••••••••{self.national_id[-4:]}" if self.national_id else "chưa có"


@dataclass(frozen=True)
class ReportDocument:
    kind: str  # record / sheet
    path: str
    sha256: str
    year_name: str
    class_name: str
    school_name: str
    document_id: str
    version: int
    subject_code: str | None
    term: str | None
    present: bool  # the file is in the package with the right hash
    signatures_ok: bool  # every signature intact, trusted, record fully signed
    belongs: bool  # the data inside names this student (records) and the manifest's year/class


@dataclass(frozen=True)
class TransferReport:
    package_sha256: str
    manifest_sha256: str
    school_name: str
    school_code: str
    student: PackageStudent
    destination: str
    transfer_date: str
    seal_signer: str
    signed_at: datetime | None
    documents: tuple[ReportDocument, ...]
    checks: tuple[Check, ...]
    history: tuple[dict[str, Any], ...]
    existing_student_id: int | None  # a student here with the same identification number
    manifest_check: DetachedCheck

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def failures(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if not c.ok)

    @property
    def reason_codes(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.code for c in self.failures))

    @property
    def records(self) -> tuple[ReportDocument, ...]:
        return tuple(d for d in self.documents if d.kind == "record")

    @property
    def summary(self) -> str:
        if self.ok:
            return (
                f"Gói hợp lệ: {len(self.records)} học bạ của {self.student.full_name} do {self.school_name} "
                "gửi còn nguyên vẹn, đủ chữ ký và được tin cậy."
            )
        first = self.failures[0]
        more = len(self.failures) - 1
        tail = f" (và {more} vấn đề khác)" if more else ""
        return f"Gói KHÔNG hợp lệ — {first.subject}: {first.detail}{tail}"

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "summary": self.summary,
            "package_sha256": self.package_sha256,
            "manifest_sha256": self.manifest_sha256,
            "school": {"name": self.school_name, "code": self.school_code},
            "student": {
                "full_name": self.student.full_name,
                "student_code": self.student.student_code,
                "date_of_birth": self.student.date_of_birth,
            },
            "destination": self.destination,
            "transfer_date": self.transfer_date,
            "seal_signer": self.seal_signer,
            "reasons": list(self.reason_codes),
            "checks": [asdict(c) for c in self.checks],
            "records": [
                {
                    "year": d.year_name,
                    "class": d.class_name,
                    "school": d.school_name,
                    "sha256": d.sha256,
                    "signatures_ok": d.signatures_ok,
                    "present": d.present,
                    "belongs": d.belongs,
                }
                for d in self.records
            ],
        }


def verify_package(
    db: Database, path: Path, trust_roots: Iterable[bytes | x509.Certificate] = ()
) -> TransferReport:
    """Read `path` and check everything; raises UserFacingError only when it is not a package at all."""
    return verify_contents(db, read_package(path), trust_roots)


def verify_contents(
    db: Database, package: PackageContents, trust_roots: Iterable[bytes | x509.Certificate] = ()
) -> TransferReport:
    # pyHanko logs a traceback for every chain it cannot build; the report already says so.
    logging.getLogger("pyhanko").setLevel(logging.CRITICAL)
    from app.services.trust_store import school_roots  # the roots the admin imported (`trust add`)

    roots = [*trust_roots, *school_roots(db)]
    manifest = parse_manifest(package.manifest)
    checks: list[Check] = []
    signature = check_detached(package.manifest, package.signature, roots)
    checks.append(_manifest_check(signature))
    student = _student(manifest)
    school = manifest.get("school") or {}
    with db.read() as s:
        here = school_of(s)
        here_demo, here_code = here.is_demo, here.school_code
        existing = None
        if student.national_id:
            existing = s.scalar(select(Student.id).where(Student.national_id == student.national_id))
        seen_before = s.scalar(
            select(TransferIn.accepted_at).where(TransferIn.manifest_sha256 == sha256_hex(package.manifest))
        )
    if school.get("is_demo") and not here_demo:
        checks.append(
            Check(
                False,
                "Dữ liệu mẫu",
                "Gói này là dữ liệu mẫu (DEMO) của trường thử nghiệm; trường thật không nhận được.",
                DEMO_PACKAGE,
            )
        )
    if school.get("school_code") == here_code and not here_demo:
        checks.append(
            Check(
                False, "Trường gửi", "Gói do chính trường này tạo ra; không nhận lại được.", ALREADY_RECEIVED
            )
        )
    if seen_before is not None:
        checks.append(
            Check(
                False, "Gói đã nhận", f"Gói này đã được nhận ngày {seen_before:%d/%m/%Y}.", ALREADY_RECEIVED
            )
        )
    documents: list[ReportDocument] = []
    sheet_docs = {str(e.get("sha256")): e for e in _entries(manifest, "sheets")}
    for entry in _entries(manifest, "records"):
        doc, found = _check_document(package, entry, "record", roots, student)
        documents.append(doc)
        checks.extend(found)
        data = package.files.get(doc.path) if doc.present else None
        xml = embedded_xml(data) if data is not None else None
        for ref in xml.sheets if xml is not None else ():
            if ref.sha256 and ref.sha256 not in sheet_docs:
                checks.append(
                    Check(
                        False,
                        _label(doc),
                        f"Thiếu bảng điểm môn {ref.subject_code} ({ref.term}) mà học bạ tham chiếu.",
                        SHEET_MISSING,
                    )
                )
    sheet_failures: list[Check] = []
    for entry in sheet_docs.values():
        doc, found = _check_document(package, entry, "sheet", roots, student)
        documents.append(doc)
        sheet_failures.extend(found)
    checks.extend(_grouped(sheet_failures))
    sheets = sum(1 for d in documents if d.kind == "sheet")
    if sheets and not sheet_failures:
        checks.append(
            Check(
                True,
                "Bảng điểm môn",
                f"{sheets} bảng điểm môn còn nguyên vẹn, có chữ ký giáo viên bộ môn được tin cậy.",
            )
        )
    if not any(d.kind == "record" for d in documents):
        checks.append(
            Check(True, "Học bạ", "Gói không mang học bạ nào (học sinh chưa có năm học nào được phát hành).")
        )
    return TransferReport(
        package_sha256=package.sha256,
        manifest_sha256=sha256_hex(package.manifest),
        school_name=str(school.get("name") or ""),
        school_code=str(school.get("school_code") or ""),
        student=student,
        destination=str((manifest.get("destination") or {}).get("school_name") or ""),
        transfer_date=str((manifest.get("destination") or {}).get("transfer_date") or ""),
        seal_signer=signature.signer_name,
        signed_at=signature.signed_at,
        documents=tuple(documents),
        checks=tuple(checks),
        history=tuple(h for h in manifest.get("history") or [] if isinstance(h, dict)),
        existing_student_id=existing,
        manifest_check=signature,
    )


def _entries(manifest: dict[str, Any], key: str) -> list[dict[str, Any]]:
    """The manifest's list under `key`, well-formed entries only (another program may have made it)."""
    value = manifest.get(key)
    return [e for e in value if isinstance(e, dict)] if isinstance(value, list) else []


def _number(value: object, default: int) -> int:
    try:
        return int(value) if isinstance(value, int | str) else default
    except ValueError:
        return default


def _grouped(failures: list[Check]) -> list[Check]:
    """Sheet problems of the same kind as one line: 39 sheets by one untrusted CA read as one reason."""
    by_code: dict[str, list[Check]] = {}
    for check in failures:
        by_code.setdefault(check.code, []).append(check)
    grouped = []
    for code, items in by_code.items():
        if len(items) == 1:
            grouped.append(items[0])
        else:
            subjects = len({c.subject for c in items})
            detail = f"{items[0].detail.rstrip('.')} (và các bảng khác)."
            grouped.append(Check(False, f"{subjects} bảng điểm môn", detail, code))
    return grouped


def _student(manifest: dict[str, Any]) -> PackageStudent:
    st = manifest.get("student") or {}
    try:
        return PackageStudent(
            str(st["full_name"]), str(st["student_code"]), str(st["date_of_birth"]), st.get("national_id")
        )
    except KeyError:
        raise UserFacingError(
            "Danh mục của gói thiếu thông tin học sinh. Gói đã bị hỏng hoặc bị sửa."
        ) from None


def _manifest_check(sig: DetachedCheck) -> Check:
    subject = "Chữ ký con dấu trên danh mục"
    if sig.problem is not None or not sig.intact:
        return Check(
            False,
            subject,
            "Danh mục của gói đã bị sửa sau khi con dấu ký, hoặc chữ ký hỏng "
            f"({sig.problem or 'không khớp nội dung'}).",
            MANIFEST_SIGNATURE,
        )
    if not sig.trusted:
        return Check(
            False,
            subject,
            f"Chữ ký của {sig.signer_name} còn nguyên vẹn nhưng chưa được xác thực: "
            "chứng thư không thuộc danh sách tin cậy của nhà trường.",
            MANIFEST_UNTRUSTED,
        )
    return Check(True, subject, f"Danh mục còn nguyên vẹn, do {sig.signer_name} ký và được tin cậy.")


def _label(doc: ReportDocument) -> str:
    if doc.kind == "record":
        return f"Học bạ năm học {doc.year_name} (lớp {doc.class_name}, {doc.school_name})"
    return f"Bảng điểm môn {doc.subject_code or ''} {doc.term or ''} lớp {doc.class_name} năm {doc.year_name}"


def _check_document(
    package: PackageContents,
    entry: dict[str, Any],
    kind: str,
    roots: Sequence[bytes | x509.Certificate],
    student: PackageStudent,
) -> tuple[ReportDocument, list[Check]]:
    path, sha = str(entry.get("path") or ""), str(entry.get("sha256") or "")
    doc = ReportDocument(
        kind,
        path,
        sha,
        str(entry.get("year_name") or ""),
        str(entry.get("class_name") or ""),
        str(entry.get("school_name") or ""),
        str(entry.get("document_id") or ""),
        _number(entry.get("version"), 1),
        entry.get("subject_code"),
        entry.get("term"),
        False,
        False,
        False,
    )
    label = _label(doc)
    data = package.files.get(path)
    if data is None:
        return doc, [Check(False, label, "Tệp không có trong gói.", FILE_MISSING)]
    checks: list[Check] = []
    actual = sha256_hex(data)
    present = actual == sha and len(data) == _number(entry.get("size"), -1)
    if not present:
        checks.append(
            Check(
                False,
                label,
                f"Mã băm SHA-256 của tệp ({actual[:12]}…) khác với mã ghi trong danh "
                f"mục ({sha[:12]}…): tệp đã bị thay hoặc bị sửa.",
                HASH_MISMATCH,
            )
        )
    report = validate_pdf(data, roots)
    signatures_ok = report.all_ok
    if report.problem is not None:
        checks.append(Check(False, label, report.problem, PDF_SIGNATURE))
    else:
        untrusted = []
        for sig in report.signatures:
            if not sig.intact or not sig.changes_acceptable or sig.revocation == "revoked":
                checks.append(Check(False, label, sig.summary, PDF_SIGNATURE))
            elif not sig.trusted:
                untrusted.append(sig.signer_name or "người ký")
        if untrusted:
            detail = (
                f"Chữ ký của {', '.join(untrusted)} còn nguyên vẹn nhưng chưa được xác thực: "
                "chứng thư số không thuộc danh sách tin cậy của nhà trường hoặc đã hết hạn."
            )
            checks.append(Check(False, label, detail, UNTRUSTED_SIGNER))
        if not report.signatures:
            checks.append(Check(False, label, "Tệp không có chữ ký số nào.", PDF_SIGNATURE))
        if kind == "record" and report.unsigned_fields:
            signatures_ok = False
            checks.append(
                Check(
                    False,
                    label,
                    f"Học bạ chưa đủ chữ ký (còn trống: {', '.join(report.unsigned_fields)}).",
                    NOT_FULLY_SIGNED,
                )
            )
    xml = embedded_xml(data)
    belongs = _belongs(xml, doc, student, kind, label, checks)
    doc = ReportDocument(
        **{**asdict(doc), "present": present, "signatures_ok": signatures_ok, "belongs": belongs}
    )
    if present and signatures_ok and belongs and kind == "record":
        who = ", ".join(s.signer_name for s in report.signatures)
        checks.append(Check(True, label, f"Còn nguyên vẹn, đủ chữ ký và được tin cậy ({who})."))
    return doc, checks


def _belongs(
    xml: EmbeddedXml | None,
    doc: ReportDocument,
    student: PackageStudent,
    kind: str,
    label: str,
    checks: list[Check],
) -> bool:
    if xml is None:
        checks.append(Check(False, label, "Không đọc được dữ liệu XML đính kèm trong tệp PDF.", NO_DATA))
        return False
    ok = True
    if kind == "record":
        same = (
            (student.national_id is not None and xml.national_id == student.national_id)
            or xml.student_code == student.student_code
        ) and xml.date_of_birth == student.date_of_birth
        if not same:
            checks.append(
                Check(
                    False,
                    label,
                    f"Tệp là học bạ của học sinh khác ({xml.full_name}, mã "
                    f"{xml.student_code}), không phải của {student.full_name}.",
                    WRONG_STUDENT,
                )
            )
            ok = False
    if xml.year_name != doc.year_name or xml.class_name != doc.class_name:
        checks.append(
            Check(
                False,
                label,
                f"Danh mục ghi năm học {doc.year_name} lớp {doc.class_name} nhưng tệp là "
                f"năm học {xml.year_name} lớp {xml.class_name}.",
                WRONG_YEAR,
            )
        )
        ok = False
    return ok
