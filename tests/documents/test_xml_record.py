"""The canonical XML record: schema-valid, canonical bytes, national field names."""

from __future__ import annotations

import dataclasses
import unicodedata

import pytest
from lxml import etree

from app.documents.record import SecondaryYear, TranscriptRecord, with_sheet_hashes
from app.documents.xml_record import NAMESPACE, RecordXmlError, record_xml, validate_xml

NS = {"h": NAMESPACE}


def _root(data: bytes) -> etree._Element:
    return etree.fromstring(data)


def test_every_demo_record_validates_against_the_xsd(
    thcs_records: tuple[TranscriptRecord, ...], tieuhoc_records: tuple[TranscriptRecord, ...]
) -> None:
    assert len(thcs_records) == 24 and len(tieuhoc_records) == 24
    for record in (*thcs_records, *tieuhoc_records):
        validate_xml(record_xml(record))  # raises on the first problem


def test_the_schema_rejects_what_it_must(thcs_records: tuple[TranscriptRecord, ...]) -> None:
    record = thcs_records[0]
    assert isinstance(record.results, SecondaryYear)
    line = dataclasses.replace(record.results.subjects[0], hk1="11.0")  # above 10
    bad = dataclasses.replace(record, results=dataclasses.replace(record.results, subjects=(line,)))
    with pytest.raises(RecordXmlError, match="hocky1"):
        record_xml(bad)
    with pytest.raises(RecordXmlError):
        validate_xml(record_xml(record).replace(b"<gioitinh>", b"<gioitinh>7"))


def test_same_record_same_bytes_and_canonical_form(thcs_records: tuple[TranscriptRecord, ...]) -> None:
    record = thcs_records[3]
    data = record_xml(record)
    assert record_xml(record) == data
    # Canonical XML 2.0: parsing and canonicalising again gives the very same bytes.
    assert etree.tostring(etree.fromstring(data), method="c14n2") + b"\n" == data
    assert not data.startswith(b"<?xml")


def test_text_is_nfc_whatever_the_input(thcs_records: tuple[TranscriptRecord, ...]) -> None:
    record = thcs_records[0]
    decomposed = unicodedata.normalize("NFD", "Nguyễn Thị Ánh Tuyết")
    student = dataclasses.replace(record.student, full_name=decomposed)
    data = record_xml(dataclasses.replace(record, student=student))
    name = _root(data).findtext("h:hocsinh/h:hoten", namespaces=NS)
    assert name == unicodedata.normalize("NFC", decomposed) != decomposed


def test_national_schema_field_names(thcs_records: tuple[TranscriptRecord, ...]) -> None:
    record = thcs_records[0]
    root = _root(record_xml(record))
    assert root.findtext("h:madinhdanhhocba", namespaces=NS) == record.student.hocba_code
    assert root.findtext("h:hocsinh/h:mahocsinh", namespaces=NS) == record.student.student_code
    assert root.findtext("h:truong/h:matruong", namespaces=NS) == record.school.school_code
    assert root.findtext("h:truong/h:masogd", namespaces=NS) == record.school.department_code
    assert root.findtext("h:truong/h:diadanhphathanh", namespaces=NS) == record.school.issuing_place
    assert root.findtext("h:hocsinh/h:gioitinh", namespaces=NS) in ("1", "2")
    assert root.findtext("h:hocsinh/h:ngaysinh", namespaces=NS) == record.student.date_of_birth.isoformat()
    results = record.results
    assert isinstance(results, SecondaryYear)
    assert root.findtext("h:ketquatrunghoc/h:renluyen/h:canam", namespaces=NS) == results.conduct_year
    assert root.findtext("h:ketquatrunghoc/h:hoctap/h:hocky1", namespaces=NS) == results.learning_hk1
    first = results.subjects[0]
    assert root.findtext("h:ketquatrunghoc/h:bangdiem/h:mon/h:canam", namespaces=NS) == first.year
    history = root.findall("h:quatrinhhoctap/h:namhoc", namespaces=NS)
    assert history[-1].findtext("h:tennamhoc", namespaces=NS) == record.year_name


def test_promotion_and_primary_completion(
    thcs_records: tuple[TranscriptRecord, ...], tieuhoc_records: tuple[TranscriptRecord, ...]
) -> None:
    promoted = [
        r for r in thcs_records if isinstance(r.results, SecondaryYear) and r.results.promotion == "len_lop"
    ]
    assert promoted
    assert _root(record_xml(promoted[0])).findtext("h:ketquatrunghoc/h:duoclenlop", namespaces=NS) == "true"
    primary = tieuhoc_records[0]
    root = _root(record_xml(primary))
    assert root.findtext("h:ketquatieuhoc/h:dahthanhctrinhlophoc", namespaces=NS) in ("true", "false")
    assert len(root.findall("h:ketquatieuhoc/h:phamchat/h:muc", namespaces=NS)) == 5
    assert len(root.findall("h:ketquatieuhoc/h:nanglucchung/h:muc", namespaces=NS)) == 3
    assert len(root.findall("h:ketquatieuhoc/h:nanglucdacthu/h:muc", namespaces=NS)) == 7


def test_disabled_student_record_is_valid_without_results(thcs_records: tuple[TranscriptRecord, ...]) -> None:
    disabled = [r for r in thcs_records if r.student.disabled_not_assessed]
    assert disabled, "the demo school forces one disabled student from 20 students"
    root = _root(record_xml(disabled[0]))
    assert root.findtext("h:hocsinh/h:cokhuyettatkhongdanhgia", namespaces=NS) == "true"
    assert root.find("h:ketquatrunghoc/h:duoclenlop", namespaces=NS) is None
    assert root.find("h:ketquatrunghoc/h:bangdiem/h:mon/h:hocky1", namespaces=NS) is None


def test_correction_version_and_sheet_hashes(thcs_records: tuple[TranscriptRecord, ...]) -> None:
    record = thcs_records[0]
    v2 = dataclasses.replace(
        record,
        meta=dataclasses.replace(
            record.meta,
            record_id="0e2b6a3c-1111-5222-8333-944455556666",
            version=2,
            supersedes=record.meta.record_id,
            supersede_reason="Sửa điểm Toán học kì II nhập nhầm.",
        ),
    )
    root = _root(record_xml(v2))
    assert root.findtext("h:hoso/h:phienban", namespaces=NS) == "2"
    assert root.findtext("h:hoso/h:thaythehoso", namespaces=NS) == record.meta.record_id
    assert root.findtext("h:hoso/h:lydothaythe", namespaces=NS) == "Sửa điểm Toán học kì II nhập nhầm."

    assert all(ref.sha256 is None for ref in record.sheets)
    assert len(record.sheets) == 3 * len(record.results.subjects)
    digest = "ab" * 32
    signed = with_sheet_hashes(record, {record.sheets[0].sheet_id: digest})
    refs = _root(record_xml(signed)).findall("h:bangdiemmon/h:thamchieu", namespaces=NS)
    assert refs[0].findtext("h:sha256", namespaces=NS) == digest
    assert refs[1].find("h:sha256", namespaces=NS) is None
    with pytest.raises(RecordXmlError):
        record_xml(with_sheet_hashes(record, {record.sheets[0].sheet_id: "not-a-digest"}))
