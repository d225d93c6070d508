"""Our stages on the corpus: a content root → one timed child process per stage.

``python -m bench.ours STAGE ROOT`` is the child: it loads the config, calls the
stage function once and prints one JSON line (the in-process seconds). The parent
(``time_stages``) starts from a fresh copy of the corpus for every repetition, so
each run does the full work (a cold build), and reads peak RSS per child.

A stage whose module has not landed yet is reported as "not yet built", never dropped.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import floor
from bench.proc import Run, last_json, run_timed, set_aside

REPO = Path(__file__).resolve().parent.parent

# (name, module, function): the order of a build.
STAGES: tuple[tuple[str, str, str], ...] = (
    ("extract", "pipeline.stages.extract", "extract"),
    ("update", "pipeline.stages.update", "update_catalogs"),
    ("check", "pipeline.stages.check", "run_checks"),
    ("readability", "pipeline.stages.readability", "run_readability"),
    ("render", "pipeline.stages.render", "render_site"),
    ("publish", "pipeline.stages.publish", "publish"),
)
STAGE_NAMES = tuple(name for name, _, _ in STAGES)
# The commands an editor runs before a build (``pipeline extract``, ``pipeline update``):
# the stage with what the build cache keeps (pipeline.build), as the CLI calls it.
COMMANDS: dict[str, str] = {"extract-command": "extract_step", "update-command": "update_step"}


def stage_available(name: str) -> bool:
    module = {n: m for n, m, _ in STAGES}[name]
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def stand_in_a11y_result(root: Path) -> None:
    """What publish needs to see from a11y, which the bench times separately on a sample."""
    reports = root / "output" / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    (reports / "a11y.json").write_text(
        json.dumps({"passed": True, "errors": 0, "note": "stand-in written by bench"}) + "\n",
        encoding="utf-8",
    )


# --- the child -------------------------------------------------------------------


def _call(name: str, config: Any) -> Any:
    module_name, function_name = next((m, f) for n, m, f in STAGES if n == name)
    module = importlib.import_module(module_name)
    function: Callable[[Any], Any] = getattr(module, function_name)
    if name == "publish":
        stand_in_a11y_result(config.root)
    return function(config)


def stand_in_run_a11y(config: Any, pages: Any = None, **_: Any) -> Any:
    """For the non-a11y build: every page recorded as checked and passed, nothing run.

    The a11y stage is timed on its own, on a sample (pa11y on 5,000 pages would take
    over an hour); the build around it stays the real ``pipeline.build``.
    """
    from pipeline.models.a11y import A11yResult, PageResult

    build = config.rel(config.output_dir / "build")
    names = tuple(p if p.startswith(f"{config.output}/") else f"{build}/{p}"
                  for p in pages or ())
    return A11yResult(
        findings=(), needs_review=(),
        results=tuple(PageResult(n, n, "", 0, 0, 0, 0, True) for n in names),
        runners=(), runner_versions={}, pa11y_ci_version="stand-in", pages=names,
        standard=config.a11y.standard, warnings_gate=False, chromium="", baseline=None,
    )


def _build(config: Any, real_a11y: bool) -> dict[str, Any]:
    """``pipeline.build.build``; with the real a11y stage, its share of the time too."""
    import pipeline.build
    from pipeline.build import build

    # The build calls the stage through its own name for it.
    spent = {"seconds": 0.0}
    # By attribute name: the build imports the stage's function without re-exporting it.
    if real_a11y:
        real = getattr(pipeline.build, "run_a11y")  # noqa: B009

        def timed(config: Any, pages: Any = None, **options: Any) -> Any:
            start = time.perf_counter()
            try:
                return real(config, pages, **options)
            finally:
                spent["seconds"] += time.perf_counter() - start

        setattr(pipeline.build, "run_a11y", timed)  # noqa: B010
    else:
        setattr(pipeline.build, "run_a11y", stand_in_run_a11y)  # noqa: B010
    result = build(config)
    # Lists only when short (the incremental build): the line must stay readable.
    return {"verdict": result.verdict, "rendered": len(result.rendered),
            "a11y_checked": list(result.a11y_checked) if real_a11y
            else len(result.a11y_checked),
            "a11y_reused": result.a11y_reused, "a11y_seconds": spent["seconds"]}


# The non-a11y build confined to one CPU: the build's whole work done in one process (no
# split, no child meanwhile), which two CPUs can at best halve.
ONE_CPU = "build-one-cpu"


def one_cpu() -> int:
    """Confine this process (and what it starts) to its first allowed CPU; that CPU."""
    first = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {first})
    return first


def child(stage: str, root: Path) -> dict[str, Any]:
    """Run one stage; ``chain``: every available stage in one process; ``build`` and
    ``build-no-a11y``: the orchestrator, with the real or a stand-in a11y stage;
    ``ONE_CPU``: ``build-no-a11y`` on one CPU; a ``COMMANDS`` name: that command's
    function."""
    pinned: dict[str, int] = {}
    if stage == ONE_CPU:
        # Before anything is imported or started: the pipeline sees one CPU, as on a
        # one-CPU machine (``pipeline.infra.workload.cpus``).
        pinned = {"cpu": one_cpu()}
        stage = "build-no-a11y"
    start = time.perf_counter()
    from pipeline.config import load_config

    config = load_config(root)
    extra: dict[str, Any] = {}
    if stage in ("build", "build-no-a11y"):
        names = [stage]
        imported = time.perf_counter()
        extra = _build(config, real_a11y=stage == "build")
    elif stage in COMMANDS:
        names = [stage]
        command = getattr(importlib.import_module("pipeline.build"), COMMANDS[stage])
        imported = time.perf_counter()
        command(config)
    else:
        names = [n for n in STAGE_NAMES if stage_available(n)] if stage == "chain" else [stage]
        imported = time.perf_counter()
        for name in names:
            _call(name, config)
    done = time.perf_counter()
    return {"stage": stage, "stages": names, "seconds": done - imported,
            "startup_seconds": imported - start, "cpus": len(os.sched_getaffinity(0)),
            **pinned, **extra}


# --- the parent ------------------------------------------------------------------


@dataclass
class StageRuns:
    name: str
    runs: list[Run] = field(default_factory=list)
    inner: list[float] = field(default_factory=list)  # in-process seconds
    missing: str = ""  # why it did not run: "not yet built", "failed: …"

    @property
    def median(self) -> float | None:
        ok = [r.seconds for r in self.runs if r.ok]
        return statistics.median(ok) if ok and not self.missing else None

    @property
    def cpu_median(self) -> float | None:
        """The median of the runs' CPU time (``Run.cpu_seconds``), all processes."""
        ok = [r.cpu_seconds for r in self.runs if r.ok and r.cpu_seconds]
        return statistics.median(ok) if ok and not self.missing else None

    @property
    def peak_rss_mb(self) -> float | None:
        ok = [r.peak_rss_mb for r in self.runs if r.ok]
        return max(ok) if ok else None

    @property
    def tree_pss_mb(self) -> float | None:
        """All its processes together (``Run.tree_pss_mb``), at the largest run's peak."""
        ok = [r.tree_pss_mb for r in self.runs if r.ok and r.tree_pss_mb]
        return max(ok) if ok else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "runs": [r.to_dict() for r in self.runs],
            "in_process_seconds": [round(s, 3) for s in self.inner],
            "median_seconds": None if self.median is None else round(self.median, 3),
            "median_cpu_seconds": None if self.cpu_median is None else round(self.cpu_median, 2),
            "peak_rss_mb": None if self.peak_rss_mb is None else round(self.peak_rss_mb, 1),
            "tree_pss_mb": None if self.tree_pss_mb is None else round(self.tree_pss_mb, 1),
            **({"missing": self.missing} if self.missing else {}),
        }


