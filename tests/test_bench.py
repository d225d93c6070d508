"""The benchmark: a deterministic corpus the pipeline accepts, peers measured only on
right output, and the scale curve."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest
from conftest import REPO, ROOTS, msgfmt_check, require_tool, run_cli

from bench import a11y as a11y_bench
from bench.corpus import is_translated, pseudo_translate
from bench.ours import StageRuns, fresh_root
from bench.peers import Expected, Mdpo, check_outputs, run_peer
from bench.plot import curve_svg
from bench.proc import Run, remove_set_aside, run_timed
from bench.run import (
    curve_growth,
    one_cpu_line,
    one_cpu_record,
    parse_args,
    peer_cell,
    target_lines,
)
from pipeline.config import load_config

LANGUAGES = ("es", "fr", "ar", "zh_Hans")
# The catalogs' header dates follow SOURCE_DATE_EPOCH; without it two generations a
# minute apart differ in PO-Revision-Date.
EPOCH = {"SOURCE_DATE_EPOCH": "1764000000"}


def generate(dest: Path, pages: int = 5, seed: int = 1) -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, "-m", "bench.corpus", str(dest), "--pages", str(pages),
         "--seed", str(seed)],
        cwd=REPO, capture_output=True, text=True, timeout=120, env={**os.environ, **EPOCH},
    )
    assert result.returncode == 0, result.stderr
    info: dict[str, object] = json.loads((dest / "corpus.json").read_text(encoding="utf-8"))
    return info


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file() and p.name != "corpus.json"}


def test_same_seed_same_bytes_other_seed_other_pages(tmp_path: Path) -> None:
    generate(tmp_path / "one")
    generate(tmp_path / "two")
    generate(tmp_path / "three", seed=2)
    one = tree(tmp_path / "one")
    assert one == tree(tmp_path / "two")
    pages = {k: v for k, v in one.items() if "/source/pages/" in k}
    assert len(pages) == 2 * 5  # base/ and changed/
    assert pages != {k: v for k, v in tree(tmp_path / "three").items() if "/source/pages/" in k}


def test_generated_root_passes_extract_and_msgfmt(tmp_path: Path) -> None:
    generate(tmp_path / "corpus")
    base = tmp_path / "corpus" / "base"
    text = (base / "source" / "pages").glob("*.md")
    page = next(iter(sorted(text))).read_text(encoding="utf-8")
    assert page.startswith("---\ntitle: ") and "\n# " in page and "\n## " in page
    result = run_cli(base, "extract")
    assert result.returncode == 0, result.stderr
    assert "unchanged" in result.stdout  # the generator's POT is what extract writes
    for lang in LANGUAGES:
        po = base / "locales" / lang / "LC_MESSAGES" / "messages.po"
        msgfmt_check(po)
        stats = subprocess.run([require_tool("msgfmt"), "--statistics", "-o", "/dev/null", str(po)],
                               capture_output=True, text=True, check=True).stderr
        translated = int(stats.split()[0])
        untranslated = int(stats.split(",")[1].split()[0]) if "," in stats else 0
        assert 0.8 < translated / (translated + untranslated) < 0.97, stats
    # Its images are not shipped: pa11y reports them, and an edit's timed build still
    # publishes (the publish step is part of what it times).
    config = load_config(base)
    assert not config.gate.a11y and not config.gate.qa


def test_changed_root_differs_by_the_listed_paragraphs(tmp_path: Path) -> None:
    info = generate(tmp_path / "corpus", pages=5)
    changes = info["changes"]
    assert isinstance(changes, list) and changes
    base, changed = tmp_path / "corpus" / "base", tmp_path / "corpus" / "changed"
    for page in sorted({c["page"] for c in changes}):
        old = (base / page).read_text(encoding="utf-8").split("\n")
        new = (changed / page).read_text(encoding="utf-8").split("\n")
        here = [c for c in changes if c["page"] == page]
        for change in here:
            assert old[change["line"] - 1] == change["old"] != change["new"]
            assert new[change["line"] - 1] == change["new"]
        differ = [i + 1 for i, (a, b) in enumerate(zip(old, new, strict=True)) if a != b]
        assert differ == sorted(c["line"] for c in here)
    result = run_cli(changed, "extract")
    assert result.returncode == 0, result.stderr
    pot = (changed / "locales" / "messages.pot").read_text(encoding="utf-8")
    assert all(c["new"].split()[-1] in pot for c in changes)


def test_drift_scenario_keeps_every_published_page_language(tmp_path: Path) -> None:
    """``bench.run --drift-only``: 1 % of paragraphs edited and a paragraph added to 10
    pages, then extract, update and build; the same page-languages are published."""
    result = subprocess.run(
        [sys.executable, "-m", "bench.run", "--drift-only", "--pages", "12", "--keep",
         "--work", str(tmp_path / "work"), "--results", str(tmp_path / "results")],
        cwd=REPO, capture_output=True, text=True, timeout=900,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    [report] = (tmp_path / "results").glob("*-12p-drift.json")
    drift = json.loads(report.read_text(encoding="utf-8"))["drift"]
    assert drift["edited_paragraphs"] >= 1 and len(drift["added_to"]) == 10
    # The same page-languages, but those the build reported as withdrawn (the corpus is
    # translated at about 90 %, so a page near the keep threshold may leave).
    after = drift["after"]
    assert drift["consistent"] and not after["lost_unreported"] and not after["gained"]
    assert drift["before"]["published"] - len(after["newly_withdrawn"]) \
        == after["published"] > 0
    assert set(drift["steps"]) == {"extract", "update", "build"}
    assert all(step["seconds"] > 0 for step in drift["steps"].values())
    assert "page-languages published" in result.stdout
    # An added paragraph shows, in English, under the notice, in every language that
    # publishes its page.
    root = Path(drift["root"])
    slug = Path(drift["added_to"][0]).stem
    build = json.loads((root / "output/reports/build.json").read_text(encoding="utf-8"))
    shown = [row["tag"] for row in build["languages"]
             if row["tag"] != "en" and slug not in row["left_out"]]
    assert shown
    for tag in shown:
        html = (root / "output/build" / tag / f"{slug}.html").read_text(encoding="utf-8")
        assert '<div class="notice" role="note">' in html, tag


def test_same_bytes_across_a_minute_boundary(tmp_path: Path) -> None:
    """The header dates come from SOURCE_DATE_EPOCH, not the clock."""
    generate(tmp_path / "one", pages=2)
    pot = (tmp_path / "one" / "base" / "locales" / "messages.pot").read_text(encoding="utf-8")
    po = (tmp_path / "one" / "base" / "locales" / "es" / "LC_MESSAGES" / "messages.po"
          ).read_text(encoding="utf-8")
    assert '"POT-Creation-Date: 2025-11-24 16:00+0000\\n"' in pot
    assert '"PO-Revision-Date: 2025-11-24 16:00+0000\\n"' in po


# --- peers: only a right output counts ---------------------------------------------


def pages_and_outputs(tmp_path: Path, texts: dict[str, str]) -> tuple[Path, Path]:
    """Source pages (``name.md`` → text) and a folder of their 'translations'."""
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    out.mkdir()
    for name, text in texts.items():
        (src / name).write_text(text, encoding="utf-8")
        (out / name).write_text(text.upper(), encoding="utf-8")
    return src, out


def test_a_tree_done_with_is_set_aside_until_the_bench_ends(tmp_path: Path) -> None:
    # Removing it just before a cold run would charge the next run for the removal
    # (bench.proc: ext4 with no journal skips recently freed inodes one by one).
    source, work = tmp_path / "source", tmp_path / "work"
    (source / "pages").mkdir(parents=True)
    (source / "pages" / "a.md").write_text("# A\n", encoding="utf-8")
    (source / "output").mkdir()
    root = fresh_root(source, work / "ours")
    (root / "built.txt").write_text("1\n", encoding="utf-8")
    inode = (root / "built.txt").stat().st_ino
    fresh_root(source, work / "ours")
    assert sorted(p.name for p in (work / "ours").iterdir()) == ["pages"]
    aside = [p for p in work.iterdir() if p.name != "ours"]
    assert len(aside) == 1 and aside[0].name.startswith(".ours.set-aside-")
    assert (aside[0] / "built.txt").stat().st_ino == inode  # renamed, nothing freed yet
    remove_set_aside(work)
    assert sorted(p.name for p in work.iterdir()) == ["ours"]


def test_output_check_accepts_one_sane_file_per_page(tmp_path: Path) -> None:
    texts = {f"p{i}.md": f"# Page {i}\n\n" + "Some text. " * (40 + i) for i in range(5)}
    src, out = pages_and_outputs(tmp_path, texts)
    expected = [Expected(out, {n: (src / n,) for n in texts}, (0.4, 2.5))]
    assert check_outputs(expected) == ""


def test_output_check_rejects_missing_extra_empty_and_carried_over(tmp_path: Path) -> None:
    texts = {f"p{i}.md": f"# Page {i}\n\n" + "Some text. " * 40 for i in range(4)}
    src, out = pages_and_outputs(tmp_path, texts)
    expected = [Expected(out, {n: (src / n,) for n in texts}, (0.4, 2.5))]

    (out / "p1.md").unlink()
    assert check_outputs(expected) == "out/ holds 3 files, expected 4: 1 missing (p1.md…)"
    (out / "p1.md").write_text(texts["p1.md"], encoding="utf-8")
    (out / "sub").mkdir()
    (out / "sub" / "p1.md").write_text(texts["p1.md"], encoding="utf-8")
    assert check_outputs(expected) == (
        "out/ holds 5 files, expected 4: 1 unexpected (sub/p1.md…)")
    (out / "sub" / "p1.md").unlink()
    (out / "p2.md").write_text("", encoding="utf-8")
    assert check_outputs(expected) == (
        "out/p2.md is 0.0 kB for 0.5 kB of source (x0.00, expected x0.4 to x2.5)")
    # What a translator that keeps its output between pages writes: page N holds 1..N.
    held = ""
    for name in sorted(texts):
        held += texts[name]
        (out / name).write_text(held, encoding="utf-8")
    assert check_outputs(expected).startswith("out/p2.md is 1.4 kB for 0.5 kB of source (x3.00")
    # Within the absolute range but twice the work of its neighbours: still wrong.
    for name in sorted(texts):
        (out / name).write_text(texts[name], encoding="utf-8")
    (out / "p2.md").write_text(texts["p2.md"] * 2, encoding="utf-8")
    assert check_outputs(expected) == (
        "out/p2.md is x2.00 its page's size, the folder's median x1.00: "
        "not the same work per page")
    assert check_outputs([Expected(tmp_path / "none", {}, (1, 2))]) == "no output folder none/"


# A Po2Md reused for every page, as the bench did before: page N's file holds pages 1..N.
MDPO_ONE_TRANSLATOR = """\
import os, sys
from pathlib import Path
from mdpo.po2md import Po2Md
po, pages, out = sys.argv[1:4]
os.makedirs(out, exist_ok=True)
translator = Po2Md([po])
for page in sorted(Path(pages).glob("*.md")):
    translator.translate(str(page), save=os.path.join(out, page.name))
