"""The verification report on records issued through the real signing order (demo signer)."""

from __future__ import annotations

import importlib
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from app.errors import UserFacingError
from app.models.db import Database, open_database
from app.services.access import SYSTEM
from app.services.transfer_out import export_transfer
from app.services.verification import (
    CHANGED_PREFIX,
    KIND_PACKAGE,
    KIND_UNSUPPORTED,
    ROLE_BY_FIELD,
    current_signed_file,
    school_trust_roots,
    verify_bytes,
    verify_file,
    verify_signed_file,
)
from app.signing.roles import Role
from tests.services.verification_data import TAMPERINGS, IssuedSchool, issued_school, swap_xml


@pytest.fixture(scope="module")
def school(tmp_path_factory: pytest.TempPathFactory) -> IssuedSchool:
    return issued_school(tmp_path_factory.mktemp("issued"))


@pytest.fixture
def db(school: IssuedSchool) -> Iterator[Database]:
    database = open_database(school.path)
    yield database
    database.dispose()


def test_field_names_match_the_signing_roles() -> None:
    assert set(ROLE_BY_FIELD) == {r.field_name for r in Role}


def test_an_issued_record_is_valid_with_every_role_named(school: IssuedSchool, db: Database) -> None:
    report = verify_bytes(school.pdf, "hocba.pdf", db=db)
    assert report.ok and not report.changed and report.problem is None
    assert report.headline.startswith("Hợp lệ: 3 chữ ký") and "đóng dấu phát hành" in report.headline
    roles = [(c.field, c.role_code, c.role) for c in report.signatures]
    # The database knows which leader approved: the demo principal, not "a leader".
    assert roles == [
        ("GVCN", "gvcn", "Giáo viên chủ nhiệm"),
        ("HieuTruong", "hieutruong", "Hiệu trưởng"),
        ("ConDau", "condau", "Nhà trường (con dấu)"),
    ]
    for card in report.signatures:
        assert card.intact and card.trusted and card.changes_acceptable and not card.revoked
        assert card.claimed_time is not None and card.trusted_time is None  # no timestamp offline
        assert card.signer_name.endswith("(DEMO)") and card.verdict.startswith("Hợp lệ")
    assert report.signatures[-1].locks_document
    text = "\n".join(report.lines())
    assert "KẾT LUẬN: Hợp lệ" in text and "Chữ ký 2:" in text and "Được tin cậy: có" in text
    data = report.to_json()
    assert data["ok"] is True and data["signatures"][0]["role"] == "Giáo viên chủ nhiệm"
    assert data["signatures"][0]["coverage"] in ("entire_revision", "entire_file")  # the validation's fields


def test_without_the_database_the_role_comes_from_the_field(school: IssuedSchool) -> None:
    report = verify_bytes(school.pdf, "hocba.pdf", school_trust_roots_for(school))
    assert report.ok
    assert report.signatures[1].role.startswith("Lãnh đạo nhà trường")


def school_trust_roots_for(school: IssuedSchool) -> tuple[bytes, ...]:
    database = open_database(school.path)
    try:
        roots = school_trust_roots(database)
    finally:
        database.dispose()
    assert len(roots) == 1  # the demo CA, because this is the demo school
    return roots


@pytest.mark.parametrize("how", sorted(TAMPERINGS))
def test_tampering_shows_as_changed_in_words(school: IssuedSchool, db: Database, how: str) -> None:
    report = verify_bytes(TAMPERINGS[how](school.pdf), "hocba.pdf", db=db)
    assert report.changed and not report.ok
    assert report.headline.startswith(CHANGED_PREFIX)
    assert "Không dùng bản này làm căn cứ" in report.headline
    assert report.signatures and all(c.changed for c in report.signatures)
    assert all(c.verdict.startswith((CHANGED_PREFIX, "Không kiểm tra được")) for c in report.signatures)


def test_an_untrusted_signer_is_intact_but_not_trusted(school: IssuedSchool) -> None:
    report = verify_bytes(school.pdf, "hocba.pdf")  # no database: the demo CA is not trusted
    assert not report.ok and not report.changed
    assert all(c.intact and not c.trusted for c in report.signatures)
    assert report.headline.startswith("Tài liệu không bị sửa, nhưng chưa xác thực được người ký")
    assert "danh sách tin cậy của nhà trường" in report.headline


