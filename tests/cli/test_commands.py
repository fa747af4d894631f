"""The command line as IT staff use it: real subprocesses, real files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app import __version__

ROOT = Path(__file__).resolve().parents[2]


def run_app(*args: str, stdin: str | None = None, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONIOENCODING="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=ROOT,
        env=env,
        timeout=timeout,
    )


def test_version() -> None:
    proc = run_app("--version")
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"Học bạ số {__version__}"


def test_selftest_passes_on_this_installation() -> None:
    proc = run_app("selftest")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.strip().splitlines()
    checks = [line for line in lines if line.startswith("[")]
    assert [c.split("]")[0] for c in checks] == ["[OK"] * 6
    for name in ("thư viện", "phông chữ", "cơ sở dữ liệu", "mã hoá", "PKCS#11", "Qt"):
        assert any(name in c for c in checks), name
    assert lines[-1] == "Tất cả đều ổn."


def test_selftest_reports_a_missing_font(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from app.cli import selftest

    monkeypatch.setattr(selftest, "REQUIRED_FONTS", ("KhongCo-Regular.ttf",))
    monkeypatch.setattr(selftest, "CHECKS", (selftest.check_fonts,))
    out = io.StringIO()
    assert selftest.run(out) == 1
    assert "[LỖI] phông chữ: thiếu KhongCo-Regular.ttf" in out.getvalue()


def test_demo_command_prints_summary(tmp_path: Path) -> None:
    db = tmp_path / "demo.sqlite3"
    proc = run_app("demo", "--db", str(db), "--classes", "3", "--students-per-class", "10", "--seed", "7")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["counts"]["classes"] == 3
    assert summary["counts"]["students"] == 30
    assert len(summary["classes"]) == 3
    roles = {r for account in summary["accounts"] for r in account["roles"]}
    assert {"admin", "hieutruong", "phohieutruong", "vanthu", "gvcn", "gvbm"} <= roles
    # A second demo in the same file is refused and changes nothing.
    again = run_app("demo", "--db", str(db), "--classes", "1", "--students-per-class", "1")
    assert again.returncode == 1
    assert "Lỗi:" in again.stderr
    assert "Traceback" not in again.stderr


def test_demo_command_rejects_nonsense_sizes(tmp_path: Path) -> None:
    proc = run_app("demo", "--db", str(tmp_path / "x.sqlite3"), "--classes", "0")
    assert proc.returncode == 2
    assert "số lớp" in proc.stderr


def _subject(code: str, tx: list[float], gk: float, ck: float) -> dict[str, object]:
    return {"code": code, "kind": "score", "lessons_per_year": 70,
            "hk1": {"tx": list(tx), "gk": gk, "ck": ck}, "hk2": {"tx": list(tx), "gk": gk, "ck": ck},
            "reassessment": None}


def _payload() -> dict[str, object]:
    subjects = [_subject(f"mon{i}", [9, 9, 9], 9, 9) for i in range(8)]
    subjects.append({"code": "gdtc", "kind": "comment",
                     "hk1": {"tx": ["Đ", "Đ"], "gk": "Đ", "ck": "Đ"},
                     "hk2": {"tx": ["Đ", "Đ"], "gk": "Đ", "ck": "Đ"},
                     "reassessment": None})
    return {"level": "thcs", "subjects": subjects,
            "conduct": {"hk1": "T", "hk2": "T", "after_summer": None}, "sessions_absent": 3}


def test_evaluate_round_trip() -> None:
    proc = run_app("evaluate", stdin=json.dumps(_payload(), ensure_ascii=False))
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["learning"]["year"] == "T"
    assert out["conduct"]["year"] == "T"
    assert out["promotion"] == "len_lop"
    assert out["title"] == "xuat_sac"
    assert out["subjects"][0]["year"] == 9.0
    assert out["subjects"][-1]["year"] == "Đ"
    assert out["explanations"] and all(isinstance(e, str) for e in out["explanations"])


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda p: p["subjects"][0]["hk1"].__setitem__("ck", 10.5), "subjects[0].hk1.ck"),
        (lambda p: p["subjects"][1]["hk2"].pop("ck"), "subjects[1].hk2.ck"),
        (lambda p: p["conduct"].__setitem__("hk1", "X"), "conduct.hk1"),
    ],
)
def test_evaluate_bad_input_names_the_field(mutate, field: str) -> None:  # type: ignore[no-untyped-def]
    payload = _payload()
    mutate(payload)
    proc = run_app("evaluate", stdin=json.dumps(payload, ensure_ascii=False))
    assert proc.returncode == 2
    assert field in proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""


def test_evaluate_rejects_invalid_json() -> None:
    proc = run_app("evaluate", stdin="{not json")
    assert proc.returncode == 2
    assert "JSON" in proc.stderr and "Traceback" not in proc.stderr
