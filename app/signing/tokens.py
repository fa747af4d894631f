"""PKCS#11 modules, tokens, logins and certificates. Call only on the token thread.

Tokens are always found again by serial and/or label, never by slot number: slot ids
change when a token is re-plugged and differ between machines. python-pkcs11 does not ask
the module for locking, so one thread (worker.TokenWorker) makes every call here.
"""

from __future__ import annotations

import contextlib
import logging
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pkcs11
from pkcs11 import Attribute, ObjectClass, TokenFlag
from pkcs11 import exceptions as p11

from app.signing.certinfo import CertificateInfo
from app.signing.errors import (
    ModuleLoadError,
    NoTokenError,
    PinEntryCancelledError,
    PinLockedError,
    PinRequiredError,
    SigningError,
    TokenError,
    TokenRemovedError,
    WrongPinError,
)
from app.signing.pin import Pin

log = logging.getLogger(__name__)

# Errors meaning the session or the device went away under us.
SESSION_LOST = (
    p11.DeviceRemoved,
    p11.DeviceError,
    p11.TokenNotPresent,
    p11.TokenNotRecognised,
    p11.SessionClosed,
    p11.SessionHandleInvalid,
    p11.ObjectHandleInvalid,
    p11.KeyHandleInvalid,
)

# Sessions this process holds open, per module path: the poller re-initialises a module
# only when none is open (re-initialising closes every session of the module).
open_sessions: Counter[str] = Counter()


@dataclass(frozen=True)
class TokenRef:
    """How the user's choice of token is remembered: serial and/or label, never a slot."""

    serial: str | None = None
    label: str | None = None

    def describe(self) -> str:
        parts = [
            f"\u201c{self.label}\u201d" if self.label else "",
            f"số sê-ri {self.serial}" if self.serial else "",
        ]
        return " ".join(p for p in parts if p)


@dataclass(frozen=True)
class TokenInfo:
    module_path: str
    label: str
    serial: str
    manufacturer: str
    model: str
    pin_pad: bool  # protected authentication path: the PIN is typed on the reader
    pin_count_low: bool
    pin_final_try: bool
    pin_locked: bool

    @property
    def ref(self) -> TokenRef:
        return TokenRef(serial=self.serial or None, label=self.label or None)

    @property
    def identity(self) -> tuple[str, str, str]:
        return (self.module_path, self.serial, self.label)


def load_module(path: str) -> Any:
    """The python-pkcs11 library object for `path` (cached and re-initialised if needed)."""
    try:
        return pkcs11.lib(path)
    except (p11.PKCS11Error, OSError) as exc:
        raise ModuleLoadError(path, str(exc) or exc.__class__.__name__) from exc


def reinitialize(path: str) -> bool:
    """C_Finalize + C_Initialize so tokens plugged since are seen; False if sessions are open."""
    if open_sessions[path]:
        return False
    lib = load_module(path)
    lib.reinitialize()
    return True


def _serial_text(raw: bytes | str) -> str:
    if isinstance(raw, bytes):
        return raw.decode("ascii", "replace").strip()
    return raw.strip()


def token_info(module_path: str, token: Any) -> TokenInfo:
    flags = TokenFlag(token.flags)
    return TokenInfo(
        module_path=module_path,
        label=token.label.strip(),
        serial=_serial_text(token.serial),
        manufacturer=token.manufacturer_id.strip(),
        model=token.model.strip(),
        pin_pad=bool(flags & TokenFlag.PROTECTED_AUTHENTICATION_PATH),
        pin_count_low=bool(flags & TokenFlag.USER_PIN_COUNT_LOW),
        pin_final_try=bool(flags & TokenFlag.USER_PIN_FINAL_TRY),
        pin_locked=bool(flags & TokenFlag.USER_PIN_LOCKED),
    )


def _present_tokens(module_path: str) -> Iterator[Any]:
    lib = load_module(module_path)
    for slot in lib.get_slots(token_present=True):
        try:
            token = slot.get_token()
        except (p11.TokenNotPresent, p11.TokenNotRecognised, p11.DeviceRemoved):
            continue  # pulled out between the two calls
        # An uninitialised token (SoftHSM's spare slot, a blank card) has nothing to sign with.
        if TokenFlag(token.flags) & TokenFlag.TOKEN_INITIALIZED:
            yield token


def list_tokens(module_path: str) -> tuple[TokenInfo, ...]:
    return tuple(token_info(module_path, t) for t in _present_tokens(module_path))


def find_token(module_path: str, ref: TokenRef) -> Any:
    """The one present token matching `ref`; NoTokenError if none, TokenError if ambiguous."""
    matches = [
        t
        for t in _present_tokens(module_path)
        if (ref.serial is None or _serial_text(t.serial) == ref.serial)
        and (ref.label is None or t.label.strip() == ref.label)
    ]
    if not matches:
        raise NoTokenError(ref.describe() or None)
    if len(matches) > 1:
        raise TokenError("có nhiều token trùng thông tin; hãy chỉ cắm một token")
    return matches[0]


