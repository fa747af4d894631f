"""The canonical record of one student's school year, as frozen dataclasses.

Everything the year page shows (domain.md §4) is here and nothing else: the XML
(xml_record.py) and the PDF (render_*.py) are both produced from one of these, so the
two formats say the same thing by construction. Values are kept in the form the national
schema uses (results coded T/K/Đ/CĐ, T/H/C; scores as text with one decimal "8.5"; dates),
so the XML serialiser does not have to interpret anything.

Identity of a record: `RecordMeta.record_id` (a UUID) names one *version* of the record of
one student × school year; a correction is a new version with a new id that names the id
it supersedes and the reason (domain.md §1: nothing is edited in place).

References to the class subject sheets (`SheetRef`) carry the sheet's id from the start;
their SHA-256 is only known once the subject teacher has signed the sheet, so it is
optional and filled in at signing time with `with_sheet_hashes` (rendering the record
again then gives the PDF that is signed).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Final, Literal

__all__ = [
    "LEVEL_PRIMARY",
    "LEVEL_TITLES",
    "RECORD_NAMESPACE",
    "Absences",
    "HistoryEntry",
    "PrimarySubjectLine",
    "PrimaryYear",
    "RecordMeta",
    "SchoolInfo",
    "SecondarySubjectLine",
    "SecondaryYear",
    "SheetRef",
    "SheetTerm",
    "StudentInfo",
    "TraitLine",
    "TranscriptRecord",
    "record_uuid",
    "sheet_uuid",
    "with_sheet_hashes",
]

#: Namespace of the deterministic UUIDs (uuid5) of records and sheets: the same student,
#: year and version always get the same id, so rendering twice gives the same bytes.
RECORD_NAMESPACE: Final = uuid.UUID("6f1c2a52-3d0e-5b8e-9a44-0c2b1d7e4f10")

LEVEL_PRIMARY: Final = "02"
#: Title of the book per national level code (the cover says "HỌC BẠ" + this).
LEVEL_TITLES: Final[Mapping[str, str]] = {
    "02": "TIỂU HỌC",
    "03": "TRUNG HỌC CƠ SỞ",
    "04": "TRUNG HỌC PHỔ THÔNG",
    "05": "GIÁO DỤC THƯỜNG XUYÊN",
}

SheetTerm = Literal["hocky1", "hocky2", "canam"]
Promotion = Literal["len_lop", "ren_luyen_he", "kiem_tra_lai", "o_lai"]
PrimaryOutcome = Literal["HTXS", "HTT", "HT", "CHT"]


def record_uuid(school_code: str, hocba_code: str, year_name: str, version: int) -> str:
    return str(uuid.uuid5(RECORD_NAMESPACE, f"hocba/{school_code}/{hocba_code}/{year_name}/{version}"))


def sheet_uuid(
    school_code: str, year_name: str, class_name: str, subject_code: str, term: str, version: int = 1
) -> str:
    return str(
        uuid.uuid5(
            RECORD_NAMESPACE,
            f"bangdiem/{school_code}/{year_name}/{class_name}/{subject_code}/{term}/{version}",
        )
    )


@dataclass(frozen=True, slots=True)
class RecordMeta:
    """Which version of which record this is, and the date printed beside the signatures."""

    record_id: str
    version: int
    issued_on: date  # "…, ngày … tháng … năm …" of the signature blocks
    supersedes: str | None = None
    supersede_reason: str | None = None


@dataclass(frozen=True, slots=True)
class SchoolInfo:
    school_code: str  # matruong
    department_code: str  # masogd
    name: str
    province: str
    address: str | None
    issuing_place: str  # diadanhphathanh
    level_code: str  # 02 tiểu học, 03 THCS, 04 THPT, 05 GDTX
    principal_name: str
    leader_title: str = "Hiệu trưởng"  # chucvugiamhieu: who signs for the school
    is_demo: bool = False


@dataclass(frozen=True, slots=True)
class StudentInfo:
    """Front page (domain.md §4.1)."""

    hocba_code: str  # madinhdanhhocba
    student_code: str  # mahocsinh
    national_id: str | None  # None: provisional record (no số định danh yet)
    full_name: str
    sex: int  # gioitinh, QCVN 109:2017: 0 unknown, 1 male, 2 female
    date_of_birth: date
    place_of_birth: str | None
    home_town: str | None
    ethnicity: str
    nationality: str
    address: str | None
    policy_status: str | None
    father_name: str | None
    mother_name: str | None
    guardian_name: str | None
    disabled_not_assessed: bool = False  # cokhuyettatkhongdanhgia


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One line of "quá trình học tập"."""

    year_name: str
    class_name: str
    school_name: str
    registration_number: str | None  # số đăng bộ


