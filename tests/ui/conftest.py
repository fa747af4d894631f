"""UI fixtures: a small real demo database (once per module) and the set-up application."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from app.models.db import Database, open_database
from app.ui.application import setup_application
from tests.ui.demo_data import make_demo_database


@pytest.fixture(scope="module")
def demo_db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_demo_database(tmp_path_factory.mktemp("demo") / "demo.sqlite3")


@pytest.fixture(scope="module")
def demo_db(demo_db_path: Path) -> Iterator[Database]:
    db = open_database(demo_db_path)
    yield db
    db.dispose()


@pytest.fixture
def ui_app(qapp: QApplication) -> QApplication:
    """The test QApplication with the shipped fonts, size and style sheet of the real app."""
    setup_application(qapp)
    return qapp
