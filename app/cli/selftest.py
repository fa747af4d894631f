"""`python -m app selftest`: one line per check of the installation; exit 0 only if all pass.

Support staff run it (from the installed bundle too) before anything else, so every
message says in Vietnamese what failed and what to do.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from sqlalchemy import text

from app.models.db import head_revision, open_database
from app.models.triggers import TRIGGERS
from app.paths import resource
from app.signing import modules as pkcs11_modules

REQUIRED_LIBRARIES = (
    "sqlalchemy",
    "alembic",
    "pypdf",
    "pyhanko",
    "pkcs11",
    "keyring",
    "reportlab",
    "openpyxl",
    "argon2",
    "platformdirs",
    "PySide6.QtWidgets",
)
REQUIRED_FONTS = (
    "NotoSans-Regular.ttf",
    "NotoSans-Bold.ttf",
    "NotoSerif-Regular.ttf",
    "NotoSerif-Bold.ttf",
)


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str


def check_imports() -> CheckResult:
    missing = []
    for name in REQUIRED_LIBRARIES:
        try:
            importlib.import_module(name)
        except Exception as exc:  # any import failure is a broken installation
            missing.append(f"{name} ({exc.__class__.__name__})")
    if missing:
        return CheckResult("thư viện", False, "thiếu: " + ", ".join(missing) + ". Hãy cài lại ứng dụng.")
    return CheckResult("thư viện", True, f"{len(REQUIRED_LIBRARIES)} thư viện nạp được")


def check_fonts() -> CheckResult:
    missing = [f for f in REQUIRED_FONTS if not resource("fonts", f).is_file()]
    if missing:
        return CheckResult("phông chữ", False, "thiếu " + ", ".join(missing) + ". Hãy cài lại ứng dụng.")
    from reportlab.pdfbase.ttfonts import TTFont

    for name in REQUIRED_FONTS:
        font = TTFont(name, str(resource("fonts", name)))
        # Every Vietnamese letter must be in the font, or documents print boxes.
        for ch in "ăâđêôơưẠẢẤẦẨẪẬẮẰẲẴẶẸẺẼẾỀỂỄỆỈỊỌỎỐỒỔỖỘỚỜỞỠỢỤỦỨỪỬỮỰỲỴỶỸ":
            if ord(ch) not in font.face.charToGlyph:
                return CheckResult("phông chữ", False, f"{name} thiếu chữ {ch!r}")
    return CheckResult("phông chữ", True, f"{len(REQUIRED_FONTS)} phông Noto đủ dấu tiếng Việt")


def check_database() -> CheckResult:
    with tempfile.TemporaryDirectory(prefix="hocba-selftest-") as tmp:
        db = open_database(Path(tmp) / "selftest.sqlite3")
        try:
            with db.read() as s:
                version = s.execute(text("SELECT version_num FROM alembic_version")).scalar()
                names = set(
                    s.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars()
                )
                mode = s.execute(text("PRAGMA journal_mode")).scalar()
                fk = s.execute(text("PRAGMA foreign_keys")).scalar()
        finally:
            db.dispose()
    if version != head_revision():
        return CheckResult("cơ sở dữ liệu", False, f"phiên bản {version} khác {head_revision()}")
    missing = set(TRIGGERS) - names
    if missing:
        return CheckResult("cơ sở dữ liệu", False, "thiếu trigger: " + ", ".join(sorted(missing)))
    if mode != "wal" or fk != 1:
        return CheckResult("cơ sở dữ liệu", False, f"journal_mode={mode}, foreign_keys={fk}")
    return CheckResult("cơ sở dữ liệu", True, f"tạo và nâng cấp tới {version}, WAL, khoá ngoại bật")


def check_encryption() -> CheckResult:
    """SQLCipher (the native module the installer must carry) and AES-GCM, end to end in a temp folder."""
    import os

    from app.models import cipher

    key = os.urandom(cipher.KEY_BYTES)
    with tempfile.TemporaryDirectory(prefix="hocba-selftest-") as tmp:
        path = Path(tmp) / "encrypted.sqlite3"
        db = open_database(path, key=key)
        try:
            with db.read() as s:
                tables = s.execute(text("SELECT count(*) FROM sqlite_master")).scalar()
                version = s.execute(text("PRAGMA cipher_version")).scalar()
        finally:
            db.dispose()
        if cipher.looks_plain(path) is not False:
            return CheckResult("mã hoá", False, "tệp thử không được mã hoá. Hãy cài lại ứng dụng.")
        try:
            open_database(path, key=os.urandom(cipher.KEY_BYTES), migrate=False).dispose()
            return CheckResult("mã hoá", False, "khoá sai vẫn mở được tệp thử. Hãy cài lại ứng dụng.")
        except cipher.WrongKeyError:
            pass
    sealed = cipher.seal(b"%PDF-1.7 selftest", cipher.file_key(key), "selftest")
    if cipher.unseal(sealed, cipher.file_key(key), "selftest") != b"%PDF-1.7 selftest":
        return CheckResult("mã hoá", False, "AES-GCM không giải mã lại được. Hãy cài lại ứng dụng.")
    return CheckResult("mã hoá", True, f"SQLCipher {version} ({tables} bảng trong tệp thử), AES-GCM")


def check_pkcs11() -> CheckResult:
    import pkcs11

    found = pkcs11_modules.probe()
    if not found:
        return CheckResult(
            "PKCS#11",
            True,
            "thư viện python-pkcs11 nạp được; chưa thấy trình điều khiển token nào trên máy "
            "(cài phần mềm của nhà cung cấp chữ ký số hoặc chọn tệp trong Cài đặt)",
        )
    loaded = []
    for vendor, path in found:
        try:
            lib = pkcs11.lib(str(path))
            loaded.append(f"{vendor}: {len(lib.get_slots())} khe")
        except Exception as exc:  # a vendor module that fails to load is worth reporting
            return CheckResult("PKCS#11", False, f"không nạp được {path} ({vendor}): {exc}")
    return CheckResult("PKCS#11", True, "; ".join(loaded))


def check_qt() -> CheckResult:
    # In a child process: a Qt platform plugin that crashes must not take selftest down.
    proc = subprocess.run(
        [*_self_command(), "-c", "from app.ui.selfcheck import main; raise SystemExit(main())"]
        if not getattr(sys, "frozen", False)
        else [sys.executable, "--qt-selfcheck"],
        capture_output=True,
        text=True,
        timeout=120,
        env=_offscreen_env(),
    )
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        return CheckResult("Qt", False, "không khởi động được giao diện: " + " | ".join(tail))
    return CheckResult("Qt", True, proc.stdout.strip() or "khởi động được (offscreen)")


def _self_command() -> list[str]:
    return [sys.executable]


def _offscreen_env() -> dict[str, str]:
    import os

    env = dict(os.environ)
    env["QT_QPA_PLATFORM"] = "offscreen"
    return env


CHECKS: tuple[Callable[[], CheckResult], ...] = (
    check_imports,
    check_fonts,
    check_database,
    check_encryption,
    check_pkcs11,
    check_qt,
)


def run(out: TextIO) -> int:
    failures = 0
    for check in CHECKS:
        try:
            result = check()
        except Exception as exc:  # a crashing check is a failed check, reported, not a traceback
            result = CheckResult(check.__name__.removeprefix("check_"), False, f"lỗi: {exc!r}")
        failures += not result.ok
        out.write(f"[{'OK' if result.ok else 'LỖI'}] {result.name}: {result.detail}\n")
    out.write("Tất cả đều ổn.\n" if failures == 0 else f"{failures} mục lỗi.\n")
    return 0 if failures == 0 else 1
