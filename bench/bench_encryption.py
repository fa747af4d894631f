"""What encryption at rest costs (ADR 0001), encrypted against plain in the same run.

1. Rendering and signing one class (the demo signer's whole legal order: subject sheets,
   homeroom, principal, seal; every record rendered, signed four times and stored — sealed
   with AES-GCM when encrypted), on two copies of the same demo school.
2. The homeroom page's data (`homeroom_overview`, what opening the page waits for).
3. A full backup (database snapshot + document files): time and bytes.
4. The conversion itself (`python -m app encrypt`) of the school with its documents.

Runs are interleaved (plain, encrypted, plain, …) so a busy machine slows both alike.
Uses a throw-away file-backed keyring in the temp folder (never the OS keyring).
Prints figures only: ``.venv/bin/python bench/bench_encryption.py [--classes 12] [--rounds 1]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import keyring
from keyrings.alt.file import PlaintextKeyring
from sqlalchemy import select

from app.models import SchoolClass
from app.models.db import Database, open_database
from app.services.access import load_actor
from app.services.backup import create_backup
from app.services.demo import create_demo_school
from app.services.encryption import encrypt_database, key_for_opening
from app.services.homeroom import homeroom_overview
from app.services.issuing import issue_demo


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


def _median_time(runs: int, work: Callable[[], object]) -> tuple[float, float]:
    """Median wall time and median CPU time of `work` (CPU time: what a shared, busy machine does
    not blur; the work here is single-threaded)."""
    work()  # warm: imports and the page cache, as in a running app
    wall, cpu = [], []
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        work()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return statistics.median(wall), statistics.median(cpu)


def _folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def _make_school(folder: Path, classes: int, students: int) -> Path:
    path = folder / "hocba.sqlite3"
    db = open_database(path)
    try:
        create_demo_school(db, classes=classes, students_per_class=students, seed=11)
    finally:
        db.dispose()
    return path


def _open(path: Path) -> Database:
    return open_database(path, key=key_for_opening(path))


def _issue(path: Path) -> tuple[float, float, int]:
    db = _open(path)
    try:
        t0, c0 = time.perf_counter(), time.process_time()
        classes = issue_demo(db)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    finally:
        db.dispose()
    return wall, cpu, sum(c.issued for c in classes)


def _homeroom(path: Path, runs: int) -> tuple[float, float]:
    db = _open(path)
    try:
        with db.read() as s:
            class_id, teacher = s.execute(
                select(SchoolClass.id, SchoolClass.homeroom_teacher_id).order_by(SchoolClass.id).limit(1)
            ).one()
            actor = load_actor(s, teacher)
        return _median_time(runs, lambda: homeroom_overview(db, actor, class_id))
    finally:
        db.dispose()


def _backup(path: Path, target: Path) -> tuple[float, float, int]:
    shutil.rmtree(target, ignore_errors=True)
    key = key_for_opening(path)
    t0, c0 = time.perf_counter(), time.process_time()
    create_backup(path, target, key=key)
    return time.perf_counter() - t0, time.process_time() - c0, _folder_bytes(target)


def _row(what: str, plain: tuple[float, float], encrypted: tuple[float, float]) -> str:
    (pw, pc), (ew, ec) = plain, encrypted
    return (
        f"| {what} | {pw * 1000:,.1f} ms ({pc * 1000:,.1f} CPU) | {ew * 1000:,.1f} ms ({ec * 1000:,.1f} CPU) "
        f"| {ew / pw:.2f} ({ec / pc:.2f} CPU) |"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--classes", type=int, default=12, help="classes in the school (homeroom, backup)")
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=1, help="rendering+signing rounds (≈30 s each side)")
    parser.add_argument("--runs", type=int, default=15, help="homeroom and backup runs")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="hocba-bench-enc-") as tmp_name:
        tmp = Path(tmp_name)
        os.environ["XDG_DATA_HOME"] = str(tmp / "keyring-home")
        keyring.set_keyring(PlaintextKeyring())

        # One class for rendering+signing (issue_demo issues every class of the school).
        one_class = _make_school(tmp / "seed-one", 1, args.students)
        school = _make_school(tmp / "seed-school", args.classes, args.students)
        print(f"rendering+signing: 1 class × {args.students}; school: {args.classes} × {args.students}")

        sign_times: dict[str, list[tuple[float, float]]] = {"plain": [], "encrypted": []}
        issued = 0
        for r in range(args.rounds):
            for variant in ("plain", "encrypted"):
                folder = tmp / f"sign-{variant}-{r}"
                shutil.copytree(one_class.parent, folder)
                path = folder / one_class.name
                if variant == "encrypted":
                    encrypt_database(path)
                wall, cpu, issued = _issue(path)
                sign_times[variant].append((wall, cpu))

        # The whole school with one class's documents, plain and encrypted.
        plain_dir, enc_dir = tmp / "school-plain", tmp / "school-encrypted"
        shutil.copytree(school.parent, plain_dir)
        plain = plain_dir / school.name
        # The signed files of the class issued above: what a backup copies besides the database.
        shutil.copytree(tmp / "sign-plain-0" / "documents", plain_dir / "documents")
        shutil.copytree(plain_dir, enc_dir)
        encrypted = enc_dir / school.name
        db_bytes = encrypted.stat().st_size
        t0 = time.perf_counter()
        conversion = encrypt_database(encrypted)
        convert_s = time.perf_counter() - t0

        homeroom = {"plain": (0.0, 0.0), "encrypted": (0.0, 0.0)}
        backups: dict[str, list[tuple[float, float, int]]] = {"plain": [], "encrypted": []}
        for r in range(3):
            for variant, path in (("plain", plain), ("encrypted", encrypted)):
                if r == 0:
                    homeroom[variant] = _homeroom(path, args.runs)
                for i in range(max(1, args.runs // 3)):
                    backups[variant].append(_backup(path, tmp / f"bk-{variant}-{r}-{i}"))

        def med(rows: list[tuple[float, float]]) -> tuple[float, float]:
            return statistics.median(w for w, _ in rows), statistics.median(c for _, c in rows)

        print()
        print("| operation | plain | encrypted | ratio encrypted / plain |")
        print("|---|---|---|---|")
        what = f"render + sign + store one class ({issued} records; median of {args.rounds})"
        print(_row(what, med(sign_times["plain"]), med(sign_times["encrypted"])))
        print(_row(f"homeroom page data (median of {args.runs})", homeroom["plain"], homeroom["encrypted"]))
        n = len(backups["plain"])
        print(_row(
            f"full backup: snapshot + {conversion.documents_sealed} files (median of {n})",
            med([(w, c) for w, c, _ in backups["plain"]]), med([(w, c) for w, c, _ in backups["encrypted"]]),
        ))  # fmt: skip
        sp, se = backups["plain"][0][2], backups["encrypted"][0][2]
        print(f"| full backup, bytes | {sp:,} | {se:,} | {se / sp:.3f} |")
        print()
        print(
            f"conversion of the school ({db_bytes / 1e6:.1f} MB database, {conversion.rows:,} rows, "
            f"{conversion.documents_sealed} document files sealed): {_ms(convert_s)}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
