"""Start-up time and size on disk of the PyInstaller one-folder bundle.

Launches the bundle's GUI executable as a fresh process N times (offscreen) on a
2,000-student demo school and prints medians of the wall time from launch to the PNG the
app writes once its first window has painted:

- "sign-in": `hocba --db F gui --screenshot OUT` (what a teacher sees first);
- "main window": `hocba --db F gui --as admin --screenshot OUT` (demo only: signed in).

Baseline in the same run: a bare PySide6 script (this interpreter, not frozen) that shows
an empty 1280×800 window and grabs it the same way: what Python + Qt cost before any of
our code. Then the bundle's size on disk and its ten largest parts.

Targets: under 2 s to the window, under 250 MB on disk. Prints figures only.

    .venv/bin/python bench/bench_bundle.py [--bundle DIR] [--runs 5]

Without --bundle it builds one with installer/build_linux.sh in a temporary folder first
and prints the build time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_MS = 2000
TARGET_MB = 250

BASELINE = r"""
import sys
from PySide6.QtWidgets import QApplication, QWidget
app = QApplication(sys.argv[:1])
w = QWidget()
w.resize(1280, 800)
w.show()
app.processEvents()
w.grab().save(sys.argv[1], "PNG")
"""


def _env(home: Path) -> dict[str, str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    # The GUI logs into the user's data folder: keep the bench's runs out of the real one.
    env.update(XDG_DATA_HOME=str(home / "data"), XDG_CONFIG_HOME=str(home / "config"))
    return env


def build_bundle(out: Path) -> Path:
    started = time.perf_counter()
    subprocess.run(["bash", str(ROOT / "installer" / "build_linux.sh"), str(out)], check=True,
                   stdout=subprocess.DEVNULL)  # fmt: skip
    print(f"build: {time.perf_counter() - started:.0f} s (installer/build_linux.sh, nothing cached)")
    return out / "dist" / "hocba"


def launch_ms(cmd: list[str], png: Path, env: dict[str, str]) -> float | None:
    """Wall time from launch to the screenshot file appearing (None if it never did)."""
    png.unlink(missing_ok=True)
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seen = None
    while proc.poll() is None:
        if seen is None and png.exists():
            seen = time.perf_counter() - started
        time.sleep(0.002)
    if seen is None and png.exists():
        seen = time.perf_counter() - started
    if proc.returncode != 0 or seen is None:
        err = proc.stderr.read() if proc.stderr else ""
        print(f"  launch failed (exit {proc.returncode}): {err[-1500:]}")
        return None
    return seen * 1000


def report(name: str, runs: list[float | None]) -> None:
    ok = [r for r in runs if r is not None]
    median = f"{statistics.median(ok):6.0f} ms" if ok else "     – ms"
    print(f"  {name:<26} {median}   (runs: {', '.join('–' if r is None else f'{r:.0f}' for r in runs)})")


def sizes(bundle: Path) -> None:
    files = [p for p in bundle.rglob("*") if p.is_file() and not p.is_symlink()]
    apparent = sum(p.stat().st_size for p in files)
    allocated = sum(p.stat().st_blocks * 512 for p in files)
    print(f"\nsize: {apparent / 1e6:.0f} MB in {len(files)} files "
          f"({allocated / 1e6:.0f} MB allocated on disk); target under {TARGET_MB} MB")  # fmt: skip
    print("largest files:")
    for path in sorted(files, key=lambda p: p.stat().st_size, reverse=True)[:10]:
        print(f"  {path.stat().st_size / 1e6:6.1f} MB  {path.relative_to(bundle)}")
    parts: Counter[str] = Counter()
    for path in files:
        rel = path.relative_to(bundle).parts
        # _internal/<package>, with Qt's libraries and plugins split out (they dominate).
        key = "/".join(rel[:4] if rel[1:3] == ("PySide6", "Qt") else rel[:2])
        parts[key] += path.stat().st_size
    print("largest parts:")
    for key, size in parts.most_common(10):
        print(f"  {size / 1e6:6.1f} MB  {key}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path, help="the built bundle folder (dist/hocba)")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="hocba-bench-bundle-"))
    bundle = args.bundle or build_bundle(work / "build")
    gui, console = bundle / "hocba", bundle / "hocba-console"
    env = _env(work / "home")

    db = work / "school-2000.sqlite3"
    started = time.perf_counter()
    subprocess.run([str(console), "demo", "--db", str(db), "--classes", "50", "--students-per-class", "40"],
                   check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    print(f"database: 2,000 students, made by the bundle in {time.perf_counter() - started:.1f} s")

    png = work / "shot.png"
    commands = {
        "bundle, sign-in screen": [str(gui), "--db", str(db), "gui", "--screenshot", str(png)],
        "bundle, main window": [str(gui), "--db", str(db), "gui", "--as", "admin", "--screenshot", str(png)],
        "baseline, bare Qt": [sys.executable, "-c", BASELINE, str(png)],
    }
    for cmd in commands.values():  # one unmeasured launch each warms the file cache
        launch_ms(cmd, png, env)
    runs: dict[str, list[float | None]] = {name: [] for name in commands}
    for _ in range(args.runs):  # interleaved, so drift in machine load hits all alike
        for name, cmd in commands.items():
            runs[name].append(launch_ms(cmd, png, env))

    print(f"\nlaunch to window painted, median of {args.runs} (offscreen, {os.cpu_count()} CPUs):")
    for name, values in runs.items():
        report(name, values)
    print(f"  target: under {TARGET_MS} ms to the window")
    sizes(bundle)
    return 0


if __name__ == "__main__":
    sys.exit(main())
