"""The accessibility check split across runners: ``pipeline build --defer-a11y``, then
``pipeline a11y --shard I/N`` as separate processes, each on its own copy of the build
(as a CI job receives it as an artifact), then ``pipeline gate --a11y-from DIR``.

Real pa11y-ci and Chromium where shards check; crafted shard results for the
fail-closed cases of the merge (those need no browser)."""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import REPO, ROOTS, require_tool, run_cli

from pipeline.build import a11y_documents, merge_shards, plan_checks, read_plan, write_plan
from pipeline.cli import cli
from pipeline.config import load_config
from pipeline.errors import UsageError
from pipeline.models.a11y import A11yResult, PageResult, Shard
from pipeline.reporters.a11y_json import a11y_document
from pipeline.stages.a11y.shards import SLACK, assign

ShardDocs = dict[int, dict[str, Any]]


def deliver(root: Path, dest: Path) -> Path:
    """What a CI job has: the checkout plus the build job's output/build and
    output/reports (its own output/.cache, if any, stays: CI restores it per shard)."""
    dest.mkdir(parents=True, exist_ok=True)
    for item in root.iterdir():
        if item.name != "output":
            target = dest / item.name
            if target.is_dir():
                shutil.rmtree(target)
            (shutil.copytree if item.is_dir() else shutil.copy)(item, target)
    for folder in ("build", "reports"):
        target = dest / "output" / folder
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(root / "output" / folder, target)
    return dest


