"""Backups: verified snapshots of a live database, incremental document copies, thinning, restore."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from app.models import UserAccount
from app.models.db import open_database
from app.services import backup, restore
from app.services.access import PermissionDenied, load_actor
from app.services.backup_settings import (
    BackupSettings,
    backup_folders,
    only_on_data_disk,
    save,
    set_backup_folders,
)
from app.services.backup_thinning import ThinningPolicy
from app.services.datafolder import InstanceLock, InstanceRunning, NotEnoughSpace
from app.services.safe_files import SET_ASIDE_DIR
from tests.services.data_safety_helpers import (
    audit_count,
    change_scores,
    make_demo,
    make_documents,
    table_dump,
)


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    return make_demo(folder / "hocba.sqlite3")


def test_a_backup_is_a_verified_self_contained_copy(demo: Path, tmp_path: Path) -> None:
    result = backup.create_backup(demo, tmp_path / "bk")
    snap = result.snapshot.path
    assert snap.name.startswith("hocba-") and snap.name.endswith("Z.sqlite3")
    assert table_dump(snap) == table_dump(demo)
    conn = sqlite3.connect(snap)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    conn.close()
    assert not Path(f"{snap}-wal").exists()
    assert result.facts.audit_entries == audit_count(demo) == 1
    assert result.facts.school_code
    assert backup.list_backups(tmp_path / "bk", "hocba")[0].path == snap
    assert not list((tmp_path / "bk").glob("*.partial"))


def test_backup_while_the_app_keeps_writing_is_consistent(demo: Path, tmp_path: Path) -> None:
    db = open_database(demo)
    stop = threading.Event()
    written = [0]

    def writer() -> None:
        while not stop.is_set():
            change_scores(db, 1, start=written[0])
            written[0] += 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        results = [backup.create_backup(demo, tmp_path / "bk", policy=None) for _ in range(5)]
    finally:
        stop.set()
        thread.join()
        db.dispose()
    assert written[0] > 0
    counts = [r.facts.audit_entries for r in results]
    assert counts == sorted(counts)
    for r in results:
        snap_db = open_database(r.snapshot.path, migrate=False)
        try:
            from app.services.audit import verify_chain

            with snap_db.read() as s:
                assert verify_chain(s).ok
        finally:
            snap_db.dispose()


def test_documents_are_copied_incrementally_by_name(demo: Path, tmp_path: Path) -> None:
    store = demo.parent / "documents"
    make_documents(store, 20)
    first = backup.create_backup(demo, tmp_path / "bk")
    assert (first.documents.total, first.documents.copied) == (20, 20)
    assert first.documents.bytes_copied == sum(p.stat().st_size for p in store.rglob("*.pdf"))

    new = make_documents(store, 3, seed=1)
    second = backup.create_backup(demo, tmp_path / "bk")
    assert (second.documents.total, second.documents.copied) == (23, 3)
    assert second.documents.bytes_copied == sum(p.stat().st_size for p in new)
    for p in new:
        rel = p.relative_to(store)
        assert (tmp_path / "bk" / "documents" / rel).read_bytes() == p.read_bytes()


def test_a_damaged_document_is_not_copied_over_a_good_one(demo: Path, tmp_path: Path) -> None:
    store = demo.parent / "documents"
    docs = make_documents(store, 4)
    backup.create_backup(demo, tmp_path / "bk")
    good = (tmp_path / "bk" / "documents" / docs[0].relative_to(store)).read_bytes()
    # Same size, garbled content: a size check alone would skip it anyway; a new damaged file
    # must not enter the backup at all.
    docs[0].write_bytes(b"x" * len(good))
    fresh = make_documents(store, 1, seed=9)[0]
    fresh.write_bytes(b"garbled")
    result = backup.create_backup(demo, tmp_path / "bk")
    assert result.documents.skipped_damaged == (fresh.relative_to(store).as_posix(),)
    assert not (tmp_path / "bk" / "documents" / fresh.relative_to(store)).exists()
    assert (tmp_path / "bk" / "documents" / docs[0].relative_to(store)).read_bytes() == good


def test_thinning_runs_after_each_backup_and_a_thinned_backup_restores(demo: Path, tmp_path: Path) -> None:
    folder = tmp_path / "bk"
    policy = ThinningPolicy(recent=3, daily_days=2, monthly_months=3)
    start = datetime(2026, 9, 1, 3, 0, tzinfo=UTC)
    db = open_database(demo)
    try:
        for day in range(0, 75, 5):
            change_scores(db, 1, start=day)
            backup.create_backup(demo, folder, policy=policy, now=start + timedelta(days=day))
    finally:
        db.dispose()
    kept = backup.list_backups(folder, "hocba")
    assert len(kept) == 4  # the 3 newest (10/11, 5/11, 31/10) + the newest of September
    oldest = kept[-1]
    assert oldest.created_at == start + timedelta(days=25)  # kept by the monthly rule only
    target = tmp_path / "restored" / "hocba.sqlite3"
    result = restore.restore_backup(oldest.path, target)
    assert audit_count(target) == result.facts.audit_entries < audit_count(demo)


def test_restore_sets_the_replaced_files_aside_and_brings_documents_back(demo: Path, tmp_path: Path) -> None:
    store = demo.parent / "documents"
    docs = make_documents(store, 5)
    snap = backup.create_backup(demo, tmp_path / "bk").snapshot.path
    db = open_database(demo)
    change_scores(db, 4)
    db.dispose()
    before = demo.read_bytes()
    docs[1].unlink()

    result = restore.restore_backup(snap, demo)
    assert audit_count(demo) == 1
    assert result.documents.restored == 1 and docs[1].exists()
    assert len(result.set_aside) == 1
    assert result.set_aside[0].read_bytes() == before
    assert result.set_aside[0].parent.parent == demo.parent / SET_ASIDE_DIR
    assert not restore.pending_path(demo).exists() and not restore.staging_path(demo).exists()
    assert result.backup_created_at is not None


def test_restore_is_refused_while_the_app_has_the_folder(demo: Path, tmp_path: Path) -> None:
    snap = backup.create_backup(demo, tmp_path / "bk").snapshot.path
    with InstanceLock.acquire(demo.parent), pytest.raises(InstanceRunning, match="đang mở"):
        restore.restore_backup(snap, demo)


def test_a_damaged_snapshot_is_refused_and_nothing_changes(demo: Path, tmp_path: Path) -> None:
    snap = backup.create_backup(demo, tmp_path / "bk").snapshot.path
    snap.write_bytes(snap.read_bytes()[:8192])
    before = demo.read_bytes()
    with pytest.raises(backup.BackupError, match="không dùng được"):
        restore.restore_backup(snap, demo)
    assert demo.read_bytes() == before
    assert not (demo.parent / SET_ASIDE_DIR).exists()


@pytest.mark.parametrize("crash_at", ["before_note", "after_set_aside"])
def test_an_interrupted_restore_never_leaves_a_half_state(
    demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, crash_at: str
) -> None:
    """Simulated crash (an exception at a step: the only way to stop a process exactly there)."""
    snap = backup.create_backup(demo, tmp_path / "bk").snapshot.path
    db = open_database(demo)
    change_scores(db, 3)
    db.dispose()
    newer = audit_count(demo)

    def boom(*_a: object, **_k: object) -> None:
        raise KeyboardInterrupt("power cut")

    if crash_at == "before_note":
        monkeypatch.setattr(restore, "_write_pending", boom)
    else:
        real_move = restore.safe_files.move_aside

        def move_then_crash(paths: list[Path], folder: Path) -> tuple[Path, ...]:
            real_move(paths, folder)
            raise KeyboardInterrupt("power cut")

        monkeypatch.setattr(restore.safe_files, "move_aside", move_then_crash)
    with pytest.raises(KeyboardInterrupt):
        restore.restore_backup(snap, demo)
    monkeypatch.undo()

    message = restore.finish_interrupted_restore(demo, None)
    if crash_at == "before_note":
        assert message is None
        assert audit_count(demo) == newer  # untouched
    else:
        assert message is not None and "hoàn tất" in message
        assert audit_count(demo) == 1  # the restore completed
    assert not restore.staging_path(demo).exists()
    assert not restore.pending_path(demo).exists()


def test_backup_refuses_when_the_disk_is_too_full(
    demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.services import datafolder

    free = datafolder.free_bytes(tmp_path)
    assert free is not None
    # A margin larger than the free space: the real disk is "nearly full" for this backup.
    monkeypatch.setattr(datafolder, "SPACE_MARGIN_BYTES", free + 1)
    with pytest.raises(NotEnoughSpace, match="Không đủ chỗ trống"):
        backup.create_backup(demo, tmp_path / "bk")
    assert not list((tmp_path / "bk").glob("*.sqlite3*"))


def test_backup_settings_default_to_the_data_disk_and_warn(demo: Path, tmp_path: Path) -> None:
    folders = backup_folders(demo)
    assert folders == (demo.parent / "backups",)
    assert only_on_data_disk(demo, folders)
    save(demo.parent, BackupSettings(folders=(str(tmp_path / "usb"),)))
    assert backup_folders(demo)[0] == tmp_path / "usb"
    (demo.parent / "backup-settings.json").write_text("{garbage", encoding="utf-8")
    assert backup_folders(demo) == (demo.parent / "backups",)


def _actor(db_path: Path, login: str):  # type: ignore[no-untyped-def]
    db = open_database(db_path)
    try:
        with db.read() as s:
            uid = s.scalar(select(UserAccount.id).where(UserAccount.login == login))
            assert uid is not None
            return load_actor(s, uid)
    finally:
        db.dispose()


def _a_teacher(db_path: Path) -> str:
    db = open_database(db_path)
    try:
        with db.read() as s:
            login = s.scalar(select(UserAccount.login).where(UserAccount.login.like("gv.%")).limit(1))
            assert login
            return login
    finally:
        db.dispose()


def test_roles_for_backup_restore_and_settings(demo: Path, tmp_path: Path) -> None:
    teacher = _actor(demo, _a_teacher(demo))
    clerk = _actor(demo, "vanthu")
    principal = _actor(demo, "hieutruong")
    admin = _actor(demo, "admin")
    for who in (teacher, clerk):
        with pytest.raises(PermissionDenied):
            backup.backup_now(who, demo, tmp_path / "usb")
    snap = backup.backup_now(principal, demo, tmp_path / "usb").snapshot.path
    for who in (teacher, clerk, principal):
        with pytest.raises(PermissionDenied):
            restore.restore_for(who, snap, demo)
        with pytest.raises(PermissionDenied):
            set_backup_folders(who, demo, (tmp_path / "x",))
    assert restore.restore_for(admin, snap, demo).facts.audit_entries == 1
    assert set_backup_folders(admin, demo, (tmp_path / "x",)).folders == (str(tmp_path / "x"),)


def test_a_backup_is_due_daily_and_after_significant_work(demo: Path) -> None:
    from app.services.backup_settings import backup_due

    assert backup_due(demo, None)  # none yet
    save(demo.parent, BackupSettings(after_changes=3))
    made = backup.create_backup(demo, demo.parent / "backups")
    assert not backup_due(demo, None)
    assert backup_due(demo, None, now=made.snapshot.created_at + timedelta(hours=25))
    db = open_database(demo)
    change_scores(db, 2)
    assert not backup_due(demo, None)
    change_scores(db, 1, start=5)
    db.dispose()
    assert backup_due(demo, None)
    save(demo.parent, BackupSettings(automatic=False))
    assert not backup_due(demo, None)


def test_one_unusable_folder_does_not_stop_the_others(demo: Path, tmp_path: Path) -> None:
    from app.services.backup_settings import back_up_everywhere

    not_a_folder = tmp_path / "usb-missing"
    not_a_folder.write_text("a file where the USB folder should be")
    result = back_up_everywhere(demo, None, (not_a_folder, tmp_path / "good"))
    assert [r.snapshot.path.parent for r in result.results] == [tmp_path / "good"]
    assert result.failures[0][0] == not_a_folder and "Không tạo được thư mục sao lưu" in result.failures[0][1]
