"""Rendered site → pa11y-ci (axe + HTML_CodeSniffer in headless Chromium) → findings.

Input: the rendered pages under ``output/build/`` and the HTML reports under
``output/reports/``. Output: an ``A11yResult`` (``pipeline.models.a11y``): findings
traced to the Markdown line, the catalog entry or the template behind each element,
results per page and language. Writing the reports is the caller's business.

How: both folders are served on 127.0.0.1 (``pipeline.infra.server``); pa11y-ci runs on
them (``runner``); its issues become findings (``findings``) and the language and
direction checks of ``langcheck`` run on the same pages and gate the same way; the
baseline (``baseline``) accepts known findings until a date. Anything that keeps a page
from being checked — pa11y-ci or Chromium missing, a crash, a page that does not load
or is not served 200, a missing result, a timeout, output that is not JSON, nothing to
check — raises ``PipelineError``: the gate fails closed and never says "0 issues" for
an unchecked page.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

from pipeline.config import Config
from pipeline.errors import PipelineError
from pipeline.infra.fsutil import read_text, write_text_atomic
from pipeline.infra.lock import child_marker
from pipeline.infra.server import StaticServer
from pipeline.models import Finding, Location, frozen_details
from pipeline.models.a11y import A11yResult, PageResult, by_page, gates
from pipeline.stages.a11y.baseline import BaselineEntry, apply_baseline, load_baseline
from pipeline.stages.a11y.findings import (
    SEVERITY_RANK,
    Tracer,
    group_issues,
    issue_finding,
    locators,
    read_issue,
    read_templates,
    resource_findings,
)
from pipeline.stages.a11y.langcheck import RUNNER as LANGCHECK
from pipeline.stages.a11y.langcheck import check_page, lang_info
from pipeline.stages.a11y.runner import (
    RUNNERS,
    axe_rules,
    default_concurrency,
    find_chromium,
    find_pa11y_ci,
    pa11y_config,
    package_version,
    results_by_page,
    run_pa11y_ci,
)
from pipeline.stages.a11y.targets import (
    PENDING,
    REPORTS,
    Target,
    all_targets,
    folders,
    pending_report,
    public_url,
    target,
)
from pipeline.text.htmltree import Element, parse_html
from pipeline.workspace import Workspace

RenderPending = Callable[[A11yResult], str]


def run_a11y(
    config: Config,
    pages: Sequence[str] | None = None,
    *,
    standard: str | None = None,
    concurrency: int | None = None,
    today: dt.date | None = None,
    render_pending: RenderPending | None = None,
    ws: Workspace | None = None,
) -> A11yResult:
    """Check ``pages`` (paths relative to output/build, or to the content root for
    output/reports/…; None: every page in output/build and every HTML report) with
    pa11y-ci and the language checks, and apply the baseline.

    ``render_pending``: renders this run's own a11y.html before pa11y-ci has run (the
    language findings in, pa11y's to come); that document is checked with the pages
    (alone when ``pages`` is empty), as ``output/reports/a11y.html``, so the report the
    caller then writes from the same template is checked as published.

    Findings are traced to catalog entries read through ``ws`` (one of its own when None).

    Raises ``PipelineError`` whenever a page could not be checked (fail closed).
    """
    started = time.monotonic()
    result = _run(config, pages, standard or config.a11y.standard,
                  concurrency or config.a11y.concurrency or default_concurrency(),
                  today or dt.date.today(), render_pending, ws or Workspace())
    return replace(result, seconds=time.monotonic() - started)


def _run(config: Config, pages: Sequence[str] | None, standard: str, concurrency: int,
         today: dt.date, render_pending: RenderPending | None, ws: Workspace
         ) -> A11yResult:
    baseline = load_baseline(config)
    pa11y_ci = find_pa11y_ci(config)
    chromium, _origin = find_chromium(config)
    report_file = config.output_dir / REPORTS / "a11y.html"
    targets = [target(config, p) for p in pages] if pages is not None else all_targets(config)
    # this run's own report is checked as written for this run, below
    targets = list({t.page: t for t in targets if t.file != report_file}.values())
    if (not targets and not (render_pending and pages is not None)) or (
            pages is None and not any(t.folder == "build" for t in targets)):
        raise PipelineError(
            "nothing to check: no rendered pages in "
            f"{config.rel(folders(config)['build'])}",
            hint="run 'pipeline render' first",
        )
    templates = read_templates(config)
    tracer = Tracer(config, ws)
    locate = locators(config, targets, tracer)

    trees: dict[str, Element] = {}
    languages: dict[str, str] = {}
    lang_findings: list[Finding] = []
    for item in targets:
        tree = parse_html(read_text(item.file, item.page))
        trees[item.page] = tree
        info = lang_info(tree.attrs.get("lang", "").strip())
        languages[item.page] = item.language or (info.tag if info else "")
        if item.folder == "build":
            lang_findings += check_page(tree, item.page, expected_lang=item.language or None,
                                        url=public_url(config, item),
                                        templates=templates, locate=locate.get(item.page))
    lang_findings = [replace(f, details=frozen_details(**{
        **f.details, "standard": standard, "language": languages[f.details["page"]]}))
        for f in lang_findings]

    cache = config.output_dir / ".cache" / "a11y"
    served = folders(config)
    if render_pending is not None:
        # The report, rendered from the same template as the final one with the language
        # findings in and pa11y's to come, is checked by this very run. It is served
        # from the cache so that an unchanged a11y.html is never rewritten.
        served[PENDING] = cache / PENDING
        pending_file = pending_report(config)
        page = config.rel(report_file)
        targets.append(Target(page, PENDING, report_file.name, pending_file, "en"))
        pending = _assemble(config, targets, languages, lang_findings, standard,
                            baseline, today, {}, "", chromium)
        write_text_atomic(pending_file, render_pending(pending), config.rel(pending_file))
        trees[page] = parse_html(read_text(pending_file, config.rel(pending_file)))
        languages[page] = "en"

    cache.mkdir(parents=True, exist_ok=True)
    config_file = cache / "pa11y-ci.json"
    with contextlib.ExitStack() as stack:
        servers: dict[str, StaticServer] = {}
        for folder in sorted({t.folder for t in targets}):
            servers[folder] = stack.enter_context(
                StaticServer(served[folder], config.rel(served[folder])))
        urls = {t.page: servers[t.folder].url(t.rel) for t in targets}
        write_text_atomic(config_file, json.dumps(pa11y_config(
            list(urls.values()), standard=standard, chromium=chromium,
            timeout_s=config.a11y.timeout, concurrency=concurrency), indent=2) + "\n",
            config.rel(config_file))
        # Tracing findings to .po lines parses the POT and the catalogs: done while
        # pa11y-ci runs (this thread only waits on it), not before it starts.
        tags = {t.language for t in targets if t.folder == "build"}
        report = run_pa11y_ci(pa11y_ci, config_file, config.a11y.run_timeout, chromium,
                              config.rel(config_file), child_marker(config.output_dir),
                              started=lambda: tracer.start(tags))
        tracer.join()
        raw = results_by_page(report, targets, urls, servers)
        extra: list[Finding] = []
        for item in targets:
            extra += resource_findings(item, public_url(config, item),
                                       languages[item.page], trees.get(item.page),
                                       servers[item.folder], urls[item.page], templates)

    rules, versions = axe_rules(pa11y_ci, cache)
    pa11y_findings: list[Finding] = []
    for item in targets:
        issues = [read_issue(raw_issue, rules) for raw_issue in raw[item.page]]
        for group in group_issues(issues):
            pa11y_findings.append(issue_finding(group, item, public_url(config, item),
                                                languages[item.page], trees.get(item.page),
                                                templates, standard, locate.get(item.page)))
    return replace(_assemble(config, targets, languages,
                             lang_findings + pa11y_findings + extra, standard, baseline,
                             today, versions, package_version(pa11y_ci), chromium),
                   concurrency=concurrency)


def _assemble(config: Config, targets: Sequence[Target], languages: Mapping[str, str],
              findings: Sequence[Finding], standard: str,
              baseline: Sequence[BaselineEntry], today: dt.date,
              versions: Mapping[str, str], pa11y_version: str, chromium: str) -> A11yResult:
    warnings_gate = config.a11y.warnings_gate
    checked = [t.page for t in targets]
    reviewed = [f for f in findings if f.details.get("needs_review")]
    kept = [f for f in findings if not f.details.get("needs_review")]
    kept = apply_baseline(kept, baseline, today, checked)
    order = {page: n for n, page in enumerate(checked)}

    def key(f: Finding) -> tuple[int, int, Location, int, str]:
        page = str(f.details.get("page", ""))
        line = next((r.line for r in f.related if r.path == page), 0)
        return (order.get(page, len(order)), -SEVERITY_RANK[f.severity],
                f.location or Location(""), line, f.code)

    kept.sort(key=key)
    reviewed.sort(key=key)
    found = by_page(kept)
    results = []
    for item in targets:
        mine = found.get(item.page, [])
        live = [f for f in mine if "accepted" not in f.details]
        results.append(PageResult(
            page=item.page,
            url=public_url(config, item),
            language=languages.get(item.page, item.language),
            errors=sum(1 for f in live if f.severity == "error"),
            warnings=sum(1 for f in live if f.severity == "warning"),
            notices=sum(1 for f in live if f.severity == "notice"),
            accepted=len(mine) - len(live),
            passed=not any(gates(f, warnings_gate) for f in mine),
        ))
    return A11yResult(
        findings=tuple(kept),
        needs_review=tuple(reviewed),
        results=tuple(results),
        runners=(*RUNNERS, LANGCHECK),
        runner_versions=dict(versions),
        pa11y_ci_version=pa11y_version,
        pages=tuple(checked),
        standard=standard,
        warnings_gate=warnings_gate,
        chromium=chromium,
        baseline=config.a11y.baseline if baseline else None,
    )

