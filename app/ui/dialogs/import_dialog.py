"""Import students from Excel: choose a file, see every row's problems, then import all.

Nothing is written until the person presses "Nhập …", and that button only works when no
row has an error: the preview lists every row with its problems highlighted in the cells
they concern (soft red for errors, amber for remarks such as restored leading zeros), the
selected row's problems in full sentences below, and a summary line saying what to do
next. Fixing happens in Excel; "Đọc lại tệp" reads the corrected file again.

Reading and checking the file, and the import itself, run off the GUI thread (a school's
whole list can be a few thousand rows); the dialog shows that it is busy meanwhile.
"""

from __future__ import annotations

import html
import weakref
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

from PySide6.QtCore import QItemSelection, Qt, Signal, Slot
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app.errors import UserFacingError
from app.i18n import _
from app.models.db import Database
from app.rules.identity import SEX_FEMALE, SEX_MALE
from app.services.access import Actor
from app.services.excel_import import (
    FIELD_LABELS,
    ImportReport,
    StudentDraft,
    StudentImportPreview,
    import_students,
    preview_students,
)
from app.ui.background import run_in_background
from app.ui.formatting import format_date
from app.ui.itemmodels import DataclassTableModel
from app.ui.itemmodels.dataclass_table import ALIGN_CENTER, ALIGN_LEFT, Column

ERROR_ROW_BG = QColor("#fbe9eb")  # the whole row: it has an error somewhere
ERROR_CELL_BG = QColor("#f4b6bd")  # the cell the error is about
NOTE_CELL_BG = QColor("#fff0c2")  # a remark: nothing to fix, but worth a look
ERROR_TEXT = QColor("#8a0b17")

ALL_CLASSES = ""  # the class picker's "use the file's Lớp column" entry


def weak_callback(method: Callable[..., None]) -> Callable[..., None]:
    """`method` (bound to a widget) without keeping the widget alive.

    `run_in_background` keeps its callbacks until the worker thread lets go of the task.
    If that reference were the last one to a widget (the window was closed meanwhile),
    the widget would be destroyed on the worker thread, which crashes Qt. Through a weak
    reference the worker never owns the widget; a late result for a closed window is dropped.
    """
    ref = weakref.WeakMethod(method)

    def call(*args: object) -> None:
        bound = ref()
        if bound is not None:
            bound(*args)

    return call


NOTE_TEXT = QColor("#7a5200")


def _problem_text(draft: StudentDraft) -> str:
    if draft.errors:
        first = draft.errors[0].message
        more = len(draft.errors) - 1
        return first if more == 0 else _("{first} (và {n} lỗi khác)").format(first=first, n=more)
    if draft.notes:
        return _("Hợp lệ. Lưu ý: {note}").format(note=draft.notes[0].message)
    return _("Hợp lệ")


def _cell_tooltip(draft: StudentDraft, fields: tuple[str, ...]) -> str | None:
    messages = [i.message for i in draft.errors if i.field in fields]
    messages += [i.message for i in draft.notes if i.field in fields]
    return "\n".join(messages) or None


def _cell_background(draft: StudentDraft, fields: tuple[str, ...]) -> QColor | None:
    if draft.error_fields() & set(fields):
        return ERROR_CELL_BG
    if draft.errors:
        return ERROR_ROW_BG
    if draft.note_fields() & set(fields):
        return NOTE_CELL_BG
    return None


def _column(header: str, text: Callable[[StudentDraft], str], *fields: str, center: bool = False) -> Column:
    return Column(
        header=header,
        text=text,
        alignment=ALIGN_CENTER if center else ALIGN_LEFT,
        tooltip=lambda d: _cell_tooltip(d, fields),
        background=lambda d: _cell_background(d, fields),
    )


def _sex_text(draft: StudentDraft) -> str:
    if draft.sex == SEX_FEMALE:
        return _("Nữ")
    if draft.sex == SEX_MALE:
        return _("Nam")
    return draft.shown.get("sex", "")


def _bold_if_error(draft: StudentDraft) -> QFont | None:
    if not draft.errors:
        return None
    font = QFont()
    font.setBold(True)
    return font


