"""One database writer thread for the screens (architecture.md §3: writes are serialised
on a single worker, never run on the GUI thread).

`submit(job, on_error)` queues a write service call; jobs run one after another in the
order they were submitted, so a teacher typing 7 and then correcting it to 8 always ends
with 8 in the file. A failure comes back to the GUI thread through a queued signal and
calls `on_error` there. `wait_idle()` blocks until every queued write has finished: the
screens call it before reading back what they wrote (switching class, reloading), and
the application before it closes the database.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from functools import partial
from itertools import count

from PySide6.QtCore import QObject, Signal, Slot

log = logging.getLogger(__name__)

ErrorHandler = Callable[[BaseException], None]
DoneHandler = Callable[[object], None]


class SerialWriter(QObject):
    """A single-worker executor whose failures are reported on the GUI thread."""

    _job_failed = Signal(int, object)
    _job_done = Signal(int, object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="db-writer")
        self._ids = count(1)
        self._lock = threading.Lock()
        self._futures: dict[int, Future[object]] = {}
        self._handlers: dict[int, tuple[ErrorHandler | None, DoneHandler | None]] = {}
        self._job_failed.connect(self._on_failed)
        self._job_done.connect(self._on_done)

    def submit(
        self,
        job: Callable[[], object],
        on_error: ErrorHandler | None = None,
        on_done: DoneHandler | None = None,
    ) -> int:
        """Queue `job`; `on_error(exc)` or `on_done(result)` is then called on the GUI thread."""
        job_id = next(self._ids)
        self._handlers[job_id] = (on_error, on_done)

        def run() -> object:
            try:
                result = job()
            except Exception as exc:  # reported on the GUI thread; the next job still runs
                self._job_failed.emit(job_id, exc)
                return None
            self._job_done.emit(job_id, result)
            return result

        future = self._pool.submit(run)
        with self._lock:
            self._futures[job_id] = future
        future.add_done_callback(partial(self._forget, job_id))
        return job_id

    def _forget(self, job_id: int, _future: object = None) -> None:
        with self._lock:
            self._futures.pop(job_id, None)

    @property
    def idle(self) -> bool:
        """No write queued or running (results may still be on their way to the GUI thread)."""
        with self._lock:
            return not self._futures

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until every queued write has finished; False if `timeout` ran out first."""
        with self._lock:
            pending = list(self._futures.values())
        return not wait(pending, timeout=timeout).not_done

    def shutdown(self) -> None:
        """Finish the queued writes, then stop the thread."""
        self._pool.shutdown(wait=True)

    @Slot(int, object)
    def _on_failed(self, job_id: int, exc: object) -> None:
        on_error, _on_done = self._handlers.pop(job_id, (None, None))
        if on_error is None:
            log.error("database write failed with no handler: %r", exc)
            return
        on_error(exc if isinstance(exc, BaseException) else RuntimeError(str(exc)))

    @Slot(int, object)
    def _on_done(self, job_id: int, result: object) -> None:
        _on_error, on_done = self._handlers.pop(job_id, (None, None))
        if on_done is not None:
            on_done(result)
