"""Accessibility results → output/reports/a11y.html, a report that is itself accessible.

One self-contained page (inline CSS, no script): the verdict, the run's facts, a
table of pages and languages, then every error and warning per page with where to fix
it (catalog entry, source line or template), the element, its HTML and the runners
that found it; axe's "needs review" results and the baseline's accepted findings in
their own sections. Notices are counted here and listed in a11y.json. The report is
English (``lang="en"``): it is for the people running the pipeline, not the site's
readers. It is written before pa11y-ci starts and checked in the same run, then
rewritten with the results from the same template. Text from the checked pages is
shown in ``<code>`` / ``<bdi>`` so its direction never spills into the report, and
invisible bidi controls are shown as ``<U+202E>``.
"""

from __future__ import annotations

import html
import re
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pipeline.errors import PipelineError
from pipeline.models import Finding
from pipeline.models.a11y import A11yResult, gates
from pipeline.reporters.htmldoc import report_document

_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
ENTRY_SHOWN = 100  # characters of a catalog entry's source text shown: enough to search

STYLE = """
:root { color: #1b1b1b; background: #fff; font-family: system-ui, sans-serif;
  line-height: 1.5; }
body { margin: 0 auto; max-width: 72rem; padding: 1rem; }
h1, h2, h3 { line-height: 1.25; }
code { font-family: ui-monospace, monospace; font-size: 0.95em; background: #f3f3f3;
  padding: 0 0.2em; white-space: pre-wrap; overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; margin: 1rem 0; }
caption { text-align: start; font-weight: bold; padding: 0.25rem 0; }
th, td { border: 1px solid #6b6b6b; padding: 0.3rem 0.5rem; text-align: start;
  vertical-align: top; }
td.num { text-align: end; }
.verdict { font-size: 1.25rem; font-weight: bold; padding: 0.5rem 0.75rem;
  border: 3px solid currentColor; display: inline-block; }
.pass { color: #0a5a28; }
.fail { color: #a4001d; }
.pending { color: #3d3d3d; }
.findings { list-style: none; padding: 0; }
.finding { border: 1px solid #6b6b6b; border-inline-start: 0.5rem solid #6b6b6b;
  padding: 0.5rem 0.75rem; margin: 0.75rem 0; }
.finding.error { border-inline-start-color: #a4001d; }
.finding.warning { border-inline-start-color: #8a5300; }
.finding.accepted { border-inline-start-color: #0a5a28; }
.severity { font-weight: bold; text-transform: uppercase; letter-spacing: 0.03em; }
.error .severity { color: #a4001d; }
.warning .severity { color: #7a4a00; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 1rem;
  margin: 0.5rem 0 0; }
dt { font-weight: bold; }
dd { margin: 0; }
"""


def _esc(text: object) -> str:
    """Escape for HTML, showing invisible bidi controls as <U+XXXX>."""
    shown = _BIDI.sub(lambda m: f"<U+{ord(m.group(0)):04X}>", str(text))
    return html.escape(shown, quote=True)


def _code(text: object) -> str:
    return f'<bdi><code dir="ltr">{_esc(text)}</code></bdi>'


def _page(title: str, body: Iterable[str]) -> str:
    return report_document(_esc(title), STYLE, body, main_id="main")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def render_report(result: A11yResult, *, pending: bool = False) -> str:
    """The report for ``result``; ``pending`` before pa11y-ci has run (results to come)."""
    gating = result.gating
    if pending:
        verdict, css = "Check in progress: pa11y-ci results are not in yet", "pending"
    elif result.passed:
        verdict, css = "Passed: no finding blocks publication", "pass"
    else:
        verdict, css = f"Failed: {_plural(len(gating), 'finding')} block publication", "fail"
    title = ("Accessibility report: " + ("in progress" if pending else
             "passed" if result.passed else f"failed, {_plural(len(gating), 'finding')}"))
    body = [
        "<h1>Accessibility report</h1>",
        f'<p class="verdict {css}">{_esc(verdict)}</p>',
        "<dl>",
        f"<dt>Standard</dt><dd>{_esc(result.standard)}</dd>",
        "<dt>Checked by</dt><dd>" + _esc(", ".join(
            f"{r} {result.runner_versions.get(r, '')}".strip() for r in result.runners))
        + (f" (pa11y-ci {_esc(result.pa11y_ci_version)})" if result.pa11y_ci_version else "")
        + "</dd>",
        "<dt>Documents checked</dt><dd>" + _esc(_documents(result)) + "</dd>",
        "<dt>Counts</dt><dd>" + _esc(
            f"{_plural(result.count('error'), 'error')}, "
            f"{_plural(result.count('warning'), 'warning')}, "
            f"{_plural(result.count('notice'), 'notice')} (listed in a11y.json), "
            f"{result.accepted} accepted, {len(result.needs_review)} to review") + "</dd>",
        "<dt>Warnings</dt><dd>" + ("block publication" if result.warnings_gate
                                   else "reported, do not block publication") + "</dd>",
        "<dt>Baseline</dt><dd>" + (_code(result.baseline) if result.baseline else "none")
        + "</dd>",
        "</dl>",
        *_pages_table(result, pending),
    ]
    body.append("<h2>Findings</h2>")
    shown = [f for f in result.findings if f.severity != "notice" or f.code == "baseline-unused"]
    if not shown:
        body.append("<p>None.</p>" if not pending else
                    "<p>None from the language checks; pa11y-ci results to come.</p>")
    by_page: dict[str, list[Finding]] = {}
    for finding in shown:
        by_page.setdefault(str(finding.details.get("page", "")), []).append(finding)
    languages = {r.page: r.language for r in result.results}
    for n, (page, findings) in enumerate(by_page.items(), 1):
        body.append(f'<h3 id="page-{n}">{_code(page)} ({_esc(languages.get(page, "?"))})</h3>')
        body.append('<ol class="findings">')
        body += [_finding_item(f, gates(f, result.warnings_gate)) for f in findings]
        body.append("</ol>")
    body.append("<h2>Needs review (not gating)</h2>")
    if result.needs_review:
        body.append("<p>axe could not decide these; a person should look.</p>")
        body.append('<ol class="findings">')
        body += [_finding_item(f, False) for f in result.needs_review]
        body.append("</ol>")
    else:
        body.append("<p>None.</p>")
    return _page(title, body)