def preview_columns() -> tuple[Column, ...]:
    date_fields = ("date_of_birth",)
    return (
        Column(
            header=_("Dòng"),
            text=lambda d: str(d.row),
            alignment=ALIGN_CENTER,
            header_tooltip=_("Số dòng trong tệp Excel"),
            background=lambda d: ERROR_CELL_BG if d.errors else None,
            font=_bold_if_error,
        ),
        _column(
            _("Họ và tên"), lambda d: d.full_name or d.shown.get("full_name", ""), "full_name", "given_name"
        ),
        _column(
            _("Ngày sinh"),
            lambda d: format_date(d.date_of_birth) if d.date_of_birth else d.shown.get("date_of_birth", ""),
            *date_fields,
            center=True,
        ),
        _column(_("Giới tính"), _sex_text, "sex", center=True),
        _column(
            _("Số định danh"),
            lambda d: d.national_id or d.shown.get("national_id", ""),
            "national_id",
            center=True,
        ),
        _column(_("Mã học sinh"), lambda d: d.student_code or "", "student_code", center=True),
        _column(_("Lớp"), lambda d: d.class_name or d.shown.get("class_name", ""), "class_name", center=True),
        Column(
            header=_("Vấn đề"),
            text=_problem_text,
            tooltip=lambda d: "\n".join(i.message for i in (*d.errors, *d.notes)) or None,
            foreground=lambda d: ERROR_TEXT if d.errors else (NOTE_TEXT if d.notes else None),
            background=lambda d: ERROR_ROW_BG if d.errors else None,
        ),
    )


