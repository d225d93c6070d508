"""Language marks: a translator writes ``[NINDS]{lang=en}`` for a phrase in another language.

QA allows only ``lang`` (tests/roots/qa-findings has the failing and passing entries);
the renderer writes ``<span lang dir>`` with the direction of the language; the
language checks accept it and point to it.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import copy_shipped

from pipeline.config import load_config
from pipeline.po.reader import read_po
from pipeline.po.writer import write_po
from pipeline.stages.a11y.langcheck import check_page
from pipeline.stages.check import run_checks
from pipeline.stages.prefill import pseudo_text
from pipeline.stages.render import render_site
from pipeline.text.htmltree import parse_html
from pipeline.text.langs import parse_lang
from pipeline.text.markup import inline_html, plain_text, translated_html
from pipeline.text.messages import Messages
from pipeline.text.pages import markdown
from pipeline.text.translations import Resolved

AR_PO = "locales/ar/LC_MESSAGES/messages.po"


@pytest.mark.parametrize(("text", "html"), [
    ("المعهد [NINDS]{lang=en} يجري", 'المعهد <span lang="en" dir="ltr">NINDS</span> يجري'),
    ('[the NIH]{lang="en"}', '<span lang="en" dir="ltr">the NIH</span>'),
    ("[简体]{lang=zh_Hans}", '<span lang="zh-Hans" dir="ltr">简体</span>'),
    ("in [العربية]{lang=ar} too", 'in <span lang="ar" dir="rtl">العربية</span> too'),
    # dir, classes, ids and handlers are never written: QA reports them (lang-mark).
    ("[NINDS]{lang=en dir=rtl .x #y onclick=z}", '<span lang="en" dir="ltr">NINDS</span>'),
    ("[NINDS]{lang=klingonese}", "NINDS"),  # an unknown language: the text, unmarked
    ("[NINDS]{.x}", "NINDS"),
    ("NINDS{lang=en}", "NINDS{lang=en}"),  # not attached: text (QA reports it)
])
def test_a_mark_becomes_a_span_with_the_languages_direction(text: str, html: str) -> None:
    assert translated_html(text, [], False, Messages()) == html


def test_a_mark_around_a_link_keeps_the_sources_address() -> None:
    source = markdown(False).parseInline("[NINDS](/research/)")[0].children or []
    got = translated_html("[[NINDS](https://evil.example/)]{lang=en}", list(source), False,
                          Messages())
    assert got == '<span lang="en" dir="ltr"><a href="/research/">NINDS</a></span>'


def test_front_matter_text_marks_in_html_and_plain_text() -> None:
    resolved = Resolved("Hemifacial Spasm", "تشنج [Hemifacial Spasm]{lang=en} <b>",
                        parse_lang("ar"), "translated", None)
    assert str(inline_html(resolved)) == (
        'تشنج <span lang="en" dir="ltr">Hemifacial Spasm</span> &lt;b&gt;')
    assert plain_text(resolved) == "تشنج Hemifacial Spasm <b>"


def test_pseudo_locales_keep_the_mark() -> None:
    assert pseudo_text("The [NINDS]{lang=en} studies it.", parse_lang("en_XA")).startswith(
        "[Ţĥé [ÑÎÑÐŠ]{lang=en} šţûðîéš")


def test_a_marked_phrase_passes_qa_and_the_language_checks(tmp_path: Path) -> None:
    """Acceptance: the English phrase the Arabic heading keeps, marked {lang=en}."""
    root = copy_shipped(tmp_path / "site")
    path = root / AR_PO
    catalog = read_po(path, AR_PO)
    marked = {
        "Is there any treatment?": "هل يوجد علاج؟ [Is there any treatment?]{lang=en}",
        "Hemifacial Spasm": "التشنج النصفي الوجهي ([hemifacial spasm]{lang=en})",
    }
    write_po(replace(catalog, entries=tuple(
        replace(e, msgstr=marked[e.msgid]) if e.msgid in marked else e
        for e in catalog.entries)), path, AR_PO)
    config = load_config(root)
    qa = run_checks(config, [parse_lang("ar")])
    assert [f for f in qa.findings if f.severity == "error"] == []
    render_site(config)
    page = root / "output/build/ar/hemifacial-spasm.html"
    text = page.read_text(encoding="utf-8")
    assert ('<h2 data-src="source/pages/hemifacial-spasm.md:24">هل يوجد علاج؟ '
            '<span lang="en" dir="ltr">Is there any treatment?</span></h2>') in text
    assert "<title>التشنج النصفي الوجهي (hemifacial spasm) | " in text
    assert 'aria-current="page" data-src="source/pages/hemifacial-spasm.md:2">التشنج ' \
           'النصفي الوجهي (<span lang="en" dir="ltr">hemifacial spasm</span>)</a>' in text
    findings = check_page(parse_html(text), "output/build/ar/hemifacial-spasm.html",
                          expected_lang="ar")
    assert findings == []
    # Without the marks the same text is reported, and the hint shows the mark.
    shutil.rmtree(root / "output")
    write_po(catalog, path, AR_PO)
    catalog = read_po(path, AR_PO)
    write_po(replace(catalog, entries=tuple(
        replace(e, msgstr=marked[e.msgid].replace("]{lang=en}", "").replace("[", ""))
        if e.msgid in marked else e for e in catalog.entries)), path, AR_PO)
    render_site(load_config(root))
    text = (root / "output/build/ar/hemifacial-spasm.html").read_text(encoding="utf-8")
    hints = [f.hint for f in check_page(parse_html(text), "output/build/ar/x.html",
                                        expected_lang="ar")]
    assert any("e.g. [Is there any treatment]{lang=en}" in (h or "") for h in hints), hints
