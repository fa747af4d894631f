"""The hub's database: SQLite in the data folder by default, PostgreSQL with `--db`.

SQLite gets the same protections as the desktop app (WAL, synchronous FULL, foreign keys,
BEGIN IMMEDIATE for writers so concurrent submissions queue instead of failing on lock
upgrades). PostgreSQL runs with its defaults (READ COMMITTED); uniqueness of submission
ids is the database's job on both.
"""

from __future__ import annotations

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

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "hub_alembic_version"


def engine_url(db: str | None, data_dir: Path) -> str:
    """`--db` as SQLAlchemy wants it (psycopg 3 for PostgreSQL); default: SQLite in `data_dir`."""
    if not db:
        return f"sqlite:///{(data_dir / 'hub.sqlite3').as_posix()}"
    for prefix in ("postgresql://", "postgres://"):
        if db.startswith(prefix):
            return "postgresql+psycopg://" + db[len(prefix) :]
    return db


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # SQLAlchemy's begin hook emits BEGIN itself
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA busy_timeout = 30000")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()


def _sqlite_begin(conn: Any) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")


class HubDatabase:
    def __init__(self, url: str) -> None:
        self.url = url
        if url.startswith("sqlite"):
            self.engine: Engine = create_engine(url, pool_size=20, max_overflow=20)
            event.listen(self.engine, "connect", _sqlite_connect)
            event.listen(self.engine, "begin", _sqlite_begin)
        else:
            self.engine = create_engine(url, pool_size=20, max_overflow=20, pool_pre_ping=True)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction: commits on success, rolls back on error."""
        with self._sessions.begin() as session:
            yield session

    def migrate(self) -> None:
        cfg = alembic_config()
        with self.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")

    def current_revision(self) -> str | None:
        with self.engine.connect() as conn:
            return MigrationContext.configure(
                conn, opts={"version_table": VERSION_TABLE}
            ).get_current_revision()

    def dispose(self) -> None:
        self.engine.dispose()


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def open_hub_database(url: str) -> HubDatabase:
    db = HubDatabase(url)
    if db.current_revision() != head_revision():
        db.migrate()
    return db
