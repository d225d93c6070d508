"""What pre-fill hands out: the entries an engine filled, and the catalog's summary."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Fill:
    """One entry the engine filled."""

    msgid: str
    msgctxt: str | None
    fuzzy: bool
    score: float | None = None  # translation-memory similarity (1.0 = exact)
    origin: str | None = None  # where the translation came from (path:line, engine)
    line: int = 0  # the entry's msgid line in the written catalog

    def to_dict(self) -> dict[str, Any]:
        return {"msgid": self.msgid, "msgctxt": self.msgctxt, "fuzzy": self.fuzzy,
                "score": None if self.score is None else round(self.score, 3),
                "origin": self.origin, "line": self.line}


@dataclass(frozen=True, slots=True)
class PrefillResult:
    language: str
    path: str
    engine: str
    created: bool
    written: bool
    fills: tuple[Fill, ...]
    untranslated: int  # active entries still without a translation
    memory_units: int = 0

    @property
    def exact(self) -> int:
        return sum(1 for f in self.fills if not f.fuzzy)

    @property
    def fuzzy(self) -> int:
        return sum(1 for f in self.fills if f.fuzzy)

    def to_dict(self) -> dict[str, Any]:
        return {"language": self.language, "path": self.path, "engine": self.engine,
                "created": self.created, "written": self.written, "filled": self.exact,
                "fuzzy": self.fuzzy, "untranslated": self.untranslated,
                "memory_units": self.memory_units, "fills": [f.to_dict() for f in self.fills]}
