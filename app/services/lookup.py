"""Look-up (Tra cứu): find any student of the school, current or past, as people type.

What a clerk types is matched against the folded name (no diacritics, no case, "đ" = "d",
the folding of the database's ``vi_fold()``, so "nguyen van an" finds "Nguyễn Văn An"),
the student code (mã học sinh) and the identification number (whole, or its last digits as
lists show them). Results are ranked:

    0 exact   — the name exactly as typed, diacritics included (or the exact code / number)
    1 folded  — the whole name equal once both are folded
    2 prefix  — the folded name starts with what was typed
    3 words   — every typed word starts a word of the name, in any order ("an nguyen")
    4 code    — the start of a student code or the end of an identification number

and, inside a rank, names where every typed word is a whole word come first ("an" finds An
before Anh), then names whose diacritics agree with the typed ones, then Vietnamese name
order (app.rules.vnsort).

Speed, measured (bench/bench_lookup.py, 10,000 students): the name scan runs inside
SQLite, so only matching rows reach Python. Folding every name cost most of a search (a
Python call per row, ~25 ms a query on a quiet machine). ``vi_fold()`` now remembers its
answers too, but a search needs more than the folded name: the word-start form it
matches with LIKE and the forms the ranking compares, computed together once per name
(_forms) and registered on the search's connection as ``lookup_fold()``, which halves the
time. A folded column stored in the database would be faster still, but it needs
triggers calling a Python function on every connection that ever writes a student
(encryption's raw copy included), so there is none; see the benchmark's figures.

Identification numbers are masked (last four digits) unless the actor's role needs the
whole number for its work (`may_see_national_id`). Teachers find only students who were
ever in a class they teach or lead; the school-wide roles find everyone.
"""

from __future__ import annotations

import functools
import heapq
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from app.models.db import Database
from app.models.people import ROLE_ADMIN, ROLE_CLERK, ROLE_PRINCIPAL, ROLE_VICE_PRINCIPAL
from app.rules.identity import mask_national_id
from app.rules.vnsort import fold, name_sort_key, normalise_name
from app.services.access import Actor

__all__ = [
    "DEFAULT_LIMIT",
    "MATCH_ALL",
    "MATCH_CODE",
    "MATCH_EXACT",
    "MATCH_FOLDED",
    "MATCH_PREFIX",
    "MATCH_WORDS",
    "STATUS_CURRENT",
    "STATUS_LEFT",
    "STATUS_NOT_ENROLLED",
    "STATUS_PAST",
    "ClassChoice",
    "LookupChoices",
    "LookupHit",
    "LookupQuery",
    "LookupResult",
    "YearChoice",
    "lookup_choices",
    "may_see_national_id",
    "national_id_for",
    "search_students",
]

DEFAULT_LIMIT = 100

MATCH_EXACT, MATCH_FOLDED, MATCH_PREFIX, MATCH_WORDS, MATCH_CODE = (
    "exact", "folded", "prefix", "words", "code",
)
MATCH_ALL = "all"  # no text typed: browsing a year or a class, everyone in name order
_RANKS = (MATCH_EXACT, MATCH_FOLDED, MATCH_PREFIX, MATCH_WORDS, MATCH_CODE, MATCH_ALL)

STATUS_CURRENT = "current"  # enrolled in a class of the current year
STATUS_LEFT = "left"  # the last enrolment ended early: transferred out, dropped out
STATUS_PAST = "past"  # studied here in earlier years only (finished, graduated)
STATUS_NOT_ENROLLED = "none"  # a student row with no class yet

# Roles whose work needs the whole number: the clerk (transfers, certificates), the
# leaders (they accept numbers that disagree with the record) and the admin (data import).
_FULL_ID_ROLES = frozenset({ROLE_ADMIN, ROLE_CLERK, ROLE_PRINCIPAL, ROLE_VICE_PRINCIPAL})
# Fewer digits than this would match a crowd and tell nothing; lists show the last four.
_MIN_ID_SUFFIX = 4
_SEX_LABELS = {0: "", 1: "Nam", 2: "Nữ"}


@dataclass(frozen=True)
class LookupQuery:
    text: str = ""
    year_id: int | None = None  # only students enrolled in that school year
    class_id: int | None = None  # only students enrolled in that class
    include_left: bool = True  # False: only students studying in the current year
    limit: int = DEFAULT_LIMIT


@dataclass(frozen=True)
class LookupHit:
    student_id: int
    full_name: str
    student_code: str
    national_id: str  # masked ("••••••••4567") unless `national_id_full`
    national_id_full: bool
    provisional_id: bool  # no identification number yet
    date_of_birth: date
    sex: str
    class_name: str | None  # in the filtered year/class, else the latest class
    year_name: str | None
    status: str  # STATUS_*
    status_label: str  # Vietnamese, e.g. "Đang học", "Đã rời trường ngày 15/01/2027 (chuyển trường)"
    match: str  # MATCH_*


