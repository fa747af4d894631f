"""The legal order through real SoftHSM tokens: GVCN certifies, the principal approves,
the seal locks; then validation with pyHanko against the test root only."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pyhanko.keys import load_certs_from_pemder_data, load_private_key_from_pemder_data
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign.signers import PdfSignatureMetadata, PdfSigner, SimpleSigner
from pyhanko_certvalidator.registry import SimpleCertificateStore

from app.signing import pki
from app.signing.batch import BatchOptions, DocStatus, SignJob
from app.signing.pin import Pin
from app.signing.roles import Role
from app.signing.validation import validate_pdf
from app.signing.worker import TokenWorker
from tests.signing.conftest import PIN, Tokens
from tests.signing.helpers import attachment, sign_in_place, statuses, write_inputs
from tests.signing.pdfs import XML_NAME, record_xml, student_record, subject_sheet

STUDENTS = ["Nguyễn Thị Ánh", "Trần Văn Bảo", "Lê Thị Cúc"]


def _software_signer() -> SimpleSigner:
    """Someone signing with plain pyHanko, outside the app's checks."""
    root = pki.self_signed_root("CA bất kỳ", "Bất kỳ", kind="ec")
    key = pki.new_key("ec")
    issued = pki.issue(pki.person_name("Ai đó", "Bất kỳ"), key.public_key(), issuer=root, usage="signing")
    [cert] = list(load_certs_from_pemder_data(issued.pem))
    return SimpleSigner(
        signing_cert=cert,
        signing_key=load_private_key_from_pemder_data(pki.Issued(issued.certificate, key).key_pem(), None),
        cert_registry=SimpleCertificateStore.from_certs([cert]),
    )


def _signed_class(tmp_path: Path, hsm: Tokens, worker: TokenWorker, **record: object) -> list[Path]:
    paths = write_inputs(tmp_path / "lop6a", [student_record(s, **record) for s in STUDENTS])  # type: ignore[arg-type]
    gvcn = sign_in_place(worker, paths, Role.GVCN, hsm.teacher.spec(expected_cert_sha256=hsm.teacher.sha256))
    assert statuses(gvcn) == [DocStatus.SIGNED] * 3
    ht = sign_in_place(
        worker, paths, Role.HIEU_TRUONG, hsm.principal.spec(), options=BatchOptions(title="Phó Hiệu trưởng")
    )
    assert statuses(ht) == [DocStatus.SIGNED] * 3
    seal = sign_in_place(worker, paths, Role.CON_DAU, hsm.seal.spec())
    assert statuses(seal) == [DocStatus.SIGNED] * 3
    assert seal.always_authenticate, "the seal key demands the PIN before every signature"
    assert len(seal.stamps) == 1, "one stamp rendering for the whole batch"
    assert ht.stamps[0].title == "Phó Hiệu trưởng"
    return paths


def test_full_order_is_intact_trusted_and_locked(
    tmp_path: Path, hsm: Tokens, worker: TokenWorker, trust: list[bytes]
) -> None:
    paths = _signed_class(tmp_path, hsm, worker)
    for path, student in zip(paths, STUDENTS, strict=True):
        data = path.read_bytes()
        report = validate_pdf(data, trust)
        assert report.all_ok, report.to_json()
        by_field = {s.field: s for s in report.signatures}
        assert list(by_field) == ["GVCN", "HieuTruong", "ConDau"]
        assert by_field["GVCN"].certifies and by_field["GVCN"].docmdp == "fill_forms"
        assert by_field["GVCN"].signer_name == "Nguyễn Văn An"
        assert by_field["HieuTruong"].signer_name == "Trần Thị Bình"
        assert by_field["ConDau"].locks_document and by_field["ConDau"].docmdp == "no_changes"
        assert by_field["ConDau"].coverage == "entire_file"
        # Earlier signatures saw only allowed additions (the later signatures).
        assert by_field["GVCN"].modification_level == "form_filling"
        assert all(s.intact and s.trusted and s.changes_acceptable for s in report.signatures)
        assert "khoá" in by_field["ConDau"].summary
        # The XML attached before the first signature is still there, byte for byte.
        assert attachment(data, XML_NAME) == record_xml(student)


