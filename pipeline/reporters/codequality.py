"""Findings → a GitLab Code Quality report (``output/reports/codequality.json``).

GitLab reads it as ``artifacts: reports: codequality`` and shows each issue in the
merge request's widget and on its diff lines. The format is Code Climate's subset:
a list of ``{description, check_name, fingerprint, severity, location: {path,
lines: {begin}}}``. The fingerprint leaves the line out, so an issue keeps its
fingerprint when edits above it move its catalog entry (GitLab then does not report it
as fixed and new again); identical issues in one file are told apart by their order.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from typing import Any

from pipeline.models import Finding


def severity(finding: Finding, blocks: bool) -> str:
    """``blocker`` when it blocks publication; else by the finding's own severity."""
    if blocks:
        return "blocker"
    return {"error": "major", "warning": "minor", "notice": "info"}[finding.severity]


def code_quality(entries: Iterable[tuple[Finding, bool]], prefix: str = "") -> list[dict[str, Any]]:
    """``(finding, blocks publication)`` pairs → the report's issues, in the same order.

    ``prefix`` is the content root's folder inside the checkout (``""`` or
    ``"site/"``): GitLab takes paths from the repository root. A finding without a
    location cannot be placed on a line and is left out (a11y.json and qa.json list it).
    """
    return list(iter_code_quality(entries, prefix))


def iter_code_quality(entries: Iterable[tuple[Finding, bool]], prefix: str = ""
                      ) -> Iterator[dict[str, Any]]:
    """``code_quality``'s issues one at a time: a big site's report is written as they
    are made (58,000 issues at 5,000 pages), never held whole."""
    seen: dict[tuple[str, ...], int] = {}
    for finding, blocks in entries:
        if finding.location is None:
            continue
        path = prefix + finding.location.path
        page = str(finding.details.get("page", ""))
        key = (finding.code, path, finding.message, page)
        occurrence = seen.get(key, 0)
        seen[key] = occurrence + 1
        fingerprint = hashlib.sha256("\x00".join((*key, str(occurrence))).encode()).hexdigest()
        description = finding.message + (f" (page {page})" if page else "")
        if finding.hint:
            description += f"; hint: {finding.hint}"
        yield {
            "description": description,
            "check_name": finding.code,
            "fingerprint": fingerprint,
            "severity": severity(finding, blocks),
            "location": {"path": path, "lines": {"begin": finding.location.line or 1}},
        }
