"""Vietnamese explanations of Thông tư 22/2021 results, written for parents.

Each sentence names the result, the article it comes from and the subjects that
decided it — parents often cannot see why a child with many 9s is not "Xuất sắc".
Numbers use the Vietnamese decimal comma; lists of "subject value" pairs are separated
by semicolons so that "Toán 9,4; Ngữ văn 9,0" stays unambiguous.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from app.rules.levels import Level
from app.rules.tt22_learning import (
    EXCELLENT_MIN_SUBJECTS,
    EXCELLENT_SCORE,
    FAIR_FLOOR,
    FAIR_HIGH,
    GOOD_FLOOR,
    GOOD_HIGH,
    MIN_SUBJECTS_AT_HIGH,
    PASS_FLOOR,
    PASS_HIGH,
    PASS_MAX_COMMENT_FAILURES,
    REASSESS_BELOW,
    LevelResult,
)
from app.rules.tt22_types import DecisionPath, Promotion, SubjectResult, SubjectValue, Term, Title
from app.rules.wording import join_and, vn_number, vn_pass

__all__ = [
    "conduct",
    "conduct_after_summer",
    "learning",
    "not_in_summer_training",
    "not_on_reassessment_list",
    "promotion",
    "title",
]

TT22 = "Thông tư 22/2021"

_TERM_LABEL: dict[Term, str] = {
    "hk1": "học kì I",
    "hk2": "học kì II",
    "year": "cả năm",
    "year_after_reassessment": "cả năm sau kiểm tra lại",
}
_AVERAGE_NAME: dict[Term, str] = {
    "hk1": "ĐTBmhk",
    "hk2": "ĐTBmhk",
    "year": "ĐTBmcn",
    "year_after_reassessment": "ĐTBmcn",
}


# ------------------------------------------------------------------------ learning


def learning(
    term: Term,
    scored: Mapping[str, Decimal],
    comments: Mapping[str, bool],
    names: Mapping[str, str],
    result: LevelResult,
) -> str:
    """Why the learning result of ``term`` is what it is (Điều 9), adjustment included."""
    facts = _Facts(scored, comments, names, _AVERAGE_NAME[term])
    label = _TERM_LABEL[term]
    base = result.base_level
    if result.adjusted:
        return (
            f"Kết quả học tập {label}: {result.level.label} (đã điều chỉnh). "
            f"Theo các tiêu chí của {TT22}, Điều 9, kết quả là {base.label} vì "
            f"{join_and(facts.shortfalls(Level.from_rank(base.rank + 1)))}. "
            f"Tuy nhiên {facts.pullers(result.adjusted_by)} đã kéo kết quả xuống từ 2 mức trở lên, "
            f"nên kết quả được nâng một mức, lên {result.level.label} "
            f"(quy tắc điều chỉnh, {TT22}, Điều 9 — quy tắc cần kiểm chứng)."
        )
    head = f"Kết quả học tập {label}: {base.label} ({TT22}, Điều 9)"
    if base is Level.CHUA_DAT:
        return f"{head} vì {join_and(facts.shortfalls(Level.DAT))}."
    text = f"{head}: {facts.basis(base)}"
    if base is not Level.TOT:
        higher = Level.from_rank(base.rank + 1)
        text += f". Chưa đạt mức {higher.label} vì {join_and(facts.shortfalls(higher))}"
    return text + "."


class _Facts:
    """The subjects of one column, with the phrases that describe them."""

    def __init__(
        self,
        scored: Mapping[str, Decimal],
        comments: Mapping[str, bool],
        names: Mapping[str, str],
        average: str,
    ) -> None:
        self.scored = scored
        self.comments = comments
        self.names = names
        self.average = average
        self.failed_comments = [key for key, passed in comments.items() if not passed]

    def name(self, key: str) -> str:
        return self.names.get(key) or key

    def scores(self, keys: Sequence[str]) -> str:
        return "; ".join(f"{self.name(key)} {vn_number(self.scored[key])}" for key in keys)

    def at_least(self, threshold: Decimal) -> list[str]:
        return [key for key, value in self.scored.items() if value >= threshold]

    def below(self, threshold: Decimal) -> list[str]:
        return [key for key, value in self.scored.items() if value < threshold]

    def all_comments_pass(self) -> str:
        if not self.comments:
            return "không có môn đánh giá bằng nhận xét"
        return "mọi môn đánh giá bằng nhận xét đều Đạt"

    def basis(self, level: Level) -> str:
        """What the student meets for ``level`` (Tốt, Khá or Đạt)."""
        if level is Level.TOT:
            high = self.at_least(GOOD_HIGH)
            return (
                f"{self.all_comments_pass()}, mọi môn đánh giá bằng điểm số có {self.average} ≥ "
                f"{vn_number(GOOD_FLOOR)} và {len(high)} môn có {self.average} ≥ {vn_number(GOOD_HIGH)} "
                f"(cần ít nhất {MIN_SUBJECTS_AT_HIGH}): {self.scores(high)}"
            )
        if level is Level.KHA:
            high = self.at_least(FAIR_HIGH)
            return (
                f"{self.all_comments_pass()}, mọi môn đánh giá bằng điểm số có {self.average} ≥ "
                f"{vn_number(FAIR_FLOOR)} và {len(high)} môn có {self.average} ≥ {vn_number(FAIR_HIGH)} "
                f"(cần ít nhất {MIN_SUBJECTS_AT_HIGH})"
            )
        if self.failed_comments:
            comment_part = (
                f"chỉ có 1 môn đánh giá bằng nhận xét Chưa đạt ({self.name(self.failed_comments[0])})"
            )
        else:
            comment_part = self.all_comments_pass()
        high = self.at_least(PASS_HIGH)
        return (
            f"{comment_part}, {len(high)} môn có {self.average} ≥ {vn_number(PASS_HIGH)} "
            f"(cần ít nhất {MIN_SUBJECTS_AT_HIGH}) và không môn nào dưới {vn_number(PASS_FLOOR)}"
        )

    def shortfalls(self, level: Level) -> list[str]:
        """Every criterion of ``level`` the student misses, comment subjects first."""
        reasons: list[str] = []
        if level is Level.DAT:
            if len(self.failed_comments) > PASS_MAX_COMMENT_FAILURES:
                failed = ", ".join(self.name(key) for key in self.failed_comments)
                reasons.append(
                    f"có {len(self.failed_comments)} môn đánh giá bằng nhận xét Chưa đạt ({failed}), "
                    f"chỉ được tối đa {PASS_MAX_COMMENT_FAILURES}"
                )
            floor, high = PASS_FLOOR, PASS_HIGH
        else:
            if self.failed_comments:
                failed = join_and(self.name(key) for key in self.failed_comments)
                prefix = "môn" if len(self.failed_comments) == 1 else "các môn"
                reasons.append(f"{prefix} {failed} Chưa đạt")
            floor, high = (GOOD_FLOOR, GOOD_HIGH) if level is Level.TOT else (FAIR_FLOOR, FAIR_HIGH)
        low = self.below(floor)
        if low:
            reasons.append(
                f"có {len(low)} môn có {self.average} dưới {vn_number(floor)} ({self.scores(low)})"
            )
        reached = self.at_least(high)
        if len(reached) < MIN_SUBJECTS_AT_HIGH:
            reasons.append(self._too_few(reached, high))
        return reasons

    def _too_few(self, reached: Sequence[str], threshold: Decimal) -> str:
        need = f"{self.average} ≥ {vn_number(threshold)} (cần ít nhất {MIN_SUBJECTS_AT_HIGH})"
        if not reached:
            return f"không có môn nào có {need}"
        return f"chỉ có {len(reached)} môn có {need}: {self.scores(reached)}"

    def pullers(self, keys: Sequence[str]) -> str:
        described = [
            f"{self.name(key)} ({self.average} {vn_number(self.scored[key])})"
            if key in self.scored
            else f"{self.name(key)} (Chưa đạt)"
            for key in keys
        ]
        if len(described) == 1:
            return f"chỉ riêng môn {described[0]}"
        return f"chỉ riêng một môn ({' hoặc '.join(described)})"


# ------------------------------------------------------------------------- conduct


def conduct(hk1: Level, hk2: Level, year: Level) -> str:
    """Why the year conduct is ``year`` (Điều 8; the table is marked "(verify)")."""
    return (
        f"Kết quả rèn luyện cả năm: {year.label} ({TT22}, Điều 8; bảng quy đổi cần kiểm chứng): "
        f"học kì I {hk1.label}, học kì II {hk2.label}; {_conduct_reason(hk1, hk2)}."
    )


def _conduct_reason(hk1: Level, hk2: Level) -> str:
    if hk2 is Level.TOT:
        if hk1 >= Level.KHA:
            return "học kì II Tốt và học kì I từ Khá trở lên thì cả năm Tốt"
        return f"học kì II Tốt nhưng học kì I chỉ ở mức {hk1.label} nên cả năm Khá"
    if hk2 is Level.KHA:
        if hk1 >= Level.DAT:
            return "học kì II Khá và học kì I từ Đạt trở lên thì cả năm Khá"
        return "học kì II Khá nhưng học kì I Chưa đạt nên cả năm Đạt"
    if hk2 is Level.DAT:
        if hk1 is Level.TOT:
            return "học kì II Đạt và học kì I Tốt thì cả năm Khá"
        return "học kì II Đạt và học kì I từ Khá trở xuống thì cả năm Đạt"
    return "học kì II Chưa đạt thì cả năm Chưa đạt"


def conduct_after_summer(level: Level) -> str:
    return (
        f"Kết quả rèn luyện được đánh giá lại sau rèn luyện trong kì nghỉ hè: {level.label} "
        f"({TT22}, Điều 13)."
    )


# ----------------------------------------------------------------------- promotion


def promotion(
    *,
    path: DecisionPath,
    promotion: Promotion,
    sessions_absent: int,
    max_sessions_absent: int,
    conduct_year: Level,
    learning_year: Level,
    conduct_after_summer: Level | None,
    reassessed: Sequence[SubjectResult],
    learning_after: LevelResult | None,
) -> str:
    """Why the student is promoted, held back, or waits for a summer step (Điều 12–14)."""
    if path == "absence":
        return (
            f"Ở lại lớp ({TT22}, Điều 12): nghỉ {sessions_absent} buổi trong năm học, "
            f"quá {max_sessions_absent} buổi được phép."
        )
    if path == "both_failed":
        return (
            f"Ở lại lớp ({TT22}, Điều 12–14): kết quả rèn luyện cả năm và kết quả học tập cả năm "
            "đều Chưa đạt; chỉ học sinh có kết quả rèn luyện cả năm từ Đạt trở lên mới được kiểm tra lại."
        )
    if path == "summer":
        if conduct_after_summer is None:
            return (
                f"Phải rèn luyện trong kì nghỉ hè ({TT22}, Điều 13) vì kết quả rèn luyện cả năm Chưa đạt; "
                "việc lên lớp được xét sau khi đánh giá lại kết quả rèn luyện."
            )
        if promotion == "len_lop":
            return (
                f"Được lên lớp ({TT22}, Điều 12–13): sau rèn luyện trong kì nghỉ hè, kết quả rèn luyện "
                f"được đánh giá lại là {conduct_after_summer.label} (từ Đạt trở lên)."
            )
        return (
            f"Ở lại lớp ({TT22}, Điều 12–13): sau rèn luyện trong kì nghỉ hè, kết quả rèn luyện "
            "vẫn Chưa đạt."
        )
    if path == "reassessment":
        return _reassessment(promotion, reassessed, learning_after)
    return (
        f"Được lên lớp ({TT22}, Điều 12): kết quả rèn luyện cả năm {conduct_year.label}, "
        f"kết quả học tập cả năm {learning_year.label} (đều từ Đạt trở lên) và nghỉ "
        f"{sessions_absent} buổi (không quá {max_sessions_absent})."
    )


def _subject_value(value: SubjectValue) -> str:
    return vn_pass(value) if isinstance(value, bool) else vn_number(value)


def _reassessment(
    promotion: Promotion, reassessed: Sequence[SubjectResult], learning_after: LevelResult | None
) -> str:
    if not reassessed:
        return (
            f"Ở lại lớp ({TT22}, Điều 12 và 14): kết quả học tập cả năm Chưa đạt nhưng không có môn "
            "nào thuộc diện kiểm tra lại (môn đánh giá bằng nhận xét Chưa đạt hoặc môn có ĐTBmcn "
            f"dưới {vn_number(REASSESS_BELOW)})."
        )
    if promotion == "kiem_tra_lai":
        listed = "; ".join(
            f"{s.name} (Chưa đạt)" if isinstance(s.year, bool) else f"{s.name} (ĐTBmcn {vn_number(s.year)})"
            for s in reassessed
        )
        waiting = join_and(s.name for s in reassessed if s.reassessment is None)
        done = "; ".join(
            f"{s.name} {_subject_value(s.reassessment)}" for s in reassessed if s.reassessment is not None
        )
        text = (
            f"Phải kiểm tra lại ({TT22}, Điều 14) vì kết quả học tập cả năm Chưa đạt. "
            f"Các môn kiểm tra lại: {listed}. Còn chờ kết quả: {waiting}"
        )
        return text + (f"; đã có kết quả: {done}." if done else ".")
    results = "; ".join(f"{s.name} {_subject_value(s.year_final)}" for s in reassessed)
    after = learning_after.level.label if learning_after is not None else Level.CHUA_DAT.label
    if promotion == "len_lop":
        return (
            f"Được lên lớp ({TT22}, Điều 12 và 14): sau kiểm tra lại ({results}), "
            f"kết quả học tập cả năm được tính lại là {after} (từ Đạt trở lên)."
        )
    return (
        f"Ở lại lớp ({TT22}, Điều 12 và 14): sau kiểm tra lại ({results}), "
        f"kết quả học tập cả năm được tính lại vẫn là {after}."
    )


# --------------------------------------------------------------------------- title


def title(
    title: Title | None,
    conduct_year: Level,
    learning_year: Level,
    year_scored: Mapping[str, Decimal],
    names: Mapping[str, str],
) -> str:
    """Why the student gets "Học sinh Xuất sắc", "Học sinh Giỏi" or no title (Điều 15)."""
    excellent = [key for key, value in year_scored.items() if value >= EXCELLENT_SCORE]
    listed = "; ".join(f"{names.get(key) or key} {vn_number(year_scored[key])}" for key in excellent)
    need = f"ĐTBmcn ≥ {vn_number(EXCELLENT_SCORE)} (cần ít nhất {EXCELLENT_MIN_SUBJECTS})"
    if title == "xuat_sac":
        return (
            f"Đạt danh hiệu Học sinh Xuất sắc ({TT22}, Điều 15): rèn luyện cả năm Tốt, học tập cả năm Tốt "
            f"và có {len(excellent)} môn có {need}: {listed}."
        )
    if title == "gioi":
        why_not = (
            f"chỉ có {len(excellent)} môn có {need}: {listed}"
            if excellent
            else f"không có môn nào có {need}"
        )
        return (
            f"Đạt danh hiệu Học sinh Giỏi ({TT22}, Điều 15): rèn luyện cả năm Tốt và học tập cả năm Tốt. "
            f"Chưa đạt danh hiệu Học sinh Xuất sắc vì {why_not}."
        )
    missing = []
    if conduct_year is not Level.TOT:
        missing.append(f"kết quả rèn luyện cả năm là {conduct_year.label}")
    if learning_year is not Level.TOT:
        missing.append(f"kết quả học tập cả năm là {learning_year.label}")
    return (
        f"Không đạt danh hiệu Học sinh Giỏi hay Học sinh Xuất sắc ({TT22}, Điều 15) vì "
        f"{join_and(missing)} (cần cả rèn luyện và học tập cả năm ở mức Tốt)."
    )


# -------------------------------------------------------------- input-error texts


def not_in_summer_training(path: DecisionPath) -> str:
    """Message for a conduct-after-summer value given to a student not in summer training."""
    if path == "absence":
        reason = "học sinh ở lại lớp vì nghỉ quá số buổi cho phép"
    elif path == "both_failed":
        reason = "học sinh ở lại lớp vì cả rèn luyện và học tập cả năm đều Chưa đạt"
    else:
        reason = "kết quả rèn luyện cả năm của học sinh từ Đạt trở lên"
    return (
        f"Không nhập kết quả rèn luyện sau hè: {reason}, nên học sinh không thuộc diện "
        "rèn luyện trong kì nghỉ hè."
    )


def not_on_reassessment_list(path: DecisionPath, name: str, year: SubjectValue) -> str:
    """Message for a re-assessment value the promotion decision cannot use."""
    if path == "reassessment":
        if isinstance(year, bool):
            return f"Môn {name} không thuộc diện kiểm tra lại: kết quả cả năm đã Đạt."
        return (
            f"Môn {name} không thuộc diện kiểm tra lại: ĐTBmcn {vn_number(year)} "
            f"không dưới {vn_number(REASSESS_BELOW)}."
        )
    reasons: dict[DecisionPath, str] = {
        "absence": "học sinh ở lại lớp vì nghỉ quá số buổi cho phép",
        "both_failed": "kết quả rèn luyện cả năm Chưa đạt nên học sinh không được kiểm tra lại",
        "summer": "kết quả rèn luyện cả năm Chưa đạt nên học sinh rèn luyện trong hè, không kiểm tra lại",
        "promoted": "kết quả học tập cả năm từ Đạt trở lên nên không cần kiểm tra lại",
    }
    return f"Không nhập kết quả kiểm tra lại cho môn {name}: {reasons[path]}."
