"""Transfers between two demo schools: making, checking and accepting a package.

Prints figures (never asserts):

1. `export_transfer` of one student (one issued record, the class's subject sheets, the
   certificates, the seal's signature over the manifest), median of 5 (students of a copy
   of the school, so every run ends a fresh enrolment).
2. `verify_package` of that package at the receiving school, median of 5; baseline in the
   same run: `validate_pdf` of every PDF in the package alone, the part no check can avoid.
3. `accept_transfer` (check again, store the files, one transaction), median of 3.

    .venv/bin/python bench/bench_transfer.py
"""

from __future__ import annotations

import logging
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.services.access import SYSTEM  # noqa: E402
from app.services.transfer_in import accept_transfer  # noqa: E402
from app.services.transfer_out import export_transfer  # noqa: E402
from app.services.transfer_package import read_package  # noqa: E402
from app.services.transfer_verify import verify_package  # noqa: E402
from app.signing.validation import validate_pdf  # noqa: E402
from tests.services.transfer_data import copy_school, make_templates, root_of, student_ids  # noqa: E402


def _median_ms(fn: Callable[[int], object], runs: int) -> float:
    times = []
    for i in range(runs):
        t0 = time.perf_counter()
        fn(i)
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main() -> None:
    logging.getLogger("pyhanko").setLevel(logging.CRITICAL)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        templates = make_templates(folder / "templates")
        print(f"two demo schools, A issued: {time.perf_counter() - t0:.1f} s")
        a = copy_school(templates.a, folder / "a")
        students = student_ids(a)
        packages = [folder / f"p{i}.hbt" for i in range(len(students))]
        a_root = root_of(a)

        def export(i: int) -> None:
            export_transfer(a, SYSTEM, students[i], packages[i], destination="B", transfer_date=date.today())

        ms = _median_ms(export, min(5, len(students)))
        package = packages[0]
        size = package.stat().st_size
        contents = read_package(package)
        pdfs = [data for name, data in contents.files.items() if name.endswith(".pdf")]
        print(f"export_transfer: {ms:.0f} ms (median), package {size / 1e6:.1f} MB, {len(pdfs)} PDFs")

        b = copy_school(templates.b, folder / "b")
        verify_ms = _median_ms(lambda _i: verify_package(b, package, [a_root]), 5)
        baseline_ms = _median_ms(lambda _i: [validate_pdf(p, [a_root]) for p in pdfs], 5)
        print(
            f"verify_package: {verify_ms:.0f} ms (median); baseline validate_pdf of the {len(pdfs)} PDFs "
            f"alone: {baseline_ms:.0f} ms ({verify_ms / baseline_ms:.2f}×)"
        )

        runs = min(3, len(students))
        receivers = [copy_school(templates.b, folder / f"b{i}") for i in range(runs)]
        accept_ms = _median_ms(
            lambda i: accept_transfer(receivers[i], SYSTEM, packages[i], trust_roots=[a_root]), runs
        )
        print(f"accept_transfer: {accept_ms:.0f} ms (median)")
        for db in receivers:
            db.dispose()
        a.dispose()
        b.dispose()


if __name__ == "__main__":
    main()
