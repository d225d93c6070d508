"""JSON renderings of findings: ``Finding``s (+ a stage's summary) → a stable JSON document.

Any stage can use it: ``findings_document("qa", findings, summary)`` gives a plain
dict, ``dumps`` the text (sorted keys, UTF-8, one trailing newline, so an unchanged
result is byte-identical), ``write_report`` writes it atomically.

Each finding carries both ``location`` (``path:line``, as printed for people) and the
separate ``path`` and ``line`` a CI annotation needs.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pipeline.fsutil import write_text_atomic
from pipeline.models import Finding

SCHEMA_VERSION = 1


def finding_to_json(finding: Finding) -> dict[str, Any]:
    data = finding.to_dict()
    data["path"] = finding.location.path if finding.location else None
    data["line"] = finding.location.line if finding.location and finding.location.line else None
    data["details"] = _plain(data["details"])
    return data


def findings_document(stage: str, findings: Iterable[Finding],
                      summary: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """``{"stage", "version", "summary", "findings"}`` with severity counts in the summary."""
    items = [finding_to_json(f) for f in findings]
    counts = {"errors": 0, "warnings": 0, "notices": 0}
    for item in items:
        counts[item["severity"] + "s"] += 1
    return {
        "stage": stage,
        "version": SCHEMA_VERSION,
        "summary": {**counts, **_plain(dict(summary or {}))},
        "findings": items,
    }


def dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def write_report(path: Path, data: Any, display: str | None = None) -> bool:
    """Write ``data`` as JSON atomically; False when the file already held these bytes."""
    return write_text_atomic(path, dumps(data), display)


def _plain(value: Any) -> Any:
    """Mappings and tuples (frozen details) → dicts and lists json can write."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_plain(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    return value