class ImportDialog(QDialog):
    """Import students of one class (or, for the admin, of the whole school) from .xlsx."""

    imported = Signal(object)  # ImportReport, after a successful import

    def __init__(
        self,
        db: Database,
        actor: Actor,
        class_names: Sequence[str],
        *,
        initial_class: str | None = None,
        today: date | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._db = db
        self._actor = actor
        self._today = today
        self.preview: StudentImportPreview | None = None
        self.report: ImportReport | None = None
        self.path: Path | None = None
        self.busy = False
        self._reload_pending = False
        self.setWindowTitle(_("Nhập danh sách học sinh từ Excel"))
        self.setMinimumSize(1000, 640)

        self.file_label = QLabel(_("Chưa chọn tệp."))
        self.file_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.choose_button = QPushButton(_("Chọn tệp Excel…"))
        self.choose_button.clicked.connect(self.choose_file)

        self.class_combo = QComboBox()
        self.class_combo.setAccessibleName(_("Nhập vào lớp"))
        if actor.is_admin:
            self.class_combo.addItem(_("Theo cột “Lớp” trong tệp"), ALL_CLASSES)
        for name in class_names:
            self.class_combo.addItem(_("Lớp {name}").format(name=name), name)
        if initial_class is not None:
            index = self.class_combo.findData(initial_class)
            if index >= 0:
                self.class_combo.setCurrentIndex(index)
        self.class_combo.currentIndexChanged.connect(self._on_class_changed)
        class_label = QLabel(_("Nhập &vào:"))
        class_label.setBuddy(self.class_combo)

        top = QHBoxLayout()
        top.addWidget(self.choose_button)
        top.addWidget(self.file_label, 1)
        top.addWidget(class_label)
        top.addWidget(self.class_combo)

        self.summary_label = QLabel(_("Chọn tệp Excel (.xlsx) có danh sách học sinh để xem trước."))
        self.summary_label.setObjectName("importSummary")
        self.summary_label.setWordWrap(True)
        summary_font = self.summary_label.font()
        summary_font.setBold(True)
        self.summary_label.setFont(summary_font)
        self.warnings_label = QLabel()
        self.warnings_label.setWordWrap(True)
        self.warnings_label.setStyleSheet(
            "background: #fff7e0; border: 1px solid #e0c26a; border-radius: 4px; padding: 6px;"
        )
        self.warnings_label.hide()
        self.error_label = QLabel()
        self.error_label.setObjectName("pageError")
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)  # busy, length unknown
        self.progress.setMaximumHeight(8)
        self.progress.setTextVisible(False)
        self.progress.hide()

        self.only_errors = QCheckBox(_("Chỉ hiện các dòng có lỗi"))
        self.only_errors.toggled.connect(self._refill)

        self.model = DataclassTableModel(preview_columns(), (), self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setHighlightSections(False)
        self.table.verticalHeader().setDefaultSectionSize(int(self.table.fontMetrics().height() * 1.6))
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.setAccessibleName(_("Xem trước các dòng của tệp"))
        self.table.selectionModel().selectionChanged.connect(self._on_selection)

        self.detail = QTextBrowser()
        self.detail.setAccessibleName(_("Các vấn đề của dòng đang chọn"))
        self.detail.setMinimumHeight(int(self.detail.fontMetrics().height() * 7))
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self.table)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)

        self.reload_button = QPushButton(_("Đọc lại tệp"))
        self.reload_button.setToolTip(_("Sau khi sửa tệp trong Excel và lưu lại, bấm để kiểm tra lại."))
        self.reload_button.clicked.connect(self.reload)
        self.import_button = QPushButton(_("Nhập vào dữ liệu"))
        self.import_button.setDefault(True)
        self.import_button.clicked.connect(self.start_import)
        self.close_button = QPushButton(_("Đóng"))
        self.close_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.only_errors)
        buttons.addStretch(1)
        buttons.addWidget(self.reload_button)
        buttons.addWidget(self.import_button)
        buttons.addWidget(self.close_button)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.progress)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.error_label)
        layout.addWidget(self.warnings_label)
        layout.addWidget(splitter, 1)
        layout.addLayout(buttons)
        self._update_buttons()
        self._show_detail(None)

    # -- what the class page and tests use ----------------------------------------------------

    @property
    def target_class(self) -> str | None:
        value = self.class_combo.currentData()
        return value or None

    @Slot()
    def choose_file(self) -> None:
        start = str(self.path.parent) if self.path else str(Path.home())
        name, _filter = QFileDialog.getOpenFileName(
            self, _("Chọn tệp danh sách học sinh"), start, _("Tệp Excel (*.xlsx)")
        )
        if name:
            self.load_file(Path(name))

    def load_file(self, path: Path) -> None:
        """Read and check `path` in the background; the preview appears when done."""
        self.path = path
        self.file_label.setText(path.name)
        self.file_label.setToolTip(str(path))
        self.reload()

    @Slot()
    def reload(self) -> None:
        if self.path is None:
            return
        if self.busy:
            self._reload_pending = True  # e.g. the class changed while the file was being read
            return
        path, target, today = self.path, self.target_class, self._today
        db, actor = self._db, self._actor
        self._set_busy(_("Đang đọc và kiểm tra tệp {name}…").format(name=path.name))
        run_in_background(
            self,
            lambda: preview_students(db, actor, path, class_name=target, today=today),
            weak_callback(self._preview_ready),
            weak_callback(self._failed),
        )

    @Slot()
    def start_import(self) -> None:
        preview = self.preview
        if preview is None or not preview.ok or self.busy:
            return
        db, actor = self._db, self._actor
        self._set_busy(_("Đang ghi {n} học sinh vào dữ liệu…").format(n=len(preview.rows)))
        run_in_background(
            self,
            lambda: import_students(db, actor, preview),
            weak_callback(self._import_done),
            weak_callback(self._failed),
        )

    # -- results -------------------------------------------------------------------------

    def _set_busy(self, message: str) -> None:
        self.busy = True
        self.progress.show()
        self.error_label.hide()
        self.summary_label.setText(message)
        self._update_buttons()

    def _idle(self) -> None:
        self.busy = False
        self.progress.hide()
        self._update_buttons()

    def _preview_ready(self, preview: object) -> None:
        assert isinstance(preview, StudentImportPreview)
        self._idle()
        if self._reload_pending:
            self._reload_pending = False
            self.reload()
            return
        self.preview = preview
        self.report = None
        self._refill()
        self._show_summary()
        self._update_buttons()
        self._select_first_error()

    def _import_done(self, report: object) -> None:
        assert isinstance(report, ImportReport)
        self._idle()
        if report.errors:
            # The database changed since the preview (someone added students meanwhile).
            self.error_label.setText(
                _("Dữ liệu vừa thay đổi nên chưa nhập được; chưa có gì được ghi. Đang kiểm tra lại tệp…")
            )
            self.error_label.show()
            self.reload()
            return
        self.report = report
        target = self.target_class
        where = _("vào lớp {name}").format(name=target) if target else _("vào các lớp theo tệp")
        self.summary_label.setText(
            _("Đã nhập {n} học sinh {where}. Có thể đóng cửa sổ này.").format(n=report.imported, where=where)
        )
        self.close_button.setText(_("Xong"))
        self._update_buttons()
        self.imported.emit(report)

    def _failed(self, error: BaseException) -> None:
        self._idle()
        if not isinstance(error, UserFacingError):
            raise error
        self.preview = None
        self.model.set_rows(())
        self.error_label.setText(error.message)
        self.error_label.show()
        self.summary_label.setText(_("Chưa đọc được tệp."))
        self.warnings_label.hide()
        self._update_buttons()

    # -- showing -------------------------------------------------------------------------

    @Slot()
    def _refill(self) -> None:
        rows: tuple[StudentDraft, ...] = self.preview.rows if self.preview else ()
        if self.only_errors.isChecked():
            rows = tuple(r for r in rows if r.errors)
        self.model.set_rows(rows)
        self.table.resizeColumnsToContents()
        header = self.table.horizontalHeader()
        for column in range(self.model.columnCount() - 1):
            header.resizeSection(column, min(header.sectionSize(column) + 16, 320))
        self._show_detail(None)

    def _show_summary(self) -> None:
        preview = self.preview
        if preview is None:
            return
        total, bad = len(preview.rows), preview.error_row_count
        source = _("Trang “{sheet}”, dòng tiêu đề ở dòng {row}.").format(
            sheet=preview.parsed.sheet, row=preview.parsed.header_row
        )
        if bad:
            text = _(
                "Tệp có {total} dòng học sinh, {bad} dòng có lỗi (tô đỏ). Chưa nhập gì: hãy sửa các lỗi "
                "trong tệp Excel, lưu lại rồi bấm “Đọc lại tệp”."
            ).format(total=total, bad=bad)
            self.summary_label.setStyleSheet("color: #8a0b17;")
        else:
            text = _("Cả {total} dòng đều hợp lệ. Bấm “Nhập {total} học sinh” để ghi vào dữ liệu.").format(
                total=total
            )
            self.summary_label.setStyleSheet("color: #1d5c2e;")
        self.summary_label.setText(f"{text} {source}")
        messages = [w.message for w in preview.warnings]
        if preview.parsed.footer_rows:
            messages.append(
                _("Bỏ qua dòng tổng cộng và chữ ký cuối bảng (dòng {rows}).").format(
                    rows=", ".join(str(r) for r in preview.parsed.footer_rows)
                )
            )
        self.warnings_label.setText("\n".join(f"• {m}" for m in messages))
        self.warnings_label.setVisible(bool(messages))

    def _update_buttons(self) -> None:
        preview = self.preview
        can_import = bool(preview and preview.ok) and not self.busy and self.report is None
        self.import_button.setEnabled(can_import)
        if preview is not None and self.report is None:
            self.import_button.setText(_("Nhập {n} học sinh").format(n=len(preview.rows)))
        self.reload_button.setEnabled(self.path is not None and not self.busy and self.report is None)
        self.choose_button.setEnabled(not self.busy and self.report is None)
        self.class_combo.setEnabled(not self.busy and self.report is None)
        self.close_button.setEnabled(not self.busy)

    def _select_first_error(self) -> None:
        for row, draft in enumerate(self.model.rows):
            if draft.errors:
                self.table.selectRow(row)
                self.table.scrollTo(self.model.index(row, 0))
                return

    @Slot(QItemSelection, QItemSelection)
    def _on_selection(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        rows = self.table.selectionModel().selectedRows()
        self._show_detail(self.model.row_at(rows[0]) if rows else None)

    def _show_detail(self, draft: StudentDraft | None) -> None:
        e = html.escape
        if draft is None:
            self.detail.setHtml(
                f"<p style='color:#555555'>{e(_('Chọn một dòng để xem đầy đủ các vấn đề của dòng đó.'))}</p>"
            )
            return
        name = draft.full_name or _("(chưa có tên)")
        parts = [f"<p><b>{e(_('Dòng {row}').format(row=draft.row))}: {e(name)}</b></p>"]
        if draft.errors:
            items = "".join(
                f"<li><b>{e(_(FIELD_LABELS.get(i.field, i.field)))}</b>: {e(i.message)}</li>"
                for i in draft.errors
            )
            parts.append(f"<p style='color:#8a0b17'>{e(_('Lỗi cần sửa trong tệp:'))}</p><ul>{items}</ul>")
        else:
            parts.append(f"<p style='color:#1d5c2e'>{e(_('Dòng này hợp lệ.'))}</p>")
        if draft.notes:
            items = "".join(
                f"<li><b>{e(_(FIELD_LABELS.get(i.field, i.field)))}</b>: {e(i.message)}</li>"
                for i in draft.notes
            )
            parts.append(f"<p style='color:#7a5200'>{e(_('Lưu ý:'))}</p><ul>{items}</ul>")
        self.detail.setHtml("".join(parts))

    @Slot(int)
    def _on_class_changed(self, _index: int) -> None:
        if self.path is not None and self.report is None:
            self.reload()
