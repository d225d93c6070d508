"""The fuzzy-match index: same suggestions as comparing with every entry, far fewer comparisons."""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.po.model import Entry
from pipeline.text.fuzzyindex import INDEX_MIN, CandidateIndex, length_window, tokens
from pipeline.text.msgmerge import _fstrcmp, _Matcher
from pipeline.workspace import Workspace

SUBJECTS = ["The nurse", "Your doctor", "A specialist", "The clinic", "Our team", "The surgeon"]
VERBS = ["may suggest", "will explain", "can arrange", "often recommends", "might review"]
OBJECTS = ["a blood test", "an MRI scan", "physical therapy", "a follow-up visit",
           "a change in medicine", "a sleep study", "nerve conduction studies"]
ENDINGS = ["before the operation.", "after your first visit.", "if the pain gets worse.",
           "to rule out other causes.", "when the symptoms come back."]


def paragraph(rng: random.Random, topic: str) -> str:
    sentences = [f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)} "
                 f"{rng.choice(ENDINGS)}" for _ in range(rng.randint(2, 4))]
    return f"{topic.capitalize()} affects people in different ways. " + " ".join(sentences)


def pool(size: int, seed: int = 7) -> list[Entry]:
    rng = random.Random(seed)
    topics = [f"condition {n} of the {part}" for n in range(size // 3 + 1)
              for part in ("hand", "face", "spine")]
    return [Entry(msgid=paragraph(rng, topics[n]), msgstr=f"translation {n}")
            for n in range(size)]


def edited(text: str, rng: random.Random) -> str:
    words = text.split()
    at = rng.randrange(len(words))
    return " ".join([*words[:at], rng.choice(["really", "usually", "then"]), *words[at:]])


def test_index_finds_what_the_full_comparison_finds() -> None:
    entries = pool(600)
    rng = random.Random(3)
    indexed = _Matcher(entries)
    assert indexed.index is not None
    everything = _Matcher(entries)
    everything.index = None
    for original in rng.sample(entries, 40):
        query = edited(original.msgid, rng)
        found, weight = indexed.best(query)
        expected, expected_weight = everything.best(query)
        assert found is expected and weight == expected_weight
        assert found is original  # the paragraph it was edited from


def test_unrelated_text_gets_no_suggestion() -> None:
    matcher = _Matcher(pool(400))
    found, weight = matcher.best("Parking is free for patients on weekdays and at weekends.")
    assert found is None and weight == 0.0


def test_small_pools_and_short_queries_compare_with_everything() -> None:
    small = _Matcher(pool(INDEX_MIN))
    assert small.index is None
    index = CandidateIndex([e.msgid for e in pool(300)])
    assert index.candidates("Tiredness", set(range(300)), 300) is None


def test_candidates_only_from_allowed_entries_and_at_most_firstfew() -> None:
    entries = pool(900)
    index = CandidateIndex([e.msgid for e in entries])
    allowed = set(range(0, 900, 2))
    found = index.candidates(entries[10].msgid, allowed, len(allowed))
    assert found is not None and found[0] == 10
    assert all(n in allowed for n in found)
    assert len(found) == max(10, int(len(allowed) ** 0.5))


def test_one_index_for_the_languages_of_one_update() -> None:
    msgids = tuple(e.msgid for e in pool(250))
    ws = Workspace()
    assert ws.fuzzy_index(msgids) is ws.fuzzy_index(tuple(msgids))
    assert ws.fuzzy_index(msgids[1:]) is not ws.fuzzy_index(msgids)
    assert Workspace().fuzzy_index(msgids) is not ws.fuzzy_index(msgids)  # nothing global


def test_tokens_words_pairs_and_cjk() -> None:
    assert tokens("Call your Doctor") == {"call", "your", "doctor", "call your", "your doctor"}
    assert {"面痉", "痉挛"} <= tokens("面痉挛")


def test_languages_share_a_scan_and_find_what_their_own_scan_finds(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Two languages, the same old msgids, different entries translated: the second
    # takes each query's scan from the first where it may, with the same answers as a
    # matcher of its own.
    entries = pool(600)
    rng = random.Random(5)
    untranslated = [set(rng.sample(range(600), 150)) for _ in range(2)]
    languages = [[e if n not in gaps else Entry(msgid=e.msgid) for n, e in enumerate(entries)]
                 for gaps in untranslated]
    ws = Workspace()
    queries = [edited(e.msgid, rng) for e in rng.sample(entries, 40)]
    scans = []
    index = ws.fuzzy_index(tuple(e.msgid for e in entries))
    real = index.within

    def counted(size: int, floor: float) -> Any:
        scans.append(floor)
        return real(size, floor)

    monkeypatch.setattr(index, "within", counted)
    shared_scans = []
    for own in languages:
        shared = _Matcher(own, index=ws.fuzzy_index)
        alone = _Matcher(own)
        assert shared.index is index and alone.index is not index
        scans.clear()
        for query in queries:
            assert shared.best(query) == alone.best(query)
        shared_scans.append(len(scans))
    assert set(index.scans) == set(queries)
    # The first language scans for every query; the second, only where its floor is
    # lower (its best candidate untranslated there).
    assert shared_scans[0] == len(queries) and shared_scans[1] < len(queries) // 2


def test_an_edits_few_queries_share_one_scan_across_languages(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # An edit: a few new msgids, answered without the ranking (no postings built), and
    # scanned once for every language merged from the same old msgids, with the answers
    # of a scan of every old msgid of the language's own.
    entries = pool(600)
    rng = random.Random(7)
    languages = [[e if n not in gaps else Entry(msgid=e.msgid) for n, e in enumerate(entries)]
                 for gaps in (set(rng.sample(range(600), 150)) for _ in range(3))]
    queries = [edited(e.msgid, rng) for e in rng.sample(entries, 3)]
    ws = Workspace()
    store = ws.fuzzy_index(tuple(e.msgid for e in entries))
    scans: list[float] = []
    real = store.within

    def counted(size: int, floor: float) -> Any:
        scans.append(floor)
        return real(size, floor)

    monkeypatch.setattr(store, "within", counted)
    for own in languages:
        shared = _Matcher(own, queries=len(queries), index=ws.fuzzy_index)
        assert shared.index is None and shared.store is store
        everything = _Matcher(own)
        monkeypatch.setattr(everything.store, "within", lambda size, floor, s=everything.store:
                            (s.encoded, list(range(s.size))))
        for query in queries:
            assert shared.best(query) == everything.best(query)
    assert len(scans) == len(queries)  # the first language's
    assert store._postings is None


@given(st.binary(min_size=1, max_size=60), st.binary(min_size=1, max_size=60),
       st.floats(min_value=0.6, max_value=1.0))
def test_a_string_the_length_window_leaves_out_cannot_reach_the_floor(
        a: bytes, b: bytes, floor: float) -> None:
    low, high = length_window(len(a), floor)
    if not low <= len(b) <= high:
        assert _fstrcmp(a, b) < floor


def test_the_scan_looks_only_at_msgids_of_a_length_that_can_reach_its_floor() -> None:
    # Old msgids of every length from 1 to 400 bytes: a 100-byte query with a floor of
    # 0.9 can only match those of 82 to 122 bytes (2 x 100 / (100 + 122) = 0.9); the
    # window is a byte or two wider each way, against rounding.
    index = CandidateIndex(["x" * n for n in range(400, 0, -1)])
    keys, numbers = index.within(100, 0.9)
    assert {len(k) for k in keys} == set(range(80, 125))
    assert all(index.encoded[n] == k for n, k in zip(numbers, keys, strict=True))
    everything, _ = index.within(100, 0.0)
    assert len(everything) == 400


def test_a_query_ranks_by_its_rarest_words_and_still_finds_its_paragraph() -> None:
    # Every paragraph shares its common words with hundreds of others: the ranking
    # counts the rare ones (within a budget of postings), and the edited paragraph's
    # origin still comes first.
    entries = pool(3000)
    index = CandidateIndex([e.msgid for e in entries])
    rng = random.Random(11)
    for n in rng.sample(range(3000), 20):
        ranked = index.ranked(edited(entries[n].msgid, rng))
        assert ranked is not None and n in ranked[:3]
