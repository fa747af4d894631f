"""Backups, the doctor and encryption at rest, on the 12×40 demo school with 5 years of documents.

Prints figures (never asserts):

1. Full backup (verified snapshot + every document file) and an incremental one after one
   class's changes (40 score changes with their audit entries, 40 re-issued documents):
   time and bytes written. Baseline in the same run: a plain copy of the same files
   (shutil), which verifies nothing.
2. `doctor` on the demo database alone and with the document store (every file re-hashed).
3. Encryption cost, plain vs SQLCipher in the same run: creating the school (bulk writes),
   reading every class's results, the homeroom overview of every class, rendering a class's
   records (DB read + ReportLab), a backup; and AES-GCM sealing of the rendered PDFs.

Documents: one class is rendered for real to learn the size of a record PDF; the 5 years
(2,400 records + 780 subject sheets) are then written as random bytes of those sizes
(PDF streams are compressed, so random bytes are a fair stand-in), named by SHA-256.

    .venv/bin/python bench/bench_backup.py [--years 5]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from app.models import SchoolClass, SecondaryAssessment, cipher  # noqa: E402
from app.models.db import Database, open_database  # noqa: E402
from app.services import audit  # noqa: E402
from app.services.access import SYSTEM  # noqa: E402
from app.services.backup import create_backup  # noqa: E402
from app.services.class_results import class_results  # noqa: E402
from app.services.demo import create_demo_school  # noqa: E402
from app.services.doctor import run_doctor  # noqa: E402

KEY = os.urandom(32)
SHEETS_PER_YEAR = 12 * 13  # classes × subjects with a signed subject sheet


def timed(fn: Callable[[], object], runs: int = 1) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - started)
    return best, result


def mb(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB"


def class_ids(db: Database) -> list[int]:
    with db.read() as s:
        return list(s.scalars(select(SchoolClass.id).order_by(SchoolClass.id)))


def render_class(db: Database, class_id: int) -> list[bytes]:
    from app.documents.render import render_record
    from app.services.records import class_records

    return [render_record(r).pdf for r in class_records(db, class_id)]


def write_documents(store: Path, sizes: list[int], count: int, rng: random.Random) -> int:
    total = 0
    for _ in range(count):
        body = rng.randbytes(rng.choice(sizes))
        name = hashlib.sha256(body).hexdigest()
        path = store / name[:2] / f"{name}.pdf"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
        total += len(body)
    return total


def one_class_changes(db: Database, class_id: int) -> None:
    from app.models import Enrolment

    with db.write() as s:
        rows = s.scalars(
            select(SecondaryAssessment)
            .join(Enrolment, Enrolment.id == SecondaryAssessment.enrolment_id)
            .where(Enrolment.class_id == class_id, SecondaryAssessment.semester == 2)
            .limit(40)
        ).all()
        for row in rows:
            old, row.ck = row.ck, "9"
            audit.append(
                s,
                actor="bench",
                action="score.set",
                entity="secondary_assessment",
                entity_id=row.id,
                detail={"class_id": class_id, "column": "ck", "old": old, "new": "9"},
            )


def plain_copy(db_path: Path, store: Path, dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(db_path, dest / db_path.name)
    shutil.copytree(store, dest / "documents", dirs_exist_ok=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--years", type=int, default=5)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="hocba-bench-backup-"))
    rng = random.Random(8)
    try:
        data = tmp / "data"
        db_path = data / "hocba.sqlite3"
        db = open_database(db_path)
        create_seconds, _ = timed(lambda: create_demo_school(db))
        ids = class_ids(db)
        render_seconds, pdfs = timed(lambda: render_class(db, ids[0]))
        assert isinstance(pdfs, list)
        sizes = [len(p) for p in pdfs]
        store = data / "documents"
        n_docs = args.years * (len(ids) * 40 + SHEETS_PER_YEAR)
        doc_bytes = write_documents(store, sizes, n_docs, rng)
        conn = cipher.connect(db_path)  # fold the -wal into the file, so its size is the database's
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
        print(f"demo school: {len(ids)} classes × 40; database {mb(db_path.stat().st_size)}")
        median_kb = statistics.median(sizes) / 1024
        print(f"documents: {n_docs} files, {mb(doc_bytes)} (record PDF median {median_kb:.0f} KB)")

        print("\n1. backup")
        full_s, full = timed(lambda: create_backup(db_path, tmp / "backups", policy=None))
        print(
            f"  full:        {full_s:6.2f} s, snapshot {mb(full.snapshot.bytes)} + documents "  # type: ignore[attr-defined]
            f"{mb(full.documents.bytes_copied)} ({full.documents.copied} files)"
        )  # type: ignore[attr-defined]
        baseline_s, _ = timed(lambda: plain_copy(db_path, store, tmp / "plaincopy"))
        print(f"  baseline plain copy of the same files (no snapshot, no verification): {baseline_s:6.2f} s")
        one_class_changes(db, ids[1])
        new_bytes = write_documents(store, sizes, 40, rng)
        inc_s, inc = timed(lambda: create_backup(db_path, tmp / "backups", policy=None))
        print(
            f"  incremental: {inc_s:6.2f} s, snapshot {mb(inc.snapshot.bytes)} + documents "  # type: ignore[attr-defined]
            f"{mb(inc.documents.bytes_copied)} ({inc.documents.copied} files; {mb(new_bytes)} new)"
        )  # type: ignore[attr-defined]

        print("\n2. doctor")
        empty_store = tmp / "no-docs"
        doc_s, report = timed(
            lambda: run_doctor(db_path, backup_folders=[tmp / "none"], documents_dir=empty_store), runs=3
        )
        print(f"  database only:        {doc_s * 1000:7.0f} ms (healthy={report.healthy})")  # type: ignore[attr-defined]
        doc_all_s, report = timed(lambda: run_doctor(db_path, backup_folders=[tmp / "backups"]))
        print(f"  with {n_docs + 40} documents: {doc_all_s * 1000:7.0f} ms (healthy={report.healthy})")  # type: ignore[attr-defined]

        print("\n3. encryption at rest (SQLCipher, raw 256-bit key; ratio = encrypted / plain)")
        enc_path = tmp / "enc" / "hocba.sqlite3"
        enc = open_database(enc_path, key=KEY)
        enc_create_s, _ = timed(lambda: create_demo_school(enc))
        rows: list[tuple[str, float, float]] = [
            ("create the school (bulk writes)", create_seconds, enc_create_s)
        ]
        enc_ids = class_ids(enc)

        def read_all(d: Database, cids: list[int]) -> None:
            for cid in cids:
                class_results(d, SYSTEM, cid)

        def homerooms(d: Database, cids: list[int]) -> None:
            from app.services.homeroom import homeroom_overview

            for cid in cids:
                homeroom_overview(d, SYSTEM, cid)

        rows.append(
            (
                "class results, all classes",
                timed(lambda: read_all(db, ids), 3)[0],
                timed(lambda: read_all(enc, enc_ids), 3)[0],
            )
        )
        rows.append(
            (
                "homeroom overview, all classes",
                timed(lambda: homerooms(db, ids), 3)[0],
                timed(lambda: homerooms(enc, enc_ids), 3)[0],
            )
        )
        rows.append(
            (
                "render one class (40 records)",
                timed(lambda: render_class(db, ids[0]), 2)[0],
                timed(lambda: render_class(enc, enc_ids[0]), 2)[0],
            )
        )
        rows.append(
            (
                "backup (database only)",
                timed(lambda: create_backup(db_path, tmp / "b1", policy=None, documents_dir=empty_store), 3)[
                    0
                ],
                timed(
                    lambda: create_backup(
                        enc_path, tmp / "b2", key=KEY, policy=None, documents_dir=empty_store
                    ),
                    3,
                )[0],
            )
        )
        for label, plain_s, enc_s in rows:
            print(
                f"  {label:34s} plain {plain_s * 1000:8.0f} ms   encrypted {enc_s * 1000:8.0f} ms   "
                f"ratio {enc_s / plain_s:5.2f}"
            )
        fkey = cipher.file_key(KEY)
        names = [hashlib.sha256(p).hexdigest() for p in pdfs]
        seal_s, sealed = timed(lambda: [cipher.seal(p, fkey, n) for p, n in zip(pdfs, names, strict=True)], 3)
        unseal_s, _ = timed(
            lambda: [cipher.unseal(b, fkey, n) for b, n in zip(sealed, names, strict=True)], 3
        )  # type: ignore[arg-type]
        print(
            f"  AES-GCM seal 40 rendered PDFs: {seal_s * 1000:.1f} ms ({seal_s / 40 * 1000:.2f} ms/doc); "
            f"open: {unseal_s * 1000:.1f} ms; against rendering them: {render_seconds * 1000:.0f} ms "
            f"({seal_s / render_seconds * 100:.2f} %)"
        )
        for d, path, key in ((db, db_path, None), (enc, enc_path, KEY)):
            d.dispose()
            conn = cipher.connect(path, key)
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.close()
        print(f"  database size plain {mb(db_path.stat().st_size)}, encrypted {mb(enc_path.stat().st_size)}")
        enc.dispose()
        db.dispose()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
