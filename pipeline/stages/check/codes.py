"""The check codes: each one's severity, summary and whether a flag can silence it.
"""

# Punctuation tables and messages use non-ASCII marks on purpose (Arabic, CJK, dashes).
# ruff: noqa: RUF001

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pipeline.models import Severity

FLAG_PREFIX = "no-check-"


@dataclass(frozen=True, slots=True)
class CodeInfo:
    severity: Severity
    summary: str
    silenceable: bool = True


CODES: Mapping[str, CodeInfo] = {
    "url-changed": CodeInfo("error", "a link's URL or an image's source differs from the source's"),
    "link-missing": CodeInfo("error", "a link of the source is missing from the translation"),
    "link-added": CodeInfo("error", "the translation has a link the source does not have"),
    "markup-mismatch": CodeInfo(
        "error", "unbalanced markup or images differ (error); emphasis, bold or code "
        "differ from the source (warning)"),
    "block-added": CodeInfo(
        "error", "a heading, list item, quote, code block, table row or thematic break at "
        "the start of a line that the source does not have"),
    "html-added": CodeInfo(
        "error", "raw HTML, a script, an event handler, a style attribute or a "
        "javascript:/vbscript:/data: URL", silenceable=False),
    "bidi-control": CodeInfo(
        "error", "an invisible bidirectional control character (U+202A–U+202E, "
        "U+2066–U+2069)", silenceable=False),
    "placeholder-mismatch": CodeInfo(
        "error", "printf (%s, %(name)s) or {name} placeholders differ; plural forms missing "
        "or empty"),
    "number-changed": CodeInfo("warning", "a number of the source is missing from the "
                               "translation"),
    "same-as-source": CodeInfo("warning", "the translation is the source text unchanged"),
    "length-ratio": CodeInfo("warning", "the translation is much longer or shorter than the "
                             "source"),
    "punctuation": CodeInfo("warning", "ending punctuation or leading/trailing whitespace "
                            "differs from the source"),
    "bracket-mismatch": CodeInfo("warning", "the translation adds or drops brackets (a "
                                 "language's own forms, such as （ ）, count as the same)"),
    "quote-mismatch": CodeInfo("warning", "the translation adds or drops quotation marks (any "
                               "language's style: “ ”, « », „ “, 「 」)"),
    "repeated-word": CodeInfo("warning", "a word is written twice in a row"),
    "blank-translation": CodeInfo("error", "the translation is only white space"),
    "merge-conflict": CodeInfo("error", "msgcat's conflict markers (#-#-#-#-#) are left in the "
                               "translation"),
    "glossary": CodeInfo("warning", "a glossary term is not translated the approved way"),
    "lang-mark": CodeInfo(
        "error", "a language mark [text]{lang=…} sets something besides a known language, "
        "is not attached to [text], or is in template text, where it shows as text"),
    "link-dead": CodeInfo(
        "error", "a link of a source page leads to no page, section, file or declared "
        "external path (checked once, under the source language)"),
    "flag-without-reason": CodeInfo("warning", "a no-check flag without a translator comment "
                                    "saying why (the check still runs)"),
    "flag-unknown-check": CodeInfo("warning", "a no-check flag names a check that does not "
                                   "exist"),
    "flag-not-allowed": CodeInfo("warning", "a no-check flag for a check that cannot be "
                                 "silenced"),
}
UNSILENCEABLE = frozenset(code for code, info in CODES.items() if not info.silenceable)
# Findings about the flags themselves: CI may ignore them, a flag cannot silence them.
FLAG_CODES = frozenset(code for code in CODES if code.startswith("flag-"))
# Findings about the source pages, not a catalog entry: no entry's flag silences them.
SOURCE_CODES = frozenset({"link-dead"})
SILENCEABLE = tuple(c for c, info in CODES.items()
                    if info.silenceable and c not in FLAG_CODES | SOURCE_CODES)