def _pages_table(result: A11yResult, pending: bool) -> list[str]:
    rows = [
        "<h2>Pages</h2>",
        "<table>",
        "<caption>Result per page and language</caption>",
        "<thead><tr>" + "".join(
            f'<th scope="col">{h}</th>' for h in
            ("Page", "Language", "Errors", "Warnings", "Notices", "Accepted", "Result"))
        + "</tr></thead>",
        "<tbody>",
    ]
    for page in result.results:
        status = "pending" if pending else ("passed" if page.passed else "failed")
        rows.append(
            f'<tr><th scope="row">{_code(page.page)}</th><td>{_esc(page.language or "?")}</td>'
            f'<td class="num">{page.errors}</td><td class="num">{page.warnings}</td>'
            f'<td class="num">{page.notices}</td><td class="num">{page.accepted}</td>'
            f"<td>{status}</td></tr>"
        )
    rows += ["</tbody>", "</table>"]
    return rows


def _finding_item(finding: Finding, gating: bool) -> str:
    details = finding.details
    accepted = details.get("accepted")
    classes = ["finding", finding.severity] + (["accepted"] if accepted else [])
    label = finding.severity + (", blocks publication" if gating else "")
    parts = [
        f'<li class="{" ".join(classes)}">',
        f'<p><span class="severity">{_esc(label)}</span> {_code(finding.code)} '
        f'<span dir="auto">{_esc(finding.message)}</span></p>',
        "<dl>",
    ]
    if finding.location:
        parts.append(f"<dt>Fix in</dt><dd>{_code(finding.location)} "
                     f"({_esc(details.get('traced', ''))})</dd>")
    if details.get("msgid"):
        parts.append("<dt>Catalog entry</dt><dd>" + _entry(details) + "</dd>")
    if finding.related:
        parts.append("<dt>Also</dt><dd>" + ", ".join(_code(r) for r in finding.related)
                     + "</dd>")
    if details.get("selector"):
        parts.append(f"<dt>Element</dt><dd>{_code(details['selector'])}</dd>")
    if details.get("context"):
        parts.append(f"<dt>HTML</dt><dd>{_code(details['context'])}</dd>")
    if details.get("runners"):
        codes = ", ".join(str(c) for c in details.get("codes", ()))
        parts.append("<dt>Found by</dt><dd>" + _esc(", ".join(details["runners"]))
                     + (f" ({_code(codes)})" if codes else "") + "</dd>")
    if details.get("wcag"):
        parts.append(f"<dt>WCAG</dt><dd>{_esc(', '.join(details['wcag']))}</dd>")
    if finding.hint:
        parts.append(f"<dt>Hint</dt><dd>{_esc(finding.hint)}</dd>")
    if accepted:
        parts.append(f"<dt>Accepted</dt><dd>by {_code(accepted['entry'])} until "
                     f"{_esc(accepted['expires'])}: {_esc(accepted['reason'])}</dd>")
    parts += ["</dl>", "</li>"]
    return "\n".join(parts)


def _entry(details: Mapping[str, Any]) -> str:
    """The entry a catalog finding names, as a translator finds it in Poedit or
    Weblate: by its source text (the line moves with every edit above it)."""
    text = " ".join(str(details["msgid"]).split())
    shown = textwrap.shorten(text, ENTRY_SHOWN, placeholder=" …")
    if shown == "…":  # no word boundary early enough (a URL, a source text in Chinese)
        shown = text[:ENTRY_SHOWN - 1] + "…"
    context = details.get("msgctxt")
    return f'<q dir="auto">{_esc(shown)}</q>' + (
        f" (context {_code(context)})" if context else "")


def render_failure(error: PipelineError, pages: Sequence[str] = ()) -> str:
    body = [
        "<h1>Accessibility report</h1>",
        '<p class="verdict fail">Failed: the pages could not be checked</p>',
        f"<p>{_esc(error.message)}</p>",
    ]
    if error.location:
        body.append(f"<p>Where: {_code(error.location)}</p>")
    if error.hint:
        body.append(f"<p>Hint: {_esc(error.hint)}</p>")
    if pages:
        body.append("<ul>" + "".join(f"<li>{_code(p)}</li>" for p in pages) + "</ul>")
    return _page("Accessibility report: check failed", body)


def _documents(result: A11yResult) -> str:
    """How many documents were checked, split the way a reader counts them: the site's
    pages (every language, the chooser and section pages) and the HTML reports."""
    # A site page's url is where it is published; a report's is its path.
    reports = sum(1 for r in result.results if not r.url.startswith(("http://", "https://")))
    pages = len(result.results) - reports
    return (f"{len(result.results)}: {_plural(pages, 'site page')}, "
            f"{_plural(reports, 'report')}")
