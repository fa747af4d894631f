"""Rendering the học bạ of the demo school's 480 students (and its class subject sheets).

Prints, per student: the time to render the PDF/A-3b file (XML + ReportLab + packaging
with the signature fields), its CPU time, the file sizes, and the process's peak memory.
Targets (issue 3): under 40 ms per student on one core, peak memory under 300 MB, files
under 150 KB before signatures.

Baselines in the same run, on the same records:
- "bare ReportLab": a two-page canvas document per student with the same fonts (the same
  five Noto faces, subset and embedded) writing the same names and values as plain lines —
  what ReportLab costs before any layout, tables or packaging;
- "layout only": our ReportLab pages without the XML and the PDF/A packaging pass, to show
  what the packaging costs.

The demo database is created in a temporary folder (`create_demo_school`, THCS, 12 classes
× 40 students), or read from --db. Everything runs in this one process, on one core.

    .venv/bin/python bench/bench_render.py [--db PATH] [--sheets]
"""

from __future__ import annotations

import argparse
import io
import resource as rusage
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from reportlab.pdfgen.canvas import Canvas  # noqa: E402

from app.documents.record import SecondaryYear, TranscriptRecord  # noqa: E402
from app.documents.render import render_record, render_sheet  # noqa: E402
from app.documents.render_common import (  # noqa: E402
    SANS,
    SANS_BOLD,
    SERIF,
    SERIF_BOLD,
    SERIF_ITALIC,
    DocumentInfo,
    FieldPlacement,
    build_pdf,
    register_fonts,
)
from app.documents.render_front import front_page  # noqa: E402
from app.documents.render_secondary import secondary_year_page  # noqa: E402
from app.models import SchoolClass  # noqa: E402
from app.models.db import Database, open_database  # noqa: E402
from app.services.demo import create_demo_school  # noqa: E402
from app.services.record_sheets import class_sheets  # noqa: E402
from app.services.records import class_records  # noqa: E402

TARGET_MS = 40.0
TARGET_MB = 300.0
TARGET_KB = 150.0


def bare_reportlab(record: TranscriptRecord) -> bytes:
    """Two canvas pages with the same five fonts and the same words, no layout engine."""
    buffer = io.BytesIO()
    c = Canvas(buffer, invariant=1, initialFontName=SERIF, pageCompression=1)
    s = record.student
    c.setFont(SERIF_BOLD, 28)
    c.drawCentredString(297, 760, "HỌC BẠ")
    c.setFont(SERIF, 11)
    y = 700
    for line in (
        s.full_name,
        s.place_of_birth or "",
        s.address or "",
        s.father_name or "",
        s.mother_name or "",
        record.school.name,
        record.homeroom_teacher,
    ):
        c.drawString(60, y, line)
        y -= 16
    c.setFont(SANS, 8)
    c.drawString(60, 30, f"Mã hồ sơ {record.meta.record_id}")
    c.showPage()
    c.setFont(SERIF, 10)
    y = 780
    if isinstance(record.results, SecondaryYear):
        for line in record.results.subjects:
            c.drawString(60, y, f"{line.name}  {line.hk1}  {line.hk2}  {line.year}  {line.teacher}")
            y -= 15
    c.setFont(SERIF_ITALIC, 10)
    c.drawString(60, y - 20, record.homeroom_comment or "")
    c.setFont(SANS_BOLD, 8)
    c.drawString(60, 30, "Trang 2/2")
    c.showPage()
    c.save()
    return buffer.getvalue()


def layout_only(record: TranscriptRecord) -> bytes:
    placements: list[FieldPlacement] = []
    story = front_page(record) + secondary_year_page(record, placements)
    return build_pdf(story, DocumentInfo("t", record.school.name, "s", "footer", record.school.is_demo))


