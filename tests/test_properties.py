"""Property tests (hypothesis): catalogs round-trip through the real msgfmt, pseudo-translated
sites have no English left, and no catalog text can add an element to a rendered page.

Deadlines are off and example counts modest: the whole file runs in well under a minute.
"""

from __future__ import annotations

import gettext
import json
import math
import re
import shutil
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path
from typing import ClassVar

import pytest
from conftest import msgfmt_check, require_tool
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from test_corpus_hostile import INLINE_MARKDOWN, INVISIBLE, SCRIPT_URL, html_files

from pipeline.config import load_config
from pipeline.errors import PipelineError
from pipeline.models import Finding, Location
from pipeline.models.a11y import A11yResult, PageResult
from pipeline.models.a11y import gates as a11y_gates
from pipeline.po.model import Catalog, Entry
from pipeline.po.reader import read_po
from pipeline.po.writer import write_po
from pipeline.reporters.a11y_text import a11y_finding_text
from pipeline.reporters.json import Streamed, iter_dumps
from pipeline.reporters.junit import a11y_junit
from pipeline.stages.check import error_codes
from pipeline.stages.extract import extract
from pipeline.stages.prefill import prefill
from pipeline.stages.render import render_site
from pipeline.text.langs import parse_lang
from pipeline.text.translations import Translations

CORPUS = Path(__file__).parent / "corpus"
BASE = CORPUS / "bad" / "_base"
HOSTILE_ROOT = CORPUS / "hostile" / "root"
ES = "locales/es/LC_MESSAGES/messages.po"
SETTINGS = settings(deadline=None, max_examples=150,
                    suppress_health_check=[HealthCheck.too_slow])


# --- any text gettext allows survives write → msgfmt → read --------------------------------

# Every character gettext allows in a UTF-8 .po: all of Unicode but NUL, lone surrogates
# and U+0004 (the context separator of compiled catalogs; msgfmt refuses it anywhere).
CHARS = st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00\x04")
# A core never begins or ends with a line break; the entry adds them to msgid and msgstr
# alike (msgfmt's rule). Newlines inside are common in real messages, so weight them.
CORE = st.text(alphabet=st.one_of(CHARS, st.sampled_from("\n\\\"\t %")), max_size=60).map(
    lambda s: s.strip("\n"))


@st.composite
def entries(draw: st.DrawFn) -> list[Entry]:
    out: dict[tuple[str | None, str], Entry] = {}
    for _ in range(draw(st.integers(1, 4))):
        lead = "\n" if draw(st.booleans()) else ""
        trail = "\n" if draw(st.booleans()) else ""

        def shaped(core: str, lead: str = lead, trail: str = trail) -> str:
            return lead + core + trail

        msgid = shaped(draw(CORE.filter(bool)))
        context = draw(st.none() | CORE)
        translated = draw(st.booleans())
        if draw(st.booleans()):
            plural = shaped(draw(CORE.filter(bool)))
            forms = tuple(shaped(draw(CORE.filter(bool))) if translated else ""
                          for _ in range(2))
            entry = Entry(msgid, "", msgctxt=context, msgid_plural=plural,
                          msgstr_plural=forms)
        else:
            text = shaped(draw(CORE.filter(bool))) if translated else ""
            entry = Entry(msgid, text, msgctxt=context)
        out[entry.key] = entry
    return list(out.values())


def round_trip_key(entry: Entry) -> tuple[object, ...]:
    return (entry.msgctxt, entry.msgid, entry.msgid_plural, entry.msgstr, entry.msgstr_plural)


@pytest.fixture(scope="module")
def es_header() -> Catalog:
    return read_po(BASE / ES, ES)


@SETTINGS
@given(found=entries())
def test_any_text_survives_write_msgfmt_and_read(found: list[Entry], es_header: Catalog) -> None:
    msgfmt = require_tool("msgfmt")
    catalog = replace(es_header, entries=tuple(found))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "messages.po"
        write_po(catalog, path, "messages.po")
        msgfmt_check(path)  # exit 0, no warning
        back = read_po(path, "messages.po")
        assert [round_trip_key(e) for e in back.entries] == [round_trip_key(e) for e in found]
        mo = Path(tmp) / "messages.mo"
        subprocess.run([msgfmt, "-o", str(mo), str(path)], check=True)
        with mo.open("rb") as handle:
            compiled = gettext.GNUTranslations(handle)
    for entry in found:
        if entry.msgid_plural is None and entry.msgstr:
            got = (compiled.pgettext(entry.msgctxt, entry.msgid) if entry.msgctxt is not None
                   else compiled.gettext(entry.msgid))
            assert got == entry.msgstr


