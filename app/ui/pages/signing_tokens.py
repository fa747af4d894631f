"""Token work for the "Ký số" page, run ON THE TOKEN THREAD (TokenWorker.submit): no Qt here.

`match_certificates` finds, on the tokens present, the certificates registered to the
signer; `obtain_pin` asks the PIN through a blocking callable (the GUI answers it through a
queued signal, see dialogs.pin_dialog.PinBroker), checks it with one login so a wrong PIN
is reported in the dialog itself with the token's own warning, and returns it for the
batch. Readers with a PIN pad (protected authentication path) are not asked: the batch
logs in on the reader.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from app.i18n import _
from app.signing import tokens
from app.signing.certinfo import CertificateInfo
from app.signing.errors import PinLockedError, SigningError, WrongPinError
from app.signing.pin import Pin
from app.signing.signers import TokenSignerSpec

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TokenMatch:
    spec: TokenSignerSpec
    token: tokens.TokenInfo
    certificate: CertificateInfo


@dataclass(frozen=True)
class PinRequest:
    token_label: str
    signer_name: str
    documents: int
    error: str | None = None  # why the previous PIN was refused
    warning: str | None = None  # the token says it is close to locking itself


@dataclass
class PinOutcome:
    pin: Pin | None = None
    pin_pad: bool = False
    cancelled: bool = False


def match_certificates(present: Sequence[tokens.TokenInfo], wanted: frozenset[str]) -> tuple[TokenMatch, ...]:
    """Certificates on the present tokens whose SHA-256 is in `wanted` (token thread only)."""
    found = []
    for token in present:
        try:
            certs = tokens.list_certificates(token.module_path, token.ref)
        except SigningError as exc:
            # Pulled out meanwhile, or a vendor module refusing: the next poll tells.
            log.info("certificates of token %r not readable: %s", token.label, exc.message)
            continue
        for cert in certs:
            if cert.sha256 in wanted:
                spec = TokenSignerSpec(
                    token.module_path, cert.cka_id, token_serial=token.serial or None,
                    token_label=token.label or None,
                )  # fmt: skip
                found.append(TokenMatch(spec, token, cert))
    log.debug("tokens %s: %d registered certificates found", [t.label for t in present], len(found))
    return tuple(found)


def pin_warning(info: tokens.TokenInfo) -> str | None:
    if info.pin_final_try:
        return _("Token báo CHỈ CÒN MỘT LẦN THỬ: nhập sai lần nữa token sẽ bị khoá.")
    if info.pin_count_low:
        return _("Token báo đã có lần nhập sai PIN: số lần thử còn lại đang giảm.")
    return None


def obtain_pin(
    spec: TokenSignerSpec, ask: Callable[[PinRequest], str | None], request: PinRequest
) -> PinOutcome:
    """The PIN for one batch, checked by a login; raises SigningError for a locked PIN or no token."""
    error: str | None = None
    while True:
        info = tokens.token_info(spec.module_path, tokens.find_token(spec.module_path, spec.token_ref))
        if info.pin_locked:
            raise PinLockedError()
        if info.pin_pad:
            return PinOutcome(pin_pad=True)
        text = ask(replace(request, error=error, warning=pin_warning(info)))
        if text is None:
            return PinOutcome(cancelled=True)
        pin = Pin(text)
        del text
        try:
            with tokens.session(spec.module_path, spec.token_ref, pin):
                pass
        except WrongPinError as exc:
            pin.wipe()
            error = exc.message
            continue
        except BaseException:
            pin.wipe()
            raise
        return PinOutcome(pin=pin)
