"""Run one short blocking call (a password check, a write) off the GUI thread.

Password hashing costs ~0.1 s by design (more on an old school PC), so sign-in and
password changes run on Qt's thread pool; the result comes back on the GUI thread through
a queued signal to a slot of an object living there (architecture.md §3).

Why the bookkeeping: the callables usually hold a window or dialog. If a pool thread
dropped the last reference to one, Qt would destroy the widget on that thread and crash.
So the worker never owns them: they stay in `_Dispatcher._pending` (a GUI-thread object)
and are released there, after delivery; the worker only borrows `work` for the call.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QThreadPool, Signal, Slot

log = logging.getLogger(__name__)


@dataclass
class _Job:
    owner: QObject
    work: Callable[[], Any]
    on_done: Callable[[Any], None]
    on_error: Callable[[BaseException], None]


class _Dispatcher(QObject):
    # (job id, result, error): exactly one of result/error is meaningful.
    finished = Signal(int, object, object)

    def __init__(self) -> None:
        super().__init__()
        self._pending: dict[int, _Job] = {}
        self._ids = itertools.count(1)
        # Emitted from pool threads, delivered here on the GUI thread (queued connection).
        self.finished.connect(self._deliver)

    def submit(self, job: _Job) -> None:
        job_id = next(self._ids)
        self._pending[job_id] = job
        QThreadPool.globalInstance().start(lambda: self._run(job_id))

    def _run(self, job_id: int) -> None:
        # Runs on a pool thread. Borrow `work` for the call only; the dict keeps ownership.
        work = self._pending[job_id].work
        try:
            result: object = work()
            error: BaseException | None = None
        except BaseException as exc:  # handed to on_error on the GUI thread
            result, error = None, exc
        del work
        self.finished.emit(job_id, result, error)

    @Slot(int, object, object)
    def _deliver(self, job_id: int, result: object, error: object) -> None:
        job = self._pending.pop(job_id)
        if not shiboken6.isValid(job.owner):
            log.debug("background result dropped: its window was closed")
            return
        if isinstance(error, BaseException):
            job.on_error(error)
        else:
            job.on_done(result)


_dispatcher: _Dispatcher | None = None


def run_in_background(
    parent: QObject,
    work: Callable[[], Any],
    on_done: Callable[[Any], None],
    on_error: Callable[[BaseException], None],
) -> None:
    """Call `work()` on the thread pool; then `on_done(result)` or `on_error(exc)` on this thread.

    Call from the GUI thread. If `parent` is deleted before the result arrives, the late
    result is dropped.
    """
    global _dispatcher
    if _dispatcher is None:
        _dispatcher = _Dispatcher()
    _dispatcher.submit(_Job(parent, work, on_done, on_error))
