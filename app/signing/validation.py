"""Checking the signatures of a PDF, in words a principal understands.

pyHanko does the cryptography and the difference analysis of later revisions; this module
fixes the policy (the app's trust store only, no network, signing key usage) and turns
each status into a frozen report with a one-line Vietnamese summary.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from asn1crypto import x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.fields import FieldMDPAction, MDPPerm, enumerate_sig_fields
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from app.signing.certinfo import SIGNING_KEY_USAGES, common_name
from app.signing.trust import trust_roots as build_trust_roots

KEY_USAGE = KeyUsageConstraints(key_usage=set(SIGNING_KEY_USAGES), match_all_key_usages=False)


@dataclass(frozen=True)
class SignatureReport:
    field: str
    signer_name: str
    signer_subject: str
    issuer: str
    signer_cert_sha256: str
    claimed_time: datetime | None  # what the signer's computer said: not proof
    timestamp_time: datetime | None  # from a trusted timestamp, when there is one
    intact: bool  # the signed bytes are unchanged and the signature is mathematically correct
    trusted: bool  # the certificate chains to a root in the app's trust store
    revocation: str  # "revoked", "good" (checked against CRLs given), "unknown"
    coverage: str  # "entire_file", "entire_revision", "partial"
    modification_level: str | None  # what was added after this signature (pyHanko's level)
    changes_acceptable: bool  # everything added later is allowed by the locks in force
    docmdp: str | None  # the modification level this signature allows: no_changes, fill_forms…
    certifies: bool
    locks_document: bool
    summary: str

    @property
    def ok(self) -> bool:
        return self.intact and self.trusted and self.changes_acceptable and self.revocation != "revoked"

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("claimed_time", "timestamp_time"):
            if data[key] is not None:
                data[key] = data[key].isoformat()
        data["ok"] = self.ok
        return data


@dataclass(frozen=True)
class ValidationReport:
    signatures: tuple[SignatureReport, ...]
    unsigned_fields: tuple[str, ...] = ()
    problem: str | None = None  # the file itself could not be read

    @property
    def all_ok(self) -> bool:
        return self.problem is None and bool(self.signatures) and all(s.ok for s in self.signatures)

    @property
    def summary(self) -> str:
        if self.problem is not None:
            return self.problem
        if not self.signatures:
            return "Tài liệu chưa có chữ ký số nào."
        bad = [s for s in self.signatures if not s.ok]
        if not bad:
            return f"Tất cả {len(self.signatures)} chữ ký đều hợp lệ."
        return bad[0].summary

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.all_ok,
            "summary": self.summary,
            "problem": self.problem,
            "unsigned_fields": list(self.unsigned_fields),
            "signatures": [s.to_json() for s in self.signatures],
        }


def validate_pdf(
    data: bytes,
    trust_roots: Iterable[bytes | x509.Certificate] = (),
    *,
    crls: Iterable[bytes] = (),
    use_bundled_roots: bool = True,
) -> ValidationReport:
    """Every signature of `data` checked against resources/trust plus `trust_roots`."""
    roots = build_trust_roots(trust_roots, bundled=use_bundled_roots)
    crl_list = list(crls)
    try:
        reader = PdfFileReader(io.BytesIO(data))
        embedded = list(reader.embedded_regular_signatures)
        unsigned = tuple(name for name, value, _ref in enumerate_sig_fields(reader) if value is None)
    except Exception as exc:  # any parse failure means the same to the user
        return ValidationReport(
            (), problem=f"Không đọc được tệp PDF ({exc.__class__.__name__}): tệp bị hỏng hoặc không phải PDF."
        )
    reports = tuple(_check_one(sig, roots, crl_list) for sig in embedded)
    return ValidationReport(reports, unsigned)


def _context(roots: list[x509.Certificate], crls: list[bytes], mode: str) -> ValidationContext:
    return ValidationContext(trust_roots=roots, allow_fetching=False, crls=crls, revocation_mode=mode)


def _check_one(
    sig: EmbeddedPdfSignature, roots: list[x509.Certificate], crls: list[bytes]
) -> SignatureReport:
    field = str(sig.field_name)
    try:
        cert = sig.signer_cert
        name = common_name(cert.subject)
        subject, issuer, cert_sha = cert.subject.human_friendly, cert.issuer.human_friendly, cert.sha256.hex()
    except Exception:
        name = subject = issuer = cert_sha = ""
    try:
        status = validate_pdf_signature(sig, _context(roots, crls, "soft-fail"), key_usage_settings=KEY_USAGE)
    except Exception as exc:  # a mangled signature: report it, never crash the viewer
        return SignatureReport(
            field, name, subject, issuer, cert_sha, None, None, False, False, "unknown", "partial", None,
            False, None, False, False,
            f"Không kiểm tra được chữ ký của {name or 'người ký'} ({exc.__class__.__name__}): "
            "tài liệu đã bị sửa hoặc bị hỏng sau khi ký.",
        )  # fmt: skip
    revocation = _revocation(sig, status, roots, crls)
    docmdp = sig.docmdp_level
    fieldmdp = sig.fieldmdp
    locks = docmdp == MDPPerm.NO_CHANGES or (fieldmdp is not None and fieldmdp.action == FieldMDPAction.ALL)
    level = status.modification_level
    acceptable = (
        bool(status.docmdp_ok)
        and status.coverage is not None
        and (status.coverage >= SignatureCoverageLevel.ENTIRE_REVISION)
    )
    ts = status.timestamp_validity
    report = dict(
        field=field,
        signer_name=name,
        signer_subject=subject,
        issuer=issuer,
        signer_cert_sha256=cert_sha,
        claimed_time=status.signer_reported_dt,
        timestamp_time=ts.timestamp if ts is not None and ts.intact and ts.valid else None,
        intact=bool(status.intact and status.valid),
        trusted=bool(status.trusted),
        revocation=revocation,
        coverage=_coverage(status.coverage),
        modification_level=level.name.lower() if level is not None else None,
        changes_acceptable=acceptable,
        docmdp=docmdp.name.lower() if docmdp is not None else None,
        certifies=sig.sig_object.get("/Type") != "/DocTimeStamp" and _is_certification(sig),
        locks_document=locks,
    )
    return SignatureReport(**report, summary=_summary(name, report, level))


def _revocation(
    sig: EmbeddedPdfSignature, status: PdfSignatureStatus, roots: list[x509.Certificate], crls: list[bytes]
) -> str:
    if status.revoked:
        return "revoked"
    if not crls:
        return "unknown"
    # The first pass checks revocation only for certificates that name a CRL or OCSP
    # address, and tolerates missing data. With CRLs in hand, a second pass requires
    # revocation data for every certificate of the path: "good" only if all were checked.
    try:
        strict = validate_pdf_signature(
            sig, _context(roots, crls, "require"), key_usage_settings=KEY_USAGE, skip_diff=True
        )
    except Exception:
        return "unknown"
    if strict.revoked:
        return "revoked"
    return "good" if strict.trusted else "unknown"


def _is_certification(sig: EmbeddedPdfSignature) -> bool:
    try:
        certifying = sig.reader.root["/Perms"].raw_get("/DocMDP")
    except KeyError:
        return False
    return bool(certifying.reference == sig.sig_field.raw_get("/V").reference)


def _coverage(coverage: SignatureCoverageLevel | None) -> str:
    if coverage == SignatureCoverageLevel.ENTIRE_FILE:
        return "entire_file"
    if coverage == SignatureCoverageLevel.ENTIRE_REVISION:
        return "entire_revision"
    return "partial"


def _summary(name: str, r: dict[str, Any], level: ModificationLevel | None) -> str:
    who = name or "người ký"
    if not r["intact"]:
        return f"Tài liệu đã bị sửa sau khi ký: nội dung không còn khớp với chữ ký của {who}."
    if not r["changes_acceptable"]:
        return f"Tài liệu đã bị sửa sau khi ký: có thay đổi không được phép sau chữ ký của {who}."
    if r["revocation"] == "revoked":
        return f"Chứng thư số của {who} đã bị thu hồi: chữ ký không còn giá trị."
    if not r["trusted"]:
        return (
            f"Chữ ký của {who} còn nguyên vẹn nhưng chưa được xác thực: chứng thư số không thuộc danh sách "
            "tin cậy của nhà trường hoặc đã hết hạn."
        )
    tail = ""
    if r["locks_document"]:
        tail = "; tài liệu đã được khoá, không thể sửa"
    elif level is not None and level != ModificationLevel.NONE:
        tail = "; sau đó chỉ có các thay đổi được phép (thêm chữ ký)"
    return f"Hợp lệ: chữ ký của {who} còn nguyên vẹn và được tin cậy{tail}."
