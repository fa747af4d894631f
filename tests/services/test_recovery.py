"""Corruption drills: damage the files as a power cut, a bad disk or a person would; recover at start."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.models.db import open_database
from app.services import backup, recovery
from app.services.recovery import STATUS_NEEDS_ATTENTION, STATUS_OK, STATUS_RECOVERED, recover_at_start
from app.services.restore import finish_interrupted_restore, pending_path
from app.services.safe_files import SET_ASIDE_DIR
from tests.services.data_safety_helpers import (
    audit_count,
    change_scores,
    flip_page_headers,
    integrity,
    make_demo,
    unclean_writes,
)


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    return make_demo(folder / "hocba.sqlite3")


def _backup(db: Path) -> backup.BackupResult:
    return backup.create_backup(db, db.parent / "backups")


def _set_aside_files(db: Path) -> list[Path]:
    return sorted(p for p in (db.parent / SET_ASIDE_DIR).rglob("*") if p.is_file())


def test_a_healthy_database_is_left_alone(demo: Path) -> None:
    _backup(demo)
    before = demo.read_bytes()
    report = recover_at_start(demo, backup_folders=[demo.parent / "backups"])
    assert report.status == STATUS_OK and report.message is None
    assert demo.read_bytes() == before


@pytest.mark.parametrize("damage", ["flip_bytes", "truncate", "garble_header"])
def test_a_damaged_database_is_set_aside_and_the_newest_backup_restored(demo: Path, damage: str) -> None:
    _backup(demo)
    db = open_database(demo)
    change_scores(db, 2)
    db.dispose()
    newest = _backup(demo)
    db = open_database(demo)
    change_scores(db, 1, start=10)  # made after the last backup: this one is lost
    db.dispose()
    if damage == "flip_bytes":
        flip_page_headers(demo)
    elif damage == "truncate":
        demo.write_bytes(demo.read_bytes()[: demo.stat().st_size // 2])
    else:
        data = bytearray(demo.read_bytes())
        data[0:100] = bytes(100)
        demo.write_bytes(bytes(data))
    damaged = demo.read_bytes()

    report = recover_at_start(demo, backup_folders=[demo.parent / "backups"])

    assert report.status == STATUS_RECOVERED
    assert report.restored is not None and report.restored.restored_from == newest.snapshot.path
    assert integrity(demo) == ["ok"]
    assert audit_count(demo) == newest.facts.audit_entries == 3
    kept = _set_aside_files(demo)
    assert [p.read_bytes() for p in kept if p.name == demo.name] == [damaged], "damaged file kept as it was"
    text = report.message or ""
    assert "bị hỏng" in text
    assert recovery.local_time_text(newest.snapshot.created_at) in text
    assert "có thể bị mất" in text
    assert str(kept[0].parent) in text


def test_damage_without_any_backup_changes_nothing_and_says_so(demo: Path) -> None:
    flip_page_headers(demo)
    damaged = demo.read_bytes()
    report = recover_at_start(demo, backup_folders=[demo.parent / "backups"])
    assert report.status == STATUS_NEEDS_ATTENTION
    assert demo.read_bytes() == damaged
    assert "không tìm thấy bản sao lưu" in (report.message or "")


def test_a_damaged_backup_is_skipped_for_an_older_good_one(demo: Path) -> None:
    older = _backup(demo)
    db = open_database(demo)
    change_scores(db, 1)
    db.dispose()
    newer = _backup(demo)
    newer.snapshot.path.write_bytes(newer.snapshot.path.read_bytes()[:4096])
    flip_page_headers(demo)
    report = recover_at_start(demo, backup_folders=[demo.parent / "backups"])
    assert report.restored is not None and report.restored.restored_from == older.snapshot.path


def test_a_deleted_wal_after_a_crash_with_a_newer_backup(demo: Path) -> None:
    # 5 changes sit in the -wal; the app's backup (reading through the -wal) has them; then it died.
    unclean_writes(demo, 5, backup_to=demo.parent / "backups")
    newest = backup.list_backups(demo.parent / "backups", "hocba")[0]
    Path(f"{demo}-wal").unlink()
    report = recover_at_start(demo, backup_folders=[demo.parent / "backups"])
    assert report.status == STATUS_RECOVERED
    assert report.restored is not None and report.restored.restored_from == newest.path
    assert audit_count(demo) == 6
    assert "đã bị xoá" in (report.message or "") and "bản sao lưu" in (report.message or "")
    assert not recovery.open_marker(demo).exists()
    # Handled once: the next start has nothing to say.
    assert recover_at_start(demo, backup_folders=[demo.parent / "backups"]).status == STATUS_OK


def test_a_deleted_wal_without_a_newer_backup_keeps_the_database_and_says_what_is_missing(demo: Path) -> None:
    _backup(demo)
    unclean_writes(demo, 5)
    Path(f"{demo}-wal").unlink()
    report = recover_at_start(demo, backup_folders=[demo.parent / "backups"])
    assert report.status == STATUS_RECOVERED and report.restored is None
    assert audit_count(demo) == 1  # the 5 changes were only in the deleted -wal
    assert "Thay đổi cuối cùng còn lại lúc" in (report.message or "")
    assert integrity(demo) == ["ok"]


def test_a_garbled_wal_reports_lost_changes_and_keeps_a_copy(demo: Path) -> None:
    unclean_writes(demo, 8)
    wal = Path(f"{demo}-wal")
    data = bytearray(wal.read_bytes())
    data[32 + 24 + 200] ^= 0xFF  # inside the first frame's page
    wal.write_bytes(bytes(data))
    garbled = wal.read_bytes()
    report = recover_at_start(demo, backup_folders=[demo.parent / "backups"])
    assert report.status == STATUS_RECOVERED
    text = report.message or ""
    assert "bị hỏng" in text and "lần lưu" in text
    copies = [p for p in _set_aside_files(demo) if p.name == wal.name]
    assert [c.read_bytes() for c in copies] == [garbled]
    assert integrity(demo) == ["ok"]
    assert audit_count(demo) == 1


def test_a_garbled_shm_is_set_aside_and_nothing_is_lost(demo: Path) -> None:
    unclean_writes(demo, 4)
    shm = Path(f"{demo}-shm")
    data = bytearray(shm.read_bytes())
    for i in range(0, 96):
        data[i] ^= 0x5A
    shm.write_bytes(bytes(data))
    report = recover_at_start(demo, backup_folders=[demo.parent / "backups"])
    assert "chỉ mục" in (report.message or "") and "không mất dữ liệu" in (report.message or "")
    assert audit_count(demo) == 5  # all 4 changes replayed from the intact -wal
    assert any(p.name == shm.name for p in _set_aside_files(demo))


def test_a_deleted_shm_is_harmless(demo: Path) -> None:
    unclean_writes(demo, 3)
    Path(f"{demo}-shm").unlink()
    report = recover_at_start(demo, backup_folders=[demo.parent / "backups"])
    assert report.status == STATUS_OK
    assert audit_count(demo) == 4


def test_a_power_cut_leaves_nothing_to_report(demo: Path) -> None:
    unclean_writes(demo, 6)
    report = recover_at_start(demo, backup_folders=[demo.parent / "backups"])
    assert report.status == STATUS_OK, report.message
    assert audit_count(demo) == 7 and integrity(demo) == ["ok"]


def test_a_missing_database_is_restored_from_the_backup(demo: Path) -> None:
    snap = _backup(demo)
    demo.unlink()
    report = recover_at_start(demo, backup_folders=[demo.parent / "backups"])
    assert report.status == STATUS_RECOVERED
    assert audit_count(demo) == snap.facts.audit_entries
    assert "Không thấy tệp dữ liệu" in (report.message or "")


def test_first_start_without_database_or_backup_does_nothing(tmp_path: Path) -> None:
    report = recover_at_start(tmp_path / "hocba.sqlite3", backup_folders=[tmp_path / "backups"])
    assert report.status == STATUS_OK
    assert not (tmp_path / "hocba.sqlite3").exists()


def test_an_interrupted_restore_is_completed_at_start(demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.services import restore

    snap = _backup(demo)
    db = open_database(demo)
    change_scores(db, 2)
    db.dispose()
    real_replace = restore.os.replace

    def crash_on_swap(src: object, dst: object) -> None:
        if str(src).endswith(restore.STAGING_SUFFIX):
            raise KeyboardInterrupt("power cut")
        real_replace(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(restore.os, "replace", crash_on_swap)
    with pytest.raises(KeyboardInterrupt):
        restore.restore_backup(snap.snapshot.path, demo)
    monkeypatch.undo()
    assert not demo.exists() and pending_path(demo).exists()
    report = recover_at_start(demo, backup_folders=[demo.parent / "backups"])
    assert "hoàn tất" in (report.message or "")
    assert audit_count(demo) == 1 and finish_interrupted_restore(demo, None) is None
