"""Accessibility sample and incremental build: a rendered corpus root → pages/second.

The sample is the first N pages in every language of a rendered corpus. Our
``run_a11y`` (in its own process, reports off) checks it, and bare ``pa11y-ci``
checks the same URLs with the same generated config (standard, runners, Chromium,
concurrency), served the same way, in turn: ours then bare, then bare then ours
(``ROUNDS``). The difference of their sums is the wrapper's overhead (HTML parsing,
language checks, tracing findings to sources). A stage that has not landed yet is
reported as "not yet built".
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import signal
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.proc import Run, last_json, run_timed

REPO = Path(__file__).resolve().parent.parent
TOKEN_ENV = "BENCH_PA11Y_RUN"
# Rounds of the sample: ours then bare, then bare then ours (ABBA), and so on. One run
# each side, ours always first, read +10.1 % once where three interleaved pairs taken
# right after read +3.8, +10.5 and -5.8 %: pa11y's own spread from run to run (86 to
# 103 s for the same code within an hour) is wider than the target's margin, and a
# drift of the machine's speed over the sample's minutes falls on one side only.
ROUNDS = 2


def available(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def sample_pages(root: Path, pages: int) -> list[str]:
    """The first ``pages`` slugs, in every rendered language: paths under output/build."""
    build = root / "output" / "build"
    languages = sorted(p.name for p in build.iterdir() if p.is_dir())
    first = sorted(p.name for p in (build / languages[0]).glob("*.html")
                   if p.name != "index.html")[:pages]
    return [f"{lang}/{name}" for lang in languages for name in first
            if (build / lang / name).is_file()]


# --- the child: our wrapper --------------------------------------------------------


def child(root: Path, pages_file: Path, concurrency: int) -> dict[str, Any]:
    from pipeline.config import load_config
    from pipeline.stages.a11y import run_a11y

    pages = json.loads(pages_file.read_text(encoding="utf-8"))
    start = time.perf_counter()
    result = run_a11y(load_config(root), pages, concurrency=concurrency)
    return {"seconds": time.perf_counter() - start, "pages": len(result.pages),
            "passed": result.passed, "errors": result.count("error")}


# --- the parent --------------------------------------------------------------------


def _stop_browsers(token: str) -> None:
    """Chromium that pa11y-ci started detached, found by this run's token; ours only."""
    needle = f"{TOKEN_ENV}={token}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(int(entry.name), signal.SIGKILL)


def bare_pa11y(root: Path, pages: list[str], concurrency: int, cap: float,
               work: Path, served: str = "build") -> tuple[Run, int]:
    """pa11y-ci alone on the same URLs and config as ours; ``pages`` relative to
    ``output/<served>``."""
    from pipeline.config import load_config
    from pipeline.infra.server import StaticServer
    from pipeline.stages.a11y.runner import find_chromium, find_pa11y_ci, pa11y_config

    config = load_config(root)
    chromium, _ = find_chromium(config)
    pa11y_ci = find_pa11y_ci(config)
    work.mkdir(parents=True, exist_ok=True)
    config_file = work / "pa11y-ci.json"
    token = uuid.uuid4().hex
    with StaticServer(root / "output" / served) as server:
        urls = [server.url(page) for page in pages]
        config_file.write_text(json.dumps(pa11y_config(
            urls, standard=config.a11y.standard, chromium=chromium,
            timeout_s=config.a11y.timeout, concurrency=concurrency), indent=2),
            encoding="utf-8")
        try:
            run = run_timed([str(pa11y_ci), "--json", "--config", str(config_file)],
                            cwd=work, cap=cap, keep=0,
                            env={TOKEN_ENV: token, "PUPPETEER_SKIP_DOWNLOAD": "1"})
        finally:
            _stop_browsers(token)
    checked = 0
    with contextlib.suppress(ValueError):
        start = run.output.index("{")
        checked = len(json.loads(run.output[start:]).get("results", {}))
    return run, checked


def alone(root: Path, documents: list[str], cap: float, work: Path) -> dict[str, Any]:
    """pa11y-ci alone on the documents an incremental build checked (paths as the build
    shows them, under output/), with our concurrency: what the build's time outside
    pa11y is, counted against a pa11y run that shares its CPUs with nothing of ours (the
    build's own pa11y run may share them with work of the build meanwhile)."""
    from pipeline.config import load_config
    from pipeline.stages.a11y.runner import default_concurrency
    from pipeline.stages.a11y.targets import pending_report

    config = load_config(root)
    concurrency = config.a11y.concurrency or default_concurrency()
    # The build checks its a11y report as it was before the final one was written (a few
    # KB; the final one lists every document): that one, which it leaves in the cache.
    pending = pending_report(config).relative_to(root / "output").as_posix()
    pages = [pending if d == "output/reports/a11y.html" else d.removeprefix("output/")
             for d in documents]
    run, checked = bare_pa11y(root, pages, concurrency, cap, work, served="")
    out: dict[str, Any] = {"documents": len(pages), "checked": checked, "run": run.to_dict()}
    if run.returncode in (0, 2) and not run.capped and checked == len(pages):
        out["seconds"] = round(run.seconds, 3)
    else:
        out["failed"] = "capped" if run.capped else f"exit {run.returncode}"
    return out


