"""Engine, sessions and migrations for the local SQLite database (architecture.md §4)."""

from __future__ import annotations

import functools
import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from app.models import cipher
from app.paths import migrations_dir
from app.rules import vnsort

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 10_000
_READONLY = "hocba_readonly"


def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    # Let SQLAlchemy's "begin" hook emit BEGIN itself (pysqlite's own transaction
    # handling would start deferred transactions behind our back).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        # NORMAL can lose the last commits on power loss; school PCs get switched off at the wall.
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()
    # Vietnamese name order usable in ORDER BY, and diacritic-free search.
    dbapi_connection.create_collation("vi_name", vnsort.sqlite_collation)
    dbapi_connection.create_function("vi_fold", 1, _fold_or_null, deterministic=True)


@functools.lru_cache(maxsize=65_536)  # a school's names repeat in every search: fold each once
def _fold_or_null(value: str | None) -> str | None:
    # SQL NULL stays NULL (a nullable column passed to vi_fold must not raise inside SQLite).
    return None if value is None else vnsort.fold(value)


def _on_begin(conn: Any) -> None:
    # Writers take the write lock at BEGIN, so two writers never deadlock on upgrade
    # from a read lock; readers (execution option) begin deferred and never block writers.
    if conn.get_execution_options().get(_READONLY):
        conn.exec_driver_sql("BEGIN")
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def create_sqlite_engine(path: Path | str, key: bytes | None = None) -> Engine:
    """An engine on `path`; with `key` (32 bytes) the file is SQLCipher-encrypted (app.models.cipher)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if key is None:
        engine = create_engine(cipher.engine_url(path, None), future=True)
    else:
        # The pysqlcipher dialect defaults to one connection per thread; use the usual pool.
        engine = create_engine(cipher.engine_url(path, key), future=True, poolclass=QueuePool)
        event.listen(engine, "connect", cipher.quiet_connection)
    event.listen(engine, "connect", _on_connect)
    event.listen(engine, "begin", _on_begin)
    return engine


class Database:
    """One open database: its engine and session factories for writes and reads."""

    def __init__(self, path: Path | str, key: bytes | None = None) -> None:
        self.path = Path(path)
        # Kept so backups and checks can open the same file below SQLAlchemy.
        self.key = key
        self.engine = create_sqlite_engine(self.path, key)
        self._write = sessionmaker(self.engine, expire_on_commit=False)
        self._read = sessionmaker(
            self.engine.execution_options(**{_READONLY: True}), expire_on_commit=False
        )

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A write transaction (BEGIN IMMEDIATE); commits on success, rolls back on error."""
        with self._write.begin() as session:
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only snapshot (deferred BEGIN); always rolled back."""
        session = self._read()
        try:
            yield session
        finally:
            session.rollback()
            session.close()

    def migrate(self) -> None:
        upgrade(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    return cfg


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def open_database(path: Path | str, *, migrate: bool = True, key: bytes | None = None) -> Database:
    """Open (and migrate) the database at `path`; `key` opens or creates it encrypted."""
    db = Database(path, key)
    if key is not None:
        cipher.check_opened(db.engine, db.path)
    if migrate and current_revision(db.engine) != head_revision():
        log.info("migrating database to %s", head_revision())
        db.migrate()
    return db
