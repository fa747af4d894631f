"""Run one short blocking call (a password check, a write) off the GUI thread.

Password hashing costs ~0.1 s by design (more on an old school PC), so sign-in and
password changes run on Qt's thread pool; the result comes back on the GUI thread through
a queued signal to a slot of an object living there (architecture.md §3).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThreadPool, Signal, Slot

log = logging.getLogger(__name__)


class _Relay(QObject):
    # (result, error): exactly one of them is meaningful.
    finished = Signal(object, object)

    def __init__(
        self,
        on_done: Callable[[Any], None],
        on_error: Callable[[BaseException], None],
        parent: QObject,
    ) -> None:
        super().__init__(parent)
        self._on_done = on_done
        self._on_error = on_error
        # Connected to a slot of this GUI-thread object: emitted from the worker, run here.
        self.finished.connect(self._deliver)

    @Slot(object, object)
    def _deliver(self, result: object, error: object) -> None:
        try:
            if isinstance(error, BaseException):
                self._on_error(error)
            else:
                self._on_done(result)
        finally:
            self.deleteLater()


def run_in_background(
    parent: QObject,
    work: Callable[[], Any],
    on_done: Callable[[Any], None],
    on_error: Callable[[BaseException], None],
) -> None:
    """Call `work()` on the thread pool; then `on_done(result)` or `on_error(exc)` on this thread.

    `parent` owns the relay: if it is deleted first, the late result is dropped.
    """
    relay = _Relay(on_done, on_error, parent)

    def task() -> None:
        try:
            result: object = work()
            error: BaseException | None = None
        except BaseException as exc:  # handed to on_error on the GUI thread
            result, error = None, exc
        try:
            relay.finished.emit(result, error)
        except RuntimeError:
            # The owner was closed meanwhile (its relay is gone): nobody waits for this.
            log.debug("background result dropped: its window was closed")

    QThreadPool.globalInstance().start(task)
