"""Tokens that behave differently: PIN before every signature, raw RSA only, pulled out."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pkcs11 import Attribute, Mechanism, ObjectClass
from pkcs11 import exceptions as p11

from app.signing import tokens
from app.signing.batch import DocStatus, DocumentResult, SignJob
from app.signing.errors import TokenRemovedError
from app.signing.pin import Pin
from app.signing.roles import Role
from app.signing.validation import validate_pdf
from app.signing.worker import TokenWorker
from tests.signing.conftest import MODULE, PIN, Tokens, fresh_token, token_folder
from tests.signing.helpers import sign_in_place, statuses, write_inputs
from tests.signing.pdfs import student_record

ROOT = Path(__file__).resolve().parents[2]


def test_always_authenticate_key_signs_a_whole_batch(
    tmp_path: Path, hsm: Tokens, worker: TokenWorker, trust: list[bytes]
) -> None:
    def sign_without_context_login() -> str:
        with tokens.session(MODULE, tokens.TokenRef(label=hsm.seal.label), Pin(PIN)) as opened:
            [key] = opened.get_objects(
                {Attribute.CLASS: ObjectClass.PRIVATE_KEY, Attribute.ID: hsm.seal.cka_id}
            )
            try:
                key.sign(b"x" * 32, mechanism=Mechanism.SHA256_RSA_PKCS)
            except p11.UserNotLoggedIn:
                return "refused"
            return "signed"

    # The token really demands the PIN again: a plain C_Sign after C_Login is refused.
    assert worker.submit(sign_without_context_login).result() == "refused"

    paths = write_inputs(tmp_path, [student_record(f"Học sinh {i}") for i in range(5)])
    sign_in_place(worker, paths, Role.GVCN, hsm.teacher.spec())
    sign_in_place(worker, paths, Role.HIEU_TRUONG, hsm.principal.spec())
    pin = Pin(PIN)
    result = worker.sign_batch([SignJob(p, p, Role.CON_DAU) for p in paths], hsm.seal.spec(), pin).result()
    assert result.always_authenticate and statuses(result) == [DocStatus.SIGNED] * 5
    assert pin.wiped, "the batch wipes its PIN when it ends"
    for path in paths:
        assert validate_pdf(path.read_bytes(), trust).all_ok


def test_raw_rsa_mechanism_forced(
    tmp_path: Path, hsm: Tokens, worker: TokenWorker, trust: list[bytes]
) -> None:
    [path] = write_inputs(tmp_path, [student_record()])
    result = sign_in_place(worker, [path], Role.GVCN, hsm.teacher.spec(force_raw_rsa=True))
    assert result.used_raw_rsa and result.complete
    report = validate_pdf(path.read_bytes(), trust)
    assert report.all_ok, report.to_json()


RAW_ONLY_SCRIPT = """
import json, sys
from pathlib import Path
from pkcs11 import Attribute, Mechanism, ObjectClass
from pkcs11 import exceptions as p11
from app.signing import tokens
from app.signing.batch import SignJob, sign_batch
from app.signing.pin import Pin
from app.signing.roles import Role
from app.signing.signers import TokenSignerSpec

module, label, pin, cka_id, path = sys.argv[1:6]
ref = tokens.TokenRef(label=label)
with tokens.session(module, ref, Pin(pin)) as opened:
    mechanisms = sorted(m.name for m in tokens.slot_mechanisms(opened.token))
    query = {Attribute.CLASS: ObjectClass.PRIVATE_KEY, Attribute.ID: bytes.fromhex(cka_id)}
    [key] = opened.get_objects(query)
    try:
        key.sign(b"x" * 32, mechanism=Mechanism.SHA256_RSA_PKCS)
        hashed = "accepted"
    except p11.MechanismInvalid:
        hashed = "refused"
spec = TokenSignerSpec(module, bytes.fromhex(cka_id), token_label=label)
result = sign_batch([SignJob(Path(path), Path(path), Role.GVCN)], spec, Pin(pin))
print(json.dumps({"mechanisms": mechanisms, "hashed": hashed, "raw": result.used_raw_rsa,
                  "status": [d.status.value for d in result.documents]}))
