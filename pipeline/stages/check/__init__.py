"""Translation QA: language catalogs (+ the project glossary) → findings.

Input: ``locales/<lang>/LC_MESSAGES/messages.po`` for each language, the config and
the optional glossary ``locales/glossary.csv``. Output: a ``CheckResult`` of
``Finding``s, each at the ``.po`` entry's ``msgid`` line, related to the entry's
source references.

The checks are a list of small functions ``(entry, context) -> Iterator[Finding]``
(``CHECKS``), one module per rule family: ``links`` (URLs, addresses), ``markup``
(inline markup, blocks, HTML, bidi controls, line breaks), ``langmarks``,
``placeholders`` (and numbers), ``punctuation`` (and brackets, quotes), ``words``
(same as source, length, repeats, blank, merge conflicts) and ``glossary``; they get
the catalog's ``context`` and read a message's Markdown from ``context.messages`` (the
build workspace's ``pipeline.text.messages.Messages``: each text parsed once). Each code they yield
is listed in ``codes.CODES`` with its severity. A
translator silences a code on one entry with the flag ``#, no-check-<code>`` plus a
translator comment saying why; CI ignores codes with ``[tool.pipeline.check] ignore``
or ``pipeline check --ignore``. ``html-added`` and ``bidi-control`` can never be
silenced nor ignored.

Only what a reader can get is checked: translated entries, plus fuzzy ones when the
language shows outdated translations (``fallback = "outdated"``) or when asked.

The source pages are checked too, once, under the source language: a link that leads
to no page, section, file or declared external path is a ``link-dead`` error
(``pipeline.text.links``).
"""

from __future__ import annotations

import hashlib
import marshal
from collections.abc import Iterable, Sequence

from pipeline import __version__
from pipeline.config import Config
from pipeline.errors import PipelineError, UsageError
from pipeline.infra.workload import map_split, paused_gc
from pipeline.models import Finding, Location
from pipeline.models.check import CheckResult, LanguageSummary
from pipeline.po.model import Catalog, Entry
from pipeline.stages.check.codes import CODES, UNSILENCEABLE
from pipeline.stages.check.context import Check, CheckContext, make_context
from pipeline.stages.check.glossary import check_glossary
from pipeline.stages.check.langmarks import check_lang_marks
from pipeline.stages.check.links import check_addresses, check_links
from pipeline.stages.check.markup import (
    check_bidi,
    check_blocks,
    check_html,
    check_html_kept,
    check_line_breaks,
    check_markup,
)
from pipeline.stages.check.placeholders import check_numbers, check_placeholders
from pipeline.stages.check.punctuation import check_brackets, check_punctuation, check_quotes
from pipeline.stages.check.silencing import silenced
from pipeline.stages.check.words import (
    check_blank,
    check_length,
    check_merge_conflict,
    check_repeated_words,
    check_same_as_source,
)
from pipeline.text.catalogs import load_catalog
from pipeline.text.glossary import GlossaryTerm, load_glossary
from pipeline.text.langs import Lang
from pipeline.text.links import dead_links
from pipeline.text.pages import load_pages
from pipeline.workspace import Workspace

# From this many catalog entries on, a second process shares the languages (map_split).
SPLIT_ENTRIES = 10_000


CHECKS: tuple[Check, ...] = (
    check_links,
    check_markup,
    check_blocks,
    check_lang_marks,
    check_html,
    check_bidi,
    check_placeholders,
    check_numbers,
    check_same_as_source,
    check_length,
    check_punctuation,
    check_brackets,
    check_quotes,
    check_repeated_words,
    check_addresses,
    check_line_breaks,
    check_html_kept,
    check_blank,
    check_merge_conflict,
    check_glossary,
)


def check_entry(entry: Entry, ctx: CheckContext,
                checks: Sequence[Check] = CHECKS) -> list[Finding]:
    """All findings for one entry, minus the codes its (explained) flags silence."""
    quiet, notes = silenced(entry, ctx)
    found = [f for check in checks for f in check(entry, ctx) if f.code not in quiet]
    return found + notes


def should_check(entry: Entry, include_fuzzy: bool) -> bool:
    if entry.obsolete or not entry.msgid or not entry.has_translation:
        return False
    return include_fuzzy or not entry.fuzzy


