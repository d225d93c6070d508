"""What the accessibility stage hands out: a result per checked document and the run's,
and, for a check split across CI runners, the shards' results and their merge.

``pipeline.stages.a11y`` makes them; the reporters (terminal, JSON, JUnit, HTML) and the
build's gate read them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.errors import PipelineError, UsageError
from pipeline.models import Finding, Location, Severity

_SHARD_ARG = re.compile(r"\s*([0-9]+)\s*/\s*([0-9]+)\s*")


def gates(finding: Finding, warnings_gate: bool) -> bool:
    """Whether a finding blocks the gate: errors (and warnings if so configured),
    unless the baseline accepts it. axe "needs review" results never gate."""
    if "accepted" in finding.details or finding.details.get("needs_review"):
        return False
    return finding.severity == "error" or (warnings_gate and finding.severity == "warning")


def by_page(findings: Iterable[Finding]) -> dict[object, list[Finding]]:
    """Each page's findings (``details["page"]``), in their order: grouped in one pass,
    for whoever goes through the pages (a walk of all findings for each page was
    quadratic: 1.3 s with a warning on each of 5,000 page-languages)."""
    out: dict[object, list[Finding]] = {}
    for finding in findings:
        out.setdefault(finding.details.get("page"), []).append(finding)
    return out


@dataclass(frozen=True, slots=True)
class PageResult:
    """One checked page in one language."""

    page: str  # path relative to the content root: output/build/es/x.html
    url: str  # where it is published (build pages) or its path (reports)
    language: str  # BCP 47 tag
    errors: int
    warnings: int
    notices: int
    accepted: int  # findings the baseline accepts (not counted above)
    passed: bool


@dataclass(frozen=True, slots=True)
class A11yResult:
    """What ``run_a11y`` found. ``findings`` holds one finding per defect (the runners'
    duplicate reports grouped), accepted ones included and marked ``details["accepted"]``;
    ``needs_review`` holds axe's "incomplete" results, which never gate."""

    findings: tuple[Finding, ...]
    needs_review: tuple[Finding, ...]
    results: tuple[PageResult, ...]
    runners: tuple[str, ...]  # ("axe", "htmlcs", "langcheck")
    runner_versions: Mapping[str, str]
    pa11y_ci_version: str
    pages: tuple[str, ...]  # the pages checked, relative to the content root
    standard: str
    warnings_gate: bool
    chromium: str
    baseline: str | None  # the baseline file used, relative to the root
    seconds: float = field(default=0.0, compare=False)
    concurrency: int = 0  # pages Chromium checked at once; 0: not known (a merged result)

    @property
    def gating(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if gates(f, self.warnings_gate))

    @property
    def passed(self) -> bool:
        return not self.gating

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings
                   if f.severity == severity and "accepted" not in f.details)

    @property
    def accepted(self) -> int:
        return sum(1 for f in self.findings if "accepted" in f.details)


# --- a check split across CI runners (pipeline.stages.a11y.shards) -------------------------

@dataclass(frozen=True, slots=True, order=True)
class Shard:
    """Shard ``index`` of ``total``, 1-based as CI runners number their jobs."""

    index: int
    total: int

    def __str__(self) -> str:
        return f"{self.index}/{self.total}"

    @property
    def file_name(self) -> str:
        return f"a11y-shard-{self.index}-of-{self.total}.json"

    @classmethod
    def parse(cls, text: str) -> Shard:
        match = _SHARD_ARG.fullmatch(text)
        if not match or not 1 <= int(match.group(1)) <= int(match.group(2)):
            raise UsageError(f"--shard {text!r}: expected I/N with 1 <= I <= N, e.g. 2/4",
                             hint="in GitHub Actions: ${{ matrix.shard }}/${{ strategy.job-total "
                             "}}; in GitLab: $CI_NODE_INDEX/$CI_NODE_TOTAL")
        return cls(int(match.group(1)), int(match.group(2)))


@dataclass(frozen=True, slots=True)
class ShardFile:
    """One shard's result file, as read."""

    path: Path
    shard: Shard
    build_id: str | None
    error: PipelineError | None  # the shard could not check its documents
    documents: Mapping[str, str]  # page → sha256 of the bytes checked
    ran: tuple[str, ...]  # pages pa11y ran on (the rest came from the shard's cache)
    result: A11yResult | None

    def where(self) -> Location:
        return Location(str(self.path))


@dataclass(frozen=True, slots=True)
class Merged:
    """Every shard's result as one, for the gate."""

    result: A11yResult
    checked: Mapping[str, str]  # page → sha256 of the bytes checked
    ran: tuple[str, ...]  # documents pa11y ran on in this build's shards
    shards: int
