"""Lookups: a language's catalog + the configured fallback → the text a reader gets.

Render, readability and the build summary all resolve text through here, so they
agree on what is translated, what falls back to the source and where each string's
``.po`` entry is.
"""

from __future__ import annotations

import gettext
from collections.abc import Mapping, Set
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from pipeline.config import Config
from pipeline.errors import PipelineError
from pipeline.models import Location
from pipeline.models.fastinit import fast_init
from pipeline.po.model import Catalog, Entry
from pipeline.text.catalogs import load_catalog
from pipeline.text.langs import Lang
from pipeline.text.pages import Page

if TYPE_CHECKING:
    from pipeline.workspace import Workspace

State = Literal["source", "translated", "outdated", "fallback"]
# How many answers a ``Translations`` keeps (a page's messages are asked for again and
# again while it is rendered and scored; the template's on every page).
KEPT_RESOLVED = 1 << 14


@fast_init
@dataclass(frozen=True, slots=True)
class Resolved:
    """One message as shown to a reader of ``lang``."""

    msgid: str
    text: str
    lang: Lang  # the language ``text`` is in: the source language on fallback
    state: State  # source page, translated, outdated (fuzzy shown), fallback (source shown)
    po: Location | None  # the catalog entry (line of its msgid), if there is one
    fuzzy: bool = False

    @property
    def is_fallback(self) -> bool:
        return self.state == "fallback"


@dataclass(frozen=True, slots=True)
class Completeness:
    translated: int
    outdated: int  # fuzzy entries shown as they are (fallback = "outdated")
    fallback: int  # entries shown in the source language
    total: int
    stale: int = 0  # of ``fallback``: fuzzy entries (a translation of an earlier English)
    own_started: int = 0  # the page's own messages with a translation, current or outdated

    @property
    def percent(self) -> float:
        return 100.0 * self.translated / self.total if self.total else 100.0

    @property
    def covered(self) -> float:
        """% with a translation, current or outdated: what an English edit cannot lower
        (a changed block turns fuzzy); only new or rewritten blocks do."""
        done = self.translated + self.outdated + self.stale
        return 100.0 * done / self.total if self.total else 100.0