def run_shards(root: Path, total: int, jobs: Path) -> list[Path]:
    """Shard i/total in jobs/<i>-of-<total>, all at once, each in its own process;
    returns their result files."""
    dirs = [deliver(root, jobs / f"{i}-of-{total}") for i in range(1, total + 1)]
    processes = [subprocess.Popen(
        [sys.executable, "-m", "pipeline", "--root", str(d), "a11y", "--shard", f"{i}/{total}"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for i, d in enumerate(dirs, 1)]
    outputs = [p.communicate(timeout=900)[0] for p in processes]
    for process, output in zip(processes, outputs, strict=True):
        assert process.returncode == 0, output
    return [d / "output/reports" / Shard(i, total).file_name for i, d in enumerate(dirs, 1)]


def collect(files: list[Path], folder: Path) -> Path:
    """The shards' results as a CI's download step leaves them: a folder each."""
    for file in files:
        target = folder / file.stem
        target.mkdir(parents=True)
        shutil.copy(file, target / file.name)
    return folder


# --- the split -------------------------------------------------------------------------


def corpus_weights(pages: int, seed: int = 1) -> dict[str, int]:
    """Estimated ms (``estimated_ms``) of pages in five languages with a spread of
    sizes, a readability report per page, and five language indexes of ``pages`` links."""
    rng = random.Random(seed)
    langs = ("en", "es", "fr", "ar", "zh-Hans")
    weights = {f"output/build/{lang}/page-{n}.html": 3000 + int(3.5 * rng.lognormvariate(4.4, 0.4))
               for n in range(pages) for lang in langs}
    weights.update({f"output/reports/readability/page-{n}.html": 4700 + rng.randrange(500)
                    for n in range(pages)})
    weights.update({f"output/build/{lang}/index.html": 3000 + int(0.00015 * pages ** 3)
                    for lang in langs})
    return weights


@pytest.mark.parametrize("total", [1, 2, 3, 8, 32, 64])
def test_split_covers_everything_once_and_is_balanced(total: int) -> None:
    weights = corpus_weights(1000)
    split = assign(weights, total)
    assert set(split) == set(weights) and set(split.values()) <= set(range(1, total + 1))
    assert split == assign(dict(reversed(weights.items())), total)  # order-independent
    loads = [sum(w for p, w in weights.items() if split[p] == s) for s in range(1, total + 1)]
    mean = sum(weights.values()) / total
    assert max(loads) <= (1 + SLACK) * mean + max(weights.values()), (max(loads) / mean)


def test_split_is_stable_when_pages_are_added_and_edited() -> None:
    weights = corpus_weights(1000)
    before = assign(weights, 8)
    grown = {**weights, **{f"output/build/{lang}/new-{n}.html": 40_000 for n in range(10)
                           for lang in ("en", "es", "fr", "ar", "zh-Hans")}}
    after = assign(grown, 8)
    moved = sum(1 for p in weights if before[p] != after[p])
    assert moved <= 0.02 * len(weights), moved  # 1 % more pages: at most 2 % move
    edited = {**weights, "output/build/en/page-7.html": weights["output/build/en/page-7.html"]
              + 900}
    after_edit = assign(edited, 8)
    assert sum(1 for p in weights if after_edit[p] != before[p]) <= 5
    # One more runner takes about its share from the others; little moves between them.
    nine = assign(weights, 9)
    assert abs(sum(1 for p in weights if nine[p] == 9) - len(weights) / 9) < 0.02 * len(weights)
    assert sum(1 for p in weights if nine[p] not in (before[p], 9)) <= 0.01 * len(weights)


def test_shard_argument() -> None:
    assert Shard.parse("2/4") == Shard(2, 4) and str(Shard(2, 4)) == "2/4"
    assert Shard(2, 4).file_name == "a11y-shard-2-of-4.json"
    for bad in ("0/2", "3/2", "2", "a/b", "1/0", ""):
        with pytest.raises(UsageError):
            Shard.parse(bad)


# --- sharded runs find what one run finds (real pa11y) -------------------------------------

BASELINE = """\
[[accept]]
page = "en/defects.html"
code = "image-alt"
reason = "tracked in issue 7"
expires = 2099-12-31

[[accept]]
page = "en/clean.html"
code = "color-contrast"
reason = "no longer happens"
expires = 2099-12-31
"""


@pytest.fixture(scope="module")
def a11y_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """tests/roots/a11y-site (hand-written pages with known defects, a baseline),
    checked in one run by ``pipeline a11y``, then planned for shards."""
    require_tool("chromium")
    root = tmp_path_factory.mktemp("shards") / "a11y-site"
    shutil.copytree(ROOTS / "a11y-site", root)
    (root / "a11y-baseline.toml").write_text(BASELINE, encoding="utf-8")
    done = run_cli(root, "a11y")
    assert done.returncode == 1, done.stdout + done.stderr  # it has blocking findings
    unsharded = json.loads((root / "output/reports/a11y.json").read_text(encoding="utf-8"))
    config = load_config(root)
    # What 'pipeline build --defer-a11y' records (this site's pages are hand-written,
    # not rendered from sources, so the plan is made by the function the build calls).
    write_plan(config, plan_checks(config), {})
    return root, unsharded


@pytest.mark.parametrize("total", [1, 2, 3])
def test_sharded_runs_find_exactly_what_one_run_finds(
        a11y_site: tuple[Path, dict[str, Any]], total: int, tmp_path: Path) -> None:
    root, unsharded = a11y_site
    config = load_config(root)
    plan = read_plan(config)
    files = run_shards(root, total, tmp_path)
    parts = [json.loads(f.read_text(encoding="utf-8")) for f in files]
    assert all(p["build_id"] == plan.build_id and p["ok"] for p in parts)
    assert sum(len(p["documents"]) for p in parts) == len(plan.documents)
    if total > 1:
        assert all(p["documents"] for p in parts)  # 9 documents: every shard has some
    merged = a11y_document(merge_shards(config, plan,
                                        [collect(files, tmp_path / "shards")]).result)
    assert unsharded["counts"]["gating"] > 5 and unsharded["counts"]["accepted"] == 1
    assert any(f["code"] == "baseline-unused" for f in unsharded["findings"])
    for key in ("findings", "needs_review", "results", "pages", "counts", "passed",
                "standard", "runners", "runner_versions", "baseline"):
        assert merged[key] == unsharded[key], key


# --- the whole flow in CI's three jobs (real pa11y) -----------------------------------------


def test_gate_of_two_shards_blocks_and_reports_as_one_build_does(tmp_path: Path) -> None:
    """A contrast defect in every language: the gate after two shards prints, writes and
    blocks exactly as one 'pipeline build' does."""
    require_tool("chromium")
    root = tmp_path / "site"
    shutil.copytree(ROOTS / "build-site", root)
    style = root / "source/templates/style.css"
    style.write_text(style.read_text() + "\n.content p { color: #cccccc; }\n")
    one = tmp_path / "one" / "site"  # the same place in its checkout: the same paths
    shutil.copytree(root, one)
    single = run_cli(one, "build", env={"GITHUB_ACTIONS": "true",
                                        "GITHUB_WORKSPACE": str(one.parent)})
    assert single.returncode == 1, single.stdout + single.stderr

    env = {"GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": str(tmp_path)}
    deferred = run_cli(root, "build", "--defer-a11y", env=env)
    assert deferred.returncode == 0, deferred.stdout + deferred.stderr
    assert "deferred: build " in deferred.stdout and "::error" not in deferred.stdout
    files = run_shards(root, 2, tmp_path / "jobs")
    gate = run_cli(root, "gate", "--a11y-from", str(collect(files, tmp_path / "shards")),
                   env=env)
    assert gate.returncode == 1, gate.stdout + gate.stderr
    assert not (root / "output/site").exists()

    def tail(stdout: str) -> str:  # the gates, the findings, the annotations, the verdict
        return stdout[stdout.index("gate a11y"):]

    assert "color-contrast" in gate.stdout and "::error file=site/" in gate.stdout
    assert tail(gate.stdout) == tail(single.stdout)
    reports = root / "output/reports"
    for name in ("a11y.json", "a11y.junit.xml", "a11y.html", "codequality.json"):
        assert (reports / name).read_bytes() == (one / "output/reports" / name).read_bytes(), name
    built = json.loads((reports / "build.json").read_text())
    assert built["verdict"] == "blocked" and built["build_id"] == read_plan(
        load_config(root)).build_id


def test_each_shard_keeps_its_cache_and_rechecks_only_changed_documents(tmp_path: Path
                                                                       ) -> None:
    """Two runs of the CI flow, each shard job with its own cache (as actions/cache
    restores it): after an edit only the changed documents are checked, each by the
    shard that holds it; then the gate publishes under the build's id."""
    require_tool("chromium")
    root = tmp_path / "site"
    shutil.copytree(ROOTS / "build-site", root)
    assert run_cli(root, "build", "--defer-a11y").returncode == 0
    first = read_plan(load_config(root))
    digests = a11y_documents(load_config(root))  # what a document's cached result is keyed by
    files = run_shards(root, 2, tmp_path / "jobs")
    assert sorted(p for f in files for p in json.loads(f.read_text())["ran"]) == sorted(
        p for p, *_ in first.documents)
    page = root / "source/pages/dry-eye.md"
    page.write_text(page.read_text().replace("Eye drops can help.",
                                             "Eye drops can often help."))
    assert run_cli(root, "build", "--defer-a11y").returncode == 0
    second = read_plan(load_config(root))
    changed = {p for p, d in a11y_documents(load_config(root)).items() if digests.get(p) != d}
    changed.add("output/reports/a11y.html")
    assert "output/build/en/dry-eye.html" in changed and len(changed) < len(second.documents)
    files = run_shards(root, 2, tmp_path / "jobs")
    split = second.split(2)
    for file in files:
        part = json.loads(file.read_text())
        index = part["shard"]["index"]
        assert set(part["ran"]) <= changed, part["ran"]
        assert {p for p in changed if split[p] == index} - {
            "output/reports/a11y.html"} <= set(part["ran"])
        assert set(part["documents"]) == {p for p, s in split.items() if s == index}
    gate = run_cli(root, "gate", "--a11y-from", str(collect(files, tmp_path / "shards")))
    assert gate.returncode == 0, gate.stdout + gate.stderr
    manifest = json.loads((root / "output/site/manifest.json").read_text())
    assert manifest["build_id"] == second.build_id
    assert f"published: output/site-{second.build_id}" in gate.stdout


# --- the gate fails closed (crafted shard results) ---------------------------------------


@pytest.fixture(scope="module")
def deferred(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """build-site after 'pipeline build --defer-a11y' (no browser needed)."""
    root = tmp_path_factory.mktemp("deferred") / "site"
    shutil.copytree(ROOTS / "build-site", root)
    done = run_cli(root, "build", "--defer-a11y")
    assert done.returncode == 0, done.stdout + done.stderr
    return root


def crafted(root: Path, total: int = 2) -> ShardDocs:
    """Valid results for every shard, as the shards would write them for a clean site."""
    plan = read_plan(load_config(root))
    split = plan.split(total)
    out: ShardDocs = {}
    for index in range(1, total + 1):
        mine = [p for p, *_ in plan.documents if split[p] == index]
        documents = {p: plan.files.get(p, "0" * 64) for p in mine}
        rows = tuple(PageResult(p, p, "en", 0, 0, 0, 0, True) for p in mine)
        result = A11yResult((), (), rows, ("axe", "htmlcs", "langcheck"),
                            {"axe": "4.11.0", "htmlcs": "2.6.0"}, "4.1.1", tuple(mine),
                            "WCAG2AA", False, "/usr/bin/chromium", None)
        out[index] = {"format": 1, "build_id": plan.build_id,
                      "shard": {"index": index, "total": total}, "ok": True,
                      "documents": documents, "ran": mine, "a11y": a11y_document(result)}
    return out


def write_shards(folder: Path, shards: dict[Any, Any]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for key, data in shards.items():
        target = folder / f"job-{key}"
        target.mkdir(parents=True)
        index, total = (data["shard"]["index"], data["shard"]["total"]) if isinstance(
            data, dict) else (key, 2)
        text = data if isinstance(data, str) else json.dumps(data)
        (target / Shard(index, total).file_name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def gate_on(deferred: Path, tmp_path: Path) -> Iterator[Callable[[dict[Any, Any]], Any]]:
    def run(shards: dict[Any, Any]) -> Any:
        root = tmp_path / "site"
        shutil.copytree(deferred, root)
        folder = write_shards(tmp_path / "shards", shards)
        result = CliRunner().invoke(cli, ["--root", str(root), "gate", "--a11y-from",
                                          str(folder)], env={"GITHUB_ACTIONS": ""})
        result.root = root  # type: ignore[attr-defined]
        return result

    yield run


def test_crafted_valid_results_publish(gate_on: Callable[[dict[Any, Any]], Any],
                                       deferred: Path) -> None:
    result = gate_on(crafted(deferred))
    assert result.exit_code == 0, result.output
    assert (result.root / "output/site/manifest.json").is_file()
    a11y = json.loads((result.root / "output/reports/a11y.json").read_text())
    plan = json.loads((deferred / "output/reports/a11y-plan.json").read_text())
    # Every page of the build the plan names is recorded with the bytes checked.
    pages = [doc[0] for doc in plan["documents"] if doc[0].startswith("output/build/")]
    assert a11y["passed"] is True and sorted(a11y["checked_sha256"]) == sorted(pages)


def _drop(index: int) -> Callable[[ShardDocs], dict[Any, Any]]:
    def change(shards: ShardDocs) -> dict[Any, Any]:
        del shards[index]
        return dict(shards)
    return change


def _twice(shards: ShardDocs) -> dict[Any, Any]:
    return {**shards, "again": shards[2]}


def _other_build(shards: ShardDocs) -> dict[Any, Any]:
    shards[2]["build_id"] = "20260101T000000Z-0123456789ab"
    return dict(shards)


def _other_bytes(shards: ShardDocs) -> dict[Any, Any]:
    page = next(p for p in shards[2]["documents"] if p.startswith("output/build/"))
    shards[2]["documents"][page] = "f" * 64
    return dict(shards)


def _checked_elsewhere_too(shards: ShardDocs) -> dict[Any, Any]:
    page = next(p for p in shards[1]["documents"] if p.startswith("output/build/"))
    shards[2]["documents"][page] = shards[1]["documents"][page]
    shards[2]["a11y"]["pages"].append(page)
    shards[2]["a11y"]["results"].append(shards[1]["a11y"]["results"][0] | {"page": page})
    return dict(shards)


def _left_out(shards: ShardDocs) -> dict[Any, Any]:
    page = next(p for p in shards[2]["documents"] if p.startswith("output/build/"))
    del shards[2]["documents"][page]
    shards[2]["a11y"]["pages"].remove(page)
    shards[2]["a11y"]["results"] = [r for r in shards[2]["a11y"]["results"]
                                    if r["page"] != page]
    return dict(shards)


def _not_json(shards: ShardDocs) -> dict[Any, Any]:
    return {**shards, 2: json.dumps(shards[2])[:200]}


def _bad_finding(shards: ShardDocs) -> dict[Any, Any]:
    page = shards[2]["a11y"]["pages"][0]
    shards[2]["a11y"]["findings"] = [{"code": "image-alt", "message": "x", "details":
                                      {"page": page}}]
    return dict(shards)


def _failed(shards: ShardDocs) -> dict[Any, Any]:
    shards[2] = {"format": 1, "build_id": shards[2]["build_id"], "shard": shards[2]["shard"],
                 "ok": False, "error": {"message": "Chromium did not start (/usr/bin/x)",
                                        "hint": "check the Chromium path", "location": None}}
    return dict(shards)


FAIL_CLOSED = [
    ("missing", _drop(2), r"shard 2/2 is missing: no a11y-shard-2-of-2\.json in "),
    ("missing-first", _drop(1), r"shard 1/2 is missing"),
    ("duplicated", _twice, r"shard 2/2 is duplicated: .*job-2/a11y-shard-2-of-2\.json and "
                           r".*job-again/a11y-shard-2-of-2\.json"),
    ("duplicated-document", _checked_elsewhere_too,
     r"job-2/a11y-shard-2-of-2\.json: shard 2/2 duplicates shard 1/2: both checked "
     r"output/build/"),
    ("stale-build-id", _other_build, r"job-2/a11y-shard-2-of-2\.json: shard 2/2 is stale: its "
                                     r"result is for build 20260101T000000Z-0123456789ab, "
                                     r"this build is "),
    ("stale-hash", _other_bytes, r"job-2/a11y-shard-2-of-2\.json: shard 2/2 is stale: it "
                                 r"checked output/build/\S+ as sha256 ffffffffffff…, this "
                                 r"build's is [0-9a-f]{12}…"),
    ("corrupt-json", _not_json, r"job-2/a11y-shard-2-of-2\.json: shard 2/2's result is "
                                r"corrupt \("),
    ("corrupt-shape", _bad_finding, r"shard 2/2's result is corrupt \(a finding's "
                                    r"'severity' is missing"),
    ("failed", _failed, r"shard 2/2 could not check its documents: Chromium did not start"),
    ("document-not-checked", _left_out, r"1 document\(s\) of build \S+ were not checked: "
                                        r"output/build/\S+ \(shard 2/2's\)"),
]


@pytest.mark.parametrize(("case", "change", "message"), FAIL_CLOSED,
                         ids=[c[0] for c in FAIL_CLOSED])
def test_gate_fails_closed_naming_the_shard(
        gate_on: Callable[[dict[Any, Any]], Any], deferred: Path, case: str,
        change: Callable[[ShardDocs], dict[Any, Any]], message: str) -> None:
    result = gate_on(change(crafted(deferred)))
    assert result.exit_code == 1, result.output
    assert re.search(message, result.stderr), result.stderr
    assert "Traceback" not in result.output
    root = result.root
    assert not (root / "output/site").exists() and not list(root.glob("output/site-*"))
    # The reports say why, not a stale pass; build.json names the shard too.
    a11y = json.loads((root / "output/reports/a11y.json").read_text())
    assert a11y["ok"] is False and re.search(r"shard [12]/2", a11y["error"]["message"])
    built = json.loads((root / "output/reports/build.json").read_text())
    assert built["verdict"] == "blocked"
    assert any(re.search(r"shard [0-9]/2", reason) for reason in built["reasons"])


def test_results_of_another_split_fail_closed(gate_on: Callable[[dict[Any, Any]], Any],
                                              deferred: Path) -> None:
    two = crafted(deferred, 2)
    three = crafted(deferred, 3)
    result = gate_on({**two, "three": three[1]})
    assert result.exit_code == 1
    assert re.search(r"shard results of different splits: 1/2 \(.*\), 1/3 \(.*\), 2/2 \(",
                     result.stderr), result.stderr
    assert not (result.root / "output/site").exists()


def test_no_results_at_all_fail_closed(gate_on: Callable[[dict[Any, Any]], Any]) -> None:
    result = gate_on({})
    assert result.exit_code == 1
    assert "no shard results (a11y-shard-I-of-N.json) in " in result.stderr


# --- a shard verifies what it received --------------------------------------------------


@pytest.mark.parametrize("change", ["edited", "extra", "missing"])
def test_shard_refuses_a_build_that_is_not_the_planned_one(deferred: Path, tmp_path: Path,
                                                           change: str) -> None:
    root = deliver(deferred, tmp_path / "job")
    page = root / "output/build/es/dry-eye.html"
    if change == "edited":
        page.write_text(page.read_text().replace("</main>", "<p>injected</p></main>"))
        expected = ("output/build/es/dry-eye.html: this file differs from build "
                    f"{read_plan(load_config(root)).build_id}'s")
    elif change == "extra":
        (root / "output/build/es/extra.html").write_text("<p>unchecked</p>")
        expected = "output/build/es/extra.html: this file is not part of build "
    else:
        page.unlink()
        expected = "output/build/es/dry-eye.html: this file of build "
    done = run_cli(root, "a11y", "--shard", "1/2")
    assert done.returncode == 1 and expected in done.stderr, done.stderr
    assert "nothing was checked" in done.stderr
    result = json.loads((root / "output/reports/a11y-shard-1-of-2.json").read_text())
    assert result["ok"] is False and result["shard"] == {"index": 1, "total": 2}
    # The gate (its own copy of the build is intact) names the shard that could not check.
    gate = run_cli(deliver(deferred, tmp_path / "gate"), "gate", "--a11y-from",
                   str(root / "output/reports"))
    assert gate.returncode == 1
    assert "shard 1/2 could not check its documents: this file" in gate.stderr, gate.stderr


def test_shard_usage_errors(deferred: Path) -> None:
    for args in (("--shard", "3/2"), ("--shard", "1/2", "es/dry-eye.html"),
                 ("--shard", "1/2", "--standard", "WCAG2AAA")):
        done = run_cli(deferred, "a11y", *args)
        assert done.returncode == 2, (args, done.stderr)
        assert "hint:" in done.stderr


def test_gate_without_a_deferred_build(tmp_path: Path) -> None:
    root = tmp_path / "site"
    shutil.copytree(ROOTS / "build-site", root)
    done = run_cli(root, "gate", "--a11y-from", str(tmp_path))
    assert done.returncode == 1
    assert "\noutput/reports/a11y-plan.json: no deferred build here" in done.stderr


# --- the shipped workflows ------------------------------------------------------------------


def test_github_workflow_is_build_then_shards_then_gate_with_matching_artifacts() -> None:
    import yaml

    workflow = yaml.safe_load((REPO / ".github/workflows/publish.yml").read_text())
    jobs = workflow["jobs"]
    assert set(jobs) == {"build", "a11y", "gate"}
    assert jobs["a11y"]["needs"] == "build" and set(jobs["gate"]["needs"]) == {"build", "a11y"}
    shards = jobs["a11y"]["strategy"]["matrix"]["shard"]
    assert shards == list(range(1, len(shards) + 1)) and len(shards) >= 2

    def steps(job: str, action: str) -> list[dict[str, Any]]:
        return [s for s in jobs[job]["steps"] if str(s.get("uses", "")).startswith(action)]

    runs = {job: [s["run"] for s in jobs[job]["steps"] if "run" in s] for job in jobs}
    assert "ci/sharded.sh build" in runs["build"]
    assert "ci/sharded.sh shard ${{ matrix.shard }}/${{ strategy.job-total }}" in runs["a11y"]
    assert "ci/sharded.sh gate shards/" in runs["gate"]
    (build_up,) = steps("build", "actions/upload-artifact@")
    assert build_up["with"]["path"].split() == ["output/build/", "output/reports/"]
    for job in ("a11y", "gate"):
        downs = steps(job, "actions/download-artifact@")
        assert {"name": build_up["with"]["name"], "path": "output/"} in [d["with"] for d in downs]
    (shard_up,) = steps("a11y", "actions/upload-artifact@")
    assert shard_up["if"] == "always()"
    name = shard_up["with"]["name"]
    (shard_down,) = [d for d in steps("gate", "actions/download-artifact@")
                     if "pattern" in d["with"]]
    for index in shards:  # every shard's artifact is matched by the gate's pattern
        concrete = name.replace("${{ matrix.shard }}", str(index))
        assert re.fullmatch(shard_down["with"]["pattern"].replace("*", ".*"), concrete)
        assert concrete != build_up["with"]["name"]
        file = shard_up["with"]["path"].replace("${{ matrix.shard }}", str(index)).replace(
            "${{ strategy.job-total }}", str(len(shards)))
        assert file == f"output/reports/{Shard(index, len(shards)).file_name}"
    assert shard_down["with"]["path"] == "shards/"
    assert jobs["gate"]["if"] == "${{ !cancelled() && needs.build.result == 'success' }}"


def test_gitlab_pipeline_is_build_then_shards_then_gate() -> None:
    import yaml

    pipeline = yaml.safe_load((REPO / "ci/gitlab-ci.yml").read_text())
    assert pipeline["stages"] == ["build", "a11y", "gate"]
    build, shards, gate = pipeline["build"], pipeline["a11y"], pipeline["gate"]
    assert (build["stage"], shards["stage"], gate["stage"]) == ("build", "a11y", "gate")
    assert build["script"] == ["ci/sharded.sh build"]
    assert build["artifacts"]["paths"] == ["output/build/", "output/reports/"]
    assert isinstance(shards["parallel"], int) and shards["parallel"] >= 2
    assert shards["needs"] == ["build"]
    assert shards["script"] == ['ci/sharded.sh shard "$CI_NODE_INDEX/$CI_NODE_TOTAL"']
    assert shards["artifacts"]["when"] == "always"
    assert shards["artifacts"]["paths"] == ["output/reports/a11y-shard-*-of-*.json"]
    assert shards["cache"]["key"] == "a11y-$CI_NODE_INDEX-of-$CI_NODE_TOTAL"
    assert set(gate["needs"]) == {"build", "a11y"} and gate["when"] == "always"
    # The shards' files land where the build's reports are; the gate reads them there.
    assert gate["script"] == ["ci/sharded.sh gate output/reports/"]
    assert gate["artifacts"]["reports"] == {"junit": "output/reports/a11y.junit.xml",
                                            "codequality": "output/reports/codequality.json"}
    for index in range(1, shards["parallel"] + 1):
        name = Shard(index, shards["parallel"]).file_name
        assert re.fullmatch(r"a11y-shard-.*-of-.*\.json", name)
    bash = shutil.which("bash")
    assert bash is not None
    subprocess.run([bash, "-n", str(REPO / "ci/sharded.sh")], check=True)
    assert os.access(REPO / "ci/sharded.sh", os.X_OK)
