"""Turning a loaded class (`ClassData`) into `HomeroomStudent` rows with the rules engine.

Each secondary student is evaluated with `tt22.evaluate_year`; a student whose year
cannot be computed yet (missing scores or conduct) still gets every semester result that
is complete. Explanations are reordered so the sentence that decided the promotion
comes first. Primary classes reuse the class-results loader (Thông tư 27).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from app.models import Grade, SchoolClass
from app.rules import tt22
from app.rules.errors import RuleInputError
from app.rules.identity import mask_national_id
from app.rules.levels import Level
from app.services.class_results import (
    PRIMARY_RESULT_LABELS,
    PROMOTION_LABELS,
    TITLE_LABELS,
    _PrimaryLoader,
)
from app.services.homeroom_data import ClassData, Pupil, subject_inputs
from app.services.homeroom_types import (
    ClassSubject,
    Explanation,
    HomeroomStudent,
    SubjectLine,
    SubjectValue,
)

_PRIMARY_CODE_BY_LABEL = {label: code for code, label in PRIMARY_RESULT_LABELS.items()}
_TERM_WORDS = {"hk1": "học kì I", "hk2": "học kì II"}
_SUBJECT_FIELD = re.compile(r"^subjects\[(\d+)\](?:\.(hk1|hk2|reassessment))?")

NOT_ASSESSED_TEXT = "Học sinh khuyết tật được miễn đánh giá theo kế hoạch giáo dục cá nhân."


def student_rows(data: ClassData) -> tuple[HomeroomStudent, ...]:
    """One row per (wanted) student, in class-list order."""
    pupils = data.wanted_pupils()
    if data.level == "tieuhoc":
        return _primary_rows(data, pupils)
    return tuple(_secondary_row(data, p) for p in pupils)


def _level(raw: str | None) -> Level | None:
    return None if raw is None else Level.parse(raw, "conduct")


def _absences(data: ClassData, eid: int) -> dict[str, int]:
    e1, u1 = data.attendance.get((eid, 1), (0, 0))
    e2, u2 = data.attendance.get((eid, 2), (0, 0))
    return {
        "absent_hk1_excused": e1,
        "absent_hk1_unexcused": u1,
        "absent_hk2_excused": e2,
        "absent_hk2_unexcused": u2,
    }


def _base(data: ClassData, p: Pupil) -> dict[str, Any]:
    eid = p.enrolment_id
    return {
        "student_id": p.student_id,
        "enrolment_id": eid,
        "number": p.number,
        "full_name": p.full_name,
        "sex": p.sex,
        "date_of_birth": p.date_of_birth,
        "national_id_masked": mask_national_id(p.national_id),
        "provisional_id": p.national_id is None,
        "not_assessed": p.disabled,
        "year_comment": data.comments.get(eid, ""),
        "awards": tuple(data.awards.get(eid, ())),
        **_absences(data, eid),
    }


def describe_rule_error(exc: RuleInputError, subjects: tuple[ClassSubject, ...]) -> str:
    """The rules' message with the subject and semester it is about, when the path says so."""
    match = _SUBJECT_FIELD.match(exc.field)
    if match is None:
        return exc.message
    index = int(match.group(1))
    name = subjects[index].name if 0 <= index < len(subjects) else "?"
    term = match.group(2)
    if term == "reassessment":
        return exc.message  # the engine's sentence already names the subject
    where = f"Môn {name}, {_TERM_WORDS[term]}" if term in _TERM_WORDS else f"Môn {name}"
    return f"{where}: {exc.message}"


def _secondary_row(data: ClassData, p: Pupil) -> HomeroomStudent:
    base = _base(data, p)
    eid = p.enrolment_id
    hk1 = _level(data.conduct.get((eid, "hk1")))
    hk2 = _level(data.conduct.get((eid, "hk2")))
    summer = _level(data.conduct.get((eid, "he")))
    conduct: dict[str, Any] = {
        "conduct_hk1": hk1.value if hk1 else None,
        "conduct_hk2": hk2.value if hk2 else None,
        "conduct_year": tt22.conduct_year(hk1, hk2).value if hk1 and hk2 else None,
        "conduct_after_summer": summer.value if summer else None,
    }
    if p.disabled:
        return HomeroomStudent(
            **base,
            **conduct,
            learning_hk1=None, learning_hk2=None, learning_year=None, learning_after_reassessment=None,
            subjects=(), promotion=None, promotion_label="Không đánh giá", decided_by=None,
            title=None, title_label=None,
            explanations=(Explanation("not_assessed", NOT_ASSESSED_TEXT),), problem=None,
        )
    inputs = subject_inputs(data, eid)
    problem: str | None = None
    problem_field: str | None = None
    if hk1 is not None and hk2 is not None:
        try:
            result = tt22.evaluate_year(
                tt22.StudentYearInput(
                    level=data.level,  # type: ignore[arg-type]
                    subjects=inputs,
                    conduct_hk1=hk1,
                    conduct_hk2=hk2,
                    conduct_after_summer=summer,
                    sessions_absent=sum(_absences(data, eid).values()),
                )
            )
        except RuleInputError as exc:
            problem = describe_rule_error(exc, data.subjects)
            problem_field = exc.field
        else:
            return _evaluated_row(data, base, conduct, result)
    return _incomplete_row(data, base, conduct, inputs, problem, problem_field)


