"""The content-addressed document store (architecture.md §4): `<database folder>/documents/ab/<sha256>.pdf`.

Files are written to a temp name, fsynced and renamed (app.sync.documents.LocalDocuments,
the same code the sync worker reads them with, sealed with the database key when the
database is encrypted) BEFORE the transaction that references them commits. A crash in
between leaves a file nothing references; the start-up sweep moves such files into
`<data folder>/set-aside/`, never deletes them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from app.models import DocumentFile, OutboxItem, ReceivedDocument
from app.models.db import Database
from app.services import safe_files
from app.sync.documents import LocalDocuments, documents_dir_for

__all__ = [
    "StoredDocument",
    "SweepResult",
    "read_document",
    "store_document",
    "store_for",
    "sweep_unreferenced",
]


@dataclass(frozen=True)
class StoredDocument:
    sha256: str
    store_key: str  # relative to the store, e.g. "ab/abcd….pdf"
    size: int


@dataclass(frozen=True)
class SweepResult:
    moved: tuple[str, ...]  # store keys moved aside
    folder: Path | None  # where they went


def store_for(db: Database) -> LocalDocuments:
    return LocalDocuments(documents_dir_for(Path(db.path)), db.key)


def store_document(db: Database, data: bytes) -> StoredDocument:
    """Put `data` in the store (durable when this returns); storing the same bytes again is a no-op."""
    key, sha = store_for(db).put(data)
    return StoredDocument(sha, key, len(data))


def read_document(db: Database, store_key: str, sha256: str) -> bytes:
    """The stored bytes, checked against their SHA-256 (raises DocumentMissing)."""
    return store_for(db).read(store_key, expect_sha256=sha256)


def _referenced(db: Database) -> set[str]:
    with db.read() as s:
        found = set(s.scalars(select(DocumentFile.sha256)))
        found.update(s.scalars(select(ReceivedDocument.sha256)))  # records received in transfers
        # The sync worker's long-term extended copies live in the same store.
        for sha, send in s.execute(select(OutboxItem.sha256, OutboxItem.send_sha256)):
            found.add(sha)
            if send:
                found.add(send)
    return {h.lower() for h in found}


def sweep_unreferenced(db: Database, *, min_age_s: float = 0.0) -> SweepResult:
    """Move files no row references (a crash between the file and its row) aside.

    A file a signing batch in progress has just written is not referenced yet either: the
    app's start-up sweep runs while someone may already sign (another process, or the
    person who just signed in), so it passes `min_age_s` and leaves younger files for next time.
    """
    store = documents_dir_for(Path(db.path))
    cutoff = time.time() - min_age_s
    referenced = _referenced(db)
    strays = [
        item
        for item in safe_files.iter_store(store)
        if not item.is_temp and item.sha256 is not None and item.sha256 not in referenced
        and (min_age_s <= 0 or item.path.stat().st_mtime < cutoff)
    ]
    if not strays:
        return SweepResult((), None)
    folder = safe_files.set_aside_folder(Path(db.path).parent, "unreferenced-documents")
    for item in strays:
        safe_files.move_aside((item.path,), folder)
    return SweepResult(tuple(i.relative for i in strays), folder)
