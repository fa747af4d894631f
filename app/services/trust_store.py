"""The app's trust store for signature validation: resources/trust plus roots the admin imports.

Never the operating system's store (app.signing.trust). Imported roots live in the database
(`trusted_root`), so they travel with its backups; only CA certificates are accepted (a
person's or an organisation's own certificate is not a root), and each import is audited.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from asn1crypto import pem, x509
from sqlalchemy import select

from app.errors import UserFacingError
from app.models import TrustedRoot
from app.models.db import Database
from app.services import audit
from app.services.access import Actor, require_admin
from app.signing.trust import bundled_roots, parse_certificates

__all__ = ["RootInfo", "add_root", "describe", "export_pem", "school_roots"]


@dataclass(frozen=True)
class RootInfo:
    subject: str
    issuer: str
    sha256: str  # fingerprint of the DER certificate, lower-case hex
    not_before: datetime
    not_after: datetime
    is_ca: bool
    self_signed: bool
    added: bool = False  # False: it was already in the store

    @property
    def fingerprint(self) -> str:
        """The SHA-256 fingerprint as certificate viewers show it (AB:CD:…)."""
        return ":".join(self.sha256[i : i + 2] for i in range(0, len(self.sha256), 2)).upper()

    def to_json(self) -> dict[str, object]:
        return {
            "subject": self.subject, "issuer": self.issuer, "sha256": self.sha256,
            "fingerprint": self.fingerprint, "not_before": self.not_before.isoformat(),
            "not_after": self.not_after.isoformat(), "self_signed": self.self_signed, "added": self.added,
        }  # fmt: skip


def describe(cert: x509.Certificate) -> RootInfo:
    constraints = cert.basic_constraints_value
    is_ca = bool(constraints is not None and constraints["ca"].native)
    return RootInfo(
        subject=cert.subject.human_friendly,
        issuer=cert.issuer.human_friendly,
        sha256=hashlib.sha256(cert.dump()).hexdigest(),
        not_before=cert.not_valid_before,
        not_after=cert.not_valid_after,
        is_ca=is_ca,
        self_signed=cert.self_signed == "yes",
    )


def _load_one(data: bytes) -> x509.Certificate:
    try:
        certs = parse_certificates(data)
    except (ValueError, TypeError) as exc:
        raise UserFacingError(
            "Tệp này không phải chứng thư số (PEM hoặc DER/.cer). Hãy lấy tệp chứng thư gốc từ nhà cung cấp "
            "chữ ký số (ví dụ tệp .cer của Ban Cơ yếu Chính phủ hoặc VNPT-CA)."
        ) from exc
    if not certs:
        raise UserFacingError(
            "Tệp không chứa chứng thư số nào. Hãy chọn tệp chứng thư gốc (.pem, .cer, .crt)."
        )
    if len(certs) > 1:
        raise UserFacingError(
            f"Tệp chứa {len(certs)} chứng thư. Hãy nhập từng chứng thư gốc một, "
            "để kiểm tra từng cái trước khi tin."
        )
    return certs[0]


def add_root(db: Database, actor: Actor, data: bytes, *, now: datetime | None = None) -> RootInfo:
    """Add a CA certificate to the school's trust store (admin only); adding it twice changes nothing."""
    require_admin(actor)
    cert = _load_one(data)
    info = describe(cert)
    if not info.is_ca:
        raise UserFacingError(
            f"Chứng thư “{info.subject}” không phải chứng thư của tổ chức cấp chứng thư (CA), nên không dùng "
            "làm chứng thư gốc được. Hãy nhập chứng thư gốc của nhà cung cấp chữ ký số, không phải chứng thư "
            "của một người hay của con dấu."
        )
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    if info.not_after < moment:
        raise UserFacingError(
            f"Chứng thư gốc “{info.subject}” đã hết hạn ngày {info.not_after:%d/%m/%Y}. "
            "Hãy lấy chứng thư gốc mới từ nhà cung cấp."
        )
    with db.write() as s:
        if s.scalar(select(TrustedRoot.id).where(TrustedRoot.sha256 == info.sha256)) is not None:
            return info
        s.add(
            TrustedRoot(
                sha256=info.sha256, der=cert.dump(), subject=info.subject,
                not_after=info.not_after.astimezone(UTC).replace(tzinfo=None), added_by=actor.login,
            )
        )  # fmt: skip
        s.flush()
        audit.append(
            s, actor=actor.login, action="trust.add_root", entity="trusted_root", entity_id=info.sha256,
            detail={"subject": info.subject, "issuer": info.issuer, "not_after": info.not_after.isoformat()},
        )  # fmt: skip
    return RootInfo(**{**info.__dict__, "added": True})


def school_roots(db: Database) -> tuple[bytes, ...]:
    """The DER certificates the admin imported (pass them with resources/trust to validation)."""
    with db.read() as s:
        return tuple(s.scalars(select(TrustedRoot.der).order_by(TrustedRoot.id)))


def export_pem(db: Database | None) -> tuple[bytes, tuple[RootInfo, ...]]:
    """Every root the school trusts (shipped ones, then imported ones) as one PEM bundle."""
    certs = list(bundled_roots())
    if db is not None:
        certs.extend(x509.Certificate.load(der) for der in school_roots(db))
    unique = {hashlib.sha256(c.dump()).hexdigest(): c for c in certs}
    data = b"".join(pem.armor("CERTIFICATE", c.dump()) for c in unique.values())
    return data, tuple(describe(c) for c in unique.values())
