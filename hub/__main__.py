"""`python -m hub …`: serve, device-add, list, download, import-bundle, verify, openapi."""

from __future__ import annotations

import argparse
import json
import logging
import os
import socket
import sys
from collections.abc import Sequence
from pathlib import Path

DATA_ENV = "HOCBA_HUB_DATA"
DB_ENV = "HOCBA_HUB_DB"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m hub", description="Máy chủ tiếp nhận học bạ số của Sở.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="LỆNH")

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--data", type=Path, default=os.environ.get(DATA_ENV), help="thư mục dữ liệu của máy chủ"
        )
        p.add_argument(
            "--db", default=os.environ.get(DB_ENV), help="postgresql://… (mặc định: SQLite trong --data)"
        )

    serve = sub.add_parser("serve", help="chạy máy chủ")
    common(serve)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8470)
    serve.add_argument("--name", help="tên máy chủ hiển thị cho các trường")
    serve.add_argument("--no-verify", action="store_true", help="không kiểm tra chữ ký trong nền")

    add = sub.add_parser("device-add", help="cấp mã kết nối cho một máy của trường (in ra mã)")
    common(add)
    add.add_argument("--school", required=True, help="mã trường")
    add.add_argument("--label", help="ghi chú, ví dụ: máy văn thư")
    add.add_argument("--school-name", help="tên trường (lần đầu)")

    lst = sub.add_parser("list", help="liệt kê hồ sơ đã nhận (JSON)")
    common(lst)
    lst.add_argument("--school", help="chỉ một trường")

    get = sub.add_parser("download", help="lấy tệp học bạ của một hồ sơ")
    common(get)
    get.add_argument("submission_id")
    get.add_argument("--out", type=Path, required=True)

    imp = sub.add_parser("import-bundle", help="nhận tệp .hbz mang từ trường (USB) và ghi tệp biên nhận")
    common(imp)
    imp.add_argument("bundle", type=Path)
    imp.add_argument("--receipts", type=Path, help="tệp biên nhận (mặc định: cạnh tệp .hbz)")

    ver = sub.add_parser("verify", help="kiểm tra chữ ký của các hồ sơ đang chờ")
    common(ver)

    sub.add_parser("openapi", help="in mô tả OpenAPI (JSON)")
    return parser


def _open(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from hub.config import open_hub

    if args.data is None:
        raise SystemExit(f"Thiếu --data (thư mục dữ liệu của máy chủ) hoặc biến môi trường {DATA_ENV}.")
    return open_hub(Path(args.data), args.db, name=getattr(args, "name", None))


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from hub.api import create_app

    hub = _open(args)
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    sock.listen(512)
    port = sock.getsockname()[1]
    host = f"[{args.host}]" if family == socket.AF_INET6 else args.host
    config = uvicorn.Config(
        create_app(hub, run_verifier=not args.no_verify),
        log_level="warning",
        timeout_keep_alive=30,
        access_log=False,
    )
    server = uvicorn.Server(config)
    # One line a supervisor (or a test) can read to learn the address, then the server runs.
    print(
        json.dumps({"listening": f"http://{host}:{port}", "hub_id": hub.service.identity.hub_id}), flush=True
    )
    try:
        server.run(sockets=[sock])
    finally:
        hub.close()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(encoding="utf-8", errors="replace")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    args = _parser().parse_args(argv)
    if args.command == "openapi":
        from hub.openapi_file import current_spec

        print(json.dumps(current_spec(), ensure_ascii=False, indent=2))
        return 0
    if args.command == "serve":
        return _serve(args)
    hub = _open(args)
    try:
        if args.command == "device-add":
            credential = hub.service.add_device(args.school, label=args.label, school_name=args.school_name)
            print(
                f"Đã cấp mã kết nối cho một máy của trường {args.school}. Hãy giữ kín mã này.",
                file=sys.stderr,
            )
            print(credential)
            return 0
        if args.command == "list":
            print(json.dumps(hub.service.list_submissions(args.school), ensure_ascii=False, indent=2))
            return 0
        if args.command == "download":
            from hub.service import HubError

            try:
                sha, data = hub.service.document(args.submission_id)
            except HubError as exc:
                print(exc.message, file=sys.stderr)
                return 1
            args.out.write_bytes(data)
            print(json.dumps({"file": str(args.out), "sha256": sha, "size": len(data)}))
            return 0
        if args.command == "verify":
            print(json.dumps({"checked": hub.verifier.run_all()}))
            return 0
        if args.command == "import-bundle":
            from hub.bundles import BundleError, import_bundle

            out = args.receipts or args.bundle.with_suffix(".receipts.json")
            try:
                result = import_bundle(hub, args.bundle, out)
            except BundleError as exc:
                print(exc.message, file=sys.stderr)
                return 1
            print(json.dumps(result, ensure_ascii=False))
            return 0
    finally:
        hub.close()
    return 2


if __name__ == "__main__":
    sys.exit(main())
