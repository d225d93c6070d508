"""Rendered site → pa11y-ci (axe + HTML_CodeSniffer in headless Chromium) → findings.

Input: the rendered pages under ``output/build/`` and the HTML reports under
``output/reports/``. Output: an ``A11yResult`` (findings traced to the Markdown line,
the catalog entry or the template behind each element, results per page and language)
and ``output/reports/a11y.json``, ``a11y.junit.xml`` and ``a11y.html``.

How: both folders are served on 127.0.0.1 (``pipeline.infra.server``); a pa11y-ci config is
generated (standard, runners axe and htmlcs, Chromium from the config or the
environment, the launch flags of ``../shared/notes/pa11y.md``); ``pa11y-ci --json``
runs in its own process group under a time limit, and is stopped with its browsers
when the run is stopped (SIGTERM, SIGINT) or dies; its JSON is checked URL by URL.
The language and direction checks of ``pipeline.stages.a11y.langcheck`` run on the same pages
and gate the same way. Anything that keeps a page from being checked — pa11y-ci or
Chromium missing, a crash, a page that does not load or is not served 200, a missing
result, a timeout, output that is not JSON, nothing to check — raises
``PipelineError``: the gate fails closed and never says "0 issues" for an unchecked
page. A baseline file (``a11y-baseline.toml``) accepts known findings until a date.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time
import tomllib
import urllib.parse
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from pipeline.config import Config
from pipeline.errors import PipelineError, Stopped
from pipeline.infra.fsutil import read_text, write_text_atomic
from pipeline.infra.lock import child_marker
from pipeline.infra.procs import die_with_parent, stop_marked
from pipeline.infra.server import StaticServer
from pipeline.infra.workload import cpus
from pipeline.models import Finding, Location, Severity, frozen_details
from pipeline.reporters.json import dumps, finding_to_json
from pipeline.stages.a11y.langcheck import RUNNER as LANGCHECK
from pipeline.stages.a11y.langcheck import check_page, element_context, lang_info
from pipeline.text.htmltree import Element, Locate, pa11y_selector, parse_html, select_one, trace
from pipeline.text.langs import Lang
from pipeline.text.translations import PoLocator

RUNNERS = ("axe", "htmlcs")
DEFAULT_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = (
    "--no-sandbox",  # required as root; pa11y-ci exits 1 without it
    "--disable-dev-shm-usage",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
REPORTS = "reports"
PENDING = "pending"  # output/.cache/a11y/pending/: this run's report, checked before it is final
REPORT_NAMES = ("a11y.json", "a11y.junit.xml", "a11y.html")
SEVERITY_RANK: Mapping[str, int] = {"error": 3, "warning": 2, "notice": 1}
# axe best-practice rules carry no WCAG tag; these report the same defect as an htmlcs
# WCAG check on the same element, so they share its criterion for grouping.
AXE_EXTRA_CRITERIA: Mapping[str, tuple[str, ...]] = {
    "heading-order": ("1.3.1",),
    "empty-heading": ("1.3.1",),
}
_HTMLCS_SC = re.compile(r"Guideline\d+_\d+\.(\d+)_(\d+)_(\d+)")
_AXE_TAG = re.compile(r"^wcag(\d)(\d)(\d+)$")
_HELP_URL = re.compile(r"\s*\((https?://[^)\s]+)\)\s*$")


# --- results -----------------------------------------------------------------------

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

    def to_dict(self) -> dict[str, Any]:
        return {"page": self.page, "url": self.url, "language": self.language,
                "errors": self.errors, "warnings": self.warnings, "notices": self.notices,
                "accepted": self.accepted, "passed": self.passed}


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

    def to_dict(self) -> dict[str, Any]:
        """The a11y.json document (no port, no timing: unchanged input, unchanged bytes)."""
        return {
            "ok": True,
            "passed": self.passed,
            "standard": self.standard,
            "runners": list(self.runners),
            "runner_versions": dict(self.runner_versions),
            "pa11y_ci_version": self.pa11y_ci_version,
            "chromium": self.chromium,
            "warnings_gate": self.warnings_gate,
            "baseline": self.baseline,
            **({"concurrency": self.concurrency} if self.concurrency else {}),
            "pages": list(self.pages),
            "counts": {
                "gating": len(self.gating),
                "errors": self.count("error"),
                "warnings": self.count("warning"),
                "notices": self.count("notice"),
                "accepted": self.accepted,
                "needs_review": len(self.needs_review),
            },
            "results": [r.to_dict() for r in self.results],
            "findings": [{**finding_to_json(f), "gating": gates(f, self.warnings_gate)}
                         for f in self.findings],
            "needs_review": [finding_to_json(f) for f in self.needs_review],
        }


def gates(finding: Finding, warnings_gate: bool) -> bool:
    """Whether a finding blocks the gate: errors (and warnings if so configured),
    unless the baseline accepts it. axe "needs review" results never gate."""
    if "accepted" in finding.details or finding.details.get("needs_review"):
        return False
    return finding.severity == "error" or (warnings_gate and finding.severity == "warning")


# --- finding the tools -----------------------------------------------------------------

def find_pa11y_ci(config: Config) -> Path:
    """``$PIPELINE_PA11Y_CI``, else node_modules/.bin/pa11y-ci in the content root or
    beside the pipeline package, else ``pa11y-ci`` on PATH."""
    env = os.environ.get("PIPELINE_PA11Y_CI")
    candidates = [Path(env)] if env else [
        config.root / "node_modules/.bin/pa11y-ci",
        Path(__file__).resolve().parents[3] / "node_modules/.bin/pa11y-ci",
    ]
    if not env and (on_path := shutil.which("pa11y-ci")):
        candidates.append(Path(on_path))
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    where = f"$PIPELINE_PA11Y_CI={env}" if env else "node_modules/.bin/pa11y-ci"
    raise PipelineError(
        f"pa11y-ci is not installed ({where} not found); nothing was checked",
        hint="run 'make install' (npm ci with PUPPETEER_SKIP_DOWNLOAD=1) in the project",
    )


def find_chromium(config: Config) -> tuple[str, str]:
    """(path, where the setting came from): the config's ``[tool.pipeline.a11y] chromium``,
    then ``$PIPELINE_CHROMIUM``, ``$CHROME_PATH``, then Debian's /usr/bin/chromium."""
    for value, origin in (
        (config.a11y.chromium, f"{config.file}: a11y.chromium"),
        (os.environ.get("PIPELINE_CHROMIUM", ""), "$PIPELINE_CHROMIUM"),
        (os.environ.get("CHROME_PATH", ""), "$CHROME_PATH"),
        (DEFAULT_CHROMIUM, "the default path"),
    ):
        if not value:
            continue
        path = value if os.sep in value else (shutil.which(value) or value)
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            raise PipelineError(
                f"Chromium not found at {value} (from {origin}); nothing was checked",
                hint="install it (apt-get install -y chromium) or point "
                "[tool.pipeline.a11y] chromium / $PIPELINE_CHROMIUM at the browser",
            )
        return path, origin
    raise AssertionError("unreachable")


