"""End to end: `pipeline build` on a fixture root, with real pa11y-ci and Chromium.

One module-scoped build is shared by the cheap assertions; the tests that change the
content work on their own copy of the built root so the cache is warm.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pickle
import re
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import (
    ROOTS,
    dead_internal_links,
    lock_held_elsewhere,
    require_tool,
    run_cli,
    run_cli_process,
)

import pipeline.stages.publish as publish_stage
from pipeline.build import _as_shown
from pipeline.cli import cli
from pipeline.config import load_config
from pipeline.errors import PipelineError
from pipeline.infra.digests import FileFacts, facts_file, sha256_hex
from pipeline.models import Finding, Location, frozen_details
from pipeline.reporters.codequality import iter_code_quality
from pipeline.stages.check import run_checks
from pipeline.stages.publish import _stage, hash_tree, publish, stage_ahead


def tree_hashes(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def build_json(root: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((root / "output/reports/build.json").read_text())
    return data


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    require_tool("chromium")
    root = tmp_path_factory.mktemp("build") / "site"
    shutil.copytree(ROOTS / "build-site", root)
    result = run_cli(root, "build")
    assert result.returncode == 0, result.stdout + result.stderr
    yield root


def copy_built(built: Path, tmp_path: Path) -> Path:
    root = tmp_path / "site"
    shutil.copytree(built, root, symlinks=True)
    return root


def test_clean_build_publishes_complete_pages(built: Path) -> None:
    site = built / "output/site"
    assert site.is_symlink()
    assert (site / "en/eyelid-twitch.html").is_file()
    assert (site / "en/dry-eye.html").is_file()
    assert (site / "es/eyelid-twitch.html").is_file()
    assert (site / "es/dry-eye.html").is_file()
    # French is at half of the eyelid page: not published there, published for dry eye.
    # Being translated in part, its URL serves a short French page pointing to the
    # English one (the repository cannot tell a page that left French from one not
    # translated far enough yet), and the gate names it: a warning, not a pass.
    assert "Nous mettons cette page à jour" in (site / "fr/eyelid-twitch.html").read_text()
    assert (site / "fr/dry-eye.html").is_file()
    report = build_json(built)
    assert report["verdict"] == "published"
    gates = {g["name"]: g for g in report["gates"]}
    assert (gates["completeness"]["passed"], gates["completeness"]["blocks"]) == (False, False)
    assert gates["completeness"]["detail"].startswith("withdrawn") and \
        "fr/eyelid-twitch: 76 % translated" in gates["completeness"]["detail"]
    for name in ("readability.json", "readability.html", "a11y.json", "a11y.html",
                 "a11y.junit.xml", "qa.json", "build.json"):
        assert (built / "output/reports" / name).is_file(), name
    for slug in ("dry-eye", "eyelid-twitch"):  # the readability report's page documents
        assert (built / f"output/reports/readability/{slug}.html").is_file(), slug
    # The image beside the pages is published in every language, and pa11y's browser
    # loaded it: no resource-not-found finding, no needs-review item about it.
    drop = (ROOTS / "build-site/source/pages/images/drop.svg").read_bytes()
    for tag in ("en", "es", "fr"):
        assert (site / tag / "images/drop.svg").read_bytes() == drop, tag
        assert '<img src="images/drop.svg" alt="">' in (site / tag / "dry-eye.html"
                                                         ).read_text(), tag
    a11y = json.loads((built / "output/reports/a11y.json").read_text())
    assert not [f for f in a11y["findings"] if f["code"] == "resource-not-found"], a11y
    # HTML_CodeSniffer asks to confirm the image is decorative: a warning (not gating),
    # traced to the page's line, not to the template that holds the body.
    about_drop = [f for f in a11y["findings"] if "drop.svg" in json.dumps(f)]
    assert about_drop and all(f["location"] == "source/pages/dry-eye.md:17"
                              and not f["gating"] for f in about_drop), about_drop


def test_left_out_page_is_linked_from_nowhere(built: Path) -> None:
    site = built / "output/site"
    for html in site.rglob("*.html"):
        assert "fr/eyelid-twitch.html" not in html.read_text(), html
    assert "fr/eyelid-twitch.html" not in (site / "sitemap.xml").read_text()
    assert 'hreflang="fr"' not in (site / "es/eyelid-twitch.html").read_text()
    assert 'hreflang="fr"' in (site / "es/dry-eye.html").read_text()


def test_published_site_has_no_dead_internal_link(built: Path) -> None:
    config = load_config(built)
    assert config.external_paths == ("/contact/",)
    assert dead_internal_links(built / "output/site", config.base_url,
                               config.external_paths) == []


def test_manifest_lists_every_file_with_its_hash(built: Path) -> None:
    site = built / "output/site"
    manifest = json.loads((site / "manifest.json").read_text())
    files = {f["path"]: f for f in manifest["files"]}
    on_disk = tree_hashes(site)
    on_disk.pop("manifest.json")
    assert {p: f["sha256"] for p, f in files.items()} == on_disk
    assert files["es/dry-eye.html"]["language"] == "es"
    assert files["index.html"]["language"] is None
    assert manifest["verdicts"]["a11y"]["passed"] is True


def test_second_build_checks_no_page_and_changes_nothing(built: Path, tmp_path: Path) -> None:
    root = copy_built(built, tmp_path)
    before = tree_hashes(root / "output/site")
    target = os.readlink(root / "output/site")
    started = time.monotonic()
    result = run_cli(root, "build")
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    report = build_json(root)
    assert report["a11y_checked"] == []
    assert report["rendered"] == []
    assert "pa11y: 0 document(s) checked" in result.stdout
    assert os.readlink(root / "output/site") == target  # same site, not republished
    assert tree_hashes(root / "output/site") == before
    assert elapsed < 15, elapsed


def test_one_paragraph_edit_rechecks_only_that_page(built: Path, tmp_path: Path) -> None:
    root = copy_built(built, tmp_path)
    page = root / "source/pages/dry-eye.md"
    page.write_text(page.read_text().replace("Eye drops can help.",
                                             "Eye drops from the pharmacy can help."))
    result = run_cli(root, "build")
    report = build_json(root)
    checked = set(report["a11y_checked"])
    assert report["rendered"] == ["dry-eye"]
    # The page changed in every language; es and fr stay published, the changed
    # paragraph in English under a notice. The eyelid page is never re-checked.
    assert "output/build/en/dry-eye.html" in checked
    assert "output/build/es/dry-eye.html" in checked
    assert "output/reports/readability/dry-eye.html" in checked
    assert not any("eyelid-twitch" in page for page in checked), checked
    assert result.returncode == 0, result.stdout + result.stderr
    spanish = (root / "output/site/es/dry-eye.html").read_text()
    assert ('<p data-src="source/pages/dry-eye.md:15" lang="en">Eye drops from the pharmacy '
            'can help.</p>') in spanish
    assert "Algunas partes de esta página aún no están traducidas" in spanish
    assert (root / "output/site/es/eyelid-twitch.html").is_file()
    # Pages left alone (their completeness taken from the cache) are exactly what a
    # render from nothing writes, and so are the indexes and the sitemap.
    fresh = tmp_path / "fresh"
    shutil.copytree(root, fresh, symlinks=True, ignore=shutil.ignore_patterns("output"))
    assert run_cli(fresh, "render").returncode == 0
    assert tree_hashes(fresh / "output/build") == tree_hashes(root / "output/build")
    # So are the readability reports (the unchanged page's document was not rewritten).
    assert run_cli(fresh, "readability").returncode == 0
    assert tree_hashes(fresh / "output/reports/readability") == tree_hashes(
        root / "output/reports/readability")
    for name in ("readability.json", "readability.html"):
        assert (fresh / "output/reports" / name).read_bytes() == (
            root / "output/reports" / name).read_bytes(), name
    stages: dict[str, float] = report["seconds_by_stage"]
    assert set(stages) == {"start", "extract", "update", "check", "render", "readability",
                           "a11y", "publish"}, stages
    assert stages["a11y"] > 0 and all(s >= 0 for s in stages.values()), stages


def test_publish_reuses_unchanged_files_of_the_live_site(built: Path, tmp_path: Path) -> None:
    root = copy_built(built, tmp_path)
    old = (root / "output/site").resolve()
    page = root / "source/pages/dry-eye.md"
    page.write_text(page.read_text().replace("Eye drops can help.",
                                             "Eye drops from the pharmacy can help."))
    # Someone edits a live file in place: publish must not carry that file on.
    tampered = old / "en/index.html"
    tampered.write_text(tampered.read_text() + "<!-- edited on the server -->")
    result = run_cli(root, "build")
    assert result.returncode == 0, result.stdout + result.stderr
    new = (root / "output/site").resolve()
    assert new != old

    def inode(path: Path) -> int:
        return path.stat().st_ino

    # Unchanged bytes: the same file as in the previous site (a hard link, no copy).
    assert inode(new / "en/eyelid-twitch.html") == inode(old / "en/eyelid-twitch.html")
    # Changed: a new copy, and never a link into output/build (a later in-place edit
    # there would change the live site).
    assert inode(new / "en/dry-eye.html") != inode(old / "en/dry-eye.html")
    for rel in ("en/dry-eye.html", "en/eyelid-twitch.html", "en/index.html"):
        assert inode(new / rel) != inode(root / "output/build" / rel)
    assert inode(new / "en/index.html") != inode(tampered)
    assert (new / "en/index.html").read_bytes() == (root / "output/build/en/index.html"
                                                    ).read_bytes()
    manifest = json.loads((new / "manifest.json").read_text())
    for item in manifest["files"]:
        data = (new / item["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == item["sha256"], item["path"]
    # The next publish links these without reading them: the build's file facts know
    # every live file as it is now (the old site's removal changed the shared files' ctime).
    stored = pickle.loads((root / "output/.cache/file-facts.pickle").read_bytes())
    known = {os.path.realpath(name.split("\0", 1)[1]): fact for name, fact in stored.items()
             if name.startswith("sha256\0")}
    for item in manifest["files"]:
        info = (new / item["path"]).stat()
        assert known[os.path.realpath(new / item["path"])] == [
            info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns, item["sha256"]]


def test_publish_takes_the_copy_staged_ahead_only_as_checked(built: Path, tmp_path: Path
                                                              ) -> None:
    root = copy_built(built, tmp_path)
    config = load_config(root)
    out = root / "output"
    # A new tree to publish, its pages as pa11y checked them.
    (out / "build/robots.txt").write_text("User-agent: *\n")
    facts = FileFacts(facts_file(out))
    staged = stage_ahead(config, out / ".site-ahead.tmp-1", facts)
    assert staged is not None and staged.folder is not None
    assert (staged.folder / "robots.txt").is_file()
    page = out / "build/en/dry-eye.html"
    checked = page.read_bytes()
    # output/build changed once staged: the staged copy, as checked, is what goes live.
    page.write_bytes(checked.replace(b"</main>", b"<img src=x></main>"))
    result = publish(config, {}, facts=facts, staged=staged)
    assert result.changed and (out / "site").resolve() == result.target
    assert (out / "site/en/dry-eye.html").read_bytes() == checked
    assert (out / "site/robots.txt").read_text() == "User-agent: *\n"
    assert not list(out.glob(".site-*"))
    # Staged with the unchecked page: not taken, and output/build as it is is refused.
    staged = stage_ahead(config, out / ".site-ahead.tmp-2", facts)
    assert staged is not None and staged.folder is not None
    with pytest.raises(PipelineError, match="refusing to publish") as error:
        publish(config, {}, facts=facts, staged=staged)
    assert error.value.location == Location("output/build/en/dry-eye.html")
    assert not list(out.glob(".site-*"))
    assert (out / "site").resolve() == result.target
    assert (out / "site/en/dry-eye.html").read_bytes() == checked
    # A copy that cannot be made (a file where its folder goes): none, publish copies.
    in_the_way = out / ".site-ahead.tmp-3"
    in_the_way.write_text("")
    assert stage_ahead(config, in_the_way, facts) is None


def test_a_build_killed_while_staging_leaves_no_stager_and_the_next_one_publishes(
        built: Path, tmp_path: Path) -> None:
    root = copy_built(built, tmp_path)
    live = os.readlink(root / "output/site")
    page = root / "source/pages/dry-eye.md"
    page.write_text(page.read_text().replace("Eye drops can help.",
                                             "Eye drops from the pharmacy can help."))
    # The stager kills the build once its folder exists: ``kill -9`` of its parent.
    kill_build = (f"{sys.executable} -c \"import os; stat = open(f'/proc/{{os.getppid()}}"
                  f"/stat').read(); os.kill(int(stat.rsplit(')', 1)[1].split()[1]), 9)\"")
    hook = f"publish:staging-ahead={kill_build} {tmp_path}"  # unique to this test
    # Its own $TMPDIR (short: Chromium's socket path): pa11y-ci may have started its
    # run, whose temp folder a kill leaves behind.
    own_tmp = Path(tempfile.mkdtemp(prefix="t-"))
    try:
        result = run_cli_process(root, "build",
                                 env={"PIPELINE_HOOK": hook, "TMPDIR": str(own_tmp)})
    finally:
        shutil.rmtree(own_tmp, ignore_errors=True)
    assert result.returncode == -signal.SIGKILL, result.stdout + result.stderr
    assert list((root / "output").glob(".site-ahead.tmp-*"))  # as the kill left it

    def stagers() -> list[int]:
        found = []
        for proc in Path("/proc").iterdir():
            with contextlib.suppress(OSError):
                if f"PIPELINE_HOOK={hook}".encode() in (proc / "environ").read_bytes():
                    found.append(int(proc.name))
        return found

    deadline = time.monotonic() + 10  # the kernel's parent-death signal ends it
    while stagers() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert stagers() == []
    assert os.readlink(root / "output/site") == live
    result = run_cli(root, "build")
    assert result.returncode == 0, result.stdout + result.stderr
    assert os.readlink(root / "output/site") != live
    assert "Eye drops from the pharmacy can help." in (
        root / "output/site/en/dry-eye.html").read_text()
    assert not list((root / "output").glob(".site-*"))


def test_staging_writes_the_bytes_it_hashes(tmp_path: Path) -> None:
    build = tmp_path / "build"
    (build / "en").mkdir(parents=True)
    (build / "en/a.html").write_text("one")
    hashes = hash_tree(build)
    (build / "en/a.html").write_text("two!")  # written again once hashed
    staged = _stage(build, tmp_path / "staging", hashes, None, {},
                    FileFacts(tmp_path / "facts.pickle"))
    assert staged == {"en/a.html": (sha256_hex(b"two!"), 4)}
    assert (tmp_path / "staging/en/a.html").read_bytes() == b"two!"


def test_publish_stops_when_a_file_changes_while_it_is_copied(
        built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = copy_built(built, tmp_path)
    config = load_config(root)
    robots = root / "output/build/robots.txt"
    robots.write_text("User-agent: *\n")
    live = os.readlink(root / "output/site")
    hashed = publish_stage.hash_tree

    def then_written(tree: Path, facts: FileFacts | None = None
                     ) -> dict[str, tuple[str, int]]:
        hashes = hashed(tree, facts)
        robots.write_text("User-agent: *\nDisallow: /\n")  # another writer, just then
        return hashes

    monkeypatch.setattr(publish_stage, "hash_tree", then_written)
    with pytest.raises(PipelineError, match="changed while it was being published") as error:
        publish(config, {})
    assert error.value.location == Location("output/build/robots.txt")
    assert error.value.hint
    assert os.readlink(root / "output/site") == live
    assert not list((root / "output").glob(".site-*"))


def test_a11y_defect_blocks_and_keeps_the_previous_site(built: Path, tmp_path: Path) -> None:
    root = copy_built(built, tmp_path)
    site_before = tree_hashes(root / "output/site")
    link_before = os.readlink(root / "output/site")
    style = root / "source/templates/style.css"
    # Pale grey text on white: about 1.6:1, far below WCAG AA's 4.5:1.
    style.write_text(style.read_text() + "\n.content p { color: #cccccc; }\n")
    result = run_cli(root, "build", env={"GITHUB_ACTIONS": ""})
    assert result.returncode == 1, result.stdout + result.stderr
    assert "blocked, because" in result.stdout
    assert "accessibility finding(s) block publication" in result.stdout
    # Where to fix each, GNU style, with the page and element; no annotations off GitHub.
    assert re.search(r"^source/pages/dry-eye\.md:13: error: .+ \[color-contrast\]\n"
                     r"  page: output/build/en/dry-eye\.html \(en\), element: ", result.stdout,
                     re.MULTILINE), result.stdout
    po_line = po_entry_line(root / "locales/es/LC_MESSAGES/messages.po", "Eye drops can help.")
    assert re.search(rf"^locales/es/LC_MESSAGES/messages\.po:{po_line}: error: .+ "
                     r"\[color-contrast\]\n  page: output/build/es/dry-eye\.html \(es\)",
                     result.stdout, re.MULTILINE), result.stdout
    assert "::error" not in result.stdout
    issues = json.loads((root / "output/reports/codequality.json").read_text())
    assert {"path": "locales/es/LC_MESSAGES/messages.po", "lines": {"begin": po_line}} in [
        i["location"] for i in issues
        if i["check_name"] == "color-contrast" and i["severity"] == "blocker"]
    assert build_json(root)["verdict"] == "blocked"
    assert os.readlink(root / "output/site") == link_before
    assert tree_hashes(root / "output/site") == site_before
    assert not list((root / "output").glob(".site-*"))  # what was staged ahead is gone
    a11y = json.loads((root / "output/reports/a11y.json").read_text())
    contrast = [f for f in a11y["findings"] if "contrast" in f["code"].lower()
                or "G18" in f["code"]]
    assert contrast, a11y["findings"][:3]
    assert any(f["details"]["language"] == "es" for f in contrast)


def po_entry_line(path: Path, msgid: str) -> int:
    """The 1-based line of an entry's ``msgid`` keyword (where findings point)."""
    lines = path.read_text().splitlines()
    return lines.index(f"msgid {json.dumps(msgid, ensure_ascii=False)}") + 1


