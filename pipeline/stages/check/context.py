"""The context one catalog is checked in (``CheckContext``: language, catalog, glossary,
limits), an entry's translated forms, and the helpers several rule families share.
"""

# The measured ranges are written with en dashes on purpose.
# ruff: noqa: RUF003

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from pipeline.config import Config
from pipeline.models import Finding, Location, Severity, frozen_details
from pipeline.po.model import Catalog, Entry, plural_values
from pipeline.stages.check.codes import CODES
from pipeline.stages.check.facts import _glossary_entries, _GlossaryEntry
from pipeline.text.glossary import GlossaryTerm
from pipeline.text.langs import Lang
from pipeline.text.messages import Messages
from pipeline.workspace import Workspace

# Default length-ratio bounds for languages whose script needs far fewer characters than
# English (CJK: one character per syllable or word; Arabic, Persian, Hebrew: short vowels
# unwritten). Measured on the shipped catalogs: zh_Hans 0.24–0.65, ar 0.55–0.97.
LANGUAGE_LENGTH_RATIOS = {"zh": (0.15, 0.8), "ja": (0.2, 0.9), "ko": (0.2, 1.0),
                          "ar": (0.35, 1.6), "fa": (0.35, 1.6), "he": (0.35, 1.6)}


@dataclass(frozen=True, slots=True)
class Form:
    """One translated string of an entry, paired with the source text it translates."""

    index: int | None  # msgstr[index] of a plural entry; None for plain msgstr
    source: str
    translation: str
    single: bool = False  # a plural form used for exactly one n: it may leave the number out

    def label(self, message: str) -> str:
        return message if self.index is None else f"msgstr[{self.index}]: {message}"


@dataclass(frozen=True, slots=True)
class CheckContext:
    """Everything a check needs besides the entry: language, catalog, glossary, limits."""

    lang: Lang
    path: str  # the catalog as shown to people
    source_language: Lang
    site_title: str = ""
    glossary: tuple[GlossaryTerm, ...] = ()
    length_ratio: tuple[float, float] = (0.5, 2.0)
    length_min: int = 20
    nplurals: int = 2  # what the language needs
    catalog_nplurals: int | None = None  # what the catalog's Plural-Forms header says
    plural_values: tuple[tuple[int, ...], ...] = ()  # sample n for each plural form
    templates: str = ""  # the templates folder: its text is not Markdown
    # Message texts as Markdown, each parsed once (the build's, ``Workspace.messages``).
    messages: Messages = field(default_factory=Messages, repr=False, compare=False)
    # ``glossary`` grouped by term, once per context (``__post_init__``).
    terms: tuple[_GlossaryEntry, ...] = field(default=(), init=False, repr=False,
                                              compare=False)
    # The last entry's forms: a dozen checks ask for them in turn (500,000 calls on
    # 1,000 pages); [entry, its forms].
    _forms: list[Any] = field(default_factory=lambda: [None, []], init=False, repr=False,
                              compare=False)

    def __post_init__(self) -> None:
        if self.glossary:
            object.__setattr__(self, "terms", _glossary_entries(self.glossary))

    def finding(self, entry: Entry, code: str, message: str, hint: str | None,
                severity: Severity | None = None, related: tuple[Location, ...] = (),
                **details: Any) -> Finding:
        return Finding(
            code=code,
            severity=severity or CODES[code].severity,
            message=message,
            location=Location(self.path, entry.line),
            hint=hint,
            related=entry.locations + related,
            details=frozen_details(language=self.lang.code, msgid=entry.msgid,
                                   msgctxt=entry.msgctxt, **details),
        )

    def forms(self, entry: Entry) -> list[Form]:
        """The entry's translated forms (read-only: the list is shared)."""
        last = self._forms
        if last[0] is not entry:
            last[1] = self._forms_of(entry)
            last[0] = entry
        forms: list[Form] = last[1]
        return forms

    def _forms_of(self, entry: Entry) -> list[Form]:
        if entry.msgid_plural is None:
            return [Form(None, entry.msgid, entry.msgstr)]
        out = []
        for index, text in enumerate(entry.msgstr_plural):
            if not text:
                continue  # reported by the plural check
            values = self.plural_values[index] if index < len(self.plural_values) else ()
            source = entry.msgid if values == (1,) else entry.msgid_plural
            out.append(Form(index, source, text, single=len(values) == 1))
        return out


def length_ratio_for(config: Config, lang: Lang) -> tuple[float, float]:
    own = config.lang_config(lang).length_ratio
    if own is not None:
        return own
    return LANGUAGE_LENGTH_RATIOS.get(lang.base.split("_")[0], config.check.length_ratio)


def make_context(config: Config, lang: Lang, catalog: Catalog,
                 glossary: tuple[GlossaryTerm, ...] = (), *,
                 ws: Workspace | None = None) -> CheckContext:
    forms = catalog.header_value("Plural-Forms") or lang.plural_forms
    catalog_n = catalog.nplurals
    return CheckContext(
        lang=lang,
        path=catalog.path,
        source_language=config.source_language,
        site_title=config.site_title,
        glossary=tuple(t for t in glossary if t.lang in ("*", lang.code)),
        length_ratio=length_ratio_for(config, lang),
        length_min=config.check.length_min,
        nplurals=lang.nplurals,
        catalog_nplurals=catalog_n,
        plural_values=plural_values(forms, catalog_n or lang.nplurals),
        templates=config.templates,
        messages=(ws or Workspace()).messages,
    )


Check = Callable[[Entry, CheckContext], Iterator[Finding]]


def _unmatched(source: Sequence[str], translation: Sequence[str]
               ) -> tuple[list[str], list[str]]:
    """Items of ``source`` missing from ``translation`` and extra ones, each in order."""
    if len(source) == len(translation) and list(source) == list(translation):
        return [], []  # most entries: the same links (or none) in the same order
    missing_count = Counter(source) - Counter(translation)
    extra_count = Counter(translation) - Counter(source)
    missing, extra = [], []
    for item in source:
        if missing_count[item] > 0:
            missing.append(item)
            missing_count[item] -= 1
    for item in translation:
        if extra_count[item] > 0:
            extra.append(item)
            extra_count[item] -= 1
    return missing, extra


def _texts(entry: Entry) -> tuple[str, ...]:
    """The entry's source and translated texts, for a check's quick "nothing to see" test
    (most entries have no bracket, quote, address or line break at all)."""
    translations = entry.msgstr_plural if entry.msgid_plural is not None else (entry.msgstr,)
    return (entry.msgid, entry.msgid_plural or "", *translations)


def _translations(entry: Entry) -> tuple[str, ...]:
    return entry.msgstr_plural if entry.msgid_plural is not None else (entry.msgstr,)


# A mark left as text: "NINDS{lang=en}", "[NINDS] {lang=en}".
_LOOSE_MARK = re.compile(r"\{\s*lang\s*=[^{}]*\}")


def _syntax_left_as_text(form: Form, ctx: CheckContext) -> bool:
    """A broken link, raw HTML or a loose language mark shows its brackets, quotes and
    URLs as text: link-missing, html-added and lang-mark report it, and an error is
    enough for one mistake."""
    source = ctx.messages.source_facts(form.source)
    translation = ctx.messages.facts(form.translation)
    return (len(translation.links) < len(source.links) or bool(translation.html)
            or bool(_LOOSE_MARK.search(translation.visible)))
