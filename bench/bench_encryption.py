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


def _median_time(runs: int, work: Callable[[], object]) -> float:
    work()  # warm: imports and the page cache, as in a running app
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        work()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


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


def _issue(path: Path) -> tuple[float, int]:
    db = _open(path)
    try:
        t0 = time.perf_counter()
        classes = issue_demo(db)
        elapsed = time.perf_counter() - t0
    finally:
        db.dispose()
    return elapsed, sum(c.issued for c in classes)


def _homeroom(path: Path, runs: int) -> float:
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


def _backup(path: Path, target: Path) -> tuple[float, int]:
    shutil.rmtree(target, ignore_errors=True)
    key = key_for_opening(path)
    t0 = time.perf_counter()
    create_backup(path, target, key=key)
    return time.perf_counter() - t0, _folder_bytes(target)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--classes", type=int, default=12, help="classes in the school (the homeroom, backup)")
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
        print(f"rendering+signing: 1 class × {args.students}; school: {args.classes} classes × {args.students}")

        sign_times: dict[str, list[float]] = {"plain": [], "encrypted": []}
        issued = 0
        for r in range(args.rounds):
            for variant in ("plain", "encrypted"):
                folder = tmp / f"sign-{variant}-{r}"
                shutil.copytree(one_class.parent, folder)
                path = folder / one_class.name
                if variant == "encrypted":
                    encrypt_database(path)
                seconds, issued = _issue(path)
                sign_times[variant].append(seconds)

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

        homeroom = {"plain": 0.0, "encrypted": 0.0}
        backups: dict[str, list[tuple[float, int]]] = {"plain": [], "encrypted": []}
        for r in range(3):
            for variant, path in (("plain", plain), ("encrypted", encrypted)):
                if r == 0:
                    homeroom[variant] = _homeroom(path, args.runs)
                for i in range(max(1, args.runs // 3)):
                    backups[variant].append(_backup(path, tmp / f"bk-{variant}-{r}-{i}"))

        print()
        print("| operation | plain | encrypted | ratio |")
        print("|---|---|---|---|")
        p, e = statistics.median(sign_times["plain"]), statistics.median(sign_times["encrypted"])
        print(f"| render + sign + store one class ({issued} records, 4 signatures each) | {_ms(p)} | {_ms(e)} "
              f"| {e / p:.2f} |")
        p, e = homeroom["plain"], homeroom["encrypted"]
        print(f"| homeroom page data (median of {args.runs}) | {p * 1000:.1f} ms | {e * 1000:.1f} ms "
              f"| {e / p:.2f} |")
        bp = statistics.median(t for t, _ in backups["plain"])
        be = statistics.median(t for t, _ in backups["encrypted"])
        sp, se = backups["plain"][0][1], backups["encrypted"][0][1]
        print(f"| full backup, time (median of {len(backups['plain'])}) | {_ms(bp)} | {_ms(be)} | {be / bp:.2f} |")
        print(f"| full backup, bytes | {sp:,} | {se:,} | {se / sp:.3f} |")
        print()
        print(
            f"conversion of the school ({db_bytes / 1e6:.1f} MB database, {conversion.rows:,} rows, "
            f"{conversion.documents_sealed} document files sealed): {_ms(convert_s)}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
