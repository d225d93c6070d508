"""What the update stage hands out: each catalog's merge summary, and catalog counts."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Stats:
    language: str
    path: str
    translated: int
    fuzzy: int
    untranslated: int
    obsolete: int

    @property
    def total(self) -> int:
        return self.translated + self.fuzzy + self.untranslated

    @property
    def percent(self) -> float:
        return 100.0 * self.translated / self.total if self.total else 100.0

    def to_dict(self) -> dict[str, object]:
        return {"language": self.language, "path": self.path, "translated": self.translated,
                "fuzzy": self.fuzzy, "untranslated": self.untranslated,
                "obsolete": self.obsolete, "total": self.total,
                "percent": round(self.percent, 1)}


@dataclass(frozen=True, slots=True)
class UpdateResult:
    language: str
    path: str
    written: bool
    created: bool
    new_fuzzy: int
    new_untranslated: int
    newly_obsolete: int
    # (old msgid, new msgid, why): translations kept across a confirmed typo-level fix
    carried_over: tuple[tuple[str, str, str], ...] = ()
    # the file changed after it was read: nothing was written to it
    changed_meanwhile: bool = False
