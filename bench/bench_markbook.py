"""Mark book keystroke latency for a 45-student class (target: p95 under 16 ms).

A keystroke here is one committed cell: `setData` on the mark book model with what a
teacher typed ("7,5"), through parsing, the in-memory row update, the semester and year
averages recomputed by the rules engine, `dataChanged` emitted and the average read back
by a listener (as the view does), and the write queued on the database writer thread.

Measured in the same run, on a real demo database (real migrations, WAL, synchronous=FULL):
- baseline: `setData` on a plain QStandardItemModel of the same size (Qt's own floor);
- keystroke → average shown: the path above (what the teacher waits for);
- keystroke → average painted: the same plus one event-loop pass repainting an
  offscreen QTableView showing the grid, with keystrokes paced like a fast typist
  (PACE_MS apart, the previous write long finished) and back to back (worst case: the
  writer thread's Python work competes with the repaint for the GIL);
- keystroke → on disk: until the queued write has committed (BEGIN IMMEDIATE, parse,
  update, audit entry, COMMIT with fsync), the next keystroke waiting for it;
- the write service alone (`set_score`), and the keystroke with that write done inline on
  the GUI thread (the design this page does not use, for comparison).

Prints figures only: ``QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_markbook.py``.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QCoreApplication, QModelIndex, QObject, Slot
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QApplication, QTableView
from sqlalchemy import select

from app.models import SchoolClass, Subject, TeachingAssignment, UserAccount
from app.models.db import Database, open_database
from app.services import markbook as mb
from app.services.access import Actor, load_actor
from app.services.demo import create_demo_school
from app.ui.itemmodels.markbook_model import MarkbookModel
from app.ui.itemmodels.markbook_sheets import SecondarySheet
from app.ui.serial_writer import SerialWriter

STUDENTS = 45
ROUNDS = 2
PACE_MS = 60
COLUMNS = ("tx1", "tx2", "tx3", "tx4", "gk", "ck")
VALUES = ("7,5", "8", "6,5", "9", "5,5", "10")


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def report(name: str, samples: list[float]) -> None:
    print(
        f"{name:<46} p50 {statistics.median(samples):7.3f} ms   p95 {percentile(samples, 95):7.3f} ms"
        f"   max {max(samples):7.3f} ms   (n={len(samples)})"
    )


def school(folder: Path) -> tuple[Database, Actor, int, int]:
    db = open_database(folder / "bench.sqlite3")
    create_demo_school(db, level="thcs", classes=2, students_per_class=STUDENTS, seed=3)
    with db.read() as s:
        class_id = s.scalar(select(SchoolClass.id).order_by(SchoolClass.id).limit(1))
        subject_id, login = s.execute(
            select(Subject.id, UserAccount.login)
            .join(TeachingAssignment, TeachingAssignment.subject_id == Subject.id)
            .join(UserAccount, UserAccount.id == TeachingAssignment.teacher_id)
            .where(TeachingAssignment.class_id == class_id, Subject.code == "toan")
        ).one()
        user_id = s.scalar(select(UserAccount.id).where(UserAccount.login == login))
        assert class_id is not None and user_id is not None
        teacher = load_actor(s, user_id)
    return db, teacher, class_id, subject_id


def keystrokes(model: MarkbookModel) -> list[tuple[int, int, str]]:
    """Cells to type, each with a value that differs from what the cell holds now (a
    retyped value changes nothing, so it would measure nothing)."""
    sheet = model.sheet
    assert sheet is not None
    out = []
    for n in range(ROUNDS):
        for r in range(len(sheet.rows)):
            for i, key in enumerate(COLUMNS):
                now = sheet.stored(r, key)
                k = r + i + n
                while VALUES[k % len(VALUES)].replace(",", ".") == now:
                    k += 1
                out.append((r, sheet.column_of(key), VALUES[k % len(VALUES)]))
    return out


class AverageReader(QObject):
    """Listens to dataChanged the way a view does and reads the changed row's average."""

    def __init__(self, model: MarkbookModel) -> None:
        super().__init__()
        sheet = model.sheet
        assert sheet is not None
        self.model = model
        self.column = sheet.column_of("semester")
        self.seen: list[str] = []
        model.dataChanged.connect(self.changed)

    @Slot(QModelIndex, QModelIndex)
    def changed(self, top_left: QModelIndex, _bottom_right: QModelIndex) -> None:
        self.seen.append(self.model.index(top_left.row(), self.column).data())


