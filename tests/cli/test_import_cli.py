"""`python -m app import …` and `export …` as IT staff run them: real subprocesses, real files."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.cli.test_commands import run_app
from tests.fixtures.demo_school import make_template
from tests.fixtures.excel_files import sample_students, write_provincial_export, write_rows


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_template(tmp_path_factory.mktemp("cli") / "template.sqlite3")


@pytest.fixture
def db_file(template: Path, tmp_path: Path) -> Path:
    path = tmp_path / "school.sqlite3"
    shutil.copyfile(template, path)
    return path


def count(db_file: Path, table: str) -> int:
    with sqlite3.connect(db_file) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def test_import_students_prints_the_report_and_imports(db_file: Path, tmp_path: Path) -> None:
    xlsx = write_provincial_export(tmp_path / "ds.xlsx", sample_students(5, "6A1", seed=1))
    before = count(db_file, "student")

    proc = run_app("import", "students", str(xlsx), "--db", str(db_file))

    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert (report["rows"], report["imported"], report["errors"]) == (5, 5, [])
    assert count(db_file, "student") == before + 5


def test_rows_with_errors_exit_1_and_import_nothing(db_file: Path, tmp_path: Path) -> None:
    good = sample_students(2, None, seed=2)
    header = ["Họ và tên", "Ngày sinh", "Giới tính", "Số định danh"]
    rows = [
        ["DANH SÁCH LỚP 6A1"],
        header,
        [good[0].full_name, good[0].date_of_birth, "Nam" if good[0].sex == 1 else "Nữ", good[0].national_id],
        [good[1].full_name, "30/02/2015", "Nữ", "0012"],
    ]
    xlsx = write_rows(tmp_path / "loi.xlsx", rows, text_columns=(4,))
    before = count(db_file, "student")

    proc = run_app("import", "students", str(xlsx), "--db", str(db_file), "--class", "6A1")

    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    assert report["rows"] == 2 and report["imported"] == 0
    assert {(e["row"], e["field"]) for e in report["errors"]} == {(4, "date_of_birth"), (4, "national_id")}
    assert all(isinstance(e["message"], str) and e["message"] for e in report["errors"])
    assert count(db_file, "student") == before


def test_dry_run_and_unusable_input(db_file: Path, tmp_path: Path) -> None:
    xlsx = write_provincial_export(tmp_path / "thu.xlsx", sample_students(3, "7A1", seed=3))
    before = count(db_file, "student")
    proc = run_app("import", "students", str(xlsx), "--db", str(db_file), "--dry-run")
    assert proc.returncode == 0 and json.loads(proc.stdout)["imported"] == 0
    assert json.loads(proc.stdout)["dry_run"] is True
    assert count(db_file, "student") == before

    proc = run_app("import", "students", str(tmp_path / "khong_co.xlsx"), "--db", str(db_file))
    assert proc.returncode == 2 and "không tìm thấy tệp" in proc.stderr.lower()
    proc = run_app("import", "students", str(xlsx), "--db", str(tmp_path / "no.sqlite3"))
    assert proc.returncode == 2 and not (tmp_path / "no.sqlite3").exists()  # never creates a database
    proc = run_app("import", "students", str(xlsx), "--db", str(db_file), "--class", "12Z")
    assert proc.returncode == 2 and "12Z" in proc.stderr


def test_import_teachers_writes_passwords_only_to_the_slip_file(db_file: Path, tmp_path: Path) -> None:
    xlsx = write_rows(tmp_path / "gv.xlsx", [["Họ và tên", "Môn dạy"], ["Đinh Thị Hoà", "Tin học"]])
    proc = run_app("import", "teachers", str(xlsx), "--db", str(db_file))
    assert proc.returncode == 2 and "--accounts-out" in proc.stderr

    slips = tmp_path / "tai_khoan.xlsx"
    proc = run_app("import", "teachers", str(xlsx), "--db", str(db_file), "--accounts-out", str(slips))

    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["imported"] == 1
    assert report["accounts"] == [{"login": "gv.dinhthihoa", "full_name": "Đinh Thị Hoà"}]
    ws = load_workbook(slips).active
    assert ws is not None
    password = next(r[3] for r in ws.iter_rows(values_only=True) if r and r[2] == "gv.dinhthihoa")
    assert password and password not in proc.stdout + proc.stderr


def test_export_class_list_and_mark_book(db_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "lop.xlsx"
    proc = run_app("export", "class-list", "--db", str(db_file), "--class", "6A1", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["rows"] == count_in_class(db_file, "6A1") and out.is_file()

    book = tmp_path / "toan.xlsx"
    proc = run_app(
        "export", "mark-book", "--db", str(db_file), "--class", "6A1", "--subject", "toan",
        "--semester", "2", "--out", str(book),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    ws = load_workbook(book).active
    assert ws is not None and "HỌC KỲ II" in str(ws.cell(1, 1).value)

    proc = run_app("export", "mark-book", "--db", str(db_file), "--class", "6A1", "--subject", "xyz",
                   "--out", str(tmp_path / "x.xlsx"))  # fmt: skip
    assert proc.returncode == 2 and "xyz" in proc.stderr


def count_in_class(db_file: Path, class_name: str) -> int:
    with sqlite3.connect(db_file) as conn:
        return int(
            conn.execute(
                "SELECT count(*) FROM enrolment e JOIN school_class c ON c.id = e.class_id WHERE c.name = ?",
                (class_name,),
            ).fetchone()[0]
        )
