"""The build cache in parts: each read only when asked for, written only when changed,
and never read half-written."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import polib
import pytest
from conftest import ROOTS, copy_shipped, invoke_cli, run_cli, run_cli_process

from pipeline import build as build_module
from pipeline import workspace as workspace_module
from pipeline.build import (
    REPORT_FACT,
    Fingerprints,
    build,
    extract_step,
    page_fingerprints,
    update_step,
)
from pipeline.config import load_config
from pipeline.errors import PipelineError, Stopped
from pipeline.infra import cache as cache_module
from pipeline.infra.cache import (
    MANIFEST,
    PARTS,
    BuildCache,
    cache_dir,
    load_cache,
    save_cache,
    save_meanwhile,
    save_parts,
)
from pipeline.infra.digests import FileFacts, facts_file, stat_key
from pipeline.infra.fsutil import content_digest
from pipeline.infra.workload import Later
from pipeline.models import Location
from pipeline.po.blocks import read_blocks
from pipeline.po.reader import parse_po_bytes
from pipeline.po.writer import entry_text
from pipeline.reporters import readability_html
from pipeline.stages import update as update_module
from pipeline.stages.extract import extract
from pipeline.stages.render import SiteRenderer
from pipeline.stages.update import update_catalogs
from pipeline.text.measure.syllables import cmudict_file
from pipeline.text.pages import parse_page
from pipeline.text.translations import Translations
from pipeline.workspace import Workspace

PAGE = "source/pages/dry-eye.md"


def files(output: Path) -> dict[str, float]:
    return {p.name: p.stat().st_mtime_ns for p in cache_dir(output).iterdir()}


def filled(output: Path) -> BuildCache:
    cache = BuildCache()
    cache.fingerprints = {"a": "1", "b": "2"}
    cache.readability = {f"page-{n}": (n, "scores") for n in range(100)}
    cache.pages = {("p.md", b"x"): "parsed"}
    cache.qa = {"es": {b"k": (3, ())}}
    cache.a11y_pages = {"output/build/es/a.html": ("sha", ())}
    save_cache(output, cache)
    return cache


def test_round_trip_and_only_changed_parts_are_written(tmp_path: Path) -> None:
    filled(tmp_path)
    before = files(tmp_path)
    cache = load_cache(tmp_path)
    assert cache.fingerprints == {"a": "1", "b": "2"}
    assert cache.readability["page-7"] == (7, "scores")
    assert cache.qa == {"es": {b"k": (3, ())}}
    # One page rescored: the one readability file it falls in, and the manifest.
    cache.readability = {**cache.readability, "page-7": (7, "new scores")}
    save_cache(tmp_path, cache)
    after = files(tmp_path)
    new = {name for name in after if name not in before}
    gone = {name for name in before if name not in after}
    assert len(new) == 1 and next(iter(new)).startswith("readability.")
    assert len(gone) == 1 and next(iter(gone)).startswith("readability.")
    assert after[MANIFEST] != before[MANIFEST]
    assert all(after[name] == before[name] for name in after if name not in new | {MANIFEST})
    assert load_cache(tmp_path).readability["page-7"] == (7, "new scores")


def test_a_value_changed_in_place_is_written_when_touched(tmp_path: Path) -> None:
    filled(tmp_path)
    cache = load_cache(tmp_path)
    cache.qa["fr"] = {}
    save_cache(tmp_path, cache)
    assert "fr" not in load_cache(tmp_path).qa
    cache = load_cache(tmp_path)
    cache.qa["fr"] = {}
    cache.touch("qa")
    save_cache(tmp_path, cache)
    assert load_cache(tmp_path).qa["fr"] == {}


def test_parts_not_asked_for_are_kept_unread(tmp_path: Path) -> None:
    filled(tmp_path)
    cache = load_cache(tmp_path, [part for part in PARTS if part != "a11y"])
    with pytest.raises(RuntimeError, match="'a11y' part was not loaded"):
        _ = cache.a11y_pages
    cache.fingerprints = {}
    save_cache(tmp_path, cache)
    assert load_cache(tmp_path).a11y_pages == {"output/build/es/a.html": ("sha", ())}


def test_an_unreadable_part_means_a_full_build(tmp_path: Path) -> None:
    filled(tmp_path)
    manifest = json.loads((cache_dir(tmp_path) / MANIFEST).read_text())
    (cache_dir(tmp_path) / manifest["parts"]["qa"][0]).write_bytes(b"not a pickle")
    cache = load_cache(tmp_path)
    assert cache.fingerprints == {} and cache.readability == {}
    (cache_dir(tmp_path) / MANIFEST).write_text("{")
    assert load_cache(tmp_path).fingerprints == {}


def tree(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted((root / "output" / "build").rglob("*")) if p.is_file()}


def assert_builds_like_a_cold_build(root: Path, tmp_path: Path) -> None:
    """The next build of ``root`` makes what a build with no cache makes, and leaves no
    cache file its manifest does not name."""
    assert run_cli(root, "build", "--defer-a11y").returncode == 0
    clean = tmp_path / "clean"
    shutil.copytree(root, clean)
    shutil.rmtree(clean / "output")
    assert run_cli(clean, "build", "--defer-a11y").returncode == 0
    assert tree(root) == tree(clean)
    named = {n for names in json.loads((cache_dir(root / "output") / MANIFEST).read_text())[
        "parts"].values() for n in names}
    assert {p.name for p in cache_dir(root / "output").glob("*.pickle")} == named


def test_killed_before_the_manifest_the_last_cache_stands(make_root: object,
                                                          tmp_path: Path) -> None:
    """Parts written, manifest not: the next build reads the previous cache whole (the
    files it names are all still there) and builds what the edit changed."""
    root = make_root("build-site")  # type: ignore[operator]
    assert run_cli(root, "build", "--defer-a11y").returncode == 0
    page = root / PAGE
    page.write_text(page.read_text().replace("Eye drops can help.", "Eye drops may help."))
    killed = run_cli_process(root, "build", "--defer-a11y",
                             env={"PIPELINE_FAULT": "cache:before-manifest"})
    assert killed.returncode == 137
    assert_builds_like_a_cold_build(root, tmp_path)


def test_a_build_stopped_after_update_leaves_the_last_manifest(make_root: object,
                                                             tmp_path: Path) -> None:
    """The catalogs and QA parts are written as soon as update and check are done with
    them (their pickler's memo off the build's peak), the manifest only at the end: a
    build that fails in between leaves the last cache as it was, and the next build
    sweeps the part no manifest names."""
    root = make_root("build-site")  # type: ignore[operator]
    assert run_cli(root, "build", "--defer-a11y").returncode == 0
    manifest = cache_dir(root / "output") / MANIFEST
    before = manifest.read_bytes()
    page = root / PAGE
    page.write_text(page.read_text().replace("Eye drops can help.", "Eye drops may help."))
    style = root / "source" / "templates" / "style.css"
    kept = style.read_bytes()
    style.unlink()  # render fails, after update and check
    failed = run_cli(root, "build", "--defer-a11y")
    assert failed.returncode == 1 and "stylesheet not found" in failed.stderr
    assert manifest.read_bytes() == before
    named = {n for names in json.loads(before)["parts"].values() for n in names}
    on_disk = {p.name for p in cache_dir(root / "output").glob("*.pickle")}
    assert named < on_disk  # the new QA part, written early, named by no manifest
    style.write_bytes(kept)
    assert_builds_like_a_cold_build(root, tmp_path)


def test_a_readability_document_is_rendered_again_only_when_its_lines_moved(
        make_root: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An edit to the first page moves the catalog lines of the second page's entries:
    its document shows new lines (the last one with its lines moved, not rendered
    again); the next build, with nothing changed, writes no document, and the reports
    are a cold build's."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    root = make_root("build-site")  # type: ignore[operator]
    build(load_config(root), defer_a11y=True)
    # Noted in a file: an edit's readability runs in a child, beside the check.
    log = tmp_path / "rendered.txt"
    log.write_text("")
    real, real_patched = readability_html.render_page_html, readability_html.patched_document

    def counting(page: str, rows: Any, *args: Any) -> str:
        with log.open("a") as out:
            out.write(rows[0].slug + "\n")
        return real(page, rows, *args)

    def patching(old: bytes, *args: Any) -> Any:
        with log.open("a") as out:
            out.write("patched:" + re.findall(rb"<code>([^<]*)</code>", old)[0].decode() + "\n")
        return real_patched(old, *args)

    def rendered() -> list[str]:
        return sorted(log.read_text().split())

    monkeypatch.setattr(readability_html, "render_page_html", counting)
    monkeypatch.setattr(readability_html, "patched_document", patching)
    page = root / PAGE
    page.write_text(page.read_text().replace("Eye drops can help.",
                                             "Eye drops can help you a lot."))
    build(load_config(root), defer_a11y=True)
    assert rendered() == ["dry-eye", "patched:eyelid-twitch"]
    log.write_text("")
    build(load_config(root), defer_a11y=True)
    assert rendered() == []
    cold = built_from_scratch(root, tmp_path, ROOTS / "build-site" / "locales")
    assert reports(root) == reports(cold)


def test_an_edit_writes_documents_whose_lines_alone_moved_after_the_handover(
        make_root: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A readability document whose catalog lines alone moved is the same to pa11y
    before and after: readability's child hands its result over first and writes it
    with the rest. The build knows the a11y digest of every report document it wrote
    from the bytes it wrote (a file younger than a clock tick would be read again), so
    no stage reads one again to hash it; and the reports are a cold build's."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    root = make_root("build-site")  # type: ignore[operator]
    build(load_config(root), defer_a11y=True)
    log = tmp_path / "held.txt"  # noted in a file: the rest runs in a child
    log.write_text("")
    real_deferred = build_module._Documents.write_deferred

    def deferred(self: Any, *args: Any) -> Any:
        with log.open("a") as out:
            out.writelines(f"{slug}\n" for slug in sorted(self.deferred))
        return real_deferred(self, *args)

    monkeypatch.setattr(build_module._Documents, "write_deferred", deferred)
    hashed: list[str] = []
    real_get = FileFacts.get

    def get(self: FileFacts, path: Any, kind: str, compute: Any, info: Any = None) -> Any:
        def reading(data: bytes) -> Any:
            hashed.append("read")
            return compute(data)

        if kind != REPORT_FACT:  # a deferred check's plan also sizes each document
            return real_get(self, path, kind, compute, info)
        hashed.append(str(path))
        return real_get(self, path, kind, reading, info)

    monkeypatch.setattr(FileFacts, "get", get)
    page = root / PAGE
    page.write_text(page.read_text().replace("Eye drops can help.",
                                             "Eye drops can help you a lot."))
    build(load_config(root), defer_a11y=True)
    assert log.read_text().split() == ["eyelid-twitch"]
    # Every document's fact: the file as it is, the digest of its bytes; none read.
    facts = pickle.loads(facts_file(root / "output").read_bytes())
    documents = sorted((root / "output" / "reports").rglob("*.html"))
    assert documents
    for path in documents:
        fact = facts[f"{REPORT_FACT}\0{path}"]
        assert tuple(fact[:4]) == stat_key(path.stat())
        assert fact[4] == build_module._report_digest(path.read_bytes())
    assert "read" not in hashed and len(hashed) >= len(documents)
    cold = built_from_scratch(root, tmp_path, ROOTS / "build-site" / "locales")
    assert reports(root) == reports(cold)


def test_a_page_is_moved_to_todays_lines_late_only_if_its_document_is_as_written(
        make_root: object) -> None:
    """After an edit, readability's child moves a page's results to today's catalog
    lines after handing over only when the a11y stage's listing of its document cannot
    go stale: the file is still the one the last build wrote (by its stat), and no
    catalog location in it is written as a bare line number."""
    root = make_root("build-site")  # type: ignore[operator]
    build(load_config(root), defer_a11y=True)
    config = load_config(root)
    cache = load_cache(root / "output", ["readability", "documents"])
    slugs = sorted(cache.readability)
    facts = FileFacts(facts_file(root / "output"))
    assert build_module._late_pages(config, cache, slugs, facts) == set(slugs)
    folder = root / "output" / "reports" / readability_html.DETAILS
    changed = folder / readability_html.detail_name(slugs[0])
    changed.write_bytes(changed.read_bytes())  # the same bytes, written again by hand
    assert build_module._late_pages(config, cache, slugs, facts) == set(slugs[1:])
    digest, slots = cache.readability_documents[slugs[1]]
    catalog = config.rel(config.po_path(config.languages[0]))
    cache.readability_documents[slugs[1]] = (digest, (*slots, (0, 1, Location(catalog, 7), True)))
    assert build_module._late_pages(config, cache, slugs, facts) == set(slugs[2:])


def test_an_edit_moves_a_table_cells_sentence_to_its_own_entry(
        make_root: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A table row's line holds a message per cell. A sentence of its second cell,
    among the page's hardest, names that cell's catalog entry; after an edit above it
    moves the catalog's lines, it still does (it named the row's first cell's), as in a
    build from scratch."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    root = make_root("build-site")  # type: ignore[operator]
    page = root / "source" / "pages" / "eyelid-twitch.md"
    long_cell = ("Doctors sometimes recommend botulinum toxin injections administered "
                 "periodically by specialists")
    page.write_text(page.read_text() + f"\n| Treatment | Effect |\n|---|---|\n"
                    f"| Injections | {long_cell} |\n")
    build(load_config(root), defer_a11y=True)
    catalog = root / "locales" / "es" / "LC_MESSAGES" / "messages.po"
    po = polib.pofile(str(catalog))
    for msgid, msgstr in (("Injections", "Inyecciones"), (long_cell, (
            "Los especialistas recomiendan a veces inyecciones de toxina botulínica "
            "administradas periódicamente por profesionales especializados"))):
        entry = po.find(msgid)
        assert entry is not None
        entry.msgstr = msgstr
    po.save()
    build(load_config(root), defer_a11y=True)
    document = (root / "output" / "reports" / readability_html.DETAILS /
                readability_html.detail_name("eyelid-twitch"))
    cell_line = _msgid_line(catalog, long_cell)
    assert f"messages.po:{cell_line}<" in document.read_text()
    dry = root / PAGE  # above it in the catalog: an entry that gains a line
    dry.write_text(dry.read_text().replace(
        "Eye drops can help.", "Eye drops can help. " + "Ask your care team. " * 6))
    build(load_config(root), defer_a11y=True)
    moved_line = _msgid_line(catalog, long_cell)
    assert moved_line != cell_line
    assert f"messages.po:{moved_line}<" in document.read_text()
    assert reports(root) == reports(built_from_scratch(root, tmp_path))


def _msgid_line(catalog: Path, msgid: str) -> int:
    """The line of a wrapped msgid's keyword (the line a location names)."""
    lines = catalog.read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines) if line.startswith(f'"{msgid[:20]}'))


