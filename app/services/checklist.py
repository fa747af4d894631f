"""The pre-sign checklist of a class: everything to fix before the homeroom teacher signs.

Items, each with a `ChecklistTarget` (page + class + subject + student + where on the
page) so the screen can link to the place to fix it:

- a subject not yet locked (khoá sổ), or with no teacher assigned;
- missing scores or assessments per subject and student (the mark book lock's own list,
  `locking.lock_report`, so the checklist and the lock never disagree);
- missing subject comments, one item per subject naming the students (the record book
  prints them "nếu có", so they warn rather than block, as the lock treats them);
- conduct or the year comment missing, students without an identification number;
- students waiting for a summer result (they may be signed later, domain.md §3);
- students whose results changed since this person last marked the checklist as looked
  at: a fingerprint per student is stored in `checklist_look` by `mark_looked`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import select

from app.models import ChecklistLook
from app.models.base import utcnow
from app.models.db import Database
from app.rules.wording import join_and
from app.services.access import Actor, PermissionDenied, can_edit_homeroom, require_view_class
from app.services.homeroom import homeroom_overview
from app.services.homeroom_types import LEVEL_LABELS, HomeroomOverview, HomeroomStudent, subject_value_text
from app.services.locking import LockReport, MissingItem, lock_report

PAGE_HOMEROOM = "homeroom"
PAGE_MARKBOOK = "markbook"
# Identification numbers are entered by the admin (student import or profile); until a
# profile page exists, the class page is where a missing number shows.
PAGE_STUDENTS = "classes"

KIND_LABELS: dict[str, str] = {
    "unassigned_subject": "Môn chưa phân công giáo viên",
    "unlocked_subject": "Môn chưa khoá sổ",
    "missing_scores": "Thiếu điểm hoặc đánh giá",
    "missing_conduct": "Thiếu kết quả rèn luyện",
    "missing_national_id": "Chưa có số định danh",
    "summer_pending": "Chờ kết quả sau hè",
    "results_changed": "Kết quả thay đổi từ lần xem trước",
    "missing_year_comment": "Thiếu nhận xét cả năm",
    "missing_subject_comments": "Thiếu nhận xét môn học",
}
# Kinds that stop the homeroom teacher from signing; the others are to look at.
BLOCKING_KINDS = frozenset(
    {"unassigned_subject", "unlocked_subject", "missing_scores", "missing_conduct", "missing_national_id"}
)
_MAX_CHANGES_SHOWN = 4
_RESULT_FIELDS = (
    ("learning_hk1", "Học tập HKI"),
    ("learning_hk2", "Học tập HKII"),
    ("learning_year", "Học tập cả năm"),
    ("learning_after_reassessment", "Học tập sau KT lại"),
    ("conduct_hk1", "Rèn luyện HKI"),
    ("conduct_hk2", "Rèn luyện HKII"),
    ("conduct_year", "Rèn luyện cả năm"),
    ("conduct_after_summer", "Rèn luyện sau hè"),
)


@dataclass(frozen=True)
class ChecklistTarget:
    """Where to fix an item: a page key of the main window and what to select there."""

    page: str
    class_id: int
    subject_id: int | None = None
    student_id: int | None = None
    period: str | None = None  # "1"/"2" (TT22 semester) or a TT27 period code
    field: str | None = None  # a mark book column ("gk", "tx1", "comment"…) or a homeroom field

    def selection(self) -> dict[str, object]:
        """The keyword arguments a page's `show_target` takes (everything but the page)."""
        return {k: v for k, v in asdict(self).items() if v is not None and k != "page"}


@dataclass(frozen=True)
class ChecklistItem:
    kind: str  # see KIND_LABELS
    text: str  # Vietnamese, says what is missing and where
    subject_name: str | None
    student_name: str | None
    student_number: int | None
    target: ChecklistTarget

    @property
    def blocking(self) -> bool:
        return self.kind in BLOCKING_KINDS

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]


@dataclass(frozen=True)
class Checklist:
    class_id: int
    class_name: str
    items: tuple[ChecklistItem, ...]  # blocking first, then by kind, subject and student
    last_looked_at: datetime | None  # None: this person never marked the class as looked at

    @property
    def blocking_count(self) -> int:
        return sum(1 for item in self.items if item.blocking)

    def count(self, kind: str) -> int:
        return sum(1 for item in self.items if item.kind == kind)

    def items_of(self, kind: str) -> tuple[ChecklistItem, ...]:
        return tuple(item for item in self.items if item.kind == kind)


