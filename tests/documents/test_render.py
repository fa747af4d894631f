"""The PDF/A-3b học bạ: deterministic bytes, the XML inside, fonts, identification, text,
signature fields that pyHanko can sign in the legal order."""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import io
import re
import unicodedata
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from app.documents.record import SecondaryYear, TranscriptRecord
from app.documents.render import render_record
from app.documents.xml_record import record_xml
from app.paths import resource
from tests.documents.pdf_tools import catalog, font_rows, needs_poppler, page_texts, reader, to_png

BASE14 = {"Helvetica", "Times-Roman", "Courier", "Symbol", "ZapfDingbats"}


@pytest.fixture(scope="module")
def rendered(thcs_records: tuple[TranscriptRecord, ...]) -> tuple[TranscriptRecord, bytes]:
    record = next(r for r in thcs_records if not r.student.disabled_not_assessed)
    return record, render_record(record).pdf


def test_same_record_same_bytes(thcs_records: tuple[TranscriptRecord, ...]) -> None:
    record = thcs_records[5]
    first, second = render_record(record), render_record(record)
    assert first.pdf == second.pdf and first.xml == second.xml
    other = dataclasses.replace(record, meta=dataclasses.replace(record.meta, version=2))
    changed = render_record(other).pdf
    assert changed != first.pdf
    assert reader(changed).trailer["/ID"] != reader(first.pdf).trailer["/ID"]


def test_the_xml_inside_the_pdf_is_the_record(rendered: tuple[TranscriptRecord, bytes]) -> None:
    record, pdf = rendered
    root = catalog(pdf)
    files = root["/Names"]["/EmbeddedFiles"]["/Names"]
    assert len(files) == 2
    spec = files[1].get_object()
    assert spec["/AFRelationship"] == "/Data"
    assert spec["/UF"].endswith(".xml") and spec["/F"] == spec["/UF"]
    assert [a.get_object() for a in root["/AF"]] == [spec]
    stream = spec["/EF"]["/F"].get_object()
    assert stream["/Subtype"] == "/application#2Fxml"
    assert "/ModDate" in stream["/Params"]
    assert stream.get_data() == record_xml(record)
    assert reader(pdf).attachments[spec["/UF"]] == [record_xml(record)]


def test_pdfa_identification_output_intent_and_metadata(rendered: tuple[TranscriptRecord, bytes]) -> None:
    record, pdf = rendered
    assert pdf.startswith(b"%PDF-1.7\n%")
    r = reader(pdf)
    root = catalog(pdf)
    xmp = root["/Metadata"].get_object()
    assert xmp["/Subtype"] == "/XML" and "/Filter" not in xmp
    packet = xmp.get_data().decode("utf-8")
    assert "<pdfaid:part>3</pdfaid:part>" in packet and "<pdfaid:conformance>B</pdfaid:conformance>" in packet
    info = r.trailer["/Info"].get_object()
    # Info and XMP say the same thing (PDF/A requires them to agree).
    assert f"<rdf:li>{record.school.name}</rdf:li>" in packet and info["/Author"] == record.school.name
    assert info["/Title"] in packet and info["/Producer"] in packet
    issued = record.meta.issued_on
    assert info["/CreationDate"] == info["/ModDate"] == f"D:{issued:%Y%m%d}000000+07'00'"
    assert f"<xmp:CreateDate>{issued.isoformat()}T00:00:00+07:00</xmp:CreateDate>" in packet
    intents = root["/OutputIntents"]
    assert len(intents) == 1
    intent = intents[0].get_object()
    assert intent["/S"] == "/GTS_PDFA1"
    profile = intent["/DestOutputProfile"].get_object()
    assert profile["/N"] == 3
    assert profile.get_data() == resource("icc", "sRGB-v4.icc").read_bytes()
    assert "/Encrypt" not in r.trailer
    # No JavaScript, no actions anywhere in the file.
    assert not re.search(rb"/JavaScript|/JS\b|/OpenAction|/AA\b|/Launch", pdf)


@needs_poppler
def test_every_font_is_embedded(rendered: tuple[TranscriptRecord, bytes], tmp_path: Path) -> None:
    _, pdf = rendered
    rows = font_rows(pdf, tmp_path)
    assert rows, "no fonts listed"
    for row in rows:
        name, emb = row[0], row[-5]
        assert emb == "yes", f"font {name} is not embedded"
        assert name.split("+")[-1] not in BASE14
    # And from the inside: every font dictionary points at an embedded TrueType program.
    for page in reader(pdf).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            assert "/FontFile2" in font["/FontDescriptor"], font["/BaseFont"]


