"""Words: plain text → its words and letters, and the language that picks the rules.

* Words are letters, digits and combining marks (Arabic diacritics stay inside the word);
  ``'``, ``’`` and ``-`` join two parts into one word (``middle-aged``, ``can't``);
  ``e.g.`` and ``3.5`` are one word. Chinese counts characters instead (``scripts``).
* ``dale_chall_easy_words``: the familiar words of the Dale–Chall formula.
"""

# ruff: noqa: RUF001, RUF002, RUF003 -- this module is about multilingual punctuation

from __future__ import annotations

import importlib.util
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path


@lru_cache(maxsize=256)
def language_of(code: str) -> str:
    """The language subtag that picks formulas and rules: ``zh_Hans`` → ``zh``."""
    return code.replace("-", "_").split("_")[0].lower()


# --- characters -------------------------------------------------------------------------

APOSTROPHES = "'’"
HYPHENS = "-‐‑"  # hyphen-minus, hyphen, non-breaking hyphen
CLOSERS = "\"'”’»)]}」』）》〉】"


@dataclass(frozen=True, slots=True)
class WordPatterns:
    run: re.Pattern[str]  # a run of word characters
    word: re.Pattern[str]  # runs joined by ' ’ or a hyphen: always one word
    dotted: re.Pattern[str]  # a dot or comma before a word character: perhaps one word


def _word_patterns(char: str) -> WordPatterns:
    joiners = re.escape(APOSTROPHES + HYPHENS)
    return WordPatterns(re.compile(f"{char}+"), re.compile(f"{char}+(?:[{joiners}]{char}+)*"),
                        re.compile(f"[.,]{char}"))


# Word characters: letters, digits and combining marks. ``[^\W_]`` is exactly
# ``str.isalnum``; combining marks (never alphanumeric) join the class once a text has
# one (``patterns_for``), so that the class holds only the marks met so far.
_PLAIN = _word_patterns(r"[^\W_]")
_NON_ASCII_NON_ALNUM = re.compile(r"[^\x00-\x7f\w]")
_IS_MARK: dict[str, bool] = {}
_MARKS: list[str] = []  # every combining mark met so far, in the class of ``_marked``
_marked: list[WordPatterns] = []


def patterns_for(text: str) -> WordPatterns:
    """The word patterns for ``text`` (marks in the class when it has any)."""
    if text.isascii():
        return _PLAIN
    has_mark = False
    for char in set(_NON_ASCII_NON_ALNUM.findall(text)):
        mark = _IS_MARK.get(char)
        if mark is None:
            mark = _IS_MARK[char] = unicodedata.category(char).startswith("M")
            if mark:
                _MARKS.append(char)
                marks = "".join(re.escape(c) for c in sorted(_MARKS))
                _marked[:] = [_word_patterns(rf"(?:[^\W_]|[{marks}])")]
        has_mark = has_mark or mark
    return _marked[0] if has_mark else _PLAIN


def words(text: str) -> list[str]:
    """Words of ``text``: runs of letters, digits and marks, joined by ' ’ - and decimal points."""
    patterns = patterns_for(text)
    if patterns.dotted.search(text) is None:
        return patterns.word.findall(text)
    out: list[str] = []
    n = len(text)
    start = end = -1  # the word so far: text[start:end]
    for word in patterns.word.finditer(text):
        first, last = word.span()
        if start >= 0 and first == end + 1 and text[end] in ".,":
            sep = text[end]
            if ((text[end - 1].isdigit() and text[first].isdigit())
                    # e.g. / i.e. / U.S.: one-letter parts joined by dots (the part before
                    # the dot is one character when the one before it is no word character)
                    or (sep == "." and (end < 2 or not patterns.run.match(text, end - 2, end - 1))
                        and (first + 1 >= n or text[first + 1] == "."))):
                end = last
                continue
        if start >= 0:
            out.append(text[start:end])
        start, end = first, last
    if start >= 0:
        out.append(text[start:end])
    return out


def letters(word: str) -> int:
    """Letters and digits of a word, without marks (diacritics) and joiners."""
    return sum(1 for c in word if c.isalnum())


# --- word lists -------------------------------------------------------------------------


@lru_cache(maxsize=1)
def dale_chall_easy_words() -> frozenset[str]:
    """The Dale–Chall list of 3,000 familiar words, as textstat ships it."""
    # From textstat's folder without importing textstat (that would import NLTK too).
    spec = importlib.util.find_spec("textstat")
    package = (Path(spec.origin).parent if spec is not None and spec.origin is not None
               else resources.files("textstat"))
    text = package.joinpath("resources/en/easy_words.txt").read_text(encoding="utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip())
