"""Pieces of the homeroom page: the cell editor delegate, the "Vì sao?" text, and the
student panel (year comment with snippets, awards)."""

from __future__ import annotations

import html
from collections.abc import Sequence

from PySide6.QtCore import (
    QAbstractItemModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.i18n import _
from app.services.comment_snippets import Snippet
from app.services.homeroom import (
    AWARD_KINDS,
    LEVEL_LABELS,
    MAX_COMMENT_LENGTH,
    MAX_SESSIONS_PER_SEMESTER,
    HomeroomStudent,
    subject_value_text,
)
from app.ui.formatting import NO_VALUE
from app.ui.itemmodels.editable_table import CHOICES_ROLE, EDITOR_ROLE

_Index = QModelIndex | QPersistentModelIndex


class CellEditorDelegate(QStyledItemDelegate):
    """A combo box where the model offers choices, a spin box for counts, else a line edit.

    A combo box opens its list at once and commits as soon as an entry is picked, so a
    conduct level is one click (or a letter and Enter) away.
    """

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: _Index) -> QWidget:
        choices = index.data(CHOICES_ROLE) or ()
        if index.data(EDITOR_ROLE) == "count":
            spin = QSpinBox(parent)
            spin.setRange(0, MAX_SESSIONS_PER_SEMESTER)
            spin.setAlignment(Qt.AlignmentFlag.AlignRight)
            spin.setAccessibleName(_("Số buổi nghỉ"))
            return spin
        if choices:
            combo = QComboBox(parent)
            for code, label in choices:
                combo.addItem(label, code)
            combo.setAccessibleName(_("Chọn mức đánh giá"))
            combo.activated.connect(lambda _i, c=combo: self._commit_and_close(c))
            QTimer.singleShot(0, combo.showPopup)
            return combo
        line = QLineEdit(parent)
        line.setPlaceholderText(_("ví dụ 6,5"))
        line.setAccessibleName(_("Nhập kết quả"))
        return line

    def eventFilter(self, editor: QObject, event: QEvent) -> bool:
        # Enter saves and moves down, as in a spreadsheet: a column of absences is typed
        # number, Enter, number, Enter.
        if (
            isinstance(editor, QSpinBox | QLineEdit)
            and isinstance(event, QKeyEvent)
            and event.type() == QEvent.Type.KeyPress
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        ):
            view = _view_of(editor)
            self._commit_and_close(editor)
            if view is not None:
                QTimer.singleShot(0, lambda: _move_down(view))
            return True
        return super().eventFilter(editor, event)

    def _commit_and_close(self, editor: QWidget) -> None:
        self.commitData.emit(editor)
        self.closeEditor.emit(editor, QStyledItemDelegate.EndEditHint.NoHint)

    def setEditorData(self, editor: QWidget, index: _Index) -> None:
        value = index.data(Qt.ItemDataRole.EditRole)
        if isinstance(editor, QSpinBox):
            editor.setValue(int(value or 0))
        elif isinstance(editor, QComboBox):
            position = editor.findData(value or "")
            editor.setCurrentIndex(max(position, 0))
        elif isinstance(editor, QLineEdit):
            editor.setText(str(value or ""))
            editor.selectAll()

    def setModelData(self, editor: QWidget, model: QAbstractItemModel, index: _Index) -> None:
        if isinstance(editor, QSpinBox):
            editor.interpretText()
            model.setData(index, editor.value(), Qt.ItemDataRole.EditRole)
        elif isinstance(editor, QComboBox):
            model.setData(index, editor.currentData() or "", Qt.ItemDataRole.EditRole)
        elif isinstance(editor, QLineEdit):
            model.setData(index, editor.text().strip(), Qt.ItemDataRole.EditRole)


def _view_of(widget: QWidget) -> QAbstractItemView | None:
    parent = widget.parentWidget()
    while parent is not None and not isinstance(parent, QAbstractItemView):
        parent = parent.parentWidget()
    return parent


def _move_down(view: QAbstractItemView) -> None:
    current = view.currentIndex()
    below = current.sibling(current.row() + 1, current.column())
    if below.isValid():
        view.setCurrentIndex(below)


