"""Verification reports a principal understands: who signed, in which role, when, and is it intact.

Built on app.signing.validation (pyHanko against the app's own trust store: resources/trust,
the demo CA for the demo school, and the roots given; never the operating system's store).
Each signature becomes a card: signer, role (from the field the school's documents give each
role, refined by this database's signature rows when the document is ours), the time the
signer's computer claimed, the trusted time of a timestamp if there is one, intact, trusted,
whether later changes were acceptable, and a verdict in plain Vietnamese. The whole report
has a headline; a document changed after signing says so first ("Tài liệu đã bị sửa sau khi
ký …").

Transfer packages (.hbt) are verified by app.services.transfer_verify when that module
exists (imported lazily, so this module never depends on it) and reported in the same
shape; otherwise the report says the format is not supported yet.
"""

from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from app.errors import UserFacingError
from app.models import Document, DocumentFile, Enrolment, School, Signature
from app.models.db import Database
from app.models.documents import LEADERS, ROLE_GVBM, ROLE_GVCN, ROLE_LEADER, ROLE_SEAL
from app.services.access import SYSTEM, Actor, require_view_class
from app.services.document_store import read_document, store_for
from app.services.records import student_class_id
from app.sync.documents import DocumentMissing
from app.sync.verify_client import HubVerdict

if TYPE_CHECKING:  # pyHanko costs a second of import: the window imports this module at start-up
    from app.signing.validation import SignatureReport, ValidationReport

log = logging.getLogger(__name__)

KIND_PDF = "pdf"
KIND_PACKAGE = "package"
KIND_UNSUPPORTED = "unsupported"
PACKAGE_SUFFIX = ".hbt"

# The signature field each role signs (app.signing.roles.Role.field_name; a test keeps them equal).
ROLE_BY_FIELD: dict[str, str] = {
    "GVBM": ROLE_GVBM,
    "GVCN": ROLE_GVCN,
    "HieuTruong": ROLE_LEADER,
    "ConDau": ROLE_SEAL,
}
ROLE_LABELS = {
    ROLE_GVBM: "Giáo viên bộ môn",
    ROLE_GVCN: "Giáo viên chủ nhiệm",
    ROLE_LEADER: "Lãnh đạo nhà trường (hiệu trưởng hoặc phó hiệu trưởng)",
    ROLE_SEAL: "Nhà trường (con dấu)",
}
LEADER_LABELS = {"hieutruong": "Hiệu trưởng", "phohieutruong": "Phó hiệu trưởng"}
UNKNOWN_ROLE = "Không rõ vai trò (chữ ký không theo mẫu của Học bạ số)"
CHANGED_PREFIX = "Tài liệu đã bị sửa sau khi ký"


@dataclass(frozen=True)
class SignatureCard:
    """One signature, as the panel and the printed report show it."""

    field: str
    signer_name: str
    role: str  # Vietnamese, e.g. "Giáo viên chủ nhiệm"
    role_code: str | None  # gvbm / gvcn / hieutruong / condau, None when not ours
    issuer: str
    claimed_time: datetime | None  # what the signer's computer said: not proof
    trusted_time: datetime | None  # from a trusted timestamp, when there is one
    intact: bool
    trusted: bool
    changes_acceptable: bool
    revoked: bool
    locks_document: bool
    verdict: str

    @property
    def changed(self) -> bool:
        """The document was changed after this signature in a way it does not allow."""
        return not self.intact or not self.changes_acceptable

    @property
    def ok(self) -> bool:
        return self.intact and self.trusted and self.changes_acceptable and not self.revoked

    def to_json(self) -> dict[str, Any]:
        return {
            "field": self.field, "signer_name": self.signer_name, "role": self.role,
            "role_code": self.role_code, "issuer": self.issuer,
            "claimed_time": self.claimed_time.isoformat() if self.claimed_time else None,
            "trusted_time": self.trusted_time.isoformat() if self.trusted_time else None,
            "intact": self.intact, "trusted": self.trusted, "changes_acceptable": self.changes_acceptable,
            "revoked": self.revoked, "locks_document": self.locks_document, "changed": self.changed,
            "ok": self.ok, "verdict": self.verdict,
        }  # fmt: skip