def fresh_root(source: Path, target: Path) -> Path:
    """A copy of a corpus content root with no output, so the next run is a cold one (an
    earlier one set aside, not removed: ``bench.proc.set_aside``)."""
    set_aside(target)
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("output"))
    return target


def run_child(stage: str, root: Path, cap: float) -> tuple[Run, float | None]:
    run, report = run_child_report(stage, root, cap)
    return run, None if report is None else float(report["seconds"])


def run_child_report(stage: str, root: Path, cap: float) -> tuple[Run, dict[str, Any] | None]:
    """The child's run and the JSON line it printed (None if it failed)."""
    run = run_timed([sys.executable, "-m", "bench.ours", stage, str(root)], cwd=REPO, cap=cap)
    return run, last_json(run.output) if run.ok else None


def time_stages(corpus_root: Path, work: Path, reps: int, cap: float,
                keep_updated: Path | None = None,
                log: Callable[[str], None] = print) -> dict[str, StageRuns]:
    """Each rep: a fresh copy of ``corpus_root``, then every stage in build order."""
    results = {name: StageRuns(name) for name in STAGE_NAMES}
    if keep_updated is not None and keep_updated.exists():
        set_aside(keep_updated)  # never compare against an earlier run's catalogs
    for name in STAGE_NAMES:
        if not stage_available(name):
            results[name].missing = "not yet built"
    for rep in range(reps):
        root = fresh_root(corpus_root, work / "ours")
        failed = ""
        for name in STAGE_NAMES:
            stage = results[name]
            if stage.missing == "not yet built":
                continue
            if failed:
                stage.missing = stage.missing or f"not run: {failed} failed"
                continue
            ok = _cold_run(stage, name, root, cap, log, f"{name:<12} rep {rep + 1}")
            if not ok:
                failed = name
            if name == "update" and keep_updated is not None and ok \
                    and not keep_updated.exists():
                shutil.copytree(root / "locales", keep_updated)
    return results