"""


class MdpoOneTranslator(Mdpo):
    def setup(self, our_pot: Path) -> None:
        super().setup(our_pot)
        (self.work / "render.py").write_text(MDPO_ONE_TRANSLATOR, encoding="utf-8")


def test_mdpo_renders_each_page_alone_and_a_carried_over_run_is_invalid(
        tmp_path: Path) -> None:
    """mdpo (installed by the bench into bench/tools/ if missing) on 3 pages: each
    output holds its own page only; the old one-translator run is recorded as invalid,
    with no time."""
    generate(tmp_path / "corpus", pages=3)
    base, changed = tmp_path / "corpus" / "base", tmp_path / "corpus" / "changed"
    peer = Mdpo(tmp_path / "peers", base, changed, seed=1)
    result = run_peer(peer, changed / "locales" / "messages.pot", cap=300, log=lambda _: None)
    assert not result.unavailable, result.unavailable
    assert set(result.runs) == {"extract", "render"} and not result.invalid, result.reasons
    pages = sorted((changed / "source" / "pages").glob("*.md"))
    assert len(pages) == 3
    for lang in LANGUAGES:
        outputs = sorted((peer.work / "out" / lang).iterdir())
        assert [p.name for p in outputs] == [p.name for p in pages]
        for page, output in zip(pages, outputs, strict=True):
            title = next(line[2:] for line in page.read_text(encoding="utf-8").splitlines()
                         if line.startswith("# "))
            want = pseudo_translate(title, lang) if is_translated(1, lang, title) else title
            h1 = [line[2:] for line in output.read_text(encoding="utf-8").splitlines()
                  if line.startswith("# ")]
            assert h1 == [want], (lang, output.name)

    wrong = MdpoOneTranslator(tmp_path / "wrong", base, changed, seed=1)
    result = run_peer(wrong, changed / "locales" / "messages.pot", cap=300,
                      log=lambda _: None)
    assert "render" in result.invalid and "render" not in result.runs
    reason = result.reasons["render"]
    assert reason.startswith("invalid output: "), reason
    assert any(f"/{p.name} is " in reason for p in pages[1:]), reason  # a carried-over page
    cell = peer_cell(result, "render", 1.0, 300)
    assert cell.startswith("invalid: ") and " s" not in cell.split(":")[0]
    record = result.to_dict()
    assert "render" not in record["runs"]  # type: ignore[operator]
    assert record["invalid"]["render"]["reason"] == reason  # type: ignore[index]


# --- the scale curve ----------------------------------------------------------------


def curve_rows(times: dict[int, float], rss: dict[int, float]) -> list[dict[str, object]]:
    steps = ("extract", "update", "check", "readability", "render", "publish", "end to end")
    return [{"pages": n, "seconds": dict.fromkeys(steps, t),
             "peak_rss_mb": dict.fromkeys(steps, rss[n])} for n, t in times.items()]


def test_curve_flags_superlinear_time_and_growing_memory() -> None:
    # 1 s to start, then 10 ms a page: linear, however flat the small size looks.
    linear = curve_growth(curve_rows({n: 1 + 0.01 * n for n in (100, 1000, 5000)},
                                     dict.fromkeys((100, 1000, 5000), 100.0)))
    assert not linear["update"]["superlinear"]
    assert linear["update"]["time_per_page_ratio"] == pytest.approx(0.51)
    assert not linear["peak_rss"]["grows"]
    # The fixed cost hides a quadratic term from time per page, not from the added pages.
    quadratic = curve_growth(curve_rows(
        {n: 20 + 0.001 * n + 2e-6 * n * n for n in (100, 1000, 5000)},
        {100: 104.0, 1000: 582.0, 5000: 2447.0}))
    assert quadratic["update"]["time_per_page_ratio"] < 1.2
    assert quadratic["update"]["added_page_cost_ratio"] > 1.5
    assert quadratic["update"]["superlinear"]
    assert quadratic["peak_rss"]["grows"] and quadratic["peak_rss"]["ratio"] > 23


def test_curve_plot_draws_every_series_in_page_order_and_describes_it() -> None:
    rows = curve_rows({100: 2.0, 1000: 15.5, 5000: 95.0}, {100: 100.0, 1000: 315.0,
                                                            5000: 947.0})
    rows[2]["tree_pss_mb"] = {"end to end": 1527.0}  # the smaller sizes have none
    svg = curve_svg({"date": "2026-12-06", "pipeline": "test", "curve": rows[::-1]})
    root = ElementTree.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    assert root.get("role") == "img" and root.get("aria-labelledby") == "title desc"
    description = root.findtext(f"{ns}desc") or ""
    assert "end to end: 2 s at 100 pages, 15.5 s at 1,000 pages, 95.0 s at 5,000 pages" \
        in description
    assert "all processes (PSS): no figure at 100 pages" in description
    lines = {line.get("data-name"): line for line in root.iter(f"{ns}polyline")}
    # A line needs two points: all processes has one, drawn as its mark alone.
    assert set(lines) == {"extract", "update", "check", "readability", "render",
                          "publish", "end to end", "largest process"}
    for line in lines.values():
        points = [tuple(map(float, p.split(","))) for p in (line.get("points") or "").split()]
        assert len(points) == 3
        assert [x for x, _ in points] == sorted(x for x, _ in points)  # by page count
        assert points[0][1] > points[2][1]  # more pages, higher up (SVG's y grows down)
    texts = [t.text for t in root.iter(f"{ns}text")]
    assert "1 GB target (5,000 pages)" in texts and "5,000" in texts


def test_curve_options() -> None:
    assert parse_args(["--curve"]).sizes == (100, 1000, 5000)
    assert parse_args(["--pages", "200,50,100"]).sizes == (50, 100, 200)
    assert parse_args(["--quick"]).sizes == (100,)
    for wrong in (["--curve", "--pages", "5"], ["--pages", "5,x"], ["--pages", "0"],
                  ["--drift-only", "--pages", "5,6"]):
        with pytest.raises(SystemExit) as stopped:
            parse_args(wrong)
        assert stopped.value.code == 2


def test_curve_run_records_every_size_and_removes_its_work(tmp_path: Path) -> None:
    work, results = tmp_path / "work", tmp_path / "results"
    result = subprocess.run(
        [sys.executable, "-m", "bench.run", "--pages", "2,4,6", "--reps", "1", "--no-peers",
         "--no-a11y", "--no-drift", "--work", str(work), "--results", str(results)],
        cwd=REPO, capture_output=True, text=True, timeout=900,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    [record] = results.glob("*-curve.json")
    curve = json.loads(record.read_text(encoding="utf-8"))
    assert [row["pages"] for row in curve["curve"]] == [2, 4, 6]
    for row in curve["curve"]:
        assert all(row["seconds"][s] > 0 for s in ("extract", "render", "end to end"))
        assert all(row["peak_rss_mb"][s] > 0 for s in ("extract", "render", "end to end"))
        assert set(row["load_average"]) == {"start", "end"}
    assert [size["corpus"]["pages"] for size in curve["sizes"]] == [2, 4, 6]
    assert all(size["peers"] == {} for size in curve["sizes"])
    # --no-a11y still times the one-paragraph incremental build, with the a11y stand-in.
    for size in curve["sizes"]:
        incremental = size["a11y"]["incremental"]
        assert incremental["a11y"] == "stand-in" and incremental["seconds"] > 0, incremental
        assert incremental["rendered"] >= 1
        # Its floor: the edit changed the catalog, the page's documents and reports.
        floor = incremental["floor"]
        assert floor["changed"]["locales"] == 1, floor  # messages.pot
        assert floor["files"] == sum(floor["changed"].values()) and floor["links"] > 0, floor
        assert 0 < floor["import_seconds"] < floor["seconds"] <= floor["process_seconds"]
    assert curve["commit"] and len(curve["commit"]) == 40 and curve["machine"]["nproc"]
    assert curve["growth"]["end to end"]["added_page_cost_ratio"] is not None \
        or curve["growth"]["end to end"]["time_per_page_ratio"] > 0
    markdown = record.with_suffix(".md").read_text(encoding="utf-8")
    assert "| pages | extract |" in markdown and "- end to end: " in markdown
    assert "## 6 pages" in markdown
    assert "its floor (bench.floor): the edit changed " in markdown
    assert "<polyline" in record.with_suffix(".svg").read_text(encoding="utf-8")
    assert not work.exists()  # no --keep: the run's work folder is gone
    # Each size's cold build on one CPU too, read against the runs on all of them.
    for size in curve["sizes"]:
        one = size["one_cpu"]
        assert one["median_seconds"] > 0 and "missing" not in one, one
        # The record's figures are rounded: the bound and speed-up to 0.01 of them.
        assert one["two_cpu_bound_seconds"] == pytest.approx(one["median_seconds"] / 2,
                                                             abs=0.01)
        assert one["speedup"] == pytest.approx(
            one["median_seconds"] / size["end_to_end"]["median_seconds"], abs=0.01)
    assert "Cold build on one CPU (the build's work, no split): " in markdown
    # Each record says no timed run followed a removal of the bench's making.
    assert all("set aside" in size["settings"]["cleanup"] for size in curve["sizes"])
    assert "set aside and removed when the bench ends" in markdown


def test_the_one_cpu_build_sees_one_cpu_and_publishes(tmp_path: Path) -> None:
    """``build-one-cpu`` is ``build-no-a11y`` confined to one CPU before the pipeline is
    imported: the pipeline's own count (which decides every split) says 1, the site is
    published all the same, and a plain build still sees every CPU."""
    info = generate(tmp_path / "corpus", pages=3)
    allowed = os.sched_getaffinity(0)
    for stage, cpus in (("build-one-cpu", 1), ("build-no-a11y", len(allowed))):
        root = tmp_path / stage
        subprocess.run(["cp", "-a", str(info["changed"]), str(root)], check=True)
        code = ("import json, sys\n"
                "from bench import ours\n"
                "report = ours.child(sys.argv[1], __import__('pathlib').Path(sys.argv[2]))\n"
                "from pipeline.infra.workload import cpus\n"
                "print(json.dumps({**report, 'pipeline_cpus': cpus()}))\n")
        result = subprocess.run([sys.executable, "-c", code, stage, str(root)], cwd=REPO,
                                capture_output=True, text=True, timeout=300,
                                env={**os.environ, **EPOCH})
        assert result.returncode == 0, result.stderr
        report = json.loads(result.stdout.strip().splitlines()[-1])
        assert report["cpus"] == report["pipeline_cpus"] == cpus, report
        assert report["verdict"] == "published" and report["rendered"] == 3, report
        assert (root / "output" / "site" / "index.html").exists()
        if stage == "build-one-cpu":
            assert report["cpu"] == min(allowed) and report["stages"] == ["build-no-a11y"]
        else:
            assert "cpu" not in report


def test_one_cpu_lines_say_what_two_cpus_could_do_at_best() -> None:
    one = StageRuns("end to end, one CPU", runs=[Run(20.0, 300.0, 0)])
    e2e = StageRuns("end to end", runs=[Run(12.0, 290.0, 0), Run(13.0, 280.0, 0),
                                        Run(14.0, 285.0, 0)])
    record = one_cpu_record(one, e2e)
    assert record["speedup"] == 1.54 and record["two_cpu_bound_seconds"] == 10.0
    assert one_cpu_line(record) == (
        "cold build on one CPU (the build's work, no split): 20.0 s; end to end on all "
        "CPUs is x1.54 faster; two CPUs could at best halve it, 10.0 s")
    [cold, *_] = target_lines({}, e2e, {}, 1000, record)
    assert cold.endswith("13.0 s → MISSED (on one CPU 20.0 s: two CPUs at best 10.0 s)")
    skipped = one_cpu_record(StageRuns("end to end, one CPU", missing="--quick"), e2e)
    assert one_cpu_line(skipped) == "cold build on one CPU: not run (--quick)"
    assert "speedup" not in skipped


def test_the_one_cpu_line_sets_the_cpu_time_of_both_side_by_side() -> None:
    one = StageRuns("end to end, one CPU", runs=[Run(20.0, 300.0, 0, cpu_seconds=19.5)])
    e2e = StageRuns("end to end", runs=[Run(12.0, 290.0, 0, cpu_seconds=24.0),
                                        Run(13.0, 280.0, 0, cpu_seconds=26.0),
                                        Run(14.0, 285.0, 0, cpu_seconds=25.0)])
    record = one_cpu_record(one, e2e)
    assert record["median_cpu_seconds"] == 19.5 and record["end_to_end_cpu_seconds"] == 25.0
    assert one_cpu_line(record).endswith(
        "10.0 s; CPU time 19.5 s on one CPU, 25.0 s on all (what the split costs in work)")


def test_the_incremental_build_is_also_counted_against_pa11y_ci_alone(tmp_path: Path) -> None:
    """Work the build does beside its own pa11y run would hide in pa11y's time: the
    record counts the build against pa11y-ci alone on the very documents too (the a11y
    report as the build checked it: the pending one it leaves in the cache)."""
    root = tmp_path / "root"
    shutil.copytree(ROOTS / "build-site", root)
    assert run_cli(root, "build").returncode == 0
    documents = ["output/build/en/dry-eye.html", "output/reports/a11y.html"]
    alone = a11y_bench.alone(root, documents, 300, tmp_path / "work")
    assert alone["documents"] == alone["checked"] == 2 and alone["seconds"] > 0, alone
    config = json.loads((tmp_path / "work" / "pa11y-ci.json").read_text(encoding="utf-8"))
    urls = [u if isinstance(u, str) else u["url"] for u in config["urls"]]
    assert urls[0].endswith("/build/en/dry-eye.html")
    assert urls[1].endswith("/.cache/a11y/pending/a11y.html")
    incremental = {"a11y": "pa11y", "seconds": 12.5, "a11y_seconds": 9.5,
                   "without_a11y_seconds": 3.0, "edited": "p.md:3", "rechecked": 2,
                   "rechecked_pages": documents, "alone": {**alone, "seconds": 10.0},
                   "run": {"load_1min": 1.0, "peak_rss_mb": 200.0}, "verdict": "published"}
    text = a11y_bench.summary({"sample": {"skipped": "--no-a11y"}, "incremental": incremental})
    assert "MB PSS), published, of which pa11y 9.5 s on 2 page(s)" in text
    assert "pa11y-ci alone on those 2 documents: 10.0 s" in text
    assert "the build's time outside that: 2.50 s" in text
    [_, target] = a11y_bench.target_lines({"incremental": incremental},
                                          {"a11y_overhead": 0.1, "incremental_seconds": 1},
                                          lambda ok: "MISSED")
    assert target.endswith("3.00 s (2.50 s against pa11y-ci alone on the same documents) "
                           "→ MISSED")


def test_the_a11y_sample_runs_ours_and_bare_pa11y_ci_in_turn(tmp_path: Path) -> None:
    """One run each side, ours always first, could not resolve a 10 % target: the sample
    runs in rounds, ours then bare, then bare then ours, and the overhead is that of the
    sums, each round's reading shown beside it."""
    root = tmp_path / "root"
    shutil.copytree(ROOTS / "build-site", root)
    assert run_cli(root, "build").returncode == 0
    logs: list[str] = []
    sample = a11y_bench.sample(root, tmp_path / "work", 1, 300, logs.append, rounds=2)
    assert [line.split(":")[0].strip() for line in logs] == [
        "a11y ours", "a11y bare pa11y-ci", "a11y bare pa11y-ci", "a11y ours"]
    assert sample["pages"] == sample["languages"] >= 2 and sample["rounds"] == 2, sample
    assert len(sample["ours"]) == len(sample["bare"]) == 2
    assert all(r["checked"] == sample["pages"] for r in sample["bare"])
    ours = sum(r["seconds"] for r in sample["ours"])
    bare = sum(r["seconds"] for r in sample["bare"])
    assert sample["overhead"] == round(ours / bare - 1, 3)
    assert len(sample["overheads"]) == 2
    text = a11y_bench.summary({"sample": sample, "incremental": {"skipped": "test"}})
    assert "2 round(s), ours and bare pa11y-ci in turn (ABBA)" in text
    assert f"wrapper overhead {sample['overhead']:+.1%} (round by round: " in text


