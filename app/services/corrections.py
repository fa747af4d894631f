"""Corrections of issued records (đính chính học bạ): request, decide, follow, history.

Nothing issued is ever edited: a correction is a new version of the student's year record.

1. The homeroom teacher asks, with a reason (`request_correction`), for a student whose
   current record is issued; one open request per student at a time.
2. The principal or a vice principal approves or rejects it (`approve_correction`,
   `reject_correction`, with a note saying why). Approval creates the new version as a draft
   (version + 1, naming the version it supersedes and the reason) and opens the student's
   values for the correction (the triggers of app.models.triggers refuse them otherwise).
3. The new version goes through the whole order again (GVCN → leader → seal, with the
   class subject sheets signed again where the correction changed them); when the seal
   issues it, the old version is marked superseded and the request closes (corrections_issue).

Every step is audited. `student_history` lists every version and request of a student.
"""

from __future__ import annotations

import unicodedata
import uuid as uuidlib
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.documents.record import record_uuid
from app.errors import NotFound, UserFacingError
from app.models import (
    CorrectionRequest,
    Document,
    Enrolment,
    School,
    SchoolClass,
    SchoolYear,
    Signature,
    Student,
)
from app.models import corrections as c
from app.models import documents as d
from app.models.base import utcnow
from app.models.db import Database
from app.services import audit
from app.services.access import Actor, require_homeroom, require_leader, require_view_class
from app.services.signing_order import current_records

__all__ = [
    "MIN_REASON_CHARS",
    "ClassRecordState",
    "Correction",
    "RecordVersion",
    "StudentHistory",
    "approve_correction",
    "class_record_states",
    "open_corrections",
    "pending_corrections",
    "reject_correction",
    "request_correction",
    "student_history",
]

MIN_REASON_CHARS: Final = 10
AUDIT_ENTITY: Final = "correction_request"
STATE_WORDS: Final = {
    c.REQUESTED: "chờ phê duyệt",
    c.APPROVED: "đã duyệt, đang lập và ký lại",
    c.REJECTED: "không duyệt",
    c.ISSUED: "đã phát hành bản đính chính",
}
DOCUMENT_STATE_WORDS: Final = {
    d.DRAFT: "bản nháp",
    d.GVCN_SIGNED: "GVCN đã ký",
    d.APPROVED: "lãnh đạo đã duyệt",
    d.ISSUED: "đã phát hành",
}


@dataclass(frozen=True)
class Correction:
    uuid: str
    student_id: int
    student_code: str
    student_name: str
    class_id: int
    class_name: str
    year_name: str
    version: int  # the issued version being corrected
    document_uuid: str
    new_version: int | None
    new_document_uuid: str | None
    new_document_state: str | None
    reason: str
    state: str
    requested_by: str
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str | None
    issued_at: datetime | None

    @property
    def state_text(self) -> str:
        return STATE_WORDS.get(self.state, self.state)


@dataclass(frozen=True)
class RecordVersion:
    document_uuid: str
    version: int
    state: str
    superseded: bool
    supersedes: str | None
    reason: str | None
    created_at: datetime
    issued_at: datetime | None
    sha256: str | None
    signers: tuple[str, ...]  # "GVCN: Nguyễn Thị Hoa", …

    @property
    def state_text(self) -> str:
        words = DOCUMENT_STATE_WORDS.get(self.state, self.state)
        return f"{words} (đã được thay thế)" if self.superseded else words


@dataclass(frozen=True)
class StudentHistory:
    student_id: int
    student_code: str
    full_name: str
    class_name: str
    year_name: str
    versions: tuple[RecordVersion, ...]  # oldest first
    corrections: tuple[Correction, ...]  # oldest first


@dataclass(frozen=True)
class ClassRecordState:
    """One student of a class as the correction request dialog shows them."""

    student_id: int
    student_code: str
    full_name: str
    version: int | None
    state: str | None  # of the current record; None: no record yet
    open_correction: str | None  # state of an open request, if any

    @property
    def can_request(self) -> bool:
        return self.state == d.ISSUED and self.open_correction is None

    @property
    def status_text(self) -> str:
        if self.open_correction is not None:
            return f"Đính chính: {STATE_WORDS[self.open_correction]}"
        if self.state is None:
            return "chưa lập học bạ"
        words = DOCUMENT_STATE_WORDS.get(self.state, self.state)
        return f"{words} (phiên bản {self.version})"


