"""The subject catalogue of the 2018 general education programme, per school level and grade.

Pure data (Thông tư 32/2018/TT-BGDĐT, the programme's "kế hoạch giáo dục" tables) plus a
few lookups. A school copies these entries into its `subject` rows for each school year;
after that the school's own rows are the truth (a school may rename a subject or shift
lessons between Âm nhạc and Mĩ thuật), so nothing reads this module at evaluation time.

Lessons per year are the programme's figures for a 35-week year. Where the programme gives
one figure for two subjects taught as one (Nghệ thuật: Âm nhạc + Mĩ thuật; Tin học và Công
nghệ at primary), the figure is split evenly, because Thông tư 22 and 27 assess the two
parts separately.

Assessment kinds:
- "score": scores 0–10 with comments (Thông tư 22/2021, secondary);
- "comment": Đạt / Chưa đạt only (Thông tư 22, Điều 5: Giáo dục thể chất, Nghệ thuật,
  Âm nhạc, Mĩ thuật, Nội dung giáo dục của địa phương, Hoạt động trải nghiệm, hướng nghiệp);
- "level": Hoàn thành tốt / Hoàn thành / Chưa hoàn thành (Thông tư 27/2020, primary), with
  `periodic_test` for the subjects that also have integer-scored periodic tests.

Sort order follows the Ministry's record templates as best known: core subjects first,
then the rest of the compulsory subjects, then activities **(verify against the current
template before printing)**. Codes are stable identifiers: other data refers to them.

Not included: optional subjects (Tiếng dân tộc thiểu số, Ngoại ngữ 2, Ngoại ngữ 1 in
grades 1–2) and the THPT "chuyên đề học tập", which schools add themselves.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Literal

__all__ = [
    "DEFAULT_THPT_ELECTIVES",
    "LEVELS",
    "LEVEL_CODES",
    "LEVEL_NAMES",
    "THPT_ELECTIVES",
    "AssessmentKind",
    "CurriculumSubject",
    "grades_for",
    "level_of_grade",
    "subjects_for",
]

AssessmentKind = Literal["score", "comment", "level"]

#: Level keys used across the app, in school order.
LEVELS: Final = ("tieuhoc", "thcs", "thpt")

#: National catalogue codes of the school levels (domain.md §4.4).
LEVEL_CODES: Final[Mapping[str, str]] = MappingProxyType(
    {"tieuhoc": "02", "thcs": "03", "thpt": "04"}
)

LEVEL_NAMES: Final[Mapping[str, str]] = MappingProxyType(
    {"tieuhoc": "Tiểu học", "thcs": "Trung học cơ sở", "thpt": "Trung học phổ thông"}
)

_GRADES: Final[Mapping[str, range]] = MappingProxyType(
    {"tieuhoc": range(1, 6), "thcs": range(6, 10), "thpt": range(10, 13)}
)


@dataclass(frozen=True, slots=True)
class CurriculumSubject:
    code: str
    name: str
    lessons_per_year: int
    assessment: AssessmentKind
    # TT27 only: the subject has periodic tests scored 0–10 (integers).
    periodic_test: bool
    sort_order: int


@dataclass(frozen=True, slots=True)
class _Entry:
    """A catalogue line: lessons per grade (absent grade = not taught in that grade)."""

    code: str
    name: str
    lessons: Mapping[int, int]
    assessment: AssessmentKind
    periodic_test: bool = False


def _same(grades: Iterable[int], lessons: int) -> Mapping[int, int]:
    return MappingProxyType(dict.fromkeys(grades, lessons))


# --------------------------------------------------------------------------- tiểu học

# TT27, Điều 7: periodic tests in Tiếng Việt and Toán at every grade, Ngoại ngữ 1 and Tin
# học và Công nghệ from grade 3, Lịch sử và Địa lí and Khoa học from grade 4 — exactly the
# grades in which those subjects are taught, so the flag is per subject here.
_PRIMARY: Final[tuple[_Entry, ...]] = (
    _Entry(
        "tiengviet", "Tiếng Việt",
        MappingProxyType({1: 420, 2: 350, 3: 245, 4: 245, 5: 245}), "level", True,
    ),
    _Entry("toan", "Toán", MappingProxyType({1: 105, 2: 175, 3: 175, 4: 175, 5: 175}), "level", True),
    _Entry("ngoaingu1", "Ngoại ngữ 1", _same((3, 4, 5), 140), "level", True),
    _Entry("lsdl", "Lịch sử và Địa lí", _same((4, 5), 70), "level", True),
    _Entry("khoahoc", "Khoa học", _same((4, 5), 70), "level", True),
    _Entry("tinhoc_congnghe", "Tin học và Công nghệ", _same((3, 4, 5), 70), "level", True),
    _Entry("daoduc", "Đạo đức", _same(range(1, 6), 35), "level"),
    _Entry("tnxh", "Tự nhiên và Xã hội", _same((1, 2, 3), 70), "level"),
    _Entry("gdtc", "Giáo dục thể chất", _same(range(1, 6), 70), "level"),
    _Entry("nghethuat_amnhac", "Nghệ thuật (Âm nhạc)", _same(range(1, 6), 35), "level"),
    _Entry("nghethuat_mythuat", "Nghệ thuật (Mĩ thuật)", _same(range(1, 6), 35), "level"),
    _Entry("hdtn", "Hoạt động trải nghiệm", _same(range(1, 6), 105), "level"),
)

# --------------------------------------------------------------------------- THCS

_THCS: Final[tuple[_Entry, ...]] = (
    _Entry("nguvan", "Ngữ văn", _same(range(6, 10), 140), "score"),
    _Entry("toan", "Toán", _same(range(6, 10), 140), "score"),
    _Entry("ngoaingu1", "Ngoại ngữ 1", _same(range(6, 10), 105), "score"),
    _Entry("gdcd", "Giáo dục công dân", _same(range(6, 10), 35), "score"),
    _Entry("lsdl", "Lịch sử và Địa lí", _same(range(6, 10), 105), "score"),
    _Entry("khtn", "Khoa học tự nhiên", _same(range(6, 10), 140), "score"),
    _Entry("congnghe", "Công nghệ", MappingProxyType({6: 35, 7: 35, 8: 52, 9: 52}), "score"),
    _Entry("tinhoc", "Tin học", _same(range(6, 10), 35), "score"),
    _Entry("gdtc", "Giáo dục thể chất", _same(range(6, 10), 70), "comment"),
    _Entry("nghethuat_amnhac", "Nghệ thuật (Âm nhạc)", _same(range(6, 10), 35), "comment"),
    _Entry("nghethuat_mythuat", "Nghệ thuật (Mĩ thuật)", _same(range(6, 10), 35), "comment"),
    _Entry("hdtn_hn", "Hoạt động trải nghiệm, hướng nghiệp", _same(range(6, 10), 105), "comment"),
    _Entry("gddp", "Nội dung giáo dục của địa phương", _same(range(6, 10), 35), "comment"),
)

# --------------------------------------------------------------------------- THPT

_THPT_GRADES: Final = range(10, 13)

# Compulsory for every student; Lịch sử became compulsory in the 2022 revision (52 lessons).
_THPT_COMPULSORY: Final[tuple[_Entry, ...]] = (
    _Entry("nguvan", "Ngữ văn", _same(_THPT_GRADES, 105), "score"),
    _Entry("toan", "Toán", _same(_THPT_GRADES, 105), "score"),
    _Entry("ngoaingu1", "Ngoại ngữ 1", _same(_THPT_GRADES, 105), "score"),
    _Entry("lichsu", "Lịch sử", _same(_THPT_GRADES, 52), "score"),
    _Entry("gdtc", "Giáo dục thể chất", _same(_THPT_GRADES, 70), "comment"),
    _Entry("gdqpan", "Giáo dục quốc phòng và an ninh", _same(_THPT_GRADES, 35), "score"),
)

# Students choose four of these (Thông tư 13/2022 amending TT32/2018), 70 lessons each.
_THPT_ELECTIVE_ENTRIES: Final[tuple[_Entry, ...]] = (
    _Entry("diali", "Địa lí", _same(_THPT_GRADES, 70), "score"),
    _Entry("gdktpl", "Giáo dục kinh tế và pháp luật", _same(_THPT_GRADES, 70), "score"),
    _Entry("vatli", "Vật lí", _same(_THPT_GRADES, 70), "score"),
    _Entry("hoahoc", "Hoá học", _same(_THPT_GRADES, 70), "score"),
    _Entry("sinhhoc", "Sinh học", _same(_THPT_GRADES, 70), "score"),
    _Entry("congnghe", "Công nghệ", _same(_THPT_GRADES, 70), "score"),
    _Entry("tinhoc", "Tin học", _same(_THPT_GRADES, 70), "score"),
    _Entry("amnhac", "Âm nhạc", _same(_THPT_GRADES, 70), "comment"),
    _Entry("mythuat", "Mĩ thuật", _same(_THPT_GRADES, 70), "comment"),
)

_THPT_ACTIVITIES: Final[tuple[_Entry, ...]] = (
    _Entry("hdtn_hn", "Hoạt động trải nghiệm, hướng nghiệp", _same(_THPT_GRADES, 105), "comment"),
    _Entry("gddp", "Nội dung giáo dục của địa phương", _same(_THPT_GRADES, 35), "comment"),
)

#: Codes of the THPT elective subjects, in template order.
THPT_ELECTIVES: Final[tuple[str, ...]] = tuple(e.code for e in _THPT_ELECTIVE_ENTRIES)

#: The natural-science combination most schools offer first.
DEFAULT_THPT_ELECTIVES: Final[tuple[str, ...]] = ("vatli", "hoahoc", "sinhhoc", "tinhoc")

_ELECTIVES_REQUIRED: Final = 4


# --------------------------------------------------------------------------- lookups


def grades_for(level: str) -> range:
    """The grades of a school level: tieuhoc 1–5, thcs 6–9, thpt 10–12."""
    try:
        return _GRADES[level]
    except KeyError:
        raise ValueError(f"unknown school level {level!r}; expected one of {LEVELS}") from None


def level_of_grade(grade: int) -> str:
    """The level key a grade belongs to (1–5 tieuhoc, 6–9 thcs, 10–12 thpt)."""
    for level in LEVELS:
        if grade in _GRADES[level]:
            return level
    raise ValueError(f"grade must be 1–12, got {grade!r}")


def subjects_for(
    level: str, grade: int, *, electives: Iterable[str] = DEFAULT_THPT_ELECTIVES
) -> tuple[CurriculumSubject, ...]:
    """The subjects of a grade, in template order, with `sort_order` 1, 2, 3, ….

    `electives` only matters for THPT: four distinct codes from THPT_ELECTIVES.
    """
    if grade not in grades_for(level):
        raise ValueError(f"grade {grade} is not part of level {level!r}")
    if level == "tieuhoc":
        entries = _PRIMARY
    elif level == "thcs":
        entries = _THCS
    else:
        entries = (*_THPT_COMPULSORY, *_pick_electives(electives), *_THPT_ACTIVITIES)
    present = [e for e in entries if grade in e.lessons]
    return tuple(
        CurriculumSubject(
            code=e.code,
            name=e.name,
            lessons_per_year=e.lessons[grade],
            assessment=e.assessment,
            periodic_test=e.periodic_test,
            sort_order=i,
        )
        for i, e in enumerate(present, start=1)
    )


def _pick_electives(codes: Iterable[str]) -> tuple[_Entry, ...]:
    wanted = tuple(codes)
    unknown = [c for c in wanted if c not in THPT_ELECTIVES]
    if unknown:
        raise ValueError(f"unknown THPT elective(s) {unknown}; expected codes from {THPT_ELECTIVES}")
    if len(set(wanted)) != _ELECTIVES_REQUIRED or len(wanted) != _ELECTIVES_REQUIRED:
        raise ValueError(f"choose exactly {_ELECTIVES_REQUIRED} distinct electives, got {wanted}")
    # Template order, whatever order the caller listed them in.
    return tuple(e for e in _THPT_ELECTIVE_ENTRIES if e.code in wanted)