@pytest.mark.parametrize(("report", "written"), [
    # By an edit's readability child, after it handed its result over, while the a11y
    # stage runs (with the cache's parts).
    ("readability.json", "Eye drops may help."),
    # By a child of the build's, while it adopts readability's results and judges the
    # gates (with a11y.html).
    ("a11y.junit.xml", "<testsuites"),
])
def test_a_report_a_child_cannot_write_stops_the_build_before_it_publishes(
        make_root: object, report: str, written: str) -> None:
    """A report a child of the build writes meanwhile and cannot write (a folder in its
    place) fails the build before publishing, with the path to fix; the cache's manifest
    stays the last build's, and no child is left. Once the path is free, the next build
    writes the report."""
    root = make_root("build-site")  # type: ignore[operator]
    assert run_cli(root, "build").returncode == 0
    site = os.readlink(root / "output" / "site")
    manifest = cache_dir(root / "output") / MANIFEST
    before = manifest.read_bytes()
    page = root / PAGE
    page.write_text(page.read_text().replace("Eye drops can help.", "Eye drops may help."))
    path = root / "output" / "reports" / report
    path.unlink()
    path.mkdir()
    failed = run_cli(root, "build")
    assert failed.returncode == 1
    assert f"output/reports/{report}: cannot write file" in failed.stderr
    assert os.readlink(root / "output" / "site") == site
    assert manifest.read_bytes() == before
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)
    path.rmdir()
    assert run_cli(root, "build").returncode == 0
    assert written in path.read_text(encoding="utf-8")
    assert os.readlink(root / "output" / "site") != site


