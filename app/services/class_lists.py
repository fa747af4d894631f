"""The lists a homeroom teacher hands in at the end of the year, built from the class
overview: promoted, not promoted (with the reason), re-assessment (with the subjects),
summer training, Học sinh Xuất sắc and Học sinh Giỏi (primary: completed, not completed,
Học sinh Xuất sắc).

`class_lists` returns them as frozen dataclasses; `export_xlsx` writes them to a workbook
(one sheet per list, laid out to print on A4 as handed in), and `lists_html` to the HTML
the screen prints through Qt's print dialog. Printing goes through Qt rather than a PDF
made here because the teacher then gets the system's printer choice and a preview in one
dialog (and "Save as PDF" from the same place), and the text uses the shipped Noto font
with no font embedding of our own to get right.
"""

from __future__ import annotations

import contextlib
import html
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from app.errors import UserFacingError
from app.models.db import Database
from app.rules.wording import join_and
from app.services.access import Actor
from app.services.class_results import PRIMARY_RESULT_LABELS
from app.services.homeroom import homeroom_overview
from app.services.homeroom_types import LEVEL_LABELS, HomeroomOverview, HomeroomStudent, subject_value_text

SEX_LABELS = {0: "", 1: "Nam", 2: "Nữ"}

# Kinds, in the order the lists are shown and exported.
SECONDARY_KINDS = ("len_lop", "o_lai", "kiem_tra_lai", "ren_luyen_he", "xuat_sac", "gioi")
PRIMARY_KINDS = ("hoan_thanh", "chua_hoan_thanh", "xuat_sac")


@dataclass(frozen=True)
class ListEntry:
    student_id: int
    number: int  # position in this list, from 1
    class_number: int  # STT in the class list
    full_name: str
    date_of_birth: date
    sex: str
    cells: tuple[str, ...]  # one per `ClassList.extra_headers`


@dataclass(frozen=True)
class ClassList:
    kind: str
    title: str  # "Danh sách học sinh được lên lớp"
    short_title: str  # tab and sheet name, at most 31 characters
    school_name: str
    class_name: str
    year_name: str
    homeroom_name: str | None
    extra_headers: tuple[str, ...]
    entries: tuple[ListEntry, ...]
    # Said under every list while some students cannot be decided yet.
    note: str | None


@dataclass(frozen=True)
class _Spec:
    title: str
    short_title: str
    headers: tuple[str, ...]
    member: Callable[[HomeroomStudent], bool]
    cells: Callable[[HomeroomStudent], tuple[str, ...]]


def class_lists(db: Database, actor: Actor, class_id: int) -> tuple[ClassList, ...]:
    return build_lists(homeroom_overview(db, actor, class_id))


def build_lists(overview: HomeroomOverview) -> tuple[ClassList, ...]:
    specs = _PRIMARY_SPECS if overview.is_primary else _SECONDARY_SPECS
    undecided = [s for s in overview.students if s.problem is not None]
    note = None
    if undecided:
        names = join_and(f"{s.full_name} (STT {s.number})" for s in undecided)
        note = (
            f"Danh sách chưa đầy đủ: còn {len(undecided)} học sinh chưa đủ dữ liệu để xét ({names})."
        )
    lists = []
    for kind, spec in specs.items():
        members = [s for s in overview.students if s.problem is None and spec.member(s)]
        entries = tuple(
            ListEntry(
                student_id=s.student_id,
                number=i,
                class_number=s.number,
                full_name=s.full_name,
                date_of_birth=s.date_of_birth,
                sex=SEX_LABELS.get(s.sex, ""),
                cells=spec.cells(s),
            )
            for i, s in enumerate(members, start=1)
        )
        lists.append(
            ClassList(
                kind=kind,
                title=spec.title,
                short_title=spec.short_title,
                school_name=overview.school_name,
                class_name=overview.class_name,
                year_name=overview.year_name,
                homeroom_name=overview.homeroom_name,
                extra_headers=spec.headers,
                entries=entries,
                note=note,
            )
        )
    return tuple(lists)


# ------------------------------------------------------------------------------ cells


