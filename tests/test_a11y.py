"""Accessibility stage: real pa11y-ci (axe + htmlcs) in real headless Chromium.

One pa11y-ci process checks every page of tests/roots/a11y-site (module fixture),
so the expensive part runs once; the fail-closed tests each start their own run and
are quick because they fail early or check one page. Nothing is mocked: a missing
Chromium or pa11y-ci fails these tests ('make test' installs both).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, ROOTS, require_tool, run_cli, run_cli_process
from conftest import copy_shipped as shipped_content

from pipeline.config import load_config
from pipeline.errors import PipelineError
from pipeline.infra.server import StaticServer
from pipeline.models import Finding, Location, frozen_details
from pipeline.models.a11y import A11yResult, PageResult, gates
from pipeline.reporters.a11y_html import render_report
from pipeline.stages.a11y import findings as a11y_findings
from pipeline.stages.a11y import run_a11y
from pipeline.stages.a11y import runner as a11y_runner
from pipeline.stages.a11y.baseline import apply_baseline, load_baseline
from pipeline.stages.a11y.runner import default_concurrency, pa11y_config
from pipeline.text import htmltree
from pipeline.text.htmltree import (
    Element,
    find_in_templates,
    pa11y_selector,
    parse_html,
    select_one,
    trace,
)
from pipeline.text.translations import PoLocator

PA11Y_CI = REPO / "node_modules" / ".bin" / "pa11y-ci"
GOLDEN = Path(__file__).parent / "golden"
CHROMIUM = Path("/usr/bin/chromium")
MakeRoot = Callable[[str], Path]
AR_PO = "locales/ar/LC_MESSAGES/messages.po"
ZH_PO = "locales/zh_Hans/LC_MESSAGES/messages.po"

BASELINE = """\
# Accepted until far in the future: reported, does not gate.
[[accept]]
page = "en/defects.html"
language = "en"
code = "color-contrast"
selector = "#main > p:nth-child(3)"
reason = "Fixture: accepted to test the baseline"
expires = 2999-12-31

# Expired: the finding gates again.
[[accept]]
page = "en/defects.html"
code = "image-alt"
reason = "Fixture: this acceptance has run out"
expires = 2000-01-01

