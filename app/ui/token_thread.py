"""The app's one token thread (architecture.md §3) and a Qt bridge for its token polling.

`shared_token_worker()` starts the TokenWorker on first use and shuts it down when the
application quits. `TokenMonitor` aims the worker's poller at the configured PKCS#11
modules and re-emits each change (reported on the token thread) as a queued signal to
the GUI thread; a monitor that is deleted stops receiving, and the poller is stopped.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import weakref
from collections.abc import Sequence

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal, Slot

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


class _Fanout:
    """One poller per worker, shared by every monitor on it (TokenWorker.watch keeps one callback)."""

    def __init__(self, worker: TokenWorker) -> None:
        self._worker = weakref.ref(worker)  # the registry below must not keep the worker alive
        self.monitors: dict[int, TokenMonitor] = {}
        self.lock = threading.Lock()

    def add(self, monitor: TokenMonitor) -> None:
        with self.lock:
            self.monitors[id(monitor)] = monitor
        self._aim()

    def remove(self, key: int) -> None:
        with self.lock:
            self.monitors.pop(key, None)
        self._aim()

    def _aim(self) -> None:
        with self.lock:
            modules = tuple(dict.fromkeys(p for m in self.monitors.values() for p in m.modules))
        worker = self._worker()
        if worker is None:
            return
        with contextlib.suppress(RuntimeError):  # the worker is already shut down
            worker.watch(modules, self._changed)

    def _changed(self, snapshot: TokenSnapshot) -> None:
        # Runs on the token thread: only hand the snapshot over, queued, to live monitors.
        with self.lock:
            targets = list(self.monitors.values())
        for monitor in targets:
            if shiboken6.isValid(monitor):
                monitor.arrived.emit(snapshot)


_fanouts: weakref.WeakKeyDictionary[TokenWorker, _Fanout] = weakref.WeakKeyDictionary()


class TokenMonitor(QObject):
    # Emitted on the token thread. A queued event is posted only for the connections that
    # exist at that moment, so listeners use `changed`, re-emitted here on the GUI thread
    # after the snapshot is stored: connecting after construction then loses nothing.
    arrived = Signal(object)
    changed = Signal(object)  # TokenSnapshot, on the GUI thread

    def __init__(self, worker: TokenWorker, modules: Sequence[str], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.modules = tuple(modules)
        self.snapshot: TokenSnapshot | None = None
        self.arrived.connect(self._remember, Qt.ConnectionType.QueuedConnection)
        fanout = _fanouts.setdefault(worker, _Fanout(worker))
        key = id(self)
        self.destroyed.connect(lambda *_: fanout.remove(key))
        fanout.add(self)

    @Slot(object)
    def _remember(self, snapshot: TokenSnapshot) -> None:
        self.snapshot = snapshot
        self.changed.emit(snapshot)
