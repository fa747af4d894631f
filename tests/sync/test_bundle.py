"""USB-stick bundles: export unsent items, import on the hub through the same idempotent
path, bring the receipts back; twice changes nothing; refusals and damage are reported."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import uuid
import zipfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from app.models.db import Database
from app.models.outbox import OutboxItem
from app.sync import protocol
from tests.hub.helpers import Wire
from tests.hub.servers import ROOT, RunningHub
from tests.sync.conftest import connect, sync
from tests.sync.docs import DocSet, fresh_id, issue

CREDENTIAL_ENV = "HOCBA_TEST_CREDENTIAL"


def app_cli(*args: str, credential: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, CREDENTIAL_ENV: credential} if credential else None
    extra = ["--credential-env", CREDENTIAL_ENV] if credential else []
    return subprocess.run(
        [sys.executable, "-m", "app", *args, *extra], cwd=ROOT, capture_output=True, text=True, timeout=300,
        env=env,
    )  # fmt: skip


def _states(db: Database) -> dict[str, str]:
    with db.read() as s:
        return {i.submission_id: i.state for i in s.scalars(select(OutboxItem))}


def test_a_school_without_a_connection_sends_by_usb_stick(
    school: Database, hub: RunningHub, docset: DocSet, tmp_path: Path
) -> None:
    credential = hub.device(docset.school_code)  # the department registered the school's PC
    ids = [
        issue(school, d, school_code=docset.school_code, document_id=fresh_id()).submission_id
        for d in docset.signed
    ]
    stick = tmp_path / "usb" / "truong.hbz"
    # Never online: the credential the department issued is given once, kept in the keyring, signs.
    exported = app_cli(
        "bundle", "export", "--db", str(school.path), "--out", str(stick), credential=credential
    )
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
    assert result["device"] == protocol.parse_credential(credential)[0]
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
    exported = app_cli(
        "bundle", "export", "--db", str(school.path), "--out", str(stick), credential=credential
    )
    assert exported.returncode == 0, exported.stderr
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

    # A damaged copy of a document on the stick (bundle.json and its signature intact) is refused
    # item by item, never stored.
    damaged = tmp_path / "damaged.hbz"
    _rewrite(
        stick, damaged, lambda name, data: data[:-10] + b"0123456789" if name.startswith("blobs/") else data
    )
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
    credential = hub.device(docset.school_code)
    lost = tmp_path / "lost.hbz"
    assert (
        app_cli(
            "bundle", "export", "--db", str(school.path), "--out", str(lost), credential=credential
        ).returncode
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


def _rewrite(src: Path, dst: Path, change: Callable[[str, bytes], bytes | None]) -> None:
    """A copy of the bundle `src` with each member passed through `change` (None drops it)."""
    with zipfile.ZipFile(src) as old, zipfile.ZipFile(dst, "w") as new:
        for info in old.infolist():
            data = change(info.filename, old.read(info))
            if data is not None:
                new.writestr(info.filename, data)


def _exported(school: Database, hub: RunningHub, docset: DocSet, tmp_path: Path) -> tuple[Path, str]:
    credential = hub.device(docset.school_code)
    issue(school, docset.signed[0], school_code=docset.school_code, document_id=fresh_id())
    school.dispose()
    stick = tmp_path / "truong.hbz"
    exported = app_cli(
        "bundle", "export", "--db", str(school.path), "--out", str(stick), credential=credential
    )
    assert exported.returncode == 0, exported.stderr
    return stick, credential


def _refused(hub: RunningHub, bundle: Path, docset: DocSet) -> str:
    before = len(hub.listing(docset.school_code))
    proc = hub.cli("import-bundle", str(bundle), "--receipts", str(bundle.with_suffix(".json")), check=False)
    assert proc.returncode == 1, proc.stdout
    assert len(hub.listing(docset.school_code)) == before  # nothing stored
    assert not bundle.with_suffix(".json").exists()  # and no receipts written
    return proc.stderr


def test_the_hub_refuses_unsigned_and_tampered_bundles(
    school: Database, hub: RunningHub, docset: DocSet, tmp_path: Path
) -> None:
    stick, _credential = _exported(school, hub, docset, tmp_path)
    with zipfile.ZipFile(stick) as z:
        assert protocol.BUNDLE_SIGNATURE in z.namelist()
        index = json.loads(z.read(protocol.BUNDLE_INDEX))

    unsigned = tmp_path / "unsigned.hbz"
    _rewrite(stick, unsigned, lambda name, data: None if name == protocol.BUNDLE_SIGNATURE else data)
    assert "không có chữ ký của máy trường" in _refused(hub, unsigned, docset)

    # bundle.json edited after export (another student's code): the MAC no longer matches.
    edited = dict(index, manifests=[dict(m, student_code="HS999999") for m in index["manifests"]])
    tampered = tmp_path / "tampered.hbz"
    _rewrite(
        stick, tampered,
        lambda name, data: json.dumps(edited).encode() if name == protocol.BUNDLE_INDEX else data,
    )  # fmt: skip
    assert "không khớp" in _refused(hub, tampered, docset)

    # A document swapped for another one, bundle.json updated to match it: still caught by the MAC.
    other = docset.signed[1].pdf
    sha = protocol.sha256_hex(other)
    [manifest] = index["manifests"]
    swapped_index = dict(
        index, manifests=[dict(manifest, document=dict(manifest["document"], sha256=sha, size=len(other)))]
    )

    def swap(name: str, data: bytes) -> bytes | None:
        if name == protocol.BUNDLE_INDEX:
            return json.dumps(swapped_index).encode()
        return other if name.startswith("blobs/") else data

    swapped = tmp_path / "swapped.hbz"
    _rewrite(stick, swapped, swap)
    with zipfile.ZipFile(swapped) as z:  # rename the blob to its new address
        members = {n: z.read(n) for n in z.namelist()}
    with zipfile.ZipFile(swapped, "w") as z:
        for name, data in members.items():
            z.writestr(protocol.bundle_blob_name(sha) if name.startswith("blobs/") else name, data)
    assert "không khớp" in _refused(hub, swapped, docset)

    # The untouched bundle still goes in.
    ok = hub.cli("import-bundle", str(stick), "--receipts", str(tmp_path / "ok.json"))
    assert json.loads(ok.stdout)["new"] == 1


def test_the_hub_refuses_bundles_of_unknown_or_revoked_devices(
    school: Database, hub: RunningHub, docset: DocSet, tmp_path: Path
) -> None:
    stick, credential = _exported(school, hub, docset, tmp_path)
    device_id = protocol.parse_credential(credential)[0]

    # Signed with a credential the department never issued (a forged one, under a new device id).
    forged_credential = protocol.make_credential(str(uuid.uuid4()), os.urandom(32))
    forged_id = protocol.parse_credential(forged_credential)[0]
    with zipfile.ZipFile(stick) as z:
        index = json.loads(z.read(protocol.BUNDLE_INDEX))
    raw = json.dumps(dict(index, device_id=forged_id)).encode()
    forged = tmp_path / "forged.hbz"

    def resign(name: str, data: bytes) -> bytes | None:
        if name == protocol.BUNDLE_INDEX:
            return raw
        if name == protocol.BUNDLE_SIGNATURE:
            return json.dumps(protocol.sign_bundle(raw, forged_id, forged_credential)).encode()
        return data

    _rewrite(stick, forged, resign)
    assert "không được Sở cấp quyền" in _refused(hub, forged, docset)

    # The department revoked the school's PC (stolen, say): its bundles are refused from then on.
    conn = sqlite3.connect(hub.data / "hub.sqlite3")
    with conn:
        conn.execute("UPDATE device SET revoked_at = '2027-06-01 08:00:00' WHERE id = ?", (device_id,))
    conn.close()
    assert "đã bị thu hồi ngày 01/06/2027" in _refused(hub, stick, docset)


def test_exporting_without_a_credential_says_what_to_do(
    school: Database, docset: DocSet, tmp_path: Path
) -> None:
    issue(school, docset.signed[0], school_code=docset.school_code, document_id=fresh_id())
    school.dispose()
    proc = app_cli("bundle", "export", "--db", str(school.path), "--out", str(tmp_path / "x.hbz"))
    assert proc.returncode == 1 and "chưa có mã kết nối" in proc.stderr
    assert not (tmp_path / "x.hbz").exists()
    assert set(_states(school).values()) == {"pending"}  # nothing marked sent