@needs_poppler
def test_text_layer_has_the_names_with_diacritics(
    rendered: tuple[TranscriptRecord, bytes], tmp_path: Path, artifacts_dir: Path
) -> None:
    record, pdf = rendered
    pages = page_texts(pdf, tmp_path)
    text = unicodedata.normalize("NFC", "\n".join(pages))
    assert record.student.full_name.upper() in text  # front page
    assert record.student.full_name in text  # year page
    assert record.homeroom_teacher in text and record.school.principal_name in text
    assert "KẾT QUẢ HỌC TẬP CÁC MÔN HỌC, HOẠT ĐỘNG GIÁO DỤC" in text
    assert "Trong bảng này có sửa chữa ở: 0 chỗ" in text
    assert f"{record.school.issuing_place}, ngày 31 tháng 5 năm" in text
    for n, page in enumerate(pages, start=1):
        assert f"Trang {n}/{len(pages)}" in page
        assert record.meta.record_id in page
    to_png(pdf, artifacts_dir / "documents", "hocba-thcs")


def _signer(tmp: Path) -> object:
    from pyhanko.sign import signers

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Giáo viên thử (test)")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=7))
        .add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True
        )
        .sign(key, hashes.SHA256())
    )
    (tmp / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    (tmp / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return signers.SimpleSigner.load(str(tmp / "key.pem"), str(tmp / "cert.pem"))


def test_signature_fields_exist_empty_and_sign_in_order(
    rendered: tuple[TranscriptRecord, bytes], tmp_path: Path
) -> None:
    """The fields are there before any signature, and signing them in the legal order (GVCN
    certifies with "form filling and signing", then principal, then the seal) changes
    nothing a signature forbids: every signature stays intact, with the XML still inside."""
    from pyhanko.keys import load_cert_from_pemder
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign import fields, signers
    from pyhanko.sign.signers.pdf_signer import PdfSignatureMetadata
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    record, pdf = rendered
    r = reader(pdf)
    acro = catalog(pdf)["/AcroForm"]
    found = {f.get_object()["/T"]: f.get_object() for f in acro["/Fields"]}
    assert set(found) == {"GVCN", "HieuTruong", "ConDau"}
    last_page = r.pages[-1]
    for field in found.values():
        assert field["/FT"] == "/Sig" and "/V" not in field
        assert field["/F"] & 4, "printable"
        assert field.raw_get("/P").idnum == last_page.indirect_reference.idnum
        assert field.indirect_reference.idnum in [a.idnum for a in last_page.raw_get("/Annots")]
        assert "/N" in field["/AP"]
    assert found["ConDau"]["/Lock"]["/Action"] == "/All"

    signer = _signer(tmp_path)
    data = pdf
    for name, certify in (("GVCN", True), ("HieuTruong", False), ("ConDau", False)):
        meta = PdfSignatureMetadata(
            field_name=name,
            certify=certify,
            docmdp_permissions=fields.MDPPerm.FILL_FORMS if certify else None,
        )
        data = signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(data)), meta, signer=signer).getvalue()
    signed = PdfFileReader(io.BytesIO(data))
    context = ValidationContext(trust_roots=[load_cert_from_pemder(str(tmp_path / "cert.pem"))])
    assert [s.field_name for s in signed.embedded_signatures] == ["GVCN", "HieuTruong", "ConDau"]
    for sig in signed.embedded_signatures:
        status = validate_pdf_signature(sig, context)
        assert status.intact and status.valid and status.docmdp_ok, sig.field_name
    assert data.startswith(pdf)  # incremental: the packaged file is untouched
    assert reader(data).attachments[next(iter(reader(data).attachments))] == [record_xml(record)]
    assert hashlib.sha256(data).hexdigest() != hashlib.sha256(pdf).hexdigest()


@needs_poppler
def test_primary_record_pages(
    tieuhoc_records: tuple[TranscriptRecord, ...], tmp_path: Path, artifacts_dir: Path
) -> None:
    record = next(r for r in tieuhoc_records if not r.student.disabled_not_assessed)
    pdf = render_record(record).pdf
    text = unicodedata.normalize("NFC", "\n".join(page_texts(pdf, tmp_path)))
    assert "HỌC BẠ" in text and "TIỂU HỌC" in text
    assert record.student.full_name in text
    for heading in (
        "1. Các môn học và hoạt động giáo dục",
        "2. Những phẩm chất chủ yếu",
        "3. Những năng lực cốt lõi",
        "4. Đánh giá kết quả giáo dục",
        "6. Hoàn thành chương trình lớp học/chương trình tiểu học",
    ):
        assert heading in text
    for trait in ("Yêu nước", "Giải quyết vấn đề và sáng tạo", "Thẩm mĩ"):
        assert trait in text
    to_png(pdf, artifacts_dir / "documents", "hocba-tieuhoc")


@needs_poppler
def test_disabled_student_page_says_not_assessed(
    thcs_records: tuple[TranscriptRecord, ...], tmp_path: Path
) -> None:
    record = next(r for r in thcs_records if r.student.disabled_not_assessed)
    assert isinstance(record.results, SecondaryYear) and record.results.promotion is None
    text = unicodedata.normalize("NFC", "\n".join(page_texts(render_record(record).pdf, tmp_path)))
    assert "kế hoạch giáo dục cá nhân" in text
    assert "Không đánh giá (khuyết tật)" in text
