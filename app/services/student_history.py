"""The student page of the look-up: a student's whole study history and every record version.

For each school year the page shows where the student studied (class here, or the school
before, from the study history and from transfer packages received), the year's results
when this school computed them, how the year ended (transfer out with its destination,
dropping out), and every version of that year's học bạ with its signature status: which
roles signed, who, when, and what is still missing; a superseded version says which
version replaced it and why.

Who may open the page: the school-wide roles for any student; a teacher for a student who
was ever in a class they teach or lead. Results of a year are shown only when the actor
may see that class (app.services.access). The identification number is whole only for the
roles that need it (app.services.lookup.may_see_national_id).
"""

from __future__ import annotations

import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime

from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import NotFound
from app.models import (
    Document,
    DocumentFile,
    Enrolment,
    Grade,
    ReceivedDocument,
    School,
    SchoolClass,
    SchoolYear,
    Signature,
    Student,
    StudyHistory,
    TransferIn,
    TransferOut,
    UserAccount,
)
from app.models import documents as d
from app.models.db import Database
from app.services.access import Actor, PermissionDenied, can_view_class
from app.services.backup_thinning import SCHOOL_TZ
from app.services.class_results import SEX_LABELS, class_results
from app.services.document_store import read_document
from app.services.lookup import may_see_national_id, national_id_for
from app.sync.documents import DocumentMissing

__all__ = [
    "HistoryYear",
    "RecordFile",
    "RecordVersion",
    "SignatureMark",
    "StudentPage",
    "TransferInInfo",
    "TransferOutInfo",
    "YearResult",
    "open_received_record",
    "open_record_version",
    "student_page",
]

# The roles that sign a year record, in the legal order (domain.md §3).
RECORD_ROLES = (d.ROLE_GVCN, d.ROLE_LEADER, d.ROLE_SEAL)
ROLE_LABELS = {
    d.ROLE_GVBM: "Giáo viên bộ môn",
    d.ROLE_GVCN: "Giáo viên chủ nhiệm",
    d.ROLE_LEADER: "Hiệu trưởng",
    d.ROLE_SEAL: "Con dấu nhà trường",
}
LEADER_LABELS = {"hieutruong": "Hiệu trưởng", "phohieutruong": "Phó hiệu trưởng"}
STATE_LABELS = {
    d.DRAFT: "Bản nháp, chờ giáo viên chủ nhiệm ký",
    d.GVCN_SIGNED: "Giáo viên chủ nhiệm đã ký, chờ hiệu trưởng duyệt",
    d.APPROVED: "Hiệu trưởng đã duyệt, chờ đóng dấu phát hành",
    d.ISSUED: "Đã phát hành",
}


@dataclass(frozen=True)
class SignatureMark:
    role: str  # gvcn / hieutruong / condau (app.models.documents)
    role_label: str  # "Giáo viên chủ nhiệm", "Phó hiệu trưởng", "Con dấu nhà trường"
    signer_name: str
    signed_at: datetime
    demo: bool


@dataclass(frozen=True)
class RecordVersion:
    """One version of a year's học bạ: made here (`document_id`) or received (`received_id`)."""

    document_id: int | None
    received_id: int | None
    uuid: str
    version: int
    state: str  # a Document state; "received" for a record another school issued
    status_label: str  # Vietnamese, the whole status in words
    superseded: bool
    superseded_by_version: int | None
    supersedes_version: int | None
    supersede_reason: str | None
    created_at: datetime | None
    issued_at: datetime | None
    sha256: str | None  # the newest file; None while nothing was rendered
    signatures: tuple[SignatureMark, ...]
    missing_roles: tuple[str, ...]  # labels of the roles still to sign (current versions only)
    school_name: str | None  # the issuing school, for received records
    can_open: bool


@dataclass(frozen=True)
class YearResult:
    learning: str | None
    conduct: str | None
    promotion_label: str
    title: str | None
    sessions_absent: int
    problem: str | None  # why the year cannot be computed yet


@dataclass(frozen=True)
class TransferOutInfo:
    transfer_date: date
    destination_school: str
    records: int
    created_by: str