def test_an_edits_a11y_stage_traces_with_the_builds_catalogs_not_parsing_them_again(
        make_root: object, monkeypatch: pytest.MonkeyPatch) -> None:
    """After an edit, pa11y checks the edited page in every language, and the a11y
    stage's tracer reads each language's catalog: the very parse the build rendered
    from, held by the workspace, not the file parsed again beside pa11y (where it took
    CPU from Chromium)."""
    root = make_root("build-site")  # type: ignore[operator]
    assert run_cli(root, "build").returncode == 0
    page = root / PAGE
    page.write_text(page.read_text().replace("Eye drops can help.", "Eye drops may help."))
    parsed: list[str] = []
    real = parse_po_bytes  # what the workspace calls

    def counting(data: bytes, display: str) -> Any:
        parsed.append(display)
        return real(data, display)

    monkeypatch.setattr(workspace_module, "parse_po_bytes", counting)
    result = build(load_config(root))
    assert result.verdict == "published"
    assert any(p.startswith("output/build/es/") for p in result.a11y_checked)
    assert [p for p in parsed if p.endswith(".po")] == []


def test_extract_and_update_on_their_own_start_from_the_builds_cache(
        make_root: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The editors' week, ``pipeline extract && pipeline update`` then a build: neither
    parses a page but the edited one, update merges only what changed and hands its memo
    to the build; the catalogs are those of a full merge."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    root = make_root("build-site")  # type: ignore[operator]
    build(load_config(root), defer_a11y=True)
    full = tmp_path / "full"
    shutil.copytree(root, full, ignore=shutil.ignore_patterns("output"))
    for where in (root, full):
        page = where / PAGE
        page.write_text(page.read_text().replace("Eye drops can help.",
                                                 "Eye drops can help you a lot."))
    parsed: list[str] = []
    real_parse = parse_page  # what the workspace calls
    formatted: list[str] = []
    real_text = entry_text  # what update calls

    def parsing(text: str, path: str) -> Any:
        parsed.append(path)
        return real_parse(text, path)

    def formatting(entry: Any) -> str:
        formatted.append(entry.msgid)
        return real_text(entry)

    monkeypatch.setattr(workspace_module, "parse_page", parsing)
    monkeypatch.setattr(update_module, "entry_text", formatting)
    for command in ("extract", "update"):
        done = invoke_cli("--root", str(root), command)
        assert done.returncode == 0, done.stderr
    assert set(parsed) == {PAGE}  # by each command: only a build writes the pages back
    monkeypatch.undo()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    config = load_config(full)
    extract(config)
    update_catalogs(config)
    memo = load_cache(root / "output", ("catalogs",)).catalogs
    languages = load_config(root).languages
    assert languages
    for lang in languages:
        po = Path("locales") / lang.code / "LC_MESSAGES" / "messages.po"
        assert (root / po).read_bytes() == (full / po).read_bytes()
        assert memo.catalogs[lang.code].digest == content_digest((root / po).read_bytes())
    # Per catalog, the edited paragraph (its old text, untranslated, is dropped); not the
    # catalog's other entries, nor a second time by the build.
    assert formatted == ["Eye drops can help you a lot."] * len(languages)
    formatted.clear()
    monkeypatch.setattr(update_module, "entry_text", formatting)
    assert build(load_config(root), defer_a11y=True).verdict == "deferred"
    assert formatted == []


def built_from_scratch(root: Path, tmp_path: Path, locales: Path | None = None) -> Path:
    """A copy of ``root`` without its output (with the catalogs of ``locales`` instead
    of its own, if given), built with no earlier build: what an edit's build must equal."""
    cold = tmp_path / f"cold-{len(list(tmp_path.iterdir()))}"
    shutil.copytree(root, cold, ignore=shutil.ignore_patterns(
        "output", *(("locales",) if locales is not None else ())))
    if locales is not None:
        shutil.copytree(locales, cold / "locales")
    build(load_config(cold), defer_a11y=True)
    return cold


def reports(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted((root / "output" / "reports").rglob("*"))
            if p.is_file() and p.name not in ("build.json", "a11y-plan.json")}


def _fresh_fingerprints(root: Path) -> Fingerprints:
    """The pages' fingerprints and listings as a run with no earlier build makes them."""
    config = load_config(root)
    ws = Workspace()
    extracted = extract(config, ws=ws)
    return page_fingerprints(config, extracted.pages, extracted.catalog, {
        lang.code: Translations.load(config, lang, ws) for lang in config.all_languages},
        ws=ws)


def _fingerprints(root: Path) -> dict[str, str]:
    return _fresh_fingerprints(root).pages


def test_fingerprints_move_with_the_translations_of_each_pages_messages(tmp_path: Path
                                                                         ) -> None:
    """A message shared by two pages is resolved once per language: a hand edit of its
    translation still moves both pages' fingerprints, one of a page's own only its own."""
    root = tmp_path / "site"
    shutil.copytree(ROOTS / "build-site", root)
    po = root / "locales/es/LC_MESSAGES/messages.po"
    before = _fingerprints(root)
    assert set(before) == {"dry-eye", "eyelid-twitch"}
    po.write_text(po.read_text().replace('msgstr "Inicio"', 'msgstr "Portada"'))
    shared = _fingerprints(root)
    assert all(shared[slug] != before[slug] for slug in before)
    po.write_text(po.read_text().replace('msgstr "Ojo seco"', 'msgstr "Sequedad ocular"'))
    own = _fingerprints(root)
    assert own["dry-eye"] != shared["dry-eye"]
    assert own["eyelid-twitch"] == shared["eyelid-twitch"]
    po.write_text(po.read_text().replace('msgstr "Sequedad ocular"', 'msgstr "Ojo seco"')
                  .replace('msgstr "Portada"', 'msgstr "Inicio"'))
    assert _fingerprints(root) == before


def test_the_fingerprints_a_build_keeps_are_the_ones_made_afresh(
        make_root: object, monkeypatch: pytest.MonkeyPatch) -> None:
    """A build resolves again only the messages of pages whose text or messages changed
    since the last build's fingerprints read them: after an English edit, a translator's
    save, a fuzzy flag, or 'pipeline extract' and 'pipeline update' run on their own in
    between, the fingerprints and listings it keeps are those a fresh run makes."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    root = make_root("build-site")  # type: ignore[operator]
    build(load_config(root), defer_a11y=True)
    resolved: list[str] = []
    real = build_module._resolved_part

    def counting(code: str, tr: Any, msgid: str, ctx: str | None) -> bytes:
        resolved.append(msgid)
        return real(code, tr, msgid, ctx)

    monkeypatch.setattr(build_module, "_resolved_part", counting)
    po = root / "locales/es/LC_MESSAGES/messages.po"
    page = root / PAGE

    def rebuilt(path: Path, old: str, new: str, *, commands: bool = False) -> int:
        """``old`` replaced by ``new`` in ``path``, built: the messages resolved."""
        assert old in path.read_text(encoding="utf-8")
        path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
        if commands:  # as an editor does before a build
            extract_step(load_config(root))
            update_step(load_config(root))
        resolved.clear()
        build(load_config(root), defer_a11y=True)
        count = len(resolved)
        kept = load_cache(root / "output")
        fresh = _fresh_fingerprints(root)
        assert kept.fingerprints == fresh.pages and kept.listings == fresh.listings
        return count

    _fresh_fingerprints(root)
    full = len(resolved)  # every page's every message in every language
    assert 0 < rebuilt(page, "Eye drops can help.", "Eye drops may help.") < full
    assert 0 < rebuilt(po, 'msgstr "Ojo seco"', 'msgstr "Sequedad ocular"') < full
    assert 0 < rebuilt(po, 'msgid "Dry Eye"\nmsgstr "Sequedad ocular"',
                       '#, fuzzy\nmsgid "Dry Eye"\nmsgstr "Sequedad ocular"') < full
    # 'pipeline update' on its own rewrote the memo of the catalogs the fingerprints read:
    # the build cannot tell what moved since, and reads every page again.
    assert rebuilt(page, "Eye drops may help.", "Eye drops can help.", commands=True) == full
    assert rebuilt(po, 'msgstr "Inicio"', 'msgstr "Portada"') == full  # on every page
    assert rebuilt(page, "Eye drops can help.", "Eye drops can help.") == 0  # only saved


def edited_and_built(root: Path, tmp_path: Path, rendered: list[str], path: str, old: str,
                     new: str) -> list[str]:
    """``old`` replaced by ``new`` in ``path`` and ``root`` built again: what ``rendered``
    recorded meanwhile, sorted; the build's tree is checked against a cold build's."""
    file = root / path
    assert old in file.read_text(encoding="utf-8")
    file.write_text(file.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    rendered.clear()
    build(load_config(root), defer_a11y=True)
    again = sorted(rendered)
    assert tree(root) == tree(built_from_scratch(root, tmp_path))
    return again


def test_a_language_index_is_rendered_again_only_when_what_it_lists_changed(
        make_root: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each edit's build leaves the site of a cold build; an index whose pages and
    their fingerprints did not change is taken from the disk, not rendered."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    root = make_root("build-site")  # type: ignore[operator]
    build(load_config(root), defer_a11y=True)
    rendered: list[str] = []
    real = SiteRenderer.language_index

    def counting(self: SiteRenderer, lang: Any, pages: Any, langs: Any) -> str:
        rendered.append(lang.code)
        return real(self, lang, pages, langs)

    monkeypatch.setattr(SiteRenderer, "language_index", counting)

    def edit(path: str, old: str, new: str) -> list[str]:
        return edited_and_built(root, tmp_path, rendered, path, old, new)

    assert edit(PAGE, "Eye drops can help.", "Eye drops can help you.") == []
    assert edit("locales/es/LC_MESSAGES/messages.po", 'msgstr "Ojo seco"',
                'msgstr "Sequedad ocular"') == ["es"]
    assert edit(PAGE, "updated: 2026-09-15", "updated: 2026-10-01") == ["en", "es", "fr"]
    assert edit("source/templates/index.html", '<ul class="page-list">',
                '<ul class="page-list" id="pages">') == ["en", "es", "fr"]
    assert edit("pyproject.toml", 'site_title = "Riverside Neurology Clinic"',
                'site_title = "Riverside Clinic"') == ["en", "es", "fr"]
    (root / "output/build/fr/index.html").write_text("edited by hand")
    assert edit(PAGE, "Eye drops can help you.", "Eye drops can help.") == ["fr"]


def test_a_section_page_is_rendered_again_only_when_what_it_shows_changed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As the language indexes: each edit's build leaves the site of a cold build; a
    section page whose label, trail and children show as before is taken from the disk."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    root = copy_shipped(tmp_path / "site")
    build(load_config(root), defer_a11y=True)
    rendered: list[str] = []
    real = SiteRenderer.section_page

    def counting(self: SiteRenderer, section: Any, lang: Any, langs: Any) -> str:
        rendered.append(f"{lang.code} {section.file}")
        return real(self, section, lang, langs)

    monkeypatch.setattr(SiteRenderer, "section_page", counting)

    def edit(path: str, old: str, new: str) -> list[str]:
        return edited_and_built(root, tmp_path, rendered, path, old, new)

    page = "source/pages/hemifacial-spasm.md"
    spanish = "locales/es/LC_MESSAGES/messages.po"
    sections = ["what-we-do/index.html", "what-we-do/specialties/index.html"]
    everywhere = sorted(f"{code} {file}" for code in ("ar", "en", "es", "fr", "zh_Hans")
                        for file in sections)
    text = "The disorder occurs in both men and women"
    assert text in (root / page).read_text(encoding="utf-8")
    assert edit(page, text, "It occurs in both men and women") == []
    # The page's title: its section lists it, and both sections are named first by this
    # page, whose listing stands in their keys for the templates and configuration.
    assert edit(spanish, 'msgstr "Espasmo hemifacial"', 'msgstr "Espasmo de la cara"') == [
        f"es {file}" for file in sections]
    # A section's label: its own page's title, and its link from the section above.
    assert edit(spanish, 'msgstr "Nuestras especialidades"',
                'msgstr "Especialidades"') == [f"es {file}" for file in sections]
    assert edit("source/templates/section.html", "</ul>", "</ul>\n") == everywhere
    assert edit("pipeline.toml", 'site_title = "Riverside Neurology Clinic"',
                'site_title = "Riverside Clinic"') == everywhere
    (root / "output/build/fr/what-we-do/index.html").write_text("edited by hand")
    assert edit(page, "It occurs in both men and women", text) == [
        "fr what-we-do/index.html"]


def test_a_per_page_part_written_early_and_let_go_stays_in_the_cache(tmp_path: Path) -> None:
    """``save_parts`` writes a per-page part's changed shards; ``drop`` then lets it go
    (refused while it differs from its files); ``save_cache`` names its files as written."""
    filled(tmp_path)
    cache = load_cache(tmp_path)
    cache.readability = {**cache.readability, "page-7": (7, "new scores")}
    with pytest.raises(ValueError, match="not on disk as it is"):
        cache.drop("readability")
    before = files(tmp_path)
    save_parts(tmp_path, cache, "readability")
    new = {name for name in files(tmp_path) if name not in before}
    assert len(new) == 1 and next(iter(new)).startswith("readability.")
    cache.drop("readability")
    with pytest.raises(RuntimeError, match="'readability' part was not loaded"):
        _ = cache.readability
    cache.fingerprints = {"a": "3"}
    save_cache(tmp_path, cache)
    again = load_cache(tmp_path)
    assert again.readability["page-7"] == (7, "new scores")
    assert again.readability["page-8"] == (8, "scores") and again.fingerprints == {"a": "3"}
    assert {p.name for p in cache_dir(tmp_path).glob("*.pickle")} == {
        n for names in json.loads((cache_dir(tmp_path) / MANIFEST).read_text())[
            "parts"].values() for n in names}


def test_a_part_written_by_a_child_meanwhile(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """``save_meanwhile``: the part is let go here at once and written by a forked child;
    ``adopt`` names its files. A child that dies leaves the part out of the manifest
    (the next build finds it empty, never stale); a file it could not write is the
    build's error, raised at ``adopt``."""
    parent = os.getpid()
    filled(tmp_path)
    cache = load_cache(tmp_path)
    cache.qa = {"es": {b"k": (4, ())}}
    saving = save_meanwhile(tmp_path, cache, "qa")
    with pytest.raises(RuntimeError, match="'qa' part was not loaded"):
        _ = cache.qa
    saving.adopt()
    save_cache(tmp_path, cache)
    assert load_cache(tmp_path).qa == {"es": {b"k": (4, ())}}

    def dies(*args: object) -> None:
        assert os.getpid() != parent  # written by the child
        os.kill(os.getpid(), signal.SIGKILL)

    cache = load_cache(tmp_path)
    cache.qa = {"fr": {b"k": (5, ())}}
    monkeypatch.setattr(cache_module, "save_parts", dies)
    save_meanwhile(tmp_path, cache, "qa").adopt()
    save_cache(tmp_path, cache)
    again = load_cache(tmp_path)
    assert again.qa == {} and again.fingerprints == {"a": "1", "b": "2"}
    assert not any(p.name.startswith("qa-") for p in cache_dir(tmp_path).iterdir())

    def cannot(*args: object) -> None:
        raise PipelineError("cannot write the build cache: No space left on device",
                            Location(str(cache_dir(tmp_path))), "check the disk space")

    cache = load_cache(tmp_path)
    cache.qa = {"fr": {b"k": (6, ())}}
    monkeypatch.setattr(cache_module, "save_parts", cannot)
    saving = save_meanwhile(tmp_path, cache, "qa")
    with pytest.raises(PipelineError, match="No space left on device") as raised:
        saving.adopt()
    assert raised.value.location == Location(str(cache_dir(tmp_path)))
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)