def _package_version(bin_path: Path) -> str:
    package = bin_path.resolve().parent.parent / "package.json"
    with contextlib.suppress(OSError, ValueError):
        return str(json.loads(package.read_text(encoding="utf-8"))["version"])
    return "unknown"


_RULES_JS = r"""
const base = process.argv[1];
const pa11y = require.resolve('pa11y/package.json', {paths: [base]});
const axe = require(require.resolve('axe-core', {paths: [pa11y]}));
let htmlcs = 'unknown';
try {
  const sniffer = '@pa11y/html_codesniffer/package.json';
  htmlcs = require(require.resolve(sniffer, {paths: [pa11y]})).version;
} catch (e) {}
const rules = {};
for (const r of axe.getRules()) rules[r.ruleId] = r.tags;
console.log(JSON.stringify({axe: axe.version, htmlcs, rules}));
"""


@lru_cache(maxsize=4)
def axe_rules(pa11y_ci: Path) -> tuple[Mapping[str, tuple[str, ...]], Mapping[str, str]]:
    """(axe rule id → WCAG success criteria, runner versions), asked of the installed axe."""
    node = shutil.which("node")
    if node is None:
        raise PipelineError("node is not installed; pa11y-ci cannot run",
                            hint="install Node.js 20 (make install does)")
    package_dir = pa11y_ci.resolve().parent.parent
    try:
        done = subprocess.run([node, "-e", _RULES_JS, str(package_dir)], capture_output=True,
                              text=True, timeout=60, stdin=subprocess.DEVNULL)
        data = json.loads(done.stdout)
    except (subprocess.TimeoutExpired, ValueError) as exc:
        raise PipelineError(f"cannot read axe-core's rules next to {pa11y_ci}: {exc}",
                            hint="reinstall with 'make install'") from exc
    if done.returncode != 0:
        raise PipelineError(f"cannot read axe-core's rules: {done.stderr.strip()[-300:]}",
                            hint="reinstall with 'make install'")
    rules: dict[str, tuple[str, ...]] = {}
    for rule, tags in data["rules"].items():
        criteria = [".".join(m.groups()) for t in tags if (m := _AXE_TAG.match(t))]
        rules[rule] = tuple(criteria) or AXE_EXTRA_CRITERIA.get(rule, ())
    return rules, {"axe": str(data["axe"]), "htmlcs": str(data["htmlcs"])}


