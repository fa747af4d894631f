"""Registering certificates from the app: read from real SoftHSM2 tokens (tests/signing's PKI),
registered by the admin or requested by the user and confirmed or rejected by the admin, on a
real migrated demo school; the refusals and the expiry list."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from app.errors import UserFacingError
from app.models import AuditEntry, Certificate, CertificateRequest, UserAccount
from app.models.db import Database, open_database
from app.services import certificate_requests as cr
from app.services.access import Actor, PermissionDenied, load_actor
from app.services.audit import verify_chain
from app.services.certificates import SEAL, register_certificate
from app.services.demo import create_demo_school
from app.signing import pki, tokens
from app.signing.certinfo import CertificateInfo
from app.signing.worker import TokenWorker
from tests.signing.conftest import MODULE, Tokens, hsm, worker  # noqa: F401  (fixtures)


@pytest.fixture
def school(tmp_path: Path) -> Iterator[Database]:
    db = open_database(tmp_path / "school.sqlite3")
    create_demo_school(db, classes=1, students_per_class=2, seed=5)
    yield db
    db.dispose()


def actor(db: Database, login: str) -> Actor:
    with db.read() as s:
        user_id = s.scalar(select(UserAccount.id).where(UserAccount.login == login))
        assert user_id is not None
        return load_actor(s, user_id)


def teachers(db: Database) -> list[str]:
    with db.read() as s:
        return list(s.scalars(select(UserAccount.login).where(UserAccount.login.like("gv.%"))
                              .order_by(UserAccount.login)))  # fmt: skip


def on_token(worker: TokenWorker, label: str) -> tuple[CertificateInfo, ...]:  # noqa: F811
    return worker.list_certificates(MODULE, tokens.TokenRef(label=label)).result()


def actions(db: Database) -> list[str]:
    with db.read() as s:
        return list(s.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_admin_registers_a_certificate_read_from_a_token(
    school: Database, hsm: Tokens, worker: TokenWorker  # noqa: F811
) -> None:
    read = {c.cka_id: c for c in on_token(worker, hsm.teacher.label)}
    teacher = teachers(school)[0]
    result = cr.register_checked(school, actor(school, "admin"), teacher, read[hsm.teacher.cka_id].der)
    assert result.created and result.sha256 == hsm.teacher.sha256 and result.holder == teacher
    seal = {c.cka_id: c for c in on_token(worker, hsm.seal.label)}[hsm.seal.cka_id]
    cr.register_checked(school, actor(school, "admin"), SEAL, seal.der)

    rows = cr.registered_certificates(school, actor(school, "admin"))
    assert [r.is_seal for r in rows] == [True, False], "the seal first"
    assert rows[1].holder == teacher and rows[1].holder_name and "Nguyễn Văn An" in rows[1].subject
    assert rows[1].serial_hex == read[hsm.teacher.cka_id].serial_number
    assert rows[1].state() == cr.VALID and 700 < rows[1].days_left() <= 730
    assert actions(school).count("certificate.register") == 2
    with school.read() as s:
        assert verify_chain(s).ok

    # What the token's other objects are, as the admin's dialog shows them.
    looked = cr.look_up_token_certificates(school, actor(school, "admin"), tuple(read.values()))
    found = {s.info.cka_id: s for s in looked}
    assert found[hsm.teacher.cka_id].holder == teacher and found[hsm.teacher.cka_id].holder_name
    assert "hết hạn" in (found[hsm.expired.cka_id].problem or "")
    assert "có hiệu lực từ" in (found[hsm.not_yet_valid.cka_id].problem or "")
    assert "không dùng để ký" in (found[hsm.encryption_only.cka_id].problem or "")
    assert "không dùng để ký" in (found[b"\xca"].problem or ""), "the CA certificate on the token"


def test_refusals_are_in_vietnamese_and_change_nothing(
    school: Database, hsm: Tokens, worker: TokenWorker  # noqa: F811
) -> None:
    admin = actor(school, "admin")
    first, second = teachers(school)[:2]
    read = {c.cka_id: c for c in on_token(worker, hsm.teacher.label)}
    for key, words in (
        (hsm.expired.cka_id, "đã hết hạn ngày"),
        (hsm.not_yet_valid.cka_id, "chỉ có hiệu lực từ ngày"),
        (hsm.encryption_only.cka_id, "không dùng để ký"),
        (b"\xca", "chứng thư của CA"),
    ):
        with pytest.raises(UserFacingError, match=words):
            cr.register_checked(school, admin, first, read[key].der)
    with pytest.raises(PermissionDenied, match="quản trị"):
        cr.register_checked(school, actor(school, first), first, read[hsm.teacher.cka_id].der)
    cr.register_checked(school, admin, first, read[hsm.teacher.cka_id].der)
    with pytest.raises(UserFacingError, match="đã được đăng ký cho người khác"):
        cr.register_checked(school, admin, second, read[hsm.teacher.cka_id].der)
    with pytest.raises(UserFacingError, match="Không có tài khoản"):
        cr.register_checked(school, admin, "gv.khong-co", hsm.other_teacher.cert.der)
    with school.read() as s:
        assert s.scalars(select(Certificate.sha256)).all() == [hsm.teacher.sha256]
    assert actions(school).count("certificate.register") == 1


def test_user_requests_and_the_admin_confirms(
    school: Database, hsm: Tokens, worker: TokenWorker  # noqa: F811
) -> None:
    teacher, other = teachers(school)[:2]
    me = actor(school, teacher)
    [cert] = [c for c in on_token(worker, hsm.other_teacher.label) if c.cka_id == hsm.other_teacher.cka_id]
    [status] = cr.look_up_token_certificates(school, me, [cert])
    assert status.offerable and status.holder is None

    request = cr.request_registration(school, me, cert.der, token_label=hsm.other_teacher.label)
    assert request.created and request.state == "pending" and request.login == teacher
    again = cr.request_registration(school, me, cert.der, token_label=hsm.other_teacher.label)
    assert again.id == request.id and not again.created, "asking twice files one request"
    [status] = cr.look_up_token_certificates(school, me, [cert])
    assert status.requested_by_me and not status.offerable
    [theirs] = cr.look_up_token_certificates(school, actor(school, other), [cert])
    assert theirs.requested_by_other and not theirs.offerable
    with pytest.raises(UserFacingError, match="Một người khác đã gửi yêu cầu"):
        cr.request_registration(school, actor(school, other), cert.der)
    with pytest.raises(PermissionDenied):
        cr.list_requests(school, me)
    with pytest.raises(PermissionDenied):
        cr.confirm_request(school, me, request.id)

    admin = actor(school, "admin")
    [waiting] = cr.list_requests(school, admin)
    assert waiting.id == request.id and waiting.token_label == hsm.other_teacher.label
    assert waiting.subject_name == "Lê Văn Cường" and not waiting.name_matches, "a demo teacher's name"
    assert replace(waiting, full_name="LE VAN CUONG").name_matches, "CAs may drop the diacritics"
    registered = cr.confirm_request(school, admin, request.id)
    assert registered.holder == teacher and registered.sha256 == hsm.other_teacher.sha256
    assert cr.list_requests(school, admin) == ()
    with pytest.raises(UserFacingError, match="đã được xử lý"):
        cr.confirm_request(school, admin, request.id)
    [status] = cr.look_up_token_certificates(school, me, [cert])
    assert status.mine and status.holder == teacher and not status.offerable
    [theirs] = cr.look_up_token_certificates(school, actor(school, other), [cert])
    assert theirs.holder is not None and theirs.holder_name is None, "someone else's name is not shown"
    with pytest.raises(UserFacingError, match="đã được đăng ký cho tài khoản của bạn"):
        cr.request_registration(school, me, cert.der)
    with pytest.raises(UserFacingError, match="đã được đăng ký cho người khác"):
        cr.request_registration(school, actor(school, other), cert.der)
    log = actions(school)
    assert log[-3:] == ["certificate.request", "certificate.register", "certificate.request.confirm"]
    with school.read() as s:
        assert verify_chain(s).ok


def test_admin_rejects_with_a_reason_the_user_sees(
    school: Database, hsm: Tokens, worker: TokenWorker  # noqa: F811
) -> None:
    teacher = teachers(school)[0]
    me, admin = actor(school, teacher), actor(school, "admin")
    request = cr.request_registration(school, me, hsm.principal.cert.der)
    with pytest.raises(UserFacingError, match="lý do"):
        cr.reject_request(school, admin, request.id, "   ")
    rejected = cr.reject_request(school, admin, request.id, "Đây là token của hiệu trưởng.")
    assert rejected.state == "rejected" and rejected.decision_note == "Đây là token của hiệu trưởng."
    assert cr.latest_rejection(school, me, hsm.principal.sha256) == "Đây là token của hiệu trưởng."
    assert actions(school)[-2:] == ["certificate.request", "certificate.request.reject"]
    with school.read() as s:
        assert s.scalars(select(Certificate)).all() == []
    # Rejected is closed: asking again files a new request.
    assert cr.request_registration(school, me, hsm.principal.cert.der).id != request.id

    # The admin registering it directly closes the waiting request too.
    cr.register_checked(school, admin, "hieutruong", hsm.principal.cert.der)
    with school.read() as s:
        states = list(s.scalars(select(CertificateRequest.state).order_by(CertificateRequest.id)))
    assert states == ["rejected", "rejected"] and cr.list_requests(school, admin) == ()


def test_a_request_that_expired_while_waiting_is_not_confirmed(school: Database, hsm: Tokens) -> None:  # noqa: F811
    teacher = teachers(school)[0]
    request = cr.request_registration(school, actor(school, teacher), hsm.teacher.cert.der)
    later = datetime.now(UTC) + timedelta(days=800)
    with pytest.raises(UserFacingError, match="đã hết hạn"):
        cr.confirm_request(school, actor(school, "admin"), request.id, now=later)
    assert [r.id for r in cr.list_requests(school, actor(school, "admin"))] == [request.id]


def test_certificates_running_out_are_listed_ahead(school: Database, hsm: Tokens) -> None:  # noqa: F811
    admin = actor(school, "admin")
    first, second = teachers(school)[:2]
    now = datetime.now(UTC)
    soon = pki.issue(
        pki.person_name("Hồ Thị Em", "Trường thử"), pki.new_key().public_key(),
        issuer=hsm.pki.intermediate, usage="signing", not_after=now + timedelta(days=12, hours=1),
    )  # fmt: skip
    register_certificate(school, first, hsm.teacher.cert.der)  # two years left
    register_certificate(school, second, soon.der)
    register_certificate(school, SEAL, hsm.seal.cert.der)

    [row] = cr.expiring_certificates(school, admin)
    assert row.holder == second and row.days_left() == 12 and row.state() == cr.EXPIRING
    assert cr.expiring_certificates(school, actor(school, first)) == (), "a teacher sees only their own"
    assert [r.holder for r in cr.expiring_certificates(school, actor(school, second))] == [second]
    assert cr.expiring_certificates(school, admin, within_days=5) == ()

    # 715 days on: the seal and the first teacher's certificate run out within 30 days, the
    # second's has expired (listed first: it is the most urgent).
    later = now + timedelta(days=715)
    rows = cr.expiring_certificates(school, admin, now=later)
    assert [r.holder for r in rows] == [second, first, SEAL], "the seal's token was made after the teacher's"
    assert rows[0].state(later) == cr.EXPIRED and rows[1].state(later) == cr.EXPIRING

    # A renewed certificate covers the old one: nothing left to do about it.
    renewed = pki.issue(
        pki.person_name("Hồ Thị Em", "Trường thử"), pki.new_key().public_key(),
        issuer=hsm.pki.intermediate, usage="signing",
    )  # fmt: skip
    register_certificate(school, second, renewed.der)
    assert cr.expiring_certificates(school, actor(school, second)) == ()


def test_revoking_stops_a_certificate_and_it_cannot_come_back(school: Database, hsm: Tokens) -> None:  # noqa: F811
    admin = actor(school, "admin")
    teacher = teachers(school)[0]
    cr.register_checked(school, admin, teacher, hsm.teacher.cert.der)
    with pytest.raises(UserFacingError, match="lý do thu hồi"):
        cr.revoke_certificate(school, admin, hsm.teacher.sha256, " ")
    with pytest.raises(PermissionDenied):
        cr.revoke_certificate(school, actor(school, teacher), hsm.teacher.sha256, "mất token")
    row = cr.revoke_certificate(school, admin, hsm.teacher.sha256, "Mất token")
    assert row.state() == cr.REVOKED and row.revoked_at is not None
    assert [r.state() for r in cr.registered_certificates(school, admin)] == [cr.REVOKED]
    with pytest.raises(UserFacingError, match="đã được thu hồi rồi"):
        cr.revoke_certificate(school, admin, hsm.teacher.sha256, "lần nữa")
    with pytest.raises(UserFacingError, match="đã bị thu hồi"):
        cr.register_checked(school, admin, teacher, hsm.teacher.cert.der)
    with pytest.raises(UserFacingError, match="đã bị thu hồi"):
        cr.request_registration(school, actor(school, teacher), hsm.teacher.cert.der)
    assert cr.expiring_certificates(school, admin, now=datetime.now(UTC) + timedelta(days=720)) == ()
    assert actions(school)[-1] == "certificate.revoke"
