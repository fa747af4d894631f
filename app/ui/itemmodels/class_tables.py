"""Column descriptions for the class page: the class list and the student results table."""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont

from app.i18n import _
from app.services.class_results import StudentResultRow
from app.ui import theme
from app.ui.formatting import NO_VALUE, class_label, format_date, is_incomplete
from app.ui.itemmodels.dataclass_table import ALIGN_CENTER, ALIGN_RIGHT, Column

# -- the class list (a combo box shows the first column) --------------------------------

CLASS_COLUMNS: tuple[Column, ...] = (
    Column(_("Lớp"), class_label),
    Column(_("Tên lớp"), lambda c: c.name),
    Column(_("Giáo viên chủ nhiệm"), lambda c: c.homeroom_name or ""),
    Column(_("Sĩ số"), lambda c: str(c.student_count), ALIGN_RIGHT),
)


# -- the students of one class ------------------------------------------------------------

_BACKGROUND_BY_PROMOTION = {
    "o_lai": theme.NOT_PROMOTED_BG,
    "kiem_tra_lai": theme.REASSESSMENT_BG,
    "ren_luyen_he": theme.SUMMER_TRAINING_BG,
}


def _background(row: StudentResultRow) -> QColor | None:
    return _BACKGROUND_BY_PROMOTION.get(row.promotion or "")


def _problem_tooltip(row: StudentResultRow) -> str | None:
    if row.problem:
        return _("Chưa đủ dữ liệu: {problem}").format(problem=row.problem)
    return None


def _national_id_text(row: StudentResultRow) -> str:
    if row.provisional_id or not row.national_id_masked:
        return _("Chưa có")
    return row.national_id_masked


def _national_id_tooltip(row: StudentResultRow) -> str | None:
    if row.provisional_id or not row.national_id_masked:
        return _(
            "Học sinh chưa có số định danh cá nhân (mã số do Bộ Công an cấp). "
            "Cần bổ sung trước khi ký học bạ."
        )
    return _("Chỉ hiện 4 số cuối để bảo vệ thông tin cá nhân.")


def _national_id_foreground(row: StudentResultRow) -> QColor | None:
    return theme.WARNING_TEXT if row.provisional_id or not row.national_id_masked else None


def _bold_font(_row: StudentResultRow) -> QFont:
    font = QFont()
    font.setBold(True)
    return font


def _warning_font(row: StudentResultRow) -> QFont | None:
    if row.provisional_id or not row.national_id_masked:
        font = QFont()
        font.setBold(True)
        return font
    return None


def _promotion_font(row: StudentResultRow) -> QFont | None:
    # The decisions a teacher must act on stand out in bold as well as by colour.
    if is_incomplete(row) or row.promotion in _BACKGROUND_BY_PROMOTION:
        font = QFont()
        font.setBold(True)
        return font
    return None


def _primary_completion(row: StudentResultRow) -> str:
    # The full wording ("Hoàn thành chương trình lớp học") would take a third of the
    # table; the header says what is completed, the tooltip and the panel say it whole.
    if row.promotion == "len_lop":
        return _("Hoàn thành")
    if row.promotion == "o_lai":
        return _("Chưa hoàn thành")
    return row.promotion_label


def _primary_completion_tooltip(row: StudentResultRow) -> str | None:
    return _problem_tooltip(row) or row.promotion_label


def _muted_when_incomplete(row: StudentResultRow) -> QColor | None:
    return theme.WARNING_TEXT if is_incomplete(row) else None


def student_columns(level: str) -> tuple[Column, ...]:
    """The student table's columns; primary classes (TT27) have no conduct column.

    Long headers wrap onto two lines (`header_display`) so all ten columns fit a
    1280-pixel window at the comfortable font size.
    """
    bg = _background
    tip = _problem_tooltip
    primary = level == "tieuhoc"
    learning = _("Kết quả giáo dục") if primary else _("Kết quả học tập")
    columns = [
        Column(_("STT"), lambda r: str(r.number), ALIGN_RIGHT, tip, bg),
        Column(_("Họ và tên"), lambda r: r.full_name, tooltip=tip, background=bg, font=_bold_font),
        Column(
            _("Giới tính"),
            lambda r: r.sex,
            ALIGN_CENTER,
            tip,
            bg,
            header_display=_("Giới\ntính"),
        ),
        Column(_("Ngày sinh"), lambda r: format_date(r.date_of_birth), ALIGN_CENTER, tip, bg),
        Column(
            _("Số định danh"),
            _national_id_text,
            ALIGN_CENTER,
            _national_id_tooltip,
            bg,
            _national_id_foreground,
            _warning_font,
            header_tooltip=_("Số định danh cá nhân; chỉ hiện 4 số cuối."),
            header_display=_("Số định\ndanh"),
        ),
        Column(
            learning,
            lambda r: r.learning or NO_VALUE,
            ALIGN_CENTER,
            tip,
            bg,
            header_tooltip=_("{what} cả năm.").format(what=learning),
            header_display=_("Kết quả\ngiáo dục") if primary else _("Kết quả\nhọc tập"),
        ),
    ]
    if not primary:
        columns.append(
            Column(
                _("Rèn luyện"),
                lambda r: r.conduct or NO_VALUE,
                ALIGN_CENTER,
                tip,
                bg,
                header_tooltip=_("Kết quả rèn luyện cả năm (hạnh kiểm)."),
                header_display=_("Rèn\nluyện"),
            )
        )
    columns += [
        Column(
            _("Số buổi nghỉ"),
            lambda r: str(r.sessions_absent),
            ALIGN_RIGHT,
            tip,
            bg,
            header_tooltip=_("Số buổi nghỉ học cả năm, có phép và không phép."),
            header_display=_("Số buổi\nnghỉ"),
        ),
        Column(
            _("Hoàn thành chương trình") if primary else _("Lên lớp"),
            _primary_completion if primary else (lambda r: r.promotion_label),
            tooltip=_primary_completion_tooltip if primary else tip,
            background=bg,
            foreground=_muted_when_incomplete,
            font=_promotion_font,
            header_display=_("Hoàn thành\nchương trình") if primary else None,
        ),
        Column(_("Danh hiệu"), lambda r: r.title or "", tooltip=tip, background=bg),
    ]
    return tuple(columns)
