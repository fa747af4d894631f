"""Learning level of a semester or year (Thông tư 22/2021/TT-BGDĐT Điều 9).

Kept apart from ``tt22`` so that the explanation module can share the thresholds
without an import cycle.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from app.rules.levels import Level

__all__ = [
    "EXCELLENT_MIN_SUBJECTS",
    "EXCELLENT_SCORE",
    "FAIR_FLOOR",
    "FAIR_HIGH",
    "GOOD_FLOOR",
    "GOOD_HIGH",
    "MIN_SUBJECTS_AT_HIGH",
    "PASS_FLOOR",
    "PASS_HIGH",
    "PASS_MAX_COMMENT_FAILURES",
    "REASSESS_BELOW",
    "LevelResult",
    "compute_learning_level",
]

# Thresholds of Điều 9. They are the text of the Thông tư itself, not "(verify)" rules,
# so they are constants rather than settings.
GOOD_FLOOR: Final = Decimal("6.5")  # Tốt: every scored subject at least this …
GOOD_HIGH: Final = Decimal("8.0")  # … and at least MIN_SUBJECTS_AT_HIGH at this.
FAIR_FLOOR: Final = Decimal("5.0")  # Khá: every scored subject at least this …
FAIR_HIGH: Final = Decimal("6.5")  # … and at least MIN_SUBJECTS_AT_HIGH at this.
PASS_HIGH: Final = Decimal("5.0")  # Đạt: at least MIN_SUBJECTS_AT_HIGH at this …
PASS_FLOOR: Final = Decimal("3.5")  # … and none below this.
MIN_SUBJECTS_AT_HIGH: Final = 6
PASS_MAX_COMMENT_FAILURES: Final = 1  # Đạt tolerates one comment subject at Chưa đạt.

# Điều 14: scored subjects whose ĐTBmcn is below this are re-assessed in the summer.
REASSESS_BELOW: Final = Decimal("5.0")

# Điều 15, "Học sinh Xuất sắc": at least this many scored subjects with ĐTBmcn ≥ 9.0.
EXCELLENT_SCORE: Final = Decimal("9.0")
EXCELLENT_MIN_SUBJECTS: Final = 6

# The counting below keeps one count per distinct threshold, which relies on these
# coinciding as they do in the Thông tư; fail loudly if someone edits one of them.
if FAIR_HIGH != GOOD_FLOOR or PASS_HIGH != FAIR_FLOOR:  # pragma: no cover
    raise RuntimeError("tt22_learning: FAIR_HIGH must equal GOOD_FLOOR and PASS_HIGH FAIR_FLOOR")


@dataclass(frozen=True, slots=True)
class LevelResult:
    """A learning level and how it was reached.

    ``base_level`` is the level by the criteria of Điều 9 alone; ``level`` is the result
    after the one-subject adjustment. ``adjusted_by`` holds the keys of the subjects
    that, each on its own, pulled the level down by two or more levels (empty when no
    adjustment was made).
    """

    level: Level
    base_level: Level
    adjusted_by: tuple[str, ...] = ()

    @property
    def adjusted(self) -> bool:
        return self.level is not self.base_level


# A subject's contribution is which thresholds it reaches. Keeping counts lets the
# one-subject adjustment try "this subject at its best" for each subject in O(1)
# instead of re-scanning every subject.
_Counts = tuple[int, int, int, int, int, int]
"""(comment failures, scored subjects, ≥ 3.5, ≥ 5.0, ≥ 6.5, ≥ 8.0)."""


def _level_from_counts(counts: _Counts) -> Level:
    failures, scored, at35, at50, at65, at80 = counts
    if failures == 0 and at65 == scored and at80 >= MIN_SUBJECTS_AT_HIGH:
        return Level.TOT
    if failures == 0 and at50 == scored and at65 >= MIN_SUBJECTS_AT_HIGH:
        return Level.KHA
    if failures <= PASS_MAX_COMMENT_FAILURES and at50 >= MIN_SUBJECTS_AT_HIGH and at35 == scored:
        return Level.DAT
    return Level.CHUA_DAT


def compute_learning_level(
    scored: Mapping[str, Decimal], comments: Mapping[str, bool], *, adjust: bool
) -> LevelResult:
    """Level by the criteria of Điều 9, then the one-subject adjustment when ``adjust``.

    Inputs are trusted (already validated, averages already rounded).
    """
    reaches = {
        key: (value >= PASS_FLOOR, value >= FAIR_FLOOR, value >= GOOD_FLOOR, value >= GOOD_HIGH)
        for key, value in scored.items()
    }
    at35 = at50 = at65 = at80 = 0
    for r35, r50, r65, r80 in reaches.values():
        at35 += r35
        at50 += r50
        at65 += r65
        at80 += r80
    failures = sum(1 for passed in comments.values() if not passed)
    n_scored = len(scored)
    base = _level_from_counts((failures, n_scored, at35, at50, at65, at80))
    # A lift of two levels is impossible from Khá or Tốt (Tốt is the top), so the
    # per-subject search only runs from Đạt or Chưa đạt.
    if not adjust or base.rank >= Level.KHA.rank:
        return LevelResult(level=base, base_level=base)
    target = base.rank + 2
    pullers: list[str] = []
    for key, (r35, r50, r65, r80) in reaches.items():
        if r80:
            continue  # reaches every threshold already: 10.0 would change nothing
        best = (failures, n_scored, at35 - r35 + 1, at50 - r50 + 1, at65 - r65 + 1, at80 + 1)
        if _level_from_counts(best).rank >= target:
            pullers.append(key)
    if failures and _level_from_counts((failures - 1, n_scored, at35, at50, at65, at80)).rank >= target:
        # Every failing comment subject has the same effect when set to Đạt.
        pullers.extend(key for key, passed in comments.items() if not passed)
    if not pullers:
        return LevelResult(level=base, base_level=base)
    return LevelResult(level=Level.from_rank(base.rank + 1), base_level=base, adjusted_by=tuple(pullers))
