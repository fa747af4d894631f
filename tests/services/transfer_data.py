"""Two demo schools for the transfer tests: A has issued records (demo signer), B receives.

Each demo school makes its own demo CA in its data folder, so B trusts A's signatures only
when A's demo root is given as a trusted root: without it the test sees the untrusted path.
B is renamed so the two schools are told apart (the generator names every THCS demo alike).
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from app.models import Enrolment, Student, UserAccount
from app.models.db import Database, open_database
from app.services.access import Actor, load_actor
from app.services.certificates import SEAL, demo_folder
from app.services.demo import create_demo_school
from app.services.issuing import issue_demo
from app.services.transfer_package import canonical_json, read_package, write_package
from app.signing.demo import load_demo_pki
from app.signing.detached import sign_detached
from app.signing.signers import DemoSignerSpec

DB_NAME = "hocba.sqlite3"
B_NAME = "Trường THCS Lê Lợi (DEMO)"
B_CODE = "19039902"


@dataclass(frozen=True)
class Templates:
    a: Path  # folder of school A (issued)
    b: Path  # folder of school B (nothing issued)


def make_templates(root: Path) -> Templates:
    a, b = root / "a", root / "b"
    db = open_database(a / DB_NAME)
    try:
        create_demo_school(db, classes=1, students_per_class=3, seed=1)
        [issued] = issue_demo(db)
        assert issued.issued == 3, issued.problems
    finally:
        db.dispose()
    db = open_database(b / DB_NAME)
    try:
        create_demo_school(db, classes=1, students_per_class=2, seed=2)
    finally:
        db.dispose()
    conn = sqlite3.connect(b / DB_NAME)
    with conn:
        conn.execute("UPDATE school SET name = ?, school_code = ?", (B_NAME, B_CODE))
    conn.close()
    return Templates(a, b)


def copy_school(template: Path, dest: Path) -> Database:
    shutil.copytree(template, dest)
    return open_database(dest / DB_NAME)


def root_of(db: Database) -> bytes:
    return load_demo_pki(demo_folder(db)).root_der()


def student_ids(db: Database) -> list[int]:
    with db.read() as s:
        return list(s.scalars(select(Student.id).order_by(Student.id)))


def actor_with_role(db: Database, role: str) -> Actor:
    with db.read() as s:
        user_id = s.scalar(
            select(UserAccount.id).where(UserAccount.roles.any(role=role)).order_by(UserAccount.id)
        )
        assert user_id is not None
        return load_actor(s, user_id)


def open_enrolments(db: Database, student_id: int) -> list[Enrolment]:
    with db.read() as s:
        rows = list(s.scalars(select(Enrolment).where(Enrolment.student_id == student_id)))
        s.expunge_all()
    return rows


def rewrite_package(
    source: Path,
    dest: Path,
    *,
    files: dict[str, bytes] | None = None,
    edit: Callable[[dict[str, Any]], None] | None = None,
    resign_with: Database | None = None,
) -> Path:
    """A copy of `source` with files replaced and the manifest edited; re-signed with the
    seal of `resign_with` (the sending school's own seal: an insider), or with the old signature."""
    contents = read_package(source)
    members = dict(contents.files)
    members.update(files or {})
    manifest_bytes = contents.manifest
    if edit is not None:
        manifest = json.loads(manifest_bytes)
        edit(manifest)
        manifest_bytes = canonical_json(manifest)
    signature = contents.signature
    if resign_with is not None:
        spec = DemoSignerSpec(demo_folder(resign_with), SEAL)
        signature = sign_detached(manifest_bytes, spec, None, allow_demo=True).cms_der
    write_package(dest, manifest_bytes, signature, members)
    return dest
