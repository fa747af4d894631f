"""A full school year from the database: every class of a 2,000-student THCS demo school
read and evaluated through the service the class page uses (`class_results`).

Baseline in the same run: the same reads without evaluation (the loaders alone), so the
printout separates database cost from rules cost. Prints figures only.

    python bench/bench_school_year.py [--db PATH]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from app.models.db import open_database
from app.services import class_results as cr
from app.services.access import SYSTEM
from app.services.demo import create_demo_school


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.db or Path(tmp) / "school2000.sqlite3"
        if not path.exists():
            db = open_database(path)
            started = time.perf_counter()
            create_demo_school(db, classes=50, students_per_class=40, seed=1)
            print(f"demo school created in {time.perf_counter() - started:.2f} s")
            db.dispose()
        db = open_database(path)
        overview = cr.school_overview(db, SYSTEM)
        students = sum(c.student_count for c in overview.classes)

        def full() -> None:
            for c in overview.classes:
                cr.class_results(db, SYSTEM, c.id)

        def loaders_only() -> None:
            # Same queries and Python objects, no rules: replace evaluation by a no-op row.
            original_s, original_p = cr._SecondaryLoader._row, cr._PrimaryLoader._row
            cr._SecondaryLoader._row = cr._PrimaryLoader._row = lambda self, n, e, s: None  # type: ignore[assignment,method-assign]
            try:
                full()
            finally:
                cr._SecondaryLoader._row, cr._PrimaryLoader._row = original_s, original_p  # type: ignore[method-assign]

        for label, fn in (("read + evaluate (class_results)", full), ("baseline: read only", loaders_only)):
            samples = []
            for _ in range(args.runs):
                started = time.perf_counter()
                fn()
                samples.append(time.perf_counter() - started)
            total = statistics.median(samples)
            print(f"{label:34s} {total * 1000:8.1f} ms for {students} students, "
                  f"{total * 1000 / students:6.3f} ms/student")
        db.dispose()


if __name__ == "__main__":
    main()