# --- pages -----------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Target:
    page: str  # relative to the content root
    folder: str  # "build" or "reports"
    rel: str  # relative to that folder, "/"-separated
    file: Path
    language: str  # BCP 47 tag ("" until read from the page)


def _folders(config: Config) -> dict[str, Path]:
    return {"build": config.output_dir / "build", REPORTS: config.output_dir / REPORTS}


def _target(config: Config, name: str) -> _Target:
    """A page named relative to output/build, or relative to the content root."""
    folders = _folders(config)
    text = name.replace(os.sep, "/").strip()
    folder, rel = "build", text.lstrip("/")
    for name_, path in folders.items():
        prefix = config.rel(path) + "/"
        if text.startswith(prefix):
            folder, rel = name_, text[len(prefix):]
            break
    rel = rel.lstrip("/")
    parts = rel.split("/")
    if not rel or any(p in ("", ".", "..") for p in parts):
        raise PipelineError(f"not a page path: {name!r}",
                            hint="name pages relative to output/build, e.g. es/x.html")
    file = folders[folder] / rel
    page = f"{config.rel(folders[folder])}/{rel}"  # as named, even if a symlink
    if not file.is_file():
        raise PipelineError(
            f"page not found: {page}; nothing was checked", Location(page),
            "render the site first (pipeline render), or check the page name",
        )
    language = ""
    if folder == "build" and len(parts) > 1 and (info := lang_info(parts[0])):
        language = info.tag
    return _Target(page, folder, rel, file, language)


def _all_targets(config: Config) -> list[_Target]:
    found: list[_Target] = []
    for root in _folders(config).values():
        if root.is_dir():
            found += [_target(config, f"{config.rel(root)}/{file.relative_to(root).as_posix()}")
                      for file in sorted(root.rglob("*.html"))
                      if file.is_file() and not file.name.startswith(".")]
    return found


def _read_templates(config: Config) -> dict[str, str]:
    templates: dict[str, str] = {}
    if config.templates_dir.is_dir():
        for file in sorted(config.templates_dir.rglob("*")):
            if file.is_file() and file.suffix in (".html", ".j2", ".jinja", ".xml"):
                with contextlib.suppress(PipelineError):
                    templates[config.rel(file)] = read_text(file, config.rel(file))
    return templates


# --- pa11y-ci --------------------------------------------------------------------------

def pa11y_config(urls: Sequence[str], *, standard: str, chromium: str, timeout_s: int,
                 concurrency: int) -> dict[str, Any]:
    """The pa11y-ci JSON config (see ../shared/notes/pa11y.md for why each key)."""
    return {
        "defaults": {
            "standard": standard,
            "runners": list(RUNNERS),
            "timeout": timeout_s * 1000,
            "concurrency": concurrency,
            "useIncognitoBrowserContext": False,  # true breaks concurrency > 1
            "includeWarnings": True,
            "includeNotices": True,
            # pipe: DevTools over pa11y-ci's pipes, not a socket: Chromium exits when they
            # close, so a pa11y-ci that is killed takes its browser with it.
            "chromeLaunchConfig": {"executablePath": chromium, "args": list(CHROMIUM_ARGS),
                                   "pipe": True},
        },
        "urls": [{"url": url} for url in urls],
    }


RUN_TOKEN_ENV = "PIPELINE_A11Y_RUN"


def _stop(process: subprocess.Popen[str], token: str) -> None:
    """Stop pa11y-ci, its process group, and every Chromium it started.

    Puppeteer starts Chromium *detached* (a session of its own), so killing pa11y-ci's
    group is not enough when it dies mid-launch: the browser processes carry this
    run's unique token in their environment, and are found and stopped by it, with
    the helpers in their sessions.
    """
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=3)
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    stop_marked(RUN_TOKEN_ENV, token)


