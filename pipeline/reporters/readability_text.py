"""Readability result → terminal text: the page-by-language table and the hardest sentences."""

from __future__ import annotations

from pipeline.models.readability import PageReadability, ReadabilityResult
from pipeline.reporters.terminal import table


def _met(row: PageReadability) -> str:
    if row.met is None:
        return "not scored"
    return "yes" if row.met else "NO"


def _others(row: PageReadability) -> str:
    primary = row.primary
    return ", ".join(f"{s.formula.name} {s.value:.1f}" for s in row.scores if s is not primary)


def summary_table(result: ReadabilityResult) -> str:
    """One row per page and language: formula, score, target, met, other scores."""
    rows = []
    for row in result.pages:
        primary = row.primary
        rows.append((
            row.slug, row.lang.code, row.target.formula.name,
            f"{primary.value:.1f}" if primary else "—", row.target.text, _met(row),
            f"{row.counts.words} {'chars' if row.unit == 'characters' else 'words'}, "
            f"{row.counts.sentences} sentences",
            f"{row.fallback_blocks}/{row.blocks}", _others(row),
        ))
    return table(("page", "lang", "formula", "score", "target", "met", "counted",
                  "fallback", "other scores"), rows,
                 (False, False, False, True, False, False, False, True, False))


def hardest_text(result: ReadabilityResult, only_over_target: bool = True) -> str:
    """The hardest sentences of each page and language over its target, GNU style."""
    out: list[str] = []
    for row in result.pages:
        if only_over_target and row.met is not False:
            continue
        if not row.hardest:
            continue
        out.append(f"Hardest sentences, {row.slug} ({row.lang.code}):")
        for s in row.hardest:
            text = s.text if len(s.text) <= 90 else s.text[:87].rstrip() + "…"
            size = f"{s.counts.words} {row.unit}"
            if row.unit == "words":
                size += f", {s.counts.syllables} syllables"
            out.append(f"{s.location}: {size}: {text}")
    return "\n".join(out)


def advice_summary(result: ReadabilityResult) -> str:
    """``advice: 31 notices (plain-language 20, …)`` for the notices not printed."""
    codes: dict[str, int] = {}
    for finding in result.findings:
        if finding.severity == "notice":
            codes[finding.code] = codes.get(finding.code, 0) + 1
    if not codes:
        return ""
    count = sum(codes.values())
    parts = ", ".join(f"{code} {n}" for code, n in sorted(codes.items()))
    return f"advice: {count} notice{'s' * (count != 1)} ({parts}); -v prints them"
