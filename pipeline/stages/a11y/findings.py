"""pa11y-ci's issues → ``Finding``s, each traced to where it is fixed.

One finding per defect: axe and htmlcs often report the same one (``image-alt`` and
``…1_1_1.H37`` on the same element), grouped by element, severity and a shared WCAG
criterion. Each is traced from the element to the catalog entry, the Markdown line or
the template line behind it (``pipeline.text.htmltree.trace``); the catalogs are parsed
for that while pa11y-ci runs (``Tracer``). A stylesheet, image or script the page asked
for and the server could not give is a finding too.
"""

from __future__ import annotations

import contextlib
import functools
import re
import threading
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pipeline.config import Config
from pipeline.errors import PipelineError
from pipeline.infra.fsutil import read_text
from pipeline.infra.server import StaticServer
from pipeline.models import Finding, Location, Severity, frozen_details
from pipeline.stages.a11y.langcheck import element_context
from pipeline.stages.a11y.runner import AXE_EXTRA_CRITERIA
from pipeline.stages.a11y.targets import Target
from pipeline.text.htmltree import Element, Locate, pa11y_selector, select_one, trace
from pipeline.text.langs import Lang
from pipeline.text.translations import PoLocator

if TYPE_CHECKING:
    from pipeline.workspace import Workspace

SEVERITY_RANK: Mapping[str, int] = {"error": 3, "warning": 2, "notice": 1}
_HTMLCS_SC = re.compile(r"Guideline\d+_\d+\.(\d+)_(\d+)_(\d+)")
_HELP_URL = re.compile(r"\s*\((https?://[^)\s]+)\)\s*$")


@dataclass(slots=True)
class Issue:
    """One issue as a runner (axe or htmlcs) reported it."""

    runner: str
    code: str
    severity: Severity
    message: str
    selector: str
    context: str
    criteria: tuple[str, ...]
    needs_review: bool
    help_url: str


def read_issue(raw: Mapping[str, Any], rules: Mapping[str, tuple[str, ...]]) -> Issue:
    """One issue of pa11y-ci's report, with the WCAG criteria its rule checks."""
    runner = str(raw.get("runner", ""))
    code = str(raw["code"])
    kind = str(raw.get("type", "error"))
    severity: Severity = kind if kind in ("error", "warning", "notice") else "error"  # type: ignore[assignment]
    message = str(raw.get("message", ""))
    help_url = ""
    if match := _HELP_URL.search(message):
        help_url = match.group(1)
        message = message[: match.start()]
    extras = raw.get("runnerExtras") or {}
    if runner == "axe":
        criteria = rules.get(code, AXE_EXTRA_CRITERIA.get(code, ()))
        help_url = help_url or str(extras.get("helpUrl", ""))
    else:
        criteria = tuple(".".join(m.groups()) for m in _HTMLCS_SC.finditer(code))[:1]
    return Issue(runner, code, severity, message.strip(), str(raw.get("selector") or ""),
                 str(raw.get("context") or ""), tuple(criteria),
                 bool(extras.get("needsFurtherReview")), help_url)


def group_issues(issues: Sequence[Issue]) -> list[list[Issue]]:
    """One group per defect: same element, same severity, and a shared WCAG criterion
    (axe ``image-alt`` and htmlcs ``…1_1_1.H37``) or the same code."""
    groups: list[list[Issue]] = []
    for issue in issues:
        for group in groups:
            head = group[0]
            if (head.selector == issue.selector and head.severity == issue.severity
                    and head.needs_review == issue.needs_review
                    and (issue.code in {i.code for i in group}
                         or set(issue.criteria) & {c for i in group for c in i.criteria})
                    and issue.runner not in {i.runner for i in group}):
                group.append(issue)
                break
        else:
            groups.append([issue])
    return groups


_FIX_WHERE = {
    "catalog": "fix the translation in the catalog entry",
    "source": "fix the source page",
    "template": "fix the template",
    "page": "the element comes from the renderer or a template",
}


def issue_finding(group: Sequence[Issue], target: Target, url: str, language: str,
                  tree: Element | None, templates: Mapping[str, str], standard: str,
                  locate: Locate | None = None) -> Finding:
    """One defect's finding, traced from its element to where it is fixed."""
    first = next((i for i in group if i.runner == "axe"), group[0])
    severity = max((i.severity for i in group), key=lambda s: SEVERITY_RANK[s])
    element = select_one(tree, first.selector) if tree is not None and first.selector else None
    if element is not None:
        where = trace(element, target.page, templates if target.folder == "build" else None,
                      locate)
        location, related, kind = where.location, where.related, where.kind
        entry = where.entry_details
    else:
        location, related, kind, entry = Location(target.page), (), "page", {}
    criteria = sorted({c for i in group for c in i.criteria},
                      key=lambda c: tuple(int(x) for x in c.split(".")))
    help_url = next((i.help_url for i in group if i.help_url), "")
    hint = _FIX_WHERE[kind]
    if criteria:
        hint += f"; WCAG {', '.join(criteria)}"
    if help_url:
        hint += f"; {help_url}"
    return Finding(
        code=first.code,
        severity=severity,
        message=first.message,
        location=location,
        hint=hint,
        related=related,
        details=frozen_details(
            url=url,
            page=target.page,
            language=language,
            runner="+".join(sorted({i.runner for i in group})),
            runners=tuple(sorted({i.runner for i in group})),
            codes=tuple(i.code for i in group),
            messages=tuple(f"{i.runner}: {i.message}" for i in group),
            selector=first.selector,
            context=first.context,
            standard=standard,
            wcag=tuple(criteria),
            traced=kind,
            needs_review=first.needs_review,
            help_url=help_url,
            **entry,
        ),
    )