def test_qa_error_blocks_and_says_where_in_the_log_and_on_github(built: Path, tmp_path: Path
                                                                 ) -> None:
    root = copy_built(built, tmp_path)  # tmp_path/site: a content root in a subfolder
    catalog = root / "locales/es/LC_MESSAGES/messages.po"
    catalog.write_text(catalog.read_text().replace(
        'msgstr "Las gotas para los ojos pueden ayudar."',
        'msgstr "Las gotas [ayudan, 100%](jav%09ascript:alert(1))."'))
    env = {"GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": str(tmp_path), "CI_PROJECT_DIR": None}
    result = CliRunner().invoke(cli, ["--root", str(root), "build"], env=env)
    assert result.exit_code == 1, result.output
    out = result.stdout
    line = po_entry_line(catalog, "Eye drops can help.")
    po = "locales/es/LC_MESSAGES/messages.po"
    assert f"{po}:{line}: error: the translation contains a javascript: URL [html-added]\n" \
           "  hint: write plain text and Markdown only" in out
    assert f'{po}:{line}: error: the translation adds a link to "jav%09ascript:alert(1)" ' \
           "[link-added]" in out
    assert "and 0 more" not in out and "more in output/reports" not in out  # 2 errors: all shown
    assert out.index(f"{po}:{line}:") < out.index("blocked, because 2 translation QA error(s)")
    # GitHub: the same two as workflow commands, paths from the workspace, escaped.
    commands = [c for c in out.splitlines() if c.startswith("::")]
    assert commands == [
        f"::error file=site/{po},line={line},title=link-added (translation QA)::the "
        'translation adds a link to "jav%2509ascript:alert(1)"%0Ahint: remove it: a '
        "translation has the same links as the source, no more",
        f"::error file=site/{po},line={line},title=html-added (translation QA)::the "
        "translation contains a javascript: URL%0Ahint: write plain text and Markdown only "
        "(**bold**, [text](url)); raw HTML and scripts are never allowed in a translation",
    ]
    issues = json.loads((root / "output/reports/codequality.json").read_text())
    blockers = [(i["check_name"], i["location"]) for i in issues if i["severity"] == "blocker"]
    assert blockers == [(code, {"path": f"site/{po}", "lines": {"begin": line}})
                        for code in ("link-added", "html-added")]
    assert build_json(root)["verdict"] == "blocked"


