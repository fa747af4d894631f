"""Signing a 45-student class through SoftHSM: the product's batch against bare pyHanko.

Same 45 PDFs (a page, the record's XML attached, the three empty signature fields), same
token and key, same thread. The product: `sign_batch` (lock check, certificate checks,
the stamp rendered once and imported, atomic write with fsync). The baseline: a plain loop
of pyHanko's own PKCS11Signer and PdfSigner with its default visible stamp, writing each
file with a plain write. Also: the size each signature adds, what rendering the stamp
and the atomic write cost, and how soon the token poller reports a token plugged in and
pulled out.

And the cost of a signature timestamp at signing time (architecture.md §5, PAdES B-T): the
product's batch again with a timestamp server configured, a real RFC 3161 server on
loopback (certomancer's animator, as in the tests), interleaved with the other two. On a
school's link each timestamp adds that link's round trip on top of the figure printed.
Prints figures only: ``.venv/bin/python bench/bench_sign.py``.
"""

from __future__ import annotations

import io
import os
import queue
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign.fields import FieldMDPAction, FieldMDPSpec, MDPPerm, SigFieldSpec, append_signature_field
from pyhanko.sign.pkcs11 import PKCS11Signer
from pyhanko.sign.signers import PdfSignatureMetadata, PdfSigner
from pypdf import PdfReader, PdfWriter
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.paths import resource
from app.signing import pki, softhsm, tokens
from app.signing.atomic import write_atomic
from app.signing.batch import BatchOptions, SignJob, sign_batch
from app.signing.pin import Pin
from app.signing.roles import Role
from app.signing.signers import TokenSignerSpec
from app.signing.stamp import StampText, prepare_stamp
from app.signing.worker import TokenSnapshot, TokenWorker
from tests.sync.ltv_pki import start_ltv_pki

STUDENTS = 45
ROUNDS = 5
PIN = "123456"
MODULE = softhsm.DEFAULT_MODULE
LABEL = "GV bench"
CKA_ID = b"\x01"
GROWTH: dict[str, list[int]] = {}
TSA: dict[str, str] = {}  # "url" of the loopback timestamp server
TSA_WAIT: list[float] = []  # ms the batch waited for the server, per round


def record(i: int) -> bytes:
    if "BenchNoto" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("BenchNoto", str(resource("fonts", "NotoSerif-Regular.ttf"))))
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(595, 842), invariant=True)
    c.setFont("BenchNoto", 12)
    for line in range(30):
        c.drawString(
            50, 790 - 22 * line, f"Học sinh số {i}: Toán 8,5 — Ngữ văn 7,0 — Tiếng Anh 9,0 (dòng {line})"
        )
    c.showPage()
    c.save()
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(buf.getvalue())))
    writer.add_attachment("hocba.xml", f"<HocBa><So>{i}</So></HocBa>".encode())
    out = io.BytesIO()
    writer.write(out)
    inc = IncrementalPdfFileWriter(io.BytesIO(out.getvalue()))
    for n, name in enumerate(("GVCN", "HieuTruong", "ConDau")):
        lock = {}
        if name == "ConDau":
            lock = {
                "field_mdp_spec": FieldMDPSpec(FieldMDPAction.ALL),
                "doc_mdp_update_value": MDPPerm.NO_CHANGES,
            }
        append_signature_field(inc, SigFieldSpec(name, box=(40 + 180 * n, 40, 210 + 180 * n, 100), **lock))
    final = io.BytesIO()
    inc.write(final)
    return final.getvalue()


def provision(root: Path) -> softhsm.SoftHsmHome:
    home = softhsm.prepare(root)
    os.environ["SOFTHSM2_CONF"] = str(home.conf)
    tokens.load_module(MODULE).reinitialize()
    softhsm.init_token(home, LABEL, pin=PIN, so_pin="87654321")
    tokens.reinitialize(MODULE)
    ca = pki.self_signed_root("Root CA bench", "Bench")
    sub = pki.intermediate(ca, "Sub CA bench", "Bench")
    ref = tokens.TokenRef(label=LABEL)
    person = pki.person_name("Nguyễn Văn An", "THCS Bench")
    softhsm.generate_key(
        MODULE, ref, PIN, cka_id=CKA_ID, label="gv",
        certify=lambda pub: pki.issue(person, pub, issuer=sub, usage="signing"),
    )  # fmt: skip
    softhsm.store_certificate(MODULE, ref, PIN, sub.der, cka_id=b"\xca", label="CA")
    return home


