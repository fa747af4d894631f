"""`sign`, `issue-demo`, `export-issued` and `register-cert`: the signing order from the command line.

`python -m app sign --db FILE --role gvbm|gvcn|hieutruong|condau --class NAME [--subject CODE]
(--demo | --module PATH [--token-label L | --token-serial S] --cert-id HEX) [--pin-env VAR]`
signs the class's pending documents for that role and prints a JSON summary: the plan
(pending, done, skipped with the reason, blocked with the reason) and the batch results.
With a token, the signer is whoever the token's certificate is registered to; every
PKCS#11 call runs on the token thread. Exit 0 when every pending document got signed.

Imports stay inside the functions: building the parser must not load pyHanko.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
from pathlib import Path
from typing import Any, TextIO

from app.errors import UserFacingError

COMMANDS = ("sign", "issue-demo", "export-issued", "register-cert")
EXIT_REFUSED = 1
EXIT_BAD_ARGUMENTS = 2


def add_parser(sub: Any) -> None:
    sign = sub.add_parser("sign", help="ký số các tài liệu đang chờ của một lớp theo vai trò, in JSON")
    sign.add_argument("--db", type=Path, required=True, dest="sign_db")
    sign.add_argument("--role", required=True, help="gvbm, gvcn, hieutruong (phohieutruong) hoặc condau")
    sign.add_argument("--class", required=True, dest="sign_class", metavar="TÊN_LỚP")
    sign.add_argument("--year", dest="sign_year", metavar="YYYY-YYYY")
    sign.add_argument("--subject", dest="sign_subject", metavar="MÃ_MÔN")
    _token_arguments(sign)
    sign.add_argument("--demo", action="store_true", help="ký bằng chữ ký thử của trường mẫu (DEMO)")
    sign.add_argument("--pin-env", metavar="BIẾN", help="lấy mã PIN từ biến môi trường này")

    demo = sub.add_parser("issue-demo", help="ký và phát hành toàn bộ học bạ của trường mẫu (DEMO)")
    demo.add_argument("--db", type=Path, required=True, dest="sign_db")

    export = sub.add_parser("export-issued", help="ghi tệp học bạ đã phát hành, in danh sách JSON")
    export.add_argument("--db", type=Path, required=True, dest="sign_db")
    export.add_argument("--class", dest="sign_class", metavar="TÊN_LỚP")
    export.add_argument("--year", dest="sign_year", metavar="YYYY-YYYY")
    export.add_argument("--out", type=Path, required=True, dest="sign_out")

    register = sub.add_parser("register-cert", help="đăng ký chứng thư số cho một tài khoản hoặc con dấu")
    register.add_argument("--db", type=Path, required=True, dest="sign_db")
    register.add_argument("--user", required=True, help="tên đăng nhập, hoặc school-seal cho con dấu")
    register.add_argument("--cert", type=Path, help="tệp chứng thư (PEM/DER)")
    _token_arguments(register)


def _token_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--module", help="đường dẫn thư viện PKCS#11 của token")
    parser.add_argument("--token-label", help="nhãn token")
    parser.add_argument("--token-serial", help="số sê-ri token")
    parser.add_argument("--cert-id", help="CKA_ID của chứng thư trên token (hex)")


def run_args(command: str, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from app.models.db import open_database

    result: Any

    db_path: Path = args.sign_db.expanduser()
    if not db_path.exists():
        err.write(f"Lỗi: không có tệp cơ sở dữ liệu {db_path}.\n")
        return EXIT_REFUSED
    from app.cli.db_key import database_key

    db = open_database(db_path, key=database_key(db_path))
    try:
        if command == "sign":
            result, code = _sign(db, args, err)
        elif command == "issue-demo":
            result, code = _issue_demo(db)
        elif command == "export-issued":
            result, code = _export(db, args)
        else:
            result, code = _register(db, args)
    except _BadArguments as exc:
        err.write(f"Lỗi: {exc}\n")
        return EXIT_BAD_ARGUMENTS
    except UserFacingError as exc:
        err.write(f"Lỗi: {exc.message}\n")
        return EXIT_REFUSED
    finally:
        db.dispose()
    json.dump(result, out, ensure_ascii=False, indent=2)
    out.write("\n")
    return code


class _BadArguments(Exception):
    pass


def _token_spec(args: argparse.Namespace) -> Any:
    from app.signing.signers import TokenSignerSpec

    if not args.module or not args.cert_id:
        raise _BadArguments("cần --module ĐƯỜNG_DẪN và --cert-id HEX (hoặc --demo cho trường mẫu).")
    try:
        cert_id = bytes.fromhex(args.cert_id)
    except ValueError:
        raise _BadArguments("--cert-id phải là chuỗi hex, ví dụ 01 hoặc a1b2.") from None
    return TokenSignerSpec(args.module, cert_id, token_serial=args.token_serial, token_label=args.token_label)


def _token_certificate(worker: Any, spec: Any) -> Any:
    """The certificate with the chosen CKA_ID on the token (the newest, if several)."""
    found = [
        c
        for c in worker.list_certificates(spec.module_path, spec.token_ref).result()
        if c.cka_id == spec.cert_id
    ]
    if not found:
        from app.signing.errors import CertificateNotFoundError

        raise CertificateNotFoundError(spec.cert_id.hex())
    return max(found, key=lambda c: c.not_after)


def _sign(db: Any, args: argparse.Namespace, err: TextIO) -> tuple[dict[str, Any], int]:
    from app.services.records import find_class
    from app.services.signing_order import normalise_role, plan_signing
    from app.services.signing_run import run_signing

    role = normalise_role(args.role)
    class_id = find_class(db, args.sign_class, args.sign_year)
    if args.demo:
        from app.services.certificates import demo_folder, ensure_demo_signers
        from app.signing.signers import DemoSignerSpec

        demo = ensure_demo_signers(db)
        plans, runs = [], []
        signers = _demo_signers(db, role, class_id, args.sign_subject)
        if not signers:
            what = f"môn {args.sign_subject}" if args.sign_subject else "vai trò này"
            raise UserFacingError(
                f"Lớp {args.sign_class} không có người ký cho {what}. Hãy kiểm tra mã môn và phân công."
            )
        for login in signers:
            plan = plan_signing(
                db, role, class_id, demo.credentials[login].sha256, subject_code=args.sign_subject
            )
            plans.append(plan)
            if plan.pending:
                runs.append(run_signing(db, plan, DemoSignerSpec(demo_folder(db), login), None))
        return _summary(plans, runs)
    from app.signing.pin import Pin
    from app.signing.worker import TokenWorker

    spec = _token_spec(args)
    with TokenWorker() as worker:
        cert = _token_certificate(worker, spec)
        plan = plan_signing(db, role, class_id, cert.sha256, subject_code=args.sign_subject)
        pin = None
        if plan.pending:
            value = os.environ.get(args.pin_env) if args.pin_env else None
            if value is None:
                value = getpass.getpass("Mã PIN của token: ", stream=err)
            pin = Pin(value)
            del value
        runs = [run_signing(db, plan, spec, pin, worker=worker)] if plan.pending else []
    return _summary([plan], runs)


def _demo_signers(db: Any, role: str, class_id: int, subject: str | None) -> list[str]:
    from sqlalchemy import select

    from app.models import SchoolClass, Subject, TeachingAssignment, UserAccount
    from app.models.people import ROLE_PRINCIPAL
    from app.services.certificates import SEAL

    with db.read() as s:
        if role == "gvbm":
            query = (
                select(UserAccount.login)
                .join(TeachingAssignment, TeachingAssignment.teacher_id == UserAccount.id)
                .join(Subject, Subject.id == TeachingAssignment.subject_id)
                .where(TeachingAssignment.class_id == class_id)
            )
            if subject:
                query = query.where(Subject.code == subject.strip())
            return sorted(set(s.scalars(query)))
        if role == "gvcn":
            login = s.scalar(
                select(UserAccount.login)
                .join(SchoolClass, SchoolClass.homeroom_teacher_id == UserAccount.id)
                .where(SchoolClass.id == class_id)
            )
            return [login] if login else []
        if role == "hieutruong":
            login = s.scalar(
                select(UserAccount.login)
                .where(UserAccount.roles.any(role=ROLE_PRINCIPAL))
                .order_by(UserAccount.id)
            )
            return [login] if login else []
        return [SEAL]


def _summary(plans: list[Any], runs: list[Any]) -> tuple[dict[str, Any], int]:
    ok = all(r.complete and r.stopped_by is None for r in runs)
    blocked_only = not runs and any(p.having("blocked") for p in plans)
    result = {
        "ok": ok and not blocked_only,
        "plans": [p.to_json() for p in plans],
        "runs": [r.to_json() for r in runs],
    }
    return result, 0 if result["ok"] else EXIT_REFUSED


def _issue_demo(db: Any) -> tuple[dict[str, Any], int]:
    from app.services.issuing import issue_demo

    classes = issue_demo(db)
    listing = [
        {
            "class": c.class_name, "locked_subjects": c.locked_subjects, "issued": c.issued,
            "runs": [{"role": r.role, "signer": r.signer, **r.to_json()["counts"]} for r in c.runs],  # type: ignore[dict-item]
            "problems": list(c.problems),
        }
        for c in classes
    ]  # fmt: skip
    complete = all(all(r.complete for r in c.runs) for c in classes)
    return {
        "ok": complete,
        "issued": sum(c.issued for c in classes),
        "classes": listing,
    }, 0 if complete else 1


def _export(db: Any, args: argparse.Namespace) -> tuple[list[dict[str, Any]], int]:
    from app.services.issuing import issued_records
    from app.services.records import find_class
    from app.signing.atomic import write_atomic

    class_id = find_class(db, args.sign_class, args.sign_year) if args.sign_class else None
    out_dir: Path = args.sign_out.expanduser()
    listing = []
    for rec in issued_records(db, class_id):
        path = out_dir / f"{rec.file_stem}.pdf"
        write_atomic(path, rec.data)
        listing.append(
            {"student_code": rec.student_code, "name": rec.full_name, "class": rec.class_name,
             "version": rec.version, "sha256": rec.sha256, "file": str(path)}
        )  # fmt: skip
    return listing, 0


def _register(db: Any, args: argparse.Namespace) -> tuple[dict[str, Any], int]:
    from app.services.certificates import certificate_from_file, register_certificate

    if args.cert is not None:
        der = certificate_from_file(args.cert.expanduser())
    else:
        from app.signing.worker import TokenWorker

        spec = _token_spec(args)
        with TokenWorker() as worker:
            der = _token_certificate(worker, spec).der
    return register_certificate(db, args.user, der).to_json(), 0
