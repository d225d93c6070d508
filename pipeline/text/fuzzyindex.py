"""Candidate preselection for fuzzy matching: old msgids → the few most like a new one.

``update`` looks for the most similar old msgid for every new one. Comparing with
every old entry in Python is quadratic (a 1,000-page site: 12,000 entries, 70 edited
paragraphs and 4 languages took about 90 s). GNU msgmerge ranks the old msgids by
the character 4-grams they share with the new one (``msgl-fsearch.c``). This index
ranks them by shared words and word pairs instead (ten times fewer keys, so it is
cheap to build in Python), rarer ones weighing more, so that an edited paragraph
finds the paragraph it was edited from among the first few (at least 10, or √N).
``catalogs._Matcher`` uses the best of those as the cut-off of its exact scan, so
the scan only has to return entries that could beat it.

The index is built over every msgid of the old catalog and shared by the languages
of one ``update`` (their old catalogs come from the same template; the build's
``Workspace.fuzzy_index`` keeps it), and the ranking of one new msgid is computed
once for all of them; each language then keeps the
first few among its own translated entries. Queries with fewer than
``SHORT_TOKENS`` tokens get no candidates: the caller compares with everything, as
msgmerge does for strings under 4 characters.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Container, Sequence

_WORD = re.compile(r"\w+")
# CJK runs carry no spaces between words: index them as overlapping character pairs.
_CJK = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff]")
SHORT_TOKENS = 3  # a query with fewer tokens is compared with everything
INDEX_MIN = 200  # smaller pools are compared with everything: it is fast enough
COMMON_SHARE = 4  # a token in more than 1 msgid in 4 does not rank (like "the")
RANKED = 400  # how many ranked candidates a query keeps for the languages to filter


def tokens(text: str) -> set[str]:
    """Lower-cased words and adjacent word pairs; CJK runs as character pairs."""
    words: list[str] = []
    for word in _WORD.findall(text.lower()):
        if len(word) > 1 and _CJK.search(word):
            words += [word[i : i + 2] for i in range(len(word) - 1)]
        else:
            words.append(word)
    return {*words, *(f"{a} {b}" for a, b in itertools.pairwise(words))}


class CandidateIndex:
    """Token postings over a list of msgids; ``candidates`` ranks them for one query."""

    def __init__(self, msgids: Sequence[str]):
        self.size = len(msgids)
        self.postings: dict[str, list[int]] = {}
        for number, msgid in enumerate(msgids):
            for token in tokens(msgid):
                self.postings.setdefault(token, []).append(number)
        self._ranked: dict[str, list[int] | None] = {}
        self.msgids = msgids
        # A query's exact scan over every msgid, shared by the languages
        # (``msgmerge._Matcher._scan``).
        self.scans: dict[str, tuple[float, list[tuple[int, float]]]] = {}
        self._encoded: list[bytes] | None = None

    @property
    def encoded(self) -> list[bytes]:
        """Every msgid as UTF-8 (what the similarity is computed on), made once."""
        if self._encoded is None:
            self._encoded = [msgid.encode("utf-8") for msgid in self.msgids]
        return self._encoded

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
            found = [self.postings[t] for t in query if t in self.postings]
            common = max(self.size // COMMON_SHARE, 10)
            ranking = [p for p in found if len(p) <= common] or found
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


__all__ = ["INDEX_MIN", "SHORT_TOKENS", "CandidateIndex", "tokens"]
