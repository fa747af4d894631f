"""The database key: created once, kept in the OS keyring, recoverable from a printable code.

(docs/adr/0001-encryption-at-rest.md.) What is where:

- The secret is a **recovery secret** of 15 random bytes (120 bits). The admin writes it
  down as a recovery code of 25 characters (Crockford base32, the last one a check
  character) in five groups: `7K3QM-XR2PA-…`. The database key given to SQLCipher (32
  bytes) is derived from it with HKDF, so the code is short enough to copy by hand and
  still recovers everything.
- The OS keyring (Windows Credential Manager) holds the secret under the service
  `hocbaso-database-key` and a random key id.
- Beside the database, `<file>.encryption.json` (no secret in it) says that the file is
  encrypted, under which key id, and a check value of the key, so "the keyring lost its
  key" and "this is not the key of this file" are told apart from a damaged file, and a
  typed recovery code is checked before anything is written. Each database has its own key
  id, so two data folders on one PC never share or overwrite a key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import keyring
from keyring.errors import KeyringError, PasswordDeleteError

from app.errors import UserFacingError
from app.models import cipher

log = logging.getLogger(__name__)

SERVICE = "hocbaso-database-key"
MARKER_SUFFIX = ".encryption.json"
SECRET_BYTES = 15
CODE_GROUP = 5
# Crockford's base32: no I, L, O, U (read as 1, 1, 0, and U is left out).
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_READ_AS = {"I": "1", "L": "1", "O": "0"}


class KeyMissing(UserFacingError):
    """The database is encrypted but this PC's keyring has no key for it."""


class KeyMismatch(UserFacingError):
    """The keyring (or a typed code) has a key, but not the key of this database."""


class BadRecoveryCode(UserFacingError):
    """A typed recovery code is malformed (a missing or mistyped character)."""


class KeyringUnavailable(UserFacingError):
    """The OS keyring cannot be used (no Windows account session, a locked keychain…)."""


MISSING_MESSAGE = (
    "Dữ liệu học bạ trên máy này đã được mã hoá, nhưng kho khoá của Windows không còn khoá để mở "
    "(có thể tài khoản Windows đã đổi, máy được cài lại, hoặc thư mục dữ liệu được chép từ máy khác). "
    "Đừng xoá tệp nào. Hãy nhập mã khôi phục (25 ký tự, in khi bật mã hoá) — trong ứng dụng, hoặc "
    "bằng lệnh `python -m app key recover --db FILE`. Nếu không có mã khôi phục, hãy liên hệ cán bộ "
    "quản trị của trường.\n\nTệp: {path}"
)
MISMATCH_MESSAGE = (
    "Khoá trong kho khoá của máy này không phải khoá của tệp dữ liệu này. Đừng xoá tệp nào. Hãy nhập "
    "mã khôi phục của chính tệp này (`python -m app key recover --db FILE`), hoặc liên hệ cán bộ quản "
    "trị.\n\nTệp: {path}"
)


# --------------------------------------------------------------------------- the recovery code


def _checksum_char(symbols: str) -> str:
    """Luhn mod 32: catches every single wrong character and most swapped neighbours."""
    factor, total = 2, 0
    for ch in reversed(symbols):
        addend = factor * ALPHABET.index(ch)
        total += addend // 32 + addend % 32
        factor = 1 if factor == 2 else 2
    return ALPHABET[(32 - total % 32) % 32]


def new_secret() -> bytes:
    return secrets.token_bytes(SECRET_BYTES)


