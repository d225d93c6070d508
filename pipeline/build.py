"""The orchestrator: source → catalogs → QA → render → readability → a11y → gates → site.

Runs the stages in order as plain function calls, reuses what the content-hash cache
says is unchanged (a page whose fingerprint did not move is neither re-rendered nor
re-scored nor re-checked by pa11y), decides the gates, writes
``output/reports/build.json`` and publishes only a build that passed.

Past one machine, ``build(defer_a11y=True)`` stops before the a11y stage and records
what it must check (the plan, ``pipeline.stages.a11y.shards``); ``check_shard`` runs
one shard's share on another runner, and ``gate`` finishes the build from every
shard's result. The stages return results; the reports are written here (and by the
CLI for a lone stage), through ``pipeline.reporters``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import hashlib
import json
import os
import re
import shutil
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

from pipeline import __version__
from pipeline.config import Config, LanguageConfig
from pipeline.errors import PipelineError, Stopped
from pipeline.infra.cache import (
    PARTS,
    BuildCache,
    Saving,
    digest,
    file_digest,
    framed,
    load_cache,
    load_part,
    save_cache,
    save_meanwhile,
    save_parts,
    tree_digest,
)
from pipeline.infra.digests import SHA256, FileFacts, facts_file, sha256_hex, tree_files
from pipeline.infra.fsutil import (
    ChangedMeanwhile,
    atomic_text_stream,
    remove_stale_temps,
    write_files_atomic,
    write_text_atomic,
)
from pipeline.infra.lock import root_lock
from pipeline.infra.memory import release_free_memory
from pipeline.infra.workload import (
    Handover,
    Later,
    Pending,
    cpus,
    fewer_collections,
    map_split,
    meanwhile,
    meanwhile_then,
    paused_gc,
)
from pipeline.models import Finding, Location, frozen_details
from pipeline.models.a11y import A11yResult, Merged, Shard, ShardFile, by_page
from pipeline.models.a11y import gates as a11y_gates
from pipeline.models.build import BuildResult, Gate, LanguageRow, ShardRun, Verdict
from pipeline.models.check import CheckResult
from pipeline.models.readability import (
    Counts,
    PageReadability,
    ReadabilityResult,
    catalog_locations,
)
from pipeline.models.update import UpdateResult
from pipeline.po.model import Catalog
from pipeline.po.writer import FORMAT
from pipeline.reporters import readability_html
from pipeline.reporters.a11y_html import render_failure, render_report
from pipeline.reporters.a11y_json import a11y_document, a11y_from_document, failure_document
from pipeline.reporters.codequality import iter_code_quality
from pipeline.reporters.json import (
    Streamed,
    dumps,
    finding_from_json,
    findings_document,
    iter_dumps,
    write_report,
)
from pipeline.reporters.junit import a11y_junit, failure_junit
from pipeline.reporters.readability_json import json_pieces
from pipeline.stages.a11y import run_a11y
from pipeline.stages.a11y.shards import Plan, estimated_ms, merge, report_page
from pipeline.stages.a11y.targets import pending_report
from pipeline.stages.check import run_checks
from pipeline.stages.extract import ExtractResult, extract
from pipeline.stages.publish import (
    Staged,
    hash_tree,
    new_build_id,
    publish,
    sha256_file,
    stage_ahead,
)
from pipeline.stages.readability import SPLIT_PAGES as READABILITY_SPLIT_PAGES
from pipeline.stages.readability import (
    anchored,
    dictionary_written,
    ensure_dictionary,
    moves_within,
    relocate,
    run_readability,
)
from pipeline.stages.render import RenderResult, render_site
from pipeline.stages.update import (
    AHEAD_BYTES,
    UpdateMemo,
    ahead_file,
    read_ahead,
    target_languages,
    update_catalogs,
)
from pipeline.text.glossary import GLOSSARY_FILE
from pipeline.text.langs import Lang
from pipeline.text.pages import PARSER, Page
from pipeline.text.translations import Completeness, PoLocator, Translations, page_messages
from pipeline.workspace import Workspace

Log = Callable[[str, str], None]  # (stage, message)
BUILD_JSON = "build.json"
QA_JSON = "qa.json"
CODE_QUALITY_JSON = "codequality.json"
A11Y_REPORTS = ("a11y.json", "a11y.junit.xml", "a11y.html")
PLAN = "a11y-plan.json"
PLAN_FORMAT = 1  # of the plan and of the shards' result files
_SHARD_FILE = re.compile(r"a11y-shard-([0-9]+)-of-([0-9]+)\.json$")
_NO_COUNTS = Counts()  # what a page's results keep of its counts past the reports
_NO_DETAILS = frozen_details()


def _quiet(stage: str, message: str) -> None:
    """The default log: nothing (the CLI passes one that prints)."""


class _StageClock:
    """A log that also times the stages: each stage runs from its first message to the
    next stage's first message (every stage logs before it starts its work)."""

    def __init__(self, log: Log) -> None:
        self.log = log
        self.seconds: dict[str, float] = {}
        self.current = ""
        self.since = time.perf_counter()

    def __call__(self, stage: str, message: str) -> None:
        if stage != self.current:
            self.stop()
            self.current = stage
        self.log(stage, message)

    def start(self) -> None:
        """Time from here to the first stage: the lock and the build cache."""
        self.current = "start"
        self.since = time.perf_counter()

    def stop(self) -> None:
        now = time.perf_counter()
        if self.current:
            self.seconds[self.current] = self.seconds.get(self.current, 0.0) + now - self.since
        self.since = now
        self.current = ""

    @property
    def timings(self) -> tuple[tuple[str, float], ...]:
        """Every stage so far, the running one up to now."""
        seconds = dict(self.seconds)
        if self.current:
            seconds[self.current] = seconds.get(self.current, 0.0) \
                + time.perf_counter() - self.since
        return tuple(seconds.items())


# --- fingerprints ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Fingerprints:
    """``page_fingerprints``' answer, with what it read: the next build's ``last``."""

    pages: dict[str, str]  # slug → hash of everything its HTML in every language depends on
    # (slug, language code) → hash of what that language's index shows of the page
    listings: dict[tuple[str, str], str]
    base: str  # the hash of what every page depends on (settings, templates, shared texts)
    texts: dict[str, str]  # slug → the page's path and the digest of its text, as read


def page_fingerprints(config: Config, pages: Sequence[Page], pot: Catalog,
                      translations: dict[str, Translations], *,
                      ws: Workspace | None = None, last: Fingerprints | None = None,
                      changed: Collection[tuple[str | None, str]] | None = None
                      ) -> Fingerprints:
    """Each page's fingerprint and listings (``Fingerprints``). The site's links are
    ``ws``'s (one of its own when None). ``last``: the last build's, and ``changed``:
    every (msgctxt, msgid) whose entry may read otherwise in some catalog since then
    (None: not known). A page whose text and messages are as ``last`` read them keeps
    its hashes there, under the same ``base``: after an edit, 999 of 1,000 pages'
    (resolving each of their messages in five languages took 0.2 s of the build)."""
    page_paths = {p.path for p in pages}
    shared = [e for e in pot.active if not any(x.path in page_paths for x in e.locations)]
    base_parts: list[str] = [__version__, file_digest(config.root / config.file),
                             tree_digest(config.templates_dir)]
    # Where a link leads depends on which sections the breadcrumbs name (which pages
    # are published where is the render stage's business: it re-renders those).
    space = ws or Workspace()
    base_parts += sorted(space.site_links(config, pages).sections)
    for code, tr in translations.items():
        for entry in shared:
            own = tr.entry(entry.msgid, entry.msgctxt)
            base_parts.append(code)
            base_parts.append(repr((entry.msgid, entry.msgctxt, own.msgstr, own.msgstr_plural,
                                    own.fuzzy) if own else None))
    base_digest = digest(*base_parts)
    base = framed(base_digest)
    # The last build's hashes, with what changed since, when they were made on this base.
    since = (last, changed) if last is not None and changed is not None \
        and last.base == base_digest else None
    # ``digest(base, page's file, one part per language and message)``, a part of a
    # message of several pages resolved and encoded once per language (front matter,
    # repeated blocks: a thousand pages made 140,000 ``resolve`` calls); only those
    # kept (all messages' texts in five languages weighed some ten megabytes).
    messages = {page.slug: page_messages(page) for page in pages}
    repeated = {key for key, count in Counter(
        key for keys in messages.values() for key in keys).items() if count > 1}
    shown: dict[str, dict[tuple[str, str | None], bytes]] = {code: {} for code in translations}
    out = Fingerprints({}, {}, base_digest, {})
    for page in pages:
        keys = messages[page.slug]
        read = space.text_digest(page)
        text = read.hex() if read is not None else file_digest(config.root / page.path)
        read_as = f"{page.path}\x00{text}"  # the listing's facts name the page's path
        if read is not None:
            out.texts[page.slug] = read_as
        if since is not None and _kept(page.slug, read_as, keys, translations, *since):
            out.pages[page.slug] = since[0].pages[page.slug]
            out.listings.update(((page.slug, code), since[0].listings[(page.slug, code)])
                                for code in translations)
            continue
        parts = [base, framed(text)]
        for code, tr in translations.items():
            known = shown[code]
            for key in keys:
                part = known.get(key)
                if part is None:
                    part = _resolved_part(code, tr, *key)
                    if key in repeated:
                        known[key] = part
                parts.append(part)
        out.pages[page.slug] = hashlib.sha256(b"".join(parts)).hexdigest()
        texts = [page.title] if page.description is None else [page.title, page.description]
        facts = base + framed(repr((page.slug, page.path, page.updated,
                                    [(t.value, t.line) for t in texts])))
        for code, tr in translations.items():
            listed = [facts]
            for item in texts:
                part = shown[code].get((item.value, None))
                if part is None:  # a message of this page only
                    part = _resolved_part(code, tr, item.value, None)
                listed.append(part)
            out.listings[(page.slug, code)] = hashlib.sha256(b"".join(listed)).hexdigest()
    return out


def _kept(slug: str, read_as: str, keys: Iterable[tuple[str, str | None]],
          translations: Mapping[str, Translations], last: Fingerprints,
          changed: Collection[tuple[str | None, str]]) -> bool:
    """Whether the page's hashes in ``last`` stand (``page_fingerprints``): its path
    and text read then as now (only a text read through the workspace counts), none of
    its messages changed, and every hash there."""
    if last.texts.get(slug) != read_as or slug not in last.pages:
        return False
    if any((ctx, msgid) in changed for msgid, ctx in keys):
        return False
    return all((slug, code) in last.listings for code in translations)


def changed_entries(translations: Mapping[str, Translations], ws: Workspace,
                    before: Mapping[str, frozenset[bytes]]
                    ) -> set[tuple[str | None, str]] | None:
    """Every (msgctxt, msgid) whose entry may read otherwise in a catalog than in the
    one whose block digests ``before`` holds for its language: an active entry whose
    block text is none of those (a block of the same text is the same entry, its
    translation and flags included). None when a translated language's digests are
    not known, then or now: every page is fingerprinted again."""
    out: set[tuple[str | None, str]] = set()
    for code, tr in translations.items():
        if tr.catalog is None:  # the source language: a message reads as itself
            continue
        old = before.get(code)
        now = ws.block_digests(tr.catalog)
        if old is None or now is None or len(now) != len(tr.catalog.entries) + 1:
            return None
        out.update(entry.key for entry, block in zip(tr.catalog.entries, now[1:], strict=True)
                   if block not in old and not entry.obsolete)
    return out


