"""The principal's report and the confirmed printout, on the 12×40 demo school.

Prints figures (never asserts):

1. `principal_report` (every class's counts, year results and the missing certificates),
   median of 5; baseline in the same run: `class_results` of every class alone, the part
   the report cannot avoid (the rules engine decides which records are complete).
2. `confirmed_printout` of a rendered record (pages copied, note on each page, the
   verification page with its QR code), median of 10; baseline in the same run: a plain
   pypdf copy of the same pages (read, add every page, write).

    .venv/bin/python bench/bench_reports.py
"""

from __future__ import annotations

import io
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pypdf import PdfReader, PdfWriter  # noqa: E402

from app.documents.printout import PrintInfo, SignerLine, confirmed_printout  # noqa: E402
from app.documents.render import render_record  # noqa: E402
from app.models.db import open_database  # noqa: E402
from app.services.access import SYSTEM  # noqa: E402
from app.services.class_results import class_results, school_overview  # noqa: E402
from app.services.demo import create_demo_school  # noqa: E402
from app.services.records import class_records  # noqa: E402
from app.services.reports import principal_report  # noqa: E402


def median_ms(work: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def plain_copy(pdf: bytes) -> bytes:
    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        writer.add_page(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        db = open_database(Path(folder) / "hocba.sqlite3")
        create_demo_school(db, classes=12, students_per_class=40, seed=0)
        classes = school_overview(db, SYSTEM).classes
        report_ms = median_ms(lambda: principal_report(db, SYSTEM), 5)
        results_ms = median_ms(lambda: [class_results(db, SYSTEM, c.id) for c in classes], 5)
        report = principal_report(db, SYSTEM)
        print(
            f"principal_report, {len(classes)} classes, {report.totals.students} students: {report_ms:.0f} ms"
        )
        print(f"  baseline: class_results of every class: {results_ms:.0f} ms")

        record = class_records(db, classes[0].id)[0]
        pdf = render_record(record).pdf
        student = record.student
        info = PrintInfo(
            record_id=record.meta.record_id, version=1, sha256="ab" * 32, student_name=student.full_name,
            student_code=student.student_code, class_name=record.class_name, year_name=record.year_name,
            school_name=record.school.name, signers=(SignerLine("Hiệu trưởng", "Bench", date(2027, 5, 31)),),
            verify_url="https://hub.example.vn/v1/verify/" + "ab" * 32, printed_by="Bench",
            printed_at=datetime(2027, 6, 1, 9, 0),
        )  # fmt: skip
        print_ms = median_ms(lambda: confirmed_printout(pdf, info), 10)
        copy_ms = median_ms(lambda: plain_copy(pdf), 10)
        size = len(confirmed_printout(pdf, info))
        print(f"confirmed_printout of a {len(pdf) // 1024} kB record: {print_ms:.0f} ms, {size // 1024} kB")
        print(f"  baseline: plain pypdf copy of the same pages: {copy_ms:.0f} ms")
        db.dispose()


if __name__ == "__main__":
    main()
