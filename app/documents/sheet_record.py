"""The class subject sheet (bảng điểm môn): one class × subject × term or year.

The subject teacher signs it (field `GVBM`); each student's record then refers to it by
id and, once signed, by SHA-256 (record.SheetRef). Columns are data, not code, so one
renderer and one XML shape serve every level and term: a secondary term sheet has the
continuous assessments, mid-term, end-of-term and the semester average; a year sheet the
two semester averages, the year average and the re-assessment; a primary sheet the level
and the periodic test score.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from app.documents.record import SchoolInfo, SheetTerm

__all__ = ["TERM_LABELS", "SheetColumn", "SheetRow", "SubjectSheet"]

TERM_LABELS: dict[str, str] = {"hocky1": "Học kì I", "hocky2": "Học kì II", "canam": "Cả năm"}


@dataclass(frozen=True, slots=True)
class SheetColumn:
    code: str  # XML name of the value: tx1…, gk, ck, tbm, hocky1, hocky2, canam, danhgialai, mucdat, diemktdk
    label: str  # printed header
    group: str | None = None  # columns sharing a group get one spanning header (ĐĐGtx: 1, 2, 3…)

    @property
    def full_label(self) -> str:
        return f"{self.group} {self.label}" if self.group else self.label


@dataclass(frozen=True, slots=True)
class SheetRow:
    number: int  # position in the Vietnamese-ordered class list, from 1
    student_code: str  # mahocsinh
    full_name: str
    values: tuple[str | None, ...]  # one per column; None: no value (e.g. fewer ĐĐGtx)
    comment: str | None
    not_assessed: bool = False  # disabled student assessed by an individual plan


@dataclass(frozen=True, slots=True)
class SubjectSheet:
    sheet_id: str
    version: int
    issued_on: date
    school: SchoolInfo
    year_name: str
    class_name: str
    grade: int
    subject_code: str
    subject_name: str
    kind: str  # diem / nhanxet / mucdat
    term: SheetTerm
    teacher: str
    columns: tuple[SheetColumn, ...]
    rows: tuple[SheetRow, ...]

    @property
    def title(self) -> str:
        return f"Bảng điểm môn {self.subject_name} — lớp {self.class_name} — {TERM_LABELS[self.term]}"