def run(root: Path, work: Path, pages: int, cap: float,
        log: Callable[[str], None] = print, rounds: int = ROUNDS) -> dict[str, Any]:
    """The a11y sample on ``root`` (rendered)."""
    if not available("pipeline.stages.a11y"):
        return {"missing": "not yet built"}
    if not (root / "output" / "build").is_dir():
        return {"missing": "no rendered site to check (render did not run)"}
    return sample(root, work / "a11y", pages, cap, log, rounds)


def sample(root: Path, work: Path, pages: int, cap: float,
           log: Callable[[str], None], rounds: int = ROUNDS) -> dict[str, Any]:
    from pipeline.config import load_config
    from pipeline.stages.a11y.runner import default_concurrency

    concurrency = load_config(root).a11y.concurrency or default_concurrency()
    chosen = sample_pages(root, pages)
    work.mkdir(parents=True, exist_ok=True)
    pages_file = work / "pages.json"
    pages_file.write_text(json.dumps(chosen), encoding="utf-8")
    result: dict[str, Any] = {
        "pages": len(chosen), "languages": len({p.split("/")[0] for p in chosen}),
        "concurrency": concurrency, "rounds": rounds, "ours": [], "bare": [],
    }
    for n in range(rounds):
        for side in ("ours", "bare") if n % 2 == 0 else ("bare", "ours"):
            outcome = (_ours(root, pages_file, chosen, concurrency, cap, log)
                       if side == "ours" else _bare(root, chosen, concurrency, cap, work, log))
            if isinstance(outcome, str):  # why it failed: no overhead without every run
                result[f"{side}_failed"] = outcome
                return result
            result[side].append(outcome)
    ours = sum(r["seconds"] for r in result["ours"])
    bare = sum(r["seconds"] for r in result["bare"])
    result["ours_pages_per_second"] = round(len(chosen) * rounds / ours, 2)
    result["bare_pages_per_second"] = round(len(chosen) * rounds / bare, 2)
    result["ours_passed"] = all(r["passed"] for r in result["ours"])
    # Each round's reading too: the spread the one figure hides.
    result["overheads"] = [round(o["seconds"] / b["seconds"] - 1, 3)
                           for o, b in zip(result["ours"], result["bare"], strict=True)]
    result["overhead"] = round(ours / bare - 1, 3)
    return result


def _ours(root: Path, pages_file: Path, chosen: list[str], concurrency: int, cap: float,
          log: Callable[[str], None]) -> dict[str, Any] | str:
    """Our ``run_a11y`` in a process of its own: its run, or why it failed."""
    ours = run_timed([sys.executable, "-m", "bench.a11y", str(root), str(pages_file),
                      str(concurrency)], cwd=REPO, cap=cap)
    log(f"  a11y ours: {len(chosen)} pages, {ours.seconds:.1f} s, exit {ours.returncode}")
    inner = last_json(ours.output)
    if inner is None or ours.returncode != 0:
        tail = ours.output.strip().splitlines()[-1:] or [""]
        return "capped" if ours.capped else tail[0][:300]
    return {**ours.to_dict(), "passed": inner["passed"]}


def _bare(root: Path, chosen: list[str], concurrency: int, cap: float, work: Path,
          log: Callable[[str], None]) -> dict[str, Any] | str:
    """Bare pa11y-ci on the same pages: its run, or why it failed."""
    bare, checked = bare_pa11y(root, chosen, concurrency, cap, work)
    log(f"  a11y bare pa11y-ci: {checked} pages, {bare.seconds:.1f} s, exit {bare.returncode}")
    # pa11y-ci exits 2 when it found issues: that is a finished run.
    if bare.returncode not in (0, 2) or bare.capped or checked != len(chosen):
        return "capped" if bare.capped else f"exit {bare.returncode}"
    return {**bare.to_dict(), "checked": checked}


