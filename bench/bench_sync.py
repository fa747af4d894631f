"""Sync over a bad link, and the hub under concurrent schools. Prints figures (never asserts).

1. N issued, sealed records (about 185 KB each: rendered by app.documents, signed GVCN →
   principal → seal with the demo signer) synced through the fault proxy of the test suite
   limited to 1 Mbit/s, (a) with no faults — the baseline, same run — and (b) with 5 % of
   requests cut mid-body (a TCP reset halfway through the upload or the answer). Printed:
   total time, bytes on the wire ÷ payload bytes (HTTP bytes both ways, as counted by the
   proxy; TCP/IP headers not counted), retries, and the hub's CPU time per submission
   (its process, including the background pyHanko verification of every submission).
   The client uses the product's default retry policy (2 s base backoff with jitter).
2. The hub with C concurrent clients (threads, each its own school and credential, each
   uploading its documents and submitting them), on SQLite and on PostgreSQL (a throwaway
   cluster): submissions per second and the 95th percentile latency of the submission
   request and of upload + submission.

At 1 Mbit/s one record takes ~1.9 s, so 1,000 items take ~32 min per run; the default is
100 items (about 3 min per run). `--items 1000` runs the issue's size (1,000 items cycling
through 40 distinct records of ~189 KB, each item its own document id and submission; run it
in the background, `--skip-concurrency` for the link part only).

    .venv/bin/python bench/bench_sync.py [--items 100] [--clients 20] [--per-client 25] [--skip-link]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")

import httpx  # noqa: E402

from app.models.db import open_database  # noqa: E402
from app.sync.connect import connect_device  # noqa: E402
from app.sync.worker import run_sync  # noqa: E402
from tests.hub.helpers import Wire, manifest_for  # noqa: E402
from tests.hub.servers import PgCluster, RunningHub, pg_bin, start_hub  # noqa: E402
from tests.sync.docs import Doc, build_docset, issue  # noqa: E402
from tests.sync.proxy import FaultProxy, RandomFaults  # noqa: E402

MBIT = 1_000_000


def signed_documents(folder: Path, count: int) -> tuple[list[Doc], str, bytes, Path]:
    """`count` (at most 40) distinct sealed records of one demo class, and its school's database."""
    ds = build_docset(folder, students=max(8, count), n_signed=count)
    return list(ds.signed), ds.school_code, ds.demo_root, ds.template


def wait_verified(hub: RunningHub, timeout: float = 1800) -> float:
    import sqlite3

    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if hub.db is None:
            conn = sqlite3.connect(f"file:{hub.data / 'hub.sqlite3'}?mode=ro", uri=True)
            try:
                pending = conn.execute(
                    "SELECT count(*) FROM submission WHERE verification_status='pending'"
                ).fetchone()[0]
            finally:
                conn.close()
        else:
            import psycopg

            with psycopg.connect(hub.db) as conn:
                row = conn.execute(
                    "SELECT count(*) FROM submission WHERE verification_status='pending'"
                ).fetchone()
                pending = row[0] if row else 0
        if pending == 0:
            return time.monotonic() - start
        time.sleep(0.5)
    return float("nan")


def link_run(
    docs: list[Doc], school_code: str, root: bytes, template: Path, folder: Path, *, faults: bool
) -> dict[str, float]:
    data = folder / "hub"
    (data / "trust").mkdir(parents=True)
    (data / "trust" / "root.der").write_bytes(root)
    hub = start_hub(data)
    proxy = FaultProxy(hub.url, bandwidth_bps=MBIT)
    proxy.start()
    os.environ["XDG_DATA_HOME"] = str(folder / "xdg")
    try:
        db_path = folder / "school" / "hocba.sqlite3"
        db_path.parent.mkdir(parents=True)
        shutil.copyfile(template, db_path)
        db = open_database(db_path)
        connect_device(db, proxy.url, hub.device(school_code))
        for doc in docs:
            issue(db, doc, school_code=school_code, document_id=str(uuid.uuid4()))
        payload = sum(len(d.pdf) for d in docs)
        if faults:
            proxy.random_faults = RandomFaults(0.05, ("reset_upload", "reset_answer"))
        base_up, base_down = proxy.stats.bytes_up, proxy.stats.bytes_down
        cpu0 = hub.cpu_seconds()
        t0 = time.perf_counter()
        retries = 0
        summary = None
        for _ in range(20):  # a sync that gives up (link down too long) is simply run again
            summary = run_sync(db)
            retries += summary.retries
            if summary.waiting == 0:
                break
        elapsed = time.perf_counter() - t0
        wire = proxy.stats.bytes_up - base_up + proxy.stats.bytes_down - base_down
        verify_wait = wait_verified(hub)
        cpu = hub.cpu_seconds() - cpu0
        db.dispose()
        assert summary is not None
        return {
            "items": len(docs),
            "seconds": elapsed,
            "payload_mb": payload / 1e6,
            "wire_ratio": wire / payload,
            "retries": retries,
            "faults": sum(proxy.stats.faults.values()),
            "waiting": summary.waiting,
            "hub_cpu_ms_per_submission": cpu * 1000 / len(docs),
            "verify_tail_s": verify_wait,
        }
    finally:
        proxy.stop()
        hub.stop()


