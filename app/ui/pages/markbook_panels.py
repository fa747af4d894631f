"""The mark book's side panels and dialogs: the comment editor with its snippet picker, the
selected cell's change history, the lock check and the unlock reason.

They hold no service calls: they show values and emit signals; the page does the work.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QColor, QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.i18n import _
from app.services.comment_snippets import Snippet
from app.services.locking import LockReport, MissingItem
from app.services.markbook_common import CellChange, to_local
from app.services.score_entry import display_value


def _bold(label: QLabel, scale: float = 1.0) -> QLabel:
    font = label.font()
    font.setBold(True)
    if scale != 1.0:
        font.setPointSizeF(font.pointSizeF() * scale)
    label.setFont(font)
    return label


class CommentPanel(QFrame):
    """Write the current student's comment: free text, snippets, last period's comment."""

    save_requested = Signal(str)
    snippet_used = Signal(object)  # Snippet
    snippet_save_requested = Signal(str)
    snippet_delete_requested = Signal(object)  # Snippet

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("commentPanel")
        self._snippets: tuple[Snippet, ...] = ()
        self._saved_text = ""
        self._previous: str | None = None
        self.title = _bold(QLabel(_("Nhận xét")))
        self.title.setWordWrap(True)
        self.editor = QPlainTextEdit()
        self.editor.setAccessibleName(_("Nội dung nhận xét"))
        self.editor.setPlaceholderText(_("Gõ nhận xét, hoặc chọn mẫu bên dưới (Enter để chèn)."))
        self.editor.setTabChangesFocus(True)
        self.editor.textChanged.connect(self._update_buttons)
        self.save_button = QPushButton(_("Lưu nhận xét (Ctrl+Enter)"))
        self.save_button.clicked.connect(self.save)
        self.previous_button = QPushButton(_("Chép nhận xét kì trước"))
        self.previous_button.clicked.connect(self.copy_previous)
        # Ctrl+Enter saves; an event filter rather than a QShortcut, so it works whatever
        # window-level shortcuts exist and however the key event arrives.
        self.editor.installEventFilter(self)
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.previous_button)
        buttons.addStretch(1)

        self.filter = QLineEdit()
        self.filter.setPlaceholderText(_("Tìm mẫu nhận xét (gõ không dấu cũng được)…"))
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._refill)
        self.filter.returnPressed.connect(self._use_current)
        self.snippet_list = QListWidget()
        self.snippet_list.setWordWrap(True)
        self.snippet_list.setAccessibleName(_("Mẫu nhận xét"))
        self.snippet_list.itemActivated.connect(lambda _item: self._use_current())
        self.snippet_list.currentRowChanged.connect(lambda _row: self._update_buttons())
        self.keep_button = QPushButton(_("Lưu thành mẫu"))
        self.keep_button.setToolTip(_("Lưu đoạn đang chọn (hoặc cả nhận xét) thành mẫu để dùng lại"))
        self.keep_button.clicked.connect(self._keep)
        self.delete_button = QPushButton(_("Xoá mẫu"))
        self.delete_button.clicked.connect(self._delete)
        snippet_buttons = QHBoxLayout()
        snippet_buttons.addWidget(self.keep_button)
        snippet_buttons.addWidget(self.delete_button)
        snippet_buttons.addStretch(1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(6)
        layout.addWidget(self.title)
        layout.addWidget(self.editor, 3)
        layout.addLayout(buttons)
        layout.addWidget(_bold(QLabel(_("Mẫu nhận xét"))))
        layout.addWidget(self.filter)
        layout.addWidget(self.snippet_list, 2)
        layout.addLayout(snippet_buttons)
        self.set_target(None, None, None, False)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.editor
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
            and event.modifiers() & Qt.KeyboardModifier.ControlModifier
        ):
            self.save()
            return True
        return super().eventFilter(watched, event)

    # -- what the page calls -------------------------------------------------------------

    def set_target(self, title: str | None, text: str | None, previous: str | None, editable: bool) -> None:
        self.title.setText(title or _("Chọn một học sinh để viết nhận xét."))
        self._saved_text = text or ""
        self._previous = previous
        self.editor.blockSignals(True)
        self.editor.setPlainText(self._saved_text)
        self.editor.blockSignals(False)
        self.editor.setReadOnly(not editable or title is None)
        self.previous_button.setToolTip(previous or _("Kì trước chưa có nhận xét."))
        self._editable = editable and title is not None
        self._update_buttons()

    def set_snippets(self, snippets: Sequence[Snippet]) -> None:
        self._snippets = tuple(snippets)
        self._refill()

    @property
    def dirty(self) -> bool:
        return self.editor.toPlainText() != self._saved_text

    def mark_saved(self) -> None:
        self._saved_text = self.editor.toPlainText()
        self._update_buttons()

    def save(self) -> None:
        if self._editable and self.dirty:
            self.save_requested.emit(self.editor.toPlainText())

    def copy_previous(self) -> None:
        if self._editable and self._previous:
            self.editor.setPlainText(self._previous)
            self.editor.setFocus()

    def insert_snippet(self, snippet: Snippet) -> None:
        if not self._editable:
            return
        cursor = self.editor.textCursor()
        before = self.editor.toPlainText()[: cursor.position()]
        gap = " " if before and not before.endswith((" ", "\n")) else ""
        cursor.insertText(gap + snippet.text)
        self.editor.setTextCursor(cursor)
        self.snippet_used.emit(snippet)

    # -- internals -----------------------------------------------------------------------

    def _update_buttons(self) -> None:
        editable = getattr(self, "_editable", False)
        self.save_button.setEnabled(editable and self.dirty)
        self.previous_button.setEnabled(editable and bool(self._previous))
        self.keep_button.setEnabled(editable and bool(self.editor.toPlainText().strip()))
        snippet = self.current_snippet()
        self.delete_button.setEnabled(bool(snippet and snippet.mine))

    def _refill(self) -> None:
        from app.rules.vnsort import fold

        query = fold(self.filter.text())
        self.snippet_list.clear()
        for snippet in self._snippets:
            if query and query not in fold(snippet.text):
                continue
            item = QListWidgetItem(snippet.text)
            item.setData(Qt.ItemDataRole.UserRole, snippet)
            if snippet.builtin:
                item.setForeground(QColor("#555555"))
                item.setToolTip(_("Mẫu có sẵn của phần mềm: {text}").format(text=snippet.text))
            else:
                item.setToolTip(snippet.text)
            self.snippet_list.addItem(item)
        if self.snippet_list.count():
            self.snippet_list.setCurrentRow(0)

    def current_snippet(self) -> Snippet | None:
        item = self.snippet_list.currentItem()
        value = item.data(Qt.ItemDataRole.UserRole) if item else None
        return value if isinstance(value, Snippet) else None

    def _use_current(self) -> None:
        snippet = self.current_snippet()
        if snippet is not None:
            self.insert_snippet(snippet)
            self.editor.setFocus()

    def _keep(self) -> None:
        selected = self.editor.textCursor().selectedText().replace("\u2029", "\n")
        text = (selected or self.editor.toPlainText()).strip()
        if text:
            self.snippet_save_requested.emit(text)

    def _delete(self) -> None:
        snippet = self.current_snippet()
        if snippet is not None and snippet.mine:
            self.snippet_delete_requested.emit(snippet)


class HistoryPanel(QFrame):
    """Every recorded change of the selected cell, newest first."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("historyPanel")
        self.title = _bold(QLabel(_("Lịch sử sửa ô")))
        self.title.setWordWrap(True)
        self.list = QListWidget()
        self.list.setWordWrap(True)
        self.list.setAccessibleName(_("Lịch sử sửa ô đang chọn"))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(4)
        layout.addWidget(self.title)
        layout.addWidget(self.list, 1)
        self.show_changes(None, ())

    def show_changes(self, where: str | None, changes: Sequence[CellChange]) -> None:
        self.title.setText(_("Lịch sử sửa ô: {where}").format(where=where) if where else _("Lịch sử sửa ô"))
        self.list.clear()
        if where is None:
            self.list.addItem(_("Chọn một ô để xem ai đã sửa, lúc nào, từ giá trị nào sang giá trị nào."))
            return
        if not changes:
            self.list.addItem(_("Ô này chưa được sửa trong phần mềm."))
            return
        for change in changes:
            self.list.addItem(history_line(change))


