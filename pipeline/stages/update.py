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

import marshal
import os
import pickle
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pipeline.config import Config
from pipeline.errors import PipelineError
from pipeline.infra.faults import fault_point
from pipeline.infra.fsutil import (
    NO_FILE,
    TMP_MARK,
    ChangedMeanwhile,
    FileStamp,
    content_digest,
    is_still,
    read_bytes,
    read_bytes_stamped,
    write_bytes_atomic,
)
from pipeline.infra.workload import dump, map_split, paused_gc
from pipeline.models import Location
from pipeline.models.update import Stats, UpdateResult
from pipeline.po.blocks import (
    BlockIndex,
    Reused,
    block_digest,
    block_starts,
    file_blocks,
    parse_blocks,
    read_blocks,
    read_blockwise,
)
from pipeline.po.mo import mo_bytes
from pipeline.po.model import Catalog, Entry
from pipeline.po.reader import parse_po_bytes
from pipeline.po.writer import FORMAT, entry_text, header_text, write_po
from pipeline.text.catalogs import (
    load_catalog,
    load_pot,
    new_catalog,
    new_header,
    read_catalog_stamped,
)
from pipeline.text.langs import Lang
from pipeline.text.msgmerge import Key, Merged, Reuse, merge_items, merged_header, stable
from pipeline.text.pages import Page, load_pages
from pipeline.workspace import Workspace

# From this many template entries x languages on, a forked child merges every other
# language (as for the checks).
SPLIT_ENTRIES = 10_000
# From this many bytes of catalogs on, a build with no memo of them has them read ahead
# (``read_ahead``): about 5,000 entries, where a first merge splits.
AHEAD_BYTES = 2_500_000


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


@dataclass(frozen=True, slots=True)
class TemplateMemo:
    """The template as an update read it: its bytes' sha256, parsed, block by block."""

    digest: bytes
    catalog: Catalog
    blocks: BlockIndex | None  # None: not laid out as format_po does, read whole
    # format_po's FORMAT when these bytes are what extract wrote (or found as it would
    # write them) just before, in the same build: a file still holding them is that
    # code's layout of ``catalog``, whose blocks extract reuses. "": not known to be.
    writer: str = ""


@dataclass(frozen=True, slots=True)
class CatalogMemo:
    """A catalog as an update wrote it, block by block (what the next merge reuses)."""

    digest: bytes  # sha256 of the file's bytes
    catalog: Catalog  # what parse_po_bytes reads them as
    # Each block's digest and first line (the header's first): a block of a later file
    # with the very text of one of these is this merge's entry, wherever it now is.
    blocks: BlockIndex
    template: bytes  # the digest of the template it was merged with
    forms: int  # its number of plural forms, as the merge counted them
    unstable: frozenset[tuple[bool, Key]]  # entries whose block the next merge rewrites


