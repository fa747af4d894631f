"""Opening the homeroom page on a 45-student secondary class (target: under 200 ms).

Measured in one process, offscreen, on a demo school of 4 classes × 45 students, as the
class's homeroom teacher (a real demo account):

- baseline: the bare `class_results` read of the same class (what the class page reads);
- service: `homeroom_overview` alone (the homeroom read with every semester result,
  conduct, absences, comment, awards and the ordered explanations);
- open: building the whole `HomeroomPage` (its reads, item models, lists, snippets) and
  showing it until the student table has painted once;
- switch: on an open page, choosing the class again until the table has repainted.

Prints median and 95th percentile of each, in ms. The database is created once in the
temp folder (or at --db).

    .venv/bin/python bench/bench_homeroom.py [--runs 30] [--db PATH]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication
from sqlalchemy import select

from app.models import SchoolClass
from app.models.db import Database, open_database
from app.services.access import SYSTEM, Actor, load_actor
from app.services.class_results import class_results, school_overview
from app.services.demo import create_demo_school
from app.services.homeroom import homeroom_overview
from app.ui.application import setup_application
from app.ui.pages.homeroom_page import HomeroomPage

STUDENTS = 45
TARGET_MS = 200.0
PAGE_SIZE = (1115, 740)


class _Painted(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.painted = False

    def eventFilter(self, _watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.painted = True
        return False


def ensure_database(path: Path) -> None:
    if path.exists():
        print(f"database: {path} (cached)")
        return
    started = time.perf_counter()
    db = open_database(path)
    try:
        create_demo_school(db, level="thcs", classes=4, students_per_class=STUDENTS, seed=11)
    finally:
        db.dispose()
    print(f"database: {path} (created in {time.perf_counter() - started:.1f} s)")


def _teacher(db: Database) -> tuple[Actor, int]:
    with db.read() as s:
        class_id, teacher = s.execute(
            select(SchoolClass.id, SchoolClass.homeroom_teacher_id).order_by(SchoolClass.id).limit(1)
        ).one()
        return load_actor(s, teacher), class_id


def _time(runs: int, work: Callable[[], object]) -> list[float]:
    work()  # warm caches (imports, SQLite pages) once, as a running app has
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        out.append((time.perf_counter() - started) * 1000)
    return out


def _wait_for_paint(app: QApplication, watcher: _Painted) -> None:
    deadline = time.perf_counter() + 5
    while not watcher.painted and time.perf_counter() < deadline:
        app.processEvents()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    default_db = Path(tempfile.gettempdir()) / "hocba-bench-homeroom.sqlite3"
    parser.add_argument("--db", type=Path, default=default_db)
    args = parser.parse_args()
    ensure_database(args.db)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    setup_application(app)
    db = open_database(args.db)
    try:
        actor, class_id = _teacher(db)
        classes = school_overview(db, SYSTEM).classes
        size = next(c.student_count for c in classes if c.id == class_id)
        print(f"class: {size} students, homeroom teacher {actor.login}; {args.runs} runs each")

        def open_page() -> None:
            page = HomeroomPage(db, actor, classes)
            watcher = _Painted()
            page.table.viewport().installEventFilter(watcher)
            page.resize(*PAGE_SIZE)
            page.show()
            _wait_for_paint(app, watcher)
            assert watcher.painted and page.student_model.rowCount() == size
            page.close()
            page.deleteLater()
            app.processEvents()

        page = HomeroomPage(db, actor, classes)
        page.resize(*PAGE_SIZE)
        page.show()
        app.processEvents()

        def switch() -> None:
            watcher = _Painted()
            page.table.viewport().installEventFilter(watcher)
            page.load_class(class_id)
            _wait_for_paint(app, watcher)
            page.table.viewport().removeEventFilter(watcher)

        figures = {
            "baseline class_results": _time(args.runs, lambda: class_results(db, actor, class_id)),
            "service homeroom_overview": _time(args.runs, lambda: homeroom_overview(db, actor, class_id)),
            "open page to first paint": _time(args.runs, open_page),
            "switch class to repaint": _time(args.runs, switch),
        }
    finally:
        db.dispose()
    print(f"{'':28} {'median':>9} {'p95':>9}")
    for name, values in figures.items():
        p95 = statistics.quantiles(values, n=20)[-1]
        print(f"{name:28} {statistics.median(values):8.1f}  {p95:8.1f}  ms")
    opened = statistics.median(figures["open page to first paint"])
    base = statistics.median(figures["baseline class_results"])
    verdict = "meets" if opened < TARGET_MS else "MISSES"
    print(f"opening the page {verdict} the {TARGET_MS:.0f} ms target "
          f"({opened / base:.1f}× the bare class_results read)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
