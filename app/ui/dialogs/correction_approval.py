"""Duyệt đề nghị đính chính học bạ: the principal or a vice principal decides on the requests.

Lists the requests waiting for a decision (oldest first) with the student, class, version,
reason and who asked; beside it the picked student's history. Approving creates the new
version of the record as a draft and opens the student's values for the correction; it is
then re-signed through the whole order (the Ký số page). Rejecting needs a note saying why,
which the homeroom teacher sees. The Ký số page opens this dialog by its class name.

Each decision is one short write (tens of milliseconds) and runs on the GUI thread.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QItemSelection, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QLineEdit,
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
from app.services import corrections
from app.services.access import Actor
from app.services.corrections import Correction
from app.services.markbook_common import to_local
from app.ui.dialogs.correction_request import history_html
from app.ui.itemmodels import Column, DataclassTableModel

log = logging.getLogger(__name__)

COLUMNS: tuple[Column, ...] = (
    Column(_("Học sinh"), lambda c: c.student_name),
    Column(_("Lớp"), lambda c: c.class_name),
    Column(_("Phiên bản"), lambda c: str(c.version), Qt.AlignmentFlag.AlignCenter),
    Column(_("Người đề nghị"), lambda c: c.requested_by),
    Column(_("Ngày đề nghị"), lambda c: f"{to_local(c.requested_at):%d/%m/%Y %H:%M}"),
    Column(_("Lý do"), lambda c: c.reason, tooltip=lambda c: c.reason),
)
NO_PENDING = "Không có đề nghị đính chính nào đang chờ duyệt."


class CorrectionApprovalDialog(QDialog):
    """The requests waiting for a leader's decision, with approve and reject."""

    decided = Signal(object)  # the Correction as decided

    def __init__(self, db: Database, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._db = db
        self._actor = actor
        self.setWindowTitle(_("Duyệt đề nghị đính chính học bạ"))
        self.resize(980, 600)

        intro = QLabel(
            _(
                "Duyệt: học bạ của học sinh được lập lại thành phiên bản mới, điểm của em được mở để "
                "sửa, rồi ký lại đủ các bước ở trang Ký số. Không duyệt: hãy ghi lý do để giáo viên chủ "
                "nhiệm biết."
            )
        )
        intro.setWordWrap(True)
        self.model = DataclassTableModel(COLUMNS, (), self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.setAccessibleName(_("Đề nghị đính chính đang chờ duyệt"))
        self.table.selectionModel().selectionChanged.connect(self._on_selected)
        self.empty_label = QLabel(_(NO_PENDING))
        self.empty_label.hide()
        self.details = QTextBrowser()
        self.details.setAccessibleName(_("Học bạ và các đề nghị của học sinh"))
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.table)
        split.addWidget(self.details)
        split.setSizes([600, 360])

        note_label = QLabel(_("&Lý do không duyệt:"))
        self.note = QLineEdit()
        self.note.setPlaceholderText(_("Ví dụ: Điểm trong sổ điểm đúng, không cần đính chính."))
        note_label.setBuddy(self.note)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.hide()

        buttons = QDialogButtonBox()
        self.approve_button = QPushButton(_("&Duyệt"))
        self.reject_button = QPushButton(_("&Không duyệt"))
        for button in (self.approve_button, self.reject_button):
            buttons.addButton(button, QDialogButtonBox.ButtonRole.ActionRole)
        close = buttons.addButton(QDialogButtonBox.StandardButton.Close)
        close.setText(_("Đóng"))
        buttons.rejected.connect(self.reject)
        self.approve_button.clicked.connect(self.approve_selected)
        self.reject_button.clicked.connect(self.reject_selected)
        self.note.textChanged.connect(self._update_buttons)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.empty_label)
        layout.addWidget(split, 1)
        layout.addWidget(note_label)
        layout.addWidget(self.note)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.refresh()

    # -- data ------------------------------------------------------------------------------

    def refresh(self) -> None:
        try:
            rows = corrections.pending_corrections(self._db, self._actor)
        except UserFacingError as exc:
            self._show(exc.message, error=True)
            rows = ()
        self.model.set_rows(rows)
        self.empty_label.setVisible(not rows)
        if rows:
            self.table.selectRow(0)
        else:
            self.details.clear()
        self._update_buttons()

    def selected(self) -> Correction | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_at(rows[0]) if rows else None

    @Slot(QItemSelection, QItemSelection)
    def _on_selected(self, *_args: object) -> None:
        row = self.selected()
        self._update_buttons()
        if row is None:
            self.details.clear()
            return
        try:
            history = corrections.student_history(self._db, self._actor, row.student_id, row.class_id)
        except UserFacingError as exc:
            self.details.setPlainText(exc.message)
            return
        self.details.setHtml(history_html(history))

    def _update_buttons(self) -> None:
        chosen = self.selected() is not None
        self.approve_button.setEnabled(chosen)
        self.reject_button.setEnabled(chosen and bool(self.note.text().strip()))

    def _show(self, text: str, *, error: bool) -> None:
        self.message.setText(text)
        self.message.setStyleSheet("color:#b00020;" if error else "color:#1b5e20;")
        self.message.show()

    # -- decisions -------------------------------------------------------------------------

    @Slot()
    def approve_selected(self) -> None:
        row = self.selected()
        if row is None:
            return
        try:
            done = corrections.approve_correction(self._db, self._actor, row.uuid)
        except UserFacingError as exc:
            self._show(exc.message, error=True)
            self.refresh()
            return
        log.info("correction %s approved", done.uuid)
        self._show(
            _(
                "Đã duyệt đính chính học bạ của {name}: phiên bản {version} đã được lập. Nếu cần sửa điểm, "
                "hãy mở khoá sổ điểm môn đó để giáo viên bộ môn sửa (chỉ điểm của học sinh này sửa được); "
                "rồi ký lại theo thứ tự ở trang Ký số."
            ).format(name=done.student_name, version=done.new_version),
            error=False,
        )
        self.refresh()
        self.decided.emit(done)

    @Slot()
    def reject_selected(self) -> None:
        row = self.selected()
        if row is None:
            return
        try:
            done = corrections.reject_correction(self._db, self._actor, row.uuid, self.note.text())
        except UserFacingError as exc:
            self._show(exc.message, error=True)
            return
        log.info("correction %s rejected", done.uuid)
        self.note.clear()
        text = _("Đã ghi “không duyệt” cho đề nghị của {name}.").format(name=done.student_name)
        self._show(text, error=False)
        self.refresh()
        self.decided.emit(done)
