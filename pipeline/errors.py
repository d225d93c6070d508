"""Errors a user can act on: ``path:line: message`` plus a hint (GNU style)."""

from __future__ import annotations

import signal

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


class Stopped(BaseException):
    """The run was asked to stop (SIGTERM, SIGINT). Raised in the main thread by the
    CLI's signal handler, so that every cleanup on the way out runs (pa11y-ci and its
    browsers stopped, temp files removed); a BaseException, so that no ``except
    Exception`` takes it for a failure to report and carries on."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum
        self.stopped: list[str] = []  # what the cleanup stopped: "pa11y-ci and its browsers"

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name

    @property
    def exit_code(self) -> int:
        return 130 if self.signum == signal.SIGINT else 1


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
