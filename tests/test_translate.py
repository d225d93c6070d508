"""pipeline.stages.prefill and ``pipeline translate``: translation memory, pseudo-locales, plugins.

Real catalogs in ``tests/roots/qa`` (copied per test), real ``msgfmt --check`` on what
is written, real ``pipeline render`` for the pseudo-locale leak test, and a real
entry-point plugin discovered through package metadata.
"""

# Pseudo-locale text is made of look-alike letters on purpose.
# ruff: noqa: RUF001

from __future__ import annotations

import json
import os
import re
import shutil
import time
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, msgfmt_check, run_cli, run_cli_process

from pipeline.config import load_config
from pipeline.errors import PipelineError, UsageError
from pipeline.po.model import Catalog, Entry
from pipeline.po.reader import read_po
from pipeline.po.writer import write_po
from pipeline.stages.check import error_codes, run_checks
from pipeline.stages.check.placeholders import placeholders
from pipeline.stages.prefill import (
    COMPARE_LIMIT,
    TranslationMemory,
    Unit,
    prefill,
    pseudo_text,
    register_engine,
    same_language,
    unregister_engine,
)
from pipeline.text.langs import PSEUDO_BASES, parse_lang
from pipeline.text.messages import Messages
from pipeline.text.pages import markdown

ES = "locales/es/LC_MESSAGES/messages.po"
ARRIVE = "Please arrive 15 minutes early. The visit takes about 45 minutes."
BRING = "Bring your **insurance card** and a list of *all* your medicines."
HEADER_ES = (("Language", "es"), ("MIME-Version", "1.0"),
             ("Content-Type", "text/plain; charset=UTF-8"),
             ("Content-Transfer-Encoding", "8bit"),
             ("Plural-Forms", "nplurals=2; plural=(n != 1);"))


def _catalog(root: Path, rel: str = ES) -> Catalog:
    return read_po(root / rel, rel)


def _by_msgid(catalog: Catalog) -> dict[str, Entry]:
    return {e.msgid: e for e in catalog.active}


def _empty_spanish(root: Path) -> dict[str, Entry]:
    """Empty the Spanish catalog; return what it held (the reference translations)."""
    catalog = _catalog(root)
    before = _by_msgid(catalog)
    emptied = tuple(replace(e, msgstr="", msgstr_plural=tuple("" for _ in e.msgstr_plural))
                    for e in catalog.entries)
    write_po(replace(catalog, entries=emptied), root / ES, ES)
    return before


def _write_po(root: Path, rel: str, language: str, entries: list[Entry]) -> None:
    header = tuple((k, language if k == "Language" else v) for k, v in HEADER_ES)
    write_po(Catalog(header=header, entries=tuple(entries)), root / rel, rel)


def test_tm_fills_exact_and_fuzzy_matches_from_same_language_catalogs(make_root: Any) -> None:
    root = make_root("qa")
    reference = _empty_spanish(root)
    # Another Spanish catalog in the project: two exact entries and a near one.
    _write_po(root, "locales/es/LC_MESSAGES/archive.po", "es", [
        Entry("Skip to main content", reference["Skip to main content"].msgstr),
        Entry("Your First Visit", reference["Your First Visit"].msgstr),
        Entry(ARRIVE.replace("15", "20"), "Llegue 20 minutos antes. La visita dura 45 minutos."),
    ])
    # A French catalog with the other texts must not be used for Spanish.
    _write_po(root, "locales/fr/LC_MESSAGES/messages.po", "fr", [
        Entry("Map of the clinic entrance", "Plan de l’entrée de la clinique")])

    result = prefill(load_config(root), parse_lang("es"), "tm", vet=error_codes)

    assert (result.exact, result.fuzzy, result.created, result.written) == (2, 1, False, True)
    assert result.untranslated == 9
    entries = _by_msgid(_catalog(root))
    skip = entries["Skip to main content"]
    assert skip.msgstr == "Saltar al contenido principal" and not skip.fuzzy
    archive = {e.msgid: e.line for e in _catalog(root, "locales/es/LC_MESSAGES/archive.po")
               .active}
    assert skip.translator_comments == (
        "pre-filled by tm: exact match from locales/es/LC_MESSAGES/archive.po:"
        f"{archive['Skip to main content']}",)
    arrive = entries[ARRIVE]
    assert arrive.fuzzy and arrive.msgstr.startswith("Llegue 20 minutos")
    assert arrive.previous_msgid == ARRIVE.replace("15", "20")
    assert arrive.translator_comments == (
        "pre-filled by tm: 97% match from locales/es/LC_MESSAGES/archive.po:"
        f"{archive[ARRIVE.replace('15', '20')]}",)
    assert entries["Map of the clinic entrance"].msgstr == ""
    fill = next(f for f in result.fills if f.msgid == ARRIVE)
    assert fill.line == arrive.line and fill.score is not None and fill.score > 0.96
    msgfmt_check(root / ES)
    # the QA check sees no problem: exact fills are clean, fuzzy ones are not checked
    assert run_checks(load_config(root), [parse_lang("es")]).ok


