"""The readability reports of a big site: the JSON is written in pieces to an atomic temp
file (``infra.fsutil.atomic_text_stream``), never whole in memory, and its bytes are the
standard library's rendering of the whole document."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tracemalloc
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from pipeline import build
from pipeline.config import load_config
from pipeline.errors import PipelineError
from pipeline.infra.fsutil import TMP_MARK, atomic_text_stream
from pipeline.models import Finding, Location, frozen_details
from pipeline.models.readability import PageReadability, ReadabilityResult, catalog_locations
from pipeline.reporters import readability_html
from pipeline.reporters.json import findings_document
from pipeline.reporters.readability_json import json_pieces, render_json
from pipeline.stages.readability import run_readability
from pipeline.text.measure.formulas import FORMULAS, profile

MakeRoot = Callable[[str], Path]


def temps(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if TMP_MARK in p.name)


def big_site(result: ReadabilityResult, copies: int) -> ReadabilityResult:
    """``result``'s pages again ``copies`` times, as other pages."""
    return replace(result, pages=tuple(
        replace(p, page=f"source/pages/p{n}.md", slug=f"p{n}")
        for n in range(copies) for p in result.pages))


def whole_document(result: ReadabilityResult) -> str:
    """The report as the standard library writes the whole document at once."""
    summary = {"pages": len({p.page for p in result.pages}),
               "languages": [lang.code for lang in result.languages],
               "over_target": [f"{p.slug}:{p.lang.code}" for p in result.over_target]}
    document = findings_document("readability", result.findings, summary)
    document["source_language"] = result.source_language.code
    document["formulas"] = {
        lang.code: {"formulas": [FORMULAS[k].name for k in profile(lang.base).formulas],
                    "primary": FORMULAS[profile(lang.base).primary].name,
                    "default_target": profile(lang.base).target,
                    "why": profile(lang.base).why}
        for lang in result.languages}
    document["results"] = [p.to_dict() for p in result.pages]
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def test_a_big_report_is_streamed_not_held_whole(make_root: MakeRoot, tmp_path: Path) -> None:
    result = big_site(run_readability(load_config(make_root("readability-basic"))), 300)
    assert len(result.pages) == 1200 and result.findings
    path = tmp_path / "readability.json"
    tracemalloc.start()
    try:
        with atomic_text_stream(path, "readability.json") as stream:
            stream.writelines(json_pieces(result))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    text = path.read_text(encoding="utf-8")
    assert text == whole_document(result) == render_json(result)
    # Held at once: one page's entry, the findings' list of objects, the file's buffer;
    # the text alone is several megabytes.
    assert len(text.encode()) > 3_000_000
    assert peak < len(text.encode()) / 5, (peak, len(text.encode()))
    assert temps(tmp_path) == []