@dataclass
class UpdateMemo:
    """What ``update_catalogs`` keeps between builds (in the build cache) so that a
    small change to the template rewrites the catalogs in proportion: the template and
    each language's catalog as last read or written."""

    template: TemplateMemo | None = None
    catalogs: dict[str, CatalogMemo] = field(default_factory=dict)  # language code → memo
    revision: int = 0  # counts the changes: the cache writes the memo again when it moved

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled compactly: a catalog's entry as the template entry it shares its
        msgid, references and comments with, plus what is its own (the catalogs of five
        languages took 32 MB as plain objects, and the longest to read of the cache)."""
        template = self.template
        if template is None:
            return (UpdateMemo, (None, {}, self.revision))
        refs = {e.key: n for n, e in enumerate(template.catalog.entries) if not e.obsolete}
        catalogs = {code: (m.digest, _packed(m.catalog, template.catalog.entries, refs),
                           _index(m.blocks), m.template, m.forms, m.unstable)
                    for code, m in self.catalogs.items() if m.template == template.digest}
        # Plain values only, written by marshal: half pickle's time for them (the memo's
        # save and load 0.30 -> 0.27 s at 1,000 pages). The cache is read by the same
        # version of this code only (its manifest says which).
        values = (self.revision, template.digest, _packed(template.catalog, (), {}),
                  _index(template.blocks), catalogs, template.writer)
        try:
            return (_unmarshalled_memo, (marshal.dumps(values),))
        except ValueError:  # a value of a type marshal does not write: pickled as it is
            return (_memo_from, (values,))


Packed = tuple[tuple[Any, ...], tuple[tuple[Any, ...], ...]]  # (header fields, entries)


def _packed(catalog: Catalog, refs: tuple[Entry, ...], at: dict[Key, int]) -> Packed:
    """``catalog`` as plain tuples; an entry whose msgid, context, plural, references
    and comments are those of the template entry ``at`` its key, by that entry's index."""
    entries: list[tuple[Any, ...]] = []
    for e in catalog.entries:
        n = at.get(e.key, -1) if not e.obsolete else -1
        ref = refs[n] if n >= 0 else None
        own = (e.msgstr, e.msgstr_plural, e.translator_comments, e.flags, e.previous_msgctxt,
               e.previous_msgid, e.previous_msgid_plural, e.obsolete, e.line)
        if ref is not None and (e.msgid_plural, e.locations, e.auto_comments) == (
                ref.msgid_plural, ref.locations, ref.auto_comments):
            entries.append((n, *own))
        else:
            entries.append((-1, e.msgid, e.msgctxt, e.msgid_plural,
                            tuple((x.path, x.line) for x in e.locations), e.auto_comments,
                            *own))
    head = (catalog.header_comments, catalog.header, catalog.header_flags, catalog.header_line,
            catalog.path, catalog.header_lines)
    return head, tuple(entries)


def _unpacked(packed: Packed, refs: tuple[Entry, ...]) -> Catalog:
    head, packed_entries = packed
    entries: list[Entry] = []
    for item in packed_entries:
        if item[0] >= 0:
            ref = refs[item[0]]
            (msgstr, plural, comments, flags, previous_msgctxt, previous_msgid,
             previous_plural, obsolete, line) = item[1:]
            entries.append(Entry(ref.msgid, msgstr, ref.msgctxt, ref.msgid_plural, plural,
                                 ref.locations, ref.auto_comments, comments, flags,
                                 previous_msgctxt, previous_msgid, previous_plural,
                                 obsolete, line))
        else:
            (msgid, msgctxt, msgid_plural, locations, auto_comments, msgstr, plural, comments,
             flags, previous_msgctxt, previous_msgid, previous_plural, obsolete,
             line) = item[1:]
            entries.append(Entry(msgid, msgstr, msgctxt, msgid_plural, plural,
                                 tuple(Location(path, n) for path, n in locations),
                                 auto_comments, comments, flags, previous_msgctxt,
                                 previous_msgid, previous_plural, obsolete, line))
    comments, header, flags, header_line, path, header_lines = head
    return Catalog(comments, header, flags, tuple(entries), header_line, path, header_lines)


def _index(blocks: BlockIndex | None) -> tuple[tuple[bytes, ...], tuple[int, ...]] | None:
    return None if blocks is None else (blocks.digests, blocks.starts)


def _unmarshalled_memo(data: bytes) -> UpdateMemo:
    """``UpdateMemo.__reduce__``'s value read back."""
    return _memo_from(marshal.loads(data))


def _memo_from(values: tuple[Any, ...]) -> UpdateMemo:
    """The memo ``UpdateMemo.__reduce__``'s plain values describe."""
    revision, digest, template, blocks, catalogs, writer = values
    pot = _unpacked(template, ())
    return UpdateMemo(
        TemplateMemo(digest, pot, blocks and BlockIndex(*blocks), writer),
        {code: CatalogMemo(m_digest, _unpacked(packed, pot.entries), BlockIndex(*index),
                           m_template, forms, unstable)
         for code, (m_digest, packed, index, m_template, forms, unstable) in catalogs.items()},
        revision)


