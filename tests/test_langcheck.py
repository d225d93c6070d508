"""Language and direction checks (pipeline.stages.a11y.langcheck) on pages.

No browser here: these checks read the HTML. The pa11y-ci run in test_a11y.py shows
them reported and gating together with axe and htmlcs.
"""

from __future__ import annotations

import functools
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import ROOTS, copy_shipped

from pipeline.build import _relocator
from pipeline.config import load_config
from pipeline.models import Finding, Location
from pipeline.po.reader import read_po
from pipeline.po.writer import write_po
from pipeline.stages.a11y.langcheck import check_page
from pipeline.stages.render import render_site
from pipeline.text.htmltree import parse_html
from pipeline.text.translations import PoLocator
from pipeline.workspace import Workspace

SITE = ROOTS / "a11y-site"
AR_PO = "locales/ar/LC_MESSAGES/messages.po"
ZH_PO = "locales/zh_Hans/LC_MESSAGES/messages.po"
HOURS = "8\u201317"  # a table cell of render-mini, "8-17" with an en dash


def check(rel: str, root: Path = SITE) -> list[Finding]:
    """Run the checks on output/build/<rel> of a root, as run_a11y does."""
    path = root / "output" / "build" / rel
    folder = rel.split("/")[0] if "/" in rel else None
    templates = {
        f"source/templates/{p.name}": p.read_text(encoding="utf-8")
        for p in sorted((root / "source" / "templates").glob("*.html"))
    }
    locate = None
    if folder and any((root / name).is_file() for name in ("pyproject.toml", "pipeline.toml")):
        config = load_config(root)
        lang = next((lg for lg in config.languages if lg.tag == folder), None)
        if lang is not None:
            locate = functools.partial(PoLocator(config, Workspace()).entry, lang)
    return check_page(parse_html(path.read_text(encoding="utf-8")),
                      f"output/build/{rel}", expected_lang=folder, templates=templates,
                      locate=locate)


def summary(findings: list[Finding]) -> list[tuple[str, str]]:
    return sorted((f.code, str(f.location)) for f in findings)


def fragment(body: str, lang: str = "en", direction: str = "ltr") -> list[Finding]:
    page = (f'<!DOCTYPE html><html lang="{lang}" dir="{direction}"><head><title>t</title>'
            f"</head><body><main>{body}</main></body></html>")
    return check_page(parse_html(page), "page.html")


def _force(root: Path, rel: str, msgid: str, msgstr: str) -> int:
    """Give ``msgid`` the translation ``msgstr`` in ``rel``; the line of its msgid."""
    po_path = root / rel
    catalog = read_po(po_path, rel)
    write_po(replace(catalog, entries=tuple(
        replace(e, msgstr=msgstr) if e.msgid == msgid else e for e in catalog.entries)),
        po_path, rel)
    return next(n for n, text in enumerate(po_path.read_text(encoding="utf-8").splitlines(), 1)
                if text == f'msgid "{msgid}"')


# --- the fixture pages -----------------------------------------------------------------

def test_english_sentence_in_arabic_output_names_the_po_entry() -> None:
    findings = check("ar/lang.html")
    assert summary(findings) == [
        ("bidi-control", f"{AR_PO}:36"),
        ("dir-mismatch", "source/pages/lang.md:12"),
        ("language-mismatch", f"{AR_PO}:23"),
    ]
    mismatch = next(f for f in findings if f.code == "language-mismatch")
    assert mismatch.severity == "error"
    assert "Contact us today for an appointment" in mismatch.message
    # the source line and the rendered element are the related locations
    assert mismatch.related == (Location("source/pages/lang.md", 10),
                                Location("output/build/ar/lang.html", 13))
    assert mismatch.details["selector"] == "#main > p:nth-child(3)"
    assert mismatch.details["runner"] == "langcheck"
    assert mismatch.details["traced"] == "catalog"