def time_end_to_end(corpus_root: Path, work: Path, reps: int, cap: float,
                    log: Callable[[str], None] = print) -> tuple[StageRuns, str]:
    """The whole non-a11y build in one process: ``pipeline.build`` once it exists."""
    if importlib.util.find_spec("pipeline.build") is not None:
        stage = "build-no-a11y"
        how = ("pipeline.build.build() in one process, its a11y stage replaced by a stand-in "
               "that records every page as checked (a11y is timed on a sample)")
    else:
        stage = "chain"
        how = ("the available stage functions in one process "
               "(pipeline.build not yet built)")
    result = StageRuns("end to end")
    for rep in range(reps):
        if not _cold_run(result, stage, fresh_root(corpus_root, work / "ours-e2e"), cap,
                         log, f"end to end rep {rep + 1}"):
            break
    return result, how


def time_one_cpu(corpus_root: Path, work: Path, cap: float,
                 log: Callable[[str], None] = print) -> StageRuns:
    """One cold non-a11y build confined to one CPU (``ONE_CPU``): the build's work,
    against which the end-to-end runs' use of a second CPU is read."""
    result = StageRuns("end to end, one CPU")
    root = fresh_root(corpus_root, work / "ours-one-cpu")
    _cold_run(result, ONE_CPU, root, cap, log, "end to end on one CPU")
    set_aside(root)
    return result


def _cold_run(result: StageRuns, stage: str, root: Path, cap: float,
              log: Callable[[str], None], label: str) -> bool:
    """One run of ``stage`` on ``root`` (a child process) into ``result``, logged as
    ``label``; whether it went through."""
    run, inner = run_child(stage, root, cap)
    result.runs.append(run)
    if inner is not None:
        result.inner.append(inner)
    log(f"  ours {label}: {describe(run)}")
    if not run.ok:
        result.missing = "capped" if run.capped else f"failed: {failure(run)}"
    return run.ok