def run_pa11y_ci(pa11y_ci: Path, config_file: Path, run_timeout: float, chromium: str,
                 display: str, marker: Mapping[str, str],
                 started: Callable[[], None] | None = None) -> dict[str, Any]:
    """Run ``pa11y-ci --json --config FILE`` and return its parsed report, or raise.

    Its output goes to files, not pipes: pa11y-ci calls ``process.exit`` right after
    printing, and Node cuts a pipe's output off at 64 KiB (a file is written in full).
    ``marker``: the environment entry by which the next run on the root finds what this
    one left running if it is killed (``pipeline.infra.lock.child_marker``). The kernel kills
    pa11y-ci when this process dies, even by SIGKILL (SIGTERM would not do: Puppeteer
    catches it, closes the browser and may leave pa11y-ci waiting forever), and the
    browser, which pa11y-ci drives through a pipe, exits when the pipe closes.
    ``started``: called once pa11y-ci runs, before waiting for it.
    """
    token = uuid.uuid4().hex
    env = {**os.environ, "PUPPETEER_SKIP_DOWNLOAD": "1", "PUPPETEER_SKIP_CHROMIUM_DOWNLOAD": "1",
           RUN_TOKEN_ENV: token, **marker}
    out_file = config_file.with_name("pa11y-ci.out.json")
    err_file = config_file.with_name("pa11y-ci.err.txt")
    with open(out_file, "w+", encoding="utf-8") as out, \
            open(err_file, "w+", encoding="utf-8") as err:
        try:
            process = subprocess.Popen(
                [str(pa11y_ci), "--json", "--config", str(config_file)],
                stdout=out, stderr=err, stdin=subprocess.DEVNULL, text=True, env=env,
                cwd=config_file.parent, start_new_session=True,
                preexec_fn=die_with_parent(signal.SIGKILL),
            )
        except OSError as exc:
            raise PipelineError(f"cannot start pa11y-ci ({pa11y_ci}): {exc.strerror or exc}",
                                hint="reinstall with 'make install'") from exc
        try:
            if started is not None:
                started()
            process.wait(timeout=run_timeout)
        except subprocess.TimeoutExpired as exc:
            _stop(process, token)
            raise PipelineError(
                f"pa11y-ci did not finish within {run_timeout:g} s and was stopped; "
                "nothing was checked",
                hint="raise [tool.pipeline.a11y] run_timeout, check fewer pages per run, "
                "or raise concurrency",
            ) from exc
        except BaseException as exc:  # Stopped by SIGTERM or SIGINT, or a bug
            _stop(process, token)
            if isinstance(exc, Stopped):
                exc.stopped.append("pa11y-ci and its browsers")
            raise
        _stop(process, token)  # a browser a crashed pa11y-ci left behind
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    tail = "\n".join(stderr.strip().splitlines()[-6:])
    if process.returncode < 0:  # killed by a signal: a crash, the OOM killer, a kill -9
        raise PipelineError(
            f"pa11y-ci crashed (killed by {signal.Signals(-process.returncode).name}) before "
            "it reported; nothing was checked", Location(display),
            "run the command again; if it keeps crashing, run pa11y-ci by hand with this "
            "config file to see why (memory: lower [tool.pipeline.a11y] concurrency)",
        )
    if process.returncode not in (0, 2):
        if "launch the browser" in stderr or ("Browser" in stderr and "closed" in stderr):
            raise PipelineError(
                f"Chromium did not start ({chromium}); pa11y-ci exited "
                f"{process.returncode}: {tail}",
                hint="check the Chromium path ([tool.pipeline.a11y] chromium, "
                "$PIPELINE_CHROMIUM, $CHROME_PATH) and that it runs headless",
            )
        raise PipelineError(f"pa11y-ci failed (exit {process.returncode}): {tail or stdout[:300]}",
                            Location(display), "run it by hand with this config to see why")
    text = stdout.strip()
    if not text:
        raise PipelineError(f"pa11y-ci printed no report (exit {process.returncode}): {tail}",
                            Location(display))
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise PipelineError(f"pa11y-ci's output is not JSON ({exc}): {text[:120]!r}…",
                            Location(display)) from exc
    if not isinstance(data, dict) or not isinstance(data.get("results"), dict):
        raise PipelineError("pa11y-ci's report has no 'results' table", Location(display))
    return data


# --- findings --------------------------------------------------------------------------

@dataclass(slots=True)
class _Issue:
    runner: str
    code: str
    severity: Severity
    message: str
    selector: str
    context: str
    criteria: tuple[str, ...]
    needs_review: bool
    help_url: str


def _issue(raw: Mapping[str, Any], rules: Mapping[str, tuple[str, ...]]) -> _Issue:
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
    return _Issue(runner, code, severity, message.strip(), str(raw.get("selector") or ""),
                  str(raw.get("context") or ""), tuple(criteria),
                  bool(extras.get("needsFurtherReview")), help_url)


