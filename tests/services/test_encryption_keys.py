"""Encryption at rest turned on: the key in the (real, file-backed) keyring, the recovery code,
converting a plain database, and what happens when the key is missing or wrong."""

from __future__ import annotations

import hashlib
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from keyrings.alt.file import PlaintextKeyring

from app.models import cipher
from app.models.db import open_database
from app.services import encryption, encryption_admin, keys
from app.services.audit import verify_chain
from app.services.document_store import read_document, store_document
from app.ui.open_errors import describe_open_error
from tests.services.data_safety_helpers import ROOT, change_scores, make_demo
from tests.services.encryption_helpers import empty_keyring, file_keyring, leaked, student_secrets

__all__ = ["file_keyring"]  # the fixture, used by name


# --------------------------------------------------------------------------- the recovery code


def test_recovery_code_round_trip_and_typing_slack() -> None:
    secret = keys.new_secret()
    code = keys.recovery_code(secret)
    groups = code.split("-")
    assert len(groups) == 5 and all(len(g) == 5 for g in groups)
    assert set(code.replace("-", "")) <= set(keys.ALPHABET)
    assert keys.parse_recovery_code(code) == secret
    assert keys.parse_recovery_code(" " + code.lower().replace("-", " ") + "\n") == secret
    # Crockford: O is read as 0, I and L as 1.
    sloppy = code.replace("0", "O").replace("1", "l")
    assert keys.parse_recovery_code(sloppy) == secret


def test_every_single_typo_and_most_swaps_are_caught() -> None:
    rng = random.Random(8)
    swaps_missed = 0
    for _ in range(300):
        code = keys.recovery_code(rng.randbytes(keys.SECRET_BYTES)).replace("-", "")
        i = rng.randrange(len(code))
        wrong = rng.choice([c for c in keys.ALPHABET if c != code[i]])
        with pytest.raises(keys.BadRecoveryCode):
            keys.parse_recovery_code(code[:i] + wrong + code[i + 1 :])
        j = rng.randrange(len(code) - 1)
        if code[j] != code[j + 1]:
            swapped = code[:j] + code[j + 1] + code[j] + code[j + 2 :]
            try:
                keys.parse_recovery_code(swapped)
                swaps_missed += 1
            except keys.BadRecoveryCode:
                pass
    assert swaps_missed <= 3
    with pytest.raises(keys.BadRecoveryCode) as short:
        keys.parse_recovery_code("ABCDE-FGHJK")
    assert "25 ký tự" in short.value.message
    with pytest.raises(keys.BadRecoveryCode) as odd:
        keys.parse_recovery_code("ABCDE-FGHJK-MNPQR-STVWX-YZ01U")
    assert "U" in odd.value.message


# --------------------------------------------------------------------------- conversion