@settings(deadline=None, max_examples=40)
@given(core=CORE.filter(bool), text=CORE.filter(bool), where=st.sampled_from(["begin", "end"]))
def test_a_line_break_on_one_side_only_is_refused_like_msgfmt(
        core: str, text: str, where: str, es_header: Catalog) -> None:
    msgfmt = require_tool("msgfmt")
    msgid = "\n" + core if where == "begin" else core + "\n"
    catalog = replace(es_header, entries=(Entry(msgid, text),))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "messages.po"
        write_po(catalog, path, "messages.po")
        done = subprocess.run([msgfmt, "--check", "-o", "/dev/null", str(path)],
                              capture_output=True, text=True)
        assert done.returncode == 1 and f"do not both {where} with '\\n'" in done.stderr
        with pytest.raises(PipelineError) as refused:
            read_po(path, "messages.po")
        line = read_po_lines(path)
    assert str(refused.value).startswith(
        f"messages.po:{line}: msgid and msgstr do not both {where} with a line break")


def read_po_lines(path: Path) -> int:
    """The line of the last msgid keyword in ``path`` (the only entry's, after the header)."""
    lines = path.read_text("utf-8").split("\n")
    return max(i for i, line in enumerate(lines, 1) if line.startswith("msgid "))


# --- extraction → pseudo-translation → render: no English left ------------------------------

WORD = st.from_regex(r"[A-Za-z][a-z]{1,9}", fullmatch=True)


def sentence(draw: st.DrawFn, words: int = 8) -> str:
    text = " ".join(draw(st.lists(WORD, min_size=2, max_size=words)))
    return text[0].upper() + text[1:] + draw(st.sampled_from([".", "?", "!", ":"]))


@st.composite
def pages(draw: st.DrawFn) -> list[tuple[str, str]]:
    """1 to 3 pages: (slug, Markdown with front matter) with headings, links, lists, images."""
    out = []
    for number in range(draw(st.integers(1, 3))):
        title = " ".join(draw(st.lists(WORD, min_size=1, max_size=4))).title()
        body = [f"# {title}", ""]
        for _ in range(draw(st.integers(1, 6))):
            kind = draw(st.sampled_from(["p", "link", "emphasis", "h2", "list", "image"]))
            if kind == "p":
                body.append(sentence(draw))
            elif kind == "link":
                body.append(f"{sentence(draw, 4)[:-1]} [{draw(WORD)} {draw(WORD)}]"
                            f"(/{draw(WORD).lower()}/) {draw(WORD).lower()}.")
            elif kind == "emphasis":
                body.append(f"{draw(WORD)} **{draw(WORD)} {draw(WORD)}** *{draw(WORD)}*.")
            elif kind == "h2":
                body.append(f"## {sentence(draw, 4)[:-1]}")
            elif kind == "list":
                body += [f"- {sentence(draw, 4)}" for _ in range(draw(st.integers(1, 3)))]
            else:
                body.append(f"![{sentence(draw, 4)[:-1]}](images/{draw(WORD).lower()}.png)")
            body.append("")
        front = (f"---\ntitle: {title}\nslug: page-{number}\n"
                 f"description: {json.dumps(sentence(draw))}\nupdated: 2026-10-01\n"
                 "breadcrumb:\n  - label: Home\n    href: /\n---\n\n")
        out.append((f"page-{number}", front + "\n".join(body)))
    return out


