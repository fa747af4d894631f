"""The "Báo cáo" area: the principal's view of how far the records are, class by class.

Top to bottom: the school totals in one line, the per-class table (students, complete
records, mark books locked, subject sheets signed, homeroom teacher signed, leader
approved, issued, sent to the department) with the school total as its last row, and the
people who still need a signing certificate. "Xuất Excel…" writes the same report to .xlsx.
Building the report evaluates every class (about a second for a school of 500 pupils), so
it runs off the GUI thread; so does the export. Leaders and admins only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.errors import UserFacingError
from app.i18n import _
from app.models.db import Database
from app.services.access import Actor
from app.services.report_workbook import write_report
from app.services.reports import ClassProgress, PrincipalReport, principal_report, require_reports
from app.ui import theme
from app.ui.background import run_in_background

log = logging.getLogger(__name__)

_DONE_BG = QColor("#dff0d8")  # every record of the class has reached this step


def _progress_headers() -> tuple[str, ...]:
    return (
        _("Lớp"),
        _("Giáo viên chủ nhiệm"),
        _("Sĩ số"),
        _("Học bạ đủ dữ liệu"),
        _("Sổ điểm đã khoá"),
        _("Bảng điểm môn đã ký"),
        _("GVCN đã ký"),
        _("Lãnh đạo đã duyệt"),
        _("Đã phát hành"),
        _("Đã gửi lên Sở"),
    )


def _certificate_headers() -> tuple[str, ...]:
    return (_("Người ký"), _("Tài khoản"), _("Ký với vai trò"), _("Vấn đề"))


def _cells(p: ClassProgress) -> list[tuple[str, bool]]:
    """The row's texts, each with whether the step is done for the whole class."""
    students = p.students
    return [
        (p.class_name, False),
        (p.homeroom_name or "", False),
        (str(students), False),
        (str(p.complete), students > 0 and p.complete == students),
        (f"{p.markbooks_locked}/{p.markbooks}", p.markbooks > 0 and p.markbooks_locked == p.markbooks),
        (f"{p.sheets_signed}/{p.sheets}", p.sheets > 0 and p.sheets_signed >= p.sheets),
        (str(p.gvcn_signed), students > 0 and p.gvcn_signed == students),
        (str(p.leader_signed), students > 0 and p.leader_signed == students),
        (str(p.issued), students > 0 and p.issued == students),
        (str(p.synced), students > 0 and p.synced == students),
    ]


