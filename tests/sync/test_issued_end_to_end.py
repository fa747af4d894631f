"""The real issuing (signing order, demo signer) fills the outbox; one sync delivers it all."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from app.models.db import open_database
from app.models.outbox import OutboxItem
from tests.hub.servers import ROOT, RunningHub
from tests.sync.conftest import connect, sync
from tests.sync.docs import DocSet

pytestmark = pytest.mark.slow


def _app(*args: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "app", *args], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_every_issued_record_and_sheet_reaches_the_hub_verified(
    hub: RunningHub, docset: DocSet, tmp_path: Path
) -> None:
    path = tmp_path / "school" / "hocba.sqlite3"
    _app("demo", "--db", str(path), "--classes", "1", "--students-per-class", "8")
    _app("issue-demo", "--db", str(path))
    [root] = list(path.parent.rglob("demo-root.pem"))
    (hub.data / "trust" / "issued-demo-root.pem").write_bytes(root.read_bytes())
    db = open_database(path)
    try:
        with db.read() as s:
            kinds = sorted(i.kind for i in s.scalars(select(OutboxItem)))
            school = s.scalars(select(OutboxItem.school_code)).first()
        assert kinds.count("record") == 8 and kinds.count("sheet") > 0
        assert school is not None
        connect(db, hub, hub.url, school)
        summary = sync(db)
        assert summary.accepted == len(kinds) and summary.waiting == 0 and summary.failed == 0
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            sync(db)
            with db.read() as s:
                checks = [i.hub_verification for i in s.scalars(select(OutboxItem))]
            if "pending" not in checks and None not in checks:
                break
            time.sleep(0.5)
        assert set(checks) == {"verified"}, checks
    finally:
        db.dispose()