def test_publish_refuses_unchecked_pages(built: Path, tmp_path: Path) -> None:
    root = copy_built(built, tmp_path)
    page = root / "output/build/es/dry-eye.html"
    page.write_text(page.read_text().replace("</main>", "<img src=x></main>"))
    result = run_cli(root, "publish")
    assert result.returncode == 1
    assert result.stderr.startswith("output/build/es/dry-eye.html: refusing to publish")
    assert "hint:" in result.stderr


@pytest.mark.parametrize("point", ["publish:after-copy", "publish:before-flip",
                                   "publish:after-flip"])
def test_killed_publish_leaves_old_or_new_site(built: Path, tmp_path: Path, point: str) -> None:
    root = copy_built(built, tmp_path)
    old = tree_hashes(root / "output/site")
    # A new build: change the checked tree's bytes without changing what pa11y saw.
    (root / "output/build/robots.txt").write_text("User-agent: *\n")
    result = run_cli_process(root, "publish", env={"PIPELINE_FAULT": point})
    assert result.returncode == 137
    now = tree_hashes(root / "output/site")
    new_files = set(now) - set(old)
    assert now == old or new_files <= {"robots.txt"}, new_files
    if point == "publish:after-flip":
        assert "robots.txt" in now
    else:
        assert now == old
    # The next run cleans up whatever the killed one left and publishes.
    result = run_cli(root, "publish")
    assert result.returncode == 0, result.stderr
    assert not list((root / "output").glob(".site-*"))
    assert (root / "output/site/robots.txt").is_file()


