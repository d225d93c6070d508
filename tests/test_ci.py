"""What CI reads from a blocked build: the GNU lines of the summary, GitHub workflow
annotations, the GitLab Code Quality report, the content root's place in the checkout,
and the shipped CI files. The findings are real: translation QA on tests/roots/qa-findings.
(The builds that print them are in test_build.py.)"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from conftest import REPO, ROOTS

from pipeline.build import CODE_QUALITY_JSON
from pipeline.config import load_config
from pipeline.infra.fsutil import repository_prefix
from pipeline.models import Finding, Location, frozen_details
from pipeline.models.build import Gate
from pipeline.reporters.annotations import annotation, gate_annotations
from pipeline.reporters.build_text import SHOWN, blocking_text
from pipeline.reporters.codequality import code_quality
from pipeline.reporters.json import dumps
from pipeline.stages.check import run_checks

FINDINGS = ROOTS / "qa-findings"
GNU_LINE = re.compile(r"^locales/(es|fr|ar|zh_Hans)/LC_MESSAGES/messages\.po:[1-9][0-9]*: "
                      r"error: .+ \[[a-z-]+\]$")


@pytest.fixture(scope="module")
def qa_findings() -> tuple[Finding, ...]:
    return run_checks(load_config(FINDINGS)).findings


def qa_gate(findings: tuple[Finding, ...], *, enabled: bool = True) -> Gate:
    errors = tuple(f for f in findings if f.severity == "error")
    return Gate("qa", enabled, not errors, f"{len(errors)} translation QA error(s)", errors,
                ("output/reports/qa.json",))


def parse_command(line: str) -> tuple[str, dict[str, str], str]:
    """A workflow command read back as the runner reads it (ActionCommand.TryParseV2):
    split at the first ``::`` after the properties, properties at ``,`` and ``=``, then
    unescape (``%25`` last, so an escaped ``%`` never starts another escape)."""
    assert line.startswith("::") and "\n" not in line and "\r" not in line
    head, sep, data = line[2:].partition("::")
    assert sep
    command, _, props = head.partition(" ")

    def unescape(text: str, escapes: tuple[tuple[str, str], ...]) -> str:
        for escaped, plain in (*escapes, ("%25", "%")):
            text = text.replace(escaped, plain)
        return text

    lines = (("%0D", "\r"), ("%0A", "\n"))
    properties = {}
    for prop in props.split(","):
        key, _, value = prop.partition("=")
        properties[key] = unescape(value, (*lines, ("%3A", ":"), ("%2C", ",")))
    return command, properties, unescape(data, lines)


def test_blocking_gate_lists_its_first_findings_and_where_the_rest_are(
        qa_findings: tuple[Finding, ...]) -> None:
    gate = qa_gate(qa_findings)
    assert len(gate.findings) > SHOWN  # the fixture has more
    lines = blocking_text([gate]).splitlines()
    heads = [line for line in lines if not line.startswith("  ")]
    assert len(heads) == SHOWN + 1
    assert all(GNU_LINE.match(line) for line in heads[:-1]), heads
    assert heads[-1] == f"and {len(gate.findings) - SHOWN} more in output/reports/qa.json"
    first = gate.findings[0]
    assert lines[:2] == [f"{first.location}: error: {first.message} [{first.code}]",
                         f"  hint: {first.hint}"]
    # Nothing for a gate that passes, or that only warns (the config turned it off).
    assert blocking_text([qa_gate(())]) == ""
    assert blocking_text([qa_gate(qa_findings, enabled=False)]) == ""


def test_annotation_format_and_escaping() -> None:
    finding = Finding(
        code="url-changed", severity="error",
        message='link target changed: "/a,b" → "jav%09ascript:x"\r\nsecond line',
        location=Location("locales/es,x/LC:MESSAGES/messages.po", 12),
        hint="keep 100% of it", details=frozen_details(page="output/build/es/a.html",
                                                        selector="#main > p"))
    line = annotation(finding, "url-changed (translation QA)", "site/")
    assert line == (
        "::error file=site/locales/es%2Cx/LC%3AMESSAGES/messages.po,line=12,"
        "title=url-changed (translation QA)::"
        "link target changed: \"/a,b\" → \"jav%2509ascript:x\"%0D%0Asecond line"
        "%0Apage: output/build/es/a.html, element: #main > p%0Ahint: keep 100%25 of it")
    command, props, data = parse_command(line)
    assert command == "error"
    assert props == {"file": "site/locales/es,x/LC:MESSAGES/messages.po", "line": "12",
                     "title": "url-changed (translation QA)"}
    assert data.splitlines()[0] == 'link target changed: "/a,b" → "jav%09ascript:x"'
    # A warning is a ::warning; no location, no file or line.
    bare = annotation(replace(finding, severity="warning", location=None, hint=None,
                              details=frozen_details()), "t: 1, 2")
    assert bare == ("::warning title=t%3A 1%2C 2::link target changed: \"/a,b\" → "
                    "\"jav%2509ascript:x\"%0D%0Asecond line")


def test_annotations_of_real_findings_read_back_exactly(qa_findings: tuple[Finding, ...]
                                                        ) -> None:
    gate = qa_gate(qa_findings)
    commands = gate_annotations([gate], "site/").splitlines()
    assert len(commands) == SHOWN
    for line, finding in zip(commands, gate.findings, strict=False):
        command, props, data = parse_command(line)
        assert finding.location is not None
        assert (command, props["file"], props["line"]) == (
            "error", f"site/{finding.location.path}", str(finding.location.line))
        assert props["title"] == f"{finding.code} (translation QA)"
        assert data == f"{finding.message}\nhint: {finding.hint}"
    assert gate_annotations([qa_gate(qa_findings, enabled=False)]) == ""


def test_code_quality_report_shape_and_stable_fingerprints(qa_findings: tuple[Finding, ...]
                                                           ) -> None:
    entries = [(f, f.severity == "error") for f in qa_findings]
    issues = json.loads(dumps(code_quality(entries)))
    assert isinstance(issues, list) and len(issues) == len(qa_findings)
    for issue, finding in zip(issues, qa_findings, strict=True):
        assert set(issue) == {"description", "check_name", "fingerprint", "severity",
                              "location"}
        assert issue["check_name"] == finding.code
        assert issue["description"].startswith(finding.message)
        assert issue["severity"] == ("blocker" if finding.severity == "error" else "minor")
        assert finding.location is not None
        assert issue["location"] == {"path": finding.location.path,
                                     "lines": {"begin": finding.location.line}}
        assert re.fullmatch(r"[0-9a-f]{64}", issue["fingerprint"])
    fingerprints = [i["fingerprint"] for i in issues]
    assert len(set(fingerprints)) == len(fingerprints)
    # Stable: the same findings give the same fingerprints, and so do the same findings
    # on moved lines (an edit above them in the catalog); other paths give other ones.
    assert [i["fingerprint"] for i in code_quality(entries)] == fingerprints
    moved = [(replace(f, location=Location(f.location.path, f.location.line + 7)), b)
             for f, b in entries if f.location]
    assert [i["fingerprint"] for i in code_quality(moved)] == fingerprints
    sub = code_quality(entries, "site/")
    assert all(i["location"]["path"].startswith("site/locales/") for i in sub)
    assert not set(fingerprints) & {i["fingerprint"] for i in sub}
    # Not blocking: an error is major, a warning minor; a finding without a place is left out.
    loose = code_quality([(f, False) for f in qa_findings[:1]]
                         + [(replace(qa_findings[0], location=None), True)])
    assert [i["severity"] for i in loose] == ["major"]


def test_repository_prefix_is_the_content_roots_folder_in_the_checkout(tmp_path: Path
                                                                        ) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    site = repo / "docs" / "site"
    site.mkdir(parents=True)
    assert repository_prefix(repo, {}) == ""
    assert repository_prefix(site, {}) == "docs/site/"
    # The CI's checkout wins over .git when the content root is inside it.
    assert repository_prefix(site, {"GITHUB_WORKSPACE": str(repo / "docs")}) == "site/"
    assert repository_prefix(site, {"CI_PROJECT_DIR": str(repo / "docs")}) == "site/"
    assert repository_prefix(site, {"GITHUB_WORKSPACE": str(tmp_path / "other")}) \
        == "docs/site/"
    # A worktree's .git is a file; without any checkout the content root is the top.
    (repo / ".git").rmdir()
    (repo / ".git").write_text("gitdir: /elsewhere\n")
    assert repository_prefix(site, {}) == "docs/site/"
    (repo / ".git").unlink()
    assert repository_prefix(site, {}) == ""


def test_shipped_ci_files_parse_and_wire_junit_and_code_quality() -> None:
    # The shipped pipelines are build -> shards -> gate (their graph: test_shards.py);
    # the gate job, which decides, reports.
    gitlab = yaml.safe_load((REPO / "ci/gitlab-ci.yml").read_text())
    job = gitlab["gate"]
    assert job["script"] == ["ci/sharded.sh gate output/reports/"]
    assert job["artifacts"]["when"] == "always"
    assert job["artifacts"]["reports"] == {
        "junit": "output/reports/a11y.junit.xml",
        "codequality": f"output/reports/{CODE_QUALITY_JSON}"}
    github = yaml.safe_load((REPO / ".github/workflows/publish.yml").read_text())
    steps = github["jobs"]["gate"]["steps"]
    assert any(step.get("run") == "ci/sharded.sh gate shards/" for step in steps)
    junit = [s for s in steps if str(s.get("uses", "")).startswith("mikepenz/action-junit")]
    assert junit and junit[0]["with"]["report_paths"] == "output/reports/a11y.junit.xml"
    assert junit[0]["if"] == "always()"
    bash = shutil.which("bash")
    assert bash is not None
    for script in ("ci/publish.sh", "ci/sharded.sh"):  # the one-job way stays
        subprocess.run([bash, "-n", str(REPO / script)], check=True)
