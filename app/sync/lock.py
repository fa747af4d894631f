"""One sync at a time per database, across threads and processes (the GUI's timer, the
Sync button, `python -m app sync` from a scheduled task).

An OS file lock next to the database: the kernel releases it when the holder dies, so a
killed sync never blocks the next one; the "in progress" marks it left behind are then
reset by the next holder (app.sync.outbox.reset_stale_marks).
"""

from __future__ import annotations

import threading
from pathlib import Path
from types import TracebackType

from filelock import FileLock, Timeout

from app.errors import UserFacingError

_guard = threading.Lock()
_in_process: dict[Path, threading.Lock] = {}


def _thread_lock(db_path: Path) -> threading.Lock:
    with _guard:
        return _in_process.setdefault(db_path.resolve(), threading.Lock())


class SyncBusy(UserFacingError):
    def __init__(self) -> None:
        super().__init__("Một lần đồng bộ khác đang chạy trên máy này. Hãy đợi nó xong.")


class SyncLock:
    def __init__(self, db_path: Path) -> None:
        self._file = FileLock(str(db_path.with_name(db_path.name + ".sync.lock")), thread_local=False)
        self._thread = _thread_lock(db_path)
        self._held = False

    def __enter__(self) -> SyncLock:
        # The thread lock answers at once inside this process; the file lock keeps other
        # processes (a scheduled `python -m app sync`, a second window) out.
        if not self._thread.acquire(blocking=False):
            raise SyncBusy()
        try:
            self._file.acquire(timeout=0)
        except Timeout:
            self._thread.release()
            raise SyncBusy() from None
        self._held = True
        return self

    def __exit__(
        self, _t: type[BaseException] | None, _e: BaseException | None, _tb: TracebackType | None
    ) -> None:
        if self._held:
            self._file.release()
            self._thread.release()
            self._held = False