def test_a_stream_leaves_an_unchanged_file_alone_and_a_failed_one_as_it_was(
        tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    with atomic_text_stream(path) as stream:
        stream.writelines(["{", "}\n"])
    assert path.read_text(encoding="utf-8") == "{}\n"
    mtime = path.stat().st_mtime_ns
    with atomic_text_stream(path) as stream:
        stream.writelines(["{", "}\n"])
    assert path.stat().st_mtime_ns == mtime and temps(tmp_path) == []

    def pieces() -> list[str]:
        raise RuntimeError("the reporter failed half way")

    with pytest.raises(RuntimeError), atomic_text_stream(path) as stream:
        stream.write('{"half": ')
        stream.writelines(pieces())
    assert path.read_text(encoding="utf-8") == "{}\n" and temps(tmp_path) == []
    # A temp file that cannot be created: a folder has its name.
    (tmp_path / f".report.json{TMP_MARK}{os.getpid()}").mkdir()
    with pytest.raises(PipelineError) as caught, atomic_text_stream(path, "report.json"):
        pass
    assert caught.value.message == "cannot write file: Is a directory; the file was not changed"
    assert str(caught.value.location) == "report.json"
    assert path.read_text(encoding="utf-8") == "{}\n"


WRITE_STREAM = """
import sys
from pathlib import Path
from pipeline.infra.fsutil import atomic_text_stream
with atomic_text_stream(Path(sys.argv[1])) as stream:
    stream.writelines(["new ", "text"])
"""


def test_killed_before_the_rename_the_old_report_is_whole(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_text("old text", encoding="utf-8")
    killed = subprocess.run([sys.executable, "-c", WRITE_STREAM, str(path)],
                            env={"PIPELINE_FAULT": "write:before-rename",
                                 "PATH": "/usr/bin:/bin"},
                            capture_output=True, text=True)
    assert killed.returncode == 137, killed.stderr
    assert path.read_text(encoding="utf-8") == "old text"
    (left,) = temps(tmp_path)
    assert (tmp_path / left).read_text(encoding="utf-8") == "new text"  # whole, synced
    done = subprocess.run([sys.executable, "-c", WRITE_STREAM, str(path)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert path.read_text(encoding="utf-8") == "new text" and temps(tmp_path) == []


def test_with_a_second_cpu_a_child_writes_the_json_and_the_bytes_are_the_same(
        make_root: MakeRoot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = load_config(make_root("readability-basic"))
    result = big_site(run_readability(config), 30)
    reports = config.output_dir / "reports"

    def written() -> dict[str, bytes]:
        return {str(p.relative_to(reports)): p.read_bytes()
                for p in sorted(reports.rglob("*")) if p.is_file()}

    monkeypatch.setattr(build, "SPLIT_REPORT_ROWS", 10**9)
    build.write_readability_reports(config, result)
    serial = written()
    assert "readability.json" in serial and "readability/p29.html" in serial
    shutil.rmtree(reports)
    reports.mkdir()
    # A page's document left from an earlier build: removed either way.
    (reports / "readability").mkdir()
    (reports / "readability" / "gone.html").write_text("old", encoding="utf-8")
    monkeypatch.setattr(build, "SPLIT_REPORT_ROWS", 1)
    build.write_readability_reports(config, result)
    assert written() == serial
    assert temps(reports) == [] and temps(reports / "readability") == []


def test_the_json_cannot_be_written_the_error_is_the_parents(
        make_root: MakeRoot, monkeypatch: pytest.MonkeyPatch) -> None:
    config = load_config(make_root("readability-basic"))
    result = big_site(run_readability(config), 3)
    reports = config.output_dir / "reports"
    (reports / "readability.json").mkdir(parents=True)  # a folder in the file's place
    monkeypatch.setattr(build, "SPLIT_REPORT_ROWS", 1)
    with pytest.raises(PipelineError) as caught:
        build.write_readability_reports(config, result)
    assert str(caught.value.location).endswith("readability.json")
    # The other share of the documents was written (the half that goes with the JSON,
    # p1, did not), whichever process took it.
    assert (reports / "readability" / "p0.html").is_file()
    assert (reports / "readability" / "p2.html").is_file()


def _with_terms(row: PageReadability) -> PageReadability:
    """``row`` with two plain-language notices whose other uses are in its catalog and
    in another file (a term's lines alone, then locations in full)."""
    po = f"locales/{row.lang.code}/LC_MESSAGES/messages.po"
    terms = tuple(Finding(
        "plain-language", "notice", "a plainer word", Location(po, 40 + n), None,
        (Location(row.page, 3),), frozen_details(word="x", plainer="y", also=also,
                                                 also_lines=(5,) * len(also)))
        for n, also in enumerate([(f"{po}:50", f"{po}:52"), (f"{po}:61", "other.po:7")]))
    return replace(row, findings=row.findings + terms)


def test_a_documents_moved_locations_are_patched_to_the_text_rendered(
        make_root: MakeRoot) -> None:
    """``page_document`` writes a page's movable locations as the map says, exactly as
    the renderer writes them; ``patched_document`` moves them again in those bytes, to
    the text ``page_document`` makes of the new map, twice over (line numbers whose
    digits grow and shrink)."""
    config = load_config(make_root("build-site"))
    result = run_readability(config)
    for page, rows in readability_html.by_page(result.pages):
        rows = [_with_terms(row) if row.lang.code != "en" else row for row in rows]
        places = {loc for row in rows for loc in catalog_locations(row)}
        assert any(loc.path == "other.po" for loc in places)
        plain = readability_html.render_page_html(page, rows).encode("utf-8")
        made = readability_html.page_document(page, rows, {})
        assert made is not None and made[0] == plain
        data, slots = made
        for shift in (9_995, -9_990, 3):
            moved = {loc: Location(loc.path, loc.line + shift + n)
                     for n, loc in enumerate(sorted(places))}
            expected = readability_html.page_document(page, rows, moved)
            assert expected is not None
            def where(loc: Location, alone: bool,
                      moved: dict[Location, Location] = moved) -> str:
                now = moved.get(loc, loc)
                return str(now.line) if alone else str(now)

            assert expected[0] == readability_html.render_page_html(
                page, rows, where).encode("utf-8")
            patched = readability_html.patched_document(data, slots, moved)
            assert patched == expected
            data, slots = patched
        assert readability_html.patched_document(data[:-200], slots, {}) is None


def test_a_document_whose_text_holds_the_mark_is_not_noted(make_root: MakeRoot) -> None:
    """A text holding a NUL character (the mark the slots are found by) makes
    ``page_document`` decline, and the build renders that document as usual."""
    config = load_config(make_root("build-site"))
    page, rows = readability_html.by_page(run_readability(config).pages)[0]
    odd = [replace(row, title=row.title + "\x00") for row in rows]
    assert readability_html.page_document(page, odd, {}) is None
    assert "\x00" in readability_html.render_page_html(page, odd)


PO = "locales/es/LC_MESSAGES/messages.po"


@pytest.mark.parametrize(("moves", "alone"), [
    ({Location(PO, 12): Location(PO, 1500)}, True),  # a whole catalog location: masked
    ({Location(PO, 30): Location(PO, 31)}, False),  # a bare line ("lines 30 and 34")
    ({Location("source/pages/a.md", 7): Location("source/pages/a.md", 8)}, False),
    ({Location(PO, 12): Location("locales/fr/LC_MESSAGES/messages.po", 12)}, False),
    ({Location(PO, 12): Location(PO, 0)}, False),  # no line: the text loses ":12"
    ({}, True),
])
def test_a_document_left_for_later_is_the_same_to_pa11y_before_and_after(
        moves: dict[Location, Location], alone: bool) -> None:
    """``build._lines_alone`` says a document's locations move in the catalog lines
    ``_report_digest`` masks only: the a11y stage lists the file as it still is while
    readability's child writes the new one after its handover, so the rule must hold
    exactly when the two are the same to pa11y."""
    places = [(Location(PO, 12), False), (Location(PO, 30), True), (Location(PO, 34), True),
              (Location("source/pages/a.md", 7), False)]
    texts = [b'<li><code>', b'</code>: also on lines ', b' and ', b'.</li><p>Page <code>',
             b'</code></p>']
    old, slots = b"", []
    for text, (location, line_alone) in zip(texts, places, strict=False):
        old += text
        written = (str(location.line) if line_alone else str(location)).encode()
        slots.append((len(old), len(old) + len(written), location, line_alone))
        old += written
    old += texts[-1]
    patched = readability_html.patched_document(old, slots, moves)
    assert patched is not None
    assert build._lines_alone(slots, moves) is alone
    assert (build._report_digest(patched[0]) == build._report_digest(old)) is alone
