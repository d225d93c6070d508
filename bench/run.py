"""The benchmark: ``python -m bench.run [--pages N[,N…] | --curve] [--quick] [--keep]``.

corpus (``bench.corpus``) → our stages, each in its own process, median of
``--reps`` cold runs (``bench.ours``) → the drift scenario (``bench.drift``) → the
peers, one run each, capped (``bench.peers``) → fuzzy-match quality against
msgmerge → the accessibility sample and the incremental build (``bench.a11y``) → a
table on the terminal, ``bench/results/<date>.json`` (every run, medians, peak
RSS, machine, versions, commit, load) and ``bench/results/<date>.md`` (the table
docs/benchmarks.md quotes). Runs with other sizes than the default write ``<date>-<N>p.*``.

``--pages 100,1000,5000`` (or ``--curve``) measures each size in turn and writes the
scale curve, with every size's record, to ``<date>-curve.*``. The work folder is
deleted at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import compileall
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import a11y as a11y_bench
from bench import drift as drift_bench
from bench import plot
from bench.corpus import LANGUAGES, CorpusInfo, generate
from bench.ours import (
    STAGE_NAMES,
    StageRuns,
    time_end_to_end,
    time_incremental,
    time_one_cpu,
    time_stages,
)
from bench.peers import PEERS, Msgmerge, PeerResult, run_peer
from bench.proc import CLEANUP, Run, remove_set_aside, set_aside

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
DEFAULT_PAGES = 1000
CURVE_PAGES = (100, 1000, 5000)
TARGETS = {
    "build_seconds": 10.0,  # full non-a11y build, 1,000 pages x 5 languages
    "incremental_seconds": 1.0,  # plus pa11y for that page's languages
    "a11y_overhead": 0.10,
    "peak_rss_mb": 500.0,
}
PEER_STEPS = (("extract", "extract"), ("update", "update"), ("render", "render 4 languages"))


def log(message: str) -> None:
    print(message, flush=True)


# --- machine ---------------------------------------------------------------------


def _first_line(command: list[str]) -> str:
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=60,
                                check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "not found"
    lines = (result.stdout or result.stderr).strip().splitlines()
    return lines[0].strip() if lines else "unknown"


def machine() -> dict[str, Any]:
    cpu = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory_kb = 0
    with open("/proc/meminfo", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("MemTotal:"):
                memory_kb = int(line.split()[1])
    pa11y = REPO / "node_modules" / "pa11y-ci" / "package.json"
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": round(memory_kb / 1024 / 1024, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "node": _first_line(["node", "--version"]),
        "chromium": _first_line(["chromium", "--version"]),
        "pa11y-ci": json.loads(pa11y.read_text())["version"] if pa11y.is_file() else "missing",
        "nice": os.nice(0),
        "bytecode": BYTECODE,
    }


# What the record says of the package's bytecode (``byte_compile``).
BYTECODE = ("compiled before timing" + (", PYTHONDONTWRITEBYTECODE set"
                                        if os.environ.get("PYTHONDONTWRITEBYTECODE") else ""))


def byte_compile() -> None:
    """The package byte-compiled, as ``make install`` and pip's regular install do (an
    editable install is not): where PYTHONDONTWRITEBYTECODE is set, as on this kind of
    machine and its CI, every timed process would otherwise compile its 100 modules
    again (0.25-0.3 s of each run), which the peers' installs do not."""
    compileall.compile_dir(str(REPO / "pipeline"), quiet=1)


def pipeline_version() -> str:
    """The short commit, and which measured folders differ from it."""
    short = _first_line(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"])
    dirty = [f"{folder}/" for folder in ("pipeline", "bench")
             if subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", folder],
                               capture_output=True, text=True, check=False).stdout.strip()]
    return short + (f" + uncommitted changes in {', '.join(dirty)}" if dirty else "")


def commit() -> str:
    return _first_line(["git", "-C", str(REPO), "rev-parse", "HEAD"])


# --- fuzzy quality ---------------------------------------------------------------


@dataclass
class FuzzyCount:
    eligible: int = 0  # changed paragraphs whose old text was translated
    suggested: int = 0  # got a fuzzy translation
    right: int = 0  # ... from the paragraph it was edited from

    def to_dict(self) -> dict[str, int]:
        return {"eligible": self.eligible, "suggested": self.suggested, "right": self.right}


