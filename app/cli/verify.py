"""`python -m app verify FILE.pdf [--trust CERT.pem …]`: a JSON report per signature.

Exit 0 only when the file has signatures and every one is intact, trusted (resources/trust
plus the roots given) and followed only by acceptable changes; 1 when any is not; 2 when
the file or a root cannot be read.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from app.signing.trust import parse_certificates
from app.signing.validation import validate_pdf


def run(pdf: Path, trust_files: Sequence[Path], crl_files: Sequence[Path], out: TextIO, err: TextIO) -> int:
    try:
        data = pdf.read_bytes()
    except OSError as exc:
        err.write(f"Lỗi: không đọc được tệp {pdf} ({exc.strerror or exc}).\n")
        return 2
    roots = []
    for path in trust_files:
        try:
            roots.extend(parse_certificates(path.read_bytes()))
        except (OSError, ValueError) as exc:
            err.write(
                f"Lỗi: không đọc được chứng thư gốc {path} ({exc.__class__.__name__}). "
                "Hãy dùng tệp PEM hoặc DER.\n"
            )
            return 2
    try:
        crls = [path.read_bytes() for path in crl_files]
    except OSError as exc:
        err.write(f"Lỗi: không đọc được danh sách thu hồi ({exc.strerror or exc}).\n")
        return 2
    # pyHanko logs a traceback for every chain it cannot build; the report already says so.
    logging.getLogger("pyhanko").setLevel(logging.CRITICAL)
    report = validate_pdf(data, roots, crls=crls)
    json.dump({"file": str(pdf), **report.to_json()}, out, ensure_ascii=False, indent=2)
    out.write("\n")
    if report.problem is not None:
        return 2
    return 0 if report.all_ok else 1
