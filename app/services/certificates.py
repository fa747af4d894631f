"""Signing certificates registered to accounts, or as the school's seal, and the demo signer's.

A signature is accepted only with a certificate registered here (matched by SHA-256 of the
certificate), so a teacher cannot sign with a colleague's token. The demo school's
software certificates (app.signing.demo) are made in the database's folder on first use
and registered to the demo accounts; any other school is refused the demo signer.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import UserFacingError
from app.models import Certificate, School, UserAccount
from app.models.db import Database
from app.services import audit
from app.services.access import SYSTEM, Actor, require_admin
from app.signing.certinfo import CertificateInfo, normalise_fingerprint
from app.signing.demo import DemoIdentity, DemoPki, create_demo_pki
from app.signing.errors import DemoSignerRefusedError
from app.signing.trust import parse_certificates

SEAL = "school-seal"
DEMO_PKI_DIR = "demo-pki"

# The signing page's worker and a batch may both ask for the demo signers at the same moment:
# one at a time in this process, and the first creation made whole before it gets its name.
_DEMO_LOCK = threading.Lock()


@dataclass(frozen=True)
class RegisteredCertificate:
    sha256: str
    holder: str  # the account's login, or "school-seal"
    holder_name: str
    subject: str
    serial_hex: str
    not_after: datetime
    created: bool  # False: it was registered already

    def to_json(self) -> dict[str, object]:
        return {
            "sha256": self.sha256, "holder": self.holder, "holder_name": self.holder_name,
            "subject": self.subject, "serial": self.serial_hex, "not_after": self.not_after.isoformat(),
            "created": self.created,
        }  # fmt: skip


def school_of(s: Session) -> School:
    school = s.scalar(select(School).order_by(School.id).limit(1))
    if school is None:
        raise UserFacingError("Cơ sở dữ liệu chưa có trường học. Hãy tạo trường trước.")
    return school


def certificate_from_file(path: Path) -> bytes:
    try:
        certs = parse_certificates(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise UserFacingError(
            f"Không đọc được chứng thư số trong tệp {path.name} ({exc.__class__.__name__}). "
            "Hãy chọn tệp .pem, .cer hoặc .crt xuất từ token.",
            field="cert",
        ) from None
    if not certs:
        raise UserFacingError(f"Tệp {path.name} không chứa chứng thư số nào.", field="cert")
    return bytes(certs[0].dump())


def register_certificate(
    db: Database, holder: str, der: bytes, *, actor: Actor = SYSTEM
) -> RegisteredCertificate:
    """Register `der` to the account `holder` (a login), or as the seal with holder "school-seal"."""
    require_admin(actor)
    with db.write() as s:
        return _register(s, holder, CertificateInfo.from_der(der), actor.login)


def register_in_session(
    s: Session, holder: str, info: CertificateInfo, actor_login: str
) -> RegisteredCertificate:
    """`register_certificate` inside the caller's write session (the caller checked the rights)."""
    return _register(s, holder, info, actor_login)


def _register(s: Session, holder: str, info: CertificateInfo, actor_login: str) -> RegisteredCertificate:
    if not info.can_sign:
        raise UserFacingError(
            "Chứng thư số này không dùng để ký (không có mục đích ký số, hoặc là chứng thư của CA). "
            "Hãy chọn chứng thư ký số của người dùng.",
            field="cert",
        )
    school = school_of(s)
    user: UserAccount | None = None
    if holder != SEAL:
        user = s.scalar(select(UserAccount).where(UserAccount.login == holder.strip()))
        if user is None:
            raise UserFacingError(f"Không có tài khoản {holder}. Hãy kiểm tra tên đăng nhập.", field="user")
    existing = s.scalar(select(Certificate).where(Certificate.sha256 == info.sha256))
    name = user.full_name if user is not None else school.name
    if existing is not None:
        same = existing.user_id == (user.id if user else None) and existing.is_school_seal == (user is None)
        if not same:
            raise UserFacingError(
                "Chứng thư số này đã được đăng ký cho người khác (hoặc cho con dấu của trường). "
                "Mỗi chứng thư chỉ thuộc về một người.",
                field="cert",
            )
        return RegisteredCertificate(
            info.sha256, holder, name, info.subject, info.serial_number, info.not_after, False
        )
    s.add(
        Certificate(
            school_id=school.id,
            user_id=user.id if user else None,
            is_school_seal=user is None,
            subject=info.subject[:500],
            issuer=info.issuer[:500],
            serial_hex=info.serial_number,
            not_before=info.not_before.replace(tzinfo=None),
            not_after=info.not_after.replace(tzinfo=None),
            sha256=info.sha256,
            der=info.der,
        )
    )
    audit.append(
        s, actor=actor_login, action="certificate.register", entity="certificate", entity_id=info.sha256,
        detail={"holder": holder, "subject": info.subject, "serial": info.serial_number},
    )  # fmt: skip
    return RegisteredCertificate(
        info.sha256, holder, name, info.subject, info.serial_number, info.not_after, True
    )


def find_certificate(s: Session, sha256: str) -> Certificate | None:
    return s.scalar(select(Certificate).where(Certificate.sha256 == normalise_fingerprint(sha256)))


def demo_folder(db: Database) -> Path:
    return Path(db.path).parent / DEMO_PKI_DIR


def ensure_demo_signers(db: Database) -> DemoPki:
    """The demo PKI in the database's folder, with a certificate registered to each demo account."""
    with db.read() as s:
        school = school_of(s)
        if not school.is_demo:
            raise DemoSignerRefusedError()
        identities = [
            DemoIdentity(u.login, u.full_name, school.name)
            for u in s.scalars(
                select(UserAccount).where(UserAccount.active.is_(True)).order_by(UserAccount.id)
            )
        ]
        # The demo certificate adds its own "(DEMO)" mark to the name.
        identities.append(DemoIdentity(SEAL, school.name.replace(" (DEMO)", "").strip(), school.name))
        school_name = school.name
    with _DEMO_LOCK:
        demo = _demo_pki(demo_folder(db), school_name, identities)
        _register_demo(db, demo)
    return demo


def _demo_pki(folder: Path, school_name: str, identities: list[DemoIdentity]) -> DemoPki:
    """The demo PKI in `folder`; the first time, built in a temporary folder beside it and renamed,
    so another process never sees (nor adds to) a CA half made, and two never make two CAs."""
    if not folder.is_dir():
        folder.parent.mkdir(parents=True, exist_ok=True)
        building = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
        try:
            create_demo_pki(building, school_name, identities)
            try:
                os.rename(building, folder)
            except OSError:
                if not folder.is_dir() or not any(folder.iterdir()):
                    raise
                # Another process finished first: its CA is the one; ours is dropped unused.
        finally:
            shutil.rmtree(building, ignore_errors=True)
    # Loads what is there and adds a certificate for any account made since.
    return create_demo_pki(folder, school_name, identities)


def _register_demo(db: Database, demo: DemoPki) -> None:
    with db.write() as s:
        known = set(s.scalars(select(Certificate.sha256)))
        for cred in demo.credentials.values():
            if cred.sha256 not in known:
                [cert] = parse_certificates(cred.cert_path.read_bytes())
                _register(s, cred.key, CertificateInfo.from_der(cert.dump()), "system")