def fuzzy_quality(info: CorpusInfo, old_locales: Path, ours: Path | None,
                  msgmerge: Path | None) -> dict[str, FuzzyCount]:
    """How many changed paragraphs get a fuzzy suggestion, from us and from msgmerge."""
    from pipeline.po.model import Catalog
    from pipeline.po.reader import read_po

    counts = {"ours": FuzzyCount(), "msgmerge": FuzzyCount()}
    for lang in LANGUAGES:
        old = read_po(old_locales / lang / "LC_MESSAGES" / "messages.po", lang)
        translated = {e.msgid for e in old.active if e.translated}
        merged: dict[str, Catalog | None] = {
            "ours": read_po(ours / lang / "LC_MESSAGES" / "messages.po", lang)
            if ours and (ours / lang).is_dir() else None,
            "msgmerge": read_po(msgmerge / f"{lang}.po", lang)
            if msgmerge and (msgmerge / f"{lang}.po").is_file() else None,
        }
        for who, catalog in merged.items():
            if catalog is None:
                continue
            entries = {e.msgid: e for e in catalog.active}
            for change in info.changes:
                if change.old not in translated:
                    continue
                counts[who].eligible += 1
                entry = entries.get(change.new)
                if entry is not None and entry.fuzzy and entry.has_translation:
                    counts[who].suggested += 1
                    if entry.previous_msgid == change.old:
                        counts[who].right += 1
    return counts


# --- formatting ------------------------------------------------------------------


def seconds(value: float | None) -> str:
    if value is None:
        return "—"
    if value >= 100:
        return f"{value:.0f} s"
    if value >= 10:
        return f"{value:.1f} s"
    return f"{value:.2f} s"


def ratio(peer: float, ours: float | None, capped: bool = False) -> str:
    if not ours:
        return ""
    value = peer / ours
    text = f"{value:.0f}x" if value >= 10 else f"{value:.1f}x"
    return f" ({'> ' if capped else ''}{text})"


def load_range(runs: list[Run]) -> str:
    """The 1-minute load average when the runs started: next to every time."""
    loads = [r.load for r in runs]
    if not loads:
        return ""
    low, high = min(loads), max(loads)
    return f"{low:.1f}" if f"{low:.1f}" == f"{high:.1f}" else f"{low:.1f}-{high:.1f}"


def peer_cell(result: PeerResult, step: str, ours: float | None, cap: float) -> str:
    if result.unavailable:
        return "cannot run"
    if step in result.invalid:  # a wrong run has no time, fast or slow
        return result.reasons[step].replace("invalid output: ", "invalid: ", 1)
    run = result.runs.get(step)
    if run is None:
        reason = result.reasons.get(step, "")
        return f"— ({reason})" if reason else "—"
    if run.capped:
        return f"> {cap:.0f} s" + ratio(cap, ours, capped=True)
    if run.returncode:
        return result.reasons.get(step, f"failed (exit {run.returncode})")
    return seconds(run.seconds) + ratio(run.seconds, ours)


def text_table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(header, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
              for r in rows]
    return "\n".join(lines)


def md_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in rows]
    return "\n".join(lines)


def stage_rows(stages: dict[str, StageRuns], e2e: StageRuns) -> list[list[str]]:
    rows = []
    for stage in [*(stages[n] for n in STAGE_NAMES), e2e]:
        if stage.missing and stage.median is None:
            rows.append([stage.name, stage.missing, "", "", "", ""])
            continue
        runs = " ".join(f"{r.seconds:.2f}" for r in stage.runs)
        inner = (f"{sorted(stage.inner)[len(stage.inner) // 2]:.2f} s" if stage.inner else "")
        rows.append([stage.name, seconds(stage.median), runs, inner,
                     f"{stage.peak_rss_mb:.0f} MB" if stage.peak_rss_mb else "",
                     f"{stage.tree_pss_mb:.0f} MB" if stage.tree_pss_mb else "",
                     load_range(stage.runs)])
    return rows


def peer_rows(stages: dict[str, StageRuns], peers: list[PeerResult],
              cap: float) -> list[list[str]]:
    ours = {step: stages[step].median for step, _ in PEER_STEPS}
    rows = [["ours (pipeline)", *(seconds(ours[s]) if ours[s] is not None
                                  else stages[s].missing for s, _ in PEER_STEPS), "",
             load_range([r for s, _ in PEER_STEPS for r in stages[s].runs])]]
    for result in peers:
        peak = max((r.peak_rss_mb for r in result.runs.values() if r.ok), default=0.0)
        label = f"{result.label} {result.version}" if result.version else result.label
        if result.unavailable:
            rows.append([label, f"cannot run: {result.unavailable}", "", "", "", ""])
            continue
        rows.append([label, *(peer_cell(result, s, ours[s], cap) for s, _ in PEER_STEPS),
                     f"{peak:.0f} MB" if peak else "",
                     load_range([*result.runs.values(), *result.invalid.values()])])
    return rows