@dataclass(frozen=True, slots=True)
class _Prepared:
    """A language's merge, not yet written."""

    data: bytes
    summary: UpdateResult
    stamp: FileStamp  # of the file as read
    parsed: Catalog | None  # what ``data`` reads as, when the caller wants it
    memo: CatalogMemo | None


def _read_template(config: Config, memo: UpdateMemo | None, ws: Workspace,
                   laid_out: bytes | None = None) -> tuple[Catalog, frozenset[Key] | None]:
    """The template, and (with a memo) the keys of its entries whose text is the same as
    in the template the memo knew; the memo gets the template as read now, and ``ws``
    (the later stages read it from there). ``laid_out``: the sha256 of the template as
    extract just wrote it, in format_po's layout (the memo says so when it reads those
    bytes)."""
    if memo is None:
        return load_pot(config, ws), None
    path, display = config.pot_path, config.rel(config.pot_path)
    if not path.is_file():
        load_pot(config, ws)  # its error
    data = read_bytes(path, display)
    digest = content_digest(data)  # as extract's ``laid_out``
    writer = FORMAT if digest == laid_out else ""
    before = memo.template
    if before is not None and before.digest == digest:
        if writer and before.writer != writer:
            memo.template = replace(before, writer=writer)
            memo.revision += 1
        ws.remember_catalog(display, data, before.catalog, digest)
        return before.catalog, frozenset(e.key for e in before.catalog.active)
    read = read_blockwise(data, display, (before.catalog, before.blocks)
                          if before is not None and before.blocks is not None else None)
    if read is None:
        memo.template = TemplateMemo(digest, ws.parse_po(data, display), None, writer)
        memo.revision += 1
        return memo.template.catalog, frozenset()
    pot, blocks = read
    memo.template = TemplateMemo(digest, pot, blocks, writer)
    memo.revision += 1
    ws.remember_catalog(display, data, pot, digest)
    if before is None or before.blocks is None:
        return pot, frozenset()
    old = set(before.blocks.digests)
    return pot, frozenset(e.key for e, digest in zip(pot.entries, blocks.digests[1:],
                                                     strict=True)
                          if digest in old and not e.obsolete)


@dataclass(frozen=True, slots=True)
class ReadAhead:
    """A catalog as a merge with no memo reads it (``prepare``), read earlier."""

    data: bytes
    stamp: FileStamp
    texts: list[str] | None  # file_blocks
    read: tuple[Catalog, BlockIndex] | None  # read_blocks, without an earlier merge's


def read_ahead(config: Config, folder: Path, pid: int,
               codes: Collection[str] | None = None) -> None:
    """Each language's catalog (of ``codes``, the languages the merge has no memo of;
    None: all) read and parsed as a merge with no memo would, each
    pickled into a temp file of ``folder`` (``ahead_file``: named as ``pid``'s, which
    removes them; the next build's read-ahead sweeps those of one killed first), in the order
    the merge takes the languages: for ``update_catalogs``' ``ahead``. A cold build has
    a child do this while extract runs on one CPU (parsing four 12,000-entry catalogs
    took 1.1 s of a 1,000-page build's update, 0.05 s each to unpickle); files, not a
    pipe, so that each process of the merge reads only its languages', as soon as each
    is whole (renamed into place), and parses itself one that is not there yet."""
    for lang in target_languages(config, None):
        path = config.po_path(lang)
        if (codes is not None and lang.code not in codes) or not path.is_file():
            continue  # a catalog the merge has a memo of is never taken ahead
        display = config.rel(path)
        data, stamp = read_bytes_stamped(path, display)
        texts = file_blocks(data, display)
        with paused_gc():
            read = None if texts is None else read_blocks(texts, display, None)
            part = ahead_file(folder, lang.code, pid, whole=False)
            with open(part, "wb") as handle:
                dump(ReadAhead(data, stamp, texts, read), handle)
            os.replace(part, ahead_file(folder, lang.code, pid))


