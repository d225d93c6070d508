"""Scripts that count differently: Chinese (characters, not words) and Arabic (OSMAN).

* Chinese: each Han character is a unit, a run of Latin letters or digits is one; the
  2,500 most common characters (``pipeline/data/common_chars_zh.txt``) tell the
  uncommon ones.
* Arabic: syllables from the short vowels when they are written, else from the letters
  (textstat's fallback), and the word classes OSMAN counts.
"""

# ruff: noqa: RUF002 -- Arabic letters in docstrings

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from pipeline.text.measure.words import letters, words

# --- Chinese --------------------------------------------------------------------------------


def is_han(char: str) -> bool:
    code = ord(char)
    return (0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF
            or 0x20000 <= code <= 0x2EBEF or 0xF900 <= code <= 0xFAFF)


@lru_cache(maxsize=1)
def common_chinese_characters() -> frozenset[str]:
    """The 2,500 most common Chinese characters (see pipeline/data/common_chars_zh.txt)."""
    text = resources.files("pipeline").joinpath("data/common_chars_zh.txt").read_text(
        encoding="utf-8")
    return frozenset("".join(line.strip() for line in text.splitlines()
                             if not line.startswith("#")))


def chinese_units(text: str) -> list[str]:
    """Chinese counting units: each Han character, and each run of other letters/digits."""
    out: list[str] = []
    for word in words(text):
        run = ""
        for char in word:
            if is_han(char):
                if run:
                    out.append(run)
                    run = ""
                out.append(char)
            else:
                run += char
        if run:
            out.append(run)
    return out


# --- Arabic ---------------------------------------------------------------------------------

# OSMAN, El-Haj & Rayson 2016: the rules textstat's osman encodes.
_FATHA, _DAMMA, _KASRA = "\u064e", "\u064f", "\u0650"
_SHORT_VOWELS = _FATHA + _DAMMA + _KASRA
_STRESS = "\u064b\u064c\u064d\u0651"  # tanween fath, damm, kasr; shadda
_LONG_AFTER = "\u0627\u0648\u064a"  # alef, waw, yaa
_COMPLEX_MARKS = set(_SHORT_VOWELS + _STRESS)
_VOWEL_MARKS = set(_SHORT_VOWELS + _STRESS + "\u0652")  # with sukun: a vowelled letter
_FASEEH_ONE = set("\u0626\u0621\u0624\u0630\u0638")  # ئ ء ؤ ذ ظ
_FASEEH_TWO = ("\u0648\u0627", "\u0648\u0646")  # وا ون
_TATWEEL = "\u0640"


def arabic_word(word: str) -> tuple[int, bool]:
    """(syllables, diacritized) of an Arabic word. With short vowels written: each short
    vowel is one syllable, a long one (vowel + ا و ي) and each tanween or shadda count
    two. Without them (most modern text), or with marks on fewer than half of the letters
    (a damma to tell homographs apart): letters other than ا and ى, textstat's fallback."""
    w = word.replace(_TATWEEL, "")
    marks = sum(1 for c in w if c in _VOWEL_MARKS)
    if not any(c in _SHORT_VOWELS for c in w) or marks * 2 < letters(w):
        # unvowelled, or only a mark or two to tell homographs apart (يُجري)
        return max(1, sum(1 for c in w if c.isalpha() and c not in "\u0627\u0649")), False
    short = long = 0
    for i, char in enumerate(w):
        if char in _SHORT_VOWELS:
            if i + 1 < len(w) and w[i + 1] in _LONG_AFTER:
                long += 1
            else:
                short += 1
    stress = sum(1 for c in w if c in _STRESS)
    return short + 2 * (long + stress), True


def osman_classes(word: str, syllables: int) -> tuple[int, int, int, int]:
    """What OSMAN counts of an Arabic word of ``syllables`` syllables, each 0 or 1: a
    complex word (more than 5 diacritics), a long one (more than 5 letters), a faseeh
    one (over 5 syllables with ء ئ ؤ ذ ظ وا ون), and one without its short vowels
    written (its syllables estimated from letters)."""
    complex_word = sum(1 for c in word if c in _COMPLEX_MARKS) > 5
    faseeh = syllables > 5 and (any(c in _FASEEH_ONE for c in word)
                                or any(p in word for p in _FASEEH_TWO))
    return (int(complex_word), int(letters(word) > 5), int(faseeh),
            int(not arabic_word(word)[1]))
