"""Migrations, pragmas and the database-level protections (architecture.md §4)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from app.models import Base, School
from app.models.db import Database, current_revision, head_revision, open_database
from app.models.triggers import TRIGGERS
from app.services import audit


def test_upgrade_from_empty_reaches_head(tmp_path: Path) -> None:
    db = open_database(tmp_path / "fresh.sqlite3")
    try:
        assert current_revision(db.engine) == head_revision()
        with db.read() as s:
            tables = set(s.execute(text("SELECT name FROM sqlite_master WHERE type='table'")).scalars())
        assert set(Base.metadata.tables) <= tables
    finally:
        db.dispose()


def test_every_revision_upgrades_one_step_at_a_time(tmp_path: Path) -> None:
    # A revision that relies on a table a later one creates fails here, not in the field.
    from alembic.script import ScriptDirectory

    from app.models.db import alembic_config, create_sqlite_engine, upgrade

    script = ScriptDirectory.from_config(alembic_config())
    revisions = [r.revision for r in reversed(list(script.walk_revisions()))]
    engine = create_sqlite_engine(tmp_path / "steps.sqlite3")
    try:
        for revision in revisions:
            upgrade(engine, revision)
            assert current_revision(engine) == revision
    finally:
        engine.dispose()


def test_models_and_migrations_agree(db: Database) -> None:
    # A model change without a migration would make this list non-empty.
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_opening_twice_does_not_migrate_again(tmp_path: Path) -> None:
    path = tmp_path / "twice.sqlite3"
    open_database(path).dispose()
    db = open_database(path)
    try:
        assert current_revision(db.engine) == head_revision()
    finally:
        db.dispose()


def test_pragmas_on_every_connection(db: Database) -> None:
    with db.read() as s:
        assert s.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert s.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
        assert s.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert s.execute(text("PRAGMA busy_timeout")).scalar() == 10_000


def test_audit_triggers_exist_after_upgrade(db: Database) -> None:
    with db.read() as s:
        names = set(s.execute(text("SELECT name FROM sqlite_master WHERE type='trigger'")).scalars())
    assert set(TRIGGERS) <= names


def _append_one(db: Database) -> None:
    with db.write() as s:
        audit.append(s, actor="admin", action="test.write", entity="school", entity_id=1)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_log SET actor = 'mallory'",
        "UPDATE audit_log SET detail = '{}'",
        "DELETE FROM audit_log",
    ],
)
def test_audit_log_refuses_update_and_delete(db: Database, statement: str) -> None:
    _append_one(db)
    # Straight through sqlite3, as someone editing the file with a SQL tool would.
    conn = sqlite3.connect(db.path)
    try:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute(statement)
        assert conn.execute("SELECT count(*), min(actor) FROM audit_log").fetchone() == (1, "admin")
    finally:
        conn.close()


def test_audit_chain_links_and_detects_a_forged_row(db: Database) -> None:
    for i in range(5):
        with db.write() as s:
            audit.append(s, actor="gv.an", action="score.set", entity="assessment", entity_id=i,
                         detail={"old": "7.5", "new": "8.0", "ghi_chú": "sửa điểm"})
    with db.read() as s:
        check = audit.verify_chain(s)
    assert check.ok and check.entries == 5

    # Forge row 3 by dropping the trigger (what an attacker with the file could do):
    conn = sqlite3.connect(db.path)
    conn.execute("DROP TRIGGER audit_log_no_update")
    conn.execute("""UPDATE audit_log SET detail = '{"old": "7.5", "new": "10"}' WHERE id = 3""")
    conn.commit()
    conn.close()
    with db.read() as s:
        check = audit.verify_chain(s)
    assert not check.ok
    assert check.first_broken_id == 3


def test_foreign_keys_enforced(db: Database) -> None:
    from app.models import SchoolYear

    with pytest.raises(IntegrityError), db.write() as s:
        s.add(SchoolYear(school_id=999, name="2026-2027",
                         start_date=__import__("datetime").date(2026, 9, 5),
                         end_date=__import__("datetime").date(2027, 5, 31)))


def test_national_id_must_be_12_digits_in_the_database(db: Database) -> None:
    import datetime as dt

    from app.models import Student

    with db.write() as s:
        school = School(name="Trường thử", school_code="T1", department_code="01", province="Hà Nội",
                        levels="03", issuing_place="Hà Nội")
        s.add(school)
    for bad in ("12345678901", "00120300456A", "0012030045678"):
        with pytest.raises(IntegrityError), db.write() as s:
            s.add(Student(school_id=school.id, student_code=f"HS{bad}", hocba_code=f"HB{bad}",
                          national_id=bad, full_name="Nguyễn Văn An", sex=1,
                          date_of_birth=dt.date(2014, 3, 2)))
    with db.write() as s:
        s.add(Student(school_id=school.id, student_code="HS1", hocba_code="HB1",
                      national_id="001214004567", full_name="Nguyễn Văn An", sex=1,
                      date_of_birth=dt.date(2014, 3, 2)))
    with db.read() as s:
        assert s.execute(text("SELECT national_id FROM student")).scalar() == "001214004567"


def test_write_sessions_take_the_write_lock_at_begin(db: Database) -> None:
    # BEGIN IMMEDIATE: while a write session is open (even after a mere SELECT), no other
    # writer can start, so two writers never deadlock upgrading a read lock.
    with db.write() as s:
        s.execute(text("SELECT 1"))
        other = sqlite3.connect(db.path, timeout=0.1, isolation_level=None)
        try:
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        finally:
            other.close()


def test_read_sessions_do_not_block_writers(db: Database) -> None:
    with db.read() as s:
        assert s.execute(text("SELECT count(*) FROM school")).scalar() == 0
        other = sqlite3.connect(db.path, timeout=0.1, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
        finally:
            other.close()


def test_append_many_builds_the_same_verifiable_chain(db: Database) -> None:
    with db.write() as s:
        audit.append(s, actor="admin", action="first", entity="school")
        n = audit.append_many(s, actor="admin", records=[
            audit.AuditRecord("student.create", "student", i, {"row": i}) for i in range(50)
        ])
        audit.append(s, actor="admin", action="last", entity="school")
    assert n == 50
    with db.read() as s:
        check = audit.verify_chain(s)
    assert check.ok and check.entries == 52