def failure(run: Run) -> str:
    """Why a child failed: the pipeline's own error message when there is one."""
    lines = run.output.strip().splitlines()
    for line in reversed(lines):
        if line.startswith("pipeline.errors.PipelineError: "):
            return line.removeprefix("pipeline.errors.PipelineError: ")[:400]
    return f"exit {run.returncode}: {(lines or [''])[-1][:200]}"


def describe(run: Run) -> str:
    if run.capped:
        return f"> {run.seconds:.0f} s (capped)"
    if run.returncode:
        return f"failed: {failure(run)}"
    return f"{run.seconds:.2f} s, {run.peak_rss_mb:.0f} MB"


def main() -> None:
    """``python -m bench.ours STAGE ROOT [--profile FILE]`` (cProfile stats to FILE)."""
    stage, root = sys.argv[1], Path(sys.argv[2])
    if len(sys.argv) == 5 and sys.argv[3] == "--profile":
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        result = profiler.runcall(child, stage, root)
        profiler.dump_stats(sys.argv[4])
        pstats.Stats(sys.argv[4]).sort_stats("cumulative").print_stats(40)
    else:
        result = child(stage, root)
    print(json.dumps(result), flush=True)
    # Ended as the ``pipeline`` command ends (``pipeline.cli.run``): no teardown.
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()


def edit_one_paragraph(root: Path) -> tuple[str, int]:
    """Append a sentence to the first paragraph of the first page: (page, line)."""
    page = sorted((root / "source" / "pages").glob("*.md"))[0]
    lines = page.read_text(encoding="utf-8").split("\n")
    body = lines.index("---", 1) + 1
    line = next(i for i in range(body, len(lines))
                if lines[i][:1].isalpha() and len(lines[i]) > 60)
    lines[line] += " Ask your care team if you are not sure."
    page.write_text("\n".join(lines), encoding="utf-8")
    return page.relative_to(root).as_posix(), line + 1


def time_incremental(root: Path, cap: float, log: Callable[[str], None] = print,
                     *, real_a11y: bool = True) -> dict[str, Any]:
    """After a full build of ``root``: edit one paragraph, run the real ``pipeline build``
    (the whole of it, cache load and save included, in a process of its own); without
    ``real_a11y``, with the a11y stand-in of the end-to-end build (``--no-a11y``)."""
    if importlib.util.find_spec("pipeline.build") is None:
        return {"missing": "not yet built"}
    if not (root / "output" / "build").is_dir():
        return {"missing": "no earlier build to start from"}
    before = floor.snapshot(root)
    page, line = edit_one_paragraph(root)
    run, report = run_child_report("build" if real_a11y else "build-no-a11y", root, cap)
    log(f"  ours incremental build{'' if real_a11y else ' (a11y stand-in)'}: {describe(run)}")
    out: dict[str, Any] = {"edited": f"{page}:{line}", "run": run.to_dict(),
                           "a11y": "pa11y" if real_a11y else "stand-in"}
    if report is None:
        out["failed"] = "capped" if run.capped else failure(run)
        return out
    a11y = float(report["a11y_seconds"])
    checked = report["a11y_checked"]
    out.update({
        "seconds": round(run.seconds, 3),
        "a11y_seconds": round(a11y, 3),
        "without_a11y_seconds": round(run.seconds - a11y, 3),
        "rendered": report["rendered"],
        "rechecked": len(checked) if isinstance(checked, list) else int(checked),
        "rechecked_pages": checked if isinstance(checked, list) else [],
        "verdict": report["verdict"],
        "peak_rss_mb": round(run.peak_rss_mb, 1),
    })
    # What the contract made this edit change, and the least time writing it takes.
    work = root.parent / "floor-work"
    out["floor"] = floor.measure(root, floor.changed(before, floor.snapshot(root)), work, cap)
    set_aside(work)
    if "seconds" in out["floor"]:
        log(f"  its floor: {out['floor']['files']} files, {out['floor']['megabytes']} MB "
            f"changed; import, write and link alone {out['floor']['seconds']:.2f} s")
    return out
