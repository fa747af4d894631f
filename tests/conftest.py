"""Shared fixtures: real SQLite files migrated with the real migrations."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# Qt tests run offscreen on machines without a display (CI, developers over SSH).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from app.models.db import Database, open_database

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_database(tmp_path / "test.sqlite3")
    yield database
    database.dispose()


@pytest.fixture
def artifacts_dir() -> Path:
    """Where tests leave screenshots and rendered pages for people to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