@dataclass(frozen=True, slots=True)
class SheetRef:
    """A class subject sheet this record's values come from (sha256 once it is signed)."""

    sheet_id: str
    subject_code: str
    term: SheetTerm
    sha256: str | None = None


@dataclass(frozen=True, slots=True)
class Absences:
    """Sessions absent per semester; the promotion rule counts the year's total."""

    hk1_excused: int = 0
    hk1_unexcused: int = 0
    hk2_excused: int = 0
    hk2_unexcused: int = 0

    @property
    def excused(self) -> int:
        return self.hk1_excused + self.hk2_excused

    @property
    def unexcused(self) -> int:
        return self.hk1_unexcused + self.hk2_unexcused

    @property
    def total(self) -> int:
        return self.excused + self.unexcused


@dataclass(frozen=True, slots=True)
class SecondarySubjectLine:
    """One subject row of the Thông tư 22 year page.

    Values are "8.5" for a scored subject and "Đ"/"CĐ" for a comment-only one; None only
    for a disabled student not assessed (or an empty re-assessment).
    """

    code: str
    name: str
    kind: Literal["diem", "nhanxet"]
    hk1: str | None
    hk2: str | None
    year: str | None
    reassessment: str | None
    teacher: str | None  # the subject teacher who confirms the results (signs the sheet)
    corrections: int = 0  # "có sửa chữa ở … chỗ"


@dataclass(frozen=True, slots=True)
class SecondaryYear:
    """The computed part of a Thông tư 22 year page (levels coded T/K/Đ/CĐ)."""

    subjects: tuple[SecondarySubjectLine, ...]
    learning_hk1: str | None
    learning_hk2: str | None
    learning_year: str | None
    learning_after_reassessment: str | None
    conduct_hk1: str | None
    conduct_hk2: str | None
    conduct_year: str | None
    conduct_after_summer: str | None
    promotion: Promotion | None  # None: not assessed (disabled student)
    reassessment_subjects: tuple[str, ...]  # subject codes
    title: Literal["xuat_sac", "gioi"] | None

    @property
    def promoted(self) -> bool | None:
        """duoclenlop: True/False once decided, None while a summer step is pending."""
        if self.promotion == "len_lop":
            return True
        if self.promotion == "o_lai":
            return False
        return None


@dataclass(frozen=True, slots=True)
class PrimarySubjectLine:
    """One subject or educational activity of the Thông tư 27 year page."""

    code: str
    name: str
    level: Literal["T", "H", "C"] | None
    test_score: int | None  # end-of-year periodic test, integer 0–10
    comment: str | None
    teacher: str | None


@dataclass(frozen=True, slots=True)
class TraitLine:
    """A quality (phẩm chất) or competency (năng lực chung / đặc thù) with level and comment."""

    group: Literal["phamchat", "nanglucchung", "nanglucdacthu"]
    code: str
    name: str
    level: Literal["T", "Đ", "C"] | None
    comment: str | None


@dataclass(frozen=True, slots=True)
class PrimaryYear:
    subjects: tuple[PrimarySubjectLine, ...]
    traits: tuple[TraitLine, ...]
    result: PrimaryOutcome | None  # None: not assessed (disabled student)
    completed: bool | None  # dahthanhctrinhlophoc
    completion_text: str | None  # "Hoàn thành chương trình lớp học" / "… tiểu học"
    title: Literal["xuat_sac"] | None


@dataclass(frozen=True, slots=True)
class TranscriptRecord:
    """One student × school year: the canonical học bạ record."""

    meta: RecordMeta
    school: SchoolInfo
    student: StudentInfo
    history: tuple[HistoryEntry, ...]  # earlier years first, this year last
    year_name: str  # "2026-2027"
    class_name: str
    grade: int
    homeroom_teacher: str
    results: SecondaryYear | PrimaryYear
    absences: Absences
    awards: tuple[str, ...]  # khen thưởng other than the computed title
    certificates: tuple[str, ...]  # chứng chỉ
    homeroom_comment: str | None
    sheets: tuple[SheetRef, ...]

    @property
    def is_primary(self) -> bool:
        return isinstance(self.results, PrimaryYear)


def with_sheet_hashes(record: TranscriptRecord, hashes: Mapping[str, str]) -> TranscriptRecord:
    """The record with the SHA-256 of its signed sheets filled in (sheet id → hex digest).

    Called at signing time, when the subject teachers have signed the sheets; sheets not
    in `hashes` keep what they had.
    """
    refs = tuple(replace(r, sha256=hashes.get(r.sheet_id, r.sha256)) for r in record.sheets)
    return replace(record, sheets=refs)