@dataclass(frozen=True)
class LookupResult:
    query: LookupQuery
    hits: tuple[LookupHit, ...]
    total: int  # how many matched before the limit


@dataclass(frozen=True)
class YearChoice:
    id: int
    name: str
    is_current: bool


@dataclass(frozen=True)
class ClassChoice:
    id: int
    name: str
    year_id: int


@dataclass(frozen=True)
class LookupChoices:
    years: tuple[YearChoice, ...]  # newest first
    classes: tuple[ClassChoice, ...]  # the classes the actor may see, every year


# --------------------------------------------------------------------------- rights


def may_see_national_id(actor: Actor) -> bool:
    return actor.is_system or bool(actor.roles & _FULL_ID_ROLES)


def national_id_for(actor: Actor, value: str | None) -> str:
    """The number as `actor` may see it: whole for the roles that need it, else masked."""
    if value is None:
        return ""
    return value if may_see_national_id(actor) else mask_national_id(value)


def _visible_class_ids(actor: Actor) -> frozenset[int] | None:
    """None = every class (school-wide roles)."""
    if actor.sees_whole_school:
        return None
    return actor.homeroom_class_ids | actor.taught_class_ids


# --------------------------------------------------------------------------- choices


def lookup_choices(db: Database, actor: Actor) -> LookupChoices:
    """The years and classes the filters offer."""
    visible = _visible_class_ids(actor)
    with db.read() as s:
        years = tuple(
            YearChoice(int(i), str(n), bool(c))
            for i, n, c in s.execute(
                text("SELECT id, name, is_current FROM school_year ORDER BY start_date DESC, id DESC")
            )
        )
        classes = [
            ClassChoice(int(i), str(n), int(y))
            for i, n, y in s.execute(text("SELECT id, name, school_year_id FROM school_class"))
            if visible is None or i in visible
        ]
    classes.sort(key=lambda c: (c.year_id, _natural_key(c.name)))
    return LookupChoices(years, tuple(classes))


def _natural_key(name: str) -> tuple[tuple[int, int | str], ...]:
    # "6A2" before "6A10".
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in re.split(r"(\d+)", name) if p)


# --------------------------------------------------------------------------- search


@dataclass(frozen=True)
class _Typed:
    """The query prepared once: exact form, folded form and words of each."""

    exact: str  # NFC, whitespace collapsed, casefolded (diacritics kept)
    folded: str
    exact_words: tuple[str, ...]
    folded_words: tuple[str, ...]
    digits: str | None  # the query as a number (separators removed), if it is one
    code: str  # casefolded, no spaces: for student codes


def _prepare(raw: str) -> _Typed:
    exact = normalise_name(raw).casefold()
    folded = fold(raw)
    compact = "".join(ch for ch in unicodedata.normalize("NFC", raw) if not ch.isspace() and ch not in ".-")
    digits = compact if compact.isascii() and compact.isdigit() else None
    return _Typed(exact, folded, tuple(exact.split()), tuple(folded.split()), digits, compact.casefold())


def _like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_students(db: Database, actor: Actor, query: LookupQuery) -> LookupResult:
    """Students matching `query`, best first, at most `query.limit` (see the module docstring).

    An empty text with a year or class filter lists those students in name order; an empty
    text with no filter finds nothing (the screen asks the person to type).
    """
    typed = _prepare(query.text)
    # "Only those studying now" narrows a search; alone it would list the whole school.
    browsing = query.year_id is not None or query.class_id is not None
    if not typed.folded and not typed.code and not browsing:
        return LookupResult(query, (), 0)
    with db.read() as s:
        current_year = s.execute(
            text("SELECT id FROM school_year WHERE is_current ORDER BY start_date DESC LIMIT 1")
        ).scalar()
        rows = _candidates(s, actor, query, typed, current_year)
        ranked: list[tuple[tuple[int, int, int], _Row]] = []
        for row in rows:
            rank = _rank(typed, row)
            if rank is not None:
                ranked.append((rank, row))
        total = len(ranked)
        best = heapq.nsmallest(
            max(query.limit, 0), ranked, key=lambda p: (p[0], name_sort_key(p[1][1]), p[1][0])
        )
        ids = [row[0] for _, row in best]
        places = _enrolments(s, ids)
        people = _births(s, ids)
    hits = tuple(
        _hit(actor, query, row, people[row[0]], _RANKS[rank[0]], places.get(row[0], ()), current_year)
        for rank, row in best
    )
    return LookupResult(query, hits, total)


_Row = tuple[int, str, str, str | None]  # id, full name, student code, identification number