@dataclass(frozen=True)
class TransferInInfo:
    source_school_name: str
    accepted_at: datetime
    verified: bool
    override_reason: str | None
    accepted_by: str


@dataclass(frozen=True)
class HistoryYear:
    year_name: str  # "2025-2026"
    class_name: str
    school_name: str
    here: bool  # studied at this school (an enrolment), else an earlier school
    current: bool  # the school's current year
    grade: int | None
    start_date: date | None
    end_date: date | None  # set when the student left during the year
    end_reason: str | None
    registration_number: str | None  # số đăng bộ
    homeroom_name: str | None
    result: YearResult | None
    result_note: str | None  # why there is no result, in words
    transfer_out: TransferOutInfo | None
    records: tuple[RecordVersion, ...]  # oldest version first


@dataclass(frozen=True)
class StudentPage:
    student_id: int
    full_name: str
    student_code: str
    hocba_code: str
    national_id: str  # whole or masked, see `national_id_full`
    national_id_full: bool
    provisional_id: bool
    date_of_birth: date
    sex: str
    ethnicity: str
    place_of_birth: str | None
    school_name: str
    years: tuple[HistoryYear, ...]  # oldest first
    transfers_in: tuple[TransferInInfo, ...]

    @property
    def left(self) -> HistoryYear | None:
        """The year the student left this school early, if the last year here ended so."""
        here = [y for y in self.years if y.here]
        return here[-1] if here and here[-1].end_date is not None else None


@dataclass(frozen=True)
class RecordFile:
    """A stored record version's exact bytes, for the document viewer."""

    title: str
    pdf: bytes
    xml: bytes  # the XML embedded in the PDF (empty when none could be read)
    file_stem: str


# --------------------------------------------------------------------------- the page


def student_page(db: Database, actor: Actor, student_id: int) -> StudentPage:
    """Everything the student page shows; NotFound / PermissionDenied as the case may be."""
    with db.read() as s:
        student = s.get(Student, student_id)
        if student is None:
            raise NotFound("Không tìm thấy học sinh này. Có thể dữ liệu vừa được thay đổi; hãy tìm lại.")
        places = s.execute(
            select(Enrolment, SchoolClass, SchoolYear, Grade, UserAccount.full_name)
            .join(SchoolClass, SchoolClass.id == Enrolment.class_id)
            .join(SchoolYear, SchoolYear.id == SchoolClass.school_year_id)
            .join(Grade, Grade.id == SchoolClass.grade_id)
            .outerjoin(UserAccount, UserAccount.id == SchoolClass.homeroom_teacher_id)
            .where(Enrolment.student_id == student_id)
            .order_by(SchoolYear.start_date, Enrolment.start_date)
        ).all()
        _require_view_student(actor, [k.id for _, k, _y, _g, _h in places])
        school = s.scalar(select(School).order_by(School.id).limit(1))
        school_name = school.name if school else ""
        outs = {
            t.enrolment_id: TransferOutInfo(t.transfer_date, t.destination_school, t.records, t.created_by)
            for t in s.scalars(select(TransferOut).where(TransferOut.student_id == student_id))
        }
        versions = _versions_by_enrolment(s, [e.id for e, *_ in places])
        received = _received(s, student_id)
        earlier = _earlier_years(
            list(s.scalars(select(StudyHistory).where(StudyHistory.student_id == student_id))), received
        )
        transfers_in = tuple(
            TransferInInfo(t.source_school_name, t.accepted_at, t.verified, t.override_reason, t.accepted_by)
            for t in s.scalars(
                select(TransferIn).where(TransferIn.student_id == student_id).order_by(TransferIn.accepted_at)
            )
        )
        here_rows = [
            (e.id, k.id, k.name, y.name, bool(y.is_current), g.number, e.start_date, e.end_date,
             e.end_reason, e.registration_number, homeroom)
            for e, k, y, g, homeroom in places
        ]
        identity = (
            student.full_name, student.student_code, student.hocba_code, student.national_id,
            student.date_of_birth, student.sex, student.ethnicity, student.place_of_birth,
        )
    years = earlier
    for row in here_rows:
        eid, class_id, class_name, year_name, current, grade, start, end, reason, reg, homeroom = row
        result, note = _year_result(db, actor, class_id, student_id, end)
        years.append(
            HistoryYear(
                year_name=year_name, class_name=class_name, school_name=school_name, here=True,
                current=current,
                grade=grade, start_date=start, end_date=end, end_reason=reason,
                registration_number=reg, homeroom_name=homeroom, result=result, result_note=note,
                transfer_out=outs.get(eid), records=versions.get(eid, ()),
            )
        )
    years.sort(key=lambda y: (y.year_name, 0 if not y.here else 1, y.start_date or date.min))
    name, code, hocba, nid, dob, sex, ethnicity, pob = identity
    return StudentPage(
        student_id=student_id,
        full_name=name,
        student_code=code,
        hocba_code=hocba,
        national_id=national_id_for(actor, nid),
        national_id_full=may_see_national_id(actor),
        provisional_id=nid is None,
        date_of_birth=dob,
        sex=SEX_LABELS.get(sex, ""),
        ethnicity=ethnicity,
        place_of_birth=pob,
        school_name=school_name,
        years=tuple(years),
        transfers_in=transfers_in,
    )