def error_codes(config: Config, lang: Lang, catalog: Catalog, entry: Entry, *,
                ws: Workspace | None = None) -> list[str]:
    """The codes of the error-level checks ``entry`` fails in ``catalog``, once each: what
    pre-fill asks before it trusts an exact translation-memory match (messages read
    through ``ws``, one of its own when None)."""
    found = check_entry(entry, make_context(config, lang, catalog, ws=ws))
    return list(dict.fromkeys(f.code for f in found if f.severity == "error"))


def validate_ignore(codes: Iterable[str], where: str, config_file: str | None = None
                    ) -> tuple[str, ...]:
    """Codes to ignore (commas allowed); unknown or unsilenceable codes are refused."""
    error = PipelineError if config_file else UsageError
    location = Location(config_file) if config_file else None
    out: list[str] = []
    for raw in codes:
        for code in (c.strip() for c in raw.split(",")):
            if not code:
                continue
            if code not in CODES:
                raise error(f"{where}: unknown check code {code!r}", location,
                            "known codes: " + ", ".join(CODES))
            if code in UNSILENCEABLE:
                raise error(f"{where}: {code!r} cannot be ignored", location,
                            "html-added and bidi-control always run; fix the translation "
                            "instead")
            out.append(code)
    return tuple(dict.fromkeys(out))


# What an entry's findings were, by a digest of the entry (all but its line) and of the
# check context, or by both digests of the context and of the entry's block in its file:
# (the entry's line then, its findings).
Memo = dict[bytes, tuple[int, tuple[Finding, ...]]]


def _entry_digest(context: hashlib.blake2b, entry: Entry) -> bytes:
    """``context``: a blake2b (16 bytes) fed the check context, copied for each entry
    (hashing the context again for each of 50,000 entries took a third of the time).
    The entry's fields go in by ``marshal`` format 2: its text of equal values is equal
    (no back-references, which newer formats write by reference count), and it is half
    the time of ``repr`` (0.13 -> 0.06 s a 12,000-entry catalog)."""
    hasher = context.copy()
    fields = (entry.msgid, entry.msgstr, entry.msgctxt, entry.msgid_plural,
              entry.msgstr_plural, tuple((x.path, x.line) for x in entry.locations),
              entry.auto_comments, entry.translator_comments, entry.flags,
              entry.previous_msgctxt, entry.previous_msgid, entry.previous_msgid_plural,
              entry.obsolete)
    try:
        hasher.update(marshal.dumps(fields, 2))
    except ValueError:  # a type marshal does not write: never one of the reader's
        hasher.update(repr(fields).encode("utf-8", "surrogatepass"))
    return hasher.digest()


def _at_line(findings: tuple[Finding, ...], path: str, was: int, now: int
             ) -> tuple[Finding, ...]:
    """Findings remembered for an entry that has moved from line ``was`` to ``now``."""
    if was == now or not findings:  # most entries have none: 200,000 in an edit's check
        return findings
    here = Location(path, was)
    there = Location(path, now)
    return tuple(f.moved_to(there) if f.location == here else f for f in findings)


def check_catalog(config: Config, lang: Lang, catalog: Catalog, *,
                  glossary: tuple[GlossaryTerm, ...] = (), ignore: Iterable[str] = (),
                  include_fuzzy: bool = False, memo: Memo | None = None,
                  ws: Workspace | None = None
                  ) -> tuple[list[Finding], LanguageSummary, Memo]:
    """One catalog's findings and summary; with ``memo`` (the last run's third value), an
    entry unchanged since then is not checked again: its findings are reused, at its
    line of today. The third value is the memo for the next run."""
    ctx = make_context(config, lang, catalog, glossary if config.check.glossary else (),
                       ws=ws)
    context = hashlib.blake2b(repr((__version__, ctx)).encode("utf-8", "surrogatepass"),
                              digest_size=16)
    fuzzy = include_fuzzy or config.lang_config(lang).fallback == "outdated"
    skip = frozenset(ignore)
    findings: list[Finding] = []
    checked = 0
    known = memo or {}
    now: Memo = {}
    # An entry's block in the file is all of the entry but its line, and update hashed
    # every block already: keyed by that digest (after the context's), an entry is not
    # hashed again (50,000 of them took 0.13 s of an edit's build). A block digest key is
    # 32 bytes, an entry digest 16: the two kinds never meet.
    blocks = ws.block_digests(catalog) if ws is not None else None
    prefix = context.digest()
    for n, entry in enumerate(catalog.entries):
        if not should_check(entry, fuzzy):
            continue
        checked += 1
        key = prefix + blocks[n + 1] if blocks is not None else _entry_digest(context, entry)
        seen = known.get(key)
        if seen is None:
            found = tuple(check_entry(entry, ctx))
            now[key] = (entry.line, found)
        else:
            # Most entries have no findings: nothing to move (a call each, 44,000 of
            # them in an edit's check at 1,000 pages).
            found = seen[1] and _at_line(seen[1], ctx.path, seen[0], entry.line)
            # Remembered as first found, not as moved: an edit that moves every entry
            # below it leaves the memo's values the objects it read (none made again,
            # for the memo or its pickling) and the next build moves them from there.
            now[key] = seen
        if found:
            findings += [f for f in found if f.code not in skip]
    summary = LanguageSummary(
        lang.code, catalog.path, checked,
        errors=sum(1 for f in findings if f.severity == "error"),
        warnings=sum(1 for f in findings if f.severity == "warning"),
    )
    return findings, summary, now