@pytest.mark.parametrize("seal_lock", ["all+p1", "all"])
def test_signature_after_the_seal_is_refused(
    tmp_path: Path, hsm: Tokens, worker: TokenWorker, trust: list[bytes], seal_lock: str
) -> None:
    # Both shapes of the seal field's lock: all fields with /P 1, and all fields only.
    paths = _signed_class(tmp_path, hsm, worker, extra_fields=("GhiChu",), seal_lock=seal_lock)
    assert validate_pdf(paths[0].read_bytes(), trust).all_ok
    locked = paths[0].read_bytes()
    job = SignJob(paths[0], tmp_path / "after-lock.pdf", Role.HIEU_TRUONG, field_name="GhiChu")
    result = worker.sign_batch([job], hsm.principal.spec(), Pin(PIN)).result()
    assert statuses(result) == [DocStatus.REFUSED]
    assert "ConDau" in (result.documents[0].message or "") and "khoá" in (result.documents[0].message or "")
    assert not job.output.exists()
    assert paths[0].read_bytes() == locked

    # Why the check exists: pyHanko alone signs the locked document, breaking the seal.
    out = io.BytesIO()
    PdfSigner(PdfSignatureMetadata(field_name="GhiChu"), _software_signer()).sign_pdf(
        IncrementalPdfFileWriter(io.BytesIO(locked)), existing_fields_only=True, output=out
    )
    broken = validate_pdf(out.getvalue(), trust)
    seal = next(s for s in broken.signatures if s.field == "ConDau")
    assert not seal.changes_acceptable and not broken.all_ok
    assert seal.summary.startswith("Tài liệu đã bị sửa sau khi ký")


def test_homeroom_signature_must_come_first(tmp_path: Path, hsm: Tokens, worker: TokenWorker) -> None:
    [path] = write_inputs(tmp_path, [student_record()])
    assert statuses(sign_in_place(worker, [path], Role.HIEU_TRUONG, hsm.principal.spec())) == [
        DocStatus.SIGNED
    ]
    result = sign_in_place(worker, [path], Role.GVCN, hsm.teacher.spec())
    assert statuses(result) == [DocStatus.REFUSED]
    assert "phải là chữ ký đầu tiên" in (result.documents[0].message or "")


def test_seal_field_without_its_lock_is_refused(tmp_path: Path, hsm: Tokens, worker: TokenWorker) -> None:
    [path] = write_inputs(tmp_path, [student_record(seal_lock=None)])
    before = path.read_bytes()
    result = sign_in_place(worker, [path], Role.CON_DAU, hsm.seal.spec())
    assert statuses(result) == [DocStatus.REFUSED]
    assert "khoá" in (result.documents[0].message or "")
    assert path.read_bytes() == before


def test_missing_field_and_unreadable_file_are_refused_and_the_batch_goes_on(
    tmp_path: Path, hsm: Tokens, worker: TokenWorker
) -> None:
    paths = write_inputs(tmp_path, [subject_sheet(), b"%PDF-1.7 this is not a pdf", student_record()])
    result = sign_in_place(worker, paths, Role.GVCN, hsm.teacher.spec())
    assert statuses(result) == [DocStatus.REFUSED, DocStatus.REFUSED, DocStatus.SIGNED]
    assert "GVCN" in (result.documents[0].message or "")
    assert "Không đọc được tệp PDF" in (result.documents[1].message or "")


def test_rerunning_a_batch_signs_only_what_is_left(tmp_path: Path, hsm: Tokens, worker: TokenWorker) -> None:
    paths = write_inputs(tmp_path, [student_record(s) for s in STUDENTS])
    first = sign_in_place(worker, paths[:1], Role.GVCN, hsm.teacher.spec())
    assert statuses(first) == [DocStatus.SIGNED]
    signed_once = paths[0].read_bytes()
    again = sign_in_place(worker, paths, Role.GVCN, hsm.teacher.spec())
    assert statuses(again) == [DocStatus.ALREADY_SIGNED, DocStatus.SIGNED, DocStatus.SIGNED]
    assert again.complete
    assert paths[0].read_bytes() == signed_once


def test_cancel_leaves_the_rest_untouched(tmp_path: Path, hsm: Tokens, worker: TokenWorker) -> None:
    import threading

    paths = write_inputs(tmp_path, [student_record(s) for s in STUDENTS])
    originals = [p.read_bytes() for p in paths]
    cancel = threading.Event()
    result = worker.sign_batch(
        [SignJob(p, p, Role.GVCN) for p in paths],
        hsm.teacher.spec(),
        Pin(PIN),
        cancel=cancel,
        on_progress=lambda r: cancel.set(),
    ).result()
    assert statuses(result) == [DocStatus.SIGNED, DocStatus.NOT_STARTED, DocStatus.NOT_STARTED]
    assert result.cancelled and result.stopped_by is None and not result.complete
    assert [p.read_bytes() for p in paths[1:]] == originals[1:]


def test_subject_sheet_is_certified_final(
    tmp_path: Path, hsm: Tokens, worker: TokenWorker, trust: list[bytes]
) -> None:
    [path] = write_inputs(tmp_path, [subject_sheet()])
    assert statuses(sign_in_place(worker, [path], Role.GVBM, hsm.other_teacher.spec())) == [DocStatus.SIGNED]
    report = validate_pdf(path.read_bytes(), trust)
    assert report.all_ok, report.to_json()
    [sig] = report.signatures
    assert sig.field == "GVBM" and sig.certifies and sig.locks_document and sig.docmdp == "no_changes"
