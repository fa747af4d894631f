"""`transfer export` and `transfer import`: moving a student's signed records between schools.

`python -m app transfer export --db FILE --student ID --out FILE.hbt [--to SCHOOL] [--date YYYY-MM-DD]
[--module PATH (--token-label L | --token-serial S) --cert-id HEX [--pin-env VAR]]` writes the
package signed by the school's seal (the demo school: the demo seal; a real school: its seal
token) and ends the enrolment; prints JSON.

`python -m app transfer import --db FILE PACKAGE.hbt [--trust CERT.pem …] [--class NAME]
[--check-only] [--override-reason TEXT --as LOGIN [--password-env VAR]]` checks the package
offline and, when it passes (or the principal named by --as, signed in with their password
except in the demo school, overrides with a reason), creates the student with the received
records; prints the report as JSON. Exit 0 accepted (or passed, with --check-only),
1 refused, 2 when the files or arguments cannot be used.

Imports stay inside the functions: building the parser must not load pyHanko.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from app.errors import UserFacingError

EXIT_REFUSED = 1
EXIT_BAD_ARGUMENTS = 2
NO_DESTINATION = "Chưa ghi trường chuyển đến"


def add_parser(sub: Any) -> None:
    transfer = sub.add_parser("transfer", help="chuyển trường: xuất hoặc nhận gói hồ sơ học bạ (.hbt)")
    actions = transfer.add_subparsers(dest="transfer_action", required=True, metavar="VIỆC")
    export = actions.add_parser("export", help="tạo gói hồ sơ chuyển trường có con dấu của trường ký")
    export.add_argument("--db", type=Path, required=True, dest="transfer_db")
    export.add_argument("--student", required=True, help="mã học sinh (hoặc số thứ tự trong CSDL)")
    export.add_argument("--out", type=Path, required=True, dest="transfer_out")
    export.add_argument("--to", dest="transfer_to", metavar="TRƯỜNG", help="trường chuyển đến")
    export.add_argument(
        "--date", dest="transfer_date", metavar="YYYY-MM-DD", help="ngày chuyển (mặc định hôm nay)"
    )
    export.add_argument("--module", help="thư viện PKCS#11 của token con dấu")
    export.add_argument("--token-label", help="nhãn token")
    export.add_argument("--token-serial", help="số sê-ri token")
    export.add_argument("--cert-id", help="CKA_ID của chứng thư con dấu trên token (hex)")
    export.add_argument("--pin-env", metavar="BIẾN", help="lấy mã PIN từ biến môi trường này")

    receive = actions.add_parser("import", help="kiểm tra và nhận gói hồ sơ của học sinh chuyển đến")
    receive.add_argument("--db", type=Path, required=True, dest="transfer_db")
    receive.add_argument("package", type=Path, metavar="GÓI.hbt")
    receive.add_argument("--trust", type=Path, action="append", default=[], help="thêm chứng thư gốc tin cậy")
    receive.add_argument("--class", dest="transfer_class", metavar="TÊN_LỚP", help="xếp học sinh vào lớp này")
    receive.add_argument("--check-only", action="store_true", help="chỉ kiểm tra, không nhận")
    receive.add_argument(
        "--override-reason", metavar="LÝ_DO", help="Hiệu trưởng nhận gói không hợp lệ, ghi lý do"
    )
    receive.add_argument(
        "--as", dest="as_login", metavar="LOGIN", help="tài khoản Hiệu trưởng quyết định nhận"
    )
    receive.add_argument(
        "--password-env", metavar="BIẾN", help="mật khẩu của tài khoản --as, lấy từ biến môi trường này"
    )


def run_args(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from app.models.db import open_database

    db_path: Path = args.transfer_db.expanduser()
    if not db_path.exists():
        err.write(f"Lỗi: không có tệp cơ sở dữ liệu {db_path}.\n")
        return EXIT_BAD_ARGUMENTS
    db = open_database(db_path)
    try:
        if args.transfer_action == "export":
            result, code = _export(db, args, err)
        else:
            result, code = _import(db, args, err)
    except _BadArguments as exc:
        err.write(f"Lỗi: {exc}\n")
        return EXIT_BAD_ARGUMENTS
    except UserFacingError as exc:
        err.write(f"Lỗi: {exc.message}\n")
        report = getattr(exc, "report", None)
        if report is not None:
            json.dump(report.to_json(), out, ensure_ascii=False, indent=2)
            out.write("\n")
        return EXIT_REFUSED
    finally:
        db.dispose()
    json.dump(result, out, ensure_ascii=False, indent=2)
    out.write("\n")
    return code


class _BadArguments(Exception):
    pass


def _export(db: Any, args: argparse.Namespace, err: TextIO) -> tuple[dict[str, Any], int]:
    from app.services.access import SYSTEM
    from app.services.records import find_student
    from app.services.transfer_out import export_transfer

    when = date.today()
    if args.transfer_date:
        try:
            when = date.fromisoformat(args.transfer_date)
        except ValueError:
            raise _BadArguments("--date phải có dạng YYYY-MM-DD, ví dụ 2026-12-01.") from None
    student_id = find_student(db, args.student)
    destination = args.transfer_to or NO_DESTINATION
    if not args.module:
        result = export_transfer(
            db, SYSTEM, student_id, args.transfer_out, destination=destination, transfer_date=when
        )
        return result.to_json(), 0
    from app.signing.pin import Pin
    from app.signing.signers import TokenSignerSpec
    from app.signing.worker import TokenWorker

    if not args.cert_id:
        raise _BadArguments("cần --cert-id HEX của chứng thư con dấu trên token.")
    try:
        cert_id = bytes.fromhex(args.cert_id)
    except ValueError:
        raise _BadArguments("--cert-id phải là chuỗi hex, ví dụ 01 hoặc a1b2.") from None
    spec = TokenSignerSpec(args.module, cert_id, token_serial=args.token_serial, token_label=args.token_label)
    value = os.environ.get(args.pin_env) if args.pin_env else None
    if value is None:
        value = getpass.getpass("Mã PIN của token con dấu: ", stream=err)
    pin = Pin(value)
    del value
    with TokenWorker() as worker:
        result = export_transfer(
            db, SYSTEM, student_id, args.transfer_out, destination=destination, transfer_date=when,
            signer=spec, pin=pin, worker=worker,
        )  # fmt: skip
    return result.to_json(), 0


def _sign_in(db: Any, login: str, password_env: str | None, err: TextIO) -> Any:
    """The account deciding, signed in: with its password, except in the demo school (as `gui --as`)."""
    from app.services.access import load_actor
    from app.services.accounts import sign_in, sign_in_demo
    from app.services.certificates import school_of

    with db.read() as s:
        is_demo = school_of(s).is_demo
    if is_demo:
        signed = sign_in_demo(db, login)
    else:
        password = os.environ.get(password_env) if password_env else None
        if password is None:
            password = getpass.getpass(f"Mật khẩu của {login}: ", stream=err)
        signed = sign_in(db, login, password)
        del password
    with db.read() as s:
        return load_actor(s, signed.user_id)


def _import(db: Any, args: argparse.Namespace, err: TextIO) -> tuple[dict[str, Any], int]:
    from app.services.access import SYSTEM
    from app.services.records import find_class
    from app.services.transfer_in import accept_transfer
    from app.services.transfer_verify import verify_package
    from app.signing.trust import parse_certificates

    roots = []
    for path in args.trust:
        try:
            roots.extend(parse_certificates(path.expanduser().read_bytes()))
        except (OSError, ValueError) as exc:
            raise _BadArguments(
                f"không đọc được chứng thư gốc {path} ({exc.__class__.__name__}). Hãy dùng tệp PEM hoặc DER."
            ) from None
    package: Path = args.package.expanduser()
    if args.check_only:
        report = verify_package(db, package, roots)
        return report.to_json(), 0 if report.ok else EXIT_REFUSED
    actor = SYSTEM
    if args.as_login:
        actor = _sign_in(db, args.as_login.strip(), args.password_env, err)
    elif args.override_reason:
        raise _BadArguments("nhận gói không hợp lệ cần --as LOGIN của Hiệu trưởng.")
    class_id = find_class(db, args.transfer_class) if args.transfer_class else None
    result = accept_transfer(
        db, actor, package, trust_roots=roots, override_reason=args.override_reason, class_id=class_id
    )
    return result.to_json(), 0