def _resolved_part(code: str, tr: Translations, msgid: str, ctx: str | None) -> bytes:
    """A message's part of a fingerprint: what the language resolves it to."""
    state, text = tr.shown(msgid, ctx)
    return framed(f"{code}\x00{state}\x00{text}")


def _shown(pages: tuple[PageReadability, ...]) -> bytes:
    """A digest of what ``relocate`` changes in a page's results (the catalog lines and
    the messages naming them): results as scored and a digest as shown last time give
    the document written last time."""
    return hashlib.blake2b(repr([
        (p.lang.code, [s.po for s in p.hardest],
         [(f.location, f.message, f.details.get("also")) for f in p.findings])
        for p in pages]).encode("utf-8", "surrogatepass"), digest_size=16).digest()


# --- extract and update on their own ----------------------------------------------------


def _kept_workspace(cache: BuildCache) -> Workspace:
    """A workspace holding the pages the last build parsed (a page whose file kept its
    stat is not read or parsed again), when they are this code's parse."""
    return Workspace(pages=cache.pages, page_stats=cache.page_stats) \
        if cache.page_parser == PARSER else Workspace()


def extract_step(config: Config) -> ExtractResult:
    """``pipeline extract``: the stage, from the pages the last build parsed (at 1,000
    pages, markdown-it on every page was most of its 4 s). The build cache is read, not
    written. The caller holds the root's lock."""
    return extract(config, ws=_kept_workspace(load_cache(config.output_dir, ("state", "pages"))))


def update_step(config: Config, languages: tuple[Lang, ...] | None = None, *,
                trivial_source_fixes: bool = False) -> list[UpdateResult]:
    """``pipeline update``: the stage, with the build's memo of the catalogs as last
    written (``update_catalogs``), written back to the build cache: an edit is merged
    in proportion, as in a build, and the build after it finds the catalogs as the memo
    knows them. (After a week's drift at 1,000 pages, ``pipeline update`` on its own
    merged every catalog whole, 8.3 s, and the build after it did so again, 5.8 s; now
    4.2 and 0.8 s.) The caller holds the root's lock."""
    cache = load_cache(config.output_dir, ("state", "pages", "catalogs"))
    if cache.catalogs is None:
        cache.catalogs = UpdateMemo()
    revision = cache.catalogs.revision
    results = update_catalogs(config, languages, trivial_source_fixes=trivial_source_fixes,
                              memo=cache.catalogs, ws=_kept_workspace(cache))
    if cache.catalogs.revision != revision:
        cache.touch("catalogs")
    save_cache(config.output_dir, cache)
    return results


# --- the build ----------------------------------------------------------------------------


def build(config: Config, *, force: bool = False, publish_site: bool = True,
          log: Log = _quiet, wait: float = 0.0, trivial_source_fixes: bool = False,
          repository_prefix: str = "", defer_a11y: bool = False) -> BuildResult:
    """Run every stage; publish when every enabled gate passes.

    ``repository_prefix`` is the content root's folder inside the CI's checkout
    (``"site/"``, or ``""`` at its top), for the paths of the Code Quality report.
    ``defer_a11y``: stop before the accessibility check, record what it must check
    (``output/reports/a11y-plan.json``) for ``pipeline a11y --shard`` and ``gate``."""
    started = time.monotonic()
    clock = _StageClock(log)
    clock.start()
    with (root_lock(config.output_dir, config.rel(config.output_dir / ".lock"), wait) as note,
          fewer_collections()):
        try:
            result = _build(config, force=force,
                            publish_site=publish_site and not defer_a11y, log=clock,
                            notes=[note] if note else [], trivial=trivial_source_fixes,
                            prefix=repository_prefix, defer_a11y=defer_a11y)
        finally:
            gc.unfreeze()  # what _build froze: collectable again
    clock.stop()
    return replace(result, seconds=time.monotonic() - started, timings=clock.timings)


def _build(config: Config, *, force: bool, publish_site: bool, log: _StageClock,
           notes: list[str], trivial: bool, prefix: str, defer_a11y: bool) -> BuildResult:

    # The readability results are read by whichever process scores (load_part); the QA
    # memo and the accessibility results by the stage that reads them (a deferred build
    # leaves the latter to the shards), so not before readability's child is forked: it
    # maps every page this process holds then, and its RSS counts them (after an edit at
    # 5,000 pages the QA memo was 127 MB of that child's 1,147).
    cache = BuildCache() if force else load_cache(
        config.output_dir, [part for part in PARTS
                            if part not in ("readability", "documents", "qa", "a11y")])
    # What the stages share in memory (pipeline.workspace): the pages parsed by the
    # last build (their text unchanged) are not parsed again.
    ws = _kept_workspace(cache)
    # The cache's objects (some hundred thousand) live to the build's end: out of the
    # collector's full walks, which took about 0.8 s of an edit's build at 1,000 pages.
    gc.freeze()
    facts = FileFacts(facts_file(config.output_dir))  # files' digests, by their stat

    # The CMU dictionary for textstat's NLTK, which scoring writes first (0.3-0.5 s, a
    # first build only), is written by a child meanwhile: extract runs on one CPU.
    dictionary = meanwhile(partial(ensure_dictionary, config),
                           fork=not dictionary_written(config))
    # So are the catalogs, in a build with no memo of them (the first): read and parsed.
    catalogs_ahead = _catalogs_ahead(config, cache)
    # Readability's child when started before the fingerprints, and what it waits for.
    early: Handover[_Aside, _Saved] | None = None
    to_score: Later[tuple[list[str], bool]] | None = None
    # Cache parts the build is done with, written by children meanwhile (save_meanwhile):
    # pickling them took a few tenths of a second each of the stretches where a cold
    # build ran on one CPU. Taken before the gates, as readability's.
    saving: list[Saving] = []
    try:
        log("extract", "extracting pages and templates")
        # The template as the last build's extract wrote it, in this code's layout.
        last = cache.catalogs.template if cache.catalogs is not None else None
        extracted = extract(config, ws=ws, laid_out=(last.digest, last.catalog)
                            if last is not None and last.writer == FORMAT else None)
        log("extract", f"{len(extracted.catalog.active)} messages from {len(extracted.pages)} "
                       f"page(s){'' if extracted.written else ' (template unchanged)'}")

        log("update", "merging the template into the catalogs")
        if cache.catalogs is None:
            cache.catalogs = UpdateMemo()
        revision = cache.catalogs.revision
        # Each catalog's blocks as the last build's fingerprints read them, if this memo
        # holds that very file: what update changes from here is all that can move them.
        fingerprinted = cache.fingerprint_catalogs
        blocks_read = {code: frozenset(memo.blocks.digests)
                       for code, memo in cache.catalogs.catalogs.items()
                       if fingerprinted.get(code) == memo.digest}
        # The memo's template and catalogs, still as on disk, go to the workspace unparsed.
        updates = update_catalogs(config, trivial_source_fixes=trivial, remember=True,
                                  memo=cache.catalogs, pages=extracted.pages, ws=ws,
                                  template_laid_out=extracted.digest, ahead=None if (
                                      catalogs_ahead is None) else _ahead_files(config))
        _drop_ahead(config, catalogs_ahead)
        if cache.catalogs.revision != revision:
            cache.touch("catalogs")
        saved = [ChangedMeanwhile(u.path, "updating") for u in updates if u.changed_meanwhile]
        for error in saved[:-1]:  # the last one stops the build, with the hint they share
            log("update", f"{error.location}: {error.message}")
        if saved:
            raise saved[-1]  # later stages would read the catalog as saved, not as merged
        for update in updates:
            if update.written:
                log("update", f"{update.path}: {update.new_fuzzy} newly fuzzy, "
                              f"{update.new_untranslated} new, {update.newly_obsolete} obsolete, "
                              f"{len(update.carried_over)} kept across a typo fix")

        log("check", "checking translations")

        slugs = [p.slug for p in extracted.pages]
        inputs = _advice_inputs(config)
        # After an edit, readability's child (below) is started now, before the pages'
        # fingerprints say which pages to score: it reads its cache part and moves every
        # page's results to today's catalog lines meanwhile, on the CPU this process's
        # fingerprints leave idle (after an edit that moves catalog lines, the build
        # then waited 0.35-0.4 s for that child at the end of the render).
        if cpus() >= 2 and hasattr(os, "fork") and cache.fingerprints \
                and cache.readability_key == inputs:
            to_score = Later()
            # Its rest (update's catalogs part, the documents whose catalog lines alone
            # moved, readability.json, its cache parts: 2 s of CPU after an edit that
            # moves catalog lines, 0.9 s after one that does not) is read by nothing
            # before the a11y stage ends: at the lowest priority, it leaves the CPUs to
            # this process and to Chromium first. Real edits at 1,000 pages in
            # interleaved pairs: outside pa11y 3.23 -> 3.05 s and 3.13 -> 3.03 s (means
            # of 14 and of 8); the whole build moved -0.21 s and +0.12 s, within the
            # noise of pa11y's own time.
            early = meanwhile_then(partial(_readability_aside, config, cache, ws, slugs,
                                           inputs, to_score, None, early=True,
                                           facts=facts), idle_rest=True)
            to_score.forked()
        else:  # update's catalogs part, written while the fingerprints are made
            saving.append(save_meanwhile(config.output_dir, cache, "catalogs"))
        # Not kept: the renderer and readability make their own (a big site's are tens of MB).
        translations = {lang.code: Translations.load(config, lang, ws)
                        for lang in config.all_languages}
        printed = page_fingerprints(
            config, extracted.pages, extracted.catalog, translations, ws=ws,
            last=Fingerprints(cache.fingerprints, cache.listings, cache.fingerprint_base,
                              cache.fingerprint_texts),
            changed=changed_entries(translations, ws, blocks_read))
        del blocks_read
        # The catalog files the fingerprints read (as update's memo names them).
        read_now = {code: file for code, tr in translations.items() if tr.catalog is not None
                    and (file := ws.catalog_digest(tr.catalog)) is not None}
        del translations
        fingerprints, listings = printed.pages, printed.listings
        same_pages = set(cache.fingerprints) == set(fingerprints)
        changed = [s for s in slugs if cache.fingerprints.get(s) != fingerprints[s]]
        rescore = changed if cache.readability_key == inputs else slugs
    except BaseException:
        dictionary.stop()
        _drop_ahead(config, catalogs_ahead)
        if early is not None:
            early.stop()
        if to_score is not None:
            to_score.close()
        _stop_saving(saving)
        raise
    dictionary.result()
    # Readability reads nothing the check and the renderer make. An edit's share (a
    # few pages scored, every page's catalog lines moved: a thousand documents written
    # again at 1,000 pages) runs in a child meanwhile, on the second CPU this otherwise
    # idle stretch leaves unused: 1-2.5 s of 8-9 at 1,000 pages, 51 -> 46 s at 5,000.
    # The price is the pages the two processes copy on write: their PSS summed, 305 ->
    # 451 MB and 1.15 -> 1.74 GB (the largest process's peak is unchanged). A big share
    # stays after the renderer, its languages split over two processes within the
    # stage: beside the check's and the renderer's own splits it saved 2-4 s of a
    # 1,000-page cold build for 477 -> 660 MB summed, and 4 % at 5,000 pages for 1.5 ->
    # 2.2 GB.
    aside_now = (cpus() >= 2
                 and len(rescore) * len(config.all_languages) < READABILITY_SPLIT_PAGES)
    if early is not None and to_score is not None and aside_now:
        to_score.send((rescore, same_pages))
        aside = early
    else:
        if early is not None and to_score is not None:  # too many pages to score beside
            early.stop()                                # the check and the render
            to_score.close()
            saving.append(save_meanwhile(config.output_dir, cache, "catalogs"))
        aside = meanwhile_then(partial(_readability_aside, config, cache, ws, slugs, inputs,
                                       lambda: (rescore, same_pages),
                                       None if aside_now else log), fork=aside_now, apart=True,
                               idle_rest=True)  # as the early child's (above)
    ahead: Pending[Staged | None] | None = None
    ahead_folder = config.output_dir / f".site-ahead.tmp-{os.getpid()}"
    try:
        load_part(config.output_dir, cache, "qa")
        release_free_memory()  # the catalogs' old texts and merges
        qa, qa_report, issues, rendered = _check_and_render(
            config, cache, ws, slugs, changed, same_pages, listings, prefix, log, saving, facts)
        # output/build is final: a child stages it for publish while readability and the
        # a11y stage go on (copying or linking thousands of files took 0.4-1.5 s of a
        # 1,000-page build at its very end, alone on one CPU). A fresh interpreter at the
        # lowest priority: a fork held 120-150 MB more, and at normal priority readability
        # beside it took 0.8 s longer.
        ahead = meanwhile(partial(stage_ahead, config, ahead_folder, facts),
                          fork=publish_site and not defer_a11y, fresh=True)
        # The parsed pages, as rendered (readability reads them as they are), written to
        # the cache now and let go (73 MB at 5,000 pages): after an edit, while the child
        # that scores still works (it ends about a second after the render).
        cache.pages = ws.parsed_pages(extracted.pages)
        cache.page_stats = ws.page_stats(extracted.pages)
        saving.append(save_meanwhile(config.output_dir, cache, "pages"))
    except BaseException:
        aside.stop()
        _stop_saving(saving)
        _drop_staged(ahead, ahead_folder)
        raise
    views: Pending[None] | None = None  # the a11y stage's reports, written by a child
    try:
        readability = _adopt_readability(cache, ws, facts, aside.result(), log)
        # No later stage reads a page. Nor, but for the a11y stage tracing findings to
        # their entries, a language's catalog: without readability's child they are let go
        # (the catalogs part was let go once its own child was forked), and the tracer
        # parses those it needs. With the child, the cache holds update's catalogs until it has
        # saved them (below), the very parses the workspace holds: kept there, the tracer
        # takes them, instead of parsing each checked language's file again beside pa11y
        # (0.35 s of CPU a catalog at 1,000 pages, taken from Chromium on two cores), and
        # traces to the lines the pages were rendered from.
        ws.release_pages()
        del extracted
        if not aside_now:
            ws.release_catalogs(keep=(config.rel(config.pot_path),))  # the a11y stage reads it
        release_free_memory()  # the reports' text, the scoring's measures, the messages

        a11y: A11yResult | None = None
        checked: tuple[str, ...] = ()
        reused = 0
        if not defer_a11y:
            log("a11y", "checking accessibility")
            a11y, checked, reused = _accessibility(config, cache, ws, facts)
            log("a11y", f"pa11y ran on {len(checked)} document(s), reused {reused} "
                        f"earlier result(s); {len(a11y.gating)} blocking finding(s)")

            found = [(f, config.gate.a11y and a11y_gates(f, a11y.warnings_gate))
                     for f in a11y.findings if f.severity != "notice"]
            if found:
                issues += found
            # The reports only people and CI read: a child writes them while this
            # process adopts readability's results and judges the gates (at 1,000
            # pages, 0.15 s of an edit's build after pa11y, with a CPU idle). Taken
            # before anything is published: a report that cannot be written stops it.
            views = meanwhile(partial(_a11y_views, config, a11y,
                                      issues if found else None, prefix))
        # readability.json and the cache's parts, written by the child meanwhile (during
        # pa11y's run, in a real build): a report that cannot be written stops the build
        # before it publishes, as when the readability stage wrote it itself.
        _adopt_saved(cache, facts, aside.rest())
        for part in saving:
            part.adopt()
        # Nor the template: what is left of the build (gates, publish, the cache) reads
        # results only (the cache's catalogs part is let go by now).
        ws.release_catalogs()
        release_free_memory()
        gates = _gates(config, qa, a11y, rendered, readability, {"qa": (qa_report,)})
        rows = _rows(config, rendered, qa, readability, a11y)
        reasons = tuple(g.detail for g in gates if g.blocks)
        verdict: Verdict = "deferred" if defer_a11y else ("blocked" if reasons else "published")
        cache.fingerprints = fingerprints
        cache.listings = listings
        cache.fingerprint_base = printed.base
        cache.fingerprint_texts = printed.texts
        cache.fingerprint_catalogs = read_now
        cache.page_parser = PARSER
        cache.completeness = {}
        for item in rendered.pages:
            cache.completeness.setdefault(item.slug, {})[item.lang] = Completeness(
                item.translated, item.outdated, item.fallback, item.total, item.stale,
                item.own_started)
        result = BuildResult(verdict, reasons, gates, rows, tuple(changed), tuple(checked), reused,
                             tuple(notes), None, None, timings=log.timings)
        if defer_a11y:
            log("a11y", "deferred: recording the documents to check and their hashes")
            plan = plan_checks(config, facts)
            result = replace(result, build_id=plan.build_id, timings=log.timings)
            write_plan(config, plan, result.to_dict())
            log("a11y", f"build {plan.build_id}: {len(plan.documents)} document(s) to check")
        if views is not None:
            views.result()
        _write_build_json(config, result)
        if verdict == "published" and publish_site:
            log("publish", "publishing output/build")
            published = publish(config, {"build": {g.name: g.to_dict() for g in gates}},
                                facts=facts, staged=ahead.result() if ahead else None)
            result = replace(result, published_to=config.rel(published.site),
                             build_id=published.build_id, republished=published.changed,
                             timings=log.timings)
            _write_build_json(config, result)
        elif verdict == "blocked":
            log("publish", "blocked; the published site is unchanged")
        facts.save()
        save_cache(config.output_dir, cache)
        return result
    finally:
        aside.stop()  # if the rest was not taken: a later stage failed
        if views is not None:
            views.stop()
        _stop_saving(saving)
        _drop_staged(ahead, ahead_folder)