def test_tm_uses_the_catalogs_own_obsolete_entries_and_never_touches_translations(
        make_root: Any) -> None:
    root = make_root("qa")
    catalog = _catalog(root)
    entries = []
    for e in catalog.entries:
        if e.msgid == "What should I bring?":
            e = replace(e, msgstr="", msgstr_plural=())
        elif e.msgid == "Your First Visit":
            e = replace(e, msgstr="Mi propia traducción")  # a translator's: kept
        elif e.msgid == "Skip to main content":
            e = replace(e, msgstr="Ir al contenido", flags=("fuzzy",))
        entries.append(e)
    entries.append(Entry("What should I bring with me?", "¿Qué debo traer conmigo?",
                         obsolete=True))
    entries.append(Entry("Skip to main content now", "Saltar ya al contenido principal",
                         obsolete=True))
    write_po(replace(catalog, entries=tuple(entries)), root / ES, ES)
    config = load_config(root)

    result = prefill(config, parse_lang("es"), "tm", vet=error_codes)
    got = _by_msgid(_catalog(root))
    assert [f.msgid for f in result.fills] == ["What should I bring?"]
    assert got["What should I bring?"].fuzzy
    assert got["What should I bring?"].msgstr == "¿Qué debo traer conmigo?"
    assert got["Your First Visit"].msgstr == "Mi propia traducción"
    assert got["Skip to main content"].msgstr == "Ir al contenido"

    again = prefill(config, parse_lang("es"), "tm", vet=error_codes, overwrite_fuzzy=True)
    got = _by_msgid(_catalog(root))
    assert {f.msgid for f in again.fills} == {"What should I bring?", "Skip to main content"}
    assert got["Skip to main content"].msgstr == "Saltar ya al contenido principal"
    assert got["Your First Visit"].msgstr == "Mi propia traducción"
    assert len([c for c in got["What should I bring?"].translator_comments
                if c.startswith("pre-filled by")]) == 1
    msgfmt_check(root / ES)


def test_tm_threshold(make_root: Any) -> None:
    root = make_root("qa")
    _empty_spanish(root)
    _write_po(root, "locales/es/LC_MESSAGES/archive.po", "es", [
        Entry(ARRIVE.replace("15", "20"), "Llegue 20 minutos antes.")])
    config = load_config(root)
    assert prefill(config, parse_lang("es"), "tm", vet=error_codes, threshold=0.99).fills == ()
    assert prefill(config, parse_lang("es"), "tm", vet=error_codes, threshold=0.9).fuzzy == 1
    with pytest.raises(UsageError):
        prefill(config, parse_lang("es"), "tm", vet=error_codes, threshold=1.5)


