"""What happens between "the app starts" and "the database is open", for data safety.

1. Single instance: take the data folder's lock; if another Học bạ số has it, ask that one
   to show its window and stop (single_instance).
2. Warn, before anything is written, when the data folder is on a network or cloud-synced
   drive or its disk is nearly full (app.services.datafolder).
3. The start-up recovery (app.services.recovery): damaged files set aside, the newest good
   backup restored, and a message saying exactly what happened.
4. Open the database (the caller's `prepare`, which creates the demo on a first start), note
   that it is open (an unclean stop is then recognised next time), and start the
   automatic backups.
5. Off the GUI thread: the document store's sweep (files a crash left between writing a
   signed file and committing its row are moved aside, never deleted).

The messages are shown once the main window is up, in a non-blocking box.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from app.i18n import _
from app.models.db import Database
from app.services import backup_settings
from app.services.datafolder import check_folder
from app.services.document_store import SweepResult, sweep_unreferenced
from app.services.recovery import STATUS_RECOVERED, mark_closed, mark_open, recover_at_start
from app.ui.background import run_in_background
from app.ui.backup_scheduler import BackupScheduler, set_current_scheduler
from app.ui.single_instance import SingleInstance, ask_running_instance_to_show

log = logging.getLogger(__name__)

ALREADY_RUNNING = (
    "Học bạ số đang mở trên máy này với cùng thư mục dữ liệu nhưng không trả lời. Hãy chờ một lát "
    "rồi mở lại; nếu vẫn vậy, hãy khởi động lại máy.\n\nThư mục: {folder}"
)
# The start-up sweep leaves files younger than this alone: a signing batch another process
# (the command line) or the person who just signed in runs has not committed their rows yet.
SWEEP_MIN_AGE_S = 15 * 60


class StartupGuard:
    def __init__(self, db_path: Path, instance: SingleInstance, key: bytes | None = None) -> None:
        self.db_path = db_path
        self.instance = instance
        self.key = key
        self.scheduler: BackupScheduler | None = None
        self.notices: list[str] = []
        self.sweep: SweepResult | None = None  # set when the start-up sweep has finished
        self.notice_box: QMessageBox | None = None
        self._released = False

    @classmethod
    def claim(cls, db_path: Path, key: bytes | None = None) -> StartupGuard | None:
        """The guard for this start, or None when another instance has the folder (it was asked to show)."""
        folder = db_path.parent
        instance = SingleInstance.claim(folder)
        if instance is not None:
            return cls(db_path, instance, key)
        if ask_running_instance_to_show(folder):
            log.info("another instance has %s: brought it forward", folder)
        else:
            from app.ui.application import application

            application()
            QMessageBox.warning(None, _("Học bạ số"), _(ALREADY_RUNNING).format(folder=folder))
        return None

    def open(self, prepare: Callable[[Path], Database]) -> Database:
        """Check, recover, open (with `prepare`) and start the backups; call with the QApplication up."""
        self.instance.listen()
        self.notices = list(check_folder(self.db_path.parent).messages)
        report = recover_at_start(
            self.db_path, backup_folders=backup_settings.backup_folders(self.db_path), key=self.key
        )
        if report.message:
            log.warning("start-up recovery: %s", report.to_json_dict())
            self.notices.append(report.message)
        db = prepare(self.db_path)
        mark_open(self.db_path)
        app = QApplication.instance()
        self.scheduler = BackupScheduler(self.db_path, self.key, app if isinstance(app, QObject) else None)
        set_current_scheduler(self.scheduler)
        self.scheduler.start()
        self._sweep_in_background(db, app)
        if self.notices:
            recovered = report.status == STATUS_RECOVERED
            QTimer.singleShot(0, lambda: self._announce(recovered))
        return db

    def _sweep_in_background(self, db: Database, app: object) -> None:
        if not isinstance(app, QObject):
            return

        def done(result: SweepResult) -> None:
            self.sweep = result
            if result.moved:
                log.warning("start-up sweep: %d unreferenced document files moved to %s",
                            len(result.moved), result.folder)  # fmt: skip

        def failed(exc: BaseException) -> None:
            # Housekeeping only: the files stay where they are and the next start tries again.
            log.warning("start-up sweep of the document store failed: %s", exc)

        run_in_background(app, lambda: sweep_unreferenced(db, min_age_s=SWEEP_MIN_AGE_S), done, failed)

    def _announce(self, recovered: bool) -> None:
        if self._released or not self.notices:
            return
        box = QMessageBox(QApplication.activeWindow())
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(_("Học bạ số — an toàn dữ liệu"))
        box.setText(
            _("Đã khôi phục dữ liệu khi khởi động.") if recovered else _("Cần chú ý về nơi lưu dữ liệu.")
        )
        box.setInformativeText("\n\n".join(self.notices))
        box.setStandardButtons(QMessageBox.StandardButton.Ok)
        box.open()  # non-blocking: the app (and its tests) keep running
        self.notice_box = box

    def release(self) -> None:
        """After the app closed the database: note the clean exit, stop backups, free the folder."""
        self._released = True
        if self.scheduler is not None:
            self.scheduler.stop()
            set_current_scheduler(None)
            self.scheduler.deleteLater()
            self.scheduler = None
        mark_closed(self.db_path)
        self.instance.release()
