"""The demo school: complete, realistic, deterministic, evaluable by the rules engine.

Real SQLite files migrated with the real migrations. The default-size THCS school
(12 classes × 40) is built once per module; other cases use small schools for speed.
"""

from __future__ import annotations

import json
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.errors import UserFacingError
from app.models import (
    Attendance,
    AuditEntry,
    Base,
    Conduct,
    Enrolment,
    Grade,
    PrimaryAssessment,
    PrimaryTrait,
    School,
    SchoolClass,
    SchoolYear,
    SecondaryAssessment,
    Semester,
    Student,
    Subject,
    TeachingAssignment,
    UserAccount,
    UserRole,
    YearComment,
)
from app.models.db import Database, open_database
from app.rules import curriculum, tt22, tt27
from app.rules.identity import check_national_id
from app.rules.levels import Level
from app.services import demo_names
from app.services.audit import verify_chain
from app.services.demo import (
    DEMO_PASSWORD,
    DemoSummary,
    create_demo_school,
    school_year_start,
)
from app.services.passwords import verify_password

TODAY = date(2026, 11, 23)


@dataclass(frozen=True)
class Built:
    db: Database
    summary: DemoSummary


@pytest.fixture(scope="module")
def default_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    db = open_database(tmp_path_factory.mktemp("demo") / "default.sqlite3")
    summary = create_demo_school(db, today=TODAY)
    yield Built(db, summary)
    db.dispose()


def _fresh(tmp_path: Path, name: str, **kwargs: object) -> Built:
    db = open_database(tmp_path / f"{name}.sqlite3")
    summary = create_demo_school(db, today=TODAY, **kwargs)  # type: ignore[arg-type]
    return Built(db, summary)


def _count(s: Session, model: type[Base]) -> int:
    return int(s.scalar(select(func.count()).select_from(model)) or 0)


# Columns whose values legitimately differ between two runs: wall-clock timestamps and
# the salted password hash; the audit row's time, and with it the chain hashes.
_VOLATILE = {"created_at", "updated_at", "password_hash", "at", "hash", "prev_hash"}


def _dump(db: Database) -> dict[str, list[tuple[object, ...]]]:
    out: dict[str, list[tuple[object, ...]]] = {}
    with db.read() as s:
        for table in Base.metadata.sorted_tables:
            cols = [c for c in table.columns if c.name not in _VOLATILE]
            rows = s.execute(select(*cols).order_by(*table.primary_key.columns)).all()
            out[table.name] = [tuple(r) for r in rows]
    return out


# --------------------------------------------------------------------------- evaluation


def _secondary_results(db: Database) -> dict[int, tt22.YearResult | None]:
    """Evaluate every student with the TT22 engine; None for students not assessed."""
    with db.read() as s:
        level = {"03": "thcs", "04": "thpt"}
        subjects = {sub.id: sub for sub in s.scalars(select(Subject))}
        rows: dict[int, list[SecondaryAssessment]] = defaultdict(list)
        for a in s.scalars(select(SecondaryAssessment).order_by(SecondaryAssessment.id)):
            rows[a.enrolment_id].append(a)
        conduct = {(c.enrolment_id, c.period): c.level for c in s.scalars(select(Conduct))}
        absent: Counter[int] = Counter()
        for att in s.scalars(select(Attendance)):
            absent[att.enrolment_id] += att.excused + att.unexcused
        results: dict[int, tt22.YearResult | None] = {}
        for enrolment, student, grade in s.execute(
            select(Enrolment, Student, Grade)
            .join(Student, Student.id == Enrolment.student_id)
            .join(SchoolClass, SchoolClass.id == Enrolment.class_id)
            .join(Grade, Grade.id == SchoolClass.grade_id)
        ):
            if student.disabled_not_assessed:
                results[student.id] = None
                continue
            by_subject: dict[int, dict[int, SecondaryAssessment]] = defaultdict(dict)
            for a in rows[enrolment.id]:
                by_subject[a.subject_id][a.semester] = a
            inputs = []
            for subject_id in sorted(by_subject, key=lambda i: subjects[i].sort_order):
                sub = subjects[subject_id]
                terms: list[tt22.ScoredSemester | tt22.CommentSemester] = []
                for sem in (1, 2):
                    a = by_subject[subject_id][sem]
                    if sub.assessment == "score":
                        terms.append(
                            tt22.ScoredSemester(
                                tuple(Decimal(v) for v in a.tx), Decimal(a.gk or ""), Decimal(a.ck or "")
                            )
                        )
                    else:
                        checks = tuple(v == "Đ" for v in a.tx)
                        terms.append(tt22.CommentSemester(checks, a.gk == "Đ", a.ck == "Đ"))
                inputs.append(
                    tt22.SubjectInput(sub.code, sub.name, sub.assessment, sub.lessons_per_year, *terms)  # type: ignore[arg-type]
                )
            results[student.id] = tt22.evaluate_year(
                tt22.StudentYearInput(
                    level=level[grade.level],  # type: ignore[arg-type]
                    subjects=tuple(inputs),
                    conduct_hk1=Level(conduct[(enrolment.id, "hk1")]),
                    conduct_hk2=Level(conduct[(enrolment.id, "hk2")]),
                    conduct_after_summer=None,
                    sessions_absent=absent[enrolment.id],
                )
            )
        return results