def _group(issues: Sequence[_Issue]) -> list[list[_Issue]]:
    """One group per defect: same element, same severity, and a shared WCAG criterion
    (axe ``image-alt`` and htmlcs ``…1_1_1.H37``) or the same code."""
    groups: list[list[_Issue]] = []
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


def _finding(group: Sequence[_Issue], target: _Target, url: str, language: str,
             tree: Element | None, templates: Mapping[str, str], standard: str,
             locate: Locate | None = None) -> Finding:
    first = next((i for i in group if i.runner == "axe"), group[0])
    severity = max((i.severity for i in group), key=lambda s: SEVERITY_RANK[s])
    element = select_one(tree, first.selector) if tree is not None and first.selector else None
    if element is not None:
        where = trace(element, target.page, templates if target.folder == "build" else None,
                      locate)
        location, related, kind = where.location, where.related, where.kind
    else:
        location, related, kind = Location(target.page), (), "page"
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
        ),
    )


def _resource_findings(target: _Target, url: str, language: str, tree: Element | None,
                       served: StaticServer, page_url: str,
                       templates: Mapping[str, str], locate: Locate | None = None
                       ) -> list[Finding]:
    """A stylesheet, image or script the page asked for and the server could not give."""
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
        where = trace(element, target.page, templates, locate) if element is not None else None
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


# --- baseline --------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class BaselineEntry:
    """One accepted finding: ``[[accept]]`` in a11y-baseline.toml."""

    page: str  # relative to the content root
    code: str
    reason: str
    expires: dt.date
    location: Location
    language: str | None = None
    selector: str | None = None

    def matches(self, finding: Finding) -> bool:
        details = finding.details
        if details.get("page") != self.page:
            return False
        if self.language and self.language.lower() != str(details.get("language", "")).lower():
            return False
        if self.selector is not None and self.selector != details.get("selector"):
            return False
        return self.code in (finding.code, *details.get("codes", ()), *details.get("wcag", ()))


BASELINE_KEYS = ("page", "language", "code", "selector", "reason", "expires")


def load_baseline(config: Config) -> list[BaselineEntry]:
    """Read ``[tool.pipeline.a11y] baseline`` (absent file: no entries)."""
    path = config.root / config.a11y.baseline
    display = config.a11y.baseline
    if not path.exists():
        return []
    text = read_text(path, display)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = re.search(r"line (\d+)", str(exc))
        raise PipelineError(f"not valid TOML: {exc}",
                            Location(display, int(line.group(1)) if line else 0)) from exc
    extra = sorted(set(data) - {"accept"})
    if extra:
        raise PipelineError(f"unknown key {extra[0]!r}: a baseline holds only [[accept]] "
                            "entries", Location(display), _BASELINE_HINT)
    entries = data.get("accept", [])
    if not isinstance(entries, list):
        raise PipelineError("'accept' must be an array of tables: [[accept]]",
                            Location(display), _BASELINE_HINT)
    lines = [text.count("\n", 0, m.start()) + 1
             for m in re.finditer(r"^\s*\[\[\s*accept\s*\]\]", text, re.M)]
    out: list[BaselineEntry] = []
    for index, entry in enumerate(entries):
        where = Location(display, lines[index] if index < len(lines) else 0)
        out.append(_baseline_entry(config, entry, where))
    return out


_BASELINE_HINT = ('each entry: [[accept]] page = "ar/x.html", language = "ar", code = '
                  '"color-contrast", selector = "html > body > …", reason = "why", '
                  "expires = 2026-12-31")


def _baseline_entry(config: Config, entry: Any, where: Location) -> BaselineEntry:
    if not isinstance(entry, dict):
        raise PipelineError("a baseline entry must be a table", where, _BASELINE_HINT)
    unknown = sorted(set(entry) - set(BASELINE_KEYS))
    if unknown:
        raise PipelineError(f"unknown key {unknown[0]!r} in baseline entry", where,
                            "known keys: " + ", ".join(BASELINE_KEYS))
    for key in ("page", "code"):
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            raise PipelineError(f"baseline entry has no {key}", where, _BASELINE_HINT)
    reason = entry.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise PipelineError("baseline entry has no reason: say why this finding is accepted",
                            where, "add reason = \"…\" (who accepted it and why)")
    expires = entry.get("expires")
    if isinstance(expires, str):
        with contextlib.suppress(ValueError):
            expires = dt.date.fromisoformat(expires)
    if isinstance(expires, dt.datetime):
        expires = expires.date()
    if not isinstance(expires, dt.date):
        raise PipelineError("baseline entry has no expiry date", where,
                            "add expires = YYYY-MM-DD: accepted findings must be looked at "
                            "again")
    for key in ("language", "selector"):
        if key in entry and not isinstance(entry[key], str):
            raise PipelineError(f"baseline entry's {key} must be a string", where)
    page = entry["page"].replace(os.sep, "/").lstrip("/")
    output = config.output.strip("/") + "/"
    if not page.startswith(output):
        page = f"{output}build/{page}"
    return BaselineEntry(page=page, code=entry["code"].strip(), reason=reason.strip(),
                         expires=expires, location=where, language=entry.get("language"),
                         selector=entry.get("selector"))


