"""Sentences: one block of plain text in one language → its sentences, and their counts.

Sentences are split here, per language, never by textstat: its splitter knows only
``. ! ?`` and silently drops sentences of one or two words (textstat#77, #218). A block
boundary always ends a sentence, so a heading is a sentence without a final period.
``measure_sentence`` counts what the formulas (``formulas``) need.
"""

# ruff: noqa: RUF001, RUF002 -- this module is about multilingual punctuation

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache

from pipeline.models.readability import Counts, count_values
from pipeline.text.measure.scripts import (
    chinese_units,
    common_chinese_characters,
    is_han,
    osman_classes,
)
from pipeline.text.measure.syllables import syllables
from pipeline.text.measure.words import (
    CLOSERS,
    dale_chall_easy_words,
    language_of,
    letters,
    patterns_for,
    words,
)

# --- splitting ------------------------------------------------------------------------------

# Abbreviations (lower case, without the final dot) after which a dot ends no sentence.
ABBREVIATIONS: Mapping[str, frozenset[str]] = {
    "en": frozenset({
        "mr", "mrs", "ms", "dr", "prof", "st", "mt", "vs", "fig", "figs", "approx", "dept", "vol",
        "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
        "inc", "ltd", "al", "cf"}),
    "es": frozenset({
        "sr", "sra", "srta", "dr", "dra", "ud", "uds", "dña", "pág", "núm", "av", "avda", "prof",
        "cía", "ej", "vol", "aprox", "tel"}),
    "fr": frozenset({
        "mm", "mme", "mmes", "mlle", "dr", "pr", "st", "ste", "cf", "ex", "n°", "tél", "vol",
        "env"}),
    "de": frozenset({
        "dr", "prof", "nr", "bzw", "ca", "vgl", "usw", "evtl", "ggf", "inkl", "str", "tel"}),
    "it": frozenset({
        "sig", "sigg", "dott", "dr", "prof", "ing", "avv", "ecc", "es", "pag", "tel"}),
}
# Terminators that end a sentence with no space after them.
_CJK_ENDS = "。！？"
_ENDS = ".!?…؟۔" + _CJK_ENDS
_END = re.compile(f"[{re.escape(_ENDS)}]")
_INITIALS = re.compile(r"(?:\w\.)+\w")  # e.g / U.S: one-letter parts joined by dots


def _word_before(text: str, start: int, end: int) -> str:
    r"""What ``re.search(r"([\w.°]+)$", text[start:end])`` finds (or ""), read backwards
    from ``end`` instead of tried at every position from ``start``."""
    if end > start and text[end - 1] == "\n":
        end -= 1  # $ also matches before a final line break
    k = end
    while k > start and (text[k - 1].isalnum() or text[k - 1] in "_.°"):
        k -= 1
    return text[k:end]


def split_sentences(text: str, lang: str) -> list[str]:
    """Sentences of one block of plain text (a block boundary always ends a sentence).

    A sentence ends at ``。！？`` (always), or at ``. ! ? … ؟`` followed by a space and
    a word that does not start in lower case (or by the end of the block), unless the
    word before a dot is an abbreviation of the language, an initial, or ``e.g.``.
    """
    language = language_of(lang)
    abbreviations = ABBREVIATIONS.get(language, frozenset())
    out: list[str] = []
    start = 0
    i, n = 0, len(text)
    while i < n:
        found = _END.search(text, i)
        if found is None:
            break
        i = j = found.start()
        while j < n and (text[j] in _ENDS or text[j] == "."):
            j += 1
        while j < n and text[j] in CLOSERS:
            j += 1
        run = text[i:j]
        if any(c in _CJK_ENDS for c in run) or j >= n:
            boundary = True
        elif not text[j].isspace():
            boundary = False
        else:
            k = j
            while k < n and text[k].isspace():
                k += 1
            nxt = text[k] if k < n else ""
            boundary = nxt == "" or not nxt.islower()
            if boundary and run.startswith(".") and not run.startswith("..."):
                word = _word_before(text, start, i).lower()
                if (word in abbreviations or (len(word) == 1 and word.isalpha())
                        or _INITIALS.fullmatch(word)):
                    boundary = False
        if boundary:
            sentence = text[start:j].strip()
            if sentence:
                out.append(sentence)
            start = j
        i = j
    rest = text[start:].strip()
    if rest:
        out.append(rest)
    return [s for s in out if patterns_for(s).run.search(s)]


# --- counting -------------------------------------------------------------------------------

# What one word adds to a sentence's Counts, field by field (sentences: 0).
WordCounts = tuple[int, int, int, int, int, int, int, int, int, int, int, int, int]


@lru_cache(maxsize=1 << 17)
def _word_counts(word: str, language: str) -> WordCounts:
    syl = syllables(word, language)
    let = letters(word)
    difficult = 0
    osman = (0, 0, 0, 0)
    if language == "en":
        difficult = int(word.lower().replace("’", "'") not in dale_chall_easy_words())
    elif language == "ar":
        osman = osman_classes(word, syl)
    return (1, 0, syl, let, int(syl >= 3), int(syl == 1), int(let > 6), difficult, 0, *osman)


@lru_cache(maxsize=1 << 16)
def measure_sentence(sentence: str, lang: str) -> Counts:
    """Counts of one sentence (``sentences`` is 1). Memoized: a page repeats sentences, and
    a block shown in the source language is the same text on every language's page."""
    language = language_of(lang)
    if language == "zh":
        units = chinese_units(sentence)
        common = common_chinese_characters()
        return Counts(
            words=len(units), sentences=1,
            letters=sum(len(u) for u in units),
            uncommon_characters=sum(1 for u in units if len(u) == 1 and is_han(u)
                                    and u not in common),
        )
    per_word = [_word_counts(w, language) for w in words(sentence)]
    if not per_word:
        return Counts(sentences=1)
    sums = list(map(sum, zip(*per_word, strict=True)))
    sums[1] = 1  # sentences
    return Counts(*sums)


def total(counts: Iterable[Counts]) -> Counts:
    return Counts(*map(sum, zip(*map(count_values, counts), strict=True)))


def sentence_load(counts: Counts, lang: str) -> int:
    """How hard one sentence is to read, for ranking: words + syllables (Chinese:
    characters + uncommon characters). Long sentences of long words come first."""
    if language_of(lang) == "zh":
        return counts.words + counts.uncommon_characters
    return counts.words + counts.syllables
