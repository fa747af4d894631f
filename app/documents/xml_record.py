"""Canonical XML of a record and of a class subject sheet, validated against the shipped XSD.

Element names follow the national data catalogue (domain.md §4.4: madinhdanhhocba,
mahocsinh, matruong, masogd, hocky1, hocky2, canam, duoclenlop, dahthanhctrinhlophoc,
cokhuyettatkhongdanhgia, chucvugiamhieu, diadanhphathanh, hotencha, hotenme,
hotennguoigiamho, gioitinh, quatrinhhoctap, bangdiem, chungchi…); the rest are named in
the same style, so an adapter to the real schema is a mapping.

Canonical form: the tree is built in a fixed order from the record, every text is NFC,
line ends are "\\n", and the result is serialised as Canonical XML 2.0 (W3C C14N 2.0, with
lxml), UTF-8, without an XML declaration. The same record
therefore always gives the same bytes, and anyone can check a copy by parsing and
canonicalising it again.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import date
from functools import lru_cache

from lxml import etree

from app.documents.record import (
    PrimaryYear,
    SchoolInfo,
    SecondaryYear,
    TranscriptRecord,
)
from app.documents.sheet_record import SubjectSheet
from app.paths import resource

__all__ = ["NAMESPACE", "RecordXmlError", "record_xml", "sheet_xml", "validate_xml"]

NAMESPACE = "urn:hocbaso:hocba:1"
SCHEMA_FILE = ("xsd", "hocba-1.xsd")

# XML 1.0 forbids most C0 controls; text pasted from other programs sometimes has them.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class RecordXmlError(ValueError):
    """The XML does not satisfy the schema (a bug or a record built without its checks)."""


def _text(value: str) -> str:
    value = unicodedata.normalize("NFC", value).replace("\r\n", "\n").replace("\r", "\n")
    return _FORBIDDEN.sub("", value)


class _Builder:
    """Appends namespaced children in the order the schema fixes."""

    def __init__(self, root: str) -> None:
        self.root = etree.Element(f"{{{NAMESPACE}}}{root}", nsmap={None: NAMESPACE})

    @staticmethod
    def add(parent: etree._Element, name: str, value: object = None, **attrs: str) -> etree._Element:
        el = etree.SubElement(parent, f"{{{NAMESPACE}}}{name}", attrs)
        if value is not None:
            if isinstance(value, bool):
                el.text = "true" if value else "false"
            elif isinstance(value, date):
                el.text = value.isoformat()
            else:
                el.text = _text(str(value))
        return el

    def opt(self, parent: etree._Element, name: str, value: object) -> None:
        """An optional element: absent when there is no value (never empty)."""
        if value is not None and value != "":
            self.add(parent, name, value)

    def canonical(self) -> bytes:
        """C14N 2.0 bytes, after checking the tree against the XSD (no second parse)."""
        etree.indent(self.root, space="  ")
        _check(self.root)
        return bytes(etree.tostring(self.root, method="c14n2")) + b"\n"


def _school(b: _Builder, parent: etree._Element, school: SchoolInfo) -> None:
    el = b.add(parent, "truong")
    b.add(el, "matruong", school.school_code)
    b.add(el, "masogd", school.department_code)
    b.add(el, "tentruong", school.name)
    b.add(el, "tinhthanh", school.province)
    b.opt(el, "diachi", school.address)
    b.add(el, "caphoc", school.level_code)
    b.add(el, "diadanhphathanh", school.issuing_place)
    b.add(el, "hieutruong", school.principal_name)
    b.add(el, "chucvugiamhieu", school.leader_title)


def record_xml(record: TranscriptRecord) -> bytes:
    """The canonical XML bytes of `record` (validated against the XSD)."""
    b = _Builder("hocba")
    root = b.root
    meta = record.meta
    hoso = b.add(root, "hoso")
    b.add(hoso, "mahoso", meta.record_id)
    b.add(hoso, "phienban", meta.version)
    b.opt(hoso, "thaythehoso", meta.supersedes)
    b.opt(hoso, "lydothaythe", meta.supersede_reason)
    b.add(hoso, "ngaylap", meta.issued_on)
    b.add(hoso, "dulieumau", record.school.is_demo)

    s = record.student
    b.add(root, "madinhdanhhocba", s.hocba_code)
    _school(b, root, record.school)
    hs = b.add(root, "hocsinh")
    b.add(hs, "mahocsinh", s.student_code)
    b.opt(hs, "sodinhdanhcanhan", s.national_id)
    b.add(hs, "hoten", s.full_name)
    b.add(hs, "gioitinh", s.sex)
    b.add(hs, "ngaysinh", s.date_of_birth)
    b.opt(hs, "noisinh", s.place_of_birth)
    b.opt(hs, "quequan", s.home_town)
    b.add(hs, "dantoc", s.ethnicity)
    b.add(hs, "quoctich", s.nationality)
    b.opt(hs, "noiohientai", s.address)
    b.opt(hs, "doituongchinhsach", s.policy_status)
    b.opt(hs, "hotencha", s.father_name)
    b.opt(hs, "hotenme", s.mother_name)
    b.opt(hs, "hotennguoigiamho", s.guardian_name)
    b.add(hs, "cokhuyettatkhongdanhgia", s.disabled_not_assessed)

    history = b.add(root, "quatrinhhoctap")
    for h in record.history:
        row = b.add(history, "namhoc")
        b.add(row, "tennamhoc", h.year_name)
        b.add(row, "lop", h.class_name)
        b.add(row, "truong", h.school_name)
        b.opt(row, "sodangbo", h.registration_number)

    b.add(root, "namhoc", record.year_name)
    b.add(root, "lop", record.class_name)
    b.add(root, "khoilop", record.grade)
    b.add(root, "gvcn", record.homeroom_teacher)
    if isinstance(record.results, SecondaryYear):
        _secondary(b, root, record.results)
    else:
        _primary(b, root, record.results)

    absent = b.add(root, "nghihoc")
    a = record.absences
    for name, excused, unexcused in (
        ("hocky1", a.hk1_excused, a.hk1_unexcused),
        ("hocky2", a.hk2_excused, a.hk2_unexcused),
    ):
        term = b.add(absent, name)
        b.add(term, "cophep", excused)
        b.add(term, "khongphep", unexcused)
    b.add(absent, "canam", a.total)

    _texts(b, b.add(root, "khenthuong"), record.awards)
    _texts(b, b.add(root, "chungchi"), record.certificates)
    b.opt(root, "nhanxetgvcn", record.homeroom_comment)
    refs = b.add(root, "bangdiemmon")
    for ref in record.sheets:
        el = b.add(refs, "thamchieu")
        b.add(el, "mabangdiem", ref.sheet_id)
        b.add(el, "mamon", ref.subject_code)
        b.add(el, "ky", ref.term)
        b.opt(el, "sha256", ref.sha256)
    return b.canonical()


def _texts(b: _Builder, parent: etree._Element, items: Iterable[str]) -> None:
    for item in items:
        b.add(parent, "noidung", item)


def _secondary(b: _Builder, root: etree._Element, r: SecondaryYear) -> None:
    kq = b.add(root, "ketquatrunghoc")
    table = b.add(kq, "bangdiem")
    for line in r.subjects:
        mon = b.add(table, "mon")
        b.add(mon, "mamon", line.code)
        b.add(mon, "tenmon", line.name)
        b.add(mon, "hinhthuc", line.kind)
        b.opt(mon, "hocky1", line.hk1)
        b.opt(mon, "hocky2", line.hk2)
        b.opt(mon, "canam", line.year)
        b.opt(mon, "danhgialai", line.reassessment)
        b.opt(mon, "giaovien", line.teacher)
        b.add(mon, "sosuachua", line.corrections)
    learning = b.add(kq, "hoctap")
    b.opt(learning, "hocky1", r.learning_hk1)
    b.opt(learning, "hocky2", r.learning_hk2)
    b.opt(learning, "canam", r.learning_year)
    b.opt(learning, "saukiemtralai", r.learning_after_reassessment)
    conduct = b.add(kq, "renluyen")
    b.opt(conduct, "hocky1", r.conduct_hk1)
    b.opt(conduct, "hocky2", r.conduct_hk2)
    b.opt(conduct, "canam", r.conduct_year)
    b.opt(conduct, "saurenluyenhe", r.conduct_after_summer)
    b.opt(kq, "xetlenlop", r.promotion)
    b.opt(kq, "duoclenlop", r.promoted)
    if r.reassessment_subjects:
        listing = b.add(kq, "monkiemtralai")
        for code in r.reassessment_subjects:
            b.add(listing, "mamon", code)
    b.opt(kq, "danhhieu", r.title)


def _primary(b: _Builder, root: etree._Element, r: PrimaryYear) -> None:
    kq = b.add(root, "ketquatieuhoc")
    table = b.add(kq, "bangdiem")
    for line in r.subjects:
        mon = b.add(table, "mon")
        b.add(mon, "mamon", line.code)
        b.add(mon, "tenmon", line.name)
        b.opt(mon, "mucdat", line.level)
        b.opt(mon, "diemktdk", line.test_score)
        b.opt(mon, "nhanxet", line.comment)
        b.opt(mon, "giaovien", line.teacher)
    for group in ("phamchat", "nanglucchung", "nanglucdacthu"):
        el = b.add(kq, group)
        for t in r.traits:
            if t.group == group:
                item = b.add(el, "muc")
                b.add(item, "ma", t.code)
                b.add(item, "ten", t.name)
                b.opt(item, "mucdat", t.level)
                b.opt(item, "nhanxet", t.comment)
    b.opt(kq, "danhgiaketqua", r.result)
    b.opt(kq, "dahthanhctrinhlophoc", r.completed)
    b.opt(kq, "hoanthanhchuongtrinh", r.completion_text)
    b.opt(kq, "danhhieu", r.title)


def sheet_xml(sheet: SubjectSheet) -> bytes:
    """The canonical XML bytes of a class subject sheet (validated against the XSD)."""
    b = _Builder("bangdiemmon")
    root = b.root
    hoso = b.add(root, "hoso")
    b.add(hoso, "mahoso", sheet.sheet_id)
    b.add(hoso, "phienban", sheet.version)
    b.add(hoso, "ngaylap", sheet.issued_on)
    b.add(hoso, "dulieumau", sheet.school.is_demo)
    _school(b, root, sheet.school)
    b.add(root, "namhoc", sheet.year_name)
    b.add(root, "lop", sheet.class_name)
    b.add(root, "khoilop", sheet.grade)
    b.add(root, "mamon", sheet.subject_code)
    b.add(root, "tenmon", sheet.subject_name)
    b.add(root, "hinhthuc", sheet.kind)
    b.add(root, "ky", sheet.term)
    b.add(root, "giaovien", sheet.teacher)
    columns = b.add(root, "cot")
    for col in sheet.columns:
        b.add(columns, "ten", col.full_label, ma=col.code)
    for row in sheet.rows:
        hs = b.add(root, "hocsinh")
        b.add(hs, "stt", row.number)
        b.add(hs, "mahocsinh", row.student_code)
        b.add(hs, "hoten", row.full_name)
        b.add(hs, "khongdanhgia", row.not_assessed)
        for col, value in zip(sheet.columns, row.values, strict=True):
            if value is not None:
                b.add(hs, "diem", value, cot=col.code)
        b.opt(hs, "nhanxet", row.comment)
    return b.canonical()


@lru_cache(maxsize=1)
def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(resource(*SCHEMA_FILE))))


def _check(root: etree._Element) -> None:
    schema = _schema()
    if not schema.validate(root):
        error = schema.error_log.last_error
        raise RecordXmlError(f"XML không đúng lược đồ (dòng {error.line}): {error.message}")


def validate_xml(data: bytes) -> None:
    """Raise RecordXmlError naming the first problem when `data` does not satisfy the XSD."""
    try:
        root = etree.fromstring(data)
    except etree.XMLSyntaxError as exc:
        raise RecordXmlError(f"XML không đọc được: {exc}") from exc
    _check(root)
