"""The Thông tư 27/2020 year page (primary), in the Ministry template's order.

1. subjects and educational activities: level, periodic test score, comment;
2. the five qualities and 3. the core competencies (general, specific): level, comment;
4. the overall result, 5. awards, 6. completion of the grade (or of primary school);
then the homeroom teacher's and the principal's signature blocks with place and date.
Comments are long at primary (teachers wrote ~20 lines a student on paper): the tables
give the comment most of the width and flow onto further pages a whole row at a time.
"""

from __future__ import annotations

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer

from app.documents import labels
from app.documents.record import PrimaryYear, TraitLine, TranscriptRecord
from app.documents.render_common import (
    CONTENT_WIDTH,
    SERIF_BOLD,
    FieldPlacement,
    esc,
    grid_style,
    styles,
    table,
)
from app.documents.render_secondary import signature_block, student_line

__all__ = ["primary_year_page"]

# Level (and test score) columns: short plain strings, centred, the level in bold.
_VALUE_COLUMNS = [
    ("ALIGN", (1, 1), (2, -1), "CENTER"),
    ("FONTNAME", (1, 1), (1, -1), SERIF_BOLD),
    ("ALIGN", (2, 1), (2, -1), "CENTER"),
]
_LEVEL_COLUMN = [("ALIGN", (1, 1), (1, -1), "CENTER"), ("FONTNAME", (1, 1), (1, -1), SERIF_BOLD)]
_GROUP_TITLES = {"nanglucchung": "Năng lực chung", "nanglucdacthu": "Năng lực đặc thù"}


def _subjects(r: PrimaryYear) -> list[Flowable]:
    st = styles()
    w = CONTENT_WIDTH
    head = st.cell_head
    rows: list[list[object]] = [
        [
            Paragraph("Môn học và hoạt động giáo dục", head),
            Paragraph("Mức đạt được", head),
            Paragraph("Điểm KTĐK", head),
            Paragraph("Nhận xét", head),
        ]
    ]
    for line in r.subjects:
        rows.append(
            [
                Paragraph(esc(line.name), st.cell),
                line.level or "",
                "" if line.test_score is None else str(line.test_score),
                Paragraph(esc(line.comment or ""), st.cell),
            ]
        )
    return [
        Paragraph("1. Các môn học và hoạt động giáo dục", st.section),
        table(rows, [w * 0.30, w * 0.10, w * 0.09, w * 0.51], grid_style(1, _VALUE_COLUMNS)),
    ]


def _traits(number: str, title: str, column: str, lines: list[TraitLine], grouped: bool) -> list[Flowable]:
    st = styles()
    w = CONTENT_WIDTH
    head = st.cell_head
    rows: list[list[object]] = [
        [
            Paragraph(column, head),
            Paragraph("Mức đạt được", head),
            Paragraph("Nhận xét", head),
        ]
    ]
    extra = []
    group = None
    for t in lines:
        if grouped and t.group != group:
            group = t.group
            rows.append([Paragraph(f"<b><i>{_GROUP_TITLES[group]}</i></b>", st.cell), "", ""])
            extra.append(("SPAN", (0, len(rows) - 1), (-1, len(rows) - 1)))
        rows.append(
            [Paragraph(esc(t.name), st.cell), t.level or "", Paragraph(esc(t.comment or ""), st.cell)]
        )
    return [
        Paragraph(f"{number}. {title}", st.section),
        table(rows, [w * 0.30, w * 0.10, w * 0.60], grid_style(1, [*extra, *_LEVEL_COLUMN])),
    ]


def primary_year_page(record: TranscriptRecord, placements: list[FieldPlacement]) -> list[Flowable]:
    assert isinstance(record.results, PrimaryYear)
    r = record.results
    st = styles()
    story: list[Flowable] = [student_line(record)]
    story.append(Paragraph("KẾT QUẢ GIÁO DỤC NĂM HỌC", st.heading))
    story.append(
        Paragraph(
            "Mức đạt được — môn học, hoạt động giáo dục: T (Hoàn thành tốt), H (Hoàn thành), "
            "C (Chưa hoàn thành); phẩm chất, năng lực: T (Tốt), Đ (Đạt), C (Cần cố gắng). "
            "KTĐK: điểm kiểm tra định kì cuối năm học.",
            st.note,
        )
    )
    if record.student.disabled_not_assessed:
        story.append(Paragraph(esc(labels.NOT_ASSESSED), st.small))
    story.extend(_subjects(r))
    story.extend(
        _traits(
            "2", "Những phẩm chất chủ yếu", "Phẩm chất", [t for t in r.traits if t.group == "phamchat"], False
        )
    )
    story.extend(
        _traits(
            "3", "Những năng lực cốt lõi", "Năng lực", [t for t in r.traits if t.group != "phamchat"], True
        )
    )

    def line(label: str, value: str) -> Paragraph:
        return Paragraph(f"{esc(label)}: <b>{esc(value)}</b>", st.label)

    closing: list[Flowable] = [Spacer(1, 3 * mm)]
    outcome = labels.PRIMARY_OUTCOME[r.result] if r.result else "Không đánh giá (khuyết tật)"
    closing.append(line("4. Đánh giá kết quả giáo dục", outcome))
    awards = ([labels.TITLE[r.title]] if r.title else []) + list(record.awards)
    closing.append(line("5. Khen thưởng", "; ".join(awards) if awards else labels.NONE))
    closing.append(line("6. Hoàn thành chương trình lớp học/chương trình tiểu học", r.completion_text or "—"))
    if record.homeroom_comment:
        closing.append(Paragraph("Nhận xét của giáo viên chủ nhiệm", st.section))
        closing.append(Paragraph(esc(record.homeroom_comment), st.body))
    closing.append(Spacer(1, 4 * mm))
    closing.append(signature_block(record, placements))
    story.append(KeepTogether(closing))
    return story
