"""Thông tư 22 year evaluation: time to evaluate a 2,000-student secondary school.

Each student has 12 subjects (8–9 scored with the ĐĐGtx count their lessons require,
3–4 comment-only), conduct for both semesters and an absence count, drawn from a seeded
generator so every run evaluates the same school. Baselines in the same run: the cost of
building the inputs, and a naive loop that only computes the averages in binary float
(no validation, no levels, no explanations — and wrong on exact halves).
Prints figures only: ``.venv/bin/python bench/bench_rules.py``.
"""

from __future__ import annotations

import random
import statistics
import time
from collections import Counter
from collections.abc import Callable
from decimal import Decimal

from app.rules.levels import Level
from app.rules.tt22 import (
    CommentSemester,
    ScoredSemester,
    StudentYearInput,
    SubjectInput,
    evaluate_year,
    required_tx_count,
)

STUDENTS = 2000
SCORED = [("toan", "Toán", 140), ("van", "Ngữ văn", 140), ("anh", "Tiếng Anh", 105),
          ("lsdl", "Lịch sử và Địa lí", 105), ("khtn", "Khoa học tự nhiên", 140),
          ("cn", "Công nghệ", 35), ("th", "Tin học", 35), ("gdcd", "Giáo dục công dân", 35),
          ("nn2", "Ngoại ngữ 2", 105)]  # fmt: skip
COMMENT = [("gdtc", "Giáo dục thể chất", 70), ("nt", "Nghệ thuật", 70),
           ("hdtn", "Hoạt động trải nghiệm, hướng nghiệp", 105),
           ("gddp", "Nội dung giáo dục của địa phương", 35)]  # fmt: skip
LEVELS = [Level.TOT] * 6 + [Level.KHA] * 3 + [Level.DAT, Level.CHUA_DAT]
TENTHS = [Decimal(n) / 10 for n in range(101)]  # shared Decimal objects, as a database read gives


def school(seed: int = 2025) -> list[StudentYearInput]:
    rng = random.Random(seed)

    def score(ability: int) -> Decimal:
        return TENTHS[max(0, min(100, ability + rng.randint(-20, 20)))]

    def scored_semester(ability: int, lessons: int) -> ScoredSemester:
        tx = tuple(score(ability) for _ in range(required_tx_count(lessons)))
        return ScoredSemester(tx=tx, gk=score(ability), ck=score(ability))

    def comment_semester(lessons: int) -> CommentSemester:
        tx = tuple(rng.random() > 0.05 for _ in range(required_tx_count(lessons)))
        return CommentSemester(tx=tx, gk=rng.random() > 0.05, ck=rng.random() > 0.03)

    students = []
    for _ in range(STUDENTS):
        ability = rng.randint(35, 95)  # tenths: the student's typical score
        n_scored = rng.choice((8, 9))
        subjects = [
            SubjectInput(code, name, "score", lessons,
                         scored_semester(ability, lessons), scored_semester(ability, lessons))
            for code, name, lessons in SCORED[:n_scored]
        ]  # fmt: skip
        subjects += [
            SubjectInput(code, name, "comment", lessons, comment_semester(lessons), comment_semester(lessons))
            for code, name, lessons in COMMENT[: 12 - n_scored]
        ]
        students.append(
            StudentYearInput(
                level="thcs",
                subjects=tuple(subjects),
                conduct_hk1=rng.choice(LEVELS),
                conduct_hk2=rng.choice(LEVELS),
                conduct_after_summer=None,
                sessions_absent=rng.choice((0, 0, 1, 2, 3, 5, 8, 12, 20, 47)),
            )
        )
    return students


def naive_float_averages(students: list[StudentYearInput]) -> None:
    """What a spreadsheet-style loop does: float averages only."""
    for student in students:
        for subject in student.subjects:
            if isinstance(subject.hk1, ScoredSemester) and isinstance(subject.hk2, ScoredSemester):
                averages = []
                for sem in (subject.hk1, subject.hk2):
                    total = sum(float(v) for v in sem.tx) + 2 * float(sem.gk or 0) + 3 * float(sem.ck or 0)
                    averages.append(round(total / (len(sem.tx) + 5), 1))
                round((averages[0] + 2 * averages[1]) / 3, 1)


def timed(fn: Callable[[], object], runs: int) -> float:
    """Median wall time in milliseconds over ``runs`` runs."""
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    students = school()
    build_ms = timed(school, runs=3)
    naive_ms = timed(lambda: naive_float_averages(students), runs=5)
    evaluate_ms = timed(lambda: [evaluate_year(s) for s in students], runs=5)

    results = [evaluate_year(s) for s in students]
    promotions = Counter(r.promotion for r in results)
    learning = Counter(r.learning_year.value for r in results)
    titles = Counter(r.title or "-" for r in results)
    adjusted = sum(r.learning.year.adjusted for r in results)

    per = evaluate_ms / STUDENTS
    print(f"{STUDENTS} students × 12 subjects (Thông tư 22), median of 5 runs")
    print(f"  evaluate_year (validate, averages, levels, promotion, explanations): "
          f"{evaluate_ms:8.1f} ms total, {per:6.3f} ms/student  (target < 0.5 ms)")
    print(f"  baseline: building the inputs:       {build_ms:8.1f} ms total, "
          f"{build_ms / STUDENTS:6.3f} ms/student")
    print(f"  baseline: naive float averages only: {naive_ms:8.1f} ms total, "
          f"{naive_ms / STUDENTS:6.3f} ms/student  (evaluate_year is {evaluate_ms / naive_ms:4.1f}× this)")
    print(f"  learning year: {dict(sorted(learning.items()))}; adjusted: {adjusted}")
    print(f"  promotion: {dict(sorted(promotions.items()))}; titles: {dict(sorted(titles.items()))}")


if __name__ == "__main__":
    main()