def _label(code: str | None) -> str:
    return LEVEL_LABELS.get(code or "", "")


def _final_learning(s: HomeroomStudent) -> str:
    return _label(s.learning_after_reassessment or s.learning_year)


def _final_conduct(s: HomeroomStudent) -> str:
    return _label(s.conduct_after_summer or s.conduct_year)


def _promoted_note(s: HomeroomStudent) -> str:
    if s.decided_by == "summer":
        return "Sau rèn luyện hè"
    if s.decided_by == "reassessment":
        return "Sau kiểm tra lại"
    return ""


def _not_promoted_reason(s: HomeroomStudent) -> str:
    if s.decided_by == "absence":
        return f"Nghỉ {s.sessions_absent} buổi, quá 45 buổi"
    if s.decided_by == "both_failed":
        return "Rèn luyện và học tập cả năm đều Chưa đạt"
    if s.decided_by == "summer":
        return "Sau rèn luyện hè, rèn luyện vẫn Chưa đạt"
    if s.decided_by == "reassessment":
        return "Sau kiểm tra lại, học tập vẫn Chưa đạt"
    return ""


def _reassessment_subjects(s: HomeroomStudent) -> str:
    return "; ".join(f"{x.name} ({subject_value_text(x.year)})" for x in s.reassessment_subjects)


def _reassessment_results(s: HomeroomStudent) -> str:
    done = [x for x in s.reassessment_subjects if x.reassessment is not None]
    return "; ".join(f"{x.name} {subject_value_text(x.reassessment)}" for x in done)


def _decision(s: HomeroomStudent) -> str:
    return s.promotion_label


_SECONDARY_SPECS: dict[str, _Spec] = {
    "len_lop": _Spec(
        "Danh sách học sinh được lên lớp", "Lên lớp",
        ("Học tập", "Rèn luyện", "Ghi chú"),
        lambda s: s.promotion == "len_lop",
        lambda s: (_final_learning(s), _final_conduct(s), _promoted_note(s)),
    ),
    "o_lai": _Spec(
        "Danh sách học sinh không được lên lớp (ở lại lớp)", "Ở lại lớp",
        ("Học tập", "Rèn luyện", "Lí do"),
        lambda s: s.promotion == "o_lai",
        lambda s: (_final_learning(s), _final_conduct(s), _not_promoted_reason(s)),
    ),
    "kiem_tra_lai": _Spec(
        "Danh sách học sinh phải kiểm tra lại trong hè", "Kiểm tra lại",
        ("Các môn kiểm tra lại (ĐTBmcn)", "Kết quả kiểm tra lại", "Quyết định"),
        lambda s: s.in_reassessment,
        lambda s: (_reassessment_subjects(s), _reassessment_results(s), _decision(s)),
    ),
    "ren_luyen_he": _Spec(
        "Danh sách học sinh phải rèn luyện trong hè", "Rèn luyện hè",
        ("Rèn luyện cả năm", "Rèn luyện sau hè", "Quyết định"),
        lambda s: s.in_summer_training,
        lambda s: (_label(s.conduct_year), _label(s.conduct_after_summer), _decision(s)),
    ),
    "xuat_sac": _Spec(
        "Danh sách Học sinh Xuất sắc", "Học sinh Xuất sắc",
        ("Học tập", "Rèn luyện"),
        lambda s: s.title == "xuat_sac",
        lambda s: (_label(s.learning_year), _label(s.conduct_year)),
    ),
    "gioi": _Spec(
        "Danh sách Học sinh Giỏi", "Học sinh Giỏi",
        ("Học tập", "Rèn luyện"),
        lambda s: s.title == "gioi",
        lambda s: (_label(s.learning_year), _label(s.conduct_year)),
    ),
}


def _primary_result(s: HomeroomStudent) -> str:
    return PRIMARY_RESULT_LABELS.get(s.learning_year or "", "")


