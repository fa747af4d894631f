"""The token thread: every call on one thread; the poller sees tokens come and go."""

from __future__ import annotations

import queue
import shutil
import threading
from pathlib import Path

import pytest

from app.signing import tokens
from app.signing.softhsm import init_token
from app.signing.worker import TokenSnapshot, TokenWorker
from tests.signing.conftest import MODULE, PIN, SO_PIN, Tokens, token_folder

# A hang guard only (a test must end even if the poller is broken); latency is measured in
# bench/bench_sign.py, which reports how soon a plugged or pulled token shows.
GUARD_S = 60


def test_calls_run_one_at_a_time_on_one_thread(hsm: Tokens) -> None:
    seen: list[int] = []
    with TokenWorker() as worker:
        futures = [
            worker.submit(lambda: seen.append(threading.get_ident()) or worker.on_thread()) for _ in range(20)
        ]
        assert all(f.result() for f in futures)
        assert worker.submit(tokens.list_tokens, MODULE).result()
        failed = worker.submit(lambda: 1 / 0)
        with pytest.raises(ZeroDivisionError):
            failed.result()
        assert worker.submit(lambda: "still alive").result() == "still alive"
    assert len(set(seen)) == 1 and seen[0] != threading.get_ident()
    with pytest.raises(RuntimeError):
        worker.submit(lambda: None)


def test_poller_reports_a_token_plugged_and_pulled(hsm: Tokens, tmp_path: Path) -> None:
    changes: queue.Queue[TokenSnapshot] = queue.Queue()
    label = "Token moi cam"

    def wait_for(present: bool) -> TokenSnapshot:
        while True:
            snapshot = changes.get(timeout=GUARD_S)
            if any(t.label == label for t in snapshot.tokens) == present:
                return snapshot

    with TokenWorker(poll_modules=[MODULE], on_tokens_changed=changes.put, poll_interval=0.2) as worker:
        first = changes.get(timeout=GUARD_S)  # the first scan is always reported
        assert hsm.teacher.label in {t.label for t in first.tokens}
        assert not first.module_errors
        init_token(hsm.home, label, pin=PIN, so_pin=SO_PIN)  # "plugged in" by another program
        plugged = wait_for(True)
        info = next(t for t in plugged.tokens if t.label == label)
        assert info.serial and info.module_path == MODULE
        shutil.rmtree(token_folder(hsm, worker, label))  # "pulled out"
        gone = wait_for(False)
        assert hsm.teacher.label in {t.label for t in gone.tokens}
        # No change, no report: a quiet poll does not call back.
        worker.poll_now().result()
        assert changes.empty()


def test_poller_reports_a_module_that_cannot_load(hsm: Tokens, tmp_path: Path) -> None:
    changes: queue.Queue[TokenSnapshot] = queue.Queue()
    missing = str(tmp_path / "vnpt-ca_csp11.dll")
    with TokenWorker() as worker:
        worker.watch([missing, MODULE], changes.put)
        snapshot = changes.get(timeout=GUARD_S)
    [(path, message)] = snapshot.module_errors
    assert path == missing and "Không nạp được trình điều khiển token" in message
    assert hsm.teacher.label in {t.label for t in snapshot.tokens}


def test_poller_leaves_a_module_with_an_open_session_alone(hsm: Tokens) -> None:
    with TokenWorker() as worker:

        def during_session() -> bool:
            with tokens.session(MODULE, tokens.TokenRef(label=hsm.teacher.label), None, login=False):
                return tokens.reinitialize(MODULE)

        assert worker.submit(during_session).result() is False
        assert worker.submit(tokens.reinitialize, MODULE).result() is True
