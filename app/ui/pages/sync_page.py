"""The "Đồng bộ" area: send issued records to the department's hub, and see where each one is.

Top to bottom: the status line (items waiting, last successful sync, last error in plain
Vietnamese — always read from the database), the "Đồng bộ ngay" button, the list of
outbox items (state, receipt, the hub's signature check, the reason when one needs a
person), and the settings: hub address, how often to try, timestamp server, and
"connect this PC to the hub" (admins only).

Network work (a sync, connecting) runs on the network pool, one sync at a time; results
come back to the GUI thread through a queued signal (architecture.md §3). A timer tries
a sync every `interval_minutes` while the app is open.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.errors import UserFacingError
from app.i18n import _
from app.models.db import Database
from app.services.access import Actor
from app.sync.connect import Connected, connect_device
from app.sync.status import OutboxRow, SyncStatus, outbox_rows, save_settings, sync_status
from app.sync.worker import SyncOptions, SyncSummary, run_sync
from app.ui import theme
from app.ui.itemmodels import DataclassTableModel
from app.ui.itemmodels.dataclass_table import ALIGN_CENTER, Column

log = logging.getLogger(__name__)

FIRST_ATTEMPT_MS = 2 * 60 * 1000  # not during start-up, when the school PC is busiest
ATTENTION_BG = QColor("#f9d9dc")
ACCEPTED_TEXT = QColor("#1b6e2a")
INVALID_TEXT = QColor("#b3261e")

# The network pool: sync, connecting (and, inside a sync, timestamp and revocation fetches).
_network = ThreadPoolExecutor(max_workers=2, thread_name_prefix="network")


def _verification_colour(row: OutboxRow) -> QColor | None:
    if row.verification == "invalid":
        return INVALID_TEXT
    if row.verification == "verified":
        return ACCEPTED_TEXT
    return None


def _student(row: OutboxRow) -> str:
    if row.kind != "record":
        return _("(cả lớp)")
    return f"{row.student_name or ''} ({row.student_code})" if row.student_name else (row.student_code or "")


SYNC_COLUMNS = (
    Column(_("Loại"), lambda r: r.kind_label),
    Column(_("Học sinh"), _student),
    Column(_("Lớp"), lambda r: r.class_name or ""),
    Column(_("Năm học"), lambda r: r.year, ALIGN_CENTER),
    Column(_("Phiên bản"), lambda r: str(r.version), ALIGN_CENTER),
    Column(
        _("Trạng thái"),
        lambda r: r.state_label,
        background=lambda r: ATTENTION_BG if r.state == "needs_attention" else None,
        foreground=lambda r: ACCEPTED_TEXT if r.state == "accepted" else None,
    ),
    Column(_("Biên nhận của Sở"), lambda r: r.receipt_text, tooltip=lambda r: r.submission_id),
    Column(_("Kiểm tra chữ ký tại Sở"), lambda r: r.verification_label, foreground=_verification_colour),
    Column(_("Ghi chú"), lambda r: r.note, tooltip=lambda r: r.note or None),
)


class SyncPage(QWidget):
    # (result, error) from the network pool, delivered on the GUI thread.
    _finished = Signal(object, object, object)

    def __init__(
        self,
        db: Database,
        actor: Actor,
        parent: QWidget | None = None,
        *,
        first_attempt_ms: int = FIRST_ATTEMPT_MS,
    ) -> None:
        super().__init__(parent)
        self.db = db
        self.actor = actor
        self.busy = False
        self.last_summary: SyncSummary | None = None
        self.last_message: str | None = None
        self._finished.connect(self._deliver)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 8)
        layout.setSpacing(8)
        title = QLabel(_("Đồng bộ với máy chủ của Sở"))
        font = title.font()
        font.setPointSizeF(theme.HEADER_POINT_SIZE)
        font.setBold(True)
        title.setFont(font)
        layout.addWidget(title)

        row = QHBoxLayout()
        self.status_label = QLabel()
        self.status_label.setObjectName("syncStatus")
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.sync_button = QPushButton(_("Đồng bộ ngay"))
        self.sync_button.setToolTip(_("Gửi các học bạ đã phát hành lên máy chủ của Sở ngay bây giờ."))
        self.sync_button.clicked.connect(self.sync_now)
        row.addWidget(self.status_label, 1)
        row.addWidget(self.sync_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(row)
        self.progress_label = QLabel()
        self.progress_label.setObjectName("countsLine")
        self.progress_label.setWordWrap(True)
        layout.addWidget(self.progress_label)

        self.model = DataclassTableModel(SYNC_COLUMNS, (), self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        layout.addWidget(self.table, 1)
        layout.addWidget(self._make_settings())

        self.timer = QTimer(self)
        self.timer.timeout.connect(self._periodic)
        QTimer.singleShot(first_attempt_ms, self, self._periodic)
        self.refresh()

    # -- building ---------------------------------------------------------------------------

    def _make_settings(self) -> QGroupBox:
        box = QGroupBox(_("Cài đặt đồng bộ"))
        form = QFormLayout(box)
        self.hub_edit = QLineEdit()
        self.hub_edit.setPlaceholderText("https://hocba.sogd.example.vn")
        self.interval_spin = QSpinBox()
        self.interval_spin.setRange(0, 24 * 60)
        self.interval_spin.setSingleStep(15)
        self.interval_spin.setSuffix(_(" phút"))
        self.interval_spin.setSpecialValueText(_("Chỉ khi bấm nút"))
        self.tsa_edit = QLineEdit()
        self.tsa_edit.setPlaceholderText(_("để trống: ký và gửi học bạ không kèm dấu thời gian"))
        # The same server stamps each signature when it is made (if the PC is online then)
        # and the issued record before it is sent; say so, so nobody leaves it empty lightly.
        self.tsa_edit.setToolTip(_(
            "Dùng khi ký (mỗi chữ ký được gắn dấu thời gian nếu máy có mạng lúc ký) và trước khi gửi "
            "lên Sở (thêm dữ liệu kiểm tra chứng thư để học bạ kiểm chứng được lâu dài)."
        ))
        form.addRow(_("Địa chỉ máy chủ của Sở:"), self.hub_edit)
        form.addRow(_("Tự động đồng bộ mỗi:"), self.interval_spin)
        form.addRow(_("Máy chủ cấp dấu thời gian:"), self.tsa_edit)
        buttons = QHBoxLayout()
        self.save_button = QPushButton(_("Lưu cài đặt"))
        self.connect_button = QPushButton(_("Kết nối máy này với máy chủ của Sở…"))
        self.connect_button.setToolTip(
            _("Nhập mã kết nối do Sở cấp; mã được cất trong kho khoá của Windows.")
        )
        self.save_button.clicked.connect(self._save_settings)
        self.connect_button.clicked.connect(self._ask_connect)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.connect_button)
        buttons.addStretch(1)
        form.addRow(buttons)
        admin = self.actor.is_admin
        for widget in (
            self.hub_edit,
            self.interval_spin,
            self.tsa_edit,
            self.save_button,
            self.connect_button,
        ):
            widget.setEnabled(admin)
        if not admin:
            box.setToolTip(_("Chỉ quản trị viên của trường thay đổi được cài đặt đồng bộ."))
        return box

    # -- reading ----------------------------------------------------------------------------

    def refresh(self) -> None:
        """Status line, settings and the item list, from the database (a short read)."""
        status = sync_status(self.db)
        self.status = status
        self.status_label.setText(status.line())  # built in Vietnamese by app.sync.status
        self.model.set_rows(outbox_rows(self.db))
        if not self.hub_edit.hasFocus():
            self.hub_edit.setText(status.hub_url or "")
        self.interval_spin.setValue(status.interval_minutes)
        if not self.tsa_edit.hasFocus():
            self.tsa_edit.setText(status.timestamp_url or "")
        self._arm_timer(status)
        self.sync_button.setEnabled(not self.busy and status.connected)

    def _arm_timer(self, status: SyncStatus) -> None:
        if status.connected and status.interval_minutes > 0:
            self.timer.start(status.interval_minutes * 60 * 1000)
        else:
            self.timer.stop()

    # -- network work -----------------------------------------------------------------------

    def _run(self, kind: str, work: Callable[[], Any]) -> None:
        def task() -> None:
            try:
                result: object = work()
                error: BaseException | None = None
            except BaseException as exc:  # handed to the GUI thread
                result, error = None, exc
            try:
                self._finished.emit(kind, result, error)
            except RuntimeError:
                log.debug("network result dropped: the page was closed")

        _network.submit(task)

    @Slot()
    def _periodic(self) -> None:
        if not self.busy and getattr(self, "status", None) is not None and self.status.connected:
            self.sync_now()

    @Slot()
    def sync_now(self) -> bool:
        """Start a sync on the network pool; False if one is already running."""
        if self.busy:
            return False
        self.busy = True
        self.sync_button.setEnabled(False)
        self.progress_label.setText(_("Đang đồng bộ… Có thể tiếp tục làm việc khác."))
        db = self.db

        def work() -> SyncSummary:
            from app.signing.trust import trust_roots  # pyHanko's import cost stays off the GUI thread

            return run_sync(db, SyncOptions(trust_roots=tuple(c.dump() for c in trust_roots())))

        self._run("sync", work)
        return True

    @Slot(object, object, object)
    def _deliver(self, kind: object, result: object, error: object) -> None:
        self.busy = False
        message: str | None = None
        if isinstance(error, UserFacingError):
            message = error.message
        elif isinstance(error, BaseException):
            log.error("%s failed", kind, exc_info=error)
            message = _(
                "Có lỗi không mong đợi khi đồng bộ ({name}). Hãy thử lại; nếu vẫn lỗi, báo cán bộ tin học."
            ).format(name=error.__class__.__name__)
        elif isinstance(result, SyncSummary):
            self.last_summary = result
            message = self._summary_text(result)
        elif isinstance(result, Connected):
            message = _("Đã kết nối với {hub} (mã khoá {key}).").format(
                hub=result.hub_name, key=result.key_id
            )
        self.last_message = message
        self.progress_label.setText(message or "")
        self.refresh()

    @staticmethod
    def _summary_text(summary: SyncSummary) -> str:
        if summary.error:
            return _(
                "Lần đồng bộ vừa rồi dừng lại (lý do ở dòng trên); hồ sơ chưa gửi sẽ được gửi ở lần sau."
            )
        done = summary.accepted + summary.already_there
        if done == 0 and summary.waiting == 0:
            return _("Không có hồ sơ mới cần gửi.")
        return _("Đã gửi xong: Sở đã nhận {done} hồ sơ; còn chờ {waiting}.").format(
            done=done, waiting=summary.waiting
        )

    # -- settings ---------------------------------------------------------------------------

    @Slot()
    def _save_settings(self) -> None:
        try:
            save_settings(
                self.db,
                hub_url=self.hub_edit.text(),
                interval_minutes=self.interval_spin.value(),
                timestamp_url=self.tsa_edit.text(),
            )
        except UserFacingError as exc:
            self.progress_label.setText(exc.message)
            return
        self.progress_label.setText(_("Đã lưu cài đặt đồng bộ."))
        self.refresh()

    @Slot()
    def _ask_connect(self) -> None:
        url = self.hub_edit.text().strip()
        if not url:
            self.progress_label.setText(_("Hãy nhập địa chỉ máy chủ của Sở trước."))
            return
        credential, ok = QInputDialog.getText(
            self,
            _("Kết nối với máy chủ của Sở"),
            _("Dán mã kết nối Sở đã cấp cho máy này (bắt đầu bằng hbd1.):"),
            QLineEdit.EchoMode.Password,
        )
        if ok and credential.strip():
            self.connect_with(url, credential.strip())

    def connect_with(self, url: str, credential: str) -> None:
        """Connect on the network pool (the dialog's work; tests call it directly)."""
        if self.busy:
            return
        self.busy = True
        self.progress_label.setText(_("Đang kết nối với máy chủ của Sở…"))
        db = self.db
        self._run("connect", lambda: connect_device(db, url, credential))
