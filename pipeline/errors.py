"""Errors a user can act on: ``path:line: message`` plus a hint (GNU style)."""

from __future__ import annotations

from pipeline.models import Location


class PipelineError(Exception):
    """A problem with the user's input or environment; shown without a traceback."""

    exit_code = 1

    def __init__(self, message: str, location: Location | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.location = location
        self.hint = hint

    def __str__(self) -> str:
        return format_message(self.message, self.location, self.hint)


class UsageError(PipelineError):
    """The command line itself is wrong (exit status 2)."""

    exit_code = 2


def format_message(
    message: str, location: Location | None = None, hint: str | None = None, prefix: str = ""
) -> str:
    head = f"{location}: " if location else ""
    text = f"{head}{prefix}{message}"
    if hint:
        text += f"\n  hint: {hint}"
    return text