# --- main ------------------------------------------------------------------------


def page_counts(text: str) -> tuple[int, ...]:
    """``--pages``: one count, or several separated by commas (a scale curve)."""
    try:
        counts = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a page count or a list of them: {text!r}") from None
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError(f"page counts must be 1 or more: {text!r}")
    return counts


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=page_counts, default=None,
                        help=f"pages in the corpus (default {DEFAULT_PAGES}, 100 with --quick); "
                        "several, comma-separated, measure a scale curve")
    parser.add_argument("--curve", action="store_true",
                        help="the scale curve: --pages " + ",".join(map(str, CURVE_PAGES)))
    parser.add_argument("--quick", action="store_true",
                        help="1 repetition, a small a11y sample, no incremental run")
    parser.add_argument("--reps", type=int, default=None, help="runs of our stages (default 3)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cap", type=float, default=300.0, help="seconds per peer step")
    parser.add_argument("--a11y-pages", type=int, default=None,
                        help="pages in the a11y sample, x 5 languages (default 10, 5 quick)")
    parser.add_argument("--a11y-rounds", type=int, default=None,
                        help="rounds of the a11y sample, ours and bare pa11y-ci in turn "
                        f"(ABBA; default {a11y_bench.ROUNDS}, 1 quick)")
    parser.add_argument("--no-peers", action="store_true")
    parser.add_argument("--no-a11y", action="store_true")
    parser.add_argument("--no-one-cpu", action="store_true",
                        help="skip the cold build on one CPU (the build's work, which two "
                        "CPUs can at best halve)")
    parser.add_argument("--no-drift", action="store_true",
                        help="skip the drift scenario (edit, add paragraphs, rebuild)")
    parser.add_argument("--drift-only", action="store_true",
                        help="only the drift scenario: no stage timings, peers or a11y")
    parser.add_argument("--keep", action="store_true",
                        help="keep the work folder (corpus, our roots, peers' outputs)")
    parser.add_argument("--work", type=Path, default=BENCH / "work")
    parser.add_argument("--results", type=Path, default=BENCH / "results")
    args = parser.parse_args(argv)
    if args.curve and args.pages:
        parser.error("--curve measures " + ",".join(map(str, CURVE_PAGES))
                     + " pages: give --curve or --pages, not both")
    args.sizes = tuple(sorted(set(CURVE_PAGES if args.curve else args.pages or (
        (100,) if args.quick else (DEFAULT_PAGES,)))))
    if args.drift_only and len(args.sizes) > 1:
        parser.error("--drift-only takes one page count")
    args.reps = args.reps or (1 if args.quick else 3)
    args.a11y_pages = args.a11y_pages or (5 if args.quick else 10)
    args.a11y_rounds = args.a11y_rounds or (1 if args.quick else a11y_bench.ROUNDS)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    byte_compile()
    # What an earlier command left to write (a bench's removed work folder: some
    # hundred thousand files) is written now, not during a timed run: a bench started
    # right after another once timed its stages at a load of 2.3-4.6, one CPU 27.7 s
    # against 18.7 s an hour before.
    os.sync()
    work = args.work.resolve()
    existed = set(work.iterdir()) if work.is_dir() else None
    work.mkdir(parents=True, exist_ok=True)
    try:
        if len(args.sizes) > 1:
            return curve(args, work)
        return single(args, args.sizes[0], work)
    finally:
        if args.keep:
            remove_set_aside(work)
        else:
            clean_work(work, existed)


def clean_work(work: Path, existed: set[Path] | None) -> None:
    """The run's work folder goes (a 5,000-page run leaves gigabytes); the default one
    whole, another only the entries this run created (and the trees set aside inside
    the entries it found)."""
    if existed is None or work == (BENCH / "work").resolve():
        shutil.rmtree(work, ignore_errors=True)
    else:
        remove_set_aside(work)
        for entry in set(work.iterdir()) - existed:
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
    os.sync()  # the removal written out before the next command (another bench) runs
    log(f"removed the work folder {work} (--keep keeps it)")


def single(args: argparse.Namespace, pages: int, work: Path) -> int:
    started = time.time()
    if args.drift_only:
        info, _, _ = make_corpus(pages, args.seed, work)
        return drift_only(args, info, work, started)
    result, report = measure(args, pages, work)
    stem = result["date"] + ("" if pages == DEFAULT_PAGES and not args.quick
                             else f"-{pages}p")
    write_results(args, stem, result, report, started)
    return 0


