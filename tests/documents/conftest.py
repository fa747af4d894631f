"""Demo schools for the document tests: made once per session, copied for tests that write.

The demo generator forces every profile (disabled student, re-assessment, summer training,
awards…) from 20 students up, so 2 classes × 12 students cover every kind of year page.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.documents.record import TranscriptRecord
from app.models.db import Database, open_database
from app.services.demo import create_demo_school
from app.services.records import class_records, find_class

CLASSES = 2
STUDENTS = 12


def _make(path: Path, level: str) -> Path:
    db = open_database(path)
    try:
        create_demo_school(db, level=level, classes=CLASSES, students_per_class=STUDENTS, seed=3)
    finally:
        db.dispose()
    return path


@pytest.fixture(scope="session")
def thcs_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _make(tmp_path_factory.mktemp("thcs") / "thcs.sqlite3", "thcs")


@pytest.fixture(scope="session")
def tieuhoc_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _make(tmp_path_factory.mktemp("tieuhoc") / "tieuhoc.sqlite3", "tieuhoc")


@pytest.fixture(scope="session")
def thcs_records(thcs_path: Path) -> tuple[TranscriptRecord, ...]:
    db = open_database(thcs_path)
    try:
        return class_records(db, find_class(db, "6A1")) + class_records(db, find_class(db, "7A1"))
    finally:
        db.dispose()


@pytest.fixture(scope="session")
def tieuhoc_records(tieuhoc_path: Path) -> tuple[TranscriptRecord, ...]:
    db = open_database(tieuhoc_path)
    try:
        return class_records(db, find_class(db, "1A")) + class_records(db, find_class(db, "2A"))
    finally:
        db.dispose()


@pytest.fixture
def thcs_copy(thcs_path: Path, tmp_path: Path) -> Iterator[Database]:
    """A writable copy of the secondary demo school."""
    dest = tmp_path / "copy.sqlite3"
    shutil.copyfile(thcs_path, dest)
    db = open_database(dest)
    yield db
    db.dispose()
