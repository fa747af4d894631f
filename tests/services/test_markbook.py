"""The secondary mark book service: parsing what teachers type, the grid, writes, audit, history."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.models import AuditEntry, SecondaryAssessment
from app.models.db import Database
from app.rules.tt22 import required_tx_count
from app.rules.vnsort import name_sort_key
from app.services import audit
from app.services import markbook as mb
from app.services.access import PermissionDenied
from app.services.markbook import CellEntry, EntryProblems
from app.services.score_entry import (
    MAX_COMMENT_CHARS,
    MAX_TX_COLUMNS,
    EntryError,
    display_value,
    parse_check,
    parse_score,
)
from tests.services.markbook_data import Teaching, actor, copy_of, make_template, other_teacher, teaching


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_template(tmp_path_factory.mktemp("markbook"), "thcs")


@pytest.fixture
def book_db(template: Path, tmp_path: Path) -> Iterator[Database]:
    db = copy_of(template, tmp_path)
    yield db
    db.dispose()


@pytest.fixture
def toan(book_db: Database) -> Teaching:
    return teaching(book_db, "toan")


def _audit_count(db: Database) -> int:
    with db.read() as s:
        return int(s.scalar(select(func.count()).select_from(AuditEntry)) or 0)


def _tenth(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _formula(tx: list[str], gk: str, ck: str) -> Decimal:
    # ĐTBmhk written out independently of the rules engine (domain.md §4.2).
    total = sum((Decimal(v) for v in tx), Decimal(0)) + 2 * Decimal(gk) + 3 * Decimal(ck)
    return _tenth(total / (len(tx) + 5))


# ------------------------------------------------------------------------------ parsing


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("7,5", "7.5"),
        ("7.5", "7.5"),
        ("8", "8"),
        ("8,0", "8"),
        (" 9 ", "9"),
        ("10", "10"),
        ("10,0", "10"),
        ("0", "0"),
        (",5", "0.5"),
        ("7,50", "7.5"),
        ("7 ,5", "7.5"),
        ("", None),
        ("  ", None),
    ],
)
def test_scores_typed_with_a_comma_or_a_dot_are_accepted(typed: str, stored: str | None) -> None:
    assert parse_score(typed) == stored


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("10,5", "lớn hơn 10"),
        ("10.5", "lớn hơn 10"),
        ("11", "lớn hơn 10"),
        ("7,25", "Hãy nhập 7,3"),  # refused, not silently rounded: a typo must not become a score
        ("7.25", "một chữ số sau dấu phẩy"),
        ("-1", "không được âm"),
        ("abc", "không phải là điểm"),
        ("1e1", "không phải là điểm"),
        ("7,5,5", "không phải là điểm"),
        ("Đ", "đánh giá bằng điểm số"),
    ],
)
def test_invalid_scores_are_refused_with_the_reason(typed: str, reason: str) -> None:
    with pytest.raises(EntryError) as caught:
        parse_score(typed)
    assert reason in caught.value.message


@pytest.mark.parametrize("typed", ["Đ", "đ", "d", "D", "dd", "Đạt", "dat", " Đ ", "\u00d0"])
def test_pass_checks_accept_what_keyboards_without_vietnamese_type(typed: str) -> None:
    assert parse_check(typed) == "Đ"


@pytest.mark.parametrize("typed", ["CĐ", "cđ", "cd", "CD", "cdd", "Chưa đạt", "chua dat"])
def test_fail_checks_accept_what_keyboards_without_vietnamese_type(typed: str) -> None:
    assert parse_check(typed) == "CĐ"


@pytest.mark.parametrize(
    ("typed", "reason"), [("7", "không cho điểm số"), ("x", "không phải là mức đánh giá")]
)
def test_comment_subjects_refuse_scores_and_other_words(typed: str, reason: str) -> None:
    with pytest.raises(EntryError, match=reason):
        parse_check(typed)


def test_stored_scores_are_shown_with_the_vietnamese_decimal_comma() -> None:
    assert display_value("7.5") == "7,5"
    assert display_value("CĐ") == "CĐ"
    assert display_value(None) == ""


# ------------------------------------------------------------------------------ the grid


def test_the_grid_lists_the_class_in_vietnamese_order_with_the_required_columns(
    book_db: Database, toan: Teaching
) -> None:
    book = mb.load_markbook(book_db, toan.teacher, toan.class_id, toan.subject_id, 1)
    assert book.kind == "score" and book.can_edit and book.locked_at is None
    assert len(book.rows) == 12
    assert [r.number for r in book.rows] == list(range(1, 13))
    names = [r.full_name for r in book.rows]
    assert names == sorted(names, key=name_sort_key)
    assert book.tx_required == required_tx_count(book.lessons_per_year) == 4  # Toán: 140 lessons
    entered = max(sum(1 for v in r.tx if v is not None) for r in book.rows)
    assert book.tx_columns == max(4, entered)
    assert book.entry_columns[-3:] == ("gk", "ck", "comment")
    exempt = [r for r in book.rows if r.not_assessed]
    assert exempt, "the demo has a disabled student exempt from assessment"
    assert all(r.semester.value is None and "Miễn đánh giá" in (r.semester.problem or "") for r in exempt)
    for row in book.rows:
        if row.not_assessed:
            continue
        tx = [v for v in row.tx if v is not None]
        assert row.gk is not None and row.ck is not None
        assert row.semester.value == _formula(tx, row.gk, row.ck)


def test_the_second_semester_shows_the_year_average(book_db: Database, toan: Teaching) -> None:
    first = mb.load_markbook(book_db, toan.teacher, toan.class_id, toan.subject_id, 1)
    second = mb.load_markbook(book_db, toan.teacher, toan.class_id, toan.subject_id, 2)
    for a, b in zip(first.rows, second.rows, strict=True):
        assert b.other.value == a.semester.value
        if a.not_assessed:
            continue
        assert isinstance(a.semester.value, Decimal) and isinstance(b.semester.value, Decimal)
        assert b.year.value == _tenth((a.semester.value + 2 * b.semester.value) / 3)
        assert a.year.value == b.year.value


# ------------------------------------------------------------------------------ writing


def test_a_typed_score_is_stored_audited_and_recomputed(book_db: Database, toan: Teaching) -> None:
    t = toan
    row = mb.load_markbook(book_db, t.teacher, t.class_id, t.subject_id, 1).rows[0]
    before = _audit_count(book_db)
    new_gk = "3.5" if row.gk != "3.5" else "9.5"

    change = mb.set_score(
        book_db, t.teacher, t.class_id, t.subject_id, 1, row.student_id, "gk", new_gk.replace(".", ",")
    )

    assert (change.old, change.new, change.changed) == (row.gk, new_gk, True)
    tx = [v for v in row.tx if v is not None]
    assert row.ck is not None
    assert change.row.semester.value == _formula(tx, new_gk, row.ck)
    reloaded = mb.load_markbook(book_db, t.teacher, t.class_id, t.subject_id, 1).row_of(row.student_id)
    assert reloaded.gk == new_gk and reloaded.semester == change.row.semester
    assert _audit_count(book_db) == before + 1
    history = mb.cell_history(book_db, t.teacher, t.class_id, t.subject_id, 1, row.student_id, "gk")
    assert len(history) == 1
    assert (history[0].actor_login, history[0].old, history[0].new) == (t.teacher.login, row.gk, new_gk)
    assert history[0].actor_name == t.teacher.full_name
    with book_db.read() as s:
        assert audit.verify_chain(s).ok


def test_corrections_are_counted_and_listed_newest_first(book_db: Database, toan: Teaching) -> None:
    t = toan
    sid = mb.load_markbook(book_db, t.teacher, t.class_id, t.subject_id, 1).rows[2].student_id
    for typed in ("5", "6,5", "6,5", "7"):  # the repeated 6,5 changes nothing and is not audited
        mb.set_score(book_db, t.teacher, t.class_id, t.subject_id, 1, sid, "ck", typed)
    history = mb.cell_history(book_db, t.teacher, t.class_id, t.subject_id, 1, sid, "ck")
    assert [(h.old, h.new) for h in history][:3] == [("6.5", "7"), ("5", "6.5"), (history[2].old, "5")]
    assert len(history) == 3
    book = mb.load_markbook(book_db, t.teacher, t.class_id, t.subject_id, 1)
    assert book.corrections[(sid, "ck")] == 3
    assert (sid, "gk") not in book.corrections


def test_a_refused_value_changes_nothing(book_db: Database, toan: Teaching) -> None:
    t = toan
    row = mb.load_markbook(book_db, t.teacher, t.class_id, t.subject_id, 1).rows[0]
    before = _audit_count(book_db)
    with pytest.raises(EntryError, match="lớn hơn 10"):
        mb.set_score(book_db, t.teacher, t.class_id, t.subject_id, 1, row.student_id, "ck", "10,5")
    assert mb.load_markbook(book_db, t.teacher, t.class_id, t.subject_id, 1).row_of(row.student_id) == row
    assert _audit_count(book_db) == before


def test_a_pasted_block_is_all_or_nothing(book_db: Database, toan: Teaching) -> None:
    t = toan
    rows = mb.load_markbook(book_db, t.teacher, t.class_id, t.subject_id, 1).rows
    before = _audit_count(book_db)
    entries = [
        CellEntry(r.student_id, "tx1", v) for r, v in zip(rows[:4], ("9", "10,5", "8,5", "abc"), strict=True)
    ]
    with pytest.raises(EntryProblems) as caught:
        mb.set_scores(book_db, t.teacher, t.class_id, t.subject_id, 1, entries, source="paste")
    assert [p.student_id for p in caught.value.problems] == [rows[1].student_id, rows[3].student_id]
    assert "Chưa lưu gì" in caught.value.message and rows[1].full_name in caught.value.message
    assert mb.load_markbook(book_db, t.teacher, t.class_id, t.subject_id, 1).rows == rows
    assert _audit_count(book_db) == before

    good = [CellEntry(r.student_id, "tx1", v) for r, v in zip(rows[:3], ("9", "4,5", "8,5"), strict=True)]
    changes = mb.set_scores(book_db, t.teacher, t.class_id, t.subject_id, 1, good, source="paste")
    assert [c.new for c in changes] == ["9", "4.5", "8.5"]
    history = mb.cell_history(book_db, t.teacher, t.class_id, t.subject_id, 1, rows[1].student_id, "tx1")
    assert history[0].source == "paste"


def test_clearing_a_cell_and_extra_columns(book_db: Database, toan: Teaching) -> None:
    t = toan
    book = mb.load_markbook(book_db, t.teacher, t.class_id, t.subject_id, 1)
    row = book.rows[0]
    mb.set_score(book_db, t.teacher, t.class_id, t.subject_id, 1, row.student_id, "tx2", "")
    mb.set_score(book_db, t.teacher, t.class_id, t.subject_id, 1, row.student_id, "tx6", "8")
    after = mb.load_markbook(book_db, t.teacher, t.class_id, t.subject_id, 1)
    changed = after.row_of(row.student_id)
    assert after.tx_columns == 6
    # The gap stays where the teacher left it; the other values keep their columns.
    assert changed.tx[1] is None and changed.tx[0] == row.tx[0] and changed.tx[2] == row.tx[2]
    assert changed.tx[5] == "8"
    with book_db.read() as s:
        stored = s.scalar(
            select(SecondaryAssessment.tx).where(
                SecondaryAssessment.enrolment_id == row.enrolment_id,
                SecondaryAssessment.subject_id == t.subject_id,
                SecondaryAssessment.semester == 1,
            )
        )
    assert stored is not None and stored[1] is None and stored[-1] == "8"  # no trailing gaps
    with pytest.raises(EntryProblems):
        mb.set_scores(
            book_db,
            t.teacher,
            t.class_id,
            t.subject_id,
            1,
            [CellEntry(row.student_id, f"tx{MAX_TX_COLUMNS + 1}", "8")],
        )


def test_a_semester_missing_a_score_has_no_average_and_says_why(book_db: Database, toan: Teaching) -> None:
    t = toan
    sid = mb.load_markbook(book_db, t.teacher, t.class_id, t.subject_id, 2).rows[0].student_id
    change = mb.set_score(book_db, t.teacher, t.class_id, t.subject_id, 2, sid, "ck", "")
    assert change.row.semester.value is None
    assert change.row.semester.problem is not None and "cuối kì" in change.row.semester.problem
    assert change.row.year.value is None and "học kì II" in (change.row.year.problem or "")


def test_comment_only_subjects_take_d_and_cd(book_db: Database) -> None:
    t = teaching(book_db, "gdtc")
    book = mb.load_markbook(book_db, t.teacher, t.class_id, t.subject_id, 2)
    assert book.kind == "comment"
    row = book.rows[0]
    change = mb.set_score(book_db, t.teacher, t.class_id, t.subject_id, 2, row.student_id, "ck", "cd")
    assert change.new == "CĐ"
    assert change.row.semester.value is False  # the end-of-term check must be Đạt
    assert change.row.year.value is False  # a comment subject's year is its second semester
    with pytest.raises(EntryError, match="không cho điểm số"):
        mb.set_score(book_db, t.teacher, t.class_id, t.subject_id, 2, row.student_id, "gk", "8")


def test_comments_are_trimmed_limited_and_copied_to_the_second_semester(
    book_db: Database, toan: Teaching
) -> None:
    t = toan
    rows = mb.load_markbook(book_db, t.teacher, t.class_id, t.subject_id, 1).rows
    first, second = rows[0].student_id, rows[1].student_id
    mb.set_score(book_db, t.teacher, t.class_id, t.subject_id, 1, first, "comment", "  Tiến bộ rõ.  ")
    mb.set_score(book_db, t.teacher, t.class_id, t.subject_id, 1, second, "comment", "Cần cố gắng.")
    mb.set_score(book_db, t.teacher, t.class_id, t.subject_id, 2, first, "comment", "")
    mb.set_score(book_db, t.teacher, t.class_id, t.subject_id, 2, second, "comment", "Đã viết rồi.")
    with pytest.raises(EntryError, match="quá giới hạn"):
        mb.set_score(
            book_db, t.teacher, t.class_id, t.subject_id, 1, first, "comment", "x" * (MAX_COMMENT_CHARS + 1)
        )

    copied = mb.copy_comments_from_first_semester(book_db, t.teacher, t.class_id, t.subject_id)

    assert first in {c.student_id for c in copied} and second not in {c.student_id for c in copied}
    book = mb.load_markbook(book_db, t.teacher, t.class_id, t.subject_id, 2)
    assert book.row_of(first).comment == "Tiến bộ rõ."
    assert book.row_of(second).comment == "Đã viết rồi."


# ------------------------------------------------------------------------------ who may


def test_another_teacher_can_neither_see_nor_write(book_db: Database, toan: Teaching) -> None:
    stranger = other_teacher(book_db, toan)
    with pytest.raises(PermissionDenied):
        mb.load_markbook(book_db, stranger, toan.class_id, toan.subject_id, 1)
    sid = mb.load_markbook(book_db, toan.teacher, toan.class_id, toan.subject_id, 1).rows[0].student_id
    with pytest.raises(PermissionDenied, match="giáo viên bộ môn"):
        mb.set_score(book_db, stranger, toan.class_id, toan.subject_id, 1, sid, "gk", "8")
    with pytest.raises(PermissionDenied):
        mb.cell_history(book_db, stranger, toan.class_id, toan.subject_id, 1, sid, "gk")


@pytest.mark.parametrize("login", ["hieutruong", "phohieutruong", "vanthu", "admin"])
def test_school_wide_roles_view_read_only(book_db: Database, toan: Teaching, login: str) -> None:
    viewer = actor(book_db, login)
    book = mb.load_markbook(book_db, viewer, toan.class_id, toan.subject_id, 1)
    assert not book.can_edit and len(book.rows) == 12
    with pytest.raises(PermissionDenied):
        mb.set_score(book_db, viewer, toan.class_id, toan.subject_id, 1, book.rows[0].student_id, "gk", "8")


def test_the_homeroom_teacher_views_every_subject_of_the_class(book_db: Database, toan: Teaching) -> None:
    from app.models import SchoolClass, UserAccount

    with book_db.read() as s:
        login = s.scalar(
            select(UserAccount.login)
            .join(SchoolClass, SchoolClass.homeroom_teacher_id == UserAccount.id)
            .where(SchoolClass.id == toan.class_id)
        )
    assert login is not None
    homeroom = actor(book_db, login)
    book = mb.load_markbook(book_db, homeroom, toan.class_id, toan.subject_id, 1)
    assert book.can_edit == ((toan.class_id, toan.subject_id) in homeroom.teaching)


def test_a_student_of_another_class_is_refused(book_db: Database, toan: Teaching) -> None:
    other = teaching(book_db, "toan", class_index=1)
    outsider = (
        mb.load_markbook(book_db, other.teacher, other.class_id, other.subject_id, 1).rows[0].student_id
    )
    with pytest.raises(Exception, match="không có trong danh sách lớp"):
        mb.set_score(book_db, toan.teacher, toan.class_id, toan.subject_id, 1, outsider, "gk", "8")