def test_concurrent_build_is_refused_with_the_holders_pid(built: Path, tmp_path: Path) -> None:
    root = copy_built(built, tmp_path)
    with lock_held_elsewhere(root) as pid:
        result = run_cli(root, "build")
        assert result.returncode == 1
        assert f"another pipeline run holds the lock (PID {pid})" in result.stderr
    # Killed holder: the kernel released the lock; the next run notes the stale PID.
    result = run_cli(root, "build")
    assert result.returncode == 0, result.stderr
    assert f"stale lock left by PID {pid}" in result.stdout


def test_a11y_gate_off_publishes_with_findings_reported(built: Path, tmp_path: Path) -> None:
    root = copy_built(built, tmp_path)
    config = root / "pyproject.toml"
    config.write_text(config.read_text() + "\n[tool.pipeline.gate]\na11y = false\n")
    style = root / "source/templates/style.css"
    style.write_text(style.read_text() + "\n.content p { color: #cccccc; }\n")
    result = run_cli(root, "build")
    assert result.returncode == 0, result.stdout + result.stderr
    report = build_json(root)
    assert report["verdict"] == "published"
    gates = {g["name"]: g for g in report["gates"]}
    assert gates["a11y"]["enabled"] is False and gates["a11y"]["passed"] is False
    assert "gate a11y         warn" in result.stdout
    manifest = json.loads((root / "output/site/manifest.json").read_text())
    assert manifest["verdicts"]["a11y"]["passed"] is False