def _fresh_token_flags(module_path: str, ref: TokenRef) -> TokenFlag:
    try:
        return TokenFlag(find_token(module_path, ref).flags)
    except SigningError:
        return TokenFlag(0)


def translate(exc: p11.PKCS11Error, module_path: str, ref: TokenRef, *, during_batch: bool) -> SigningError:
    """Map a python-pkcs11 error to the message a teacher can act on."""
    if isinstance(exc, p11.PinIncorrect | p11.PinInvalid | p11.PinLenRange):
        # The flags after the failure tell how close the token is to locking itself.
        flags = _fresh_token_flags(module_path, ref)
        if flags & TokenFlag.USER_PIN_LOCKED:
            return PinLockedError()
        return WrongPinError(
            count_low=bool(flags & TokenFlag.USER_PIN_COUNT_LOW),
            final_try=bool(flags & TokenFlag.USER_PIN_FINAL_TRY),
        )
    if isinstance(exc, p11.PinLocked | p11.PinExpired):
        return PinLockedError()
    if isinstance(exc, p11.FunctionCancelled):
        return PinEntryCancelledError()
    if isinstance(exc, SESSION_LOST) or (during_batch and type(exc) is p11.PKCS11Error):
        # A bare PKCS11Error here is CKR_CRYPTOKI_NOT_INITIALIZED and friends: the module
        # was finalised under the batch, which is what a vanished token looks like too.
        return TokenRemovedError() if during_batch else NoTokenError(ref.describe() or None)
    return TokenError(exc.__class__.__name__)


@contextmanager
def session(
    module_path: str, ref: TokenRef, pin: Pin | None, *, login: bool = True, rw: bool = False
) -> Iterator[Any]:
    """An open session on the token `ref`, logged in with `pin` (or on the reader's PIN pad).

    The PIN becomes a `str` only for the C_Login call.
    """
    token = find_token(module_path, ref)
    flags = TokenFlag(token.flags)
    kwargs: dict[str, Any] = {"rw": rw}
    if login:
        if flags & TokenFlag.USER_PIN_LOCKED:
            # Do not spend a try: the token already says no login is possible.
            raise PinLockedError()
        if pin is not None:
            kwargs["user_pin"] = pin.reveal()
        elif flags & TokenFlag.PROTECTED_AUTHENTICATION_PATH:
            kwargs["user_pin"] = pkcs11.PROTECTED_AUTH
        else:
            raise PinRequiredError()
    try:
        opened = token.open(**kwargs)
    except p11.PKCS11Error as exc:
        raise translate(exc, module_path, ref, during_batch=False) from None
    finally:
        kwargs.clear()
    open_sessions[module_path] += 1
    try:
        yield opened
    finally:
        open_sessions[module_path] -= 1
        with contextlib.suppress(p11.PKCS11Error):  # the token is gone; nothing left to close
            opened.close()


def read_certificates(opened: Any) -> tuple[CertificateInfo, ...]:
    """Every certificate object on the token, with its CKA_ID and label."""
    found = []
    for obj in opened.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE}):
        try:
            der = bytes(obj[Attribute.VALUE])
        except p11.PKCS11Error:
            continue
        cka_id = _attribute(obj, Attribute.ID, b"")
        label = _attribute(obj, Attribute.LABEL, "")
        try:
            found.append(CertificateInfo.from_der(der, cka_id=bytes(cka_id), label=str(label)))
        except ValueError:
            log.warning("bỏ qua một chứng thư không đọc được trên token")
    return tuple(found)


def list_certificates(module_path: str, ref: TokenRef) -> tuple[CertificateInfo, ...]:
    """Certificates readable without a PIN (certificates are public objects on every CA token)."""
    with session(module_path, ref, None, login=False) as opened:
        return read_certificates(opened)


def find_private_key(opened: Any, cka_id: bytes) -> Any | None:
    keys = list(opened.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY, Attribute.ID: cka_id}))
    return keys[0] if len(keys) == 1 else None


def always_authenticate(key: Any) -> bool:
    return bool(_attribute(key, Attribute.ALWAYS_AUTHENTICATE, False))


def slot_mechanisms(token: Any) -> frozenset[Any]:
    try:
        return frozenset(token.slot.get_mechanisms())
    except p11.PKCS11Error:
        return frozenset()


def _attribute(obj: Any, attribute: Attribute, default: Any) -> Any:
    try:
        return obj[attribute]
    except (p11.AttributeTypeInvalid, p11.AttributeSensitive, p11.FunctionFailed, KeyError):
        return default