def _primary_results(db: Database) -> dict[int, tt27.PrimaryResult | None]:
    with db.read() as s:
        subjects = {sub.id: sub for sub in s.scalars(select(Subject))}
        marks: dict[int, list[PrimaryAssessment]] = defaultdict(list)
        for a in s.scalars(select(PrimaryAssessment).where(PrimaryAssessment.period == "cn")):
            marks[a.enrolment_id].append(a)
        traits: dict[int, dict[str, dict[str, str]]] = defaultdict(lambda: defaultdict(dict))
        for t in s.scalars(select(PrimaryTrait).where(PrimaryTrait.period == "cn")):
            traits[t.enrolment_id][t.kind][t.code] = t.level or ""
        results: dict[int, tt27.PrimaryResult | None] = {}
        for enrolment, student, grade in s.execute(
            select(Enrolment, Student, Grade)
            .join(Student, Student.id == Enrolment.student_id)
            .join(SchoolClass, SchoolClass.id == Enrolment.class_id)
            .join(Grade, Grade.id == SchoolClass.grade_id)
        ):
            if student.disabled_not_assessed:
                results[student.id] = None
                continue
            subs = tuple(
                tt27.PrimarySubject(
                    subjects[a.subject_id].code, subjects[a.subject_id].name, a.level, a.test_score  # type: ignore[arg-type]
                )
                for a in sorted(marks[enrolment.id], key=lambda a: subjects[a.subject_id].sort_order)
            )
            results[student.id] = tt27.evaluate_primary_year(
                tt27.PrimaryYearInput(
                    grade=grade.number,
                    subjects=subs,
                    qualities=dict(traits[enrolment.id]["quality"]),  # type: ignore[arg-type]
                    competencies=dict(traits[enrolment.id]["competency"]),  # type: ignore[arg-type]
                )
            )
        return results


# --------------------------------------------------------------------------- default school


def test_counts_match_the_summary(default_demo: Built) -> None:
    counts = default_demo.summary.counts
    assert (counts.classes, counts.students) == (12, 480)
    with default_demo.db.read() as s:
        assert _count(s, SchoolClass) == 12
        assert _count(s, Student) == 480
        assert _count(s, Enrolment) == 480
        assert _count(s, UserAccount) == counts.accounts
        assert _count(s, SecondaryAssessment) == counts.assessments
        teachers = s.scalar(
            select(func.count(func.distinct(UserRole.user_id))).where(UserRole.role == "gvbm")
        )
        assert teachers == counts.teachers
        assert _count(s, YearComment) == 480
        assert _count(s, Conduct) == 2 * 480
        assert _count(s, Attendance) == 2 * 480
    assert [c.students for c in default_demo.summary.classes] == [40] * 12
    assert [c.name for c in default_demo.summary.classes][:4] == ["6A1", "6A2", "6A3", "7A1"]