class ReportsPage(QWidget):
    def __init__(
        self, db: Database, actor: Actor, parent: QWidget | None = None, *, background: bool = True
    ) -> None:
        super().__init__(parent)
        self.db, self.actor = db, actor
        self._background = background
        self.report: PrincipalReport | None = None
        self.last_export: Path | None = None

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 8)
        layout.setSpacing(8)
        head = QHBoxLayout()
        self.title_label = QLabel(_("Báo cáo tiến độ học bạ"))
        font = self.title_label.font()
        font.setPointSizeF(theme.HEADER_POINT_SIZE)
        font.setBold(True)
        self.title_label.setFont(font)
        head.addWidget(self.title_label, 1)
        self.refresh_button = QPushButton(_("Làm mới"))
        self.refresh_button.setToolTip(_("Tính lại báo cáo từ dữ liệu hiện tại"))
        self.export_button = QPushButton(_("Xuất Excel…"))
        self.export_button.setToolTip(
            _("Lưu báo cáo (tiến độ từng lớp và danh sách thiếu chứng thư số) ra .xlsx")
        )
        head.addWidget(self.refresh_button)
        head.addWidget(self.export_button)
        layout.addLayout(head)

        self.denied_label = QLabel()
        self.denied_label.setObjectName("pageError")
        self.denied_label.setWordWrap(True)
        self.denied_label.hide()
        layout.addWidget(self.denied_label)
        try:
            require_reports(actor)
        except UserFacingError as exc:
            self.denied_label.setText(exc.message)
            self.denied_label.show()
            self.refresh_button.hide()
            self.export_button.hide()
            layout.addStretch(1)
            self.allowed = False
            return
        self.allowed = True

        self.totals_label = QLabel()
        self.totals_label.setObjectName("countsLine")
        self.totals_label.setWordWrap(True)
        layout.addWidget(self.totals_label)
        self.table = self._table(_progress_headers())
        layout.addWidget(self.table, 3)

        self.certificates_box = QGroupBox(_("Còn thiếu chứng thư số"))
        box = QVBoxLayout(self.certificates_box)
        self.certificates_note = QLabel()
        self.certificates_note.setWordWrap(True)
        box.addWidget(self.certificates_note)
        self.certificates = self._table(_certificate_headers())
        box.addWidget(self.certificates)
        layout.addWidget(self.certificates_box, 2)
        layout.addStretch(0)
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.status_label)

        self.refresh_button.clicked.connect(self.refresh)
        self.export_button.clicked.connect(self._ask_export)
        self.refresh()

    def _table(self, headers: tuple[str, ...]) -> QTableWidget:
        table = QTableWidget(0, len(headers))
        table.setHorizontalHeaderLabels(list(headers))
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.verticalHeader().hide()
        table.setWordWrap(False)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        return table

    # -- loading ----------------------------------------------------------------------------

    @Slot()
    def refresh(self) -> None:
        if not self.allowed:
            return
        self.refresh_button.setEnabled(False)
        self.export_button.setEnabled(False)
        self.status_label.setText(_("Đang lập báo cáo…"))
        db, actor = self.db, self.actor
        self._run(lambda: principal_report(db, actor), self._loaded)

    def _run(self, work: Callable[[], Any], done: Callable[[Any], None]) -> None:
        if self._background:
            run_in_background(self, work, done, self._failed)
            return
        try:
            result = work()
        except BaseException as exc:  # the same path as a background error
            self._failed(exc)
        else:
            done(result)

    def _loaded(self, report: PrincipalReport) -> None:
        self.report = report
        self.refresh_button.setEnabled(True)
        self.export_button.setEnabled(True)
        year = report.year_name.replace("-", "–") if report.year_name else _("chưa có năm học")
        self.title_label.setText(_("Báo cáo tiến độ học bạ — năm học {year}").format(year=year))
        t = report.totals
        self.totals_label.setText(
            _(
                "Toàn trường: {students} học sinh · {complete} học bạ đủ dữ liệu · sổ điểm đã khoá "
                "{locked}/{markbooks} · GVCN đã ký {gvcn} · lãnh đạo đã duyệt {leader} · đã phát hành "
                "{issued} · đã gửi lên Sở {synced}."
            ).format(
                students=t.students,
                complete=t.complete,
                locked=t.markbooks_locked,
                markbooks=t.markbooks,
                gvcn=t.gvcn_signed,
                leader=t.leader_signed,
                issued=t.issued,
                synced=t.synced,
            )
        )
        self._fill_progress(report)
        self._fill_certificates(report)
        self.status_label.setText(
            _("Lập lúc {time}.").format(time=report.generated_at.strftime("%H:%M %d/%m/%Y"))
        )

    def _fill_progress(self, report: PrincipalReport) -> None:
        rows = [*report.classes, report.totals]
        self.table.setRowCount(len(rows))
        bold = QFont(self.table.font())
        bold.setBold(True)
        for r, progress in enumerate(rows):
            total = progress.class_id is None
            for c, (text, done) in enumerate(_cells(progress)):
                item = QTableWidgetItem(_("Toàn trường") if total and c == 0 else text)
                if c >= 2:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if done and not total:
                    item.setBackground(_DONE_BG)
                if total:
                    item.setFont(bold)
                self.table.setItem(r, c, item)

    def _fill_certificates(self, report: PrincipalReport) -> None:
        missing = report.missing_certificates
        self.certificates_box.setTitle(_("Còn thiếu chứng thư số ({n})").format(n=len(missing)))
        if missing:
            self.certificates_note.setText(
                _(
                    "Những người dưới đây phải ký học bạ năm nay nhưng chưa có chứng thư số dùng được. "
                    "Cán bộ quản trị đăng ký chứng thư ở mục Thiết lập trường (hoặc lệnh register-cert)."
                )
            )
        else:
            self.certificates_note.setText(_("Mọi người cần ký đều đã có chứng thư số hợp lệ."))
        self.certificates.setVisible(bool(missing))
        self.certificates.setRowCount(len(missing))
        for r, m in enumerate(missing):
            for c, text in enumerate((m.name, m.login, m.needed_for, m.problem)):
                self.certificates.setItem(r, c, QTableWidgetItem(text))

    def _failed(self, exc: BaseException) -> None:
        self.refresh_button.setEnabled(True)
        self.export_button.setEnabled(self.report is not None)
        if isinstance(exc, UserFacingError):
            self.status_label.setText(exc.message)
        else:
            log.error("principal report failed", exc_info=exc)
            self.status_label.setText(
                _("Không lập được báo cáo. Lỗi đã được ghi vào nhật ký; hãy báo cho cán bộ quản trị.")
            )

    # -- export -----------------------------------------------------------------------------

    @Slot()
    def _ask_export(self) -> None:
        suggested = Path.home() / f"bao-cao-hoc-ba-{datetime.now():%Y%m%d}.xlsx"
        path, _filter = QFileDialog.getSaveFileName(
            self, _("Xuất báo cáo ra Excel"), str(suggested), _("Bảng tính Excel (*.xlsx)")
        )
        if path:
            self.export_to(Path(path))

    def export_to(self, path: Path) -> None:
        """Write the report on screen to `path` (.xlsx) off the GUI thread."""
        if self.report is None:
            return
        if path.suffix.lower() != ".xlsx":
            path = path.with_suffix(".xlsx")
        report = self.report
        self.export_button.setEnabled(False)
        self.status_label.setText(_("Đang xuất báo cáo ra {file}…").format(file=path.name))

        def write() -> Path:
            write_report(report, path)
            return path

        self._run(write, self._exported)

    def _exported(self, path: Path) -> None:
        self.export_button.setEnabled(True)
        self.refresh_button.setEnabled(True)
        self.last_export = path
        self.status_label.setText(_("Đã xuất báo cáo ra tệp {path}.").format(path=path))
