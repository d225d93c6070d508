"""Plain frozen data passed between stages.

Nothing here does I/O: a stage takes these in and hands these out, so a test
can build any of them by hand.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from pipeline.models.fastinit import fast_init

Severity = Literal["error", "warning", "notice"]


def _empty_details() -> Mapping[str, Any]:
    return MappingProxyType({})


def frozen_details(**values: Any) -> Mapping[str, Any]:
    """A read-only mapping for ``Finding.details``."""
    return MappingProxyType(dict(values))


@fast_init
@dataclass(frozen=True, slots=True, order=True)
class Location:
    """A place a person can open: a path relative to the content root and a 1-based line."""

    path: str
    line: int = 0

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path

    def __repr__(self) -> str:
        # The dataclass's text, made without its recursion guard: the digest of what
        # readability's reports show holds the repr of every finding's location.
        return f"Location(path={self.path!r}, line={self.line!r})"


@fast_init
@dataclass(frozen=True, slots=True)
class Segment:
    """One translatable message as extracted from the source."""

    msgid: str
    msgctxt: str | None = None
    locations: tuple[Location, ...] = ()
    comments: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.msgctxt, self.msgid)


@fast_init
@dataclass(frozen=True, slots=True)
class Finding:
    """A problem found by a stage, rendered later by a reporter."""

    code: str
    severity: Severity
    message: str
    location: Location | None = None
    hint: str | None = None
    related: tuple[Location, ...] = ()
    details: Mapping[str, Any] = field(default_factory=_empty_details)

    def moved_to(self, location: Location | None) -> Finding:
        """This finding at ``location``: ``replace(self, location=location)`` at a third
        of its cost (an edit moves the findings of every entry below it)."""
        return Finding(self.code, self.severity, self.message, location, self.hint,
                       self.related, self.details)

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "location": str(self.location) if self.location else None,
            "hint": self.hint,
            "related": [str(r) for r in self.related],
            "details": dict(self.details),
        }
