"""Transfer packages (.hbt) in the verification report, through the transfer verification.

app.services.transfer_verify does the checking (the seal over the manifest, every file's hash,
every signature); this module only puts its answer into the report's shape and words. It is
imported when asked for, so a build without transfers says "not supported yet".
"""

from __future__ import annotations

import hashlib
import importlib
from collections.abc import Iterable
from datetime import date
from typing import Any

from app.errors import UserFacingError
from app.models.db import Database
from app.services.verification import KIND_PACKAGE, KIND_UNSUPPORTED, VerificationReport


def verify_package_bytes(
    data: bytes, file_name: str, roots: Iterable[bytes] = (), *, db: Database | None = None
) -> VerificationReport:
    """A transfer package, through the transfer verification (app.services.transfer_verify).

    Imported when asked for, so this module works (and says "not supported yet") in a build
    without transfers.
    """
    sha = hashlib.sha256(data).hexdigest()
    try:
        package_module = importlib.import_module("app.services.transfer_package")
        verify_module = importlib.import_module("app.services.transfer_verify")
        read_package_bytes = package_module.read_package_bytes
        verify_contents = verify_module.verify_contents
    except (ImportError, AttributeError):
        return VerificationReport(
            file_name, sha, KIND_UNSUPPORTED,
            "Phiên bản này chưa kiểm tra được gói chuyển trường (.hbt). Hãy cập nhật Học bạ số.",
        )  # fmt: skip
    if db is None:
        message = "Cần mở dữ liệu của trường (--db) để kiểm tra gói chuyển trường."
        return VerificationReport(file_name, sha, KIND_PACKAGE, message, problem=message, package_ok=False)
    try:
        outcome = verify_contents(db, read_package_bytes(data, file_name), list(roots))
    except UserFacingError as exc:
        return VerificationReport(
            file_name, sha, KIND_PACKAGE, exc.message, problem=exc.message, package_ok=False
        )
    return _package_report(outcome, file_name, sha)


def _package_report(outcome: Any, file_name: str, sha: str) -> VerificationReport:
    """The transfer report in the same words and shape as a PDF's."""
    ok = bool(outcome.ok)
    student = outcome.student
    details = [
        f"Gói chuyển trường của học sinh {student.full_name} (mã {student.student_code}), "
        f"do {outcome.school_name} gửi, ngày chuyển {_day(str(outcome.transfer_date))}.",
        f"Con dấu ký danh mục gói: {outcome.seal_signer or 'không rõ'}.",
    ]
    for check in outcome.checks:
        mark = "Đạt" if check.ok else "KHÔNG ĐẠT"
        details.append(f"[{mark}] {check.subject}: {check.detail}")
    return VerificationReport(
        file_name, sha, KIND_PACKAGE, str(outcome.summary), details=tuple(details), package_ok=ok
    )


def _day(iso: str) -> str:
    """2027-01-05 → 05/01/2027, as Vietnamese papers write dates; anything else as it is."""
    try:
        return date.fromisoformat(iso).strftime("%d/%m/%Y")
    except ValueError:
        return iso
