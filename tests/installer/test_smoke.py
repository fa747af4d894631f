"""`smoke`, the end-to-end check CI runs from the bundle, here from the source tree."""

from __future__ import annotations

import io
import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from app.cli import smoke
from tests.installer import ROOT


def _png(path: Path, width: int, height: int, pixel: bytes | None = None) -> Path:
    """An RGB PNG: one colour, or (pixel None) a pattern of many values."""
    rows = []
    for y in range(height):
        if pixel is not None:
            rows.append(b"\x00" + pixel * width)
        else:
            rows.append(b"\x00" + bytes((x * 7 + y * 13) % 256 for x in range(width * 3)))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"".join(rows)))
    path.write_bytes(data + chunk(b"IEND", b""))
    return path


def test_png_summary_tells_a_blank_grab_from_a_window(tmp_path: Path) -> None:
    blank = smoke.png_summary(_png(tmp_path / "blank.png", 800, 600, b"\xff\xff\xff"))
    busy = smoke.png_summary(_png(tmp_path / "busy.png", 800, 600))
    assert blank[:2] == busy[:2] == (800, 600)
    assert blank[2] < smoke.MIN_DISTINCT_BYTES <= busy[2]
    not_png = tmp_path / "x.png"
    not_png.write_bytes(b"GIF89a")
    with pytest.raises(smoke.SmokeFailure):
        smoke.png_summary(not_png)


def test_a_failing_step_stops_the_run_and_is_reported() -> None:
    ran = []

    def ok(ctx: smoke.SmokeContext) -> str:
        ran.append("ok")
        return "ổn"

    def broken(ctx: smoke.SmokeContext) -> str:
        raise smoke.SmokeFailure("hỏng ở đây")

    out = io.StringIO()
    code = smoke.run(out, steps=(smoke.Step("một", ok), smoke.Step("hai", broken), smoke.Step("ba", ok)))
    text = out.getvalue()
    assert code == 1
    assert ran == ["ok"], "no step runs after a failure"
    assert "[OK] một: ổn" in text
    assert "[LỖI] hai: hỏng ở đây" in text
    assert "[BỎ QUA] ba" in text
    assert text.strip().splitlines()[-1] == "Dừng ở bước lỗi: hai."


def test_a_crashing_step_is_a_failure_not_a_traceback() -> None:
    def crash(ctx: smoke.SmokeContext) -> str:
        raise KeyError("x")

    out = io.StringIO()
    assert smoke.run(out, steps=(smoke.Step("một", crash),)) == 1
    assert "[LỖI] một: lỗi: KeyError('x')" in out.getvalue()


@pytest.mark.qt
def test_smoke_passes_from_the_source_tree(tmp_path: Path) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONIOENCODING="utf-8",
               XDG_DATA_HOME=str(tmp_path / "data"))  # fmt: skip
    proc = subprocess.run(
        [sys.executable, "-m", "app", "smoke", "--out", str(tmp_path / "keep")],
        cwd=ROOT, env=env, capture_output=True, text=True, encoding="utf-8", timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    ok_lines = [line for line in proc.stdout.splitlines() if line.startswith("[OK] ")]
    names = [line.removeprefix("[OK] ").split(":")[0] for line in ok_lines]
    assert names == [step.name for step in smoke.STEPS]
    shots = list((tmp_path / "keep").glob("*/main-window.png"))
    assert len(shots) == 1
    width, height, distinct = smoke.png_summary(shots[0])
    assert (width, height) == (1280, 800)
    assert distinct >= smoke.MIN_DISTINCT_BYTES
