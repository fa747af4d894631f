"""The one exception type the rules engine raises for bad or incomplete input."""

from __future__ import annotations

__all__ = ["RuleInputError"]


class RuleInputError(ValueError):
    """Input the rules cannot evaluate: out of range, malformed or incomplete.

    ``field`` is a path into the input (``"subjects[2].hk1.ck"``, ``"conduct.hk1"``,
    ``"$"`` for the whole payload) so a screen or the command line can point at the
    exact cell; ``message`` is Vietnamese and meant for a teacher to read.
    It subclasses ValueError so generic callers that already catch ValueError keep working.
    """

    field: str
    message: str

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message

    def __reduce__(self) -> tuple[type[RuleInputError], tuple[str, str]]:
        # Keep the two-argument constructor when pickled (e.g. across a process pool).
        return (type(self), (self.field, self.message))
