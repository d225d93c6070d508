"""Accessibility results ↔ the ``a11y.json`` document.

``a11y_document`` is the report (no port, no timing: unchanged input, unchanged bytes);
a sharded check's results travel in it too, and ``a11y_from_document`` reads one back
for the merge. ``failure_document`` is what the report says when the pages could not
be checked, so no stale "passed" is left behind.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pipeline.errors import PipelineError
from pipeline.models.a11y import A11yResult, PageResult, gates
from pipeline.reporters.json import Streamed, finding_from_json, finding_to_json


def _page_result(row: PageResult) -> dict[str, Any]:
    return {"page": row.page, "url": row.url, "language": row.language,
            "errors": row.errors, "warnings": row.warnings, "notices": row.notices,
            "accepted": row.accepted, "passed": row.passed}


def a11y_document(result: A11yResult, *, streamed: bool = False) -> dict[str, Any]:
    """The a11y.json document of ``result``; ``streamed``: its page results and findings
    made one at a time as ``iter_dumps`` writes them (30,000 results on 5,000 pages)."""
    results = (_page_result(r) for r in result.results)
    findings = ({**finding_to_json(f), "gating": gates(f, result.warnings_gate)}
                for f in result.findings)
    return {
        "ok": True,
        "passed": result.passed,
        "standard": result.standard,
        "runners": list(result.runners),
        "runner_versions": dict(result.runner_versions),
        "pa11y_ci_version": result.pa11y_ci_version,
        "chromium": result.chromium,
        "warnings_gate": result.warnings_gate,
        "baseline": result.baseline,
        **({"concurrency": result.concurrency} if result.concurrency else {}),
        "pages": list(result.pages),
        "counts": {
            "gating": len(result.gating),
            "errors": result.count("error"),
            "warnings": result.count("warning"),
            "notices": result.count("notice"),
            "accepted": result.accepted,
            "needs_review": len(result.needs_review),
        },
        "results": Streamed(results) if streamed else list(results),
        "findings": Streamed(findings) if streamed else list(findings),
        "needs_review": [finding_to_json(f) for f in result.needs_review],
    }


def failure_document(error: PipelineError) -> dict[str, Any]:
    """The a11y.json of a run that could not check the pages."""
    return {"ok": False, "passed": False, "error": {
        "message": error.message, "location": str(error.location) if error.location else None,
        "hint": error.hint}}


def a11y_from_document(data: Mapping[str, Any]) -> A11yResult:
    """``a11y_document`` read back; ``KeyError``, ``TypeError`` or ``ValueError`` when
    ``data`` is not one."""
    rows = []
    for row in data["results"]:
        rows.append(PageResult(
            page=str(row["page"]), url=str(row["url"]), language=str(row["language"]),
            errors=int(row["errors"]), warnings=int(row["warnings"]),
            notices=int(row["notices"]), accepted=int(row["accepted"]),
            passed=bool(row["passed"])))
    baseline = data["baseline"]
    return A11yResult(
        findings=tuple(finding_from_json(f) for f in data["findings"]),
        needs_review=tuple(finding_from_json(f) for f in data["needs_review"]),
        results=tuple(rows),
        runners=tuple(str(r) for r in data["runners"]),
        runner_versions={str(k): str(v) for k, v in data["runner_versions"].items()},
        pa11y_ci_version=str(data["pa11y_ci_version"]),
        pages=tuple(str(p) for p in data["pages"]),
        standard=str(data["standard"]),
        warnings_gate=bool(data["warnings_gate"]),
        chromium=str(data["chromium"]),
        baseline=str(baseline) if baseline is not None else None,
        concurrency=int(data.get("concurrency", 0)),
    )