"""


def test_token_offering_only_raw_rsa(tmp_path: Path, hsm: Tokens, trust: list[bytes]) -> None:
    # SoftHSM restricted to CKM_RSA_PKCS (its slots.mechanisms setting) is a real raw-only
    # token; it runs in a child process because SoftHSM reads its settings once per load.
    conf = tmp_path / "raw-only.conf"
    conf.write_text(
        hsm.home.conf.read_text(encoding="utf-8").replace(
            "slots.mechanisms = ALL", "slots.mechanisms = CKM_RSA_PKCS"
        ),
        encoding="utf-8",
    )
    [path] = write_inputs(tmp_path, [student_record()])
    args = [MODULE, hsm.teacher.label, PIN, hsm.teacher.cka_id.hex(), str(path)]
    env = {**os.environ, "SOFTHSM2_CONF": str(conf)}
    command = [sys.executable, "-c", RAW_ONLY_SCRIPT, *args]
    proc = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    outcome = json.loads(proc.stdout.strip().splitlines()[-1])
    assert outcome["mechanisms"] == ["RSA_PKCS"] and outcome["hashed"] == "refused"
    assert outcome["raw"] is True and outcome["status"] == ["signed"]
    assert validate_pdf(path.read_bytes(), trust).all_ok


def test_token_pulled_out_mid_batch_stops_cleanly_and_resumes(
    tmp_path: Path, hsm: Tokens, worker: TokenWorker, trust: list[bytes]
) -> None:
    key = fresh_token(hsm, worker, "GV rut token")
    folder = token_folder(hsm, worker, key.label)
    parked = tmp_path / "parked-token"
    inputs = write_inputs(tmp_path / "in", [student_record(f"Học sinh {i}") for i in range(5)])
    outputs = [tmp_path / "out" / p.name for p in inputs]
    jobs = [SignJob(i, o, Role.GVCN) for i, o in zip(inputs, outputs, strict=True)]

    def pull_after_second(done: DocumentResult) -> None:
        # Runs on the token thread, between two documents: the token vanishes and the
        # module is re-initialised, as when a USB token is pulled out.
        if done.index == 1:
            shutil.move(folder, parked)
            tokens.load_module(MODULE).reinitialize()

    result = worker.sign_batch(jobs, key.spec(), Pin(PIN), on_progress=pull_after_second).result()
    assert statuses(result) == [
        DocStatus.SIGNED,
        DocStatus.SIGNED,
        DocStatus.FAILED,
        DocStatus.NOT_STARTED,
        DocStatus.NOT_STARTED,
    ]
    assert isinstance(result.stopped_by, TokenRemovedError)
    assert result.documents[2].message == TokenRemovedError().message
    assert [o.exists() for o in outputs] == [True, True, False, False, False]
    assert not list((tmp_path / "out").glob(".*.part")), "no temporary file left behind"
    for out in outputs[:2]:
        assert validate_pdf(out.read_bytes(), trust).all_ok

    # Plugged back in: running the same batch again (from the outputs already written)
    # skips what is signed and finishes the rest.
    shutil.move(parked, folder)
    assert worker.submit(tokens.reinitialize, MODULE).result()
    again = [SignJob(o if o.exists() else i, o, Role.GVCN) for i, o in zip(inputs, outputs, strict=True)]
    resumed = worker.sign_batch(again, key.spec(), Pin(PIN)).result()
    assert statuses(resumed) == [DocStatus.ALREADY_SIGNED] * 2 + [DocStatus.SIGNED] * 3
    assert all(validate_pdf(o.read_bytes(), trust).all_ok for o in outputs)


@pytest.mark.parametrize("pin_pad", [True, False])
def test_pin_pad_login_needs_no_pin(pin_pad: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    # No PIN-pad reader exists here (SoftHSM has no protected authentication path): this
    # checks the login decision only, with a stand-in for the vendor's token object.
    from pkcs11 import PROTECTED_AUTH, TokenFlag

    from app.signing.errors import PinRequiredError

    opened_with: dict[str, object] = {}

    class ReaderToken:
        flags = TokenFlag.TOKEN_INITIALIZED | (TokenFlag.PROTECTED_AUTHENTICATION_PATH if pin_pad else 0)

        def open(self, **kwargs: object) -> ReaderToken:
            opened_with.update(kwargs)
            return self

        def close(self) -> None:
            pass

    monkeypatch.setattr(tokens, "find_token", lambda module, ref: ReaderToken())
    ref = tokens.TokenRef(label="PINPAD")
    if pin_pad:
        with tokens.session("pinpad.so", ref, None):
            assert opened_with["user_pin"] is PROTECTED_AUTH
    else:
        with pytest.raises(PinRequiredError), tokens.session("pinpad.so", ref, None):
            pass
        assert not opened_with
