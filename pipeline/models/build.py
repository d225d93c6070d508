"""What the build hands out: the gates, a summary row per language, the verdict, and
what one shard of a deferred build's accessibility check did.

``pipeline.build`` makes them; ``build.json`` is ``BuildResult.to_dict``, and the
reporters (terminal summary, CI annotations) read them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pipeline.models import Finding
from pipeline.models.a11y import A11yResult, Shard


@dataclass(frozen=True, slots=True)
class Gate:
    """One gate's decision: whether it passed, and whether that blocks publication."""

    name: str  # a11y, qa, completeness, readability
    enabled: bool
    passed: bool
    detail: str
    findings: tuple[Finding, ...] = ()  # what fails the gate, for the summary to show
    reports: tuple[str, ...] = ()  # where all of them are listed

    @property
    def blocks(self) -> bool:
        return self.enabled and not self.passed

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "enabled": self.enabled, "passed": self.passed,
                "blocks": self.blocks, "detail": self.detail}


@dataclass(frozen=True, slots=True)
class LanguageRow:
    """One line of the build summary."""

    lang: str
    tag: str
    completeness: float  # mean over the language's pages, in %
    published: int
    left_out: tuple[str, ...]  # slugs not published (withdrawn ones included)
    fallback: int
    outdated: int
    qa_errors: int
    qa_warnings: int
    readability: str  # "FK grade 10.8 (target ≤ 8)"
    readability_met: bool | None
    a11y_errors: int
    withdrawn: tuple[str, ...] = ()  # slugs that left the language: their URLs serve a notice

    def to_dict(self) -> dict[str, Any]:
        return {k: (list(v) if isinstance(v, tuple) else v)
                for k, v in ((s, getattr(self, s)) for s in self.__slots__)}


Verdict = Literal["published", "blocked", "deferred"]


@dataclass(frozen=True, slots=True)
class BuildResult:
    # deferred: built, the accessibility check left to shards and 'pipeline gate'
    verdict: Verdict
    reasons: tuple[str, ...]
    gates: tuple[Gate, ...]
    languages: tuple[LanguageRow, ...]
    rendered: tuple[str, ...]  # slugs re-rendered this time
    a11y_checked: tuple[str, ...]  # pages pa11y ran on this time
    a11y_reused: int  # pages whose earlier result was reused
    notes: tuple[str, ...]
    published_to: str | None
    build_id: str | None
    seconds: float = field(default=0.0, compare=False)
    republished: bool = True  # False: the live site already was this build
    # (stage, seconds): where a slow build spends its time, without a profiler.
    timings: tuple[tuple[str, float], ...] = field(default=(), compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "reasons": list(self.reasons),
            "gates": [g.to_dict() for g in self.gates],
            "languages": [row.to_dict() for row in self.languages],
            "rendered": list(self.rendered),
            "a11y_checked": list(self.a11y_checked),
            "a11y_reused": self.a11y_reused,
            "notes": list(self.notes),
            "published_to": self.published_to,
            "build_id": self.build_id,
            "republished": self.republished,
            "seconds_by_stage": {stage: round(s, 3) for stage, s in self.timings},
        }


@dataclass(frozen=True, slots=True)
class ShardRun:
    """What one shard checked."""

    shard: Shard
    build_id: str
    result: A11yResult  # its documents only
    documents: Mapping[str, str]  # page → sha256 of the bytes checked
    ran: tuple[str, ...]  # pages pa11y ran on this time (the rest came from the cache)
