"""Raw SQLite connections, plain or encrypted with SQLCipher (docs/adr/0001-encryption-at-rest.md).

Backups, recovery and the doctor work below SQLAlchemy (the online backup API, PRAGMA
checks on files that may be damaged), so they open files through `connect` here, which
applies the same key the engine would.

Keys are 32 random bytes kept in the OS keyring by the composition root; SQLCipher gets
them as a raw key (`x'…'`), which skips its passphrase derivation (256,000 PBKDF2 rounds
per connection) because the key is already random.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Engine, text
from sqlalchemy.exc import DatabaseError

from app.errors import UserFacingError

KEY_BYTES = 32
SQLITE_MAGIC = b"SQLite format 3\x00"


class WrongKeyError(UserFacingError):
    """The file cannot be read with the key given (wrong key, or not encrypted with it)."""


WRONG_KEY_MESSAGE = (
    "Không mở được tệp dữ liệu đã mã hoá bằng khoá hiện có trên máy này. Có thể khoá trong "
    "kho khoá của Windows đã bị xoá hoặc tệp được mang từ máy khác sang. Đừng xoá tệp; hãy "
    "nhờ cán bộ quản trị khôi phục khoá (hoặc bản sao lưu kèm khoá) rồi mở lại.\n\nTệp: {path}"
)


class EncryptionUnavailable(RuntimeError):
    """The SQLCipher binding is not installed, but an encrypted database was asked for."""


def _sqlcipher() -> Any:
    try:
        from sqlcipher3 import dbapi2
    except ImportError as exc:  # pragma: no cover - the binding is a declared dependency
        raise EncryptionUnavailable("sqlcipher3 is not installed") from exc
    return dbapi2


def check_key(key: bytes) -> None:
    if not isinstance(key, bytes) or len(key) != KEY_BYTES:
        raise ValueError(f"a database key is {KEY_BYTES} bytes")


def key_pragma(key: bytes) -> str:
    check_key(key)
    return f"PRAGMA key = \"x'{key.hex()}'\""


def database_errors(key: bytes | None) -> tuple[type[Exception], ...]:
    """The DB-API error classes a raw connection for this key may raise."""
    if key is None:
        return (sqlite3.Error,)
    return (sqlite3.Error, _sqlcipher().Error)


def connect(path: Path | str, key: bytes | None = None, *, read_only: bool = False) -> Any:
    """A DB-API connection to `path` (sqlite3, or sqlcipher3 with `key` applied first).

    `read_only` opens with mode=ro, so a damaged file is never written to while checking it.
    """
    target = Path(path)
    if read_only:
        uri = f"{target.resolve().as_uri()}?mode=ro"
        if key is None:
            conn: Any = sqlite3.connect(uri, uri=True, isolation_level=None)
        else:
            conn = _sqlcipher().connect(uri, uri=True, isolation_level=None)
    elif key is None:
        conn = sqlite3.connect(str(target), isolation_level=None)
    else:
        conn = _sqlcipher().connect(str(target), isolation_level=None)
    if key is not None:
        # The key must be the first statement on the connection.
        conn.execute(key_pragma(key))
        # SQLCipher writes decryption failures to stderr by default; they reach us as exceptions.
        conn.execute("PRAGMA cipher_log_level = NONE")
    conn.execute("PRAGMA busy_timeout = 10000")
    return conn


def engine_url(path: Path, key: bytes | None) -> URL | str:
    """The SQLAlchemy URL of a database file; the key travels as the URL's (masked) password."""
    if key is None:
        return f"sqlite:///{path}"
    _sqlcipher()
    check_key(key)
    # The pysqlcipher dialect runs `pragma key="<password>"` first on every connection;
    # x'…' inside double quotes is SQLCipher's raw-key syntax.
    return URL.create("sqlite+pysqlcipher", password=f"x'{key.hex()}'", database=str(path))


def looks_plain(path: Path) -> bool | None:
    """True if the file starts with SQLite's header, False if not (encrypted or damaged), None if absent."""
    try:
        with path.open("rb") as f:
            head = f.read(len(SQLITE_MAGIC))
    except FileNotFoundError:
        return None
    return head == SQLITE_MAGIC


def check_opened(engine: Engine, path: Path) -> None:
    """Read the schema once, so a wrong key fails here with a clear message, not later in a page."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT count(*) FROM sqlite_master")).all()
    except DatabaseError as exc:
        engine.dispose()
        if "not a database" in str(exc).lower():
            raise WrongKeyError(WRONG_KEY_MESSAGE.format(path=path)) from exc
        raise


def quiet_connection(dbapi_connection: Any, _record: Any) -> None:
    """Engine hook: decryption failures reach us as exceptions; SQLCipher need not print them."""
    dbapi_connection.execute("PRAGMA cipher_log_level = NONE")


# --------------------------------------------------------------------------- document files

# A sealed document file: magic, 12-byte nonce, AES-256-GCM ciphertext with its 16-byte tag.
# The file keeps its plaintext SHA-256 as its name (the store is content-addressed by what
# was signed); the name is bound in as associated data, so a file renamed onto another
# document's name fails to open instead of passing for it.
SEAL_MAGIC = b"HBSEAL1\x00"
NONCE_BYTES = 12


def file_key(database_key: bytes) -> bytes:
    """The document files' key, derived from the database key (one secret in the keyring)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    check_key(database_key)
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=b"hocba documents v1").derive(
        database_key
    )


def is_sealed(head: bytes) -> bool:
    return head.startswith(SEAL_MAGIC)


def seal(data: bytes, key: bytes, name: str) -> bytes:
    import os

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = os.urandom(NONCE_BYTES)
    return SEAL_MAGIC + nonce + AESGCM(key).encrypt(nonce, data, name.encode("utf-8"))


def unseal(blob: bytes, key: bytes, name: str) -> bytes:
    """The plaintext of a sealed file; WrongKeyError if the key (or the name) does not fit."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if not is_sealed(blob):
        raise ValueError("not a sealed document file")
    start = len(SEAL_MAGIC)
    nonce = blob[start : start + NONCE_BYTES]
    try:
        return AESGCM(key).decrypt(nonce, blob[start + NONCE_BYTES :], name.encode("utf-8"))
    except InvalidTag as exc:
        raise WrongKeyError(
            f"Không mở được tệp học bạ “{name}” bằng khoá của máy này (khoá sai, hoặc tệp bị hỏng)."
        ) from exc
