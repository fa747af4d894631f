"""`python -m app render`: files, JSON listing with SHA-256, all-or-nothing on bad data."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from sqlalchemy import delete, select

from app.main import main
from app.models import Conduct, Enrolment, SchoolClass
from app.models.db import Database


def _run(argv: list[str], capsys: object) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()  # type: ignore[attr-defined]
    return code, captured.out, captured.err


def test_render_a_class_with_sheets(thcs_path: Path, tmp_path: Path, capsys: object) -> None:
    out = tmp_path / "out"
    code, stdout, _ = _run(
        ["render", "--db", str(thcs_path), "--class", "6A1", "--out", str(out), "--sheets", "--xml"], capsys
    )
    assert code == 0
    listing = json.loads(stdout)
    kinds = [e["kind"] for e in listing]
    assert kinds.count("hocba") == 12 and kinds.count("bangdiem") == 39
    for entry in listing:
        data = Path(entry["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"] and len(data) == entry["bytes"]
        assert Path(entry["xml"]).exists()
    assert not list(out.glob("*.partial"))
    # Rendering again gives the same files, byte for byte.
    code, again, _ = _run(
        ["render", "--db", str(thcs_path), "--class", "6A1", "--out", str(tmp_path / "b")], capsys
    )
    assert code == 0
    first = {Path(e["file"]).name: e["sha256"] for e in listing if e["kind"] == "hocba"}
    second = {Path(e["file"]).name: e["sha256"] for e in json.loads(again)}
    assert first == second


def test_render_one_student(thcs_path: Path, tmp_path: Path, capsys: object) -> None:
    code, stdout, _ = _run(
        ["render", "--db", str(thcs_path), "--class", "7A1", "--out", str(tmp_path / "c")], capsys
    )
    first = json.loads(stdout)[0]
    student_code = Path(first["file"]).name.split("-")[2]
    code, stdout, _ = _run(
        ["render", "--db", str(thcs_path), "--student", student_code, "--out", str(tmp_path / "one")], capsys
    )
    assert code == 0
    (entry,) = json.loads(stdout)
    assert entry["sha256"] == first["sha256"]


def test_bad_data_refuses_and_writes_nothing(thcs_copy: Database, tmp_path: Path, capsys: object) -> None:
    with thcs_copy.write() as s:
        enrolment_id = s.scalar(
            select(Enrolment.id)
            .join(SchoolClass, SchoolClass.id == Enrolment.class_id)
            .where(SchoolClass.name == "6A1")
            .order_by(Enrolment.id.desc())
            .limit(1)
        )
        s.execute(delete(Conduct).where(Conduct.enrolment_id == enrolment_id))
    out = tmp_path / "nothing"
    code, stdout, stderr = _run(
        ["render", "--db", str(thcs_copy.path), "--class", "6A1", "--out", str(out)], capsys
    )
    assert code == 1
    assert stdout == ""
    assert "Chưa lập được học bạ của học sinh" in stderr and "rèn luyện" in stderr
    assert not out.exists()


def test_argument_errors(tmp_path: Path, capsys: object) -> None:
    code, _, stderr = _run(["render", "--db", str(tmp_path / "x.sqlite3"), "--out", str(tmp_path)], capsys)
    assert code == 2 and "--class" in stderr
    code, _, stderr = _run(
        ["render", "--db", str(tmp_path / "none.sqlite3"), "--class", "6A1", "--out", str(tmp_path)], capsys
    )
    assert code == 1 and "không có tệp" in stderr
