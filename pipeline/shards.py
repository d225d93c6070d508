"""The accessibility check split across CI runners: plan → shards → one merged result.

``pipeline build --defer-a11y`` renders once and stops before the check; it records the
plan, ``output/reports/a11y-plan.json``: a build id, the sha256 of every file the check
and the gate read (the build tree, the HTML reports, ``qa.json``), the documents to
check with their sizes, and the deferred build's summary. Each runner receives that
output as a CI artifact and runs ``pipeline a11y --shard I/N`` (``check_shard``): it
verifies the files against the plan, checks its share of the documents (``assign``),
reusing the build cache's result for any document whose digest did not change, and
writes ``output/reports/a11y-shard-I-of-N.json`` — the build id, the shard, the sha256
of every document it checked, and its findings. ``pipeline gate --a11y-from DIR``
(``merge_shards``) reads every shard's result and fails closed, naming the shard,
unless each document of the plan was checked exactly once against the planned bytes.

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
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pipeline.config import Config
from pipeline.errors import PipelineError, UsageError
from pipeline.infra.fsutil import write_text_atomic
from pipeline.models import Location
from pipeline.reporters.json import dumps, finding_from_json
from pipeline.stages.a11y import A11yResult, PageResult, pending_report, run_a11y

PLAN = "a11y-plan.json"
FORMAT = 1
SLACK = 0.05  # a shard takes up to 5 % more than its fair share before it passes a page on
_ELEMENT = re.compile(rb"<[A-Za-z]")
_LINK = re.compile(rb"<a[\s>]")
_SHARD_FILE = re.compile(r"a11y-shard-([0-9]+)-of-([0-9]+)\.json$")
_SHARD_ARG = re.compile(r"\s*([0-9]+)\s*/\s*([0-9]+)\s*")


# --- the split ---------------------------------------------------------------------------

@dataclass(frozen=True, slots=True, order=True)
class Shard:
    """Shard ``index`` of ``total``, 1-based as CI runners number their jobs."""

    index: int
    total: int

    def __str__(self) -> str:
        return f"{self.index}/{self.total}"

    @property
    def file_name(self) -> str:
        return f"a11y-shard-{self.index}-of-{self.total}.json"

    @classmethod
    def parse(cls, text: str) -> Shard:
        match = _SHARD_ARG.fullmatch(text)
        if not match or not 1 <= int(match.group(1)) <= int(match.group(2)):
            raise UsageError(f"--shard {text!r}: expected I/N with 1 <= I <= N, e.g. 2/4",
                             hint="in GitHub Actions: ${{ matrix.shard }}/${{ strategy.job-total "
                             "}}; in GitLab: $CI_NODE_INDEX/$CI_NODE_TOTAL")
        return cls(int(match.group(1)), int(match.group(2)))


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


def plan_checks(config: Config) -> Plan:
    """The plan for the rendered build as it is now (``build`` left empty)."""
    from pipeline.build import a11y_documents
    from pipeline.stages.publish import hash_tree, new_build_id, sha256_file

    build = config.output_dir / "build"
    tree = hash_tree(build) if build.is_dir() else {}
    if not any(rel.endswith(".html") for rel in tree):
        raise PipelineError("nothing to check: no rendered pages",
                            Location(config.rel(build)), "run 'pipeline build --defer-a11y'")
    prefix = config.rel(build) + "/"
    files = {prefix + rel: sha for rel, (sha, _) in tree.items()}
    documents = []
    for page in a11y_documents(config):
        data = (config.root / page).read_bytes()
        files.setdefault(page, hashlib.sha256(data).hexdigest())  # an HTML report
        documents.append((page, len(data), estimated_ms(data)))
    # Written by the merge: its size is not known yet; it lists findings, not pages.
    documents.append((report_page(config), 0, estimated_ms(b"")))
    qa = config.output_dir / "reports" / "qa.json"
    if qa.is_file():
        files[config.rel(qa)] = sha256_file(qa)
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
        "format": FORMAT, "build_id": plan.build_id, "files": dict(plan.files),
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
        if (data["format"] != FORMAT or not isinstance(data["build_id"], str)
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
    from pipeline.stages.publish import sha256_file

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


# --- one shard -----------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ShardRun:
    """What one shard checked."""

    shard: Shard
    build_id: str
    result: A11yResult  # its documents only
    documents: Mapping[str, str]  # page → sha256 of the bytes checked
    ran: tuple[str, ...]  # pages pa11y ran on this time (the rest came from the cache)


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
            "format": FORMAT, "build_id": build_id, "shard": _shard_json(shard), "ok": False,
            "error": {"message": exc.message, "hint": exc.hint,
                      "location": str(exc.location) if exc.location else None},
        }), config.rel(path))
        raise
    path = shard_path(config, shard)
    write_text_atomic(path, dumps({
        "format": FORMAT, "build_id": run.build_id, "shard": _shard_json(shard), "ok": True,
        "documents": dict(run.documents), "ran": list(run.ran), "a11y": run.result.to_dict(),
    }), config.rel(path))
    return run, path


def _shard_json(shard: Shard) -> dict[str, int]:
    return {"index": shard.index, "total": shard.total}


def run_shard(config: Config, plan: Plan, shard: Shard, *, concurrency: int | None = None
              ) -> ShardRun:
    """pa11y on this shard's documents whose digest changed since the cache's results."""
    from pipeline.build import a11y_documents, cached_a11y, remember_a11y, use_a11y_cache
    from pipeline.infra.cache import load_cache, save_cache
    from pipeline.stages.publish import sha256_file

    verify_received(config, plan)
    split = plan.split(shard.total)
    mine = [page for page, _, _ in plan.documents if split[page] == shard.index]
    report = report_page(config)
    cache = load_cache(config.output_dir)
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
        result = run_a11y(config, [p.removeprefix(build) for p in todo],
                          concurrency=concurrency, write_reports=False,
                          check_report=check_report)
        if check_report:
            digests[report] = sha256_file(pending_report(config))
        remember_a11y(config, cache, result, digests)
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


# --- the merge -----------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Merged:
    """Every shard's result as one, for the gate."""

    result: A11yResult
    checked: Mapping[str, str]  # page → sha256 of the bytes checked
    ran: tuple[str, ...]  # documents pa11y ran on in this build's shards
    shards: int