# ------------------------------------------------------------------------------ queries


def class_record_states(db: Database, actor: Actor, class_id: int) -> tuple[ClassRecordState, ...]:
    """Every student of the class with their current record and any open correction."""
    require_view_class(actor, class_id)
    with db.read() as s:
        open_by_enrolment = dict(
            s.execute(
                select(CorrectionRequest.enrolment_id, CorrectionRequest.state)
                .join(Enrolment, Enrolment.id == CorrectionRequest.enrolment_id)
                .where(Enrolment.class_id == class_id, CorrectionRequest.state.in_(c.OPEN_STATES))
            ).all()
        )
        enrolments = dict(
            s.execute(select(Enrolment.student_id, Enrolment.id).where(Enrolment.class_id == class_id)).all()
        )
        return tuple(
            ClassRecordState(
                student.id, student.student_code, student.full_name,
                doc.version if doc else None, doc.state if doc else None,
                open_by_enrolment.get(enrolments[student.id]),
            )
            for student, doc in current_records(s, [class_id])
        )


def pending_corrections(db: Database, actor: Actor) -> tuple[Correction, ...]:
    """Requests waiting for the principal's or a vice principal's decision, oldest first."""
    require_leader(actor)
    with db.read() as s:
        rows = s.scalars(
            select(CorrectionRequest)
            .where(CorrectionRequest.state == c.REQUESTED)
            .order_by(CorrectionRequest.requested_at, CorrectionRequest.id)
        )
        return tuple(_correction(s, r) for r in rows)


def open_corrections(db: Database, actor: Actor, class_id: int | None = None) -> tuple[Correction, ...]:
    """Requests not finished yet (waiting, or approved and being signed), of a class or the school."""
    if class_id is None:
        require_leader(actor)
    else:
        require_view_class(actor, class_id)
    with db.read() as s:
        query = (
            select(CorrectionRequest)
            .join(Enrolment, Enrolment.id == CorrectionRequest.enrolment_id)
            .where(CorrectionRequest.state.in_(c.OPEN_STATES))
            .order_by(CorrectionRequest.requested_at, CorrectionRequest.id)
        )
        if class_id is not None:
            query = query.where(Enrolment.class_id == class_id)
        return tuple(_correction(s, r) for r in s.scalars(query))


def student_history(db: Database, actor: Actor, student_id: int, class_id: int) -> StudentHistory:
    """Every version of the student's record for the class's year, and every correction request."""
    require_view_class(actor, class_id)
    with db.read() as s:
        enrolment, student, klass, year = _enrolment(s, student_id, class_id)
        docs = s.scalars(
            select(Document)
            .where(Document.enrolment_id == enrolment.id, Document.kind == d.KIND_RECORD)
            .order_by(Document.version)
        ).all()
        signatures: dict[int, list[str]] = {}
        ids = [doc.id for doc in docs]
        for sig in s.scalars(select(Signature).where(Signature.document_id.in_(ids)).order_by(Signature.id)):
            signatures.setdefault(sig.document_id, []).append(f"{_ROLE_WORDS[sig.role]}: {sig.signer_name}")
        versions = tuple(
            RecordVersion(
                doc.uuid, doc.version, doc.state, bool(doc.superseded), doc.supersedes, doc.supersede_reason,
                doc.created_at, doc.issued_at, doc.current_sha256, tuple(signatures.get(doc.id, ())),
            )
            for doc in docs
        )
        requests = s.scalars(
            select(CorrectionRequest)
            .where(CorrectionRequest.enrolment_id == enrolment.id)
            .order_by(CorrectionRequest.requested_at, CorrectionRequest.id)
        )
        return StudentHistory(
            student.id, student.student_code, student.full_name, klass.name, year.name, versions,
            tuple(_correction(s, r) for r in requests),
        )  # fmt: skip