def _evaluated_row(
    data: ClassData, base: dict[str, Any], conduct: dict[str, Any], result: tt22.YearResult
) -> HomeroomStudent:
    after = result.learning_year_after_reassessment
    subjects = tuple(
        SubjectLine(
            subject_id=subject.id,
            code=r.code,
            name=r.name,
            kind=r.kind,
            hk1=r.hk1,
            hk2=r.hk2,
            year=r.year,
            reassessment=r.reassessment,
            needs_reassessment=r.needs_reassessment,
        )
        for subject, r in zip(data.subjects, result.subjects, strict=True)
    )
    return HomeroomStudent(
        **base,
        **conduct,
        learning_hk1=result.learning_hk1.value,
        learning_hk2=result.learning_hk2.value,
        learning_year=result.learning_year.value,
        learning_after_reassessment=after.value if after else None,
        subjects=subjects,
        promotion=result.promotion,
        promotion_label=PROMOTION_LABELS[result.promotion],
        decided_by=result.decided_by,
        title=result.title,
        title_label=TITLE_LABELS.get(result.title) if result.title else None,
        explanations=ordered_explanations(result),
        problem=None,
    )


def _semester_result(subject: tt22.SubjectInput, term: str) -> SubjectValue:
    sem = getattr(subject, term)
    try:
        if subject.kind == "comment":
            return tt22.comment_semester_result(sem, subject.lessons_per_year)
        return tt22.semester_average(sem, subject.lessons_per_year)
    except RuleInputError:
        return None


def _incomplete_row(
    data: ClassData,
    base: dict[str, Any],
    conduct: dict[str, Any],
    inputs: tuple[tt22.SubjectInput, ...],
    problem: str | None,
    problem_field: str | None,
) -> HomeroomStudent:
    """What can be computed without the full year: each semester that is complete."""
    lines = []
    for subject, inp in zip(data.subjects, inputs, strict=True):
        hk1 = _semester_result(inp, "hk1")
        hk2 = _semester_result(inp, "hk2")
        year: SubjectValue = None
        if isinstance(hk1, Decimal) and isinstance(hk2, Decimal):
            year = tt22.year_average(hk1, hk2)
        elif isinstance(hk2, bool) and hk1 is not None:
            year = hk2  # a comment-only subject's year result is its HKII result
        lines.append(
            SubjectLine(
                subject.id, subject.code, subject.name, inp.kind, hk1, hk2, year, inp.reassessment, False
            )
        )
    learning = {
        term: _column_level(lines, term) for term in ("hk1", "hk2", "year")
    }
    if problem is None:
        missing = [word for word, key in (("học kì I", "conduct_hk1"), ("học kì II", "conduct_hk2"))
                   if conduct[key] is None]
        gap = _first_subject_gap(data, inputs)
        if gap is not None:
            problem_field, problem = gap
        else:
            problem_field = "conduct"
            problem = f"Chưa có kết quả rèn luyện {' và '.join(missing)}; giáo viên chủ nhiệm cần nhập."

    return HomeroomStudent(
        **base,
        **conduct,
        learning_hk1=learning["hk1"],
        learning_hk2=learning["hk2"],
        learning_year=learning["year"],
        learning_after_reassessment=None,
        subjects=tuple(lines),
        promotion=None,
        promotion_label="Chưa đủ dữ liệu",
        decided_by=None,
        title=None,
        title_label=None,
        explanations=(),
        problem=problem,
        problem_field=problem_field,
    )


