"""The build summary for the terminal: one row per language, the gates, the findings that
block publication (GNU style, the first of each gate), then the verdict."""

from __future__ import annotations

from collections.abc import Iterable

from pipeline.models import Finding
from pipeline.models.build import BuildResult, Gate
from pipeline.reporters.a11y_text import a11y_finding_text
from pipeline.reporters.terminal import finding_text, table

SHOWN = 20  # blocking findings printed per gate; the rest are in the gate's reports
GATE_LABELS = {"qa": "translation QA", "a11y": "accessibility"}


def shown_findings(gate: Gate) -> tuple[Finding, ...]:
    """The findings printed for a gate: the first ``SHOWN`` when it blocks, else none."""
    return gate.findings[:SHOWN] if gate.blocks else ()


def blocking_text(gates: Iterable[Gate]) -> str:
    """``path:line: severity: message [code]`` (+ hint) for each blocking gate's first
    findings, then where the rest are: ``and 5 more in output/reports/qa.json``."""
    blocks = []
    for gate in gates:
        shown = shown_findings(gate)
        if not shown:
            continue
        render = a11y_finding_text if gate.name == "a11y" else finding_text
        lines = [render(f) for f in shown]
        if len(gate.findings) > len(shown):
            lines.append(f"and {len(gate.findings) - len(shown)} more in "
                         + " and ".join(gate.reports))
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def build_summary(result: BuildResult) -> str:
    rows = []
    for row in result.languages:
        pages = f"{row.published}" + (f" (-{len(row.left_out)})" if row.left_out else "")
        met = {True: "met", False: "over", None: "-"}[row.readability_met]
        rows.append((row.tag, f"{row.completeness:.1f} %", pages,
                     f"{row.fallback}/{row.outdated}", f"{row.qa_errors}/{row.qa_warnings}",
                     f"{row.readability} {met}", row.a11y_errors))
    lines = [table(("language", "complete", "pages", "fallback/outdated", "QA err/warn",
                    "readability", "a11y errors"),
                   rows, (False, True, True, True, True, False, True))]
    lines.append("")
    for gate in result.gates:
        state = "pass" if gate.passed else ("BLOCK" if gate.enabled else "warn")
        lines.append(f"gate {gate.name:<12} {state:<5} {gate.detail}")
    if result.verdict == "deferred":
        lines.append(f"pa11y: deferred to the shards; {len(result.rendered)} page(s) "
                     "re-rendered")
    else:
        lines.append(f"pa11y: {len(result.a11y_checked)} document(s) checked (site pages "
                     f"and reports), {result.a11y_reused} reused from the cache; "
                     f"{len(result.rendered)} page(s) re-rendered")
    for note in result.notes:
        lines.append(f"note: {note}")
    lines.append("")
    blocking = blocking_text(result.gates)
    if blocking:
        lines += [blocking, ""]
    if result.verdict == "published":
        word = "published" if result.republished else "published (unchanged, already live)"
        lines.append(f"{word}: {result.published_to} (build {result.build_id})"
                     if result.published_to else "passed (not published: --no-publish)")
    elif result.verdict == "deferred":
        lines.append(f"deferred: build {result.build_id}, accessibility check to come: "
                     "'pipeline a11y --shard I/N' for each of N shards, then 'pipeline gate "
                     "--a11y-from DIR'" + (f"; already blocking: {'; '.join(result.reasons)}"
                                           if result.reasons else ""))
    else:
        lines.append("blocked, because " + "; ".join(result.reasons))
    return "\n".join(lines)