def resource_findings(target: Target, url: str, language: str, tree: Element | None,
                      served: StaticServer, page_url: str,
                      templates: Mapping[str, str]) -> list[Finding]:
    """A stylesheet, image or script the page asked for and the server could not give.

    Traced to the source line or the template, never to a catalog entry: a page shows
    the source's URLs in every language (``text.markup.translated_children``), so a
    translated image's missing file is fixed where the source names it."""
    found: list[Finding] = []
    for entry in served.log:
        if entry.status == 200 or entry.referer != page_url or entry.path == "/favicon.ico":
            continue
        element = None
        if tree is not None:
            for node in tree.iter():
                ref = node.attrs.get("src") or (node.attrs.get("href") if node.tag == "link"
                                                else None)
                if ref and urllib.parse.urlsplit(
                        urllib.parse.urljoin(page_url, ref)).path == urllib.parse.quote(
                            entry.path):
                    element = node
                    break
        where = trace(element, target.page, templates) if element is not None else None
        found.append(Finding(
            code="resource-not-found",
            severity="error",
            message=f"the page loads {entry.path}, which the server could not serve "
                    f"({entry.status}: {entry.reason})",
            location=where.location if where else Location(target.page),
            hint="render the missing file, or fix the link; without it the page was "
                 "checked as a reader would not see it",
            related=where.related if where else (),
            details=frozen_details(url=url, page=target.page, language=language,
                                   runner="server", runners=("server",),
                                   codes=("resource-not-found",),
                                   selector=_selector(element),
                                   context=element_context(element) if element else "",
                                   standard="", wcag=(), traced=where.kind if where else "page",
                                   needs_review=False, help_url=""),
        ))
    return found


def _selector(element: Element | None) -> str:
    return pa11y_selector(element) if element is not None else ""


# --- tracing -----------------------------------------------------------------------------

def read_templates(config: Config) -> dict[str, str]:
    """Every template's text, by path relative to the root: where an element is traced."""
    templates: dict[str, str] = {}
    if config.templates_dir.is_dir():
        for file in sorted(config.templates_dir.rglob("*")):
            if file.is_file() and file.suffix in (".html", ".j2", ".jinja", ".xml"):
                with contextlib.suppress(PipelineError):
                    templates[config.rel(file)] = read_text(file, config.rel(file))
    return templates


class Tracer:
    """A ``PoLocator`` made on first use, or ahead of it in a thread (``start``).

    The thread's work is joined (``join``) before anything else touches the locator, and
    an error it met is raised there: the run still fails, after pa11y-ci rather than
    before it. A run that fails or is stopped meanwhile does not wait for it.
    """

    def __init__(self, config: Config, ws: Workspace):
        self.config = config
        self.ws = ws  # the catalogs are read through it
        self._locator: PoLocator | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    @property
    def locator(self) -> PoLocator:
        self.join()
        if self._locator is None:
            self._locator = PoLocator(self.config, self.ws)
        return self._locator

    def locate(self, lang: Lang, source: Location, text: str
               ) -> tuple[Location, tuple[str | None, str]] | None:
        return self.locator.entry(lang, source, text)

    def start(self, tags: set[str]) -> None:
        langs = [lang for lang in self.config.languages if lang.tag in tags]

        def load() -> None:
            try:
                locator = self._locator or PoLocator(self.config, self.ws)
                for lang in langs:
                    locator.load(lang)
                self._locator = locator
            except BaseException as exc:  # raised in the run's own thread, by join
                self._error = exc

        self._thread = threading.Thread(target=load, name="a11y-tracer", daemon=True)
        self._thread.start()

    def join(self) -> None:
        if self._thread is not None:
            self._thread.join()
            self._thread = None
            if self._error is not None:
                raise self._error


def locators(config: Config, targets: Sequence[Target], tracer: Tracer
             ) -> dict[str, Locate]:
    """Per rendered page: its source lines → today's entries in its language's catalog."""
    by_tag = {lang.tag: lang for lang in config.languages}
    out: dict[str, Locate] = {}
    for target in targets:
        lang = by_tag.get(target.language)
        if lang is not None and target.folder == "build":
            out[target.page] = functools.partial(tracer.locate, lang)
    return out

