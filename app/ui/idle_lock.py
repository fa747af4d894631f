"""Lock the shared school PC after some minutes without keyboard or mouse use.

`IdleWatcher` is an event filter on the QApplication: every key press, click, wheel turn
or mouse move anywhere in the app notes the time; a coarse timer compares it with the
limit and emits `idle` once. Noting a time per event is cheap (no timer restarts on every
mouse move). The session (app_session.py) hides the window and shows the lock screen —
the sign-in dialog with the same person chosen, where another person may sign in instead.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QEvent, QObject, QTimer, Signal, Slot
from PySide6.QtWidgets import QApplication

ACTIVITY_EVENTS = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseButtonDblClick,
        QEvent.Type.MouseMove,
        QEvent.Type.Wheel,
        QEvent.Type.TouchBegin,
        QEvent.Type.TabletPress,
    }
)
# Check at most this often; a lock a few seconds late is fine.
MAX_CHECK_MS = 5_000


class IdleWatcher(QObject):
    """Emits `idle` after `minutes` without user input (0 = never). Paused while locked."""

    idle = Signal()

    def __init__(self, app: QApplication, minutes: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._app = app
        self._limit_s = 0.0
        self._last = time.monotonic()
        self._paused = False
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._check)
        app.installEventFilter(self)
        self.set_minutes(minutes)

    @property
    def limit_seconds(self) -> float:
        return self._limit_s

    @property
    def active(self) -> bool:
        return self._timer.isActive()

    def set_minutes(self, minutes: int) -> None:
        self.set_limit_seconds(max(0, minutes) * 60.0)

    def set_limit_seconds(self, seconds: float) -> None:
        """Tests use fractions of a second; the app uses whole minutes."""
        self._limit_s = seconds
        self._last = time.monotonic()
        if seconds <= 0:
            self._timer.stop()
            return
        self._timer.start(int(min(MAX_CHECK_MS, max(20.0, seconds * 1000 / 4))))
        if self._paused:
            self._timer.stop()

    def pause(self) -> None:
        self._paused = True
        self._timer.stop()

    def resume(self) -> None:
        self._paused = False
        self.set_limit_seconds(self._limit_s)

    def stop(self) -> None:
        self._timer.stop()
        self._app.removeEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in ACTIVITY_EVENTS:
            self._last = time.monotonic()
        return False

    @Slot()
    def _check(self) -> None:
        if self._paused or self._limit_s <= 0:
            return
        if time.monotonic() - self._last >= self._limit_s:
            self.pause()
            self.idle.emit()
