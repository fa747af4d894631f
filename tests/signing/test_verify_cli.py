"""`python -m app verify`, run as IT staff run it: a real subprocess on real files."""

from __future__ import annotations

import json
from pathlib import Path

from app.signing.batch import BatchOptions, SignJob, sign_batch
from app.signing.demo import DemoIdentity, create_demo_pki
from app.signing.roles import Role
from app.signing.signers import DemoSignerSpec
from tests.cli.test_commands import run_app
from tests.signing.pdfs import student_record

SCHOOL = "Trường THCS Mẫu (DEMO)"


def _signed(tmp_path: Path) -> tuple[Path, Path]:
    demo = create_demo_pki(tmp_path / "keys", SCHOOL, [DemoIdentity("gv.an", "Nguyễn Văn An", SCHOOL)])
    pdf = tmp_path / "hs.pdf"
    pdf.write_bytes(student_record())
    sign_batch(
        [SignJob(pdf, pdf, Role.GVCN)],
        DemoSignerSpec(demo.folder, "gv.an"),
        None,
        options=BatchOptions(allow_demo=True),
    )
    return pdf, demo.root_cert_path


def test_verify_trusted_file_exits_zero(tmp_path: Path) -> None:
    pdf, root = _signed(tmp_path)
    proc = run_app("verify", "--json", str(pdf), "--trust", str(root))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    assert report["ok"] is True and report["file"] == str(pdf)
    [sig] = report["signatures"]
    assert sig["field"] == "GVCN" and sig["intact"] and sig["trusted"] and sig["changes_acceptable"]
    assert sig["signer_name"] == "Nguyễn Văn An (DEMO)" and sig["summary"].startswith("Hợp lệ")
    assert report["unsigned_fields"] == ["HieuTruong", "ConDau"]


def test_verify_untrusted_or_tampered_exits_one(tmp_path: Path) -> None:
    pdf, root = _signed(tmp_path)
    untrusted = run_app("verify", "--json", str(pdf))
    assert untrusted.returncode == 1
    assert json.loads(untrusted.stdout)["signatures"][0]["trusted"] is False
    data = bytearray(pdf.read_bytes())
    data[data.index(b"stream", 200) + 20] ^= 0x01
    pdf.write_bytes(bytes(data))
    tampered = run_app("verify", "--json", str(pdf), "--trust", str(root))
    assert tampered.returncode == 1
    assert json.loads(tampered.stdout)["summary"].startswith("Tài liệu đã bị sửa sau khi ký")


def test_verify_unreadable_inputs_exit_two(tmp_path: Path) -> None:
    missing = run_app("verify", str(tmp_path / "khong-co.pdf"))
    assert missing.returncode == 2 and "không đọc được tệp" in missing.stderr.lower()
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"not a pdf")
    proc = run_app("verify", "--json", str(junk))
    assert proc.returncode == 2 and "Không đọc được tệp PDF" in json.loads(proc.stdout)["problem"]
    bad_root = tmp_path / "root.pem"
    bad_root.write_bytes(b"garbage")
    proc = run_app("verify", str(junk), "--trust", str(bad_root))
    assert proc.returncode == 2 and "chứng thư gốc" in proc.stderr
