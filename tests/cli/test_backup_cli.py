"""`backup`, `restore` and `doctor` as IT staff run them: real processes, real files."""

from __future__ import annotations

import json
from pathlib import Path

from app.services.datafolder import InstanceLock
from tests.cli.test_commands import run_app
from tests.services.data_safety_helpers import audit_count, flip_page_headers, make_demo, make_documents


def test_backup_restore_doctor_round_trip(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    db = make_demo(data / "hocba.sqlite3")
    make_documents(data / "documents", 3)
    usb = tmp_path / "usb"

    proc = run_app("backup", "--db", str(db), "--to", str(usb))
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert Path(result["snapshot"]).is_file()
    assert result["documents"] == {
        "total": 3,
        "copied": 3,
        "bytes_copied": result["documents"]["bytes_copied"],
        "damaged_not_copied": [],
    }
    assert result["audit_entries"] == 1

    again = json.loads(run_app("backup", "--db", str(db), "--to", str(usb)).stdout)
    assert again["documents"]["copied"] == 0

    healthy = run_app("doctor", "--db", str(db), "--backups", str(usb))
    assert healthy.returncode == 0, healthy.stdout
    assert json.loads(healthy.stdout)["healthy"] is True

    flip_page_headers(db)
    sick = run_app("doctor", "--db", str(db), "--backups", str(usb))
    assert sick.returncode == 1
    report = json.loads(sick.stdout)
    assert [c["name"] for c in report["checks"] if not c["ok"]] == ["integrity"]

    proc = run_app("restore", "--from", str(usb), "--db", str(db))
    assert proc.returncode == 0, proc.stderr
    restored = json.loads(proc.stdout)
    assert restored["restored_from"] == again["snapshot"]
    assert len(restored["set_aside"]) == 1 and Path(restored["set_aside"][0]).is_file()
    assert audit_count(db) == 1
    assert run_app("doctor", "--db", str(db), "--backups", str(usb)).returncode == 0


def test_doctor_repair_fixes_and_exits_zero(tmp_path: Path) -> None:
    db = make_demo(tmp_path / "hocba.sqlite3")
    assert run_app("backup", "--db", str(db), "--to", str(tmp_path / "backups")).returncode == 0
    flip_page_headers(db)
    proc = run_app("doctor", "--db", str(db), "--repair")  # the default backup folder is found
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    assert report["healthy"] is True and report["after_repair"]
    assert any("bản sao lưu" in r for r in report["repairs"])


def test_restore_is_refused_while_the_app_is_open(tmp_path: Path) -> None:
    db = make_demo(tmp_path / "hocba.sqlite3")
    run_app("backup", "--db", str(db), "--to", str(tmp_path / "bk"))
    flip_page_headers(db)
    damaged = db.read_bytes()
    with InstanceLock.acquire(tmp_path):
        proc = run_app("restore", "--from", str(tmp_path / "bk"), "--db", str(db))
        repair = run_app("doctor", "--db", str(db), "--repair", "--backups", str(tmp_path / "bk"))
    assert proc.returncode == 1
    assert "Học bạ số đang mở" in proc.stderr
    assert repair.returncode == 2 and "Học bạ số đang mở" in repair.stderr
    assert db.read_bytes() == damaged


def test_clear_messages_for_bad_arguments(tmp_path: Path) -> None:
    proc = run_app("backup", "--db", str(tmp_path / "none.sqlite3"), "--to", str(tmp_path / "bk"))
    assert proc.returncode == 1 and "Không tìm thấy tệp dữ liệu" in proc.stderr
    proc = run_app("restore", "--from", str(tmp_path / "nothing"), "--db", str(tmp_path / "x.sqlite3"))
    assert proc.returncode == 1 and "không tìm thấy bản sao lưu" in proc.stderr
    (tmp_path / "empty").mkdir()
    proc = run_app("restore", "--from", str(tmp_path / "empty"), "--db", str(tmp_path / "x.sqlite3"))
    assert proc.returncode == 1 and "không có bản sao lưu dùng được" in proc.stderr
