"""Formulas: counts → readability scores, each language scored by the formulas made for it.

Each formula is computed here from ``Counts`` (``sentences``), with its published
constants; ``PROFILES`` says which formulas score a language, which one its target is
on, and that target's default.
"""

# ruff: noqa: RUF001 -- the formulas' own names and bands (en dashes, Spanish)

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from pipeline.models.readability import Counts, Formula, Score
from pipeline.text.measure.words import language_of

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
