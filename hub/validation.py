"""Checking the signatures of a received PDF with pyHanko, against the department's trust roots.

The hub does not import the desktop app's signing package (architecture.md §1: the hub
may import only the wire protocol), and its policy differs anyway: the roots are the ones
the department puts in `<data>/trust/`, never the operating system's. A submission is
"verified" when it has at least one signature, every signature is intact, chains to a
trusted root and was followed only by changes its locks allow, and no signature field is
left empty; otherwise "invalid", with the first reason in Vietnamese.
"""

from __future__ import annotations

import io
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from asn1crypto import pem, x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import enumerate_sig_fields
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

CERT_SUFFIXES = {".pem", ".crt", ".cer", ".der"}


@dataclass(frozen=True)
class SignatureCheck:
    field: str
    signer: str
    intact: bool
    trusted: bool
    changes_ok: bool
    revoked: bool
    timestamped: bool


@dataclass(frozen=True)
class Outcome:
    status: str  # verified / invalid
    summary: str
    signatures: tuple[SignatureCheck, ...]

    def detail_json(self) -> str:
        return json.dumps([asdict(s) for s in self.signatures], ensure_ascii=False)


def load_roots(folder: Path) -> list[x509.Certificate]:
    roots: list[x509.Certificate] = []
    if not folder.is_dir():
        return roots
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() not in CERT_SUFFIXES:
            continue
        data = path.read_bytes()
        if pem.detect(data):
            roots.extend(x509.Certificate.load(der) for kind, _h, der in pem.unarmor(data, multiple=True)
                         if kind == "CERTIFICATE")  # fmt: skip
        else:
            roots.append(x509.Certificate.load(data))
    return roots


def _signer_name(sig: object) -> str:
    try:
        cert = sig.signer_cert  # type: ignore[attr-defined]
        return str(cert.subject.native.get("common_name", cert.subject.human_friendly))
    except Exception:
        return "người ký"


def check_pdf(data: bytes, roots: list[x509.Certificate]) -> Outcome:
    try:
        reader = PdfFileReader(io.BytesIO(data))
        embedded = list(reader.embedded_regular_signatures)
        empty = [name for name, value, _ref in enumerate_sig_fields(reader) if value is None]
    except Exception as exc:
        return Outcome("invalid", f"Không đọc được tệp PDF ({exc.__class__.__name__}).", ())
    if not embedded:
        return Outcome("invalid", "Tệp không có chữ ký số nào.", ())
    checks = []
    for sig in embedded:
        name = _signer_name(sig)
        context = ValidationContext(trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail")
        try:
            status = validate_pdf_signature(sig, context)
        except Exception:
            checks.append(SignatureCheck(str(sig.field_name), name, False, False, False, False, False))
            continue
        coverage_ok = (
            status.coverage is not None and status.coverage >= SignatureCoverageLevel.ENTIRE_REVISION
        )
        ts = status.timestamp_validity
        checks.append(
            SignatureCheck(
                field=str(sig.field_name),
                signer=name,
                intact=bool(status.intact and status.valid),
                trusted=bool(status.trusted),
                changes_ok=bool(status.docmdp_ok) and coverage_ok,
                revoked=bool(status.revoked),
                timestamped=ts is not None and bool(ts.intact and ts.valid),
            )
        )
    return Outcome(_status(checks, empty), _summary(checks, empty), tuple(checks))


def _status(checks: list[SignatureCheck], empty: list[str]) -> str:
    good = all(c.intact and c.trusted and c.changes_ok and not c.revoked for c in checks)
    return "verified" if good and not empty else "invalid"


def _summary(checks: list[SignatureCheck], empty: list[str]) -> str:
    for c in checks:
        if not c.intact:
            return f"Chữ ký của {c.signer} không còn khớp với nội dung: tệp đã bị sửa sau khi ký."
        if not c.changes_ok:
            return f"Sau chữ ký của {c.signer} có thay đổi không được phép."
        if c.revoked:
            return f"Chứng thư số của {c.signer} đã bị thu hồi."
        if not c.trusted:
            return (
                f"Chữ ký của {c.signer} nguyên vẹn nhưng chứng thư số không thuộc danh sách tin cậy của Sở."
            )
    if empty:
        return f"Học bạ chưa ký đủ: còn trống ô ký {', '.join(empty)}."
    return f"Hợp lệ: {len(checks)} chữ ký nguyên vẹn và được tin cậy."