class Translations:
    """A language's catalog with its fallback policy; the source language is identity."""

    def __init__(self, config: Config, lang: Lang, catalog: Catalog | None,
                 entries: Mapping[tuple[str | None, str], Entry] | None = None):
        """``entries``: ``catalog``'s active entries by key, if at hand (never changed)."""
        self.config = config
        self.lang = lang
        self.source = config.source_language
        self.catalog = catalog
        self.fallback = config.lang_config(lang).fallback
        self.path = config.rel(config.po_path(lang))
        self._entries: Mapping[tuple[str | None, str], Entry] = (
            entries if entries is not None
            else {e.key: e for e in catalog.active} if catalog else {}
        )
        # A page's messages are resolved for its body, its completeness and its scores,
        # and the template's on every page: each answer is kept (bounded, emptied when
        # full; a Resolved is frozen, and the catalog does not change under it).
        self._resolved: dict[tuple[str | None, str], Resolved] = {}

    @classmethod
    def load(cls, config: Config, lang: Lang, ws: Workspace) -> Translations:
        """``lang``'s catalog, read through ``ws`` (parsed once per build)."""
        if lang.code == config.source_language.code:
            return cls(config, lang, None)
        catalog = load_catalog(config, lang, ws)
        return cls(config, lang, catalog, ws.entries_by_key(catalog))

    @property
    def is_source(self) -> bool:
        return self.catalog is None

    def entry(self, msgid: str, msgctxt: str | None = None) -> Entry | None:
        return self._entries.get((msgctxt, msgid))

    def resolve(self, msgid: str, msgctxt: str | None = None) -> Resolved:
        key = (msgctxt, msgid)
        resolved = self._resolved.get(key)
        if resolved is None:
            if len(self._resolved) >= KEPT_RESOLVED:
                self._resolved.clear()
            resolved = self._resolved[key] = self._resolve(msgid, msgctxt)
        return resolved

    def shown(self, msgid: str, msgctxt: str | None = None) -> tuple[State, str]:
        """``resolve``'s (state, text), without the Resolved and its location: what a
        page's fingerprint reads, 60,000 times a build at 1,000 pages."""
        if self.catalog is None:
            return "source", msgid
        return self._choice(msgid, self._entries.get((msgctxt, msgid)))[:2]

    def _choice(self, msgid: str, entry: Entry | None) -> tuple[State, str, bool]:
        """(state, text, fuzzy) of a message of a translated language."""
        if entry is not None and entry.translated:
            return "translated", entry.msgstr, False
        if (entry is not None and entry.fuzzy and entry.msgstr
                and self.fallback == "outdated"):
            return "outdated", entry.msgstr, True
        return "fallback", msgid, bool(entry and entry.fuzzy)

    def _resolve(self, msgid: str, msgctxt: str | None) -> Resolved:
        if self.catalog is None:
            return Resolved(msgid, msgid, self.lang, "source", None)
        entry = self._entries.get((msgctxt, msgid))
        where = Location(self.path, entry.line) if entry else None
        state, text, fuzzy = self._choice(msgid, entry)
        return Resolved(msgid, text, self.source if state == "fallback" else self.lang,
                        state, where, fuzzy=fuzzy)

    def resolve_plural(self, msgid: str, plural: str, n: int,
                       msgctxt: str | None = None) -> Resolved:
        english = msgid if n == 1 else plural
        if self.catalog is None:
            return Resolved(msgid, english, self.lang, "source", None)
        entry = self._entries.get((msgctxt, msgid))
        where = Location(self.path, entry.line) if entry else None
        usable = entry is not None and entry.msgstr_plural and all(entry.msgstr_plural)
        if entry is not None and usable and (not entry.fuzzy or self.fallback == "outdated"):
            index = plural_index(self.lang, n)
            forms = entry.msgstr_plural
            text = forms[min(index, len(forms) - 1)]
            return Resolved(msgid, text, self.lang,
                            "outdated" if entry.fuzzy else "translated", where, entry.fuzzy)
        return Resolved(msgid, english, self.source, "fallback", where,
                        fuzzy=bool(entry and entry.fuzzy))


def plural_index(lang: Lang, n: int) -> int:
    """Evaluate the language's gettext plural expression for ``n``."""
    expression = lang.plural_forms.split("plural=", 1)[1].rstrip(";").strip()
    return int(gettext.c2py(expression)(n))


def page_messages(page: Page) -> list[tuple[str, str | None]]:
    """(msgid, msgctxt) of every message of a page, front matter first."""
    out: list[tuple[str, str | None]] = [(text.value, None) for _, text in page.front_texts]
    out += [(block.msgid, block.msgctxt) for block in page.blocks]
    return out


def page_completeness(page: Page, translations: Translations,
                      template_messages: tuple[tuple[str, str | None], ...] = ()
                      ) -> Completeness:
    """How much of ``page`` a reader of this language gets in their language."""
    own = dict.fromkeys(page_messages(page))
    keys = list(dict.fromkeys([*own, *template_messages]))
    resolved = [translations.resolve(msgid, ctx) for msgid, ctx in keys]
    translated = sum(1 for r in resolved if r.state in ("translated", "source"))
    outdated = sum(1 for r in resolved if r.state == "outdated")
    stale = sum(1 for r in resolved if r.state == "fallback" and r.fuzzy)
    own_started = sum(1 for key, r in zip(keys, resolved, strict=True)
                      if key in own and (r.state != "fallback" or r.fuzzy))
    return Completeness(translated, outdated, len(resolved) - translated - outdated,
                        len(resolved), stale, own_started)


