"""`trust add` and `trust export`: the app's own trust store for signature validation.

`python -m app trust add --db FILE CERT.pem|.cer` adds a CA root certificate the school
trusts (shows its subject and SHA-256 fingerprint; refuses a certificate that is not a CA's);
`python -m app trust export [--db FILE] --out FILE` writes every root the app trusts
(resources/trust, plus the school's imported roots when --db is given) as one PEM bundle.
Both print JSON.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, TextIO

from app.errors import UserFacingError

EXIT_REFUSED = 1


def add_parser(sub: Any) -> None:
    trust = sub.add_parser("trust", help="kho chứng thư gốc dùng để kiểm tra chữ ký số (thêm, xuất)")
    actions = trust.add_subparsers(dest="trust_action", metavar="VIỆC", required=True)
    add = actions.add_parser("add", help="thêm một chứng thư gốc (CA) mà trường tin cậy")
    add.add_argument("--db", type=Path, required=True, dest="trust_db")
    add.add_argument(
        "trust_cert", type=Path, metavar="CHỨNG_THƯ", help="tệp chứng thư gốc (.pem, .cer, .crt)"
    )
    export = actions.add_parser("export", help="ghi mọi chứng thư gốc ứng dụng tin cậy ra một tệp PEM")
    export.add_argument("--db", type=Path, dest="trust_db", help="thêm các chứng thư gốc trường đã nhập")
    export.add_argument("--out", type=Path, required=True, dest="trust_out")


def run_args(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    try:
        if args.trust_action == "add":
            result = _add(args.trust_db, args.trust_cert)
        else:
            result = _export(args.trust_db, args.trust_out)
    except UserFacingError as exc:
        err.write(f"Lỗi: {exc.message}\n")
        return EXIT_REFUSED
    out.write(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    return 0


def _open(db_path: Path) -> Any:
    from app.cli.db_key import database_key
    from app.models.db import open_database

    path = db_path.expanduser()
    if not path.exists():
        raise UserFacingError(f"Không có tệp cơ sở dữ liệu {path}. Hãy kiểm tra đường dẫn --db.")
    return open_database(path, key=database_key(path))


def _add(db_path: Path, cert_path: Path) -> dict[str, object]:
    from app.services.access import SYSTEM
    from app.services.trust_store import add_root

    try:
        data = cert_path.expanduser().read_bytes()
    except OSError as exc:
        raise UserFacingError(f"Không đọc được tệp chứng thư {cert_path}: {exc.strerror or exc}.") from exc
    db = _open(db_path)
    try:
        info = add_root(db, SYSTEM, data)
    finally:
        db.dispose()
    done = "Đã thêm" if info.added else "Đã có sẵn"
    message = f"{done} chứng thư gốc “{info.subject}” (SHA-256 {info.fingerprint})."
    return {**info.to_json(), "message": message}


def _export(db_path: Path | None, out_path: Path) -> dict[str, object]:
    from app.services.trust_store import export_pem
    from app.signing.atomic import write_atomic

    db = _open(db_path) if db_path is not None else None
    try:
        data, roots = export_pem(db)
    finally:
        if db is not None:
            db.dispose()
    target = out_path.expanduser()
    write_atomic(target, data)
    return {"file": str(target), "count": len(roots), "roots": [r.to_json() for r in roots]}
