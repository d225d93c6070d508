"""Catalogs: POT + PO → merged PO (``update``), new PO (``init``), ``.mo`` (``compile``), counts.

``update`` follows GNU ``msgmerge --previous``: translations kept; a changed source
string becomes fuzzy with ``#| msgid`` and the closest old translation; removed
entries that had a translation become obsolete ``#~`` (and come back when the text
returns); untranslated ones are dropped; translator comments and flags survive.
Every catalog is parsed before any is written, and each write is atomic. A catalog
saved by someone else after it was read (a translator in Poedit) is not replaced: its
``UpdateResult`` says ``changed_meanwhile`` and the other catalogs are written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import polib
from rapidfuzz import process
from rapidfuzz.distance import Indel

from pipeline.config import Config
from pipeline.errors import PipelineError
from pipeline.infra.faults import fault_point
from pipeline.infra.fsutil import NO_FILE, ChangedMeanwhile, FileStamp, write_bytes_atomic
from pipeline.infra.workload import map_split, paused_gc
from pipeline.models import Location
from pipeline.po import (
    FUZZY,
    Catalog,
    Entry,
    format_po,
    parse_po_bytes,
    po_date,
    read_po,
    read_po_stamped,
    remember_po,
    write_po,
)
from pipeline.text.fuzzyindex import INDEX_MIN, CandidateIndex, index_for
from pipeline.text.langs import Lang

# GNU msgmerge's FUZZY_THRESHOLD: below this similarity no translation is offered.
FUZZY_THRESHOLD = 0.6
FORMAT_FLAG_SUFFIX = "-format"


@dataclass(frozen=True, slots=True)
class Stats:
    language: str
    path: str
    translated: int
    fuzzy: int
    untranslated: int
    obsolete: int

    @property
    def total(self) -> int:
        return self.translated + self.fuzzy + self.untranslated

    @property
    def percent(self) -> float:
        return 100.0 * self.translated / self.total if self.total else 100.0

    def to_dict(self) -> dict[str, object]:
        return {"language": self.language, "path": self.path, "translated": self.translated,
                "fuzzy": self.fuzzy, "untranslated": self.untranslated,
                "obsolete": self.obsolete, "total": self.total,
                "percent": round(self.percent, 1)}


# From this many template entries x languages on, a forked child merges every other
# language (as for the checks).
SPLIT_ENTRIES = 10_000


@dataclass(frozen=True, slots=True)
class UpdateResult:
    language: str
    path: str
    written: bool
    created: bool
    new_fuzzy: int
    new_untranslated: int
    newly_obsolete: int
    # (old msgid, new msgid, why): translations kept across a confirmed typo-level fix
    carried_over: tuple[tuple[str, str, str], ...] = ()
    # the file changed after it was read: nothing was written to it
    changed_meanwhile: bool = False


def load_pot(config: Config) -> Catalog:
    if not config.pot_path.is_file():
        raise PipelineError("no template catalog yet", Location(config.rel(config.pot_path)),
                            "run 'pipeline extract' first")
    return read_po(config.pot_path, config.rel(config.pot_path))


def load_catalog(config: Config, lang: Lang) -> Catalog:
    path = config.po_path(lang)
    if not path.exists():
        raise PipelineError("no catalog for this language", Location(config.rel(path)),
                            f"run 'pipeline init {lang.code}' (or 'pipeline update')")
    return read_po(path, config.rel(path))


def read_catalog_stamped(config: Config, lang: Lang) -> tuple[Catalog | None, FileStamp]:
    """``lang``'s catalog (None when there is none yet) and its stamp, for a command that
    rewrites it: the write then refuses to replace a version saved in between."""
    path = config.po_path(lang)
    if not path.exists():
        return None, NO_FILE
    return read_po_stamped(path, config.rel(path))


def target_languages(config: Config, languages: tuple[Lang, ...] | None) -> tuple[Lang, ...]:
    """The languages a catalog command works on: those named, or all configured ones."""
    chosen = languages or config.languages
    for lang in chosen:
        if lang.code == config.source_language.code:
            raise PipelineError(
                f"{lang.code} is the source language: it has no catalog",
                Location(config.file),
                "name a translation language, e.g. " + ", ".join(
                    lg.code for lg in config.languages[:3]) if config.languages
                else "add translation languages to 'languages' in the configuration",
            )
    return chosen


def new_header(config: Config, lang: Lang, pot: Catalog) -> tuple[tuple[str, str], ...]:
    """The header of a new catalog: the right Language and Plural-Forms for ``lang``."""
    stamp = po_date()
    return (
        ("Project-Id-Version", config.site_title),
        ("Report-Msgid-Bugs-To", ""),
        ("POT-Creation-Date", pot.header_value("POT-Creation-Date") or stamp),
        ("PO-Revision-Date", stamp),
        ("Last-Translator", ""),
        ("Language-Team", ""),
        ("Language", lang.code),
        ("MIME-Version", "1.0"),
        ("Content-Type", "text/plain; charset=UTF-8"),
        ("Content-Transfer-Encoding", "8bit"),
        ("Plural-Forms", lang.plural_forms),
    )


def new_catalog(config: Config, lang: Lang, pot: Catalog) -> Catalog:
    """A fresh catalog for ``lang``: every template message, untranslated."""
    empty = Catalog(
        header_comments=(f"{lang.english_name} translations for {config.site_title}.",),
        header=new_header(config, lang, pot),
        path=config.rel(config.po_path(lang)),
    )
    return merge(empty, pot, lang.nplurals)


def init_catalog(config: Config, lang: Lang) -> Path:
    """Create ``lang``'s catalog from the template; never overwrites one."""
    (lang,) = target_languages(config, (lang,))
    path = config.po_path(lang)
    if path.exists():
        raise PipelineError(
            "catalog already exists; init never overwrites a catalog",
            Location(config.rel(path)),
            "use 'pipeline update' to bring it up to date with the template",
        )
    catalog = new_catalog(config, lang, load_pot(config))
    fault_point("init:before-write")  # tests: a catalog appears meanwhile
    try:
        write_po(catalog, path, config.rel(path), expect=NO_FILE, doing="creating it")
    except ChangedMeanwhile:
        raise PipelineError(
            "catalog already exists; init never overwrites a catalog",
            Location(config.rel(path)),
            "it appeared while init was creating it; use 'pipeline update' to bring it up "
            "to date with the template",
        ) from None
    return path


