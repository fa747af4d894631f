"""The verification report on records issued through the real signing order (demo signer)."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.errors import UserFacingError
from app.models.db import Database, open_database
from app.services.access import SYSTEM
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
from tests.services.verification_data import TAMPERINGS, IssuedSchool, issued_school


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


def test_a_transfer_package_goes_to_the_transfer_verification_when_it_exists() -> None:
    report = verify_bytes(b"PK\x03\x04not really a package", "chuyen-truong.hbt")
    if importlib.util.find_spec("app.services.transfer_in") is None:
        assert report.kind == KIND_UNSUPPORTED
        assert "chưa kiểm tra được gói chuyển trường" in report.headline
    else:  # the transfer verification answers; a broken package is never reported as valid
        assert report.kind in (KIND_PACKAGE, KIND_UNSUPPORTED) and not report.ok


def test_current_signed_file_of_a_student(school: IssuedSchool, db: Database) -> None:
    signed = current_signed_file(db, school.student_id, actor=SYSTEM)
    assert signed is not None and signed.state == "issued" and signed.version == 1
    assert signed.pdf == school.pdf
    assert signed.xml.startswith(b"<") and b"hocba" in signed.xml.lower()
    report = verify_signed_file(db, signed, "hocba.pdf")
    assert report.ok and report.sha256 == signed.sha256
