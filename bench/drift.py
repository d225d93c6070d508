"""The drift scenario: a published corpus → the English moves on → extract, update, build.

An editor's everyday week on a site that is already published: 1 % of the paragraphs
edited (the corpus's ``changed/`` pages) and a new paragraph added to 10 pages, then
``pipeline extract``, ``pipeline update`` and ``pipeline build`` (their functions, each
timed in its own process, with the build cache as the commands use it). The root uses
the shipped publication rule (``completeness`` 100, ``keep`` 80; the corpus itself
publishes everything), so the page-languages published before and after must be the
same, except those the build reports as withdrawn. The build's a11y stage is the
bench's stand-in (pa11y on 5,000 pages would take hours; it is measured on a sample).
"""

from __future__ import annotations

import json
import random
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.corpus import PYPROJECT, SITE_TITLE, CorpusInfo, paragraph
from bench.ours import describe, failure, fresh_root, run_child_report

ADDED_PAGES = 10
STEPS = ("extract", "update", "build")
# The corpus publishes every page whatever its completeness; the drift root does not.
PUBLISH_ALL = "completeness = 0\n"


def add_paragraphs(root: Path, count: int, seed: int) -> list[str]:
    """A new paragraph before the call to action of ``count`` pages: their paths."""
    rng = random.Random(f"drift-{seed}")
    pages = sorted((root / "source" / "pages").glob("*.md"))
    chosen = sorted(rng.sample(pages, min(count, len(pages))))
    for page in chosen:
        lines = page.read_text(encoding="utf-8").split("\n")
        title = next(line for line in lines if line.startswith("title: "))
        last = max(i for i, line in enumerate(lines) if line.strip())  # the call to action
        lines[last:last] = [paragraph(rng, title.removeprefix("title: ")), ""]
        page.write_text("\n".join(lines), encoding="utf-8")
    return [p.relative_to(root).as_posix() for p in chosen]


def published(root: Path) -> tuple[set[str], set[str]]:
    """(published, withdrawn) page-languages, ``tag/slug``, from the last build.json."""
    report = json.loads((root / "output" / "reports" / "build.json").read_text(
        encoding="utf-8"))
    slugs = {p.stem for p in (root / "source" / "pages").glob("*.md")}
    shown: set[str] = set()
    withdrawn: set[str] = set()
    for row in report["languages"]:
        shown |= {f"{row['tag']}/{s}" for s in slugs - set(row["left_out"])}
        withdrawn |= {f"{row['tag']}/{s}" for s in row["withdrawn"]}
    return shown, withdrawn


def run(info: CorpusInfo, work: Path, cap: float,
        log: Callable[[str], None] = print) -> dict[str, Any]:
    root = fresh_root(Path(info.base), work / "ours-drift")
    config = PYPROJECT.format(site_title=SITE_TITLE)
    assert PUBLISH_ALL in config, "the corpus configuration changed: update bench/drift.py"
    (root / "pyproject.toml").write_text(config.replace(PUBLISH_ALL, ""), encoding="utf-8")
    out: dict[str, Any] = {"root": str(root), "steps": {}}
    before_run, before = run_child_report("build-no-a11y", root, cap)
    log(f"  drift: build before the edit: {describe(before_run)}")
    if before is None:
        return {**out, "failed": f"build before the edit: {failure(before_run)}"}
    shown_before, withdrawn_before = published(root)
    out["before"] = {"seconds": round(before_run.seconds, 3), "published": len(shown_before),
                     "withdrawn": len(withdrawn_before)}

    for change in info.changes:  # the corpus's 1 % edited paragraphs
        shutil.copy(Path(info.changed) / change.page, root / change.page)
    out["edited_paragraphs"] = len(info.changes)
    out["added_to"] = add_paragraphs(root, ADDED_PAGES, info.seed)
    for step in STEPS:
        run_, report = run_child_report("build-no-a11y" if step == "build"
                                        else f"{step}-command", root, cap)
        log(f"  drift: {step}: {describe(run_)}")
        out["steps"][step] = {"seconds": round(run_.seconds, 3),
                              "peak_rss_mb": round(run_.peak_rss_mb, 1),
                              "load_1min": round(run_.load, 2)}
        if report is None:
            return {**out, "failed": f"{step}: {failure(run_)}"}
        if step == "build":
            out["steps"][step]["rendered"] = report["rendered"]
            out["verdict"] = report["verdict"]
    shown_after, withdrawn_after = published(root)
    lost = shown_before - shown_after
    out["after"] = {"published": len(shown_after), "withdrawn": len(withdrawn_after),
                    "newly_withdrawn": sorted(withdrawn_after - withdrawn_before),
                    "lost_unreported": sorted(lost - withdrawn_after),
                    "gained": sorted(shown_after - shown_before)}
    # Equal before and after, unless the build named what left as withdrawn.
    out["consistent"] = not out["after"]["lost_unreported"]
    return out


def summary(drift: dict[str, Any]) -> str:
    if "skipped" in drift:
        return f"drift: skipped ({drift['skipped']})"
    if "failed" in drift:
        return f"drift: failed ({drift['failed']})"
    steps = drift["steps"]
    after = drift["after"]
    withdrawn = after["newly_withdrawn"]
    return (
        f"drift ({drift['edited_paragraphs']} paragraphs edited, a paragraph added to "
        f"{len(drift['added_to'])} pages): extract {steps['extract']['seconds']:.2f} s, "
        f"update {steps['update']['seconds']:.2f} s, build {steps['build']['seconds']:.2f} s "
        f"(a11y stand-in; {steps['build']['rendered']} pages re-rendered; load average "
        f"{min(s['load_1min'] for s in steps.values()):.1f} to "
        f"{max(s['load_1min'] for s in steps.values()):.1f}); page-languages "
        f"published {drift['before']['published']} before, {after['published']} after, "
        f"{len(withdrawn)} newly withdrawn"
        + (f" ({', '.join(withdrawn[:10])}{', …' if len(withdrawn) > 10 else ''})"
           if withdrawn else "")
        + ("" if drift["consistent"] else
           f"; NOT REPORTED: {', '.join(after['lost_unreported'][:10])}"))
