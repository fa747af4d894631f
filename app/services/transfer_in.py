"""Transfer in: accept a package from another school, after checking it (app.services.transfer_verify).

A package that passes every check is accepted by the clerk (or an admin or a leader). A
package with any failed check is refused with the reasons, unless the principal accepts it
explicitly with a written reason, which the audit trail keeps. Documents that belong to
another student are never attached, override or not.

On acceptance: the documents are put in the content-addressed store (bytes exactly as
received, never re-signed; durable before the rows that name them), then one transaction
creates the student (or matches the one here with the same identification number), fills
in the study history, optionally enrols the student in a class, and records the package,
the received documents and the audit entry.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from asn1crypto import x509
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import UserFacingError
from app.models import (
    Enrolment,
    ReceivedDocument,
    SchoolClass,
    SchoolYear,
    Student,
    StudyHistory,
    TransferIn,
)
from app.models.db import Database
from app.models.people import ROLE_PRINCIPAL
from app.services import audit
from app.services.access import Actor, PermissionDenied
from app.services.certificates import school_of
from app.services.document_store import StoredDocument, store_document
from app.services.transfer_out import require_transfer_rights
from app.services.transfer_package import PackageContents, parse_manifest, read_package
from app.services.transfer_verify import TransferReport, verify_contents

MIN_REASON = 10


class TransferRefused(UserFacingError):
    """The package did not pass its checks; `report` says which and why."""

    def __init__(self, report: TransferReport) -> None:
        reasons = "; ".join(f"{c.subject}: {c.detail.rstrip('.')}" for c in report.failures)
        super().__init__(
            f"Không nhận gói hồ sơ chuyển trường vì: {reasons}. Hãy xin trường cũ gửi lại gói, "
            "hoặc Hiệu trưởng quyết định nhận với lý do ghi rõ."
        )
        self.report = report


@dataclass(frozen=True)
class TransferInResult:
    student_id: int
    student_created: bool
    full_name: str
    student_code: str
    records: int
    sheets: int
    skipped: tuple[str, ...]  # documents not attached, with why
    history_added: int
    verified: bool
    override_reason: str | None
    report: TransferReport

    def to_json(self) -> dict[str, object]:
        return {
            "student_id": self.student_id,
            "student_created": self.student_created,
            "full_name": self.full_name,
            "student_code": self.student_code,
            "records": self.records,
            "sheets": self.sheets,
            "skipped": list(self.skipped),
            "history_added": self.history_added,
            "verified": self.verified,
            "override_reason": self.override_reason,
            "report": self.report.to_json(),
        }


def accept_transfer(
    db: Database,
    actor: Actor,
    path: Path,
    *,
    trust_roots: Iterable[bytes | x509.Certificate] = (),
    override_reason: str | None = None,
    class_id: int | None = None,
    start_date: date | None = None,
) -> TransferInResult:
    """Check the package again (never trust an earlier report) and accept it, or refuse it."""
    require_transfer_rights(actor)
    package = read_package(path)
    report = verify_contents(db, package, list(trust_roots))
    # None: no override asked for; any text (even empty) is an override that must be justified.
    reason = " ".join(override_reason.split()) if override_reason is not None else None
    if not report.ok:
        if reason is None:
            raise TransferRefused(report)
        if actor.is_system or ROLE_PRINCIPAL not in actor.roles:
            raise PermissionDenied(
                "Chỉ Hiệu trưởng (đăng nhập bằng tài khoản của mình) mới nhận được gói không hợp lệ."
            )
        if len(reason) < MIN_REASON:
            raise UserFacingError(
                f"Hãy ghi rõ lý do nhận gói không hợp lệ (ít nhất {MIN_REASON} ký tự).", field="reason"
            )
        blocking = {"demo_package", "already_received"} & set(report.reason_codes)
        if blocking:
            raise UserFacingError(next(c.detail for c in report.failures if c.code in blocking))
    stored, skipped = _store(db, package, report)
    return _commit(db, actor, package, report, stored, skipped, reason, class_id, start_date)


def _store(
    db: Database, package: PackageContents, report: TransferReport
) -> tuple[list[tuple[StoredDocument, int]], list[str]]:
    stored: list[tuple[StoredDocument, int]] = []
    skipped: list[str] = []
    for index, doc in enumerate(report.documents):
        what = f"{'học bạ' if doc.kind == 'record' else 'bảng điểm'} năm {doc.year_name} lớp {doc.class_name}"
        data = package.files.get(doc.path)
        if data is None:
            skipped.append(f"{what}: không có tệp trong gói")
        elif doc.kind == "record" and not doc.belongs:
            skipped.append(f"{what}: không phải của học sinh này")
        else:
            stored.append((store_document(db, data), index))  # durable before the row names it
    return stored, skipped


def _commit(
    db: Database,
    actor: Actor,
    package: PackageContents,
    report: TransferReport,
    stored: list[tuple[StoredDocument, int]],
    skipped: list[str],
    reason: str | None,
    class_id: int | None,
    start_date: date | None,
) -> TransferInResult:
    manifest = parse_manifest(package.manifest)
    with db.write() as s:
        if s.scalar(select(TransferIn.id).where(TransferIn.manifest_sha256 == report.manifest_sha256)):
            raise UserFacingError("Gói này đã được nhận rồi. Hãy tìm học sinh trong danh sách.")
        student, created = _student(s, manifest)
        added = _history(s, student.id, report)
        if class_id is not None:
            _enrol(s, student.id, class_id, start_date or date.today())
        row = TransferIn(
            student_id=student.id,
            source_school_code=report.school_code[:20],
            source_school_name=report.school_name[:200],
            package_sha256=package.sha256,
            manifest_sha256=report.manifest_sha256,
            manifest=package.manifest,
            manifest_signature=package.signature,
            verified=report.ok,
            report=json.dumps(report.to_json(), ensure_ascii=False),
            override_reason=reason if not report.ok else None,
            student_created=created,
            accepted_by=actor.login,
        )
        s.add(row)
        s.flush()
        for file, index in stored:
            doc = report.documents[index]
            s.add(
                ReceivedDocument(
                    transfer_in_id=row.id, student_id=student.id, kind=doc.kind,
                    document_uuid=doc.document_id[:36], version=doc.version, year_name=doc.year_name[:9],
                    class_name=doc.class_name[:20], school_name=doc.school_name[:200],
                    subject_code=doc.subject_code, term=doc.term, sha256=file.sha256,
                    store_key=file.store_key, size=file.size, signatures_ok=doc.present and doc.signatures_ok,
                )
            )  # fmt: skip
        audit.append(
            s, actor=actor.login, action="transfer.in", entity="student", entity_id=student.id,
            detail={"from": report.school_name, "school_code": report.school_code,
                    "package_sha256": package.sha256, "manifest_sha256": report.manifest_sha256,
                    "verified": report.ok, "reasons": list(report.reason_codes),
                    "override_reason": row.override_reason, "documents": len(stored), "skipped": skipped,
                    "student_created": created},
        )  # fmt: skip
        result = TransferInResult(
            student.id, created, student.full_name, student.student_code,
            sum(1 for _f, i in stored if report.documents[i].kind == "record"),
            sum(1 for _f, i in stored if report.documents[i].kind == "sheet"),
            tuple(skipped), added, report.ok, row.override_reason, report,
        )  # fmt: skip
    return result


_IDENTITY = (
    "full_name", "sex", "place_of_birth", "home_town", "ethnicity", "nationality", "address",
    "policy_status", "father_name", "mother_name", "guardian_name",
)  # fmt: skip


def _student(s: Session, manifest: dict[str, object]) -> tuple[Student, bool]:
    data = manifest["student"]
    assert isinstance(data, dict)
    national_id = data.get("national_id") or None
    if national_id:
        found = s.scalar(select(Student).where(Student.national_id == national_id))
        if found is not None:
            return found, False
    for column, value in (("student_code", data["student_code"]), ("hocba_code", data["hocba_code"])):
        clash = s.scalar(select(Student).where(getattr(Student, column) == value))
        if clash is not None:
            raise UserFacingError(
                f"Trường đã có học sinh {clash.full_name} mang mã {value} nhưng khác số định danh. "
                "Hãy kiểm tra lại hồ sơ với trường cũ trước khi nhận."
            )
    try:
        born = date.fromisoformat(str(data["date_of_birth"]))
        sex = int(data["sex"])
    except (KeyError, TypeError, ValueError):
        raise UserFacingError("Danh mục của gói ghi ngày sinh hoặc giới tính không hợp lệ.") from None
    student = Student(
        school_id=school_of(s).id,
        student_code=str(data["student_code"]),
        hocba_code=str(data["hocba_code"]),
        national_id=national_id,
        date_of_birth=born,
        disabled_not_assessed=bool(data.get("disabled_not_assessed")),
        **{k: data.get(k) for k in _IDENTITY if k != "sex"},
        sex=sex,
    )
    if student.ethnicity is None:
        student.ethnicity = "Kinh"
    if student.nationality is None:
        student.nationality = "Việt Nam"
    s.add(student)
    s.flush()
    return student, True


def _history(s: Session, student_id: int, report: TransferReport) -> int:
    have = {
        (h.year_name, h.school_name)
        for h in s.scalars(select(StudyHistory).where(StudyHistory.student_id == student_id))
    }
    added = 0
    for entry in report.history:
        key = (str(entry.get("year_name") or "")[:9], str(entry.get("school_name") or "")[:200])
        if not key[0] or key in have:
            continue
        have.add(key)
        reg = entry.get("registration_number")
        s.add(
            StudyHistory(
                student_id=student_id,
                year_name=key[0],
                class_name=str(entry.get("class_name") or "")[:20],
                school_name=key[1],
                registration_number=str(reg)[:40] if reg else None,
            )
        )
        added += 1
    return added


def _enrol(s: Session, student_id: int, class_id: int, start: date) -> None:
    if s.get(SchoolClass, class_id) is None:
        raise UserFacingError("Không tìm thấy lớp đã chọn. Hãy chọn lại lớp.", field="class")
    exists = s.scalar(
        select(Enrolment.id).where(Enrolment.student_id == student_id, Enrolment.class_id == class_id)
    )
    if exists is None:
        s.add(Enrolment(student_id=student_id, class_id=class_id, start_date=start))


@dataclass(frozen=True)
class ClassChoice:
    class_id: int
    name: str
    year_name: str


def classes_for_enrolment(db: Database) -> tuple[ClassChoice, ...]:
    """The current year's classes a received student can be placed in."""
    with db.read() as s:
        rows = s.execute(
            select(SchoolClass.id, SchoolClass.name, SchoolYear.name)
            .join(SchoolYear, SchoolYear.id == SchoolClass.school_year_id)
            .where(SchoolYear.is_current.is_(True))
            .order_by(SchoolClass.name)
        ).all()
    return tuple(ClassChoice(i, n, y) for i, n, y in rows)
