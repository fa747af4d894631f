"""The "Sổ điểm" area: pick a class, subject and semester (or TT27 period); type scores.

Layout: the pickers; the sheet's title, lock state and what to type; the action buttons
(extra TX column, copy last period's comments, check & lock, unlock); then the table with,
on the right, the comment editor (snippets, last period's comment) and the selected
cell's change history.

Reads (loading a sheet, a cell's history, the lock check) are short and run on the GUI
thread; every write goes through the page's `SerialWriter` (one database writer thread).
Before reading back what was written (switching sheets, reloading) the page waits for
the queued writes, which is a few milliseconds at most.
"""

from __future__ import annotations

import logging
from datetime import date

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal, Slot
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.errors import UserFacingError
from app.i18n import _
from app.models.db import Database
from app.services import comment_snippets as snippets
from app.services import locking
from app.services import markbook as mb
from app.services import markbook_primary as mp
from app.services.access import Actor
from app.services.comment_snippets import Snippet
from app.services.locking import LockReport, MissingItem
from app.services.markbook_choices import MarkbookChoice, markbook_choices
from app.ui.itemmodels.markbook_model import MarkbookModel
from app.ui.itemmodels.markbook_sheets import (
    ROMAN,
    PrimarySubjectSheet,
    SecondarySheet,
    Sheet,
    TraitsSheet,
)
from app.ui.pages.markbook_panels import CommentPanel, HistoryPanel, LockDialog, UnlockDialog
from app.ui.pages.markbook_view import MarkbookView
from app.ui.serial_writer import SerialWriter

log = logging.getLogger(__name__)

_Index = QModelIndex | QPersistentModelIndex


def default_period(level: str, today: date) -> str:
    """The semester or TT27 period a teacher is most likely entering on `today` (the
    Ministry's yearly framework: HKI ends mid-January, the year at the end of May)."""
    month, day = today.month, today.day
    second = (month == 1 and day > 17) or 2 <= month <= 8
    if level != "tieuhoc":
        return "2" if second else "1"
    if month in (9, 10):
        return "gk1"
    if month in (11, 12) or (month == 1 and day <= 17):
        return "ck1"
    return "gk2" if month in (1, 2, 3) else "cn"


