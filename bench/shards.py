"""The accessibility check split across runners: ``python -m bench.shards``.

1. **Split**: a ``--split-pages`` corpus (default 1,000 pages x 5 languages) built once
   with ``pipeline build --defer-a11y`` (no browser); for 2, 8, 32 and 64 shards, the
   slowest shard's estimated time over the mean, for ``assign`` (rendezvous hashing with
   bounded loads) and for plain rendezvous hashing, and how many documents move to
   another shard when 10 pages in 5 languages are added.
2. **Time**: a ``--pages`` corpus (default 50 pages x 5 languages); ``pipeline a11y
   --shard I/N`` for N = 1 and 2, each shard in its own process on its own copy of the
   build (as a CI job receives it), the two shards of N = 2 at once and then one after
   the other (each alone: what a runner of its own would take); then ``pipeline gate``.
   The load average is recorded: other work shares these cores.
3. **Projections** for 8, 32 and 64 runners at 1,000 pages x 5 languages and 10,000 x
   10, from the measured time per document, with the assumptions in ``ASSUMPTIONS``.

Writes ``bench/results/<date>-shards.json`` and ``.md`` (the table docs/benchmarks.md quotes).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, TypedDict

from bench.corpus import generate
from bench.proc import remove_set_aside, set_aside

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
SPLITS = (2, 8, 32, 64)
RUNNERS = (1, 2, 8, 32, 64)


class Assumptions(TypedDict):
    job_start_s: tuple[float, float]
    install_s: dict[str, float]
    transfer_mb_s: float
    chromium_start_s: float
    imbalance: float


ASSUMPTIONS: Assumptions = {
    "job_start_s": (30.0, 60.0),  # a runner picked up, the container started, checked out
    "install_s": {"build": 15.0, "a11y": 40.0, "gate": 15.0},  # make install: apt+npm 40 s
    "transfer_mb_s": 25.0,  # artifact download or upload, uncompressed size
    "chromium_start_s": 3.0,  # per shard, before its first page
    "imbalance": 1.05,  # the slowest shard over the mean (measured below: 1.05 at 8-64)
}
SCALES = {"1,000 x 5": (1000, 5), "10,000 x 10": (10_000, 10)}


def pipeline(root: Path, *args: str) -> tuple[float, str, int]:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pipeline", "--root", str(root), *args],
                          capture_output=True, text=True, cwd=REPO, check=False)
    return time.perf_counter() - start, done.stdout + done.stderr, done.returncode


def deliver(root: Path, dest: Path) -> Path:
    """A CI job's copy: the sources and output/build + output/reports, no cache."""
    set_aside(dest)
    shutil.copytree(root, dest, ignore=shutil.ignore_patterns(".cache", "site", "site-*",
                                                              ".lock"))
    return dest