_PRIMARY_SPECS: dict[str, _Spec] = {
    "hoan_thanh": _Spec(
        "Danh sách học sinh hoàn thành chương trình lớp học", "Hoàn thành",
        ("Kết quả giáo dục",),
        lambda s: s.promotion == "len_lop",
        lambda s: (_primary_result(s),),
    ),
    "chua_hoan_thanh": _Spec(
        "Danh sách học sinh chưa hoàn thành chương trình lớp học", "Chưa hoàn thành",
        ("Kết quả giáo dục",),
        lambda s: s.promotion == "o_lai",
        lambda s: (_primary_result(s),),
    ),
    "xuat_sac": _Spec(
        "Danh sách Học sinh Xuất sắc", "Học sinh Xuất sắc",
        ("Kết quả giáo dục",),
        lambda s: s.title == "xuat_sac",
        lambda s: (_primary_result(s),),
    ),
}


# ------------------------------------------------------------------------------ export

BASE_HEADERS = ("STT", "Họ và tên", "Ngày sinh", "Giới tính")
_THIN = Side(style="thin", color="000000")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_FILL = PatternFill("solid", fgColor="E8EEF5")
_HEADER_ROW = 5
_INVALID_SHEET_CHARS = str.maketrans({c: " " for c in "[]:*?/\\"})


def default_file_name(lists: Sequence[ClassList]) -> str:
    first = lists[0] if lists else None
    if first is None:
        return "Danh sách lớp.xlsx"
    return f"Danh sách lớp {first.class_name} năm học {first.year_name}.xlsx"


