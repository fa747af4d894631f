"""Where a hub keeps its things, and putting the parts together."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hub.blobstore import FsBlobStore
from hub.db import HubDatabase, engine_url, open_hub_database
from hub.identity import load_or_create
from hub.service import MAX_BLOB_BYTES, HubService
from hub.verifier import Verifier


@dataclass(frozen=True)
class HubPaths:
    data: Path

    @property
    def blobs(self) -> Path:
        return self.data / "blobs"

    @property
    def trust(self) -> Path:
        """Root certificates (PEM/DER) the department trusts for school signatures."""
        return self.data / "trust"


@dataclass
class Hub:
    paths: HubPaths
    db: HubDatabase
    service: HubService
    verifier: Verifier

    def close(self) -> None:
        self.verifier.stop()
        self.db.dispose()


def open_hub(
    data_dir: Path, db: str | None = None, *, name: str | None = None, max_blob_bytes: int = MAX_BLOB_BYTES
) -> Hub:
    paths = HubPaths(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    paths.trust.mkdir(exist_ok=True)
    database = open_hub_database(engine_url(db, data_dir))
    store = FsBlobStore(paths.blobs)
    store.sweep_temporary()
    verifier = Verifier(database, store, paths.trust)
    service = HubService(
        database, store, load_or_create(data_dir, name), max_blob_bytes=max_blob_bytes,
        on_submission=verifier.notify,
    )  # fmt: skip
    return Hub(paths, database, service, verifier)
