"""`doctor`: the full check of a data folder, and the repairs that are safe to make.

Checks: the file and its side files, `integrity_check`, `foreign_key_check`, the migration
revision, the audit chain (naming the first broken link), the document store (every file
re-hashed against its name; referenced files missing; unreferenced and temporary files),
in an encrypted data folder no document file left in clear (`documents_sealed`),
and the backups (the newest good one, whether they sit on the data's own disk).

Repairs (`repair=True`, only while no app has the folder open): the start-up recovery
(damaged database or -wal → newest good backup), REINDEX when only indexes are damaged,
damaged document files set aside and fetched back from a backup, missing ones fetched back,
stray files set aside, files left in clear sealed (with a key that opened the database).
Never repaired: a broken audit chain (history is not rewritten) and
foreign-key violations (a person must decide); both are reported.

Document references: a table/column holding the SHA-256 names of document files is listed
in DOCUMENT_REFERENCES by the module that creates it; without one, only hashes and the
backups' copies are checked.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from app.models import cipher
from app.models.db import head_revision, open_database
from app.services import audit, keys, safe_files
from app.services.backup import documents_dir_for
from app.services.datafolder import InstanceLock, is_in_use, same_disk
from app.services.encryption import seal_documents
from app.services.recovery import check_live, find_good_backups, local_time_text, recover_at_start
from app.services.restore import restore_documents
from app.services.wal_check import inspect_wal, shm_header_ok

log = logging.getLogger(__name__)

# (table, column) pairs whose values are SHA-256 names of files in the document store.
# document_file: app.services.document_store (signed and draft records and sheets);
# received_document: app.services.transfer_in (records and sheets received from other schools).
DOCUMENT_REFERENCES: tuple[tuple[str, str], ...] = (
    ("document_file", "sha256"),
    ("received_document", "sha256"),
    # outbox_item: the items' files and the sync worker's long-term extended copies.
    ("outbox_item", "sha256"),
    ("outbox_item", "send_sha256"),
)

SEVERITY_OK = "ok"
SEVERITY_WARNING = "warning"
SEVERITY_ERROR = "error"
MAX_LISTED = 50


@dataclass(frozen=True)
class Check:
    name: str
    severity: str
    summary: str  # one Vietnamese sentence
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.severity != SEVERITY_ERROR

    def to_json_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "ok": self.ok,
            "severity": self.severity,
            "summary": self.summary,
            "problems": list(self.problems[:MAX_LISTED]),
            "problem_count": len(self.problems),
        }


@dataclass(frozen=True)
class DoctorReport:
    database: Path
    checks: tuple[Check, ...]
    repairs: tuple[str, ...] = ()
    after_repair: tuple[Check, ...] | None = None
    seconds: float = 0.0
    in_use: bool = False

    @property
    def healthy(self) -> bool:
        final = self.after_repair if self.after_repair is not None else self.checks
        return all(c.ok for c in final)

    def check(self, name: str) -> Check:
        final = self.after_repair if self.after_repair is not None else self.checks
        return next(c for c in final if c.name == name)

    def to_json_dict(self) -> dict[str, object]:
        return {
            "database": str(self.database),
            "healthy": self.healthy,
            "in_use_by_app": self.in_use,
            "checks": [c.to_json_dict() for c in self.checks],
            "repairs": list(self.repairs),
            "after_repair": None
            if self.after_repair is None
            else [c.to_json_dict() for c in self.after_repair],
            "seconds": round(self.seconds, 3),
        }


@dataclass
class _Context:
    db_path: Path
    key: bytes | None
    backup_folders: Sequence[Path]
    documents_dir: Path
    references: Sequence[tuple[str, str]]
    in_use: bool
    facts_ok: bool = field(default=False)
    # What the checks open: the database itself, or a copy when opening would consume a resting -wal.
    check_path: Path | None = None

    @property
    def target(self) -> Path:
        return self.check_path or self.db_path


# --------------------------------------------------------------------------- checks


def _check_files(ctx: _Context) -> Check:
    path = ctx.db_path
    if not path.exists():
        return Check("file", SEVERITY_ERROR, f"Không có tệp dữ liệu “{path}”.")
    problems: list[str] = []
    if ctx.key is None and cipher.looks_plain(path) is False:
        problems.append("phần đầu tệp không phải của SQLite (tệp hỏng, hoặc tệp đã mã hoá mà không có khoá)")
    wal, shm = safe_files.side_files(path)[:2]
    if not ctx.in_use:
        # While the app runs, its -wal changes under us; only a resting -wal is judged.
        if wal.exists():
            state = inspect_wal(wal)
            if state.damaged:
                problems.append(
                    f"tệp {wal.name} bị hỏng (phần đầu hỏng)"
                    if not state.header_ok
                    else f"tệp {wal.name} bị hỏng từ khung {state.broken_at_frame}: "
                    f"{state.lost_commits} lần lưu sau đó sẽ mất"
                )
        if shm.exists() and not shm_header_ok(shm):
            problems.append(f"tệp chỉ mục {shm.name} bị hỏng (SQLite tự dựng lại, không mất dữ liệu)")
    if problems:
        return Check("file", SEVERITY_ERROR, "Tệp dữ liệu hoặc tệp đi kèm có vấn đề.", tuple(problems))
    size = path.stat().st_size
    return Check("file", SEVERITY_OK, f"Tệp dữ liệu có mặt ({size:,} byte).".replace(",", "."))


def _check_integrity(ctx: _Context) -> tuple[Check, Check, Check]:
    """integrity_check, foreign_key_check and the migration revision, on one connection."""
    errors = cipher.database_errors(ctx.key)
    try:
        conn = cipher.connect(ctx.target, ctx.key)
    except errors as exc:
        bad = Check("integrity", SEVERITY_ERROR, "Không mở được tệp dữ liệu.", (str(exc),))
        return bad, _skipped("foreign_keys"), _skipped("migrations")
    try:
        try:
            rows = [str(r[0]) for r in conn.execute("PRAGMA integrity_check(200)").fetchall()]
        except errors as exc:
            rows = [str(exc)]
        if rows != ["ok"]:
            integrity = Check("integrity", SEVERITY_ERROR, "Cơ sở dữ liệu bị hỏng cấu trúc.", tuple(rows))
            return integrity, _skipped("foreign_keys"), _skipped("migrations")
        integrity = Check("integrity", SEVERITY_OK, "Cấu trúc cơ sở dữ liệu toàn vẹn.")
        fk_rows = conn.execute("PRAGMA foreign_key_check").fetchall()
        fk_problems = tuple(f"bảng {r[0]}, dòng {r[1]} trỏ tới {r[2]} không tồn tại" for r in fk_rows)
        fks = (
            Check("foreign_keys", SEVERITY_ERROR, f"{len(fk_rows)} liên kết bị gãy.", fk_problems)
            if fk_rows
            else Check("foreign_keys", SEVERITY_OK, "Mọi liên kết giữa các bảng đều đúng.")
        )
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        current = (
            conn.execute("SELECT version_num FROM alembic_version").fetchone()
            if "alembic_version" in tables
            else None
        )
        head = head_revision()
        version = current[0] if current else None
        if version == head:
            migrations = Check("migrations", SEVERITY_OK, f"Cấu trúc dữ liệu ở phiên bản {version}.")
        else:
            migrations = Check(
                "migrations",
                SEVERITY_WARNING,
                f"Cấu trúc dữ liệu ở phiên bản {version}, bản hiện hành là {head}: sẽ được nâng cấp khi mở.",
            )
        ctx.facts_ok = True
        return integrity, fks, migrations
    finally:
        conn.close()


def _skipped(name: str) -> Check:
    return Check(name, SEVERITY_WARNING, "Chưa kiểm tra được vì cơ sở dữ liệu bị hỏng.")


def _check_audit(ctx: _Context) -> Check:
    if not ctx.facts_ok:
        return _skipped("audit_chain")
    try:
        db = open_database(ctx.target, migrate=False, key=ctx.key)
    except (SQLAlchemyError, OSError) as exc:
        return Check("audit_chain", SEVERITY_ERROR, "Không đọc được nhật ký thay đổi.", (str(exc),))
    try:
        with db.read() as s:
            result = audit.verify_chain(s)
    finally:
        db.dispose()
    if result.ok:
        return Check("audit_chain", SEVERITY_OK, f"Nhật ký thay đổi liền mạch ({result.entries} mục).")
    return Check(
        "audit_chain",
        SEVERITY_ERROR,
        f"Nhật ký thay đổi bị sửa hoặc hỏng: mắt xích đầu tiên bị gãy là mục số {result.first_broken_id}.",
        (f"mục {result.first_broken_id}: {result.reason}",),
    )


def referenced_hashes(ctx: _Context) -> set[str] | None:
    """SHA-256 names the database refers to, or None when no reference table exists yet."""
    if not ctx.references or not ctx.facts_ok:
        return None
    conn = cipher.connect(ctx.target, ctx.key)
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        present = [(t, c) for t, c in ctx.references if t in tables]
        if not present:
            return None
        found: set[str] = set()
        for table, column in present:
            found.update(
                str(r[0]).lower()
                for r in conn.execute(f'SELECT "{column}" FROM "{table}" WHERE "{column}" IS NOT NULL')
            )
        return found
    finally:
        conn.close()


def _verified_key(ctx: _Context) -> bytes | None:
    # A key that did not open the database may be the wrong one: then sealed files cannot be
    # judged (they would all look damaged), so they are left alone.
    return ctx.key if ctx.facts_ok else None


def _backed_up_hashes(ctx: _Context) -> set[str]:
    found: set[str] = set()
    for folder in dict.fromkeys(ctx.backup_folders):
        found.update(
            item.sha256
            for item in safe_files.iter_store(folder / safe_files.DOCUMENTS_DIR)
            if item.sha256 is not None and not item.is_temp
        )
    return found


def _check_documents(ctx: _Context) -> Check:
    store = ctx.documents_dir
    damaged: list[str] = []
    strays: list[str] = []
    present: set[str] = set()
    count = 0
    for item in safe_files.iter_store(store):
        if item.is_temp or item.sha256 is None:
            strays.append(item.relative)
            continue
        count += 1
        present.add(item.sha256)
        if not safe_files.content_matches(item.path, item.sha256, _verified_key(ctx)):
            damaged.append(item.relative)
    referenced = referenced_hashes(ctx)
    missing: list[str] = []
    orphans: list[str] = []
    if referenced is not None:
        missing = sorted(referenced - present)
        orphans = sorted(present - referenced)
    else:
        # No table to say which files should exist: files are never changed or removed, so one
        # the backups hold and this folder lacks has gone missing.
        missing = sorted(h for h in _backed_up_hashes(ctx) if h not in present)
    problems = [f"tệp hỏng (nội dung không khớp tên): {d}" for d in damaged] + [
        f"thiếu tệp học bạ: {m}" for m in missing
    ]
    notes = [f"tệp không thuộc kho (tạm hoặc lạ): {s}" for s in strays] + [
        f"tệp không còn được dùng: {o}" for o in orphans
    ]
    if problems:
        return Check(
            "documents",
            SEVERITY_ERROR,
            f"Kho tệp học bạ: {len(damaged)} tệp hỏng, {len(missing)} tệp bị thiếu.",
            tuple(problems + notes),
        )
    if notes:
        return Check("documents", SEVERITY_WARNING, f"Kho tệp học bạ có {len(notes)} tệp thừa.", tuple(notes))
    ref_note = "" if referenced is not None else " (chưa có bảng tham chiếu tệp để đối chiếu)"
    return Check("documents", SEVERITY_OK, f"{count} tệp học bạ nguyên vẹn{ref_note}.")


def _encrypted(ctx: _Context) -> bool:
    # The marker says so; without it (copied folder), a key given for a file that is not plain SQLite.
    if keys.is_encrypted(ctx.db_path):
        return True
    return ctx.key is not None and cipher.looks_plain(ctx.db_path) is False


def _plain_documents(ctx: _Context) -> list[str]:
    return [
        item.relative
        for item in safe_files.iter_store(ctx.documents_dir)
        if not item.is_temp and item.sha256 is not None and not safe_files.is_sealed_file(item.path)
    ]


def _check_sealed(ctx: _Context) -> Check:
    """In an encrypted data folder every document file is sealed: one in clear exposes a student."""
    if not _encrypted(ctx):
        return Check("documents_sealed", SEVERITY_OK, "Dữ liệu chưa mã hoá: tệp học bạ không cần niêm phong.")
    plain = _plain_documents(ctx)
    if plain:
        return Check(
            "documents_sealed",
            SEVERITY_ERROR,
            f"{len(plain)} tệp học bạ chưa được mã hoá dù dữ liệu đã mã hoá: chạy “doctor --repair” "
            "để mã hoá chúng.",
            tuple(f"tệp chưa mã hoá: {p}" for p in plain),
        )
    return Check("documents_sealed", SEVERITY_OK, "Mọi tệp học bạ đều đã được mã hoá.")


def _check_backups(ctx: _Context) -> Check:
    good = find_good_backups(ctx.backup_folders, ctx.db_path.stem, ctx.key, limit=1)
    if not good:
        return Check(
            "backups",
            SEVERITY_WARNING,
            "Chưa có bản sao lưu dùng được. Hãy sao lưu ngay, tốt nhất ra USB hoặc ổ đĩa khác.",
        )
    info, _facts = good[0]
    folders = [f for f in ctx.backup_folders if f.exists()]
    all_same = all(same_disk(ctx.db_path.parent, f) for f in folders)
    summary = f"Bản sao lưu mới nhất dùng được: lúc {local_time_text(info.created_at)} ({info.path.name})."
    if all_same:
        return Check(
            "backups",
            SEVERITY_WARNING,
            summary + " Mọi bản sao lưu đều nằm trên cùng ổ đĩa với dữ liệu: hãy thêm một nơi sao lưu "
            "trên USB hoặc ổ đĩa khác.",
        )
    return Check("backups", SEVERITY_OK, summary)


def _run_checks(ctx: _Context) -> tuple[Check, ...]:
    ctx.facts_ok = False
    files = _check_files(ctx)
    if not ctx.db_path.exists():
        return (files, _check_documents(ctx), _check_sealed(ctx), _check_backups(ctx))
    wal = safe_files.side_files(ctx.db_path)[0]
    if ctx.in_use or not wal.exists():
        ctx.check_path = None
        return _database_checks(ctx, files)
    # Opening the database would replay and then remove a resting -wal (the evidence a repair
    # needs): check a copy of the three files instead.
    with tempfile.TemporaryDirectory(prefix="hocba-doctor-") as tmp:
        ctx.check_path = Path(tmp) / ctx.db_path.name
        for src in (ctx.db_path, *safe_files.side_files(ctx.db_path)):
            if src.exists():
                shutil.copyfile(src, Path(tmp) / src.name)
        try:
            return _database_checks(ctx, files)
        finally:
            ctx.check_path = None


def _database_checks(ctx: _Context, files: Check) -> tuple[Check, ...]:
    integrity, fks, migrations = _check_integrity(ctx)
    return (
        files,
        integrity,
        fks,
        migrations,
        _check_audit(ctx),
        _check_documents(ctx),
        _check_sealed(ctx),
        _check_backups(ctx),
    )


# --------------------------------------------------------------------------- repairs


def _repair(ctx: _Context) -> list[str]:
    done: list[str] = []
    wal = safe_files.side_files(ctx.db_path)[0]
    report = recover_at_start(
        ctx.db_path,
        backup_folders=ctx.backup_folders,
        key=ctx.key,
        assume_unclean=wal.exists(),
        full_check=True,
    )
    done.extend(report.events)
    if ctx.db_path.exists() and check_live(ctx.db_path, ctx.key)[0] is None:
        ctx.facts_ok = True
    done.extend(_repair_documents(ctx))
    return done


def _repair_documents(ctx: _Context) -> list[str]:
    done: list[str] = []
    store = ctx.documents_dir
    bad: list[Path] = []
    strays: list[Path] = []
    referenced = referenced_hashes(ctx)
    for item in safe_files.iter_store(store):
        if item.is_temp or item.sha256 is None:
            strays.append(item.path)
        elif not safe_files.content_matches(item.path, item.sha256, _verified_key(ctx)):
            bad.append(item.path)
        elif referenced is not None and item.sha256 not in referenced:
            strays.append(item.path)
    if bad or strays:
        folder = safe_files.set_aside_folder(ctx.db_path.parent, "documents")
        safe_files.move_aside(bad, folder)
        safe_files.move_aside(strays, folder)
        if bad:
            done.append(f"{len(bad)} tệp học bạ hỏng đã được chuyển sang “{folder}”.")
        if strays:
            done.append(f"{len(strays)} tệp thừa trong kho đã được chuyển sang “{folder}” (không xoá).")
    restored = 0
    for folder in dict.fromkeys(ctx.backup_folders):
        restored += restore_documents(folder / safe_files.DOCUMENTS_DIR, store, ctx.key).restored
    if restored:
        done.append(f"Đã chép lại {restored} tệp học bạ từ bản sao lưu.")
    # Only with a key that opened the database: a wrong key would seal files nobody can read.
    key = _verified_key(ctx)
    if key is not None and ctx.documents_dir == documents_dir_for(ctx.db_path) and _plain_documents(ctx):
        sealed, _damaged = seal_documents(ctx.db_path, key)
        if sealed:
            done.append(f"Đã mã hoá {sealed} tệp học bạ còn để ở dạng thường.")
    return done


# --------------------------------------------------------------------------- entry point


def run_doctor(
    db_path: Path,
    *,
    key: bytes | None = None,
    backup_folders: Sequence[Path] = (),
    documents_dir: Path | None = None,
    repair: bool = False,
    references: Sequence[tuple[str, str]] | None = None,
) -> DoctorReport:
    started = time.perf_counter()
    in_use = is_in_use(db_path.parent)
    ctx = _Context(
        db_path,
        key,
        tuple(backup_folders),
        documents_dir or documents_dir_for(db_path),
        DOCUMENT_REFERENCES if references is None else tuple(references),
        in_use,
    )
    checks = _run_checks(ctx)
    if not repair or all(c.severity == SEVERITY_OK for c in checks if c.name != "backups"):
        return DoctorReport(db_path, checks, seconds=time.perf_counter() - started, in_use=in_use)
    with InstanceLock.acquire(db_path.parent):
        repairs = _repair(ctx)
        after = _run_checks(ctx)
    if not repairs:
        repairs = ["Không có gì sửa được một cách an toàn; xem các vấn đề đã báo."]
    return DoctorReport(db_path, checks, tuple(repairs), after, time.perf_counter() - started, in_use)
