"""What the check stage hands out: findings in catalog order and per-language counts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pipeline.models import Finding


@dataclass(frozen=True, slots=True)
class LanguageSummary:
    language: str
    path: str
    checked: int  # entries checked
    errors: int
    warnings: int

    def to_dict(self) -> dict[str, Any]:
        return {"language": self.language, "path": self.path, "checked": self.checked,
                "errors": self.errors, "warnings": self.warnings}


@dataclass(frozen=True, slots=True)
class CheckResult:
    """What ``run_checks`` found: findings in catalog order and per-language counts."""

    findings: tuple[Finding, ...]
    languages: tuple[LanguageSummary, ...]
    ignored: tuple[str, ...] = ()

    @property
    def errors(self) -> int:
        return sum(s.errors for s in self.languages)

    @property
    def warnings(self) -> int:
        return sum(s.warnings for s in self.languages)

    @property
    def ok(self) -> bool:
        """No error finding: the translation QA gate passes."""
        return self.errors == 0

    def language(self, code: str) -> LanguageSummary | None:
        return next((s for s in self.languages if s.language == code), None)

    def summary(self) -> dict[str, Any]:
        return {"languages": {s.language: s.to_dict() for s in self.languages},
                "ignored": list(self.ignored), "ok": self.ok}
