"""Candidate preselection for fuzzy matching: old msgids → the few most like a new one.

``update`` looks for the most similar old msgid for every new one. Comparing with
every old entry in Python is quadratic (a 1,000-page site: 12,000 entries, 70 edited
paragraphs and 4 languages took about 90 s). GNU msgmerge ranks the old msgids by
the character 4-grams they share with the new one (``msgl-fsearch.c``). This index
ranks them by shared words and word pairs instead (ten times fewer keys, so it is
cheap to build in Python), rarer ones weighing more, so that an edited paragraph
finds the paragraph it was edited from among the first few (at least 10, or √N).
``msgmerge._Matcher`` uses the best of those as the cut-off of its exact scan, so
the scan only has to return entries that could beat it, and only looks at msgids of a
length that could (``length_window``). A query counts only its rarest tokens' postings,
within a budget: its commoner words add time, not a better candidate.

The index is built over every msgid of the old catalog and shared by the languages
of one ``update`` (their old catalogs come from the same template; the build's
``Workspace.fuzzy_index`` keeps it), and the ranking of one new msgid is computed
once for all of them; each language then keeps the
first few among its own translated entries. Queries with fewer than
``SHORT_TOKENS`` tokens get no candidates: the caller compares with everything, as
msgmerge does for strings under 4 characters.
"""

from __future__ import annotations

import bisect
import itertools
import math
import re
import sys
from collections import Counter
from collections.abc import Container, Sequence

_WORD = re.compile(r"\w+")
# CJK runs carry no spaces between words: index them as overlapping character pairs.
_CJK = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff]")
SHORT_TOKENS = 3  # a query with fewer tokens is compared with everything
INDEX_MIN = 200  # smaller pools are compared with everything: it is fast enough
COMMON_SHARE = 4  # a token in more than 1 msgid in 4 does not rank (like "the")
RANKED = 400  # how many ranked candidates a query keeps for the languages to filter
RANK_SHARE = 4  # a query counts its rarest tokens' postings up to 1 in 4 msgids in all


def tokens(text: str) -> set[str]:
    """Lower-cased words and adjacent word pairs; CJK runs as character pairs."""
    words: list[str] = []
    for word in _WORD.findall(text.lower()):
        if len(word) > 1 and _CJK.search(word):
            words += [word[i : i + 2] for i in range(len(word) - 1)]
        else:
            words.append(word)
    return {*words, *(f"{a} {b}" for a, b in itertools.pairwise(words))}


def length_window(size: int, floor: float) -> tuple[int, int]:
    """The lengths ``b`` a string can have for its similarity (2 * LCS / total length)
    to one of ``size`` to reach ``floor``: the LCS is at most the shorter one, so
    ``2 * min(size, b) / (size + b) >= floor``; a byte wider each way than the bound,
    against rounding (a byte moves the bound by far more than a float's error)."""
    if floor <= 0:
        return 0, sys.maxsize
    low = math.floor(size * floor / (2 - floor)) - 1
    high = math.ceil(size * (2 - floor) / floor) + 1
    return max(low, 0), high


class CandidateIndex:
    """Token postings over a list of msgids; ``candidates`` ranks them for one query."""

    def __init__(self, msgids: Sequence[str]):
        self.size = len(msgids)
        # Made at the first ranking: a merge of a few new msgids (an edit) only scans,
        # through ``within`` and ``scans``, which it shares with the next language.
        self._postings: dict[str, list[int]] | None = None
        self._ranked: dict[str, list[int] | None] = {}
        self.msgids = msgids
        # A query's exact scan over every msgid, shared by the languages
        # (``msgmerge._Matcher._scan``).
        self.scans: dict[str, tuple[float, list[tuple[int, float]]]] = {}
        self._encoded: list[bytes] | None = None
        # ``encoded`` sorted by length, their numbers and lengths (``within``).
        self._by_length: tuple[list[bytes], list[int], list[int]] | None = None

    @property
    def postings(self) -> dict[str, list[int]]:
        """Each token's msgid numbers, in order."""
        if self._postings is None:
            self._postings = {}
            for number, msgid in enumerate(self.msgids):
                for token in tokens(msgid):
                    self._postings.setdefault(token, []).append(number)
        return self._postings

    @property
    def encoded(self) -> list[bytes]:
        """Every msgid as UTF-8 (what the similarity is computed on), made once."""
        if self._encoded is None:
            self._encoded = [msgid.encode("utf-8") for msgid in self.msgids]
        return self._encoded

    def within(self, size: int, floor: float) -> tuple[list[bytes], list[int]]:
        """The encoded msgids whose length lets their similarity to one of ``size``
        bytes reach ``floor`` (``length_window``), and their numbers."""
        if self._by_length is None:
            encoded = self.encoded
            order = sorted(range(len(encoded)), key=lambda n: len(encoded[n]))
            self._by_length = ([encoded[n] for n in order], order,
                               [len(encoded[n]) for n in order])
        keys, numbers, lengths = self._by_length
        low, high = length_window(size, floor)
        first, last = bisect.bisect_left(lengths, low), bisect.bisect_right(lengths, high)
        return keys[first:last], numbers[first:last]

    def firstfew(self, pool: int) -> int:
        """GNU msgmerge evaluates the first max(10, √N) candidates exactly."""
        return max(10, math.isqrt(pool))

    def ranked(self, msgid: str) -> list[int] | None:
        """Msgid numbers most likely to be similar to ``msgid``, best first (cached)."""
        if msgid in self._ranked:
            return self._ranked[msgid]
        query = tokens(msgid)
        result: list[int] | None = None
        if len(query) >= SHORT_TOKENS:
            by_token = self.postings
            found = sorted((by_token[t] for t in query if t in by_token), key=len)
            common = max(self.size // COMMON_SHARE, 10)
            ranking = [p for p in found if len(p) <= common] or found
            # The rarest tokens, up to a budget of postings: an edited paragraph keeps
            # most of its word pairs, each in few msgids, and counting the postings of
            # its commoner words too was a fifth of a 5,000-page drift update. (The
            # ranking only picks the scan's cut-off: it changes the time, never the
            # answer.)
            budget, kept = max(self.size // RANK_SHARE, 100), 0
            for postings in ranking:
                budget -= len(postings)
                kept += 1
                if budget < 0:
                    break
            ranking = ranking[:kept]
            counts: Counter[int] = Counter()
            for postings in ranking:
                # Rarer tokens weigh more: 1 + log10(N / df) repetitions, counted in C.
                weight = 1 + int(math.log10(self.size / len(postings)))
                for _ in range(weight):
                    counts.update(postings)
            result = [number for number, _ in counts.most_common(RANKED)]
        self._ranked[msgid] = result
        return result

    def candidates(self, msgid: str, allowed: Container[int], pool: int) -> list[int] | None:
        """The first few ranked msgids that are in ``allowed`` (a language's translated
        entries, ``pool`` of them); None: too few tokens, compare with everything."""
        ranked = self.ranked(msgid)
        if ranked is None:
            return None
        wanted = self.firstfew(pool)
        out: list[int] = []
        for number in ranked:
            if number in allowed:
                out.append(number)
                if len(out) == wanted:
                    break
        return out


__all__ = ["INDEX_MIN", "SHORT_TOKENS", "CandidateIndex", "length_window", "tokens"]
