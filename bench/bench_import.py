"""Importing 2,000 students from .xlsx (target: under 5 s, end to end).

The file imitates an export of the provincial database: title rows, the header on row 6,
identification numbers stored as numbers (their leading zeros restored on import),
real Excel dates, names in capitals, students spread over the classes of a demo school.

Baseline in the same run: openpyxl loading the same file in read-only mode and reading
every cell, which any import has to do; the rest is checking (headers, dates, ids,
duplicates against the database) and writing (one transaction, audit entries).
Each figure is the median of several runs, each on a fresh copy of the database.
Prints figures only.
"""

from __future__ import annotations

import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from openpyxl import Workbook, load_workbook

from app.models.db import open_database
from app.services.access import SYSTEM
from app.services.demo import create_demo_school
from app.services.excel_import import import_students, import_students_file, preview_students

STUDENTS = 2000
RUNS = 5
TARGET_S = 5.0
FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương")
MIDDLE = ("Văn", "Thị", "Minh", "Ngọc", "Thanh", "Gia", "Bảo", "Đức", "Quốc", "Khánh", "Hữu", "Thu")
GIVEN = ("An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Hải", "Hùng", "Huy", "Lan", "Linh", "Long",
         "Mai", "Minh", "My", "Nam", "Ngân", "Phúc", "Quân", "Sơn", "Thảo", "Trang", "Vy", "Yến")  # fmt: skip


def write_file(path: Path, class_names: list[str]) -> None:
    rng = random.Random(2026)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Danh sách")
    ws.append(["SỞ GIÁO DỤC VÀ ĐÀO TẠO"])
    ws.append(["TRƯỜNG THCS DEMO"])
    ws.append([])
    ws.append(["DANH SÁCH HỌC SINH"])
    ws.append([])
    ws.append(["STT", "Mã học sinh", "HỌ TÊN HỌC SINH", "Ngày sinh", "Giới tính", "Dân tộc", "Mã định danh",
               "Lớp", "Nơi sinh", "Họ tên cha", "Họ tên mẹ"])  # fmt: skip
    for i in range(STUDENTS):
        sex = rng.choice((1, 2))
        dob = date(2014, 1, 1) + timedelta(days=rng.randrange(365))
        national_id = f"001{2 if sex == 1 else 3}{dob.year % 100:02d}{i:06d}"
        name = f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)} {rng.choice(GIVEN)}"
        ws.append([i + 1, f"BENCH{i:06d}", name.upper(), dob, "Nam" if sex == 1 else "Nữ", "Kinh",
                   int(national_id), class_names[i % len(class_names)], "Hà Nội",
                   f"Nguyễn Văn {rng.choice(GIVEN)}", f"Trần Thị {rng.choice(GIVEN)}"])  # fmt: skip
    ws.append([None, f"Tổng cộng: {STUDENTS} học sinh"])
    wb.save(path)


def read_only_baseline(path: Path) -> None:
    wb = load_workbook(path, read_only=True, data_only=True)
    cells = sum(len(row) for row in wb.active.iter_rows(values_only=True))
    wb.close()
    assert cells > STUDENTS


def median_s(fn: Callable[[], object], runs: int = RUNS) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="bench_import_"))
    try:
        template = work / "template.sqlite3"
        db = open_database(template)
        summary = create_demo_school(db, classes=12, students_per_class=1, seed=3)
        db.dispose()
        xlsx = work / "students.xlsx"
        write_file(xlsx, [c.name for c in summary.classes])

        copies = iter(range(10_000))

        def fresh():  # type: ignore[no-untyped-def]
            path = work / f"run{next(copies)}.sqlite3"
            shutil.copyfile(template, path)
            return open_database(path)

        def end_to_end() -> None:
            target = fresh()
            report = import_students_file(target, SYSTEM, xlsx)
            target.dispose()
            assert report.imported == STUDENTS and not report.errors, report.errors[:3]

        previews = []

        def preview_only() -> None:
            target = fresh()
            previews.append((target, preview_students(target, SYSTEM, xlsx)))

        def write_only() -> None:
            target, preview = previews.pop()
            assert import_students(target, SYSTEM, preview).imported == STUDENTS
            target.dispose()

        baseline = median_s(lambda: read_only_baseline(xlsx))
        total = median_s(end_to_end)
        check = median_s(preview_only)
        write = median_s(write_only)
        print(f"{STUDENTS} students from .xlsx ({xlsx.stat().st_size // 1024} KiB), median of {RUNS} runs:")
        print(f"  baseline: openpyxl read-only load + read every cell  {baseline:6.2f} s")
        verdict = "ok" if total < TARGET_S else "MISSED"
        print(f"  import end to end (read, check, write, audit)       {total:6.2f} s   "
              f"{total / baseline:4.1f}× baseline   target < {TARGET_S:.0f} s: {verdict}")  # fmt: skip
        print(f"    of which read + check (preview)                   {check:6.2f} s")
        print(f"    of which write in one transaction + audit         {write:6.2f} s")
        return 0 if total < TARGET_S else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