def apply_baseline(findings: Sequence[Finding], entries: Sequence[BaselineEntry],
                   today: dt.date, checked_pages: Sequence[str]) -> list[Finding]:
    """Mark findings a current entry accepts; say so when an entry has expired; report
    entries for checked pages that matched nothing (notice ``baseline-unused``)."""
    used: set[int] = set()
    out: list[Finding] = []
    for finding in findings:
        entry = next((e for e in entries if e.matches(finding)), None)
        if entry is None:
            out.append(finding)
            continue
        used.add(id(entry))
        info = {"entry": str(entry.location), "reason": entry.reason,
                "expires": entry.expires.isoformat()}
        if entry.expires >= today:
            out.append(replace(finding, details=frozen_details(**finding.details,
                                                               accepted=info)))
        else:
            out.append(replace(
                finding,
                hint=(finding.hint or "") + f"; the baseline entry {entry.location} expired on "
                f"{entry.expires.isoformat()}",
                details=frozen_details(**finding.details, baseline_expired=info),
            ))
    for entry in entries:
        if id(entry) not in used and entry.page in checked_pages:
            out.append(Finding(
                code="baseline-unused", severity="notice",
                message=f"baseline entry for {entry.code} on {entry.page} matched no finding",
                location=entry.location, hint="the defect is gone: delete the entry",
                details=frozen_details(page=entry.page, language=entry.language or "",
                                       runner="baseline", runners=("baseline",),
                                       codes=("baseline-unused",), selector="", wcag=()),
            ))
    return out


# --- the stage -------------------------------------------------------------------------

def run_a11y(
    config: Config,
    pages: Sequence[str] | None = None,
    *,
    standard: str | None = None,
    concurrency: int | None = None,
    write_reports: bool = True,
    today: dt.date | None = None,
    check_report: bool | None = None,
) -> A11yResult:
    """Check ``pages`` (paths relative to output/build, or to the content root for
    output/reports/…; None: every page in output/build and every HTML report) with
    pa11y-ci and the language checks, apply the baseline, write the reports.

    ``check_report`` (default: as ``write_reports``): this run's own a11y.html, rendered
    pending, is checked with the pages (alone when ``pages`` is empty), as
    ``output/reports/a11y.html``; a shard that holds the report checks it without
    writing the reports.

    Raises ``PipelineError`` whenever a page could not be checked (fail closed); in that
    case the reports say the run failed, so no stale "passed" is left behind.
    """
    started = time.monotonic()
    standard = standard or config.a11y.standard
    concurrency = concurrency or config.a11y.concurrency or default_concurrency()
    try:
        result = _run(config, pages, standard, concurrency, write_reports,
                      today or dt.date.today(),
                      write_reports if check_report is None else check_report)
    except PipelineError as exc:
        if write_reports:
            _write_failure(config, exc)
        raise
    except Stopped as exc:
        if write_reports:
            _write_failure(config, PipelineError(
                f"the run was stopped by {exc.name} before it finished; nothing was checked",
                hint="run the command again"))
        raise
    return replace(result, seconds=time.monotonic() - started)


def default_concurrency() -> int:
    """Pages checked at once when neither the config nor the command line says: one per
    CPU this process may use (each page keeps a core busy in Chromium), at most 8 (each
    open page costs Chromium memory)."""
    return max(1, min(cpus(), 8))