class _Visible(HTMLParser):
    """Text a reader sees or hears: text nodes and aria-label, alt and title values. Not
    checked: a language's own name in the switcher (``lang`` + ``hreflang``: "English"
    is right there) and dates (``<time>``, written by Babel for the base locale)."""

    VOID: ClassVar[set[str]] = {"area", "base", "br", "col", "embed", "hr", "img", "input",
                                "link", "meta", "source", "track", "wbr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[tuple[str, bool]] = []  # (tag, skipped) of open elements
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        skipped = tag in ("time", "script", "style") or ("lang" in values
                                                          and "hreflang" in values)
        if not skipped and not any(s for _, s in self.open):
            self.found += [values[n] for n in ("aria-label", "alt", "title") if values.get(n)]
        if tag not in self.VOID:
            self.open.append((tag, skipped))

    def handle_endtag(self, tag: str) -> None:
        while self.open and self.open.pop()[0] != tag:
            pass

    def handle_data(self, data: str) -> None:
        if data.strip() and not any(s for _, s in self.open):
            self.found.append(data)


ENGLISH_WORD = re.compile(r"[A-Za-z]{2,}")


@settings(deadline=None, max_examples=25, suppress_health_check=[HealthCheck.too_slow])
@given(site=pages())
def test_a_pseudo_translated_site_has_no_english_left(site: list[tuple[str, str]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "root"
        shutil.copytree(BASE, root)
        config_file = root / "pyproject.toml"
        config_file.write_text(config_file.read_text("utf-8").replace(
            'languages = ["es", "fr"]', 'languages = ["en_XA"]'), "utf-8")
        shutil.rmtree(root / "locales/es")
        shutil.rmtree(root / "locales/fr")
        (root / "source/pages/dry-eye.md").unlink()
        for slug, text in site:
            (root / f"source/pages/{slug}.md").write_text(text, "utf-8")
        config = load_config(root)
        extract(config)
        prefill(config, parse_lang("en_XA"), "pseudo", vet=error_codes)
        render_site(config)
        pages_seen = 0
        for page in sorted((root / "output/build/en-XA").glob("*.html")):
            parser = _Visible()
            parser.feed(page.read_text("utf-8"))
            pages_seen += 1
            for text in parser.found:
                assert not ENGLISH_WORD.search(text), (page.name, text)
        assert pages_seen == len(site) + 1  # every page published, and the index


# --- no catalog text adds an element ----------------------------------------------------------

TOKENS = ["<", ">", "&", '"', "'", "`", "*", "_", "[", "]", "(", ")", "!", "#", ":", "/",
          "\\", "=", ";", " ", "\n", "\t", "<script>", "</p>", "<a href=x>", "onerror=",
          "javascript:", "data:text/html,", "vbscript:", "style=", "<img src=x>", "&lt;",
          "&#60;", "&#x3C;", "{{ x }}", "{% if %}", "%(label)s", "%s", "\u202e", "\u2066",
          "\u200b", "\x1b", "\x07", "https://evil.example/", "](", "![", "<javascript:x>",
          "[x]: javascript:y", "\u00a0", "é", "ع", "中"]
HOSTILE_TEXT = st.lists(st.one_of(st.sampled_from(TOKENS), st.text(CHARS, max_size=4)),
                        max_size=12).map(lambda parts: "".join(parts).strip("\n"))


@pytest.fixture(scope="module")
def allowed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    """The elements, attributes and URLs of the harmless and the fallback renderings."""
    tmp = tmp_path_factory.mktemp("allowed")
    harmless = tmp / "harmless"
    shutil.copytree(HOSTILE_ROOT, harmless)
    render_site(load_config(harmless))
    fallback = tmp / "fallback"
    shutil.copytree(HOSTILE_ROOT, fallback)
    catalog = read_po(fallback / ES, ES)
    write_po(replace(catalog, entries=tuple(
        replace(e, msgstr="", msgstr_plural=("",) * len(e.msgstr_plural))
        for e in catalog.entries)), fallback / ES, ES)
    with (fallback / "pyproject.toml").open("a", encoding="utf-8") as handle:
        handle.write("\n[tool.pipeline.language.es]\ncompleteness = 0\n")
    render_site(load_config(fallback))
    yield {"harmless": html_files(harmless), "fallback": html_files(fallback),
           "entries": read_po(HOSTILE_ROOT / ES, ES).entries}


@settings(deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_no_catalog_text_adds_an_element_or_a_url(data: st.DataObject,
                                                  allowed: dict[str, object]) -> None:
    harmless: dict = allowed["harmless"]  # type: ignore[type-arg, assignment]
    fallback: dict = allowed["fallback"]  # type: ignore[type-arg, assignment]
    originals: tuple[Entry, ...] = allowed["entries"]  # type: ignore[assignment]
    entries = []
    for entry in originals:
        text = data.draw(st.none() | HOSTILE_TEXT)
        if text is None or not text.strip():
            entries.append(entry)
        elif entry.msgid_plural is not None:
            entries.append(replace(entry, msgstr_plural=(text, text)))
        else:
            entries.append(replace(entry, msgstr=text))
    assume(entries != list(originals))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "root"
        shutil.copytree(HOSTILE_ROOT, root)
        catalog = read_po(root / ES, ES)
        write_po(replace(catalog, entries=tuple(entries)), root / ES, ES)
        render_site(load_config(root))
        rendered = html_files(root)
        texts = [p.read_text("utf-8") for p in (root / "output/build").rglob("*.html")]
    assert rendered.keys() == harmless.keys()
    for name, page in rendered.items():
        pairs = harmless[name].pairs | fallback[name].pairs | INLINE_MARKDOWN
        assert page.pairs <= pairs, (name, page.pairs - pairs)
        assert not page.urls - harmless[name].urls, (name, page.urls - harmless[name].urls)
        assert not any(SCRIPT_URL.match(value) for _, value in page.urls)
    for text in texts:
        assert not INVISIBLE.search(text)


JSON_LEAVES = (st.none() | st.booleans() | st.integers() | st.floats()
               | st.text(alphabet=st.characters(codec="utf-8")))
JSON_VALUES = st.recursive(
    JSON_LEAVES,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=30,
)
# Where orjson's text and the standard library's part: floats under 1e-4, ints past 64
# bits, lone surrogates, keys not strings.
EDGES = (st.floats(min_value=-1e-4, max_value=1e-4) | st.integers(min_value=2**63 - 4)
         | st.text(alphabet=st.characters(codec="utf-8") | st.characters(
             min_codepoint=0xD800, max_codepoint=0xDFFF), min_size=1))
EDGE_VALUES = st.recursive(
    JSON_VALUES | EDGES,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=5), children, max_size=4)
    | st.dictionaries(st.integers(), children, max_size=4),
    max_leaves=20,
)


def _standard(value: object) -> str:
    """The standard library's text, with null for a NaN or an infinity (strict JSON)."""
    return json.dumps(_finite(value), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def _finite(value: object) -> object:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


@given(value=JSON_VALUES | EDGE_VALUES)
def test_report_json_is_the_standard_librarys_byte_for_byte(value: object) -> None:
    from pipeline.reporters.json import dumps

    assert dumps(value) == _standard(value)


MANIFEST_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text()
    # What orjson refuses: integers over 64 bits, lone surrogates (an undecodable name).
    | st.integers(min_value=2**64, max_value=2**70)
    | st.text(st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), min_size=1),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=20,
)


@given(value=st.dictionaries(st.text(max_size=8), MANIFEST_VALUES, max_size=5))
def test_the_manifest_is_the_standard_librarys_text_byte_for_byte(
        value: dict[str, object]) -> None:
    """What a manifest holds (no float): orjson's text is the standard library's."""
    from pipeline.stages.publish import _manifest_text

    expected = json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    assert _manifest_text(value) == expected


def test_report_json_writes_nan_and_infinities_as_null() -> None:
    from pipeline.reporters.json import dumps

    value = {"a": math.nan, "b": [math.inf, -math.inf], "c": 1.5}
    assert json.loads(dumps(value)) == {"a": None, "b": [None, None], "c": 1.5}
    # The standard library's own way (a key not a string) is strict too.
    assert json.loads(dumps({1: math.nan})) == {"1": None}


def _streamed(value: object) -> object:
    """``value`` with every list under a dict made a ``Streamed`` generator."""
    if isinstance(value, dict):
        return {k: Streamed(_streamed(v) for v in item) if isinstance(item, list)
                else _streamed(item) for k, item in value.items()}
    if isinstance(value, list):
        return [_streamed(v) for v in value]
    return value


@given(value=JSON_VALUES | EDGE_VALUES)
def test_streamed_report_json_is_the_same_text(value: object) -> None:
    expected = _standard(value)
    assert "".join(iter_dumps(value)) == expected
    assert "".join(iter_dumps(_streamed(value))) == expected


def test_a_long_streamed_list_is_the_same_text_across_its_chunks() -> None:
    # Written some items at a time: chunks of short and of long items, one holding a
    # float the fast writer does not write as the standard library does (1e-05).
    items: list[object] = [{"n": n, "text": "é\n" * (n % 7) * 300, "list": [n, None]}
                           for n in range(3000)]
    items[1500] = {"small": 0.00001, "nested": [{"deep": "x"}]}
    items[2999] = []
    value = {"findings": items, "summary": {"count": 3000}}
    assert "".join(iter_dumps(_streamed(value))) == _standard(value)


# --- a page's fingerprint reads what a reader is shown ------------------------------------


@SETTINGS
@given(found=entries(), fuzzy=st.lists(st.booleans(), min_size=4, max_size=4),
       fallback=st.sampled_from(["source", "outdated"]), other=CORE.filter(bool))
def test_shown_is_resolves_state_and_text(found: list[Entry], fuzzy: list[bool],
                                          fallback: str, other: str) -> None:
    """``Translations.shown`` (a fingerprint's part, without a Resolved) is what
    ``resolve`` shows, for every entry (translated or not, fuzzy or not) and a message
    the catalog lacks, in both fallback policies and in the source language."""
    config = load_config(BASE)
    es = parse_lang("es")
    config = replace(config, language={**config.language, es.code: replace(
        config.lang_config(es), fallback=fallback)})
    found = [e.with_flags("fuzzy") if f else e for e, f in zip(found, fuzzy, strict=False)]
    catalog = Catalog(entries=tuple(found), path=ES)
    for tr in (Translations(config, es, catalog),
               Translations(config, config.source_language, None)):
        for msgid, ctx in [*((e.msgid, e.msgctxt) for e in found), (other, None)]:
            resolved = tr.resolve(msgid, ctx)
            assert tr.shown(msgid, ctx) == (resolved.state, resolved.text)


# --- the JUnit report: each page's findings grouped once ---------------------------------


XML_TEXT = st.text(alphabet=st.one_of(
    st.characters(blacklist_categories=["Cs"]),
    st.sampled_from("&<>\"'\r\n\t\x00\x0b\ufffe")), max_size=20)
PAGES = st.sampled_from(["output/build/es/a.html", "output/build/ar/a b.html",
                         'output/build/en/"q"&<x>.html', "output/reports/r.html"])


@st.composite
def a11y_results(draw: st.DrawFn) -> A11yResult:
    def finding() -> Finding:
        details: dict[str, object] = {"page": draw(PAGES), "language": draw(XML_TEXT)}
        if draw(st.booleans()):
            details["selector"] = draw(XML_TEXT)
        if draw(st.integers(0, 3)) == 0:
            details["accepted"] = {"entry": "a11y-baseline.toml:3", "expires": "2027-01-01",
                                   "reason": draw(XML_TEXT)}
        return Finding(draw(st.sampled_from(["a11y-color-contrast", "x&<y>"])),
                       draw(st.sampled_from(["error", "warning", "notice"])),
                       draw(XML_TEXT), Location(draw(PAGES), draw(st.integers(1, 9))),
                       draw(st.none() | XML_TEXT), details=details)

    def result() -> PageResult:
        errors, warnings, notices, accepted = draw(st.tuples(*[st.integers(0, 3)] * 4))
        return PageResult(draw(PAGES), "u", draw(st.sampled_from(["es", "ar", "", "x\"&"])),
                          errors, warnings, notices, accepted, draw(st.booleans()))

    results = tuple(result() for _ in range(draw(st.integers(0, 5))))
    findings = tuple(finding() for _ in range(draw(st.integers(0, 6))))
    review = tuple(replace(finding(), details={**finding().details, "needs_review": True})
                   for _ in range(draw(st.integers(0, 2))))
    return A11yResult(findings, review, results, ("axe", draw(XML_TEXT)), {}, draw(XML_TEXT),
                      (), draw(XML_TEXT), draw(st.booleans()), "chromium", None)


def _as_parsed(text: str) -> str:
    """``text`` as an XML parser reads it back: control characters written as escapes,
    line ends normalized."""
    text = re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]",
                  lambda m: f"\\x{ord(m.group(0)):02x}", text)
    return text.replace("\r\n", "\n").replace("\r", "\n")