def test_school_year_and_semesters(default_demo: Built) -> None:
    with default_demo.db.read() as s:
        school = s.scalars(select(School)).one()
        assert school.is_demo
        assert school.name == "Trường THCS Minh Khai (DEMO)"
        assert school.levels == "03"
        assert school.principal_name
        year = s.scalars(select(SchoolYear)).one()
        assert (year.name, year.is_current) == ("2026-2027", True)
        semesters = s.scalars(select(Semester).order_by(Semester.number)).all()
        assert semesters[0].start_date == year.start_date == date(2026, 9, 5)
        assert semesters[0].end_date < semesters[1].start_date
        assert semesters[1].end_date == year.end_date == date(2027, 5, 31)
        assert sorted(s.scalars(select(Grade.number))) == [6, 7, 8, 9]
    assert default_demo.summary.year == "2026-2027"


@pytest.mark.parametrize(
    ("today", "start"),
    [
        (date(2026, 7, 31), 2025),
        (date(2026, 8, 1), 2026),
        (date(2026, 12, 31), 2026),
        (date(2027, 1, 1), 2026),
        (date(2027, 8, 15), 2027),
    ],
)
def test_school_year_follows_today(today: date, start: int) -> None:
    assert school_year_start(today) == start


def test_every_class_has_a_homeroom_teacher_who_teaches_it(default_demo: Built) -> None:
    with default_demo.db.read() as s:
        roles: dict[int, set[str]] = defaultdict(set)
        for r in s.scalars(select(UserRole)):
            roles[r.user_id].add(r.role)
        teaching: dict[int, set[int]] = defaultdict(set)  # teacher → classes
        for a in s.scalars(select(TeachingAssignment)):
            teaching[a.teacher_id].add(a.class_id)
        homerooms: Counter[int] = Counter()
        for klass in s.scalars(select(SchoolClass)):
            assert klass.homeroom_teacher_id is not None
            assert {"gvcn", "gvbm"} <= roles[klass.homeroom_teacher_id]
            assert klass.id in teaching[klass.homeroom_teacher_id]
            homerooms[klass.homeroom_teacher_id] += 1
        assert max(homerooms.values()) == 1
        # A realistic load: nobody teaches in more than six classes.
        assert max(len(c) for c in teaching.values()) <= 6
        gvcn = {u for u, r in roles.items() if "gvcn" in r}
        assert gvcn == set(homerooms)


def test_every_class_subject_has_a_teacher(default_demo: Built) -> None:
    with default_demo.db.read() as s:
        assigned = {(a.class_id, a.subject_id) for a in s.scalars(select(TeachingAssignment))}
        expected = set(
            s.execute(
                select(SchoolClass.id, Subject.id).join(
                    Subject,
                    (Subject.grade_id == SchoolClass.grade_id)
                    & (Subject.school_year_id == SchoolClass.school_year_id),
                )
            ).all()
        )
        assert assigned == expected
        assert len(assigned) == 12 * 13


def test_summary_accounts_and_logins(default_demo: Built) -> None:
    data = default_demo.summary.to_json_dict()
    json.dumps(data, ensure_ascii=False)  # what the CLI prints
    assert data["demo_password"] == DEMO_PASSWORD
    accounts = data["accounts"]
    assert isinstance(accounts, list)
    logins = [a["login"] for a in accounts]
    assert logins[:4] == ["admin", "hieutruong", "phohieutruong", "vanthu"]
    assert len(set(logins)) == len(logins)
    for a in accounts[4:]:
        assert a["login"].startswith("gv.") and a["login"].isascii()
        assert a["login"] == a["login"].lower()
        assert 1 <= len({t["class"] for t in a["teaches"]}) <= 6
    classes = data["classes"]
    assert isinstance(classes, list)
    homeroom = {c["name"]: c["homeroom"] for c in classes}
    for a in accounts:
        for name in a["homeroom_of"]:
            assert homeroom[name] == a["login"]
            assert "gvcn" in a["roles"]


def test_national_ids_match_birth_date_and_sex(default_demo: Built) -> None:
    with default_demo.db.read() as s:
        students = s.execute(
            select(Student.full_name, Student.national_id, Student.date_of_birth, Student.sex)
        ).all()
    missing = 0
    for full_name, national_id, dob, sex in students:
        if national_id is None:
            missing += 1
            continue
        check = check_national_id(national_id, dob, sex, today=TODAY)
        assert check.ok, (full_name, national_id, check.codes)
    # About 2 % have no number yet (provisional records).
    assert 1 <= missing <= 25


