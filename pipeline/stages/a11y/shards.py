"""The accessibility check split across CI runners: the split, and the shards' merge.

``pipeline build --defer-a11y`` renders once and stops before the check; it records the
plan (``Plan``, ``output/reports/a11y-plan.json``): a build id, the sha256 of every file
the check and the gate read, the documents to check with their estimated cost, and the
deferred build's summary. Each runner checks its share (``Plan.split``) with
``pipeline a11y --shard I/N`` and writes its result; ``pipeline gate`` reads every
shard's result and ``merge`` makes them one, failing closed, naming the shard, unless
each document of the plan was checked exactly once against the planned bytes. Reading
and writing those files, and running a shard on the build cache, is ``pipeline.build``'s.

The split is rendezvous (highest-random-weight) hashing with bounded loads: a document
goes to the shard that scores highest for its path, unless that shard would then hold
more than ``1 + SLACK`` times its fair share of the estimated seconds; then to its next
choice. Adding pages moves few others, and no shard gets much more than its share,
without a scheduler. The estimate (``estimated_ms``) is a cost model measured on the
bench corpus: pa11y's time per document grows with its elements and, steeply, with
its links.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from pipeline.config import Config
from pipeline.errors import PipelineError
from pipeline.models import Location
from pipeline.models.a11y import Merged, PageResult, Shard, ShardFile

SLACK = 0.05  # a shard takes up to 5 % more than its fair share before it passes a page on
_ELEMENT = re.compile(rb"<[A-Za-z]")
_LINK = re.compile(rb"<a[\s>]")


# --- the split ---------------------------------------------------------------------------

def _score(page: bytes, shard: int) -> int:
    return int.from_bytes(hashlib.blake2b(page, digest_size=8,
                                          key=shard.to_bytes(4, "big")).digest(), "big")


def estimated_ms(html: bytes) -> int:
    """What pa11y-ci (axe and htmlcs, one page at a time) spends on a document, in ms.

    Fitted on the bench corpus (2 shared cores): a 78-element page 3.3 s, a 500-element
    readability report 4.5 s, a 100-row report part 13 s; a language index of 1,000
    links 300 s, of 500 links 22 s, of 250 links 5.6 s — the links' share grows with
    their cube (some rule compares every link with every other)."""
    links = len(_LINK.findall(html))
    return 3000 + int(3.5 * len(_ELEMENT.findall(html)) + 0.00015 * links ** 3)


def assign(weights: Mapping[str, int], total: int, slack: float = SLACK) -> dict[str, int]:
    """document → its shard (1…``total``), by rendezvous hashing with bounded loads.

    Heavier documents are placed first (by powers of two of their weight, so an edit
    rarely changes the order), and within a power of two in the order of their own
    hash (a new page lands anywhere in it and disturbs only what comes after it,
    rarely); each takes its highest-scoring shard that stays within ``1 + slack`` times
    the mean weight, else the least loaded one. Deterministic: every shard and the merge
    compute the same split from the plan.
    """
    cap = (1 + slack) * sum(weights.values()) / total
    loads = [0] * (total + 1)
    out: dict[str, int] = {}
    keyed = {page: page.encode() for page in weights}

    def order(page: str) -> tuple[int, bytes]:
        return (-max(weights[page], 1).bit_length(),
                hashlib.blake2b(keyed[page], digest_size=8).digest())

    for page in sorted(weights, key=order):
        scores = [(_score(keyed[page], s), s) for s in range(1, total + 1)]
        weight = weights[page]
        best = max(scores)[1]
        if loads[best] + weight > cap:
            ranked = [s for _, s in sorted(scores, reverse=True)]
            best = next((s for s in ranked if loads[s] + weight <= cap),
                        min(ranked, key=lambda s: loads[s]))
        loads[best] += weight
        out[page] = best
    return out



# --- the plan ------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Plan:
    """What a deferred build asks the shards to check."""

    build_id: str
    files: Mapping[str, str]  # path relative to the root → sha256: all the check reads
    documents: tuple[tuple[str, int, int], ...]  # (page, bytes, estimated ms), report order
    build: Mapping[str, Any]  # the deferred build's build.json

    @property
    def weights(self) -> dict[str, int]:
        return {page: ms for page, _, ms in self.documents}

    def split(self, total: int) -> dict[str, int]:
        return assign(self.weights, total)


def report_page(config: Config) -> str:
    """The a11y report: a document of every plan, written only by the merge, so the
    shard that holds it checks the report as that shard renders it (as a build does)."""
    return config.rel(config.output_dir / "reports" / "a11y.html")



# --- the merge -----------------------------------------------------------------------------

def merge(config: Config, plan: Plan, files: Sequence[ShardFile], where: str) -> Merged:
    """The shards' results (read from ``where``) as one ``A11yResult``, or
    ``PipelineError`` naming the shard that failed, is stale, duplicated or missing, or
    a document not checked exactly once against the planned bytes."""
    if not files:
        raise PipelineError(f"no shard results (a11y-shard-I-of-N.json) in {where}",
                            hint="run 'pipeline a11y --shard I/N' for every shard and pass "
                            "the folder their results were downloaded to")
    for item in files:
        if item.error is not None:
            raise PipelineError(
                f"shard {item.shard} could not check its documents: {item.error.message}",
                item.where(), item.error.hint or "run that shard again")
    for item in files:
        if item.build_id != plan.build_id:
            raise PipelineError(
                f"shard {item.shard} is stale: its result is for build {item.build_id}, this "
                f"build is {plan.build_id}", item.where(),
                "run every shard on this build's artifact (a result of an earlier run was "
                "picked up)")
    totals = sorted({item.shard.total for item in files})
    if len(totals) > 1:
        raise PipelineError(
            "shard results of different splits: " + ", ".join(
                f"{item.shard} ({item.path})" for item in sorted(files, key=lambda f: f.shard)),
            hint="every shard job must use the same N; remove the other split's results")
    total = totals[0]
    by_index: dict[int, ShardFile] = {}
    for item in sorted(files, key=lambda f: (f.shard, str(f.path))):
        if item.shard.index in by_index:
            raise PipelineError(
                f"shard {item.shard} is duplicated: {by_index[item.shard.index].path} and "
                f"{item.path}", item.where(),
                "keep one result per shard (give each shard job's artifact its own name)")
        by_index[item.shard.index] = item
    for index in range(1, total + 1):
        if index not in by_index:
            missing = Shard(index, total)
            raise PipelineError(
                f"shard {missing} is missing: no {missing.file_name} in {where}",
                hint=f"did shard {missing}'s job run and upload its result? Its documents "
                "were not checked")
    return _combine(config, plan, [by_index[i] for i in range(1, total + 1)], total)


def _combine(config: Config, plan: Plan, files: Sequence[ShardFile], total: int) -> Merged:
    planned = plan.weights
    report = report_page(config)
    owner: dict[str, Shard] = {}
    for item in files:
        for page, sha in item.documents.items():
            if page not in planned:
                raise PipelineError(
                    f"shard {item.shard} is stale: it checked {page}, which build "
                    f"{plan.build_id} does not have", item.where(),
                    "run every shard on this build's artifact")
            if page in owner:
                raise PipelineError(
                    f"shard {item.shard} duplicates shard {owner[page]}: both checked {page}",
                    item.where(), "run every shard with the same N on this build's artifact")
            if page != report and sha != plan.files.get(page):
                raise PipelineError(
                    f"shard {item.shard} is stale: it checked {page} as sha256 {sha[:12]}…, "
                    f"this build's is {plan.files.get(page, '')[:12]}…", item.where(),
                    "run that shard again on this build's artifact")
            owner[page] = item.shard
    unchecked = [page for page in planned if page not in owner]
    if unchecked:
        shard = Shard(plan.split(total)[unchecked[0]], total)
        raise PipelineError(
            f"{len(unchecked)} document(s) of build {plan.build_id} were not checked: "
            f"{unchecked[0]} (shard {shard}'s)" + (" and more" if len(unchecked) > 1 else ""),
            Location(str(next(f.path for f in files if f.shard == shard))),
            "run that shard again on this build's artifact")
    results = [item for item in files if item.documents and item.result is not None]
    first = results[0]
    assert first.result is not None
    for item in results[1:]:
        assert item.result is not None
        for name in ("standard", "warnings_gate", "runners", "runner_versions",
                     "pa11y_ci_version", "baseline"):
            mine, theirs = getattr(item.result, name), getattr(first.result, name)
            if mine != theirs:
                raise PipelineError(
                    f"shard {item.shard} ran another check than shard {first.shard}: "
                    f"{name} {mine!r}, not {theirs!r}", item.where(),
                    "run every shard with the same configuration and tools")
    order = {page: n for n, (page, _, _) in enumerate(plan.documents)}
    pages = sorted(owner, key=order.__getitem__)
    by_page: dict[str, tuple[Any, ...]] = {}
    for item in results:
        assert item.result is not None
        by_page.update(_pieces(item))
    merged = replace(
        first.result,
        findings=tuple(f for p in pages for f in by_page[p][0]),
        needs_review=tuple(f for p in pages for f in by_page[p][1]),
        results=tuple(by_page[p][2] for p in pages),
        pages=tuple(pages),
        # as a build records it when every shard checked as many pages at once
        concurrency=first.result.concurrency if len(
            {item.result.concurrency for item in results if item.result}) == 1 else 0,
    )
    checked = {page: sha for item in files for page, sha in item.documents.items()}
    ran = tuple(page for item in files for page in item.ran)
    return Merged(merged, checked, ran, total)


def _pieces(item: ShardFile) -> dict[str, tuple[Any, ...]]:
    """page → (findings, needs review, result row) of one shard, each page's findings in
    the shard's order."""
    assert item.result is not None
    out: dict[str, tuple[list[Any], list[Any], PageResult | None]] = {
        page: ([], [], None) for page in item.result.pages}
    for finding in item.result.findings:
        out[str(finding.details.get("page"))][0].append(finding)
    for finding in item.result.needs_review:
        out[str(finding.details.get("page"))][1].append(finding)
    for row in item.result.results:
        out[row.page] = (out[row.page][0], out[row.page][1], row)
    return {page: (tuple(a), tuple(b), row) for page, (a, b, row) in out.items()}