def similarity(a: str, b: str) -> float:
    """GNU ``fstrcmp``: 2 * LCS / total length, over the UTF-8 bytes (1.0 = equal)."""
    return _fstrcmp(a.encode("utf-8"), b.encode("utf-8"))


def _fstrcmp(a: bytes, b: bytes) -> float:
    total = len(a) + len(b)
    return (total - Indel.distance(a, b)) / total if total else 1.0


class _Matcher:
    """msgmerge's fuzzy search over the old entries that have a translation.

    As in msgmerge (``msgl-fsearch.c``, searched without its heuristic for the
    catalog's own entries): the candidates are the entries whose msgid shares a
    character 4-gram with the new one (for msgids under 4 characters, all of a
    possible length), tried in order of shared 4-grams, then file order; the first
    with the highest similarity wins, with a tiny bonus for a matching context.
    The similarity is computed for every entry by rapidfuzz (C++); for a large pool,
    ``pipeline.text.fuzzyindex`` first finds a likely match whose similarity then serves
    as the cut-off, so the scan only returns entries that could beat it.
    """

    def __init__(self, candidates: Iterable[Entry]):
        entries = list(candidates)
        numbered = [(n, e) for n, e in enumerate(entries) if e.msgid and _first_form(e)]
        self.pool = [e for _, e in numbered]
        self.keys = [e.msgid.encode("utf-8") for e in self.pool]
        self.numbered = {n: position for position, (n, _) in enumerate(numbered)}
        self.index: CandidateIndex | None = None
        if len(self.pool) > INDEX_MIN:
            self.index = index_for(tuple(e.msgid for e in entries))
        self._grams: dict[int, frozenset[str]] = {}

    def _grams_of(self, position: int) -> frozenset[str]:
        grams = self._grams.get(position)
        if grams is None:
            text = self.pool[position].msgid
            grams = self._grams[position] = frozenset(
                text[i : i + 4] for i in range(len(text) - 3))
        return grams

    def best(self, msgid: str, msgctxt: str | None = None) -> tuple[Entry | None, float]:
        if not self.pool:
            return None, 0.0
        target = msgid.encode("utf-8")
        cutoff = FUZZY_THRESHOLD
        if self.index is not None:
            for number in self.index.candidates(msgid, self.numbered, len(self.pool)) or ():
                cutoff = max(cutoff, _fstrcmp(target, self.keys[self.numbered[number]]))
        # Below the cut-off by more than the context bonus, nothing can win.
        hits = process.extract(target, self.keys, scorer=Indel.normalized_similarity,
                               score_cutoff=cutoff - 1e-4, limit=None)
        order: list[tuple[int, int]] = []
        if len(msgid) >= 4:
            query = [msgid[i : i + 4] for i in range(len(msgid) - 3)]
            for _, _, position in hits:
                grams = self._grams_of(position)
                shared = sum(1 for gram in query if gram in grams)
                if shared:
                    order.append((-shared, position))
        else:
            order = [(len(self.keys[position]), position) for _, _, position in hits]
        best: Entry | None = None
        best_weight = FUZZY_THRESHOLD
        for _, position in sorted(order):
            entry = self.pool[position]
            bonus = 0.00001 if entry.msgctxt is None or entry.msgctxt == msgctxt else 0.0
            weight = _fstrcmp(target, self.keys[position])
            if weight + bonus > best_weight:
                best, best_weight = entry, weight + bonus
        return best, (best_weight if best is not None else 0.0)


