"""Column descriptions for the homeroom page: the class grid (conduct and absences are
edited in place), the summer results, the hand-in lists and the pre-sign checklist."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QColor, QFont

from app.i18n import _
from app.services.checklist import ChecklistItem
from app.services.class_lists import ClassList, ListEntry
from app.services.class_results import PRIMARY_RESULT_LABELS
from app.services.homeroom import CONDUCT_CODES, LEVEL_LABELS, HomeroomStudent, SummerEntry
from app.ui import theme
from app.ui.formatting import NO_VALUE, format_date
from app.ui.itemmodels.dataclass_table import ALIGN_CENTER, ALIGN_RIGHT, Column
from app.ui.itemmodels.editable_table import Edit, EditColumn

_BACKGROUND_BY_PROMOTION = {
    "o_lai": theme.NOT_PROMOTED_BG,
    "kiem_tra_lai": theme.REASSESSMENT_BG,
    "ren_luyen_he": theme.SUMMER_TRAINING_BG,
}
EDITABLE_BG = QColor("#ffffff")
CONDUCT_CHOICES: tuple[tuple[str, str], ...] = (
    ("", _("(chưa nhập)")),
    *((code, _(LEVEL_LABELS[code])) for code in CONDUCT_CODES),
)
PASS_CHOICES: tuple[tuple[str, str], ...] = (("", _("(chưa nhập)")), ("Đ", _("Đạt")), ("CĐ", _("Chưa đạt")))


def level_text(code: str | None) -> str:
    return _(LEVEL_LABELS[code]) if code in LEVEL_LABELS else NO_VALUE


def _level_getter(field: str) -> Callable[[HomeroomStudent], str]:
    def text(row: HomeroomStudent) -> str:
        return level_text(getattr(row, field))

    return text


def _bg(row: HomeroomStudent) -> QColor | None:
    return _BACKGROUND_BY_PROMOTION.get(row.promotion or "")


def _bold(_row: object) -> QFont:
    font = QFont()
    font.setBold(True)
    return font


def _problem_tip(row: HomeroomStudent) -> str | None:
    return _("Chưa đủ dữ liệu: {problem}").format(problem=row.problem) if row.problem else None


def _learning_year(row: HomeroomStudent) -> str:
    if row.learning_after_reassessment:
        return f"{level_text(row.learning_year)} → {level_text(row.learning_after_reassessment)}"
    return level_text(row.learning_year)


def _conduct_year(row: HomeroomStudent) -> str:
    if row.conduct_after_summer:
        return f"{level_text(row.conduct_year)} → {level_text(row.conduct_after_summer)}"
    return level_text(row.conduct_year)


_SHORT_PROMOTION = {"ren_luyen_he": "Rèn luyện hè"}
_SHORT_TITLE = {"xuat_sac": "Xuất sắc", "gioi": "Giỏi"}


def _short_promotion(row: HomeroomStudent) -> str:
    # The table is narrow; the tooltip and the "Vì sao?" panel give the full wording.
    return _(_SHORT_PROMOTION.get(row.promotion or "", row.promotion_label))


def _short_title(row: HomeroomStudent) -> str:
    return _(_SHORT_TITLE[row.title]) if row.title in _SHORT_TITLE else ""


def _promotion_font(row: HomeroomStudent) -> QFont | None:
    return _bold(row) if row.problem or row.promotion in _BACKGROUND_BY_PROMOTION else None


def _promotion_fg(row: HomeroomStudent) -> QColor | None:
    return theme.WARNING_TEXT if row.problem else None


def _conduct_edit(period: str) -> Edit:
    return Edit(
        key=f"conduct:{period}",
        value=lambda r: getattr(r, f"conduct_{period}") or "",
        choices=lambda _r: CONDUCT_CHOICES,
        enabled=lambda r: not r.not_assessed,
    )


def _absence_edit(semester: int, which: str) -> Edit:
    index = 0 if which == "excused" else 1
    return Edit(key=f"absent:{semester}:{which}", value=lambda r: r.absent(semester)[index], editor="count")


def attendance_columns() -> tuple[Column, ...]:
    """The attendance grid: sessions absent per semester, with and without permission."""
    return (
        Column(_("STT"), lambda r: str(r.number), ALIGN_RIGHT),
        Column(_("Họ và tên"), lambda r: r.full_name, font=_bold),
        _absence_column(1, "excused"),
        _absence_column(1, "unexcused"),
        _absence_column(2, "excused"),
        _absence_column(2, "unexcused"),
        Column(_("Cả năm"), lambda r: str(r.sessions_absent), ALIGN_RIGHT, foreground=_over_limit_fg,
               font=lambda r: _bold(r) if r.sessions_absent > ABSENCE_LIMIT else None,
               header_tooltip=_("Tổng số buổi nghỉ cả năm; quá 45 buổi thì ở lại lớp (Thông tư 22).")),
        Column(_("Lên lớp"), lambda r: r.promotion_label, background=_bg, font=_promotion_font),
    )


ABSENCE_LIMIT = 45


def _over_limit_fg(row: HomeroomStudent) -> QColor | None:
    return QColor("#8b1a1a") if row.sessions_absent > ABSENCE_LIMIT else None


def _absence_column(semester: int, which: str) -> EditColumn:
    index = 0 if which == "excused" else 1
    term = "HKI" if semester == 1 else "HKII"
    kind = _("có phép") if which == "excused" else _("không phép")
    return EditColumn(
        _("Nghỉ {term} {kind}").format(term=term, kind=kind),
        lambda r: str(r.absent(semester)[index]),
        ALIGN_RIGHT,
        header_tooltip=_("Số buổi nghỉ học {term}, {kind}. Gõ số hoặc bấm đúp để sửa.").format(
            term=term, kind=kind
        ),
        header_display=_("{term}\n{kind}").format(term=term, kind=kind),
        edit=_absence_edit(semester, which),
    )


def homeroom_columns(primary: bool) -> tuple[Column, ...]:
    tip = _problem_tip
    columns: list[Column] = [
        Column(_("STT"), lambda r: str(r.number), ALIGN_RIGHT, tip, _bg),
        Column(_("Họ và tên"), lambda r: r.full_name, tooltip=tip, background=_bg, font=_bold),
    ]
    if primary:
        columns.append(
            Column(
                _("Kết quả giáo dục"),
                lambda r: _(PRIMARY_RESULT_LABELS.get(r.learning_year or "", NO_VALUE)),
                ALIGN_CENTER, tip, _bg, header_display=_("Kết quả\ngiáo dục"),
            )
        )
    else:
        for term, label in (("hk1", "HKI"), ("hk2", "HKII")):
            columns.append(Column(
                _("Học tập {term}").format(term=label),
                _level_getter(f"learning_{term}"),
                ALIGN_CENTER, tip, _bg,
                header_tooltip=_("Kết quả học tập {term}.").format(term=label),
                header_display=_("Học tập\n{term}").format(term=label),
            ))
        columns.append(Column(
            _("Học tập cả năm"), _learning_year, ALIGN_CENTER, tip, _bg,
            header_tooltip=_("Kết quả học tập cả năm (→ sau kiểm tra lại, nếu có)."),
            header_display=_("Học tập\ncả năm"),
        ))
        for period, label in (("hk1", "HKI"), ("hk2", "HKII")):
            columns.append(EditColumn(
                _("Rèn luyện {term}").format(term=label),
                _level_getter(f"conduct_{period}"),
                ALIGN_CENTER,
                background=_bg,
                header_tooltip=_("Kết quả rèn luyện {term}: bấm đúp vào ô để chọn.").format(term=label),
                header_display=_("Rèn luyện\n{term}").format(term=label),
                edit=_conduct_edit(period),
            ))
        columns.append(Column(
            _("Rèn luyện cả năm"), _conduct_year, ALIGN_CENTER, tip, _bg,
            header_tooltip=_("Kết quả rèn luyện cả năm (→ sau rèn luyện hè, nếu có)."),
            header_display=_("Rèn luyện\ncả năm"),
        ))
    columns += [
        Column(_("Tổng số buổi nghỉ"), lambda r: str(r.sessions_absent), ALIGN_RIGHT, tip, _bg,
               header_tooltip=_("Cả năm, có phép và không phép; nhập ở thẻ “Chuyên cần”."),
               header_display=_("Số buổi\nnghỉ")),
        Column(
            _("Hoàn thành chương trình") if primary else _("Lên lớp"),
            _short_promotion, tooltip=lambda r: tip(r) or r.promotion_label, background=_bg,
            foreground=_promotion_fg, font=_promotion_font,
            header_display=_("Hoàn thành\nchương trình") if primary else None,
        ),
        Column(_("Danh hiệu"), _short_title, tooltip=lambda r: tip(r) or r.title_label, background=_bg,
               header_tooltip=_("Học sinh Xuất sắc hoặc Học sinh Giỏi (Thông tư 22, Điều 15).")),
    ]
    return tuple(columns)


# -- summer results ------------------------------------------------------------------------


def _summer_choices(entry: SummerEntry) -> tuple[tuple[str, str], ...]:
    if entry.subject_kind == "score":
        return ()  # typed: a score from 0 to 10
    return CONDUCT_CHOICES if entry.subject_kind == "conduct" else PASS_CHOICES


def _summer_value_text(entry: SummerEntry) -> str:
    if entry.value is None:
        return _("(chưa nhập)")
    if entry.subject_kind == "score":
        return entry.value.replace(".", ",")
    return level_text(entry.value)


def _summer_edit_value(entry: SummerEntry) -> str:
    value = entry.value or ""
    return value.replace(".", ",") if entry.subject_kind == "score" else value


def _summer_bg(entry: SummerEntry) -> QColor | None:
    return theme.REASSESSMENT_BG if entry.value is None else None


SUMMER_COLUMNS: tuple[Column, ...] = (
    Column(_("STT"), lambda e: str(e.number), ALIGN_RIGHT),
    Column(_("Họ và tên"), lambda e: e.full_name, font=_bold),
    Column(_("Diện"), lambda e: _("Rèn luyện hè") if e.kind == "conduct" else _("Kiểm tra lại")),
    Column(_("Nội dung"), lambda e: e.subject_name),
    Column(_("Kết quả cả năm"), lambda e: e.before, ALIGN_CENTER,
           header_tooltip=_("Kết quả cả năm đã đưa học sinh vào diện này (rèn luyện cả năm, ĐTBmcn).")),
    EditColumn(
        _("Kết quả sau hè"), _summer_value_text, ALIGN_CENTER,
        background=_summer_bg, font=_bold,
        header_tooltip=_("Nhập kết quả rèn luyện được đánh giá lại, hoặc điểm kiểm tra lại (ví dụ 6,5; môn "
                         "đánh giá bằng nhận xét: Đạt/Chưa đạt)."),
        edit=Edit(
            key="summer",
            value=_summer_edit_value,
            choices=_summer_choices,
        ),
    ),
    Column(_("Quyết định"), lambda e: e.promotion_label, font=_bold),
)
"""The summer table; the editor is a combo box except for scores (typed)."""


# -- hand-in lists ---------------------------------------------------------------------------


def list_columns(class_list: ClassList) -> tuple[Column, ...]:
    columns = [
        Column(_("STT"), lambda e: str(e.number), ALIGN_RIGHT),
        Column(_("Họ và tên"), lambda e: e.full_name, font=_bold),
        Column(_("Ngày sinh"), lambda e: format_date(e.date_of_birth), ALIGN_CENTER),
        Column(_("Giới tính"), lambda e: e.sex, ALIGN_CENTER),
    ]
    for i, header in enumerate(class_list.extra_headers):
        # "Các môn kiểm tra lại (ĐTBmcn)" on two lines, so the column can stay narrow.
        shown = _(header).replace(" (", "\n(")
        columns.append(Column(_(header), _cell_getter(i), header_display=shown))
    return tuple(columns)


def _cell_getter(i: int) -> Callable[[ListEntry], str]:
    def cell(entry: ListEntry) -> str:
        return entry.cells[i] if i < len(entry.cells) else ""

    return cell


# -- pre-sign checklist ------------------------------------------------------------------------

PAGE_NAMES = {"markbook": "Sổ điểm", "homeroom": "Chủ nhiệm", "classes": "Lớp học"}


def link_text(item: ChecklistItem) -> str:
    page = _(PAGE_NAMES.get(item.target.page, item.target.page))
    where = item.subject_name or item.student_name or ""
    return f"{page} › {where}" if where else page


def _severity_fg(item: ChecklistItem) -> QColor | None:
    return QColor("#8b1a1a") if item.blocking else theme.MUTED_TEXT


def _link_fg(_item: ChecklistItem) -> QColor:
    return QColor(theme.ACCENT)


def _link_font(_item: ChecklistItem) -> QFont:
    font = QFont()
    font.setUnderline(True)
    return font


CHECKLIST_COLUMNS: tuple[Column, ...] = (
    Column(_("Mức"), lambda i: _("Cần sửa") if i.blocking else _("Nên xem"), ALIGN_CENTER,
           foreground=_severity_fg, font=lambda i: _bold(i) if i.blocking else None,
           header_tooltip=_("“Cần sửa”: phải xong trước khi ký; “Nên xem”: kiểm tra lại cho chắc.")),
    Column(_("Loại"), lambda i: _(i.kind_label)),
    Column(_("Nội dung"), lambda i: i.text, tooltip=lambda i: i.text),
    Column(_("Sửa ở đâu"), link_text, foreground=_link_fg, font=_link_font,
           tooltip=lambda i: _("Bấm đúp (hoặc Enter) để mở đúng chỗ cần sửa.")),
)
"""The checklist table; the last column reads as a link and activating a row follows it."""