@dataclass(frozen=True, slots=True)
class _Forms:
    spaced: str  # " " + folded name: "% word%" in SQL, " word" in Python = a word starting so
    folded: str
    folded_words: tuple[str, ...]
    exact: str  # NFC, whitespace collapsed, casefolded, diacritics kept
    exact_words: tuple[str, ...]


@functools.lru_cache(maxsize=131_072)
def _forms(full_name: str) -> _Forms:
    """The forms of a name a search compares, kept: a school's names are the same from one
    key press to the next, and folding them again was most of a search's time."""
    folded = fold(full_name)
    exact = normalise_name(full_name).casefold()
    return _Forms(" " + folded, folded, tuple(folded.split()), exact, tuple(exact.split()))


def _spaced_fold(value: str | None) -> str | None:
    return None if value is None else _forms(value).spaced


def _candidates(
    s: Session, actor: Actor, query: LookupQuery, typed: _Typed, current_year: int | None
) -> list[_Row]:
    """Rows that match at all; ranking happens in Python on these few."""
    # Filters as "id IN (subquery)": SQLite then visits only those students (by rowid), so
    # a class of 40 folds 40 names, not the school's 10,000.
    params: dict[str, Any] = {}
    where: list[str] = []
    if query.year_id is not None:
        params["year_id"] = query.year_id
        where.append(
            "s.id IN (SELECT e.student_id FROM enrolment e JOIN school_class k ON k.id = e.class_id "
            "WHERE k.school_year_id = :year_id)"
        )
    if query.class_id is not None:
        params["class_id"] = query.class_id
        where.append("s.id IN (SELECT e.student_id FROM enrolment e WHERE e.class_id = :class_id)")
    if not query.include_left:
        params["current_year"] = current_year if current_year is not None else -1
        where.append(
            "s.id IN (SELECT e.student_id FROM enrolment e JOIN school_class k ON k.id = e.class_id "
            "WHERE k.school_year_id = :current_year AND e.end_date IS NULL)"
        )
    visible = _visible_class_ids(actor)
    if visible is not None:
        # Integers only, so inlining them is safe; a teacher has a handful of classes.
        ids = ",".join(str(int(i)) for i in sorted(visible)) or "NULL"
        where.append(f"s.id IN (SELECT e.student_id FROM enrolment e WHERE e.class_id IN ({ids}))")

    match: list[str] = []
    # Names hold no digits: a number typed is a code or an identification number, and the
    # names need not be folded at all.
    if typed.folded_words and typed.digits is None:
        # The same folding as the database's vi_fold(), remembered per name in this process
        # (see _forms): registered on this connection under a name of its own.
        raw = s.connection().connection.driver_connection
        assert raw is not None  # a live pooled connection always has its driver connection
        raw.create_function("lookup_fold", 1, _spaced_fold, deterministic=True)
        parts = []
        for i, word in enumerate(typed.folded_words):
            params[f"w{i}"] = f"% {_like_escape(word)}%"
            parts.append(f"lookup_fold(s.full_name) LIKE :w{i} ESCAPE '\\'")
        match.append("(" + " AND ".join(parts) + ")")
    if typed.code:
        params["code"] = _like_escape(typed.code) + "%"
        match.append("lower(s.student_code) LIKE :code ESCAPE '\\'")
    if typed.digits is not None:
        params["nid"] = typed.digits
        match.append("s.national_id = :nid")
        if len(typed.digits) >= _MIN_ID_SUFFIX:
            params["nid_tail"] = "%" + typed.digits
            match.append("s.national_id LIKE :nid_tail")
    filter_sql = " AND ".join(where) or "1"
    match_sql = " OR ".join(match) or "1"
    sql = (
        "SELECT s.id, s.full_name, s.student_code, s.national_id FROM student s "
        f"WHERE ({filter_sql}) AND ({match_sql})"
    )
    return [(int(i), str(n), str(c), nid) for i, n, c, nid in s.execute(text(sql), params)]


def _rank(typed: _Typed, row: _Row) -> tuple[int, int, int] | None:
    """(rank, a typed word only starts a name word 0/1, diacritics disagree 0/1), or None
    when the row does not really match."""
    if not typed.folded and not typed.code:
        return (_RANKS.index(MATCH_ALL), 0, 0)
    _id, full_name, student_code, nid = row
    code = student_code.casefold()
    if typed.code and (code == typed.code or (typed.digits is not None and nid == typed.digits)):
        return (0, 0, 0)
    if typed.folded and typed.digits is None:
        forms = _forms(full_name)
        if forms.exact == typed.exact:
            return (0, 0, 0)
        accent = 0 if _words_prefix(typed.exact_words, forms.exact_words) else 1
        # "an" finds An and Ân before Anh: whole words first.
        partial = 0 if all(w in forms.folded_words for w in typed.folded_words) else 1
        if forms.folded == typed.folded:
            return (1, 0, accent)
        if forms.folded.startswith(typed.folded):
            return (2, partial, accent)
        if _words_prefix(typed.folded_words, forms.folded_words):
            return (3, partial, accent)
    if typed.code and code.startswith(typed.code):
        return (4, 0, 0)
    digits = typed.digits
    if digits is not None and len(digits) >= _MIN_ID_SUFFIX and nid and nid.endswith(digits):
        return (4, 0, 0)
    return None


