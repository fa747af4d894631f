"""Composition root: parse arguments, set up logging, then run a command or the GUI.

Commands are part of the product (IT staff script with them; tests use them). Each
lives in its own module under app/cli and is imported only when used, so `--version`
or `evaluate` never pay for importing Qt or pyHanko.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from app import __version__


def _utf8_stdio() -> None:
    # Windows consoles default to a legacy code page; Vietnamese output must survive.
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(encoding="utf-8", errors="replace")
    if hasattr(sys.stdin, "reconfigure"):
        sys.stdin.reconfigure(encoding="utf-8")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hocba",
        description="Học bạ số — sổ học bạ điện tử cho nhà trường (chạy không cần mạng).",
    )
    parser.add_argument("--version", action="version", version=f"Học bạ số {__version__}")
    parser.add_argument(
        "--db", type=Path, help="tệp cơ sở dữ liệu SQLite (mặc định: thư mục dữ liệu của người dùng)"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="ghi nhật ký chi tiết")
    sub = parser.add_subparsers(dest="command", metavar="LỆNH")

    sub.add_parser("selftest", help="kiểm tra bản cài đặt (thư viện, phông chữ, CSDL, token, Qt)")
    # The frozen app's own Qt check, run by `selftest` in a child process (no `-c` when frozen).
    parser.add_argument("--qt-selfcheck", action="store_true", help=argparse.SUPPRESS)

    smoke = sub.add_parser(
        "smoke", help="chạy thử nhanh từ đầu đến cuối (trường mẫu, đánh giá, giao diện) trong thư mục tạm"
    )
    smoke.add_argument("--out", type=Path, help="giữ các tệp của lần chạy (ảnh cửa sổ…) trong thư mục này")

    demo = sub.add_parser("demo", help="tạo cơ sở dữ liệu trường mẫu (DEMO)")
    demo.add_argument("--db", type=Path, required=True, dest="db_path")
    demo.add_argument("--level", choices=("thcs", "thpt", "tieuhoc"), default="thcs")
    demo.add_argument("--classes", type=int, default=12)
    demo.add_argument("--students-per-class", type=int, default=40)
    demo.add_argument("--seed", type=int, default=0)

    backup = sub.add_parser("backup", help="sao lưu cơ sở dữ liệu (và tệp học bạ) vào một thư mục")
    backup.add_argument("--db", type=Path, required=True, dest="db_path")
    backup.add_argument("--to", type=Path, required=True, dest="backup_to")
    backup.add_argument("--keep-all", action="store_true", help="không xoá bớt bản sao lưu cũ")
    restore = sub.add_parser("restore", help="khôi phục cơ sở dữ liệu từ một bản sao lưu")
    restore.add_argument("--from", type=Path, required=True, dest="restore_from")
    restore.add_argument("--db", type=Path, required=True, dest="db_path")
    doctor = sub.add_parser(
        "doctor", help="kiểm tra toàn bộ dữ liệu, in báo cáo JSON (--repair: sửa những gì sửa an toàn được)"
    )
    doctor.add_argument("--db", type=Path, required=True, dest="db_path")
    doctor.add_argument("--repair", action="store_true")
    doctor.add_argument("--backups", type=Path, action="append", default=[], help="thêm thư mục sao lưu")

    from app.cli import export_cmd, import_cmd  # light modules: their heavy imports are deferred

    import_cmd.add_parser(sub)
    export_cmd.add_parser(sub)

    sub.add_parser(
        "evaluate",
        help="tính kết quả theo Thông tư 22/27 từ JSON ở stdin, in JSON ra stdout",
    )

    render = sub.add_parser("render", help="xuất học bạ PDF/A (kèm XML) của một lớp hoặc một học sinh")
    render.add_argument("--db", type=Path, dest="render_db", help="tệp cơ sở dữ liệu SQLite")
    render.add_argument("--class", dest="render_class", metavar="TÊN_LỚP", help="tên lớp, ví dụ 6A1")
    render.add_argument("--student", dest="render_student", metavar="MÃ", help="mã học sinh (mahocsinh)")
    render.add_argument("--year", dest="render_year", metavar="YYYY-YYYY", help="năm học (mặc định: năm nay)")
    render.add_argument("--out", type=Path, required=True, dest="render_out", help="thư mục ghi tệp")
    render.add_argument("--sheets", action="store_true", help="xuất cả bảng điểm môn của lớp")
    render.add_argument("--xml", action="store_true", help="ghi thêm tệp XML cạnh mỗi PDF")

    verify = sub.add_parser(
        "verify", help="kiểm tra các chữ ký số của một tệp PDF (hoặc gói .hbt), in báo cáo bằng lời"
    )
    verify.add_argument("verify_pdf", type=Path, metavar="TỆP.pdf")
    verify.add_argument("--json", action="store_true", dest="verify_json", help="in báo cáo dạng JSON")
    verify.add_argument("--db", type=Path, dest="verify_db", help="CSDL của trường (hỏi máy chủ Sở)")
    verify.add_argument("--trust", type=Path, action="append", default=[], help="chứng thư gốc (PEM/DER)")
    verify.add_argument("--crl", type=Path, action="append", default=[], help="danh sách thu hồi (CRL)")

    # --- sync (issue 5): outbox to the department's hub, USB-stick bundles -----------------
    sync = sub.add_parser("sync", help="gửi học bạ đã phát hành lên máy chủ của Sở (một lần), in JSON")
    sync.add_argument("--db", type=Path, required=True, dest="sync_db")
    sync.add_argument("--hub", dest="sync_hub", help="địa chỉ máy chủ (mặc định: địa chỉ đã kết nối)")
    sync.add_argument("--retries", type=int, help="số lần thử lại mỗi yêu cầu (mặc định 5)")
    sync.add_argument("--timeout", type=float, help="giây chờ mỗi bước mạng (mặc định 120)")
    connect = sub.add_parser(
        "hub-connect", help="kết nối máy này với máy chủ của Sở (mã kết nối lấy từ biến môi trường)"
    )
    connect.add_argument("--db", type=Path, required=True, dest="connect_db")
    connect.add_argument("--hub", required=True, dest="connect_hub")
    connect.add_argument("--credential-env", required=True, metavar="BIẾN")
    from app.cli import bundle as bundle_cmd

    bundle_cmd.add_parser(sub)
    # --- end sync ---------------------------------------------------------------------------
    from app.cli import sign as sign_cmd

    sign_cmd.add_parser(sub)  # sign, issue-demo, export-issued, register-cert
    from app.cli import trust as trust_cmd

    trust_cmd.add_parser(sub)  # trust add / trust export
    from app.cli import transfer as transfer_cmd

    transfer_cmd.add_parser(sub)  # transfer export / transfer import
    from app.cli import print_cmd

    print_cmd.add_parser(sub)  # confirmed printout of an issued record

    gui = sub.add_parser("gui", help="mở ứng dụng (mặc định khi không có lệnh)")
    gui.add_argument("--db", type=Path, dest="gui_db", help="tệp cơ sở dữ liệu SQLite")
    gui.add_argument("--screenshot", type=Path, help=argparse.SUPPRESS)
    # Sign in as a demo account without a password (refused outside the demo school).
    gui.add_argument("--as", dest="as_login", metavar="LOGIN", help=argparse.SUPPRESS)
    # --- encryption at rest (issue 8) -----------------------------------------------------
    from app.cli import key as key_cmd

    key_cmd.add_parser(sub)
    encrypt = sub.add_parser("encrypt", help="mã hoá dữ liệu (CSDL và tệp học bạ); in mã khôi phục")
    encrypt.add_argument("--db", type=Path, required=True, dest="encrypt_db")
    return parser


def _run_data_safety(command: str, args: argparse.Namespace) -> int:
    from app.cli.db_key import database_key

    key = database_key(args.db_path)
    if command == "backup":
        from app.cli.backup import run as run_backup

        return run_backup(
            args.db_path, args.backup_to, keep_all=args.keep_all, out=sys.stdout, err=sys.stderr, key=key
        )
    if command == "restore":
        from app.cli.restore import run as run_restore

        return run_restore(args.restore_from, args.db_path, out=sys.stdout, err=sys.stderr, key=key)
    from app.cli.doctor import run as run_doctor

    return run_doctor(
        args.db_path, repair=args.repair, backups=args.backups, out=sys.stdout, err=sys.stderr, key=key
    )


def _run_sync_commands(command: str, args: argparse.Namespace) -> int:
    if command == "sync":
        from app.cli.sync import run as run_sync

        return run_sync(
            args.sync_db, hub=args.sync_hub, retries=args.retries, timeout=args.timeout,
            out=sys.stdout, err=sys.stderr,
        )  # fmt: skip
    if command == "hub-connect":
        from app.cli.hub_connect import run as run_connect

        return run_connect(
            args.connect_db, hub=args.connect_hub, credential_env=args.credential_env,
            out=sys.stdout, err=sys.stderr,
        )  # fmt: skip
    from app.cli import bundle as bundle_cmd

    return bundle_cmd.run_args(args, sys.stdout, sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    from app.errors import UserFacingError

    try:
        return _main(argv)
    except UserFacingError as exc:
        # A command's own refusals are printed by the command; this catches what every command
        # shares, chiefly a missing or wrong database key (app.cli.db_key): a message, no traceback.
        sys.stderr.write(f"Lỗi: {exc.message}\n")
        return 2


def _main(argv: Sequence[str] | None = None) -> int:
    _utf8_stdio()
    parser = build_parser()
    args = parser.parse_args(argv)
    command = args.command or "gui"

    if args.qt_selfcheck:  # before logging: it must not touch the data folder
        from app.ui.selfcheck import main as qt_selfcheck

        return qt_selfcheck()

    if command == "verify":
        from app.cli.verify import run as run_verify

        return run_verify(
            args.verify_pdf, args.trust, args.crl, sys.stdout, sys.stderr,
            as_json=args.verify_json, db_path=args.verify_db,
        )  # fmt: skip
    if command == "evaluate":
        from app.cli.evaluate import run as run_evaluate

        return run_evaluate(sys.stdin, sys.stdout, sys.stderr)

    from app import log
    from app.paths import default_data_dir

    log.configure(None if command != "gui" else default_data_dir() / "logs", verbose=args.verbose)

    if command == "selftest":
        from app.cli.selftest import run as run_selftest

        return run_selftest(sys.stdout)
    if command in ("backup", "restore", "doctor"):
        return _run_data_safety(command, args)
    if command == "smoke":
        from app.cli.smoke import run as run_smoke

        return run_smoke(sys.stdout, keep_dir=args.out)
    if command in ("import", "export"):
        from app.cli import export_cmd, import_cmd

        if command == "import":
            return import_cmd.run_args(args, sys.stdout, sys.stderr)
        return export_cmd.run_args(args, sys.stdout, sys.stderr)
    if command in ("sync", "hub-connect", "bundle"):
        return _run_sync_commands(command, args)
    if command == "key":
        from app.cli import key as key_cmd

        return key_cmd.run_args(args, sys.stdout, sys.stderr)
    if command == "encrypt":
        from app.cli.encrypt import run as run_encrypt

        return run_encrypt(args.encrypt_db, out=sys.stdout, err=sys.stderr)
    if command == "print":
        from app.cli import print_cmd

        return print_cmd.run_args(args, sys.stdout, sys.stderr)
    if command == "transfer":
        from app.cli import transfer as transfer_cmd

        return transfer_cmd.run_args(args, sys.stdout, sys.stderr)
    if command == "trust":
        from app.cli import trust as trust_cmd

        return trust_cmd.run_args(args, sys.stdout, sys.stderr)
    if command in ("sign", "issue-demo", "export-issued", "register-cert"):
        from app.cli import sign as sign_cmd

        return sign_cmd.run_args(command, args, sys.stdout, sys.stderr)
    if command == "render":
        from app.cli.render import run as run_render

        return run_render(
            args.render_db or args.db,
            class_name=args.render_class,
            student=args.render_student,
            year=args.render_year,
            out_dir=args.render_out,
            sheets=args.sheets,
            xml=args.xml,
            out=sys.stdout,
            err=sys.stderr,
        )
    if command == "demo":
        from app.cli.demo import run as run_demo

        return run_demo(
            args.db_path,
            level=args.level,
            classes=args.classes,
            students_per_class=args.students_per_class,
            seed=args.seed,
            out=sys.stdout,
            err=sys.stderr,
        )

    from app.cli.gui import run as run_gui

    db_path = getattr(args, "gui_db", None) or args.db
    return run_gui(
        db_path, screenshot=getattr(args, "screenshot", None), as_login=getattr(args, "as_login", None)
    )
