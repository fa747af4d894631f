"""What the set-up page's tabs share: the host they act through, tables, button rows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableView,
)

from app.models.db import Database
from app.services.access import Actor
from app.services.accounts import AccountInfo
from app.services.school_setup import SetupOverview
from app.ui.dialogs.form_dialog import FormDialog
from app.ui.itemmodels import DataclassTableModel


class SetupHost(Protocol):
    """The set-up page as its tabs see it."""

    db: Database
    actor: Actor
    overview: SetupOverview
    accounts: tuple[AccountInfo, ...]

    def open_dialog(self, dialog: FormDialog, success: str | Callable[[object], str]) -> None: ...

    def run_write(self, work: Callable[[], object], success: str | Callable[[object], str]) -> None: ...

    def confirm(self, title: str, text: str) -> bool: ...


def make_table(model: DataclassTableModel, accessible_name: str) -> QTableView:
    table = QTableView()
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    table.verticalHeader().hide()
    table.verticalHeader().setDefaultSectionSize(int(table.fontMetrics().height() * 1.7))
    header = table.horizontalHeader()
    header.setStretchLastSection(True)
    header.setHighlightSections(False)
    header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
    table.setTextElideMode(Qt.TextElideMode.ElideRight)
    table.setAccessibleName(accessible_name)
    return table


def fit_columns(table: QTableView) -> None:
    """Every column as wide as its contents, except the last, which takes what is left
    (and is cut short with … rather than pushing a side scroll bar onto the page)."""
    header = table.horizontalHeader()
    padding = table.fontMetrics().horizontalAdvance("nn")
    for column in range(header.count() - 1):
        table.resizeColumnToContents(column)
        header.resizeSection(column, header.sectionSize(column) + padding)


def selected_row(table: QTableView) -> object | None:
    model = table.model()
    rows = table.selectionModel().selectedRows()
    if not rows or not isinstance(model, DataclassTableModel):
        return None
    return model.row_at(rows[0])


def select_where(table: QTableView, predicate: Callable[[object], bool]) -> bool:
    model = table.model()
    if not isinstance(model, DataclassTableModel):
        return False
    for row, value in enumerate(model.rows):
        if predicate(value):
            table.selectRow(row)
            return True
    return False


def button_row(*buttons: QPushButton) -> QHBoxLayout:
    row = QHBoxLayout()
    row.setSpacing(8)
    for button in buttons:
        button.setMinimumHeight(int(button.fontMetrics().height() * 2.0))
        row.addWidget(button)
    row.addStretch(1)
    return row
