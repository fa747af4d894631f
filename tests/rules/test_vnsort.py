"""Tests for app.rules.vnsort (Vietnamese class-list ordering and search folding)."""

from __future__ import annotations

import itertools
import random
import sqlite3
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.rules import vnsort
from app.rules.vnsort import (
    fold,
    name_sort_key,
    normalise_name,
    split_name,
    sqlite_collation,
    word_key,
)


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def by_name(names: list[str]) -> list[str]:
    return sorted(names, key=name_sort_key)


# Written out by hand: given name first (letters, then tones), then middle, then family.
CLASS_IN_ORDER = [
    "Trần Thị An",  # An: middle "Thị" < "Văn"
    "Nguyễn Văn An",
    "Đỗ Anh",  # Anh, no middle name: before those with one; family Đỗ < Nguyễn
    "Nguyễn Anh",
    "Nguyễn Thị Kim Anh",
    "Lê Hoàng Ân",  # â after a; Ân (ngang) before Ấn (sắc)
    "Phạm Minh Ấn",
    "Dương Văn Dũng",  # same given and middle: family Dương < Võ
    "Võ Văn Dũng",
    "Đặng Minh Đức",  # đ after d
    "Hà Thị Ngoc",  # typed without the tone: ngang before nặng
    "Phạm Bảo Ngọc",
    "H'Hen Niê",  # ethnic-minority name; the last word is taken as the given name
    "Ksor Phơi",
    "Nguyễn Thị Thanh",  # Thanh < Thành < Thạnh
    "Lê Văn Thành",
    "Đinh Công Thạnh",
    "Bùi Thị Thu",  # u before ư
    "Hoàng Minh Thư",
    "Phan Văn Toàn",  # o before ô before ơ
    "Lâm Thị Tô",
    "Lý Thị Tơ",
]


# --------------------------------------------------------------------------- split_name


@pytest.mark.parametrize(
    ("full", "expected"),
    [
        ("Nguyễn Văn An", ("Nguyễn", "Văn", "An")),
        ("  Nguyễn   Thị\u00a0Kim   Anh ", ("Nguyễn", "Thị Kim", "Anh")),
        ("Lê An", ("Lê", "", "An")),
        ("An", ("", "", "An")),
        ("", ("", "", "")),
        ("   ", ("", "", "")),
        ("H'Hen Niê", ("H'Hen", "", "Niê")),
    ],
)
def test_split_name(full: str, expected: tuple[str, str, str]) -> None:
    assert split_name(full) == expected


def test_split_name_returns_nfc() -> None:
    family, middle, given_name = split_name(nfd("Nguyễn Thị Ánh"))
    assert (family, middle, given_name) == ("Nguyễn", "Thị", "Ánh")
    assert all(unicodedata.is_normalized("NFC", p) for p in (family, middle, given_name))


def test_normalise_name() -> None:
    assert normalise_name(nfd(" Đặng \t Minh  Đức ")) == "Đặng Minh Đức"


# --------------------------------------------------------------------------- ordering


def test_class_list_order_written_by_hand() -> None:
    shuffled = CLASS_IN_ORDER[:]
    for seed in range(5):
        random.Random(seed).shuffle(shuffled)
        assert by_name(shuffled) == CLASS_IN_ORDER


def test_nfd_input_sorts_like_nfc() -> None:
    decomposed = [nfd(n) for n in CLASS_IN_ORDER]
    random.Random(1).shuffle(decomposed)
    assert [unicodedata.normalize("NFC", n) for n in by_name(decomposed)] == CLASS_IN_ORDER
    for name in CLASS_IN_ORDER:
        assert name_sort_key(nfd(name)) == name_sort_key(name)
        assert sqlite_collation(nfd(name), name) == 0


def test_tones_order() -> None:
    expected = ["Ba", "Bà", "Bả", "Bã", "Bá", "Bạ"]
    assert by_name(list(reversed(expected))) == expected
    assert by_name([nfd(w) for w in reversed(expected)]) == [nfd(w) for w in expected]


@pytest.mark.parametrize(
    "ordered",
    [
        ["An", "Ân", "Ấn"],
        ["Dũng", "Đức"],
        ["U", "Ư"],
        ["O", "Ô", "Ơ"],
        ["A", "Ă", "Â", "B"],
        ["E", "Ê", "G"],
        ["Thanh", "Thành", "Thạnh"],
        ["Ngoc", "Ngọc"],
        # Letters outrank tones: a whole dictionary run.
        ["Ba", "Bà", "Bá", "Bạ", "Bac", "Bác", "Bạc"],
        # f, j, w, z slot in after the letter they follow in Latin order.
        ["Ea", "Êa", "Fa", "Ga"],
        ["Ia", "Ja", "Ka"],
        ["Va", "Wa", "Xa"],
        ["Ya", "Za"],
        # Digits before letters, compared digit by digit (no numeric ordering).
        ["1", "10", "2", "A"],
    ],
)
def test_letter_and_tone_order(ordered: list[str]) -> None:
    assert by_name(list(reversed(ordered))) == ordered
    for a, b in itertools.pairwise(ordered):
        assert sqlite_collation(a, b) == -1
        assert sqlite_collation(b, a) == 1