def _stop_saving(saving: list[Saving]) -> None:
    """The cache parts still being written, their children ended (the build failed)."""
    for part in saving:
        part.stop()


def _catalogs_ahead(config: Config, cache: BuildCache) -> Pending[None] | None:
    """``read_ahead`` in a child, when update has no memo of a language's catalog and
    the catalogs are big enough for a merge split over two processes; update takes what
    it has written by then (``_ahead_files``), never waits for it."""
    memo = cache.catalogs
    langs = target_languages(config, None)
    missing = frozenset(lang.code for lang in langs
                        if memo is None or lang.code not in memo.catalogs)
    if not missing:
        return None
    files = [config.po_path(lang) for lang in langs]
    if sum(f.stat().st_size for f in files if f.is_file()) < AHEAD_BYTES:
        return None
    config.output_dir.mkdir(parents=True, exist_ok=True)
    # Those of a build killed meanwhile (no write of the build sweeps output/ itself).
    remove_stale_temps(ahead_file(config.output_dir, "", os.getpid()))
    # At the lowest priority: extract, on the first CPU, is not slowed (by 0.15-0.2 s
    # at normal priority, with the dictionary's child on the second).
    pending = meanwhile(partial(read_ahead, config, config.output_dir, os.getpid(), missing),
                        idle=True)
    return pending if pending.forked else None


def _ahead_files(config: Config) -> dict[str, Path]:
    return {lang.code: ahead_file(config.output_dir, lang.code, os.getpid())
            for lang in target_languages(config, None)}


def _drop_ahead(config: Config, pending: Pending[None] | None) -> None:
    """``_catalogs_ahead``'s child ended, if it was not yet, and its files removed."""
    if pending is not None:
        pending.stop()
        for lang in target_languages(config, None):
            for whole in (True, False):
                with contextlib.suppress(OSError):
                    ahead_file(config.output_dir, lang.code, os.getpid(), whole=whole).unlink()


def _drop_staged(ahead: Pending[Staged | None] | None, folder: Path) -> None:
    """The publish staged ahead, not taken (a later stage failed, or the build was
    blocked): its child stopped, its copy removed. Taken, the copy is the live site now,
    under another name, and the child is gone."""
    if ahead is not None:
        ahead.stop()
    shutil.rmtree(folder, ignore_errors=True)


def _check_and_render(config: Config, cache: BuildCache, ws: Workspace, slugs: list[str],
                      changed: list[str], same_pages: bool,
                      listings: dict[tuple[str, str], str], prefix: str, log: Log,
                      saving: list[Saving], facts: FileFacts
                      ) -> tuple[CheckResult, str, list[tuple[Finding, bool]], RenderResult]:
    """The check (its memo, qa.json and codequality.json), then the pages whose
    fingerprint moved rendered (their digests known to ``facts``): the check's errors,
    its report's path, the issues codequality.json shows and the render's result. The
    memo's part is written by a child (``saving``)."""
    memo_before = dict(cache.qa)
    qa = run_checks(config, memo=cache.qa, ws=ws)  # unchanged entries: reused from the last
    ws.messages.release_facts()  # 46 MB of a 5,000-page site's msgids, read by no later stage
    if cache.qa != memo_before:
        cache.touch("qa")
    saving.append(save_meanwhile(config.output_dir, cache, "qa"))  # read by no later stage
    qa_report = config.rel(qa_report_path(config))
    # QA and a11y findings with whether each blocks publication; written now with QA's
    # alone, so a later stage that fails leaves no earlier build's issues in the file.
    issues = [(f, config.gate.qa and f.severity == "error")
              for f in qa.findings if f.severity != "notice"]
    # Both reports (13 MB at 1,000 pages) written by a child while this process renders
    # (an edit's build waited 0.2-0.3 s for them); written whether or not the render fails.
    reports = meanwhile(partial(_write_check_reports, config, qa, issues, prefix))
    # Past the reports, the gates read the errors and a rewrite of codequality.json
    # (with a11y's issues) what it shows of a finding: not the catalog texts and the
    # details of 58,000 warnings at 5,000 pages, which would sit under every later stage.
    issues = [(_as_shown(f), blocks) for f, blocks in issues]
    qa = replace(qa, findings=tuple(f for f in qa.findings if f.severity == "error"))
    log("check", f"{qa.errors} error(s), {qa.warnings} warning(s)")

    log("render", f"rendering {len(changed)} of {len(slugs)} page(s) in "
                  f"{len(config.all_languages)} languages")
    # Every page's completeness at the last build: the unchanged ones are not measured
    # again, and a page whose link target changed languages is rendered again.
    known = {s: cache.completeness[s] for s in slugs
             if s in cache.completeness} if same_pages else None
    indexes = dict(cache.language_indexes)
    try:
        rendered = render_site(config, None if not same_pages else changed, known=known,
                               ws=ws, listings=listings, indexes=indexes, facts=facts)
    finally:
        reports.result()
    cache.language_indexes = indexes
    ws.release_tokens()  # only rendering reads the pages' tokens
    release_free_memory()  # the site's HTML, freed: room for readability's results
    for item in rendered.pages:
        if not item.published:
            log("render", f"{item.tag}/{item.slug}.html "
                          f"{'withdrawn' if item.withdrawn else 'left out'}: "
                          f"{_shares(config, item)}")

    return qa, qa_report, issues, rendered


