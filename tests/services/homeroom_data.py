"""A real demo school for the homeroom, class-list and checklist tests, and its people.

The demo generator plans its profiles (a student in summer training, one with
re-assessment, one over the absence limit, Xuất sắc and Giỏi students…) once a school has
20 students or more, so 2 classes × 20 always show every branch. The database is built
once per test module; each test works on its own copy of the file.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.models import AuditEntry, SchoolClass, TeachingAssignment, UserAccount, UserRole
from app.models.db import Database, open_database
from app.services.access import Actor, load_actor
from app.services.demo import create_demo_school
from app.services.homeroom import HomeroomOverview, HomeroomStudent, homeroom_overview

CLASSES = 2
STUDENTS_PER_CLASS = 20


def make_template(path: Path) -> Path:
    db = open_database(path)
    try:
        create_demo_school(db, level="thcs", classes=CLASSES, students_per_class=STUDENTS_PER_CLASS, seed=7)
    finally:
        db.dispose()  # closes the last connection: SQLite folds the WAL into the file
    return path


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_template(tmp_path_factory.mktemp("homeroom") / "template.sqlite3")


@pytest.fixture
def school(template: Path, tmp_path: Path) -> Iterator[Database]:
    copy = tmp_path / "school.sqlite3"
    shutil.copyfile(template, copy)
    db = open_database(copy)
    yield db
    db.dispose()


def actor_by_login(db: Database, login: str) -> Actor:
    with db.read() as s:
        user_id = s.scalar(select(UserAccount.id).where(UserAccount.login == login))
        assert user_id is not None, login
        return load_actor(s, user_id)


def homeroom_teacher(db: Database, class_id: int) -> Actor:
    with db.read() as s:
        user_id = s.scalar(select(SchoolClass.homeroom_teacher_id).where(SchoolClass.id == class_id))
        assert user_id is not None
        return load_actor(s, user_id)


def subject_teacher_not_homeroom(db: Database, class_id: int) -> Actor:
    """Someone who teaches in the class but is not its homeroom teacher."""
    with db.read() as s:
        homeroom = s.scalar(select(SchoolClass.homeroom_teacher_id).where(SchoolClass.id == class_id))
        teacher = s.scalar(
            select(TeachingAssignment.teacher_id).where(
                TeachingAssignment.class_id == class_id, TeachingAssignment.teacher_id != homeroom
            ).limit(1)
        )
        assert teacher is not None
        actor = load_actor(s, teacher)
    assert class_id not in actor.homeroom_class_ids
    return actor


def teacher_without_classes(db: Database) -> Actor:
    """A new subject teacher with no assignment yet (arranged straight in the file)."""
    with db.write() as s:
        school_id = s.scalar(select(UserAccount.school_id).limit(1))
        user = UserAccount(school_id=school_id, login="gv.moivao", full_name="Giáo viên Mới Vào",
                           password_hash="x", roles=[UserRole(role="gvbm")])
        s.add(user)
        s.flush()
        return load_actor(s, user.id)


def class_ids(db: Database) -> list[int]:
    with db.read() as s:
        return list(s.scalars(select(SchoolClass.id).order_by(SchoolClass.id)))


@dataclass(frozen=True)
class Found:
    class_id: int
    teacher: Actor
    overview: HomeroomOverview
    student: HomeroomStudent


def find_student(db: Database, decided_by: str, *, title: str | None = None) -> Found:
    """The first student (over the classes) whose promotion was decided by `decided_by`."""
    for class_id in class_ids(db):
        teacher = homeroom_teacher(db, class_id)
        overview = homeroom_overview(db, teacher, class_id)
        for student in overview.students:
            if student.decided_by == decided_by and (title is None or student.title == title):
                return Found(class_id, teacher, overview, student)
    raise AssertionError(f"the demo has no student decided by {decided_by}")


def audit_count(db: Database) -> int:
    with db.read() as s:
        return int(s.scalar(select(func.count()).select_from(AuditEntry)) or 0)


@dataclass(frozen=True)
class Logged:
    actor: str
    action: str
    entity: str
    entity_id: str | None
    detail: dict[str, object]


def last_audit(db: Database) -> Logged:
    with db.read() as s:
        entry = s.scalar(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1))
        assert entry is not None
        return Logged(entry.actor, entry.action, entry.entity, entry.entity_id, dict(entry.detail))