def summary(a11y: dict[str, Any]) -> str:
    lines = []
    s = a11y.get("sample", {})
    if "skipped" in s:
        lines.append(f"a11y sample: skipped ({s['skipped']})")
    elif "missing" in s:
        lines.append(f"a11y sample: {s['missing']}")
    else:
        head = (f"a11y sample: {s['pages']} pages ({s['pages'] // max(s['languages'], 1)} "
                f"pages x {s['languages']} languages), concurrency {s['concurrency']}, "
                + (f"{s['rounds']} round(s), ours and bare pa11y-ci in turn (ABBA): "
                   if s.get("rounds", 1) > 1 else "ours then bare pa11y-ci: "))
        if "overhead" in s:
            def runs(side: str) -> str:
                return " + ".join(f"{r['seconds']:.1f} s (load {r['load_1min']:.1f})"
                                  for r in s[side])
            lines.append(
                head + f"ours {runs('ours')} = {s['ours_pages_per_second']} pages/s, bare "
                f"pa11y-ci {runs('bare')} = {s['bare_pages_per_second']} pages/s; wrapper "
                f"overhead {s['overhead']:+.1%} (round by round: "
                f"{', '.join(f'{o:+.1%}' for o in s['overheads'])})")
        else:
            failed = "; ".join(f"{side} failed: {s[f'{side}_failed']}"
                               for side in ("ours", "bare") if f"{side}_failed" in s)
            lines.append(head + (failed or "not measured"))
    incremental = a11y.get("incremental", {})
    if "missing" in incremental:
        lines.append(f"incremental build: {incremental['missing']}")
    elif "skipped" in incremental:
        lines.append(f"incremental build: skipped ({incremental['skipped']})")
    elif "seconds" in incremental and incremental.get("a11y") == "stand-in":
        lines.append(
            f"incremental build (one paragraph of {incremental['edited']} edited, a11y "
            f"stand-in): {incremental['seconds']:.2f} s (load "
            f"{incremental['run']['load_1min']:.1f}), peak RSS "
            f"{incremental['run']['peak_rss_mb']:.0f} MB (all processes: "
            f"{incremental['run'].get('tree_pss_mb', 0):.0f} MB PSS); "
            f"{incremental['rendered']} page(s) rendered again, "
            f"{incremental['rechecked']} document(s) the a11y stage would check")
    elif "seconds" in incremental:
        lines.append(
            f"incremental build (one paragraph of {incremental['edited']} edited): "
            f"{incremental['seconds']:.1f} s (load {incremental['run']['load_1min']:.1f}), "
            f"peak RSS {incremental['run']['peak_rss_mb']:.0f} MB (all processes: "
            f"{incremental['run'].get('tree_pss_mb', 0):.0f} MB PSS), "
            f"{incremental.get('verdict', 'verdict unknown')}, "
            f"of which pa11y {incremental['a11y_seconds']:.1f} s "
            f"on {incremental['rechecked']} page(s): "
            f"{', '.join(incremental['rechecked_pages'])}")
        bare = incremental.get("alone", {})
        if (outside := _outside_alone(incremental)) is not None:
            lines.append(
                f"pa11y-ci alone on those {bare['documents']} documents: "
                f"{bare['seconds']:.1f} s (load {bare['run']['load_1min']:.1f}); the "
                f"build's time outside that: {outside:.2f} s (work the build does "
                f"beside its own pa11y run is counted here, not hidden in pa11y's time)")
        elif "failed" in bare:
            lines.append(f"pa11y-ci alone on those documents: failed ({bare['failed']})")
    elif "failed" in incremental:
        lines.append(f"incremental build: failed ({incremental['failed']})")
    floor = incremental.get("floor", {})
    if "seconds" in floor:
        lines.append(
            f"its floor (bench.floor): the edit changed {floor['files']} files, "
            f"{floor['megabytes']} MB; importing the pipeline ({floor['import_seconds']:.2f} s), "
            f"writing those bytes again ({floor['write_seconds']:.2f} s) and linking the "
            f"{floor['links']} files of the site ({floor['link_seconds']:.2f} s) alone take "
            f"{floor['seconds']:.2f} s")
    return "\n".join(lines)


def _outside_alone(incremental: dict[str, Any]) -> float | None:
    """The incremental build's time outside pa11y-ci alone on its documents, if both
    were measured."""
    bare = incremental.get("alone", {}).get("seconds")
    return None if bare is None or "seconds" not in incremental else (
        incremental["seconds"] - bare)


def target_lines(a11y: dict[str, Any], targets: dict[str, float],
                 verdict: Callable[[bool | None], str]) -> list[str]:
    overhead = a11y.get("sample", {}).get("overhead")
    incremental = a11y.get("incremental", {})
    seconds = incremental.get("without_a11y_seconds")
    outside = _outside_alone(incremental)
    against = ("" if seconds is None or outside is None else
               f" ({outside:.2f} s against pa11y-ci alone on the same documents)")
    return [
        f"target a11y wrapper overhead ≤ {targets['a11y_overhead']:.0%}: "
        f"{'—' if overhead is None else f'{overhead:+.1%}'} → "
        f"{verdict(None if overhead is None else overhead <= targets['a11y_overhead'])}",
        f"target one-page incremental build ≤ {targets['incremental_seconds']:.0f} s + pa11y "
        f"(time outside pa11y): "
        f"{'—' if seconds is None else f'{seconds:.2f} s'}{against} → "
        f"{verdict(None if seconds is None else seconds <= targets['incremental_seconds'])}",
    ]


def main() -> None:
    root, pages_file, concurrency = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
    print(json.dumps(child(root, pages_file, concurrency)))


if __name__ == "__main__":
    main()
