"""The mark book table: keyboard-first entry like a spreadsheet, and the refusal balloon.

- Typing on a cell starts editing it; Enter saves and moves down (the way teachers enter
  one column for the whole class), Tab saves and moves right, Esc cancels.
- A refused value keeps the cell: the editor reopens with what was typed, selected, and a
  balloon under the cell says why ("10,5 lớn hơn 10…").
- Ctrl+V pastes a block copied from Excel at the current cell; Ctrl+C copies the
  selection; Delete empties the selected cells.
- A cell whose recorded value was corrected has a small mark in its top-right corner.
"""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel, QEvent, QModelIndex, QPersistentModelIndex, QPoint, Qt, QTimer
from PySide6.QtGui import QColor, QGuiApplication, QKeyEvent, QKeySequence, QPainter, QPolygon
from PySide6.QtWidgets import (
    QAbstractItemDelegate,
    QAbstractItemView,
    QCompleter,
    QHeaderView,
    QLabel,
    QLineEdit,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

from app.i18n import _
from app.ui.itemmodels.markbook_model import COLUMN_ROLE, CORRECTIONS_ROLE, MarkbookModel

_Index = QModelIndex | QPersistentModelIndex
CORRECTION_MARK = QColor("#d9730d")


class EntryDelegate(QStyledItemDelegate):
    """Line editors for every cell; comment cells complete from the teacher's snippets."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.reopen_text: str | None = None
        self.snippet_texts: list[str] = []

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: _Index) -> QWidget:
        editor = QLineEdit(parent)
        editor.setFrame(False)
        if index.data(COLUMN_ROLE) == "comment" and self.snippet_texts:
            completer = QCompleter(self.snippet_texts, editor)
            completer.setFilterMode(Qt.MatchFlag.MatchContains)
            completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
            editor.setCompleter(completer)
        else:
            editor.setAlignment(Qt.AlignmentFlag.AlignCenter)
        return editor

    def setEditorData(self, editor: QWidget, index: _Index) -> None:
        if self.reopen_text is not None and isinstance(editor, QLineEdit):
            editor.setText(self.reopen_text)
            editor.selectAll()
            self.reopen_text = None
            return
        super().setEditorData(editor, index)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        super().paint(painter, option, index)
        if index.data(CORRECTIONS_ROLE):
            rect = option.rect
            size = max(6, rect.height() // 4)
            corner = QPolygon(
                [
                    QPoint(rect.right() - size, rect.top()),
                    QPoint(rect.right(), rect.top()),
                    QPoint(rect.right(), rect.top() + size),
                ]
            )
            painter.save()
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(CORRECTION_MARK)
            painter.drawPolygon(corner)
            painter.restore()


class Balloon(QLabel):
    """The reason a value was refused, shown right under the cell."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("entryBalloon")
        self.setWordWrap(True)
        self.setStyleSheet(
            "QLabel#entryBalloon { background: #fff4e5; color: #5c2a00; border: 1px solid #d9730d;"
            " border-radius: 4px; padding: 6px 8px; }"
        )
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hide()

    def show_under(self, rect_top_left: QPoint, rect_height: int, text: str) -> None:
        self.setText(text)
        parent = self.parentWidget()
        width = min(420, max(240, parent.width() - 20)) if parent else 360
        self.setFixedWidth(width)
        self.adjustSize()
        x = rect_top_left.x()
        y = rect_top_left.y() + rect_height + 2
        if parent is not None:
            x = max(0, min(x, parent.width() - width - 4))
            if y + self.height() > parent.height():
                y = max(0, rect_top_left.y() - self.height() - 2)
        self.move(x, y)
        self.show()
        self.raise_()


class MarkbookView(QTableView):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.entry_delegate = EntryDelegate(self)
        self.setItemDelegate(self.entry_delegate)
        self.setEditTriggers(
            QAbstractItemView.EditTrigger.AnyKeyPressed
            | QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
        )
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setTabKeyNavigation(True)
        self.setWordWrap(False)
        self.setCornerButtonEnabled(False)
        self.verticalHeader().hide()
        row_height = int(self.fontMetrics().height() * 1.6)
        self.verticalHeader().setDefaultSectionSize(row_height)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header = self.horizontalHeader()
        header.setHighlightSections(True)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignCenter)
        header.setMinimumHeight(int(self.fontMetrics().height() * 2.8))
        self.setAccessibleName(_("Sổ điểm"))
        self.balloon = Balloon(self.viewport())
        self._reopen_at: QPersistentModelIndex | None = None

    def setModel(self, model: QAbstractItemModel | None) -> None:
        super().setModel(model)
        if isinstance(model, MarkbookModel):
            model.entry_refused.connect(self.show_refusal)
            model.values_saved.connect(self.balloon.hide)

    def markbook_model(self) -> MarkbookModel:
        model = self.model()
        assert isinstance(model, MarkbookModel)
        return model

    # -- refusal ------------------------------------------------------------------------------

    def show_refusal(self, row: int, column: int, message: str) -> None:
        index = self.model().index(row, column if column >= 0 else self.currentIndex().column())
        rect = self.visualRect(index)
        self.balloon.show_under(rect.topLeft(), rect.height(), message)

    # -- editing --------------------------------------------------------------------------------

    def closeEditor(self, editor: QWidget, hint: QAbstractItemDelegate.EndEditHint) -> None:
        index = self.currentIndex()
        refusal = self.markbook_model().take_refusal(index.row(), index.column())
        moving = hint in (
            QAbstractItemDelegate.EndEditHint.SubmitModelCache,
            QAbstractItemDelegate.EndEditHint.EditNextItem,
            QAbstractItemDelegate.EndEditHint.EditPreviousItem,
        )
        if refusal is not None and moving:
            # Stay on the cell with what was typed, so one more keystroke fixes it.
            super().closeEditor(editor, QAbstractItemDelegate.EndEditHint.NoHint)
            self._reopen(index, refusal.text)
            return
        if hint == QAbstractItemDelegate.EndEditHint.SubmitModelCache:
            super().closeEditor(editor, QAbstractItemDelegate.EndEditHint.NoHint)
            self.move_down()
            return
        super().closeEditor(editor, hint)

    def _reopen(self, index: QModelIndex, text: str) -> None:
        self._reopen_at = QPersistentModelIndex(index)

        def reopen() -> None:
            at = self._reopen_at
            self._reopen_at = None
            if at is None or not at.isValid():
                return
            self.entry_delegate.reopen_text = text
            self.setCurrentIndex(self.model().index(at.row(), at.column()))
            self.edit(self.model().index(at.row(), at.column()))

        QTimer.singleShot(0, reopen)

    def move_down(self) -> None:
        index = self.currentIndex()
        if index.isValid() and index.row() + 1 < self.model().rowCount():
            self.setCurrentIndex(self.model().index(index.row() + 1, index.column()))

    def currentChanged(self, current: _Index, previous: _Index) -> None:
        super().currentChanged(current, previous)
        if current != previous and self._reopen_at is None:
            self.balloon.hide()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if self.state() != QAbstractItemView.State.EditingState:
            key = event.key()
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.move_down()
                return
            if key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
                self.markbook_model().clear(self.selectedIndexes())
                return
            if event.matches(QKeySequence.StandardKey.Paste):
                self.paste_clipboard()
                return
            if event.matches(QKeySequence.StandardKey.Copy):
                self.copy_selection()
                return
        super().keyPressEvent(event)

    def event(self, event: QEvent) -> bool:
        # Let Ctrl+C / Ctrl+V reach keyPressEvent even when a window action claims them.
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and isinstance(event, QKeyEvent)
            and (
                event.matches(QKeySequence.StandardKey.Paste) or event.matches(QKeySequence.StandardKey.Copy)
            )
        ):
            event.accept()
            return True
        return super().event(event)

    def paste_clipboard(self) -> bool:
        text = QGuiApplication.clipboard().text()
        start = self._paste_start()
        if start is None or not text:
            return False
        return self.markbook_model().paste(start[0], start[1], text)

    def _paste_start(self) -> tuple[int, int] | None:
        """The top-left cell of the selected block when the current cell is in one block
        (as a spreadsheet pastes), else the current cell."""
        current = self.currentIndex()
        if not current.isValid():
            return None
        cells = {(i.row(), i.column()) for i in self.selectedIndexes()}
        if (current.row(), current.column()) in cells:
            rows = [r for r, _c in cells]
            cols = [c for _r, c in cells]
            top, left = min(rows), min(cols)
            if len(cells) == (max(rows) - top + 1) * (max(cols) - left + 1):
                return top, left
        return current.row(), current.column()

    def copy_selection(self) -> None:
        QGuiApplication.clipboard().setText(self.markbook_model().copy_text(self.selectedIndexes()))
