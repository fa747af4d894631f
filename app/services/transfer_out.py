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
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import select

from app.errors import UserFacingError
from app.models import Certificate, Student
from app.models.db import Database
from app.models.transfers import TransferOut
from app.services import audit
from app.services.access import Actor, PermissionDenied
from app.services.certificates import SEAL, demo_folder, ensure_demo_signers, school_of
from app.services.document_store import read_document
from app.services.transfer_manifest import build_manifest, open_enrolment, student_records
from app.services.transfer_package import embedded_xml, sha256_hex, write_package
from app.signing.detached import DetachedSignature, sign_detached
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
    school_name: str = ""


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


def preview_transfer_out(db: Database, actor: Actor, student_id: int) -> TransferOutPreview:
    """What the package for `student_id` would carry, and what the clerk should know first."""
    require_transfer_rights(actor)
    with db.read() as s:
        student = s.get(Student, student_id)
        if student is None:
            raise UserFacingError("Không tìm thấy học sinh này. Hãy tìm lại học sinh.")
        found = open_enrolment(s, student_id)
        opened = (found[1].name, found[2].name, found[0].start_date) if found else None
        records = student_records(s, student_id)
        is_demo, school_name = school_of(s).is_demo, school_of(s).name
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
        school_name,
    )


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
            opened = open_enrolment(s, student_id)
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
        opened = open_enrolment(s, student_id)
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


def registered_seals(db: Database) -> frozenset[str]:
    """SHA-256 of the school's seal certificates still in force (to find the seal token)."""
    with db.read() as s:
        return frozenset(
            s.scalars(
                select(Certificate.sha256).where(Certificate.is_school_seal, Certificate.revoked_at.is_(None))
            )
        )