@dataclass(frozen=True, slots=True)
class _ShardFile:
    path: Path
    shard: Shard
    build_id: str | None
    error: PipelineError | None  # the shard could not check its documents
    documents: Mapping[str, str]
    ran: tuple[str, ...]
    result: A11yResult | None

    def where(self) -> Location:
        return Location(str(self.path))


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
    """The shards' results as one ``A11yResult``, or ``PipelineError`` naming the shard
    that is corrupt, failed, stale, duplicated or missing, or a document not checked
    exactly once against the planned bytes."""
    files = [_read_shard(path) for path in shard_files(sources)]
    where = ", ".join(str(s) for s in sources)
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
    by_index: dict[int, _ShardFile] = {}
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


def _combine(config: Config, plan: Plan, files: Sequence[_ShardFile], total: int) -> Merged:
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


def _pieces(item: _ShardFile) -> dict[str, tuple[Any, ...]]:
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


def _read_shard(path: Path) -> _ShardFile:
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


def _shard_from_json(path: Path, data: Any) -> _ShardFile:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError(f"not a shard result of format {FORMAT}")
    shard_data = data["shard"]
    shard = Shard(int(shard_data["index"]), int(shard_data["total"]))
    if not 1 <= shard.index <= shard.total:
        raise ValueError(f"shard {shard} does not exist")
    build_id = data["build_id"]
    if build_id is not None and not isinstance(build_id, str):
        raise ValueError("'build_id' is not a string")
    if data["ok"] is False:
        error = data["error"]
        return _ShardFile(path, shard, build_id, PipelineError(
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
    result = _result_from_json(data["a11y"])
    if set(result.pages) != set(documents) or {r.page for r in result.results} != set(documents):
        raise ValueError("its results do not cover exactly the documents it names")
    stray = {str(f.details.get("page")) for f in (*result.findings, *result.needs_review)}
    if not stray <= set(documents):
        raise ValueError(f"a finding names {sorted(stray - set(documents))[0]}, which it did "
                         "not check")
    return _ShardFile(path, shard, build_id, None, documents, ran, result)


def _result_from_json(data: Mapping[str, Any]) -> A11yResult:
    """``A11yResult.to_dict`` read back."""
    rows = []
    for row in data["results"]:
        rows.append(PageResult(
            page=str(row["page"]), url=str(row["url"]), language=str(row["language"]),
            errors=int(row["errors"]), warnings=int(row["warnings"]),
            notices=int(row["notices"]), accepted=int(row["accepted"]),
            passed=bool(row["passed"])))
    baseline = data["baseline"]
    return A11yResult(
        findings=tuple(finding_from_json(f) for f in data["findings"]),
        needs_review=tuple(finding_from_json(f) for f in data["needs_review"]),
        results=tuple(rows),
        runners=tuple(str(r) for r in data["runners"]),
        runner_versions={str(k): str(v) for k, v in data["runner_versions"].items()},
        pa11y_ci_version=str(data["pa11y_ci_version"]),
        pages=tuple(str(p) for p in data["pages"]),
        standard=str(data["standard"]),
        warnings_gate=bool(data["warnings_gate"]),
        chromium=str(data["chromium"]),
        baseline=str(baseline) if baseline is not None else None,
        concurrency=int(data.get("concurrency", 0)),
    )

