"""GNU ``msgmerge --previous`` in Python: an old catalog + the template → the merged catalog.

Translations kept; a changed source string becomes fuzzy with ``#| msgid`` and the
closest old translation (GNU's similarity, above 0.6); removed entries that had a
translation become obsolete ``#~`` (and come back when the text returns); untranslated
ones are dropped; translator comments and flags survive. Used by the update stage and
by pre-fill (a new or pseudo catalog is the template merged into an empty one).

``merge_items`` is the merge itself; given what an incremental update may reuse, it
leaves an old entry whose block the merge would write again as it is (``stable``) as
an index, so that the update need not format and parse it again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from rapidfuzz import process
from rapidfuzz.distance import Indel

from pipeline.po.blocks import entry_content
from pipeline.po.model import FUZZY, Catalog, Entry
from pipeline.text.fuzzyindex import INDEX_MIN, CandidateIndex
from pipeline.text.trivial import trivial_change

if TYPE_CHECKING:
    from pipeline.workspace import Workspace

# GNU msgmerge's FUZZY_THRESHOLD: below this similarity no translation is offered.
FUZZY_THRESHOLD = 0.6
# From this many fuzzy searches on, the candidate index pays for itself (it takes about
# as long to build, over 12,000 entries, as 50 searches without it).
INDEX_QUERIES = 16
FORMAT_FLAG_SUFFIX = "-format"


def similarity(a: str, b: str) -> float:
    """GNU ``fstrcmp``: 2 * LCS / total length, over the UTF-8 bytes (1.0 = equal)."""
    return _fstrcmp(a.encode("utf-8"), b.encode("utf-8"))


def _fstrcmp(a: bytes, b: bytes) -> float:
    total = len(a) + len(b)
    return (total - Indel.distance(a, b)) / total if total else 1.0


# 4-gram sets kept per matcher: a paragraph's is about 20 kB, and kept for every entry
# a drift update visited they grew to 800 MB on 5,000 pages (a matcher per language);
# the ones a query asks for again are mostly those of the last few queries.
GRAMS_KEPT = 4096


class _Matcher:
    """msgmerge's fuzzy search over the old entries that have a translation.

    As in msgmerge (``msgl-fsearch.c``, searched without its heuristic for the
    catalog's own entries): the candidates are the entries whose msgid shares a
    character 4-gram with the new one (for msgids under 4 characters, all of a
    possible length), tried in order of shared 4-grams, then file order; the first
    with the highest similarity wins, with a tiny bonus for a matching context.
    The similarity is computed for every entry by rapidfuzz (C++); for a large pool
    and many queries, ``pipeline.text.fuzzyindex`` first finds a likely match whose
    similarity then serves as the cut-off, so the scan only returns entries that could
    beat it. The cut-off comes only from a candidate that could itself win (one that
    shares a 4-gram), so the index changes the time, never the answer: a few queries
    (an edited paragraph) are answered without its ranking, as building its postings
    costs more than them. Their scans are kept on it all the same, for the next language.
    """

    def __init__(self, candidates: Iterable[Entry], queries: int | None = None,
                 index: Callable[[tuple[str, ...]], CandidateIndex] = CandidateIndex):
        entries = list(candidates)
        numbered = [(n, e) for n, e in enumerate(entries) if e.msgid and _first_form(e)]
        self.pool = [e for _, e in numbered]
        self.numbered = {n: position for position, (n, _) in enumerate(numbered)}
        # Every old msgid, encoded and scanned once for all languages merged from the
        # same old msgids (``index`` from the workspace hands the same one back): an
        # edit's new paragraph was scanned against 12,000 msgids once per language.
        self.store = index(tuple(e.msgid for e in entries))
        encoded = self.store.encoded
        self.keys = [encoded[n] for n, _ in numbered]
        # Ranked candidates for the scan's cut-off: worth their postings for many queries.
        self.index: CandidateIndex | None = None
        if len(self.pool) > INDEX_MIN and (queries is None or queries >= INDEX_QUERIES):
            self.index = self.store
        self._grams: dict[int, frozenset[str]] = {}

    def _grams_of(self, position: int) -> frozenset[str]:
        grams = self._grams.get(position)
        if grams is None:
            if len(self._grams) >= GRAMS_KEPT:  # the oldest out: a bounded memo
                del self._grams[next(iter(self._grams))]
            text = self.pool[position].msgid
            grams = self._grams[position] = frozenset(
                text[i : i + 4] for i in range(len(text) - 3))
        return grams

    def _scan(self, msgid: str, target: bytes, floor: float) -> list[int]:
        """The pool's positions whose similarity to ``target`` is at least ``floor``.

        The scan runs over every old msgid and is kept on the store: the next
        language's matcher (the same old msgids, mostly the same translated ones) takes
        its answer from there when its floor is not lower, instead of scanning again (at
        5,000 pages, 54,000 msgids x 341 edited paragraphs a language)."""
        scanned = self.store.scans.get(msgid)
        if scanned is None or scanned[0] > floor:
            # Only the msgids of a length that can reach the floor: the scorer rejects
            # the others at once too, but handing it all 54,000 msgids of a 5,000-page
            # site for each of 341 edited paragraphs was most of a drift update's time.
            keys, numbers = self.store.within(len(target), floor)
            scanned = self.store.scans[msgid] = (floor, [
                (numbers[at], score) for _, score, at in process.extract(
                    target, keys, scorer=Indel.normalized_similarity,
                    score_cutoff=floor, limit=None)])
        numbered = self.numbered
        return [numbered[number] for number, score in scanned[1]
                if score >= floor and number in numbered]

    def _shared(self, query: list[str], position: int) -> int:
        """How many of ``query``'s 4-grams (repeats counted) the entry's msgid has."""
        grams = self._grams_of(position)
        return sum(1 for gram in query if gram in grams)

    def best(self, msgid: str, msgctxt: str | None = None) -> tuple[Entry | None, float]:
        if not self.pool:
            return None, 0.0
        target = msgid.encode("utf-8")
        query = [msgid[i : i + 4] for i in range(len(msgid) - 3)] if len(msgid) >= 4 else []
        cutoff = FUZZY_THRESHOLD
        if self.index is not None:
            # The most similar candidate that shares a 4-gram: most similar first, so
            # that usually only the first one's 4-grams are needed.
            weighed = sorted(
                ((_fstrcmp(target, self.keys[position]), position) for position in (
                    self.numbered[number] for number in
                    self.index.candidates(msgid, self.numbered, len(self.pool)) or ())),
                key=lambda pair: -pair[0])
            for weight, position in weighed:
                if weight <= cutoff:
                    break
                if not query or not self._grams_of(position).isdisjoint(query):
                    cutoff = weight
                    break
        # Below the cut-off by more than the context bonus, nothing can win.
        hits = self._scan(msgid, target, cutoff - 1e-4)
        # Every hit weighed first (rapidfuzz, C++): the order of shared 4-grams only
        # decides among the hits tied at the highest weight, so only theirs are counted
        # (counting them for every hit was two thirds of a drift update's fuzzy search).
        tied: dict[float, list[int]] = {}
        for position in hits:
            entry = self.pool[position]
            bonus = 0.00001 if entry.msgctxt is None or entry.msgctxt == msgctxt else 0.0
            weight = _fstrcmp(target, self.keys[position]) + bonus
            if weight > FUZZY_THRESHOLD:
                tied.setdefault(weight, []).append(position)
        for weight in sorted(tied, reverse=True):
            if query:
                order = [(-shared, position) for position in tied[weight]
                         if (shared := self._shared(query, position))]
            else:
                order = [(len(self.keys[position]), position) for position in tied[weight]]
            if order:  # the first in msgmerge's order among the best
                return self.pool[min(order)[1]], weight
        return None, 0.0


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
    first_form = (plural[0] if plural else "") if ref.msgid_plural is not None else msgstr
    if not (fuzzy and first_form):
        previous = (None, None, None)
    # Entry() itself, not dataclasses.replace (several times slower): a build merges
    # every entry of every catalog, and ``stable`` merges most of them twice.
    return Entry(ref.msgid, msgstr, ref.msgctxt, ref.msgid_plural, plural, ref.locations,
                 ref.auto_comments, old.translator_comments,
                 _merge_flags(ref.flags, old, fuzzy), *previous, False, 0)


Key = tuple[str | None, str]  # (msgctxt, msgid)


@dataclass(frozen=True, slots=True)
class Reuse:
    """What an incremental merge may take over unchanged from the old catalog's file."""

    same_refs: frozenset[Key]  # template entries whose text is as at the last merge
    unstable: frozenset[tuple[bool, Key]]  # (obsolete, key): merged again, not the same


@dataclass(frozen=True, slots=True)
class Merged:
    """A merge's entries in order: an int is an index in the old catalog's entries (that
    entry's block is written again as it is), an Entry was merged here. ``origins``:
    for the merged active entries, by position, their template entry and the old entry
    they matched exactly (None: a fuzzy match, or none)."""

    items: list[int | Entry]
    origins: dict[int, tuple[Entry, Entry | None]]


def merged_header(po: Catalog, pot: Catalog) -> Catalog:
    """The merged catalog's header (and no entries): the old one, with the template's
    date and bug address."""
    merged = replace(po, entries=(), header_line=0, header_lines=())
    for name in ("POT-Creation-Date", "Report-Msgid-Bugs-To"):
        value = pot.header_value(name)
        if value is not None:
            merged = merged.with_header(name, value)
    return merged


def merge_items(po: Catalog, pot: Catalog, forms: int,
                trivial: Callable[[Entry], bool] | None,
                carried: list[tuple[str, str, str]] | None,
                reuse: Reuse | None = None, *, ws: Workspace | None = None) -> Merged:
    """``merge``'s entries; with ``reuse``, an old entry whose block the merge would
    write again as it is stays an index (see ``stable``). The languages of one update
    merge from old catalogs of the same template: ``ws`` keeps the fuzzy index over
    their msgids for the next one."""
    entries = po.entries
    known: dict[Key, int] = {}  # exact matches: the active entry, else an obsolete one
    for obsolete in (False, True):
        for i, old in enumerate(entries):
            if old.obsolete == obsolete:
                known.setdefault(old.key, i)
    refs = pot.active
    misses = sum(1 for ref in refs if ref.key not in known)
    matcher: _Matcher | None = None
    at: dict[int, int] = {}  # id of an old entry → its index
    used: set[int] = set()  # indexes of the old entries matched
    items: list[int | Entry] = []
    origins: dict[int, tuple[Entry, Entry | None]] = {}
    same, unstable = (reuse.same_refs, reuse.unstable) if reuse else (frozenset(), frozenset())
    for ref in refs:
        key = ref.key
        found = known.get(key)
        if found is not None:
            used.add(found)
            exact = entries[found]
            if key in same and not exact.obsolete and (False, key) not in unstable:
                items.append(found)
            else:
                origins[len(items)] = (ref, exact)
                items.append(_merge_entry(exact, ref, forms, force_fuzzy=False))
            continue
        if matcher is None:
            matcher = _Matcher(entries, queries=misses,
                               index=ws.fuzzy_index if ws is not None else CandidateIndex)
            at = {id(old): n for n, old in enumerate(entries)}
        origins[len(items)] = (ref, None)
        match, _score = matcher.best(ref.msgid, ref.msgctxt)
        if match is not None:
            used.add(at[id(match)])
            why = (trivial_change(match.msgid, ref.msgid)
                   if trivial is not None and trivial(ref) and match.msgctxt == ref.msgctxt
                   and (match.msgid_plural is None) == (ref.msgid_plural is None) else None)
            if why is not None and carried is not None:
                carried.append((match.msgid, ref.msgid, why))
            items.append(_merge_entry(match, ref, forms, force_fuzzy=why is None))
            continue
        items.append(replace(
            ref,
            msgstr="",
            msgstr_plural=_fit_plurals((), forms) if ref.msgid_plural is not None else (),
            flags=tuple(f for f in ref.flags if f != FUZZY),
            previous_msgctxt=None, previous_msgid=None, previous_msgid_plural=None,
            line=0,
        ))
    for i, old in enumerate(entries):
        if i in used or not _first_form(old):
            continue
        if reuse is not None and old.obsolete and (True, old.key) not in unstable:
            items.append(i)
        else:
            items.append(replace(old, obsolete=True, locations=(), auto_comments=(), line=0))
    return Merged(items, origins)


def stable(merged: Entry, origin: tuple[Entry, Entry | None] | None, parsed: Entry,
           forms: int) -> bool:
    """Whether merging ``parsed`` (what ``merged``'s block reads as) again, as an exact
    match of the same template entry (``origin``'s), or as an obsolete entry nothing
    uses, gives ``merged`` again: then the next merge can keep its block as it is."""
    if origin is None:  # obsolete
        return bool(entry_content(parsed) == entry_content(merged))
    ref, source = origin
    if source is not None and entry_content(parsed) == entry_content(source):
        return True  # the same input as this time
    return _merge_entry(parsed, ref, forms, force_fuzzy=False) == merged


def merge(po: Catalog, pot: Catalog, nplurals: int | None = None,
          trivial: Callable[[Entry], bool] | None = None,
          carried: list[tuple[str, str, str]] | None = None, *,
          ws: Workspace | None = None) -> Catalog:
    """Merge ``pot`` into ``po`` the way ``msgmerge --previous`` does.

    Exact (msgctxt, msgid) matches keep their translation, obsolete ones included
    (they come back); other messages get the most similar old translation, fuzzy,
    with ``#|`` the msgid it was made for; old entries used by neither become obsolete
    if they had a translation and are dropped if not.

    ``trivial(ref)`` says the editor confirmed typo-level fixes for that message's
    source: a match that differs only that way (``pipeline.text.trivial``) keeps its
    translation as it was, not fuzzy, and is recorded in ``carried``.
    """
    merged = merge_items(po, pot, po.nplurals or nplurals or 2, trivial, carried, ws=ws)
    return replace(merged_header(po, pot),
                   entries=tuple(e for e in merged.items if isinstance(e, Entry)))
