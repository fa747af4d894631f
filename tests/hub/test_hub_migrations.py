"""The hub's migrations build exactly the schema its models describe (real SQLite file)."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from hub.db import head_revision, open_hub_database
from hub.models import Base


def test_migrations_match_the_models(tmp_path: Path) -> None:
    db = open_hub_database(f"sqlite:///{tmp_path / 'hub.sqlite3'}")
    try:
        assert db.current_revision() == head_revision()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        # Alembic's own version table is the only thing the models do not describe.
        diff = [d for d in diff if not (d[0] == "remove_table" and d[1].name == "hub_alembic_version")]
        assert diff == [], diff
        with db.engine.connect() as conn:
            names = {ix["name"] for ix in inspect(conn).get_indexes("submission")}
        assert {"ix_submission_document_sha256", "ix_submission_issued_sha256"} <= names
    finally:
        db.engine.dispose()
