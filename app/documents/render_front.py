"""The front page of the học bạ (domain.md §4.1): cover heading, identity, study history.

On paper the cover and the identity page are separate sheets signed by the principal; in
the digital book they share one page and the signatures at the end of the year page
cover the whole file (one signature covers every page of a PDF).
"""

from __future__ import annotations

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, HRFlowable, PageBreak, Paragraph, Spacer, Table, TableStyle

from app.documents import labels
from app.documents.record import LEVEL_TITLES, TranscriptRecord
from app.documents.render_common import BASE_TABLE, BLACK, CONTENT_WIDTH, esc, grid_style, styles, table

__all__ = ["front_page", "national_heading"]


def national_heading() -> list[Flowable]:
    """Quốc hiệu and tiêu ngữ, as at the top of every official Vietnamese document."""
    st = styles()
    return [
        Paragraph("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", st.motto),
        Paragraph("Độc lập - Tự do - Hạnh phúc", st.motto),
        HRFlowable(width=48 * mm, thickness=0.7, color=BLACK, spaceBefore=1, spaceAfter=2),
    ]


def _fields(pairs: list[list[tuple[str, str | None]]]) -> Table:
    """Label: value lines, one or two per row, values in bold (no grid)."""
    st = styles()
    rows = []
    for line in pairs:
        cells = []
        for label, value in line:
            shown = f"<b>{esc(value)}</b>" if value else "<font color='#777777'>—</font>"
            cells.append(Paragraph(f"{esc(label)}: {shown}", st.label))
        if len(cells) == 1:
            cells.append("")
        rows.append(cells)
    t = Table(rows, colWidths=[CONTENT_WIDTH * 0.58, CONTENT_WIDTH * 0.42], hAlign="LEFT")
    spans = [("SPAN", (0, i), (1, i)) for i, line in enumerate(pairs) if len(line) == 1]
    t.setStyle(
        TableStyle(
            [
                *BASE_TABLE,
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
                *spans,
            ]
        )
    )
    return t


def front_page(record: TranscriptRecord) -> list[Flowable]:
    st = styles()
    s = record.student
    school = record.school
    story: list[Flowable] = [*national_heading(), Spacer(1, 10 * mm)]
    story.append(Paragraph("HỌC BẠ", st.title))
    story.append(Spacer(1, 2 * mm))
    story.append(Paragraph(LEVEL_TITLES.get(school.level_code, ""), st.subtitle))
    story.append(Spacer(1, 3 * mm))
    story.append(Paragraph(esc(school.name.upper()), st.heading))
    story.append(Paragraph(f"{esc(school.province)} — Mã trường: {esc(school.school_code)}", st.sig_hint))
    story.append(Spacer(1, 3 * mm))
    story.append(Paragraph(f"Mã định danh học bạ: <b>{esc(s.hocba_code)}</b>", st.sig_hint))
    story.append(Spacer(1, 7 * mm))

    story.append(Paragraph("THÔNG TIN HỌC SINH", st.section))
    guardian: list[list[tuple[str, str | None]]] = (
        [[("Họ và tên người giám hộ", s.guardian_name)]] if s.guardian_name else []
    )
    national_id = s.national_id or "chưa có (hồ sơ tạm)"
    story.append(
        _fields(
            [
                [("Họ và tên", s.full_name.upper()), ("Giới tính", labels.SEX.get(s.sex) or "Không rõ")],
                [("Ngày sinh", labels.short_date(s.date_of_birth)), ("Dân tộc", s.ethnicity)],
                [("Nơi sinh", s.place_of_birth), ("Quốc tịch", s.nationality)],
                [("Quê quán", s.home_town)],
                [("Số định danh cá nhân", national_id), ("Mã học sinh", s.student_code)],
                [("Chỗ ở hiện tại", s.address)],
                [("Đối tượng chính sách", s.policy_status or labels.NONE)],
                [("Họ và tên cha", s.father_name)],
                [("Họ và tên mẹ", s.mother_name)],
                *guardian,
            ]
        )
    )
    if s.disabled_not_assessed:
        story.append(Spacer(1, 2 * mm))
        story.append(Paragraph(esc(labels.NOT_ASSESSED), st.small))

    story.append(Spacer(1, 4 * mm))
    story.append(Paragraph("QUÁ TRÌNH HỌC TẬP", st.section))
    widths = [CONTENT_WIDTH * f for f in (0.18, 0.12, 0.52, 0.18)]
    rows: list[list[object]] = [
        [Paragraph(h, st.cell_head) for h in ("Năm học", "Lớp", "Tên trường, tỉnh/thành phố", "Số đăng bộ")]
    ]
    for h in record.history:
        rows.append(
            [
                Paragraph(esc(labels.year_label(h.year_name)), st.cell_center),
                Paragraph(esc(h.class_name), st.cell_center),
                Paragraph(esc(h.school_name), st.cell),
                Paragraph(esc(h.registration_number or ""), st.cell_center),
            ]
        )
    story.append(table(rows, widths, grid_style()))

    story.append(Spacer(1, 6 * mm))
    if record.meta.supersedes:
        story.append(
            Paragraph(
                f"<b>Bản thay thế</b> (phiên bản {record.meta.version}) cho hồ sơ "
                f"{esc(record.meta.supersedes)}. Lý do: {esc(record.meta.supersede_reason or '')}",
                st.small,
            )
        )
        story.append(Spacer(1, 2 * mm))
    story.append(
        Paragraph(
            f"Học bạ số gồm trang thông tin học sinh và kết quả năm học "
            f"{esc(labels.year_label(record.year_name))} của lớp {esc(record.class_name)}. Giáo viên chủ "
            "nhiệm, hiệu trưởng và nhà trường xác nhận bằng chữ ký số ở cuối học bạ; dữ liệu của học bạ "
            "được đính kèm trong tệp này ở dạng XML, có giá trị như bản PDF.",
            st.note,
        )
    )
    story.append(PageBreak())
    return story