def require_checklist(actor: Actor, class_id: int) -> None:
    require_view_class(actor, class_id)
    if not (can_edit_homeroom(actor, class_id) or actor.sees_whole_school):
        raise PermissionDenied(
            "Chỉ giáo viên chủ nhiệm của lớp và ban giám hiệu xem được danh sách kiểm tra trước khi ký."
        )


def class_checklist(db: Database, actor: Actor, class_id: int) -> Checklist:
    require_checklist(actor, class_id)
    overview = homeroom_overview(db, actor, class_id)
    reports = [lock_report(db, actor, class_id, s.id) for s in overview.subjects]
    with db.read() as s:
        look = s.scalar(
            select(ChecklistLook).where(
                ChecklistLook.class_id == class_id, ChecklistLook.actor_login == actor.login
            )
        )
        stored = (look.looked_at, dict(look.students)) if look else None
    items = _subject_items(overview, reports) + _student_items(overview)
    if stored is not None:
        items += _changed_items(overview, stored[1])
    order = list(KIND_LABELS)
    items.sort(key=lambda i: (not i.blocking, order.index(i.kind), i.student_number or 0))
    return Checklist(
        class_id=class_id,
        class_name=overview.class_name,
        items=tuple(items),
        last_looked_at=stored[0] if stored else None,
    )


def mark_looked(db: Database, actor: Actor, class_id: int) -> datetime:
    """Remember the class's results as this person sees them now."""
    require_checklist(actor, class_id)
    overview = homeroom_overview(db, actor, class_id)
    students = {str(s.student_id): fingerprint(s) for s in overview.students}
    digest = _hash(students)
    now = utcnow()
    with db.write() as s:
        look = s.scalar(
            select(ChecklistLook).where(
                ChecklistLook.class_id == class_id, ChecklistLook.actor_login == actor.login
            )
        )
        if look is None:
            s.add(ChecklistLook(class_id=class_id, actor_login=actor.login, looked_at=now,
                                digest=digest, students=students))
        else:
            look.looked_at, look.digest, look.students = now, digest, students
    return now


# ------------------------------------------------------------------------------ items


def _subject_items(overview: HomeroomOverview, reports: list[LockReport]) -> list[ChecklistItem]:
    items: list[ChecklistItem] = []
    cid = overview.class_id
    for subject, report in zip(overview.subjects, reports, strict=True):
        target = ChecklistTarget(PAGE_MARKBOOK, cid, subject.id)
        if subject.teacher_name is None:
            items.append(ChecklistItem(
                "unassigned_subject",
                f"Môn {subject.name} chưa được phân công giáo viên; cán bộ quản trị cần phân công.",
                subject.name, None, None, target,
            ))
        elif not report.locked:
            state = (
                "đã đủ điểm nhưng chưa khoá sổ" if report.complete
                else f"chưa khoá sổ (còn thiếu {len(report.missing)} mục)"
            )
            items.append(ChecklistItem(
                "unlocked_subject",
                f"Môn {subject.name} ({subject.teacher_name}) {state}.",
                subject.name, None, None, target,
            ))
        items += _missing_items(cid, subject.id, subject.name, report.missing)
        if report.warnings:
            items.append(_comments_item(cid, subject.id, subject.name, report.warnings))
    return items


def _missing_items(
    class_id: int, subject_id: int, subject_name: str, missing: tuple[MissingItem, ...]
) -> list[ChecklistItem]:
    """One item per student of the subject, listing every gap, pointing at the first."""
    by_student: dict[int, list[MissingItem]] = {}
    for m in missing:
        by_student.setdefault(m.student_id, []).append(m)
    items = []
    for gaps in by_student.values():
        first = gaps[0]
        target = ChecklistTarget(
            PAGE_MARKBOOK, class_id, subject_id, first.student_id, first.period, first.column
        )
        text = f"Môn {subject_name}: em {first.student_name} {'; '.join(g.what for g in gaps)}."
        items.append(
            ChecklistItem("missing_scores", text, subject_name, first.student_name, first.number, target)
        )
    return items


def _comments_item(
    class_id: int, subject_id: int, subject_name: str, warnings: tuple[MissingItem, ...]
) -> ChecklistItem:
    students: dict[int, MissingItem] = {}
    for w in warnings:
        students.setdefault(w.student_id, w)
    first = next(iter(students.values()))
    names = join_and(f"{w.student_name} ({w.number})" for w in students.values())
    return ChecklistItem(
        "missing_subject_comments",
        f"Môn {subject_name}: {len(students)} học sinh chưa có nhận xét của giáo viên bộ môn: {names}.",
        subject_name, None, first.number,
        ChecklistTarget(PAGE_MARKBOOK, class_id, subject_id, first.student_id, first.period, first.column),
    )


