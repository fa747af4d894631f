"""The signing progress dialog: one row per document with its status in words.

Statuses: đang chờ, đang ký, đã ký, để sau (with the reason), bỏ qua / lỗi (with the reason),
chưa ký (the batch stopped before it). "Dừng sau tài liệu này" asks the batch to stop once
the document being signed is finished (the service never leaves one half-written); after a
stop or a failure (token pulled out), "Ký tiếp" runs the batch again and the service signs
only what is left. The dialog listens to a SigningRunner; it never touches the token.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QBrush, QCloseEvent, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.i18n import _
from app.services.signing_order import BLOCKED, DONE, PENDING, SKIPPED, SigningPlan
from app.services.signing_run import ItemResult
from app.ui import theme
from app.ui.pages.signing_runner import BatchOutcome, SigningRunner, error_text

WAITING, SIGNING, SIGNED, EARLIER, LATER, REFUSED, FAILED, NOT_DONE, BLOCKED_ROW = (
    "waiting", "signing", "signed", "earlier", "later", "refused", "failed", "not_done", "blocked",
)  # fmt: skip
STATUS_TEXT = {
    WAITING: "Đang chờ",
    SIGNING: "Đang ký…",
    SIGNED: "Đã ký",
    EARLIER: "Đã ký từ trước",
    LATER: "Để sau",
    REFUSED: "Bỏ qua",
    FAILED: "Lỗi",
    NOT_DONE: "Chưa ký",
    BLOCKED_ROW: "Chưa ký được",
}
STATUS_COLOUR = {
    SIGNED: "#d9f2dc", EARLIER: "#eef7ef", LATER: "#fff0c2", REFUSED: "#ffe1c7", FAILED: "#f9d9dc",
    BLOCKED_ROW: "#f3f3f3", SIGNING: "#dbe5f1",
}  # fmt: skip
_RESULT_STATUS = {
    "signed": SIGNED, "already_signed": EARLIER, "refused": REFUSED, "failed": FAILED,
    "not_started": NOT_DONE,
}  # fmt: skip
COL_CLASS, COL_LABEL, COL_STATUS, COL_REASON = range(4)


class SigningProgressDialog(QDialog):
    def __init__(self, runner: SigningRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.setWindowTitle(_("Ký số"))
        self.setModal(True)
        self.resize(980, 620)
        self._rows: dict[str, int] = {}  # document uuid → row, for the pending documents
        self._order: list[str] = []  # pending uuids in signing order
        self._status: dict[str, str] = {}
        self._done_count = 0

        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        self.heading = QLabel(_("Đang chuẩn bị tài liệu…"))
        font = self.heading.font()
        font.setBold(True)
        font.setPointSizeF(theme.BASE_POINT_SIZE * 1.3)
        self.heading.setFont(font)
        self.heading.setWordWrap(True)
        layout.addWidget(self.heading)
        self.notice = QLabel()
        self.notice.setWordWrap(True)
        self.notice.setStyleSheet(
            "background: #fff0c2; border: 1px solid #d9b44a; border-radius: 6px; padding: 12px;"
        )
        notice_font = self.notice.font()
        notice_font.setBold(True)
        notice_font.setPointSizeF(theme.BASE_POINT_SIZE * 1.15)
        self.notice.setFont(notice_font)
        self.notice.hide()
        layout.addWidget(self.notice)
        self.progress = QProgressBar()
        self.progress.setMinimumHeight(28)
        self.progress.setFormat(_("%v / %m tài liệu"))
        layout.addWidget(self.progress)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(
            [_("Lớp"), _("Học sinh / tài liệu"), _("Trạng thái"), _("Lý do")]
        )
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(COL_CLASS, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COL_LABEL, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COL_STATUS, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COL_REASON, QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.table, 1)
        self.error_label = QLabel()
        self.error_label.setObjectName("pageError")
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        layout.addWidget(self.error_label)
        buttons = QHBoxLayout()
        self.cancel_button = QPushButton(_("Dừng sau tài liệu này"))
        self.resume_button = QPushButton(_("Ký tiếp"))
        self.close_button = QPushButton(_("Đóng"))
        self.resume_button.hide()
        self.close_button.setEnabled(False)
        for button in (self.cancel_button, self.resume_button, self.close_button):
            button.setMinimumHeight(40)
            buttons.addWidget(button)
        buttons.insertStretch(0, 1)
        layout.addLayout(buttons)
        self.cancel_button.clicked.connect(self._cancel)
        self.resume_button.clicked.connect(self._resume)
        self.close_button.clicked.connect(self.accept)

        runner.plans_ready.connect(self.set_plans)
        runner.pin_pad.connect(self._pin_pad)
        runner.signing_started.connect(self._started)
        runner.item_done.connect(self.item_done)
        runner.finished.connect(self._finished)
        runner.failed.connect(self._failed)

    # --- what the runner reports -----------------------------------------------------------

    @Slot(object)
    def set_plans(self, plans: tuple[SigningPlan, ...]) -> None:
        """The rows of a (re)started batch; rows signed earlier in this dialog keep their status."""
        kept = {uuid: self._status[uuid] for uuid in self._rows if self._status.get(uuid) in (SIGNED,)}
        self.table.setRowCount(0)
        self._rows.clear()
        self._order.clear()
        self._status.clear()
        for plan in plans:
            for item in plan.items:
                row = self.table.rowCount()
                self.table.insertRow(row)
                self._cell(row, COL_CLASS, plan.class_name)
                self._cell(row, COL_LABEL, item.label)
                if item.status == PENDING:
                    self._rows[item.document_uuid] = row
                    self._order.append(item.document_uuid)
                    self._set(item.document_uuid, WAITING, None)
                elif item.status == DONE:
                    status = kept.get(item.document_uuid, EARLIER)
                    self._show_status(row, status, None)
                elif item.status == SKIPPED:
                    self._show_status(row, LATER, item.reason)
                elif item.status == BLOCKED:
                    self._show_status(row, BLOCKED_ROW, item.reason)
        self._done_count = 0
        self.progress.setRange(0, max(1, len(self._order)))
        self.progress.setValue(0)
        if self._order:
            self.heading.setText(_("Chuẩn bị ký {n} tài liệu: chờ nhập mã PIN…").format(n=len(self._order)))
        self.table.resizeRowsToContents()

    @Slot()
    def _started(self) -> None:
        self.heading.setText(_("Đang ký {n} tài liệu…").format(n=len(self._order)))
        self._mark_next()

    @Slot()
    def _pin_pad(self) -> None:
        self.notice.setText(_(
            "Hãy nhập PIN trên bàn phím của đầu đọc (không gõ trên máy tính). Việc ký bắt đầu ngay "
            "sau khi đầu đọc nhận PIN."
        ))  # fmt: skip
        self.notice.show()

    @Slot(object)
    def item_done(self, result: ItemResult) -> None:
        status = _RESULT_STATUS.get(result.status, FAILED)
        if result.document_uuid in self._rows:
            self._set(result.document_uuid, status, result.message)
            self.table.resizeRowToContents(self._rows[result.document_uuid])
        if status != NOT_DONE:
            self._done_count += 1
            self.progress.setValue(min(self._done_count, self.progress.maximum()))
            self.notice.hide()
            self._mark_next()

    @Slot(object)
    def _finished(self, outcome: BatchOutcome) -> None:
        self._end_running()
        signed = outcome.count("signed")
        if outcome.pin_cancelled:
            self.heading.setText(_("Chưa ký: bạn đã huỷ việc nhập mã PIN."))
            self._show_resume(_("Ký lại"))
        elif outcome.stopped_by:
            self.heading.setText(_("Đã ký {n} tài liệu rồi dừng.").format(n=signed))
            self._error(outcome.stopped_by)
            self._show_resume(_("Ký tiếp"))
        elif outcome.cancelled:
            self.heading.setText(_("Đã dừng theo yêu cầu: ký xong {n} tài liệu.").format(n=signed))
            self._show_resume(_("Ký tiếp"))
        elif not self._order:
            self.heading.setText(_("Không còn tài liệu nào cần ký lúc này."))
        else:
            problems = outcome.count("refused") + outcome.count("failed")
            if problems:
                self.heading.setText(
                    _("Đã ký {n} tài liệu; {m} tài liệu chưa ký được (xem lý do trong bảng).").format(
                        n=signed, m=problems
                    )
                )
            else:
                self.heading.setText(_("Đã ký xong {n} tài liệu.").format(n=signed))
        for uuid in self._order:
            if self._status.get(uuid) in (WAITING, SIGNING):
                self._set(uuid, NOT_DONE, None)
        # Offline at signing time: the records are signed; say that the timestamps come later.
        note = next((run.timestamp_note for run in outcome.runs if run.timestamp_note), None)
        if note:
            self.notice.setText(note)
            self.notice.show()

    @Slot(object)
    def _failed(self, exc: BaseException) -> None:
        self._end_running()
        self.heading.setText(_("Đợt ký đã dừng."))
        self._error(error_text(exc))
        for uuid in self._order:
            if self._status.get(uuid) in (WAITING, SIGNING):
                self._set(uuid, NOT_DONE, None)
        self._show_resume(_("Ký tiếp"))

    # --- buttons ---------------------------------------------------------------------------

    @Slot()
    def _cancel(self) -> None:
        self.runner.cancel()
        self.cancel_button.setEnabled(False)
        self.heading.setText(_("Đang dừng: chờ ký xong tài liệu đang ký…"))

    @Slot()
    def _resume(self) -> None:
        self.error_label.hide()
        self.notice.hide()
        self.resume_button.hide()
        self.cancel_button.setEnabled(True)
        self.close_button.setEnabled(False)
        self.heading.setText(_("Đang chuẩn bị tài liệu…"))
        self.runner.resume()

    def reject(self) -> None:
        # Escape or the window's close button: stop after the current document, never abandon it.
        if self.runner.busy:
            self._cancel()
            return
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.runner.busy:
            self._cancel()
            event.ignore()
            return
        super().closeEvent(event)

    # --- helpers ---------------------------------------------------------------------------

    def status_of(self, uuid: str) -> str:
        return self._status.get(uuid, "")

    def row_texts(self) -> list[tuple[str, str, str, str]]:
        rows = []
        for row in range(self.table.rowCount()):
            texts = tuple((self.table.item(row, c) or QTableWidgetItem()).text() for c in range(4))
            rows.append(texts)
        return rows  # type: ignore[return-value]

    def _end_running(self) -> None:
        self.cancel_button.setEnabled(False)
        self.close_button.setEnabled(True)
        self.close_button.setDefault(True)

    def _show_resume(self, text: str) -> None:
        self.resume_button.setText(text)
        self.resume_button.show()
        self.resume_button.setDefault(True)

    def _error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.show()

    def _mark_next(self) -> None:
        for uuid in self._order:
            status = self._status.get(uuid)
            if status == SIGNING:
                return
            if status == WAITING:
                self._set(uuid, SIGNING, None)
                return

    def _set(self, uuid: str, status: str, reason: str | None) -> None:
        self._status[uuid] = status
        self._show_status(self._rows[uuid], status, reason)

    def _cell(self, row: int, column: int, text: str) -> QTableWidgetItem:
        item = QTableWidgetItem(text)
        item.setFlags(Qt.ItemFlag.ItemIsEnabled)
        self.table.setItem(row, column, item)
        return item

    def _show_status(self, row: int, status: str, reason: str | None) -> None:
        status_item = self._cell(row, COL_STATUS, _(STATUS_TEXT[status]))
        reason_item = self._cell(row, COL_REASON, _sentence(reason))
        reason_item.setToolTip(reason or "")
        colour = STATUS_COLOUR.get(status)
        others = (self.table.item(row, COL_LABEL), self.table.item(row, COL_CLASS))
        for item in (status_item, reason_item, *others):
            if item is not None:
                item.setBackground(QBrush(QColor(colour)) if colour else QBrush())


def _sentence(text: str | None) -> str:
    """The services' reasons start in lower case (they follow a name elsewhere); a cell starts a sentence."""
    return text[:1].upper() + text[1:] if text else ""
