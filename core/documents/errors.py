"""The error every documents operation raises: a clear, localised message naming the template."""

from __future__ import annotations

from core.records.errors import RecordError


class DocumentError(RecordError):
    """A template could not be listed, validated, uploaded or rendered.

    ``message`` is meant for the user (already translated); ``problems`` lists the details
    of a refused upload (one line each), also shown as the message's continuation.
    """

    code = "document"

    def __init__(self, message: str, problems: list[str] | None = None):
        self.problems = list(problems or [])
        super().__init__(message)

    def describe(self) -> str:
        """The message followed by one line per problem."""
        return "\n".join([self.message, *(f"  {p}" for p in self.problems)])

    def as_dict(self) -> dict[str, object]:
        """A JSON-friendly form for APIs and the CLI."""
        return {**super().as_dict(), "problems": self.problems}
