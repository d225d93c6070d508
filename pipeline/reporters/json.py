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
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from itertools import islice
from pathlib import Path
from typing import Any

import orjson

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
    for byte (but a NaN or an infinity is null), written by orjson: the standard library
    writes indented JSON through a chain of generators, one frame per nesting level for
    every token, which took seconds on a 1,000-page readability report (0.87 s, and 0.18
    s with orjson, for its 28 MB)."""
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
        items = iter(value.items)
        opening, size = "[", 16
        while chunk := list(islice(items, size)):
            text = _items_text(chunk, newline)
            yield opening + text
            opening = ","
            # The next chunk about STREAMED_BYTES of text, as long as the items go on
            # being as long as these: the stream never holds much more at once.
            size = max(1, min(256, STREAMED_BYTES * len(chunk) // len(text)))
        yield "[]" if opening == "[" else newline + "]"
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


# A streamed list's items are written some at a time, one orjson call each, about this
# much text a call: one call per item (12,000 findings in qa.json at 1,000 pages) cost a
# quarter of the writing.
STREAMED_BYTES = 64 << 10


def _items_text(items: list[Any], newline: str) -> str:
    """The items of a list at the indentation ``newline``, as ``dumps`` writes them
    between its brackets: each on a line of its own, one level in, comma-separated."""
    inner = newline + "  "
    try:
        data = orjson.dumps(items, default=_listed, option=_ORJSON)
    except TypeError:
        pass
    else:
        if b"0.0000" not in data and not (b"e-" in data and _ORJSON_EXPONENT.search(data)):
            # "[\n  a,\n  b\n]": the brackets and the last line break off, each line
            # break moved in to this list's indentation.
            return data[1:-2].decode().replace("\n", newline)
    return inner + ("," + inner).join(_text(item, inner) for item in items)


def _holds_streamed(value: dict[str, Any]) -> bool:
    return any(type(v) is Streamed or (type(v) is dict and _holds_streamed(v))
               for v in value.values())


def _listed(value: Any) -> list[Any]:
    if type(value) is Streamed:
        # Kept as a list: a text that orjson gave up on reads it again.
        value.items = items = list(value.items)
        return items
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _text(value: Any, newline: str,
          default: Callable[[Any], Any] | None = _listed) -> str:
    """``value`` as ``dumps`` writes it at the indentation ``newline`` (no final newline);
    ``default``: what the standard library's fallback makes of an unknown type (a
    ``Streamed`` list, for ``iter_dumps``; ``dumps`` refuses it)."""
    try:
        data = orjson.dumps(value, default=_refused if default is None else default,
                            option=_ORJSON)
    except TypeError:  # orjson.JSONEncodeError: a big int, a surrogate, a key not a str...
        pass
    else:
        if b"0.0000" not in data and not (b"e-" in data and _ORJSON_EXPONENT.search(data)):
            # A string in it never holds a raw "\n".
            text = data.decode()
            return text if newline == "\n" else text.replace("\n", newline)
    out: list[str] = []
    try:
        _encode(value, newline, out)
    except _Unusual:
        strict = None if default is None else (lambda item: _finite(default(item), 0))
        return json.dumps(_finite(value, 0), ensure_ascii=False, indent=2, sort_keys=True,
                          default=strict).replace("\n", newline)
    return "".join(out)


def _finite(value: Any, depth: int) -> Any:
    """``value`` with each NaN and infinity as None, for the standard library (a cycle is
    left to it, which refuses one)."""
    if type(value) is float and not math.isfinite(value):
        return None
    if depth > _DEPTH_LIMIT:
        return value
    if isinstance(value, dict):
        return {key: _finite(item, depth + 1) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item, depth + 1) for item in value]
    return value


# orjson writes the standard library's text (indent 2, sorted keys, UTF-8, the same
# escapes, floats as ``float.__repr__``) five times faster, except a float under 1e-4
# written without an exponent or with a one-digit one ("0.00001", "2e-6"; the standard
# library: "1e-05", "2e-06"). A text holding either pattern, in a string as well, is
# written again the slow way. A NaN or an infinity is written as null, strict JSON, on
# every way here; the standard library writes NaN, which JSON readers refuse.
_ORJSON = (orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATACLASS
           | orjson.OPT_PASSTHROUGH_DATETIME)
# Searched for apart: a pattern with a literal start is found by a fast scan.
_ORJSON_EXPONENT = re.compile(rb"e-[1-9](?![0-9])")


def _refused(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


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
    elif kind is float:
        finite = value == value and value not in (float("inf"), float("-inf"))
        out.append(float.__repr__(value) if finite else "null")
    else:
        raise _Unusual


def write_report(path: Path, data: Any, display: str | None = None) -> bool:
    """Write ``data`` as JSON atomically; False when the file already held these bytes."""
    return write_text_atomic(path, dumps(data), display)


# Returned as they are, told apart by their exact type: an ``isinstance`` test against
# ``Mapping`` (an ABC) for each of the 70,000 values of 12,000 findings' details was
# 40 % of writing qa.json at 1,000 pages.
_SCALARS = frozenset({str, int, float, bool, type(None)})


def _plain(value: Any) -> Any:
    """Mappings and tuples (frozen details) → dicts and lists json can write."""
    if type(value) in _SCALARS:
        return value
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_plain(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    return value