def ahead_file(folder: Path, code: str, pid: int, *, whole: bool = True) -> Path:
    """Where ``read_ahead`` puts language ``code``'s catalog (``whole``), or writes it."""
    return folder / f".catalog-{code}.{'pickle' if whole else 'part'}{TMP_MARK}{pid}"


def _taken_ahead(ahead: Mapping[str, Path] | None, lang: Lang, path: Path) -> ReadAhead | None:
    """``lang``'s catalog as ``read_ahead`` read it, if the file is still that one."""
    file = None if ahead is None else ahead.get(lang.code)
    if file is None:
        return None
    try:
        with paused_gc():
            done = pickle.loads(file.read_bytes())
    except Exception:  # not there yet, or unreadable: the catalog is read again
        return None
    return done if isinstance(done, ReadAhead) and is_still(path, done.stamp) else None


def update_catalogs(config: Config, languages: tuple[Lang, ...] | None = None,
                    *, trivial_source_fixes: bool = False, remember: bool = False,
                    memo: UpdateMemo | None = None, pages: Sequence[Page] | None = None,
                    ws: Workspace | None = None, template_laid_out: bytes | None = None,
                    ahead: Mapping[str, Path] | None = None) -> list[UpdateResult]:
    """Merge the POT into each language's catalog; parse all before writing any.

    ``trivial_source_fixes``: the editor confirms that every changed message is a
    typo-level fix (see ``pipeline.text.trivial``); pages can say so for themselves with
    ``trivial_source_fixes: true`` in their front matter. ``remember``: later stages
    read the catalogs from ``ws`` (the build): on a big site they are parsed
    beside the merge, in both processes, instead of one by one afterwards. ``pages``:
    the pages as extract read them, if it just did.

    ``memo`` (the build's, kept between builds): the template and catalogs as the last
    update left them. A catalog still as it was written then is merged incrementally:
    only the template entries whose text changed are merged again, the blocks of the
    others are written again as they were, and the new file is read block by block
    (``pipeline.po.blocks``): the same bytes and the same parse as a full merge, for
    a fraction of the work. A catalog saved since by another program (a translator's
    editor) is merged so too, but for its blocks whose text that merge did not write.
    ``memo`` is updated; ``ws`` remembers the catalogs, the template too.
    ``template_laid_out``: ``ExtractResult.digest`` when extract just ran (see there).
    ``ahead``: ``read_ahead``'s files, taken by a merge with no memo of the catalog.
    """
    ws = ws or Workspace()
    template_digest = memo.template.digest if memo and memo.template else b""
    pot, same_refs = _read_template(config, memo, ws, template_laid_out)
    # The template as the memo's catalogs were merged with: a catalog still as that merge
    # wrote it is that merge's result again (see ``prepare``).
    template_same = bool(template_digest) and memo is not None and (
        memo.template is not None and memo.template.digest == template_digest)
    trivial = _trivial_scope(config, trivial_source_fixes, pages, ws)
    langs = target_languages(config, languages)
    split = len(pot.entries) * len(langs) >= SPLIT_ENTRIES
    if memo is not None:
        # An edit merges a few entries per catalog: not worth a second process.
        known = [memo.catalogs.get(lang.code) for lang in langs]
        split = split and not all(m is not None and m.template == template_digest
                                  for m in known)
    refs = {e.key: e for e in pot.active}

    def prepare(lang: Lang) -> _Prepared:
        """The language's new text and summary (not yet written); with a memo or split
        across two processes, also the new text parsed, so later stages need not parse
        it; and the stamp of the file as read (in whichever process read it)."""
        path = config.po_path(lang)
        display = config.rel(path)
        po: Catalog | None = None
        old_blocks: list[str] | list[bytes] | None = None
        kept_blocks: BlockIndex | None = None  # old_blocks' index, for a merge that reuses
        reuse: Reuse | None = None
        same: dict[str, Reused] = {}  # an old block's text: its entry and first line
        if memo is not None and path.exists():
            taken = _taken_ahead(ahead, lang, path) if lang.code not in memo.catalogs else None
            data, stamp = (taken.data, taken.stamp) if taken is not None else read_bytes_stamped(
                path, display)
            before = memo.catalogs.get(lang.code)
            if before is not None and (before.template != template_digest
                                       or same_refs is None):
                before = None  # merged with another template than the memo's
            if (template_same and before is not None and before.digest == stamp.digest
                    and not before.unstable
                    and before.forms == (before.catalog.nplurals or lang.nplurals or 2)):
                # Merging the same template into the file that merge wrote gives that
                # file back (no entry is unstable): nothing is split, merged or parsed
                # (0.3 s of a build after no change, or after a translator's save to
                # one catalog, at 1,000 pages). The memo unchanged, its parse stands
                # below, as it was shared when remembered.
                return _Prepared(data, UpdateResult(
                    language=lang.code, path=display, written=False, created=False,
                    new_fuzzy=0, new_untranslated=0, newly_obsolete=0, carried_over=()),
                    stamp, before.catalog, before)
            texts: list[str] | None = None
            if before is not None and before.digest == stamp.digest:
                # The very bytes the last merge wrote (UTF-8, no BOM, LF): its blocks
                # are kept as bytes, never decoded (decoding, splitting and encoding four
                # 12,000-entry catalogs again took 0.2 s of an edit's build).
                raw = data[:-1].split(b"\n\n")
                if len(raw) == len(before.catalog.entries) + 1:
                    po = before.catalog
                    old_blocks, kept_blocks = raw, before.blocks
                    reuse = Reuse(same_refs or frozenset(), before.unstable)
            if po is None:
                texts = file_blocks(data, display) if taken is None else taken.texts
                # Not kept in ``ws``: the merged text replaces it there, and the old and
                # the new parse of every catalog at once were the peak of a big build.
                # Read block by block when laid out as format_po writes: a block with the
                # very text of one the last merge wrote is that merge's entry (not read
                # again), as is a block of the merged file with the text of an old one.
                earlier = None if before is None else (before.catalog, before.blocks)
                read = taken.read if taken is not None else (  # (no earlier merge)
                    None if texts is None else read_blocks(texts, display, earlier))
                if texts is None or read is None:
                    po = parse_po_bytes(data, display)
                else:
                    po, index = read
                    if before is not None:
                        # Saved since the last merge by another program (a translator's
                        # editor, ``pipeline update`` on its own): its blocks with the text
                        # that merge wrote are kept as when the file is as it was written,
                        # the others merged again (a full merge took 1.3 s a catalog).
                        ours = set(before.blocks.digests)
                        edited = frozenset(
                            (entry.obsolete, entry.key) for entry, digest in zip(
                                po.entries, index.digests[1:], strict=True)
                            if digest not in ours)
                        old_blocks, kept_blocks = texts, index
                        reuse = Reuse(same_refs or frozenset(), before.unstable | edited)
                    else:
                        same = {text: (entry, start) for text, entry, start in zip(
                            texts[1:], po.entries, index.starts[1:], strict=True)}
        else:
            po, stamp = read_catalog_stamped(config, lang, ws)
        if po is not None and not po.header:  # a hand-made catalog without a header
            po = replace(po, header=new_header(config, lang, pot))
        carried: list[tuple[str, str, str]] = []
        if po is None:
            base = Catalog(
                header_comments=(f"{lang.english_name} translations for {config.site_title}.",),
                header=new_header(config, lang, pot), path=display)
        else:
            base = po
        forms = base.nplurals or lang.nplurals or 2
        if reuse is not None and memo is not None and memo.catalogs[lang.code].forms != forms:
            reuse = None
        merged = merge_items(base, pot, forms, trivial if po is not None else None,
                              carried, reuse, ws=ws)
        # The new file's blocks as text (a block kept as it was: "", never read again: its
        # entry is the old one) and as bytes.
        blocks = [header_text(merged_header(base, pot))]
        pieces = [blocks[0].encode("utf-8")]
        for item in merged.items:
            if isinstance(item, Entry):
                blocks.append(entry_text(item))
                pieces.append(blocks[-1].encode("utf-8"))
            else:
                assert old_blocks is not None
                kept_block = old_blocks[item + 1]
                blocks.append("")
                pieces.append(kept_block if isinstance(kept_block, bytes)
                              else kept_block.encode("utf-8"))
        data = b"\n\n".join(pieces) + b"\n"
        new_fuzzy, new_untranslated, newly_obsolete = _counts(po, merged)
        summary = UpdateResult(
            language=lang.code,
            path=display,
            written=False,
            created=po is None,
            new_fuzzy=new_fuzzy,
            new_untranslated=new_untranslated,
            newly_obsolete=newly_obsolete,
            carried_over=tuple(carried),
        )
        parsed: Catalog | None = None
        new_memo: CatalogMemo | None = None
        if memo is not None:
            kept = (base, kept_blocks) if reuse is not None and kept_blocks is not None else None
            parsed, new_memo = _parsed_and_memo(blocks, block_starts(pieces), display, merged,
                                                kept, same, forms, data,
                                                memo.template.digest if memo.template
                                                else b"")
        elif split and remember:
            parsed = parse_po_bytes(data, display)
        if parsed is not None:  # shared at once: held (and sent back) at a third the size
            parsed = _sharing(parsed, refs)
            new_memo = new_memo and replace(new_memo, catalog=parsed)
        return _Prepared(data, summary, stamp, parsed, new_memo)

    # Every catalog is read and merged before any is written.
    with paused_gc():
        prepared = map_split(prepare, langs, split=split)
    fault_point("update:before-write")  # tests: a translator saves a catalog meanwhile
    results = []
    for lang, done in zip(langs, prepared, strict=True):
        # A child's holds its own copies: sharing the template's (this process's own were
        # shared in ``prepare``; sharing them again took 0.03 s of an edit's build).
        if split and done.parsed is not None:
            shared = _sharing(done.parsed, refs)
            done = replace(done, parsed=shared, memo=done.memo and replace(done.memo,
                                                                           catalog=shared))
        summary = done.summary
        try:
            written = write_bytes_atomic(config.po_path(lang), done.data, summary.path,
                                         expect=done.stamp, doing="updating")
        except ChangedMeanwhile:
            results.append(replace(summary, changed_meanwhile=True))
            if memo is not None and memo.catalogs.pop(lang.code, None) is not None:
                memo.revision += 1
            continue
        parsed = done.parsed
        if memo is not None:
            before = memo.catalogs.get(lang.code)
            if done.memo is None:
                if memo.catalogs.pop(lang.code, None) is not None:
                    memo.revision += 1
            elif before is None or replace(before, catalog=done.memo.catalog) != done.memo:
                memo.catalogs[lang.code] = done.memo
                memo.revision += 1
            else:  # the same file, read the same way: the memo's parse stands
                parsed = before.catalog
        if parsed is not None:
            ws.remember_catalog(summary.path, done.data, parsed,
                                done.memo.digest if done.memo is not None else None,
                                done.memo.blocks.digests if done.memo is not None else None)
        results.append(replace(summary, written=written))
    return results