def _require_view_student(actor: Actor, class_ids: list[int]) -> None:
    if actor.sees_whole_school or any(can_view_class(actor, c) for c in class_ids):
        return
    raise PermissionDenied(
        "Bạn chưa từng dạy hoặc chủ nhiệm lớp nào của học sinh này nên không xem được hồ sơ. "
        "Hãy nhờ văn thư hoặc ban giám hiệu tra cứu."
    )


def _year_result(
    db: Database, actor: Actor, class_id: int, student_id: int, end: date | None
) -> tuple[YearResult | None, str | None]:
    if not can_view_class(actor, class_id):
        return None, "Bạn không dạy lớp này nên không xem được kết quả năm học này."
    if end is not None:
        return None, "Rời lớp giữa năm học nên không có kết quả cả năm."
    # The class's own computation, so the page never disagrees with the class page.
    for row in class_results(db, actor, class_id).rows:
        if row.student_id == student_id:
            return (
                YearResult(row.learning, row.conduct, row.promotion_label, row.title, row.sessions_absent,
                           row.problem),
                None,
            )
    return None, "Chưa có kết quả năm học này."


_Received = dict[tuple[str, str], tuple[str, list[RecordVersion]]]  # (year, school) → (class, versions)


def _earlier_years(earlier: list[StudyHistory], received: _Received) -> list[HistoryYear]:
    """Years at other schools: the study history typed in, and the years packages brought."""
    out: list[HistoryYear] = []
    seen: set[tuple[str, str]] = set()
    for h in earlier:
        key = (h.year_name, h.school_name)
        seen.add(key)
        versions = tuple(received[key][1]) if key in received else ()
        out.append(
            _other_school_year(h.year_name, h.class_name, h.school_name, h.registration_number, versions)
        )
    for (year_name, school_name), (class_name, found) in received.items():
        if (year_name, school_name) not in seen:
            out.append(_other_school_year(year_name, class_name, school_name, None, tuple(found)))
    return out


def _other_school_year(
    year_name: str, class_name: str, school_name: str, reg: str | None, records: tuple[RecordVersion, ...]
) -> HistoryYear:
    return HistoryYear(
        year_name=year_name, class_name=class_name, school_name=school_name, here=False, current=False,
        grade=None,
        start_date=None, end_date=None, end_reason=None, registration_number=reg, homeroom_name=None,
        result=None,
        result_note=(
            "Kết quả do trường cũ đánh giá: xem học bạ nhận từ trường cũ bên dưới." if records
            else "Học ở trường khác; kết quả ghi trong học bạ của trường đó."
        ),
        transfer_out=None, records=records,
    )


# --------------------------------------------------------------------------- versions


