"""A 45-student class with long comments: rows move to the next page whole, headers repeat,
every page says "Trang x/y", the signature never ends up alone, nothing is lost."""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from pathlib import Path

import pytest
from sqlalchemy import select, update

from app.documents.render import render_record, render_sheet
from app.documents.render_common import RenderError
from app.models import PrimaryAssessment, Subject, YearComment
from app.models.db import Database, open_database
from app.services.demo import create_demo_school
from app.services.record_sheets import class_sheets
from app.services.records import class_records, find_class
from tests.documents.pdf_tools import needs_poppler, page_texts, reader, to_png

STUDENTS = 45
LONG = (
    "Em đọc to, rõ ràng, biết ngắt nghỉ đúng dấu câu; viết đúng chính tả, chữ viết đều và sạch đẹp. "
    "Em hiểu nội dung bài đọc, trả lời được các câu hỏi, biết kể lại câu chuyện theo tranh. "
    "Cần luyện thêm cách dùng từ khi viết đoạn văn ngắn và mạnh dạn phát biểu ý kiến trong giờ học."
)


def _marker(code: str) -> str:
    return f"HẾT{int(code):04d}X"


@pytest.fixture(scope="module")
def big_class(tmp_path_factory: pytest.TempPathFactory) -> Database:
    path = tmp_path_factory.mktemp("big") / "big.sqlite3"
    db = open_database(path)
    create_demo_school(db, level="tieuhoc", classes=1, students_per_class=STUDENTS, seed=11)
    with db.write() as s:
        subject_id = s.scalar(select(Subject.id).where(Subject.code == "tiengviet"))
        rows = s.execute(
            select(PrimaryAssessment.id, PrimaryAssessment.enrolment_id).where(
                PrimaryAssessment.subject_id == subject_id, PrimaryAssessment.period == "cn"
            )
        ).all()
        for row_id, enrolment_id in rows:
            # Every comment ends with a marker naming its row, to find where each row ends.
            s.execute(
                update(PrimaryAssessment)
                .where(PrimaryAssessment.id == row_id)
                .values(comment=f"{LONG} {_marker(str(enrolment_id))}")
            )
        s.execute(update(YearComment).values(text=" ".join([LONG] * 12)))
    return db


@needs_poppler
def test_45_students_with_long_comments_paginate(
    big_class: Database, tmp_path: Path, artifacts_dir: Path
) -> None:
    class_id = find_class(big_class, "1A")
    sheet = next(
        s for s in class_sheets(big_class, class_id, terms=("canam",)) if s.subject_code == "tiengviet"
    )
    assert len(sheet.rows) == STUDENTS
    pdf = render_sheet(sheet).pdf
    pages = [unicodedata.normalize("NFC", p) for p in page_texts(pdf, tmp_path)]
    assert len(pages) >= 3, "45 long rows cannot fit on two pages"

    assessed = [row for row in sheet.rows if not row.not_assessed]
    assert len(assessed) == STUDENTS - 1  # the demo forces one disabled student, assessed apart
    markers = [m.group(0) for row in assessed for m in [re.search(r"HẾT\d{4}X", row.comment or "")] if m]
    assert len(markers) == len(assessed)
    for marker in markers:
        # Each row ends exactly once in the whole document: nothing lost, nothing repeated.
        assert sum(p.count(marker) for p in pages) == 1, marker
    for row in sheet.rows:
        where = [i for i, p in enumerate(pages) if row.full_name in p]
        assert where, f"{row.full_name} is missing"
        if row.not_assessed:
            continue
        # The row's comment ends on the page where its name is: the row was not split.
        own_marker = re.search(r"HẾT\d{4}X", row.comment or "")
        assert own_marker is not None
        assert own_marker.group(0) in pages[where[0]], f"row of {row.full_name} split across pages"
    for n, page in enumerate(pages, start=1):
        assert "Họ và tên" in page and "Nhận xét" in page, f"header not repeated on page {n}"
        assert f"Trang {n}/{len(pages)}" in page
    # The signature block is on the last page together with the last students' rows.
    last = pages[-1]
    assert "GIÁO VIÊN MÔN HỌC" in last
    assert sum(1 for row in sheet.rows if row.full_name in last) >= 3
    field = reader(pdf).trailer["/Root"]["/AcroForm"]["/Fields"][0].get_object()
    assert field["/T"] == "GVBM"
    assert field.raw_get("/P").idnum == reader(pdf).pages[-1].indirect_reference.idnum
    to_png(pdf, artifacts_dir / "documents", "bangdiem-45-hocsinh")


@needs_poppler
def test_a_long_homeroom_comment_flows_onto_the_next_page(big_class: Database, tmp_path: Path) -> None:
    record = class_records(big_class, find_class(big_class, "1A"))[0]
    assert record.homeroom_comment and len(record.homeroom_comment) > 3000
    pdf = render_record(record).pdf
    pages = [unicodedata.normalize("NFC", p) for p in page_texts(pdf, tmp_path)]
    assert len(pages) >= 3
    assert "GIÁO VIÊN CHỦ NHIỆM" in pages[-1]
    for n, page in enumerate(pages, start=1):
        assert f"Trang {n}/{len(pages)}" in page
    fields = reader(pdf).trailer["/Root"]["/AcroForm"]["/Fields"]
    assert {f.get_object()["/T"] for f in fields} == {"GVCN", "HieuTruong", "ConDau"}


def test_a_row_taller_than_a_page_is_refused_with_a_message(big_class: Database) -> None:
    class_id = find_class(big_class, "1A")
    sheet = next(
        s for s in class_sheets(big_class, class_id, terms=("canam",)) if s.subject_code == "tiengviet"
    )
    row = sheet.rows[0]
    huge = dataclasses.replace(row, comment=" ".join([LONG] * 40))
    bad = dataclasses.replace(sheet, rows=(huge, *sheet.rows[1:]))
    with pytest.raises(RenderError, match="nhận xét quá dài"):
        render_sheet(bad)