def time_model(
    model: MarkbookModel,
    after: Callable[[], None] = lambda: None,
    between: Callable[[], None] = lambda: None,
    limit: int | None = None,
) -> list[float]:
    reader = AverageReader(model)
    samples = []
    for r, c, typed in keystrokes(model)[:limit]:
        index = model.index(r, c)
        started = time.perf_counter()
        accepted = model.setData(index, typed)
        after()
        samples.append((time.perf_counter() - started) * 1000)
        assert accepted, (r, c, typed)
        between()
    # In the second round a cell may get the value it got in the first: no change, no emit.
    assert len(samples) // 2 < len(reader.seen) <= len(samples), (len(reader.seen), len(samples))
    assert all(reader.seen), "every change showed an average"
    return samples


def baseline() -> list[float]:
    model = QStandardItemModel(STUDENTS, 14)
    for r in range(STUDENTS):
        for c in range(14):
            model.setItem(r, c, QStandardItem("7"))
    samples = []
    for n in range(ROUNDS):
        for r in range(STUDENTS):
            for i in range(len(COLUMNS)):
                index = model.index(r, 2 + i)
                started = time.perf_counter()
                model.setData(index, VALUES[(r + i + n) % len(VALUES)])
                samples.append((time.perf_counter() - started) * 1000)
    return samples


def main() -> None:
    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as tmp:
        db, teacher, class_id, subject_id = school(Path(tmp))
        print(
            f"Mark book: Toán, a class of {STUDENTS}, semester I; {ROUNDS} rounds of {len(COLUMNS)} columns."
        )
        report("baseline: QStandardItemModel.setData", baseline())

        def fresh(submit: object) -> MarkbookModel:
            book = mb.load_markbook(db, teacher, class_id, subject_id, 1)
            model = MarkbookModel(submit)  # type: ignore[arg-type]
            model.set_sheet(SecondarySheet(db, teacher, book))
            return model

        writer = SerialWriter()
        shown = time_model(fresh(writer.submit))
        writer.wait_idle()
        report("keystroke -> average shown (write queued)", shown)

        def pause() -> None:
            # The teacher reads the screen and types the next value; the write completes.
            writer.wait_idle()
            QCoreApplication.processEvents()
            time.sleep(PACE_MS / 1000)

        for label, between in (
            (f"keystroke -> average painted ({PACE_MS} ms apart)", pause),
            ("keystroke -> average painted (back to back)", lambda: None),
        ):
            model = fresh(writer.submit)
            view = QTableView()
            view.setModel(model)
            view.resize(1100, 700)
            view.show()
            QCoreApplication.processEvents()
            painted = time_model(
                model, QCoreApplication.processEvents, between, limit=STUDENTS * len(COLUMNS)
            )
            writer.wait_idle()
            report(label, painted)
            view.close()

        durable = time_model(fresh(writer.submit), writer.wait_idle)
        report("keystroke -> on disk (queued write committed)", durable)

        rows = mb.load_markbook(db, teacher, class_id, subject_id, 1).rows
        service = []
        for n in range(ROUNDS):
            for r, row in enumerate(rows):
                for i, key in enumerate(COLUMNS):
                    started = time.perf_counter()
                    mb.set_score(
                        db,
                        teacher,
                        class_id,
                        subject_id,
                        1,
                        row.student_id,
                        key,
                        VALUES[(r + i + n + 3) % len(VALUES)],
                    )
                    service.append((time.perf_counter() - started) * 1000)
        report("write service alone (set_score)", service)

        def inline(job: Callable[[], object], on_error: object, on_done: Callable[[object], None]) -> None:
            on_done(job())

        report("keystroke with the write inline (not used)", time_model(fresh(inline)))
        writer.shutdown()
        db.dispose()
    del app


if __name__ == "__main__":
    main()