def recovery_code(secret: bytes) -> str:
    """`XXXXX-XXXXX-XXXXX-XXXXX-XXXXC`: the secret in base32 plus a check character."""
    if len(secret) != SECRET_BYTES:
        raise ValueError(f"a recovery secret is {SECRET_BYTES} bytes")
    number = int.from_bytes(secret, "big")
    symbols = "".join(ALPHABET[(number >> (5 * i)) & 31] for i in reversed(range(SECRET_BYTES * 8 // 5)))
    full = symbols + _checksum_char(symbols)
    return "-".join(full[i : i + CODE_GROUP] for i in range(0, len(full), CODE_GROUP))


def parse_recovery_code(text: str) -> bytes:
    """The secret of a typed code; spaces, dashes, lower case and I/L/O for 1/1/0 are accepted."""
    cleaned = "".join(_READ_AS.get(c, c) for c in text.upper() if c not in " -_.\t\r\n")
    length = SECRET_BYTES * 8 // 5 + 1
    bad = sorted({c for c in cleaned if c not in ALPHABET})
    if bad or len(cleaned) != length:
        detail = (
            f"có ký tự không dùng trong mã: {' '.join(bad)}"
            if bad
            else f"mã có {length} ký tự, bạn đã nhập {len(cleaned)}"
        )
        raise BadRecoveryCode(f"Mã khôi phục không đúng dạng ({detail}). Hãy nhập lại đúng như trên tờ giấy.")
    symbols, check = cleaned[:-1], cleaned[-1]
    if _checksum_char(symbols) != check:
        raise BadRecoveryCode(
            "Mã khôi phục có một ký tự bị gõ sai (ký tự kiểm tra không khớp). Hãy so lại từng nhóm với tờ "
            "giấy rồi nhập lại."
        )
    number = 0
    for ch in symbols:
        number = number * 32 + ALPHABET.index(ch)
    return number.to_bytes(SECRET_BYTES, "big")


def derive_key(secret: bytes) -> bytes:
    """The 32-byte SQLCipher key of a recovery secret (HKDF-SHA256; the secret is already random)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(
        algorithm=hashes.SHA256(), length=cipher.KEY_BYTES, salt=None, info=b"hocba database key v1"
    ).derive(secret)


def key_check(key: bytes) -> str:
    """A value that identifies a key without revealing it (kept beside the database)."""
    return hmac.new(key, b"hocba key check v1", hashlib.sha256).hexdigest()[:32]


# --------------------------------------------------------------------------- the marker file


@dataclass(frozen=True)
class KeyInfo:
    key_id: str
    check: str
    created_at: str


def marker_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + MARKER_SUFFIX)


def read_marker(path: Path) -> KeyInfo | None:
    """The key info in a marker file (`marker_path(db)`, or any other such file); None if absent."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return KeyInfo(str(data["key_id"]), str(data["check"]), str(data.get("created_at", "")))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        log.warning("unreadable key marker %s", path.name)
        return None


def write_marker(path: Path, info: KeyInfo) -> None:
    """Write atomically and durably (temp file, fsync, rename, fsync the folder)."""
    tmp = path.with_name(path.name + ".tmp")
    payload = {
        "format": 1,
        "what": "Học bạ số: tệp dữ liệu bên cạnh được mã hoá; khoá nằm trong kho khoá của Windows.",
        "key_id": info.key_id,
        "check": info.check,
        "created_at": info.created_at,
    }
    with tmp.open("w", encoding="utf-8") as f:
        json.dump(payload, f, ensure_ascii=False, indent=2)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":  # pragma: no cover - Windows has no directory handles for this
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def is_encrypted(db_path: Path) -> bool:
    """True when the marker says the database is encrypted."""
    return read_marker(marker_path(db_path)) is not None


# --------------------------------------------------------------------------- the keyring


def _unavailable(exc: Exception) -> KeyringUnavailable:
    log.warning("keyring unavailable: %s", exc.__class__.__name__)
    return KeyringUnavailable(
        "Không dùng được kho khoá an toàn của Windows để cất khoá mã hoá dữ liệu "
        f"({exc.__class__.__name__}). Hãy đăng nhập Windows bằng tài khoản thường dùng cho Học bạ số "
        "rồi thử lại, hoặc nhờ cán bộ tin học kiểm tra."
    )


def store_secret(key_id: str, secret: bytes) -> None:
    try:
        keyring.set_password(SERVICE, key_id, secret.hex())
    except (KeyringError, RuntimeError, OSError) as exc:
        raise _unavailable(exc) from None
    # Read it back: a keyring that silently drops what it is given must not be trusted with the key.
    if load_secret(key_id) != secret:
        raise _unavailable(RuntimeError("the keyring did not keep the key"))


def load_secret(key_id: str) -> bytes | None:
    try:
        stored = keyring.get_password(SERVICE, key_id)
    except (KeyringError, RuntimeError, OSError) as exc:
        raise _unavailable(exc) from None
    if stored is None:
        return None
    try:
        secret = bytes.fromhex(stored)
    except ValueError:
        return None
    return secret if len(secret) == SECRET_BYTES else None


def forget_secret(key_id: str) -> None:
    try:
        keyring.delete_password(SERVICE, key_id)
    except PasswordDeleteError:
        pass
    except (KeyringError, RuntimeError, OSError) as exc:
        raise _unavailable(exc) from None


# --------------------------------------------------------------------------- what callers use


@dataclass(frozen=True)
class NewKey:
    key: bytes
    info: KeyInfo
    recovery_code: str  # show once to the admin; never log it


def new_key() -> tuple[bytes, NewKey]:
    """A new secret and its key (nothing stored yet)."""
    secret = new_secret()
    key = derive_key(secret)
    info = KeyInfo(uuid.uuid4().hex, key_check(key), datetime.now(UTC).isoformat(timespec="seconds"))
    return secret, NewKey(key, info, recovery_code(secret))


def database_key(db_path: Path) -> bytes | None:
    """The key to open `db_path` with: None for a plain database.

    Raises KeyMissing / KeyMismatch / KeyringUnavailable with a message saying what to do.
    The composition root calls this before every open (GUI start and every command).
    """
    info = read_marker(marker_path(db_path))
    if info is None:
        return None
    secret = load_secret(info.key_id)
    if secret is None:
        raise KeyMissing(MISSING_MESSAGE.format(path=db_path))
    key = derive_key(secret)
    if not hmac.compare_digest(key_check(key), info.check):
        raise KeyMismatch(MISMATCH_MESSAGE.format(path=db_path))
    return key


def recovery_code_of(db_path: Path) -> str:
    """The recovery code of an encrypted database, from this PC's keyring (for the admin to reprint)."""
    info = read_marker(marker_path(db_path))
    if info is None:
        raise UserFacingError(
            f"Tệp dữ liệu này chưa được mã hoá nên không có mã khôi phục.\n\nTệp: {db_path}"
        )
    secret = load_secret(info.key_id)
    if secret is None:
        raise KeyMissing(MISSING_MESSAGE.format(path=db_path))
    if not hmac.compare_digest(key_check(derive_key(secret)), info.check):
        raise KeyMismatch(MISMATCH_MESSAGE.format(path=db_path))
    return recovery_code(secret)


def install_recovered(db_path: Path, code: str, *, probe: Path | None = None) -> bytes:
    """Put the key of a typed recovery code into this PC's keyring for `db_path`; return the key.

    The code is checked before anything is written: against the marker beside the database
    when there is one, else by opening `probe` (the database itself, or a backup snapshot on
    a new PC before the restore) with it. A new marker is written when there was none.
    """
    secret = parse_recovery_code(code)
    key = derive_key(secret)
    marker = marker_path(db_path)
    info = read_marker(marker)
    if info is not None:
        if not hmac.compare_digest(key_check(key), info.check):
            raise KeyMismatch(
                "Mã khôi phục này không phải của tệp dữ liệu này (mã đúng dạng nhưng là của tệp khác). Hãy "
                f"tìm đúng tờ mã khôi phục của trường, hoặc liên hệ cán bộ quản trị.\n\nTệp: {db_path}"
            )
        store_secret(info.key_id, secret)
        log.info("database key recovered from the recovery code for %s", db_path.name)
        return key
    target = probe if probe is not None else db_path
    if not target.is_file():
        raise UserFacingError(
            f"Không tìm thấy tệp dữ liệu (hay bản sao lưu) để thử mã khôi phục: “{target}”. Hãy chỉ rõ tệp "
            "(--db) hoặc bản sao lưu (--from)."
        )
    if cipher.looks_plain(target):
        raise UserFacingError(f"Tệp “{target.name}” không được mã hoá: không cần mã khôi phục.")
    if not opens_with(target, key):
        raise KeyMismatch(
            "Mã khôi phục không mở được tệp này (mã đúng dạng nhưng là của tệp khác, hoặc tệp bị hỏng). "
            f"Hãy kiểm tra lại tờ mã khôi phục, hoặc liên hệ cán bộ quản trị.\n\nTệp: {target}"
        )
    info = KeyInfo(uuid.uuid4().hex, key_check(key), datetime.now(UTC).isoformat(timespec="seconds"))
    store_secret(info.key_id, secret)
    write_marker(marker, info)
    log.info("database key recovered from the recovery code for %s (new marker)", db_path.name)
    return key


def opens_with(path: Path, key: bytes) -> bool:
    """True when `key` decrypts the first page of `path` (read-only: never writes to it)."""
    try:
        conn = cipher.connect(path, key, read_only=True)
    except cipher.database_errors(key):
        return False
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchall()
        return True
    except cipher.database_errors(key):
        return False
    finally:
        conn.close()