@dataclass(frozen=True)
class VerificationReport:
    file_name: str
    sha256: str
    kind: str  # pdf / package / unsupported
    headline: str  # the one sentence a principal reads first
    signatures: tuple[SignatureCard, ...] = ()
    unsigned_fields: tuple[str, ...] = ()
    problem: str | None = None  # the file could not be read or checked at all
    details: tuple[str, ...] = ()  # more lines (a package's contents)
    package_ok: bool | None = None  # a package: its own verification's answer
    hub: HubVerdict | None = None
    stored_changed: bool = False  # our own stored file differs from the one the database recorded
    validation: ValidationReport | None = field(default=None, compare=False, repr=False)

    @property
    def changed(self) -> bool:
        return self.stored_changed or any(s.changed for s in self.signatures)

    @property
    def ok(self) -> bool:
        if self.problem is not None or self.kind == KIND_UNSUPPORTED:
            return False
        if self.kind == KIND_PACKAGE:
            return bool(self.package_ok)
        return not self.stored_changed and bool(self.signatures) and all(s.ok for s in self.signatures)

    @property
    def superseded(self) -> bool:
        return self.hub is not None and self.hub.status == "superseded"

    def with_hub(self, verdict: HubVerdict) -> VerificationReport:
        return replace(self, hub=verdict)

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file_name, "sha256": self.sha256, "kind": self.kind, "ok": self.ok,
            "changed": self.changed, "headline": self.headline, "problem": self.problem,
            "summary": self.headline,
            "signatures": self._signatures_json(),
            "unsigned_fields": list(self.unsigned_fields), "details": list(self.details),
            "hub": self.hub.to_json() if self.hub else None,
        }  # fmt: skip

    def _signatures_json(self) -> list[dict[str, Any]]:
        """Each card, over the validation's own fields (coverage, DocMDP, revocation…) for scripts."""
        raw = self.validation.signatures if self.validation is not None else ()
        extra = {r.field: r.to_json() for r in raw}
        return [{**extra.get(c.field, {}), **c.to_json()} for c in self.signatures]

    def lines(self) -> list[str]:
        """The report in words, one line each (the command line, the printed report)."""
        out = [f"Tệp: {self.file_name}", f"Mã SHA-256: {self.sha256}", "", f"KẾT LUẬN: {self.headline}"]
        if self.hub is not None:
            out += [f"Máy chủ của Sở: {self.hub.message}"]
        out += [""]
        for i, card in enumerate(self.signatures, 1):
            out += [f"Chữ ký {i}: {card.signer_name or 'không rõ tên'} — {card.role}"]
            out += [f"    {label}: {value}" for label, value in card_rows(card)]
            out += [f"    Nhận xét: {card.verdict}", ""]
        if self.unsigned_fields:
            out += [f"Ô chữ ký còn trống: {', '.join(self.unsigned_fields)}", ""]
        out += list(self.details)
        return out


def yes_no(value: bool) -> str:
    return "có" if value else "không"


def format_time(moment: datetime | None) -> str:
    if moment is None:
        return "không có"
    return moment.astimezone().strftime("%d/%m/%Y %H:%M:%S")


def card_rows(card: SignatureCard) -> list[tuple[str, str]]:
    """Label → value rows shared by the panel, the dialog and the printed report."""
    trusted_time = format_time(card.trusted_time) if card.trusted_time else "không có dấu thời gian"
    return [
        ("Thời điểm ký (theo máy người ký)", format_time(card.claimed_time)),
        ("Thời điểm tin cậy (dấu thời gian)", trusted_time),
        ("Còn nguyên vẹn", yes_no(card.intact)),
        ("Được tin cậy", yes_no(card.trusted)),
        (
            "Thay đổi sau khi ký",
            "chỉ có thay đổi được phép" if card.changes_acceptable else "KHÔNG được phép",
        ),
    ]


# --------------------------------------------------------------------------- trust


def school_trust_roots(db: Database | None) -> tuple[bytes, ...]:
    """Roots this school trusts beyond resources/trust: the roots the admin imported
    (`trust add`), and the demo CA for the demo school."""
    if db is None:
        return ()
    from app.services.certificates import demo_folder  # the demo PKI lives beside the database
    from app.services.trust_store import school_roots
    from app.signing.demo import load_demo_pki

    with db.read() as s:
        school = s.scalar(select(School).order_by(School.id).limit(1))
        is_demo = bool(school is not None and school.is_demo)
    roots: list[bytes] = list(school_roots(db))
    if is_demo and demo_folder(db).is_dir():
        try:
            roots.append(load_demo_pki(demo_folder(db)).root_der())
        except (OSError, ValueError, KeyError) as exc:
            log.warning("demo CA not readable: %s", exc.__class__.__name__)
    return tuple(roots)


def roots_from_files(paths: Sequence[Path]) -> tuple[bytes, ...]:
    from app.signing.trust import parse_certificates

    found: list[bytes] = []
    for path in paths:
        try:
            found.extend(bytes(c.dump()) for c in parse_certificates(path.read_bytes()))
        except (OSError, ValueError) as exc:
            raise UserFacingError(
                f"Không đọc được chứng thư gốc {path.name} ({exc.__class__.__name__}). "
                "Hãy dùng tệp PEM hoặc DER.",
                field="trust",
            ) from None
    return tuple(found)


