"""Which mark books a person can open: the class × subject pairs of the current school year.

Subject teachers get the subjects they are assigned; homeroom teachers also see every
subject of their class (read-only unless they teach it); the school-wide roles see all.
Primary classes add one more sheet, the qualities and competencies (`subject_id` None),
kept by the homeroom teacher.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from sqlalchemy import select

from app.models import Grade, School, SchoolClass, SchoolYear, Subject
from app.models.db import Database
from app.services.access import Actor, can_edit_homeroom, can_edit_scores, can_view_class
from app.services.markbook_common import LEVEL_BY_CODE, can_view_markbook

__all__ = ["TRAITS_SHEET_NAME", "MarkbookChoice", "markbook_choices"]

TRAITS_SHEET_NAME: Final = "Phẩm chất, năng lực"


@dataclass(frozen=True)
class MarkbookChoice:
    class_id: int
    class_name: str
    grade: int
    level: str  # tieuhoc / thcs / thpt
    subject_id: int | None  # None: the primary qualities and competencies sheet
    subject_name: str
    subject_code: str
    assessment: str  # score / comment / level / traits
    editable: bool  # the actor may enter values (when not locked)


def _class_key(name: str) -> tuple[object, ...]:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name))


def markbook_choices(db: Database, actor: Actor) -> tuple[MarkbookChoice, ...]:
    with db.read() as s:
        school_id = s.scalar(select(School.id).order_by(School.id).limit(1))
        if school_id is None:
            return ()
        year_id = s.scalar(
            select(SchoolYear.id)
            .where(SchoolYear.school_id == school_id)
            .order_by(SchoolYear.is_current.desc(), SchoolYear.start_date.desc())
            .limit(1)
        )
        if year_id is None:
            return ()
        classes = s.execute(
            select(SchoolClass.id, SchoolClass.name, Grade.id, Grade.number, Grade.level)
            .join(Grade, Grade.id == SchoolClass.grade_id)
            .where(SchoolClass.school_year_id == year_id)
        ).all()
        subjects = s.execute(
            select(Subject.id, Subject.grade_id, Subject.name, Subject.code, Subject.assessment)
            .where(Subject.school_year_id == year_id)
            .order_by(Subject.sort_order, Subject.id)
        ).all()
    by_grade: dict[int, list[tuple[int, str, str, str]]] = {}
    for sid, grade_id, name, code, assessment in subjects:
        by_grade.setdefault(grade_id, []).append((sid, name, code, assessment))
    out: list[MarkbookChoice] = []
    for class_id, class_name, grade_id, grade_number, level_code in sorted(
        classes, key=lambda c: (c[3], _class_key(c[1]))
    ):
        level = LEVEL_BY_CODE.get(level_code, "thcs")
        for sid, name, code, assessment in by_grade.get(grade_id, []):
            if can_view_markbook(actor, class_id, sid):
                out.append(
                    MarkbookChoice(
                        class_id,
                        class_name,
                        grade_number,
                        level,
                        sid,
                        name,
                        code,
                        assessment,
                        can_edit_scores(actor, class_id, sid),
                    )
                )
        if level == "tieuhoc" and (
            can_edit_homeroom(actor, class_id)
            or (actor.sees_whole_school and can_view_class(actor, class_id))
        ):
            out.append(
                MarkbookChoice(
                    class_id,
                    class_name,
                    grade_number,
                    level,
                    None,
                    TRAITS_SHEET_NAME,
                    "traits",
                    "traits",
                    can_edit_homeroom(actor, class_id),
                )
            )
    return tuple(out)