def test_a_first_build_has_its_catalogs_read_ahead(
        make_root: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A build with no memo of its catalogs (big enough) has a child read and parse them
    while extract runs: this process parses none of them, and the catalogs and reports
    are those of a build that reads them itself; no temp file and no child are left,
    not even one a build killed meanwhile left."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    root = make_root("build-site")  # type: ignore[operator]
    alone = tmp_path / "alone"
    shutil.copytree(root, alone, symlinks=True)
    parsed: list[str] = []
    def reading(texts: Any, display: str, earlier: Any) -> Any:
        parsed.append(display)
        return read_blocks(texts, display, earlier)

    monkeypatch.setattr(update_module, "read_blocks", reading)
    monkeypatch.setattr(build_module, "AHEAD_BYTES", 0)
    real_files = build_module._ahead_files

    def written(config: Any) -> dict[str, Path]:  # update waits for none in a real build
        files = real_files(config)
        started = time.monotonic()
        while not all(f.is_file() for f in files.values()) and time.monotonic() - started < 20:
            time.sleep(0.01)
        return files

    monkeypatch.setattr(build_module, "_ahead_files", written)
    gone = subprocess.Popen(["true"])  # its pid: no process's once it is waited for
    gone.wait()
    stale = root / "output" / f".catalog-es.pickle.tmp-{gone.pid}"
    stale.parent.mkdir(parents=True, exist_ok=True)
    stale.write_bytes(b"left by a build killed during extract")
    build(load_config(root), defer_a11y=True)
    assert parsed == []
    assert not stale.exists()
    assert not [p.name for p in (root / "output").iterdir() if p.name.startswith(".catalog")]
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)
    monkeypatch.setattr(build_module, "AHEAD_BYTES", 1 << 40)
    build(load_config(alone), defer_a11y=True)
    assert parsed  # read by update itself
    assert reports(root) == reports(alone)
    assert {p.relative_to(root): p.read_bytes() for p in (root / "locales").rglob("*.po")} == {
        p.relative_to(alone): p.read_bytes() for p in (alone / "locales").rglob("*.po")}