def _student_item(
    overview: HomeroomOverview, s: HomeroomStudent, kind: str, text: str,
    page: str = PAGE_HOMEROOM, field: str | None = None,
) -> ChecklistItem:
    target = ChecklistTarget(page, overview.class_id, None, s.student_id, None, field)
    return ChecklistItem(kind, text, None, s.full_name, s.number, target)


def _student_items(overview: HomeroomOverview) -> list[ChecklistItem]:
    items: list[ChecklistItem] = []
    for s in overview.students:
        if s.provisional_id:
            items.append(_student_item(
                overview, s, "missing_national_id",
                f"Em {s.full_name} chưa có số định danh cá nhân; cán bộ quản trị cần bổ sung.", PAGE_STUDENTS,
            ))
        if not overview.is_primary and not s.not_assessed:
            conduct = (("conduct_hk1", s.conduct_hk1), ("conduct_hk2", s.conduct_hk2))
            missing = [f for f, v in conduct if v is None]
            if missing:
                words = join_and("học kì I" if f == "conduct_hk1" else "học kì II" for f in missing)
                items.append(_student_item(
                    overview, s, "missing_conduct", f"Em {s.full_name} chưa có kết quả rèn luyện {words}.",
                    field=missing[0],
                ))
        if not s.year_comment:
            items.append(_student_item(
                overview, s, "missing_year_comment",
                f"Em {s.full_name} chưa có nhận xét cả năm của giáo viên chủ nhiệm.", field="year_comment",
            ))
        if s.promotion in ("ren_luyen_he", "kiem_tra_lai"):
            if s.promotion == "ren_luyen_he":
                what = "rèn luyện lại trong hè"
            else:
                waiting = (x.name for x in s.reassessment_subjects if x.reassessment is None)
                what = "kiểm tra lại " + join_and(waiting)
            items.append(_student_item(
                overview, s, "summer_pending",
                f"Em {s.full_name} còn chờ kết quả {what}; có thể ký cho cả lớp trước, em ký sau.",
                field="summer",
            ))
    return items


# --------------------------------------------------------------------- changed results


def fingerprint(s: HomeroomStudent) -> dict[str, object]:
    """What a person looking at the class sees of one student's results, and its hash."""
    values: dict[str, str] = {}
    for line in s.subjects:
        for term, label in (("hk1", "HKI"), ("hk2", "HKII"), ("year", "cả năm"), ("reassessment", "KT lại")):
            text = subject_value_text(getattr(line, term))
            if text:
                values[f"{line.name} {label}"] = text
    for field, label in _RESULT_FIELDS:
        code = getattr(s, field)
        if code:
            values[label] = LEVEL_LABELS.get(code, code)
    values["Số buổi nghỉ"] = str(s.sessions_absent)
    values["Lên lớp"] = s.promotion_label
    values["Danh hiệu"] = s.title_label or "không"
    return {"hash": _hash(values), "values": values}


def _hash(value: object) -> str:
    return hashlib.sha256(json.dumps(value, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()


def _changed_items(overview: HomeroomOverview, stored: dict[str, dict[str, object]]) -> list[ChecklistItem]:
    items = []
    for s in overview.students:
        now = fingerprint(s)
        before = stored.get(str(s.student_id))
        if before is not None and before.get("hash") == now["hash"]:
            continue
        if before is None:
            text = f"Em {s.full_name} mới có trong lớp từ lần xem trước."
        else:
            old = before.get("values") or {}
            new = now["values"]
            assert isinstance(old, dict) and isinstance(new, dict)
            changes = [
                f"{k}: {old.get(k, '—')} → {new.get(k, '—')}"
                for k in list(new) + [k for k in old if k not in new]
                if old.get(k) != new.get(k)
            ]
            shown = "; ".join(changes[:_MAX_CHANGES_SHOWN])
            more = len(changes) - _MAX_CHANGES_SHOWN
            text = f"Kết quả của em {s.full_name} đã thay đổi: {shown}" + (
                f" và {more} thay đổi khác." if more > 0 else "."
            )
        items.append(ChecklistItem(
            "results_changed", text, None, s.full_name, s.number,
            ChecklistTarget(PAGE_HOMEROOM, overview.class_id, None, s.student_id),
        ))
    return items