def _advice_inputs(config: Config) -> str:
    """A digest of what readability's advice depends on besides a page's text: the
    glossary's kept names and the site's word list (a change rescores every page)."""
    words = config.readability.plain_words
    return digest(file_digest(config.locales_dir / GLOSSARY_FILE),
                  file_digest(config.root / words) if words else "")


@dataclass(frozen=True, slots=True)
class _Aside:
    """What ``_readability`` run by a child hands over that this process needs: its
    result, the cache's values it set, its log."""

    result: ReadabilityResult
    key: str
    logged: tuple[tuple[str, str], ...]
    written: _Written  # the report documents it wrote


@dataclass(frozen=True, slots=True)
class _Saved:
    """The files of the cache parts ``_readability``'s rest saved, and the cache's
    value it set last."""

    files: list[str]
    documents: list[str]  # the files of the documents' part
    catalogs: list[str] | None  # the catalogs part's, when the rest saved it
    written: _Written  # the readability documents the rest wrote
    shown: dict[str, bytes]  # cache.readability_shown (the rest sets pages relocated late)


def _readability_aside(config: Config, cache: BuildCache, ws: Workspace, slugs: list[str],
                       inputs: str, plan: Callable[[], tuple[list[str], bool]],
                       log: Log | None, early: bool = False, facts: FileFacts | None = None
                       ) -> tuple[_Aside, Callable[[], _Saved]]:
    """``_readability``, in a child (``log`` None: its messages are kept for the
    parent to log when it takes the result) or here; for ``meanwhile_then``, whose rest
    writes ``readability.json`` and the cache's parts after the result is handed over.
    Started ``early`` (right after update), the rest saves update's catalogs part too,
    as it was then (nothing changes it after update; without such a start the build has
    it saved by a child of its own, ``save_meanwhile``)."""
    logged: list[tuple[str, str]] = []
    result, written, rest = _readability(
        config, cache, ws, slugs, inputs, plan,
        log or (lambda stage, message: logged.append((stage, message))), early=early,
        facts=facts)

    def saved() -> _Saved:
        # The catalogs part first: pickling it takes that child about 200 MB more, which
        # at 5,000 pages took it over 1 GB once the rest had grown it by 80 MB.
        if early:
            save_parts(config.output_dir, cache, "catalogs")
        written = rest()
        return _Saved(cache.files("readability"), cache.files("documents"),
                      cache.files("catalogs") if early else None, written,
                      cache.readability_shown)

    return _Aside(result, cache.readability_key, tuple(logged), written), saved


def _adopt_readability(cache: BuildCache, ws: Workspace, facts: FileFacts, aside: _Aside,
                       log: Log) -> ReadabilityResult:
    """The result of ``_readability_aside``, its cache values made this process's, and
    the digests of the documents it wrote, known as of their bytes."""
    for stage, message in aside.logged:
        log(stage, message)
    _know(facts, aside.written)
    # What a child set; when this process ran it, the very values it set already.
    cache.readability_key = aside.key
    ws.release_messages()  # as _readability did in the child
    return aside.result


def _adopt_saved(cache: BuildCache, facts: FileFacts, saved: _Saved) -> None:
    """The parts ``_readability``'s rest saved, named in the manifest as this build's,
    and the digests of the documents it wrote, known as of their bytes."""
    cache.adopt("readability", saved.files)
    cache.adopt("documents", saved.documents)
    if saved.catalogs is not None:
        cache.adopt("catalogs", saved.catalogs)
    cache.readability_shown = saved.shown
    _know(facts, saved.written)


def _know(facts: FileFacts, written: _Written) -> None:
    for path, report_digest, info in written:
        facts.record(path, REPORT_FACT, report_digest, info, trusted=True)


def _readability(config: Config, cache: BuildCache, ws: Workspace, slugs: list[str],
                 inputs: str, plan: Callable[[], tuple[list[str], bool]], log: Log, *,
                 early: bool = False, facts: FileFacts | None = None
                 ) -> tuple[ReadabilityResult, _Written, Callable[[], _Written]]:
    """Score the pages ``plan`` gives (with whether the site has the same pages as
    the last build), reuse the cache's results for the rest, write the reports; returns
    the results without what only the reports show, the documents written (``_Batch``),
    and the rest of the work: the documents whose catalog lines alone moved
    (``_Documents``), ``readability.json`` and the cache's parts (keyed by the advice's
    ``inputs``), which the a11y stage needs none of: done by a child while the build
    goes on (the JSON took 0.3 s of a child's 1 s after an edit, the parent waiting for
    it at the render's end; the parts 0.3 s of a cold build's last one-CPU stretch);
    it returns the documents it wrote.
    ``early``: started before ``plan`` can answer (it waits for it). The pages whose
    document a move of their catalog lines can only change where pa11y does not look
    (``_late_pages``, by ``facts``: the build's) are moved to today's lines by the rest;
    every other page's results first."""
    loaded = load_part(config.output_dir, cache, "readability")
    load_part(config.output_dir, cache, "documents")  # none read: every document rendered
    entries = PoLocator(config, ws) if early else None
    # Moving every page's results took 0.2-0.35 s after an edit at 1,000 pages, which
    # the build waited for at the render's end: the rest does it for these.
    late = _late_pages(config, cache, slugs, facts) if (
        entries is not None and loaded and facts is not None) else set()
    relocated: dict[str, tuple[PageReadability, ...]] = {}
    if entries is not None and loaded:
        with paused_gc():  # a hundred thousand new objects, no cycles
            relocated = {slug: tuple(relocate(p, entries) for p in cache.readability.get(
                slug, ())) for slug in slugs if slug not in late}
    rescore, same_pages = plan()
    if not loaded:
        rescore = slugs  # the last results cannot be read: every page is scored again
    if not same_pages:  # every document is written now, at today's lines
        late = set()
    late.difference_update(rescore)
    cache.readability_key = inputs
    log("readability", f"scoring {len(rescore)} page(s)")
    fresh = run_readability(config, slugs=rescore, ws=ws) if rescore else None
    # The last stage to read a message (the a11y stage traces findings to catalog
    # entries, not messages): room for the reports and the cache's parts.
    ws.release_messages()
    if entries is None:
        entries = PoLocator(config, ws)
    by_slug: dict[str, tuple[PageReadability, ...]] = {}
    # Unchanged pages whose catalog lines moved since the last build showed them (not
    # since they were scored: a page once moved would be rendered again in every build).
    moved: set[str] = set()
    shown_before = cache.readability_shown
    shown: dict[str, bytes] = {}

    def reuse(slug: str) -> None:
        before = cache.readability.get(slug, ())
        by_slug[slug] = relocated[slug] if slug in relocated else tuple(
            relocate(p, entries) for p in before)
        shown[slug] = _shown(by_slug[slug])
        if shown[slug] != shown_before.get(slug):
            moved.add(slug)

    with paused_gc():  # a hundred thousand new objects, no cycles
        for slug in slugs:
            if slug in late:  # as scored: the index and its parts show no catalog line
                by_slug[slug] = cache.readability.get(slug, ())
            elif slug not in rescore:
                reuse(slug)
    if fresh is not None:
        grouped: dict[str, list[PageReadability]] = {slug: [] for slug in rescore}
        for scored_page in fresh.pages:
            grouped.setdefault(scored_page.slug, []).append(anchored(scored_page, entries))
        by_slug.update((slug, tuple(grouped[slug])) for slug in rescore)
        shown.update((slug, _shown(by_slug[slug])) for slug in rescore)
    order = {lang.code: i for i, lang in enumerate(config.all_languages)}

    def result() -> ReadabilityResult:
        scored = sorted((p for s in slugs for p in by_slug.get(s, ())),
                        key=lambda p: (p.page, order.get(p.lang.code, 99)))
        return ReadabilityResult(config.all_languages, config.source_language, tuple(scored))

    readability = result()
    # A document whose page kept its fingerprint kept its scores: not rendered again;
    # one whose catalog lines only moved is the last one with its lines moved.
    # Documents whose catalog lines alone moved are written by the rest (below).
    documents = _Documents(cache.readability_documents, cache.readability, set(rescore),
                           defer=True)
    with paused_gc():
        write_readability_reports(config, readability,
                                  fresh=set(rescore) | moved if same_pages else None,
                                  documents=documents, json=False)
    cache.readability_documents = documents.records(slugs)
    # As scored, not as relocated (relocate works from the source lines): an unchanged
    # page keeps the very object read, and the cache file holding it is not rewritten.
    rescored = set(rescore)
    cache.readability = {s: by_slug.get(s, ()) if s in rescored
                         else cache.readability.get(s, ()) for s in slugs}
    cache.readability_shown = shown

    # The results with their sentences and advice (150 MB at 5,000 pages): let go as
    # soon as the JSON holds them, before the rest pickles the cache's parts (and, in an
    # edit's child, the catalogs part). Held past ``_readability`` only where this
    # process must keep them to redo the rest if its child fails (a cold build's, until
    # the gates). The gates and the summary read a page's scores, target and verdict.
    held = [readability]

    def rest() -> _Written:
        if late:  # moved now; a document that moved is patched below with the others
            with paused_gc():
                for slug in slugs:
                    if slug in late:
                        reuse(slug)
            documents.deferred |= moved & late
            held[0] = result()
        # Held by the result alone from here: let go with it once the JSON is written,
        # before the parts are pickled (at 5,000 pages, 30 MB of that child's peak).
        by_slug.clear()
        relocated.clear()
        # First: the cache's part names them as written.
        written, made = documents.write_deferred(config, held[0])
        for slug, record in made.items():
            if record is None:
                cache.readability_documents.pop(slug, None)
            else:
                cache.readability_documents[slug] = record
        with paused_gc():
            write_readability_json(config, held.pop())
        save_parts(config.output_dir, cache, "readability", "documents")
        cache.drop("readability")
        cache.drop("documents")
        return written

    return replace(readability, pages=tuple(replace(
        p, title="", counts=_NO_COUNTS, hardest=(), findings=(), notes=())
        for p in readability.pages)), documents.written, rest


def _late_pages(config: Config, cache: BuildCache, slugs: Sequence[str], facts: FileFacts
                ) -> set[str]:
    """The pages whose results can be moved to today's catalog lines after the a11y
    stage has listed their document: whatever moves, the document changes only where
    ``_report_digest`` masks (``_lines_alone``). Each has a document the last build
    wrote and the file is still that one (``facts``), none of its locations is written as
    a bare line number, and ``relocate`` can move its results only within their
    language's catalog as configured today (``moves_within``)."""
    folder = config.output_dir / "reports" / readability_html.DETAILS
    catalogs = {lang.code: config.rel(config.po_path(lang)) for lang in config.languages}
    paths = set(catalogs.values())
    out: set[str] = set()
    for slug in slugs:
        record = cache.readability_documents.get(slug)
        if record is None or any(line_alone and location.path in paths
                                 for _, _, location, line_alone in record[1]):
            continue
        if not all(moves_within(page, catalogs[page.lang.code])
                   for page in cache.readability.get(slug, ()) if page.lang.code in catalogs):
            continue
        if facts.unchanged(folder / readability_html.detail_name(slug), REPORT_FACT):
            out.add(slug)
    return out


