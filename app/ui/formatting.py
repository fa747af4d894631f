"""Small pure helpers that turn service values into the words a screen shows (no Qt)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from app.i18n import _
from app.services.class_results import TITLE_LABELS, ClassSummary, StudentResultRow

NO_VALUE = "—"


def format_date(value: date | None) -> str:
    """Vietnamese order, day first: 05/09/2012."""
    return value.strftime("%d/%m/%Y") if value else ""


def format_year(name: str) -> str:
    """School years are stored as "2024-2025" and written with an en dash: "2024–2025"."""
    return name.replace("-", "–")


def class_label(summary: ClassSummary) -> str:
    teacher = summary.homeroom_name or _("chưa có GVCN")
    return _("Lớp {name} · GVCN: {teacher} · {count} học sinh").format(
        name=summary.name, teacher=teacher, count=summary.student_count
    )


def is_incomplete(row: StudentResultRow) -> bool:
    return row.problem is not None


def is_not_assessed(row: StudentResultRow) -> bool:
    return row.problem is None and row.promotion is None


def counts_line(rows: Iterable[StudentResultRow], level: str = "thcs") -> str:
    """The counts line, e.g. "40 học sinh · 5 Học sinh Xuất sắc · 9 Học sinh Giỏi · …".

    Categories with nobody in them are left out, so the line stays short.
    """
    rows = tuple(rows)
    excellent = sum(1 for r in rows if r.title == TITLE_LABELS["xuat_sac"])
    good = sum(1 for r in rows if r.title == TITLE_LABELS["gioi"])
    by_promotion = {
        code: sum(1 for r in rows if r.promotion == code)
        for code in ("kiem_tra_lai", "ren_luyen_he", "o_lai")
    }
    incomplete = sum(1 for r in rows if is_incomplete(r))
    not_assessed = sum(1 for r in rows if is_not_assessed(r))
    parts = [_("{n} học sinh").format(n=len(rows))]
    optional = (
        (excellent, _("{n} Học sinh Xuất sắc")),
        (good, _("{n} Học sinh Giỏi")),
        (by_promotion["kiem_tra_lai"], _("{n} kiểm tra lại")),
        (by_promotion["ren_luyen_he"], _("{n} rèn luyện hè")),
        # Primary (TT27) speaks of completing the grade's programme, not of promotion.
        (by_promotion["o_lai"], _("{n} chưa hoàn thành") if level == "tieuhoc" else _("{n} ở lại lớp")),
        (not_assessed, _("{n} miễn đánh giá")),
        (incomplete, _("{n} chưa đủ dữ liệu")),
    )
    parts.extend(text.format(n=n) for n, text in optional if n)
    return " · ".join(parts)