def export_xlsx(lists: Sequence[ClassList], path: Path | str) -> Path:
    """Write every list to its own sheet of one workbook; the file appears whole or not at all."""
    if not lists:
        raise UserFacingError("Không có danh sách nào để xuất.")
    path = Path(path)
    workbook = Workbook()
    default = workbook.active
    used: set[str] = set()
    for cl in lists:
        sheet = workbook.create_sheet(_sheet_name(cl.short_title, used))
        _fill_sheet(sheet, cl)
    if default is not None:
        workbook.remove(default)
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        workbook.save(temporary)
        os.replace(temporary, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
        raise UserFacingError(
            f"Không ghi được tệp “{path.name}”: {exc.strerror or exc}. Nếu tệp đang mở trong Excel, "
            "hãy đóng tệp rồi thử lại; hoặc chọn thư mục khác."
        ) from exc
    return path


def _sheet_name(title: str, used: set[str]) -> str:
    base = title.translate(_INVALID_SHEET_CHARS).strip()[:31] or "Danh sách"
    name, n = base, 2
    while name in used:
        suffix = f" ({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(name)
    return name


def _fill_sheet(ws: Worksheet, cl: ClassList) -> None:
    headers = BASE_HEADERS + cl.extra_headers
    last_col = len(headers)
    last_letter = get_column_letter(last_col)
    ws["A1"] = cl.school_name
    ws["A1"].font = Font(bold=True)
    ws["A2"] = cl.title.upper()
    ws["A2"].font = Font(bold=True, size=14)
    ws["A3"] = _subtitle(cl)
    for row in (2, 3):
        ws.merge_cells(f"A{row}:{last_letter}{row}")
        ws[f"A{row}"].alignment = Alignment(horizontal="center")
    for col, header in enumerate(headers, start=1):
        cell = ws.cell(row=_HEADER_ROW, column=col, value=header)
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
        cell.border = _BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    row = _HEADER_ROW + 1
    for entry in cl.entries:
        values: tuple[object, ...] = (entry.number, entry.full_name, entry.date_of_birth, entry.sex)
        for col, value in enumerate(values + entry.cells, start=1):
            cell = ws.cell(row=row, column=col, value=value)
            cell.border = _BORDER
            cell.alignment = Alignment(vertical="center", wrap_text=col > 4,
                                       horizontal="center" if col in (1, 3, 4) else None)
            if col == 3:
                cell.number_format = "DD/MM/YYYY"
        row += 1
    if not cl.entries:
        ws.cell(row=row, column=1, value="Không có học sinh nào.").font = Font(italic=True)
        ws.merge_cells(f"A{row}:{last_letter}{row}")
        row += 1
    row += 1
    ws.cell(row=row, column=1, value=f"Tổng số: {len(cl.entries)} học sinh.").font = Font(bold=True)
    if cl.note:
        row += 1
        ws.cell(row=row, column=1, value=cl.note).font = Font(italic=True)
    row += 2
    sign_col = max(2, last_col - 1)
    ws.cell(row=row, column=sign_col, value="…………, ngày …… tháng …… năm ……").font = Font(italic=True)
    ws.cell(row=row + 1, column=sign_col, value="Giáo viên chủ nhiệm").font = Font(bold=True)
    ws.cell(row=row + 2, column=sign_col, value="(Ký và ghi rõ họ tên)").font = Font(italic=True)
    if cl.homeroom_name:
        ws.cell(row=row + 6, column=sign_col, value=cl.homeroom_name).font = Font(bold=True)
    _column_widths(ws, cl, headers)
    ws.freeze_panes = f"A{_HEADER_ROW + 1}"
    ws.print_title_rows = f"{_HEADER_ROW}:{_HEADER_ROW}"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if last_col > 6 else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def _column_widths(ws: Worksheet, cl: ClassList, headers: tuple[str, ...]) -> None:
    fixed = {1: 6, 3: 12, 4: 9}
    for col, header in enumerate(headers, start=1):
        if col in fixed:
            width = fixed[col]
        else:
            texts = [header] + [
                e.full_name if col == 2 else e.cells[col - 5] for e in cl.entries
            ]
            width = min(50, max(12, *(len(t) + 2 for t in texts)))
        ws.column_dimensions[get_column_letter(col)].width = width


def _subtitle(cl: ClassList) -> str:
    year = cl.year_name.replace("-", "–")
    teacher = f" — Giáo viên chủ nhiệm: {cl.homeroom_name}" if cl.homeroom_name else ""
    return f"Lớp {cl.class_name} — Năm học {year}{teacher}"


def lists_html(lists: Sequence[ClassList]) -> str:
    """Printable HTML of the lists, each starting on a new page (Qt's rich-text subset)."""
    e = html.escape
    parts = ["<html><body>"]
    for i, cl in enumerate(lists):
        brk = " style='page-break-before: always'" if i else ""
        headers = BASE_HEADERS + cl.extra_headers
        parts.append(f"<p{brk}><b>{e(cl.school_name)}</b></p>")
        parts.append(f"<h2 align='center'>{e(cl.title.upper())}</h2>")
        parts.append(f"<p align='center'>{e(_subtitle(cl))}</p>")
        parts.append("<table border='1' cellspacing='0' cellpadding='4' width='100%'>")
        widths = ("7%", "27%", "14%", "8%")
        parts.append(
            "<thead><tr>"
            + "".join(
                f"<th bgcolor='#e8eef5'{f' width={widths[i]!r}' if i < len(widths) else ''}>{e(h)}</th>"
                for i, h in enumerate(headers)
            )
            + "</tr></thead>"  # repeated on every printed page
        )
        for entry in cl.entries:
            cells = (
                f"<td align='center'>{entry.number}</td><td nowrap>{e(entry.full_name)}</td>"
                f"<td align='center' nowrap>{entry.date_of_birth:%d/%m/%Y}</td>"
                f"<td align='center'>{e(entry.sex)}</td>"
                + "".join(f"<td>{e(c)}</td>" for c in entry.cells)
            )
            parts.append(f"<tr>{cells}</tr>")
        if not cl.entries:
            parts.append(f"<tr><td colspan='{len(headers)}'><i>Không có học sinh nào.</i></td></tr>")
        parts.append("</table>")
        parts.append(f"<p><b>Tổng số: {len(cl.entries)} học sinh.</b></p>")
        if cl.note:
            parts.append(f"<p><i>{e(cl.note)}</i></p>")
        signer = f"<br><br><br><br><b>{e(cl.homeroom_name)}</b>" if cl.homeroom_name else "<br><br><br><br>"
        parts.append(
            "<table width='100%'><tr><td width='50%'></td><td align='center'>"
            "<i>…………, ngày …… tháng …… năm ……</i><br><b>Giáo viên chủ nhiệm</b><br>"
            f"<i>(Ký và ghi rõ họ tên)</i>{signer}</td></tr></table>"
        )
    parts.append("</body></html>")
    return "".join(parts)