# --- the accessibility check -----------------------------------------------------------


def check_a11y(config: Config, pages: Sequence[str] | None = None, *,
               standard: str | None = None, concurrency: int | None = None) -> A11yResult:
    """``pipeline a11y``: the a11y stage on ``pages`` (None: every document), this run's
    own report checked too, then its reports written."""
    result = _run_a11y(config, pages, standard=standard, concurrency=concurrency)
    write_a11y_reports(config, result)
    return result


def _run_a11y(config: Config, pages: Sequence[str] | None, *, standard: str | None = None,
              concurrency: int | None = None, check_report: bool = True,
              ws: Workspace | None = None) -> A11yResult:
    """The a11y stage; ``check_report``: this run's a11y.html is checked with the pages
    (rendered pending). When the pages could not be checked, or the run was stopped,
    the reports say so: no stale "passed" is left behind."""
    try:
        return run_a11y(config, pages, standard=standard, concurrency=concurrency,
                        render_pending=_render_pending if check_report else None, ws=ws)
    except PipelineError as exc:
        write_a11y_failure(config, exc)
        raise
    except Stopped as exc:
        write_a11y_failure(config, PipelineError(
            f"the run was stopped by {exc.name} before it finished; nothing was checked",
            hint="run the command again"))
        raise


def _render_pending(result: A11yResult) -> str:
    return render_report(result, pending=True)


def a11y_report_paths(config: Config) -> dict[str, Path]:
    return {name: config.output_dir / "reports" / name for name in A11Y_REPORTS}


def write_a11y_reports(config: Config, result: A11yResult,
                       checked: Mapping[str, str] | None = None) -> None:
    """a11y.json (``write_a11y_json``), a11y.junit.xml and a11y.html."""
    write_a11y_json(config, result, checked)
    write_a11y_views(config, result)


def write_a11y_json(config: Config, result: A11yResult,
                    checked: Mapping[str, str] | None = None) -> None:
    """a11y.json; a build's (``checked``: page → sha256 of what was checked) adds
    ``checked_sha256``, by which publish proves that every published page was checked
    in its current form."""
    paths = a11y_report_paths(config)
    document = a11y_document(result, streamed=True)
    if checked is not None:
        # The reports are not published (and are keyed with their line numbers masked).
        build = config.rel(config.output_dir / "build") + "/"
        document["checked_sha256"] = {p: sha for p, sha in checked.items()
                                      if p.startswith(build)}
    with atomic_text_stream(paths["a11y.json"], config.rel(paths["a11y.json"])) as stream:
        stream.writelines(iter_dumps(document))  # never whole as text


def write_a11y_views(config: Config, result: A11yResult) -> None:
    """a11y.junit.xml and a11y.html: what people and CI read (publish reads a11y.json)."""
    paths = a11y_report_paths(config)
    write_text_atomic(paths["a11y.junit.xml"], a11y_junit(result),
                      config.rel(paths["a11y.junit.xml"]))
    write_text_atomic(paths["a11y.html"], render_report(result), config.rel(paths["a11y.html"]))


def write_a11y_failure(config: Config, error: PipelineError) -> None:
    """Replace the a11y reports with ones that say the check failed (never a stale pass)."""
    paths = a11y_report_paths(config)
    if not config.output_dir.is_dir():
        return
    with contextlib.suppress(PipelineError):
        write_text_atomic(paths["a11y.json"], dumps(failure_document(error)),
                          config.rel(paths["a11y.json"]))
        write_text_atomic(paths["a11y.junit.xml"], failure_junit(error),
                          config.rel(paths["a11y.junit.xml"]))
        write_text_atomic(paths["a11y.html"], render_failure(error),
                          config.rel(paths["a11y.html"]))


def _accessibility(config: Config, cache: BuildCache, ws: Workspace, facts: FileFacts
                   ) -> tuple[A11yResult, tuple[str, ...], int]:
    """pa11y on pages whose HTML changed; earlier results for the rest."""
    load_part(config.output_dir, cache, "a11y")
    reports = config.output_dir / "reports"
    # Walked once for both (5,000 files at 1,000 pages).
    built = tree_files(config.output_dir / "build")
    use_a11y_cache(config, cache, facts, built)
    current = a11y_documents(config, facts, built)
    todo = [page for page, sha in current.items()
            if cache.a11y_pages.get(page, ("",))[0] != sha]
    result = None
    if todo:
        build = config.rel(config.output_dir / "build") + "/"
        result = _run_a11y(config, [p.removeprefix(build) for p in todo], ws=ws)
        digests = dict(current)
        if (report := report_page(config)) in result.pages:  # checked as it was pending
            digests[report] = sha256_file(pending_report(config))
        remember_a11y(cache, result, digests)
    live = [p for p in cache.a11y_pages
            if p in current or p == f"{config.rel(reports)}/a11y.html"]
    merged = cached_a11y(config, cache, live, ws)
    # The JUnit and HTML reports are the build's to write (_a11y_views): by a child.
    write_a11y_json(config, merged, {p: cache.a11y_pages[p][0] for p in live})
    release_free_memory()  # the reports' text: room for publish and the cache
    # What pa11y ran on includes the a11y report itself, checked within the run: counted
    # like every other document, so the summary, a11y.json and a11y.html agree.
    checked = tuple(result.pages) if result is not None else ()
    return merged, checked, len(live) - len(checked)


def use_a11y_cache(config: Config, cache: BuildCache, facts: FileFacts | None = None,
                   built: list[tuple[str, str, os.stat_result]] | None = None) -> None:
    """Keep the cache's accessibility results only if they were made under the same
    settings, stylesheets and images, on the same day (baseline expiry dates).
    ``facts``: the build's (else read and saved here); ``built``: ``tree_files`` of
    output/build, if at hand."""
    build = config.output_dir / "build"
    baseline = config.root / config.a11y.baseline
    # Stylesheets and images change what pa11y sees without changing a page's HTML.
    # Every language holds the same copy of an image: counted once, so a language that
    # loses its last page (and its copies) does not send every other page to pa11y.
    tags = {lang.tag for lang in config.all_languages}
    known = facts or FileFacts(facts_file(config.output_dir))
    assets = sorted({f"{_without_tag(rel, tags)}:{known.get(path, 'sha256', sha256_hex, info)}"
                     for rel, path, info in (tree_files(build) if built is None else built)
                     if not rel.endswith((".html", ".xml", ".json"))})
    if facts is None:
        known.save()
    key = digest(__version__, file_digest(config.root / config.file), file_digest(baseline),
                 dt.date.today().isoformat(), *assets)
    if cache.a11y_key != key:
        cache.a11y_pages = {}
        cache.a11y_key = key


def a11y_documents(config: Config, facts: FileFacts | None = None,
                   built: list[tuple[str, str, os.stat_result]] | None = None
                   ) -> dict[str, str]:
    """Every document pa11y checks (but this run's a11y.html), in report order → the
    digest its cached result is keyed by. ``facts``: the build's (else read and saved
    here): a document unchanged since it was last hashed is not read again. ``built``:
    ``tree_files`` of output/build, if at hand."""
    known = facts or FileFacts(facts_file(config.output_dir))
    current: dict[str, str] = {}
    for kind, folder, digest_of in ((SHA256, "build", sha256_hex),
                                    (REPORT_FACT, "reports", _report_digest)):
        prefix = config.rel(config.output_dir / folder) + "/"
        # The readability report is a folder of documents too.
        for rel, path, info in (built if folder == "build" and built is not None
                                else tree_files(config.output_dir / folder)):
            if rel.endswith(".html") and (folder, rel) != ("reports", "a11y.html"):
                current[prefix + rel] = known.get(path, kind, digest_of, info)
    if facts is None:
        known.save()
    return current


def remember_a11y(cache: BuildCache, result: A11yResult, digests: Mapping[str, str]) -> None:
    """Each page of a run's result, stored under its digest (``digests``: every page's,
    the a11y report's that of the pending one the run checked)."""
    findings = by_page(result.findings)
    review = by_page(result.needs_review)
    results = {r.page: r for r in result.results}
    for page in result.pages:
        pieces = (tuple(findings.get(page, ())), tuple(review.get(page, ())), results[page])
        cache.a11y_pages[page] = (digests[page], pieces)
    cache.a11y_meta = replace(result, findings=(), needs_review=(), results=(), pages=())


def cached_a11y(config: Config, cache: BuildCache, pages: Sequence[str],
                ws: Workspace | None = None) -> A11yResult:
    """One ``A11yResult`` of the cached results of ``pages``, in that order, each
    catalog finding pointed at today's line (catalogs read through ``ws``)."""
    relocate = _relocator(config, ws or Workspace())
    meta: A11yResult = cache.a11y_meta
    return replace(
        meta,
        findings=tuple(relocate(f) for p in pages for f in cache.a11y_pages[p][1][0]),
        needs_review=tuple(relocate(f) for p in pages for f in cache.a11y_pages[p][1][1]),
        results=tuple(cache.a11y_pages[p][1][2] for p in pages),
        pages=tuple(pages),
    )


_PO_LINE = re.compile(rb"(\.po):[0-9]+")
REPORT_FACT = "a11y-report"  # the kind of FileFacts a report's _report_digest is kept as


def _report_digest(data: bytes) -> str:
    """What pa11y's result for a report document depends on: its bytes with the catalog
    line numbers masked. A catalog edit moves the lines of every entry below it, which
    changes the text of many pages' readability documents but nothing pa11y checks;
    without the mask, one edited paragraph would send hundreds of reports to pa11y."""
    return hashlib.sha256(_PO_LINE.sub(rb"\1:N", data)).hexdigest()


def _without_tag(rel: str, tags: set[str]) -> str:
    first, _, rest = rel.partition("/")
    return rest if rest and first in tags else rel


def _relocator(config: Config, ws: Workspace) -> Callable[[Finding], Finding]:
    """Point a (possibly cached) finding at today's line of its catalog entry.

    A page's HTML does not change when a translator's edit elsewhere moves catalog
    lines, so a reused finding's ``.po`` line is looked up again by the entry it names.
    """
    entries = PoLocator(config, ws)
    by_tag = {lang.tag: lang for lang in config.languages}

    def relocate(finding: Finding) -> Finding:
        details = finding.details
        lang = by_tag.get(str(details.get("language", "")))
        if lang is None or details.get("traced") != "catalog":
            return finding
        # By the entry the finding was traced to: its source line alone names the first
        # of a table row's messages. Findings cached before they named it go by the line.
        where = entries.where(lang, (details.get("msgctxt"), details["msgid"])) \
            if "msgid" in details else None
        if where is None:
            source = next((r for r in finding.related
                           if r.path.startswith(config.pages + "/") or r.path == config.file
                           or r.path.startswith(config.templates + "/")), None)
            where = entries.locate(lang, source) if source else None
        return finding.moved_to(where) if where else finding

    return relocate


def _shares(config: Config, item: Any) -> str:
    """How far a page is translated, against the thresholds that apply to it."""
    if not config.language.get(item.lang, LanguageConfig()).publish:
        return "the language is configured off (publish = false)"
    return (f"{item.percent:.0f} % translated, {item.covered:.0f} % counting outdated "
            f"translations; needs {item.threshold:g} %, or {item.keep:g} % to stay")