def test_a_glossary_edit_rescores_readability_without_rendering(built: Path,
                                                               tmp_path: Path) -> None:
    """Readability's advice leaves the glossary's kept names alone, so a glossary edit
    scores every page again; the pages' HTML does not depend on it."""
    root = copy_built(built, tmp_path)
    (root / "locales/glossary.csv").write_text(
        "term,lang,translation,note\nRiverside,*,Riverside,the clinic's name\n")
    result = run_cli(root, "build")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "[readability] scoring 2 page(s)" in result.stderr, result.stderr
    assert build_json(root)["rendered"] == []
    again = run_cli(root, "build")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "[readability] scoring 0 page(s)" in again.stderr, again.stderr


def test_what_the_build_keeps_of_a_qa_finding_gives_the_same_code_quality_report() -> None:
    """Past the QA reports the build keeps each warning as ``_as_shown`` makes it, for
    a rewrite of codequality.json with the a11y stage's issues: the same issues."""
    config = load_config(ROOTS / "qa-findings")
    found = list(run_checks(config).findings)
    assert len(found) > 5 and any(f.related for f in found)
    page = Location("source/pages/a.md", 3)
    found += [Finding("color-contrast", "error", "low contrast", page, "darken it",
                      (Location("output/build/es/a.html", 1),),
                      frozen_details(page="output/build/es/a.html", language="es")),
              Finding("color-contrast", "warning", "low contrast", page, None, (),
                      frozen_details(page=None)),
              Finding("image-alt", "notice", "no alt", page, None, (), frozen_details())]
    issues = [(f, f.severity == "error") for f in found]
    shown = [(_as_shown(f), blocks) for f, blocks in issues]
    assert list(iter_code_quality(shown, "site/")) == list(iter_code_quality(issues, "site/"))
