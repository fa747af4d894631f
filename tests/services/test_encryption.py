"""Encryption at rest (SQLCipher for the database, AES-GCM for document files), opt-in by key.

The raw bytes on disk — database, its -wal while open, backups, document files — must not
contain a student's name or identification number; a wrong or missing key gives a clear
message; backups, recovery and the doctor work the same on encrypted data.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from sqlalchemy import select

from app.models import Student, cipher
from app.models.db import open_database
from app.services import backup
from app.services.doctor import run_doctor
from app.services.recovery import STATUS_RECOVERED, recover_at_start
from app.ui.open_errors import describe_open_error
from tests.services.data_safety_helpers import change_scores, make_demo

KEY = bytes(range(32))


def _secrets(path: Path) -> list[bytes]:
    db = open_database(path, key=KEY)
    try:
        with db.read() as s:
            rows = s.execute(select(Student.full_name, Student.national_id).limit(20)).all()
    finally:
        db.dispose()
    found = [name.encode() for name, _ in rows] + [nid.encode() for _, nid in rows if nid]
    assert len(found) >= 30
    return found


@pytest.fixture
def encrypted(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    return make_demo(folder / "hocba.sqlite3", key=KEY)


def _no_secret_in(data: bytes, secrets: list[bytes]) -> None:
    leaked = [s.decode() for s in secrets if s in data]
    assert not leaked, f"in clear: {leaked[:3]}"


def test_no_name_or_id_in_clear_in_the_database_its_wal_or_a_backup(encrypted: Path, tmp_path: Path) -> None:
    secrets = _secrets(encrypted)
    plain = make_demo(tmp_path / "plain.sqlite3")
    assert any(s in plain.read_bytes() for s in secrets), "the same demo in clear does contain them"
    db = open_database(encrypted, key=KEY)
    try:
        change_scores(db, 5)
        wal = Path(f"{encrypted}-wal")
        assert wal.stat().st_size > 0
        _no_secret_in(wal.read_bytes(), secrets)
        snap = backup.create_backup(encrypted, tmp_path / "bk", key=KEY).snapshot.path
    finally:
        db.dispose()
    _no_secret_in(encrypted.read_bytes(), secrets)
    _no_secret_in(snap.read_bytes(), secrets)
    assert cipher.looks_plain(encrypted) is False


def test_a_wrong_or_missing_key_gives_a_clear_message(encrypted: Path) -> None:
    with pytest.raises(cipher.WrongKeyError) as wrong:
        open_database(encrypted, key=os.urandom(32))
    assert "khoá" in wrong.value.message and str(encrypted) in wrong.value.message
    with pytest.raises(Exception) as missing:
        open_database(encrypted)
    text = describe_open_error(missing.value, encrypted)
    assert "Đừng xoá" in text and str(encrypted) in text
    with pytest.raises(ValueError):
        open_database(encrypted, key=b"short")


def test_backup_restore_recovery_and_doctor_on_encrypted_data(encrypted: Path) -> None:
    folders = [encrypted.parent / "backups"]
    snap = backup.create_backup(encrypted, folders[0], key=KEY)
    problem, _ = backup.check_file(snap.snapshot.path, None)
    assert problem is not None  # a snapshot is as unreadable without the key as the database
    assert run_doctor(encrypted, key=KEY, backup_folders=folders).healthy
    # One flipped byte anywhere in a page: SQLCipher's per-page HMAC notices (plain SQLite would not).
    data = bytearray(encrypted.read_bytes())
    data[len(data) // 2] ^= 0x01
    encrypted.write_bytes(bytes(data))
    assert not run_doctor(encrypted, key=KEY, backup_folders=folders).healthy
    report = recover_at_start(encrypted, backup_folders=folders, key=KEY)
    assert report.status == STATUS_RECOVERED
    assert run_doctor(encrypted, key=KEY, backup_folders=folders).healthy


def test_a_wrong_key_is_never_taken_for_damage(encrypted: Path) -> None:
    folders = [encrypted.parent / "backups"]
    backup.create_backup(encrypted, folders[0], key=KEY)
    before = encrypted.read_bytes()
    report = recover_at_start(encrypted, backup_folders=folders, key=os.urandom(32))
    assert report.restored is None and encrypted.read_bytes() == before
    report = recover_at_start(encrypted, backup_folders=folders, key=None)
    assert report.restored is None and encrypted.read_bytes() == before
    assert "mã hoá" in (report.message or "")


def test_sealed_document_files(encrypted: Path) -> None:
    secrets = _secrets(encrypted)
    file_key = cipher.file_key(KEY)
    store = encrypted.parent / "documents"
    store.mkdir()
    names = []
    for i in range(4):
        body = b"%PDF-1.7 " + secrets[i] + b" " + secrets[-1 - i] + os.urandom(2000)
        name = hashlib.sha256(body).hexdigest()
        (store / f"{name}.pdf").write_bytes(cipher.seal(body, file_key, name))
        names.append(name)
    for path in store.iterdir():
        _no_secret_in(path.read_bytes(), secrets)
    folders = [encrypted.parent / "backups"]
    result = backup.create_backup(encrypted, folders[0], key=KEY)
    assert result.documents.copied == 4 and not result.documents.skipped_damaged
    assert run_doctor(encrypted, key=KEY, backup_folders=folders).healthy
    victim = store / f"{names[1]}.pdf"
    blob = bytearray(victim.read_bytes())
    blob[-5] ^= 0xFF
    victim.write_bytes(bytes(blob))
    found = run_doctor(encrypted, key=KEY, backup_folders=folders)
    assert any(names[1] in p for p in found.check("documents").problems)
    fixed = run_doctor(encrypted, key=KEY, backup_folders=folders, repair=True)
    assert fixed.healthy
    plain = cipher.unseal(victim.read_bytes(), file_key, names[1])
    assert hashlib.sha256(plain).hexdigest() == names[1]


def test_a_flipped_letter_in_plain_sqlite_goes_unnoticed(tmp_path: Path) -> None:
    """Plain SQLite keeps no page checksums: integrity_check passes over a changed letter in a name."""
    import sqlite3

    plain = make_demo(tmp_path / "plain.sqlite3")
    conn = sqlite3.connect(plain)
    name = conn.execute("SELECT full_name FROM student ORDER BY id LIMIT 1").fetchone()[0]
    conn.close()
    data = bytearray(plain.read_bytes())
    at = data.find(name.encode())
    assert at > 0
    data[at] ^= 0x01  # "N" → "O": still a valid record
    plain.write_bytes(bytes(data))
    conn = sqlite3.connect(plain)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_the_wal_check_reads_an_encrypted_wal_too(encrypted: Path) -> None:
    from app.services.recovery import STATUS_OK, mark_open
    from app.services.wal_check import inspect_wal

    pid = os.fork()
    if pid == 0:  # pragma: no cover - child: writes, then dies without closing
        db = open_database(encrypted, key=KEY)
        mark_open(encrypted)
        change_scores(db, 7)
        os._exit(0)
    os.waitpid(pid, 0)
    wal = Path(f"{encrypted}-wal")
    state = inspect_wal(wal)
    assert state.valid_commits == 7 and not state.damaged
    data = bytearray(wal.read_bytes())
    data[32 + 24 + 100] ^= 0xFF
    wal.write_bytes(bytes(data))
    assert inspect_wal(wal).lost_commits >= 5
    report = recover_at_start(encrypted, backup_folders=[], key=KEY)
    assert report.status != STATUS_OK and "bị hỏng" in (report.message or "")
