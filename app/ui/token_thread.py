"""The app's one token thread (architecture.md §3) and a Qt bridge for its token polling.

`shared_token_worker()` starts the TokenWorker on first use and shuts it down when the
application quits. `TokenMonitor` aims the worker's poller at the configured PKCS#11
modules and re-emits each change (reported on the token thread) as a queued signal to
the GUI thread; a monitor that is deleted stops receiving, and the poller is stopped.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, Signal, Slot

from app.signing.worker import TokenSnapshot, TokenWorker

log = logging.getLogger(__name__)

POLL_INTERVAL_S = 1.0  # plugging or pulling a token shows within 2 s

_worker: TokenWorker | None = None


def shared_token_worker() -> TokenWorker:
    global _worker
    if _worker is None:
        _worker = TokenWorker(poll_interval=POLL_INTERVAL_S)
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(_shutdown)
    return _worker


def _shutdown() -> None:
    global _worker
    if _worker is not None:
        _worker.shutdown(wait=False)  # a vendor module stuck in a call must not hold up quitting
        _worker = None


class TokenMonitor(QObject):
    changed = Signal(object)  # TokenSnapshot, delivered on the GUI thread

    def __init__(self, worker: TokenWorker, modules: Sequence[str], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._worker = worker
        self.modules = tuple(modules)
        self.snapshot: TokenSnapshot | None = None
        self.changed.connect(self._remember)
        self.destroyed.connect(lambda *_: self._stop(worker))
        worker.watch(self.modules, self._on_token_thread)

    def _on_token_thread(self, snapshot: TokenSnapshot) -> None:
        # Runs on the token thread: only hand the snapshot over.
        if shiboken6.isValid(self):
            self.changed.emit(snapshot)

    @Slot(object)
    def _remember(self, snapshot: TokenSnapshot) -> None:
        self.snapshot = snapshot

    @staticmethod
    def _stop(worker: TokenWorker) -> None:
        with contextlib.suppress(RuntimeError):  # the worker is already shut down
            worker.watch((), lambda _snapshot: None)
