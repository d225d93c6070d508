"""Accessibility results → JUnit XML for CI systems (one testcase per page and language).

A page whose findings gate gets a ``<failure>`` listing them GNU style; warnings,
notices, accepted and needs-review findings go to ``<system-out>``. A run that could
not check the pages at all is one testcase with an ``<error>``. Built with
ElementTree, so the XML is well formed whatever the findings contain; a character XML
cannot hold at all, in a text or an attribute, is written as its escape (``\\x1f``),
which ElementTree would write as is.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from pipeline.errors import PipelineError
from pipeline.models.a11y import A11yResult, by_page, gates
from pipeline.reporters.a11y_text import a11y_finding_text

SUITE = "pipeline a11y"
# Characters XML 1.0 cannot hold at all (the controls other than tab, LF, CR).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(text: str) -> str:
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group(0)):02x}", text)


def _tostring(root: ET.Element) -> str:
    for element in root.iter():
        for name, value in element.attrib.items():
            element.set(name, _clean(value))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def a11y_junit(result: A11yResult) -> str:
    by_lang: dict[str, list[str]] = {}
    for page in result.results:
        by_lang.setdefault(page.language or "und", []).append(page.page)
    failures = sum(1 for r in result.results if not r.passed)
    root = ET.Element("testsuites", name=SUITE, tests=str(len(result.results)),
                      failures=str(failures), errors="0")
    pages = {r.page: r for r in result.results}
    found, to_review = by_page(result.findings), by_page(result.needs_review)
    for language in sorted(by_lang):
        names = by_lang[language]
        suite = ET.SubElement(
            root, "testsuite", name=f"a11y.{language}", tests=str(len(names)),
            failures=str(sum(1 for n in names if not pages[n].passed)), errors="0", skipped="0",
        )
        props = ET.SubElement(suite, "properties")
        for name, value in (("standard", result.standard),
                            ("runners", ",".join(result.runners)),
                            ("pa11y-ci", result.pa11y_ci_version)):
            ET.SubElement(props, "property", name=name, value=value)
        for name in names:
            page = pages[name]
            case = ET.SubElement(suite, "testcase", classname=f"a11y.{language}", name=name,
                                 file=name)
            mine = found.get(name, [])
            blocking = [f for f in mine if gates(f, result.warnings_gate)]
            if blocking:
                failure = ET.SubElement(
                    case, "failure", type="a11y",
                    message=f"{len(blocking)} finding(s) fail the accessibility gate "
                    f"({page.language})",
                )
                failure.text = _clean("\n".join(a11y_finding_text(f) for f in blocking))
            # Equal findings gate alike: "not blocking" is "not in blocking".
            out = [a11y_finding_text(f) for f in mine
                   if not gates(f, result.warnings_gate) and f.severity != "notice"]
            out += [a11y_finding_text(f, needs_review=True) for f in to_review.get(name, [])]
            out.append(f"{page.errors} errors, {page.warnings} warnings, {page.notices} "
                       f"notices, {page.accepted} accepted")
            ET.SubElement(case, "system-out").text = _clean("\n".join(out))
    return _tostring(root)


def failure_junit(error: PipelineError) -> str:
    root = ET.Element("testsuites", name=SUITE, tests="1", failures="0", errors="1")
    suite = ET.SubElement(root, "testsuite", name="a11y", tests="1", failures="0", errors="1",
                          skipped="0")
    case = ET.SubElement(suite, "testcase", classname="a11y", name="pa11y-ci run")
    node = ET.SubElement(case, "error", type="PipelineError", message=error.message)
    node.text = _clean(str(error))
    return _tostring(root)
