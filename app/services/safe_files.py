"""File operations that survive a power cut: copy to a temp name, fsync, rename; set files aside.

Shared by backup, restore, recovery and the doctor. Nothing here deletes a user's file:
damaged or replaced files are moved into `<data folder>/set-aside/<time>-<reason>/`.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from app.models import cipher

CHUNK = 1024 * 1024
SET_ASIDE_DIR = "set-aside"
DOCUMENTS_DIR = "documents"
SIDE_SUFFIXES = ("-wal", "-shm", "-journal")
# A content-addressed file is named by the SHA-256 of its bytes (an extension may follow).
_HASH_NAME = re.compile(r"^([0-9a-f]{64})(\.[A-Za-z0-9]+)?$")
TEMP_SUFFIXES = (".tmp", ".partial", ".part")


def fsync_dir(folder: Path) -> None:
    """Make a rename in `folder` durable (POSIX; Windows has no directory handles for this)."""
    if os.name != "posix":  # pragma: no cover - Windows
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_file(path: Path) -> None:
    with path.open("rb+") as f:
        os.fsync(f.fileno())


def copy_synced(src: Path, dst: Path, *, expect_sha256: str | None = None) -> tuple[int, str]:
    """Copy `src` to `dst` through `dst`.partial, fsynced, then renamed; return (bytes, sha256).

    With `expect_sha256`, a file whose content does not match is not installed
    (ValueError), so a damaged source never replaces a good copy.
    """
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(dst.name + ".partial")
    digest = hashlib.sha256()
    size = 0
    try:
        with src.open("rb") as fin, tmp.open("wb") as fout:
            while chunk := fin.read(CHUNK):
                digest.update(chunk)
                fout.write(chunk)
                size += len(chunk)
            fout.flush()
            os.fsync(fout.fileno())
        sha = digest.hexdigest()
        if expect_sha256 is not None and sha != expect_sha256:
            raise ValueError(f"{src.name}: content does not match its name")
        os.replace(tmp, dst)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    fsync_dir(dst.parent)
    return size, sha


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def is_sealed_file(path: Path) -> bool:
    with path.open("rb") as f:
        return cipher.is_sealed(f.read(len(cipher.SEAL_MAGIC)))


def content_sha256(path: Path, key: bytes | None) -> str | None:
    """SHA-256 of a document's content: of the file, or of its plaintext if it is sealed.

    None for a sealed file without a key, or one the key does not open: it cannot be checked.
    """
    if not is_sealed_file(path):
        return sha256_of(path)
    if key is None:
        return None
    name = hash_from_name(path.name) or path.name
    try:
        plain = cipher.unseal(path.read_bytes(), cipher.file_key(key), name)
    except cipher.WrongKeyError:
        return None
    return hashlib.sha256(plain).hexdigest()


def content_matches(path: Path, sha256: str | None, key: bytes | None) -> bool:
    """False only when the content is known not to match its name (damaged or swapped)."""
    if sha256 is None:
        return True
    if is_sealed_file(path):
        if key is None:
            return True  # cannot tell without the key; the copy is made as it is
        return content_sha256(path, key) == sha256
    return sha256_of(path) == sha256


def side_files(db_path: Path) -> tuple[Path, ...]:
    return tuple(db_path.with_name(db_path.name + s) for s in SIDE_SUFFIXES)


def set_aside_folder(data_folder: Path, reason: str, now: datetime | None = None) -> Path:
    """A new, empty folder for files set aside now (never reused, so nothing is overwritten)."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d-%H%M%S")
    base = data_folder / SET_ASIDE_DIR
    candidate = base / f"{stamp}-{reason}"
    n = 2
    while candidate.exists():
        candidate = base / f"{stamp}-{reason}-{n}"
        n += 1
    candidate.mkdir(parents=True)
    return candidate


def move_aside(paths: tuple[Path, ...] | list[Path], folder: Path) -> tuple[Path, ...]:
    """Move the existing ones of `paths` into `folder` (same disk: a rename); return where they went."""
    moved: list[Path] = []
    for path in paths:
        if path.exists():
            target = folder / path.name
            os.replace(path, target)
            moved.append(target)
    if moved:
        fsync_dir(folder)
        fsync_dir(moved[0].parent)
    return tuple(moved)


def copy_aside(paths: tuple[Path, ...] | list[Path], folder: Path) -> tuple[Path, ...]:
    """Copy (not move) the existing ones of `paths` into `folder`, for files SQLite still needs."""
    copied: list[Path] = []
    for path in paths:
        if path.exists():
            target = folder / path.name
            copy_synced(path, target)
            copied.append(target)
    return tuple(copied)


# --------------------------------------------------------------------------- the document store


@dataclass(frozen=True)
class StoredFile:
    path: Path
    relative: str  # POSIX-style path inside the store, e.g. "ab/abcd….pdf"
    sha256: str | None  # from the name; None for a file not named by a hash
    size: int

    @property
    def is_temp(self) -> bool:
        return self.path.name.endswith(TEMP_SUFFIXES) or self.path.name.startswith(".")


def hash_from_name(name: str) -> str | None:
    match = _HASH_NAME.match(name)
    return match.group(1) if match else None


def iter_store(store: Path) -> Iterator[StoredFile]:
    """Every file under the content-addressed store `store`, sorted by relative path."""
    if not store.is_dir():
        return
    for path in sorted(p for p in store.rglob("*") if p.is_file()):
        rel = path.relative_to(store).as_posix()
        yield StoredFile(path, rel, hash_from_name(path.name), path.stat().st_size)
