"""Verification reports what happened to a signed record, in words a principal reads."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pypdf import PdfReader, PdfWriter

from app.signing import pki
from app.signing.lockcheck import lock_state_of
from app.signing.roles import Role
from app.signing.validation import validate_pdf
from app.signing.worker import TokenWorker
from tests.signing.conftest import Tokens
from tests.signing.helpers import attachment, sign_in_place, write_inputs
from tests.signing.pdfs import XML_NAME, record_xml, student_record

EDITED = "Tài liệu đã bị sửa sau khi ký"


@pytest.fixture(scope="module")
def signed(hsm: Tokens, tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A record signed in the full order (GVCN, HieuTruong, ConDau) through SoftHSM."""
    with TokenWorker() as worker:
        [path] = write_inputs(tmp_path_factory.mktemp("signed"), [student_record("Đỗ Minh Châu")])
        sign_in_place(worker, [path], Role.GVCN, hsm.teacher.spec())
        sign_in_place(worker, [path], Role.HIEU_TRUONG, hsm.principal.spec())
        sign_in_place(worker, [path], Role.CON_DAU, hsm.seal.spec())
    return path.read_bytes()


def test_untouched_record_is_valid(signed: bytes, trust: list[bytes]) -> None:
    report = validate_pdf(signed, trust)
    assert report.all_ok and report.summary == "Tất cả 3 chữ ký đều hợp lệ."
    assert all(s.claimed_time is not None and s.timestamp_time is None for s in report.signatures)
    assert all(s.revocation == "unknown" for s in report.signatures)  # offline, no CRL given


def test_one_flipped_byte_is_reported(signed: bytes, trust: list[bytes]) -> None:
    data = bytearray(signed)
    at = data.index(b"stream", 200) + 20  # inside the first content stream, signed by all three
    data[at] ^= 0x01
    report = validate_pdf(bytes(data), trust)
    assert not report.all_ok
    assert all(not s.intact for s in report.signatures)
    assert report.summary.startswith(EDITED)


def test_swapped_xml_in_an_incremental_update_is_reported(signed: bytes, trust: list[bytes]) -> None:
    forged = record_xml("Đỗ Minh Châu").replace(b"8.5", b"10")
    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    names = writer.root["/Names"]["/EmbeddedFiles"]["/Names"]
    filespec = names[names.index(XML_NAME) + 1].get_object()
    ef = filespec["/EF"]
    ef["/F"] = writer.add_object(
        generic.StreamObject(
            {generic.pdf_name("/Type"): generic.pdf_name("/EmbeddedFile")}, stream_data=forged
        )
    )
    writer.update_container(ef)
    out = io.BytesIO()
    writer.write(out)
    tampered = out.getvalue()
    assert attachment(tampered, XML_NAME) == forged  # the forgery is what a reader now extracts

    report = validate_pdf(tampered, trust)
    assert not report.all_ok
    # The signed bytes are intact, but what was appended is not allowed after any of them.
    assert all(s.intact and not s.changes_acceptable for s in report.signatures)
    assert all(s.summary.startswith(EDITED) for s in report.signatures)


def test_rewritten_with_pypdf_is_reported(signed: bytes, trust: list[bytes]) -> None:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(signed)))
    out = io.BytesIO()
    writer.write(out)
    report = validate_pdf(out.getvalue(), trust)
    assert not report.all_ok
    assert report.signatures, "the signatures are still found"
    assert all(not s.ok for s in report.signatures)
    assert report.summary.startswith((EDITED, "Không kiểm tra được chữ ký"))


def test_untrusted_without_the_schools_roots(signed: bytes) -> None:
    # No root given and none bundled in resources/trust for this CA: never the OS store.
    report = validate_pdf(signed)
    assert not report.all_ok
    assert all(s.intact and not s.trusted for s in report.signatures)
    assert "danh sách tin cậy của nhà trường" in report.summary


def test_os_trust_store_is_never_consulted(signed: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    from pyhanko_certvalidator import registry

    def forbidden() -> list[object]:
        raise AssertionError("the operating system's trust list was consulted")

    monkeypatch.setattr(registry, "_system_trust_roots", forbidden)
    report = validate_pdf(signed, use_bundled_roots=False)  # no root at all: still not the OS store
    assert all(s.intact and not s.trusted for s in report.signatures)


def test_lock_state_without_a_token(signed: bytes) -> None:
    state = lock_state_of(signed)
    assert [f.name for f in state.signed] == ["GVCN", "HieuTruong", "ConDau"]
    assert state.certification is not None and state.certification.name == "FILL_FORMS"
    assert state.locked_by("GhiChu") == "ConDau"
    fresh = lock_state_of(student_record())
    assert not fresh.signed and fresh.locked_by("HieuTruong") is None
    seal = fresh.field("ConDau")
    assert seal is not None and seal.lock.locks_everything


def test_certificate_from_an_unknown_ca(
    tmp_path: Path, hsm: Tokens, worker: TokenWorker, trust: list[bytes]
) -> None:
    [path] = write_inputs(tmp_path, [student_record()])
    # That CA's intermediate is not on the token: the spec brings it to be embedded.
    sign_in_place(
        worker, [path], Role.GVCN, hsm.untrusted.spec(extra_certs=(hsm.pki.other_intermediate.der,))
    )
    [sig] = validate_pdf(path.read_bytes(), trust).signatures
    assert sig.intact and not sig.trusted and not sig.ok
    assert validate_pdf(path.read_bytes(), [*trust, hsm.pki.other_root.der]).all_ok


def test_revocation_from_crls(signed: bytes, hsm: Tokens, trust: list[bytes]) -> None:
    teacher_serial = hsm.teacher.cert.certificate.serial_number
    revoked = pki.crl(hsm.pki.intermediate, [teacher_serial])
    clean = [pki.crl(hsm.pki.intermediate), pki.crl(hsm.pki.root)]

    report = validate_pdf(signed, trust, crls=[revoked, clean[1]])
    gvcn = next(s for s in report.signatures if s.field == "GVCN")
    assert gvcn.revocation == "revoked" and not gvcn.ok and "thu hồi" in gvcn.summary
    assert not report.all_ok

    good = validate_pdf(signed, trust, crls=clean)
    assert good.all_ok and all(s.revocation == "good" for s in good.signatures)


def test_unreadable_and_unsigned_files() -> None:
    broken = validate_pdf(b"this is not a PDF")
    assert broken.problem is not None and "Không đọc được tệp PDF" in broken.problem and not broken.all_ok
    unsigned = validate_pdf(student_record())
    assert not unsigned.all_ok and unsigned.summary == "Tài liệu chưa có chữ ký số nào."
    assert unsigned.unsigned_fields == ("GVCN", "HieuTruong", "ConDau")
