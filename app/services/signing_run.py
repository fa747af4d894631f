"""Signing the pending documents of a plan (app.services.signing_order) in one batch, one PIN.

For each document: its current file (a draft rendered now, or the file the previous
signer produced) is signed by app.signing.batch into a work file (temp, fsync, rename),
then stored in the content-addressed store (fsync, rename) and only then recorded, in one
transaction per document: the file row, the signature row, the new state, the audit entry
and, when the document becomes final (a signed sheet, an issued record), the outbox row.
A batch that stops (token pulled out, app killed) leaves every document either signed and
recorded or untouched; running the plan again signs what is left.

`on_progress` runs on the thread that signs (the token thread for a token): the UI must
hand it to the GUI thread through a queued signal.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.documents.record import TranscriptRecord
from app.documents.render import render_record, render_sheet
from app.errors import UserFacingError
from app.models import (
    Document,
    DocumentFile,
    Enrolment,
    SchoolClass,
    Signature,
    Student,
    Subject,
    TeachingAssignment,
)
from app.models import documents as d
from app.models.base import utcnow
from app.models.db import Database
from app.services import audit
from app.services.certificates import school_of
from app.services.corrections_issue import supersede_previous
from app.services.document_store import StoredDocument, read_document, store_document
from app.services.record_sheets import class_sheets
from app.services.records import class_records
from app.services.sheet_versions import SheetDoc, as_version, current_sheet_docs
from app.services.signing_order import AFTER, BEFORE, PENDING, PlanItem, SigningPlan, SigningRefused
from app.signing.batch import BatchOptions, BatchResult, DocStatus, DocumentResult, SignJob, sign_batch
from app.signing.errors import DemoSignerRefusedError
from app.signing.pin import Pin
from app.signing.roles import Role
from app.signing.signers import SignerSpec
from app.signing.worker import TokenWorker
from app.sync.outbox import enqueue
from app.sync.state import read_state

WORK_DIR = "signing-work"
SHEET_CHANGED = "Giá trị trong bảng điểm thay đổi sau khi ký (kiểm tra lại trong hè hoặc đính chính học bạ)."
# Named points of a batch, for crash tests (a hook may kill the process there): the drafts
# stored and their rows committed; a document signed into its work file; its signed file in
# the store (no row yet); its rows committed.
POINTS = ("drafts_stored", "signed", "file_stored", "committed")
Hook = Callable[[str, str], None]  # (point, document uuid)

SIGNING_ROLE = {
    d.ROLE_GVBM: Role.GVBM,
    d.ROLE_GVCN: Role.GVCN,
    d.ROLE_LEADER: Role.HIEU_TRUONG,
    d.ROLE_SEAL: Role.CON_DAU,
}


@dataclass(frozen=True)
class ItemResult:
    document_uuid: str
    label: str
    status: str  # signed, already_signed, refused, failed, not_started
    message: str | None = None
    sha256: str | None = None

    def to_json(self) -> dict[str, object]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass(frozen=True)
class SigningRun:
    role: str
    class_name: str
    signer: str
    demo: bool
    results: tuple[ItemResult, ...]
    stopped_by: str | None = None  # the token problem that stopped the batch
    cancelled: bool = False
    total_ms: float = 0.0
    timestamp_note: str | None = None  # why signatures went without their timestamp (offline)

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def complete(self) -> bool:
        return all(r.status in ("signed", "already_signed") for r in self.results)

    def to_json(self) -> dict[str, object]:
        statuses = ("signed", "already_signed", "refused", "failed", "not_started")
        return {
            "role": self.role, "class": self.class_name, "signer": self.signer, "demo": self.demo,
            "counts": {s: self.count(s) for s in statuses}, "stopped_by": self.stopped_by,
            "cancelled": self.cancelled, "total_ms": round(self.total_ms, 1),
            "documents": [r.to_json() for r in self.results],
        }  # fmt: skip


def work_dir(db: Database) -> Path:
    return Path(db.path).parent / WORK_DIR


def timestamp_server(db: Database) -> str | None:
    """The configured RFC 3161 server (the sync settings' one), or None."""
    with db.read() as s:
        state = read_state(s)
        return state.timestamp_url if state is not None else None


def run_signing(
    db: Database,
    plan: SigningPlan,
    spec: SignerSpec,
    pin: Pin | None,
    *,
    worker: TokenWorker | None = None,
    cancel: threading.Event | None = None,
    on_progress: Callable[[ItemResult], None] | None = None,
    hook: Hook | None = None,
) -> SigningRun:
    """Sign `plan.pending` with `spec` (a token on `worker`'s thread, or the demo signer)."""
    try:
        if spec.is_demo and not plan.school_is_demo:
            raise DemoSignerRefusedError()
        pending = plan.pending
        if not pending:
            blocked = [i for i in plan.items if i.status == "blocked"]
            if blocked:
                raise SigningRefused(f"Chưa ký được: {blocked[0].label} — {blocked[0].reason}.")
            return SigningRun(plan.role, plan.class_name, plan.signer.full_name, spec.is_demo, ())
        spec = replace(spec, expected_cert_sha256=plan.signer.certificate_sha256)
        sources = _prepare_sources(db, plan, pending)
        if hook is not None:
            hook("drafts_stored", "")
        role = SIGNING_ROLE[plan.role]
        out = work_dir(db)
        jobs = [
            SignJob(sources[item.document_uuid], out / f"{item.document_uuid}-{plan.role}.pdf", role)
            for item in pending
        ]
        options = BatchOptions(
            allow_demo=plan.school_is_demo,
            display_name=plan.signer.full_name,
            title=plan.signer.title,
            organisation=plan.school_name,
            timestamp_url=timestamp_server(db),  # architecture.md §5: each signature timestamped
        )
        results: list[ItemResult] = []

        def progress(result: DocumentResult) -> None:
            item = pending[result.index]
            outcome = _record_result(db, plan, item, jobs[result.index], result, spec.is_demo, hook)
            results.append(outcome)
            if on_progress is not None:
                on_progress(outcome)

        batch: BatchResult
        if worker is None:
            batch = sign_batch(jobs, spec, pin, options=options, cancel=cancel, on_progress=progress)
        else:
            batch = worker.sign_batch(
                jobs, spec, pin, options=options, cancel=cancel, on_progress=progress
            ).result()
        pin = None  # the batch wiped it
        stopped = batch.stopped_by.message if batch.stopped_by is not None else None
        return SigningRun(
            plan.role, plan.class_name, plan.signer.full_name, batch.demo, tuple(results), stopped,
            batch.cancelled, batch.total_ms,
            timestamp_note=batch.timestamps.offline_note if batch.timestamps is not None else None,
        )  # fmt: skip
    finally:
        if pin is not None:
            pin.wipe()


def _record_result(
    db: Database,
    plan: SigningPlan,
    item: PlanItem,
    job: SignJob,
    result: DocumentResult,
    demo: bool,
    hook: Hook | None = None,
) -> ItemResult:
    if result.status is not DocStatus.SIGNED:
        return ItemResult(item.document_uuid, item.label, result.status.value, result.message)
    if hook is not None:
        hook("signed", item.document_uuid)
    stored = store_document(db, job.output.read_bytes())  # durable before the row refers to it
    if hook is not None:
        hook("file_stored", item.document_uuid)
    commit_signature(db, plan, item, stored, demo)
    if hook is not None:
        hook("committed", item.document_uuid)
    with contextlib.suppress(FileNotFoundError):
        job.output.unlink()  # our own work file; the stored copy is the document now
    return ItemResult(item.document_uuid, item.label, "signed", None, stored.sha256)


def commit_signature(
    db: Database, plan: SigningPlan, item: PlanItem, stored: StoredDocument, demo: bool
) -> None:
    """One transaction: file row, signature row, state, audit entry, outbox row when final."""
    with db.write() as s:
        doc = s.scalar(select(Document).where(Document.uuid == item.document_uuid))
        if doc is None or doc.state != BEFORE[plan.role]:
            raise SigningRefused(
                f"{item.label}: trạng thái tài liệu đã thay đổi trong lúc ký (có người khác vừa ký?). "
                "Hãy mở lại danh sách ký rồi ký tiếp."
            )
        signer = plan.signer
        s.add(DocumentFile(document_id=doc.id, sha256=stored.sha256, store_key=stored.store_key,
                           size=stored.size, stage=plan.role))  # fmt: skip
        s.add(
            Signature(
                document_id=doc.id, role=plan.role, signer_user_id=signer.user_id, leader=signer.leader,
                certificate_sha256=signer.certificate_sha256, signer_name=signer.full_name, demo=demo,
                file_sha256=stored.sha256,
            )
        )  # fmt: skip
        s.flush()  # rows of a document are refused once it is final: insert them first
        doc.state = AFTER[plan.role]
        doc.current_sha256 = stored.sha256
        final = doc.state in d.FINAL_STATES
        if doc.state == d.ISSUED:
            doc.issued_at = utcnow()
        s.flush()
        if final and doc.supersedes is not None:
            supersede_previous(s, doc, actor=signer.login)
        audit.append(
            s, actor=signer.login, action="document.issue" if doc.state == d.ISSUED else "document.sign",
            entity="document", entity_id=doc.uuid,
            detail={"role": plan.role, "sha256": stored.sha256, "certificate": signer.certificate_sha256,
                    "leader": signer.leader, "demo": demo},
        )  # fmt: skip
        if final:
            extras: dict[str, object] = {"class": plan.class_name}
            if item.subject_code:
                extras.update(subject=item.subject_code, term=item.term or "")
            enqueue(
                s, kind="record" if doc.kind == d.KIND_RECORD else "sheet", document_id=doc.uuid,
                version=doc.version, sha256=stored.sha256, size=stored.size, store_key=stored.store_key,
                school_code=plan.school_code, year=plan.year_name, student_code=item.student_code,
                supersedes=doc.supersedes, extras=extras,
            )  # fmt: skip


# --- the files to sign ----------------------------------------------------------------


@dataclass(frozen=True)
class _NewDoc:
    """What a document row needs when the batch creates it (a first draft, a sheet's new version)."""

    kind: str
    code: str | None  # student code (record) or subject code (sheet)
    term: str | None
    version: int = 1
    supersedes: str | None = None


def _prepare_sources(db: Database, plan: SigningPlan, pending: tuple[PlanItem, ...]) -> dict[str, bytes]:
    wanted = {i.document_uuid for i in pending if i.status == PENDING}
    if plan.role == d.ROLE_GVBM:
        by_key = {(i.subject_code, i.term): i for i in pending if i.document_uuid in wanted}
        pdfs: dict[str, bytes] = {}
        keys: dict[str, _NewDoc] = {}
        for sheet in class_sheets(db, plan.class_id):
            item = by_key.get((sheet.subject_code, sheet.term))
            if item is None:
                continue
            version = item.version or 1
            pdfs[item.document_uuid] = render_sheet(as_version(sheet, version)).pdf
            keys[item.document_uuid] = _NewDoc(
                "sheet", sheet.subject_code, sheet.term, version, item.supersedes
            )
        return _store_drafts(db, plan, pdfs, keys)
    if plan.role == d.ROLE_GVCN:
        by_student = {i.student_code: i for i in pending if i.document_uuid in wanted}
        with db.read() as s:
            sheets = current_sheet_docs(s, plan.class_id)
            metas = {
                doc.uuid: (doc.version, doc.supersedes, doc.supersede_reason)
                for doc in s.scalars(select(Document).where(Document.uuid.in_(wanted)))
            }
        pdfs = {}
        keys = {}
        for record in class_records(db, plan.class_id):
            item = by_student.get(record.student.student_code)
            if item is None:
                continue
            uuid = item.document_uuid
            version, supersedes, reason = metas.get(uuid, (1, None, None))
            meta = replace(
                record.meta, record_id=uuid, version=version, supersedes=supersedes, supersede_reason=reason
            )
            pdfs[uuid] = render_record(_with_current_sheets(replace(record, meta=meta), sheets)).pdf
            keys[uuid] = _NewDoc("record", record.student.student_code, None)
        return _store_drafts(db, plan, pdfs, keys)
    with db.read() as s:
        found = s.execute(
            select(Document.uuid, DocumentFile.store_key, DocumentFile.sha256)
            .join(
                DocumentFile,
                (DocumentFile.document_id == Document.id) & (DocumentFile.sha256 == Document.current_sha256),
            )
            .where(Document.uuid.in_(wanted))
        ).all()
    return {uuid: read_document(db, key, sha) for uuid, key, sha in found}


def _with_current_sheets(
    record: TranscriptRecord, sheets: dict[tuple[str, str], SheetDoc]
) -> TranscriptRecord:
    """The record referring to the current signed version of each sheet, by id and SHA-256."""
    refs = []
    for ref in record.sheets:
        sheet = sheets.get((ref.subject_code, ref.term))
        if sheet is not None and sheet.state == d.GVBM_SIGNED:
            ref = replace(ref, sheet_id=sheet.uuid, sha256=sheet.sha256)
        refs.append(ref)
    return replace(record, sheets=tuple(refs))


def _store_drafts(
    db: Database,
    plan: SigningPlan,
    pdfs: dict[str, bytes],
    keys: dict[str, _NewDoc],
) -> dict[str, bytes]:
    stored = {uuid: store_document(db, pdf) for uuid, pdf in pdfs.items()}  # files first, rows after
    with db.write() as s:
        klass = s.get(SchoolClass, plan.class_id)
        assert klass is not None
        for uuid, file in stored.items():
            doc = s.scalar(select(Document).where(Document.uuid == uuid))
            if doc is None:
                doc = _new_document(s, klass, uuid, keys[uuid])
            if doc.state != d.DRAFT:
                raise SigningRefused(f"Tài liệu {uuid} không còn ở trạng thái nháp. Hãy mở lại danh sách ký.")
            if doc.current_sha256 != file.sha256:
                exists = s.scalar(
                    select(DocumentFile.id).where(
                        DocumentFile.document_id == doc.id, DocumentFile.sha256 == file.sha256
                    )
                )
                if exists is None:
                    s.add(DocumentFile(document_id=doc.id, sha256=file.sha256, store_key=file.store_key,
                                       size=file.size, stage=d.DRAFT))  # fmt: skip
                doc.current_sha256 = file.sha256
    return pdfs


def _new_document(s: Session, klass: SchoolClass, uuid: str, new: _NewDoc) -> Document:
    kind, code, term = new.kind, new.code, new.term
    common: dict[str, object] = dict(
        uuid=uuid, kind=kind, class_id=klass.id, school_year_id=klass.school_year_id,
        version=new.version, supersedes=new.supersedes, state=d.DRAFT, superseded=False,
    )  # fmt: skip
    if new.supersedes is not None:
        common["supersede_reason"] = SHEET_CHANGED
    school_id = school_of(s).id
    if kind == d.KIND_SHEET:
        subject_id = s.scalar(
            select(Subject.id).join(TeachingAssignment, TeachingAssignment.subject_id == Subject.id)
            .where(TeachingAssignment.class_id == klass.id, Subject.code == code)
        )  # fmt: skip
        doc = Document(**common, school_id=school_id, subject_id=subject_id, term=term)
    else:
        enrolment_id = s.scalar(
            select(Enrolment.id).join(Student, Student.id == Enrolment.student_id)
            .where(Student.student_code == code, Enrolment.class_id == klass.id)
        )  # fmt: skip
        if enrolment_id is None:
            raise UserFacingError(f"Không tìm thấy học sinh {code} trong lớp {klass.name}.")
        doc = Document(**common, school_id=school_id, enrolment_id=enrolment_id)
    s.add(doc)
    s.flush()
    return doc