# --- the scale curve -------------------------------------------------------------

# Flagged as superlinear: time per page at the largest size over the smallest above
# SUPERLINEAR, or the cost of each added page, last interval over first, above
# MARGINAL (fixed costs such as interpreter start make the first ratio flatter than
# the work is, the second does not see them). Peak RSS growing by more than
# MEMORY_GROWTH from the smallest size to the largest is flagged too.
SUPERLINEAR = 1.2
MARGINAL = 1.5
MEMORY_GROWTH = 1.5
CURVE_STEPS = (*STAGE_NAMES, "end to end")


def curve(args: argparse.Namespace, work: Path) -> int:
    """Every size in turn, each a full measurement; the curve in ``<date>-curve.*``."""
    started = time.time()
    load_start = os.getloadavg()
    records: list[dict[str, Any]] = []
    reports: list[dict[str, str]] = []
    for pages in args.sizes:
        size_work = work / f"{pages}p"
        record, report = measure(args, pages, size_work)
        records.append(record)
        reports.append(report)
        log("\n" + report["text"] + "\n")
        if not args.keep:
            set_aside(size_work)  # removed at the end: 5,000 pages leave gigabytes
    load_end = os.getloadavg()
    rows = [curve_row(r) for r in records]
    growth = curve_growth(rows)
    date = dt.date.today().isoformat()
    result: dict[str, Any] = {
        "date": date,
        "started": dt.datetime.fromtimestamp(started, dt.UTC).isoformat(timespec="seconds"),
        "wall_seconds": round(time.time() - started, 1),
        "machine": records[0]["machine"],
        "load_average": {"start": [round(x, 2) for x in load_start],
                         "end": [round(x, 2) for x in load_end]},
        "pipeline": pipeline_version(),
        "commit": commit(),
        "settings": {"pages": list(args.sizes), "seed": args.seed, "reps": args.reps,
                     "cap_seconds": args.cap, "quick": args.quick, "peers": not args.no_peers,
                     "a11y": not args.no_a11y, "drift": not args.no_drift,
                     "cleanup": CLEANUP},
        "curve": rows,
        "growth": growth,
        "sizes": records,
    }
    write_results(args, f"{date}-curve", result,
                  curve_report(result, reports), started)
    log(f"drew {plot.write_svg(args.results / f'{date}-curve.json')}")
    return 0


def curve_row(record: dict[str, Any]) -> dict[str, Any]:
    """One size of the curve: median seconds and peak RSS of each stage, the load."""
    steps = {**record["ours"], "end to end": record["end_to_end"]}
    return {
        "pages": record["settings"]["pages"],
        "seconds": {n: steps[n]["median_seconds"] for n in CURVE_STEPS},
        "peak_rss_mb": {n: steps[n]["peak_rss_mb"] for n in CURVE_STEPS},
        "tree_pss_mb": {n: steps[n].get("tree_pss_mb") for n in CURVE_STEPS},
        "load_average": {"start": record["load_average"]["start"][0],
                         "end": record["load_average"]["end"][0]},
        "wall_seconds": record["wall_seconds"],
    }


