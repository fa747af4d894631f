"""A small demo school for the signing-order tests, and the steps of the order with the demo signer."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from app.models import Document, DocumentFile, SchoolClass, Subject, TeachingAssignment, UserAccount
from app.models.db import Database, open_database
from app.services import locking
from app.services.access import SYSTEM
from app.services.certificates import SEAL, demo_folder, ensure_demo_signers
from app.services.demo import create_demo_school
from app.services.document_store import read_document
from app.services.records import find_class
from app.services.signing_order import SigningPlan, plan_signing
from app.services.signing_run import SigningRun, run_signing
from app.signing.demo import DemoPki
from app.signing.signers import DemoSignerSpec


@dataclass(frozen=True)
class DemoClass:
    db: Database
    pki: DemoPki
    class_id: int
    class_name: str
    homeroom: str
    principal: str
    teachers: dict[str, str]  # subject code → teacher login
    subject_ids: dict[str, int]

    def sha(self, login: str) -> str:
        return self.pki.credentials[login].sha256

    def plan(self, role: str, login: str, **kw: object) -> SigningPlan:
        return plan_signing(self.db, role, self.class_id, self.sha(login), **kw)  # type: ignore[arg-type]

    def sign(self, role: str, login: str, **kw: object) -> SigningRun:
        return run_signing(
            self.db, self.plan(role, login, **kw), DemoSignerSpec(demo_folder(self.db), login), None
        )

    def lock_all(self) -> None:
        for subject_id in self.subject_ids.values():
            locking.lock_markbook(self.db, SYSTEM, self.class_id, subject_id)

    def sign_sheets(self) -> None:
        for login in sorted(set(self.teachers.values())):
            assert self.sign("gvbm", login).complete

    def issue_all(self) -> None:
        self.lock_all()
        self.sign_sheets()
        for role, login in (("gvcn", self.homeroom), ("hieutruong", self.principal), ("condau", SEAL)):
            assert self.sign(role, login).complete

    def states(self, kind: str = "record") -> list[str]:
        with self.db.read() as s:
            return list(s.scalars(select(Document.state).where(Document.kind == kind).order_by(Document.id)))

    def current_file(self, state: str = "issued") -> bytes:
        with self.db.read() as s:
            doc = s.scalars(select(Document).where(Document.state == state).order_by(Document.id)).first()
            assert doc is not None and doc.current_sha256
            key = s.scalar(select(DocumentFile.store_key).where(DocumentFile.sha256 == doc.current_sha256))
            assert key is not None
            return read_document(self.db, key, doc.current_sha256)


def make_demo_class(folder: Path, students: int = 2) -> DemoClass:
    folder.mkdir(parents=True, exist_ok=True)
    db = open_database(folder / "hocba.sqlite3")
    summary = create_demo_school(db, classes=1, students_per_class=students, seed=3)
    pki = ensure_demo_signers(db)
    class_id = find_class(db, summary.classes[0].name)
    with db.read() as s:
        rows = s.execute(
            select(Subject.code, Subject.id, UserAccount.login)
            .join(TeachingAssignment, TeachingAssignment.subject_id == Subject.id)
            .join(UserAccount, UserAccount.id == TeachingAssignment.teacher_id)
            .where(TeachingAssignment.class_id == class_id)
        ).all()
        homeroom = s.scalar(
            select(UserAccount.login)
            .join(SchoolClass, SchoolClass.homeroom_teacher_id == UserAccount.id)
            .where(SchoolClass.id == class_id)
        )
    assert homeroom is not None
    return DemoClass(
        db, pki, class_id, summary.classes[0].name, homeroom, "hieutruong",
        {code: login for code, _, login in rows}, {code: sid for code, sid, _ in rows},
    )  # fmt: skip
