"""Confirmed printouts of issued records, and the print log.

`prepare_printout` loads an issued record's signed file (checked against its SHA-256), who
signed it, and the hub address from the sync settings, and builds the print copy
(app.documents.printout); the signed file itself is never changed. `log_printout` writes
the print log: one audit entry "record.printed" saying who printed which record (and which
bytes), when, and how (printer or PDF file). `save_printout` writes a prepared copy to a
file and logs it; `print_to_file` does it all for the command line.

Without a configured hub the print copy has no QR code (a code pointing nowhere would send
people to a page that cannot answer); its verification page says so and gives the SHA-256
to compare against the original file.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Final

from sqlalchemy import select

from app.documents.printout import PrintInfo, SignerLine, confirmed_printout
from app.errors import NotFound, UserFacingError
from app.models import Document, DocumentFile, Enrolment, SchoolClass, SchoolYear, Student, UserAccount
from app.models import documents as d
from app.models.db import Database
from app.services import audit
from app.services.access import Actor, load_actor, require_view_class
from app.services.backup_thinning import SCHOOL_TZ
from app.services.certificates import school_of
from app.services.document_store import read_document
from app.sync import protocol
from app.sync.state import read_state

__all__ = [
    "AUDIT_ACTION",
    "CHANNEL_PDF",
    "CHANNEL_PRINTER",
    "Printout",
    "actor_by_login",
    "find_document",
    "log_printout",
    "prepare_printout",
    "print_to_file",
    "save_printout",
    "verify_url",
]

AUDIT_ACTION: Final = "record.printed"
CHANNEL_PRINTER: Final = "printer"
CHANNEL_PDF: Final = "pdf"
_ROLE_TITLES: Final = {
    d.ROLE_GVBM: "Giáo viên bộ môn",
    d.ROLE_GVCN: "Giáo viên chủ nhiệm",
    d.ROLE_LEADER: "Hiệu trưởng",
    d.ROLE_SEAL: "Nhà trường (đóng dấu)",
}


@dataclass(frozen=True)
class Printout:
    document_id: int
    record_id: str
    version: int
    sha256: str  # of the signed original
    student_code: str
    student_name: str
    class_name: str
    year_name: str
    verify_url: str | None  # what the QR code encodes; None without a hub
    printed_at: datetime
    file_stem: str  # suggested file name, ASCII
    pdf: bytes = field(repr=False)  # the print copy

    @property
    def title(self) -> str:
        where = f"lớp {self.class_name}, năm học {self.year_name}"
        return f"{self.student_name} — {where} (phiên bản {self.version})"

    @property
    def print_sha256(self) -> str:
        return hashlib.sha256(self.pdf).hexdigest()


def verify_url(hub_url: str, sha256: str) -> str:
    """The hub's public verify address for a file: `<hub>/v1/verify/<sha256>`."""
    return f"{hub_url.strip().rstrip('/')}{protocol.API}/verify/{sha256.lower()}"


def actor_by_login(db: Database, login: str) -> Actor:
    """The account `login` with its rights, for the command line's `--as`."""
    with db.read() as s:
        user_id = s.scalar(select(UserAccount.id).where(UserAccount.login == login.strip().lower()))
        if user_id is None:
            raise NotFound(f"Không có tài khoản “{login}”. Hãy kiểm tra tên đăng nhập.", field="as")
        return load_actor(s, user_id)


def find_document(db: Database, ident: str) -> int:
    """A record document by its number (document id) or its record UUID (mã hồ sơ)."""
    text = ident.strip()
    with db.read() as s:
        if text.isdigit():
            found = s.scalar(select(Document.id).where(Document.id == int(text)))
        else:
            found = s.scalar(select(Document.id).where(Document.uuid == text.lower()))
    if found is None:
        raise NotFound(f"Không có học bạ mang số hoặc mã hồ sơ “{text}”. Hãy kiểm tra lại.", field="document")
    return found


