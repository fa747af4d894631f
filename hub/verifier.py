"""Background signature verification of received submissions (one thread in the hub).

Receiving never waits for pyHanko: a submission is stored and answered first, with its
verification "pending"; this thread then checks each pending one, oldest first, and
records "verified" or "invalid". Clients learn the result through reconcile. The trust
roots are re-read for every batch, so a root the department adds counts from then on.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from sqlalchemy import select

from hub.blobstore import BlobStore
from hub.db import HubDatabase
from hub.models import Submission, utcnow
from hub.validation import check_pdf, load_roots

log = logging.getLogger(__name__)
BATCH = 20


class Verifier:
    def __init__(self, db: HubDatabase, store: BlobStore, trust_dir: Path, *, idle_s: float = 5.0) -> None:
        self.db = db
        self.store = store
        self.trust_dir = trust_dir
        self.idle_s = idle_s
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="hub-verifier", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def notify(self) -> None:
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                done = self.run_once()
            except Exception:  # a database hiccup must not end verification for good
                log.exception("verification round failed")
                done = 0
            if done == 0:
                self._wake.wait(self.idle_s)
                self._wake.clear()

    def run_once(self, limit: int = BATCH) -> int:
        """Verify up to `limit` pending submissions; returns how many were checked."""
        with self.db.session() as s:
            pending = s.execute(
                select(Submission.id, Submission.document_sha256)
                .where(Submission.verification_status == "pending")
                .order_by(Submission.id)
                .limit(limit)
            ).all()
        if not pending:
            return 0
        roots = load_roots(self.trust_dir)
        for row_id, sha in pending:
            if self._stop.is_set():
                break
            outcome = check_pdf(self.store.read(sha), roots)
            with self.db.session() as s:
                row = s.get(Submission, row_id)
                if row is not None and row.verification_status == "pending":
                    row.verification_status = outcome.status
                    row.verification_summary = outcome.summary
                    row.verification_detail = outcome.detail_json()
                    row.verified_at = utcnow()
        return len(pending)

    def run_all(self) -> int:
        total = 0
        while n := self.run_once():
            total += n
        return total
