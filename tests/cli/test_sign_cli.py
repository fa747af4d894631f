"""`sign`, `issue-demo`, `export-issued`, `register-cert` through the real entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.main import main
from app.models.db import open_database
from app.signing import pki


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, object, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, json.loads(captured.out) if captured.out.strip() else None, captured.err


@pytest.fixture
def demo_db(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    path = tmp_path / "demo.sqlite3"
    assert (
        main(["demo", "--db", str(path), "--classes", "1", "--students-per-class", "2", "--seed", "5"]) == 0
    )
    capsys.readouterr()
    return path


def test_order_from_the_command_line(
    demo_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(demo_db)
    # Out of order: nothing to approve yet; exit 1 with the reason in the JSON.
    code, out, _ = _run(capsys, "sign", "--db", db, "--role", "hieutruong", "--class", "6A1", "--demo")
    assert code == 1 and isinstance(out, dict)
    [plan] = out["plans"]
    assert plan["counts"]["blocked"] == 2 and "giáo viên chủ nhiệm" in plan["items"][0]["reason"]
    # Sheets before the mark book is locked: blocked.
    code, out, _ = _run(
        capsys, "sign", "--db", db, "--role", "gvbm", "--class", "6A1", "--subject", "toan", "--demo"
    )
    assert code == 1 and isinstance(out, dict) and "chưa khoá" in out["plans"][0]["items"][0]["reason"]

    code, out, err = _run(capsys, "issue-demo", "--db", db)
    assert code == 0, err
    assert isinstance(out, dict) and out["ok"] and out["issued"] == 2
    # Again: everything is done, nothing signed twice.
    code, out, _ = _run(capsys, "issue-demo", "--db", db)
    assert code == 0 and isinstance(out, dict) and out["issued"] == 0
    code, out, _ = _run(capsys, "sign", "--db", db, "--role", "condau", "--class", "6A1", "--demo")
    assert (
        code == 0 and isinstance(out, dict) and out["plans"][0]["counts"]["done"] == 2 and out["runs"] == []
    )

    code, listing, _ = _run(
        capsys, "export-issued", "--db", db, "--class", "6A1", "--out", str(tmp_path / "out")
    )
    assert code == 0 and isinstance(listing, list) and len(listing) == 2
    first = listing[0]
    assert set(first) == {"student_code", "name", "class", "version", "sha256", "file"}
    root = tmp_path / "demo-pki" / "demo-root.pem"
    code, report, _ = _run(capsys, "verify", "--json", first["file"], "--trust", str(root))
    assert code == 0 and isinstance(report, dict) and report["ok"]
    # Without the demo root the signatures are intact but not trusted.
    code, report, _ = _run(capsys, "verify", "--json", first["file"])
    assert code != 0
    # A root the admin imported with `trust add` is trusted by `verify --db` of that school.
    other = tmp_path / "other.sqlite3"
    open_database(other).dispose()  # a school with no data yet, and not the demo school
    code, report, _ = _run(capsys, "verify", "--json", "--db", str(other), first["file"])
    assert code != 0
    code, _, err = _run(capsys, "trust", "add", "--db", str(other), str(root))
    assert code == 0, err
    code, report, _ = _run(capsys, "verify", "--json", "--db", str(other), first["file"])
    assert code == 0 and isinstance(report, dict) and report["ok"]


def test_register_certificate(demo_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = pki.self_signed_root("CA thử", "Thử", kind="ec")
    key = pki.new_key("ec")
    cert = pki.issue(pki.person_name("Võ Thị Oanh", "Trường"), key.public_key(), issuer=root, usage="signing")
    pem = tmp_path / "cert.pem"
    pem.write_bytes(cert.pem)
    db = str(demo_db)
    code, out, err = _run(capsys, "register-cert", "--db", db, "--user", "hieutruong", "--cert", str(pem))
    assert code == 0, err
    assert isinstance(out, dict) and out["created"] and out["holder"] == "hieutruong"
    code, out, _ = _run(capsys, "register-cert", "--db", db, "--user", "hieutruong", "--cert", str(pem))
    assert code == 0 and isinstance(out, dict) and not out["created"]
    code, out, err = _run(capsys, "register-cert", "--db", db, "--user", "school-seal", "--cert", str(pem))
    assert code == 1 and "người khác" in err
    code, out, err = _run(capsys, "register-cert", "--db", db, "--user", "khongco", "--cert", str(pem))
    assert code == 1 and "Không có tài khoản" in err


def test_sign_with_a_token_needs_its_arguments(demo_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "sign", "--db", str(demo_db), "--role", "gvcn", "--class", "6A1")
    assert code == 2 and "--module" in err