def test_exact_match_that_fails_a_check_is_filled_fuzzy(make_root: Any) -> None:
    root = make_root("qa")
    _empty_spanish(root)
    _write_po(root, "locales/es/LC_MESSAGES/archive.po", "es", [
        Entry("Skip to main content", "Saltar<script>x()</script> al contenido"),
        Entry("Last updated: %(date)s", "Actualizado: %(fecha)s", flags=("python-format",))])
    prefill(load_config(root), parse_lang("es"), "tm", vet=error_codes)
    got = _by_msgid(_catalog(root))
    assert got["Skip to main content"].fuzzy
    assert got["Skip to main content"].translator_comments[-1].endswith(
        "; made fuzzy: html-added")
    assert got["Last updated: %(date)s"].fuzzy
    last_updated = got["Last updated: %(date)s"].translator_comments[-1]
    assert "made fuzzy: placeholder-mismatch" in last_updated
    msgfmt_check(root / ES)  # a non-fuzzy %(fecha)s would fail msgfmt --check


TMX = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE tmx SYSTEM "tmx14.dtd">
<tmx version="1.4">
  <header srclang="en-US" datatype="plaintext" segtype="sentence" adminlang="en"
          creationtool="test" creationtoolversion="1" o-tmf="none"/>
  <body>
    <tu>
      <tuv xml:lang="en-US"><seg>Map of the clinic entrance</seg></tuv>
      <tuv xml:lang="es-ES"><seg>Plano de la <bpt i="1">&lt;b&gt;</bpt>entrada<ept i="1"
        >&lt;/b&gt;</ept> de la clínica</seg></tuv>
    </tu>
    <tu>
      <tuv xml:lang="en-US"><seg>Skip to main content</seg></tuv>
      <tuv xml:lang="fr-FR"><seg>Aller au contenu principal</seg></tuv>
    </tu>
  </body>
