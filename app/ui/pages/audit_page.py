"""The "Nhật ký" area: who changed what, when; export to Excel; and the school's backups.

Top to bottom: the filters (class, student, person, from/to date; every change applies at
once), a counts line, the table of entries (newest first), and the "Sao lưu dữ liệu" box
(last backup, where backups go, a warning when they all sit on the data's own disk,
"Sao lưu ngay" and "Sao lưu ra thư mục khác…").

Reading a screenful of the log is a short read (GUI thread, architecture.md §3); the
export and the backups run on the thread pool. Only leaders and admins see anything
here; the services refuse everyone else anyway.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from pathlib import Path

from PySide6.QtCore import QDate, Qt, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.errors import UserFacingError
from app.i18n import _
from app.models.db import Database
from app.services import backup_settings
from app.services.access import Actor
from app.services.audit_query import (
    AuditFilter,
    AuditResult,
    AuditRow,
    audit_choices,
    export_audit_xlsx,
    query_audit,
    require_audit_reader,
    students_of_class,
)
from app.services.backup import require_backup_rights
from app.services.backup_settings import BackupRound
from app.services.backup_thinning import SCHOOL_TZ
from app.services.datafolder import format_bytes
from app.ui import theme
from app.ui.background import run_in_background
from app.ui.backup_scheduler import BackupScheduler
from app.ui.itemmodels import DataclassTableModel
from app.ui.itemmodels.dataclass_table import Column

log = logging.getLogger(__name__)

DEFAULT_DAYS = 30
ALL = None  # the "all" entry of each filter combo carries no id

AUDIT_COLUMNS = (
    Column("Thời gian", lambda r: r.local_time),
    Column("Người thực hiện", lambda r: r.actor_name, tooltip=lambda r: r.actor_login),
    Column("Việc", lambda r: r.action_label, tooltip=lambda r: r.action),
    Column("Lớp", lambda r: r.class_name),
    Column("Học sinh", lambda r: r.student_name),
    Column("Nội dung thay đổi", lambda r: r.change, tooltip=lambda r: r.change or None),
)


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _pydate(qdate: QDate) -> date:
    return date(qdate.year(), qdate.month(), qdate.day())


def _local_time(when: datetime) -> str:
    return when.astimezone(SCHOOL_TZ).strftime("%H:%M ngày %d/%m/%Y")


class AuditPage(QWidget):
    def __init__(
        self,
        db: Database,
        actor: Actor,
        db_path: Path | None = None,
        scheduler: BackupScheduler | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.db = db
        self.actor = actor
        self.db_path = db_path or db.path
        self.result: AuditResult | None = None
        self.last_export: Path | None = None
        self._loading = False
        # Manual backups need a scheduler; the app's own one when running, else a local idle one.
        self.scheduler = scheduler or BackupScheduler(self.db_path, db.key, self)
        self.scheduler.finished.connect(self._backup_done)
        self.scheduler.failed.connect(self._backup_failed)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 8)
        layout.setSpacing(8)
        title = QLabel(_("Nhật ký thay đổi"))
        font = title.font()
        font.setPointSizeF(theme.HEADER_POINT_SIZE)
        font.setBold(True)
        title.setFont(font)
        layout.addWidget(title)

        self.denied_label = QLabel()
        self.denied_label.setObjectName("pageError")
        self.denied_label.setWordWrap(True)
        self.denied_label.hide()
        layout.addWidget(self.denied_label)
        try:
            require_audit_reader(actor)
        except UserFacingError as exc:
            self.denied_label.setText(exc.message)
            self.denied_label.show()
            layout.addStretch(1)
            self.allowed = False
            return
        self.allowed = True

        layout.addLayout(self._make_filters())
        self.counts_label = QLabel()
        self.counts_label.setObjectName("countsLine")
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.counts_label)
        self.model = DataclassTableModel(AUDIT_COLUMNS, (), self)
        self.table = self._make_table()
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status_label)
        layout.addWidget(self._make_backup_box())
        self._load_choices()
        self.refresh()
        self._show_backup_state()

    # -- building ---------------------------------------------------------------------------

    def _make_filters(self) -> QGridLayout:
        grid = QGridLayout()
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(4)
        self.class_combo = QComboBox()
        self.student_combo = QComboBox()
        self.user_combo = QComboBox()
        for combo in (self.class_combo, self.student_combo, self.user_combo):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            combo.setMaxVisibleItems(20)
            combo.setMinimumWidth(150)
            combo.setMaximumWidth(340)
        self.from_edit = QDateEdit()
        self.to_edit = QDateEdit()
        today = datetime.now(SCHOOL_TZ).date()
        for edit, day in ((self.from_edit, today - timedelta(days=DEFAULT_DAYS)), (self.to_edit, today)):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("dd/MM/yyyy")
            edit.setDate(_qdate(day))
        self.refresh_button = QPushButton(_("Làm mới"))
        self.export_button = QPushButton(_("Xuất Excel…"))
        self.export_button.setToolTip(_("Lưu các mục đang lọc ra tệp .xlsx (số định danh được che)."))
        labels = (_("&Lớp:"), _("&Học sinh:"), _("&Người thực hiện:"), _("&Từ ngày:"), _("Đến ngà&y:"))
        widgets = (self.class_combo, self.student_combo, self.user_combo, self.from_edit, self.to_edit)
        for column, (text, widget) in enumerate(zip(labels, widgets, strict=True)):
            label = QLabel(text)
            label.setBuddy(widget)
            grid.addWidget(label, 0, column)
            grid.addWidget(widget, 1, column)
        buttons = QHBoxLayout()
        buttons.addWidget(self.refresh_button)
        buttons.addWidget(self.export_button)
        grid.addLayout(buttons, 1, len(widgets))
        grid.setColumnStretch(len(widgets) + 1, 1)
        self.class_combo.currentIndexChanged.connect(self._class_changed)
        self.student_combo.currentIndexChanged.connect(self._filter_changed)
        self.user_combo.currentIndexChanged.connect(self._filter_changed)
        self.from_edit.dateChanged.connect(self._filter_changed)
        self.to_edit.dateChanged.connect(self._filter_changed)
        self.refresh_button.clicked.connect(self.refresh)
        self.export_button.clicked.connect(self._ask_export)
        return grid

    def _make_table(self) -> QTableView:
        table = QTableView()
        table.setModel(self.model)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setAlternatingRowColors(True)
        table.setWordWrap(False)
        table.verticalHeader().hide()
        table.verticalHeader().setDefaultSectionSize(int(table.fontMetrics().height() * 1.6))
        header = table.horizontalHeader()
        header.setStretchLastSection(True)
        header.setHighlightSections(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        table.setAccessibleName(_("Các mục nhật ký thay đổi"))
        return table

    def _make_backup_box(self) -> QGroupBox:
        box = QGroupBox(_("Sao lưu dữ liệu"))
        column = QVBoxLayout(box)
        self.backup_label = QLabel()
        self.backup_label.setWordWrap(True)
        self.backup_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.backup_warning = QLabel()
        self.backup_warning.setWordWrap(True)
        self.backup_warning.setStyleSheet(f"color: {theme.WARNING_TEXT.name()}; font-weight: bold;")
        row = QHBoxLayout()
        self.backup_button = QPushButton(_("Sao lưu ngay"))
        self.backup_elsewhere_button = QPushButton(_("Sao lưu ra thư mục khác…"))
        self.backup_folder_button = QPushButton(_("Chọn nơi sao lưu tự động…"))
        self.backup_folder_button.setVisible(self.actor.is_admin)
        row.addWidget(self.backup_button)
        row.addWidget(self.backup_elsewhere_button)
        row.addWidget(self.backup_folder_button)
        row.addStretch(1)
        column.addWidget(self.backup_label)
        column.addWidget(self.backup_warning)
        column.addLayout(row)
        self.backup_button.clicked.connect(self.back_up_now)
        self.backup_elsewhere_button.clicked.connect(self._ask_backup_elsewhere)
        self.backup_folder_button.clicked.connect(self._ask_backup_folder)
        return box

    # -- filters ------------------------------------------------------------------------------

    def _load_choices(self) -> None:
        self._loading = True
        try:
            choices = audit_choices(self.db, self.actor)
            self.class_combo.clear()
            self.class_combo.addItem(_("Tất cả các lớp"), ALL)
            for c in choices.classes:
                self.class_combo.addItem(c.label, c.id)
            self.user_combo.clear()
            self.user_combo.addItem(_("Tất cả mọi người"), ALL)
            for c in choices.users:
                self.user_combo.addItem(c.label, c.id)
            self._fill_students(None)
        finally:
            self._loading = False

    def _fill_students(self, class_id: int | None) -> None:
        self.student_combo.clear()
        self.student_combo.addItem(_("Tất cả học sinh"), ALL)
        if class_id is not None:
            for c in students_of_class(self.db, self.actor, class_id):
                self.student_combo.addItem(c.label, c.id)
        self.student_combo.setEnabled(class_id is not None)

    def current_filter(self) -> AuditFilter:
        return AuditFilter(
            class_id=self.class_combo.currentData(),
            student_id=self.student_combo.currentData(),
            actor_login=self.user_combo.currentData(),
            date_from=_pydate(self.from_edit.date()),
            date_to=_pydate(self.to_edit.date()),
        )

    def set_filter(
        self,
        *,
        class_id: int | None = None,
        student_id: int | None = None,
        actor_login: str | None = None,
        date_from: date | None = None,
        date_to: date | None = None,
    ) -> None:
        """Set every filter at once (one query), as a person would by picking in the combos."""
        self._loading = True
        try:
            self.class_combo.setCurrentIndex(max(0, self.class_combo.findData(class_id)))
            self._fill_students(class_id)
            self.student_combo.setCurrentIndex(max(0, self.student_combo.findData(student_id)))
            self.user_combo.setCurrentIndex(max(0, self.user_combo.findData(actor_login)))
            if date_from is not None:
                self.from_edit.setDate(_qdate(date_from))
            if date_to is not None:
                self.to_edit.setDate(_qdate(date_to))
        finally:
            self._loading = False
        self.refresh()

    @Slot(int)
    def _class_changed(self, _index: int) -> None:
        if self._loading:
            return
        self._loading = True
        try:
            self._fill_students(self.class_combo.currentData())
        finally:
            self._loading = False
        self.refresh()

    @Slot()
    def _filter_changed(self) -> None:
        if not self._loading:
            self.refresh()

    @Slot()
    def refresh(self) -> None:
        try:
            result = query_audit(self.db, self.actor, self.current_filter())
        except UserFacingError as exc:
            self.status_label.setText(exc.message)
            return
        self.result = result
        self.model.set_rows(result.rows)
        self.table.resizeColumnsToContents()
        if result.truncated:
            text = _("Đang hiện {shown} mục mới nhất trong {total} mục khớp bộ lọc.")
        else:
            text = _("{total} mục khớp bộ lọc.")
        self.counts_label.setText(text.format(shown=len(result.rows), total=result.total))

    def rows(self) -> tuple[AuditRow, ...]:
        return self.model.rows

    # -- export -------------------------------------------------------------------------------

    @Slot()
    def _ask_export(self) -> None:
        suggested = Path.home() / f"nhat-ky-{datetime.now(SCHOOL_TZ):%Y%m%d}.xlsx"
        path, _filter = QFileDialog.getSaveFileName(
            self, _("Xuất nhật ký ra Excel"), str(suggested), _("Bảng tính Excel (*.xlsx)")
        )
        if path:
            self.export_to(Path(path))

    def export_to(self, path: Path) -> None:
        """Export the current filter's entries to `path` on the thread pool."""
        if path.suffix.lower() != ".xlsx":
            path = path.with_suffix(".xlsx")
        flt, db, actor = self.current_filter(), self.db, self.actor
        self.export_button.setEnabled(False)
        self.status_label.setText(_("Đang xuất nhật ký ra {file}…").format(file=path.name))
        run_in_background(self, lambda: export_audit_xlsx(db, actor, flt, path), self._exported, self._failed)

    def _exported(self, result: object) -> None:
        self.export_button.setEnabled(True)
        path = getattr(result, "path", None)
        self.last_export = path
        self.status_label.setText(
            _("Đã xuất {n} mục ra tệp {path}.").format(n=getattr(result, "rows", 0), path=path)
        )
        self.refresh()  # the export itself is now in the log

    def _failed(self, exc: BaseException) -> None:
        self.export_button.setEnabled(True)
        if isinstance(exc, UserFacingError):
            self.status_label.setText(exc.message)
        else:
            log.error("audit export failed", exc_info=exc)
            self.status_label.setText(_("Không xuất được nhật ký: {error}").format(error=exc))

    # -- backups ------------------------------------------------------------------------------

    def _show_backup_state(self) -> None:
        folders = backup_settings.backup_folders(self.db_path)
        newest = backup_settings.newest_backup_time(self.db_path)
        when = _local_time(newest) if newest else _("chưa có")
        where = "; ".join(str(f) for f in folders)
        self.backup_label.setText(
            _("Bản sao lưu gần nhất: {when}. Nơi sao lưu tự động: {where}.").format(when=when, where=where)
        )
        if backup_settings.only_on_data_disk(self.db_path, folders):
            self.backup_warning.setText(
                _(
                    "Mọi bản sao lưu đang nằm trên cùng ổ đĩa với dữ liệu: nếu ổ hỏng sẽ mất cả hai. Hãy "
                    "sao lưu ra USB hoặc nhờ cán bộ quản trị chọn thêm một nơi sao lưu trên ổ khác."
                )
            )
            self.backup_warning.show()
        else:
            self.backup_warning.hide()

    @Slot()
    def back_up_now(self, folders: tuple[Path, ...] | None = None) -> bool:
        try:
            require_backup_rights(self.actor)
        except UserFacingError as exc:
            self.status_label.setText(exc.message)
            return False
        if not self.scheduler.back_up_now(folders):
            self.status_label.setText(_("Đang sao lưu, xin chờ một chút…"))
            return False
        self.backup_button.setEnabled(False)
        self.backup_elsewhere_button.setEnabled(False)
        self.status_label.setText(_("Đang sao lưu…"))
        return True

    @Slot()
    def _ask_backup_elsewhere(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, _("Chọn thư mục (USB, ổ khác) để sao lưu"))
        if folder:
            self.back_up_now((Path(folder),))

    @Slot()
    def _ask_backup_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, _("Chọn nơi sao lưu tự động (nên ở ổ khác hoặc USB)"))
        if not folder:
            return
        try:
            backup_settings.set_backup_folders(self.actor, self.db_path, (Path(folder),))
        except UserFacingError as exc:
            self.status_label.setText(exc.message)
            return
        self._show_backup_state()

    def _backup_done(self, result: object) -> None:
        self.backup_button.setEnabled(True)
        self.backup_elsewhere_button.setEnabled(True)
        if not isinstance(result, BackupRound):
            return
        parts = [
            _("Đã sao lưu vào {folder} ({size}).").format(
                folder=r.snapshot.path.parent, size=format_bytes(r.snapshot.bytes)
            )
            for r in result.results
        ]
        parts += [
            _("Không sao lưu được vào {folder}: {why}").format(folder=f, why=m) for f, m in result.failures
        ]
        self.status_label.setText(" ".join(parts))
        self._show_backup_state()

    def _backup_failed(self, message: str) -> None:
        self.backup_button.setEnabled(True)
        self.backup_elsewhere_button.setEnabled(True)
        self.status_label.setText(_("Không sao lưu được: {why}").format(why=message))
