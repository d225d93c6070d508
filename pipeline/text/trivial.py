"""Typo-level source fixes: (old msgid, new msgid) → is the translation still right?

An editor who fixes "tumour" → "tumor", a doubled space or a straight quote should
not send every translator a fuzzy entry. When the editor confirms it
(``pipeline update --trivial-source-fixes`` or ``trivial_source_fixes: true`` in the
page's front matter), ``update`` keeps the translation of a changed message as it
was, not fuzzy, if the change is one of these; anything else still goes fuzzy.
"""

from __future__ import annotations

import re
import unicodedata

from rapidfuzz.distance import Levenshtein

MAX_EDITS = 3  # characters, e.g. tumour → tumor, recieve → receive
MAX_WORDS = 2  # words touched by those edits
MIN_WORD_SIMILARITY = 0.6  # each touched word stays recognisably the same word
# Words whose appearance or disappearance turns a sentence's meaning around.
NEGATIONS = frozenset({"not", "no", "never", "none", "nor", "without", "cannot", "n't"})
# Curly, low and angle quotes and primes, folded to their ASCII forms.
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u2032": "'",
                         "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"',
                         "\u00bb": '"', "\u2033": '"'})
_URL = re.compile(r"\]\(([^)\s]*)")
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?", re.UNICODE)


def _letters(text: str) -> str:
    """Only what carries meaning: letters and digits, case-folded."""
    return "".join(c for c in text.casefold() if unicodedata.category(c)[0] in "LN")


def _words(text: str) -> list[str]:
    return _WORD.findall(text.translate(_QUOTES).casefold())


def _negations(text: str) -> list[str]:
    words = _words(text)
    return sorted(w if w in NEGATIONS else "n't" for w in words
                  if w in NEGATIONS or w.endswith("n't"))


def trivial_change(old: str, new: str) -> str | None:
    """Why ``old`` → ``new`` keeps its translation, or None if it does not."""
    if old == new:
        return None
    if _URL.findall(old) != _URL.findall(new):
        return None  # a link target moved: the translation's link must follow
    if re.findall(r"\d+", old) != re.findall(r"\d+", new):
        return None  # numbers carry meaning (doses, weeks, phone numbers)
    if _negations(old) != _negations(new):
        return None
    if _letters(old) == _letters(new):
        return "only whitespace, punctuation, quotes or case changed"
    old_words, new_words = _words(old), _words(new)
    if len(old_words) != len(new_words):
        return None
    pairs = [(a, b) for a, b in zip(old_words, new_words, strict=True) if a != b]
    if any(Levenshtein.normalized_similarity(a, b) < MIN_WORD_SIMILARITY for a, b in pairs):
        return None  # a different word (cat → dog), not a misspelt one
    touched = len(pairs)
    edits = Levenshtein.distance(_letters(old), _letters(new))
    if touched <= MAX_WORDS and edits <= MAX_EDITS:
        return f"spelling: {edits} letter(s) in {touched} word(s)"
    return None