</tmx>
"""


def test_tmx_memory_file_from_the_command_line(make_root: Any, tmp_path: Path) -> None:
    root = make_root("qa")
    _empty_spanish(root)
    memory = tmp_path / "clinic.tmx"
    memory.write_text(TMX, encoding="utf-8")
    result = run_cli(root, "translate", "es", "--engine", "tm", "--memory", str(memory))
    assert result.returncode == 0, result.stderr
    got = _by_msgid(_catalog(root))
    map_entry = got["Map of the clinic entrance"]
    assert map_entry.msgstr == "Plano de la entrada de la clínica" and not map_entry.fuzzy
    assert map_entry.translator_comments == (f"pre-filled by tm: exact match from {memory}:7",)
    assert got["Skip to main content"].msgstr == ""  # French unit: not Spanish
    assert f"{ES}:{map_entry.line}: exact match from {memory}:7" in result.stdout
    assert result.stdout.rstrip().endswith(
        f"{ES}: written; tm: 1 filled, 0 fuzzy from 1 memory unit(s); 11 untranslated")
    msgfmt_check(root / ES)

    as_json = run_cli(root, "translate", "es", "--engine", "tm", "--memory", str(memory),
                      "--json")
    data = json.loads(as_json.stdout)
    assert (data["written"], data["filled"], data["untranslated"]) == (False, 0, 11)


def test_bad_memory_files_are_errors_with_locations(make_root: Any, tmp_path: Path) -> None:
    root = make_root("qa")
    bomb = tmp_path / "bomb.tmx"
    bomb.write_text('<?xml version="1.0"?>\n<!DOCTYPE tmx [\n<!ENTITY a "aaaaaaaaaa">\n]>\n'
                    "<tmx><body/></tmx>\n", encoding="utf-8")
    result = run_cli(root, "translate", "es", "--engine", "tm", "--memory", str(bomb))
    assert result.returncode == 1
    assert result.stderr.startswith(f"{bomb}:3: TMX declares XML entities")
    broken = tmp_path / "broken.tmx"
    broken.write_text("<tmx>\n<body>\n</tmx>\n", encoding="utf-8")
    result = run_cli(root, "translate", "es", "--engine", "tm", "--memory", str(broken))
    assert result.returncode == 1 and result.stderr.startswith(f"{broken}:3: not a valid TMX")
    french = tmp_path / "fr.po"
    _write_po(tmp_path, "fr.po", "fr", [Entry("Skip to main content", "Aller au contenu")])
    result = run_cli(root, "translate", "es", "--engine", "tm", "--memory", str(french))
    assert result.returncode == 1 and "memory file is in 'fr', not es" in result.stderr
    result = run_cli(root, "translate", "es", "--engine", "pseudo")
    assert result.returncode == 2 and "pseudo engine writes the pseudo-locales" in result.stderr
    result = run_cli(root, "translate", "es", "--engine", "deepl")
    assert result.returncode == 2 and "unknown engine 'deepl'" in result.stderr


def test_same_language() -> None:
    assert same_language("es-ES", parse_lang("es"))
    assert same_language("zh-CN", parse_lang("zh_Hans"))
    assert same_language("zh_Hans", parse_lang("zh-Hans"))
    assert not same_language("zh-TW", parse_lang("zh_Hans"))
    assert not same_language("pt-PT", parse_lang("pt_BR"))
    assert not same_language("fr", parse_lang("es"))
    assert not same_language("en", parse_lang("en_XA"))


def test_memory_index_scales_and_finds_the_near_duplicate() -> None:
    words = ["clinic", "patient", "doctor", "visit", "nerve", "spasm", "face", "muscle",
             "treatment", "injection", "surgery", "research", "appointment", "insurance",
             "medicine", "symptom", "eyelid", "brain", "vessel"]
    units = []
    for n in range(20000):
        text = " ".join(words[(n * k) % len(words)] for k in (1, 3, 7, 11, 13)) + f" {n}."
        units.append(Unit(text, (f"t{n}",), parse_loc(n)))
    planted = "The first symptom is usually an intermittent twitching of the eyelid muscle."
    units.append(Unit(planted, ("El primer síntoma…",), parse_loc(20000)))
    started = time.perf_counter()
    memory = TranslationMemory(units)
    built = time.perf_counter() - started
    query = planted.replace("usually", "often")
    assert len(memory.candidates(query)) <= COMPARE_LIMIT
    started = time.perf_counter()
    for _ in range(200):
        match = memory.lookup(query, None, None, 0.75)
    looked_up = time.perf_counter() - started
    assert match is not None and match.unit.source == planted and 0.9 < match.score < 1
    # 20 001 units: an all-pairs search would compare every one per lookup
    assert built < 10 and looked_up < 10, (built, looked_up)


def parse_loc(n: int) -> Any:
    from pipeline.models import Location

    return Location("memory.po", n + 1)


# --- pseudo-locales --------------------------------------------------------------------------


@pytest.mark.parametrize("code", sorted(PSEUDO_BASES))
def test_pseudo_catalog_keeps_placeholders_links_and_markup(make_root: Any, code: str) -> None:
    root = make_root("qa")
    lang = parse_lang(code)
    result = run_cli(root, "translate", code, "--engine", "pseudo")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        f"locales/{code}/LC_MESSAGES/messages.po: created; pseudo: 12 entries (re)generated; "
        "0 untranslated")
    path = root / "locales" / code / "LC_MESSAGES" / "messages.po"
    msgfmt_check(path)
    catalog = read_po(path, path.name)
    assert catalog.header_value("Language") == code
    assert catalog.nplurals == lang.nplurals
    messages = Messages()
    for entry in catalog.active:
        forms = entry.msgstr_plural or (entry.msgstr,)
        assert all(forms) and not entry.fuzzy
        for form in forms:
            assert form.startswith("[") and form.endswith("]")
            source = entry.msgid_plural if form is not forms[0] else entry.msgid
            assert source is not None
            assert placeholders(form, True) == placeholders(source, True)
            facts, source_facts = messages.facts(form), messages.facts(source)
            assert facts.links == source_facts.links
            assert facts.images == source_facts.images
            assert form.count("**") == source.count("**")
    entries = _by_msgid(catalog)
    if code == "en_XA":
        assert entries["What should I bring?"].msgstr == "[Ŵĥåţ šĥöûļð Î ƀŕîñĝ öñé ţŵö?]"
        assert len(entries[ARRIVE].msgstr) >= 1.3 * len(ARRIVE)
    else:
        assert entries["What should I bring?"].msgstr == "[ƃuıɹq I plnoɥs ʇɐɥM؟]"
        assert entries[BRING].msgstr.startswith("[ɹnoʎ ƃuıɹꓭ **pɹɐɔ ǝɔuɐɹnsuı**")
    # every check passes on the pseudo catalog, warnings included
    checked = run_cli(root, "check", code)
    assert checked.returncode == 0, checked.stdout
    assert checked.stdout.startswith("qa: 0 errors, 0 warnings")
    # generated again from the same template: not a byte changes
    before = path.read_bytes()
    again = run_cli(root, "translate", code, "--engine", "pseudo")
    assert "unchanged; pseudo: 0 entries (re)generated" in again.stdout
    assert path.read_bytes() == before


def test_pseudo_catalog_follows_the_template(make_root: Any) -> None:
    root = make_root("qa")
    config = load_config(root)
    prefill(config, parse_lang("en_XA"), "pseudo", vet=error_codes)
    page = root / "source" / "pages" / "first-visit.md"
    page.write_text(page.read_text().replace("What should I bring?", "What do I bring?"))
    run_cli(root, "extract", check=True)
    result = prefill(load_config(root), parse_lang("en_XA"), "pseudo", vet=error_codes)
    assert [f.msgid for f in result.fills] == ["What do I bring?"]
    catalog = _catalog(root, "locales/en_XA/LC_MESSAGES/messages.po")
    assert catalog.obsolete == () and "What should I bring?" not in _by_msgid(catalog)
    assert _by_msgid(catalog)["What do I bring?"].msgstr == "[Ŵĥåţ ðö Î ƀŕîñĝ öñé?]"


def test_pseudo_text_protects_what_must_not_change() -> None:
    xa = parse_lang("en_XA")
    text = ("Call `help` or <info@example.org>, see [the map](/a_b/(x) \"Map\") &amp; "
            "%(name)s {count} \\*")
    out = pseudo_text(text, xa)
    for kept in ("`help`", "<info@example.org>", '](/a_b/(x) "', "&amp;", "%(name)s",
                 "{count}", "\\*"):
        assert kept in out
    assert pseudo_text("  Lead and trail\n", xa).startswith("  [") and pseudo_text(
        "  Lead and trail\n", xa).endswith("]\n")
    assert pseudo_text("50% of them", xa, printf=False) == "[50% öƒ ţĥéɱ öñé]"


@pytest.mark.parametrize("code", sorted(PSEUDO_BASES))
def test_pseudo_text_translates_link_and_image_titles_and_keeps_their_urls(code: str) -> None:
    lang = parse_lang(code)
    text = ('See the [floor plan](/plan/ "Ground floor"), ![the lift](images/lift.png '
            "'The lift') and [the desk](/desk/ (Front \\) desk)) or [x](/a_b/(x) "
            '"Say \\"hi\\" &amp; go").')
    out = pseudo_text(text, lang)
    source = markdown(False).parseInline(text)[0].children or []
    pseudo = markdown(False).parseInline(out)[0].children or []
    links = [(t.attrs.get("href") or t.attrs.get("src"), t.attrs.get("title")) for t in source
             if t.type in ("link_open", "image")]
    shown = [(t.attrs.get("href") or t.attrs.get("src"), t.attrs.get("title")) for t in pseudo
             if t.type in ("link_open", "image")]
    assert [url for url, _ in shown] == [url for url, _ in links]  # URLs kept
    for (_, english), (_, title) in zip(links, shown, strict=True):
        assert title and english and title != english
        words = set(re.findall(r"[A-Za-z]{2,}", str(title)))
        assert not words & set(re.findall(r"[A-Za-z]{2,}", str(english))), title
    assert '"Say \\"' not in out and "&amp;" in out  # escapes and entities kept
    # an image's title is a message of its own
    assert pseudo_text("Where to find us", parse_lang("en_XA")) == "[Ŵĥéŕé ţö ƒîñð ûš öñé]"


class _VisibleText(HTMLParser):
    """Visible text nodes (and title, alt, aria-label values) with their element path."""

    SKIP = frozenset({"script", "style"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, dict[str, str | None]]] = []
        self.texts: list[tuple[str, list[tuple[str, dict[str, str | None]]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name in ("alt", "aria-label", "title", "placeholder"):
            if values.get(name):
                self.texts.append((str(values[name]), [*self.stack, (tag, values)]))
        if tag == "meta" and values.get("name") == "description":
            self.texts.append((str(values.get("content")), [(tag, values)]))
        if tag not in ("meta", "link", "br", "img", "input"):
            self.stack.append((tag, values))

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        if data.strip() and not any(tag in self.SKIP for tag, _ in self.stack):
            self.texts.append((data, list(self.stack)))


def _leaks(html: str, language_names: set[str]) -> list[str]:
    parser = _VisibleText()
    parser.feed(html)
    leaks = []
    for text, path in parser.texts:
        if not any(c.isalpha() for c in text):
            continue
        if text.strip() in language_names:
            continue  # the switcher names each language in itself
        if any(tag == "time" for tag, _ in path):
            continue  # dates are Babel data of the base locale (see CONVENTIONS.md)
        if all(ord(c) < 128 for c in text):
            leaks.append(f"{'/'.join(tag for tag, _ in path)}: {text.strip()!r}")
    return leaks


def test_pseudo_locales_render_with_every_visible_string_pseudo_translated(
        tmp_path: Path) -> None:
    root = tmp_path / "site"
    root.mkdir()
    shutil.copytree(REPO / "source", root / "source")
    shutil.copytree(REPO / "locales", root / "locales", ignore=shutil.ignore_patterns("*.mo"))
    pyproject = (REPO / "pipeline.toml").read_text(encoding="utf-8")
    listed = 'languages = ["es", "fr", "ar", "zh_Hans"]'
    assert listed in pyproject
    (root / "pipeline.toml").write_text(
        pyproject.replace(listed, 'languages = ["es", "fr", "ar", "zh_Hans", "en_XA", "ar_XB"]'),
        encoding="utf-8")
    # Titles are text too (tooltips): a link's, an inline image's and a lone image's.
    page = root / "source" / "pages" / "hemifacial-spasm.md"
    page.write_text(page.read_text(encoding="utf-8") + (
        '\nSee the [floor plan](/plan/ "Ground floor") and ![the lift](images/lift.png '
        '"Lift to the clinic").\n\n![Map of the entrance](images/map.png "Where to find us")\n'
        '\n![](images/rule.png "Quiet corridor")\n'), encoding="utf-8")
    run_cli(root, "extract", check=True)
    for code in ("en_XA", "ar_XB"):
        run_cli(root, "translate", code, "--engine", "pseudo", check=True)
    rendered = run_cli(root, "render", check=True)
    assert "en-XA" in rendered.stdout
    config = load_config(root)
    names = {lang.own_name for lang in config.all_languages}
    pages = 0
    for tag in ("en-XA", "ar-XB"):
        for page in sorted((root / "output" / "build" / tag).glob("*.html")):
            html = page.read_text(encoding="utf-8")
            assert f'lang="{tag}"' in html
            assert 'dir="rtl"' in html if tag == "ar-XB" else 'dir="ltr"' in html
            assert _leaks(html, names) == [], page
            if page.name == "hemifacial-spasm.html":
                assert html.count(" title=") == 4, page
            pages += 1
    assert pages >= 4

    # the detector does catch a string that escaped translation
    leaky = html.replace("</main>", "<p>Call us today</p></main>")
    assert _leaks(leaky, names) == ["html/body/main/p: 'Call us today'"]


# --- machine-translation plugins ----------------------------------------------------------------


class Shouting:
    """A tiny offline engine: upper-cases words, keeps %(placeholders)s and link URLs."""

    def __init__(self) -> None:
        self.calls: list[tuple[list[str], str, str]] = []

    def translate(self, texts: Any, source: str, target: str) -> list[str]:
        self.calls.append((list(texts), source, target))
        import re

        keep = re.compile(r"%\([^)]*\)s|\]\([^)]*\)")
        out = []
        for text in texts:
            parts = keep.split(text)
            kept = [*keep.findall(text), ""]
            out.append("".join(p.upper() + k for p, k in zip(parts, kept, strict=True)))
        return out


def test_registered_engine_fills_fuzzy_entries(make_root: Any) -> None:
    root = make_root("qa")
    _empty_spanish(root)
    engine = Shouting()
    register_engine("shout", engine)
    try:
        result = prefill(load_config(root), parse_lang("es"), "shout", vet=error_codes)
    finally:
        unregister_engine("shout")
    assert result.fuzzy == 12 and result.exact == 0 and result.untranslated == 0
    texts, source, target = engine.calls[0]
    assert (source, target) == ("en", "es") and len(engine.calls) == 1
    assert len(texts) == 13  # 11 singular entries + 2 plural forms
    got = _by_msgid(_catalog(root))
    skip = got["Skip to main content"]
    assert skip.msgstr == "SKIP TO MAIN CONTENT" and skip.fuzzy
    assert skip.translator_comments == ("pre-filled by shout: machine translation, review it",)
    plural = got["This page is available in %(count)s language."]
    assert plural.msgstr_plural == ("THIS PAGE IS AVAILABLE IN %(count)s LANGUAGE.",
                                    "THIS PAGE IS AVAILABLE IN %(count)s LANGUAGES.")
    msgfmt_check(root / ES)


def test_engine_that_misbehaves_writes_nothing(make_root: Any) -> None:
    root = make_root("qa")
    _empty_spanish(root)
    before = (root / ES).read_bytes()

    class Short:
        def translate(self, texts: Any, source: str, target: str) -> list[str]:
            return ["uno"]

    register_engine("short", Short())
    try:
        with pytest.raises(PipelineError, match="returned list of 1 item"):
            prefill(load_config(root), parse_lang("es"), "short", vet=error_codes)
    finally:
        unregister_engine("short")
    assert (root / ES).read_bytes() == before
    with pytest.raises(ValueError):
        register_engine("tm", Shouting())


def test_entry_point_plugin_is_found_by_name(make_root: Any, tmp_path: Path) -> None:
    root = make_root("qa")
    _empty_spanish(root)
    site = tmp_path / "plugins"
    (site / "shout_engine-1.0.dist-info").mkdir(parents=True)
    (site / "shout_engine-1.0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: shout-engine\nVersion: 1.0\n", encoding="utf-8")
    (site / "shout_engine-1.0.dist-info" / "entry_points.txt").write_text(
        "[pipeline.engines]\nshout = shout_engine:Shouting\n", encoding="utf-8")
    source = Path(__file__).read_text(encoding="utf-8")
    start = source.index("class Shouting:")
    end = source.index("def test_registered_engine_fills_fuzzy_entries")
    (site / "shout_engine.py").write_text("from typing import Any\n\n\n" + source[start:end],
                                          encoding="utf-8")
    env = {"PYTHONPATH": os.pathsep.join(filter(None, [str(site),
                                                       os.environ.get("PYTHONPATH")]))}
    # PYTHONPATH is read when the interpreter starts: a process of its own.
    result = run_cli_process(root, "translate", "es", "--engine", "shout", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.rstrip().endswith(f"{ES}: written; shout: 0 filled, 12 fuzzy; "
                                           "0 untranslated")
    assert _by_msgid(_catalog(root))["Your First Visit"].msgstr == "YOUR FIRST VISIT"
    msgfmt_check(root / ES)