_ROLE_WORDS: Final = {
    d.ROLE_GVBM: "GVBM",
    d.ROLE_GVCN: "GVCN",
    d.ROLE_LEADER: "Lãnh đạo duyệt",
    d.ROLE_SEAL: "Đóng dấu",
}


# ------------------------------------------------------------------------------ changes


def request_correction(
    db: Database, actor: Actor, class_id: int, student_id: int, reason: str
) -> Correction:
    """The homeroom teacher asks to correct the student's issued record, saying why."""
    require_homeroom(actor, class_id)
    text = _clean(reason)
    if len(text) < MIN_REASON_CHARS:
        raise UserFacingError(
            f"Hãy ghi rõ lý do đính chính (ít nhất {MIN_REASON_CHARS} ký tự), ví dụ "
            "“Nhập nhầm điểm cuối kì II môn Toán: 6,5 thành 8,5”.",
            field="reason",
        )
    with db.write() as s:
        enrolment, student, _klass, _year = _enrolment(s, student_id, class_id)
        doc = _current_record(s, enrolment.id)
        if doc is None or doc.state != d.ISSUED:
            raise UserFacingError(
                f"Học bạ của học sinh {student.full_name} chưa được phát hành, nên chưa cần đính chính: "
                "hãy sửa trực tiếp rồi ký theo thứ tự như bình thường."
            )
        _refuse_if_open(s, enrolment.id, student.full_name)
        request = CorrectionRequest(
            uuid=str(uuidlib.uuid4()), enrolment_id=enrolment.id, document_id=doc.id, reason=text,
            state=c.REQUESTED, requested_by_id=actor.user_id, requested_by_name=actor.full_name,
        )  # fmt: skip
        s.add(request)
        s.flush()
        audit.append(
            s, actor=actor.login, action="correction.request", entity=AUDIT_ENTITY, entity_id=request.uuid,
            detail={"student_id": student.id, "document": doc.uuid, "version": doc.version, "reason": text},
        )  # fmt: skip
        return _correction(s, request)


def approve_correction(db: Database, actor: Actor, request_uuid: str) -> Correction:
    """The leader approves: the new version is created as a draft and the student's values open."""
    require_leader(actor)
    with db.write() as s:
        request = _open_request(s, request_uuid)
        old = s.get(Document, request.document_id)
        assert old is not None
        if old.superseded or old.state != d.ISSUED:
            raise UserFacingError("Phiên bản học bạ cần đính chính đã được thay thế. Hãy tải lại danh sách.")
        student = s.scalar(
            select(Student).join(Enrolment, Enrolment.student_id == Student.id)
            .where(Enrolment.id == request.enrolment_id)
        )  # fmt: skip
        year = s.get(SchoolYear, old.school_year_id)
        school = s.get(School, old.school_id)
        assert student is not None and year is not None and school is not None
        version = old.version + 1
        new = Document(
            uuid=record_uuid(school.school_code, student.hocba_code, year.name, version), kind=d.KIND_RECORD,
            school_id=old.school_id, school_year_id=old.school_year_id, class_id=old.class_id,
            enrolment_id=old.enrolment_id, version=version, supersedes=old.uuid,
            supersede_reason=request.reason, state=d.DRAFT, superseded=False,
        )  # fmt: skip
        s.add(new)
        s.flush()
        _decide(request, actor, c.APPROVED, None)
        request.new_document_id = new.id
        s.flush()
        audit.append(
            s, actor=actor.login, action="correction.approve", entity=AUDIT_ENTITY, entity_id=request.uuid,
            detail={"student_id": student.id, "document": new.uuid, "version": version,
                    "supersedes": old.uuid},
        )  # fmt: skip
        return _correction(s, request)


def reject_correction(db: Database, actor: Actor, request_uuid: str, note: str) -> Correction:
    """The leader rejects, saying why (the homeroom teacher sees the note)."""
    require_leader(actor)
    text = _clean(note)
    if len(text) < 5:
        raise UserFacingError(
            "Hãy ghi lý do không duyệt để giáo viên chủ nhiệm biết cần làm gì, ví dụ "
            "“Điểm trong sổ điểm đúng, không cần đính chính”.",
            field="note",
        )
    with db.write() as s:
        request = _open_request(s, request_uuid)
        _decide(request, actor, c.REJECTED, text)
        s.flush()
        audit.append(
            s, actor=actor.login, action="correction.reject", entity=AUDIT_ENTITY, entity_id=request.uuid,
            detail={"note": text},
        )  # fmt: skip
        return _correction(s, request)


