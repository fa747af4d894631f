"""The editable mark book grid: one `Sheet` (markbook_sheets) behind a QAbstractTableModel.

A keystroke's path (`setData`): parse with the services' own parser → refused with the
reason (signal `entry_refused`, nothing changes) or accepted → the row changes in memory
and its averages are recomputed by the rules engine → `dataChanged` for the whole row →
the write service call is queued on the database writer thread. The teacher sees the new
average within the keystroke; the write (BEGIN IMMEDIATE, audit entry, fsync) follows
right after, in order. If a write fails (the book was locked meanwhile, the disk is
full…), `write_failed` carries the message and the page reloads the sheet from the file,
so the screen never shows a value the file does not have for longer than one write.

Pastes and clearing a selection are batches: all parsed first, refused as a whole if any
value is invalid (nothing half-pasted), written in one transaction.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont

from app.errors import UserFacingError
from app.i18n import _
from app.services.markbook import CellEntry
from app.services.score_entry import EntryError
from app.ui import theme
from app.ui.itemmodels.markbook_sheets import Sheet, SheetColumn

log = logging.getLogger(__name__)

_Index = QModelIndex | QPersistentModelIndex
# Number of recorded corrections of a cell (0 when none), for the corner mark.
CORRECTIONS_ROLE = Qt.ItemDataRole.UserRole + 10
# The column's role in the sheet: "number", "name", "entry", "comment" or "result".
COLUMN_ROLE = Qt.ItemDataRole.UserRole + 11

RESULT_BG = QColor("#eef2f7")
READ_ONLY_BG = QColor("#f4f4f4")
NOT_ASSESSED_FG = QColor("#777777")
MAX_PASTE_ROWS = 200

# How a write is submitted: the call to run on the writer thread, then the callbacks for
# failure and success (called back on the GUI thread).
Submit = Callable[[Callable[[], object], Callable[[BaseException], None], Callable[[object], None]], object]


@dataclass(frozen=True)
class Refusal:
    row: int
    column: int
    text: str  # what was typed, kept so the editor can reopen with it
    message: str


def parse_clipboard(text: str) -> list[list[str]]:
    """Rows of cells from spreadsheet clipboard text (tab-separated, quoted cells may hold
    newlines, as Excel and LibreOffice copy them); the trailing line break is dropped."""
    if text.endswith("\r\n"):
        text = text[:-2]
    elif text.endswith("\n"):
        text = text[:-1]
    if not text:
        return []
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter="\t", quotechar='"'))
    return [[cell.replace("\r\n", "\n") for cell in row] for row in rows]


class MarkbookModel(QAbstractTableModel):
    entry_refused = Signal(int, int, str)  # row, column, message
    values_saved = Signal(int)  # how many cells were accepted (typed, pasted or cleared)
    values_written = Signal()  # a queued write reached the file
    write_failed = Signal(str)  # message; the page reloads the sheet

    def __init__(self, submit: Submit | None = None, parent: Any = None) -> None:
        super().__init__(parent)
        self._sheet: Sheet | None = None
        self._submit = submit
        self.last_refusal: Refusal | None = None

    # -- our API ---------------------------------------------------------------------------

    @property
    def sheet(self) -> Sheet | None:
        return self._sheet

    def set_sheet(self, sheet: Sheet | None) -> None:
        self.beginResetModel()
        self._sheet = sheet
        self.last_refusal = None
        self.endResetModel()

    def column(self, c: int) -> SheetColumn | None:
        if self._sheet is None or not 0 <= c < len(self._sheet.columns):
            return None
        return self._sheet.columns[c]

    def is_editable(self, r: int, c: int) -> bool:
        column = self.column(c)
        return bool(
            self._sheet
            and self._sheet.can_edit
            and column
            and column.editable
            and 0 <= r < len(self._sheet.rows)
        )

    def take_refusal(self, row: int, column: int) -> Refusal | None:
        """The refusal of the last commit at (row, column), if that commit was refused."""
        refusal = self.last_refusal
        if refusal is not None and (refusal.row, refusal.column) == (row, column):
            self.last_refusal = None
            return refusal
        return None

    def set_value(self, r: int, key: str, raw: str, *, source: str = "typed") -> bool:
        """Enter a value by column key (the comment panel uses this); False if refused."""
        assert self._sheet is not None
        c = self._sheet.column_of(key)
        if c >= 0:
            return self.setData(self.index(r, c), raw)
        return self._set_hidden(r, key, raw, source)

    def paste(self, top: int, left: int, text: str) -> bool:
        """Paste a block of spreadsheet text with its top-left cell at (top, left)."""
        block = parse_clipboard(text)
        if not block or self._sheet is None:
            return False
        if len(block) == 1 and len(block[0]) == 1 and "\n" not in block[0][0]:
            return self.setData(self.index(top, left), block[0][0])
        height = len(block)
        width = max(len(row) for row in block)
        if height > MAX_PASTE_ROWS or top + height > self.rowCount():
            return self._refuse(
                top,
                left,
                text,
                _(
                    "Dữ liệu dán có {n} dòng nhưng từ dòng đang chọn đến cuối danh sách "
                    "chỉ còn {m} học sinh. Hãy chọn đúng ô bắt đầu hoặc bớt dòng trong Excel."
                ).format(n=height, m=self.rowCount() - top),
            )
        for c in range(left, left + width):
            if not self.is_editable(top, c):
                column = self.column(c)
                name = column.header.replace("\n", " ") if column else _("ngoài bảng")
                return self._refuse(
                    top,
                    left,
                    text,
                    _(
                        "Không dán được vào cột “{name}”. Hãy chọn ô bắt đầu sao cho khối dữ liệu "
                        "chỉ rơi vào các cột nhập điểm, đánh giá hoặc nhận xét."
                    ).format(name=name),
                )
        cells = [
            (top + i, left + j, value)
            for i, row in enumerate(block)
            for j, value in enumerate(row)
            # Blank cells in a paste are skipped: overwriting a recorded score with nothing
            # should take a deliberate Delete, not a gap in someone's spreadsheet.
            if value.strip()
        ]
        return self._enter_batch(cells, "paste")

    def clear(self, indexes: Sequence[_Index]) -> bool:
        """Delete key: empty the editable selected cells (one batch, one transaction)."""
        cells = [
            (i.row(), i.column(), "")
            for i in indexes
            if self.is_editable(i.row(), i.column()) and self._stored(i.row(), i.column()) is not None
        ]
        if not cells:
            return False
        return self._enter_batch(cells, "clear")

    def copy_text(self, indexes: Sequence[_Index]) -> str:
        """The selection as tab-separated text, for pasting into Excel."""
        if not indexes:
            return ""
        rows = sorted({i.row() for i in indexes})
        cols = sorted({i.column() for i in indexes})
        chosen = {(i.row(), i.column()) for i in indexes}
        lines = []
        for r in rows:
            cells = [self.data(self.index(r, c)) or "" if (r, c) in chosen else "" for c in cols]
            lines.append("\t".join(cells))
        return "\n".join(lines)

    # -- internals --------------------------------------------------------------------------

    def _stored(self, r: int, c: int) -> str | None:
        column = self.column(c)
        return self._sheet.stored(r, column.key) if self._sheet and column else None

    def _refuse(self, r: int, c: int, text: str, message: str) -> bool:
        self.last_refusal = Refusal(r, c, text, message)
        self.entry_refused.emit(r, c, message)
        return False

    def _set_hidden(self, r: int, key: str, raw: str, source: str) -> bool:
        # A value with no column of its own (a trait's comment, edited in the side panel).
        sheet = self._sheet
        assert sheet is not None
        if not sheet.can_edit:
            return False
        try:
            stored = sheet.parse(key, raw)
        except EntryError as exc:
            self.entry_refused.emit(r, -1, exc.message)
            return False
        if stored == sheet.stored(r, key):
            return True
        sheet.note_change(r, key)
        sheet.apply(r, key, stored)
        self._changed_rows(r, r)
        self._write([CellEntry(sheet.student_id(r), key, stored or "")], source)
        self.values_saved.emit(1)
        return True

    def _enter_batch(self, cells: Sequence[tuple[int, int, str]], source: str) -> bool:
        sheet = self._sheet
        assert sheet is not None
        parsed: list[tuple[int, str, str | None]] = []
        problems: list[tuple[int, int, str]] = []
        for r, c, raw in cells:
            key = sheet.columns[c].key
            try:
                parsed.append((r, key, sheet.parse(key, raw)))
            except EntryError as exc:
                problems.append((r, c, exc.message))
        if problems:
            r, c, message = problems[0]
            where = _("{name}, cột {col}").format(
                name=sheet.student_name(r), col=sheet.columns[c].header.replace("\n", " ")
            )
            more = _(" (và {n} ô khác)").format(n=len(problems) - 1) if len(problems) > 1 else ""
            return self._refuse(
                r,
                c,
                "",
                _("Chưa dán gì vì có {n} ô không hợp lệ{more}. {where}: {msg}").format(
                    n=len(problems), more=more, where=where, msg=message
                ),
            )
        changed = [(r, key, stored) for r, key, stored in parsed if stored != sheet.stored(r, key)]
        for r, key, stored in changed:
            sheet.note_change(r, key)
            sheet.apply(r, key, stored)
        if changed:
            self._changed_rows(min(r for r, _k, _s in changed), max(r for r, _k, _s in changed))
            self._write(
                [CellEntry(sheet.student_id(r), key, stored or "") for r, key, stored in changed], source
            )
        self.values_saved.emit(len(changed))
        return True

    def _changed_rows(self, first: int, last: int) -> None:
        # The whole rows: a value changes its row's averages (and nothing else).
        self.dataChanged.emit(self.index(first, 0), self.index(last, self.columnCount() - 1))

    def _write(self, entries: list[CellEntry], source: str) -> None:
        sheet = self._sheet
        if sheet is None or self._submit is None:
            return

        def job() -> object:
            return sheet.write(entries, source)

        self._submit(job, self._on_write_error, self._on_written)

    def _on_written(self, _result: object) -> None:
        self.values_written.emit()

    def _on_write_error(self, exc: BaseException) -> None:
        if isinstance(exc, UserFacingError):
            message = exc.message
        else:
            log.error("mark book write failed", exc_info=exc)
            message = _(
                "Không lưu được vào tệp dữ liệu ({error}). Bảng điểm được tải lại từ tệp; "
                "hãy kiểm tra ổ đĩa rồi nhập lại các ô vừa sửa."
            ).format(error=type(exc).__name__)
        self.write_failed.emit(message)

    # -- QAbstractTableModel -----------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() or self._sheet is None else len(self._sheet.rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() or self._sheet is None else len(self._sheet.columns)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        sheet = self._sheet
        if sheet is None or not index.isValid():
            return None
        r, c = index.row(), index.column()
        if not (0 <= r < len(sheet.rows) and 0 <= c < len(sheet.columns)):
            return None
        column = sheet.columns[c]
        if role == Qt.ItemDataRole.DisplayRole:
            return sheet.display(r, c)
        if role == Qt.ItemDataRole.EditRole:
            return sheet.display(r, c) if column.role != "comment" else (sheet.stored(r, column.key) or "")
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(sheet, r, c)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if column.role in ("name", "comment"):
                return Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
            return Qt.AlignmentFlag.AlignCenter
        if role == Qt.ItemDataRole.BackgroundRole:
            if column.role == "result":
                return QBrush(RESULT_BG)
            if column.editable and not sheet.can_edit:
                return QBrush(READ_ONLY_BG)
            return None
        if role == Qt.ItemDataRole.ForegroundRole:
            if sheet.is_poor(r, c):
                return QBrush(theme.WARNING_TEXT)
            if column.role == "name" and sheet.not_assessed(r):
                return QBrush(NOT_ASSESSED_FG)
            return None
        if role == Qt.ItemDataRole.FontRole and column.role == "result":
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{column.header.replace(chr(10), ' ')}: {sheet.display(r, c)}"
        if role == CORRECTIONS_ROLE:
            return sheet.corrections(r, column.key) if column.editable else 0
        if role == COLUMN_ROLE:
            return column.role
        return None

    def _tooltip(self, sheet: Sheet, r: int, c: int) -> str | None:
        parts = []
        explained = sheet.explain(r, c)
        if explained:
            parts.append(explained)
        column = sheet.columns[c]
        count = sheet.corrections(r, column.key) if column.editable else 0
        if count:
            parts.append(_("Ô này đã được sửa {n} lần; xem lịch sử ở khung bên phải.").format(n=count))
        return "\n".join(parts) or None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal:
            return None
        column = self.column(section)
        if column is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return column.header
        if role == Qt.ItemDataRole.ToolTipRole:
            return column.tooltip
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
        if self.is_editable(index.row(), index.column()):
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def setData(self, index: _Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        sheet = self._sheet
        if sheet is None or role != Qt.ItemDataRole.EditRole or not index.isValid():
            return False
        r, c = index.row(), index.column()
        if not self.is_editable(r, c):
            return False
        raw = "" if value is None else str(value)
        key = sheet.columns[c].key
        try:
            stored = sheet.parse(key, raw)
        except EntryError as exc:
            return self._refuse(r, c, raw, exc.message)
        self.last_refusal = None
        if stored == sheet.stored(r, key):
            return True
        sheet.note_change(r, key)
        sheet.apply(r, key, stored)
        self._changed_rows(r, r)
        self._write([CellEntry(sheet.student_id(r), key, stored or "")], "typed")
        self.values_saved.emit(1)
        return True

    def add_tx_column(self) -> bool:
        """One more continuous-assessment column (secondary only), kept until reloaded."""
        sheet = self._sheet
        add = getattr(sheet, "add_tx_column", None)
        if add is None:
            return False
        self.beginResetModel()
        added = bool(add())
        self.endResetModel()
        return added