def check_pages(config: Config, ignore: Iterable[str] = (), *, ws: Workspace | None = None
                ) -> tuple[list[Finding], LanguageSummary]:
    """The source pages' findings (their links) and their summary, under the source
    language; ``checked`` counts the links."""
    ws = ws or Workspace()
    pages = load_pages(config.pages_dir, config.root, ws)
    links = ws.site_links(config, pages)
    skip = frozenset(ignore)
    findings = [f for f in dead_links(links) if f.code not in skip]
    return findings, LanguageSummary(
        config.source_language.code, config.pages,
        checked=sum(len(links.targets(page)) for page in pages),
        errors=sum(1 for f in findings if f.severity == "error"),
        warnings=sum(1 for f in findings if f.severity == "warning"))


def run_checks(config: Config, languages: Sequence[Lang] | None = None, *,
               ignore: Iterable[str] = (), include_fuzzy: bool = False,
               memo: dict[str, Memo] | None = None,
               ws: Workspace | None = None) -> CheckResult:
    """Check the catalogs of ``languages`` (default: the configured ones), and the source
    pages when the source language is one of them (default: it is).

    ``ignore`` adds codes to ``[tool.pipeline.check] ignore``. Every catalog is read
    (and a broken one reported) before anything is checked. ``memo`` (language → what
    ``check_catalog`` remembered; the build keeps it in its cache) is read and updated.
    Pages, catalogs and messages are read through ``ws`` (one of its own when None).
    """
    ws = ws or Workspace()
    section = "tool.pipeline" if config.file == "pyproject.toml" else "pipeline"
    skip = (validate_ignore(config.check.ignore, f"{section}.check.ignore", config.file)
            + validate_ignore(ignore, "--ignore"))
    source = config.source_language
    with_pages = not languages or any(lg.code == source.code for lg in languages)
    langs = (tuple(lg for lg in languages if lg.code != source.code) if languages
             else config.languages)
    with paused_gc():
        catalogs: list[tuple[Lang, Catalog]] = []
        for lang in langs:
            path = config.po_path(lang)
            if not path.exists():  # a folder in its place is read, and reported, as one
                raise PipelineError("no catalog for this language",
                                    Location(config.rel(path)),
                                    f"run 'pipeline init {lang.code}' or 'pipeline update'")
            catalogs.append((lang, load_catalog(config, lang, ws)))
        glossary = load_glossary(config) if config.check.glossary else ()

        def check(job: tuple[Lang, Catalog]) -> tuple[list[Finding], LanguageSummary, Memo]:
            return check_catalog(config, job[0], job[1], glossary=glossary, ignore=skip,
                                 include_fuzzy=include_fuzzy,
                                 memo=None if memo is None else memo.get(job[0].code), ws=ws)

        # Languages are independent: with a second CPU, a child shares them. Not
        # when every language has a memo (a build after an edit): looking the unchanged
        # entries up takes less than sending the child's findings and memo back.
        entries = sum(len(catalog.entries) for _, catalog in catalogs)
        remembered_all = memo is not None and all(lang.code in memo for lang, _ in catalogs)
        findings: list[Finding] = []
        summaries: list[LanguageSummary] = []
        if with_pages:
            found_in_pages, pages_summary = check_pages(config, skip, ws=ws)
            findings += found_in_pages
            summaries.append(pages_summary)
        for (lang, _), (found, summary, remembered) in zip(
                catalogs, map_split(check, catalogs,
                                    split=entries >= SPLIT_ENTRIES and not remembered_all),
                strict=True):
            findings += found
            summaries.append(summary)
            if memo is not None:
                memo[lang.code] = remembered
    return CheckResult(tuple(findings), tuple(summaries), tuple(dict.fromkeys(skip)))
