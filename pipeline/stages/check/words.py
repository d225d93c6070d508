"""Words: not the source unchanged, a length within the language's tolerance, no word
written twice, no blank translation, no msgcat conflict markers left.
"""

# Punctuation tables and messages use non-ASCII marks on purpose (Arabic, CJK, dashes).
# ruff: noqa: RUF001

from __future__ import annotations

import re
from collections.abc import Iterator

from pipeline.models import Finding
from pipeline.po.model import Entry
from pipeline.stages.check.context import CheckContext, _translations
from pipeline.text.messages import fold

_LETTER = re.compile(r"[^\W\d_]")
_WORD = re.compile(r"[^\W\d_][\w'’.-]*")
_ONLY_URL = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*://\S+|\S+@\S+\.\w+|/\S*)\s*$", re.I)


def is_name_like(text: str, ctx: CheckContext) -> bool:
    """Text that may rightly stay as it is: no letters, acronyms, the site name, URLs,
    glossary terms whose approved translation is the term itself (``text`` is a source
    text: its facts are kept for every language)."""
    shown = ctx.messages.source_facts(text).visible
    if not _LETTER.search(shown) or _ONLY_URL.match(shown):
        return True
    words = _WORD.findall(shown)
    if words and all(w.isupper() and len(_LETTER.findall(w)) >= 2 for w in words):
        return True
    folded = fold(shown)
    if ctx.site_title and folded == fold(ctx.site_title):
        return True
    return any(fold(t.term) == folded and fold(t.translation) == folded for t in ctx.glossary)


def check_same_as_source(entry: Entry, ctx: CheckContext) -> Iterator[Finding]:
    """The translation is not the source text copied unchanged (names excepted)."""
    if ctx.lang.base.split("_")[0] == ctx.source_language.base.split("_")[0]:
        return  # en_GB from en, or a pseudo-locale: equal text is expected
    for form in ctx.forms(entry):
        source = ctx.messages.source_facts(form.source)
        if ctx.messages.facts(form.translation).folded != source.folded:
            continue
        if is_name_like(form.source, ctx):
            continue
        yield ctx.finding(
            entry, "same-as-source", form.label("the translation is the same as the source"),
            "translate it; if it is right as it is (a name, a word your language borrows), add a "
            "translator comment saying so and the flag '#, no-check-same-as-source'")


def check_length(entry: Entry, ctx: CheckContext) -> Iterator[Finding]:
    """Visible length within the language's tolerance of the source's (long strings only)."""
    low, high = ctx.length_ratio
    for form in ctx.forms(entry):
        source = ctx.messages.source_facts(form.source).visible_length
        if source < max(ctx.length_min, 1):
            continue
        ratio = ctx.messages.facts(form.translation).visible_length / source
        if low <= ratio <= high:
            continue
        longer = ratio > high
        yield ctx.finding(
            entry, "length-ratio",
            form.label(f"the translation is {ratio:.0%} of the source's length (expected "
                       f"{low:.0%}–{high:.0%} for {ctx.lang.english_name})"),
            "check for repeated or added text" if longer else
            "check that no sentence or clause was left out",
            ratio=round(ratio, 3), expected=[low, high])


# Words some languages rightly write twice (French "nous nous levons", German "die die").
_VALID_REPEATS = {"fr": frozenset({"nous", "vous"}), "de": frozenset({"der", "die", "das"}),
                  "nl": frozenset({"dat", "die"})}
# Possessive: the word is a whole run of letters and the space a whole run of spaces
# anyway (a letter is no space), so trying shorter ones only wasted time.
_REPEATED = re.compile(r"(?<![^\W\d_])([^\W\d_]++)\s++\1(?![^\W\d_])", re.IGNORECASE)


def _repeats(shown: str) -> set[str]:
    return {m.group(1).casefold() for m in _REPEATED.finditer(shown)}


def check_repeated_words(entry: Entry, ctx: CheckContext) -> Iterator[Finding]:
    """No word written twice in a row ("de de"), unless the source repeats it too (a
    name such as "Bora Bora") or the language's grammar does (French "nous nous")."""
    if ctx.lang.is_pseudo:
        return  # its padding words may follow the same word of the source
    search = _REPEATED.search
    facts = ctx.messages.facts
    if not any(search(facts(t).visible) for t in _translations(entry) if t):
        return  # the source is read only when a translation repeats a word
    valid = _VALID_REPEATS.get(ctx.lang.base.split("_")[0], frozenset())
    for form in ctx.forms(entry):
        shown = ctx.messages.facts(form.translation).visible
        source = ctx.messages.source_facts(form.source).visible
        repeated = _repeats(shown) - _repeats(source) - valid
        if not repeated:
            continue
        words = sorted(repeated)
        yield ctx.finding(
            entry, "repeated-word",
            form.label("repeated word: " + ", ".join(f'"{w} {w}"' for w in words)),
            "delete one of them; if the repetition is right, explain why in a translator "
            "comment and add '#, no-check-repeated-word'", words=words)


def check_blank(entry: Entry, ctx: CheckContext) -> Iterator[Finding]:
    """A translation of only spaces or newlines counts as translated but shows nothing."""
    if all(t.strip() or not t for t in _translations(entry)):
        return
    for form in ctx.forms(entry):
        if not form.translation.strip() and form.source.strip():
            yield ctx.finding(
                entry, "blank-translation", form.label("the translation is only white space"),
                "translate it, or empty it (msgstr \"\") so that readers get the source text")


MERGE_CONFLICT = "#-#-#-#-#"


def check_merge_conflict(entry: Entry, ctx: CheckContext) -> Iterator[Finding]:
    """msgcat writes every differing translation, between #-#-#-#-# lines, when it merges
    catalogs that disagree: all of them would be published."""
    if not any(MERGE_CONFLICT in t for t in _translations(entry)):
        return
    for form in ctx.forms(entry):
        if MERGE_CONFLICT in form.translation:
            yield ctx.finding(
                entry, "merge-conflict",
                form.label(f"the translation holds msgcat's conflict markers ({MERGE_CONFLICT})"),
                "keep the one right translation; delete the others and the marker lines")