@SETTINGS
@given(result=a11y_results())
def test_junit_testcase_holds_its_pages_findings(result: A11yResult) -> None:
    """The JUnit report parses back whatever the findings and the run's names hold
    (control characters in attributes too), and each page's testcase holds exactly that
    page's findings, in order: the gating ones in ``<failure>``, the rest but notices
    and then the needs-review ones in ``<system-out>`` (each page's findings are grouped
    once, no longer found by a walk of all of them per page)."""
    root = ET.fromstring(a11y_junit(result).encode("utf-8"))
    pages = {r.page: r for r in result.results}
    by_lang: dict[str, list[str]] = {}
    for page in result.results:
        by_lang.setdefault(page.language or "und", []).append(page.page)
    expected = [pages[name] for language in sorted(by_lang) for name in by_lang[language]]
    cases = root.findall("./testsuite/testcase")
    assert [c.get("name") for c in cases] == [_as_parsed(p.page) for p in expected]
    for case, page in zip(cases, expected, strict=True):
        mine = [f for f in result.findings if f.details.get("page") == page.page]
        blocking = [f for f in mine if a11y_gates(f, result.warnings_gate)]
        failure = case.find("failure")
        assert (failure is not None) == bool(blocking)
        if failure is not None:
            assert failure.text == _as_parsed("\n".join(a11y_finding_text(f)
                                                        for f in blocking))
        out = [a11y_finding_text(f) for f in mine
               if f not in blocking and f.severity != "notice"]
        out += [a11y_finding_text(f, needs_review=True) for f in result.needs_review
                if f.details.get("page") == page.page]
        out.append(f"{page.errors} errors, {page.warnings} warnings, {page.notices} "
                   f"notices, {page.accepted} accepted")
        system_out = case.find("system-out")
        assert system_out is not None and system_out.text == _as_parsed("\n".join(out))