def timed(
    label: str, items: Sequence[object], work: Callable[[object], bytes]
) -> tuple[list[float], list[int]]:
    work(items[0])  # warm-up: font files parsed, schema loaded
    wall: list[float] = []
    sizes: list[int] = []
    cpu_start = time.process_time()
    start = time.perf_counter()
    for item in items:
        t = time.perf_counter()
        sizes.append(len(work(item)))
        wall.append((time.perf_counter() - t) * 1000)
    total = time.perf_counter() - start
    cpu = (time.process_time() - cpu_start) * 1000 / len(items)
    print(
        f"{label:<34} n={len(items):>4}  median {statistics.median(wall):6.1f} ms  "
        f"mean {statistics.fmean(wall):6.1f} ms  p95 {sorted(wall)[int(len(wall) * 0.95) - 1]:6.1f} ms  "
        f"cpu/item {cpu:6.1f} ms  total {total:5.1f} s"
    )
    return wall, sizes


def sizes_line(label: str, sizes: list[int]) -> None:
    kb = [n / 1024 for n in sizes]
    print(
        f"{label:<34} min {min(kb):6.1f} KB  median {statistics.median(kb):6.1f} KB  max {max(kb):6.1f} KB"
        f"  total {sum(kb) / 1024:6.1f} MB"
    )


def peak_mb() -> float:
    return rusage.getrusage(rusage.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path)
    parser.add_argument("--sheets", action="store_true", help="also render every class subject sheet")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.db or Path(tmp) / "demo.sqlite3"
        db = open_database(path)
        if args.db is None:
            t = time.perf_counter()
            create_demo_school(db, level="thcs", classes=12, students_per_class=40, seed=0)
            print(f"demo school created in {time.perf_counter() - t:.1f} s")
        try:
            run(db, args.sheets)
        finally:
            db.dispose()
    return 0


def run(db: Database, sheets: bool) -> None:
    with db.read() as s:
        class_ids = [c.id for c in s.query(SchoolClass).order_by(SchoolClass.id)]
    register_fonts()
    print(f"peak RSS before rendering: {peak_mb():.0f} MB")
    t = time.perf_counter()
    records: list[TranscriptRecord] = []
    for class_id in class_ids:
        records.extend(class_records(db, class_id))
    build_ms = (time.perf_counter() - t) * 1000
    print(
        f"records built from the database: {len(records)} in {build_ms:.0f} ms "
        f"({build_ms / len(records):.2f} ms per student)"
    )

    secondary = [r for r in records if isinstance(r.results, SecondaryYear)]
    _, bare_sizes = timed("baseline: bare ReportLab, 2 pages", secondary, bare_reportlab)  # type: ignore[arg-type]
    _, layout_sizes = timed("baseline: our layout, no PDF/A", secondary, layout_only)  # type: ignore[arg-type]
    wall, sizes = timed("học bạ PDF/A-3b (render_record)", records, lambda r: render_record(r).pdf)  # type: ignore[arg-type,attr-defined]
    sizes_line("bare ReportLab file", bare_sizes)
    sizes_line("layout-only file", layout_sizes)
    sizes_line("học bạ PDF/A-3b file", sizes)
    if sheets:
        all_sheets = [sheet for class_id in class_ids for sheet in class_sheets(db, class_id)]
        _, sheet_sizes = timed(
            "class subject sheets (render_sheet)", all_sheets, lambda sh: render_sheet(sh).pdf
        )  # type: ignore[arg-type,attr-defined]
        sizes_line("subject sheet file", sheet_sizes)
    median = statistics.median(wall)
    peak = peak_mb()
    print(f"peak RSS of the whole run: {peak:.0f} MB")
    print(
        f"targets: per student {median:.1f} ms "
        f"(< {TARGET_MS:.0f}: {'ok' if median < TARGET_MS else 'MISSED'}), "
        f"peak {peak:.0f} MB (< {TARGET_MB:.0f}: {'ok' if peak < TARGET_MB else 'MISSED'}), "
        f"largest file {max(sizes) / 1024:.0f} KB (< {TARGET_KB:.0f}: "
        f"{'ok' if max(sizes) / 1024 < TARGET_KB else 'MISSED'})"
    )


if __name__ == "__main__":
    raise SystemExit(main())
