"""Real demo databases for the mark book tests, and the real accounts that use them.

A demo school is generated once per level and module; each test works on its own copy of
the file (the tests lock, unlock and change scores), opened with the real migrations.
Actors come from `load_actor` on the demo's own accounts, as after signing in.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from app.models import SchoolClass, Subject, TeachingAssignment, UserAccount
from app.models.db import Database, open_database
from app.services.access import Actor, load_actor
from app.services.demo import create_demo_school

CLASSES = 2
STUDENTS = 12


def make_template(directory: Path, level: str) -> Path:
    path = directory / f"{level}.sqlite3"
    db = open_database(path)
    try:
        create_demo_school(db, level=level, classes=CLASSES, students_per_class=STUDENTS, seed=7)
    finally:
        db.dispose()  # the last connection checkpoints the WAL into the main file
    return path


def copy_of(template: Path, tmp_path: Path) -> Database:
    target = tmp_path / f"markbook-{template.stem}.sqlite3"
    shutil.copyfile(template, target)
    return open_database(target)


def actor(db: Database, login: str) -> Actor:
    with db.read() as s:
        user_id = s.scalar(select(UserAccount.id).where(UserAccount.login == login))
        assert user_id is not None, login
        return load_actor(s, user_id)


@dataclass(frozen=True)
class Teaching:
    teacher: Actor
    class_id: int
    class_name: str
    subject_id: int
    subject_code: str


def teaching(db: Database, subject_code: str, class_index: int = 0) -> Teaching:
    """The assigned teacher (as a signed-in actor) of a subject in the n-th class."""
    with db.read() as s:
        classes = list(s.scalars(select(SchoolClass).order_by(SchoolClass.id)))
        klass = classes[class_index]
        found = s.execute(
            select(Subject.id, UserAccount.login)
            .join(TeachingAssignment, TeachingAssignment.subject_id == Subject.id)
            .join(UserAccount, UserAccount.id == TeachingAssignment.teacher_id)
            .where(
                TeachingAssignment.class_id == klass.id,
                Subject.code == subject_code,
            )
        ).first()
        assert found is not None, (subject_code, klass.name)
        subject_id, login = found
        class_id, class_name = klass.id, klass.name
    return Teaching(actor(db, login), class_id, class_name, subject_id, subject_code)


def other_teacher(db: Database, t: Teaching) -> Actor:
    """A subject teacher who teaches neither this subject in this class nor is its homeroom."""
    with db.read() as s:
        logins = list(
            s.scalars(
                select(UserAccount.login).where(UserAccount.login.like("gv.%")).order_by(UserAccount.id)
            )
        )
    for login in logins:
        candidate = actor(db, login)
        if (
            t.class_id,
            t.subject_id,
        ) not in candidate.teaching and t.class_id not in candidate.homeroom_class_ids:
            return candidate
    raise AssertionError("the demo has no such teacher")