# -- the "Vì sao?" panel --------------------------------------------------------------------


def _label(code: str | None) -> str:
    return _(LEVEL_LABELS[code]) if code in LEVEL_LABELS else NO_VALUE


def explanation_html(row: HomeroomStudent, primary: bool) -> str:
    """The student's results and why: the sentence that decided first, then the rest."""
    e = html.escape
    parts = [f"<p style='font-size:large'><b>{e(row.full_name)}</b> &nbsp;({e(_('STT'))} {row.number})</p>"]
    if row.problem:
        parts.append(
            f"<p><b style='color:#a14a00'>{e(_('Chưa tính được kết quả cả năm vì chưa đủ dữ liệu.'))}</b></p>"
            f"<p>{e(row.problem)}</p>"
        )
    else:
        summary = [f"<b>{e(row.promotion_label)}</b>"]
        if row.title_label:
            summary.append(f"{e(_('Danh hiệu'))}: <b>{e(row.title_label)}</b>")
        parts.append("<p>" + " &nbsp;·&nbsp; ".join(summary) + "</p>")
    if row.explanations:
        first, *rest = row.explanations
        parts.append(
            "<table width='100%' cellpadding='8' style='background:#eaf1fa; border:1px solid #9fb8d8'>"
            f"<tr><td><b>{e(first.text)}</b></td></tr></table>"
        )
        if rest:
            items = "".join(f"<li style='margin-bottom:5px'>{e(x.text)}</li>" for x in rest)
            parts.append(f"<ul style='margin-left:0px'>{items}</ul>")
    if not primary and row.subjects:
        parts.append(_subject_table(row))
    if row.provisional_id:
        parts.append(
            "<p style='color:#a14a00'>"
            + e(_("Học sinh chưa có số định danh cá nhân; cần bổ sung trước khi ký học bạ."))
            + "</p>"
        )
    return "".join(parts)


def _subject_table(row: HomeroomStudent) -> str:
    e = html.escape
    head = "".join(
        f"<th align='center'>{e(h)}</th>"
        for h in (_("Môn học"), _("HKI"), _("HKII"), _("Cả năm"), _("Kiểm tra lại"))
    )
    body = []
    for s in row.subjects:
        mark = " style='background:#fff0c2'" if s.needs_reassessment else ""
        cells = "".join(
            f"<td align='center'>{e(subject_value_text(v) or NO_VALUE)}</td>"
            for v in (s.hk1, s.hk2, s.year)
        )
        again = subject_value_text(s.reassessment) if s.reassessment is not None else ""
        body.append(f"<tr{mark}><td>{e(s.name)}</td>{cells}<td align='center'>{e(again)}</td></tr>")
    learning = _level_row(
        _("Học tập"), row.learning_hk1, row.learning_hk2, row.learning_year, row.learning_after_reassessment
    )
    conduct = _level_row(
        _("Rèn luyện"), row.conduct_hk1, row.conduct_hk2, row.conduct_year, row.conduct_after_summer
    )
    return (
        f"<p><b>{e(_('Kết quả các môn'))}</b></p>"
        "<table border='1' cellspacing='0' cellpadding='3' style='border-color:#c9d3df'>"
        f"<tr>{head}</tr>{''.join(body)}{learning}{conduct}</table>"
    )


def _level_row(title: str, hk1: str | None, hk2: str | None, year: str | None, after: str | None) -> str:
    e = html.escape
    cells = "".join(f"<td align='center'>{e(_label(v))}</td>" for v in (hk1, hk2, year))
    last = e(_label(after)) if after else ""
    return f"<tr><td><b>{e(title)}</b></td>{cells}<td align='center'>{last}</td></tr>"


# -- the student panel: year comment and awards --------------------------------------------


