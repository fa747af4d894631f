"""Automatic backups while the app runs, off the GUI thread (architecture.md §3, §4).

A backup is due when the newest one is older than `every_hours` (daily by default) or when
`after_changes` audit entries were written since it ("significant work"). The decision
and the backup both run on the thread pool; results come back as queued signals. One
backup at a time; every configured folder gets its own verified snapshot, so an unplugged
USB drive does not stop the backup to the PC's own folder.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from app.errors import UserFacingError
from app.services.backup_settings import BackupRound, back_up_everywhere, backup_due
from app.ui.background import run_in_background

log = logging.getLogger(__name__)

FIRST_CHECK_MS = 3 * 60 * 1000  # not during start-up, when the school PC is busiest
CHECK_EVERY_MS = 15 * 60 * 1000


class BackupScheduler(QObject):
    """Checks every CHECK_EVERY_MS whether a backup is due, and makes it on the thread pool."""

    finished = Signal(object)  # BackupRound
    failed = Signal(str)

    def __init__(
        self,
        db_path: Path,
        key: bytes | None = None,
        parent: QObject | None = None,
        *,
        first_check_ms: int = FIRST_CHECK_MS,
        check_every_ms: int = CHECK_EVERY_MS,
    ) -> None:
        super().__init__(parent)
        self.db_path = db_path
        self.key = key
        self.busy = False
        self.last_round: BackupRound | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(check_every_ms)
        self._timer.timeout.connect(self.check)
        self._first_check_ms = first_check_ms

    def start(self) -> None:
        QTimer.singleShot(self._first_check_ms, self, self.check)
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    @Slot()
    def check(self) -> None:
        """Back up if due (the decision itself reads files, so it runs on the pool too)."""
        if self.busy:
            return
        self.busy = True
        path, key = self.db_path, self.key

        def work() -> BackupRound | None:
            return back_up_everywhere(path, key) if backup_due(path, key) else None

        run_in_background(self, work, self._done, self._error)

    def back_up_now(self, folders: tuple[Path, ...] | None = None) -> bool:
        """Start a backup now (to `folders`, or the configured ones); False if one is running."""
        if self.busy:
            return False
        self.busy = True
        path, key = self.db_path, self.key
        run_in_background(self, lambda: back_up_everywhere(path, key, folders), self._done, self._error)
        return True

    def _done(self, result: object) -> None:
        self.busy = False
        if isinstance(result, BackupRound):
            self.last_round = result
            self.finished.emit(result)

    def _error(self, exc: BaseException) -> None:
        self.busy = False
        log.error("backup failed", exc_info=exc)
        message = exc.message if isinstance(exc, UserFacingError) else f"{exc.__class__.__name__}: {exc}"
        self.failed.emit(message)


_current: BackupScheduler | None = None


def current_scheduler() -> BackupScheduler | None:
    """The app's running scheduler (set by the start-up code), or None (tests, a page on its own)."""
    return _current


def set_current_scheduler(scheduler: BackupScheduler | None) -> None:
    global _current
    _current = scheduler