def test_case_insensitive_with_deterministic_tie_break() -> None:
    assert word_key("ĐỨC") == word_key("Đức") == word_key("đức")
    assert name_sort_key("NGUYỄN VĂN AN")[0] == name_sort_key("Nguyễn Văn An")[0]
    # Different strings never compare equal ...
    assert sqlite_collation("NGUYỄN VĂN AN", "Nguyễn Văn An") != 0
    # ... and case never beats a letter.
    assert by_name(["Nguyễn Văn Bình", "NGUYỄN VĂN AN"]) == ["NGUYỄN VĂN AN", "Nguyễn Văn Bình"]


def test_whitespace_is_not_significant() -> None:
    assert sqlite_collation("  Nguyễn   Văn\tAn ", "Nguyễn Văn An") == 0
    assert name_sort_key("  Nguyễn   Văn\tAn ") == name_sort_key("Nguyễn Văn An")


def test_punctuation_is_ignored_for_order_but_breaks_ties() -> None:
    assert word_key("H'Hen") == word_key("HHen")
    assert word_key("H\u2019Hen") == word_key("H'Hen")
    assert sqlite_collation("H'Hen Niê", "HHen Niê") != 0
    # The hyphen does not push "Ka-ra" away from "Kara".
    assert by_name(["Kb", "Ka-ra", "Kaa"]) == ["Kaa", "Ka-ra", "Kb"]


def test_characters_outside_the_alphabet_are_deterministic() -> None:
    odd = ["Müller", "Muller", "Nguyễn 3", "Иван", "李", "Ksor", "Y-Moan", "X Æ", "∑", "👍"]
    first = by_name(odd)
    assert by_name(list(reversed(odd))) == first
    # Foreign diacritics sort with their base letter.
    assert word_key("Müller")[0] == word_key("Muller")[0]
    # Other scripts sort after every Vietnamese letter.
    assert by_name(["Иван", "Yến"]) == ["Yến", "Иван"]


def test_legacy_eth_is_read_as_d_bar() -> None:
    # Old VNI/TCVN conversions left U+00D0 where "Đ" was meant.
    assert word_key("\u00d0\u1ee9c") == word_key("Đức")
    assert fold("\u00d0ức") == "duc"


def test_word_key_shape() -> None:
    letters, tones = word_key("Nguyễn")
    assert len(letters) == len(tones) == 6
    assert word_key("Ngọc") > word_key("Ngoc")
    assert word_key(nfd("Ngọc")) == word_key("Ngọc")


def test_sort_by_rows_attribute() -> None:
    rows = [{"id": i, "full_name": n} for i, n in enumerate(reversed(CLASS_IN_ORDER))]
    ordered = sorted(rows, key=lambda r: name_sort_key(r["full_name"]))
    assert [r["full_name"] for r in ordered] == CLASS_IN_ORDER


# --------------------------------------------------------------------------- sqlite


def test_sqlite_collation_in_order_by() -> None:
    conn = sqlite3.connect(":memory:")
    try:
        conn.create_collation("vi_name", sqlite_collation)
        conn.execute("CREATE TABLE student (id INTEGER PRIMARY KEY, full_name TEXT NOT NULL)")
        shuffled = CLASS_IN_ORDER[:]
        random.Random(7).shuffle(shuffled)
        # Half of them stored decomposed, as some imports deliver them.
        stored = [nfd(n) if i % 2 else n for i, n in enumerate(shuffled)]
        conn.executemany("INSERT INTO student (full_name) VALUES (?)", [(n,) for n in stored])
        got = [
            unicodedata.normalize("NFC", r[0])
            for r in conn.execute("SELECT full_name FROM student ORDER BY full_name COLLATE vi_name")
        ]
        assert got == CLASS_IN_ORDER

        # Also usable in an index and a comparison.
        conn.execute("CREATE INDEX ix_name ON student (full_name COLLATE vi_name)")
        count = conn.execute(
            "SELECT count(*) FROM student WHERE full_name COLLATE vi_name < ?", ("Đặng Minh Đức",)
        ).fetchone()[0]
        assert count == CLASS_IN_ORDER.index("Đặng Minh Đức")
    finally:
        conn.close()


