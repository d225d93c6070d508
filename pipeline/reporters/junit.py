"""Accessibility results → JUnit XML for CI systems (one testcase per page and language).

A page whose findings gate gets a ``<failure>`` listing them GNU style; warnings,
notices, accepted and needs-review findings go to ``<system-out>``. A run that could
not check the pages at all is one testcase with an ``<error>``.

The text is ElementTree's (``ET.indent`` then ``ET.tostring``), byte for byte, with its
escapes, so the XML is well formed whatever the findings contain; it is written here
directly because ElementTree's serializer took 0.8 s for a 1,000-page site's 5,000
testcases, on every build's critical path (tests hold the two texts equal).
"""

from __future__ import annotations

import re
from typing import NamedTuple

from pipeline.errors import PipelineError
from pipeline.models import Finding
from pipeline.models.a11y import A11yResult, gates
from pipeline.reporters.a11y_text import a11y_finding_text

SUITE = "pipeline a11y"
# Characters XML 1.0 cannot hold at all (the controls other than tab, LF, CR).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_CDATA = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_ATTRIBUTE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;",
                            "\r": "&#13;", "\n": "&#10;", "\t": "&#09;"})


class _Node(NamedTuple):
    tag: str
    attributes: dict[str, str]
    text: str | None = None
    children: list[_Node] | None = None


def _clean(text: str) -> str:
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group(0)):02x}", text)


def _write(node: _Node, out: list[str], level: int) -> None:
    """``node`` as ElementTree writes it once indented by two spaces a level: an element
    with children holds them on their own lines, one without is written on one line,
    empty as ``<tag ... />``. A character XML cannot hold, in a text or an attribute,
    is written as its escape (``\\x1f``): ElementTree writes it as is, and no parser
    reads the file then."""
    out.append("<" + node.tag)
    for name, value in node.attributes.items():
        out.append(f' {name}="{_clean(value).translate(_ATTRIBUTE)}"')
    if node.children:
        out.append(">")
        inner = "\n" + "  " * (level + 1)
        for child in node.children:
            out.append(inner)
            _write(child, out, level + 1)
        out.append("\n" + "  " * level + "</" + node.tag + ">")
    elif node.text:
        out.append(">" + _clean(node.text).translate(_CDATA) + "</" + node.tag + ">")
    else:
        out.append(" />")


def _tostring(root: _Node) -> str:
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n']
    _write(root, out, 0)
    out.append("\n")
    return "".join(out)


def a11y_junit(result: A11yResult) -> str:
    by_lang: dict[str, list[str]] = {}
    for page in result.results:
        by_lang.setdefault(page.language or "und", []).append(page.page)
    pages = {r.page: r for r in result.results}
    # Each page's findings, in their order: found once, not by a walk of all of them
    # for each of thousands of pages.
    found: dict[object, list[Finding]] = {}
    for finding in result.findings:
        found.setdefault(finding.details.get("page"), []).append(finding)
    review: dict[object, list[Finding]] = {}
    for finding in result.needs_review:
        review.setdefault(finding.details.get("page"), []).append(finding)
    suites = []
    for language in sorted(by_lang):
        names = by_lang[language]
        properties = _Node("properties", {}, children=[
            _Node("property", {"name": name, "value": value})
            for name, value in (("standard", result.standard),
                                ("runners", ",".join(result.runners)),
                                ("pa11y-ci", result.pa11y_ci_version))])
        cases = [properties]
        for name in names:
            page = pages[name]
            mine = found.get(name, [])
            blocking = [f for f in mine if gates(f, result.warnings_gate)]
            children = []
            if blocking:
                children.append(_Node("failure", {
                    "type": "a11y",
                    "message": f"{len(blocking)} finding(s) fail the accessibility gate "
                               f"({page.language})"},
                    "\n".join(a11y_finding_text(f) for f in blocking)))
            # Equal findings gate alike: "not blocking" is "not in blocking".
            out = [a11y_finding_text(f) for f in mine
                   if not gates(f, result.warnings_gate) and f.severity != "notice"]
            out += [a11y_finding_text(f, needs_review=True) for f in review.get(name, [])]
            out.append(f"{page.errors} errors, {page.warnings} warnings, {page.notices} "
                       f"notices, {page.accepted} accepted")
            children.append(_Node("system-out", {}, "\n".join(out)))
            cases.append(_Node("testcase", {"classname": f"a11y.{language}", "name": name,
                                            "file": name}, children=children))
        suites.append(_Node("testsuite", {
            "name": f"a11y.{language}", "tests": str(len(names)),
            "failures": str(sum(1 for n in names if not pages[n].passed)), "errors": "0",
            "skipped": "0"}, children=cases))
    failures = sum(1 for r in result.results if not r.passed)
    return _tostring(_Node("testsuites", {
        "name": SUITE, "tests": str(len(result.results)), "failures": str(failures),
        "errors": "0"}, children=suites))


def failure_junit(error: PipelineError) -> str:
    case = _Node("testcase", {"classname": "a11y", "name": "pa11y-ci run"}, children=[
        _Node("error", {"type": "PipelineError", "message": error.message}, str(error))])
    suite = _Node("testsuite", {"name": "a11y", "tests": "1", "failures": "0", "errors": "1",
                                "skipped": "0"}, children=[case])
    return _tostring(_Node("testsuites", {"name": SUITE, "tests": "1", "failures": "0",
                                          "errors": "1"}, children=[suite]))
