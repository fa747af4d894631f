"""Helpers for the sign-in, set-up and settings screen tests: a private copy of the demo
database per test (sign-in writes to it), and accounts picked by what they do."""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import select

from app.models import UserAccount
from app.models.db import Database
from app.models.people import ROLE_HOMEROOM_TEACHER
from app.services import accounts
from app.services.access import Actor


def private_copy(demo_db_path: Path, tmp_path: Path) -> Path:
    target = tmp_path / "school.sqlite3"
    shutil.copy(demo_db_path, target)
    return target


def actor(db: Database, login: str) -> Actor:
    with db.read() as s:
        user_id = s.scalar(select(UserAccount.id).where(UserAccount.login == login))
    assert user_id is not None, login
    return accounts.actor_for(db, user_id)


def subject_teacher_login(db: Database) -> str:
    """A teacher who teaches but leads no class."""
    for choice in accounts.sign_in_choices(db):
        if choice.login.startswith("gv.") and ROLE_HOMEROOM_TEACHER not in choice.roles:
            return choice.login
    raise AssertionError("the demo has no subject-only teacher")


def homeroom_teacher_login(db: Database) -> str:
    for choice in accounts.sign_in_choices(db):
        if ROLE_HOMEROOM_TEACHER in choice.roles:
            return choice.login
    raise AssertionError("the demo has no homeroom teacher")
