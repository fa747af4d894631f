"""Finding the school's seal token and its PIN for a transfer package: token-thread work, no Qt.

The seal's certificate is one the school registered (`registered_seals`); the tokens present
on the configured PKCS#11 modules are searched for it, then the PIN is asked through the
signing page's PIN broker (a blocking callable answered on the GUI thread) and checked with
one login, so a wrong PIN is said in the PIN dialog itself.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from app.errors import UserCancelled, UserFacingError
from app.i18n import _
from app.signing.errors import SigningError
from app.signing.pin import Pin
from app.signing.signers import TokenSignerSpec
from app.signing.tokens import TokenInfo
from app.signing.worker import TokenWorker
from app.ui.pages.signing_tokens import PinRequest, match_certificates, obtain_pin


def seal_signer(
    worker: TokenWorker,
    modules: Sequence[str],
    wanted: frozenset[str],
    ask: Callable[[PinRequest], str | None],
    school_name: str,
) -> tuple[TokenSignerSpec, Pin | None]:
    """The seal token's signer spec and PIN (None for a PIN pad); call from a pool thread."""
    if not wanted:
        raise UserFacingError(
            _("Trường chưa đăng ký chứng thư con dấu. Hãy nhờ cán bộ quản trị đăng ký con dấu trước.")
        )
    present: list[TokenInfo] = []
    for module in modules:
        try:
            present.extend(worker.list_tokens(module).result())
        except SigningError:
            continue  # a module that cannot be loaded: the others may still hold the seal
    matches = worker.submit(match_certificates, present, wanted).result()
    if not matches:
        raise UserFacingError(
            _("Không tìm thấy token con dấu của trường. Hãy cắm token con dấu vào máy rồi bấm lại.")
        )
    match = matches[0]
    spec = replace(match.spec, expected_cert_sha256=match.certificate.sha256)
    request = PinRequest(match.token.label, school_name, 1)
    outcome = worker.submit(obtain_pin, spec, ask, request).result()
    if outcome.cancelled:
        raise UserCancelled()
    return spec, outcome.pin
