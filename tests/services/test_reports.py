"""The principal's report on a real demo school: one class issued with the demo signer (the
same path as `issue-demo`), the other untouched; certificates registered, revoked, expired;
the synced count after a real sync to a real hub on loopback; the .xlsx export."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import keyring
import pytest
from keyrings.alt.file import PlaintextKeyring
from openpyxl import load_workbook
from sqlalchemy import select, update

from app.models import Certificate, OutboxItem, SchoolClass, UserAccount
from app.models.db import Database, open_database
from app.services.access import SYSTEM, PermissionDenied
from app.services.accounts import actor_for
from app.services.demo import create_demo_school
from app.services.issuing import issue_demo
from app.services.report_workbook import PROGRESS_HEADERS
from app.services.reports import PrincipalReport, export_report, principal_report
from app.sync.client import RetryPolicy, Timeouts
from app.sync.connect import connect_device
from app.sync.worker import SyncOptions, run_sync
from tests.hub.servers import start_hub

STUDENTS = 3


@dataclass(frozen=True)
class School:
    db: Database
    before: PrincipalReport  # nothing signed, no certificate registered
    issued_class: str
    other_class: str


def _actor(db: Database, login: str) -> object:
    with db.read() as s:
        user_id = s.scalar(select(UserAccount.id).where(UserAccount.login == login))
    assert user_id is not None
    return actor_for(db, user_id)


@pytest.fixture(scope="module")
def school(tmp_path_factory: pytest.TempPathFactory) -> Iterator[School]:
    folder = tmp_path_factory.mktemp("reports")
    db = open_database(folder / "hocba.sqlite3")
    summary = create_demo_school(db, classes=2, students_per_class=STUDENTS, seed=5)
    before = principal_report(db, SYSTEM)
    first, second = sorted(c.name for c in summary.classes)
    with db.read() as s:
        first_id = s.scalar(select(SchoolClass.id).where(SchoolClass.name == first))
    assert first_id is not None
    [result] = issue_demo(db, [first_id])
    assert result.issued == STUDENTS, result.problems
    yield School(db, before, first, second)
    db.dispose()


def test_before_signing_everyone_lacks_a_certificate(school: School) -> None:
    report = school.before
    assert [c.class_name for c in report.classes] == sorted(c.class_name for c in report.classes)
    assert len(report.classes) == 2
    for c in report.classes:
        assert c.students == STUDENTS
        assert c.complete == STUDENTS  # the demo generator fills every year's data
        assert c.markbooks > 0 and c.markbooks_locked == 0
        assert c.sheets == c.markbooks * 3 and c.sheets_signed == 0
        assert (c.gvcn_signed, c.leader_signed, c.issued, c.synced) == (0, 0, 0, 0)
    assert report.totals.class_id is None and report.totals.students == 2 * STUDENTS
    assert report.totals.markbooks == sum(c.markbooks for c in report.classes)

    missing = {m.login: m for m in report.missing_certificates}
    assert report.missing_certificates[0].login == "school-seal"  # the seal first: nothing issues without it
    assert missing["hieutruong"].needed_for == "Hiệu trưởng"
    assert missing["phohieutruong"].needed_for == "Phó Hiệu trưởng"
    assert "admin" not in missing and "vanthu" not in missing  # they never sign
    with school.db.read() as s:
        homeroom = s.execute(
            select(UserAccount.login, SchoolClass.name)
            .join(SchoolClass, SchoolClass.homeroom_teacher_id == UserAccount.id)
        ).all()  # fmt: skip
    for login, klass in homeroom:
        assert f"Giáo viên chủ nhiệm lớp {klass}" in missing[login].needed_for
        assert missing[login].problem == "chưa đăng ký chứng thư số"


def test_after_issuing_one_class(school: School) -> None:
    report = principal_report(school.db, _actor(school.db, "hieutruong"))  # type: ignore[arg-type]
    by_name = {c.class_name: c for c in report.classes}
    done, other = by_name[school.issued_class], by_name[school.other_class]
    assert done.markbooks_locked == done.markbooks
    assert done.sheets_signed == done.sheets
    assert (done.gvcn_signed, done.leader_signed, done.issued, done.synced) == (
        STUDENTS,
        STUDENTS,
        STUDENTS,
        0,
    )
    assert (other.markbooks_locked, other.sheets_signed, other.gvcn_signed, other.issued) == (0, 0, 0, 0)
    assert report.totals.issued == STUDENTS and report.totals.sheets_signed == done.sheets
    assert report.missing_certificates == ()  # the demo signer registered everyone's certificate


def test_revoked_and_expired_certificates_are_listed(school: School) -> None:
    db = school.db
    with db.read() as s:
        teacher = s.scalar(
            select(UserAccount.login)
            .join(SchoolClass, SchoolClass.homeroom_teacher_id == UserAccount.id)
            .where(SchoolClass.name == school.other_class)
        )  # fmt: skip
        cert_ids = list(
            s.scalars(select(Certificate.id).join(UserAccount).where(UserAccount.login == teacher))
        )
    assert teacher is not None and cert_ids
    with db.write() as s:
        s.execute(
            update(Certificate).where(Certificate.id.in_(cert_ids)).values(revoked_at=datetime(2026, 1, 1))
        )
    try:
        [m] = principal_report(db, SYSTEM).missing_certificates
        assert m.login == teacher and "thu hồi" in m.problem
    finally:
        # Revocation is not meant to be undone; here it only lets the next tests see valid certificates.
        with db.write() as s:
            s.execute(update(Certificate).where(Certificate.id.in_(cert_ids)).values(revoked_at=None))
    with db.read() as s:
        latest = max(s.scalars(select(Certificate.not_after)))
    later = principal_report(db, SYSTEM, now=latest.replace(tzinfo=UTC) + timedelta(days=1))
    assert later.missing_certificates and all("hết hạn" in m.problem for m in later.missing_certificates)


def test_only_leaders_and_admins(school: School) -> None:
    db = school.db
    for login in ("admin", "phohieutruong"):
        assert principal_report(db, _actor(db, login)).totals.students == 2 * STUDENTS  # type: ignore[arg-type]
    with db.read() as s:
        teacher = s.scalar(select(UserAccount.login).where(UserAccount.login.like("gv.%")).limit(1))
    for login in ("vanthu", teacher or ""):
        with pytest.raises(PermissionDenied):
            principal_report(db, _actor(db, login))  # type: ignore[arg-type]


def test_excel_export(school: School, tmp_path: Path, artifacts_dir: Path) -> None:
    out = tmp_path / "bao-cao.xlsx"
    report = export_report(school.db, _actor(school.db, "hieutruong"), out)  # type: ignore[arg-type]
    wb = load_workbook(out)
    ws = wb["Tiến độ theo lớp"]
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    header = rows.index(list(PROGRESS_HEADERS))
    body = rows[header + 1 :]
    assert [r[0] for r in body] == [c.class_name for c in report.classes] + ["Toàn trường"]
    total = body[-1]
    assert total[2] == 2 * STUDENTS and total[8] == report.totals.issued == STUDENTS
    assert total[4] == f"{report.totals.markbooks_locked}/{report.totals.markbooks}"
    assert wb["Thiếu chứng thư số"].cell(4, 2).value == "Mọi người cần ký đều đã có chứng thư số hợp lệ."
    (artifacts_dir / "principal_report.xlsx").write_bytes(out.read_bytes())
    with pytest.raises(Exception, match="xlsx"):
        export_report(school.db, SYSTEM, tmp_path / "bao-cao.csv")


@pytest.fixture
def file_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # A real keyring backend in a temp folder (keyrings.alt), for the device credential.
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    previous = keyring.get_keyring()
    keyring.set_keyring(PlaintextKeyring())
    yield
    keyring.set_keyring(previous)


def test_synced_counts_what_the_hub_accepted(school: School, tmp_path: Path, file_keyring: None) -> None:
    db = school.db
    hub_data = tmp_path / "hub"
    (hub_data / "trust").mkdir(parents=True)
    [root] = list(Path(db.path).parent.rglob("demo-root.pem"))
    (hub_data / "trust" / "demo-root.pem").write_bytes(root.read_bytes())
    hub = start_hub(hub_data)
    try:
        with db.read() as s:
            code = s.scalars(select(OutboxItem.school_code)).first()
        assert code is not None
        fast = RetryPolicy(attempts=5, base_delay_s=0.02, max_delay_s=0.2, max_retry_after_s=5)
        quick = Timeouts(connect_s=3, read_s=3, write_s=3, pool_s=3)
        connect_device(db, hub.url, hub.device(code), policy=fast, timeouts=quick)
        summary = run_sync(db, SyncOptions(policy=fast, timeouts=quick))
        assert summary.waiting == 0 and summary.failed == 0
    finally:
        hub.stop()
    report = principal_report(db, SYSTEM)
    by_name = {c.class_name: c for c in report.classes}
    assert by_name[school.issued_class].synced == STUDENTS
    assert by_name[school.other_class].synced == 0
    assert report.totals.synced == STUDENTS
