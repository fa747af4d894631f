"""A read-only table model over a tuple of frozen dataclasses.

Each column is a `Column` value: a header and small functions of one row (text, tooltip,
colours, font). Screens describe their tables as tuples of columns, so adding or moving a
column is a data change, never another branch of `if column == 3`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QFont

# The row's dataclass itself, for views and delegates that need more than the text.
ROW_ROLE = Qt.ItemDataRole.UserRole + 1

ALIGN_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
ALIGN_CENTER = Qt.AlignmentFlag.AlignCenter
ALIGN_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter

_Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class Column:
    """How one column shows a row. Every getter takes the row dataclass."""

    header: str
    text: Callable[[Any], str]
    alignment: Qt.AlignmentFlag = ALIGN_LEFT
    tooltip: Callable[[Any], str | None] | None = None
    background: Callable[[Any], QColor | None] | None = None
    foreground: Callable[[Any], QColor | None] | None = None
    font: Callable[[Any], QFont | None] | None = None
    header_tooltip: str | None = None
    # What the header shows, when not `header` itself (e.g. wrapped onto two lines).
    header_display: str | None = None


class DataclassTableModel(QAbstractTableModel):
    """Rows are frozen dataclasses (or any immutable values); columns are `Column`s."""

    def __init__(
        self,
        columns: Iterable[Column],
        rows: Iterable[Any] = (),
        parent: Any = None,
    ) -> None:
        super().__init__(parent)
        self._columns: tuple[Column, ...] = tuple(columns)
        self._rows: tuple[Any, ...] = tuple(rows)

    # -- our API ---------------------------------------------------------------------

    @property
    def rows(self) -> tuple[Any, ...]:
        return self._rows

    @property
    def columns(self) -> tuple[Column, ...]:
        return self._columns

    def set_rows(self, rows: Iterable[Any], columns: Iterable[Column] | None = None) -> None:
        """Replace all rows (and, optionally, the columns) in one model reset."""
        self.beginResetModel()
        self._rows = tuple(rows)
        if columns is not None:
            self._columns = tuple(columns)
        self.endResetModel()

    def row_at(self, index: _Index) -> Any | None:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        return self._rows[index.row()]

    def column_index(self, header: str) -> int:
        """The position of the column with this header, or -1."""
        for i, column in enumerate(self._columns):
            if column.header == header:
                return i
        return -1

    # -- QAbstractTableModel -----------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._columns)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        r, c = index.row(), index.column()
        if not (0 <= r < len(self._rows) and 0 <= c < len(self._columns)):
            return None
        row, column = self._rows[r], self._columns[c]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.text(row)
        if role == Qt.ItemDataRole.ToolTipRole:
            return column.tooltip(row) if column.tooltip else None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return column.alignment
        if role == Qt.ItemDataRole.BackgroundRole:
            return column.background(row) if column.background else None
        if role == Qt.ItemDataRole.ForegroundRole:
            return column.foreground(row) if column.foreground else None
        if role == Qt.ItemDataRole.FontRole:
            return column.font(row) if column.font else None
        if role == Qt.ItemDataRole.AccessibleTextRole:
            # Screen readers read the header with the value ("Lên lớp: Ở lại lớp").
            return f"{column.header}: {column.text(row)}"
        if role == ROW_ROLE:
            return row
        return None

    def headerData(
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal:
            if not 0 <= section < len(self._columns):
                return None
            column = self._columns[section]
            if role == Qt.ItemDataRole.DisplayRole:
                return column.header_display or column.header
            if role == Qt.ItemDataRole.ToolTipRole:
                return column.header_tooltip or column.header
            return None
        if role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(self._rows):
            return str(section + 1)
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
