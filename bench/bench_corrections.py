"""What the issued-record lock and the sheet re-versioning cost, on a 40-student demo class.

Prints figures (never asserts):

1. Score writes under the triggers that lock an issued student's values: 2,000 single-row
   updates in one transaction of a student whose record is not issued (so the write goes through), with the
   triggers, then in the same run on the same database with those triggers dropped
   (baseline); the difference is what every score write now pays.
2. The out-of-date check of the signed class subject sheets (built now vs the XML embedded in
   the signed files), cold (files read and parsed) and warm (cached per file), against the
   homeroom plan it is part of.

    .venv/bin/python bench/bench_corrections.py [--students 40] [--writes 2000]
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select, update  # noqa: E402

from app.models import Document, SecondaryAssessment  # noqa: E402
from app.models.triggers import CORRECTION_TRIGGERS  # noqa: E402
from app.services import sheet_versions  # noqa: E402
from app.services.certificates import SEAL  # noqa: E402
from app.services.record_sheets import class_sheets  # noqa: E402
from tests.services.signing_data import make_demo_class  # noqa: E402


def _writes(path: Path, row_id: int, count: int) -> float:
    conn = sqlite3.connect(path)
    try:
        started = time.perf_counter()
        with conn:  # one transaction: the figure is the statements' cost, not the disk's fsync
            for i in range(count):
                value = f"{5 + i % 5}.0"
                conn.execute("UPDATE secondary_assessment SET ck = ? WHERE id = ?", (value, row_id))
        return (time.perf_counter() - started) / count * 1e6
    finally:
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--writes", type=int, default=2000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-corrections-"))
    demo = make_demo_class(folder / "school", students=args.students)
    demo.lock_all()
    started = time.perf_counter()
    demo.sign_sheets()
    print(f"signed {len(demo.states('sheet'))} class subject sheets in {time.perf_counter() - started:.1f} s")
    for role, login in (("gvcn", demo.homeroom), ("hieutruong", demo.principal)):
        assert demo.sign(role, login).complete
    # Issue every record but one, so a write to that student passes the triggers' checks.
    with demo.db.read() as s:
        docs = s.scalars(select(Document).where(Document.kind == "record")).all()
        documents = len(docs)
        spared = docs[-1].enrolment_id
        row_id = s.scalar(select(SecondaryAssessment.id).where(SecondaryAssessment.enrolment_id == spared))
    assert row_id is not None
    with demo.db.write() as s:
        s.execute(update(Document).where(Document.enrolment_id == spared).values(state="gvcn_signed"))
    demo.sign("condau", SEAL)
    print(f"{documents} records, {documents - 1} issued")

    path = Path(demo.db.path)
    conn = sqlite3.connect(path)
    with conn:  # as a leader's unlock after issuing: only the issued-record triggers stand
        conn.execute("UPDATE teaching_assignment SET locked_at = NULL")
    conn.close()
    locked = _writes(path, row_id, args.writes)
    conn = sqlite3.connect(path)
    with conn:
        for name in CORRECTION_TRIGGERS:
            if "_issued_no_" in name:
                conn.execute(f"DROP TRIGGER {name}")
    conn.close()
    plain = _writes(path, row_id, args.writes)
    print(f"score write (one row): {locked:.1f} µs with the issued-record triggers, "
          f"{plain:.1f} µs without (baseline) → {locked - plain:+.1f} µs ({locked / plain:.2f}×)")

    sheets = class_sheets(demo.db, demo.class_id)
    with demo.db.read() as s:
        current = sheet_versions.current_sheet_docs(s, demo.class_id)
    sheet_versions._SIGNED_XML.clear()
    started = time.perf_counter()
    stale = sheet_versions.stale_sheets(demo.db, sheets, current)
    cold = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    sheet_versions.stale_sheets(demo.db, sheets, current)
    warm = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    demo.plan("gvcn", demo.homeroom)
    plan = (time.perf_counter() - started) * 1000
    print(f"out-of-date check of {len(sheets)} signed sheets: {cold:.0f} ms cold, {warm:.0f} ms warm "
          f"({len(stale)} out of date); the whole homeroom plan (warm): {plan:.0f} ms")
    demo.db.dispose()


if __name__ == "__main__":
    main()