def best_match(msgid: str, candidates: Iterable[Entry], msgctxt: str | None = None
               ) -> tuple[Entry | None, float]:
    """The old entry whose msgid is most like ``msgid`` (above msgmerge's threshold)."""
    return _Matcher(candidates).best(msgid, msgctxt)


def _first_form(entry: Entry) -> str:
    """msgstr, or msgstr[0] of a plural entry: what gettext looks at to call it translated."""
    if entry.msgid_plural is not None:
        return entry.msgstr_plural[0] if entry.msgstr_plural else ""
    return entry.msgstr


def _is_format(flag: str) -> bool:
    return flag.endswith(FORMAT_FLAG_SUFFIX)


def _merge_flags(pot_flags: tuple[str, ...], old: Entry, fuzzy: bool) -> tuple[str, ...]:
    """fuzzy from the merge, format flags from the template, the translator's own flags kept."""
    flags = [FUZZY] if fuzzy else []
    flags += [f for f in pot_flags if f != FUZZY]
    flags += [f for f in old.flags if f != FUZZY and not _is_format(f) and f not in flags]
    return tuple(flags)


def _fit_plurals(forms: tuple[str, ...], nplurals: int) -> tuple[str, ...]:
    return tuple(forms[:nplurals]) + ("",) * max(0, nplurals - len(forms))


def _merge_entry(old: Entry, ref: Entry, forms: int, force_fuzzy: bool) -> Entry:
    """GNU ``message_merge``: the template's msgid, references and comments; the old
    translation, translator comments and fuzziness; ``#|`` from what was translated."""
    fuzzy = old.fuzzy or force_fuzzy
    if old.fuzzy:
        previous = (old.previous_msgctxt, old.previous_msgid, old.previous_msgid_plural)
    else:
        previous = (old.msgctxt, old.msgid, old.msgid_plural)
    msgstr = ""
    plural: tuple[str, ...] = ()
    if ref.msgid_plural is not None and old.msgid_plural is None:
        plural = (old.msgstr,) * forms  # one translation for every form, to be reviewed
        fuzzy = True
    elif ref.msgid_plural is None and old.msgid_plural is not None:
        msgstr = _first_form(old)
        fuzzy = True
    elif ref.msgid_plural is not None:
        plural = _fit_plurals(old.msgstr_plural, forms)
        fuzzy = fuzzy or ref.msgid_plural != old.msgid_plural
    else:
        msgstr = old.msgstr
    merged = replace(
        ref,
        msgstr=msgstr,
        msgstr_plural=plural,
        translator_comments=old.translator_comments,
        flags=_merge_flags(ref.flags, old, fuzzy),
        obsolete=False,
        line=0,
    )
    if fuzzy and _first_form(merged):
        merged = replace(merged, previous_msgctxt=previous[0], previous_msgid=previous[1],
                         previous_msgid_plural=previous[2])
    else:
        merged = replace(merged, previous_msgctxt=None, previous_msgid=None,
                         previous_msgid_plural=None)
    return merged


