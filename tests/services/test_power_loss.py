"""Power loss: kill -9 a writer in the middle of a burst of writes, many times over.

Each round forks a process that opens the database as the app does, marks it open, and
commits score changes (each with its audit entry) as fast as it can, reporting every commit
it got back. The parent kills it with SIGKILL at a random moment, then checks what a
restart would: the start-up recovery finds nothing to complain about, integrity_check is ok,
the audit chain verifies, and every commit the writer was told about is there.

(kill -9 loses what the process had not handed to the kernel; a real power cut can also lose
what the kernel had not written, which `synchronous=FULL` covers and no test here can cut.)
"""

from __future__ import annotations

import os
import random
import signal
from pathlib import Path

import pytest

from app.models.db import open_database
from app.services.audit import verify_chain
from app.services.recovery import STATUS_OK, open_marker, recover_at_start
from tests.services.data_safety_helpers import audit_count, change_scores, integrity, make_demo

ROUNDS = 60

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork (Linux, macOS)"),
]


def _writer(path: Path, report_fd: int, start: int) -> None:  # pragma: no cover - runs in the child
    try:
        db = open_database(path)
        from app.services.recovery import mark_open

        mark_open(path)
        i = start
        while True:
            change_scores(db, 1, start=i)
            i += 1
            os.write(report_fd, b".")  # one byte per commit the writer got back
    finally:
        os._exit(1)


def _one_round(path: Path, rng: random.Random, round_no: int) -> tuple[int, int]:
    before = audit_count(path)
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        os.close(read_fd)
        _writer(path, write_fd, round_no * 1000)
    os.close(write_fd)
    wanted = rng.randint(1, 12)
    acked = 0
    while acked < wanted:
        chunk = os.read(read_fd, 64)
        assert chunk, "the writer stopped on its own"
        acked += len(chunk)
    if rng.random() < 0.5:
        # Land the kill in the middle of a transaction rather than right after a commit.
        os.sched_yield()
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    while chunk := os.read(read_fd, 4096):
        acked += len(chunk)  # commits reported just before the kill
    os.close(read_fd)
    return before, acked


def test_kill_minus_nine_during_writes_loses_nothing_acknowledged(tmp_path: Path) -> None:
    path = make_demo(tmp_path / "hocba.sqlite3", classes=1, students=8)
    rng = random.Random(2026)
    for round_no in range(1, ROUNDS + 1):
        before, acked = _one_round(path, rng, round_no)
        assert open_marker(path).exists()
        report = recover_at_start(path, backup_folders=[tmp_path / "backups"])
        assert report.status == STATUS_OK, (round_no, report.message)
        assert integrity(path) == ["ok"], round_no
        after = audit_count(path)
        assert after >= before + acked, (round_no, before, acked, after)
        assert after <= before + acked + 1  # at most the one in flight when the kill came
        db = open_database(path, migrate=False)
        try:
            with db.read() as s:
                chain = verify_chain(s)
        finally:
            db.dispose()
        assert chain.ok, (round_no, chain)