def test_an_edit_rescored_and_a_translation_fixed_give_a_cold_builds_reports(
        make_root: object, tmp_path: Path) -> None:
    """The readability and QA parts are written and let go mid-build: the next build,
    reusing them for the unchanged pages, writes the reports a cold build writes."""
    root = make_root("build-site")  # type: ignore[operator]
    assert run_cli(root, "build", "--defer-a11y").returncode == 0
    page = root / PAGE
    page.write_text(page.read_text().replace("Eye drops can help.",
                                             "Eye drops can help you a lot."))
    assert run_cli(root, "build", "--defer-a11y").returncode == 0
    assert_builds_like_a_cold_build(root, tmp_path)
    clean = tmp_path / "clean"
    assert reports(root) == reports(clean)


def built_then_edited_twice(make_root: object, tmp_path: Path,
                            monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """build-site built, copied, and the same paragraph edited in both copies: the two
    roots, for an edit's build compared with one in one process."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    root = make_root("build-site")  # type: ignore[operator]
    build(load_config(root), defer_a11y=True)
    alone = tmp_path / "alone"
    shutil.copytree(root, alone, symlinks=True)
    for copy in (root, alone):
        page = copy / PAGE
        page.write_text(page.read_text().replace("Eye drops can help.",
                                                 "Eye drops can help you a lot."))
    return root, alone


def test_an_edits_readability_runs_beside_the_check_and_writes_the_same(
        make_root: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """After an edit, a child scores the page and writes the readability reports while
    this process checks and renders (the second CPU was idle then); the outputs and the
    next build are those of a build in one process."""
    root, alone = built_then_edited_twice(make_root, tmp_path, monkeypatch)
    pids = tmp_path / "pids.txt"
    real = build_module._readability

    def noting(*args: Any, **kwargs: Any) -> Any:
        with pids.open("a") as out:
            out.write(f"{os.getpid()}\n")
        return real(*args, **kwargs)

    monkeypatch.setattr(build_module, "_readability", noting)
    build(load_config(root), defer_a11y=True)
    [child] = [int(pid) for pid in pids.read_text().split()]
    assert child != os.getpid()
    monkeypatch.setattr(build_module, "cpus", lambda: 1)
    pids.write_text("")
    build(load_config(alone), defer_a11y=True)
    assert [int(pid) for pid in pids.read_text().split()] == [os.getpid()]
    assert reports(root) == reports(alone) and tree(root) == tree(alone)
    for copy in (root, alone):  # and the cache each left gives the next build the same
        build(load_config(copy), defer_a11y=True)
    assert reports(root) == reports(alone) and tree(root) == tree(alone)


def assert_stopped_at_leaves_no_child(root: Path, monkeypatch: pytest.MonkeyPatch,
                                      step: str) -> None:
    """A build stopped when it calls ``step`` (raised as ``Stopped``, as the CLI's signal
    handler does) while a child of it runs: the child ends with it."""
    running: list[tuple[int, int]] = []

    def stopped(*args: Any, **kwargs: Any) -> Any:
        running.append(os.waitpid(-1, os.WNOHANG))  # (0, 0): a child, still running
        raise Stopped(signal.SIGTERM)

    monkeypatch.setattr(build_module, step, stopped)
    with pytest.raises(Stopped):
        build(load_config(root), defer_a11y=True)
    assert running == [(0, 0)]
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)


def test_a_build_stopped_while_readability_runs_aside_leaves_no_child(
        make_root: object, monkeypatch: pytest.MonkeyPatch) -> None:
    """A signal during the check (raised as ``Stopped`` by the CLI's handler; timed here
    by raising it from the check itself, with the readability child running) ends the
    child too: nothing of the build outlives it, and the cache's manifest is the last."""
    root = make_root("build-site")  # type: ignore[operator]
    build(load_config(root), defer_a11y=True)
    manifest = cache_dir(root / "output") / MANIFEST
    before = manifest.read_bytes()
    page = root / PAGE
    page.write_text(page.read_text().replace("Eye drops can help.",
                                             "Eye drops can help you a lot."))
    assert_stopped_at_leaves_no_child(root, monkeypatch, "_check_and_render")
    assert manifest.read_bytes() == before


def noting_sends(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """What the build sends its readability child once the fingerprints are known
    (``workload.Later.send``), after "started" for each child started to wait for it,
    in a list that fills as it builds."""
    sent: list[object] = []
    class Noting(Later[Any]):
        def __init__(self) -> None:
            sent.append("started")
            super().__init__()

        def send(self, value: Any) -> None:
            sent.append(value)
            super().send(value)

    monkeypatch.setattr(build_module, "Later", Noting)
    return sent


def test_a_build_stopped_while_readability_waits_for_its_pages_leaves_no_child(
        make_root: object, monkeypatch: pytest.MonkeyPatch) -> None:
    """After an edit, readability's child starts before the fingerprints and waits for
    the pages to score: a signal meanwhile ends it too."""
    root = make_root("build-site")  # type: ignore[operator]
    build(load_config(root), defer_a11y=True)
    page = root / PAGE
    page.write_text(page.read_text().replace("Eye drops can help.",
                                             "Eye drops can help you a lot."))
    assert_stopped_at_leaves_no_child(root, monkeypatch, "page_fingerprints")


def test_too_many_pages_to_score_beside_the_render_are_scored_here(
        make_root: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The child started before the fingerprints is let go when they say too many
    pages are to be scored for a child beside the check and the render: they are scored
    after the render here, and the outputs are a one-process build's."""
    root, alone = built_then_edited_twice(make_root, tmp_path, monkeypatch)
    sent = noting_sends(monkeypatch)
    monkeypatch.setattr(build_module, "READABILITY_SPLIT_PAGES", 1)
    build(load_config(root), defer_a11y=True)
    assert sent == ["started"]  # then stopped: nothing sent
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)
    monkeypatch.setattr(build_module, "cpus", lambda: 1)
    build(load_config(alone), defer_a11y=True)
    assert reports(root) == reports(alone) and tree(root) == tree(alone)


def test_an_edits_readability_child_gets_the_pages_to_score_once_known(
        make_root: object, monkeypatch: pytest.MonkeyPatch) -> None:
    """After an edit the child is started before the fingerprints; it is sent the edited
    page alone to score, and that the site has the same pages as the last build."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    root = make_root("build-site")  # type: ignore[operator]
    sent = noting_sends(monkeypatch)
    build(load_config(root), defer_a11y=True)
    assert sent == []  # a first build: every page scored, after the render
    page = root / PAGE
    page.write_text(page.read_text().replace("Eye drops can help.",
                                             "Eye drops can help you a lot."))
    build(load_config(root), defer_a11y=True)
    assert sent == ["started", (["dry-eye"], True)]


def assert_an_edit_scores_every_page(root: Path, tmp_path: Path) -> None:
    """After an edit, the build scores both pages of build-site (not the edited one
    alone), and its reports and the next cache are a cold build's."""
    page = root / PAGE
    page.write_text(page.read_text().replace("Eye drops can help.",
                                             "Eye drops can help you a lot."))
    built = run_cli(root, "build", "--defer-a11y")
    assert built.returncode == 0, built.stderr
    assert "[readability] scoring 2 page(s)" in built.stderr, built.stderr
    assert_builds_like_a_cold_build(root, tmp_path)
    assert reports(root) == reports(tmp_path / "clean")


def test_unreadable_readability_results_mean_every_page_scored_again(
        make_root: object, tmp_path: Path) -> None:
    """The readability part is read by the process that scores, when it starts: a shard
    that cannot be read then means every page scored again (as with no cache)."""
    root = make_root("build-site")  # type: ignore[operator]
    assert run_cli(root, "build", "--defer-a11y").returncode == 0
    [shard, *_] = sorted(cache_dir(root / "output").glob("readability.*.pickle"))
    shard.write_bytes(b"not a pickle")
    assert_an_edit_scores_every_page(root, tmp_path)


def test_a_manifest_without_readability_results_means_every_page_scored_again(
        make_root: object, tmp_path: Path) -> None:
    """A manifest that names no readability part (written by another version, edited by
    hand): nothing of the last results is trusted, as when a shard cannot be read."""
    root = make_root("build-site")  # type: ignore[operator]
    assert run_cli(root, "build", "--defer-a11y").returncode == 0
    manifest = cache_dir(root / "output") / MANIFEST
    data = json.loads(manifest.read_text())
    del data["parts"]["readability"]
    manifest.write_text(json.dumps(data))
    assert_an_edit_scores_every_page(root, tmp_path)


def test_a_first_build_writes_the_dictionary_aside_and_stopped_leaves_no_child(
        make_root: object, monkeypatch: pytest.MonkeyPatch) -> None:
    """A first build writes the CMU dictionary (for textstat's NLTK) in a child while
    extract runs: stopped meanwhile, the child ends with it; run again, the file is
    there as the scoring would have written it."""
    root = make_root("build-site")  # type: ignore[operator]
    dictionary = cmudict_file(root / "output" / ".cache")
    assert not dictionary.exists()
    assert_stopped_at_leaves_no_child(root, monkeypatch, "extract")
    monkeypatch.undo()
    build(load_config(root), defer_a11y=True)
    assert "\nidea 1 AY0 D IY1 AH0\n" in dictionary.read_text(encoding="utf-8")


@pytest.mark.parametrize("failing_stage", ["render_site", "_adopt_readability"])
def test_a_stage_failing_after_the_check_leaves_this_builds_check_reports(
        make_root: object, monkeypatch: pytest.MonkeyPatch, failing_stage: str) -> None:
    """The check's reports are written while the render runs (by a child): when the
    render or a later stage fails, qa.json and codequality.json are this build's, the
    very bytes a build that does not fail writes."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    root = make_root("build-site")  # type: ignore[operator]
    build(load_config(root), defer_a11y=True)
    po = root / "locales/es/LC_MESSAGES/messages.po"
    po.write_text(po.read_text().replace('msgstr "Las gotas para los ojos pueden ayudar."',
                                         'msgstr "Las gotas <b>pueden</b> ayudar."'))
    reports = root / "output" / "reports"
    before = (reports / "qa.json").read_bytes()

    def failing(*args: Any, **kwargs: Any) -> Any:
        raise PipelineError("made to fail here", Location("somewhere"))

    with monkeypatch.context() as patched:
        patched.setattr(build_module, failing_stage, failing)
        with pytest.raises(PipelineError, match="made to fail"):
            build(load_config(root), defer_a11y=True)
    failed = {name: (reports / name).read_bytes() for name in ("qa.json", "codequality.json")}
    assert failed["qa.json"] != before and b"html-added" in failed["qa.json"]
    assert b"html-added" in failed["codequality.json"]
    build(load_config(root), defer_a11y=True)
    assert {name: (reports / name).read_bytes() for name in failed} == failed
