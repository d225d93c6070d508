"""Accessibility results → terminal lines, GNU style, and a one-line summary.

Each error and warning: ``path:line: severity: message [code]``, then the page,
its language and the element, then the hint. Notices and axe's "needs review"
results are only counted here (a11y.json lists them; a11y.html lists those to review).
"""

from __future__ import annotations

from pipeline.models import Finding
from pipeline.models.a11y import A11yResult
from pipeline.reporters.terminal import finding_text


def a11y_finding_text(finding: Finding, *, needs_review: bool = False) -> str:
    details = finding.details
    head, _, hint = finding_text(finding).partition("\n")
    where = f"  page: {details.get('page', '')} ({details.get('language') or '?'})"
    if details.get("selector"):
        where += f", element: {details['selector']}"
    if details.get("runners"):
        where += f" [{', '.join(details['runners'])}]"
    lines = [head, where]
    if "accepted" in details:
        accepted = details["accepted"]
        lines.append(f"  accepted by {accepted['entry']} until {accepted['expires']}: "
                     f"{accepted['reason']} (does not block)")
    if needs_review:
        lines.append("  needs review: axe could not decide (does not block)")
    if hint:
        lines.append(hint)
    return "\n".join(lines)


def a11y_text(result: A11yResult) -> str:
    blocks = [a11y_finding_text(f) for f in result.findings if f.severity != "notice"]
    blocks.append(summary(result))
    return "\n".join(blocks)


def summary(result: A11yResult) -> str:
    failed = [r for r in result.results if not r.passed]
    runners = ", ".join(result.runners)
    verdict = "passed" if result.passed else (
        f"FAILED: {len(result.gating)} finding(s) block publication on {len(failed)} page(s)")
    return (
        f"a11y: {len(result.results)} document(s) checked ({result.standard}; {runners}): "
        f"{result.count('error')} errors, {result.count('warning')} warnings, "
        f"{result.count('notice')} notices, {result.accepted} accepted, "
        f"{len(result.needs_review)} need review; {verdict}"
    )
