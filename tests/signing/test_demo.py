"""The demo signer: the whole order without a token, stamped DEMO, refused unless allowed."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from pypdf import PdfReader

from app.signing.batch import BatchOptions, DocStatus, SignJob, sign_batch
from app.signing.demo import DemoIdentity, create_demo_pki, load_demo_pki
from app.signing.errors import CertificateMismatchError, DemoSignerRefusedError
from app.signing.roles import Role
from app.signing.signers import DemoSignerSpec
from app.signing.stamp import StampText, render_stamp_pdf
from app.signing.validation import validate_pdf
from tests.signing.pdfs import student_record

SCHOOL = "Trường THCS Mẫu (DEMO)"
PEOPLE = [
    DemoIdentity("gv.nguyenvanan", "Nguyễn Văn An", SCHOOL),
    DemoIdentity("hieutruong", "Trần Thị Bình", SCHOOL),
    DemoIdentity("school-seal", SCHOOL, SCHOOL),
]
DEMO = BatchOptions(allow_demo=True)


def test_demo_order_is_valid_against_the_demo_root(tmp_path: Path) -> None:
    demo = create_demo_pki(tmp_path / "demo-keys", SCHOOL, PEOPLE)
    path = tmp_path / "hs.pdf"
    path.write_bytes(student_record())
    for role, who in (
        (Role.GVCN, "gv.nguyenvanan"),
        (Role.HIEU_TRUONG, "hieutruong"),
        (Role.CON_DAU, "school-seal"),
    ):
        spec = DemoSignerSpec(demo.folder, who, expected_cert_sha256=demo.credentials[who].sha256)
        result = sign_batch([SignJob(path, path, role)], spec, None, options=DEMO)
        assert result.demo and result.complete
        assert [s.demo for s in result.stamps] == [True]
    report = validate_pdf(path.read_bytes(), [demo.root_der()])
    assert report.all_ok, report.to_json()
    assert [s.signer_name for s in report.signatures] == [
        "Nguyễn Văn An (DEMO)", "Trần Thị Bình (DEMO)", f"{SCHOOL} (DEMO)"
    ]  # fmt: skip
    # Without the demo root (a real school's trust store) nothing demo is trusted.
    assert not validate_pdf(path.read_bytes()).all_ok


def test_demo_signer_is_refused_unless_allowed(tmp_path: Path) -> None:
    demo = create_demo_pki(tmp_path / "k", SCHOOL, PEOPLE[:1])
    path = tmp_path / "hs.pdf"
    path.write_bytes(original := student_record())
    with pytest.raises(DemoSignerRefusedError):
        sign_batch([SignJob(path, path, Role.GVCN)], DemoSignerSpec(demo.folder, "gv.nguyenvanan"), None)
    assert path.read_bytes() == original


def test_demo_certificate_of_someone_else_is_refused(tmp_path: Path) -> None:
    demo = create_demo_pki(tmp_path / "k", SCHOOL, PEOPLE)
    path = tmp_path / "hs.pdf"
    path.write_bytes(student_record())
    spec = DemoSignerSpec(
        demo.folder, "hieutruong", expected_cert_sha256=demo.credentials["gv.nguyenvanan"].sha256
    )
    with pytest.raises(CertificateMismatchError):
        sign_batch([SignJob(path, path, Role.GVCN)], spec, None, options=DEMO)


def test_long_vietnamese_names_fit_in_certificates(tmp_path: Path) -> None:
    school = "Trường Trung học cơ sở và Trung học phổ thông Nguyễn Bỉnh Khiêm, huyện Đăk Glong, tỉnh Đắk Nông"
    person = "Tôn Nữ Thị Hoàng Yến Nhi Phương Thảo Ngọc Bích Khánh Linh Minh Châu Bảo Anh"
    demo = create_demo_pki(tmp_path / "k", school, [DemoIdentity("gv.dai", person, school)])
    path = tmp_path / "hs.pdf"
    path.write_bytes(student_record())
    result = sign_batch(
        [SignJob(path, path, Role.GVCN)], DemoSignerSpec(demo.folder, "gv.dai"), None, options=DEMO
    )
    assert result.complete
    name = result.certificate.common_name
    assert len(name) <= 64 and name.endswith("… (DEMO)") and name.startswith("Tôn Nữ Thị")


def test_demo_pki_grows_without_replacing_what_exists(tmp_path: Path) -> None:
    first = create_demo_pki(tmp_path / "k", SCHOOL, PEOPLE[:1])
    second = create_demo_pki(tmp_path / "k", SCHOOL, PEOPLE)
    assert first.root_sha256 == second.root_sha256
    assert second.credentials["gv.nguyenvanan"] == first.credentials["gv.nguyenvanan"]
    assert set(second.credentials) == {p.key for p in PEOPLE}
    assert load_demo_pki(tmp_path / "k") == second
    index = json.loads((tmp_path / "k" / "identities.json").read_text(encoding="utf-8"))
    assert index["hieutruong"]["common_name"] == "Trần Thị Bình"
    with pytest.raises(ValueError):
        create_demo_pki(tmp_path / "k", SCHOOL, [DemoIdentity("../escape", "X", SCHOOL)])


def test_stamp_text_is_vietnamese_and_says_demo(artifacts_dir: Path) -> None:
    from datetime import date

    pdf = render_stamp_pdf(StampText("Nguyễn Văn An", "Giáo viên chủ nhiệm", date(2026, 5, 30), demo=True))
    (artifacts_dir / "signing-stamp-demo.pdf").write_bytes(pdf)
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    for expected in (
        "Nguyễn Văn An",
        "Giáo viên chủ nhiệm",
        "30/05/2026",
        "DEMO",
        "không có giá trị pháp lý",
    ):
        assert expected in text
    real = PdfReader(
        io.BytesIO(render_stamp_pdf(StampText("Trần Thị Bình", "Hiệu trưởng", date(2026, 5, 30))))
    )
    assert "DEMO" not in real.pages[0].extract_text()
    # PDF/A: every font the stamp carries into a record is embedded (no stray Helvetica).
    for font in real.pages[0]["/Resources"]["/Font"].values():
        font = font.get_object()
        descriptor = (
            font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            if "/DescendantFonts" in font
            else font["/FontDescriptor"]
        )
        assert "/FontFile2" in descriptor.get_object(), font


def test_demo_batch_statuses_are_reported_per_document(tmp_path: Path) -> None:
    demo = create_demo_pki(tmp_path / "k", SCHOOL, PEOPLE)
    good, locked = tmp_path / "a.pdf", tmp_path / "b.pdf"
    good.write_bytes(student_record())
    locked.write_bytes(student_record(seal_lock=None))
    seen: list[DocStatus] = []
    result = sign_batch(
        [SignJob(good, good, Role.GVCN), SignJob(locked, locked, Role.CON_DAU)],
        DemoSignerSpec(demo.folder, "gv.nguyenvanan"),
        None,
        options=DEMO,
        on_progress=lambda r: seen.append(r.status),
    )
    assert seen == [DocStatus.SIGNED, DocStatus.REFUSED] == [d.status for d in result.documents]
    signed = result.documents[0]
    assert (
        signed.size_after is not None
        and signed.size_before is not None
        and signed.size_after > signed.size_before
    )
    import hashlib

    assert signed.sha256 == hashlib.sha256(good.read_bytes()).hexdigest()