def _words_prefix(typed_words: Sequence[str], name_words: Sequence[str]) -> bool:
    """Each typed word starts a different word of the name (any order)."""
    if len(typed_words) == 1:  # the usual case while typing: no bookkeeping
        word = typed_words[0]
        return any(candidate.startswith(word) for candidate in name_words)
    free = list(name_words)
    # Longest typed words first, so "an" does not take "anh" that "anh" itself needs.
    for word in sorted(typed_words, key=len, reverse=True):
        for i, candidate in enumerate(free):
            if candidate.startswith(word):
                del free[i]
                break
        else:
            return False
    return True


@dataclass(frozen=True)
class _Place:
    class_id: int
    class_name: str
    year_id: int
    year_name: str
    year_start: date
    is_current: bool
    start_date: date
    end_date: date | None
    end_reason: str | None


def _in_chunks(s: Session, sql: str, ids: Sequence[int]) -> Iterable[Any]:
    """Rows of `sql` (with "{ids}" where the id list goes) for every id, chunked because
    SQLite limits the number of bound parameters."""
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join(f":i{n}" for n in range(len(chunk)))
        yield from s.execute(text(sql.format(ids=marks)), {f"i{n}": v for n, v in enumerate(chunk)})


def _births(s: Session, ids: Sequence[int]) -> dict[int, tuple[date, int]]:
    sql = "SELECT id, date_of_birth, sex FROM student WHERE id IN ({ids})"
    return {int(i): (_as_date(dob), int(sex)) for i, dob, sex in _in_chunks(s, sql, ids)}


def _enrolments(s: Session, ids: Sequence[int]) -> dict[int, tuple[_Place, ...]]:
    found: dict[int, list[_Place]] = {}
    rows = _in_chunks(
        s,
        "SELECT e.student_id, k.id, k.name, y.id, y.name, y.start_date, y.is_current, "
        "e.start_date, e.end_date, e.end_reason FROM enrolment e "
        "JOIN school_class k ON k.id = e.class_id JOIN school_year y ON y.id = k.school_year_id "
        "WHERE e.student_id IN ({ids})",
        ids,
    )
    for sid, kid, kname, yid, yname, ystart, ycur, estart, eend, reason in rows:
        found.setdefault(int(sid), []).append(
            _Place(int(kid), str(kname), int(yid), str(yname), _as_date(ystart), bool(ycur),
                   _as_date(estart), _as_date(eend) if eend else None, reason)
        )
    return {sid: tuple(sorted(ps, key=lambda p: (p.year_start, p.start_date))) for sid, ps in found.items()}


def _as_date(value: object) -> date:
    # Raw SQL returns SQLite's text dates.
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _status(places: Sequence[_Place], current_year: int | None) -> tuple[str, str]:
    if not places:
        return STATUS_NOT_ENROLLED, "Chưa xếp lớp"
    last = places[-1]
    if last.end_date is not None:
        when = last.end_date.strftime("%d/%m/%Y")
        reason = (last.end_reason or "").strip()
        label = f"Đã rời trường ngày {when}" + (f" ({reason[:1].lower()}{reason[1:]})" if reason else "")
        return STATUS_LEFT, label
    if last.year_id == current_year:
        return STATUS_CURRENT, "Đang học"
    return STATUS_PAST, f"Đã học đến năm {last.year_name.replace('-', '–')}"


def _hit(
    actor: Actor,
    query: LookupQuery,
    row: _Row,
    birth: tuple[date, int],
    match: str,
    places: Sequence[_Place],
    current_year: int | None,
) -> LookupHit:
    shown = [p for p in places if query.class_id is None or p.class_id == query.class_id]
    shown = [p for p in shown if query.year_id is None or p.year_id == query.year_id]
    place = shown[-1] if shown else (places[-1] if places else None)
    status, label = _status(places, current_year)
    sid, full_name, student_code, nid = row
    return LookupHit(
        student_id=sid,
        full_name=full_name,
        student_code=student_code,
        national_id=national_id_for(actor, nid),
        national_id_full=may_see_national_id(actor),
        provisional_id=nid is None,
        date_of_birth=birth[0],
        sex=_SEX_LABELS.get(birth[1], ""),
        class_name=place.class_name if place else None,
        year_name=place.year_name if place else None,
        status=status,
        status_label=label,
        match=match,
    )
