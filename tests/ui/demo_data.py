"""Small real demo databases for the UI tests (the demo generator, not hand-made rows)."""

from __future__ import annotations

from pathlib import Path

from app.models.db import open_database
from app.services.demo import create_demo_school

DEMO_CLASSES = 2
DEMO_STUDENTS_PER_CLASS = 12


def make_demo_database(path: Path, *, level: str = "thcs") -> Path:
    db = open_database(path)
    try:
        create_demo_school(
            db, level=level, classes=DEMO_CLASSES, students_per_class=DEMO_STUDENTS_PER_CLASS, seed=1
        )
    finally:
        db.dispose()
    return path
