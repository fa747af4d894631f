"""The signing order (domain.md §3): who may sign what, now, for one class.

`plan_signing` says, for a role and the certificate the signer will use, which documents of
a class are pending, already done, skipped (students waiting for summer training or
re-assessment: signed later) or blocked, each with a Vietnamese reason; `run_signing`
(app.services.signing_run) signs the pending ones. The order:

1. gvbm: the subject teacher signs the class subject sheets (class × subject × term) of a
   subject whose mark book is locked;
2. gvcn: the homeroom teacher signs each student's record, once every sheet it depends on
   is signed (the record then carries their SHA-256);
3. hieutruong: the principal or the vice principal approves (which one is recorded);
4. condau: the school seal signs and issues.

Refused for the whole plan (SigningRefused): a certificate not registered, registered to
someone else than the person the role needs, revoked, expired or not yet valid.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.documents.sheet_record import TERM_LABELS
from app.errors import UserFacingError
from app.models import (
    Certificate,
    Document,
    Enrolment,
    SchoolClass,
    SchoolYear,
    Student,
    Subject,
    TeachingAssignment,
    UserAccount,
)
from app.models import documents as d
from app.models.db import Database
from app.models.people import ROLE_PRINCIPAL, ROLE_VICE_PRINCIPAL
from app.services.certificates import SEAL, find_certificate, school_of
from app.services.record_sheets import class_sheets
from app.services.records import class_records
from app.services.sheet_versions import as_version, current_sheet_docs, stale_sheets

ROLES = (d.ROLE_GVBM, d.ROLE_GVCN, d.ROLE_LEADER, d.ROLE_SEAL)
BEFORE = {d.ROLE_GVBM: d.DRAFT, d.ROLE_GVCN: d.DRAFT, d.ROLE_LEADER: d.GVCN_SIGNED, d.ROLE_SEAL: d.APPROVED}
AFTER = {
    d.ROLE_GVBM: d.GVBM_SIGNED,
    d.ROLE_GVCN: d.GVCN_SIGNED,
    d.ROLE_LEADER: d.APPROVED,
    d.ROLE_SEAL: d.ISSUED,
}
_RECORD_ORDER = (d.DRAFT, d.GVCN_SIGNED, d.APPROVED, d.ISSUED)
WAITING = {"ren_luyen_he": "đang chờ rèn luyện trong hè", "kiem_tra_lai": "đang chờ kiểm tra lại trong hè"}
PENDING, DONE, SKIPPED, BLOCKED = "pending", "done", "skipped", "blocked"
_NEEDED_BEFORE = {
    d.ROLE_LEADER: "chưa có chữ ký của giáo viên chủ nhiệm",
    d.ROLE_SEAL: "chưa được Hiệu trưởng hoặc Phó Hiệu trưởng phê duyệt",
}


class SigningRefused(UserFacingError):
    """This signer cannot sign these documents now; the message says why and what to do."""


def normalise_role(text: str) -> str:
    role = text.strip().lower().replace("-", "").replace("_", "")
    role = d.ROLE_LEADER if role == "phohieutruong" else role
    if role not in ROLES:
        raise UserFacingError(
            f"Vai trò ký không hợp lệ: {text}. Chọn gvbm, gvcn, hieutruong (hoặc phohieutruong) hay condau.",
            field="role",
        )
    return role


@dataclass(frozen=True)
class Signer:
    certificate_sha256: str
    user_id: int | None  # None: the school seal
    login: str  # the account, or "school-seal"
    full_name: str
    title: str  # the stamp's role line
    leader: str | None = None  # hieutruong / phohieutruong for the approval


@dataclass(frozen=True)
class PlanItem:
    document_uuid: str
    kind: str
    label: str  # the student's name, or "Toán — Học kì I"
    status: str  # pending, done, skipped, blocked
    reason: str | None = None
    student_code: str | None = None
    subject_code: str | None = None
    term: str | None = None
    version: int | None = None  # a later version (a correction, a sheet signed again); None: 1
    supersedes: str | None = None  # the uuid of the version a new sheet version replaces

    def to_json(self) -> dict[str, object]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass(frozen=True)
class SigningPlan:
    role: str
    class_id: int
    class_name: str
    year_name: str
    school_code: str
    school_name: str
    school_is_demo: bool
    signer: Signer
    items: tuple[PlanItem, ...]

    def having(self, status: str) -> tuple[PlanItem, ...]:
        return tuple(i for i in self.items if i.status == status)

    @property
    def pending(self) -> tuple[PlanItem, ...]:
        return self.having(PENDING)

    def to_json(self) -> dict[str, object]:
        return {
            "role": self.role, "class": self.class_name, "year": self.year_name,
            "signer": self.signer.full_name,
            "counts": {s: len(self.having(s)) for s in (PENDING, DONE, SKIPPED, BLOCKED)},
            "items": [i.to_json() for i in self.items],
        }  # fmt: skip


def plan_signing(
    db: Database,
    role: str,
    class_id: int,
    certificate_sha256: str,
    *,
    subject_code: str | None = None,
    now: datetime | None = None,
) -> SigningPlan:
    role = normalise_role(role)
    with db.read() as s:
        klass, year = s.execute(
            select(SchoolClass, SchoolYear)
            .join(SchoolYear, SchoolYear.id == SchoolClass.school_year_id)
            .where(SchoolClass.id == class_id)
        ).one()
        school = school_of(s)
        signer = _signer(s, role, certificate_sha256, klass, now or datetime.now(UTC))
        docs = {doc.uuid: doc for doc in s.scalars(select(Document).where(Document.class_id == class_id))}
        head = (klass.name, year.name, school.school_code, school.name, bool(school.is_demo))
        if role == d.ROLE_GVBM:
            items = _sheet_items(db, s, class_id, klass, signer, docs, subject_code)
        elif role == d.ROLE_GVCN:
            items = _gvcn_items(db, s, class_id)
        else:
            items = _later_items(s, role, class_id, docs)
    return SigningPlan(role, class_id, *head, signer=signer, items=tuple(items))


def _signer(s: Session, role: str, sha256: str, klass: SchoolClass, now: datetime) -> Signer:
    cert = find_certificate(s, sha256)
    if cert is None:
        raise SigningRefused(
            "Chứng thư số này chưa được đăng ký cho tài khoản nào của trường. Hãy nhờ quản trị viên "
            "đăng ký chứng thư số cho người ký (hoặc cho con dấu của trường) rồi ký lại."
        )
    _check_dates(cert, now)
    if role == d.ROLE_SEAL:
        if not cert.is_school_seal:
            raise SigningRefused(
                "Chứng thư số này đăng ký cho một cá nhân, không phải con dấu của trường. "
                "Hãy dùng token con dấu (chứng thư của tổ chức) đã đăng ký cho trường."
            )
        return Signer(cert.sha256, None, SEAL, school_of(s).name, "Nhà trường (đóng dấu)")
    user = s.get(UserAccount, cert.user_id) if cert.user_id is not None else None
    if user is None or cert.is_school_seal:
        raise SigningRefused(
            "Chứng thư con dấu của trường chỉ dùng để đóng dấu phát hành. Hãy ký bằng chứng thư cá nhân."
        )
    if role == d.ROLE_LEADER:
        leader = next((r for r in (ROLE_PRINCIPAL, ROLE_VICE_PRINCIPAL) if r in user.role_codes), None)
        if leader is None:
            raise SigningRefused(
                f"Chứng thư số này đăng ký cho {user.full_name}, không phải Hiệu trưởng hay Phó Hiệu trưởng: "
                "chỉ lãnh đạo nhà trường được phê duyệt học bạ."
            )
        title = "Hiệu trưởng" if leader == ROLE_PRINCIPAL else "Phó Hiệu trưởng"
        return Signer(cert.sha256, user.id, user.login, user.full_name, title, leader)
    if role == d.ROLE_GVCN and klass.homeroom_teacher_id != user.id:
        homeroom = s.get(UserAccount, klass.homeroom_teacher_id) if klass.homeroom_teacher_id else None
        raise SigningRefused(
            f"Chứng thư số này đăng ký cho {user.full_name}, không phải giáo viên chủ nhiệm lớp {klass.name}"
            f"{f' ({homeroom.full_name})' if homeroom else ''}. Hãy dùng đúng token của giáo viên chủ nhiệm."
        )
    title = "Giáo viên chủ nhiệm" if role == d.ROLE_GVCN else "Giáo viên bộ môn"
    return Signer(cert.sha256, user.id, user.login, user.full_name, title)


def _check_dates(cert: Certificate, now: datetime) -> None:
    moment = now.astimezone(UTC).replace(tzinfo=None)
    if cert.revoked_at is not None:
        raise SigningRefused("Chứng thư số này đã bị thu hồi. Hãy đăng ký chứng thư số mới rồi ký lại.")
    if moment > cert.not_after:
        raise SigningRefused(
            f"Chứng thư số đã hết hạn ngày {cert.not_after:%d/%m/%Y}. Hãy gia hạn chứng thư với nhà cung cấp "
            "chữ ký số và đăng ký chứng thư mới rồi ký lại."
        )
    if moment < cert.not_before:
        raise SigningRefused(f"Chứng thư số chỉ có hiệu lực từ ngày {cert.not_before:%d/%m/%Y}.")


def _sheet_items(
    db: Database,
    s: Session,
    class_id: int,
    klass: SchoolClass,
    signer: Signer,
    docs: dict[str, Document],
    subject_code: str | None,
) -> list[PlanItem]:
    taught = {
        subject.code: (subject, ta)
        for subject, ta in s.execute(
            select(Subject, TeachingAssignment)
            .join(TeachingAssignment, TeachingAssignment.subject_id == Subject.id)
            .where(TeachingAssignment.class_id == class_id)
        )
    }
    if subject_code is not None:
        code = subject_code.strip()
        if code not in taught:
            raise SigningRefused(f"Lớp {klass.name} không học môn có mã {code}. Hãy kiểm tra mã môn.")
        subject, ta = taught[code]
        if ta.teacher_id != signer.user_id:
            raise SigningRefused(
                f"Chứng thư số này đăng ký cho {signer.full_name}, không phải giáo viên dạy môn "
                f"{subject.name} "
                f"lớp {klass.name}. Hãy dùng đúng token của giáo viên bộ môn."
            )
        wanted = {code}
    else:
        wanted = {c for c, (_, ta) in taught.items() if ta.teacher_id == signer.user_id}
        if not wanted:
            raise SigningRefused(
                f"{signer.full_name} không dạy môn nào ở lớp {klass.name}, nên không ký bảng điểm."
            )
    del docs  # sheets are found by subject and term: a new version has its own uuid
    current = current_sheet_docs(s, class_id)
    sheets = [sheet for sheet in class_sheets(db, class_id) if sheet.subject_code in wanted]
    stale = stale_sheets(db, sheets, current)
    items = []
    for sheet in sheets:
        subject, ta = taught[sheet.subject_code]
        key = (sheet.subject_code, sheet.term)
        doc = current.get(key)
        label = f"{subject.name} — {TERM_LABELS[sheet.term]}"
        uuid, version, supersedes = sheet.sheet_id, 1, None
        if doc is not None:
            uuid, version = doc.uuid, doc.version
        status, why = PENDING, None
        if doc is not None and doc.state == d.GVBM_SIGNED and key not in stale:
            status = DONE
        else:
            if doc is not None and doc.state == d.GVBM_SIGNED:  # changed since it was signed
                version, supersedes = doc.version + 1, doc.uuid
                uuid = as_version(sheet, version).sheet_id
                label = f"{label} (ký lại, phiên bản {version}: điểm đã thay đổi sau khi ký)"
            if ta.locked_at is None:
                status = BLOCKED
                why = (
                    f"sổ điểm môn {subject.name} chưa khoá: hãy khoá sổ (kiểm tra điểm) "
                    "trước khi ký bảng điểm"
                )
        items.append(
            PlanItem(
                uuid,
                d.KIND_SHEET,
                label,
                status,
                why,
                subject_code=sheet.subject_code,
                term=sheet.term,
                version=version if version > 1 else None,
                supersedes=supersedes,
            )
        )
    return items


def _gvcn_items(db: Database, s: Session, class_id: int) -> list[PlanItem]:
    sheets = class_sheets(db, class_id)
    sheet_names = {(sheet.subject_code, sheet.term): f"{sheet.subject_name} ({TERM_LABELS[sheet.term]})"
                   for sheet in sheets}  # fmt: skip
    current_sheets = current_sheet_docs(s, class_id)
    stale = stale_sheets(db, sheets, current_sheets)
    # Records are found per student: a correction is a later version with its own uuid.
    current = {student.student_code: doc for student, doc in current_records(s, [class_id])}
    items = []
    for record in class_records(db, class_id):
        student = record.student
        code = student.student_code
        name = student.full_name
        doc = current.get(code)
        uuid = doc.uuid if doc is not None else record.meta.record_id
        version = doc.version if doc is not None and doc.version > 1 else None
        if doc is not None and doc.state != d.DRAFT:
            items.append(PlanItem(uuid, d.KIND_RECORD, name, DONE, student_code=code, version=version))
            continue
        promotion = getattr(record.results, "promotion", None)
        if promotion in WAITING:
            why = f"{WAITING[promotion]}; ký sau khi có kết quả đánh giá lại"
            items.append(PlanItem(uuid, d.KIND_RECORD, name, SKIPPED, why, code, version=version))
            continue
        missing, changed = [], []
        for ref in record.sheets:
            key = (ref.subject_code, ref.term)
            sheet = current_sheets.get(key)
            shown = sheet_names.get(key, ref.subject_code)
            if sheet is None or sheet.state != d.GVBM_SIGNED:
                missing.append(shown)
            elif key in stale:
                changed.append(shown)
        if missing or changed:
            parts = []
            if missing:
                parts.append(f"chưa đủ chữ ký giáo viên bộ môn trên bảng điểm môn: {_few(missing)}")
            if changed:
                parts.append(
                    f"bảng điểm môn {_few(changed)} đã thay đổi sau khi ký (kiểm tra lại hoặc đính chính): "
                    "giáo viên bộ môn cần ký phiên bản mới"
                )
            why = "; ".join(parts)
            items.append(PlanItem(uuid, d.KIND_RECORD, name, BLOCKED, why, code, version=version))
        else:
            items.append(PlanItem(uuid, d.KIND_RECORD, name, PENDING, student_code=code, version=version))
    return items


def _few(names: list[str]) -> str:
    return ", ".join(names[:4]) + (f" và {len(names) - 4} bảng khác" if len(names) > 4 else "")


def current_records(s: Session, class_ids: Iterable[int]) -> list[tuple[Student, Document | None]]:
    """Each student of the classes with their current (newest, not superseded) record document."""
    rows = s.execute(
        select(Student, Enrolment)
        .join(Enrolment, Enrolment.student_id == Student.id)
        .where(Enrolment.class_id.in_(list(class_ids)))
        .order_by(Student.full_name.collate("vi_name"))
    ).all()
    by_enrolment: dict[int, Document] = {}
    for doc in s.scalars(
        select(Document).where(
            Document.enrolment_id.in_([e.id for _, e in rows]), Document.superseded.is_(False)
        )
    ):
        if doc.enrolment_id is not None:
            best = by_enrolment.get(doc.enrolment_id)
            if best is None or doc.version > best.version:
                by_enrolment[doc.enrolment_id] = doc
    return [(student, by_enrolment.get(enrolment.id)) for student, enrolment in rows]


def _later_items(s: Session, role: str, class_id: int, docs: dict[str, Document]) -> list[PlanItem]:
    del docs  # records are found per enrolment: a correction has its own uuid
    items = []
    why: str | None
    for student, doc in current_records(s, [class_id]):
        code = student.student_code
        name = student.full_name
        if doc is None or doc.state == d.DRAFT:
            why = _NEEDED_BEFORE[d.ROLE_LEADER]
            items.append(PlanItem(doc.uuid if doc else "", d.KIND_RECORD, name, BLOCKED, why, code))
            continue
        version = doc.version if doc.version > 1 else None
        why = None
        if _RECORD_ORDER.index(doc.state) >= _RECORD_ORDER.index(AFTER[role]):
            status = DONE
        elif doc.state == BEFORE[role]:
            status = PENDING
        else:
            status, why = BLOCKED, _NEEDED_BEFORE[role]
        items.append(PlanItem(doc.uuid, d.KIND_RECORD, name, status, why, student_code=code, version=version))
    return items