def test_fallback_marked_lang_en_needs_dir_ltr_in_an_rtl_page() -> None:
    findings = {f.code: f for f in check("ar/lang.html")}
    wrong = findings["dir-mismatch"]
    assert 'lang="en" is left-to-right but the element inherits dir="rtl"' in wrong.message
    assert wrong.details["selector"] == "#main > p:nth-child(4)"
    # the next paragraph carries lang="en" dir="ltr" and is not reported
    assert wrong.location == Location("source/pages/lang.md", 12)


def test_bidi_override_is_flagged_and_shown_visibly() -> None:
    finding = next(f for f in check("ar/lang.html") if f.code == "bidi-control")
    assert "U+202E RIGHT-TO-LEFT OVERRIDE" in finding.message
    assert "<U+202E>" in finding.details["context"]
    assert "\u202e" not in finding.details["context"]


def test_chinese_page_latin_phrase_and_arabic_word() -> None:
    findings = check("zh-Hans/lang.html")
    assert summary(findings) == [
        ("language-mismatch", f"{ZH_PO}:23"),
        ("language-mismatch", f"{ZH_PO}:28"),
    ]
    by_line = {f.location.line: f for f in findings if f.location}
    assert "Latin-script phrase" in by_line[23].message
    assert "Arabic text" in by_line[28].message and "مرحبا بكم" in by_line[28].message


def test_arabic_text_in_an_english_page() -> None:
    findings = check("en/rtl.html")
    assert summary(findings) == [
        ("dir-mismatch", "source/pages/lang.md:12"),
        ("language-mismatch", "source/pages/lang.md:18"),
    ]
    span = next(f for f in findings if f.code == "dir-mismatch")
    assert span.details["selector"] == "#main > p:nth-child(3) > span"
    assert 'add dir="rtl"' in (span.hint or "")


def test_page_lang_must_match_its_folder_traced_to_the_template() -> None:
    findings = check("ar/wrong-lang.html")
    assert summary(findings) == [("language-mismatch", "source/templates/base.html:2")]
    assert findings[0].details["traced"] == "template"


@pytest.mark.parametrize("rel", ["en/clean.html", "en/defects.html", "en/headings.html"])
def test_clean_pages_have_no_language_findings(rel: str) -> None:
    assert check(rel) == []


# --- thresholds: names, acronyms, numbers are not a language -------------------------

@pytest.mark.parametrize("text", [
    "يدرس المعهد (NINDS) والمعاهد الوطنية للصحة (NIH) البوتوكس (Botox).",
    "عيادة Riverside Neurology Clinic ترحب بكم",
    "الجرعة 5 mg من levodopa مرتين يوميًا",
    "راسلنا على info@clinic.example.org أو زر www.clinic.example.org/contact",
    "كلونازيبام (clonazepam) وديازيبام (diazepam)",
])
def test_arabic_with_names_acronyms_and_numbers_passes(text: str) -> None:
    assert fragment(f"<p>{text}</p>", "ar", "rtl") == []


@pytest.mark.parametrize("text", [
    "Is there any treatment?",
    "يرجى العلم أن this text was not translated at all.",
])
def test_arabic_with_a_latin_phrase_fails(text: str) -> None:
    assert [f.code for f in fragment(f"<p>{text}</p>", "ar", "rtl")] == ["language-mismatch"]


def test_a_phrase_runs_to_the_end_of_the_text_and_keeps_its_combining_accents() -> None:
    # Decomposed accents (e + U+0301) belong to their word; the last word, with no
    # space or stop after it, still ends the phrase the message quotes.
    text = "يرجى العلم أن this cafe\u0301 page was not translated"
    [finding] = fragment(f"<p>{text}</p>", "ar", "rtl")
    assert '"this cafe\u0301 page was not translated"' in finding.message
    [chinese] = fragment("<p>Read this first 你好世界</p>")
    assert chinese.message.endswith('"你好世界"')


def test_greek_letter_in_english_is_not_a_language() -> None:
    assert fragment("<p>Take the β-blocker with 5 μg of vitamin B12.</p>") == []


def test_code_and_translate_no_are_exempt_from_the_script_check() -> None:
    assert fragment('<p>Run <code>مرحبا بكم</code> and <span translate="no">'
                    "Riverside clinic was here first</span>.</p>", "zh-Hans") == []