class PoLocator:
    """Source line → the ``.po`` entry behind it, in a language's current catalog.

    Rendered HTML carries only ``data-src`` (page lines move only when the page
    changes), so a finding found on cached HTML still names the catalog line of
    today: the template's references map each source line to its message.
    """

    def __init__(self, config: Config, ws: Workspace):
        self.config = config
        self.ws = ws
        self._by_source: dict[Location, tuple[str | None, str]] = {}
        # Source lines of more than one message (a table row's: a message per cell),
        # and those messages in order: the line alone names only the first.
        self._sharing: dict[Location, list[tuple[str | None, str]]] = {}
        if config.pot_path.is_file():
            pot = ws.read_po(config.pot_path, config.rel(config.pot_path))
            for entry in pot.active:
                for location in entry.locations:
                    first = self._by_source.setdefault(location, entry.key)
                    if first != entry.key:
                        keys = self._sharing.setdefault(location, [first])
                        if entry.key not in keys:
                            keys.append(entry.key)
        self.shared: Set[Location] = self._sharing.keys()
        self._catalogs: dict[str, tuple[dict[tuple[str | None, str], int], str]] = {}
        self._by_line: dict[str, dict[int, tuple[str | None, str]]] = {}
        self._shown: dict[str, dict[tuple[str | None, str], str]] = {}

    def locate(self, lang: Lang, source: Location) -> Location | None:
        """Today's line of the (first) message extracted from ``source``."""
        found = self.entry(lang, source)
        return found[0] if found else None

    def entry(self, lang: Lang, source: Location, text: str | None = None
              ) -> tuple[Location, tuple[str | None, str]] | None:
        """Today's line and (msgctxt, msgid) of the entry behind an element of ``lang``'s
        page: on a line of several messages, the one whose text the element shows
        (``text``); else the line's only (or first) message."""
        if lang.code == self.config.source_language.code:
            return None
        key = self._by_source.get(source)
        if key is None:
            return None
        if text is not None and source in self._sharing:
            key = self._shown_in(lang, self._sharing[source], text) or key
        where = self.where(lang, key)
        return (where, key) if where else None

    def _shown_in(self, lang: Lang, keys: list[tuple[str | None, str]], text: str
                  ) -> tuple[str | None, str] | None:
        """The message of ``keys`` whose translation (or, shown instead of it, its
        source text) reads as ``text``, white space aside."""
        self.load(lang)
        shown = self._shown.get(lang.code, {})
        plain = self.ws.messages.plain
        wanted = "".join(text.split())
        for key in keys:
            for candidate in (shown.get(key), key[1]):
                if candidate and "".join(plain(candidate).split()) == wanted:
                    return key
        return None

    def where(self, lang: Lang, key: tuple[str | None, str]) -> Location | None:
        """Today's line of the message ``key`` in the language's catalog."""
        lines, display = self.load(lang)
        line = lines.get(key)
        return Location(display, line) if line else None

    def message_at(self, lang: Lang, where: Location) -> tuple[str | None, str] | None:
        """(msgctxt, msgid) of the entry at ``where``, a line of the language's catalog."""
        lines, display = self.load(lang)
        if where.path != display:
            return None
        by_line = self._by_line.get(lang.code)
        if by_line is None:
            by_line = self._by_line[lang.code] = {line: key for key, line in lines.items()}
        return by_line.get(where.line)

    def load(self, lang: Lang) -> tuple[dict[tuple[str | None, str], int], str]:
        """The language's catalog, parsed once: message → line, and the path shown."""
        known = self._catalogs.get(lang.code)
        if known is None:
            try:
                catalog = load_catalog(self.config, lang, self.ws)
            except PipelineError:  # a missing or broken catalog is reported by its own stage
                catalog = None
            # The path shown is worked out once: config.rel resolves it on the disk.
            known = self._catalogs[lang.code] = (
                {e.key: e.line for e in catalog.active} if catalog else {},
                self.config.rel(self.config.po_path(lang)))
            if self._sharing and catalog:  # what a shared line's elements may show
                keys = {key for keys in self._sharing.values() for key in keys}
                self._shown[lang.code] = {e.key: e.msgstr for e in catalog.active
                                          if e.key in keys and e.msgstr}
        return known
