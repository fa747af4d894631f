"""Đính chính học bạ: the homeroom teacher asks to correct a student's issued record.

Nothing issued is edited: the request, once the principal or a vice principal approves it,
leads to a new version of the record, signed again through the whole order, and the old
version stays (marked as replaced). The dialog lists the class's students with their record
(only issued records without an open request can be picked), takes the reason, and shows the
picked student's history: every version and every request with its decision.

Reads and the write are short single queries (tens of milliseconds) and run on the GUI
thread, as on the homeroom page.
"""

from __future__ import annotations

import html
import logging

from PySide6.QtCore import QItemSelection, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
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
from app.services.corrections import ClassRecordState, Correction, StudentHistory
from app.services.markbook_common import to_local
from app.ui.itemmodels import Column, DataclassTableModel

log = logging.getLogger(__name__)

COLUMNS: tuple[Column, ...] = (
    Column(_("Mã học sinh"), lambda r: r.student_code),
    Column(_("Họ và tên"), lambda r: r.full_name),
    Column(_("Học bạ"), lambda r: r.status_text),
)


def history_html(history: StudentHistory) -> str:
    """The student's versions and requests, in words (shared with the approval dialog)."""
    title = _("{name} — lớp {klass}, năm học {year}").format(
        name=history.full_name, klass=history.class_name, year=history.year_name
    )
    parts = [f"<h3>{html.escape(title)}</h3>"]
    if not history.versions:
        parts.append(f"<p>{html.escape(_('Chưa lập học bạ.'))}</p>")
    for v in history.versions:
        when = f" — {_('phát hành')} {to_local(v.issued_at):%d/%m/%Y}" if v.issued_at else ""
        style = "color:#777;" if v.superseded else ""
        parts.append(
            f"<p style='{style}'><b>{html.escape(_('Phiên bản'))} {v.version}</b>: "
            f"{html.escape(v.state_text)}{html.escape(when)}"
        )
        if v.reason:
            parts.append(f"<br>{html.escape(_('Lý do đính chính'))}: {html.escape(v.reason)}")
        if v.signers:
            parts.append(f"<br>{html.escape(_('Đã ký'))}: {html.escape('; '.join(v.signers))}")
        parts.append("</p>")
    for c in history.corrections:
        parts.append(f"<p>{correction_line(c)}</p>")
    return "".join(parts)


def correction_line(c: Correction) -> str:
    text = (
        f"<b>{html.escape(_('Đề nghị đính chính'))}</b> {to_local(c.requested_at):%d/%m/%Y %H:%M} "
        f"({html.escape(c.requested_by)}): {html.escape(c.reason)} — <i>{html.escape(c.state_text)}</i>"
    )
    if c.decided_by:
        text += f"<br>{html.escape(_('Người quyết định'))}: {html.escape(c.decided_by)}"
    if c.decision_note:
        text += f"<br>{html.escape(_('Ghi chú'))}: {html.escape(c.decision_note)}"
    return text


class CorrectionRequestDialog(QDialog):
    """Pick a student of the homeroom class, write the reason, send the request."""

    requested = Signal(object)  # the Correction just made

    def __init__(
        self,
        db: Database,
        actor: Actor,
        class_id: int,
        student_id: int | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._db = db
        self._actor = actor
        self._class_id = class_id
        self.setWindowTitle(_("Đính chính học bạ"))
        self.resize(880, 620)

        intro = QLabel(
            _(
                "Học bạ đã phát hành không sửa trực tiếp được. Đề nghị đính chính được Hiệu trưởng hoặc "
                "Phó Hiệu trưởng duyệt; khi đó điểm của học sinh được mở để sửa, học bạ được lập lại thành "
                "phiên bản mới và ký lại đủ các bước (GVCN → lãnh đạo → đóng dấu). Phiên bản cũ vẫn được "
                "giữ, ghi là đã được thay thế."
            )
        )
        intro.setWordWrap(True)
        self.model = DataclassTableModel(COLUMNS, (), self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setAccessibleName(_("Học sinh của lớp và học bạ của các em"))
        self.table.selectionModel().selectionChanged.connect(self._on_selected)
        self.history = QTextBrowser()
        self.history.setAccessibleName(_("Các phiên bản học bạ và đề nghị đính chính"))
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.table)
        split.addWidget(self.history)
        split.setSizes([470, 390])

        reason_label = QLabel(_("&Lý do đính chính (bắt buộc):"))
        self.reason = QPlainTextEdit()
        self.reason.setPlaceholderText(_("Ví dụ: Nhập nhầm điểm cuối kì II môn Toán: 6,5 thành 8,5."))
        self.reason.setFixedHeight(70)
        self.reason.setAccessibleName(_("Lý do đính chính"))
        reason_label.setBuddy(self.reason)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.hide()

        buttons = QDialogButtonBox()
        self.send_button = QPushButton(_("Gửi đề nghị"))
        self.send_button.setDefault(True)
        buttons.addButton(self.send_button, QDialogButtonBox.ButtonRole.ActionRole)
        close = buttons.addButton(QDialogButtonBox.StandardButton.Close)
        close.setText(_("Đóng"))
        buttons.rejected.connect(self.reject)
        self.send_button.clicked.connect(self.send)
        self.reason.textChanged.connect(self._update_button)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(split, 1)
        layout.addWidget(reason_label)
        layout.addWidget(self.reason)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.refresh(select_student=student_id)

    # -- data ------------------------------------------------------------------------------

    def refresh(self, select_student: int | None = None) -> None:
        try:
            rows = corrections.class_record_states(self._db, self._actor, self._class_id)
        except UserFacingError as exc:
            self._show(exc.message, error=True)
            rows = ()
        self.model.set_rows(rows)
        wanted = next((i for i, r in enumerate(rows) if r.student_id == select_student), None)
        if wanted is None:
            wanted = next((i for i, r in enumerate(rows) if r.can_request), None)
        if wanted is not None:
            self.table.selectRow(wanted)
        self._update_button()

    def selected(self) -> ClassRecordState | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_at(rows[0]) if rows else None

    @Slot(QItemSelection, QItemSelection)
    def _on_selected(self, *_args: object) -> None:
        row = self.selected()
        self._update_button()
        if row is None:
            self.history.clear()
            return
        try:
            history = corrections.student_history(self._db, self._actor, row.student_id, self._class_id)
        except UserFacingError as exc:
            self.history.setPlainText(exc.message)
            return
        self.history.setHtml(history_html(history))

    def _update_button(self) -> None:
        row = self.selected()
        ready = row is not None and row.can_request and bool(self.reason.toPlainText().strip())
        self.send_button.setEnabled(ready)

    def _show(self, text: str, *, error: bool) -> None:
        self.message.setText(text)
        self.message.setStyleSheet("color:#b00020;" if error else "color:#1b5e20;")
        self.message.show()

    # -- action ----------------------------------------------------------------------------

    @Slot()
    def send(self) -> None:
        row = self.selected()
        if row is None:
            return
        try:
            made = corrections.request_correction(
                self._db, self._actor, self._class_id, row.student_id, self.reason.toPlainText()
            )
        except UserFacingError as exc:
            self._show(exc.message, error=True)
            return
        log.info("correction requested for student %s", row.student_id)
        self.reason.clear()
        self._show(
            _("Đã gửi đề nghị đính chính học bạ của {name}. Hiệu trưởng hoặc Phó Hiệu trưởng sẽ duyệt.")
            .format(name=made.student_name),
            error=False,
        )
        self.refresh(select_student=row.student_id)
        self.requested.emit(made)
