"""`encrypt`, `key status|recover|show-recovery`, and every other command on an encrypted database,
through the real entry point and a real file-backed keyring."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
from pathlib import Path

import pytest
from keyrings.alt.file import PlaintextKeyring

from app.main import main
from app.models import cipher
from app.services import keys
from app.services.demo import DEMO_PASSWORD
from tests.services.encryption_helpers import empty_keyring, file_keyring, leaked, student_secrets

__all__ = ["file_keyring"]


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, object, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, json.loads(captured.out) if captured.out.strip() else None, captured.err


@pytest.fixture(scope="module")
def issued_school(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo school with its records issued (signed PDFs in the store), still in clear; made once."""
    path = tmp_path_factory.mktemp("issued") / "hocba.sqlite3"
    demo = ["demo", "--db", str(path), "--classes", "1", "--students-per-class", "3", "--seed", "4"]
    assert main(demo) == 0
    assert main(["issue-demo", "--db", str(path)]) == 0
    return path.parent


@pytest.fixture
def issued_db(issued_school: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    capsys.readouterr()
    folder = tmp_path / "school"
    shutil.copytree(issued_school, folder, ignore=shutil.ignore_patterns("hocba.lock"))
    return folder / "hocba.sqlite3"


def test_encrypt_then_every_command_uses_the_key(
    file_keyring: PlaintextKeyring, issued_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(issued_db)
    store = issued_db.parent / "documents"
    originals = {p.name: p.read_bytes() for p in store.rglob("*.pdf")}
    assert originals and all(b.startswith(b"%PDF") for b in originals.values())

    code, out, err = _run(capsys, "encrypt", "--db", db)
    assert code == 0 and isinstance(out, dict), err
    assert out["documents_sealed"] == len(originals) and "mã khôi phục" in out["recovery_note"]
    keys.parse_recovery_code(out["recovery_code"])
    assert cipher.looks_plain(issued_db) is False
    assert all(cipher.is_sealed(p.read_bytes()) for p in store.rglob("*.pdf"))

    code, status, _ = _run(capsys, "key", "status", "--db", db)
    assert code == 0 and status == {"database": db, "encrypted": True, "key_on_this_pc": True}

    # Exported files leave the app as the plain signed PDFs, byte for byte.
    code, exported, err = _run(capsys, "export-issued", "--db", db, "--out", str(tmp_path / "out"))
    assert code == 0 and isinstance(exported, list) and exported, err
    for item in exported:
        data = Path(item["file"]).read_bytes()
        assert data.startswith(b"%PDF") and hashlib.sha256(data).hexdigest() == item["sha256"]
        assert data in originals.values()

    code, report, _ = _run(capsys, "doctor", "--db", db)
    assert code == 0 and isinstance(report, dict) and report["healthy"]
    listing = str(tmp_path / "l.xlsx")
    code, _, err = _run(capsys, "export", "class-list", "--db", db, "--class", "6A1", "--out", listing)
    assert code == 0, err


def test_backup_of_an_encrypted_database_stays_encrypted_and_restores_with_the_key(
    file_keyring: PlaintextKeyring, issued_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db, backups = str(issued_db), tmp_path / "usb"
    assert _run(capsys, "encrypt", "--db", db)[0] == 0
    key = keys.database_key(issued_db)
    secrets = student_secrets(issued_db, key)
    code, result, err = _run(capsys, "backup", "--db", db, "--to", str(backups))
    assert code == 0 and isinstance(result, dict), err
    snapshot = Path(result["snapshot"]["path"]) if isinstance(result.get("snapshot"), dict) else None
    snapshots = [p for p in backups.iterdir() if p.suffix == ".sqlite3"]
    assert len(snapshots) == 1 and (snapshot is None or snapshot == snapshots[0])
    assert cipher.looks_plain(snapshots[0]) is False and not leaked(snapshots[0].read_bytes(), secrets)
    copied = list((backups / "documents").rglob("*.pdf"))
    assert copied and all(cipher.is_sealed(p.read_bytes()) for p in copied)

    issued_db.write_bytes(b"ransomware was here" * 100)  # the live file is ruined
    for side in ("-wal", "-shm"):
        Path(f"{issued_db}{side}").unlink(missing_ok=True)
    code, _, err = _run(capsys, "restore", "--from", str(backups), "--db", db)
    assert code == 0, err
    assert student_secrets(issued_db, keys.database_key(issued_db)) == secrets
    assert cipher.looks_plain(issued_db) is False


def test_a_new_pc_with_only_the_backup_and_the_code(
    file_keyring: PlaintextKeyring,
    issued_db: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    db, backups = str(issued_db), tmp_path / "usb"
    _, out, _ = _run(capsys, "encrypt", "--db", db)
    assert isinstance(out, dict)
    code_text = out["recovery_code"]
    secrets = student_secrets(issued_db, keys.database_key(issued_db))
    assert _run(capsys, "backup", "--db", db, "--to", str(backups))[0] == 0

    # The new PC: an empty keyring, a new data folder, the USB drive with the backup folder.
    empty_keyring(tmp_path, monkeypatch, "new-pc")
    new_db = tmp_path / "new-pc-data" / "hocba.sqlite3"
    new_db.parent.mkdir()
    carried = tmp_path / "carried"
    shutil.copytree(backups, carried)
    code, _, err = _run(capsys, "restore", "--from", str(carried), "--db", str(new_db))
    assert code == 1 and "key recover" in err and "mã khôi phục" in err  # no key yet: what to do

    monkeypatch.setattr("sys.stdin", io.StringIO("0000-0000\n"))
    code, _, err = _run(capsys, "key", "recover", "--db", str(new_db), "--from", str(carried))
    assert code == 1 and "25 ký tự" in err and not keys.marker_path(new_db).exists()
    monkeypatch.setattr("sys.stdin", io.StringIO(code_text.replace("-", " ") + "\n"))
    code, result, err = _run(capsys, "key", "recover", "--db", str(new_db), "--from", str(carried))
    assert code == 0 and isinstance(result, dict) and result["recovered"], err
    code, _, err = _run(capsys, "restore", "--from", str(carried), "--db", str(new_db))
    assert code == 0, err
    assert student_secrets(new_db, keys.database_key(new_db)) == secrets
    code, report, _ = _run(capsys, "doctor", "--db", str(new_db), "--backups", str(carried))
    assert code == 0 and isinstance(report, dict) and report["healthy"]


def test_missing_key_is_a_message_for_every_command(
    file_keyring: PlaintextKeyring,
    issued_db: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    db = str(issued_db)
    _, out, _ = _run(capsys, "encrypt", "--db", db)
    assert isinstance(out, dict)
    empty_keyring(tmp_path, monkeypatch, "reinstalled")
    before = issued_db.read_bytes()
    commands = [
        ["render", "--db", db, "--class", "6A1", "--out", str(tmp_path / "r")],
        ["doctor", "--db", db],
        ["backup", "--db", db, "--to", str(tmp_path / "bk")],
        ["export-issued", "--db", db, "--out", str(tmp_path / "x")],
        ["demo", "--db", db],
        ["sync", "--db", db],
    ]
    for argv in commands:
        code, _, err = _run(capsys, *argv)
        assert code == 2, (argv, err)
        assert "mã khôi phục" in err and "Traceback" not in err, (argv, err)
    code, status, _ = _run(capsys, "key", "status", "--db", db)
    assert code == 0 and isinstance(status, dict) and status["key_on_this_pc"] is False
    assert issued_db.read_bytes() == before  # no command replaced or re-created it


def test_show_recovery_needs_the_admin_password(
    file_keyring: PlaintextKeyring,
    issued_db: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    db = str(issued_db)
    _, out, _ = _run(capsys, "encrypt", "--db", db)
    assert isinstance(out, dict)
    monkeypatch.setenv("PW", "not-the-password")
    show = ["key", "show-recovery", "--db", db, "--password-env", "PW", "--login"]
    code, _, err = _run(capsys, *show, "admin")
    assert code == 1 and "Mật khẩu chưa đúng" in err
    monkeypatch.setenv("PW", DEMO_PASSWORD)
    code, _, err = _run(capsys, *show, "vanthu")
    assert code == 1 and "quản trị" in err
    code, shown, err = _run(capsys, *show, "admin")
    assert code == 0 and isinstance(shown, dict) and shown["recovery_code"] == out["recovery_code"], err