@pytest.fixture
def plain_db(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    return make_demo(folder / "hocba.sqlite3", classes=2, students=8)


def _control_documents(db_path: Path, secrets: list[bytes]) -> list[tuple[str, str, bytes]]:
    """Document files that hold students' names and ids in clear (as a PDF's embedded XML can)."""
    db = open_database(db_path)
    try:
        stored = []
        for i in range(3):
            body = b"%PDF-1.7\n" + b" ".join(secrets[i * 5 : i * 5 + 8]) + os.urandom(300)
            doc = store_document(db, body)
            stored.append((doc.store_key, doc.sha256, body))
    finally:
        db.dispose()
    return stored


def test_conversion_leaves_no_name_or_id_in_clear(file_keyring: PlaintextKeyring, plain_db: Path) -> None:
    secrets = student_secrets(plain_db, None)
    docs = _control_documents(plain_db, secrets)
    store = plain_db.parent / "documents"
    # The control: before, the database and the document files do hold them in clear.
    assert leaked(plain_db.read_bytes(), secrets)
    assert all(leaked((store / key).read_bytes(), secrets) for key, _, _ in docs)

    result = encryption.encrypt_database(plain_db)
    assert not result.already_encrypted and result.recovery_code and result.documents_sealed == 3
    key = encryption.key_for_opening(plain_db)
    assert key is not None and cipher.looks_plain(plain_db) is False
    db = open_database(plain_db, key=key)
    try:
        change_scores(db, 6)  # writes go through the -wal first
        wal = Path(f"{plain_db}-wal")
        assert wal.stat().st_size > 0
        assert not leaked(wal.read_bytes(), secrets)
        for store_key, sha, body in docs:
            assert read_document(db, store_key, sha) == body  # unsealed transparently
    finally:
        db.dispose()
    assert not leaked(plain_db.read_bytes(), secrets)
    for store_key, _, _ in docs:
        raw = (store / store_key).read_bytes()
        assert cipher.is_sealed(raw) and not leaked(raw, secrets)
    leftovers = [
        p.name for p in plain_db.parent.iterdir() if p.name.endswith((".encrypting", ".before-encryption"))
    ]
    assert not leftovers
    # The facts were compared: same student names after as before.
    assert student_secrets(plain_db, key) == secrets


def test_the_marker_and_keyring_entry_are_per_database(
    file_keyring: PlaintextKeyring, tmp_path: Path
) -> None:
    a = make_demo(tmp_path / "a" / "hocba.sqlite3", classes=1, students=3)
    b = make_demo(tmp_path / "b" / "hocba.sqlite3", classes=1, students=3)
    code_a = encryption.encrypt_database(a).recovery_code
    code_b = encryption.encrypt_database(b).recovery_code
    info_a, info_b = keys.read_marker(keys.marker_path(a)), keys.read_marker(keys.marker_path(b))
    assert info_a and info_b and info_a.key_id != info_b.key_id and code_a != code_b
    key_a, key_b = keys.database_key(a), keys.database_key(b)
    assert key_a and key_b and key_a != key_b
    marker_text = keys.marker_path(a).read_text(encoding="utf-8")
    assert key_a.hex() not in marker_text and code_a is not None and code_a not in marker_text
    # Running it again changes nothing (and says so).
    again = encryption.encrypt_database(a)
    assert again.already_encrypted and again.recovery_code is None
    assert keys.database_key(a) == key_a


def test_conversion_refuses_while_the_app_has_the_folder(
    file_keyring: PlaintextKeyring, plain_db: Path
) -> None:
    from app.services.datafolder import InstanceLock, InstanceRunning

    with InstanceLock.acquire(plain_db.parent), pytest.raises(InstanceRunning):
        encryption.encrypt_database(plain_db)
    assert cipher.looks_plain(plain_db) and not keys.is_encrypted(plain_db)


# --------------------------------------------------------------------------- missing or wrong key


def test_a_lost_keyring_gives_a_clear_message_not_an_empty_database(
    file_keyring: PlaintextKeyring, plain_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = encryption.encrypt_database(plain_db).recovery_code
    assert code is not None
    size = plain_db.stat().st_size
    empty_keyring(tmp_path, monkeypatch, "reinstalled")
    with pytest.raises(keys.KeyMissing) as missing:
        encryption.key_for_opening(plain_db)
    text = missing.value.message
    assert "mã khôi phục" in text and "key recover" in text and str(plain_db) in text
    assert describe_open_error(missing.value, plain_db) == text
    assert plain_db.stat().st_size == size  # nothing was created or replaced
    # The wrong code is refused before anything is written; the right one brings the key back.
    other = keys.recovery_code(keys.new_secret())
    with pytest.raises(keys.KeyMismatch):
        keys.install_recovered(plain_db, other)
    with pytest.raises(keys.KeyMissing):
        keys.database_key(plain_db)
    keys.install_recovered(plain_db, code.lower())
    key = encryption.key_for_opening(plain_db)
    assert key is not None
    db = open_database(plain_db, key=key)
    try:
        with db.read() as s:
            assert verify_chain(s).ok
    finally:
        db.dispose()


def test_a_keyring_holding_another_key_is_named_as_such(
    file_keyring: PlaintextKeyring, plain_db: Path
) -> None:
    encryption.encrypt_database(plain_db)
    info = keys.read_marker(keys.marker_path(plain_db))
    assert info is not None
    keys.store_secret(info.key_id, keys.new_secret())
    with pytest.raises(keys.KeyMismatch) as wrong:
        encryption.key_for_opening(plain_db)
    assert "không phải khoá của tệp" in wrong.value.message
    # Without the marker, a wrong key still gives the clear SQLCipher message, never a restore.
    with pytest.raises(cipher.WrongKeyError):
        open_database(plain_db, key=os.urandom(32))


def test_recovery_code_brings_back_a_database_whose_marker_is_gone_too(
    file_keyring: PlaintextKeyring, plain_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = encryption.encrypt_database(plain_db).recovery_code
    assert code is not None
    keys.marker_path(plain_db).unlink()  # only the database file was carried to the new PC
    empty_keyring(tmp_path, monkeypatch, "new-pc")
    with pytest.raises(keys.KeyMismatch):
        keys.install_recovered(plain_db, keys.recovery_code(keys.new_secret()))
    assert not keys.marker_path(plain_db).exists()
    key = keys.install_recovered(plain_db, code)
    assert keys.is_encrypted(plain_db) and encryption.key_for_opening(plain_db) == key


def test_show_recovery_code_is_for_admins_and_audited(file_keyring: PlaintextKeyring, plain_db: Path) -> None:
    from sqlalchemy import select

    from app.models import AuditEntry
    from app.services import accounts
    from app.services.access import PermissionDenied
    from app.services.demo import DEMO_PASSWORD

    code = encryption.encrypt_database(plain_db).recovery_code
    db = open_database(plain_db, key=encryption.key_for_opening(plain_db))
    try:
        admin = accounts.actor_for(db, accounts.sign_in(db, "admin", DEMO_PASSWORD).user_id)
        clerk = accounts.actor_for(db, accounts.sign_in(db, "vanthu", DEMO_PASSWORD).user_id)
        with pytest.raises(PermissionDenied):
            encryption_admin.recovery_code_for(db, clerk)
        assert encryption_admin.recovery_code_for(db, admin) == code
        with db.read() as s:
            actions = list(s.scalars(select(AuditEntry.action).where(AuditEntry.actor == "admin")))
        assert "encryption.recovery_code_shown" in actions
    finally:
        db.dispose()


# --------------------------------------------------------------------------- interrupted conversion

POINTS = ("checked", "key-stored", "exported", "marked", "aside", "swapped", "removed", "sealing", "sealed")


@pytest.mark.parametrize("point", POINTS)
def test_a_conversion_killed_at_any_step_leaves_a_usable_database(
    file_keyring: PlaintextKeyring, plain_db: Path, point: str
) -> None:
    secrets = student_secrets(plain_db, None)
    docs = _control_documents(plain_db, secrets)
    before = hashlib.sha256(plain_db.read_bytes()).hexdigest()
    proc = subprocess.run(
        [sys.executable, "-m", "tests.services.encryption_child", str(plain_db), point,
         "2" if point == "sealing" else "1"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == -9, proc.stderr[-2000:]
    # The next opener (the app at start, any command) finishes or undoes it.
    key = encryption.key_for_opening(plain_db)
    marked = POINTS.index(point) >= POINTS.index("marked")
    assert (key is not None) == marked
    assert cipher.looks_plain(plain_db) is (not marked)
    if not marked:
        assert hashlib.sha256(plain_db.read_bytes()).hexdigest() == before
    db = open_database(plain_db, key=key)
    try:
        with db.read() as s:
            assert verify_chain(s).ok
        for store_key, sha, body in docs:
            assert read_document(db, store_key, sha) == body
    finally:
        db.dispose()
    assert student_secrets(plain_db, key) == secrets
    leftovers = sorted(
        p.name for p in plain_db.parent.iterdir()
        if p.name.endswith((".encrypting", ".before-encryption", ".pending.json", ".partial"))
    )  # fmt: skip
    assert not leftovers
    # Running the command again completes it: everything encrypted and sealed.
    result = encryption.encrypt_database(plain_db)
    assert result.already_encrypted == marked
    key = encryption.key_for_opening(plain_db)
    assert key is not None and cipher.looks_plain(plain_db) is False
    store = plain_db.parent / "documents"
    assert all(cipher.is_sealed((store / k).read_bytes()) for k, _, _ in docs)


def test_old_plain_backups_are_named_and_an_encrypted_one_is_made_at_once(
    file_keyring: PlaintextKeyring, plain_db: Path
) -> None:
    from app.services.backup import create_backup
    from app.services.recovery import STATUS_RECOVERED, recover_at_start

    folder = plain_db.parent.parent / "usb"
    old = create_backup(plain_db, folder).snapshot.path
    result = encryption.encrypt_database(plain_db, backup_folders=[folder])
    assert result.plain_backups == (old,) and any("chưa mã hoá" in n for n in result.notes)
    [fresh] = result.encrypted_backups
    assert cipher.looks_plain(fresh) is False
    # Damage right after the conversion: the start-up recovery restores the encrypted snapshot.
    key = encryption.key_for_opening(plain_db)
    data = bytearray(plain_db.read_bytes())
    data[len(data) // 2] ^= 0x40
    plain_db.write_bytes(bytes(data))
    report = recover_at_start(plain_db, backup_folders=[folder], key=key)
    assert report.status == STATUS_RECOVERED and report.restored is not None
    assert report.restored.restored_from == fresh