def _sharing(catalog: Catalog, refs: dict[Key, Entry]) -> Catalog:
    """``catalog`` with every active entry holding the very msgid, references and comments
    of its template entry (the same values): the catalogs of all languages then hold
    them once (a 12,000-entry catalog took 14 MB, 6 MB so)."""
    entries: list[Entry] = []
    changed = False
    for e in catalog.entries:
        ref = refs.get(e.key) if not e.obsolete else None
        if (ref is not None and e.locations is not ref.locations
                and (e.msgid_plural, e.locations, e.auto_comments)
                == (ref.msgid_plural, ref.locations, ref.auto_comments)):
            e = Entry(ref.msgid, e.msgstr, ref.msgctxt, ref.msgid_plural, e.msgstr_plural,
                      ref.locations, ref.auto_comments, e.translator_comments, e.flags,
                      e.previous_msgctxt, e.previous_msgid, e.previous_msgid_plural,
                      e.obsolete, e.line)
            changed = True
        entries.append(e)
    return replace(catalog, entries=tuple(entries)) if changed else catalog


def _counts(po: Catalog | None, merged: Merged) -> tuple[int, int, int]:
    """Newly fuzzy, new untranslated and newly obsolete entries; only merged entries
    count (a kept one is the same entry as before: none of these)."""
    before = {e.key: e for e in (po.entries if po else ())}
    entries = [e for e in merged.items if isinstance(e, Entry)]
    return (
        sum(1 for e in entries if not e.obsolete and e.fuzzy and not
            (e.key in before and before[e.key].fuzzy)),
        sum(1 for e in entries if not e.obsolete and not e.has_translation
            and e.key not in before),
        sum(1 for e in entries if e.obsolete and e.key in before
            and not before[e.key].obsolete),
    )