def history_line(change: CellChange) -> str:
    """ "20/11/2026 10:32 · Nguyễn Thu Nhung: 6,5 → 7,5" (times in local time)."""
    when = to_local(change.at).strftime("%d/%m/%Y %H:%M")
    old = display_value(change.old) or _("(trống)")
    new = display_value(change.new) or _("(trống)")
    how = {"paste": _(" (dán)"), "copy": _(" (chép kì trước)"), "clear": _(" (xoá)")}.get(change.source, "")
    return f"{when} · {change.actor_name}: {old} → {new}{how}"


class LockDialog(QDialog):
    """What is missing before locking, each item a link to its cell; Lock when complete
    (the page locks on `lock_requested` and closes the dialog, or shows why not)."""

    go_to = Signal(object)  # MissingItem
    lock_requested = Signal()

    def __init__(self, report: LockReport, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(
            _("Khoá sổ điểm môn {subject} lớp {cls}").format(
                subject=report.subject_name, cls=report.class_name
            )
        )
        self.setMinimumWidth(560)
        summary = _bold(QLabel(report.summary()))
        summary.setWordWrap(True)
        explain = QLabel(
            _(
                "Sau khi khoá, không ai sửa được điểm của môn này ở lớp này nữa. Muốn sửa phải đề nghị "
                "hiệu trưởng hoặc phó hiệu trưởng mở khoá và ghi lý do."
            )
        )
        explain.setWordWrap(True)
        self.items = QListWidget()
        self.items.setAccessibleName(_("Những mục còn thiếu"))
        for item in report.missing:
            self._add(item, _("Thiếu"))
        for item in report.warnings[:200]:
            self._add(item, _("Nên bổ sung"))
        self.items.itemActivated.connect(self._activated)
        self.items.setVisible(bool(report.missing or report.warnings))
        hint = QLabel(
            _("Nhấn đúp vào một dòng để đến ô cần nhập.") if report.missing or report.warnings else ""
        )
        buttons = QDialogButtonBox()
        self.lock_button = buttons.addButton(_("Khoá sổ"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.lock_button.setEnabled(report.can_lock)
        close = buttons.addButton(_("Đóng"), QDialogButtonBox.ButtonRole.RejectRole)
        close.setDefault(not report.can_lock)
        buttons.accepted.connect(self.lock_requested.emit)
        buttons.rejected.connect(self.reject)
        self.error = QLabel()
        self.error.setObjectName("pageError")
        self.error.setWordWrap(True)
        self.error.hide()
        layout = QVBoxLayout(self)
        layout.addWidget(summary)
        layout.addWidget(explain)
        layout.addWidget(self.items, 1)
        layout.addWidget(hint)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()

    def _add(self, item: MissingItem, prefix: str) -> None:
        line = QListWidgetItem(f"{prefix}: {item.number}. {item.student_name} — {item.what}")
        line.setData(Qt.ItemDataRole.UserRole, item)
        self.items.addItem(line)

    def _activated(self, line: QListWidgetItem) -> None:
        item = line.data(Qt.ItemDataRole.UserRole)
        if isinstance(item, MissingItem):
            self.go_to.emit(item)
            self.reject()


class UnlockDialog(QDialog):
    """The principal's reason for unlocking; the page calls the service with it and closes
    the dialog on success, or shows the service's message in it."""

    submitted = Signal(str)

    def __init__(self, report: LockReport, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Mở khoá sổ điểm"))
        self.setMinimumWidth(520)
        title = QLabel(
            _("Mở khoá sổ điểm môn {subject} lớp {cls}. {state}").format(
                subject=report.subject_name, cls=report.class_name, state=report.summary()
            )
        )
        title.setWordWrap(True)
        self.reason = QPlainTextEdit()
        self.reason.setPlaceholderText(_("Lý do mở khoá (bắt buộc, được ghi vào nhật ký)…"))
        self.reason.setTabChangesFocus(True)
        self.reason.setAccessibleName(_("Lý do mở khoá"))
        self.error = QLabel()
        self.error.setObjectName("pageError")
        self.error.setWordWrap(True)
        self.error.hide()
        buttons = QDialogButtonBox()
        self.unlock_button = buttons.addButton(_("Mở khoá"), QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(_("Huỷ"), QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(lambda: self.submitted.emit(self.reason.toPlainText()))
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(QLabel(_("Lý do:")))
        layout.addWidget(self.reason, 1)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()
