"""Real documents for the sync and hub tests, and issuing them into the outbox.

A demo school (the real generator), its records rendered by app.documents, and a few of
them signed in the legal order with the demo signer (GVCN, principal, seal). Until the
issuing service lands, `issue` does what it will do in one transaction: the file in the
content-addressed store, an audit entry, and the outbox row.
"""

from __future__ import annotations

import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

from app.documents.render import render_record
from app.models.db import Database, open_database
from app.services import audit
from app.services.demo import create_demo_school
from app.services.records import class_records, find_class
from app.signing.batch import BatchOptions, SignJob, sign_batch
from app.signing.demo import DemoIdentity, create_demo_pki
from app.signing.roles import Role
from app.signing.signers import DemoSignerSpec
from app.sync import outbox
from app.sync.documents import LocalDocuments, documents_dir_for

SIGNED = 3


@dataclass(frozen=True)
class Doc:
    document_id: str
    version: int
    year: str
    student_code: str
    class_name: str
    pdf: bytes


@dataclass(frozen=True)
class DocSet:
    template: Path  # a migrated demo school database; copy it per test
    school_code: str
    unsigned: tuple[Doc, ...]
    signed: tuple[Doc, ...]  # the full order, sealed, by the demo CA
    demo_root: bytes  # DER


def build_docset(folder: Path, *, students: int = 8, n_signed: int = SIGNED) -> DocSet:
    folder.mkdir(parents=True, exist_ok=True)
    template = folder / "school.sqlite3"
    db = open_database(template)
    try:
        create_demo_school(db, classes=1, students_per_class=students, seed=7)
        records = class_records(db, find_class(db, "6A1"))
    finally:
        db.dispose()
    school = records[0].school
    docs = []
    for r in records:
        rendered = render_record(r)
        docs.append(
            Doc(
                r.meta.record_id,
                r.meta.version,
                r.year_name,
                r.student.student_code,
                r.class_name,
                rendered.pdf,
            )
        )
    people = [
        DemoIdentity("gv", "Nguyễn Văn An", school.name),
        DemoIdentity("ht", "Trần Thị Bình", school.name),
        DemoIdentity("school-seal", school.name, school.name),
    ]
    pki = create_demo_pki(folder / "demo-keys", school.name, people)
    signed = []
    for doc in docs[:n_signed]:
        path = folder / f"{doc.document_id}.pdf"
        path.write_bytes(doc.pdf)
        for role, who in ((Role.GVCN, "gv"), (Role.HIEU_TRUONG, "ht"), (Role.CON_DAU, "school-seal")):
            result = sign_batch(
                [SignJob(path, path, role)],
                DemoSignerSpec(pki.folder, who),
                None,
                options=BatchOptions(allow_demo=True),
            )
            assert result.complete, result
        signed.append(
            Doc(doc.document_id, doc.version, doc.year, doc.student_code, doc.class_name, path.read_bytes())
        )
    return DocSet(template, school.school_code, tuple(docs), tuple(signed), pki.root_der())


def school_db(docset: DocSet, dest: Path) -> Database:
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(docset.template, dest)
    return open_database(dest)


def issue(
    db: Database,
    doc: Doc,
    *,
    school_code: str,
    document_id: str | None = None,
    version: int | None = None,
    supersedes: str | None = None,
    kind: str = "record",
) -> outbox.Enqueued:
    """What the issuing service does: store the file, audit, enqueue; one transaction."""
    key, sha = LocalDocuments(documents_dir_for(db.path), db.key).put(doc.pdf)
    doc_id = document_id or doc.document_id
    with db.write() as s:
        audit.append(
            s,
            actor="system",
            action="document.issue",
            entity="document",
            entity_id=doc_id,
            detail={"sha256": sha},
        )
        return outbox.enqueue(
            s,
            kind="record" if kind == "record" else "sheet",
            document_id=doc_id,
            version=version or doc.version,
            supersedes=supersedes,
            sha256=sha,
            size=len(doc.pdf),
            store_key=key,
            school_code=school_code,
            year=doc.year,
            student_code=doc.student_code if kind == "record" else None,
            extras={"class_name": doc.class_name}
            if kind == "record"
            else {"class_name": doc.class_name, "subject_code": "TOAN", "term": "canam"},
        )


def fresh_id() -> str:
    return str(uuid.uuid4())
