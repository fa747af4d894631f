"""What the signer is told when the token, the PIN or the certificate is wrong.

Every refusal happens before any document is touched: inputs stay as they were and no
output appears.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pkcs11 import TokenFlag
from pkcs11 import exceptions as p11

from app.signing import tokens
from app.signing.batch import SignJob
from app.signing.errors import (
    CertificateExpiredError,
    CertificateMismatchError,
    CertificateNotFoundError,
    CertificateNotYetValidError,
    CertificateUsageError,
    KeyNotFoundError,
    NoTokenError,
    PinEntryCancelledError,
    PinLockedError,
    SigningError,
    TokenError,
    TokenRemovedError,
    WrongPinError,
)
from app.signing.pin import Pin
from app.signing.roles import Role
from app.signing.signers import TokenSignerSpec
from app.signing.worker import TokenWorker
from tests.signing.conftest import MODULE, PIN, Tokens, fresh_token, set_token_flags
from tests.signing.pdfs import student_record


def _attempt(worker: TokenWorker, tmp_path: Path, spec: TokenSignerSpec, pin: str = PIN) -> SigningError:
    source = tmp_path / "in.pdf"
    source.write_bytes(student_record())
    before = source.read_bytes()
    output = tmp_path / "out.pdf"
    with pytest.raises(SigningError) as caught:
        worker.sign_batch([SignJob(source, output, Role.GVCN)], spec, Pin(pin)).result()
    assert source.read_bytes() == before and not output.exists()
    return caught.value


def test_wrong_pin_reports_the_tokens_warning(tmp_path: Path, hsm: Tokens, worker: TokenWorker) -> None:
    key = fresh_token(hsm, worker, "GV sai PIN")
    error = _attempt(worker, tmp_path, key.spec(), pin="000000")
    assert isinstance(error, WrongPinError)
    # SoftHSM raises CKF_USER_PIN_COUNT_LOW after a failure (it exposes no count of tries).
    assert error.count_low and not error.final_try
    assert error.message.startswith("Mã PIN không đúng.") and "đã có lần nhập sai" in error.message
    assert error.field == "pin"
    # The right PIN still works afterwards.
    source = tmp_path / "in.pdf"
    result = worker.sign_batch(
        [SignJob(source, tmp_path / "ok.pdf", Role.GVCN)], key.spec(), Pin(PIN)
    ).result()
    assert result.complete


def test_wrong_pin_on_the_final_try_warns_about_locking(
    tmp_path: Path, hsm: Tokens, worker: TokenWorker
) -> None:
    key = fresh_token(hsm, worker, "GV lan cuoi")
    set_token_flags(hsm, worker, key.label, TokenFlag.USER_PIN_FINAL_TRY)
    info = next(t for t in worker.list_tokens(MODULE).result() if t.label == key.label)
    assert info.pin_final_try  # shown before the PIN is typed
    error = _attempt(worker, tmp_path, key.spec(), pin="000000")
    assert isinstance(error, WrongPinError) and error.final_try
    assert "CHỈ CÒN MỘT LẦN THỬ" in error.message


def test_locked_pin_is_refused_without_spending_a_try(
    tmp_path: Path, hsm: Tokens, worker: TokenWorker
) -> None:
    key = fresh_token(hsm, worker, "GV bi khoa")
    set_token_flags(hsm, worker, key.label, TokenFlag.USER_PIN_LOCKED)
    # SoftHSM would accept the right PIN despite the flag: only the app's check refuses here.
    error = _attempt(worker, tmp_path, key.spec())
    assert isinstance(error, PinLockedError)
    assert "đã bị khoá" in error.message


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (p11.PinLocked(), PinLockedError),
        (p11.PinExpired(), PinLockedError),
        (p11.FunctionCancelled(), PinEntryCancelledError),  # Cancel pressed on a PIN-pad reader
        (p11.DeviceRemoved(), NoTokenError),
        (p11.MechanismInvalid(), TokenError),
    ],
)
def test_token_errors_before_the_batch_map_to_messages(
    hsm: Tokens, raised: p11.PKCS11Error, expected: type[SigningError]
) -> None:
    # Codes SoftHSM never returns (a real token's lockout, a PIN pad's cancel button).
    error = tokens.translate(raised, MODULE, tokens.TokenRef(label="không có"), during_batch=False)
    assert type(error) is expected and error.message


def test_session_loss_during_a_batch_means_removed(hsm: Tokens) -> None:
    for raised in (p11.DeviceRemoved(), p11.SessionHandleInvalid(), p11.PKCS11Error("not initialized")):
        error = tokens.translate(raised, MODULE, tokens.TokenRef(label="x"), during_batch=True)
        assert isinstance(error, TokenRemovedError)


def test_expired_certificate(tmp_path: Path, hsm: Tokens, worker: TokenWorker) -> None:
    error = _attempt(worker, tmp_path, hsm.expired.spec())
    assert isinstance(error, CertificateExpiredError) and "đã hết hạn" in error.message


def test_certificate_not_yet_valid(tmp_path: Path, hsm: Tokens, worker: TokenWorker) -> None:
    error = _attempt(worker, tmp_path, hsm.not_yet_valid.spec())
    assert isinstance(error, CertificateNotYetValidError) and "chỉ có hiệu lực từ" in error.message


def test_certificate_without_signing_usage(tmp_path: Path, hsm: Tokens, worker: TokenWorker) -> None:
    error = _attempt(worker, tmp_path, hsm.encryption_only.spec())
    assert isinstance(error, CertificateUsageError)


def test_wrong_persons_certificate(tmp_path: Path, hsm: Tokens, worker: TokenWorker) -> None:
    # The account is registered with Nguyễn Văn An's certificate; Lê Văn Cường's token is plugged.
    spec = hsm.other_teacher.spec(expected_cert_sha256=hsm.teacher.sha256.upper())
    error = _attempt(worker, tmp_path, spec)
    assert isinstance(error, CertificateMismatchError)
    assert "Lê Văn Cường" in error.message and "không phải chứng thư đã đăng ký" in error.message


def test_registered_certificate_is_accepted_in_any_spelling(
    tmp_path: Path, hsm: Tokens, worker: TokenWorker
) -> None:
    source = tmp_path / "in.pdf"
    source.write_bytes(student_record())
    colons = ":".join(hsm.teacher.sha256[i : i + 2] for i in range(0, 64, 2)).upper()
    spec = hsm.teacher.spec(expected_cert_sha256=colons)
    assert worker.sign_batch([SignJob(source, source, Role.GVCN)], spec, Pin(PIN)).result().complete


def test_unknown_certificate_id_and_certificate_without_key(
    tmp_path: Path, hsm: Tokens, worker: TokenWorker
) -> None:
    error = _attempt(worker, tmp_path, hsm.teacher.spec(cert_id=b"\x99"))
    assert isinstance(error, CertificateNotFoundError) and "99" in error.message
    # The CA certificate stored on the token has no key: chosen by mistake, it is refused.
    error = _attempt(worker, tmp_path, hsm.teacher.spec(cert_id=b"\xca"))
    assert isinstance(error, CertificateUsageError | KeyNotFoundError)


def test_token_not_plugged(tmp_path: Path, hsm: Tokens, worker: TokenWorker) -> None:
    spec = TokenSignerSpec(MODULE, b"\x01", token_serial="0000000000000000")
    error = _attempt(worker, tmp_path, spec)
    assert isinstance(error, NoTokenError) and "Hãy cắm token" in error.message


def test_tokens_are_found_by_label_or_serial_never_by_slot(hsm: Tokens, worker: TokenWorker) -> None:
    listed = worker.list_tokens(MODULE).result()
    teacher = next(t for t in listed if t.label == hsm.teacher.label)
    assert teacher.manufacturer == "SoftHSM project" and teacher.serial
    certs = worker.list_certificates(MODULE, tokens.TokenRef(serial=teacher.serial)).result()
    mine = next(c for c in certs if c.cka_id == hsm.teacher.cka_id)
    assert mine.common_name == "Nguyễn Văn An" and mine.sha256 == hsm.teacher.sha256
    assert mine.can_sign and {"digital_signature", "non_repudiation"} <= mine.key_usage
    assert mine.issuer.startswith("Common Name: CA cấp dưới thử nghiệm")
    assert any(c.is_ca and not c.can_sign for c in certs)  # the CA certificate on the token
