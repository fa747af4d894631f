"""The Thông tư 22/2021 year page (lower and upper secondary), in the Ministry template's order.

Subjects × HKI / HKII / cả năm / re-assessment with the subject teacher's confirmation,
the corrections line, then conduct and learning per term, absences, promotion, titles,
awards, certificates, the homeroom teacher's comment and the signature blocks with place
and date. The teacher confirmation column names the teacher; the confirmation itself is
the teacher's signature on the class subject sheet the record refers to.
"""

from __future__ import annotations

from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, Paragraph, Spacer, Table, TableStyle

from app.documents import labels
from app.documents.record import SecondaryYear, TranscriptRecord
from app.documents.render_common import (
    BASE_TABLE,
    CONTENT_WIDTH,
    SERIF_BOLD,
    FieldPlacement,
    SignatureBlock,
    SignatureColumn,
    esc,
    grid_style,
    long_date,
    styles,
    table,
)

__all__ = ["secondary_year_page", "signature_block", "student_line"]


def student_line(record: TranscriptRecord) -> Table:
    """ "Họ và tên … Lớp … Năm học …" at the top of a year page."""
    st = styles()
    cells = [
        Paragraph(f"Họ và tên: <b>{esc(record.student.full_name)}</b>", st.label),
        Paragraph(f"Lớp: <b>{esc(record.class_name)}</b>", st.label),
        Paragraph(f"Năm học: <b>{esc(labels.year_label(record.year_name))}</b>", st.label),
    ]
    t = Table([cells], colWidths=[CONTENT_WIDTH * 0.55, CONTENT_WIDTH * 0.17, CONTENT_WIDTH * 0.28])
    t.setStyle(
        TableStyle(
            [*BASE_TABLE, ("LEFTPADDING", (0, 0), (-1, -1), 0), ("BOTTOMPADDING", (0, 0), (-1, -1), 4)]
        )
    )
    return t


def _subjects_table(r: SecondaryYear) -> Table:
    st = styles()
    w = CONTENT_WIDTH
    widths = [w * 0.375, w * 0.075, w * 0.075, w * 0.075, w * 0.125, w * 0.275]
    head = st.cell_head
    rows: list[list[object]] = [
        [
            Paragraph("Môn học/<br/>Hoạt động giáo dục", head),
            Paragraph("Điểm trung bình môn học hoặc mức đánh giá", head),
            "",
            "",
            Paragraph("Điểm hoặc mức đánh giá lại (nếu có)", head),
            Paragraph("Giáo viên môn học xác nhận kết quả đánh giá, sửa chữa (nếu có)", head),
        ],
        ["", Paragraph("HKI", head), Paragraph("HKII", head), Paragraph("CN", head), "", ""],
    ]
    for line in r.subjects:
        # Short values are plain strings styled per column: no line breaking to pay for.
        rows.append(
            [
                Paragraph(esc(line.name), st.cell),
                labels.value(line.hk1),
                labels.value(line.hk2),
                labels.value(line.year),
                labels.value(line.reassessment),
                Paragraph(esc(line.teacher or ""), st.cell),
            ]
        )
    extra = [
        ("SPAN", (0, 0), (0, 1)),
        ("SPAN", (1, 0), (3, 0)),
        ("SPAN", (4, 0), (4, 1)),
        ("SPAN", (5, 0), (5, 1)),
        ("ALIGN", (1, 2), (4, -1), "CENTER"),
        ("FONTNAME", (3, 2), (3, -1), SERIF_BOLD),
    ]
    return table(rows, widths, grid_style(2, extra), repeat=2)


def _corrections_line(record: TranscriptRecord, r: SecondaryYear) -> Paragraph:
    corrected = [s for s in r.subjects if s.corrections]
    count = sum(s.corrections for s in corrected)
    where = ", ".join(s.name for s in corrected) if corrected else "không có"
    return Paragraph(
        f"Trong bảng này có sửa chữa ở: <b>{count}</b> chỗ, thuộc các môn học, hoạt động giáo dục: "
        f"<b>{esc(where)}</b>.",
        styles().body,
    )