def product(inputs: list[Path], out_dir: Path) -> tuple[float, list[int]]:
    jobs = [SignJob(p, out_dir / p.name, Role.GVCN) for p in inputs]
    t0 = time.perf_counter()
    result = sign_batch(jobs, TokenSignerSpec(MODULE, CKA_ID, token_label=LABEL), Pin(PIN))
    elapsed = time.perf_counter() - t0
    assert result.complete, [d.message for d in result.documents if d.message]
    return elapsed, [d.size_after - d.size_before for d in result.documents]  # type: ignore[operator]


def product_timestamped(inputs: list[Path], out_dir: Path) -> tuple[float, list[int]]:
    jobs = [SignJob(p, out_dir / p.name, Role.GVCN) for p in inputs]
    t0 = time.perf_counter()
    result = sign_batch(
        jobs, TokenSignerSpec(MODULE, CKA_ID, token_label=LABEL), Pin(PIN),
        options=BatchOptions(timestamp_url=TSA["url"]),
    )  # fmt: skip
    elapsed = time.perf_counter() - t0
    assert result.complete and result.timestamps is not None and result.timestamps.stamped == len(jobs)
    TSA_WAIT.append(result.timestamps.ms)
    return elapsed, [d.size_after - d.size_before for d in result.documents]  # type: ignore[operator]


def bare(inputs: list[Path], out_dir: Path) -> tuple[float, list[int]]:
    t0 = time.perf_counter()
    growth = []
    token = tokens.find_token(MODULE, tokens.TokenRef(label=LABEL))
    with token.open(user_pin=PIN) as session:
        signer = PKCS11Signer(session, key_id=CKA_ID, cert_id=CKA_ID, other_certs_to_pull=None)
        meta = PdfSignatureMetadata(field_name="GVCN", certify=True, md_algorithm="sha256")
        for path in inputs:
            data = path.read_bytes()
            out = io.BytesIO()
            PdfSigner(meta, signer).sign_pdf(IncrementalPdfFileWriter(io.BytesIO(data)), output=out)
            (out_dir / path.name).write_bytes(out.getvalue())
            growth.append(len(out.getvalue()) - len(data))
    return time.perf_counter() - t0, growth


Runner = Callable[[list[Path], Path], tuple[float, list[int]]]


def timed_rounds(
    worker: TokenWorker, runners: list[Runner], inputs: list[Path], tmp: Path
) -> list[list[float]]:
    """Rounds interleaved (A B A B …) so a busy machine slows both sides alike."""
    times: list[list[float]] = [[] for _ in runners]
    for r in range(ROUNDS):
        for i, fn in enumerate(runners):
            out_dir = tmp / f"{fn.__name__}-{r}"
            out_dir.mkdir()
            seconds, growth = worker.submit(fn, inputs, out_dir).result()
            times[i].append(seconds)
            GROWTH[fn.__name__] = growth
    return times


def poller_latency(home: softhsm.SoftHsmHome) -> tuple[float, float]:
    seen: queue.Queue[tuple[float, TokenSnapshot]] = queue.Queue()
    with TokenWorker(poll_modules=[MODULE], on_tokens_changed=lambda s: seen.put((time.perf_counter(), s))):
        seen.get(timeout=30)
        t0 = time.perf_counter()
        softhsm.init_token(home, "cam vao", pin=PIN, so_pin="87654321")
        while True:
            at, snap = seen.get(timeout=30)
            if any(t.label == "cam vao" for t in snap.tokens):
                plugged = at - t0
                serial = next(t.serial for t in snap.tokens if t.label == "cam vao")
                break
        t1 = time.perf_counter()
        shutil.rmtree(softhsm.token_folder(home, serial))
        while True:
            at, snap = seen.get(timeout=30)
            if not any(t.label == "cam vao" for t in snap.tokens):
                return plugged, at - t1