def _completeness_gate(config: Config, rendered: Any) -> Gate:
    """``warn`` (or, configured so, a block) exactly when a page left a language."""
    withdrawn = [p for p in rendered.pages if p.withdrawn]
    if withdrawn:
        # A language configured off is a decision already taken: it warns, never blocks.
        by_threshold = any(config.language.get(p.lang, LanguageConfig()).publish
                           for p in withdrawn)
        return Gate("completeness", config.gate.withdrawn == "block" and by_threshold, False,
                    "withdrawn (each URL now serves a page saying it is being updated): "
                    + "; ".join(
                        f"{p.tag}/{p.slug}: {_shares(config, p)}" for p in withdrawn))
    catching_up = [f"{p.tag}/{p.slug} {p.percent:.0f} %" for p in rendered.pages
                   if p.published and p.percent < p.threshold]
    untranslated = [f"{p.tag}/{p.slug}" for p in rendered.pages if not p.published]
    detail = "every page meets its language's completeness threshold"
    if catching_up or untranslated:
        detail = "; ".join(part for part in (
            "published while translators catch up: " + ", ".join(catching_up)
            if catching_up else "",
            "not translated yet: " + ", ".join(untranslated) if untranslated else "") if part)
    return Gate("completeness", True, True, detail)


def _a11y_reports(config: Config) -> tuple[str, ...]:
    paths = a11y_report_paths(config)
    return tuple(config.rel(paths[name]) for name in ("a11y.html", "a11y.json"))


def _a11y_gate(config: Config, a11y: A11yResult) -> Gate:
    gating = len(a11y.gating)
    return Gate("a11y", config.gate.a11y, gating == 0,
                f"{gating} accessibility finding(s) block publication "
                "(output/reports/a11y.html)" if gating
                else "no blocking accessibility findings",
                a11y.gating, _a11y_reports(config))


def _gates(config: Config, qa: CheckResult, a11y: A11yResult | None, rendered: Any,
           readability: Any, reports: dict[str, tuple[str, ...]]) -> tuple[Gate, ...]:
    """Every gate; without ``a11y`` (deferred) the accessibility gate is left out."""
    over = [f"{p.slug} ({p.lang.code})" for p in readability.over_target]
    qa_errors = qa.errors
    return (
        *((_a11y_gate(config, a11y),) if a11y is not None else ()),
        Gate("qa", config.gate.qa, qa_errors == 0,
             f"{qa_errors} translation QA error(s) (pipeline check; output/reports/qa.json)"
             if qa_errors else "no translation QA errors",
             tuple(f for f in qa.findings if f.severity == "error"), reports["qa"]),
        _completeness_gate(config, rendered),
        Gate("readability", config.gate.readability, not over,
             f"over the readability target: {', '.join(over)}" if over
             else "every page meets its readability target"),
    )


def _rows(config: Config, rendered: Any, qa: CheckResult, readability: Any,
          a11y: A11yResult | None) -> tuple[LanguageRow, ...]:
    rows = []
    for lang in config.all_languages:
        mine = [p for p in rendered.pages if p.lang == lang.code]
        summary = qa.language(lang.code)
        scores = [p for p in readability.pages if p.lang.code == lang.code]
        errors = sum(r.errors for r in a11y.results if r.language == lang.tag) if a11y else 0
        rows.append(LanguageRow(
            lang=lang.code,
            tag=lang.tag,
            completeness=round(sum(p.percent for p in mine) / len(mine), 1) if mine else 100.0,
            published=sum(1 for p in mine if p.published),
            left_out=tuple(p.slug for p in mine if not p.published),
            withdrawn=tuple(p.slug for p in mine if p.withdrawn),
            fallback=sum(p.fallback for p in mine if p.published),
            outdated=sum(p.outdated for p in mine if p.published),
            qa_errors=summary.errors if summary else 0,
            qa_warnings=summary.warnings if summary else 0,
            readability=_readability_text(scores),
            readability_met=(all(p.met for p in scores if p.met is not None)
                             if any(p.met is not None for p in scores) else None),
            a11y_errors=errors,
        ))
    return tuple(rows)


def _readability_text(scores: Sequence[PageReadability]) -> str:
    values = [(p, p.primary) for p in scores if p.primary is not None]
    if not values:
        return "n/a"
    page, primary = values[0]
    mean = sum(s.value for _, s in values) / len(values)
    label = primary.formula.name
    suffix = f" (target {page.target.text})"
    if len(values) == 1:
        return f"{label} {mean:.1f}{suffix}"
    return f"{label} mean {mean:.1f} over {len(values)} pages{suffix}"


def _write_check_reports(config: Config, qa: CheckResult,
                         issues: Sequence[tuple[Finding, bool]], prefix: str) -> None:
    """qa.json and codequality.json (QA's issues alone)."""
    write_qa_report(config, qa)
    _write_code_quality(config, issues, prefix)


def qa_report_path(config: Config) -> Path:
    return config.output_dir / "reports" / QA_JSON


def write_qa_report(config: Config, result: CheckResult) -> Path:
    """``output/reports/qa.json``; unchanged bytes are not rewritten."""
    path = qa_report_path(config)
    with atomic_text_stream(path, config.rel(path)) as stream:  # as codequality.json
        stream.writelines(iter_dumps(findings_document("qa", result.findings,
                                                       result.summary(), streamed=True)))
    return path


READABILITY_JSON = "readability.json"
# From this many page-language rows on, a child writes readability.json meanwhile.
SPLIT_REPORT_ROWS = 1_000


def write_readability_reports(config: Config, result: ReadabilityResult,
                              fresh: Collection[str] | None = None,
                              documents: _Documents | None = None, *, json: bool = True
                              ) -> tuple[Path, Path]:
    """Write ``output/reports/readability.json`` (unless not ``json``: see
    ``write_readability_json``), the ``.html`` index, its parts (a big site's summary)
    and one ``readability/<slug>.html`` per page; delete the documents of pages no longer
    in ``result``. Unchanged files are not rewritten; with ``fresh``, only those slugs'
    documents are rendered again (another page's document is as it was: its scores did
    not change). ``documents``: the build's, which makes each page's document (and
    learns what it made). Returns the JSON report's and the HTML index's paths."""
    reports = config.output_dir / "reports"
    json_path = reports / READABILITY_JSON
    index = reports / readability_html.INDEX
    folder = reports / readability_html.DETAILS

    def write(part: int) -> tuple[set[Path], dict[str, _Record | None], _Written, list[str]]:
        if part == 1 and json:
            write_readability_json(config, result)
        return _write_readability_html(config, result, fresh, index, folder, part,
                                       documents or _Documents({}, {}, set()))

    # With a second CPU, a child writes the JSON report and half of the pages'
    # documents, this process the index, its parts and the other half: at 1,000 pages
    # the JSON and the index take about 0.15 s each, the documents 0.9 s (with a third
    # of them, the child ended 0.3 s before this process).
    # Not when few documents are rendered again: the fork would cost more.
    rows = len(result.pages) if fresh is None else len(fresh) * len(result.languages)
    written: set[Path] = set()
    for paths, made, facts, later in map_split(
            write, (0, 1), split=min(rows, len(result.pages)) >= SPLIT_REPORT_ROWS):
        written |= paths
        if documents is not None:
            documents.made.update(made)
            documents.written += facts
            documents.deferred.update(later)
    if folder.is_dir():
        for stale in sorted(set(folder.glob("*.html")) - written):
            if not stale.name.startswith("."):  # a concurrent write's temp file
                stale.unlink(missing_ok=True)
    return json_path, index


def write_readability_json(config: Config, result: ReadabilityResult) -> Path:
    """Write ``output/reports/readability.json``, streamed: on a big site the text is
    tens of megabytes."""
    json_path = config.output_dir / "reports" / READABILITY_JSON
    with atomic_text_stream(json_path, config.rel(json_path)) as stream:
        stream.writelines(json_pieces(result))
    return json_path


def _write_readability_html(config: Config, result: ReadabilityResult,
                            fresh: Collection[str] | None, index: Path, folder: Path,
                            part: int, documents: _Documents
                            ) -> tuple[set[Path], dict[str, _Record | None], _Written, list[str]]:
    """Part ``part`` of the readability report's HTML documents
    (``write_readability_reports``): 0, the index, its parts and every other page's
    document, from the first; 1, the others. The paths of the documents it should
    hold, what ``documents`` made of each page whose document it wrote, the documents
    it wrote, and the pages whose document it left for ``documents.write_deferred``."""
    shown = config.rel(folder) + "/"
    # Written some megabytes at a time, with one flush to disk each: an edit that moves
    # catalog lines changes a thousand documents (one fsync each took 1 to 2 s).
    batch = _Batch()
    written: set[Path] = set()
    made: dict[str, _Record | None] = {}
    deferred: list[str] = []
    if part == 0:
        batch.add(index, readability_html.render_html(result).encode("utf-8"),
                  config.rel(index))
        written.add(index)
        for number in range(1, readability_html.part_count(result) + 1):
            name = readability_html.part_name(number)
            batch.add(folder / name, readability_html.render_part_html(result, number)
                      .encode("utf-8"), shown + name)
            written.add(folder / name)
    for number, (page, rows) in enumerate(readability_html.by_page(result.pages)):
        if number % 2 != part:
            continue
        name = readability_html.detail_name(rows[0].slug)
        path = folder / name
        if fresh is None or rows[0].slug in fresh or not path.is_file():
            data, made[rows[0].slug], later = documents(page, rows, path)
            if later:  # its record is the rest's to make
                deferred.append(rows[0].slug)
            else:
                batch.add(path, data, shown + name)
        written.add(path)
    batch.flush()
    return written, made, batch.written, deferred


# A readability document as written: its sha256 and readability_html.page_document's slots.
_Record = tuple[bytes, tuple[readability_html.Slot, ...]]
# Documents written: each one's path, _report_digest and stat (a FileFacts fact).
_Written = list[tuple[str, str, os.stat_result]]


