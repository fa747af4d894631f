"""Exceptions that cross layers.

Services raise `UserFacingError` with a Vietnamese message a teacher can act on; the UI
and the command line show `message` as it is. Anything else escaping a service is a bug.
"""

from __future__ import annotations


class UserFacingError(Exception):
    """An error the user can fix; `message` says what happened and what to do."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class UserCancelled(Exception):
    """The user cancelled an operation (closed a PIN dialog, pressed Cancel)."""


class NotFound(UserFacingError):
    """Something the user named (a class, a student, a file) does not exist."""
