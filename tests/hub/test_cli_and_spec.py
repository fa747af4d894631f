"""The hub's command line, its OpenAPI description kept in the repository, its restarts,
and the one import it may make from the desktop app."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import httpx
import pytest

from app.sync import protocol
from hub.openapi_file import SPEC_FILE, stored_spec
from tests.hub.helpers import Wire, manifest_for
from tests.hub.servers import ROOT, RunningHub, start_hub
from tests.sync.docs import DocSet


def test_served_openapi_equals_the_file_in_the_repository(hub: RunningHub) -> None:
    served = httpx.get(f"{hub.url}/v1/openapi.json").json()
    assert served == stored_spec(), f"run: python -m hub openapi > {SPEC_FILE.relative_to(ROOT)}"
    assert {
        "/v1/info",
        "/v1/blobs/sha256:{digest}",
        "/v1/submissions/{submission_id}",
        "/v1/reconcile",
    } <= set(served["paths"])
    assert set(served["paths"]["/v1/blobs/sha256:{digest}"]) == {"head", "put"}


def test_device_add_list_and_download(hub: RunningHub, docset: DocSet, tmp_path: Path) -> None:
    school = "CLI" + hub.hub_id[:6]
    added = hub.cli("device-add", "--school", school, "--label", "máy văn thư")
    credential = added.stdout.strip()
    assert protocol.parse_credential(credential)[0]
    assert credential not in added.stderr and "Hãy giữ kín" in added.stderr
    wire = Wire(hub.url, credential)
    pdf = docset.signed[1].pdf
    try:
        wire.put_blob(pdf)
        manifest = manifest_for(pdf, school, student="HS0042")
        assert wire.submit(manifest).status_code == 201
    finally:
        wire.close()
    [row] = hub.listing(school)
    assert {k: row[k] for k in ("id", "school", "student", "year", "version", "sha256")} == {
        "id": manifest.submission_id,
        "school": school,
        "student": "HS0042",
        "year": "2026-2027",
        "version": 1,
        "sha256": protocol.sha256_hex(pdf),
    }
    assert row["received_at"].endswith("Z") and row["verification"] in ("pending", "verified")
    out = tmp_path / "got.pdf"
    got = json.loads(hub.cli("download", manifest.submission_id, "--out", str(out)).stdout)
    assert out.read_bytes() == pdf and got["sha256"] == protocol.sha256_hex(pdf)
    missing = hub.cli("download", "00000000-0000-0000-0000-000000000000", "--out", str(out), check=False)
    assert missing.returncode == 1 and "Không có hồ sơ" in missing.stderr


def test_a_restarted_hub_keeps_its_key_and_its_receipts(tmp_path: Path, docset: DocSet) -> None:
    first = start_hub(tmp_path / "hub", verify=False)
    try:
        credential = first.device("RESTART1")
        wire = Wire(first.url, credential)
        pdf = docset.unsigned[0].pdf
        wire.put_blob(pdf)
        manifest = manifest_for(pdf, "RESTART1")
        receipt = wire.submit(manifest).json()["receipt"]
        key = protocol.Info.from_json(httpx.get(f"{first.url}/v1/info").json()).public_key
        wire.close()
    finally:
        first.stop()
    second = start_hub(tmp_path / "hub", verify=False)
    try:
        wire = Wire(second.url, credential)
        replay = wire.submit(manifest)
        wire.close()
        assert replay.status_code == 200 and replay.json()["receipt"] == receipt
        protocol.verify_receipt(replay.json()["receipt"], key, submission_id=manifest.submission_id)
    finally:
        second.stop()


def _app_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        found.update(n for n in names if n == "app" or n.startswith("app."))
    return found


def test_hub_imports_only_the_wire_protocol_of_the_app() -> None:
    # architecture.md §1: the hub may import the wire protocol module of app.sync, nothing else.
    for path in (ROOT / "hub").rglob("*.py"):
        imports = _app_imports(path)
        assert imports <= {"app.sync", "app.sync.protocol"}, (path, imports)
    # …and the protocol module itself stands alone, so importing it pulls in nothing else of app.
    assert _app_imports(ROOT / "app" / "sync" / "protocol.py") == set()
    assert (ROOT / "app" / "sync" / "__init__.py").read_text(
        encoding="utf-8"
    ).strip() == "" or "import" not in (ROOT / "app" / "sync" / "__init__.py").read_text(encoding="utf-8")


@pytest.mark.parametrize("argv", [["list"], ["device-add", "--school", "X"]])
def test_cli_without_a_data_folder_says_what_to_do(argv: list[str]) -> None:
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "hub", *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert proc.returncode != 0 and "--data" in proc.stderr
