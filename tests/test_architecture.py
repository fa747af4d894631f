"""The layer contracts of architecture.md §1, checked by import-linter as a test."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _lint_imports() -> str:
    beside = Path(sys.executable).with_name("lint-imports")
    found = str(beside) if beside.exists() else shutil.which("lint-imports")
    assert found, "import-linter is not installed (pip install -e '.[dev]')"
    return found


def test_import_contracts_hold() -> None:
    proc = subprocess.run(
        [_lint_imports(), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # All contracts were checked, none silently skipped.
    assert "Contracts: 6 kept, 0 broken." in proc.stdout, proc.stdout
    # The hub's import rule (architecture.md §1) is one of them: only app.sync.protocol of the app.
    assert "The hub imports only app.sync.protocol of the app KEPT" in proc.stdout, proc.stdout


def test_no_window_module_over_800_lines() -> None:
    too_long = {
        str(p.relative_to(ROOT)): n
        for p in (ROOT / "app" / "ui").rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 800
    }
    assert too_long == {}
