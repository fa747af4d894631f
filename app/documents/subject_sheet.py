"""Pages of a class subject sheet: every student's results in one subject for a term or the
year, with the subject teacher's signature block (field `GVBM`).

A class has up to ~45 students and primary comments are long: the table repeats its
header on each page and moves a student's row to the next page whole, never splitting it.
"""

from __future__ import annotations

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Spacer, Table, TableStyle

from app.documents import labels
from app.documents.render_common import (
    BASE_TABLE,
    CONTENT_WIDTH,
    FieldPlacement,
    SignatureBlock,
    SignatureColumn,
    TableWithTail,
    esc,
    grid_style,
    long_date,
    styles,
    table,
)
from app.documents.render_front import national_heading
from app.documents.sheet_record import TERM_LABELS, SubjectSheet

__all__ = ["sheet_story"]

_NUMBER_W = 9 * mm
_NAME_W = 40 * mm
_MIN_COMMENT_W = 48 * mm
_MAX_VALUE_W = 16 * mm


def _heading(sheet: SubjectSheet) -> list[Flowable]:
    st = styles()
    left = [
        Paragraph(f"SỞ GD&amp;ĐT {esc(sheet.school.province.upper())}", st.sig_hint),
        Paragraph(esc(sheet.school.name.upper()), st.sig_title),
    ]
    right = national_heading()
    t = Table([[left, right]], colWidths=[CONTENT_WIDTH * 0.42, CONTENT_WIDTH * 0.58])
    t.setStyle(
        TableStyle(
            [
                *BASE_TABLE,
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return [
        t,
        Spacer(1, 5 * mm),
        Paragraph(f"BẢNG ĐIỂM MÔN {esc(sheet.subject_name.upper())}", st.heading),
        Paragraph(
            f"Lớp <b>{esc(sheet.class_name)}</b> — {TERM_LABELS[sheet.term]} — năm học "
            f"<b>{esc(labels.year_label(sheet.year_name))}</b> — "
            f"Giáo viên môn học: <b>{esc(sheet.teacher)}</b>",
            st.sig_hint,
        ),
        Spacer(1, 4 * mm),
    ]


def _header(label: str) -> str:
    """Break "ĐĐGgk", "ĐTBmhk" after their prefix: value columns are narrow."""
    for prefix in ("ĐĐG", "ĐTB"):
        if label.startswith(prefix) and len(label) > len(prefix) + 1:
            return f"{prefix}<br/>{esc(label[len(prefix) :])}"
    return esc(label)


def _table(sheet: SubjectSheet) -> Table:
    st = styles()
    head = st.cell_head
    n = len(sheet.columns)
    value_w = min(_MAX_VALUE_W, (CONTENT_WIDTH - _NUMBER_W - _NAME_W - _MIN_COMMENT_W) / max(n, 1))
    comment_w = CONTENT_WIDTH - _NUMBER_W - _NAME_W - n * value_w
    widths = [_NUMBER_W, _NAME_W, *([value_w] * n), comment_w]

    # Two header rows: a group ("ĐĐGtx") spans its columns on the first row and numbers
    # them on the second; an ungrouped column spans both rows.
    top: list[object] = [Paragraph("STT", head), Paragraph("Họ và tên", head)]
    second: list[object] = ["", ""]
    spans: list[tuple[object, ...]] = [("SPAN", (0, 0), (0, 1)), ("SPAN", (1, 0), (1, 1))]
    i = 0
    while i < n:
        col = sheet.columns[i]
        x = 2 + i
        if col.group is None:
            top.append(Paragraph(_header(col.label), head))
            second.append("")
            spans.append(("SPAN", (x, 0), (x, 1)))
            i += 1
            continue
        j = i
        while j < n and sheet.columns[j].group == col.group:
            j += 1
        top.append(Paragraph(esc(col.group), head))
        top.extend([""] * (j - i - 1))
        second.extend(Paragraph(esc(c.label), head) for c in sheet.columns[i:j])
        spans.append(("SPAN", (x, 0), (2 + j - 1, 0)))
        i = j
    top.append(Paragraph("Nhận xét", head))
    second.append("")
    spans.append(("SPAN", (2 + n, 0), (2 + n, 1)))

    rows: list[list[object]] = [top, second]
    for row in sheet.rows:
        cells: list[object] = [
            Paragraph(str(row.number), st.cell_center),
            Paragraph(esc(row.full_name), st.cell),
        ]
        cells.extend(Paragraph(esc(labels.value(v)), st.cell_center) for v in row.values)
        comment = (
            "Miễn đánh giá (học sinh khuyết tật)" if row.not_assessed and not row.comment else row.comment
        )
        cells.append(Paragraph(esc(comment or ""), st.cell))
        rows.append(cells)
    return table(rows, widths, grid_style(2, spans), repeat=2)


def sheet_story(sheet: SubjectSheet, placements: list[FieldPlacement]) -> list[Flowable]:
    st = styles()
    story = _heading(sheet)
    tail: list[Flowable] = [
        Spacer(1, 2 * mm),
        Paragraph(
            f"Bảng điểm gồm {len(sheet.rows)} học sinh. Giáo viên môn học xác nhận kết quả bằng chữ ký số; "
            "học bạ của từng học sinh ghi mã của bảng điểm này.",
            st.note,
        ),
        Spacer(1, 4 * mm),
        SignatureBlock(
            [
                SignatureColumn("", "", "", ""),
                SignatureColumn(
                    "GIÁO VIÊN MÔN HỌC",
                    "(Ký và ghi rõ họ tên)",
                    sheet.teacher,
                    "GVBM",
                    dating=long_date(sheet.school.issuing_place, sheet.issued_on),
                ),
            ],
            placements,
        ),
    ]
    # The last students' rows go with the signature: a signature alone on a page would
    # not show what it signs.
    story.append(TableWithTail(_table(sheet), tail, header_rows=2))
    return story
