"""A `DataclassTableModel` whose rows are edited through a service, cell by cell.

Columns that can be edited carry an `Edit`: the value an editor starts from, the choices
of a combo box (if any), and a key naming the change. `setData` hands (row, key, value)
to the screen's `commit` callback, which calls the service and returns the row(s) that
replace the edited one, or raises `UserFacingError`; then the model emits `edit_failed`
with the message and keeps the old value (nothing half-written).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal

from app.errors import UserFacingError
from app.ui.itemmodels.dataclass_table import Column, DataclassTableModel

# (code, label) pairs offered by a combo-box editor.
CHOICES_ROLE = Qt.ItemDataRole.UserRole + 2
# "count" for a spin box; otherwise a combo box when there are choices, else a line edit.
EDITOR_ROLE = Qt.ItemDataRole.UserRole + 3

_Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class Edit:
    key: str
    value: Callable[[Any], object]  # what the editor starts from (a code, a number)
    editor: str = "auto"  # "count": a spin box; "auto": a combo box with choices, else text
    choices: Callable[[Any], tuple[tuple[str, str], ...]] | None = None
    enabled: Callable[[Any], bool] | None = None  # None: every row


@dataclass(frozen=True)
class EditColumn(Column):
    edit: Edit | None = None


Commit = Callable[[Any, str, object], Any]
"""(row, key, value) → the new row; raises UserFacingError to refuse the value."""


class EditableTableModel(DataclassTableModel):
    edit_failed = Signal(str)
    edited = Signal(object)  # the new row, after a successful commit

    def __init__(
        self,
        columns: Iterable[Column],
        rows: Iterable[Any] = (),
        parent: Any = None,
        *,
        commit: Commit | None = None,
    ) -> None:
        super().__init__(columns, rows, parent)
        self._commit = commit
        self._editable = commit is not None

    @property
    def editable(self) -> bool:
        return self._editable

    def set_editable(self, editable: bool) -> None:
        """Read-only for people who may look but not change (the principal)."""
        if editable != self._editable:
            self.beginResetModel()
            self._editable = editable and self._commit is not None
            self.endResetModel()

    def replace_row(self, position: int, row: Any) -> None:
        """Put an updated row in place and repaint it (no reset: editors and selection stay)."""
        rows = list(self._rows)
        rows[position] = row
        self._rows = tuple(rows)
        self.dataChanged.emit(self.index(position, 0), self.index(position, self.columnCount() - 1))

    def _edit(self, index: _Index) -> Edit | None:
        if not index.isValid() or not 0 <= index.column() < len(self._columns):
            return None
        column = self._columns[index.column()]
        return column.edit if isinstance(column, EditColumn) else None

    def can_edit(self, index: _Index) -> bool:
        edit = self._edit(index)
        row = self.row_at(index)
        if not self._editable or edit is None or row is None:
            return False
        return edit.enabled is None or edit.enabled(row)

    # -- QAbstractTableModel -----------------------------------------------------------

    def flags(self, index: _Index) -> Qt.ItemFlag:
        flags = super().flags(index)
        if self.can_edit(index):
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role in (Qt.ItemDataRole.EditRole, CHOICES_ROLE, EDITOR_ROLE):
            edit = self._edit(index)
            row = self.row_at(index)
            if edit is None or row is None:
                return None
            if role == Qt.ItemDataRole.EditRole:
                return edit.value(row)
            if role == EDITOR_ROLE:
                return edit.editor
            return edit.choices(row) if edit.choices else ()
        return super().data(index, role)

    def setData(self, index: _Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or not self.can_edit(index) or self._commit is None:
            return False
        edit = self._edit(index)
        row = self.row_at(index)
        assert edit is not None and row is not None
        if value == edit.value(row):
            return True
        try:
            new_row = self._commit(row, edit.key, value)
        except UserFacingError as exc:
            self.edit_failed.emit(exc.message)
            return False
        if new_row is not None:
            self.replace_row(index.row(), new_row)
            self.edited.emit(new_row)
        return True