def test_birth_years_fit_the_grade(default_demo: Built) -> None:
    with default_demo.db.read() as s:
        rows = s.execute(
            select(Student.date_of_birth, Grade.number)
            .join(Enrolment, Enrolment.student_id == Student.id)
            .join(SchoolClass, SchoolClass.id == Enrolment.class_id)
            .join(Grade, Grade.id == SchoolClass.grade_id)
        ).all()
    offsets = Counter(2026 - (g + 5) - dob.year for dob, g in rows)
    assert set(offsets) <= {0, 1}
    assert offsets[0] > 0.9 * len(rows)


def test_text_is_nfc_vietnamese(default_demo: Built) -> None:
    with default_demo.db.read() as s:
        texts: list[str] = []
        for st in s.scalars(select(Student)):
            texts += [st.full_name, st.place_of_birth or "", st.home_town or "", st.address or ""]
            texts += [st.father_name or "", st.mother_name or "", st.guardian_name or "", st.ethnicity]
            assert len(st.full_name.split()) >= 3
            assert st.nationality == "Việt Nam"
        texts += list(s.scalars(select(UserAccount.full_name)))
        texts += list(s.scalars(select(YearComment.text)))
        texts += [c for c in s.scalars(select(SecondaryAssessment.comment)) if c]
        texts += list(s.scalars(select(Subject.name)))
        ethnicities = Counter(s.scalars(select(Student.ethnicity)))
    for text in texts:
        assert text == unicodedata.normalize("NFC", text), text
    names = [t for t in texts if t]
    assert sum(not t.isascii() for t in names) > 0.9 * len(names)
    assert ethnicities.most_common(1)[0][0] == "Kinh"
    assert len(ethnicities) >= 3


def test_secondary_assessments_are_complete(default_demo: Built) -> None:
    with default_demo.db.read() as s:
        subjects = {sub.id: sub for sub in s.scalars(select(Subject))}
        disabled = set(
            s.scalars(
                select(Enrolment.id)
                .join(Student, Student.id == Enrolment.student_id)
                .where(Student.disabled_not_assessed.is_(True))
            )
        )
        assert 1 <= len(disabled) <= 2
        per_enrolment: Counter[int] = Counter()
        for a in s.scalars(select(SecondaryAssessment)):
            per_enrolment[a.enrolment_id] += 1
            sub = subjects[a.subject_id]
            required = tt22.required_tx_count(sub.lessons_per_year)
            assert required <= len(a.tx) <= required + 1
            values = [*a.tx, a.gk, a.ck]
            if sub.assessment == "score":
                for v in values:
                    assert v is not None
                    d = Decimal(v)
                    assert 0 <= d <= 10 and d == d.quantize(Decimal("0.1")), v
                    assert v == str(int(d)) or v == f"{d:.1f}", v  # "8", "7.5", never "8.0"
            else:
                assert set(values) <= {"Đ", "CĐ"}
        enrolments = set(s.scalars(select(Enrolment.id)))
    assert set(per_enrolment) == enrolments - disabled
    assert set(per_enrolment.values()) == {13 * 2}


def test_spread_exercises_every_rule(default_demo: Built) -> None:
    results = _secondary_results(default_demo.db)
    assessed = [r for r in results.values() if r is not None]
    assert len(assessed) == 480 - sum(r is None for r in results.values())
    titles = Counter(r.title for r in assessed)
    promotions = Counter(r.promotion for r in assessed)
    by_absence = sum(1 for r in assessed if r.promotion == "o_lai" and r.decided_by == "absence")
    assert titles["xuat_sac"] >= 3
    assert titles["gioi"] > titles["xuat_sac"]
    assert 1 <= promotions["kiem_tra_lai"] <= 0.05 * len(assessed)
    assert 1 <= promotions["ren_luyen_he"] <= 3
    assert by_absence >= 1
    assert promotions["len_lop"] > 0.9 * len(assessed)


