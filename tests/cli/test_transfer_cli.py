"""`python -m app transfer export` / `transfer import`: JSON out, exit codes, messages in Vietnamese."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from app.main import main
from tests.conftest import ROOT
from tests.services.transfer_data import DB_NAME, copy_school, make_templates

pytestmark = pytest.mark.slow


def test_export_then_import_from_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    templates = make_templates(tmp_path / "templates")
    a = copy_school(templates.a, tmp_path / "a")
    a.dispose()
    b = copy_school(templates.b, tmp_path / "b")
    b.dispose()
    a_db, b_db = str(tmp_path / "a" / DB_NAME), str(tmp_path / "b" / DB_NAME)
    package = tmp_path / "out" / "hs.hbt"
    root = tmp_path / "a" / "demo-pki" / "demo-root.pem"

    # The command as an IT person types it (a real process, the real entry point).
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "app",
            "transfer",
            "export",
            "--db",
            a_db,
            "--student",
            "1",
            "--out",
            str(package),
            "--to",
            "Trường THCS Lê Lợi (DEMO)",
            "--date",
            "2026-12-01",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    sent = json.loads(proc.stdout)
    assert sent["records"] == 1 and sent["transfer_date"] == "2026-12-01" and package.exists()

    assert main(["transfer", "import", "--db", b_db, str(package), "--check-only"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False and "manifest_untrusted" in report["reasons"]

    assert main(["transfer", "import", "--db", b_db, str(package)]) == 1
    captured = capsys.readouterr()
    assert "Không nhận gói hồ sơ chuyển trường" in captured.err and json.loads(captured.out)["ok"] is False

    assert main(["transfer", "import", "--db", b_db, str(package), "--override-reason", "lý do đủ dài"]) == 2
    assert "--as" in capsys.readouterr().err

    b2 = copy_school(templates.b, tmp_path / "b2")
    b2.dispose()
    b2_db = str(tmp_path / "b2" / DB_NAME)
    reason = "Sở xác nhận hồ sơ bằng công văn 15/SGD"
    assert (
        main(
            ["transfer", "import", "--db", b2_db, str(package), "--override-reason", reason, "--as", "vanthu"]
        )
        == 1
    )
    assert "Hiệu trưởng" in capsys.readouterr().err
    assert (
        main(
            [
                "transfer",
                "import",
                "--db",
                b2_db,
                str(package),
                "--override-reason",
                reason,
                "--as",
                "hieutruong",
            ]
        )
        == 0
    )
    overridden = json.loads(capsys.readouterr().out)
    assert overridden["verified"] is False and overridden["override_reason"] == reason

    assert main(["transfer", "import", "--db", b_db, str(package), "--trust", str(root)]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["verified"] is True and got["records"] == 1 and got["student_created"] is True

    assert main(["transfer", "export", "--db", a_db, "--student", "1", "--out", str(package)]) == 1
    assert "không còn theo học" in capsys.readouterr().err
    assert (
        main(["transfer", "export", "--db", a_db, "--student", "2", "--out", str(package), "--date", "x"])
        == 2
    )
