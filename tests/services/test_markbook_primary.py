"""The primary mark book (Thông tư 27): levels, integer test scores, qualities and
competencies, copying last period's comments, the lock and comment snippets."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from app.errors import UserFacingError
from app.models import SchoolClass, UserAccount
from app.models.db import Database
from app.services import comment_snippets as cs
from app.services import locking
from app.services import markbook_primary as mp
from app.services.access import SYSTEM, PermissionDenied
from app.services.markbook import CellEntry, EntryProblems
from app.services.markbook_common import MarkbookLocked
from app.services.score_entry import EntryError, parse_integer_score
from tests.services.markbook_data import Teaching, actor, copy_of, make_template, other_teacher, teaching


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_template(tmp_path_factory.mktemp("primary"), "tieuhoc")


@pytest.fixture
def book_db(template: Path, tmp_path: Path) -> Iterator[Database]:
    db = copy_of(template, tmp_path)
    yield db
    db.dispose()


@pytest.fixture
def tv(book_db: Database) -> Teaching:
    return teaching(book_db, "tiengviet")


@pytest.mark.parametrize(
    ("typed", "level"),
    [
        ("T", "T"),
        ("t", "T"),
        ("HTT", "T"),
        ("Hoàn thành tốt", "T"),
        ("h", "H"),
        ("HT", "H"),
        ("c", "C"),
        ("CHT", "C"),
        ("chua hoan thanh", "C"),
        ("", None),
    ],
)
def test_subject_levels(typed: str, level: str | None) -> None:
    assert mp.parse_level(typed) == level


@pytest.mark.parametrize(
    ("typed", "rating"),
    [
        ("T", "T"),
        ("tốt", "T"),
        ("Đ", "Đ"),
        ("d", "Đ"),
        ("dd", "Đ"),
        ("Đạt", "Đ"),
        ("C", "C"),
        ("CCG", "C"),
        ("cần cố gắng", "C"),
    ],
)
def test_quality_and_competency_ratings(typed: str, rating: str) -> None:
    assert mp.parse_rating(typed) == rating


@pytest.mark.parametrize(("typed", "score"), [("8", 8), ("0", 0), ("10", 10), ("7,0", 7), ("", None)])
def test_test_scores_are_whole_numbers(typed: str, score: int | None) -> None:
    assert parse_integer_score(typed) == score


@pytest.mark.parametrize(
    ("typed", "reason"), [("7,5", "số nguyên"), ("11", "lớn hơn 10"), ("tám", "không phải")]
)
def test_test_scores_refused_with_the_reason(typed: str, reason: str) -> None:
    with pytest.raises(EntryError, match=reason):
        parse_integer_score(typed)


def test_which_periods_have_a_test() -> None:
    assert mp.has_test("toan", True, 1, "ck1") and mp.has_test("toan", True, 1, "cn")
    assert not mp.has_test("toan", True, 3, "gk1")  # mid-term tests from grade 4 only
    assert mp.has_test("toan", True, 4, "gk1") and mp.has_test("tiengviet", True, 5, "gk2")
    assert not mp.has_test("khoahoc", True, 5, "gk2")
    assert not mp.has_test("daoduc", False, 5, "cn")


def test_the_subject_sheet_and_writing_levels_scores_comments(book_db: Database, tv: Teaching) -> None:
    book = mp.load_primary_markbook(book_db, tv.teacher, tv.class_id, tv.subject_id, "cn")
    assert book.can_edit and book.test_column and book.previous_period == "gk2"
    row = next(r for r in book.rows if not r.not_assessed)
    assert row.level in ("T", "H", "C") and row.test_score is not None

    changes = mp.set_primary_values(
        book_db,
        tv.teacher,
        tv.class_id,
        tv.subject_id,
        "cn",
        [
            CellEntry(row.student_id, "level", "h"),
            CellEntry(row.student_id, "test", "6"),
            CellEntry(row.student_id, "comment", " Đọc còn chậm. "),
        ],
    )

    assert [(c.column, c.new) for c in changes] == [
        ("level", "H"),
        ("test", "6"),
        ("comment", "Đọc còn chậm."),
    ]
    after = mp.load_primary_markbook(book_db, tv.teacher, tv.class_id, tv.subject_id, "cn")
    changed = next(r for r in after.rows if r.student_id == row.student_id)
    assert (changed.level, changed.test_score, changed.comment) == ("H", 6, "Đọc còn chậm.")
    history = mp.primary_cell_history(
        book_db, tv.teacher, tv.class_id, tv.subject_id, "cn", row.student_id, "test"
    )
    assert [(h.old, h.new) for h in history] == [(str(row.test_score), "6")]


def test_a_batch_with_a_bad_value_writes_nothing(book_db: Database, tv: Teaching) -> None:
    book = mp.load_primary_markbook(book_db, tv.teacher, tv.class_id, tv.subject_id, "ck1")
    a, b = book.rows[0], book.rows[1]
    with pytest.raises(EntryProblems, match="số nguyên"):
        mp.set_primary_values(
            book_db,
            tv.teacher,
            tv.class_id,
            tv.subject_id,
            "ck1",
            [CellEntry(a.student_id, "level", "C"), CellEntry(b.student_id, "test", "8,5")],
        )
    assert mp.load_primary_markbook(book_db, tv.teacher, tv.class_id, tv.subject_id, "ck1").rows == book.rows


def test_no_test_score_where_the_subject_has_no_test(book_db: Database) -> None:
    dd = teaching(book_db, "daoduc")
    book = mp.load_primary_markbook(book_db, dd.teacher, dd.class_id, dd.subject_id, "cn")
    assert not book.test_column
    with pytest.raises(EntryProblems, match="không nhập được"):
        mp.set_primary_values(
            book_db,
            dd.teacher,
            dd.class_id,
            dd.subject_id,
            "cn",
            [CellEntry(book.rows[0].student_id, "test", "8")],
        )


def test_subject_teachers_of_other_classes_are_refused(book_db: Database, tv: Teaching) -> None:
    stranger = other_teacher(book_db, tv)
    with pytest.raises(PermissionDenied):
        mp.load_primary_markbook(book_db, stranger, tv.class_id, tv.subject_id, "cn")
    principal = actor(book_db, "hieutruong")
    book = mp.load_primary_markbook(book_db, principal, tv.class_id, tv.subject_id, "cn")
    assert not book.can_edit
    with pytest.raises(PermissionDenied):
        mp.set_primary_values(
            book_db,
            principal,
            tv.class_id,
            tv.subject_id,
            "cn",
            [CellEntry(book.rows[0].student_id, "level", "T")],
        )


def test_copying_last_periods_comments_fills_only_empty_ones(book_db: Database, tv: Teaching) -> None:
    gk2 = mp.load_primary_markbook(book_db, tv.teacher, tv.class_id, tv.subject_id, "gk2")
    a, b = gk2.rows[0], gk2.rows[1]
    mp.set_primary_values(
        book_db,
        tv.teacher,
        tv.class_id,
        tv.subject_id,
        "gk2",
        [
            CellEntry(a.student_id, "comment", "Viết chữ đẹp hơn."),
            CellEntry(b.student_id, "comment", "Mạnh dạn phát biểu."),
        ],
    )
    mp.set_primary_values(
        book_db,
        tv.teacher,
        tv.class_id,
        tv.subject_id,
        "cn",
        [CellEntry(a.student_id, "comment", ""), CellEntry(b.student_id, "comment", "Đã có nhận xét.")],
    )

    filled = mp.copy_previous_comments(book_db, tv.teacher, tv.class_id, tv.subject_id, "cn")

    book = mp.load_primary_markbook(book_db, tv.teacher, tv.class_id, tv.subject_id, "cn")
    by_id = {r.student_id: r for r in book.rows}
    assert by_id[a.student_id].comment == "Viết chữ đẹp hơn."
    assert by_id[a.student_id].previous_comment == "Viết chữ đẹp hơn."
    assert by_id[b.student_id].comment == "Đã có nhận xét."
    assert filled >= 1
    assert mp.copy_previous_comments(book_db, tv.teacher, tv.class_id, tv.subject_id, "cn") == 0
    with pytest.raises(UserFacingError, match="kì đầu tiên"):
        mp.copy_previous_comments(book_db, tv.teacher, tv.class_id, tv.subject_id, "gk1")


def _homeroom(db: Database, class_id: int) -> str:
    with db.read() as s:
        login = s.scalar(
            select(UserAccount.login)
            .join(SchoolClass, SchoolClass.homeroom_teacher_id == UserAccount.id)
            .where(SchoolClass.id == class_id)
        )
    assert login is not None
    return login


def test_qualities_and_competencies_by_the_homeroom_teacher(book_db: Database, tv: Teaching) -> None:
    homeroom = actor(book_db, _homeroom(book_db, tv.class_id))
    sheet = mp.load_traits(book_db, homeroom, tv.class_id, "cn")
    assert sheet.can_edit and len(mp.TRAIT_CODES) == 15
    row = next(r for r in sheet.rows if not r.not_assessed)
    assert all(level in ("T", "Đ", "C") for level in row.levels)

    mp.set_traits(
        book_db,
        homeroom,
        tv.class_id,
        "cn",
        [
            CellEntry(row.student_id, "cham_chi", "c"),
            CellEntry(row.student_id, "cham_chi.comment", "Cần chăm làm bài tập hơn."),
            CellEntry(row.student_id, "tinh_toan", "dd"),
        ],
    )

    after = next(
        r for r in mp.load_traits(book_db, homeroom, tv.class_id, "cn").rows if r.student_id == row.student_id
    )
    assert after.value("cham_chi") == "C" and after.value("tinh_toan") == "Đ"
    assert after.value("cham_chi.comment") == "Cần chăm làm bài tập hơn."
    history = mp.primary_cell_history(book_db, homeroom, tv.class_id, None, "cn", row.student_id, "cham_chi")
    assert history[0].new == "C"
    with pytest.raises(EntryProblems, match="Cần cố gắng"):
        mp.set_traits(book_db, homeroom, tv.class_id, "cn", [CellEntry(row.student_id, "nhan_ai", "H")])
    principal = actor(book_db, "hieutruong")
    assert not mp.load_traits(book_db, principal, tv.class_id, "cn").can_edit
    with pytest.raises(PermissionDenied, match="chủ nhiệm"):
        mp.set_traits(book_db, principal, tv.class_id, "cn", [CellEntry(row.student_id, "nhan_ai", "T")])


def test_a_primary_subject_locks_on_its_year_end_periods(book_db: Database, tv: Teaching) -> None:
    report = locking.lock_report(book_db, tv.teacher, tv.class_id, tv.subject_id)
    assert report.complete
    row = next(
        r
        for r in mp.load_primary_markbook(book_db, tv.teacher, tv.class_id, tv.subject_id, "ck1").rows
        if not r.not_assessed
    )
    mp.set_primary_values(
        book_db, tv.teacher, tv.class_id, tv.subject_id, "ck1", [CellEntry(row.student_id, "test", "")]
    )
    report = locking.lock_report(book_db, tv.teacher, tv.class_id, tv.subject_id)
    assert [(m.student_id, m.period, m.column) for m in report.missing] == [(row.student_id, "ck1", "test")]
    mp.set_primary_values(
        book_db, tv.teacher, tv.class_id, tv.subject_id, "ck1", [CellEntry(row.student_id, "test", "9")]
    )
    locking.lock_markbook(book_db, tv.teacher, tv.class_id, tv.subject_id)
    with pytest.raises(MarkbookLocked):
        mp.set_primary_values(
            book_db,
            tv.teacher,
            tv.class_id,
            tv.subject_id,
            "gk1",
            [CellEntry(row.student_id, "comment", "Sửa sau khi khoá")],
        )


# ------------------------------------------------------------------------------ snippets


def test_snippets_are_personal_shared_and_ordered_by_use(book_db: Database, tv: Teaching) -> None:
    teacher = tv.teacher
    stranger = other_teacher(book_db, tv)
    starters = cs.list_snippets(book_db, teacher)
    assert [s.text for s in starters] == list(cs.BUILTIN_SNIPPETS) and all(s.builtin for s in starters)

    mine = cs.add_snippet(book_db, teacher, "  Đọc   to, rõ ràng. ", "tiengviet")
    other = cs.add_snippet(book_db, teacher, "Viết đúng chính tả.")
    again = cs.add_snippet(book_db, teacher, "Đọc to, rõ ràng.", "tiengviet")
    assert again.id == mine.id and mine.text == "Đọc to, rõ ràng."
    shared = cs.add_snippet(book_db, SYSTEM, "Ngoan, lễ phép.", shared=True)
    with pytest.raises(PermissionDenied):
        cs.add_snippet(book_db, teacher, "Chung cả trường", shared=True)
    with pytest.raises(UserFacingError, match="trống"):
        cs.add_snippet(book_db, teacher, "   ")

    cs.record_use(book_db, teacher, other.id or 0)
    listed = cs.list_snippets(book_db, teacher, "tiengviet")
    assert [s.text for s in listed[:3]] == ["Viết đúng chính tả.", "Đọc to, rõ ràng.", "Ngoan, lễ phép."]
    assert listed[0].mine and not listed[2].mine and listed[2].shared
    assert "Đọc to, rõ ràng." not in [s.text for s in cs.list_snippets(book_db, teacher, "toan")]
    assert [s.text for s in cs.list_snippets(book_db, stranger) if not s.builtin] == ["Ngoan, lễ phép."]

    with pytest.raises(PermissionDenied):
        cs.delete_snippet(book_db, stranger, mine.id or 0)
    with pytest.raises(PermissionDenied):
        cs.delete_snippet(book_db, teacher, shared.id or 0)
    cs.delete_snippet(book_db, teacher, mine.id or 0)
    assert "Đọc to, rõ ràng." not in [s.text for s in cs.list_snippets(book_db, teacher, "tiengviet")]
    cs.delete_snippet(book_db, actor(book_db, "admin"), shared.id or 0)
