"""The build summary for the terminal: one row per language, then the verdict."""

from __future__ import annotations

from pipeline.build import BuildResult
from pipeline.reporters.terminal import table


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
    lines.append(f"pa11y: {len(result.a11y_checked)} page(s) checked, "
                 f"{result.a11y_reused} reused from the cache; "
                 f"{len(result.rendered)} page(s) re-rendered")
    for note in result.notes:
        lines.append(f"note: {note}")
    lines.append("")
    if result.verdict == "published":
        word = "published" if result.republished else "published (unchanged, already live)"
        lines.append(f"{word}: {result.published_to} (build {result.build_id})"
                     if result.published_to else "passed (not published: --no-publish)")
    else:
        lines.append("blocked, because " + "; ".join(result.reasons))
    return "\n".join(lines)