def _run(config: Config, pages: Sequence[str] | None, standard: str, concurrency: int,
         write_reports: bool, today: dt.date, check_report: bool) -> A11yResult:
    baseline = load_baseline(config)
    pa11y_ci = find_pa11y_ci(config)
    chromium, _origin = find_chromium(config)
    report_file = config.output_dir / REPORTS / "a11y.html"
    targets = [_target(config, p) for p in pages] if pages is not None else _all_targets(config)
    # this run's own report is checked as written for this run, below
    targets = list({t.page: t for t in targets if t.file != report_file}.values())
    if (not targets and not (check_report and pages is not None)) or (
            pages is None and not any(t.folder == "build" for t in targets)):
        raise PipelineError(
            "nothing to check: no rendered pages in "
            f"{config.rel(_folders(config)['build'])}",
            hint="run 'pipeline render' first",
        )
    templates = _read_templates(config)
    tracer = _Tracer(config)
    locators = _locators(config, targets, tracer)

    trees: dict[str, Element] = {}
    languages: dict[str, str] = {}
    lang_findings: list[Finding] = []
    for target in targets:
        tree = parse_html(read_text(target.file, target.page))
        trees[target.page] = tree
        info = lang_info(tree.attrs.get("lang", "").strip())
        languages[target.page] = target.language or (info.tag if info else "")
        if target.folder == "build":
            lang_findings += check_page(tree, target.page, expected_lang=target.language or None,
                                        url=_public_url(config, target),
                                        templates=templates, locate=locators.get(target.page))
    lang_findings = [replace(f, details=frozen_details(**{
        **f.details, "standard": standard, "language": languages[f.details["page"]]}))
        for f in lang_findings]

    cache = config.output_dir / ".cache" / "a11y"
    folders = _folders(config)
    if check_report:
        # The report, rendered from the same template as the final one with the language
        # findings in and pa11y's to come, is checked by this very run. It is served
        # from the cache so that an unchanged a11y.html is never rewritten.
        from pipeline.reporters.a11y_html import render_report

        folders[PENDING] = cache / PENDING
        pending_file = pending_report(config)
        page = config.rel(report_file)
        targets.append(_Target(page, PENDING, report_file.name, pending_file, "en"))
        pending = _assemble(config, targets, languages, lang_findings, standard,
                            baseline, today, {}, "", chromium)
        write_text_atomic(pending_file, render_report(pending, pending=True),
                          config.rel(pending_file))
        trees[page] = parse_html(read_text(pending_file, config.rel(pending_file)))
        languages[page] = "en"

    cache.mkdir(parents=True, exist_ok=True)
    config_file = cache / "pa11y-ci.json"
    with contextlib.ExitStack() as stack:
        servers: dict[str, StaticServer] = {}
        for folder in sorted({t.folder for t in targets}):
            servers[folder] = stack.enter_context(
                StaticServer(folders[folder], config.rel(folders[folder])))
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
        raw = _check_report(report, targets, urls, servers)
        extra: list[Finding] = []
        for target in targets:
            extra += _resource_findings(target, _public_url(config, target),
                                        languages[target.page], trees.get(target.page),
                                        servers[target.folder], urls[target.page], templates,
                                        locators.get(target.page))

    rules, versions = axe_rules(pa11y_ci)
    pa11y_findings: list[Finding] = []
    for target in targets:
        issues = [_issue(item, rules) for item in raw[target.page]]
        for group in _group(issues):
            pa11y_findings.append(_finding(group, target, _public_url(config, target),
                                           languages[target.page], trees.get(target.page),
                                           templates, standard, locators.get(target.page)))
    result = replace(_assemble(config, targets, languages,
                               lang_findings + pa11y_findings + extra, standard, baseline,
                               today, versions, _package_version(pa11y_ci), chromium),
                     concurrency=concurrency)
    if write_reports:
        _write_reports(config, result)
    return result


class _Tracer:
    """A ``PoLocator`` made on first use, or ahead of it in a thread (``start``).

    The thread's work is joined (``join``) before anything else touches the locator, and
    an error it met is raised there: the run still fails, after pa11y-ci rather than
    before it. A run that fails or is stopped meanwhile does not wait for it.
    """

    def __init__(self, config: Config):
        self.config = config
        self._locator: PoLocator | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    @property
    def locator(self) -> PoLocator:
        self.join()
        if self._locator is None:
            self._locator = PoLocator(self.config)
        return self._locator

    def locate(self, lang: Lang, source: Location) -> Location | None:
        return self.locator.locate(lang, source)

    def start(self, tags: set[str]) -> None:
        langs = [lang for lang in self.config.languages if lang.tag in tags]

        def load() -> None:
            try:
                locator = self._locator or PoLocator(self.config)
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


def _locators(config: Config, targets: Sequence[_Target], tracer: _Tracer
              ) -> dict[str, Locate]:
    """Per rendered page: its source lines → today's entries in its language's catalog."""
    by_tag = {lang.tag: lang for lang in config.languages}
    out: dict[str, Locate] = {}
    for target in targets:
        lang = by_tag.get(target.language)
        if lang is not None and target.folder == "build":
            out[target.page] = functools.partial(tracer.locate, lang)
    return out