class _Documents:
    """How the build writes each page's readability document, and what it learns of
    each: rendered (``readability_html.page_document``: where each catalog location an
    edit can move is written in it), or, for a page not scored again whose document is
    still the one last written (its sha256), that document with those locations moved
    (``patched_document``). An edit that adds a line to a catalog entry moves every
    entry below it: a thousand documents at 1,000 pages were rendered again each time
    (0.5 s of the readability child, which the build then waited for).

    With ``defer``, a document whose only change is where its catalog locations are
    (``_lines_alone``: the file as it is and as it will be are the same to pa11y,
    ``_report_digest``) is left for ``write_deferred`` to patch and write later: in the
    build, after readability's child has handed its result over (patching a thousand
    documents took 0.3 s, creating and renaming their files 0.5-0.7 s, which the build
    waited for). Patched then, not held: at 5,000 pages, holding 32 MB of them took
    that child, the build's largest process, over 1 GB."""

    def __init__(self, before: Mapping[str, _Record], scored: Mapping[str, Any],
                 rescored: Collection[str], *, defer: bool = False) -> None:
        self.before = before  # each page's record from the build that wrote its document
        self.scored = scored  # each page's results as scored (the cache's)
        self.rescored = rescored
        self.defer = defer
        self.made: dict[str, _Record | None] = {}  # what this build wrote (None: no slots)
        self.written: _Written = []  # the documents written, all but the deferred
        self.deferred: set[str] = set()  # the pages whose document is not written yet

    def __call__(self, page: str, rows: list[PageReadability], path: Path
                 ) -> tuple[bytes, _Record | None, bool]:
        """The document of ``page`` (``rows``: its results as shown, at today's lines),
        its record, and whether it is to be left for ``write_deferred`` (no bytes nor
        record then: the caller adds it to ``deferred``)."""
        slug = rows[0].slug
        scored = rows if slug in self.rescored else _in_order(self.scored.get(slug, ()), rows)
        moved = None if scored is None else _moved_locations(scored, rows)
        if scored is None or moved is None:  # not told apart: rendered as shown
            return readability_html.render_page_html(page, rows).encode("utf-8"), None, False
        record = self.before.get(slug)
        if record is not None and slug not in self.rescored:
            try:
                old = path.read_bytes()
            except OSError:
                old = b""
            if hashlib.sha256(old).digest() != record[0]:
                patched = None
            elif self.defer and _lines_alone(record[1], moved):
                return b"", None, True
            else:
                patched = readability_html.patched_document(old, record[1], moved)
            if patched is not None:
                return patched[0], (hashlib.sha256(patched[0]).digest(), patched[1]), False
        made = readability_html.page_document(page, scored, moved)
        if made is None:
            return readability_html.render_page_html(page, rows).encode("utf-8"), None, False
        return made[0], (hashlib.sha256(made[0]).digest(), made[1]), False

    def write_deferred(self, config: Config, result: ReadabilityResult
                       ) -> tuple[_Written, dict[str, _Record | None]]:
        """Write the documents left for later (``result``: as given to
        ``write_readability_reports``); returns them (as ``_Batch.written``) and each
        one's record (None: none to keep)."""
        folder = config.output_dir / "reports" / readability_html.DETAILS
        shown = config.rel(folder) + "/"
        batch = _Batch()
        made: dict[str, _Record | None] = {}
        self.defer = False  # each is patched (or rendered) now
        for page, rows in readability_html.by_page(result.pages):
            if rows[0].slug in self.deferred:
                name = readability_html.detail_name(rows[0].slug)
                # Patched, unless the file changed since (then rendered).
                data, made[rows[0].slug], _ = self(page, rows, folder / name)
                batch.add(folder / name, data, shown + name)
        batch.flush()
        # Let go: the last build's records (tens of MB at 5,000 pages) are read by
        # nothing else, and what is left of the rest (the JSON, the cache's parts) is
        # where readability's child peaks.
        self.before, self.scored, self.made, self.deferred = {}, {}, {}, set()
        return batch.written, made

    def records(self, slugs: Iterable[str]) -> dict[str, _Record]:
        """Each page's record: of the document written now, else of the one kept."""
        out: dict[str, _Record] = {}
        for slug in slugs:
            record = self.made[slug] if slug in self.made else self.before.get(slug)
            if record is not None:
                out[slug] = record
        return out


def _lines_alone(slots: Sequence[readability_html.Slot], moved: Mapping[Location, Location]
                 ) -> bool:
    """Whether writing ``moved`` into a document's ``slots`` changes nothing but
    catalog line numbers that ``_report_digest`` masks: each location that moves stays
    in its ``.po`` file and is written whole (``path.po:LINE``, not a bare line number
    as in "lines 12 and 14"), so the document before and after masks to the same bytes."""
    for _, _, location, line_alone in slots:
        there = moved.get(location, location)
        if there != location and (line_alone or there.path != location.path
                                  or not location.path.endswith(".po")
                                  or not location.line or not there.line):
            return False
    return True


def _in_order(scored: Sequence[PageReadability], rows: Sequence[PageReadability]
              ) -> list[PageReadability] | None:
    """``scored`` (a page's results as scored) in the languages and order of ``rows``."""
    by_lang = {p.lang.code: p for p in scored}
    out: list[PageReadability] = []
    for row in rows:
        page = by_lang.get(row.lang.code)
        if page is None:
            return None
        out.append(page)
    return out if len(by_lang) == len(rows) else None


def _moved_locations(scored: Sequence[PageReadability], shown: Sequence[PageReadability]
                     ) -> dict[Location, Location] | None:
    """Each movable location of a page's results as scored → where ``shown`` (the same
    results, relocated) has it; None unless one to one (the document groups findings by
    equal locations: a map that joined or split them would not give the same text)."""
    out: dict[Location, Location] = {}
    for before, now in zip(scored, shown, strict=True):
        places, moved = catalog_locations(before), catalog_locations(now)
        if len(places) != len(moved):
            return None
        for place, there in zip(places, moved, strict=True):
            if out.setdefault(place, there) != there:
                return None
    return out if len(set(out.values())) == len(out) else None


class _Batch:
    """Report documents written ``write_files_atomic`` at a time, about ``LIMIT`` bytes
    each time; ``written`` lists each one's path, ``_report_digest`` and stat, which the
    a11y stage would otherwise read the file again for (a file written less than a
    clock tick ago is read again by ``FileFacts``: here, the bytes are known)."""

    LIMIT = 8 << 20

    def __init__(self) -> None:
        self.files: list[tuple[Path, bytes, str]] = []
        self.size = 0
        self.written: _Written = []

    def add(self, path: Path, data: bytes, display: str) -> None:
        self.files.append((path, data, display))
        self.size += len(data)
        if self.size >= self.LIMIT:
            self.flush()

    def flush(self) -> None:
        if self.files:
            write_files_atomic(self.files)
            self.written += [(str(path), _report_digest(data), os.stat(path))
                             for path, data, _ in self.files]
        self.files, self.size = [], 0


def _as_shown(finding: Finding) -> Finding:
    """``finding`` with only what ``iter_code_quality`` reads of it."""
    details = finding.details
    # Made as moved_to makes one, not by replace(): 11,647 warnings took 0.035 s so.
    return Finding(finding.code, finding.severity, finding.message, finding.location,
                   finding.hint, (), frozen_details(page=details["page"])
                   if "page" in details else _NO_DETAILS)


def _a11y_views(config: Config, a11y: A11yResult,
                issues: Sequence[tuple[Finding, bool]] | None, prefix: str) -> None:
    """The a11y stage's JUnit and HTML reports; and codequality.json again with
    ``issues`` (the check's and a11y's), when a11y found any: else it holds the
    check's, these very issues, already."""
    write_a11y_views(config, a11y)
    if issues is not None:
        _write_code_quality(config, issues, prefix)


def _write_code_quality(config: Config, issues: Sequence[tuple[Finding, bool]],
                        prefix: str) -> None:
    path = config.output_dir / "reports" / CODE_QUALITY_JSON
    with atomic_text_stream(path, config.rel(path)) as stream:  # tens of MB on a big site
        stream.writelines(iter_dumps(Streamed(iter_code_quality(issues, prefix))))


def _write_build_json(config: Config, result: BuildResult) -> None:
    path = config.output_dir / "reports" / BUILD_JSON
    write_report(path, result.to_dict(), config.rel(path))


# --- the accessibility check in shards -------------------------------------------------
# 'pipeline build --defer-a11y' writes the plan (a11y-plan.json). On each CI runner,
# 'pipeline a11y --shard I/N' (check_shard) verifies the files against it, checks its
# share, reusing the build cache's result for a document whose digest did not change,
# and writes a11y-shard-I-of-N.json: the build id, the shard, the sha256 of every
# document it checked, and its findings. 'pipeline gate' (gate) merges them.


def plan_checks(config: Config, facts: FileFacts | None = None) -> Plan:
    """The plan for the rendered build as it is now (``build`` left empty). ``facts``:
    the build's; a file unchanged since it was last read is not read again."""
    known = facts or FileFacts(facts_file(config.output_dir))
    build = config.output_dir / "build"
    tree = hash_tree(build, known) if build.is_dir() else {}
    if not any(rel.endswith(".html") for rel in tree):
        raise PipelineError("nothing to check: no rendered pages",
                            Location(config.rel(build)), "run 'pipeline build --defer-a11y'")
    prefix = config.rel(build) + "/"
    files = {prefix + rel: sha for rel, (sha, _) in tree.items()}
    documents = []
    for page in a11y_documents(config, known):
        path = config.root / page
        info = path.stat()
        files.setdefault(page, known.get(path, SHA256, sha256_hex, info))  # a report
        documents.append((page, info.st_size, known.get(path, "a11y-ms", estimated_ms, info)))
    # Written by the merge: its size is not known yet; it lists findings, not pages.
    documents.append((report_page(config), 0, estimated_ms(b"")))
    qa = config.output_dir / "reports" / "qa.json"
    if qa.is_file():
        files[config.rel(qa)] = sha256_file(qa)
    if facts is None:
        known.save()
    return Plan(new_build_id(tree), files, tuple(documents), {})


def plan_path(config: Config) -> Path:
    return config.output_dir / "reports" / PLAN


def write_plan(config: Config, plan: Plan, build: Mapping[str, Any]) -> Path:
    """Write the plan with the deferred build's summary; earlier shards' results in
    output/reports are removed (they belong to another build)."""
    reports = config.output_dir / "reports"
    for old in reports.glob("a11y-shard-*-of-*.json"):
        old.unlink(missing_ok=True)
    path = plan_path(config)
    write_text_atomic(path, dumps({
        "format": PLAN_FORMAT, "build_id": plan.build_id, "files": dict(plan.files),
        "documents": [list(document) for document in plan.documents], "build": dict(build),
    }), config.rel(path))
    return path


def read_plan(config: Config) -> Plan:
    path = plan_path(config)
    where = Location(config.rel(path))
    if not path.is_file():
        raise PipelineError("no deferred build here: the accessibility plan is missing", where,
                            "run 'pipeline build --defer-a11y' first (in CI: download the "
                            "build job's artifact into output/)")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        files = data["files"]
        documents = tuple((str(page), int(size), int(ms)) for page, size, ms in data["documents"])
        if (data["format"] != PLAN_FORMAT or not isinstance(data["build_id"], str)
                or not isinstance(files, dict) or not isinstance(data["build"], dict)
                or not all(isinstance(v, str) for v in files.values())):
            raise ValueError("unexpected shape")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise PipelineError(f"the accessibility plan is unreadable ({exc})", where,
                            "run 'pipeline build --defer-a11y' again") from exc
    return Plan(data["build_id"], files, documents, data["build"])


def verify_received(config: Config, plan: Plan) -> None:
    """The files here are the planned build's, byte for byte, and output/build holds
    nothing else (an extra page would be published unchecked)."""
    for page, sha in sorted(plan.files.items()):
        path = config.root / page
        if not path.is_file():
            raise PipelineError(
                f"this file of build {plan.build_id} is missing; nothing was checked",
                Location(page), "pass the build job's whole output (output/build and "
                "output/reports) to this job, as one artifact")
        if sha256_file(path) != sha:
            raise PipelineError(
                f"this file differs from build {plan.build_id}'s (sha256 {sha[:12]}… "
                "recorded); nothing was checked", Location(page),
                "the artifact changed on the way or mixes two builds: pass the build job's "
                "output unchanged")
    build = config.output_dir / "build"
    for path in sorted(build.rglob("*")):
        if path.is_file() and config.rel(path) not in plan.files:
            raise PipelineError(f"this file is not part of build {plan.build_id}; nothing "
                                "was checked", Location(config.rel(path)),
                                "pass the build job's output unchanged (a fresh output/build)")


