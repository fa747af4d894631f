"""The collation and search function every connection registers (app.models.db)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text

from app.models import School, Student
from app.models.db import Database

NAMES = ["Trần Thị Ánh", "Nguyễn Văn An", "Lê Đức Bình", "Phạm Ân", "Đỗ Thị Út", "Hồ Văn Dũng", "Vũ Ngọc Đức"]


def _fill(db: Database) -> None:
    with db.write() as s:
        school = School(name="Trường thử", school_code="T1", department_code="01", province="Hà Nội",
                        levels="03", issuing_place="Hà Nội")
        s.add(school)
        s.flush()
        for i, name in enumerate(NAMES):
            s.add(Student(school_id=school.id, student_code=f"HS{i}", hocba_code=f"HB{i}",
                          full_name=name, sex=1, date_of_birth=dt.date(2014, 1, 1),
                          address=None if i % 2 else "Thôn Bản Phố"))


def test_order_by_vietnamese_collation(db: Database) -> None:
    _fill(db)
    with db.read() as s:
        query = text("SELECT full_name FROM student ORDER BY full_name COLLATE vi_name")
        ordered = list(s.execute(query).scalars())
    # Given name first, letters before tones: An < Ánh (a-n-h) < Ân (â sorts after a).
    assert ordered == ["Nguyễn Văn An", "Trần Thị Ánh", "Phạm Ân", "Lê Đức Bình", "Hồ Văn Dũng",
                       "Vũ Ngọc Đức", "Đỗ Thị Út"]


def test_search_without_diacritics(db: Database) -> None:
    _fill(db)
    with db.read() as s:
        found = list(s.execute(text("SELECT full_name FROM student WHERE vi_fold(full_name) LIKE :q"),
                               {"q": "%nguyen van an%"}).scalars())
        # NULL columns stay NULL instead of raising inside SQLite.
        nulls = s.execute(text("SELECT count(*) FROM student WHERE vi_fold(address) IS NULL")).scalar()
    assert found == ["Nguyễn Văn An"]
    assert nulls == 3