def shard_jobs(root: Path, work: Path, total: int, at_once: bool) -> dict[str, Any]:
    """Every shard of ``total`` in its own process and copy; wall time and each shard's."""
    dirs = [deliver(root, work / f"{i}-of-{total}") for i in range(1, total + 1)]
    load = os.getloadavg()[0]
    start = time.perf_counter()
    seconds: list[float] = []
    outputs: list[str] = []
    if at_once:
        processes = [(time.perf_counter(), subprocess.Popen(
            [sys.executable, "-m", "pipeline", "--root", str(d), "a11y", "--shard",
             f"{i}/{total}"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            cwd=REPO)) for i, d in enumerate(dirs, 1)]
        for began, process in processes:
            outputs.append(process.communicate()[0])
            seconds.append(time.perf_counter() - began)  # ends in order: an upper bound
            if process.returncode != 0:
                raise SystemExit(f"shard failed:\n{outputs[-1][-2000:]}")
    else:
        for i, d in enumerate(dirs, 1):
            took, output, code = pipeline(d, "a11y", "--shard", f"{i}/{total}")
            if code != 0:
                raise SystemExit(f"shard failed:\n{output[-2000:]}")
            seconds.append(took)
            outputs.append(output)
    wall = time.perf_counter() - start
    documents = [len(json.loads((d / "output/reports" / f"a11y-shard-{i}-of-{total}.json")
                                .read_text())["documents"]) for i, d in enumerate(dirs, 1)]
    return {"shards": total, "at_once": at_once, "wall_s": round(wall, 1),
            "shard_s": [round(s, 1) for s in seconds], "documents": documents,
            "load_1min_before": round(load, 2), "load_1min_after": round(os.getloadavg()[0], 2)}


def split_quality(plan: dict[str, Any]) -> dict[str, Any]:
    from pipeline.stages.a11y.shards import assign

    weights = {page: ms for page, _, ms in plan["documents"]}
    median = sorted(weights.values())[len(weights) // 2]
    grown = {**weights, **{f"output/build/{lang}/added-{n}.html": median for n in range(10)
                           for lang in ("en", "es", "fr", "ar", "zh-Hans")}}
    mean_total = sum(weights.values())
    rows = []
    for total in SPLITS:
        row: dict[str, Any] = {"shards": total}
        for name, slack in (("bounded", None), ("rendezvous", math.inf)):
            split = assign(weights, total) if slack is None else assign(weights, total, slack)
            loads = [0] * (total + 1)
            counts = [0] * (total + 1)
            for page, shard in split.items():
                loads[shard] += weights[page]
                counts[shard] += 1
            after = assign(grown, total) if slack is None else assign(grown, total, slack)
            row[name] = {
                "slowest_over_mean": round(max(loads[1:]) / (mean_total / total), 3),
                "most_documents_over_mean": round(max(counts[1:]) / (len(weights) / total), 3),
                "moved_when_50_added": sum(1 for p in weights if split[p] != after[p]),
            }
        rows.append(row)
    return {"documents": len(weights), "estimated_s": round(mean_total / 1000),
            "largest_estimated_s": round(max(weights.values()) / 1000, 1), "splits": rows}


def documents_at(pages: int, languages: int) -> int:
    """Documents pa11y checks for a site of ``pages`` x ``languages``: the pages, a
    readability report per page, report parts of 100 pages, the two report indexes,
    the language indexes and the chooser."""
    return pages * languages + pages + math.ceil(pages / 100) + 2 + languages + 1


def projections(per_document_s: float, artifact_mb_per_document: float,
                build_s_per_document: float) -> list[dict[str, Any]]:
    a = ASSUMPTIONS
    rows = []
    for runners in RUNNERS:
        row: dict[str, Any] = {"runners": runners}
        for label, (pages, languages) in SCALES.items():
            documents = documents_at(pages, languages)
            artifact_s = documents * artifact_mb_per_document / a["transfer_mb_s"]
            check = (a["chromium_start_s"]
                     + per_document_s * documents / runners * (a["imbalance"] if runners > 1
                                                                else 1.0))
            stage = []
            total = []
            for start in a["job_start_s"]:
                shard = start + a["install_s"]["a11y"] + artifact_s + check
                build = start + a["install_s"]["build"] + build_s_per_document * documents \
                    + artifact_s
                gate = start + a["install_s"]["gate"] + artifact_s + 0.002 * documents
                stage.append(shard)
                total.append(build + shard + gate)
            row[label] = {"documents": documents, "a11y_stage_s": [round(s) for s in stage],
                          "end_to_end_s": [round(s) for s in total],
                          "artifact_s": round(artifact_s, 1)}
        rows.append(row)
    return rows


def duration(seconds: list[float]) -> str:
    """A low-high range in one unit: ``5-7 min``, ``4.2 h``."""
    top = max(seconds)
    unit, scale, digits = (("s", 1, 0) if top < 90 else ("min", 60, 0) if top < 5400
                           else ("h", 3600, 1))
    values = list(dict.fromkeys(f"{s / scale:.{digits}f}" for s in seconds))
    return f"{'-'.join(values)} {unit}"


def markdown(result: dict[str, Any]) -> str:
    m = result["measured"]
    split = result["split"]
    per = m["per_document_s"]
    lines = [
        f"Measured {result['date']}: {result['machine']}; pipeline {result['pipeline']}.",
        "",
        f"Split of the {split['documents']} documents of {result['split_pages']} pages x 5 "
        f"languages (estimated {split['estimated_s']} s of pa11y at concurrency 1; the "
        f"largest document {split['largest_estimated_s']} s): slowest shard / mean, and "
        "documents that move when 10 pages x 5 languages are added:",
        "",
        "| shards | bounded loads (ours) | moved | plain rendezvous | moved |",
        "|---|---|---|---|---|",
    ]
    for row in split["splits"]:
        b, r = row["bounded"], row["rendezvous"]
        lines.append(f"| {row['shards']} | {b['slowest_over_mean']:.3f} | "
                     f"{b['moved_when_50_added']} | {r['slowest_over_mean']:.3f} | "
                     f"{r['moved_when_50_added']} |")
    one, two, two_alone = m["one"], m["two_at_once"], m["two_alone"]
    lines += [
        "",
        f"Shards on {m['pages']} pages x 5 languages ({m['documents']} documents), "
        f"concurrency {m['concurrency']}, each shard its own process and copy of the build:",
        "",
        "| run | wall | per shard | documents | load average (1 min) |",
        "|---|---|---|---|---|",
        f"| 1 shard | {one['wall_s']} s | {one['shard_s'][0]} s | {one['documents'][0]} | "
        f"{one['load_1min_before']} → {one['load_1min_after']} |",
        f"| 2 shards at once (same 2 cores) | {two['wall_s']} s | "
        f"{' / '.join(str(s) for s in two['shard_s'])} s | "
        f"{' / '.join(str(d) for d in two['documents'])} | "
        f"{two['load_1min_before']} → {two['load_1min_after']} |",
        f"| 2 shards, each alone (2 runners) | {max(two_alone['shard_s'])} s | "
        f"{' / '.join(str(s) for s in two_alone['shard_s'])} s | "
        f"{' / '.join(str(d) for d in two_alone['documents'])} | "
        f"{two_alone['load_1min_before']} → {two_alone['load_1min_after']} |",
        "",
        f"Gate (merge 2 shards, gates, publish): {m['gate_s']} s. Deferred build of the "
        f"{result['split_pages']}-page corpus: {m['build_split_s']} s; its artifact "
        f"(output/build + output/reports): {m['artifact_mb']} MB.",
        "",
        f"Projection from {per:.2f} s per document (1 shard, above): job start-up "
        f"{ASSUMPTIONS['job_start_s'][0]:.0f}-{ASSUMPTIONS['job_start_s'][1]:.0f} s, "
        f"install (build {ASSUMPTIONS['install_s']['build']:.0f} s, shard "
        f"{ASSUMPTIONS['install_s']['a11y']:.0f} s, gate "
        f"{ASSUMPTIONS['install_s']['gate']:.0f} s), the build's artifact moved at "
        f"{ASSUMPTIONS['transfer_mb_s']:.0f} MB/s each way, Chromium "
        f"{ASSUMPTIONS['chromium_start_s']:.0f} s per shard, the slowest shard "
        f"{ASSUMPTIONS['imbalance']:.2f} x the mean, the language indexes paginated like "
        "the readability report (see docs/ci.md):",
        "",
        "| runners | " + " | ".join(f"{k}: a11y stage | {k}: build → gate" for k in SCALES)
        + " |",
        "|---|" + "---|---|" * len(SCALES),
    ]
    for row in result["projections"]:
        cells = []
        for label in SCALES:
            cell = row[label]
            cells += [duration(cell["a11y_stage_s"]), duration(cell["end_to_end_s"])]
        lines.append(f"| {row['runners']} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.shards",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=50)
    parser.add_argument("--split-pages", type=int, default=1000)
    parser.add_argument("--work", type=Path, default=BENCH / "work" / "shards")
    parser.add_argument("--results", type=Path, default=BENCH / "results")
    parser.add_argument("--render", type=Path, metavar="JSON",
                        help="only print the table of an earlier run's results file")
    args = parser.parse_args(argv)
    if args.render:
        print(markdown(json.loads(args.render.read_text())), end="")
        return 0
    from bench.run import machine, pipeline_version

    work = args.work
    set_aside(work)  # an earlier run's trees: removed at the end, not before timed runs
    work.mkdir(parents=True)
    print(f"corpus: {args.split_pages} pages for the split", flush=True)
    generate(work / "big", args.split_pages)
    big = work / "big" / "base"
    build_s, output, code = pipeline(big, "build", "--defer-a11y")
    if code != 0:
        raise SystemExit(output[-2000:])
    plan = json.loads((big / "output/reports/a11y-plan.json").read_text())
    artifact = sum(p.stat().st_size for folder in ("build", "reports")
                   for p in (big / "output" / folder).rglob("*") if p.is_file())
    split = split_quality(plan)
    print(json.dumps(split["splits"]), flush=True)

    print(f"corpus: {args.pages} pages for the shards", flush=True)
    generate(work / "small", args.pages)
    small = work / "small" / "base"
    _, output, code = pipeline(small, "build", "--defer-a11y")
    if code != 0:
        raise SystemExit(output[-2000:])
    documents = len(json.loads((small / "output/reports/a11y-plan.json").read_text())
                    ["documents"])
    one = shard_jobs(small, work / "jobs-1", 1, at_once=True)
    print(f"1 shard: {one}", flush=True)
    two = shard_jobs(small, work / "jobs-2", 2, at_once=True)
    print(f"2 shards at once: {two}", flush=True)
    alone = shard_jobs(small, work / "jobs-2-alone", 2, at_once=False)
    print(f"2 shards alone: {alone}", flush=True)
    shards = work / "shards"
    for i in (1, 2):
        target = shards / f"a11y-shard-{i}"
        target.mkdir(parents=True)
        shutil.copy(work / "jobs-2" / f"{i}-of-2" / "output/reports" / f"a11y-shard-{i}-of-2.json",
                    target)
    gate_s, output, code = pipeline(small, "gate", "--a11y-from", str(shards))
    if code not in (0, 1):
        raise SystemExit(output[-2000:])
    from pipeline.config import load_config
    from pipeline.stages.a11y.runner import default_concurrency

    per_document = one["shard_s"][0] / documents
    result = {
        "date": dt.date.today().isoformat(),
        "machine": (lambda m: f"{m.get('nproc')} CPUs ({m.get('cpu', '?')}), "
                    f"{m.get('chromium', '?')}, pa11y-ci {m.get('pa11y-ci', '?')}")(machine()),
        "pipeline": pipeline_version(),
        "split_pages": args.split_pages,
        "split": split,
        "measured": {"pages": args.pages, "documents": documents,
                     "concurrency": load_config(small).a11y.concurrency or default_concurrency(),
                     "one": one, "two_at_once": two, "two_alone": alone,
                     "gate_s": round(gate_s, 1), "per_document_s": round(per_document, 3),
                     "build_split_s": round(build_s, 1),
                     "artifact_mb": round(artifact / 1e6, 1)},
        "assumptions": {k: list(v) if isinstance(v, tuple) else v
                        for k, v in ASSUMPTIONS.items()},
        "projections": projections(per_document, artifact / 1e6 / len(plan["documents"]),
                                   build_s / len(plan["documents"])),
    }
    args.results.mkdir(parents=True, exist_ok=True)
    stem = args.results / f"{result['date']}-shards"
    stem.with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n")
    text = markdown(result)
    stem.with_suffix(".md").write_text(text)
    print(text)
    remove_set_aside(work.parent)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
