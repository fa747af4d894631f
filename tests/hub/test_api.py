"""The hub's protocol on the wire, on SQLite and PostgreSQL: idempotency, conflicts,
concurrency, durability order, receipts, reconcile and background signature checks."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

from app.sync import protocol
from tests.hub.helpers import Wire, manifest_for
from tests.hub.servers import RunningHub
from tests.sync.docs import DocSet


def _school() -> str:
    return f"T{uuid.uuid4().hex[:10]}"


@pytest.fixture
def school(hub: RunningHub) -> str:
    return _school()


@pytest.fixture
def wire(hub: RunningHub, school: str) -> Iterator[Wire]:
    w = Wire(hub.url, hub.device(school))
    yield w
    w.close()


def _key(hub: RunningHub) -> bytes:
    return protocol.Info.from_json(httpx.get(f"{hub.url}/v1/info").json()).public_key


def test_info_names_the_hub_and_its_receipt_key(hub: RunningHub) -> None:
    resp = httpx.get(f"{hub.url}/v1/info")
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("application/json")
    info = protocol.Info.from_json(resp.json())
    assert info.hub_id == hub.hub_id and 1 in info.protocol_versions and len(info.public_key) == 32


def test_everything_but_info_needs_a_known_credential(hub: RunningHub, docset: DocSet) -> None:
    pdf = docset.unsigned[0].pdf
    for credential in (
        None,
        "hbd1.not-a-uuid.xxxxxxxx",
        protocol.make_credential(str(uuid.uuid4()), b"k" * 32),
    ):
        w = Wire(hub.url, credential)
        try:
            for resp in (w.put_blob(pdf), w.submit(manifest_for(pdf)), w.reconcile([])):
                assert resp.status_code == 401
                assert resp.json()["error"] == protocol.ERR_UNAUTHORIZED and "Sở" in resp.json()["message"]
        finally:
            w.close()


def test_blobs_are_content_addressed_and_idempotent(wire: Wire, docset: DocSet) -> None:
    pdf = docset.unsigned[1].pdf
    sha = protocol.sha256_hex(pdf)
    first = wire.put_blob(pdf)
    assert first.status_code in (200, 201)  # another test module may have sent the same bytes
    again = wire.put_blob(pdf)
    assert again.status_code == 200 and again.json() == {"sha256": sha, "size": len(pdf), "created": False}
    head = wire.head_blob(sha)
    assert head.status_code == 200 and head.headers["X-Blob-Size"] == str(len(pdf))
    assert wire.head_blob("0" * 64).status_code == 404
    # Bytes that do not hash to their address are refused and not kept.
    bad = wire.put_blob(pdf + b"x", sha="1" * 64)
    assert bad.status_code == 422 and bad.json()["error"] == protocol.ERR_DIGEST
    assert wire.head_blob("1" * 64).status_code == 404
    assert wire.http.put("/v1/blobs/sha256:XYZ", content=b"x").status_code == 422


def test_submission_replay_is_harmless_and_another_body_is_refused(
    hub: RunningHub, wire: Wire, school: str, docset: DocSet
) -> None:
    pdf = docset.unsigned[2].pdf
    manifest = manifest_for(pdf, school)
    assert wire.put_blob(pdf).status_code in (200, 201)
    first = wire.submit(manifest)
    assert first.status_code == 201, first.text
    answer = protocol.SubmissionAnswer.from_json(first.json())
    receipt = protocol.verify_receipt(
        answer.receipt, _key(hub), submission_id=manifest.submission_id, manifest_sha256=manifest.sha256
    )
    assert receipt.document_sha256 == manifest.document.sha256 and receipt.audit_head == manifest.audit_head
    assert answer.status == "accepted" and answer.verification.status == "pending"

    replay = wire.submit(manifest)
    assert replay.status_code == 200
    assert replay.json()["status"] == "already_there" and replay.json()["receipt"] == answer.receipt

    other = manifest_for(pdf, school, document_id=manifest.document_id, extras={"class_name": "6A2"})
    assert other.submission_id == manifest.submission_id and other.sha256 != manifest.sha256
    conflict = wire.submit(other)
    assert conflict.status_code == 409 and conflict.json()["error"] == protocol.ERR_CONFLICT
    rows = [r for r in hub.listing(school) if r["id"] == manifest.submission_id]
    assert len(rows) == 1 and rows[0]["sha256"] == manifest.document.sha256


def test_refusals_say_why(hub: RunningHub, wire: Wire, school: str, docset: DocSet) -> None:
    pdf = docset.unsigned[3].pdf + b"%unique " + uuid.uuid4().bytes
    # The document's bytes first: until then the submission is refused, nothing stored.
    missing = wire.submit(manifest_for(pdf, school))
    assert missing.status_code == 409 and missing.json()["error"] == protocol.ERR_MISSING_BLOB
    assert missing.json()["missing"] == [protocol.sha256_hex(pdf)]
    wire.put_blob(pdf)
    wrong = wire.submit(manifest_for(pdf, "OTHER1"))
    assert wrong.status_code == 403 and wrong.json()["error"] == protocol.ERR_WRONG_SCHOOL
    good = manifest_for(pdf, school)
    mismatch = wire.submit(good, sid=str(uuid.uuid4()))
    assert mismatch.status_code == 422
    forged = dict(good.to_json(), submission_id=str(uuid.uuid4()))  # an id not derived from the document
    assert wire.submit(forged).status_code == 422
    unknown_field = dict(good.to_json(), surprise=1)
    assert wire.submit(unknown_field).status_code == 422
    assert wire.http.put(protocol.submission_path(good.submission_id), content=b"<html>").status_code == 422
    assert hub.listing(school) == []


def test_concurrent_identical_requests_create_one_row(
    hub: RunningHub, wire: Wire, school: str, docset: DocSet
) -> None:
    pdf = docset.unsigned[4].pdf
    wire.put_blob(pdf)
    manifest = manifest_for(pdf, school)
    answers: list[httpx.Response] = []
    start = threading.Barrier(16)

    def send() -> None:
        w = Wire(hub.url, hub.device(school))
        try:
            start.wait()
            answers.append(w.submit(manifest))
        finally:
            w.close()

    threads = [threading.Thread(target=send) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(a.status_code for a in answers) == [200] * 15 + [201]
    assert len({json.dumps(a.json()["receipt"], sort_keys=True) for a in answers}) == 1
    assert [r["id"] for r in hub.listing(school)] == [manifest.submission_id]


def test_concurrent_different_bodies_one_wins(
    hub: RunningHub, wire: Wire, school: str, docset: DocSet
) -> None:
    pdf = docset.unsigned[5].pdf
    wire.put_blob(pdf)
    doc_id = str(uuid.uuid4())
    variants = [manifest_for(pdf, school, document_id=doc_id, extras={"n": i}) for i in range(8)]
    codes: list[int] = []
    start = threading.Barrier(len(variants))

    def send(m: object) -> None:
        w = Wire(hub.url, hub.device(school))
        try:
            start.wait()
            codes.append(w.submit(m).status_code)  # type: ignore[arg-type]
        finally:
            w.close()

    threads = [threading.Thread(target=send, args=(m,)) for m in variants]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [201] + [409] * 7
    assert len(hub.listing(school)) == 1


def test_reconcile_returns_lost_receipts_of_this_school_only(
    hub: RunningHub, wire: Wire, school: str, docset: DocSet
) -> None:
    pdf = docset.unsigned[6].pdf
    wire.put_blob(pdf)
    held = manifest_for(pdf, school)
    first = wire.submit(held).json()
    never = str(uuid.uuid4())
    answer = wire.reconcile([held.submission_id, never])
    items, unknown = protocol.reconcile_answer_from_json(answer.json())
    assert [i.receipt for i in items] == [first["receipt"]] and unknown == [never]
    other = Wire(hub.url, hub.device(_school()))
    try:
        items, unknown = protocol.reconcile_answer_from_json(other.reconcile([held.submission_id]).json())
        assert items == [] and unknown == [held.submission_id]
    finally:
        other.close()
    assert wire.reconcile(["not-a-uuid"]).status_code == 422


def _verification(wire: Wire, sid: str) -> protocol.Verification:
    deadline = time.monotonic() + 60
    while True:
        items, _ = protocol.reconcile_answer_from_json(wire.reconcile([sid]).json())
        if items[0].verification.status != "pending" or time.monotonic() > deadline:
            return items[0].verification
        time.sleep(0.2)


def test_signatures_are_checked_in_the_background(
    hub: RunningHub, wire: Wire, school: str, docset: DocSet
) -> None:
    signed = docset.signed[0].pdf
    tampered = bytearray(signed)
    at = tampered.index(b"/Contents", len(tampered) // 3)
    tampered[at - 40] = ord("X") if tampered[at - 40] != ord("X") else ord("Y")
    cases = {"signed": signed, "unsigned": docset.unsigned[7].pdf, "tampered": bytes(tampered)}
    sids = {}
    for name, pdf in cases.items():
        wire.put_blob(pdf)
        m = manifest_for(pdf, school)
        assert wire.submit(m).status_code == 201
        sids[name] = m.submission_id
    results = {name: _verification(wire, sid) for name, sid in sids.items()}
    assert results["signed"].status == "verified", results["signed"]
    assert results["unsigned"].status == "invalid" and "không có chữ ký" in (
        results["unsigned"].summary or ""
    )
    assert results["tampered"].status == "invalid", results["tampered"]
    listed = {r["id"]: r["verification"] for r in hub.listing(school)}
    assert listed == {sids["signed"]: "verified", sids["unsigned"]: "invalid", sids["tampered"]: "invalid"}