# The clean page has no such finding: reported as unused.
[[accept]]
page = "output/build/en/clean.html"
code = "image-alt"
reason = "Fixture: nothing to accept here any more"
expires = 2999-12-31
"""


def require_a11y_tools() -> None:
    require_tool("node")
    if not (PA11Y_CI.is_file() and CHROMIUM.is_file()):
        pytest.fail("pa11y-ci or Chromium is not installed; 'make test' installs them "
                    "(apt-get install chromium; PUPPETEER_SKIP_DOWNLOAD=1 npm ci)")


LONG_MSGID = "Contact us today for an appointment to address your concerns. " * 3


def specimen() -> A11yResult:
    """A result with one finding of every kind the HTML report can show."""
    def finding(code: str, severity: Any, **details: Any) -> Finding:
        base = {"page": "output/build/ar/x.html", "language": "ar", "runners": ("axe",),
                "codes": (code,), "selector": "html > body > main > p", "wcag": ("1.1.1",),
                "context": '<p data-po="x">نص \u202e مقلوب</p>', "traced": "catalog"}
        return Finding(code, severity, f"A {severity} about {code}: «نص»",
                       Location(AR_PO, 12), "fix it", (Location("source/pages/x.md", 3),),
                       frozen_details(**{**base, **details}))

    findings = (
        finding("image-alt", "error"),
        finding("color-contrast", "error", accepted={"entry": "a11y-baseline.toml:2",
                                                      "reason": "why", "expires": "2999-12-31"}),
        finding("heading-order", "warning", runners=("axe", "htmlcs")),
        finding("language-mismatch", "error", runners=("langcheck",), wcag=(),
                msgid=LONG_MSGID, msgctxt="footer"),
        finding("baseline-unused", "notice", runners=("baseline",)),
    )
    review = (finding("color-contrast", "error", needs_review=True),)
    page = PageResult("output/build/ar/x.html", "https://x.example/ar/x.html", "ar", 2, 1, 1,
                      1, False)
    return A11yResult(findings, review, (page,), ("axe", "htmlcs", "langcheck"),
                      {"axe": "4.11.4", "htmlcs": "2.6"}, "4.1.1", (page.page,), "WCAG2AA",
                      False, str(CHROMIUM), "a11y-baseline.toml")


@dataclass
class Run:
    root: Path
    exit: int
    stdout: str
    stderr: str
    data: dict[str, Any]
    seconds: float

    def page(self, rel: str) -> dict[str, Any]:
        return next(r for r in self.data["results"] if r["page"] == rel)

    def findings(self, rel: str, severity: str | None = None) -> list[dict[str, Any]]:
        return [f for f in self.data["findings"] if f["details"]["page"] == rel
                and (severity is None or f["severity"] == severity)]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """``pipeline a11y --junit FILE`` over every fixture page: one pa11y-ci process."""
    require_a11y_tools()
    root = tmp_path_factory.mktemp("a11y") / "a11y-site"
    shutil.copytree(ROOTS / "a11y-site", root, symlinks=True)
    (root / "a11y-baseline.toml").write_text(BASELINE, encoding="utf-8")
    reports = root / "output" / "reports"
    reports.mkdir(parents=True)
    (reports / "specimen.html").write_text(render_report(specimen()), encoding="utf-8")
    started = time.monotonic()
    done = run_cli(root, "a11y", "--junit", str(root / "ci" / "a11y.xml"))
    seconds = time.monotonic() - started
    try:
        data = json.loads((reports / "a11y.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pytest.fail(f"no a11y.json:\n{done.stdout}\n{done.stderr}")
    return Run(root, done.returncode, done.stdout, done.stderr, data, seconds)


def test_html_report_names_a_catalog_findings_entry_by_its_source_text() -> None:
    """A translator finds an entry in Poedit or Weblate by its text, not by a line
    that moves with every edit above it: the report shows the start of it."""
    text = render_report(specimen())
    entry = text.split("<dt>Catalog entry</dt><dd>", 1)[1].split("</dd>", 1)[0]
    shown = entry.removeprefix('<q dir="auto">').split("</q>", 1)[0]
    assert LONG_MSGID.startswith(shown.removesuffix(" …"))  # whole words, then " …"
    assert shown.endswith(" …") and len(shown) <= 100 < len(LONG_MSGID)
    assert '(context <bdi><code dir="ltr">footer</code></bdi>)' in entry
    assert text.count("<dt>Catalog entry</dt>") == 1  # only findings that name one
    # A text with no word boundary early enough (Chinese, a URL) is cut by characters.
    result = specimen()
    chinese = replace(result.findings[3], details=frozen_details(
        **{**result.findings[3].details, "msgid": "面肌痉挛" * 40}))
    text = render_report(replace(result, findings=(chinese,)))
    assert f'<q dir="auto">{"面肌痉挛" * 24}面肌痉…</q>' in text


# --- the full run ------------------------------------------------------------------------

def test_run_fails_the_gate_and_names_both_runners(site: Run) -> None:
    assert site.exit == 1, site.stderr
    data = site.data
    assert data["ok"] is True and data["passed"] is False
    assert data["runners"] == ["axe", "htmlcs", "langcheck"]
    assert data["pa11y_ci_version"] == "4.1.1"
    assert data["standard"] == "WCAG2AA"
    assert data["concurrency"] == 2  # the root's a11y.concurrency, not the default
    assert data["baseline"] == "a11y-baseline.toml"
    # one result per page and language: every fixture page, the specimen, this report
    pages = sorted(p.relative_to(site.root).as_posix()
                   for p in (site.root / "output" / "build").rglob("*.html"))
    assert sorted(r["page"] for r in data["results"]) == sorted(
        [*pages, "output/reports/specimen.html", "output/reports/a11y.html"])


def test_known_defects_give_exactly_those_errors_traced_to_their_lines(site: Run) -> None:
    page = "output/build/en/defects.html"
    errors = {f["code"]: f for f in site.findings(page, "error")}
    assert sorted(errors) == ["color-contrast", "html-has-lang", "image-alt", "link-name"]
    assert {code: f["location"] for code, f in errors.items()} == {
        "image-alt": "source/pages/defects.md:8",
        "color-contrast": "source/pages/defects.md:10",
        "link-name": "source/pages/defects.md:12",
        "html-has-lang": "source/templates/base.html:2",
    }
    for code, f in errors.items():
        # both runners found each defect; one finding, both runners named
        assert f["details"]["runners"] == ["axe", "htmlcs"], code
        assert any(c.startswith("WCAG2AA.") for c in f["details"]["codes"]), code
        assert f["details"]["language"] == "en"
        assert f["details"]["url"] == "https://a11y.example.org/en/defects.html"
        assert f["details"]["selector"] and f["details"]["context"], code
        assert any(r.startswith(page + ":") for r in f["related"]), code
    assert errors["image-alt"]["details"]["selector"] == "#main > p:nth-child(2) > img"
    assert errors["image-alt"]["details"]["wcag"] == ["1.1.1"]
    assert errors["html-has-lang"]["details"]["traced"] == "template"
    assert site.findings(page, "warning") == []


def test_skipped_heading_level_is_the_runners_warning(site: Run) -> None:
    page = "output/build/en/headings.html"
    assert site.findings(page, "error") == []
    [warning] = site.findings(page, "warning")
    assert warning["code"] == "heading-order"
    assert warning["details"]["runners"] == ["axe", "htmlcs"]
    assert "WCAG2AA.Principle1.Guideline1_3.1_3_1_A.G141" in warning["details"]["codes"]
    assert warning["location"] == "source/pages/headings.md:8"
    assert warning["gating"] is False
    assert site.page(page)["passed"] is True


def test_clean_page_has_no_errors_or_warnings(site: Run) -> None:
    page = "output/build/en/clean.html"
    assert [f for f in site.findings(page) if f["severity"] != "notice"] == []
    result = site.page(page)
    assert (result["errors"], result["warnings"], result["passed"]) == (0, 0, True)
    assert result["notices"] > 0  # htmlcs's manual-check notices are reported


def test_language_checks_report_and_gate_with_the_runners(site: Run) -> None:
    found = sorted((f["code"], f["location"], f["details"]["page"])
                   for f in site.data["findings"] if f["details"].get("runner") == "langcheck")
    assert found == [
        ("bidi-control", f"{AR_PO}:36", "output/build/ar/lang.html"),
        ("dir-mismatch", "source/pages/lang.md:12", "output/build/ar/lang.html"),
        ("dir-mismatch", "source/pages/lang.md:12", "output/build/en/rtl.html"),
        ("language-mismatch", f"{AR_PO}:23", "output/build/ar/lang.html"),
        ("language-mismatch", f"{ZH_PO}:23", "output/build/zh-Hans/lang.html"),
        ("language-mismatch", f"{ZH_PO}:28", "output/build/zh-Hans/lang.html"),
        ("language-mismatch", "source/pages/lang.md:18", "output/build/en/rtl.html"),
        ("language-mismatch", "source/templates/base.html:2",
         "output/build/ar/wrong-lang.html"),
    ]
    assert all(f["gating"] for f in site.data["findings"]
               if f["details"].get("runner") == "langcheck")
    assert site.page("output/build/ar/lang.html")["passed"] is False
    # the axe/htmlcs side of those pages is clean
    assert [f["code"] for f in site.findings("output/build/ar/lang.html", "error")
            if f["details"]["runner"] != "langcheck"] == []


def test_baseline_accepts_reports_and_expires(site: Run) -> None:
    page = "output/build/en/defects.html"
    errors = {f["code"]: f for f in site.findings(page, "error")}
    accepted = errors["color-contrast"]
    assert accepted["gating"] is False
    assert accepted["details"]["accepted"] == {
        "entry": "a11y-baseline.toml:2", "reason": "Fixture: accepted to test the baseline",
        "expires": "2999-12-31"}
    expired = errors["image-alt"]
    assert expired["gating"] is True
    assert "a11y-baseline.toml:11 expired on 2000-01-01" in expired["hint"]
    result = site.page(page)
    assert (result["errors"], result["accepted"], result["passed"]) == (3, 1, False)
    unused = [f for f in site.data["findings"] if f["code"] == "baseline-unused"]
    assert [(f["location"], f["severity"]) for f in unused] == [
        ("a11y-baseline.toml:18", "notice")]


def test_missing_stylesheet_is_an_error_on_its_page(site: Run) -> None:
    [missing] = site.findings("output/build/en/missing-style.html", "error")
    assert missing["code"] == "resource-not-found"
    assert "/missing.css" in missing["message"] and "404" in missing["message"]


def test_reports_are_checked_in_the_same_run_and_pass(site: Run) -> None:
    for page in ("output/reports/a11y.html", "output/reports/specimen.html"):
        result = site.page(page)
        assert (result["errors"], result["warnings"], result["passed"]) == (0, 0, True), (
            [f for f in site.findings(page) if f["severity"] != "notice"])
        assert result["language"] == "en"


def test_terminal_output_is_gnu_style(site: Run) -> None:
    lines = site.stdout.splitlines()
    assert ("source/pages/defects.md:12: error: Links must have discernible text [link-name]"
            in lines)
    assert ("  page: output/build/en/defects.html (en), element: #main > p:nth-child(4) > a "
            "[axe, htmlcs]") in lines
    assert f"{AR_PO}:23: error: Latin-script phrase inside lang=\"ar\": \"Contact us today " \
           'for an appointment" [language-mismatch]' in lines
    summary = next(line for line in lines if line.startswith("a11y: "))
    assert summary.startswith("a11y: 10 document(s) checked (WCAG2AA; axe, htmlcs, langcheck): "
                              "12 errors, 1 warnings"), summary
    assert summary.endswith("FAILED: 12 finding(s) block publication on 6 page(s)"), summary
    assert "accepted by a11y-baseline.toml:2 until 2999-12-31" in site.stdout
    assert lines[-1].startswith("reports: output/reports/a11y.json, "
                                "output/reports/a11y.junit.xml, output/reports/a11y.html")


def test_junit_has_one_testcase_per_page_and_language(site: Run) -> None:
    for path in (site.root / "ci" / "a11y.xml", site.root / "output/reports/a11y.junit.xml"):
        tree = ET.parse(path)  # well-formed, or this raises
        cases = tree.getroot().findall("./testsuite/testcase")
        results = {r["page"]: r for r in site.data["results"]}
        assert sorted(c.get("name", "") for c in cases) == sorted(results)
        for case in cases:
            result = results[case.get("name", "")]
            assert case.get("classname") == f"a11y.{result['language']}"
            assert (case.find("failure") is not None) is (not result["passed"])
        suites = {s.get("name"): s for s in tree.getroot().findall("testsuite")}
        assert set(suites) == {"a11y.en", "a11y.ar", "a11y.zh-Hans"}
        failure = tree.getroot().find(
            "./testsuite/testcase[@name='output/build/ar/lang.html']/failure")
        assert failure is not None and f"{AR_PO}:23: error:" in (failure.text or "")
        assert tree.getroot().get("tests") == str(len(cases))


def test_html_report_lists_findings_and_is_rewritten_with_results(site: Run) -> None:
    text = (site.root / "output/reports/a11y.html").read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>\n<html lang=\"en\" dir=\"ltr\">")
    assert "Failed:" in text and "source/pages/defects.md:8" in text
    assert "in progress" not in text  # the pending version was replaced


# --- failing closed ----------------------------------------------------------------------

def fails(done: Any, *needles: str) -> None:
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "0 errors" not in done.stdout
    for needle in needles:
        assert needle in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def report_says_failed(root: Path) -> None:
    data = json.loads((root / "output/reports/a11y.json").read_text(encoding="utf-8"))
    assert data["ok"] is False and data["passed"] is False
    junit = ET.parse(root / "output/reports/a11y.junit.xml").getroot()
    assert junit.get("errors") == "1"


def test_a_page_that_does_not_exist_fails_closed(make_root: MakeRoot) -> None:
    root = make_root("a11y-site")
    fails(run_cli(root, "a11y", "en/clean.html", "en/nope.html"),
          "output/build/en/nope.html: page not found")


def test_a_page_served_404_fails_closed(make_root: MakeRoot) -> None:
    require_a11y_tools()
    root = make_root("a11y-site")
    (root / "outside.html").write_text("<!DOCTYPE html><title>x</title>", encoding="utf-8")
    os.symlink("../../../outside.html", root / "output/build/en/escape.html")
    done = run_cli(root, "a11y", "en/escape.html")
    fails(done, "output/build/en/escape.html: the page was served 404",
          "leads outside the served folder")
    report_says_failed(root)


def test_a_bad_chromium_path_fails_closed(make_root: MakeRoot) -> None:
    root = make_root("a11y-site")
    fails(run_cli(root, "a11y", env={"PIPELINE_CHROMIUM": "/nonexistent/chromium"}),
          "Chromium not found at /nonexistent/chromium (from $PIPELINE_CHROMIUM)")
    report_says_failed(root)


def test_a_chromium_that_does_not_start_fails_closed(make_root: MakeRoot) -> None:
    require_a11y_tools()
    root = make_root("a11y-site")
    with (root / "pyproject.toml").open("a", encoding="utf-8") as handle:
        handle.write('chromium = "/bin/false"\n')  # appended to [tool.pipeline.a11y]
    fails(run_cli(root, "a11y", "en/clean.html"), "Chromium did not start (/bin/false)")


def test_a_chromium_that_does_not_start_is_asked_why(make_root: MakeRoot,
                                                      tmp_path: Path) -> None:
    """Puppeteer drops the browser's own output: the error gives Chromium's reason, from
    Chromium started alone. Caused for real: a wrapper that starts the real Chromium with
    a $TMPDIR too long for its socket."""
    require_a11y_tools()
    root = make_root("a11y-site")
    long_tmp = tmp_path / ("t" * 80)
    long_tmp.mkdir()
    wrapper = tmp_path / "chromium-long-tmp"
    wrapper.write_text(f"#!/bin/sh\nTMPDIR={long_tmp} exec {require_tool('chromium')} \"$@\"\n",
                       encoding="utf-8")
    wrapper.chmod(0o755)
    done = run_cli(root, "a11y", "en/clean.html", env={"PIPELINE_CHROMIUM": str(wrapper)})
    fails(done, f"Chromium did not start ({wrapper}); pa11y-ci exited 1",
          "Chromium, started alone, says: Socket path too long: ")
    report_says_failed(root)


def test_a_pa11y_ci_timeout_fails_closed_and_leaves_no_browser(make_root: MakeRoot) -> None:
    require_a11y_tools()
    root = make_root("a11y-site")
    with (root / "pyproject.toml").open("a", encoding="utf-8") as handle:
        handle.write("run_timeout = 1\n")
    marker = uuid.uuid4().hex
    # A process of its own: what it leaves running is what the test looks for.
    done = run_cli_process(root, "a11y", env={"A11Y_TEST_MARKER": marker})
    fails(done, "pa11y-ci did not finish within 1 s and was stopped")
    deadline = time.monotonic() + 10
    while (left := processes_with(marker)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert left == [], f"processes left running after the timeout: {left}"


def test_pa11y_ci_runs_with_a_temp_folder_too_long_for_chromium_and_leaves_it_empty(
        make_root: MakeRoot, tmp_path: Path) -> None:
    """Chromium exits at once when $TMPDIR/org.chromium.Chromium.XXXXXX/SingletonSocket is
    too long for a socket's address (a $TMPDIR over 62 characters): the run gives it a
    short folder of its own, and removes it, Puppeteer's profile with it."""
    require_a11y_tools()
    root = make_root("a11y-site")
    long_tmp = tmp_path / ("t" * 80)
    long_tmp.mkdir()
    done = run_cli_process(root, "a11y", "en/clean.html", env={"TMPDIR": str(long_tmp)})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 document(s) checked" in done.stdout, done.stdout
    assert sorted(p.name for p in long_tmp.iterdir()) == []


