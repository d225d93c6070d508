"""Catalogs: POT + PO → merged PO (``update``), new PO (``init``), ``.mo`` (``compile``), counts.

``update`` follows GNU ``msgmerge --previous`` (``pipeline.text.msgmerge``): translations
kept; a changed source string becomes fuzzy with ``#| msgid`` and the closest old
translation; removed entries that had a translation become obsolete ``#~`` (and come
back when the text returns); untranslated ones are dropped; translator comments and
flags survive. Every catalog is parsed before any is written, and each write is
atomic. A catalog saved by someone else after it was read (a translator in Poedit) is
not replaced: its ``UpdateResult`` says ``changed_meanwhile`` and the other catalogs
are written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from pipeline.config import Config
from pipeline.errors import PipelineError
from pipeline.infra.faults import fault_point
from pipeline.infra.fsutil import NO_FILE, ChangedMeanwhile, FileStamp, write_bytes_atomic
from pipeline.infra.workload import map_split, paused_gc
from pipeline.models import Location
from pipeline.models.update import Stats, UpdateResult
from pipeline.po.mo import mo_bytes
from pipeline.po.model import Catalog, Entry
from pipeline.po.reader import parse_po_bytes
from pipeline.po.writer import format_po, write_po
from pipeline.text.catalogs import (
    load_catalog,
    load_pot,
    new_catalog,
    new_header,
    read_catalog_stamped,
)
from pipeline.text.langs import Lang
from pipeline.text.msgmerge import merge
from pipeline.text.pages import load_pages
from pipeline.workspace import Workspace

# From this many template entries x languages on, a forked child merges every other
# language (as for the checks).
SPLIT_ENTRIES = 10_000


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


def init_catalog(config: Config, lang: Lang, *, ws: Workspace | None = None) -> Path:
    """Create ``lang``'s catalog from the template; never overwrites one."""
    (lang,) = target_languages(config, (lang,))
    path = config.po_path(lang)
    if path.exists():
        raise PipelineError(
            "catalog already exists; init never overwrites a catalog",
            Location(config.rel(path)),
            "use 'pipeline update' to bring it up to date with the template",
        )
    catalog = new_catalog(config, lang, load_pot(config, ws or Workspace()))
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


def update_catalogs(config: Config, languages: tuple[Lang, ...] | None = None,
                    *, trivial_source_fixes: bool = False, remember: bool = False,
                    ws: Workspace | None = None) -> list[UpdateResult]:
    """Merge the POT into each language's catalog; parse all before writing any.

    ``trivial_source_fixes``: the editor confirms that every changed message is a
    typo-level fix (see ``pipeline.text.trivial``); pages can say so for themselves with
    ``trivial_source_fixes: true`` in their front matter. ``remember``: later stages
    read the catalogs from ``ws`` (the build): on a big site they are parsed beside the
    merge, in both processes, instead of one by one afterwards.
    """
    ws = ws or Workspace()
    pot = load_pot(config, ws)
    trivial = _trivial_scope(config, trivial_source_fixes, ws)
    langs = target_languages(config, languages)
    split = len(pot.entries) * len(langs) >= SPLIT_ENTRIES

    def prepare(lang: Lang) -> tuple[str, UpdateResult, Catalog | None, FileStamp]:
        """The language's new text and summary (not yet written); split across two
        processes, also the new text parsed, so later stages need not parse it; and the
        stamp of the file as read (in whichever process read it)."""
        path = config.po_path(lang)
        display = config.rel(path)
        po, stamp = read_catalog_stamped(config, lang, ws)
        if po is not None and not po.header:  # a hand-made catalog without a header
            po = replace(po, header=new_header(config, lang, pot))
        carried: list[tuple[str, str, str]] = []
        merged = (new_catalog(config, lang, pot) if po is None
                  else merge(po, pot, lang.nplurals, trivial, carried, ws=ws))
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
            ws.remember_catalog(summary.path, data, parsed)
        results.append(replace(summary, written=written))
    return results


def _trivial_scope(config: Config, everywhere: bool, ws: Workspace
                   ) -> Callable[[Entry], bool] | None:
    """Which template entries may keep their translation across a typo-level fix."""
    if everywhere:
        return lambda entry: True
    marked = {p.path for p in load_pages(config.pages_dir, config.root, ws)
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


def status(config: Config, languages: tuple[Lang, ...] | None = None, *,
           ws: Workspace | None = None) -> list[Stats]:
    ws = ws or Workspace()
    out = []
    for lang in target_languages(config, languages):
        catalog = load_catalog(config, lang, ws)
        out.append(catalog_stats(catalog, lang.code, config.rel(config.po_path(lang))))
    return out


def compile_catalogs(config: Config, languages: tuple[Lang, ...] | None = None, *,
                     ws: Workspace | None = None) -> list[tuple[str, bool]]:
    """Write each catalog's ``.mo`` beside it; every catalog is parsed before any is written."""
    ws = ws or Workspace()
    loaded = [(lang, load_catalog(config, lang, ws))
              for lang in target_languages(config, languages)]
    out = []
    for lang, catalog in loaded:
        path = config.po_path(lang).with_suffix(".mo")
        out.append((config.rel(path), write_bytes_atomic(path, mo_bytes(catalog),
                                                          config.rel(path))))
    return out