def merge(po: Catalog, pot: Catalog, nplurals: int | None = None,
          trivial: Callable[[Entry], bool] | None = None,
          carried: list[tuple[str, str, str]] | None = None) -> Catalog:
    """Merge ``pot`` into ``po`` the way ``msgmerge --previous`` does.

    Exact (msgctxt, msgid) matches keep their translation, obsolete ones included
    (they come back); other messages get the most similar old translation, fuzzy,
    with ``#|`` the msgid it was made for; old entries used by neither become obsolete
    if they had a translation and are dropped if not.

    ``trivial(ref)`` says the editor confirmed typo-level fixes for that message's
    source: a match that differs only that way (``pipeline.text.trivial``) keeps its
    translation as it was, not fuzzy, and is recorded in ``carried``.
    """
    from pipeline.text.trivial import trivial_change

    forms = po.nplurals or nplurals or 2
    known: dict[tuple[str | None, str], Entry] = {}
    for old in (*po.active, *po.obsolete):
        known.setdefault(old.key, old)
    matcher = _Matcher(po.entries)
    used: set[int] = set()
    entries: list[Entry] = []
    for ref in pot.active:
        exact = known.get(ref.key)
        if exact is not None:
            used.add(id(exact))
            entries.append(_merge_entry(exact, ref, forms, force_fuzzy=False))
            continue
        match, _score = matcher.best(ref.msgid, ref.msgctxt)
        if match is not None:
            used.add(id(match))
            why = (trivial_change(match.msgid, ref.msgid)
                   if trivial is not None and trivial(ref) and match.msgctxt == ref.msgctxt
                   and (match.msgid_plural is None) == (ref.msgid_plural is None) else None)
            if why is not None and carried is not None:
                carried.append((match.msgid, ref.msgid, why))
            entries.append(_merge_entry(match, ref, forms, force_fuzzy=why is None))
            continue
        entries.append(replace(
            ref,
            msgstr="",
            msgstr_plural=_fit_plurals((), forms) if ref.msgid_plural is not None else (),
            flags=tuple(f for f in ref.flags if f != FUZZY),
            previous_msgctxt=None, previous_msgid=None, previous_msgid_plural=None,
            line=0,
        ))
    for old in po.entries:
        if id(old) not in used and _first_form(old):
            entries.append(replace(old, obsolete=True, locations=(), auto_comments=(), line=0))
    merged = replace(po, entries=tuple(entries), header_line=0, header_lines=())
    for name in ("POT-Creation-Date", "Report-Msgid-Bugs-To"):
        value = pot.header_value(name)
        if value is not None:
            merged = merged.with_header(name, value)
    return merged


def update_catalogs(config: Config, languages: tuple[Lang, ...] | None = None,
                    *, trivial_source_fixes: bool = False, remember: bool = False
                    ) -> list[UpdateResult]:
    """Merge the POT into each language's catalog; parse all before writing any.

    ``trivial_source_fixes``: the editor confirms that every changed message is a
    typo-level fix (see ``pipeline.text.trivial``); pages can say so for themselves with
    ``trivial_source_fixes: true`` in their front matter. ``remember``: later stages
    in this process read the catalogs (the build): on a big site they are parsed
    beside the merge, in both processes, instead of one by one afterwards.
    """
    pot = load_pot(config)
    trivial = _trivial_scope(config, trivial_source_fixes)
    langs = target_languages(config, languages)
    split = len(pot.entries) * len(langs) >= SPLIT_ENTRIES

    def prepare(lang: Lang) -> tuple[str, UpdateResult, Catalog | None, FileStamp]:
        """The language's new text and summary (not yet written); split across two
        processes, also the new text parsed, so later stages need not parse it; and the
        stamp of the file as read (in whichever process read it)."""
        path = config.po_path(lang)
        display = config.rel(path)
        po, stamp = read_catalog_stamped(config, lang)
        if po is not None and not po.header:  # a hand-made catalog without a header
            po = replace(po, header=new_header(config, lang, pot))
        carried: list[tuple[str, str, str]] = []
        merged = (new_catalog(config, lang, pot) if po is None
                  else merge(po, pot, lang.nplurals, trivial, carried))
        before = {e.key: e for e in (po.entries if po else ())}
        text = format_po(merged)
        summary = UpdateResult(
            language=lang.code,
            path=display,
            written=False,
            created=po is None,
            new_fuzzy=sum(1 for e in merged.active if e.fuzzy and not
                          (e.key in before and before[e.key].fuzzy)),
            new_untranslated=sum(1 for e in merged.active if not e.has_translation
                                 and e.key not in before),
            newly_obsolete=sum(1 for e in merged.obsolete if e.key in before
                               and not before[e.key].obsolete),
            carried_over=tuple(carried),
        )
        parsed = parse_po_bytes(text.encode("utf-8"), display) if split and remember else None
        return text, summary, parsed, stamp

    # Every catalog is read and merged before any is written.
    with paused_gc():
        prepared = map_split(prepare, langs, split=split)
    fault_point("update:before-write")  # tests: a translator saves a catalog meanwhile
    results = []
    for lang, (text, summary, parsed, stamp) in zip(langs, prepared, strict=True):
        data = text.encode("utf-8")
        try:
            written = write_bytes_atomic(config.po_path(lang), data, summary.path,
                                         expect=stamp, doing="updating")
        except ChangedMeanwhile:
            results.append(replace(summary, changed_meanwhile=True))
            continue
        if parsed is not None:
            remember_po(summary.path, data, parsed)
        results.append(replace(summary, written=written))
    return results