def processes_with(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "environ").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def test_pa11y_ci_missing_fails_closed(make_root: MakeRoot) -> None:
    root = make_root("a11y-site")
    fails(run_cli(root, "a11y", env={"PIPELINE_PA11Y_CI": "/nonexistent/pa11y-ci"}),
          "pa11y-ci is not installed")


def test_output_that_is_not_json_fails_closed(make_root: MakeRoot) -> None:
    require_a11y_tools()
    root = make_root("a11y-site")
    # /bin/echo stands where pa11y-ci should be: it "succeeds" and prints no report
    fails(run_cli(root, "a11y", "en/clean.html", env={"PIPELINE_PA11Y_CI": "/bin/echo"}),
          "pa11y-ci's output is not JSON")


def test_nothing_to_check_fails_closed(make_root: MakeRoot) -> None:
    root = make_root("a11y-site")
    shutil.rmtree(root / "output" / "build")
    fails(run_cli(root, "a11y"), "nothing to check: no rendered pages in output/build")


def test_baseline_entry_without_reason_is_an_error(make_root: MakeRoot) -> None:
    root = make_root("a11y-site")
    (root / "a11y-baseline.toml").write_text(
        '[[accept]]\npage = "en/defects.html"\ncode = "image-alt"\nexpires = 2999-01-01\n\n'
        '[[accept]]\npage = "en/defects.html"\ncode = "link-name"\nreason = ""\n'
        "expires = 2999-01-01\n", encoding="utf-8")
    fails(run_cli(root, "a11y"), "a11y-baseline.toml:1: baseline entry has no reason")