def curve_growth(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Per step: time per page and cost per added page, largest size against smallest."""
    out: dict[str, Any] = {}
    for name in CURVE_STEPS:
        points = sorted((r["pages"], r["seconds"][name]) for r in rows
                        if r["seconds"][name] is not None)
        if len(points) < 2:
            out[name] = {"missing": "fewer than two sizes measured"}
            continue
        (n0, t0), (n1, t1) = points[0], points[-1]
        per_page = (t1 / n1) / (t0 / n0)
        marginal = None
        if len(points) >= 3:
            (a, ta), (b, tb) = points[0], points[1]
            (c, tc), (d, td) = points[-2], points[-1]
            first, last = (tb - ta) / (b - a), (td - tc) / (d - c)
            marginal = last / first if first > 0 and last > 0 else None
        out[name] = {
            "from": {"pages": n0, "seconds": t0}, "to": {"pages": n1, "seconds": t1},
            "time_per_page_ratio": round(per_page, 3),
            "added_page_cost_ratio": None if marginal is None else round(marginal, 3),
            "superlinear": per_page > SUPERLINEAR
            or (marginal is not None and marginal > MARGINAL),
        }
    peaks = sorted((r["pages"], max(v for v in r["peak_rss_mb"].values() if v))
                   for r in rows if any(r["peak_rss_mb"].values()))
    if len(peaks) >= 2:
        (n0, m0), (n1, m1) = peaks[0], peaks[-1]
        out["peak_rss"] = {"from": {"pages": n0, "mb": m0}, "to": {"pages": n1, "mb": m1},
                           "ratio": round(m1 / m0, 3), "grows": m1 / m0 > MEMORY_GROWTH}
    return out


def growth_lines(growth: dict[str, Any]) -> list[str]:
    lines = []
    for name in CURVE_STEPS:
        g = growth[name]
        if "missing" in g:
            lines.append(f"{name}: {g['missing']}")
            continue
        n0, n1 = g["from"]["pages"], g["to"]["pages"]
        marginal = ("" if g["added_page_cost_ratio"] is None
                    else f", cost per added page x{g['added_page_cost_ratio']:.2f}")
        lines.append(
            f"{name}: {seconds(g['from']['seconds'])} at {n0:,} pages → "
            f"{seconds(g['to']['seconds'])} at {n1:,} (x{n1 / n0:.0f} pages); time per page "
            f"x{g['time_per_page_ratio']:.2f}{marginal} → "
            + ("SUPERLINEAR" if g["superlinear"] else "linear or better"))
    if "peak_rss" in growth:
        m = growth["peak_rss"]
        lines.append(
            f"peak RSS: {m['from']['mb']:.0f} MB at {m['from']['pages']:,} pages → "
            f"{m['to']['mb']:.0f} MB at {m['to']['pages']:,} (x{m['ratio']:.2f}) → "
            + ("GROWS WITH THE PAGE COUNT" if m["grows"] else "flat"))
    return lines


def curve_report(result: dict[str, Any], reports: list[dict[str, str]]) -> dict[str, str]:
    m = result["machine"]
    load = result["load_average"]
    head = (f"scale curve, {', '.join(f'{n:,}' for n in result['settings']['pages'])} pages "
            f"x 5 languages; {m['nproc']} x {m['cpu']}, {m['memory_gib']} GiB, Python "
            f"{m['python']} (bytecode {m.get('bytecode', 'as found')}); load average "
            f"{load['start'][0]:.2f} → {load['end'][0]:.2f}; "
            f"pipeline {result['pipeline']}")
    reps = result["settings"]["reps"]
    time_header = ["pages", *CURVE_STEPS, "per page (end to end)", "load"]
    rss_header = ["pages", *CURVE_STEPS, "end to end, all processes (PSS)"]
    time_rows, rss_rows = [], []
    for row in result["curve"]:
        e2e = row["seconds"]["end to end"]
        time_rows.append([f"{row['pages']:,}", *(seconds(row["seconds"][n]) for n in CURVE_STEPS),
                          "—" if e2e is None else f"{e2e / row['pages'] * 1000:.1f} ms",
                          f"{row['load_average']['start']:.2f} → {row['load_average']['end']:.2f}"])
        tree = row.get("tree_pss_mb", {}).get("end to end")
        rss_rows.append([f"{row['pages']:,}", *("—" if row["peak_rss_mb"][n] is None
                                                 else f"{row['peak_rss_mb'][n]:.0f} MB"
                                                 for n in CURVE_STEPS),
                         "—" if not tree else f"{tree:.0f} MB"])
    growth = growth_lines(result["growth"])
    loads = [v for row in result["curve"] for v in row["load_average"].values()]
    if max(loads) > m["nproc"] or max(loads) > 1.5 * max(min(loads), 0.5):
        growth.append(
            f"the load average went from {min(loads):.1f} to {max(loads):.1f} on "
            f"{m['nproc']} cores during the curve: a flag may be the machine's, not the "
            "code's; compare on a quiet machine")
    how = (f"Median of {reps} cold run(s) per stage (wall time, interpreter start included); "
           f"flagged SUPERLINEAR when the time per page grows more than x{SUPERLINEAR} from the "
           f"smallest size to the largest, or the cost per added page more than x{MARGINAL} "
           f"from the first interval to the last.")
    text = "\n\n".join([
        head, "median seconds\n" + text_table(time_header, time_rows),
        "peak RSS\n" + text_table(rss_header, rss_rows), "\n".join(growth)])
    markdown = "\n\n".join([
        f"Measured {result['date']}: {head}.",
        "Median seconds:", md_table(time_header, time_rows), how,
        "Peak RSS:", md_table(rss_header, rss_rows),
        "\n".join(f"- {line}" for line in growth),
        *(f"## {row['pages']:,} pages\n\n{report['markdown']}"
          for row, report in zip(result["curve"], reports, strict=True)),
    ])
    return {"text": text, "markdown": markdown}


def make_corpus(pages: int, seed: int, work: Path) -> tuple[CorpusInfo, int, float]:
    """The corpus, its message count and the seconds it took to generate."""
    t0 = time.perf_counter()
    info = generate(work / f"corpus-{pages}-{seed}", pages, seed)
    corpus_seconds = time.perf_counter() - t0
    messages = sum(1 for line in (Path(info.changed) / "locales" / "messages.pot").read_text(
        encoding="utf-8").splitlines() if line.startswith("msgid ")) - 1
    log(f"corpus: {info.blocks} blocks, {messages} messages, {len(info.changes)} of "
        f"{info.paragraphs} paragraphs changed ({corpus_seconds:.1f} s to generate)")
    return info, messages, corpus_seconds


def measure(args: argparse.Namespace, pages: int,
            work: Path) -> tuple[dict[str, Any], dict[str, str]]:
    """One corpus size, everything the options ask for: the record and its report."""
    started = time.time()
    load_start = os.getloadavg()
    work.mkdir(parents=True, exist_ok=True)
    info_machine = machine()
    version = pipeline_version()
    log(f"bench: {pages} pages x 5 languages, {args.reps} rep(s) of ours, peers capped at "
        f"{args.cap:.0f} s; load {load_start[0]:.2f}")
    info, messages, corpus_seconds = make_corpus(pages, args.seed, work)
    changed = Path(info.changed)

    updated = work / "ours-updated-locales"
    stages = time_stages(changed, work, args.reps, args.cap * 2, keep_updated=updated, log=log)
    drift = ({"skipped": "--no-drift"} if args.no_drift
             else drift_bench.run(info, work, args.cap * 2, log=log))
    e2e, e2e_how = time_end_to_end(changed, work, args.reps, args.cap * 2, log=log)
    one = (StageRuns("end to end, one CPU",
                     missing="--quick" if args.quick else "--no-one-cpu")
           if args.quick or args.no_one_cpu
           else time_one_cpu(changed, work, args.cap * 4, log=log))

    peers: list[PeerResult] = []
    if not args.no_peers:
        our_pot = updated / "messages.pot"
        for cls in PEERS:
            peer = cls(work / "peers", Path(info.base), changed, args.seed)
            peers.append(run_peer(peer, our_pot, args.cap, log=log))
    merged = next((p for p in peers if p.key == Msgmerge.key and "update" in p.runs
                   and p.runs["update"].ok), None)
    fuzzy = fuzzy_quality(info, changed / "locales",
                          updated if stages["update"].median is not None else None,
                          work / "peers" / Msgmerge.key / "out" if merged else None)

    # The last end-to-end run left a rendered site behind; else the last stage run did.
    rendered = next((r for r in (work / "ours-e2e", work / "ours")
                     if (r / "output" / "build").is_dir()), work / "ours-e2e")
    a11y: dict[str, Any] = {
        "sample": {"skipped": "--no-a11y"} if args.no_a11y else a11y_bench.run(
            rendered, work, args.a11y_pages, args.cap * 2, log=log, rounds=args.a11y_rounds),
        "incremental": {"skipped": "--quick"} if args.quick
        else time_incremental(rendered, args.cap * 2, log=log, real_a11y=not args.no_a11y),
    }
    incremental = a11y["incremental"]
    if incremental.get("a11y") == "pa11y" and incremental.get("rechecked_pages"):
        incremental["alone"] = bare = a11y_bench.alone(
            rendered, incremental["rechecked_pages"], args.cap * 2, work / "a11y-alone")
        log(f"  pa11y-ci alone on the same {bare['documents']} documents: "
            f"{bare.get('seconds', bare.get('failed'))}")

    load_end = os.getloadavg()
    result: dict[str, Any] = {
        "date": dt.date.today().isoformat(),
        "started": dt.datetime.fromtimestamp(started, dt.UTC).isoformat(timespec="seconds"),
        "wall_seconds": round(time.time() - started, 1),
        "machine": info_machine,
        "load_average": {"start": [round(x, 2) for x in load_start],
                         "end": [round(x, 2) for x in load_end]},
        "pipeline": version,
        "commit": commit(),
        "settings": {"pages": pages, "seed": args.seed, "reps": args.reps,
                     "cap_seconds": args.cap, "quick": args.quick,
                     "a11y_pages": args.a11y_pages, "a11y_rounds": args.a11y_rounds,
                     "cleanup": CLEANUP},
        "corpus": {"pages": info.pages, "languages": ["en", *info.languages],
                   "blocks": info.blocks, "messages": messages,
                   "paragraphs": info.paragraphs, "changed_paragraphs": len(info.changes),
                   "generate_seconds": round(corpus_seconds, 1)},
        "ours": {name: stages[name].to_dict() for name in STAGE_NAMES},
        "end_to_end": {**e2e.to_dict(), "how": e2e_how},
        "one_cpu": one_cpu_record(one, e2e),
        "peers": {p.key: p.to_dict() for p in peers},
        "fuzzy": {who: count.to_dict() for who, count in fuzzy.items()},
        "a11y": a11y,
        "drift": drift,
        "targets": TARGETS,
    }
    return result, render_report(result, stages, e2e, peers, fuzzy, a11y, args)


def one_cpu_record(one: StageRuns, e2e: StageRuns) -> dict[str, Any]:
    """The cold build on one CPU, with what it says of the runs on all of them: their
    speed-up over it, and the least time two CPUs could take (half of it: a split with
    no cost, nothing left serial)."""
    record: dict[str, Any] = {**one.to_dict(), "how": (
        "pipeline.build.build() as end to end, in a process confined to one CPU before "
        "it imports the pipeline (os.sched_setaffinity): no stage splits, no child "
        "meanwhile; the build's whole work, done once")}
    if one.median is not None and e2e.median is not None:
        record["speedup"] = round(one.median / e2e.median, 2)
        record["two_cpu_bound_seconds"] = round(one.median / 2, 2)
    if one.cpu_median is not None and e2e.cpu_median is not None:
        record["end_to_end_cpu_seconds"] = round(e2e.cpu_median, 2)
    return record


def one_cpu_line(record: dict[str, Any]) -> str:
    """The one-CPU build in a sentence."""
    if record.get("missing"):
        return f"cold build on one CPU: not run ({record['missing']})"
    if "speedup" not in record:
        return f"cold build on one CPU: {seconds(record.get('median_seconds'))}"
    cpu = ""
    if record.get("median_cpu_seconds") and record.get("end_to_end_cpu_seconds"):
        cpu = (f"; CPU time {record['median_cpu_seconds']:.1f} s on one CPU, "
               f"{record['end_to_end_cpu_seconds']:.1f} s on all (what the split costs "
               f"in work)")
    return (f"cold build on one CPU (the build's work, no split): "
            f"{seconds(record['median_seconds'])}; end to end on all CPUs is x"
            f"{record['speedup']:.2f} faster; two CPUs could at best halve it, "
            f"{seconds(record['two_cpu_bound_seconds'])}{cpu}")


def write_results(args: argparse.Namespace, stem: str, result: dict[str, Any],
                  report: dict[str, str], started: float) -> None:
    print("\n" + report["text"])
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / f"{stem}.json").write_text(
        json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    (args.results / f"{stem}.md").write_text(report["markdown"] + "\n", encoding="utf-8")
    log(f"\nwrote {args.results / stem}.json and .md in {time.time() - started:.0f} s")


def drift_only(args: argparse.Namespace, info: CorpusInfo, work: Path,
               started: float) -> int:
    """``--drift-only``: the drift scenario alone, in ``<date>-<N>p-drift.*``."""
    drift = drift_bench.run(info, work, args.cap * 2, log=log)
    date = dt.date.today().isoformat()
    result: dict[str, Any] = {"date": date, "machine": machine(), "pipeline": pipeline_version(),
              "load_average": [round(x, 2) for x in os.getloadavg()],
              "commit": commit(), "settings": {"pages": info.pages, "seed": args.seed},
              "drift": drift}
    line = drift_bench.summary(drift)
    head = (f"{info.pages} pages x 5 languages, seed {info.seed}; pipeline "
            f"{result['pipeline']}; load average {result['load_average'][0]:.2f}")
    write_results(args, f"{date}-{info.pages}p-drift", result,
                  {"text": f"{head}\n{line}", "markdown": f"Measured {date}: {head}.\n\n"
                   + line[0].upper() + line[1:] + "."}, started)
    return 0 if "failed" not in drift and drift["consistent"] else 1


def render_report(result: dict[str, Any], stages: dict[str, StageRuns], e2e: StageRuns,
                  peers: list[PeerResult], fuzzy: dict[str, FuzzyCount], a11y: dict[str, Any],
                  args: argparse.Namespace) -> dict[str, str]:
    m = result["machine"]
    c = result["corpus"]
    load = result["load_average"]
    head = (f"{c['pages']} pages x 5 languages (en + {', '.join(LANGUAGES)}), "
            f"{c['messages']} messages, {c['changed_paragraphs']} of {c['paragraphs']} "
            f"paragraphs changed; {m['nproc']} x {m['cpu']}, {m['memory_gib']} GiB, "
            f"Python {m['python']} (bytecode {m.get('bytecode', 'as found')}), node "
            f"{m['node']}; load average {load['start'][0]:.2f} → {load['end'][0]:.2f}; "
            f"pipeline {result['pipeline']}")
    stage_header = ["our stage", f"median of {args.reps}", "runs (s)", "in-process",
                    "peak RSS", "all processes (PSS)", "load"]
    srows = stage_rows(stages, e2e)
    peer_header = ["tool", *(label for _, label in PEER_STEPS), "peak RSS", "load"]
    prows = peer_rows(stages, peers, args.cap)
    targets = target_lines(stages, e2e, a11y, c["pages"], result["one_cpu"])
    one_line = one_cpu_line(result["one_cpu"])
    notes = "\n".join(f"{p.label}: {p.how}" for p in peers)
    def counted(count: FuzzyCount, right: str) -> str:
        if not count.eligible:
            return "not run"
        return f"{count.suggested}/{count.eligible} ({count.right} {right})"

    fuzzy_line = (
        "fuzzy suggestions for the changed paragraphs (x 4 languages, old text translated): "
        f"ours {counted(fuzzy['ours'], 'from the paragraph it was edited from')}, "
        f"msgmerge {counted(fuzzy['msgmerge'], 'from it')}")
    a11y_text = a11y_bench.summary(a11y)
    drift_text = drift_bench.summary(result["drift"])
    text = "\n\n".join([
        head,
        text_table(stage_header, srows)
        + f"\n(end to end: {result['end_to_end']['how']})\n{one_line}",
        f"side by side (peers 1 run, capped at {args.cap:.0f} s; (x) = peer ÷ ours)\n"
        + text_table(peer_header, prows) + "\n" + notes,
        fuzzy_line, drift_text, a11y_text, "\n".join(targets),
    ])
    markdown = "\n\n".join([
        f"Measured {result['date']}: {head}.",
        md_table(stage_header, srows),
        f"End to end: {result['end_to_end']['how']}. {one_line[0].upper() + one_line[1:]}. "
        f"{CLEANUP[0].upper() + CLEANUP[1:]}.",
        md_table(peer_header, prows),
        f"Peers: 1 run each, capped at {args.cap:.0f} s; (x) is the peer's time ÷ ours.\n\n"
        + "\n".join(f"- {p.label}: {p.how}" for p in peers),
        fuzzy_line[0].upper() + fuzzy_line[1:] + ".",
        drift_text[0].upper() + drift_text[1:] + ".", a11y_text,
        "\n".join(f"- {t}" for t in targets),
    ])
    return {"text": text, "markdown": markdown}


def target_lines(stages: dict[str, StageRuns], e2e: StageRuns,
                 a11y: dict[str, Any], pages: int,
                 one_cpu: dict[str, Any] | None = None) -> list[str]:
    def verdict(ok: bool | None) -> str:
        return "not measured" if ok is None else ("met" if ok else "MISSED")

    build = e2e.median
    peaks = [s.peak_rss_mb for s in (*stages.values(), e2e) if s.peak_rss_mb]
    peak = max(peaks) if peaks else None
    trees = [s.tree_pss_mb for s in (*stages.values(), e2e) if s.tree_pss_mb]
    together = (f" (the largest process; all of a build's processes together: "
                f"{max(trees):.0f} MB PSS)" if trees else "")
    one = one_cpu or {}
    bound = one.get("two_cpu_bound_seconds")
    lines = [
        f"target full non-a11y build ≤ {TARGETS['build_seconds']:.0f} s: {seconds(build)} → "
        f"{verdict(None if build is None else build <= TARGETS['build_seconds'])}"
        + ("" if bound is None else f" (on one CPU {seconds(one['median_seconds'])}: "
           f"two CPUs at best {seconds(bound)})"),
        f"target peak RSS ≤ {TARGETS['peak_rss_mb']:.0f} MB: "
        f"{'—' if peak is None else f'{peak:.0f} MB'}{together} → "
        f"{verdict(None if peak is None else peak <= TARGETS['peak_rss_mb'])}",
    ]
    lines += a11y_bench.target_lines(a11y, TARGETS, verdict)
    if pages != DEFAULT_PAGES:
        lines.append(f"(the targets are set for {DEFAULT_PAGES:,} pages; this run has {pages:,})")
    return lines


if __name__ == "__main__":
    sys.exit(main())