class MarkbookPage(QWidget):
    status_message = Signal(str)

    def __init__(self, db: Database, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.actor = actor
        self.writer = SerialWriter(self)
        self.model = MarkbookModel(self.writer.submit, self)
        self.choices: tuple[MarkbookChoice, ...] = ()
        self.status_text = ""
        self.lock_dialog: LockDialog | None = None
        self.unlock_dialog: UnlockDialog | None = None
        self._report: LockReport | None = None
        self._loaded = False
        self._panel_target: tuple[int, str] | None = None
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.writer.wait_idle)

        self.class_combo = QComboBox()
        self.subject_combo = QComboBox()
        self.period_combo = QComboBox()
        pickers = QHBoxLayout()
        for text, combo in (
            (_("&Lớp:"), self.class_combo),
            (_("&Môn:"), self.subject_combo),
            (_("&Kì:"), self.period_combo),
        ):
            label = QLabel(text)
            label.setBuddy(combo)
            font = label.font()
            font.setBold(True)
            label.setFont(font)
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            pickers.addWidget(label)
            pickers.addWidget(combo)
            pickers.addSpacing(10)
        pickers.addStretch(1)

        self.title_label = QLabel()
        self.title_label.setObjectName("countsLine")
        self.lock_label = QLabel()
        self.hint_label = QLabel()
        self.hint_label.setWordWrap(True)
        self.hint_label.setStyleSheet("color: #555555;")
        self.error_label = QLabel()
        self.error_label.setObjectName("pageError")
        self.error_label.setWordWrap(True)
        self.error_label.hide()

        self.add_tx_button = QPushButton(_("Thêm cột TX"))
        self.add_tx_button.setToolTip(_("Thêm một cột đánh giá thường xuyên ngoài số lần bắt buộc"))
        self.copy_button = QPushButton(_("Chép nhận xét kì trước cho cả lớp"))
        self.copy_button.setToolTip(_("Điền các ô nhận xét còn trống bằng nhận xét kì trước của từng em"))
        self.lock_button = QPushButton(_("Kiểm tra và khoá sổ…"))
        self.unlock_button = QPushButton(_("Mở khoá sổ…"))
        self.unlock_button.setToolTip(_("Chỉ hiệu trưởng hoặc phó hiệu trưởng; phải ghi lý do"))
        actions = QHBoxLayout()
        for button in (self.add_tx_button, self.copy_button, self.lock_button, self.unlock_button):
            actions.addWidget(button)
        actions.addStretch(1)

        self.table = MarkbookView()
        self.table.setModel(self.model)
        self.comment_panel = CommentPanel()
        self.history_panel = HistoryPanel()
        side = QSplitter(Qt.Orientation.Vertical)
        side.addWidget(self.comment_panel)
        side.addWidget(self.history_panel)
        side.setStretchFactor(0, 3)
        side.setStretchFactor(1, 2)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self.table)
        splitter.addWidget(side)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([860, 340])
        self.splitter = splitter

        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 10, 10, 6)
        layout.setSpacing(6)
        layout.addLayout(pickers)
        heading = QHBoxLayout()
        heading.setSpacing(16)
        heading.addWidget(self.title_label)
        heading.addWidget(self.lock_label, 1)
        layout.addLayout(heading)
        layout.addWidget(self.hint_label)
        layout.addLayout(actions)
        layout.addWidget(self.error_label)
        layout.addWidget(splitter, 1)

        self.class_combo.currentIndexChanged.connect(self._on_class_changed)
        self.subject_combo.currentIndexChanged.connect(self._on_sheet_changed)
        self.period_combo.currentIndexChanged.connect(self._on_sheet_changed)
        self.add_tx_button.clicked.connect(self.add_tx_column)
        self.copy_button.clicked.connect(self.copy_previous_comments)
        self.lock_button.clicked.connect(self.open_lock_dialog)
        self.unlock_button.clicked.connect(self.open_unlock_dialog)
        self.table.selectionModel().currentChanged.connect(self._on_current_changed)
        self.model.modelReset.connect(self._on_model_reset)
        self.model.entry_refused.connect(self._on_refused)
        self.model.values_saved.connect(self._on_saved)
        self.model.values_written.connect(self._on_written)
        self.model.write_failed.connect(self._on_write_failed)
        self.comment_panel.save_requested.connect(self._save_comment)
        self.comment_panel.snippet_used.connect(self._snippet_used)
        self.comment_panel.snippet_save_requested.connect(self._save_snippet)
        self.comment_panel.snippet_delete_requested.connect(self._delete_snippet)
        self._update_actions()

    # -- loading ---------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._loaded:
            self.load_choices()

    def load_choices(self) -> None:
        """Read which mark books the actor may open and show the first (lazy: on first show)."""
        self._loaded = True
        try:
            self.choices = markbook_choices(self.db, self.actor)
        except UserFacingError as exc:
            self._show_error(exc.message)
            return
        self.class_combo.blockSignals(True)
        self.class_combo.clear()
        seen: set[int] = set()
        for choice in self.choices:
            if choice.class_id not in seen:
                seen.add(choice.class_id)
                self.class_combo.addItem(_("Lớp {name}").format(name=choice.class_name), choice.class_id)
        self.class_combo.blockSignals(False)
        if not self.choices:
            self._show_error(_("Bạn chưa được phân công dạy môn nào trong năm học này."))
            return
        self._on_class_changed(self.class_combo.currentIndex())

    def select(self, class_id: int, subject_id: int | None, period: str | int) -> bool:
        """Open one sheet (tests, the checklist's links); False if not offered to the actor."""
        if not self._loaded:
            self.load_choices()
        i = self.class_combo.findData(class_id)
        if i < 0:
            return False
        self.class_combo.setCurrentIndex(i)
        j = next(
            (k for k in range(self.subject_combo.count()) if self.subject_combo.itemData(k) == subject_id), -1
        )
        p = self.period_combo.findData(str(period))
        if j < 0 or p < 0:
            return False
        self.subject_combo.blockSignals(True)
        self.period_combo.blockSignals(True)
        self.subject_combo.setCurrentIndex(j)
        self.period_combo.setCurrentIndex(p)
        self.subject_combo.blockSignals(False)
        self.period_combo.blockSignals(False)
        self.reload()
        return True

    @Slot(int)
    def _on_class_changed(self, _index: int) -> None:
        class_id = self.class_combo.currentData()
        offered = [c for c in self.choices if c.class_id == class_id]
        if not offered:
            return
        keep = self.subject_combo.currentData()
        self.subject_combo.blockSignals(True)
        self.subject_combo.clear()
        for choice in offered:
            mark = "" if choice.editable else _(" (chỉ xem)")
            self.subject_combo.addItem(_(choice.subject_name) + mark, choice.subject_id)
        first_editable = next((i for i, c in enumerate(offered) if c.editable), 0)
        kept = self.subject_combo.findData(keep) if keep is not None else -1
        self.subject_combo.setCurrentIndex(kept if kept >= 0 else first_editable)
        self.subject_combo.blockSignals(False)
        level = offered[0].level
        current = self.period_combo.currentData()
        self.period_combo.blockSignals(True)
        self.period_combo.clear()
        if level == "tieuhoc":
            for code in mp.PERIODS:
                self.period_combo.addItem(_(mp.PERIOD_NAMES[code]), code)
        else:
            for number in (1, 2):
                self.period_combo.addItem(_("Học kì {n}").format(n=ROMAN[number]), str(number))
        wanted = current if self.period_combo.findData(current) >= 0 else default_period(level, date.today())
        self.period_combo.setCurrentIndex(max(0, self.period_combo.findData(wanted)))
        self.period_combo.blockSignals(False)
        self.reload()

    @Slot(int)
    def _on_sheet_changed(self, _index: int) -> None:
        self.reload()

    def current_choice(self) -> MarkbookChoice | None:
        class_id = self.class_combo.currentData()
        subject_id = self.subject_combo.currentData()
        return next((c for c in self.choices if c.class_id == class_id and c.subject_id == subject_id), None)

    def reload(self) -> None:
        """Read the chosen sheet again from the file (after the queued writes are done)."""
        self._save_dirty_comment()
        self.writer.wait_idle()
        choice = self.current_choice()
        period = self.period_combo.currentData()
        if choice is None or period is None:
            self.model.set_sheet(None)
            return
        try:
            sheet = self._read_sheet(choice, str(period))
            self._report = (
                locking.lock_report(self.db, self.actor, choice.class_id, choice.subject_id)
                if choice.subject_id is not None
                else None
            )
        except UserFacingError as exc:
            self.model.set_sheet(None)
            self._report = None
            self._show_error(exc.message)
            self._update_actions()
            return
        self.error_label.hide()
        self.model.set_sheet(sheet)
        self._show_sheet_state(sheet)
        self._fit_columns()
        self._load_snippets(sheet.subject_code)
        self._go_to_first_cell()
        self._status(_("Đang mở sổ {title}: {n} học sinh.").format(title=sheet.title, n=len(sheet.rows)))

    def _read_sheet(self, choice: MarkbookChoice, period: str) -> Sheet:
        if choice.subject_id is None:
            return TraitsSheet(
                self.db, self.actor, mp.load_traits(self.db, self.actor, choice.class_id, period)
            )
        if choice.level == "tieuhoc":
            book = mp.load_primary_markbook(self.db, self.actor, choice.class_id, choice.subject_id, period)
            return PrimarySubjectSheet(self.db, self.actor, book)
        semester = int(period)
        return SecondarySheet(
            self.db,
            self.actor,
            mb.load_markbook(self.db, self.actor, choice.class_id, choice.subject_id, semester),
        )

    def _show_sheet_state(self, sheet: Sheet) -> None:
        self.title_label.setText(sheet.title)
        report = self._report
        if report is not None:
            teacher = _("Giáo viên: {name}. ").format(name=report.teacher_name) if report.teacher_name else ""
            self.lock_label.setText(teacher + report.summary())
            self.lock_label.setStyleSheet("color: #1f5fa8; font-weight: bold;" if report.locked else "")
            self.lock_label.show()
        else:
            self.lock_label.clear()
            self.lock_label.hide()
        if sheet.can_edit:
            self.hint_label.setText(sheet.entry_hint)
        elif sheet.locked:
            self.hint_label.setText(
                _("Sổ đã khoá nên chỉ xem được. Muốn sửa, hãy đề nghị ban giám hiệu mở khoá.")
            )
        else:
            self.hint_label.setText(_("Bạn chỉ xem được sổ này: chỉ giáo viên được phân công mới nhập được."))
        self._update_actions()

    def _update_actions(self) -> None:
        sheet = self.model.sheet
        report = self._report
        self.add_tx_button.setVisible(isinstance(sheet, SecondarySheet))
        self.add_tx_button.setEnabled(bool(sheet and sheet.can_edit))
        period = str(self.period_combo.currentData())
        has_previous = period not in ("1", "gk1", "None")
        self.copy_button.setEnabled(bool(sheet and sheet.can_edit and has_previous))
        self.lock_button.setVisible(report is not None)
        self.lock_button.setEnabled(bool(report and not report.locked))
        self.unlock_button.setVisible(bool(report and report.locked and self.actor.is_leader))

    def _fit_columns(self) -> None:
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.resizeColumnsToContents()
        metrics = self.table.fontMetrics()
        sheet = self.model.sheet
        if sheet is None:
            return
        narrow = metrics.horizontalAdvance("10,0") + metrics.horizontalAdvance("n") * 2
        for c, column in enumerate(sheet.columns):
            if column.role in ("entry", "result"):
                header.resizeSection(c, max(narrow, header.sectionSize(c)))
            elif column.role == "name":
                header.resizeSection(c, header.sectionSize(c) + metrics.horizontalAdvance("nn"))
            elif column.role == "comment":
                # The full comment is in the side panel; the column only needs a glimpse of it.
                header.resizeSection(c, metrics.horizontalAdvance("n") * 24)
        header.setStretchLastSection(True)

    def _go_to_first_cell(self) -> None:
        sheet = self.model.sheet
        if sheet is None or not sheet.rows:
            self._on_current_changed(QModelIndex(), QModelIndex())
            return
        first = next((c for c, col in enumerate(sheet.columns) if col.editable), 0)
        self.table.setCurrentIndex(self.model.index(0, first))
        self.table.setFocus()

    def go_to(self, item: MissingItem) -> None:
        """Open the cell a lock-check item points at (its semester or period first)."""
        choice = self.current_choice()
        if choice is None:
            return
        if str(self.period_combo.currentData()) != item.period:
            self.select(choice.class_id, choice.subject_id, item.period)
        sheet = self.model.sheet
        if sheet is None:
            return
        row = next((r for r in range(len(sheet.rows)) if sheet.student_id(r) == item.student_id), -1)
        column = sheet.column_of(item.column)
        if row >= 0 and column >= 0:
            self.table.setCurrentIndex(self.model.index(row, column))
            self.table.setFocus()

    # -- the selected cell -----------------------------------------------------------------

    @Slot(QModelIndex, QModelIndex)
    def _on_current_changed(self, current: _Index, _previous: _Index) -> None:
        sheet = self.model.sheet
        if sheet is None or not current.isValid():
            self._panel_target = None
            self.comment_panel.set_target(None, None, None, False)
            self.history_panel.show_changes(None, ())
            return
        r, c = current.row(), current.column()
        key = sheet.comment_key(r, c)
        target = (r, key) if key else None
        if target != self._panel_target:
            self._save_dirty_comment()
            self._panel_target = target
            if key is None:
                self.comment_panel.set_target(None, None, None, False)
            else:
                title = f"{sheet.comment_label(key)} — {sheet.student_name(r)}"
                self.comment_panel.set_target(
                    title, sheet.stored(r, key), sheet.previous_comment(r, key), sheet.can_edit
                )
        self._show_history(r, c)

    def _show_history(self, r: int, c: int) -> None:
        sheet = self.model.sheet
        if sheet is None:
            return
        column = sheet.columns[c]
        if not column.editable:
            self.history_panel.show_changes(None, ())
            return
        where = f"{sheet.student_name(r)} · {column.header.replace(chr(10), ' ')}"
        try:
            changes = sheet.history(r, column.key)
        except UserFacingError as exc:
            log.warning("history unavailable: %s", exc.message)
            changes = ()
        self.history_panel.show_changes(where, changes)

    def _save_dirty_comment(self) -> None:
        target = self._panel_target
        if target is not None and self.comment_panel.dirty and self.model.sheet is not None:
            self._save_comment(self.comment_panel.editor.toPlainText())

    @Slot(str)
    def _save_comment(self, text: str) -> None:
        target = self._panel_target
        if target is None or self.model.sheet is None:
            return
        row, key = target
        if self.model.set_value(row, key, text):
            self.comment_panel.mark_saved()

    @Slot()
    def _on_model_reset(self) -> None:
        self._panel_target = None

    # -- messages ----------------------------------------------------------------------------

    def _status(self, message: str) -> None:
        self.status_text = message
        self.status_message.emit(message)

    def _show_error(self, message: str) -> None:
        self.error_label.setText(message)
        self.error_label.show()
        self._status(message)

    @Slot(int, int, str)
    def _on_refused(self, _row: int, _column: int, message: str) -> None:
        self._status(_("Chưa nhận giá trị vừa gõ: {why}").format(why=message))

    @Slot()
    def _on_written(self) -> None:
        current = self.table.currentIndex()
        if current.isValid() and self.model.sheet is not None:
            self._show_history(current.row(), current.column())

    @Slot(int)
    def _on_saved(self, count: int) -> None:
        self.error_label.hide()
        if count:
            self._status(_("Đã nhận {n} ô; điểm trung bình đã được tính lại.").format(n=count))

    @Slot(str)
    def _on_write_failed(self, message: str) -> None:
        self.reload()
        self._show_error(message)

    # -- actions -----------------------------------------------------------------------------

    def add_tx_column(self) -> None:
        if not self.model.add_tx_column():
            self._status(_("Đã đủ số cột đánh giá thường xuyên tối đa."))
            return
        self._fit_columns()

    def copy_previous_comments(self) -> None:
        choice = self.current_choice()
        period = str(self.period_combo.currentData())
        if choice is None:
            return
        self._save_dirty_comment()

        def job() -> object:
            if choice.level == "tieuhoc":
                return mp.copy_previous_comments(
                    self.db, self.actor, choice.class_id, choice.subject_id, period
                )
            assert choice.subject_id is not None
            return len(
                mb.copy_comments_from_first_semester(self.db, self.actor, choice.class_id, choice.subject_id)
            )

        self.writer.submit(job, self._on_action_error, self._on_copied)

    def _on_copied(self, count: object) -> None:
        self.reload()
        self._status(_("Đã chép {n} nhận xét từ kì trước vào các ô còn trống.").format(n=count))

    def _on_action_error(self, exc: BaseException) -> None:
        message = (
            exc.message if isinstance(exc, UserFacingError) else _("Không thực hiện được: {e}").format(e=exc)
        )
        self._show_error(message)

    def open_lock_dialog(self) -> None:
        choice = self.current_choice()
        if choice is None or choice.subject_id is None:
            return
        self._save_dirty_comment()
        self.writer.wait_idle()
        try:
            report = locking.lock_report(self.db, self.actor, choice.class_id, choice.subject_id)
        except UserFacingError as exc:
            self._show_error(exc.message)
            return
        dialog = LockDialog(report, self)
        dialog.go_to.connect(self.go_to)
        dialog.lock_requested.connect(lambda: self._lock(dialog, choice))
        dialog.finished.connect(self._lock_dialog_closed)
        self.lock_dialog = dialog
        dialog.open()

    def _lock(self, dialog: LockDialog, choice: MarkbookChoice) -> None:
        assert choice.subject_id is not None
        subject_id = choice.subject_id

        def done(report: object) -> None:
            dialog.accept()
            self.reload()
            if isinstance(report, LockReport):
                self._status(report.summary())

        self.writer.submit(
            lambda: locking.lock_markbook(self.db, self.actor, choice.class_id, subject_id),
            lambda exc: dialog.show_error(exc.message if isinstance(exc, UserFacingError) else str(exc)),
            done,
        )

    def open_unlock_dialog(self) -> None:
        choice = self.current_choice()
        report = self._report
        if choice is None or choice.subject_id is None or report is None:
            return
        dialog = UnlockDialog(report, self)
        subject_id = choice.subject_id

        def submitted(reason: str) -> None:
            def done(result: object) -> None:
                dialog.accept()
                self.reload()
                self._status(_("Đã mở khoá sổ điểm. Lý do đã được ghi vào nhật ký."))

            self.writer.submit(
                lambda: locking.unlock_markbook(self.db, self.actor, choice.class_id, subject_id, reason),
                lambda exc: dialog.show_error(exc.message if isinstance(exc, UserFacingError) else str(exc)),
                done,
            )

        dialog.submitted.connect(submitted)
        dialog.finished.connect(self._unlock_dialog_closed)
        self.unlock_dialog = dialog
        dialog.open()

    @Slot()
    def _lock_dialog_closed(self) -> None:
        if self.lock_dialog is not None:
            self.lock_dialog.deleteLater()
        self.lock_dialog = None

    @Slot()
    def _unlock_dialog_closed(self) -> None:
        if self.unlock_dialog is not None:
            self.unlock_dialog.deleteLater()
        self.unlock_dialog = None

    # -- snippets ------------------------------------------------------------------------------

    def _load_snippets(self, subject_code: str | None) -> None:
        try:
            found = snippets.list_snippets(self.db, self.actor, subject_code)
        except UserFacingError as exc:
            log.warning("snippets unavailable: %s", exc.message)
            found = ()
        self.comment_panel.set_snippets(found)
        self.table.entry_delegate.snippet_texts = [s.text for s in found]

    def _refresh_snippets(self, _result: object = None) -> None:
        sheet = self.model.sheet
        self._load_snippets(sheet.subject_code if sheet else None)

    @Slot(object)
    def _snippet_used(self, snippet: object) -> None:
        if isinstance(snippet, Snippet) and snippet.id is not None:
            snippet_id = snippet.id
            self.writer.submit(lambda: snippets.record_use(self.db, self.actor, snippet_id))

    @Slot(str)
    def _save_snippet(self, text: str) -> None:
        sheet = self.model.sheet
        code = sheet.subject_code if sheet else None
        self.writer.submit(
            lambda: snippets.add_snippet(self.db, self.actor, text, code),
            self._on_action_error,
            self._refresh_snippets,
        )
        self._status(_("Đã lưu mẫu nhận xét."))

    @Slot(object)
    def _delete_snippet(self, snippet: object) -> None:
        if isinstance(snippet, Snippet) and snippet.id is not None:
            snippet_id = snippet.id
            self.writer.submit(
                lambda: snippets.delete_snippet(self.db, self.actor, snippet_id),
                self._on_action_error,
                self._refresh_snippets,
            )