def _versions_by_enrolment(s: Session, enrolment_ids: list[int]) -> dict[int, tuple[RecordVersion, ...]]:
    if not enrolment_ids:
        return {}
    docs = list(
        s.scalars(
            select(Document)
            .where(Document.kind == d.KIND_RECORD, Document.enrolment_id.in_(enrolment_ids))
            .order_by(Document.version, Document.id)
        )
    )
    signatures: dict[int, list[Signature]] = defaultdict(list)
    if docs:
        ids = [doc.id for doc in docs]
        for sig in s.scalars(
            select(Signature).where(Signature.document_id.in_(ids)).order_by(Signature.signed_at)
        ):
            signatures[sig.document_id].append(sig)
    version_of = {doc.uuid: doc.version for doc in docs}
    replaced_by: dict[str, Document] = {}
    for doc in docs:
        if doc.supersedes:
            replaced_by[doc.supersedes] = doc
    out: dict[int, list[RecordVersion]] = defaultdict(list)
    for doc in docs:
        marks = tuple(_mark(sig) for sig in signatures[doc.id])
        newer = replaced_by.get(doc.uuid)
        # A newer version replaces this one only once it is issued; until then this one stands.
        superseded = doc.superseded or (newer is not None and newer.state == d.ISSUED)
        signed_roles = {m.role for m in marks}
        missing = () if superseded else tuple(ROLE_LABELS[r] for r in RECORD_ROLES if r not in signed_roles)
        out[int(doc.enrolment_id or 0)].append(
            RecordVersion(
                document_id=doc.id,
                received_id=None,
                uuid=doc.uuid,
                version=doc.version,
                state=doc.state,
                status_label=_status_label(doc, superseded, newer),
                superseded=superseded,
                superseded_by_version=newer.version if newer is not None else None,
                supersedes_version=version_of.get(doc.supersedes) if doc.supersedes else None,
                supersede_reason=doc.supersede_reason,
                created_at=doc.created_at,
                issued_at=doc.issued_at,
                sha256=doc.current_sha256,
                signatures=marks,
                missing_roles=missing,
                school_name=None,
                can_open=doc.current_sha256 is not None,
            )
        )
    return {k: tuple(v) for k, v in out.items()}


def _mark(sig: Signature) -> SignatureMark:
    if sig.role == d.ROLE_LEADER:
        label = LEADER_LABELS.get(sig.leader or "", ROLE_LABELS[d.ROLE_LEADER])
    else:
        label = ROLE_LABELS.get(sig.role, sig.role)
    return SignatureMark(sig.role, label, sig.signer_name, sig.signed_at, sig.demo)


def _status_label(doc: Document, superseded: bool, newer: Document | None) -> str:
    if superseded:
        if newer is not None:
            return f"Đã được thay thế bằng bản {newer.version}"
        return "Đã được thay thế bằng bản mới hơn"
    label = STATE_LABELS.get(doc.state, doc.state)
    if doc.state == d.ISSUED and doc.issued_at is not None:
        label += f" ngày {_school_day(doc.issued_at)}"
    if newer is not None:
        label += f"; bản {newer.version} đang được làm để đính chính"
    return label


def _school_day(value: datetime) -> str:
    """Stored times are UTC; the day printed is the school's (Vietnam's) day."""
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(SCHOOL_TZ).strftime("%d/%m/%Y")


def _received(s: Session, student_id: int) -> _Received:
    out: _Received = {}
    rows = s.execute(
        select(ReceivedDocument, TransferIn.accepted_at)
        .join(TransferIn, TransferIn.id == ReceivedDocument.transfer_in_id)
        .where(ReceivedDocument.student_id == student_id, ReceivedDocument.kind == "record")
        .order_by(ReceivedDocument.year_name, ReceivedDocument.version)
    ).all()
    for rec, accepted_at in rows:
        key = (rec.year_name, rec.school_name)
        ok = (
            "hợp lệ, đáng tin cậy" if rec.signatures_ok
            else "KHÔNG hợp lệ (hiệu trưởng đã chấp nhận kèm lý do)"
        )
        words = f"Nhận từ {rec.school_name} khi chuyển đến; chữ ký {ok}"
        out.setdefault(key, (rec.class_name, []))[1].append(
            RecordVersion(
                document_id=None, received_id=rec.id, uuid=rec.document_uuid, version=rec.version,
                state="received", status_label=words, superseded=False, superseded_by_version=None,
                supersedes_version=None, supersede_reason=None, created_at=accepted_at, issued_at=None,
                sha256=rec.sha256, signatures=(), missing_roles=(), school_name=rec.school_name,
                can_open=True,
            )
        )
    return out