def test_sqlite_collation_returns_minus_one_zero_one() -> None:
    assert sqlite_collation("Nguyễn Văn An", "Nguyễn Văn Bình") == -1
    assert sqlite_collation("Nguyễn Văn Bình", "Nguyễn Văn An") == 1
    assert sqlite_collation("Nguyễn Văn An", "Nguyễn Văn An") == 0


# --------------------------------------------------------------------------- fold


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Nguyễn Văn An", "nguyen van an"),
        ("  ĐẶNG   Thị\tÁnh ", "dang thi anh"),
        ("Hoàng Đức Ưng Ơn", "hoang duc ung on"),
        ("Phạm Bảo Ngọc", "pham bao ngoc"),
        ("H\u2019Hen Niê", "h'hen nie"),
        ("Müller", "muller"),
        ("", ""),
    ],
)
def test_fold(text: str, expected: str) -> None:
    assert fold(text) == expected
    assert fold(nfd(text)) == expected


def test_fold_lets_a_plain_query_find_a_name() -> None:
    names = CLASS_IN_ORDER
    hits = [n for n in names if fold("nguyen van an") in fold(n)]
    assert hits == ["Nguyễn Văn An"]
    assert [n for n in names if fold("duc") in fold(n)] == ["Đặng Minh Đức"]


# --------------------------------------------------------------------------- properties

_LETTERS = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
_TONE_MARKS = ["", "\u0300", "\u0309", "\u0303", "\u0301", "\u0323"]


@st.composite
def vi_words(draw: st.DrawFn) -> str:
    letters = draw(st.text(alphabet=_LETTERS + "'-0", min_size=1, max_size=6))
    if draw(st.booleans()):
        letters = letters.capitalize()
    tone = draw(st.sampled_from(_TONE_MARKS))
    word = unicodedata.normalize("NFC", letters + tone)
    return nfd(word) if draw(st.booleans()) else word


names = st.lists(vi_words(), min_size=0, max_size=5).map(" ".join) | st.text(max_size=12)
# Words with at least one letter or digit (a word of only "-" or "'" is ignored when ordering).
real_words = vi_words().filter(lambda w: any(ch.isalnum() for ch in w))


def _documented_key(full_name: str) -> tuple[object, ...]:
    """The order the module documents, as nested tuples: the given name's word key, then
    the middle names' word keys, then the family name's, each word (letters, tones)."""
    family, middle, given = split_name(full_name)
    return (
        word_key(given) if given else ("", ""),
        tuple(word_key(w) for w in middle.split()),
        tuple(word_key(w) for w in family.split()),
    )


@settings(max_examples=300, deadline=None)
@given(names, names)
def test_collation_is_antisymmetric_and_matches_the_key(a: str, b: str) -> None:
    ab, ba = sqlite_collation(a, b), sqlite_collation(b, a)
    assert ab == -ba
    assert (ab < 0) == (name_sort_key(a) < name_sort_key(b))
    assert (ab == 0) == (normalise_name(a) == normalise_name(b))


@settings(max_examples=200, deadline=None)
@given(names, names, names)
def test_collation_is_transitive(a: str, b: str, c: str) -> None:
    x, y, z = sorted([a, b, c], key=name_sort_key)
    assert sqlite_collation(x, y) <= 0
    assert sqlite_collation(y, z) <= 0
    assert sqlite_collation(x, z) <= 0


@settings(max_examples=200, deadline=None)
@given(st.lists(names, max_size=12))
def test_sorting_is_deterministic_and_independent_of_input_order(sample: list[str]) -> None:
    first = by_name(sample)
    name_sort_key.cache_clear()
    vnsort._WORD_CACHE.clear()
    # Names equal after normalisation (NFC vs NFD) are ties; compare normalised forms.
    assert [normalise_name(n) for n in by_name(list(reversed(sample)))] == [
        normalise_name(n) for n in first
    ]
    # NFD input sorts exactly like its NFC form.
    assert [normalise_name(n) for n in by_name([nfd(n) for n in sample])] == [
        normalise_name(n) for n in first
    ]


@settings(max_examples=300, deadline=None)
@given(st.lists(real_words, min_size=1, max_size=4).map(" ".join),
       st.lists(real_words, min_size=1, max_size=4).map(" ".join))
def test_flat_key_orders_like_the_documented_word_by_word_key(a: str, b: str) -> None:
    da, db = _documented_key(a), _documented_key(b)
    if da != db:
        assert (name_sort_key(a) < name_sort_key(b)) == (da < db)


@settings(max_examples=200, deadline=None)
@given(names)
def test_fold_is_ascii_for_vietnamese_words(name: str) -> None:
    folded = fold(name)
    assert folded == fold(folded)
    if all(ch in _LETTERS + _LETTERS.upper() + " " or unicodedata.combining(ch) for ch in nfd(name)):
        assert folded.isascii()

