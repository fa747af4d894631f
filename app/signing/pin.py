"""A PIN held in memory for one batch only, then wiped.

The PIN lives in a bytearray this object owns, so `wipe()` really overwrites it. Python
strings are immutable: the text the user typed and the short-lived `str` that
python-pkcs11 needs at each login cannot be overwritten, only dropped; keep them local
and short-lived. Never logged, never pickled, never shown by repr().
"""

from __future__ import annotations

from typing import NoReturn


class PinWipedError(RuntimeError):
    """The PIN was used after its batch ended (a bug, not a user error)."""


class Pin:
    __slots__ = ("_secret",)

    def __init__(self, value: str) -> None:
        self._secret = bytearray(value.encode("utf-8"))

    def reveal(self) -> str:
        """The PIN as python-pkcs11 wants it; call right at the login, keep nothing."""
        if not self._secret:
            raise PinWipedError("PIN đã bị xoá khỏi bộ nhớ")
        return self._secret.decode("utf-8")

    @property
    def wiped(self) -> bool:
        return not self._secret

    def wipe(self) -> None:
        for i in range(len(self._secret)):
            self._secret[i] = 0
        self._secret = bytearray()

    def __enter__(self) -> Pin:
        return self

    def __exit__(self, *exc: object) -> None:
        self.wipe()

    def __del__(self) -> None:
        self.wipe()

    def __repr__(self) -> str:
        return "Pin(<đã xoá>)" if self.wiped else "Pin(***)"

    __str__ = __repr__

    def __reduce__(self) -> NoReturn:
        raise TypeError("a PIN is never pickled")
