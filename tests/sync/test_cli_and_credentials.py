"""`python -m app hub-connect` and `python -m app sync` as a school's IT person runs them;
the credential lives in the keyring (a real file backend here), never in the database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import keyring
import pytest
from keyrings.alt.file import PlaintextKeyring

from app.errors import UserFacingError
from app.models.db import Database
from app.sync import credentials
from app.sync.connect import connect_device
from app.sync.worker import NotConnected, run_sync
from tests.hub.servers import ROOT, RunningHub
from tests.sync.conftest import FAST, QUICK
from tests.sync.docs import DocSet, fresh_id, issue
from tests.sync.proxy import FaultProxy


def app_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )


def test_connect_then_sync_from_the_command_line(
    school: Database, hub: RunningHub, docset: DocSet, file_keyring: PlaintextKeyring
) -> None:
    credential = hub.device(docset.school_code)
    for doc in docset.signed[:2]:
        issue(school, doc, school_code=docset.school_code, document_id=fresh_id())
    school.dispose()
    db = str(school.path)

    not_yet = app_cli("sync", "--db", db, "--hub", hub.url)
    assert not_yet.returncode == 2 and "chưa được kết nối" in not_yet.stderr

    connected = app_cli(
        "hub-connect",
        "--db",
        db,
        "--hub",
        hub.url,
        "--credential-env",
        "HUB_CRED",
        env={"HUB_CRED": credential},
    )
    assert connected.returncode == 0, connected.stderr
    info = json.loads(connected.stdout)
    assert info["connected"] and info["school_code"] == docset.school_code and info["hub_id"] == hub.hub_id
    # The credential is in the keyring (the child's file backend, read back here) and nowhere else.
    assert keyring.get_password(credentials.SERVICE, info["device_id"]) == credential
    secret = credential.split(".")[-1].encode()
    for path in Path(db).parent.rglob("*"):
        if path.is_file():
            assert secret not in path.read_bytes(), path
    assert credential not in connected.stdout + connected.stderr

    run = app_cli("sync", "--db", db, "--hub", hub.url)
    assert run.returncode == 0, run.stderr
    summary = json.loads(run.stdout)
    assert {k: summary[k] for k in ("sent", "accepted", "already_there", "failed", "waiting")} == {
        "sent": 2,
        "accepted": 2,
        "already_there": 0,
        "failed": 0,
        "waiting": 0,
    }


def test_sync_exits_1_while_items_wait(
    school: Database, hub: RunningHub, docset: DocSet, proxy: FaultProxy
) -> None:
    connect_device(school, proxy.url, hub.device(docset.school_code), policy=FAST, timeouts=QUICK)
    issue(school, docset.unsigned[0], school_code=docset.school_code, document_id=fresh_id())
    school.dispose()
    proxy.mode = "captive"
    run = app_cli("sync", "--db", str(school.path), "--retries", "1", "--timeout", "5")
    assert run.returncode == 1
    assert json.loads(run.stdout)["waiting"] == 1 and "wifi" in run.stderr


def test_connecting_refuses_bad_credentials_and_other_schools(
    school: Database, hub: RunningHub, docset: DocSet
) -> None:
    with pytest.raises(UserFacingError, match="không đúng dạng"):
        connect_device(school, hub.url, "abc")
    with pytest.raises(UserFacingError, match="không phải trường"):
        connect_device(school, hub.url, hub.device("ANOTHER9"), policy=FAST, timeouts=QUICK)
    revoked = "hbd1.00000000-0000-4000-8000-000000000000." + "A" * 43
    with pytest.raises(UserFacingError, match="chưa được Sở cấp quyền"):
        connect_device(school, hub.url, revoked, policy=FAST, timeouts=QUICK)
    with pytest.raises(NotConnected):
        run_sync(school)


def test_a_keyring_that_lost_the_credential_means_not_connected(
    school: Database, hub: RunningHub, docset: DocSet
) -> None:
    connected = connect_device(school, hub.url, hub.device(docset.school_code), policy=FAST, timeouts=QUICK)
    credentials.forget(connected.device_id)
    with pytest.raises(NotConnected):
        run_sync(school)


def test_no_keyring_backend_is_a_clear_message(monkeypatch: pytest.MonkeyPatch) -> None:
    from keyring.backends.fail import Keyring as FailKeyring

    keyring.set_keyring(FailKeyring())
    with pytest.raises(credentials.KeyringUnavailable, match="kho khoá"):
        credentials.store("d", "secret")