def test_baseline_entries_need_an_expiry_and_known_keys(make_root: MakeRoot) -> None:
    root = make_root("a11y-site")
    config = load_config(root)
    path = root / "a11y-baseline.toml"
    path.write_text('[[accept]]\npage = "a.html"\ncode = "x"\nreason = "r"\n', encoding="utf-8")
    with pytest.raises(PipelineError, match="no expiry date"):
        load_baseline(config)
    path.write_text('[[accept]]\npage = "a.html"\ncode = "x"\nreason = "r"\n'
                    'expires = "2030-01-01"\nignore = true\n', encoding="utf-8")
    with pytest.raises(PipelineError, match="unknown key 'ignore'"):
        load_baseline(config)


def test_apply_baseline_matches_page_language_code_and_selector(make_root: MakeRoot) -> None:
    import datetime as dt

    root = make_root("a11y-site")
    (root / "a11y-baseline.toml").write_text(BASELINE, encoding="utf-8")
    entries = load_baseline(load_config(root))
    assert [e.page for e in entries] == ["output/build/en/defects.html"] * 2 + [
        "output/build/en/clean.html"]

    def finding(code: str, selector: str, page: str = "output/build/en/defects.html") -> Finding:
        return Finding(code, "error", "m", details=frozen_details(
            page=page, language="en", selector=selector, codes=(code,), wcag=()))

    out = apply_baseline(
        [finding("color-contrast", "#main > p:nth-child(3)"),
         finding("color-contrast", "#main > p:nth-child(2)"),  # another element
         finding("color-contrast", "#main > p:nth-child(3)", "output/build/en/clean.html")],
        entries, dt.date(2030, 1, 1), ["output/build/en/defects.html"])
    assert ["accepted" in f.details for f in out] == [True, False, False, False]
    assert out[-1].code == "baseline-unused"  # the expired image-alt entry matched nothing
    # on its expiry day an entry still holds; the day after it does not
    out = apply_baseline([finding("color-contrast", "#main > p:nth-child(3)")], entries,
                         dt.date(2999, 12, 31), [])
    assert "accepted" in out[0].details
    out = apply_baseline([finding("color-contrast", "#main > p:nth-child(3)")], entries,
                         dt.date(3000, 1, 1), [])
    assert "accepted" not in out[0].details and "expired on 2999-12-31" in (out[0].hint or "")