def _first_subject_gap(data: ClassData, inputs: tuple[tt22.SubjectInput, ...]) -> tuple[str, str] | None:
    """(field, message) of the first missing or invalid assessment, subjects in order."""
    for i, inp in enumerate(inputs):
        for term in ("hk1", "hk2"):
            try:
                if inp.kind == "comment":
                    tt22.comment_semester_result(getattr(inp, term), inp.lessons_per_year)
                else:
                    tt22.semester_average(getattr(inp, term), inp.lessons_per_year)
            except RuleInputError as exc:
                error = RuleInputError(f"subjects[{i}].{term}", exc.message)
                return error.field, describe_rule_error(error, data.subjects)
    return None


def _column_level(lines: list[SubjectLine], term: str) -> str | None:
    scored: dict[str, Decimal] = {}
    comments: dict[str, bool] = {}
    for line in lines:
        value = getattr(line, term)
        if value is None:
            return None
        if isinstance(value, bool):
            comments[line.code] = value
        else:
            scored[line.code] = value
    if not scored and not comments:
        return None
    return tt22.learning_level(scored, comments).level.value


# ------------------------------------------------------------------- explanation order


def ordered_explanations(result: tt22.YearResult) -> tuple[Explanation, ...]:
    """The rules engine's sentences, the one that decided the promotion first.

    `evaluate_year` writes them in a fixed order: learning HKI, HKII, year; year conduct;
    conduct after summer (if given); learning after re-assessment (if computed);
    promotion; title. Which sentences matter most follows from `decided_by`: a student
    held back for absences needs the absence sentence, one waiting for re-assessment the
    year learning result that sent them there, and every promoted student's parents ask
    next about the title ("why not Xuất sắc").
    """
    texts = list(result.explanations)
    kinds = ["learning_hk1", "learning_hk2", "learning_year", "conduct_year"]
    if result.conduct_after_summer is not None:
        kinds.append("conduct_after_summer")
    if result.learning.year_after_reassessment is not None:
        kinds.append("learning_after_reassessment")
    kinds += ["promotion", "title"]
    if len(kinds) != len(texts):  # pragma: no cover - the engine changed its layout
        return tuple(Explanation("other", t) for t in texts)
    by_kind = dict(zip(kinds, texts, strict=True))
    priority = {
        "absence": ("promotion", "title", "conduct_year", "learning_year"),
        "both_failed": ("promotion", "conduct_year", "learning_year", "title"),
        "summer": ("promotion", "conduct_after_summer", "conduct_year", "title", "learning_year"),
        "reassessment": (
            "promotion", "learning_after_reassessment", "learning_year", "title", "conduct_year",
        ),
        "promoted": ("promotion", "title", "learning_year", "conduct_year"),
    }[result.decided_by]
    order = [k for k in priority if k in by_kind]
    order += [k for k in kinds if k not in order]
    return tuple(Explanation(k, by_kind[k]) for k in order)


# ------------------------------------------------------------------------------- primary


def _primary_rows(data: ClassData, pupils: list[Pupil]) -> tuple[HomeroomStudent, ...]:
    s = data.session
    klass = s.get(SchoolClass, data.class_id)
    grade = s.get(Grade, data.grade_id)
    assert klass is not None and grade is not None
    results = {r.student_id: r for r in _PrimaryLoader(s, klass, grade).rows()}
    rows = []
    for p in pupils:
        r = results[p.student_id]
        code = _PRIMARY_CODE_BY_LABEL.get(r.learning or "")
        if p.disabled:
            explanations: tuple[Explanation, ...] = (Explanation("not_assessed", NOT_ASSESSED_TEXT),)
        elif len(r.explanations) == 3:
            # The engine writes result, completion, title; completion is what was decided.
            result_text, completion, title = r.explanations
            explanations = (
                Explanation("primary_completion", completion),
                Explanation("primary_result", result_text),
                Explanation("title", title),
            )
        else:
            explanations = tuple(Explanation("other", t) for t in r.explanations)
        rows.append(
            HomeroomStudent(
                **_base(data, p),
                learning_hk1=None, learning_hk2=None, learning_year=code, learning_after_reassessment=None,
                conduct_hk1=None, conduct_hk2=None, conduct_year=None, conduct_after_summer=None,
                subjects=(), promotion=r.promotion, promotion_label=r.promotion_label,
                decided_by=None, title="xuat_sac" if r.title else None, title_label=r.title,
                explanations=explanations, problem=r.problem,
                problem_field="primary" if r.problem else None,
            )
        )
    return tuple(rows)