def test_bidi_control_in_an_attribute_and_in_code_is_still_flagged() -> None:
    findings = fragment('<p><img src="x.png" alt="abc\u2066def"></p><pre>a\u202bb</pre>')
    assert [f.code for f in findings] == ["bidi-control", "bidi-control"]


def test_rtl_html_without_dir_is_one_finding() -> None:
    findings = check_page(parse_html(
        '<!DOCTYPE html><html lang="ar"><head><title>ت</title></head><body><main>'
        "<p>نص عربي</p><p>نص آخر</p></main></body></html>"), "page.html")
    assert [(f.code, f.details["selector"]) for f in findings] == [("dir-mismatch", "html")]


def test_rtl_text_in_an_ltr_block_of_an_arabic_page() -> None:
    findings = fragment('<p dir="ltr">نص عربي في فقرة من اليسار إلى اليمين</p>', "ar", "rtl")
    assert [f.code for f in findings] == ["dir-mismatch"]
    assert "right-to-left text laid out left to right" in findings[0].message


def test_dir_auto_and_bdi_isolate() -> None:
    assert fragment('<p>Name: <bdi lang="ar">مرحبا</bdi>, <span lang="ar" dir="auto">'
                    "أهلاً</span></p>") == []


def test_pseudo_and_unknown_languages_skip_the_script_check() -> None:
    assert fragment("<p>[Ħéļļö ŵöŕļð]</p>", "en-XA") == []
    assert fragment('<p lang="tlh">qapla\' batlh</p>') == []


# --- really rendered pages -------------------------------------------------------------

@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("shipped-lang")
    copy_shipped(root)
    render_site(load_config(root))
    return root


def test_shipped_site_has_no_language_findings(shipped: Path) -> None:
    pages = sorted((shipped / "output" / "build").rglob("*.html"))
    assert len(pages) >= 11
    for page in pages:
        rel = page.relative_to(shipped / "output" / "build").as_posix()
        assert check(rel, shipped) == [], rel


def test_english_forced_into_the_arabic_catalog_is_reported_at_its_entry(
        shipped: Path, tmp_path: Path) -> None:
    root = tmp_path / "site"
    shutil.copytree(shipped, root, ignore=shutil.ignore_patterns("output"))
    msgid = "Is there any treatment?"
    line = _force(root, AR_PO, msgid, msgid)
    render_site(load_config(root))
    findings = check("ar/hemifacial-spasm.html", root)
    assert summary(findings) == [("language-mismatch", f"{AR_PO}:{line}")]
    assert Location("source/pages/hemifacial-spasm.md", 24) in findings[0].related


def test_a_table_cells_finding_names_that_cells_entry_and_keeps_it_when_lines_move(
        tmp_path: Path) -> None:
    """A table row's page line holds a message per cell, and the line alone leads to
    the first one. A finding in the second cell names the second cell's entry, from
    the cell's text; once lines above it move, a cached finding is moved to that
    entry's new line, not to the row's first entry."""
    root = tmp_path / "site"
    shutil.copytree(ROOTS / "render-mini", root)
    po = AR_PO
    monday = _force(root, po, "Monday", "الاثنين")
    hours = _force(root, po, HOURS, "open from eight to five")
    assert hours > monday
    render_site(load_config(root))
    (finding,) = [f for f in check("ar/first-visit.html", root)
                  if f.code == "language-mismatch"]
    assert str(finding.location) == f"{po}:{hours}"
    assert Location("source/pages/first-visit.md", 30) in finding.related
    assert finding.details["msgid"] == HOURS and "msgctxt" not in finding.details
    # An entry's comment above moves every line below it by one.
    day = '#: source/pages/first-visit.md:28\nmsgid "Day"'
    text = (root / po).read_text(encoding="utf-8")
    assert day in text
    (root / po).write_text(text.replace(day, "# a translator's note\n" + day), encoding="utf-8")
    moved = _relocator(load_config(root), Workspace())(finding)
    assert str(moved.location) == f"{po}:{hours + 1}"
