"""Readability result → ``output/reports/readability.json``: the shared findings document
(``reporters.json``) plus each language's formulas and one entry per page and language.

On a big site the report is tens of megabytes (30 MB for 1,000 pages in 5 languages),
and as one string, with the dicts it is made from, it took over 200 MB at its peak:
``json_pieces`` makes each finding's and each page's entry only as it is written.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pipeline.models.readability import ReadabilityResult
from pipeline.reporters.json import Streamed, findings_document, iter_dumps
from pipeline.text.langs import Lang
from pipeline.text.measure.formulas import FORMULAS, profile


def json_pieces(result: ReadabilityResult) -> Iterator[str]:
    """The report's text in pieces, for a stream (sorted keys, UTF-8, a final newline:
    an unchanged result gives the same bytes)."""
    summary = {"pages": len({p.page for p in result.pages}),
               "languages": [lang.code for lang in result.languages],
               "over_target": [f"{p.slug}:{p.lang.code}" for p in result.over_target]}
    document = findings_document("readability", result.findings, summary, streamed=True)
    document["source_language"] = result.source_language.code
    document["formulas"] = {lang.code: _formula_notes(lang) for lang in result.languages}
    document["results"] = Streamed(p.to_dict() for p in result.pages)
    return iter_dumps(document)


def render_json(result: ReadabilityResult) -> str:
    """The whole report as one string (a small site, a test)."""
    return "".join(json_pieces(result))


def _formula_notes(lang: Lang) -> dict[str, Any]:
    scale = profile(lang.base)
    return {"formulas": [FORMULAS[k].name for k in scale.formulas],
            "primary": FORMULAS[scale.primary].name, "default_target": scale.target,
            "why": scale.why}