def timed_ms(fn: Callable[[], object], repeat: int = 20) -> float:
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-sign-") as tmp_name:
        tmp = Path(tmp_name)
        home = provision(tmp / "hsm")
        inputs = []
        (tmp / "in").mkdir()
        for i in range(STUDENTS):
            path = tmp / "in" / f"hs{i:02d}.pdf"
            path.write_bytes(record(i))
            inputs.append(path)
        inputs_kb = inputs[0].stat().st_size / 1024
        tsa = start_ltv_pki(tmp / "tsa")
        TSA["url"] = tsa.tsa_url
        with TokenWorker() as worker:
            worker.submit(bare, inputs[:3], Path(tempfile.mkdtemp(dir=tmp))).result()  # warm-up all paths
            worker.submit(product, inputs[:3], Path(tempfile.mkdtemp(dir=tmp))).result()
            worker.submit(product_timestamped, inputs[:3], Path(tempfile.mkdtemp(dir=tmp))).result()
            TSA_WAIT.clear()
            ours, base, stamped = timed_rounds(worker, [product, bare, product_timestamped], inputs, tmp)
        tsa.stop()
        ours_growth, base_growth, ts_growth = GROWTH["product"], GROWTH["bare"], GROWTH["product_timestamped"]
        mine, theirs = statistics.median(ours) * 1000 / STUDENTS, statistics.median(base) * 1000 / STUDENTS
        stamp_ms = timed_ms(
            lambda: prepare_stamp(StampText("Nguyễn Văn An", "Giáo viên chủ nhiệm", date.today()))
        )
        sample = (tmp / "product-0" / inputs[0].name).read_bytes()
        write_ms = timed_ms(lambda: write_atomic(tmp / "fsync-probe.pdf", sample))
        plugged, pulled = poller_latency(home)

    def rounds(times: list[float]) -> str:
        return ", ".join(f"{t:.2f}s" for t in times)

    def row(label: str, text: str) -> None:
        print(f"  {label:<27}: {text}")

    print(f"{STUDENTS} records, SoftHSM RSA-2048, median of {ROUNDS} rounds, visible stamps in both")
    row("product batch (sign_batch)", f"{mine:6.1f} ms/doc   (rounds: {rounds(ours)})")
    row("bare pyHanko loop", f"{theirs:6.1f} ms/doc   (rounds: {rounds(base)})")
    overhead = 100 * (mine / theirs - 1)
    row(
        "ratio product/bare",
        f"{mine / theirs:6.3f}   overhead {overhead:+.1f} %  (target < +15 %, < 60 ms/doc)",
    )
    ours_kb, base_kb = statistics.mean(ours_growth) / 1024, statistics.mean(base_growth) / 1024
    row(
        "size growth per signature",
        f"product {ours_kb:.1f} kB, bare {base_kb:.1f} kB (input {inputs_kb:.1f} kB); the product keeps "
        "8 kB in /Contents for a timestamp added later",
    )
    with_ts = statistics.median(stamped) * 1000 / STUDENTS
    row("product + signature timestamp", f"{with_ts:6.1f} ms/doc   (rounds: {rounds(stamped)})")
    row(
        "cost of the timestamp",
        f"{with_ts - mine:+6.1f} ms/signature (of which waiting for the loopback server "
        f"{statistics.median(TSA_WAIT) / STUDENTS:.1f} ms); "
        f"size growth {statistics.mean(ts_growth) / 1024:.1f} kB",
    )
    row(
        "stamp rendering",
        f"{stamp_ms:6.1f} ms, once per batch (rendered per document it would add this to each)",
    )
    row("atomic write with fsync", f"{write_ms:6.1f} ms/doc (included in the product's figure)")
    row(
        "token poller (1 s interval)",
        f"plugged seen after {plugged * 1000:.0f} ms, pulled after {pulled * 1000:.0f} ms",
    )


if __name__ == "__main__":
    main()