def test_password_verifies_and_audit_entry(default_demo: Built) -> None:
    with default_demo.db.read() as s:
        hashes = set(s.scalars(select(UserAccount.password_hash)))
        entries = s.execute(select(AuditEntry.actor, AuditEntry.action, AuditEntry.detail)).all()
        assert verify_chain(s).ok
    assert len(hashes) == 1  # hashed once, shared
    assert verify_password(hashes.pop(), DEMO_PASSWORD)
    assert len(entries) == 1
    actor, action, detail = entries[0]
    assert (actor, action) == ("system", "demo.create")
    assert detail["counts"] == default_demo.summary.to_json_dict()["counts"]


# --------------------------------------------------------------------------- small schools


def test_same_seed_same_data_other_seed_other_data(tmp_path: Path) -> None:
    a = _fresh(tmp_path, "a", classes=4, students_per_class=12, seed=7)
    b = _fresh(tmp_path, "b", classes=4, students_per_class=12, seed=7)
    c = _fresh(tmp_path, "c", classes=4, students_per_class=12, seed=8)
    dump_a, dump_b, dump_c = _dump(a.db), _dump(b.db), _dump(c.db)
    assert dump_a == dump_b
    assert a.summary == b.summary
    assert dump_a["student"] != dump_c["student"]
    assert dump_a["secondary_assessment"] != dump_c["secondary_assessment"]


