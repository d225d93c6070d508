"""What the checks read beyond a message's own facts: the labels of inline markup kinds,
and a glossary grouped by term (once per context, ``CheckContext.terms``).

A message text's tokens, visible text, links, markup, HTML, ending and block structure
come from ``pipeline.text.messages`` (``CheckContext.messages``: the build workspace's,
each text parsed once).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from pipeline.text.glossary import GlossaryTerm
from pipeline.text.messages import fold

_EMPHASIS = {"strong_open": "bold (**…**)", "em_open": "emphasis (*…*)",
             "code_inline": "code (`…`)"}


@lru_cache(maxsize=1024)
def _term_pattern(term: str) -> re.Pattern[str]:
    return re.compile(r"(?<![^\W_])" + re.escape(fold(term)) + r"(?![^\W_])")


@dataclass(frozen=True, slots=True)
class _GlossaryEntry:
    folded: str  # the term as the folded source text contains it
    pattern: re.Pattern[str]  # the term as a whole word
    rows: tuple[GlossaryTerm, ...]  # its approved translations, in the glossary's order
    translations: tuple[str, ...]  # folded


def _glossary_entries(glossary: tuple[GlossaryTerm, ...]) -> tuple[_GlossaryEntry, ...]:
    """The glossary grouped by term (a context's ``terms``)."""
    by_term: dict[str, list[GlossaryTerm]] = {}
    for row in glossary:
        by_term.setdefault(fold(row.term), []).append(row)
    return tuple(
        _GlossaryEntry(fold(rows[0].term), _term_pattern(rows[0].term), tuple(rows),
                       tuple(fold(r.translation) for r in rows))
        for rows in by_term.values())
