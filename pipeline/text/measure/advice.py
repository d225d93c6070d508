"""Advice: what the readability advice looks for in a sentence (passive voice) and the
lists of words that have a plainer alternative (shipped per language, or the site's own).
"""

# ruff: noqa: RUF001 -- apostrophes of several languages

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from functools import lru_cache
from importlib import resources

from pipeline.text.measure.words import language_of

_SPACES = re.compile(r"\s+")

# --- passive voice ---------------------------------------------------------------------------

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


# --- words with plainer alternatives ---------------------------------------------------------


@lru_cache(maxsize=8)
def shipped_plain_words(language: str) -> Mapping[str, str]:
    """The shipped list ``pipeline/data/plain_words_<language>.toml`` (empty if none)."""
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