def shard_path(config: Config, shard: Shard) -> Path:
    return config.output_dir / "reports" / shard.file_name


def check_shard(config: Config, shard: Shard, *, concurrency: int | None = None
                ) -> tuple[ShardRun, Path]:
    """Check this shard's documents and write its result file; when they cannot be
    checked, the file says so (the merge then names this shard) and the error is raised."""
    build_id: str | None = None
    try:
        plan = read_plan(config)
        build_id = plan.build_id
        run = run_shard(config, plan, shard, concurrency=concurrency)
    except PipelineError as exc:
        path = shard_path(config, shard)
        write_text_atomic(path, dumps({
            "format": PLAN_FORMAT, "build_id": build_id, "shard": _shard_json(shard), "ok": False,
            "error": {"message": exc.message, "hint": exc.hint,
                      "location": str(exc.location) if exc.location else None},
        }), config.rel(path))
        raise
    path = shard_path(config, shard)
    write_text_atomic(path, dumps({
        "format": PLAN_FORMAT, "build_id": run.build_id, "shard": _shard_json(shard), "ok": True,
        "documents": dict(run.documents), "ran": list(run.ran), "a11y": a11y_document(run.result),
    }), config.rel(path))
    return run, path


def _shard_json(shard: Shard) -> dict[str, int]:
    return {"index": shard.index, "total": shard.total}


def run_shard(config: Config, plan: Plan, shard: Shard, *, concurrency: int | None = None
              ) -> ShardRun:
    """pa11y on this shard's documents whose digest changed since the cache's results."""
    verify_received(config, plan)
    split = plan.split(shard.total)
    mine = [page for page, _, _ in plan.documents if split[page] == shard.index]
    report = report_page(config)
    cache = load_cache(config.output_dir, ["a11y"])  # the rest is the build's business
    use_a11y_cache(config, cache)
    chosen = set(mine)
    digests = {page: digest for page, digest in a11y_documents(config).items()
               if page in chosen}
    todo = [page for page, digest in digests.items()
            if cache.a11y_pages.get(page, ("",))[0] != digest]
    holds_report = report in mine
    check_report = holds_report and (bool(todo) or report not in cache.a11y_pages)
    ran: tuple[str, ...] = ()
    if todo or check_report:
        build = config.rel(config.output_dir / "build") + "/"
        # No reports here: the shard's result file says what it found, or why it failed.
        result = run_a11y(config, [p.removeprefix(build) for p in todo],
                          concurrency=concurrency,
                          render_pending=_render_pending if check_report else None)
        if check_report:
            digests[report] = sha256_file(pending_report(config))
        remember_a11y(cache, result, digests)
        save_cache(config.output_dir, cache)
        ran = result.pages
    if cache.a11y_meta is None:  # no document here, and no check ever ran on this root
        merged = A11yResult((), (), (), (), {}, "", (), config.a11y.standard,
                            config.a11y.warnings_gate, "", None)
    else:
        merged = cached_a11y(config, cache, mine)
    documents = {page: plan.files[page] for page in mine if page != report}
    if holds_report:
        documents[report] = cache.a11y_pages[report][0]
    return ShardRun(shard, plan.build_id, merged, documents, ran)


def shard_files(sources: Sequence[Path]) -> list[Path]:
    """Every shard result in ``sources`` (files, or folders searched at any depth: a
    CI's download step puts each artifact in a folder of its own)."""
    found: list[Path] = []
    for source in sources:
        if source.is_file():
            found.append(source)
        elif source.is_dir():
            found += sorted(p for p in source.rglob("a11y-shard-*-of-*.json") if p.is_file())
        else:
            raise PipelineError("no such file or folder", Location(str(source)),
                                "pass the folder the shards' artifacts were downloaded to")
    return found


def merge_shards(config: Config, plan: Plan, sources: Sequence[Path]) -> Merged:
    """The shards' results in ``sources`` as one ``A11yResult``
    (``pipeline.stages.a11y.shards.merge``), or ``PipelineError`` naming the shard that
    is corrupt, failed, stale, duplicated or missing."""
    return merge(config, plan, [_read_shard(path) for path in shard_files(sources)],
                 ", ".join(str(s) for s in sources))


def _read_shard(path: Path) -> ShardFile:
    """One shard's result; a file that is not one is corrupt, named by its shard."""
    match = _SHARD_FILE.search(path.name)
    named = f"shard {match.group(1)}/{match.group(2)}" if match else "a shard"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return _shard_from_json(path, data)
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError
            ) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise PipelineError(f"{named}'s result is corrupt ({why}); nothing was published",
                            Location(str(path)),
                            "run that shard again (an interrupted upload or a file edited "
                            "by hand)") from exc


def _shard_from_json(path: Path, data: Any) -> ShardFile:
    if not isinstance(data, dict) or data.get("format") != PLAN_FORMAT:
        raise ValueError(f"not a shard result of format {PLAN_FORMAT}")
    shard_data = data["shard"]
    shard = Shard(int(shard_data["index"]), int(shard_data["total"]))
    if not 1 <= shard.index <= shard.total:
        raise ValueError(f"shard {shard} does not exist")
    build_id = data["build_id"]
    if build_id is not None and not isinstance(build_id, str):
        raise ValueError("'build_id' is not a string")
    if data["ok"] is False:
        error = data["error"]
        return ShardFile(path, shard, build_id, PipelineError(
            str(error["message"]), hint=str(error["hint"]) if error.get("hint") else None),
            {}, (), None)
    if data["ok"] is not True:
        raise ValueError("'ok' is neither true nor false")
    documents = data["documents"]
    if not isinstance(documents, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and re.fullmatch(r"[0-9a-f]{64}", v)
            for k, v in documents.items()):
        raise ValueError("'documents' is not a table of sha256 digests")
    ran = tuple(str(page) for page in data["ran"])
    result = a11y_from_document(data["a11y"])
    if set(result.pages) != set(documents) or {r.page for r in result.results} != set(documents):
        raise ValueError("its results do not cover exactly the documents it names")
    stray = {str(f.details.get("page")) for f in (*result.findings, *result.needs_review)}
    if not stray <= set(documents):
        raise ValueError(f"a finding names {sorted(stray - set(documents))[0]}, which it did "
                         "not check")
    return ShardFile(path, shard, build_id, None, documents, ran, result)


# --- the gate of a build whose accessibility check ran in shards ----------------------------


def gate(config: Config, sources: Sequence[Path], *, publish_site: bool = True,
         log: Log = _quiet, wait: float = 0.0, repository_prefix: str = "") -> BuildResult:
    """Finish a deferred build (``build(defer_a11y=True)``): merge the shards' results
    (``merge_shards``, fail closed), write the accessibility reports,
    decide every gate as ``build`` does and publish when they pass."""
    started = time.monotonic()
    clock = _StageClock(log)
    clock.start()
    with root_lock(config.output_dir, config.rel(config.output_dir / ".lock"), wait) as note:
        result = _gate(config, sources, publish_site=publish_site, log=clock,
                       notes=[note] if note else [], prefix=repository_prefix)
    clock.stop()
    return replace(result, seconds=time.monotonic() - started, timings=clock.timings)


def _gate(config: Config, sources: Sequence[Path], *, publish_site: bool, log: _StageClock,
          notes: list[str], prefix: str) -> BuildResult:
    log("gate", "reading the deferred build and the shards' results")
    plan = read_plan(config)
    deferred = plan.build
    if deferred.get("verdict") != "deferred" or deferred.get("build_id") != plan.build_id:
        raise PipelineError("the accessibility plan was not written by a deferred build",
                            Location(config.rel(plan_path(config))),
                            "run 'pipeline build --defer-a11y' first")
    verify_received(config, plan)
    before = tuple((stage, float(s)) for stage, s in deferred["seconds_by_stage"].items())
    try:
        merged = merge_shards(config, plan, sources)
    except PipelineError as exc:
        # No stale pass left behind: the reports and build.json say why nothing published.
        write_a11y_failure(config, exc)
        why = f"{exc.location}: {exc.message}" if exc.location else exc.message
        failed = Gate("a11y", True, False, f"the accessibility check failed: {why}", (),
                      _a11y_reports(config))
        _write_build_json(config, replace(_finish_deferred(config, deferred, (), (), failed,
                                                           notes), timings=before))
        raise
    a11y = merged.result
    write_a11y_reports(config, a11y, merged.checked)
    log("gate", f"{merged.shards} shard(s): pa11y ran on {len(merged.ran)} page(s); "
                f"{len(a11y.gating)} blocking finding(s)")
    qa = [finding_from_json(f) for f in
          _read_json(config, qa_report_path(config)).get("findings", [])]
    issues = [(f, config.gate.qa and f.severity == "error") for f in qa
              if f.severity != "notice"]
    issues += [(f, config.gate.a11y and a11y_gates(f, a11y.warnings_gate))
               for f in a11y.findings if f.severity != "notice"]
    _write_code_quality(config, issues, prefix)
    result = _finish_deferred(config, deferred, merged.ran,
                              tuple(f for f in qa if f.severity == "error"),
                              _a11y_gate(config, a11y), notes, a11y)
    _write_build_json(config, replace(result, timings=(*before, *log.timings)))
    if result.verdict == "published" and publish_site:
        log("publish", "publishing output/build")
        published = publish(config, {"build": {g.name: g.to_dict() for g in result.gates}},
                            build_id=plan.build_id)
        result = replace(result, published_to=config.rel(published.site),
                         build_id=published.build_id, republished=published.changed)
        _write_build_json(config, replace(result, timings=(*before, *log.timings)))
    elif result.verdict == "blocked":
        log("publish", "blocked; the published site is unchanged")
    return replace(result, timings=(*before, *log.timings))


def _finish_deferred(config: Config, deferred: Any, ran: Sequence[str],
                     qa_errors: tuple[Finding, ...], a11y_gate: Gate, notes: list[str],
                     a11y: A11yResult | None = None) -> BuildResult:
    """The deferred build's summary (build.json) with the accessibility gate decided."""
    gates = [a11y_gate]
    for item in deferred["gates"]:
        findings = qa_errors if item["name"] == "qa" else ()
        reports = (config.rel(qa_report_path(config)),) if item["name"] == "qa" else ()
        gates.append(Gate(item["name"], item["enabled"], item["passed"], item["detail"],
                          findings, reports))
    rows = []
    for row in deferred["languages"]:  # a11y errors per language: known now
        errors = (sum(r.errors for r in a11y.results if r.language == row["tag"])
                  if a11y is not None else 0)
        rows.append(LanguageRow(**{**row, "left_out": tuple(row["left_out"]),
                                   "a11y_errors": errors}))
    reasons = tuple(g.detail for g in gates if g.blocks)
    pages = len(a11y.pages) if a11y is not None else 0  # a11y.html counted, as a build does
    return BuildResult(
        "blocked" if reasons else "published", reasons, tuple(gates), tuple(rows),
        tuple(deferred["rendered"]), tuple(ran), pages - len(ran),
        (*deferred["notes"], *notes), None, deferred["build_id"],
    )


def _read_json(config: Config, path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PipelineError(f"cannot read the deferred build's report ({exc})",
                            Location(config.rel(path)),
                            "run 'pipeline build --defer-a11y' again") from exc
    if not isinstance(data, dict):
        raise PipelineError("not the deferred build's report", Location(config.rel(path)))
    return data