def test_other_files(tmp_path: Path) -> None:
    junk = tmp_path / "ghi-chu.txt"
    junk.write_bytes(b"hello")
    report = verify_file(junk)
    assert report.kind == KIND_UNSUPPORTED and not report.ok
    broken = verify_bytes(b"%PDF-1.7 broken", "x.pdf")
    assert broken.problem is not None and broken.headline.startswith("Không đọc được tệp PDF")
    with pytest.raises(UserFacingError, match="Không đọc được tệp"):
        verify_file(tmp_path / "khong-co.pdf")


def test_a_transfer_package_is_reported_in_the_same_words(school: IssuedSchool, tmp_path: Path) -> None:
    copy = tmp_path / "school"
    shutil.copytree(school.path.parent, copy)  # the export ends the enrolment: work on a copy
    db = open_database(copy / school.path.name)
    try:
        package = tmp_path / "chuyen-truong.hbt"
        export_transfer(
            db,
            SYSTEM,
            school.student_id,
            package,
            destination="Trường THCS Đích",
            transfer_date=date(2027, 1, 5),
        )
        report = verify_file(package, db=db)
        assert report.kind == KIND_PACKAGE and report.ok and report.problem is None
        assert report.headline.startswith("Gói hợp lệ")
        assert any(line.startswith("[Đạt] Học bạ năm học") for line in report.details)
        assert "Gói chuyển trường của học sinh" in "\n".join(report.lines())

        broken = verify_bytes(b"PK\x03\x04not really a package", "hong.hbt", db=db)
        assert broken.kind == KIND_PACKAGE and not broken.ok and broken.problem is not None
        assert "không phải gói hồ sơ chuyển trường" in broken.headline
        assert verify_bytes(package.read_bytes(), "goi.hbt").problem is not None  # needs the school's data
    finally:
        db.dispose()


def test_a_build_without_transfers_says_packages_are_not_supported(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.import_module

    def without_transfers(name: str, package: str | None = None) -> object:
        if name.startswith("app.services.transfer"):
            raise ModuleNotFoundError(name)  # stands for a build where the transfer modules are absent
        return real(name, package)

    monkeypatch.setattr(importlib, "import_module", without_transfers)
    report = verify_bytes(b"PK\x03\x04", "chuyen-truong.hbt")
    assert report.kind == KIND_UNSUPPORTED and not report.ok
    assert "chưa kiểm tra được gói chuyển trường" in report.headline


def test_current_signed_file_of_a_student(school: IssuedSchool, db: Database) -> None:
    signed = current_signed_file(db, school.student_id, actor=SYSTEM)
    assert signed is not None and signed.state == "issued" and signed.version == 1
    assert signed.pdf == school.pdf
    assert signed.xml.startswith(b"<") and b"hocba" in signed.xml.lower()
    report = verify_signed_file(db, signed, "hocba.pdf")
    assert report.ok and report.sha256 == signed.sha256


def test_a_stored_file_changed_on_disk_is_shown_as_changed(school: IssuedSchool, tmp_path: Path) -> None:
    copy = tmp_path / "school"
    shutil.copytree(school.path.parent, copy)
    [stored] = [p for p in copy.rglob("*.pdf") if p.read_bytes() == school.pdf]
    stored.write_bytes(swap_xml(school.pdf))  # someone edited the file in the store
    db = open_database(copy / school.path.name)
    try:
        signed = current_signed_file(db, school.student_id)
        assert signed is not None and not signed.matches_record
        report = verify_signed_file(db, signed, "hocba.pdf")
        assert report.changed and report.stored_changed and not report.ok
        assert report.headline.startswith(CHANGED_PREFIX)
        assert report.details[0].startswith("Tệp học bạ lưu trên máy đã bị thay đổi")
        stored.unlink()
        with pytest.raises(UserFacingError, match="Không mở được tệp học bạ đã ký"):
            current_signed_file(db, school.student_id)
    finally:
        db.dispose()
