"""Readability results: what the readability stage hands out, per page and language.

``ReadabilityResult`` holds one ``PageReadability`` per page and language (its
``Counts``, a ``Score`` per ``Formula``, the ``Target``, the hardest sentences as
``SentenceScore``s, and the advice as ``Finding``s). Plain frozen data: the stage
(``pipeline.stages.readability``) makes it from the measures of ``pipeline.text.measure``,
the reporters format it and the build cache keeps it between builds.
"""

# ruff: noqa: RUF003 -- Arabic letters in a comment

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from pipeline.models import Finding, Location
from pipeline.models.fastinit import fast_init

if TYPE_CHECKING:
    from pipeline.text.langs import Lang


@fast_init
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
        return Counts(*map(operator.add, count_values(self), count_values(other)))

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
count_values = operator.attrgetter(*(f.name for f in fields(Counts)))

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


@dataclass(frozen=True, slots=True)
class Target:
    """The score a page should reach, on its language's primary scale."""

    formula: Formula
    value: float
    origin: str  # "default", "config" or "command line"
    why: str = ""

    def met_by(self, value: float) -> bool:
        if self.formula.higher_is_easier:
            return value >= self.value
        return value <= self.value

    @property
    def text(self) -> str:
        return f"{'≥' if self.formula.higher_is_easier else '≤'} {self.value:g}"

    def to_dict(self) -> dict[str, Any]:
        return {"formula": self.formula.name, "key": self.formula.key, "value": self.value,
                "direction": "min" if self.formula.higher_is_easier else "max",
                "origin": self.origin, "why": self.why}


@fast_init
@dataclass(frozen=True, slots=True)
class SentenceScore:
    """One sentence as a reader of the language gets it, with where to change it."""

    text: str
    lang: Lang  # the language the sentence is in
    counts: Counts
    load: int  # ranking key: words + syllables (Chinese: characters + uncommon ones)
    source: Location  # the page line of the block
    po: Location | None  # the catalog entry shown, if any
    state: str  # source, translated, outdated
    block: str  # the whole block's plain text, for context
    start: int  # where the sentence starts in ``block``

    @property
    def location(self) -> Location:
        """Where to fix it: the .po entry for a translation, else the page line."""
        return self.po if self.po is not None and self.state != "source" else self.source

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "lang": self.lang.code, "words": self.counts.words,
                "syllables": self.counts.syllables, "load": self.load,
                "source": str(self.source), "po": str(self.po) if self.po else None,
                "state": self.state}


@dataclass(frozen=True, slots=True)
class PageReadability:
    """One page in one language."""

    page: str  # path relative to the content root
    slug: str
    title: str  # as the reader of this language sees it
    lang: Lang
    unit: str  # what ``counts.words`` counts: "words", or "characters" (Chinese)
    counts: Counts  # of the text scored (the language's own text)
    scores: tuple[Score, ...]  # primary formula first
    target: Target
    met: bool | None  # None: nothing in this language to score yet
    blocks: int
    fallback_blocks: int  # shown in the source language, not scored here
    fallback_words: int
    hardest: tuple[SentenceScore, ...]
    findings: tuple[Finding, ...]
    notes: tuple[str, ...] = ()
    # The message of each catalog location that its page line would not find again (a
    # table row's line holds a message per cell): stages.readability.anchored. Kept in
    # the build's cache, never shown.
    anchors: tuple[tuple[Location, tuple[str | None, str]], ...] = ()

    @property
    def primary(self) -> Score | None:
        for score in self.scores:
            if score.formula.key == self.target.formula.key:
                return score
        return None

    @property
    def scored_blocks(self) -> int:
        return self.blocks - self.fallback_blocks

    def to_dict(self) -> dict[str, Any]:
        primary = self.primary
        return {
            "page": self.page, "slug": self.slug, "title": self.title,
            "lang": self.lang.code, "tag": self.lang.tag, "unit": self.unit,
            "score": round(primary.value, 2) if primary else None,
            "formula": self.target.formula.name, "target": self.target.to_dict(),
            "met": self.met, "counts": self.counts.to_dict(),
            "scores": [s.to_dict() for s in self.scores],
            "blocks": self.blocks, "fallback_blocks": self.fallback_blocks,
            "fallback_words": self.fallback_words,
            "hardest": [s.to_dict() for s in self.hardest],
            "findings": len(self.findings), "notes": list(self.notes),
        }


@dataclass(frozen=True, slots=True)
class ReadabilityResult:
    languages: tuple[Lang, ...]
    source_language: Lang
    pages: tuple[PageReadability, ...]  # page by page, languages in config order

    @property
    def findings(self) -> tuple[Finding, ...]:
        return tuple(f for p in self.pages for f in p.findings)

    @property
    def over_target(self) -> tuple[PageReadability, ...]:
        return tuple(p for p in self.pages if p.met is False)


# --- reading a plain-language notice ---------------------------------------------------------


def also_used(finding: Finding) -> list[Location]:
    """A plain-language notice's other uses of its term (where to fix each)."""
    return [Location(path, int(line)) for path, _, line in
            (where.rpartition(":") for where in finding.details.get("also", ()))]


def catalog_locations(page: PageReadability) -> list[Location]:
    """Every location of ``page``'s results that an edit elsewhere in the catalog can
    move (``stages.readability.relocate``), in one fixed order: its hardest sentences'
    catalog lines, then each finding's location and its term's other uses. The same
    page's results before and after ``relocate`` list them in the same places."""
    out = [s.po for s in page.hardest if s.po is not None]
    for f in page.findings:
        if f.location is not None:
            out.append(f.location)
        out += also_used(f)
    return out


def lines_text(first: Location, others: Sequence[Location],
               where: Callable[[Location, bool], str] | None = None) -> str:
    """``line 20`` / ``lines 20, 22 and 26`` of ``first``'s file, or the locations in
    full when some are in another file. ``where(location, line alone)`` writes one
    (by default ``str`` of its line or of it)."""
    same = all(o.path == first.path for o in others)
    names = [(str(o.line) if same else str(o)) if where is None else where(o, same)
             for o in others]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    if not same:
        return listed
    return ("line " if len(names) == 1 else "lines ") + listed
