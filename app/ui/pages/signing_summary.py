"""The whole-school view of the Ký số page: one line per class before the per-student list.

A principal or the seal holder signing "Toàn trường" faces some 480 students; what they
need first is which classes are ready, which wait and mostly why. `class_summaries` is the
pure count; `ClassOverview` is the table, and tells the page which class to list below it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from PySide6.QtCore import QItemSelectionModel, Signal, Slot
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from app.i18n import _
from app.services.signing_order import BLOCKED, DONE, PENDING, SKIPPED
from app.ui.itemmodels import Column, DataclassTableModel
from app.ui.itemmodels.dataclass_table import ALIGN_CENTER

READY_BG = QColor("#dbe5f1")
WAITING_BG = QColor("#fff0c2")
DONE_BG = QColor("#d9f2dc")


class _Row(Protocol):
    @property
    def class_name(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def reason(self) -> str: ...


@dataclass(frozen=True)
class ClassSummary:
    class_name: str
    ready: int  # can be signed now
    waiting: int  # put off or not signable yet
    main_reason: str  # the commonest reason among those waiting ("" when none wait)
    main_reason_count: int
    done: int


def class_summaries(rows: Iterable[_Row]) -> tuple[ClassSummary, ...]:
    """One summary per class, in the order the classes first appear (the plans' order)."""
    order: list[str] = []
    statuses: dict[str, Counter[str]] = {}
    reasons: dict[str, Counter[str]] = {}
    for row in rows:
        if row.class_name not in statuses:
            order.append(row.class_name)
            statuses[row.class_name] = Counter()
            reasons[row.class_name] = Counter()
        statuses[row.class_name][row.status] += 1
        if row.status in (SKIPPED, BLOCKED) and row.reason:
            reasons[row.class_name][row.reason] += 1
    summaries = []
    for name in order:
        counts = statuses[name]
        # most_common keeps first-seen order among equals: the list's own order breaks ties.
        top = reasons[name].most_common(1)
        reason, reason_count = top[0] if top else ("", 0)
        summaries.append(
            ClassSummary(
                name, counts[PENDING], counts[SKIPPED] + counts[BLOCKED], reason, reason_count, counts[DONE]
            )
        )
    return tuple(summaries)


def _reason_text(summary: ClassSummary) -> str:
    if not summary.main_reason:
        return ""
    if summary.main_reason_count == summary.waiting:
        return summary.main_reason
    return _("{reason} ({n} trong {total})").format(
        reason=summary.main_reason, n=summary.main_reason_count, total=summary.waiting
    )


def summary_columns() -> tuple[Column, ...]:
    return (
        Column(_("Lớp"), lambda s: s.class_name),
        Column(
            _("Ký được ngay"), lambda s: str(s.ready), ALIGN_CENTER,
            background=lambda s: READY_BG if s.ready else None,
        ),
        Column(
            _("Chờ"), lambda s: str(s.waiting), ALIGN_CENTER,
            background=lambda s: WAITING_BG if s.waiting else None,
        ),
        Column(_("Lý do chờ chính"), _reason_text, tooltip=lambda s: _reason_text(s) or None),
        Column(
            _("Đã ký"), lambda s: str(s.done), ALIGN_CENTER,
            background=lambda s: DONE_BG if s.done and not (s.ready or s.waiting) else None,
        ),
    )  # fmt: skip


class ClassOverview(QTableView):
    """The class table; `class_chosen` names the class whose students the page lists."""

    class_chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.summary_model = DataclassTableModel(summary_columns(), (), self)
        self.setModel(self.summary_model)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setAccessibleName(_("Tóm tắt theo lớp"))
        self.verticalHeader().hide()
        header = self.horizontalHeader()
        for column in range(5):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.selectionModel().currentRowChanged.connect(self._current_changed)

    @property
    def summaries(self) -> tuple[ClassSummary, ...]:
        return self.summary_model.rows

    def chosen(self) -> str | None:
        row = self.summary_model.row_at(self.currentIndex())
        return row.class_name if row is not None else None

    def show_rows(self, rows: Iterable[_Row]) -> None:
        """New counts; the class chosen before stays chosen (after a batch), else the first one."""
        before = self.chosen()
        summaries = class_summaries(rows)
        self.summary_model.set_rows(summaries)
        names = [s.class_name for s in summaries]
        self.choose(before if before in names else (names[0] if names else None))

    def choose(self, class_name: str | None) -> None:
        names = [s.class_name for s in self.summaries]
        if class_name is None or class_name not in names:
            self.class_chosen.emit("")
            return
        index = self.summary_model.index(names.index(class_name), 0)
        self.selectionModel().setCurrentIndex(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.class_chosen.emit(class_name)  # also when it was current already: the rows are new

    @Slot()
    def _current_changed(self) -> None:
        self.class_chosen.emit(self.chosen() or "")
