"""Shared fixtures: real SQLite files migrated with the real migrations."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

# Qt tests run offscreen on machines without a display (CI, developers over SSH).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from app.models.db import Database, open_database

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"


# The suite runs on two processes (pytest-xdist, `--dist loadgroup`, see scripts/test.sh).
# Each test file stays on one process so its module-scoped fixtures are built once. Files
# that drive SoftHSM all go to the same process: the module is loaded once per process
# and reads SOFTHSM2_CONF only when it is initialised, so their token folders must take
# turns exactly as they do in a serial run.
_SOFTHSM_USERS = re.compile(r"softhsm|SOFTHSM|\bhsm\b|ltv_pki")


@cache
def _uses_softhsm(path: str) -> bool:
    return bool(_SOFTHSM_USERS.search(Path(path).read_text(encoding="utf-8")))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        path = str(item.path)
        group = "softhsm" if _uses_softhsm(path) else os.path.relpath(path, ROOT)
        item.add_marker(pytest.mark.xdist_group(group))


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