# --------------------------------------------------------------------------- opening a version


def open_record_version(db: Database, actor: Actor, document_id: int) -> RecordFile:
    """The exact stored bytes of one record version (the newest file of that version)."""
    with db.read() as s:
        found = s.execute(
            select(Document, Student.full_name, Student.hocba_code, Enrolment.class_id, SchoolClass.name,
                   SchoolYear.name)
            .join(Enrolment, Enrolment.id == Document.enrolment_id)
            .join(Student, Student.id == Enrolment.student_id)
            .join(SchoolClass, SchoolClass.id == Enrolment.class_id)
            .join(SchoolYear, SchoolYear.id == SchoolClass.school_year_id)
            .where(Document.id == document_id, Document.kind == d.KIND_RECORD)
        ).first()
        if found is None:
            raise NotFound("Không tìm thấy bản học bạ này. Hãy mở lại trang học sinh.")
        doc, name, hocba, class_id, class_name, year_name = found
        _require_view_student(actor, [class_id])
        if doc.current_sha256 is None:
            raise NotFound("Bản học bạ này chưa được tạo tệp (chưa ai ký). Hãy xem học bạ từ trang Lớp học.")
        key = s.scalar(
            select(DocumentFile.store_key).where(
                DocumentFile.document_id == doc.id, DocumentFile.sha256 == doc.current_sha256
            )
        )
        sha, version = doc.current_sha256, doc.version
    if key is None:
        raise NotFound("Không tìm thấy tệp của bản học bạ này. Hãy chạy kiểm tra dữ liệu (doctor).")
    pdf = _read(db, key, sha)
    title = f"{name} — lớp {class_name}, năm học {year_name.replace('-', '–')}, bản {version}"
    return RecordFile(title, pdf, _embedded_xml(pdf), f"hocba-{hocba}-{year_name}-v{version}")


def open_received_record(db: Database, actor: Actor, received_id: int) -> RecordFile:
    """A record received from another school, exactly as it arrived."""
    with db.read() as s:
        rec = s.get(ReceivedDocument, received_id)
        if rec is None:
            raise NotFound("Không tìm thấy học bạ nhận từ trường cũ này. Hãy mở lại trang học sinh.")
        class_ids = list(s.scalars(select(Enrolment.class_id).where(Enrolment.student_id == rec.student_id)))
        name = s.scalar(select(Student.full_name).where(Student.id == rec.student_id)) or ""
        key, sha, year_name, class_name, school, version = (
            rec.store_key, rec.sha256, rec.year_name, rec.class_name, rec.school_name, rec.version,
        )
    _require_view_student(actor, class_ids)
    pdf = _read(db, key, sha)
    title = f"{name} — lớp {class_name}, năm học {year_name.replace('-', '–')} ({school}), bản {version}"
    return RecordFile(title, pdf, _embedded_xml(pdf), f"hocba-nhan-{sha[:12]}-{year_name}-v{version}")


def _read(db: Database, key: str, sha: str) -> bytes:
    try:
        return read_document(db, key, sha)
    except DocumentMissing:
        raise NotFound(
            "Tệp học bạ bị thiếu hoặc không còn nguyên vẹn. Hãy chạy kiểm tra dữ liệu (doctor) "
            "để lấy lại từ bản sao lưu."
        ) from None


def _embedded_xml(pdf: bytes) -> bytes:
    """The XML record attached inside the PDF/A (for "Xuất XML…"); empty when there is none."""
    try:
        attachments = PdfReader(io.BytesIO(pdf)).attachments
    except Exception:  # a damaged file still opens in the viewer, which says what it can
        return b""
    for name, contents in attachments.items():
        if name.lower().endswith(".xml") and contents:
            return bytes(contents[0])
    return b""
