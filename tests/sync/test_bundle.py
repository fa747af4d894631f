"""USB-stick bundles: export unsent items, import on the hub through the same idempotent
path, bring the receipts back; twice changes nothing; refusals and damage are reported."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from collections import Counter
from pathlib import Path

from sqlalchemy import select

from app.models.db import Database
from app.models.outbox import OutboxItem
from app.sync import protocol
from tests.hub.helpers import Wire
from tests.hub.servers import ROOT, RunningHub
from tests.sync.conftest import connect, sync
from tests.sync.docs import DocSet, fresh_id, issue


def app_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def _states(db: Database) -> dict[str, str]:
    with db.read() as s:
        return {i.submission_id: i.state for i in s.scalars(select(OutboxItem))}


def test_a_school_without_a_connection_sends_by_usb_stick(
    school: Database, hub: RunningHub, docset: DocSet, tmp_path: Path
) -> None:
    hub.device(docset.school_code)  # the department registered the school
    ids = [
        issue(school, d, school_code=docset.school_code, document_id=fresh_id()).submission_id
        for d in docset.signed
    ]
    stick = tmp_path / "usb" / "truong.hbz"
    exported = app_cli("bundle", "export", "--db", str(school.path), "--out", str(stick))
    assert exported.returncode == 0, exported.stderr
    assert json.loads(exported.stdout)["items"] == len(ids)
    assert set(_states(school).values()) == {"sent"}
    with zipfile.ZipFile(stick) as z:
        index = protocol.BundleIndex.from_json(json.loads(z.read(protocol.BUNDLE_INDEX)))
        assert sorted(m.submission_id for m in index.manifests) == sorted(ids)
        assert index.school_code == docset.school_code and len(index.audit_head) == 64

    receipts = tmp_path / "usb" / "bienNhan.json"
    first = hub.cli("import-bundle", str(stick), "--receipts", str(receipts))
    result = json.loads(first.stdout)
    assert (result["new"], result["already_there"], result["refused"]) == (len(ids), 0, 0)
    kept = receipts.read_bytes()
    again = json.loads(hub.cli("import-bundle", str(stick), "--receipts", str(receipts)).stdout)
    assert (again["new"], again["already_there"]) == (0, len(ids))  # importing twice changes nothing
    assert json.loads(receipts.read_bytes())["receipts"] == json.loads(kept)["receipts"]
    counts = Counter(r["id"] for r in hub.listing(docset.school_code))
    assert all(counts[i] == 1 for i in ids)
    verified = {r["id"]: r["verification"] for r in hub.listing(docset.school_code)}
    assert {verified[i] for i in ids} == {"verified"}  # demo root in the hub's trust folder

    school.dispose()
    marked = app_cli("bundle", "receipts", "--db", str(school.path), str(receipts))
    assert marked.returncode == 0, marked.stderr
    out = json.loads(marked.stdout)
    assert out["accepted"] == len(ids) and out["pinned_hub_key"] is True
    assert set(_states(school).values()) == {"accepted"}
    twice = json.loads(app_cli("bundle", "receipts", "--db", str(school.path), str(receipts)).stdout)
    assert twice["accepted"] == 0 and twice["already_accepted"] == len(ids)


def test_refused_and_damaged_items_need_attention(
    school: Database, hub: RunningHub, docset: DocSet, tmp_path: Path
) -> None:
    credential = hub.device(docset.school_code)
    good, clash = docset.unsigned[0], docset.unsigned[1]
    clash_id = fresh_id()
    ids = [
        issue(school, good, school_code=docset.school_code, document_id=fresh_id()).submission_id,
        issue(school, clash, school_code=docset.school_code, document_id=clash_id).submission_id,
    ]
    # Someone already sent another document under the clashing id (a restored old backup, say).
    from tests.hub.helpers import manifest_for

    other = manifest_for(docset.unsigned[2].pdf, docset.school_code, document_id=clash_id)
    wire = Wire(hub.url, credential)
    wire.put_blob(docset.unsigned[2].pdf)
    assert wire.submit(other).status_code == 201
    wire.close()
    stick = tmp_path / "b.hbz"
    assert app_cli("bundle", "export", "--db", str(school.path), "--out", str(stick)).returncode == 0
    receipts = tmp_path / "r.json"
    result = json.loads(hub.cli("import-bundle", str(stick), "--receipts", str(receipts)).stdout)
    assert (result["new"], result["refused"]) == (1, 1)
    school.dispose()
    out = json.loads(app_cli("bundle", "receipts", "--db", str(school.path), str(receipts)).stdout)
    assert (out["accepted"], out["refused"]) == (1, 1)
    assert _states(school) == {ids[0]: "accepted", ids[1]: "needs_attention"}
    with school.read() as s:
        item = s.scalar(select(OutboxItem).where(OutboxItem.submission_id == ids[1]))
        assert item is not None and "cùng mã" in (item.attention_reason or "")

    # A damaged copy on the stick is refused item by item, never stored.
    damaged = tmp_path / "damaged.hbz"
    with zipfile.ZipFile(stick) as src, zipfile.ZipFile(damaged, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            dst.writestr(info, data[:-10] + b"0123456789" if info.filename.startswith("blobs/") else data)
    broken = json.loads(hub.cli("import-bundle", str(damaged), "--receipts", str(tmp_path / "d.json")).stdout)
    assert broken["new"] == 0 and broken["refused"] >= 1


def test_bundles_of_unknown_schools_and_non_bundles_are_refused(hub: RunningHub, tmp_path: Path) -> None:
    junk = tmp_path / "junk.hbz"
    junk.write_bytes(b"not a zip")
    proc = hub.cli("import-bundle", str(junk), check=False)
    assert proc.returncode == 1 and "Không mở được" in proc.stderr
    stranger = tmp_path / "stranger.hbz"
    index = protocol.BundleIndex("NOBODY1", None, "2027-06-01T00:00:00Z", "0" * 64, ())
    with zipfile.ZipFile(stranger, "w") as z:
        z.writestr(protocol.BUNDLE_INDEX, json.dumps(index.to_json()))
    proc = hub.cli("import-bundle", str(stranger), check=False)
    assert proc.returncode == 1 and "chưa được đăng ký" in proc.stderr


def test_a_bundle_never_delivered_is_sent_online_later(
    school: Database, hub: RunningHub, docset: DocSet, tmp_path: Path
) -> None:
    ids = [
        issue(
            school, docset.unsigned[3], school_code=docset.school_code, document_id=fresh_id()
        ).submission_id
    ]
    school.dispose()
    assert (
        app_cli("bundle", "export", "--db", str(school.path), "--out", str(tmp_path / "lost.hbz")).returncode
        == 0
    )
    assert set(_states(school).values()) == {"sent"}  # the stick was lost on the way
    connect(school, hub, hub.url, docset.school_code)
    summary = sync(school)
    assert summary.accepted == 1 and summary.waiting == 0
    assert _states(school) == {ids[0]: "accepted"}
    nothing = json.loads(
        app_cli("bundle", "export", "--db", str(school.path), "--out", str(tmp_path / "n.hbz")).stdout
    )
    assert nothing == {"file": None, "items": 0, "bytes": 0, "skipped": 0}
