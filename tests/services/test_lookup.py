"""Look-up: diacritic- and case-free search, ranking, past students, filters and masking."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.models.db import Database, open_database
from app.rules.identity import mask_national_id
from app.services.access import SYSTEM
from app.services.lookup import (
    MATCH_CODE,
    MATCH_EXACT,
    MATCH_FOLDED,
    MATCH_PREFIX,
    MATCH_WORDS,
    STATUS_CURRENT,
    STATUS_LEFT,
    STATUS_PAST,
    LookupQuery,
    lookup_choices,
    search_students,
)
from tests.services.lookup_data import LookupSchool, make_lookup_school, role_actor, teacher_of


@pytest.fixture(scope="module")
def school(tmp_path_factory: pytest.TempPathFactory) -> LookupSchool:
    db = open_database(tmp_path_factory.mktemp("lookup") / "school.sqlite3")
    return make_lookup_school(db)


@pytest.fixture(scope="module")
def db(school: LookupSchool) -> Database:
    return school.db


def names(db: Database, text: str, **kw: object) -> list[str]:
    return [h.full_name for h in search_students(db, SYSTEM, LookupQuery(text, **kw)).hits]  # type: ignore[arg-type]


def test_without_diacritics_and_in_any_case(db: Database) -> None:
    for typed in ("nguyen van an", "NGUYEN VAN AN", "Nguyen  Van   An ", "nguyễn văn an"):
        found = names(db, typed)
        assert found[:2] == ["Nguyễn Văn An", "Nguyễn Văn Ân"], typed
        assert "Nguyễn Văn Anh" in found


def test_d_and_đ_are_the_same_letter(db: Database) -> None:
    for typed in ("dang thi dao", "Đặng Thị Đào", "DANG", "đao"):
        assert names(db, typed)[0] == "Đặng Thị Đào", typed


def test_exact_diacritics_rank_first_then_folded_then_prefix(db: Database) -> None:
    hits = search_students(db, SYSTEM, LookupQuery("Nguyễn Văn Ân")).hits
    assert [(h.full_name, h.match) for h in hits[:3]] == [
        ("Nguyễn Văn Ân", MATCH_EXACT),
        ("Nguyễn Văn An", MATCH_FOLDED),
        ("Nguyễn Văn Anh", MATCH_PREFIX),
    ]
    # Folded first even when typed without marks; then "Anh", which "an" only starts.
    hits = search_students(db, SYSTEM, LookupQuery("nguyen van an")).hits
    assert [h.match for h in hits[:3]] == [MATCH_FOLDED, MATCH_FOLDED, MATCH_PREFIX]
    assert hits[2].full_name == "Nguyễn Văn Anh"


def test_a_single_word_finds_whole_words_before_longer_ones(db: Database) -> None:
    found = names(db, "an")
    assert found.index("Nguyễn Văn An") < found.index("Nguyễn Văn Anh")
    assert found.index("Nguyễn Văn Ân") < found.index("Nguyễn Văn Anh")
    # The diacritics typed decide between two whole-word matches.
    found = names(db, "ân")
    assert found.index("Nguyễn Văn Ân") < found.index("Nguyễn Văn An")


def test_words_in_any_order_and_no_match_inside_a_word(db: Database) -> None:
    hits = search_students(db, SYSTEM, LookupQuery("an nguyen")).hits
    assert hits[0].full_name == "Nguyễn Văn An" and hits[0].match == MATCH_WORDS
    assert "Nguyễn Văn An" not in names(db, "guyen"), "only word starts match"
    assert names(db, "zzzz") == []


def test_by_identification_number_and_student_code(db: Database, school: LookupSchool) -> None:
    hits = search_students(db, SYSTEM, LookupQuery("079213000222")).hits
    assert [(h.full_name, h.match) for h in hits] == [("Nguyễn Văn Ân", MATCH_EXACT)]
    hits = search_students(db, SYSTEM, LookupQuery("079 213 000 222")).hits
    assert [h.full_name for h in hits] == ["Nguyễn Văn Ân"], "separators people type are ignored"
    # The last digits, as masked lists show them.
    hits = search_students(db, SYSTEM, LookupQuery("0444")).hits
    assert [(h.full_name, h.match) for h in hits] == [("Đặng Thị Đào", MATCH_CODE)]
    hits = search_students(db, SYSTEM, LookupQuery("7900000004")).hits
    assert hits[0].student_id == school.students["dao"] and hits[0].match == MATCH_EXACT
    codes = {h.student_code for h in search_students(db, SYSTEM, LookupQuery("790000000")).hits}
    assert len(codes) == 7


def test_past_and_departed_students_are_found(db: Database, school: LookupSchool) -> None:
    left = search_students(db, SYSTEM, LookupQuery("lo thi my")).hits[0]
    assert left.student_id == school.students["left"]
    assert left.status == STATUS_LEFT
    assert left.status_label.startswith("Đã rời trường ngày 15/01/") and "chuyển trường" in left.status_label
    past = search_students(db, SYSTEM, LookupQuery("tran quoc bao")).hits[0]
    assert past.student_id == school.students["past"]
    assert past.status == STATUS_PAST and past.class_name == "9Z"
    assert past.status_label.startswith("Đã học đến năm ")
    current = search_students(db, SYSTEM, LookupQuery("dang thi dao")).hits[0]
    assert current.status == STATUS_CURRENT and current.status_label == "Đang học"
    # Only those studying now, when asked.
    assert names(db, "lo thi my", include_left=False) == []
    assert names(db, "tran quoc bao", include_left=False) == []
    assert names(db, "dang thi dao", include_left=False) == ["Đặng Thị Đào"]


def test_filters_by_year_and_class(db: Database, school: LookupSchool) -> None:
    assert names(db, "bao", year_id=school.past_year) == ["Trần Quốc Bảo"]
    assert "Trần Quốc Bảo" not in names(db, "bao", year_id=school.current_year)
    in_a = names(db, "nguyen van", class_id=school.class_a)
    assert in_a == ["Nguyễn Văn An", "Nguyễn Văn Anh"]
    # No text: the class in Vietnamese name order (the departed student included).
    browse = search_students(db, SYSTEM, LookupQuery("", class_id=school.class_a))
    assert browse.total == len(browse.hits) == 9
    assert "Lò Thị Mỷ" in [h.full_name for h in browse.hits]
    # No text and no filter: nothing (the screen asks to type).
    assert search_students(db, SYSTEM, LookupQuery("   ")).hits == ()
    assert search_students(db, SYSTEM, LookupQuery("", include_left=False)).hits == ()


def test_limit_keeps_the_best_and_counts_all(db: Database) -> None:
    result = search_students(db, SYSTEM, LookupQuery("nguyen", limit=2))
    assert len(result.hits) == 2 and result.total > 2
    full = search_students(db, SYSTEM, LookupQuery("nguyen"))
    assert [h.student_id for h in result.hits] == [h.student_id for h in full.hits[:2]]


def test_like_wildcards_are_plain_characters(db: Database) -> None:
    assert names(db, "%") == []
    assert names(db, "_") == []
    assert names(db, "nguyen%an") == []


def test_numbers_are_masked_unless_the_role_needs_them(db: Database, school: LookupSchool) -> None:
    for role in ("vanthu", "hieutruong", "phohieutruong", "admin"):
        hit = search_students(db, role_actor(role), LookupQuery("dang thi dao")).hits[0]
        assert hit.national_id == "079313000444" and hit.national_id_full, role
    teacher = teacher_of(school.class_b)
    hit = search_students(db, teacher, LookupQuery("dang thi dao")).hits[0]
    assert hit.national_id == mask_national_id("079313000444") == "••••••••0444"
    assert not hit.national_id_full
    provisional = search_students(db, SYSTEM, LookupQuery("ha van tung")).hits[0]
    assert provisional.provisional_id and provisional.national_id == ""


def test_teachers_find_only_students_of_their_classes(db: Database, school: LookupSchool) -> None:
    teacher = teacher_of(school.class_b)
    found = [h.full_name for h in search_students(db, teacher, LookupQuery("nguyen van")).hits]
    assert found == ["Nguyễn Văn Ân"]
    # Not even through the number.
    assert search_students(db, teacher, LookupQuery("079213000111")).hits == ()
    choices = lookup_choices(db, teacher)
    assert [c.id for c in choices.classes] == [school.class_b]
    everyone = lookup_choices(db, SYSTEM)
    assert {c.id for c in everyone.classes} == {school.class_a, school.class_b, school.past_class}
    assert [y.is_current for y in everyone.years] == [True, False]


def test_a_big_school_is_searched_the_same_way(tmp_path: Path) -> None:
    """Many look-alike names: every result really matches and the order follows the ranks."""
    db = open_database(tmp_path / "big.sqlite3")
    try:
        make_lookup_school(db, students_per_class=40)
        result = search_students(db, SYSTEM, LookupQuery("nguyen"))
        ranks = ["exact", "folded", "prefix", "words", "code"]
        order = [ranks.index(h.match) for h in result.hits]
        assert order == sorted(order)
        assert all("nguyen" in h.full_name.casefold().replace("ễ", "e") for h in result.hits)
    finally:
        db.dispose()


def test_an_encrypted_database_is_searched_the_same_way(tmp_path: Path) -> None:
    """The folding function is registered on the driver's connection: SQLCipher's too."""
    db = open_database(tmp_path / "encrypted.sqlite3", key=bytes(range(32)))
    try:
        make_lookup_school(db)
        assert names(db, "nguyen van an")[:2] == ["Nguyễn Văn An", "Nguyễn Văn Ân"]
    finally:
        db.dispose()
