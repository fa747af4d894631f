"""The token thread: one thread owns every PKCS#11 call (architecture.md §3).

`TokenWorker` runs submitted calls one at a time and hands back concurrent.futures.Future
objects (the UI turns their completion into a queued Qt signal). Between calls it polls
the configured modules for tokens and reports any change, on this same thread, through a
plain callback: within `poll_interval` when idle (1 s by default, so plugging and pulling
a token shows within 2 s).

Many modules only discover tokens plugged in after C_Initialize when re-initialised
(SoftHSM does so always); the poller re-initialises a module before each scan unless a
session on it is open, since re-initialising closes the module's sessions.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, TypeVar

from app.signing import tokens
from app.signing.batch import BatchOptions, BatchResult, DocumentResult, SignJob, sign_batch
from app.signing.certinfo import CertificateInfo
from app.signing.errors import SigningError
from app.signing.pin import Pin
from app.signing.signers import SignerSpec

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class TokenSnapshot:
    """The tokens present, and the modules that could not be asked (with the reason)."""

    tokens: tuple[tokens.TokenInfo, ...]
    module_errors: tuple[tuple[str, str], ...] = ()

    @property
    def identities(self) -> frozenset[tuple[str, str, str]]:
        return frozenset(t.identity for t in self.tokens)


_STOP = object()


class TokenWorker:
    def __init__(
        self,
        *,
        poll_modules: Sequence[str] = (),
        on_tokens_changed: Callable[[TokenSnapshot], None] | None = None,
        poll_interval: float = 1.0,
        reinitialize_on_poll: bool = True,
        name: str = "token-thread",
    ) -> None:
        self._queue: queue.Queue[Any] = queue.Queue()
        self._poll_modules = tuple(poll_modules)
        self._on_change = on_tokens_changed
        self._interval = poll_interval
        self._reinit = reinitialize_on_poll
        self._last: frozenset[tuple[str, str, str]] | None = None
        self._last_errors: tuple[tuple[str, str], ...] = ()
        self._closed = False
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    # --- running calls ---------------------------------------------------------

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        if self._closed:
            raise RuntimeError("token worker is shut down")
        future: Future[T] = Future()
        self._queue.put((future, fn, args, kwargs))
        return future

    def on_thread(self) -> bool:
        return threading.current_thread() is self._thread

    def list_tokens(self, module_path: str) -> Future[tuple[tokens.TokenInfo, ...]]:
        return self.submit(tokens.list_tokens, module_path)

    def list_certificates(
        self, module_path: str, ref: tokens.TokenRef
    ) -> Future[tuple[CertificateInfo, ...]]:
        return self.submit(tokens.list_certificates, module_path, ref)

    def sign_batch(
        self,
        jobs: Sequence[SignJob],
        signer: SignerSpec,
        pin: Pin | None,
        *,
        options: BatchOptions | None = None,
        cancel: threading.Event | None = None,
        on_progress: Callable[[DocumentResult], None] | None = None,
    ) -> Future[BatchResult]:
        return self.submit(
            sign_batch, jobs, signer, pin, options=options, cancel=cancel, on_progress=on_progress
        )

    # --- polling ---------------------------------------------------------------

    def watch(self, modules: Sequence[str], on_change: Callable[[TokenSnapshot], None]) -> None:
        """Start (or re-aim) polling; the first scan is reported as a change."""

        def _set() -> None:
            self._poll_modules = tuple(modules)
            self._on_change = on_change
            self._last = None
            self._poll()

        self.submit(_set)

    def poll_now(self) -> Future[TokenSnapshot]:
        return self.submit(self._poll)

    def _poll(self) -> TokenSnapshot:
        found: list[tokens.TokenInfo] = []
        errors: list[tuple[str, str]] = []
        for path in self._poll_modules:
            try:
                if self._reinit:
                    tokens.reinitialize(path)
                found.extend(tokens.list_tokens(path))
            except SigningError as exc:
                errors.append((path, exc.message))
            except Exception as exc:  # a vendor module misbehaving must not kill the thread
                errors.append((path, repr(exc)))
        snapshot = TokenSnapshot(tuple(found), tuple(errors))
        if (
            snapshot.identities != self._last or snapshot.module_errors != self._last_errors
        ) and self._on_change:
            self._last, self._last_errors = snapshot.identities, snapshot.module_errors
            try:
                self._on_change(snapshot)
            except Exception:
                log.exception("token change callback failed")
        return snapshot

    # --- the thread --------------------------------------------------------------

    def _loop(self) -> None:
        next_poll = time.monotonic()
        while True:
            timeout = max(0.0, next_poll - time.monotonic()) if self._poll_modules else None
            try:
                item = self._queue.get(timeout=timeout)
            except queue.Empty:
                self._poll()
                next_poll = time.monotonic() + self._interval
                continue
            if item is _STOP:
                self._cancel_pending()
                return
            future, fn, args, kwargs = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(fn(*args, **kwargs))
            except BaseException as exc:
                future.set_exception(exc)

    def _cancel_pending(self) -> None:
        # Anything submitted while shutting down is cancelled, never left waiting forever.
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return
            if item is not _STOP:
                item[0].cancel()

    def shutdown(self, wait: bool = True) -> None:
        if self._closed:
            return
        self._closed = True
        self._queue.put(_STOP)
        if wait and not self.on_thread():
            self._thread.join()

    def __enter__(self) -> TokenWorker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
