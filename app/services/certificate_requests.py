"""Registering signing certificates from the app: the admin's list, checks, requests, expiry.

- `registered_certificates` and `expiring_certificates`: what the admin's "Chứng thư số" tab
  lists (days left, expired, revoked), and the certificates running out within
  EXPIRY_WARNING_DAYS (an admin sees the school's, anyone else their own).
- `register_checked`: the admin registers a certificate read from a token (or a file) to an
  account or as the school seal; refused when it cannot sign or is not valid today, on top
  of what app.services.certificates refuses (registered to someone else).
- `look_up_token_certificates`: for certificates read from a token, who holds each one, who
  asked for it, and what stands in the way of registering it.
- `request_registration` / `confirm_request` / `reject_request`: a user asks for the
  certificate on their own token; the admin confirms (it is registered) or rejects it.
  Each step is audited.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import UserFacingError
from app.models import Certificate, CertificateRequest, UserAccount
from app.models.cert_requests import CONFIRMED, PENDING, REJECTED
from app.models.db import Database
from app.rules.vnsort import fold
from app.services import audit
from app.services.access import Actor, PermissionDenied, require_admin
from app.services.certificates import SEAL, RegisteredCertificate, register_in_session, school_of
from app.signing.certinfo import CertificateInfo, common_name

EXPIRY_WARNING_DAYS = 30

VALID, EXPIRING, EXPIRED, NOT_YET_VALID, REVOKED = "valid", "expiring", "expired", "not_yet_valid", "revoked"


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def validity_state(
    not_before: datetime, not_after: datetime, revoked_at: datetime | None = None, *,
    now: datetime | None = None, warn_days: int = EXPIRY_WARNING_DAYS,
) -> str:  # fmt: skip
    now = now or datetime.now(UTC)
    if revoked_at is not None:
        return REVOKED
    if now < _utc(not_before):
        return NOT_YET_VALID
    if now > _utc(not_after):
        return EXPIRED
    if _utc(not_after) - now <= timedelta(days=warn_days):
        return EXPIRING
    return VALID


@dataclass(frozen=True)
class CertificateRow:
    sha256: str
    holder: str  # the account's login, or "school-seal"
    holder_name: str  # the account's full name ("" for the seal)
    is_seal: bool
    subject: str
    issuer: str
    serial_hex: str
    not_before: datetime  # UTC
    not_after: datetime
    revoked_at: datetime | None
    subject_name: str = ""  # the subject's common name (or organisation)
    issuer_name: str = ""  # the issuing CA's common name

    def days_left(self, now: datetime | None = None) -> int:
        return (self.not_after - (now or datetime.now(UTC))).days

    def state(self, now: datetime | None = None) -> str:
        return validity_state(self.not_before, self.not_after, self.revoked_at, now=now)


@dataclass(frozen=True)
class TokenCertificateStatus:
    """A certificate read from a token, as the database knows it."""

    info: CertificateInfo
    holder: str | None  # registered to this login (or "school-seal"); None: to nobody
    holder_name: str | None  # shown to the admin, and to the holder themself
    mine: bool  # registered to the asking account
    requested_by_me: bool  # a request of the asking account waits for the admin
    requested_by_other: bool
    problem: str | None  # why it cannot be registered (cannot sign, not valid today)

    @property
    def offerable(self) -> bool:
        """Can the asking user file a new request for it?"""
        waiting = self.requested_by_me or self.requested_by_other
        return self.holder is None and self.problem is None and not waiting


@dataclass(frozen=True)
class RequestInfo:
    id: int
    login: str
    full_name: str
    sha256: str
    subject: str
    issuer: str
    serial_hex: str
    not_after: datetime  # UTC
    token_label: str
    state: str
    requested_at: datetime
    decision_note: str | None
    created: bool = True  # False: the same request was waiting already
    subject_name: str = ""  # the certificate's common name

    @property
    def name_matches(self) -> bool:
        """The account's name is in the certificate's (CAs write it with or without diacritics)."""
        return bool(self.subject_name) and fold(self.full_name) in fold(self.subject_name)


def registration_problem(info: CertificateInfo, now: datetime | None = None) -> str | None:
    """Why `info` cannot be registered for signing, in words the admin can act on; None if it can."""
    now = now or datetime.now(UTC)
    if not info.can_sign:
        return (
            "Chứng thư số này không dùng để ký (không có mục đích ký số, hoặc là chứng thư của CA). "
            "Hãy chọn chứng thư ký số của người dùng."
        )
    if now > _utc(info.not_after):
        return (
            f"Chứng thư số này đã hết hạn ngày {_utc(info.not_after):%d/%m/%Y}. "
            "Hãy gia hạn với nhà cung cấp chữ ký số rồi đăng ký chứng thư mới."
        )
    if now < _utc(info.not_before):
        return (
            f"Chứng thư số này chỉ có hiệu lực từ ngày {_utc(info.not_before):%d/%m/%Y}. "
            "Hãy đăng ký khi chứng thư đã có hiệu lực."
        )
    return None


def _check(info: CertificateInfo, now: datetime | None) -> None:
    problem = registration_problem(info, now)
    if problem is not None:
        raise UserFacingError(problem, field="cert")


def _row(cert: Certificate, names: dict[int, tuple[str, str]]) -> CertificateRow:
    login, name = names.get(cert.user_id, ("", "")) if cert.user_id is not None else (SEAL, "")
    return CertificateRow(
        cert.sha256, login, name, bool(cert.is_school_seal), cert.subject, cert.issuer, cert.serial_hex,
        _utc(cert.not_before), _utc(cert.not_after), _utc(cert.revoked_at) if cert.revoked_at else None,
        *names_of(cert.der),
    )  # fmt: skip


def names_of(der: bytes) -> tuple[str, str]:
    """(subject common name, issuer common name): what a person recognises in a certificate."""
    try:
        cert = CertificateInfo.from_der(der).asn1()
    except ValueError:
        return "", ""
    return common_name(cert.subject), common_name(cert.issuer)


def _names(s: Session) -> dict[int, tuple[str, str]]:
    return {u.id: (u.login, u.full_name) for u in s.scalars(select(UserAccount))}


def registered_certificates(db: Database, actor: Actor) -> tuple[CertificateRow, ...]:
    """Every registered certificate: the seal first, then by holder, newest first."""
    require_admin(actor)
    with db.read() as s:
        names = _names(s)
        rows = [_row(c, names) for c in s.scalars(select(Certificate))]
    return tuple(sorted(rows, key=lambda r: (not r.is_seal, r.holder_name, -r.not_after.timestamp())))


def expiring_certificates(
    db: Database, actor: Actor, within_days: int = EXPIRY_WARNING_DAYS, *, now: datetime | None = None
) -> tuple[CertificateRow, ...]:
    """Certificates in use (not revoked) that expire within `within_days` or have expired, soonest first.

    An admin sees the school's; anyone else only their own. A certificate that was already
    replaced by a newer one of the same holder, valid beyond the window, is left out: there
    is nothing left to do about it.
    """
    now = now or datetime.now(UTC)
    limit = now + timedelta(days=within_days)
    with db.read() as s:
        query = select(Certificate).where(Certificate.revoked_at.is_(None))
        if not actor.is_admin:
            query = query.where(Certificate.user_id == actor.user_id, Certificate.is_school_seal.is_(False))
        names = _names(s)
        rows = [_row(c, names) for c in s.scalars(query)]
    covered = {(r.holder, r.is_seal) for r in rows if r.not_after > limit and r.not_before <= now}
    return tuple(sorted(
        (r for r in rows if r.not_after <= limit and (r.holder, r.is_seal) not in covered),
        key=lambda r: r.not_after,
    ))  # fmt: skip


def register_checked(
    db: Database, actor: Actor, holder: str, der: bytes, *, now: datetime | None = None
) -> RegisteredCertificate:
    """The admin registers `der` to the login `holder` (or "school-seal"); a waiting request closes."""
    require_admin(actor)
    info = CertificateInfo.from_der(der)
    _check(info, now)
    with db.write() as s:
        _refuse_revoked(s, info.sha256)
        result = register_in_session(s, holder, info, actor.login)
        for request in s.scalars(
            select(CertificateRequest).where(CertificateRequest.sha256 == info.sha256,
                                             CertificateRequest.state == PENDING)
        ):  # fmt: skip
            user = s.get(UserAccount, request.user_id)
            same = user is not None and user.login == holder
            note = None if same else "Quản trị viên đã đăng ký chứng thư này cho người khác."
            _decide(s, request, actor, CONFIRMED if same else REJECTED, note)
        return result


def _refuse_revoked(s: Session, sha256: str) -> None:
    revoked = s.scalar(select(Certificate.revoked_at).where(Certificate.sha256 == sha256))
    if revoked is not None:
        raise UserFacingError(
            f"Chứng thư số này đã bị thu hồi ngày {_utc(revoked).astimezone():%d/%m/%Y} "
            "và không dùng lại được. Hãy đăng ký chứng thư mới của người đó.",
            field="cert",
        )


def revoke_certificate(db: Database, actor: Actor, sha256: str, reason: str) -> CertificateRow:
    """Stop a registered certificate from signing (token lost, person left, certificate renewed).

    Documents it signed stay valid; it is kept, marked revoked, so they can still be checked.
    """
    require_admin(actor)
    reason = reason.strip()
    if not reason:
        raise UserFacingError(
            "Hãy ghi lý do thu hồi (ví dụ: mất token, đã gia hạn chứng thư mới).", field="note"
        )
    with db.write() as s:
        cert = s.scalar(select(Certificate).where(Certificate.sha256 == sha256))
        if cert is None:
            raise UserFacingError("Không tìm thấy chứng thư số này. Hãy tải lại danh sách.")
        if cert.revoked_at is not None:
            raise UserFacingError("Chứng thư số này đã được thu hồi rồi.")
        cert.revoked_at = datetime.now(UTC).replace(tzinfo=None)
        audit.append(
            s, actor=actor.login, action="certificate.revoke", entity="certificate", entity_id=sha256,
            detail={"serial": cert.serial_hex, "reason": reason[:500]},
        )  # fmt: skip
        s.flush()
        return _row(cert, _names(s))


def look_up_token_certificates(
    db: Database, actor: Actor, certificates: Sequence[CertificateInfo], *, now: datetime | None = None
) -> tuple[TokenCertificateStatus, ...]:
    """What the database says about each certificate read from a token (any signed-in user)."""
    shas = [c.sha256 for c in certificates]
    with db.read() as s:
        names = _names(s)
        registered = {c.sha256: c for c in s.scalars(select(Certificate).where(Certificate.sha256.in_(shas)))}
        pending = {
            r.sha256: r
            for r in s.scalars(
                select(CertificateRequest).where(CertificateRequest.sha256.in_(shas),
                                                 CertificateRequest.state == PENDING)
            )
        }  # fmt: skip
        found = []
        for info in certificates:
            cert = registered.get(info.sha256)
            holder = holder_name = None
            mine = False
            if cert is not None:
                mine = cert.user_id is not None and cert.user_id == actor.user_id and not cert.is_school_seal
                holder, holder_name = (
                    (SEAL, "") if cert.is_school_seal else names.get(cert.user_id or 0, ("", ""))
                )
                if not (actor.is_admin or mine):
                    holder_name = None  # someone else's: say only that it is taken
            request = pending.get(info.sha256)
            by_me = request is not None and request.user_id == actor.user_id
            found.append(TokenCertificateStatus(
                info, holder, holder_name, mine, by_me, request is not None and not by_me,
                registration_problem(info, now),
            ))  # fmt: skip
    return tuple(found)


# --- a user's own request ------------------------------------------------------------------------


def _info(request: CertificateRequest, user: UserAccount, created: bool = True) -> RequestInfo:
    return RequestInfo(
        request.id, user.login, user.full_name, request.sha256, request.subject, request.issuer,
        request.serial_hex, _utc(request.not_after), request.token_label, request.state,
        _utc(request.requested_at), request.decision_note, created, names_of(request.der)[0],
    )  # fmt: skip


def request_registration(
    db: Database, actor: Actor, der: bytes, *, token_label: str = "", now: datetime | None = None
) -> RequestInfo:
    """The signed-in user asks for the certificate on their token to be registered to them."""
    if actor.user_id is None:
        raise PermissionDenied("Hãy đăng nhập bằng tài khoản của mình để gửi yêu cầu đăng ký chứng thư số.")
    info = CertificateInfo.from_der(der)
    _check(info, now)
    with db.write() as s:
        user = s.get(UserAccount, actor.user_id)
        if user is None or not user.active:
            raise PermissionDenied("Tài khoản này không còn dùng được; hãy liên hệ quản trị viên.")
        cert = s.scalar(select(Certificate).where(Certificate.sha256 == info.sha256))
        if cert is not None:
            _refuse_revoked(s, info.sha256)
            if cert.user_id == user.id and not cert.is_school_seal:
                raise UserFacingError(
                    "Chứng thư số này đã được đăng ký cho tài khoản của bạn; không cần gửi yêu cầu.",
                    field="cert",
                )
            raise UserFacingError(
                "Chứng thư số này đã được đăng ký cho người khác (hoặc cho con dấu của trường). "
                "Nếu token này là của bạn, hãy báo quản trị viên.",
                field="cert",
            )
        waiting = s.scalar(
            select(CertificateRequest).where(CertificateRequest.sha256 == info.sha256,
                                             CertificateRequest.state == PENDING)
        )  # fmt: skip
        if waiting is not None:
            if waiting.user_id == user.id:
                return _info(waiting, user, created=False)
            raise UserFacingError(
                "Một người khác đã gửi yêu cầu đăng ký chứng thư số này và đang chờ quản trị viên. "
                "Nếu token này là của bạn, hãy báo quản trị viên.",
                field="cert",
            )
        request = CertificateRequest(
            school_id=school_of(s).id, user_id=user.id, sha256=info.sha256, der=info.der,
            subject=info.subject[:500], issuer=info.issuer[:500], serial_hex=info.serial_number,
            not_before=_utc(info.not_before).replace(tzinfo=None),
            not_after=_utc(info.not_after).replace(tzinfo=None),
            token_label=token_label[:200], state=PENDING,
        )  # fmt: skip
        s.add(request)
        s.flush()
        audit.append(
            s, actor=actor.login, action="certificate.request", entity="certificate_request",
            entity_id=request.id, detail={"sha256": info.sha256, "subject": info.subject,
                                          "serial": info.serial_number, "token": token_label},
        )  # fmt: skip
        return _info(request, user)


def list_requests(db: Database, actor: Actor, *, pending_only: bool = True) -> tuple[RequestInfo, ...]:
    require_admin(actor)
    with db.read() as s:
        query = select(CertificateRequest, UserAccount).join(
            UserAccount, UserAccount.id == CertificateRequest.user_id
        )
        if pending_only:
            query = query.where(CertificateRequest.state == PENDING)
        rows = s.execute(query.order_by(CertificateRequest.requested_at, CertificateRequest.id)).all()
        return tuple(_info(request, user) for request, user in rows)


def _pending(s: Session, request_id: int) -> CertificateRequest:
    request = s.get(CertificateRequest, request_id)
    if request is None:
        raise UserFacingError("Không tìm thấy yêu cầu đăng ký này. Hãy tải lại danh sách.")
    if request.state != PENDING:
        raise UserFacingError("Yêu cầu này đã được xử lý rồi. Hãy tải lại danh sách.")
    return request


def _decide(s: Session, request: CertificateRequest, actor: Actor, state: str, note: str | None) -> None:
    request.state = state
    request.decided_by = actor.login
    request.decided_at = datetime.now(UTC).replace(tzinfo=None)
    request.decision_note = note
    audit.append(
        s, actor=actor.login,
        action="certificate.request.confirm" if state == CONFIRMED else "certificate.request.reject",
        entity="certificate_request", entity_id=request.id,
        detail={"sha256": request.sha256, "note": note} if note else {"sha256": request.sha256},
    )  # fmt: skip


def confirm_request(
    db: Database, actor: Actor, request_id: int, *, now: datetime | None = None
) -> RegisteredCertificate:
    """The admin confirms: the certificate is registered to the account that asked."""
    require_admin(actor)
    with db.write() as s:
        request = _pending(s, request_id)
        user = s.get(UserAccount, request.user_id)
        if user is None or not user.active:
            raise UserFacingError(
                "Tài khoản đã gửi yêu cầu này không còn dùng được. Hãy từ chối yêu cầu.", field="user"
            )
        info = CertificateInfo.from_der(request.der)
        _check(info, now)  # it may have expired while it waited
        _refuse_revoked(s, info.sha256)
        result = register_in_session(s, user.login, info, actor.login)
        _decide(s, request, actor, CONFIRMED, None)
        return result


def reject_request(db: Database, actor: Actor, request_id: int, note: str) -> RequestInfo:
    """The admin rejects, saying why (the user sees it next time)."""
    require_admin(actor)
    note = note.strip()
    if not note:
        raise UserFacingError("Hãy ghi lý do từ chối để người gửi biết cần làm gì.", field="note")
    with db.write() as s:
        request = _pending(s, request_id)
        _decide(s, request, actor, REJECTED, note[:1000])
        user = s.get(UserAccount, request.user_id)
        assert user is not None
        return _info(request, user)


def latest_rejection(db: Database, actor: Actor, sha256: str) -> str | None:
    """The admin's note on the asking user's latest rejected request for this certificate."""
    with db.read() as s:
        return s.scalar(
            select(CertificateRequest.decision_note)
            .where(CertificateRequest.sha256 == sha256, CertificateRequest.user_id == actor.user_id,
                   CertificateRequest.state == REJECTED)
            .order_by(CertificateRequest.id.desc()).limit(1)
        )  # fmt: skip
