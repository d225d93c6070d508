"""The benchmark: ``python -m bench.run [--pages N] [--quick] [--reps N]``.

corpus (``bench.corpus``) → our stages, each in its own process, median of
``--reps`` cold runs (``bench.ours``) → the drift scenario (``bench.drift``) → the
peers, one run each, capped (``bench.peers``) → fuzzy-match quality against
msgmerge → the accessibility sample and the incremental build (``bench.a11y``) → a
table on the terminal, ``bench/results/<date>.json`` (every run, medians, peak
RSS, machine, versions, load) and ``bench/results/<date>.md`` (the table the
README quotes). Runs with other sizes than the default write ``<date>-<N>p.*``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import a11y as a11y_bench
from bench import drift as drift_bench
from bench.corpus import LANGUAGES, CorpusInfo, generate
from bench.ours import (
    STAGE_NAMES,
    StageRuns,
    time_end_to_end,
    time_incremental,
    time_stages,
)
from bench.peers import PEERS, Msgmerge, PeerResult, run_peer

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
DEFAULT_PAGES = 1000
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
    }


def pipeline_version() -> str:
    commit = _first_line(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"])
    dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "pipeline"],
                           capture_output=True, text=True, check=False).stdout.strip()
    return commit + (" + uncommitted changes in pipeline/" if dirty else "")


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
    from pipeline.pofile import Catalog, read_po

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


def peer_cell(result: PeerResult, step: str, ours: float | None, cap: float) -> str:
    if result.unavailable:
        return "cannot run"
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
            rows.append([stage.name, stage.missing, "", "", ""])
            continue
        runs = " ".join(f"{r.seconds:.2f}" for r in stage.runs)
        inner = (f"{sorted(stage.inner)[len(stage.inner) // 2]:.2f} s" if stage.inner else "")
        rows.append([stage.name, seconds(stage.median), runs, inner,
                     f"{stage.peak_rss_mb:.0f} MB" if stage.peak_rss_mb else ""])
    return rows


def peer_rows(stages: dict[str, StageRuns], peers: list[PeerResult],
              cap: float) -> list[list[str]]:
    ours = {step: stages[step].median for step, _ in PEER_STEPS}
    rows = [["ours (pipeline)", *(seconds(ours[s]) if ours[s] is not None
                                  else stages[s].missing for s, _ in PEER_STEPS), ""]]
    for result in peers:
        peak = max((r.peak_rss_mb for r in result.runs.values() if r.ok), default=0.0)
        label = f"{result.label} {result.version}" if result.version else result.label
        if result.unavailable:
            rows.append([label, f"cannot run: {result.unavailable}", "", "", ""])
            continue
            continue
        rows.append([label, *(peer_cell(result, s, ours[s], cap) for s, _ in PEER_STEPS),
                     f"{peak:.0f} MB" if peak else ""])
    return rows


# --- main ------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=None,
                        help=f"pages in the corpus (default {DEFAULT_PAGES}, 100 with --quick)")
    parser.add_argument("--quick", action="store_true",
                        help="1 repetition, a small a11y sample, no incremental run")
    parser.add_argument("--reps", type=int, default=None, help="runs of our stages (default 3)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cap", type=float, default=300.0, help="seconds per peer step")
    parser.add_argument("--a11y-pages", type=int, default=None,
                        help="pages in the a11y sample, x 5 languages (default 10, 5 quick)")
    parser.add_argument("--no-peers", action="store_true")
    parser.add_argument("--no-a11y", action="store_true")
    parser.add_argument("--no-drift", action="store_true",
                        help="skip the drift scenario (edit, add paragraphs, rebuild)")
    parser.add_argument("--drift-only", action="store_true",
                        help="only the drift scenario: no stage timings, peers or a11y")
    parser.add_argument("--work", type=Path, default=BENCH / "work")
    parser.add_argument("--results", type=Path, default=BENCH / "results")
    args = parser.parse_args(argv)
    args.pages = args.pages or (100 if args.quick else DEFAULT_PAGES)
    args.reps = args.reps or (1 if args.quick else 3)
    args.a11y_pages = args.a11y_pages or (5 if args.quick else 10)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.time()
    load_start = os.getloadavg()
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    info_machine = machine()
    version = pipeline_version()
    log(f"bench: {args.pages} pages x 5 languages, {args.reps} rep(s) of ours, peers capped at "
        f"{args.cap:.0f} s; load {load_start[0]:.2f}")

    t0 = time.perf_counter()
    corpus_dir = work / f"corpus-{args.pages}-{args.seed}"
    info = generate(corpus_dir, args.pages, args.seed)
    corpus_seconds = time.perf_counter() - t0
    changed = Path(info.changed)
    messages = sum(1 for line in (changed / "locales" / "messages.pot").read_text(
        encoding="utf-8").splitlines() if line.startswith("msgid ")) - 1
    log(f"corpus: {info.blocks} blocks, {messages} messages, {len(info.changes)} of "
        f"{info.paragraphs} paragraphs changed ({corpus_seconds:.1f} s to generate)")

    if args.drift_only:
        return drift_only(args, info, work, started)

    updated = work / "ours-updated-locales"
    stages = time_stages(changed, work, args.reps, args.cap * 2, keep_updated=updated, log=log)
    drift = ({"skipped": "--no-drift"} if args.no_drift
             else drift_bench.run(info, work, args.cap * 2, log=log))
    e2e, e2e_how = time_end_to_end(changed, work, args.reps, args.cap * 2, log=log)

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
            rendered, work, args.a11y_pages, args.cap * 2, log=log),
        "incremental": {"skipped": "--quick or --no-a11y"} if args.quick or args.no_a11y
        else time_incremental(rendered, args.cap * 2, log=log),
    }

    load_end = os.getloadavg()
    date = dt.date.today().isoformat()
    result: dict[str, Any] = {
        "date": date,
        "started": dt.datetime.fromtimestamp(started, dt.UTC).isoformat(timespec="seconds"),
        "wall_seconds": round(time.time() - started, 1),
        "machine": info_machine,
        "load_average": {"start": [round(x, 2) for x in load_start],
                         "end": [round(x, 2) for x in load_end]},
        "pipeline": version,
        "settings": {"pages": args.pages, "seed": args.seed, "reps": args.reps,
                     "cap_seconds": args.cap, "quick": args.quick,
                     "a11y_pages": args.a11y_pages},
        "corpus": {"pages": info.pages, "languages": ["en", *info.languages],
                   "blocks": info.blocks, "messages": messages,
                   "paragraphs": info.paragraphs, "changed_paragraphs": len(info.changes),
                   "generate_seconds": round(corpus_seconds, 1)},
        "ours": {name: stages[name].to_dict() for name in STAGE_NAMES},
        "end_to_end": {**e2e.to_dict(), "how": e2e_how},
        "peers": {p.key: p.to_dict() for p in peers},
        "fuzzy": {who: count.to_dict() for who, count in fuzzy.items()},
        "a11y": a11y,
        "drift": drift,
        "targets": TARGETS,
    }
    report = render_report(result, stages, e2e, peers, fuzzy, a11y, args)
    stem = date + ("" if args.pages == DEFAULT_PAGES and not args.quick
                             else f"-{args.pages}p")
    write_results(args, stem, result, report, started)
    return 0


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
    result = {"date": date, "machine": machine(), "pipeline": pipeline_version(),
              "load_average": [round(x, 2) for x in os.getloadavg()],
              "settings": {"pages": args.pages, "seed": args.seed}, "drift": drift}
    line = drift_bench.summary(drift)
    head = (f"{info.pages} pages x 5 languages, seed {info.seed}; pipeline "
            f"{result['pipeline']}; load average {result['load_average'][0]:.2f}")
    write_results(args, f"{date}-{args.pages}p-drift", result,
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
            f"Python {m['python']}, node {m['node']}; load average "
            f"{load['start'][0]:.2f} → {load['end'][0]:.2f}; pipeline {result['pipeline']}")
    stage_header = ["our stage", f"median of {args.reps}", "runs (s)", "in-process",
                    "peak RSS"]
    srows = stage_rows(stages, e2e)
    peer_header = ["tool", *(label for _, label in PEER_STEPS), "peak RSS"]
    prows = peer_rows(stages, peers, args.cap)
    targets = target_lines(stages, e2e, a11y, args.pages)
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
        text_table(stage_header, srows) + f"\n(end to end: {result['end_to_end']['how']})",
        f"side by side (peers 1 run, capped at {args.cap:.0f} s; (x) = peer ÷ ours)\n"
        + text_table(peer_header, prows) + "\n" + notes,
        fuzzy_line, drift_text, a11y_text, "\n".join(targets),
    ])
    markdown = "\n\n".join([
        f"Measured {result['date']}: {head}.",
        md_table(stage_header, srows),
        f"End to end: {result['end_to_end']['how']}.",
        md_table(peer_header, prows),
        f"Peers: 1 run each, capped at {args.cap:.0f} s; (x) is the peer's time ÷ ours.\n\n"
        + "\n".join(f"- {p.label}: {p.how}" for p in peers),
        fuzzy_line[0].upper() + fuzzy_line[1:] + ".",
        drift_text[0].upper() + drift_text[1:] + ".", a11y_text,
        "\n".join(f"- {t}" for t in targets),
    ])
    return {"text": text, "markdown": markdown}


def target_lines(stages: dict[str, StageRuns], e2e: StageRuns,
                 a11y: dict[str, Any], pages: int) -> list[str]:
    def verdict(ok: bool | None) -> str:
        return "not measured" if ok is None else ("met" if ok else "MISSED")

    build = e2e.median
    peaks = [s.peak_rss_mb for s in (*stages.values(), e2e) if s.peak_rss_mb]
    peak = max(peaks) if peaks else None
    lines = [
        f"target full non-a11y build ≤ {TARGETS['build_seconds']:.0f} s: {seconds(build)} → "
        f"{verdict(None if build is None else build <= TARGETS['build_seconds'])}",
        f"target peak RSS ≤ {TARGETS['peak_rss_mb']:.0f} MB: "
        f"{'—' if peak is None else f'{peak:.0f} MB'} → "
        f"{verdict(None if peak is None else peak <= TARGETS['peak_rss_mb'])}",
    ]
    lines += a11y_bench.target_lines(a11y, TARGETS, verdict)
    if pages != DEFAULT_PAGES:
        lines.append(f"(the targets are set for {DEFAULT_PAGES:,} pages; this run has {pages:,})")
    return lines


if __name__ == "__main__":
    sys.exit(main())

