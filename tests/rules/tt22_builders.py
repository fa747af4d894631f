"""Small builders for Thông tư 22 inputs, shared by the rules tests.

A scored subject built with ``scored(code, "8.0")`` has every assessment equal to 8.0,
so its ĐTBmhk in both semesters and its ĐTBmcn are exactly 8.0: tests can then speak in
averages and thresholds rather than in individual scores.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from app.rules.levels import Level
from app.rules.tt22 import CommentSemester, ScoredSemester, StudentYearInput, SubjectInput

D = Decimal

SCORED_NAMES = (
    "Toán",
    "Ngữ văn",
    "Tiếng Anh",
    "Lịch sử và Địa lí",
    "Khoa học tự nhiên",
    "Công nghệ",
    "Tin học",
    "Giáo dục công dân",
    "Ngoại ngữ 2",
)
COMMENT_NAMES = (
    "Giáo dục thể chất",
    "Nghệ thuật",
    "Hoạt động trải nghiệm, hướng nghiệp",
    "Nội dung giáo dục của địa phương",
)


def uniform(value: str, tx_count: int = 2) -> ScoredSemester:
    """A semester whose every score is ``value`` (so ĐTBmhk == value)."""
    score = D(value)
    return ScoredSemester(tx=(score,) * tx_count, gk=score, ck=score)


def passing(ok: bool = True) -> CommentSemester:
    """A comment semester with every check Đạt, or with the end-of-term check Chưa đạt."""
    return CommentSemester(tx=(True, True), gk=True, ck=ok)


def scored(
    code: str,
    value: str,
    hk2: str | None = None,
    *,
    name: str | None = None,
    reassessment: Decimal | None = None,
) -> SubjectInput:
    """A 35-lesson scored subject with uniform semesters (HKI = value, HKII = hk2 or value)."""
    return SubjectInput(
        code=code,
        name=name or code,
        kind="score",
        lessons_per_year=35,
        hk1=uniform(value),
        hk2=uniform(hk2 if hk2 is not None else value),
        reassessment=reassessment,
    )


def comment(
    code: str,
    ok: bool = True,
    *,
    hk1_ok: bool = True,
    name: str | None = None,
    reassessment: bool | None = None,
) -> SubjectInput:
    return SubjectInput(
        code=code,
        name=name or code,
        kind="comment",
        lessons_per_year=35,
        hk1=passing(hk1_ok),
        hk2=passing(ok),
        reassessment=reassessment,
    )


def subjects(
    scores: Sequence[str],
    comments: Sequence[bool] = (True, True, True, True),
    *,
    reassess: dict[int, Decimal | bool] | None = None,
) -> tuple[SubjectInput, ...]:
    """Scored subjects named from SCORED_NAMES, then comment subjects from COMMENT_NAMES.

    ``reassess`` maps a position in the combined list to a re-assessment result.
    """
    reassess = reassess or {}
    built: list[SubjectInput] = []
    for i, value in enumerate(scores):
        again = reassess.get(i)
        built.append(
            scored(
                f"s{i}",
                value,
                name=SCORED_NAMES[i],
                reassessment=again if isinstance(again, Decimal) else None,
            )
        )
    for j, ok in enumerate(comments):
        again = reassess.get(len(scores) + j)
        built.append(
            comment(
                f"c{j}",
                ok,
                name=COMMENT_NAMES[j],
                reassessment=again if isinstance(again, bool) else None,
            )
        )
    return tuple(built)


def student(
    subject_list: tuple[SubjectInput, ...],
    conduct: tuple[str, str] = ("T", "T"),
    *,
    after_summer: str | None = None,
    absent: int = 0,
    level: str = "thcs",
) -> StudentYearInput:
    return StudentYearInput(
        level="thcs" if level == "thcs" else "thpt",
        subjects=subject_list,
        conduct_hk1=Level.parse(conduct[0], "hk1"),
        conduct_hk2=Level.parse(conduct[1], "hk2"),
        conduct_after_summer=None if after_summer is None else Level.parse(after_summer, "after"),
        sessions_absent=absent,
    )


GOOD_SCORES = ("9.0",) * 6 + ("8.0", "8.0")
"""Eight scored subjects that make a Tốt student with six subjects at 9.0 (Xuất sắc)."""
