"""`python -m app verify FILE [--trust CERT.pem …] [--crl F …] [--db FILE] [--json]`.

Prints the verification report in words (the same report the app shows and prints): the
verdict first, then each signature with its signer, role, times, intact and trusted. With
`--json` the same report as JSON for scripts. `--db` adds the school's own trust (the demo
CA for the demo school), names the leader who signed our own records, and asks the hub the
database is connected to whether the record was superseded (a few seconds at most).

Exit 0 only when the file has signatures and every one is intact, trusted (resources/trust
plus the roots given) and followed only by acceptable changes; 1 when any is not; 2 when
the file or a root cannot be read, or the file is of a kind that cannot be checked.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from app.errors import UserFacingError
from app.models.db import Database, open_database
from app.services.verification import KIND_PDF, KIND_UNSUPPORTED, roots_from_files, verify_file


def run(
    pdf: Path,
    trust_files: Sequence[Path],
    crl_files: Sequence[Path],
    out: TextIO,
    err: TextIO,
    *,
    as_json: bool = True,
    db_path: Path | None = None,
) -> int:
    # pyHanko logs a traceback for every chain it cannot build; the report already says so.
    logging.getLogger("pyhanko").setLevel(logging.CRITICAL)
    db = None
    try:
        roots = roots_from_files(trust_files)
        try:
            crls = [path.read_bytes() for path in crl_files]
        except OSError as exc:
            err.write(f"Lỗi: không đọc được danh sách thu hồi ({exc.strerror or exc}).\n")
            return 2
        if db_path is not None:
            db = _open(db_path)
        report = verify_file(pdf, db=db, extra_roots=roots, crls=crls)
        if db is not None and report.kind == KIND_PDF and report.problem is None:  # the hub holds PDFs
            from app.sync.verify_client import ask_hub, hub_address

            address = hub_address(db)
            if address is not None:
                report = report.with_hub(ask_hub(address, report.sha256))
    except UserFacingError as exc:
        err.write(f"Lỗi: {exc.message}\n")
        return 2
    finally:
        if db is not None:
            db.dispose()
    if as_json:
        json.dump({**report.to_json(), "file": str(pdf)}, out, ensure_ascii=False, indent=2)
        out.write("\n")
    else:
        out.write("\n".join(report.lines()).rstrip() + "\n")
    if report.problem is not None or report.kind == KIND_UNSUPPORTED:
        return 2
    return 0 if report.ok else 1


def _open(path: Path) -> Database:

    if not path.is_file():
        raise UserFacingError(f"Không có tệp cơ sở dữ liệu {path}. Hãy kiểm tra đường dẫn --db.")
    from app.cli.db_key import database_key

    return open_database(path, key=database_key(path))