# ------------------------------------------------------------------------------ internals


def _clean(text: str | None) -> str:
    return " ".join(unicodedata.normalize("NFC", text or "").split())


def _enrolment(
    s: Session, student_id: int, class_id: int
) -> tuple[Enrolment, Student, SchoolClass, SchoolYear]:
    found = s.execute(
        select(Enrolment, Student, SchoolClass, SchoolYear)
        .join(Student, Student.id == Enrolment.student_id)
        .join(SchoolClass, SchoolClass.id == Enrolment.class_id)
        .join(SchoolYear, SchoolYear.id == SchoolClass.school_year_id)
        .where(Enrolment.student_id == student_id, Enrolment.class_id == class_id)
    ).first()
    if found is None:
        raise NotFound("Học sinh này không (còn) học ở lớp này. Hãy tải lại danh sách lớp.")
    return found[0], found[1], found[2], found[3]


def _current_record(s: Session, enrolment_id: int) -> Document | None:
    return s.scalars(
        select(Document)
        .where(
            Document.enrolment_id == enrolment_id,
            Document.kind == d.KIND_RECORD,
            Document.superseded.is_(False),
        )
        .order_by(Document.version.desc())
    ).first()


def _refuse_if_open(s: Session, enrolment_id: int, name: str) -> None:
    state = s.scalar(
        select(CorrectionRequest.state).where(
            CorrectionRequest.enrolment_id == enrolment_id, CorrectionRequest.state.in_(c.OPEN_STATES)
        )
    )
    if state is not None:
        raise UserFacingError(
            f"Học bạ của học sinh {name} đã có một đề nghị đính chính ({STATE_WORDS[state]}). "
            "Hãy hoàn tất đề nghị đó trước khi gửi đề nghị mới."
        )


def _open_request(s: Session, request_uuid: str) -> CorrectionRequest:
    request = s.scalar(select(CorrectionRequest).where(CorrectionRequest.uuid == request_uuid))
    if request is None:
        raise NotFound("Không tìm thấy đề nghị đính chính này. Hãy tải lại danh sách.")
    if request.state != c.REQUESTED:
        raise UserFacingError(
            f"Đề nghị đính chính này đã được xử lý ({STATE_WORDS[request.state]}). Hãy tải lại danh sách."
        )
    return request


def _decide(request: CorrectionRequest, actor: Actor, state: str, note: str | None) -> None:
    request.state = state
    request.decided_by_id = actor.user_id
    request.decided_by_name = actor.full_name
    request.decided_at = utcnow()
    request.decision_note = note


def _correction(s: Session, r: CorrectionRequest) -> Correction:
    student, klass, year = s.execute(
        select(Student, SchoolClass, SchoolYear)
        .join(Enrolment, Enrolment.student_id == Student.id)
        .join(SchoolClass, SchoolClass.id == Enrolment.class_id)
        .join(SchoolYear, SchoolYear.id == SchoolClass.school_year_id)
        .where(Enrolment.id == r.enrolment_id)
    ).one()
    old = s.get(Document, r.document_id)
    new = s.get(Document, r.new_document_id) if r.new_document_id is not None else None
    assert old is not None
    return Correction(
        uuid=r.uuid, student_id=student.id, student_code=student.student_code, student_name=student.full_name,
        class_id=klass.id, class_name=klass.name, year_name=year.name, version=old.version,
        document_uuid=old.uuid, new_version=new.version if new else None,
        new_document_uuid=new.uuid if new else None, new_document_state=new.state if new else None,
        reason=r.reason, state=r.state, requested_by=r.requested_by_name, requested_at=r.requested_at,
        decided_by=r.decided_by_name, decided_at=r.decided_at, decision_note=r.decision_note,
        issued_at=r.issued_at,
    )  # fmt: skip