def _trivial_scope(config: Config, everywhere: bool) -> Callable[[Entry], bool] | None:
    """Which template entries may keep their translation across a typo-level fix."""
    if everywhere:
        return lambda entry: True
    from pipeline.text.pages import load_pages

    marked = {p.path for p in load_pages(config.pages_dir, config.root)
              if p.trivial_source_fixes}
    if not marked:
        return None
    return lambda entry: any(x.path in marked for x in entry.locations)


def catalog_stats(catalog: Catalog, language: str, path: str) -> Stats:
    active = catalog.active
    translated = sum(1 for e in active if e.translated)
    fuzzy = sum(1 for e in active if e.fuzzy and e.has_translation)
    return Stats(language, path, translated, fuzzy, len(active) - translated - fuzzy,
                 len(catalog.obsolete))


def status(config: Config, languages: tuple[Lang, ...] | None = None) -> list[Stats]:
    out = []
    for lang in target_languages(config, languages):
        catalog = load_catalog(config, lang)
        out.append(catalog_stats(catalog, lang.code, config.rel(config.po_path(lang))))
    return out


# --- .mo ---------------------------------------------------------------------------


class _MsgfmtHeader(polib.POFile):  # type: ignore[misc]  # polib has no type hints
    """polib's ``.mo`` writer with the header ``msgfmt`` writes: the catalog's fields in
    their order, without POT-Creation-Date (polib sorts the fields its own way and keeps
    that one, so a new template alone would change every ``.mo``)."""

    def __init__(self, header: str) -> None:
        super().__init__(encoding="utf-8")
        self.mo_header = header

    def metadata_as_entry(self) -> polib.POEntry:
        return polib.POEntry(msgid="", msgstr=self.mo_header)


def mo_bytes(catalog: Catalog) -> bytes:
    """The ``.mo`` file of a catalog, written by polib: the messages msgfmt would put in
    it (fuzzy and untranslated entries left out); a plural entry only when every form is
    translated (msgfmt looks at the first form alone)."""
    mo = _MsgfmtHeader("".join(f"{k}: {v}\n" for k, v in catalog.header
                               if k.lower() != "pot-creation-date"))
    for entry in catalog.active:
        context, msgid = entry.msgctxt, entry.msgid
        if context == "":
            # polib leaves an empty msgctxt out; gettext keys it as "" + U+0004 + msgid.
            context, msgid = None, "\x04" + msgid
        message = polib.POEntry(msgctxt=context, msgid=msgid, flags=list(entry.flags))
        if entry.msgid_plural is not None:
            message.msgid_plural = entry.msgid_plural
            message.msgstr_plural = dict(enumerate(entry.msgstr_plural))
        else:
            message.msgstr = entry.msgstr
        mo.append(message)  # polib's to_binary keeps the translated ones
    return bytes(mo.to_binary())


def compile_catalogs(config: Config, languages: tuple[Lang, ...] | None = None
                     ) -> list[tuple[str, bool]]:
    """Write each catalog's ``.mo`` beside it; every catalog is parsed before any is written."""
    loaded = [(lang, load_catalog(config, lang))
              for lang in target_languages(config, languages)]
    out = []
    for lang, catalog in loaded:
        path = config.po_path(lang).with_suffix(".mo")
        out.append((config.rel(path), write_bytes_atomic(path, mo_bytes(catalog),
                                                          config.rel(path))))
    return out