# --------------------------------------------------------------------------- PDF


def verify_pdf_bytes(
    data: bytes,
    file_name: str,
    roots: Iterable[bytes] = (),
    *,
    db: Database | None = None,
    crls: Iterable[bytes] = (),
) -> VerificationReport:
    from app.signing.validation import validate_pdf

    sha = hashlib.sha256(data).hexdigest()
    validation = validate_pdf(data, list(roots), crls=list(crls))
    if validation.problem is not None:
        return VerificationReport(file_name, sha, KIND_PDF, validation.problem, problem=validation.problem)
    reasons = _reasons(data)
    known = _known_signers(db, [s.signer_cert_sha256 for s in validation.signatures]) if db else {}
    cards = tuple(
        _card(s, reasons.get(s.field), known.get(s.signer_cert_sha256)) for s in validation.signatures
    )
    return VerificationReport(
        file_name, sha, KIND_PDF, _headline(cards), cards, validation.unsigned_fields, validation=validation
    )


def _card(sig: SignatureReport, reason: str | None, known: tuple[str, str | None] | None) -> SignatureCard:
    code = ROLE_BY_FIELD.get(sig.field) or _role_by_reason().get(reason or "")
    label = ROLE_LABELS.get(code or "", UNKNOWN_ROLE)
    if known is not None:  # one of our own signature rows: the database knows which leader signed
        code, leader = known
        label = LEADER_LABELS.get(leader or "", ROLE_LABELS.get(code, label))
    return SignatureCard(
        field=sig.field, signer_name=sig.signer_name, role=label, role_code=code, issuer=sig.issuer,
        claimed_time=sig.claimed_time, trusted_time=sig.timestamp_time, intact=sig.intact,
        trusted=sig.trusted, changes_acceptable=sig.changes_acceptable, revoked=sig.revocation == "revoked",
        locks_document=sig.locks_document, verdict=sig.summary,
    )  # fmt: skip


def _role_by_reason() -> dict[str, str]:
    """The fixed sentence each of our roles writes as the signature's reason → the role."""
    from app.signing.roles import Role

    return {r.mode.reason: ROLE_BY_FIELD[r.field_name] for r in Role}


def _reasons(data: bytes) -> dict[str, str]:
    """Field name → the /Reason written in each signature (our roles write a fixed sentence)."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        return {
            str(sig.field_name): str(sig.sig_object.get("/Reason", ""))
            for sig in reader.embedded_regular_signatures
        }
    except Exception:  # the validation already reported what is wrong with the file
        return {}


def _known_signers(db: Database, cert_shas: list[str]) -> dict[str, tuple[str, str | None]]:
    wanted = [c for c in cert_shas if c]
    if not wanted:
        return {}
    with db.read() as s:
        rows = s.execute(
            select(Signature.certificate_sha256, Signature.role, Signature.leader).where(
                Signature.certificate_sha256.in_(wanted)
            )
        ).all()
    return {sha: (role, leader if leader in LEADERS else None) for sha, role, leader in rows}


def _headline(cards: tuple[SignatureCard, ...]) -> str:
    if not cards:
        return "Tài liệu chưa có chữ ký số nào: không có gì để xác nhận."
    changed = [c for c in cards if c.changed]
    if changed:
        who = ", ".join(dict.fromkeys(c.signer_name or "người ký" for c in changed))
        return (
            f"{CHANGED_PREFIX}: nội dung hiện tại không còn đúng với bản đã được ký ({who}). "
            "Không dùng bản này làm căn cứ; hãy xin bản gốc từ nhà trường."
        )
    revoked = [c for c in cards if c.revoked]
    if revoked:
        return f"Chứng thư số của {revoked[0].signer_name} đã bị thu hồi: chữ ký không còn giá trị."
    untrusted = [c for c in cards if not c.trusted]
    if untrusted:
        who = ", ".join(dict.fromkeys(c.signer_name or "người ký" for c in untrusted))
        return (
            f"Tài liệu không bị sửa, nhưng chưa xác thực được người ký ({who}): chứng thư số không thuộc "
            "danh sách tin cậy của nhà trường hoặc đã hết hạn."
        )
    sealed = any(c.role_code == ROLE_SEAL for c in cards)
    tail = " Học bạ đã được nhà trường đóng dấu phát hành." if sealed else ""
    return (
        f"Hợp lệ: {len(cards)} chữ ký đều còn nguyên vẹn và được tin cậy; tài liệu không bị sửa sau khi ký."
        + tail
    )


# --------------------------------------------------------------------------- packages and files


def verify_bytes(
    data: bytes, file_name: str, roots: Iterable[bytes] = (), *, db: Database | None = None,
    crls: Iterable[bytes] = (),
) -> VerificationReport:  # fmt: skip
    """A PDF or a transfer package, told apart by their first bytes (and the .hbt name)."""
    roots = tuple(roots) + school_trust_roots(db)
    if data.lstrip()[:5] == b"%PDF-" or file_name.lower().endswith(".pdf"):
        return verify_pdf_bytes(data, file_name, roots, db=db, crls=crls)
    if file_name.lower().endswith(PACKAGE_SUFFIX) or data[:4] == b"PK\x03\x04":
        from app.services.verification_package import verify_package_bytes

        return verify_package_bytes(data, file_name, roots, db=db)
    sha = hashlib.sha256(data).hexdigest()
    return VerificationReport(
        file_name, sha, KIND_UNSUPPORTED,
        "Tệp này không phải học bạ PDF hay gói chuyển trường (.hbt): không có gì để kiểm tra.",
        problem="Tệp không phải PDF hay gói chuyển trường.",
    )  # fmt: skip


def verify_file(
    path: Path, *, db: Database | None = None, extra_roots: Iterable[bytes] = (), crls: Iterable[bytes] = ()
) -> VerificationReport:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UserFacingError(
            f"Không đọc được tệp {path.name} ({exc.strerror or exc}). Hãy kiểm tra tệp còn đó và thử lại.",
            field="file",
        ) from None
    return verify_bytes(data, path.name, extra_roots, db=db, crls=crls)


# --------------------------------------------------------------------------- our own documents


@dataclass(frozen=True)
class SignedFile:
    """The newest signed file of one of this school's documents."""

    document_id: int
    document_uuid: str
    version: int
    state: str
    sha256: str  # the SHA-256 the database recorded for the newest signed file
    pdf: bytes  # the bytes on disk now, as they are

    @property
    def matches_record(self) -> bool:
        """The stored file is still the one the database recorded when it was signed."""
        return hashlib.sha256(self.pdf).hexdigest() == self.sha256

    @property
    def xml(self) -> bytes:
        """The record's XML as embedded in the signed file (what the signatures cover)."""
        from pypdf import PdfReader

        try:
            for name, contents in PdfReader(io.BytesIO(self.pdf)).attachments.items():
                if name.lower().endswith(".xml") and contents:
                    return bytes(contents[0])
        except Exception:  # a damaged file: the panel says so; there is just no XML to export
            log.warning("no XML readable in document %s", self.document_uuid)
        return b""


