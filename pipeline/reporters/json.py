"""JSON renderings of findings: ``Finding``s (+ a stage's summary) → a stable JSON document,
and ``finding_from_json`` to read one back (the sharded accessibility check's merge).

Any stage can use it: ``findings_document("qa", findings, summary)`` gives a plain
dict, ``dumps`` the text (sorted keys, UTF-8, one trailing newline, so an unchanged
result is byte-identical), ``write_report`` writes it atomically. ``iter_dumps`` gives
the same text in pieces for a stream, making a ``Streamed`` list's items only as they
are written: a big report is never whole in memory.

Each finding carries both ``location`` (``path:line``, as printed for people) and the
separate ``path`` and ``line`` a CI annotation needs.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from pipeline.infra.fsutil import write_text_atomic
from pipeline.models import Finding, Location, frozen_details
from pipeline.models.check import CheckResult

SCHEMA_VERSION = 1


def finding_to_json(finding: Finding) -> dict[str, Any]:
    data = finding.to_dict()
    data["path"] = finding.location.path if finding.location else None
    data["line"] = finding.location.line if finding.location and finding.location.line else None
    data["details"] = _plain(data["details"])
    return data


def finding_from_json(data: Any) -> Finding:
    """``finding_to_json`` read back (lists in ``details`` as tuples); ``ValueError``
    naming the field when ``data`` is not one."""
    if not isinstance(data, dict):
        raise ValueError("a finding is not an object")
    for key, kinds in (("code", str), ("severity", str), ("message", str),
                       ("path", (str, type(None))), ("line", (int, type(None))),
                       ("hint", (str, type(None))), ("related", list), ("details", dict)):
        if not isinstance(data.get(key), kinds) or isinstance(data.get(key), bool):
            raise ValueError(f"a finding's {key!r} is missing or of the wrong type")
    if data["severity"] not in ("error", "warning", "notice"):
        raise ValueError(f"unknown severity {data['severity']!r}")
    if not all(isinstance(r, str) for r in data["related"]):
        raise ValueError("a finding's 'related' holds a non-string")
    path = data["path"]
    return Finding(
        code=data["code"], severity=data["severity"], message=data["message"],
        location=Location(path, data["line"] or 0) if path is not None else None,
        hint=data["hint"], related=tuple(_location(r) for r in data["related"]),
        details=frozen_details(**{str(k): _frozen(v) for k, v in data["details"].items()}),
    )


def _location(text: str) -> Location:
    """``str(Location)`` read back: ``path:line``, or a bare path."""
    path, sep, line = text.rpartition(":")
    return Location(path, int(line)) if sep and line.isdigit() else Location(text)


def _frozen(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, dict):
        return {k: _frozen(v) for k, v in value.items()}
    return value


def findings_document(stage: str, findings: Iterable[Finding],
                      summary: Mapping[str, Any] | None = None, *,
                      streamed: bool = False) -> dict[str, Any]:
    """``{"stage", "version", "summary", "findings"}`` with severity counts in the summary.

    ``streamed``: the findings as a ``Streamed`` list, each made as ``iter_dumps``
    writes it."""
    findings = tuple(findings)
    items: list[dict[str, Any]] | Streamed = (
        Streamed(map(finding_to_json, findings)) if streamed
        else [finding_to_json(f) for f in findings])
    counts = {"errors": 0, "warnings": 0, "notices": 0}
    for finding in findings:
        counts[finding.severity + "s"] += 1
    return {
        "stage": stage,
        "version": SCHEMA_VERSION,
        "summary": {**counts, **_plain(dict(summary or {}))},
        "findings": items,
    }


def qa_document(result: CheckResult) -> dict[str, Any]:
    """The check stage's report (``qa.json``): its findings and per-language counts."""
    return findings_document("qa", result.findings, result.summary())


def dumps(data: Any) -> str:
    """``json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True)`` + newline, byte
    for byte, about four times faster: the standard library writes indented JSON through
    a chain of generators, one frame per nesting level for every token, which took
    seconds on a 1,000-page readability report."""
    return _text(data, "\n", default=None) + "\n"


class Streamed:
    """A list in a document for ``iter_dumps``, its items made (and dropped) one at a
    time as the text is written; a dict's value, read once."""

    __slots__ = ("items",)

    def __init__(self, items: Iterable[Any]):
        self.items = items


def iter_dumps(data: Any) -> Iterator[str]:
    """The text of ``dumps(data)``, in pieces: for a document too big to hold whole as
    text, written to a stream. A ``Streamed`` value (in dicts only) is written item by
    item; everything else one piece per ``Streamed`` item or dict value."""
    yield from _pieces(data, "\n")
    yield "\n"


def _pieces(value: Any, newline: str) -> Iterator[str]:
    if type(value) is Streamed:
        inner = newline + "  "
        separator = "[" + inner
        for item in value.items:
            yield separator + _text(item, inner)
            separator = "," + inner
        yield "[]" if separator[0] == "[" else newline + "]"
    elif (type(value) is dict and value and all(type(k) is str for k in value)
          and _holds_streamed(value)):
        inner = newline + "  "
        separator = "{" + inner
        for key in sorted(value):
            yield separator + _string(key) + ": "
            yield from _pieces(value[key], inner)
            separator = "," + inner
        yield newline + "}"
    else:
        yield _text(value, newline)


def _holds_streamed(value: dict[str, Any]) -> bool:
    return any(type(v) is Streamed or (type(v) is dict and _holds_streamed(v))
               for v in value.values())


def _listed(value: Any) -> list[Any]:
    if type(value) is Streamed:
        return list(value.items)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _text(value: Any, newline: str,
          default: Callable[[Any], Any] | None = _listed) -> str:
    """``value`` as ``dumps`` writes it at the indentation ``newline`` (no final newline);
    ``default``: what the standard library's fallback makes of an unknown type (a
    ``Streamed`` list, for ``iter_dumps``; ``dumps`` refuses it)."""
    out: list[str] = []
    try:
        _encode(value, newline, out)
    except _Unusual:
        # The standard library's text, indented: a string in it never holds a raw "\n".
        return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True,
                          default=default).replace("\n", newline)
    return "".join(out)


class _Unusual(Exception):
    """A value the fast path does not handle (non-string keys, a cycle, an unknown type):
    the standard library then writes, or refuses, the document."""


_string = json.encoder.encode_basestring
_DEPTH_LIMIT = 200


def _encode(value: Any, newline: str, out: list[str]) -> None:
    # ``newline`` is "\n" plus the current indentation.
    kind = type(value)
    if kind is str:
        out.append(_string(value))
    elif kind is dict:
        if not value:
            out.append("{}")
            return
        if len(newline) > _DEPTH_LIMIT:
            raise _Unusual
        inner = newline + "  "
        separator = "{" + inner
        for key in sorted(value):
            if type(key) is not str:
                raise _Unusual
            out.append(separator)
            out.append(_string(key))
            out.append(": ")
            _encode(value[key], inner, out)
            separator = "," + inner
        out.append(newline + "}")
    elif kind is list or kind is tuple:
        if not value:
            out.append("[]")
            return
        if len(newline) > _DEPTH_LIMIT:
            raise _Unusual
        inner = newline + "  "
        separator = "[" + inner
        for item in value:
            out.append(separator)
            _encode(item, inner, out)
            separator = "," + inner
        out.append(newline + "]")
    elif value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif kind is int:
        out.append(int.__repr__(value))
    elif kind is float and value == value and value not in (float("inf"), float("-inf")):
        out.append(float.__repr__(value))
    else:
        raise _Unusual


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