def _public_url(config: Config, target: _Target) -> str:
    if target.folder == "build":
        return config.base_url + urllib.parse.quote(target.rel)
    return target.page


def _check_report(report: Mapping[str, Any], targets: Sequence[_Target],
                  urls: Mapping[str, str], servers: Mapping[str, StaticServer],
                  ) -> dict[str, list[Mapping[str, Any]]]:
    """Every URL came back, loaded, was served 200, and has well-formed issues."""
    results: Mapping[str, Any] = report["results"]
    unknown = set(results) - set(urls.values())
    if unknown:
        raise PipelineError(f"pa11y-ci reported a URL it was not given: {sorted(unknown)[0]}")
    out: dict[str, list[Mapping[str, Any]]] = {}
    for target in targets:
        url = urls[target.page]
        where = Location(target.page)
        if url not in results:
            raise PipelineError("pa11y-ci returned no result for this page; it was not "
                                "checked", where, "run again; if it persists, report it")
        items = results[url]
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise PipelineError("pa11y-ci's result for this page is not a list of issues",
                                where)
        failed = [i for i in items if "code" not in i]
        if failed:
            raise PipelineError(
                f"the page did not load in Chromium: {failed[0].get('message', '?')}; it was "
                "not checked", where,
                "open the page in a browser; if Chromium crashed ('Connection closed', 'Target "
                "closed') run again; if the page is slow raise [tool.pipeline.a11y] timeout",
            )
        served = servers[target.folder].statuses(target.rel)
        bad = [s for s in served if s.status != 200]
        if bad:
            raise PipelineError(
                f"the page was served {bad[0].status} ({bad[0].reason}), not the page; "
                "it was not checked", where, "the server refuses paths that lead outside "
                "output/build and output/reports (a symlink, ..): render real files",
            )
        if not served:
            raise PipelineError("Chromium never asked the server for this page; it was not "
                                "checked", where)
        out[target.page] = items
    return out


def _assemble(config: Config, targets: Sequence[_Target], languages: Mapping[str, str],
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
    results = []
    for target in targets:
        mine = [f for f in kept if f.details.get("page") == target.page]
        live = [f for f in mine if "accepted" not in f.details]
        results.append(PageResult(
            page=target.page,
            url=_public_url(config, target),
            language=languages.get(target.page, target.language),
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


def pending_report(config: Config) -> Path:
    """Where a run writes the a11y.html it checks before the final one is written."""
    return config.output_dir / ".cache" / "a11y" / PENDING / "a11y.html"


def report_paths(config: Config) -> dict[str, Path]:
    return {name: config.output_dir / REPORTS / name for name in REPORT_NAMES}


def _write_reports(config: Config, result: A11yResult) -> None:
    from pipeline.reporters.a11y_html import render_report
    from pipeline.reporters.junit import a11y_junit

    paths = report_paths(config)
    write_text_atomic(paths["a11y.json"], dumps(result.to_dict()), config.rel(paths["a11y.json"]))
    write_text_atomic(paths["a11y.junit.xml"], a11y_junit(result),
                      config.rel(paths["a11y.junit.xml"]))
    write_text_atomic(paths["a11y.html"], render_report(result), config.rel(paths["a11y.html"]))


def _write_failure(config: Config, error: PipelineError) -> None:
    """Replace the reports with ones that say the run failed (never a stale pass)."""
    from pipeline.reporters.a11y_html import render_failure
    from pipeline.reporters.junit import failure_junit

    paths = report_paths(config)
    if not config.output_dir.is_dir():
        return
    data = {"ok": False, "passed": False, "error": {
        "message": error.message, "location": str(error.location) if error.location else None,
        "hint": error.hint}}
    with contextlib.suppress(PipelineError):
        write_text_atomic(paths["a11y.json"], dumps(data), config.rel(paths["a11y.json"]))
        write_text_atomic(paths["a11y.junit.xml"], failure_junit(error),
                          config.rel(paths["a11y.junit.xml"]))
        write_text_atomic(paths["a11y.html"], render_failure(error),
                          config.rel(paths["a11y.html"]))


def iter_terminal_findings(result: A11yResult) -> Iterator[Finding]:
    """Errors and warnings, for the terminal (notices are in a11y.json)."""
    for finding in result.findings:
        if finding.severity != "notice":
            yield finding