def current_signed_file(db: Database, student_id: int, *, actor: Actor = SYSTEM) -> SignedFile | None:
    """The student's current record (newest, not superseded) if at least one signature is on it."""
    class_id = student_class_id(db, student_id)
    require_view_class(actor, class_id)
    with db.read() as s:
        doc = s.scalar(
            select(Document)
            .join(Enrolment, Enrolment.id == Document.enrolment_id)
            .where(Enrolment.student_id == student_id, Enrolment.class_id == class_id)
            .where(Document.superseded.is_(False), Document.state != "draft")
            .order_by(Document.version.desc())
            .limit(1)
        )
        if doc is None or not doc.current_sha256:
            return None
        key = s.scalar(
            select(DocumentFile.store_key).where(
                DocumentFile.document_id == doc.id, DocumentFile.sha256 == doc.current_sha256
            )
        )
        found = (doc.id, doc.uuid, doc.version, doc.state, doc.current_sha256, key)
    doc_id, uuid, version, state, sha, key = found
    try:
        data = read_document(db, key or "", sha)
    except DocumentMissing as exc:
        if "does not match" not in str(exc):
            raise UserFacingError(
                "Không mở được tệp học bạ đã ký trên máy này (tệp bị mất hoặc không giải mã được). "
                "Hãy chạy kiểm tra dữ liệu (doctor) hoặc khôi phục từ bản sao lưu."
            ) from None
        # Changed on disk: show it anyway, so the panel says in red what happened to it.
        data = store_for(db).read(key or "")
    return SignedFile(doc_id, uuid, version, state, sha, data)


STORED_CHANGED = (
    "Tệp học bạ lưu trên máy đã bị thay đổi: không còn là bản đã ký ghi trong dữ liệu của trường. "
    "Hãy chạy kiểm tra dữ liệu (doctor) hoặc khôi phục từ bản sao lưu."
)


def verify_signed_file(db: Database, signed: SignedFile, name: str) -> VerificationReport:
    report = verify_pdf_bytes(signed.pdf, name, school_trust_roots(db), db=db)
    if signed.matches_record:
        return report
    headline = report.headline if report.changed else f"{CHANGED_PREFIX}. {STORED_CHANGED}"
    return replace(report, headline=headline, details=(STORED_CHANGED, *report.details), stored_changed=True)