def _results_table(record: TranscriptRecord, r: SecondaryYear) -> Table:
    st = styles()
    a = record.absences
    head = st.cell_head
    rows: list[list[object]] = [
        [
            Paragraph("Học kì", head),
            Paragraph("Kết quả rèn luyện", head),
            Paragraph("Kết quả học tập", head),
            Paragraph("Số buổi nghỉ học<br/>(có phép / không phép)", head),
        ]
    ]
    terms = (
        (
            "Học kì I",
            r.conduct_hk1,
            r.learning_hk1,
            f"{a.hk1_excused + a.hk1_unexcused} ({a.hk1_excused} / {a.hk1_unexcused})",
        ),
        (
            "Học kì II",
            r.conduct_hk2,
            r.learning_hk2,
            f"{a.hk2_excused + a.hk2_unexcused} ({a.hk2_excused} / {a.hk2_unexcused})",
        ),
        ("Cả năm", r.conduct_year, r.learning_year, f"{a.total} ({a.excused} / {a.unexcused})"),
    )
    for label, conduct, learning, absent in terms:
        rows.append(
            [
                label,
                labels.TT22_LEVEL.get(conduct or "", ""),
                labels.TT22_LEVEL.get(learning or "", ""),
                absent,
            ]
        )
    w = CONTENT_WIDTH
    extra = [("ALIGN", (0, 1), (-1, -1), "CENTER"), ("FONTNAME", (0, 1), (0, -1), SERIF_BOLD)]
    return table(rows, [w * 0.2, w * 0.24, w * 0.24, w * 0.32], grid_style(1, extra))


def _decision_lines(record: TranscriptRecord, r: SecondaryYear) -> list[Flowable]:
    st = styles()
    names = {s.code: s.name for s in r.subjects}

    def line(label: str, value: str) -> Paragraph:
        return Paragraph(f"{esc(label)}: <b>{esc(value)}</b>", st.label)

    out: list[Flowable] = []
    if r.promotion is None:
        out.append(line("Được lên lớp hoặc không được lên lớp", "Không đánh giá (khuyết tật)"))
    else:
        out.append(line("Được lên lớp hoặc không được lên lớp", labels.PROMOTION[r.promotion]))
    if r.reassessment_subjects:
        subjects = ", ".join(names.get(c, c) for c in r.reassessment_subjects)
        out.append(line("Các môn học, hoạt động giáo dục kiểm tra lại", subjects))
    after = []
    if r.learning_after_reassessment:
        after.append(f"học tập {labels.TT22_LEVEL[r.learning_after_reassessment]}")
    if r.conduct_after_summer:
        after.append(f"rèn luyện {labels.TT22_LEVEL[r.conduct_after_summer]}")
    if after:
        out.append(line("Kết quả sau kiểm tra lại hoặc rèn luyện trong kì nghỉ hè", ", ".join(after)))
    out.append(line("Danh hiệu", labels.TITLE[r.title] if r.title else labels.NONE))
    out.append(line("Khen thưởng", "; ".join(record.awards) if record.awards else labels.NONE))
    out.append(
        line("Chứng chỉ (nếu có)", "; ".join(record.certificates) if record.certificates else labels.NONE)
    )
    return out


def signature_block(record: TranscriptRecord, placements: list[FieldPlacement]) -> SignatureBlock:
    school = record.school
    return SignatureBlock(
        [
            SignatureColumn("GIÁO VIÊN CHỦ NHIỆM", "(Ký và ghi rõ họ tên)", record.homeroom_teacher, "GVCN"),
            SignatureColumn(
                school.leader_title.upper(),
                "(Ký, ghi rõ họ tên và đóng dấu)",
                school.principal_name,
                "HieuTruong",
                dating=long_date(school.issuing_place, record.meta.issued_on),
                seal_field="ConDau",
            ),
        ],
        placements,
    )


def secondary_year_page(record: TranscriptRecord, placements: list[FieldPlacement]) -> list[Flowable]:
    assert isinstance(record.results, SecondaryYear)
    r = record.results
    st = styles()
    story: list[Flowable] = [
        student_line(record),
        Paragraph("KẾT QUẢ HỌC TẬP CÁC MÔN HỌC, HOẠT ĐỘNG GIÁO DỤC", st.heading),
        _subjects_table(r),
        Spacer(1, 2 * mm),
        _corrections_line(record, r),
    ]
    if record.student.disabled_not_assessed:
        story.append(Paragraph(esc(labels.NOT_ASSESSED), st.small))
    story.append(
        Paragraph(
            "Kết quả các môn học do giáo viên môn học xác nhận bằng chữ ký số trên bảng điểm môn của lớp; "
            "mã của các bảng điểm được ghi trong dữ liệu XML đính kèm.",
            st.note,
        )
    )
    story.append(CondPageBreak(70 * mm))
    story.append(Paragraph("KẾT QUẢ RÈN LUYỆN VÀ HỌC TẬP", st.heading))
    story.append(_results_table(record, r))
    story.append(Spacer(1, 3 * mm))
    story.extend(_decision_lines(record, r))
    story.append(Spacer(1, 1 * mm))
    closing: list[Flowable] = [Paragraph("NHẬN XÉT CỦA GIÁO VIÊN CHỦ NHIỆM", st.section)]
    closing.append(Paragraph(esc(record.homeroom_comment or "—"), st.body))
    closing.append(Spacer(1, 3 * mm))
    # The comment travels with the signatures: a page holding only signature blocks
    # would look detached from what they sign.
    closing.append(signature_block(record, placements))
    story.append(KeepTogether(closing))
    return story
