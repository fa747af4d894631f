"""Semester and year results of one student's row in the secondary mark book (pure).

Called on every keystroke by the item model, before the write reaches the disk, and by
the services when they load or write; both go through the rules engine (Thông tư 22).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from app.rules import tt22
from app.rules.errors import RuleInputError
from app.services.score_entry import SecondaryKind

__all__ = ["NOT_ASSESSED", "SemesterResult", "exempt", "row_results", "semester_result", "year_result"]


@dataclass(frozen=True)
class SemesterResult:
    """An average (scored subject), True/False = Đạt/Chưa đạt (comment subject), or None
    with `problem` saying, in Vietnamese, what is still missing."""

    value: Decimal | bool | None
    problem: str | None = None


def _decimal(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def semester_result(
    kind: SecondaryKind, lessons: int, tx: Sequence[str | None], gk: str | None, ck: str | None
) -> SemesterResult:
    """ĐTBmhk (scored) or Đạt/Chưa đạt (comment-only) of one semester, or what is missing."""
    present = [v for v in tx if v is not None]
    try:
        if kind == "comment":
            sem = tt22.CommentSemester(
                tuple(v == "Đ" for v in present),
                None if gk is None else gk == "Đ",
                None if ck is None else ck == "Đ",
            )
            return SemesterResult(tt22.comment_semester_result(sem, lessons))
        scored = tt22.ScoredSemester(tuple(Decimal(v) for v in present), _decimal(gk), _decimal(ck))
        return SemesterResult(tt22.semester_average(scored, lessons))
    except RuleInputError as exc:
        return SemesterResult(None, exc.message)


NOT_ASSESSED: Final = "Miễn đánh giá: học sinh khuyết tật học theo kế hoạch giáo dục cá nhân."


def exempt(result: SemesterResult, not_assessed: bool) -> SemesterResult:
    # A disabled student exempt from assessment has nothing missing, only nothing to assess.
    return SemesterResult(None, NOT_ASSESSED) if not_assessed and result.value is None else result


def year_result(
    kind: SecondaryKind, semester: int, this: SemesterResult, other: SemesterResult
) -> SemesterResult:
    hk1, hk2 = (this, other) if semester == 1 else (other, this)
    if kind == "comment":
        # A comment-only subject's year result is its second-semester result (Điều 9).
        if hk2.value is None:
            return SemesterResult(None, "Cả năm lấy kết quả học kì II, học kì II chưa đủ đánh giá.")
        return SemesterResult(hk2.value)
    if isinstance(hk1.value, Decimal) and isinstance(hk2.value, Decimal):
        return SemesterResult(tt22.year_average(hk1.value, hk2.value))
    missing = [
        name for name, r in (("học kì I", hk1), ("học kì II", hk2)) if not isinstance(r.value, Decimal)
    ]
    return SemesterResult(None, f"Chưa có điểm trung bình {' và '.join(missing)}.")


def row_results(
    kind: SecondaryKind,
    lessons: int,
    semester: int,
    tx: Sequence[str | None],
    gk: str | None,
    ck: str | None,
    other: SemesterResult,
) -> tuple[SemesterResult, SemesterResult]:
    """(this semester, year) of one student, from the stored texts of this semester."""
    this = semester_result(kind, lessons, tx, gk, ck)
    return this, year_result(kind, semester, this, other)
