"""The whole order for the demo school with the demo signer, and the issued records' files.

`issue_demo` locks every mark book the demo teachers have not locked, then signs every class
in order (each subject teacher, the homeroom teacher, the principal, the seal), all with the
demo school's software certificates. `issued_records` lists the current issued version of
each student's record, for `export-issued`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from app.errors import UserFacingError
from app.models import DocumentFile, SchoolClass, SchoolYear, TeachingAssignment, UserAccount
from app.models import documents as d
from app.models.db import Database
from app.models.people import ROLE_PRINCIPAL
from app.services import locking
from app.services.access import SYSTEM
from app.services.certificates import SEAL, demo_folder, ensure_demo_signers
from app.services.document_store import read_document
from app.services.signing_order import current_records, plan_signing
from app.services.signing_run import SigningRun, run_signing
from app.signing.signers import DemoSignerSpec


@dataclass(frozen=True)
class ClassIssue:
    class_name: str
    runs: tuple[SigningRun, ...]
    locked_subjects: int
    problems: tuple[str, ...] = field(default=())  # why something could not be signed
    issued: int = 0


@dataclass(frozen=True)
class IssuedRecord:
    student_code: str
    full_name: str
    class_name: str
    version: int
    sha256: str
    file_stem: str
    data: bytes = field(repr=False)


def issue_demo(db: Database, class_ids: list[int] | None = None) -> tuple[ClassIssue, ...]:
    """The whole order for every class of the current year (or for `class_ids`)."""
    demo = ensure_demo_signers(db)
    with db.read() as s:
        query = (
            select(SchoolClass.id, SchoolClass.name)
            .join(SchoolYear, SchoolYear.id == SchoolClass.school_year_id)
            .order_by(SchoolClass.name)
        )
        if class_ids is None:
            query = query.where(SchoolYear.is_current.is_(True))
        else:
            query = query.where(SchoolClass.id.in_(class_ids))
        classes = s.execute(query).all()
        principal = s.scalar(
            select(UserAccount.login)
            .where(UserAccount.roles.any(role=ROLE_PRINCIPAL))
            .order_by(UserAccount.id)
        )
    if principal is None:
        raise UserFacingError("Trường mẫu chưa có tài khoản Hiệu trưởng.")
    results = []
    for class_id, name in classes:
        locked, problems = _lock_all(db, class_id)
        with db.read() as s:
            teachers = sorted(set(s.scalars(
                select(UserAccount.login)
                .join(TeachingAssignment, TeachingAssignment.teacher_id == UserAccount.id)
                .where(TeachingAssignment.class_id == class_id)
            )))  # fmt: skip
            homeroom = s.scalar(
                select(UserAccount.login).join(SchoolClass, SchoolClass.homeroom_teacher_id == UserAccount.id)
                .where(SchoolClass.id == class_id)
            )  # fmt: skip
        order = [(d.ROLE_GVBM, t) for t in teachers]
        order += [(d.ROLE_GVCN, homeroom or ""), (d.ROLE_LEADER, principal), (d.ROLE_SEAL, SEAL)]
        runs = []
        for role, login in order:
            cred = demo.credentials.get(login)
            if cred is None:
                problems.append(f"{role}: không có chứng thư DEMO cho {login or 'giáo viên chủ nhiệm'}")
                continue
            plan = plan_signing(db, role, class_id, cred.sha256)
            problems.extend(f"{i.label}: {i.reason}" for i in plan.items if i.status == "blocked")
            if plan.pending:
                runs.append(run_signing(db, plan, DemoSignerSpec(demo_folder(db), login), None))
        issued = sum(r.count("signed") for r in runs if r.role == d.ROLE_SEAL)
        results.append(ClassIssue(name, tuple(runs), locked, tuple(dict.fromkeys(problems)), issued))
    return tuple(results)


def _lock_all(db: Database, class_id: int) -> tuple[int, list[str]]:
    with db.read() as s:
        open_subjects = list(s.scalars(
            select(TeachingAssignment.subject_id)
            .where(TeachingAssignment.class_id == class_id, TeachingAssignment.locked_at.is_(None))
        ))  # fmt: skip
    problems = []
    locked = 0
    for subject_id in open_subjects:
        try:
            locking.lock_markbook(db, SYSTEM, class_id, subject_id)
            locked += 1
        except UserFacingError as exc:
            problems.append(exc.message)
    return locked, problems


def issued_records(db: Database, class_id: int | None = None) -> tuple[IssuedRecord, ...]:
    """The current issued version of each record (of one class, or of the whole school)."""
    with db.read() as s:
        class_ids = list(s.scalars(select(SchoolClass.id))) if class_id is None else [class_id]
        names = dict(
            s.execute(select(SchoolClass.id, SchoolClass.name).where(SchoolClass.id.in_(class_ids))).all()
        )
        found = []
        for student, doc in current_records(s, class_ids):
            if doc is None or doc.state != d.ISSUED:
                continue
            key = s.scalar(
                select(DocumentFile.store_key).where(
                    DocumentFile.document_id == doc.id, DocumentFile.sha256 == doc.current_sha256
                )
            )
            stem = f"hocba-{student.student_code}-{names[doc.class_id]}-v{doc.version}"
            sha = doc.current_sha256 or ""
            found.append(
                (student.student_code, student.full_name, names[doc.class_id], doc.version, sha, stem, key)
            )
    return tuple(
        IssuedRecord(code, name, klass, version, sha, stem, read_document(db, key or "", sha))
        for code, name, klass, version, sha, stem, key in found
    )
