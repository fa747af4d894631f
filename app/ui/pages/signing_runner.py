"""Running one signing batch for the "Ký số" page, off the GUI thread.

A batch runs on Qt's thread pool (app.ui.background): it plans the chosen classes afresh,
asks the PIN on the token thread (signing_tokens.obtain_pin, answered by the PIN dialog
through PinBroker), then calls the signing service (app.services.signing_run.run_signing)
once per class with a copy of the PIN; the service signs on the token thread and reports
each document through `on_progress`, which this object re-emits as a queued signal to the
GUI thread. The PIN is wiped when the batch ends, whatever happens. Cancel stops after the
document being signed; a batch stopped by the token (pulled out) or cancelled is resumed
by running it again: the service plans only what is left.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from PySide6.QtCore import QObject, Signal

from app.errors import UserFacingError
from app.i18n import _
from app.models.db import Database
from app.services.access import Actor
from app.services.signing_desk import DemoChoice, desk_plans
from app.services.signing_order import SigningPlan
from app.services.signing_run import ItemResult, SigningRun, run_signing
from app.signing.pin import Pin
from app.signing.signers import DemoSignerSpec, SignerSpec
from app.signing.worker import TokenWorker
from app.ui.background import run_in_background
from app.ui.dialogs.pin_dialog import PinBroker
from app.ui.pages.signing_tokens import PinOutcome, PinRequest, TokenMatch, obtain_pin

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BatchRequest:
    role: str
    class_ids: tuple[int, ...]
    signer_name: str
    token: TokenMatch | None = None  # None: the demo signer
    demo: DemoChoice | None = None

    @property
    def certificate_sha256(self) -> str:
        if self.token is not None:
            return self.token.certificate.sha256
        assert self.demo is not None
        return self.demo.sha256


@dataclass(frozen=True)
class BatchOutcome:
    plans: tuple[SigningPlan, ...]
    runs: tuple[SigningRun, ...] = ()
    pin_cancelled: bool = False
    cancelled: bool = False
    stopped_by: str | None = None  # the token problem that stopped the batch

    def count(self, status: str) -> int:
        return sum(r.count(status) for r in self.runs)


@dataclass
class _Running:
    request: BatchRequest
    cancel: threading.Event = field(default_factory=threading.Event)


class SigningRunner(QObject):
    plans_ready = Signal(object)  # tuple[SigningPlan, ...], before the PIN is asked
    pin_pad = Signal()  # the PIN is typed on the reader: say so
    signing_started = Signal()  # the PIN is in (or not needed): documents are being signed
    item_done = Signal(object)  # ItemResult, one per document of the batch
    finished = Signal(object)  # BatchOutcome
    failed = Signal(object)  # the exception that stopped the batch (UserFacingError: show its message)

    def __init__(self, db: Database, actor: Actor, worker: TokenWorker, broker: PinBroker) -> None:
        super().__init__(broker.parent())
        self._db = db
        self._actor = actor
        self._worker = worker
        self._broker = broker
        self._running: _Running | None = None
        self.last_request: BatchRequest | None = None

    @property
    def busy(self) -> bool:
        return self._running is not None

    def start(self, request: BatchRequest) -> None:
        if self._running is not None:
            raise RuntimeError("a batch is already running")
        running = _Running(request)
        self._running = running
        self.last_request = request
        run_in_background(self, lambda: self._work(running), self._done, self._error)

    def resume(self) -> None:
        """Run the last batch again: the service signs only what is left."""
        if self.last_request is not None:
            self.start(self.last_request)

    def cancel(self) -> None:
        if self._running is not None:
            self._running.cancel.set()

    def _done(self, outcome: object) -> None:
        self._running = None
        self.finished.emit(outcome)

    def _error(self, exc: BaseException) -> None:
        self._running = None
        self.failed.emit(exc)

    # --- on the thread pool ---------------------------------------------------------------

    def _work(self, running: _Running) -> BatchOutcome:
        request = running.request
        plans = desk_plans(self._db, self._actor, request.role, request.class_ids, request.certificate_sha256)
        self.plans_ready.emit(plans)
        pending = sum(len(p.pending) for p in plans)
        if not pending:
            return BatchOutcome(plans)
        spec: SignerSpec
        master: Pin | None = None
        if request.token is not None:
            spec = request.token.spec
            ask = PinRequest(request.token.token.label, request.signer_name, pending)
            outcome: PinOutcome = self._worker.submit(obtain_pin, spec, self._broker.ask, ask).result()
            if outcome.cancelled:
                return BatchOutcome(plans, pin_cancelled=True)
            if outcome.pin_pad:
                self.pin_pad.emit()
            master = outcome.pin
        else:
            assert request.demo is not None
            spec = DemoSignerSpec(request.demo.folder, request.demo.identity)
        runs: list[SigningRun] = []
        self.signing_started.emit()
        try:
            for plan in plans:
                if not plan.pending:
                    continue
                if running.cancel.is_set():
                    break
                pin = Pin(master.reveal()) if master is not None else None  # each run wipes its copy
                run = run_signing(
                    self._db, plan, spec, pin,
                    worker=self._worker if request.token is not None else None,
                    cancel=running.cancel, on_progress=self._progress,
                )  # fmt: skip
                runs.append(run)
                if run.stopped_by is not None:
                    break
        finally:
            if master is not None:
                master.wipe()
        stopped = next((r.stopped_by for r in runs if r.stopped_by), None)
        cancelled = running.cancel.is_set() or any(r.cancelled for r in runs)
        return BatchOutcome(plans, tuple(runs), cancelled=cancelled, stopped_by=stopped)

    def _progress(self, result: ItemResult) -> None:
        # Runs on the thread that signs (the token thread): queued to the GUI thread's slots.
        self.item_done.emit(result)


def error_text(exc: BaseException) -> str:
    if isinstance(exc, UserFacingError):
        return exc.message
    log.error("signing batch failed", exc_info=exc)
    return _(
        "Lỗi không mong đợi khi ký ({name}). Các tài liệu đã ký xong vẫn được giữ; hãy thử lại "
        "hoặc báo cho bộ phận hỗ trợ."
    ).format(name=exc.__class__.__name__)
