"""The start-up sweep of the document store runs off the GUI thread when the app opens its database:
files a crash left behind (written, never referenced) are moved aside; young ones are left alone."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.cli import gui
from app.models.db import open_database
from app.services import safe_files
from app.services.document_store import store_document
from app.sync.documents import documents_dir_for
from app.ui.startup_guard import SWEEP_MIN_AGE_S, StartupGuard
from tests.services.data_safety_helpers import make_demo

pytestmark = pytest.mark.qt


def test_sweep_runs_at_start_and_spares_young_files(qtbot: QtBot, tmp_path: Path) -> None:
    db_path = make_demo(tmp_path / "hocba.sqlite3")
    db = open_database(db_path)
    try:
        old = store_document(db, b"%PDF-1.7 left by a crash before its row was committed")
        young = store_document(db, b"%PDF-1.7 a batch in another process is about to commit this")
    finally:
        db.dispose()
    store = documents_dir_for(db_path)
    long_ago = time.time() - SWEEP_MIN_AGE_S - 60
    os.utime(store / old.store_key, (long_ago, long_ago))
    guard = StartupGuard.claim(db_path)
    assert guard is not None
    try:
        opened = guard.open(gui.prepare_database)
        try:
            qtbot.waitUntil(lambda: guard.sweep is not None, timeout=20_000)
        finally:
            opened.dispose()
    finally:
        guard.release()
    assert guard.sweep is not None and guard.sweep.moved == (old.store_key,)
    assert guard.sweep.folder is not None and (guard.sweep.folder / Path(old.store_key).name).exists()
    left = {item.relative for item in safe_files.iter_store(store)}
    assert young.store_key in left and old.store_key not in left
