"""Reading the issued files the outbox points at, and storing long-term extended copies.

The document store is `<database folder>/documents`, content-addressed (architecture.md
§4). A file sealed with the database key (app.models.cipher, encryption at rest) is
unsealed in memory when read, and an extended copy is sealed the same way.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path

from app.models import cipher

DOCUMENTS_DIR = "documents"


class DocumentMissing(Exception):
    """The file an outbox item names is gone or does not match its hash."""


def documents_dir_for(db_path: Path) -> Path:
    return db_path.parent / DOCUMENTS_DIR


class LocalDocuments:
    def __init__(self, folder: Path, database_key: bytes | None = None) -> None:
        self.folder = folder
        self._key = database_key

    def path(self, store_key: str) -> Path:
        candidate = Path(store_key)
        return candidate if candidate.is_absolute() else self.folder / store_key

    def read(self, store_key: str, expect_sha256: str | None = None) -> bytes:
        path = self.path(store_key)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise DocumentMissing(f"{store_key}: {exc.__class__.__name__}") from None
        if cipher.is_sealed(data[: len(cipher.SEAL_MAGIC)]):
            if self._key is None:
                raise DocumentMissing(f"{store_key}: sealed, no key")
            # Named as app.services.safe_files names them: the hash, or the whole file name.
            stem = path.name.split(".")[0]
            name = stem if len(stem) == 64 and all(c in "0123456789abcdef" for c in stem) else path.name
            try:
                data = cipher.unseal(data, cipher.file_key(self._key), name)
            except cipher.WrongKeyError:
                raise DocumentMissing(f"{store_key}: the key does not open it") from None
        if expect_sha256 is not None and hashlib.sha256(data).hexdigest() != expect_sha256:
            raise DocumentMissing(f"{store_key}: content does not match its SHA-256")
        return data

    def put(self, data: bytes, suffix: str = ".pdf") -> tuple[str, str]:
        """Store `data` by its SHA-256 (temp file, fsync, rename); return (store key, sha256)."""
        sha = hashlib.sha256(data).hexdigest()
        key = f"{sha[:2]}/{sha}{suffix}"
        target = self.folder / key
        if target.exists():
            return key, sha
        target.parent.mkdir(parents=True, exist_ok=True)
        payload = cipher.seal(data, cipher.file_key(self._key), sha) if self._key is not None else data
        tmp = target.with_name(target.name + ".partial")
        try:
            with tmp.open("wb") as f:
                f.write(payload)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, target)
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
        if os.name == "posix":
            fd = os.open(target.parent, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        return key, sha