def prepare_printout(
    db: Database, actor: Actor, document_id: int, *, now: datetime | None = None
) -> Printout:
    """The print copy of an issued record (nothing is written; see `log_printout`)."""
    with db.read() as s:
        doc = s.get(Document, document_id)
        if doc is None or doc.kind != d.KIND_RECORD:
            raise NotFound("Không tìm thấy học bạ này; có thể đã chọn nhầm. Hãy mở lại học bạ.")
        require_view_class(actor, doc.class_id)
        if doc.state != d.ISSUED or not doc.current_sha256:
            raise UserFacingError(
                "Học bạ này chưa được phát hành (chưa đóng dấu của trường), nên chưa in được bản có xác "
                "nhận. Hãy hoàn tất các bước ký rồi in lại."
            )
        sha = doc.current_sha256.lower()
        key = s.scalar(
            select(DocumentFile.store_key).where(
                DocumentFile.document_id == doc.id, DocumentFile.sha256 == doc.current_sha256
            )
        )
        student, klass, year = s.execute(
            select(Student, SchoolClass, SchoolYear)
            .join(Enrolment, Enrolment.student_id == Student.id)
            .join(SchoolClass, SchoolClass.id == Enrolment.class_id)
            .join(SchoolYear, SchoolYear.id == SchoolClass.school_year_id)
            .where(Enrolment.id == doc.enrolment_id)
        ).one()
        signers = tuple(
            SignerLine(
                _role_title(sig.role, sig.leader), sig.signer_name, _school_day(sig.signed_at), bool(sig.demo)
            )
            for sig in s.scalars(
                select(d.Signature).where(d.Signature.document_id == doc.id).order_by(d.Signature.signed_at)
            )
        )
        school = school_of(s)
        state = read_state(s)
        hub = state.hub_url if state is not None else None
        head = (
            doc.id,
            doc.uuid,
            doc.version,
            sha,
            student.student_code,
            student.full_name,
            klass.name,
            year.name,
        )
        school_name, is_demo, superseded = school.name, bool(school.is_demo), bool(doc.superseded)
    if key is None:
        raise UserFacingError(
            "Không tìm thấy tệp học bạ đã phát hành trong kho tài liệu. Hãy chạy “Kiểm tra dữ liệu” "
            "(doctor) hoặc khôi phục từ bản sao lưu."
        )
    original = read_document(db, key, sha)
    url = verify_url(hub, sha) if hub else None
    printed_at = (now or datetime.now(UTC)).astimezone(SCHOOL_TZ).replace(tzinfo=None)
    info = PrintInfo(
        record_id=head[1], version=head[2], sha256=sha, student_name=head[5], student_code=head[4],
        class_name=head[6], year_name=head[7], school_name=school_name, signers=signers,
        verify_url=url, printed_by=actor.full_name, printed_at=printed_at, is_demo=is_demo,
        superseded=superseded,
    )  # fmt: skip
    pdf = confirmed_printout(original, info)
    stem = f"banin-{_ascii(head[4])}-{_ascii(head[6])}-{head[7]}-v{head[2]}"
    return Printout(*head, verify_url=url, printed_at=printed_at, file_stem=stem, pdf=pdf)


def log_printout(
    db: Database,
    actor: Actor,
    printout: Printout,
    *,
    channel: str,
    target: str | None = None,
    command_line: bool = False,
) -> None:
    """The print log: who printed which record, when, and how (one audit entry).

    `command_line`: printed with `python -m app print`, where `--as` names the person
    without a password; the entry says so, so it is never mistaken for a signed-in print."""
    if channel not in (CHANNEL_PRINTER, CHANNEL_PDF):
        raise ValueError(f"unknown print channel {channel!r}")
    with db.write() as s:
        audit.append(
            s, actor=actor.login, action=AUDIT_ACTION, entity="document", entity_id=printout.document_id,
            detail={
                "record_id": printout.record_id, "version": printout.version, "sha256": printout.sha256,
                "student_code": printout.student_code, "class": printout.class_name,
                "year": printout.year_name, "channel": channel, "target": target,
                "print_sha256": printout.print_sha256, "qr": printout.verify_url is not None,
                "command_line": command_line,
            },
        )  # fmt: skip


def print_to_file(
    db: Database, actor: Actor, document_id: int, out: Path, *, now: datetime | None = None
) -> Printout:
    """Build the print copy, write it to `out` and log it (the command line)."""
    printout = prepare_printout(db, actor, document_id, now=now)
    save_printout(db, actor, printout, out, command_line=True)
    return printout


def save_printout(
    db: Database, actor: Actor, printout: Printout, out: Path, *, command_line: bool = False
) -> None:
    """Write a prepared print copy to `out` (temp file, then renamed: never half a file), then log it."""
    out = Path(out)
    partial = out.with_name(f".{out.name}.partial")
    try:
        with open(partial, "wb") as fh:
            fh.write(printout.pdf)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(partial, out)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise UserFacingError(
            f"Không ghi được tệp {out}: {exc.strerror or exc}. Hãy chọn thư mục khác.", field="out"
        ) from None
    log_printout(db, actor, printout, channel=CHANNEL_PDF, target=out.name, command_line=command_line)


def _school_day(stored: datetime) -> date:
    """The school's calendar day of a stored (naive UTC) time."""
    return stored.replace(tzinfo=UTC).astimezone(SCHOOL_TZ).date()


def _role_title(role: str, leader: str | None) -> str:
    if role == d.ROLE_LEADER and leader == "phohieutruong":
        return "Phó Hiệu trưởng"
    return _ROLE_TITLES.get(role, role)


def _ascii(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", plain.encode("ascii", "ignore").decode()).strip("_") or "x"