def _parsed_and_memo(blocks: list[str], starts: list[int], display: str, merged: Merged,
                     kept: tuple[Catalog, BlockIndex] | None, same: dict[str, Reused],
                     forms: int, data: bytes, template: bytes
                     ) -> tuple[Catalog | None, CatalogMemo | None]:
    """What the merged file reads as, read block by block (``blocks``: its text, "" for
    a block kept from the old file; ``starts``: their first lines; ``kept``: the old
    catalog whose entries the kept blocks read as, and its file's blocks; ``same``: what
    the old file's blocks read as, by their text), and the memo for the next merge;
    (None, None) when the file cannot be read so, or not at all (a later stage reports
    its error)."""
    reused: list[Reused | None] = [same.get(block) for block in blocks[1:]] if same \
        else [None] * len(merged.items)
    digests = [block_digest(blocks[0])]
    if kept is not None:
        old, old_index = kept
        for n, item in enumerate(merged.items):
            if isinstance(item, Entry):
                digests.append(block_digest(blocks[n + 1]))
            else:
                reused[n] = (old.entries[item], old_index.starts[item + 1])
                digests.append(old_index.digests[item + 1])
    else:
        digests += map(block_digest, blocks[1:])
    parsed = parse_blocks(blocks, display, reused, starts)
    if parsed is None:
        try:
            return parse_po_bytes(data, display), None
        except PipelineError:
            return None, None
    unstable = frozenset(
        (item.obsolete, item.key) for n, (item, entry) in enumerate(
            zip(merged.items, parsed.entries, strict=True))
        if isinstance(item, Entry) and not stable(item, merged.origins.get(n), entry, forms))
    return parsed, CatalogMemo(content_digest(data), parsed,
                               BlockIndex(tuple(digests), tuple(starts)), template, forms,
                               unstable)


def _trivial_scope(config: Config, everywhere: bool, pages: Sequence[Page] | None,
                   ws: Workspace
                   ) -> Callable[[Entry], bool] | None:
    """Which template entries may keep their translation across a typo-level fix."""
    if everywhere:
        return lambda entry: True
    if pages is None:
        pages = load_pages(config.pages_dir, config.root, ws)
    marked = {p.path for p in pages if p.trivial_source_fixes}
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
