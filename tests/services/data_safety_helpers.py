"""Helpers for the data-safety tests: a demo database, changes to it, damage, and documents."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from app.models import AuditEntry, SecondaryAssessment
from app.models.db import Database, open_database
from app.services import audit
from app.services.demo import create_demo_school

ROOT = Path(__file__).resolve().parents[2]


def make_demo(path: Path, *, classes: int = 2, students: int = 10, key: bytes | None = None) -> Path:
    db = open_database(path, key=key)
    try:
        create_demo_school(db, classes=classes, students_per_class=students, seed=3)
    finally:
        db.dispose()
    return path


def change_scores(db: Database, n: int, *, start: int = 0) -> None:
    """`n` separate transactions, each changing one score and logging it (as the mark book will)."""
    with db.read() as s:
        ids = list(s.scalars(select(SecondaryAssessment.id).order_by(SecondaryAssessment.id).limit(50)))
    for i in range(start, start + n):
        with db.write() as s:
            row = s.get(SecondaryAssessment, ids[i % len(ids)])
            assert row is not None
            old, new = row.gk, f"{(i % 10) + 0.5}"
            row.gk = new
            audit.append(
                s,
                actor="test",
                action="score.change",
                entity="secondary_assessment",
                entity_id=row.id,
                detail={"field": "gk", "old": old, "new": new},
            )


def audit_count(path: Path, key: bytes | None = None) -> int:
    db = open_database(path, migrate=False, key=key)
    try:
        with db.read() as s:
            return int(s.scalar(select(func.count()).select_from(AuditEntry)) or 0)
    finally:
        db.dispose()


def table_dump(path: Path) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT id, gk, ck FROM secondary_assessment ORDER BY id").fetchall()
    finally:
        conn.close()


def integrity(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [r[0] for r in conn.execute("PRAGMA integrity_check")]
    finally:
        conn.close()


def flip_page_headers(path: Path, *, every: int = 3, page_size: int = 4096) -> None:
    """XOR the b-tree header bytes of every `every`-th page from page 2: structural damage."""
    data = bytearray(path.read_bytes())
    for start in range(page_size, len(data), page_size * every):
        for i in range(start, min(start + 12, len(data))):
            data[i] ^= 0xA5
    path.write_bytes(bytes(data))


def make_documents(store: Path, count: int, *, size: int = 4000, seed: int = 0) -> list[Path]:
    """Content-addressed files (named by SHA-256, fanned out by the first two hex digits)."""
    made = []
    for i in range(count):
        body = hashlib.sha256(f"{seed}-{i}".encode()).digest() * (size // 32)
        name = hashlib.sha256(body).hexdigest()
        path = store / name[:2] / f"{name}.pdf"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
        made.append(path)
    return made


WRITER = r"""
import sys
from pathlib import Path
from app.services.recovery import mark_open
from app.models.db import open_database
from tests.services.data_safety_helpers import change_scores
path = Path(sys.argv[1]); n = int(sys.argv[2])
db = open_database(path)
mark_open(path)
i = 0
while n < 0 or i < n:
    change_scores(db, 1, start=i)
    i += 1
    print(i, flush=True)
if len(sys.argv) > 3:  # the app's scheduled backup, while the database is still open
    from app.services.backup import create_backup
    create_backup(path, Path(sys.argv[3]))
import os
os._exit(0)  # as if the power went: no close, no checkpoint, the -wal stays
"""


def unclean_writes(path: Path, n: int, *, backup_to: Path | None = None) -> None:
    """Make `n` committed changes in another process that then dies without closing the database.

    With `backup_to`, that process also makes a backup before dying (as the running app would).
    """
    extra = [str(backup_to)] if backup_to else []
    proc = subprocess.run(
        [sys.executable, "-c", WRITER, str(path), str(n), *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split()[-1] == str(n)
    assert Path(f"{path}-wal").exists()
