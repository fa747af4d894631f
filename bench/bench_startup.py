"""Start-up time of the desktop app on a 2,000-student secondary school.

Launches `python -m app --db F gui --screenshot OUT.png` as a fresh process N times
(offscreen) and prints medians of:

- wall time from launch to the PNG appearing, and to the process exiting;
- the app's own figure "first screen shown after X ms (since process start)", which it
  logs from the kernel's process start time, so it includes interpreter start and imports.

Baseline in the same run: a bare PySide6 script that shows an empty 1280×800 QWidget and
grabs it the same way, i.e. what Python + Qt cost before any of our code.

The database is created once (`python -m app demo`, 50 classes × 40) and cached in the
temp folder, or at --db. Target: under 1.5 s to the window. Prints figures only.

    .venv/bin/python bench/bench_startup.py [--runs 5] [--db PATH]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHOWN = re.compile(r"(?:main window|first screen) shown after (\d+) ms \(since process start\)")
BASELINE_SHOWN = re.compile(r"baseline shown after (\d+) ms")

# The bare-Qt baseline; measures its own age the same way app.cli.gui does.
BASELINE = r"""
import os, sys, time
from pathlib import Path
from PySide6.QtWidgets import QApplication, QWidget
app = QApplication(sys.argv[:1])
w = QWidget()
w.resize(1280, 800)
w.show()
app.processEvents()
stat = Path("/proc/self/stat").read_text() if Path("/proc/self/stat").exists() else ""
if stat:
    start = int(stat[stat.rindex(")") + 2:].split()[19]) / os.sysconf("SC_CLK_TCK")
    age = (time.clock_gettime(time.CLOCK_BOOTTIME) - start) * 1000
    print(f"baseline shown after {age:.0f} ms", file=sys.stderr)
w.grab().save(sys.argv[1], "PNG")
"""


@dataclass(frozen=True)
class Launch:
    to_png_ms: float
    to_exit_ms: float
    shown_ms: float | None
    returncode: int


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def ensure_database(path: Path) -> None:
    if path.exists():
        print(f"database: {path} (cached)")
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    cmd = [sys.executable, "-m", "app", "demo", "--db", str(path),
           "--classes", "50", "--students-per-class", "40"]  # fmt: skip
    subprocess.run(cmd, cwd=ROOT, env=_env(), check=True, capture_output=True)
    print(f"database: {path} (created in {time.perf_counter() - started:.1f} s)")


def launch(cmd: list[str], png: Path, pattern: re.Pattern[str]) -> Launch:
    png.unlink(missing_ok=True)
    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    to_png = None
    while proc.poll() is None:
        if to_png is None and png.exists():
            to_png = time.perf_counter() - started
        time.sleep(0.002)
    to_exit = time.perf_counter() - started
    stderr = proc.stderr.read() if proc.stderr else ""
    if to_png is None and png.exists():
        to_png = to_exit
    if proc.returncode != 0 or to_png is None:
        print(f"  launch failed (exit {proc.returncode}):\n{stderr[-2000:]}")
    found = pattern.search(stderr)
    return Launch(
        to_png_ms=(to_png or to_exit) * 1000,
        to_exit_ms=to_exit * 1000,
        shown_ms=float(found.group(1)) if found else None,
        returncode=proc.returncode,
    )


def _median(values: list[float | None]) -> str:
    present = [v for v in values if v is not None]
    return f"{statistics.median(present):7.0f}" if present else "      –"


def report(name: str, runs: list[Launch]) -> None:
    print(
        f"{name:<22} {_median([r.to_png_ms for r in runs])} ms  "
        f"{_median([r.to_exit_ms for r in runs])} ms  "
        f"{_median([r.shown_ms for r in runs])} ms   "
        f"(runs: {', '.join(f'{r.to_png_ms:.0f}' for r in runs)})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--db",
        type=Path,
        default=Path(tempfile.gettempdir()) / "hocba-bench" / "startup-2000.sqlite3",
    )
    args = parser.parse_args()
    ensure_database(args.db)

    out_dir = Path(tempfile.mkdtemp(prefix="hocba-bench-startup-"))
    app_png, base_png = out_dir / "app.png", out_dir / "baseline.png"
    # Signed in as the demo admin (`--as`), so the figure is the main window, not sign-in.
    app_cmd = [sys.executable, "-m", "app", "--db", str(args.db), "gui", "--as", "admin",
               "--screenshot", str(app_png)]
    base_cmd = [sys.executable, "-c", BASELINE, str(base_png)]

    # One unmeasured launch of each warms the OS file cache, as a second start would be.
    launch(app_cmd, app_png, SHOWN)
    launch(base_cmd, base_png, BASELINE_SHOWN)
    app_runs, base_runs = [], []
    for _ in range(args.runs):  # interleaved, so drift in machine load hits both alike
        app_runs.append(launch(app_cmd, app_png, SHOWN))
        base_runs.append(launch(base_cmd, base_png, BASELINE_SHOWN))

    print(f"\nmedians of {args.runs} launches (offscreen, {os.cpu_count()} CPUs):")
    print(f"{'':<22} {'to PNG':>10} {'to exit':>10} {'shown*':>10}")
    report("app, 2,000 students", app_runs)
    report("baseline, bare Qt", base_runs)
    print("* shown: the process's own figure, from its kernel start time to the window shown")
    print("target: app shown under 1500 ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