def concurrency_run(hub: RunningHub, docs: list[Doc], clients: int, per_client: int) -> dict[str, float]:
    submit_ms: list[float] = []
    total_ms: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)
    creds = [hub.device(f"C{uuid.uuid4().hex[:8]}") for _ in range(clients)]

    def client(n: int) -> None:
        wire = Wire(hub.url, creds[n])
        me = httpx.get(f"{hub.url}/v1/devices/me", headers={"Authorization": f"Bearer {creds[n]}"}).json()
        school = me["school_code"]
        start.wait()
        try:
            for i in range(per_client):
                doc = docs[(n * per_client + i) % len(docs)]
                m = manifest_for(doc.pdf, school)
                t0 = time.perf_counter()
                if wire.put_blob(doc.pdf).status_code not in (200, 201):
                    errors.append("blob")
                t1 = time.perf_counter()
                if wire.submit(m).status_code != 201:
                    errors.append("submit")
                t2 = time.perf_counter()
                with lock:
                    submit_ms.append((t2 - t1) * 1000)
                    total_ms.append((t2 - t0) * 1000)
        finally:
            wire.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    verify_tail = wait_verified(hub)
    return {
        "submissions": len(submit_ms),
        "errors": len(errors),
        "per_second": len(submit_ms) / elapsed,
        "p95_submit_ms": statistics.quantiles(submit_ms, n=20)[18],
        "p95_upload_and_submit_ms": statistics.quantiles(total_ms, n=20)[18],
        "median_submit_ms": statistics.median(submit_ms),
        "verify_tail_s": verify_tail,
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=100)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--per-client", type=int, default=25)
    parser.add_argument("--skip-link", action="store_true")
    parser.add_argument("--skip-concurrency", action="store_true")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-sync-"))
    try:
        t0 = time.perf_counter()
        docs, school_code, root, template = signed_documents(folder / "docs", min(args.items, 40))
        sizes = [len(d.pdf) for d in docs]
        print(
            f"documents: {len(docs)} distinct sealed records, mean {statistics.mean(sizes) / 1000:.0f} KB "
            f"(made in {time.perf_counter() - t0:.0f} s)"
        )
        items = [docs[i % len(docs)] for i in range(args.items)]
        if not args.skip_link:
            print(f"\n1. {args.items} items through the proxy at 1 Mbit/s")
            for label, faults in (("baseline, no faults", False), ("5 % of requests reset mid-body", True)):
                r = link_run(items, school_code, root, template, folder / f"link-{faults}", faults=faults)
                print(
                    f"  {label:32s} {r['seconds']:7.1f} s  wire/payload {r['wire_ratio']:.3f}  "
                    f"retries {r['retries']:.0f} (faults {r['faults']:.0f})  "
                    f"hub CPU {r['hub_cpu_ms_per_submission']:.0f} ms/submission  "
                    f"waiting {r['waiting']:.0f}  "
                    f"(verification done {r['verify_tail_s']:.1f} s later)"
                )
        if not args.skip_concurrency:
            print(f"\n2. {args.clients} concurrent clients × {args.per_client} submissions each")
            backends: list[tuple[str, str | None]] = [("SQLite", None)]
            cluster = PgCluster(pg_bin()).start() if pg_bin() else None
            if cluster is not None:
                backends.append(("PostgreSQL", cluster.url("bench")))
            try:
                for name, url in backends:
                    data = folder / f"hub-{name}"
                    (data / "trust").mkdir(parents=True)
                    (data / "trust" / "root.der").write_bytes(root)
                    hub = start_hub(data, url)
                    try:
                        r = concurrency_run(hub, docs, args.clients, args.per_client)
                    finally:
                        hub.stop()
                    print(
                        f"  {name:10s} {r['per_second']:6.1f} submissions/s  "
                        f"p95 submit {r['p95_submit_ms']:6.0f} ms  "
                        f"p95 upload+submit {r['p95_upload_and_submit_ms']:6.0f} ms  median submit "
                        f"{r['median_submit_ms']:5.0f} ms  errors {r['errors']:.0f}  "
                        f"(verification done {r['verify_tail_s']:.1f} s later)"
                    )
            finally:
                if cluster is not None:
                    cluster.stop()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