def test_second_demo_is_refused_and_changes_nothing(tmp_path: Path) -> None:
    built = _fresh(tmp_path, "once", classes=2, students_per_class=5)
    before = _dump(built.db)
    with pytest.raises(UserFacingError, match="đã có trường"):
        create_demo_school(built.db, today=TODAY, seed=1)
    assert _dump(built.db) == before


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"level": "mamnon"}, "level"),
        ({"classes": 0}, "classes"),
        ({"students_per_class": 500}, "students_per_class"),
    ],
)
def test_bad_arguments_are_user_facing(db: Database, kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(UserFacingError) as err:
        create_demo_school(db, today=TODAY, **kwargs)  # type: ignore[arg-type]
    assert err.value.field == field
    with db.read() as s:
        assert _count(s, School) == 0


def test_thpt_demo_evaluates(tmp_path: Path) -> None:
    built = _fresh(tmp_path, "thpt", level="thpt", classes=6, students_per_class=10)
    assert [c.name for c in built.summary.classes] == ["10A1", "10A2", "11A1", "11A2", "12A1", "12A2"]
    with built.db.read() as s:
        codes = set(s.scalars(select(Subject.code)))
        assert s.scalars(select(School.levels)).one() == "04"
    assert {"vatli", "hoahoc", "sinhhoc", "tinhoc", "lichsu", "gdqpan"} <= codes
    results = _secondary_results(built.db)
    assert len(results) == 60
    assert any(r is not None and r.title == "xuat_sac" for r in results.values())
    assert {r.level for r in results.values() if r is not None} == {"thpt"}


def test_primary_demo_evaluates(tmp_path: Path) -> None:
    built = _fresh(tmp_path, "th", level="tieuhoc", classes=10, students_per_class=8)
    assert [c.name for c in built.summary.classes][:3] == ["1A", "1B", "2A"]
    with built.db.read() as s:
        assert _count(s, SecondaryAssessment) == 0
        assert _count(s, PrimaryAssessment) == built.summary.counts.assessments
        traits = s.execute(select(PrimaryTrait.kind, PrimaryTrait.code)).all()
        midterms = s.execute(
            select(Subject.code, Grade.number)
            .join(PrimaryAssessment, PrimaryAssessment.subject_id == Subject.id)
            .join(Grade, Grade.id == Subject.grade_id)
            .where(PrimaryAssessment.period.in_(("gk1", "gk2")))
        ).all()
        scores_without_test = s.scalar(
            select(func.count())
            .select_from(PrimaryAssessment)
            .join(Subject, Subject.id == PrimaryAssessment.subject_id)
            .where(Subject.periodic_test.is_(False), PrimaryAssessment.test_score.is_not(None))
        )
    assert {c for k, c in traits if k == "quality"} == set(tt27.QUALITIES)
    assert {c for k, c in traits if k == "competency"} == set(tt27.ALL_COMPETENCIES)
    assert {c for c, _ in midterms} == {"tiengviet", "toan"} and {g for _, g in midterms} == {4, 5}
    assert scores_without_test == 0
    results = _primary_results(built.db)
    outcomes = Counter(r.result for r in results.values() if r is not None)
    assert outcomes["HTXS"] >= 1 and outcomes["CHT"] >= 1
    assert sum(outcomes.values()) + sum(r is None for r in results.values()) == 80


def test_demo_account_logs_in_with_the_demo_password(tmp_path: Path) -> None:
    built = _fresh(tmp_path, "login", classes=1, students_per_class=3)
    login = built.summary.classes[0].homeroom_login
    with built.db.read() as s:
        user = s.scalars(select(UserAccount).where(UserAccount.login == login)).one()
        assert verify_password(user.password_hash, DEMO_PASSWORD)
        assert not verify_password(user.password_hash, "sai-mat-khau")


# --------------------------------------------------------------------------- curriculum


def test_curriculum_thcs() -> None:
    subjects = {s.code: s for s in curriculum.subjects_for("thcs", 8)}
    assert len(subjects) == 13
    assert subjects["toan"].lessons_per_year == 140 and subjects["toan"].assessment == "score"
    assert subjects["congnghe"].lessons_per_year == 52
    assert curriculum.subjects_for("thcs", 6)[6].lessons_per_year == 35  # Công nghệ, grade 6
    comment = {c for c, s in subjects.items() if s.assessment == "comment"}
    assert comment == {"gdtc", "nghethuat_amnhac", "nghethuat_mythuat", "hdtn_hn", "gddp"}
    assert [s.sort_order for s in subjects.values()] == list(range(1, 14))


def test_curriculum_primary_periodic_tests() -> None:
    tested = {
        g: {s.code for s in curriculum.subjects_for("tieuhoc", g) if s.periodic_test} for g in range(1, 6)
    }
    assert tested[1] == tested[2] == {"tiengviet", "toan"}
    assert tested[3] == {"tiengviet", "toan", "ngoaingu1", "tinhoc_congnghe"}
    assert tested[4] == tested[5] == tested[3] | {"lsdl", "khoahoc"}
    assert all(s.assessment == "level" for s in curriculum.subjects_for("tieuhoc", 4))


def test_curriculum_thpt_and_lookups() -> None:
    default = [s.code for s in curriculum.subjects_for("thpt", 11)]
    assert default[:4] == ["nguvan", "toan", "ngoaingu1", "lichsu"]
    assert {"vatli", "hoahoc", "sinhhoc", "tinhoc"} <= set(default)
    social = curriculum.subjects_for("thpt", 10, electives=("gdktpl", "diali", "congnghe", "amnhac"))
    assert {s.code for s in social} >= {"diali", "gdktpl", "congnghe", "amnhac"}
    with pytest.raises(ValueError):
        curriculum.subjects_for("thpt", 10, electives=("vatli",))
    with pytest.raises(ValueError):
        curriculum.subjects_for("thcs", 10)
    assert curriculum.grades_for("tieuhoc") == range(1, 6)
    assert curriculum.LEVEL_CODES == {"tieuhoc": "02", "thcs": "03", "thpt": "04"}
    for level in curriculum.LEVELS:
        for grade in curriculum.grades_for(level):
            assert curriculum.level_of_grade(grade) == level
            for s in curriculum.subjects_for(level, grade):
                assert s.name == unicodedata.normalize("NFC", s.name) and s.code.isascii()


def test_name_data_is_nfc() -> None:
    def walk(value: object) -> Iterator[str]:
        if isinstance(value, str):
            yield value
        elif isinstance(value, tuple):
            for item in value:
                yield from walk(item)

    for name in dir(demo_names):
        if name.isupper():
            for text in walk(getattr(demo_names, name)):
                assert text == unicodedata.normalize("NFC", text), (name, text)
    trait_codes = {t[0] for t in demo_names.TRAITS}
    assert trait_codes == set(tt27.QUALITIES) | set(tt27.ALL_COMPETENCIES)
