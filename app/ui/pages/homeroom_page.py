"""The homeroom page (Chủ nhiệm): a homeroom teacher's class, in four tabs.

1. "Kết quả và rèn luyện": every student's learning and conduct per semester and year,
   conduct picked per cell, absences typed per cell; under it, the selected student's
   "Vì sao?" (the sentence that decided first), year comment and awards.
2. "Hè: rèn luyện và kiểm tra lại": the re-evaluated conduct and re-assessment results,
   entered later in the summer; the decision updates as they are entered.
3. "Danh sách nộp": the lists to hand in, exported to Excel and printed.
4. "Kiểm tra trước khi ký": the pre-sign checklist, each item a link to the place to fix.

Every change goes through the homeroom services (audited, refused for anyone but the
class's homeroom teacher; the principal sees the page read only). A change returns the
student recomputed, so only that student's rows are redrawn. Writes are a few tens of
milliseconds and run on the GUI thread like the short reads; the checklist (one read per
subject) runs on the thread pool.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime

from PySide6.QtCore import QItemSelection, Qt, Signal, Slot
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app.errors import UserFacingError
from app.i18n import _
from app.models.db import Database
from app.services import comment_snippets
from app.services.access import Actor, can_edit_homeroom
from app.services.checklist import Checklist, class_checklist, mark_looked
from app.services.class_lists import build_lists
from app.services.class_results import ClassSummary
from app.services.corrections import class_record_states
from app.services.homeroom import (
    SUMMER_TAB_TITLE,
    HomeroomOverview,
    HomeroomStudent,
    SummerEntry,
    add_award,
    homeroom_classes,
    homeroom_overview,
    remove_award,
    set_absences,
    set_conduct,
    set_reassessment,
    set_year_comment,
    student_summer_entries,
    summer_entries,
)
from app.ui.dialogs.correction_request import CorrectionRequestDialog
from app.ui.formatting import format_year
from app.ui.itemmodels import DataclassTableModel
from app.ui.itemmodels.class_tables import CLASS_COLUMNS
from app.ui.itemmodels.editable_table import EditableTableModel
from app.ui.itemmodels.homeroom_tables import SUMMER_COLUMNS, attendance_columns, homeroom_columns
from app.ui.pages.checklist_page import ChecklistPanel
from app.ui.pages.class_lists_panel import ClassListsPanel
from app.ui.pages.homeroom_widgets import CellEditorDelegate, StudentPanel, explanation_html

log = logging.getLogger(__name__)

# Year-comment snippets are kept apart from the subject teachers' under this code.
SNIPPET_CODE = "gvcn"
TAB_RESULTS, TAB_ATTENDANCE, TAB_SUMMER, TAB_LISTS, TAB_CHECKLIST = range(5)
WHY_PLACEHOLDER = "Chọn một học sinh trong bảng để xem vì sao em có kết quả đó."


class HomeroomPage(QWidget):
    status_message = Signal(str)
    navigate_requested = Signal(str, dict)  # page key of the main window, what to select there

    def __init__(
        self, db: Database, actor: Actor, classes: Sequence[ClassSummary], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._db = db
        self._actor = actor
        self._overview: HomeroomOverview | None = None
        self._lists_stale = True
        self._classes = homeroom_classes(actor, classes)

        self.class_model = DataclassTableModel(CLASS_COLUMNS, self._classes, self)
        self.student_model = EditableTableModel(
            homeroom_columns(False), (), self, commit=self._commit_student
        )
        self.attendance_model = EditableTableModel(
            attendance_columns(), (), self, commit=self._commit_student
        )
        self.summer_model = EditableTableModel(SUMMER_COLUMNS, (), self, commit=self._commit_summer)
        for model in (self.student_model, self.attendance_model, self.summer_model):
            model.edit_failed.connect(self._show_error)
            model.edited.connect(self._clear_error)
        self.student_model.edited.connect(self._after_student_edit)
        self.attendance_model.edited.connect(self._after_student_edit)
        self.delegate = CellEditorDelegate(self)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 10, 10, 6)
        layout.setSpacing(6)
        layout.addLayout(self._make_picker())
        self.counts_label = QLabel()
        self.counts_label.setObjectName("countsLine")
        self.readonly_label = QLabel()
        self.readonly_label.setWordWrap(True)
        self.readonly_label.setStyleSheet(
            "background:#eef2f7; border:1px solid #c9d3df; border-radius:4px; padding:6px;"
        )
        self.readonly_label.hide()
        self.error_label = QLabel()
        self.error_label.setObjectName("pageError")
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        self.empty_label = QLabel(
            _("Bạn không chủ nhiệm lớp nào trong năm học này. Trang này dành cho giáo viên chủ nhiệm.")
        )
        self.empty_label.setWordWrap(True)
        self.empty_label.setVisible(not self._classes)
        for widget in (self.counts_label, self.readonly_label, self.error_label, self.empty_label):
            layout.addWidget(widget)

        self.tabs = QTabWidget()
        self.tabs.addTab(self._make_results_tab(), _("Kết quả và rèn luyện"))
        self.tabs.addTab(self._make_attendance_tab(), _("Chuyên cần"))
        self.tabs.addTab(self._make_summer_tab(), _(SUMMER_TAB_TITLE))
        self.lists_panel = ClassListsPanel()
        self.lists_panel.message.connect(self._status)
        self.tabs.addTab(self.lists_panel, _("Danh sách nộp"))
        self.checklist = ChecklistPanel(self._read_checklist, self._mark_looked)
        self.checklist.navigate_requested.connect(self._on_checklist_link)
        self.tabs.addTab(self.checklist, _("Kiểm tra trước khi ký"))
        self.tabs.currentChanged.connect(self._on_tab_changed)
        self.tabs.setVisible(bool(self._classes))
        layout.addWidget(self.tabs, 1)

        self._load_snippets()
        self.class_combo.currentIndexChanged.connect(self._on_class_changed)
        if self._classes:
            self._on_class_changed(self.class_combo.currentIndex())

    # -- building ---------------------------------------------------------------------------

    def _make_picker(self) -> QHBoxLayout:
        self.class_combo = QComboBox()
        self.class_combo.setModel(self.class_model)
        self.class_combo.setModelColumn(0)
        self.class_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.class_combo.setAccessibleName(_("Chọn lớp chủ nhiệm"))
        label = QLabel(_("&Lớp:"))
        label.setBuddy(self.class_combo)
        font = label.font()
        font.setBold(True)
        label.setFont(font)
        picker = QHBoxLayout()
        picker.addWidget(label)
        picker.addWidget(self.class_combo)
        picker.addStretch(1)
        # Issued records are corrected through a request the principal approves (a new version).
        self.correction_button = QPushButton(_("Đính chính học bạ…"))
        self.correction_button.setEnabled(False)
        self.correction_button.clicked.connect(self._open_correction)
        self.correction_dialog: CorrectionRequestDialog | None = None
        picker.addWidget(self.correction_button)
        return picker

    def _table(self, model: EditableTableModel, name: str) -> QTableView:
        table = QTableView()
        table.setModel(model)
        table.setItemDelegate(self.delegate)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        table.setAlternatingRowColors(True)
        table.setWordWrap(False)
        table.verticalHeader().hide()
        table.verticalHeader().setDefaultSectionSize(int(table.fontMetrics().height() * 1.65))
        table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header = table.horizontalHeader()
        header.setHighlightSections(False)
        header.setStretchLastSection(True)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignCenter)
        header.setMinimumHeight(int(table.fontMetrics().height() * 2.4))
        table.setAccessibleName(name)
        return table

    def _make_results_tab(self) -> QWidget:
        self.table = self._table(self.student_model, _("Kết quả và rèn luyện của học sinh"))
        self.table.selectionModel().selectionChanged.connect(self._on_selection_changed)
        why = QFrame()
        why.setObjectName("whyPanel")
        title = QLabel(_("Vì sao?"))
        font = title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        title.setFont(font)
        self.why_text = QTextBrowser()
        self.why_text.setFrameShape(QFrame.Shape.NoFrame)
        self.why_text.setOpenLinks(False)
        self.why_text.setAccessibleName(_("Giải thích kết quả của học sinh"))
        why_layout = QVBoxLayout(why)
        why_layout.setContentsMargins(12, 8, 12, 8)
        why_layout.addWidget(title)
        why_layout.addWidget(self.why_text, 1)
        self.student_panel = StudentPanel()
        self.student_panel.save_comment_requested.connect(self._save_comment)
        self.student_panel.add_award_requested.connect(self._add_award)
        self.student_panel.remove_award_requested.connect(self._remove_award)
        self.student_panel.save_snippet_requested.connect(self._save_snippet)
        self.student_panel.snippet_used.connect(self._snippet_used)
        bottom = QSplitter(Qt.Orientation.Horizontal)
        bottom.setChildrenCollapsible(False)
        bottom.addWidget(why)
        bottom.addWidget(self.student_panel)
        bottom.setStretchFactor(0, 1)
        bottom.setStretchFactor(1, 1)
        bottom.setSizes([560, 540])
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self.table)
        splitter.addWidget(bottom)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([420, 300])
        self._show_student(None)
        return splitter

    def _make_attendance_tab(self) -> QWidget:
        self.attendance_table = self._table(self.attendance_model, _("Số buổi nghỉ học của học sinh"))
        hint = QLabel(
            _(
                "Gõ số buổi nghỉ vào ô (Enter để lưu và xuống dòng). Nghỉ quá 45 buổi cả năm thì "
                "ở lại lớp (Thông tư 22, Điều 12)."
            )
        )
        hint.setWordWrap(True)
        box = QWidget()
        box_layout = QVBoxLayout(box)
        box_layout.setContentsMargins(0, 6, 0, 0)
        box_layout.addWidget(hint)
        box_layout.addWidget(self.attendance_table, 1)
        return box

    def _make_summer_tab(self) -> QWidget:
        self.summer_table = self._table(self.summer_model, _("Kết quả sau hè"))
        self.summer_hint = QLabel()
        self.summer_hint.setWordWrap(True)
        box = QWidget()
        box_layout = QVBoxLayout(box)
        box_layout.setContentsMargins(0, 6, 0, 0)
        box_layout.addWidget(self.summer_hint)
        box_layout.addWidget(self.summer_table, 1)
        return box

    # -- what the main window and tests use ------------------------------------------------------

    @property
    def overview(self) -> HomeroomOverview | None:
        return self._overview

    def select_class(self, class_id: int) -> bool:
        for row, summary in enumerate(self.class_model.rows):
            if summary.id == class_id:
                self.class_combo.setCurrentIndex(row)
                return True
        return False

    def select_student(self, student_id: int, column: int = 1) -> bool:
        for position, row in enumerate(self.student_model.rows):
            if row.student_id == student_id:
                index = self.student_model.index(position, column)
                self.table.setCurrentIndex(index)
                self.table.scrollTo(index)
                return True
        return False

    def selected_student(self) -> HomeroomStudent | None:
        row = self.student_model.row_at(self.table.currentIndex())
        return row if isinstance(row, HomeroomStudent) else None

    def show_target(self, class_id: int | None = None, student_id: int | None = None,
                    field: str | None = None, **_ignored: object) -> None:
        """Go to what a checklist link names: the class, the student, the tab and field."""
        if class_id is not None and (self._overview is None or self._overview.class_id != class_id):
            self.select_class(class_id)
        if field == "summer":
            self.tabs.setCurrentIndex(TAB_SUMMER)
            for position, entry in enumerate(self.summer_model.rows):
                if entry.student_id == student_id:
                    index = self.summer_model.index(position, len(SUMMER_COLUMNS) - 2)
                    self.summer_table.setCurrentIndex(index)
                    self.summer_table.scrollTo(index)
                    break
            return
        self.tabs.setCurrentIndex(TAB_RESULTS)
        if student_id is None:
            return
        column = 1
        if field in ("conduct_hk1", "conduct_hk2"):
            header = _("Rèn luyện {term}").format(term="HKI" if field == "conduct_hk1" else "HKII")
            column = max(self.student_model.column_index(header), 1)
        self.select_student(student_id, column)
        if field == "year_comment":
            self.student_panel.tabs.setCurrentIndex(0)
            self.student_panel.comment_edit.setFocus()
        else:
            self.table.setFocus()

    # -- loading ----------------------------------------------------------------------------------

    @Slot(int)
    def _on_class_changed(self, index: int) -> None:
        summary = self.class_model.row_at(self.class_model.index(index, 0))
        if summary is None:
            return
        if not self._save_pending_comment() and self._overview is not None:
            # The comment could not be saved (the reason is shown): stay, keep the text.
            self.select_class(self._overview.class_id)
            return
        self.load_class(summary.id)

    def load_class(self, class_id: int) -> None:
        try:
            overview = homeroom_overview(self._db, self._actor, class_id)
        except UserFacingError as exc:
            log.warning("homeroom class %s could not be read: %s", class_id, exc.message)
            self._overview = None
            for model in (self.student_model, self.attendance_model, self.summer_model):
                model.set_rows(())
            self._show_error(exc.message)
            return
        self._clear_error()
        self._overview = overview
        self.student_model.set_rows(overview.students, homeroom_columns(overview.is_primary))
        self.attendance_model.set_rows(overview.students)
        for model in (self.student_model, self.attendance_model, self.summer_model):
            model.set_editable(overview.editable)
        self._refresh_summer()
        self._refresh_lists()
        self._refresh_counts()
        fit_columns(self.table, self.student_model)
        fit_columns(self.attendance_table, self.attendance_model)
        self._refresh_correction_button()
        self.tabs.setTabEnabled(TAB_SUMMER, not overview.is_primary)
        self.readonly_label.setVisible(not overview.editable)
        self.readonly_label.setText(
            _(
                "Bạn đang xem lớp {name} ở chế độ chỉ xem: chỉ giáo viên chủ nhiệm của lớp mới sửa được."
            ).format(name=overview.class_name)
        )
        self._show_student(None)
        self.checklist.set_class(overview.class_id)
        if self.tabs.currentIndex() == TAB_CHECKLIST:
            self.checklist.ensure_loaded()
        self._status(
            _("Lớp chủ nhiệm {name}, năm học {year}: {n} học sinh.").format(
                name=overview.class_name, year=format_year(overview.year_name), n=len(overview.students)
            )
        )

    def _refresh_summer(self) -> None:
        overview = self._overview
        entries = summer_entries(overview) if overview else ()
        self.summer_model.set_rows(entries)
        fit_columns(self.summer_table, self.summer_model)
        waiting = sum(1 for e in entries if e.value is None)
        if not entries:
            text = _("Lớp không có học sinh nào phải rèn luyện trong hè hay kiểm tra lại.")
        else:
            text = _(
                "Nhập kết quả khi có: rèn luyện được đánh giá lại (chọn mức), điểm kiểm tra lại (gõ điểm, "
                "ví dụ 6,5; môn nhận xét chọn Đạt/Chưa đạt). Quyết định lên lớp được tính lại ngay. "
                "Còn {n} kết quả chưa nhập."
            ).format(n=waiting)
        self.summer_hint.setText(text)

    def _refresh_counts(self) -> None:
        overview = self._overview
        if overview is None:
            self.counts_label.clear()
            return
        rows = overview.students
        parts = [_("{n} học sinh").format(n=len(rows))]
        for code, text in (
            ("xuat_sac", _("{n} Học sinh Xuất sắc")),
            ("gioi", _("{n} Học sinh Giỏi")),
        ):
            n = sum(1 for r in rows if r.title == code)
            if n:
                parts.append(text.format(n=n))
        for code, text in (
            ("kiem_tra_lai", _("{n} kiểm tra lại")),
            ("ren_luyen_he", _("{n} rèn luyện hè")),
            ("o_lai", _("{n} chưa hoàn thành") if overview.is_primary else _("{n} ở lại lớp")),
        ):
            n = sum(1 for r in rows if r.promotion == code)
            if n:
                parts.append(text.format(n=n))
        missing = sum(1 for r in rows if r.problem)
        if missing:
            parts.append(_("{n} chưa đủ dữ liệu").format(n=missing))
        self.counts_label.setText(" · ".join(parts))

    def _refresh_lists(self) -> None:
        """The lists follow every change, but are only rebuilt on screen when their tab shows."""
        self._lists_stale = True
        if self.tabs.currentIndex() == TAB_LISTS and self._overview is not None:
            self.lists_panel.set_lists(build_lists(self._overview))
            self._lists_stale = False

    # -- the selected student -----------------------------------------------------------------

    @Slot(QItemSelection, QItemSelection)
    def _on_selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        current = self.selected_student()
        shown = self.student_panel.row
        if shown is not None and (current is None or current.student_id != shown.student_id):
            if not self._save_pending_comment():
                # Not saved (the reason is shown): go back to that student, text kept.
                self.table.selectionModel().blockSignals(True)
                self.select_student(shown.student_id)
                self.table.selectionModel().blockSignals(False)
                return
            current = self.selected_student()
        self._show_student(current)

    def _show_student(self, row: HomeroomStudent | None) -> None:
        overview = self._overview
        if row is None:
            self.why_text.setHtml(f"<p style='color:#555555'>{html.escape(_(WHY_PLACEHOLDER))}</p>")
        else:
            self.why_text.setHtml(explanation_html(row, bool(overview and overview.is_primary)))
        self.student_panel.show_student(row, editable=bool(overview and overview.editable))

    def _refresh_correction_button(self) -> None:
        overview = self._overview
        issued = False
        if overview is not None and can_edit_homeroom(self._actor, overview.class_id):
            try:
                states = class_record_states(self._db, self._actor, overview.class_id)
                issued = any(r.state == "issued" for r in states)
            except UserFacingError as exc:
                log.warning("record states of class %s: %s", overview.class_id, exc.message)
        self.correction_button.setEnabled(issued)
        self.correction_button.setToolTip(
            _("Đề nghị đính chính học bạ đã phát hành của một học sinh (Hiệu trưởng duyệt).")
            if issued else _("Chỉ học bạ đã phát hành mới cần đính chính.")
        )  # fmt: skip

    @Slot()
    def _open_correction(self) -> None:
        if self._overview is None:
            return
        row = self.selected_student()
        dialog = CorrectionRequestDialog(
            self._db, self._actor, self._overview.class_id, row.student_id if row else None, self
        )
        dialog.requested.connect(lambda made: self._status(_("Đã gửi đề nghị đính chính học bạ.")))
        self.correction_dialog = dialog
        dialog.open()

    def _save_pending_comment(self) -> bool:
        """Save the comment being written before the page shows something else; False if refused."""
        row = self.student_panel.row
        if not self.student_panel.dirty or row is None or self._overview is None:
            return True
        text = self.student_panel.comment_edit.toPlainText()
        class_id = self._class_id()
        saved = self._run(lambda: set_year_comment(self._db, self._actor, class_id, row.student_id, text))
        return saved is not None

    # -- writes ------------------------------------------------------------------------------------

    def _class_id(self) -> int:
        assert self._overview is not None
        return self._overview.class_id

    def _commit_student(self, row: HomeroomStudent, key: str, value: object) -> HomeroomStudent:
        kind, _sep, rest = key.partition(":")
        class_id = self._class_id()
        if kind == "conduct":
            return set_conduct(self._db, self._actor, class_id, row.student_id, rest, str(value or ""))
        semester_text, _sep, which = rest.partition(":")
        semester = int(semester_text)
        excused, unexcused = row.absent(semester)
        count = int(value) if isinstance(value, int | str) and str(value).strip().isdigit() else -1
        if which == "excused":
            excused = count
        else:
            unexcused = count
        return set_absences(
            self._db, self._actor, class_id, row.student_id, semester, excused=excused, unexcused=unexcused
        )

    def _commit_summer(self, entry: SummerEntry, key: str, value: object) -> SummerEntry:
        text = str(value or "").strip() or None
        if entry.kind == "conduct":
            student = set_conduct(self._db, self._actor, self._class_id(), entry.student_id, "he", text)
        else:
            assert entry.subject_id is not None
            student = set_reassessment(
                self._db, self._actor, self._class_id(), entry.student_id, entry.subject_id, text
            )
        self._apply_student(student, from_summer=True)
        fresh = student_summer_entries(student)
        return next((e for e in fresh if e.subject_id == entry.subject_id), entry)

    @Slot(object)
    def _after_student_edit(self, row: object) -> None:
        if isinstance(row, HomeroomStudent):
            self._apply_student(row, from_summer=False)

    def _apply_student(self, student: HomeroomStudent, *, from_summer: bool) -> None:
        """Show one recomputed student everywhere: overview, grid, summer rows, lists, panel."""
        overview = self._overview
        if overview is None:
            return
        students = tuple(student if s.student_id == student.student_id else s for s in overview.students)
        self._overview = overview = replace(overview, students=students)
        for model in (self.student_model, self.attendance_model):
            for position, row in enumerate(model.rows):
                if row.student_id == student.student_id and row is not student:
                    model.replace_row(position, student)
        if from_summer:
            # The edited entry is replaced by the model; its siblings get the new decision.
            fresh = {e.subject_id: e for e in student_summer_entries(student)}
            for position, entry in enumerate(self.summer_model.rows):
                if entry.student_id == student.student_id and entry.subject_id in fresh:
                    self.summer_model.replace_row(position, fresh[entry.subject_id])
        else:
            # A conduct or absence change can move a student into or out of the summer lists.
            self._refresh_summer()
        self._refresh_lists()
        self._refresh_counts()
        self.checklist.invalidate()
        selected = self.selected_student()
        if selected is not None and selected.student_id == student.student_id:
            self._show_student(student)
        self._status(
            _("Đã lưu. {name}: {decision}.").format(name=student.full_name, decision=student.promotion_label)
        )

    def _run(self, work: Callable[[], HomeroomStudent]) -> HomeroomStudent | None:
        try:
            result = work()
        except UserFacingError as exc:
            self._show_error(exc.message)
            return None
        self._clear_error()
        self._apply_student(result, from_summer=False)
        return result

    @Slot(str)
    def _save_comment(self, text: str) -> None:
        row = self.student_panel.row
        if row is None:
            return
        self._run(lambda: set_year_comment(self._db, self._actor, self._class_id(), row.student_id, text))

    @Slot(str, str)
    def _add_award(self, kind: str, title: str) -> None:
        row = self.selected_student()
        if row is None:
            return
        if self._run(lambda: add_award(self._db, self._actor, self._class_id(), row.student_id,
                                       kind=kind, title=title)):
            self.student_panel.clear_award_entry()

    @Slot(int)
    def _remove_award(self, award_id: int) -> None:
        self._run(lambda: remove_award(self._db, self._actor, self._class_id(), award_id))

    def _load_snippets(self) -> None:
        try:
            snippets = comment_snippets.list_snippets(self._db, self._actor, SNIPPET_CODE)
        except UserFacingError as exc:
            log.warning("snippets could not be read: %s", exc.message)
            snippets = ()
        self.student_panel.set_snippets(snippets)

    @Slot(str)
    def _save_snippet(self, text: str) -> None:
        try:
            comment_snippets.add_snippet(self._db, self._actor, text, SNIPPET_CODE)
        except UserFacingError as exc:
            self._show_error(exc.message)
            return
        self._load_snippets()
        self._status(_("Đã lưu mẫu nhận xét."))

    @Slot(int)
    def _snippet_used(self, snippet_id: int) -> None:
        try:
            comment_snippets.record_use(self._db, self._actor, snippet_id)
        except UserFacingError as exc:
            log.info("snippet use not counted: %s", exc.message)

    # -- messages ------------------------------------------------------------------------------------

    @Slot(str)
    def _show_error(self, message: str) -> None:
        self.error_label.setText(message)
        self.error_label.show()
        self.status_message.emit(message)

    @Slot()
    def _clear_error(self) -> None:
        self.error_label.hide()

    @Slot(str)
    def _status(self, message: str) -> None:
        self.status_message.emit(message)

    # -- checklist -----------------------------------------------------------------------------------

    def _read_checklist(self, class_id: int) -> Checklist:
        return class_checklist(self._db, self._actor, class_id)

    def _mark_looked(self, class_id: int) -> datetime:
        return mark_looked(self._db, self._actor, class_id)

    @Slot(int)
    def _on_tab_changed(self, index: int) -> None:
        if index == TAB_LISTS and self._lists_stale:
            self._refresh_lists()
        if index == TAB_CHECKLIST:
            self.checklist.ensure_loaded()

    @Slot(str, dict)
    def _on_checklist_link(self, page: str, target: dict[str, object]) -> None:
        if page == "homeroom":
            self.show_target(**target)  # type: ignore[arg-type]
        else:
            self.navigate_requested.emit(page, target)


def fit_columns(table: QTableView, model: EditableTableModel) -> None:
    """Columns as wide as their header and text, measured from the texts alone.

    `resizeColumnsToContents` asks the model for every role of every cell (tens of
    thousands of calls for a class), which was a third of the time to open the page.
    """
    plain = table.fontMetrics()
    bold_font = QFont(table.font())
    bold_font.setBold(True)
    bold = QFontMetrics(bold_font)
    header = table.horizontalHeader()
    heading = QFontMetrics(header.font())
    padding = plain.horizontalAdvance("n") + 6
    for c, column in enumerate(model.columns):
        title = column.header_display or column.header
        width = max(heading.horizontalAdvance(line) for line in title.split("\n")) + padding
        metrics = bold if column.font is not None else plain
        for row in model.rows:
            width = max(width, metrics.horizontalAdvance(column.text(row)) + padding)
        header.resizeSection(c, width)
