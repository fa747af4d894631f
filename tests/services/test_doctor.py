"""`doctor`: the full check names what is wrong; `repair` fixes only what is safe to fix."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from app.models.db import open_database
from app.services import backup
from app.services.datafolder import InstanceLock, InstanceRunning
from app.services.doctor import run_doctor
from tests.services.data_safety_helpers import (
    audit_count,
    change_scores,
    flip_page_headers,
    make_demo,
    make_documents,
    unclean_writes,
)

REFS = (("test_document_ref", "sha256"),)


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    return make_demo(folder / "hocba.sqlite3")


def _folders(db: Path) -> list[Path]:
    return [db.parent / "backups"]


def _names(report_checks: tuple[object, ...]) -> list[str]:
    return [c.name for c in report_checks]  # type: ignore[attr-defined]


def test_a_healthy_data_folder(demo: Path) -> None:
    backup.create_backup(demo, demo.parent / "backups")
    report = run_doctor(demo, backup_folders=_folders(demo))
    assert report.healthy
    assert _names(report.checks) == [
        "file",
        "integrity",
        "foreign_keys",
        "migrations",
        "audit_chain",
        "documents",
        "documents_sealed",
        "backups",
    ]
    assert report.check("backups").severity == "warning"  # same disk as the data
    data = report.to_json_dict()
    assert data["healthy"] is True and data["after_repair"] is None


def test_no_backup_is_a_warning_not_a_failure(demo: Path) -> None:
    report = run_doctor(demo, backup_folders=_folders(demo))
    assert report.healthy
    assert "Chưa có bản sao lưu" in report.check("backups").summary


def test_structural_damage_is_repaired_from_the_newest_backup(demo: Path) -> None:
    snap = backup.create_backup(demo, demo.parent / "backups")
    flip_page_headers(demo)
    found = run_doctor(demo, backup_folders=_folders(demo))
    assert not found.healthy and not found.check("integrity").ok
    assert found.check("audit_chain").severity == "warning"  # not checked: cannot be read
    fixed = run_doctor(demo, backup_folders=_folders(demo), repair=True)
    assert fixed.healthy
    assert any("Đã khôi phục dữ liệu từ bản sao lưu" in r for r in fixed.repairs)
    assert audit_count(demo) == snap.facts.audit_entries
    assert any((demo.parent / "set-aside").rglob(demo.name))


def test_index_damage_is_rebuilt_without_losing_anything(demo: Path) -> None:
    db = open_database(demo)
    change_scores(db, 3)
    db.dispose()
    conn = sqlite3.connect(demo)
    root = conn.execute(
        "SELECT rootpage FROM sqlite_master WHERE name = 'sqlite_autoindex_student_1'"
    ).fetchone()[0]
    conn.close()
    data = bytearray(demo.read_bytes())
    data[root * 4096 - 10] ^= 0x01  # a byte of an index entry's content
    demo.write_bytes(bytes(data))
    found = run_doctor(demo, backup_folders=_folders(demo))
    assert any("missing from index" in p for p in found.check("integrity").problems)
    fixed = run_doctor(demo, backup_folders=_folders(demo), repair=True)
    assert fixed.healthy
    assert any("REINDEX" in r for r in fixed.repairs)
    assert audit_count(demo) == 4


def test_a_tampered_audit_row_is_named_and_not_rewritten(demo: Path) -> None:
    db = open_database(demo)
    change_scores(db, 5)
    db.dispose()
    conn = sqlite3.connect(demo)
    # What someone with a SQLite editor could do: drop the guard, edit history.
    triggers = [
        r[0]
        for r in conn.execute("SELECT name FROM sqlite_master WHERE type='trigger' AND tbl_name='audit_log'")
    ]
    for name in triggers:
        conn.execute(f'DROP TRIGGER "{name}"')
    third = conn.execute("SELECT id FROM audit_log ORDER BY id LIMIT 1 OFFSET 2").fetchone()[0]
    conn.execute("UPDATE audit_log SET actor = 'someone_else' WHERE id = ?", (third,))
    conn.commit()
    conn.close()
    report = run_doctor(demo, backup_folders=_folders(demo), repair=True)
    chain = report.check("audit_chain")
    assert not chain.ok and f"mục số {third}" in chain.summary
    assert not report.healthy  # history is never "repaired"


def test_foreign_key_violations_are_reported(demo: Path) -> None:
    conn = sqlite3.connect(demo)
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute("UPDATE enrolment SET class_id = 999999 WHERE id = (SELECT min(id) FROM enrolment)")
    conn.commit()
    conn.close()
    report = run_doctor(demo, backup_folders=_folders(demo))
    fks = report.check("foreign_keys")
    assert not fks.ok and "enrolment" in fks.problems[0]


def _reference(db: Path, docs: list[Path]) -> None:
    """A stand-in for the documents table (another module's): rows naming files by SHA-256."""
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE test_document_ref (sha256 TEXT)")
    conn.executemany("INSERT INTO test_document_ref VALUES (?)", [(p.name[:64],) for p in docs])
    conn.commit()
    conn.close()


def test_documents_damaged_missing_and_stray(demo: Path) -> None:
    store = demo.parent / "documents"
    docs = make_documents(store, 6)
    _reference(demo, docs)
    backup.create_backup(demo, demo.parent / "backups")
    garbled_bytes = b"not the signed pdf"
    docs[0].write_bytes(garbled_bytes)
    docs[1].unlink()
    stray = make_documents(store, 1, seed=7)[0]  # not referenced
    (store / "leftover.tmp").write_bytes(b"half written")

    found = run_doctor(demo, backup_folders=_folders(demo), references=REFS)
    documents = found.check("documents")
    assert not documents.ok
    text = "\n".join(documents.problems)
    assert f"tệp hỏng (nội dung không khớp tên): {docs[0].relative_to(store).as_posix()}" in text
    assert f"thiếu tệp học bạ: {docs[1].name[:64]}" in text
    assert "leftover.tmp" in text and stray.name[:64] in text

    fixed = run_doctor(demo, backup_folders=_folders(demo), references=REFS, repair=True)
    assert fixed.healthy, fixed.to_json_dict()
    assert docs[0].read_bytes() != garbled_bytes and docs[1].exists()
    aside = {p.name: p.read_bytes() for p in (demo.parent / "set-aside").rglob("*") if p.is_file()}
    assert aside[docs[0].name] == garbled_bytes  # the damaged copy is kept, not deleted
    assert stray.name in aside and "leftover.tmp" in aside


def test_a_removed_document_is_found_by_the_backup_even_without_references(demo: Path) -> None:
    store = demo.parent / "documents"
    docs = make_documents(store, 3)
    backup.create_backup(demo, demo.parent / "backups")
    docs[2].unlink()
    fixed = run_doctor(demo, backup_folders=_folders(demo), repair=True)
    assert docs[2].exists()
    assert fixed.healthy


def test_the_check_does_not_consume_a_resting_wal(demo: Path) -> None:
    unclean_writes(demo, 4)
    wal = Path(f"{demo}-wal")
    data = bytearray(wal.read_bytes())
    data[32 + 24 + 300] ^= 0xFF
    wal.write_bytes(bytes(data))
    before = wal.read_bytes()
    report = run_doctor(demo, backup_folders=_folders(demo))
    assert wal.read_bytes() == before
    assert not report.check("file").ok and "lần lưu sau đó sẽ mất" in report.check("file").problems[0]
    fixed = run_doctor(demo, backup_folders=_folders(demo), repair=True)
    assert fixed.healthy
    assert any("-wal" in r and "bị hỏng" in r for r in fixed.repairs)


def test_repair_is_refused_while_the_app_is_open(demo: Path) -> None:
    flip_page_headers(demo)
    with InstanceLock.acquire(demo.parent):
        report = run_doctor(demo, backup_folders=_folders(demo))
        assert report.in_use and not report.healthy
        with pytest.raises(InstanceRunning):
            run_doctor(demo, backup_folders=_folders(demo), repair=True)


def test_a_document_left_in_clear_in_an_encrypted_folder_is_found_and_sealed(tmp_path: Path) -> None:
    from app.models import cipher
    from app.services.encryption import seal_documents

    # The store's files are not in the demo's reference tables: REFS (absent) keeps them from being strays.
    key = bytes(range(32))
    folder = tmp_path / "data"
    folder.mkdir()
    db = make_demo(folder / "hocba.sqlite3", classes=1, students=3, key=key)
    store = folder / "documents"
    make_documents(store, 3)
    assert seal_documents(db, key) == (3, ())
    assert run_doctor(db, key=key, references=REFS).check("documents_sealed").severity == "ok"
    (left,) = make_documents(store, 1, seed=7)  # e.g. written by an older version after the conversion
    found = run_doctor(db, key=key, references=REFS)
    sealed = found.check("documents_sealed")
    assert not found.healthy and sealed.severity == "error"
    assert sealed.problems == (f"tệp chưa mã hoá: {left.relative_to(store)}",)
    assert found.check("documents").severity == "ok"  # intact, just not sealed

    fixed = run_doctor(db, key=key, repair=True, references=REFS)
    assert fixed.healthy and any("mã hoá 1 tệp" in r for r in fixed.repairs)
    data = left.read_bytes()
    assert cipher.is_sealed(data[: len(cipher.SEAL_MAGIC)])
    name = left.name.removesuffix(".pdf")
    assert hashlib.sha256(cipher.unseal(data, cipher.file_key(key), name)).hexdigest() == name
    assert run_doctor(db, key=key, references=REFS).healthy


def test_plain_files_are_fine_when_the_data_is_not_encrypted(demo: Path) -> None:
    make_documents(demo.parent / "documents", 2)
    assert run_doctor(demo).check("documents_sealed").severity == "ok"