class StudentPanel(QWidget):
    """Year comment editor (with snippets when the service has them) and the award list.

    The page connects the request signals to the services; the panel only edits text.
    """

    save_comment_requested = Signal(str)
    add_award_requested = Signal(str, str)  # kind, title
    remove_award_requested = Signal(int)
    save_snippet_requested = Signal(str)
    snippet_used = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._row: HomeroomStudent | None = None
        self._saved_text = ""
        self._editable = False

        comment_box = QWidget()
        self.snippet_combo = QComboBox()
        self.snippet_combo.setAccessibleName(_("Chèn mẫu nhận xét"))
        self.snippet_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.snippet_combo.setMinimumContentsLength(18)
        self.snippet_combo.activated.connect(self._insert_snippet)
        self.comment_edit = QPlainTextEdit()
        self.comment_edit.setAccessibleName(_("Nhận xét cả năm"))
        self.comment_edit.setPlaceholderText(
            _("Chọn một học sinh rồi viết nhận xét; chọn mẫu để chèn nhanh.")
        )
        self.comment_edit.textChanged.connect(self._on_text_changed)
        self.count_label = QLabel()
        self.count_label.setObjectName("mutedNote")
        self.save_button = QPushButton(_("Lưu nhận xét"))
        self.save_button.setShortcut("Ctrl+S")
        self.save_button.setToolTip(
            _("Lưu nhận xét (Ctrl+S). Nhận xét cũng được lưu khi chọn học sinh khác.")
        )
        self.save_button.clicked.connect(self.save_comment)
        self.snippet_button = QPushButton(_("Lưu làm mẫu"))
        self.snippet_button.setToolTip(_("Lưu đoạn đang chọn (hoặc cả nhận xét) thành mẫu để dùng lại."))
        self.snippet_button.clicked.connect(self._save_snippet)
        tools = QHBoxLayout()
        tools.addWidget(QLabel(_("Mẫu:")))
        tools.addWidget(self.snippet_combo, 1)
        tools.addWidget(self.snippet_button)
        buttons = QHBoxLayout()
        buttons.addWidget(self.count_label, 1)
        buttons.addWidget(self.save_button)
        comment_layout = QVBoxLayout(comment_box)
        comment_layout.addLayout(tools)
        comment_layout.addWidget(self.comment_edit, 1)
        comment_layout.addLayout(buttons)

        award_box = QWidget()
        self.award_list = QListWidget()
        self.award_list.setAccessibleName(_("Danh sách khen thưởng"))
        self.award_kind = QComboBox()
        for kind, label in AWARD_KINDS.items():
            self.award_kind.addItem(_(label), kind)
        self.award_kind.setCurrentIndex(self.award_kind.findData("khac"))
        self.award_title = QLineEdit()
        self.award_title.setPlaceholderText(_("ví dụ: Giải Nhì học sinh giỏi cấp huyện"))
        self.award_title.returnPressed.connect(self._add_award)
        self.add_award_button = QPushButton(_("Thêm"))
        self.add_award_button.clicked.connect(self._add_award)
        self.remove_award_button = QPushButton(_("Xoá khen thưởng đã chọn"))
        self.remove_award_button.clicked.connect(self._remove_award)
        self.title_button = QPushButton()
        self.title_button.clicked.connect(self._confirm_title)
        add_row = QHBoxLayout()
        add_row.addWidget(self.award_kind)
        add_row.addWidget(self.award_title, 1)
        add_row.addWidget(self.add_award_button)
        award_layout = QVBoxLayout(award_box)
        award_layout.addWidget(self.award_list, 1)
        award_layout.addLayout(add_row)
        award_layout.addWidget(self.title_button)
        award_layout.addWidget(self.remove_award_button)

        self.tabs = QTabWidget()
        self.tabs.addTab(comment_box, _("Nhận xét cả năm"))
        self.tabs.addTab(award_box, _("Khen thưởng"))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs)
        self.set_snippets(())
        self.show_student(None, editable=False)

    # -- filled by the page ---------------------------------------------------------------

    def set_snippets(self, snippets: Sequence[Snippet]) -> None:
        self.snippet_combo.clear()
        self.snippet_combo.addItem(_("— chọn mẫu để chèn —"), None)
        for snippet in snippets:
            self.snippet_combo.addItem(snippet.text, snippet)
            last = self.snippet_combo.count() - 1
            self.snippet_combo.setItemData(last, snippet.text, Qt.ItemDataRole.ToolTipRole)

    def show_student(self, row: HomeroomStudent | None, *, editable: bool) -> None:
        self._row = row
        self._editable = editable and row is not None
        text = row.year_comment if row else ""
        self._saved_text = text
        self.comment_edit.blockSignals(True)
        self.comment_edit.setPlainText(text)
        self.comment_edit.blockSignals(False)
        self.comment_edit.setReadOnly(not self._editable)
        for widget in (self.snippet_combo, self.snippet_button, self.award_kind, self.award_title,
                       self.add_award_button, self.remove_award_button):
            widget.setEnabled(self._editable)
        self.award_list.clear()
        for award in row.awards if row else ():
            when = f" ({award.decided_on:%d/%m/%Y})" if award.decided_on else ""
            item = QListWidgetItem(f"{_(AWARD_KINDS[award.kind])}: {award.title}{when}")
            item.setData(Qt.ItemDataRole.UserRole, award.id)
            self.award_list.addItem(item)
        confirmable = bool(row and row.title and row.title_label)
        already = bool(row and any(a.kind == row.title for a in row.awards))
        self.title_button.setVisible(confirmable)
        self.title_button.setEnabled(self._editable and not already)
        if row and row.title_label:
            self.title_button.setText(
                _("Đã ghi danh hiệu {title}").format(title=row.title_label) if already
                else _("Ghi nhận danh hiệu {title}").format(title=row.title_label)
            )
        self.tabs.setTabText(1, _("Khen thưởng ({n})").format(n=len(row.awards)) if row and row.awards
                             else _("Khen thưởng"))
        self._update_count()

    @property
    def row(self) -> HomeroomStudent | None:
        """The student shown (whose comment the editor holds)."""
        return self._row

    @property
    def dirty(self) -> bool:
        return self._editable and self.comment_edit.toPlainText().strip() != self._saved_text.strip()

    # -- reacting --------------------------------------------------------------------------

    @Slot()
    def save_comment(self) -> None:
        if self.dirty:
            self.save_comment_requested.emit(self.comment_edit.toPlainText())

    @Slot()
    def _on_text_changed(self) -> None:
        self._update_count()

    def _update_count(self) -> None:
        n = len(self.comment_edit.toPlainText().strip())
        state = _(" · chưa lưu") if self.dirty else ""
        self.count_label.setText(_("{n}/{max} ký tự").format(n=n, max=MAX_COMMENT_LENGTH) + state)
        self.save_button.setEnabled(self.dirty)

    @Slot(int)
    def _insert_snippet(self, index: int) -> None:
        snippet = self.snippet_combo.itemData(index)
        if not isinstance(snippet, Snippet) or not self._editable:
            return
        cursor = self.comment_edit.textCursor()
        before = self.comment_edit.toPlainText()[: cursor.position()]
        spacer = " " if before and not before.endswith((" ", "\n")) else ""
        cursor.insertText(spacer + snippet.text)
        self.comment_edit.setFocus()
        self.snippet_combo.setCurrentIndex(0)
        if snippet.id is not None:
            self.snippet_used.emit(snippet.id)

    @Slot()
    def _save_snippet(self) -> None:
        text = self.comment_edit.textCursor().selectedText() or self.comment_edit.toPlainText()
        if text.strip():
            self.save_snippet_requested.emit(text.replace("\u2029", " "))

    @Slot()
    def _add_award(self) -> None:
        if self._editable and self.award_title.text().strip():
            self.add_award_requested.emit(str(self.award_kind.currentData()), self.award_title.text())

    @Slot()
    def _remove_award(self) -> None:
        item = self.award_list.currentItem()
        if self._editable and item is not None:
            self.remove_award_requested.emit(int(item.data(Qt.ItemDataRole.UserRole)))

    @Slot()
    def _confirm_title(self) -> None:
        row = self._row
        if self._editable and row is not None and row.title and row.title_label:
            self.add_award_requested.emit(row.title, row.title_label)

    def clear_award_entry(self) -> None:
        self.award_title.clear()


