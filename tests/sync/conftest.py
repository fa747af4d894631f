"""Fixtures for the sync tests: real documents, a real hub on loopback, the fault proxy,
a file-backed keyring in a temp folder (keyrings.alt, a real backend, not a mock)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyrings.alt.file import PlaintextKeyring

from app.models.db import Database
from app.sync.client import RetryPolicy, Timeouts
from app.sync.connect import Connected, connect_device
from app.sync.worker import SyncOptions, SyncSummary, run_sync
from tests.hub.servers import RunningHub, start_hub
from tests.sync.docs import DocSet, build_docset, school_db
from tests.sync.proxy import FaultProxy

FAST = RetryPolicy(attempts=5, base_delay_s=0.02, max_delay_s=0.2, max_retry_after_s=5)
QUICK = Timeouts(connect_s=3, read_s=3, write_s=3, pool_s=3)


def options(**kw: object) -> SyncOptions:
    fields: dict[str, object] = {"policy": FAST, "timeouts": QUICK, **kw}
    return SyncOptions(**fields)  # type: ignore[arg-type]


def sync(db: Database, **kw: object) -> SyncSummary:
    return run_sync(db, options(**kw))


@pytest.fixture(scope="session")
def docset(tmp_path_factory: pytest.TempPathFactory) -> DocSet:
    return build_docset(tmp_path_factory.mktemp("docset"))


@pytest.fixture(autouse=True)
def file_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[PlaintextKeyring]:
    # Child processes (`python -m app …`) pick the same backend and file through the environment.
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    backend = PlaintextKeyring()
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory, docset: DocSet) -> Iterator[RunningHub]:
    data = tmp_path_factory.mktemp("hub")
    (data / "trust").mkdir()
    (data / "trust" / "demo-root.der").write_bytes(docset.demo_root)
    running = start_hub(data)
    yield running
    running.stop()


@pytest.fixture
def proxy(hub: RunningHub) -> Iterator[FaultProxy]:
    p = FaultProxy(hub.url)
    p.start()
    yield p
    p.stop()


@pytest.fixture
def school(docset: DocSet, tmp_path: Path) -> Iterator[Database]:
    db = school_db(docset, tmp_path / "school" / "hocba.sqlite3")
    yield db
    db.dispose()


def connect(db: Database, hub: RunningHub, url: str, school_code: str) -> Connected:
    return connect_device(db, url, hub.device(school_code), policy=FAST, timeouts=QUICK)


def copy_db(db: Database, dest: Path) -> Path:
    shutil.copyfile(db.path, dest)
    return dest
