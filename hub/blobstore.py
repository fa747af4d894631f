"""Content-addressed blob storage behind a small interface (filesystem now; S3-like later).

A blob is written to a temporary file, hashed while it streams in, fsynced, and only then
renamed to its SHA-256 name (and the directory fsynced): a blob that has a name is whole
and durable. The hub writes its database row after that, and answers after the commit.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
import uuid
from pathlib import Path
from typing import BinaryIO, Protocol


class DigestMismatch(ValueError):
    """The bytes received do not hash to the address they were sent to."""


class BlobTooLarge(ValueError):
    pass


class PendingBlob(Protocol):
    def write(self, chunk: bytes) -> None: ...
    def commit(self, expected_sha256: str) -> int: ...
    def abort(self) -> None: ...


class BlobStore(Protocol):
    def size(self, sha256: str) -> int | None: ...
    def begin(self, max_bytes: int) -> PendingBlob: ...
    def read(self, sha256: str) -> bytes: ...
    def open(self, sha256: str) -> BinaryIO: ...


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":  # pragma: no cover - Windows has no directory handles for this
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class _FsPending:
    def __init__(self, store: FsBlobStore, max_bytes: int) -> None:
        self._store = store
        self._max = max_bytes
        self._tmp = store.tmp_dir / f"{uuid.uuid4().hex}.partial"
        self._file: BinaryIO | None = self._tmp.open("wb")
        self._hash = hashlib.sha256()
        self._size = 0

    def write(self, chunk: bytes) -> None:
        assert self._file is not None
        self._size += len(chunk)
        if self._size > self._max:
            raise BlobTooLarge(f"blob larger than {self._max} bytes")
        self._hash.update(chunk)
        self._file.write(chunk)

    def commit(self, expected_sha256: str) -> int:
        assert self._file is not None
        try:
            if self._hash.hexdigest() != expected_sha256:
                raise DigestMismatch(expected_sha256)
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            self._file = None
            target = self._store.path_for(expected_sha256)
            created = not target.parent.exists()
            target.parent.mkdir(parents=True, exist_ok=True)
            if created:
                _fsync_dir(target.parent.parent)
                _fsync_dir(target.parent.parent.parent)
            # Same name, same bytes: replacing an existing copy (a concurrent upload) is harmless.
            os.replace(self._tmp, target)
            _fsync_dir(target.parent)
            return self._size
        finally:
            self.abort()

    def abort(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        with contextlib.suppress(FileNotFoundError):
            self._tmp.unlink()


class FsBlobStore:
    """`<root>/ab/cd/<sha256>`; temporary files in `<root>/.tmp`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.tmp_dir = root / ".tmp"
        self.tmp_dir.mkdir(parents=True, exist_ok=True)

    def path_for(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError("not a SHA-256 address")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def size(self, sha256: str) -> int | None:
        try:
            return self.path_for(sha256).stat().st_size
        except FileNotFoundError:
            return None

    def begin(self, max_bytes: int) -> _FsPending:
        return _FsPending(self, max_bytes)

    def read(self, sha256: str) -> bytes:
        return self.path_for(sha256).read_bytes()

    def open(self, sha256: str) -> BinaryIO:
        return self.path_for(sha256).open("rb")

    def sweep_temporary(self, older_than_s: float = 3600.0) -> int:
        """Remove uploads that died half-way (run at start; never touches named blobs)."""
        removed = 0
        limit = time.time() - older_than_s
        for path in self.tmp_dir.glob("*.partial"):
            with contextlib.suppress(FileNotFoundError):
                if path.stat().st_mtime < limit:
                    path.unlink()
                    removed += 1
        return removed