def _forked(child: str) -> Run:
    """``run_timed`` on a Python process that forks a child running ``child`` (lines
    of code), holds 80 MB and sleeps 2 s meanwhile, then waits for the child."""
    code = ("import os, time\n"
            "pid = os.fork()\n"
            "if pid == 0:\n"
            + "".join(f"    {line}\n" for line in child.splitlines()) +
            "held = b'x' * (80 << 20)\n"
            "time.sleep(2)\n"
            "if pid == 0:\n"
            "    os._exit(0)\n"
            "os.waitpid(pid, 0)\n")
    run = run_timed([sys.executable, "-c", code], cap=60)
    assert run.ok, run.output
    return run


def test_a_forked_commands_memory_is_counted_whole() -> None:
    """``%M`` is the largest process's; ``tree_pss_mb`` adds up the tree: parent and child
    each holding 80 MB of their own show as about 80 and 160."""
    run = _forked("pass")
    assert 80 < run.peak_rss_mb < 130, run
    assert run.tree_pss_mb > 150 and run.tree_pss_mb > 1.4 * run.peak_rss_mb, run


def test_a_commands_cpu_time_counts_its_children() -> None:
    """``cpu_seconds`` is the whole tree's: a fork that spins for 0.6 s of CPU while its
    parent sleeps counts."""
    run = _forked("end = time.process_time() + 0.6\n"
                  "while time.process_time() < end:\n"
                  "    pass")
    assert run.cpu_seconds >= 0.6, run
    assert run.to_dict()["cpu_seconds"] == round(run.cpu_seconds, 2)