# --- rendered sites ----------------------------------------------------------------------

def copy_shipped(root: Path) -> Path:
    return shipped_content(root)


def test_shipped_site_passes_with_both_runners(tmp_path: Path) -> None:
    """Acceptance: every page in every language, 0 errors, no baseline, no ignore."""
    require_a11y_tools()
    root = copy_shipped(tmp_path / "shipped")
    run_cli(root, "render", check=True)
    done = run_cli(root, "a11y", "--json")
    data = json.loads(done.stdout)
    assert data == json.loads((root / "output/reports/a11y.json").read_text(encoding="utf-8"))
    gating = [f for f in data["findings"] if f["gating"]]
    assert done.returncode == 0, json.dumps(gating, indent=1, ensure_ascii=False)
    assert data["passed"] is True and data["counts"]["errors"] == 0
    assert data["baseline"] is None
    assert {"axe", "htmlcs"} <= set(data["runners"])
    config = load_config(root)
    expected = {f"output/build/{lang.tag}/{name}" for lang in config.all_languages
                for name in ("hemifacial-spasm.html", "index.html", "what-we-do/index.html",
                             "what-we-do/specialties/index.html")}
    expected |= {"output/build/index.html", "output/reports/a11y.html"}
    assert {r["page"] for r in data["results"]} == expected
    assert {r["language"] for r in data["results"]} == {lang.tag for lang in
                                                        config.all_languages}
    generated = json.loads((root / "output/.cache/a11y/pa11y-ci.json").read_text())
    assert "ignore" not in generated["defaults"] and "hideElements" not in generated["defaults"]
    assert generated["defaults"]["runners"] == ["axe", "htmlcs"]


