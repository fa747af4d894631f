"""The hub on loopback, on SQLite and on PostgreSQL (a throwaway cluster made here)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.hub.servers import PgCluster, RunningHub, require_postgres, start_hub
from tests.sync.docs import DocSet, build_docset

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def docset(tmp_path_factory: pytest.TempPathFactory) -> DocSet:
    return build_docset(tmp_path_factory.mktemp("docset"))


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    cluster = PgCluster(require_postgres()).start()
    yield cluster
    cluster.stop()


_databases = iter(range(1, 10_000))


def hub_for(
    backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, docset: DocSet
) -> RunningHub:
    db = None
    if backend == "postgresql":
        cluster: PgCluster = request.getfixturevalue("pg_cluster")
        db = cluster.url(f"hub{next(_databases)}")
    data = tmp_path_factory.mktemp(f"hub-{backend}")
    (data / "trust").mkdir()
    (data / "trust" / "demo-root.der").write_bytes(docset.demo_root)
    return start_hub(data, db)


@pytest.fixture(scope="module", params=BACKENDS)
def hub(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, docset: DocSet
) -> Iterator[RunningHub]:
    running = hub_for(request.param, request, tmp_path_factory, docset)
    yield running
    running.stop()