def test_a_translated_pages_missing_image_is_fixed_where_the_source_names_it(
        make_root: MakeRoot) -> None:
    """Every language's page shows the source's image URLs: a missing file is traced
    to the source line, not to the catalog entry of the image's alt text, which a
    translator cannot mend it in."""
    require_a11y_tools()
    root = make_root("render-mini")
    source = root / "source/pages/first-visit.md"
    line = source.read_text(encoding="utf-8").splitlines().index(
        "![Map of the clinic entrance](images/entrance-map.png)") + 1
    assert not (root / "source/pages/images/entrance-map.png").exists()
    run_cli(root, "render", check=True)
    done = run_cli(root, "a11y", "ar/first-visit.html")
    assert done.returncode == 1, done.stderr
    data = json.loads((root / "output/reports/a11y.json").read_text(encoding="utf-8"))
    (missing,) = [f for f in data["findings"] if f["code"] == "resource-not-found"]
    assert missing["location"] == f"source/pages/first-visit.md:{line}"
    assert missing["details"]["traced"] == "source" and "msgid" not in missing["details"]
    assert "/ar/images/entrance-map.png" in missing["message"]


def test_template_defects_fail_with_page_language_selector_and_line(
        make_root: MakeRoot) -> None:
    """An image without alt in a template and a low-contrast colour in the stylesheet."""
    require_a11y_tools()
    root = make_root("render-mini")
    base = root / "source/templates/base.html"
    text = base.read_text(encoding="utf-8")
    marker = '<main id="main" tabindex="-1">'
    assert marker in text
    base.write_text(text.replace(
        marker, '<p class="logo"><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="></p>\n'
        + marker), encoding="utf-8")
    line = base.read_text(encoding="utf-8").splitlines().index(
        '<p class="logo"><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="></p>') + 1
    with (root / "source/templates/style.css").open("a", encoding="utf-8") as css:
        css.write("\n.content p { color: #b0b0b0; }\n")
    run_cli(root, "render", check=True)
    done = run_cli(root, "a11y", "--json", "--standard", "wcag2aa", "--concurrency", "1",
                   "en/first-visit.html", "ar/first-visit.html")
    assert done.returncode == 1, done.stderr
    data = json.loads(done.stdout)
    generated = json.loads((root / "output/.cache/a11y/pa11y-ci.json").read_text())
    assert (generated["defaults"]["standard"], generated["defaults"]["concurrency"]) == (
        "WCAG2AA", 1)
    assert data["concurrency"] == 1  # recorded, as chosen
    assert len(generated["urls"]) == 3  # the two pages and this run's report
    for tag in ("en", "ar"):
        page = f"output/build/{tag}/first-visit.html"
        found = [f for f in data["findings"] if f["details"]["page"] == page and f["gating"]]
        alt = [f for f in found if f["code"] == "image-alt"]
        assert [(f["location"], f["details"]["language"], f["details"]["selector"])
                for f in alt] == [(f"source/templates/base.html:{line}", tag,
                                   "html > body > p > img")]
        contrast = [f for f in found if "1.4.3" in f["details"]["wcag"]]
        assert contrast and all(f["location"].startswith(
            "source/pages/first-visit.md:" if tag == "en" else
            "locales/ar/LC_MESSAGES/messages.po:") for f in contrast), contrast
        # axe skips contrast on text that is all Arabic; htmlcs is why both runners run
        runners = {tuple(f["details"]["runners"]) for f in contrast}
        assert runners == ({("axe", "htmlcs")} if tag == "en" else {("htmlcs",)}), runners


# --- pieces: server, selectors, tracing, config --------------------------------------------

def fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, b""


def test_server_serves_only_files_inside_its_folder(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "es").mkdir(parents=True)
    (site / "es" / "index.html").write_text("<p>hola</p>", encoding="utf-8")
    (site / "style.css").write_text("p{}", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("secret", encoding="utf-8")
    os.symlink("../secret.txt", site / "link.txt")
    with StaticServer(site) as server:
        assert server.base_url.startswith("http://127.0.0.1:")
        assert fetch(server.url("es/index.html")) == (200, b"<p>hola</p>")
        assert fetch(server.base_url + "es/")[0] == 200
        for bad in ("../secret.txt", "%2e%2e/secret.txt", "es/../../secret.txt", "link.txt",
                    "missing.html", "es/nope/"):
            assert fetch(server.base_url + bad)[0] == 404, bad
        statuses = {(s.path, s.status) for s in server.log}
        assert ("/es/index.html", 200) in statuses and ("/link.txt", 404) in statuses
        assert "leads outside" in next(s.reason for s in server.log if s.path == "/link.txt")


def test_selectors_resolve_like_the_browser() -> None:
    tree = parse_html(
        '<!DOCTYPE html><html lang="en"><head><title>t</title></head><body>'
        '<main id="main"><p data-src="a.md:1">one<p data-src="a.md:2"><a href="/x" '
        'class="btn big">x</a></p><ul><li>a<li data-po="p.po:9"><img alt="" src="y">'
        "</ul></main><footer><p>f</p></footer></body></html>")
    img = select_one(tree, "html > body > main > ul > li:nth-child(2) > img")
    assert img is not None and img.tag == "img"
    assert select_one(tree, "#main > ul > li:nth-child(2) > img") is img
    assert select_one(tree, "main img[src='y']") is img
    assert select_one(tree, "li:last-child > img") is img
    link = select_one(tree, "a.btn.big[href^='/']")
    assert link is not None and pa11y_selector(link) == "#main > p:nth-child(2) > a"
    assert select_one(tree, "footer p") is not None
    assert select_one(tree, "html > body > main > p:nth-child(3)") is None
    where = trace(img, "out.html")
    assert (where.po, where.source, where.kind) == (Location("p.po", 9), None, "catalog")


def _walked(tree: Element, selector: str) -> list[Element]:
    """What select_all found by trying every element (its code until the index)."""
    found: list[Element] = []
    for single in htmltree._split_list(selector):
        parts = [(c, htmltree._parse_compound(t)) for c, t in htmltree._split_selector(single)]
        found += [e for e in tree.iter()
                  if e not in found and htmltree._matches(e, parts, len(parts) - 1)]
    order = list(tree.iter())
    return sorted(found, key=order.index)


def test_selectors_find_what_trying_every_element_finds() -> None:
    pages = sorted((GOLDEN / "render-mini").rglob("*.html"))
    assert pages
    for page in pages:
        tree = parse_html(page.read_text(encoding="utf-8"))
        every = list(tree.iter())
        # pa11y names each element by a chain of children, from <html> or an id.
        for element in every:
            assert htmltree.select_all(tree, pa11y_selector(element)) == [element], page
        for selector in ("p", "li a", "ul > li + li", "li ~ li", "main p, footer p, p", "*",
                         "li:nth-child(odd) > a", ":root", "a[href]", "body > *", "#main > *",
                         "html > body > * > *", "div > div", "nav li:last-child"):
            assert htmltree.select_all(tree, selector) == _walked(tree, selector), selector
    tree = parse_html("<html><body><main><p>a</p><div><p>b</p></div></main></body></html>")
    main = htmltree.select_one(tree, "main")
    assert main is not None
    # Below an element, a selector still reads the whole document's ancestors.
    assert [p.text() for p in htmltree.select_all(main, "html > body > main > p")] == ["a"]
    assert [p.text() for p in htmltree.select_all(main, "body p")] == ["a", "b"]
    with pytest.raises(htmltree.SelectorError):  # whether or not an element gets that far
        htmltree.select_all(tree, "section:hover")


def test_template_elements_trace_to_the_one_template_line() -> None:
    templates = {
        "t/base.html": '<!DOCTYPE html>\n<html lang="x">\n<body>\n<a class="skip-link" '
                       'href="#main">x</a>\n<nav class="switcher"><ul><li><a href="{{ h }}">'
                       "</a></li></ul></nav>\n</body>\n</html>\n",
        "t/page.html": "<p>\n<a href='x'>y</a>\n</p>\n",
    }
    tree = parse_html('<html lang="en"><body><a class="skip-link" href="#main">Skip</a>'
                      '<nav class="switcher"><ul><li><a href="/es/">es</a></li></ul></nav>'
                      "<section><b>plain</b></section></body></html>")
    skip = select_one(tree, "html > body > a")
    link = select_one(tree, "nav > ul > li > a")
    plain = select_one(tree, "body > section > b")
    assert skip is not None and link is not None and plain is not None
    assert find_in_templates(skip, templates) == Location("t/base.html", 4)
    # the switcher's <a> is not unique across templates: its <li> is
    assert find_in_templates(link, templates) == Location("t/base.html", 5)
    assert find_in_templates(plain, templates) is None  # in no template: no guess
    root = select_one(tree, "html")
    assert root is not None and find_in_templates(root, templates) == Location("t/base.html", 2)


def test_catalogs_are_parsed_while_pa11y_ci_runs(make_root: MakeRoot,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Tracing findings to .po lines parses the POT and the catalogs: after pa11y-ci has
    started, not on the way to it; the findings are traced all the same."""
    require_a11y_tools()
    root = make_root("render-mini")
    run_cli(root, "render", check=True)
    events: list[str] = []
    real_popen = subprocess.Popen

    def popen(args: Any, *more: Any, **options: Any) -> Any:
        process = real_popen(args, *more, **options)
        if str(args[0]).endswith("pa11y-ci"):
            events.append("pa11y-ci started")
        return process

    class Locator(PoLocator):
        def __init__(self, config: Any, ws: Any):
            events.append("POT parsed")
            super().__init__(config, ws)

    monkeypatch.setattr(subprocess, "Popen", popen)  # the very module the runner uses
    monkeypatch.setattr(a11y_findings, "PoLocator", Locator)
    config = load_config(root)
    result = run_a11y(config, ["en/first-visit.html", "ar/first-visit.html"])
    assert events == ["pa11y-ci started", "POT parsed"]
    assert result.concurrency == (config.a11y.concurrency or default_concurrency())
    traced = [f for f in result.findings if f.details["page"].startswith("output/build/ar/")
              and f.location is not None and f.location.path == AR_PO]
    assert traced, [(f.code, f.location) for f in result.findings]


def test_a_broken_pot_still_fails_the_run(make_root: MakeRoot) -> None:
    """The POT is parsed while pa11y-ci runs; an error there fails the run all the same."""
    require_a11y_tools()
    root = make_root("render-mini")
    run_cli(root, "render", check=True)
    (root / "locales/messages.pot").write_text('msgid "unterminated\n', encoding="utf-8")
    done = run_cli(root, "a11y", "en/first-visit.html", "ar/first-visit.html")
    fails(done, "locales/messages.pot:")
    report_says_failed(root)


def test_concurrency_defaults_to_four_pages_per_cpu() -> None:
    assert default_concurrency() == max(1, min(4 * len(os.sched_getaffinity(0)), 8))
    assert load_config(ROOTS / "render-mini").a11y.concurrency is None


def test_axe_rules_are_asked_of_node_once_per_install(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    require_a11y_tools()
    rules = a11y_runner.axe_rules
    rules.cache_clear()
    asked = rules(PA11Y_CI)  # no folder to keep it in: node is asked every time
    assert asked[1]["axe"] != "unknown" and asked[0]["image-alt"] == ("1.1.1",)
    kept = tmp_path / a11y_runner.AXE_RULES_FILE
    assert rules(PA11Y_CI, tmp_path) == asked
    key = json.loads(kept.read_text(encoding="utf-8"))["key"]
    try:
        # The same packages installed: the kept answer, node not even looked for.
        rules.cache_clear()
        monkeypatch.setattr(shutil, "which", lambda name: None)  # the runner's too
        assert rules(PA11Y_CI, tmp_path) == asked
        # Kept for other packages (an npm install since): node is asked again.
        rules.cache_clear()
        kept.write_text(kept.read_text(encoding="utf-8").replace(key, "0" * 64),
                        encoding="utf-8")
        with pytest.raises(PipelineError, match="node is not installed"):
            rules(PA11Y_CI, tmp_path)
    finally:
        monkeypatch.undo()
        rules.cache_clear()
    assert rules(PA11Y_CI, tmp_path) == asked
    assert json.loads(kept.read_text(encoding="utf-8"))["key"] == key


def test_generated_config_follows_the_recipe() -> None:
    config = pa11y_config(["http://127.0.0.1:1/a.html"], standard="WCAG2AAA",
                          chromium="/usr/bin/chromium", timeout_s=30, concurrency=3)
    defaults = config["defaults"]
    assert defaults["runners"] == ["axe", "htmlcs"]
    assert defaults["useIncognitoBrowserContext"] is False
    assert (defaults["standard"], defaults["timeout"], defaults["concurrency"]) == (
        "WCAG2AAA", 30000, 3)
    assert "--no-sandbox" in defaults["chromeLaunchConfig"]["args"]
    assert defaults["chromeLaunchConfig"]["executablePath"] == "/usr/bin/chromium"
    assert config["urls"] == [{"url": "http://127.0.0.1:1/a.html"}]


def test_what_gates() -> None:
    def finding(severity: Any, **details: Any) -> Finding:
        return Finding("x", severity, "m", details=frozen_details(**details))

    assert gates(finding("error"), False) is True
    assert gates(finding("warning"), False) is False
    assert gates(finding("warning"), True) is True  # [tool.pipeline.a11y] warnings_gate
    assert gates(finding("notice"), True) is False
    assert gates(finding("error", accepted={"entry": "a11y-baseline.toml:2"}), False) is False
    assert gates(finding("error", needs_review=True), True) is False  # axe "incomplete"
