"""Render stage: golden tree, validity (Nu Html Checker), safety, fallbacks, hreflang, RTL.

Regenerate the golden tree after an intended change with
``UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_render.py -k golden`` and review the diff.
"""

from __future__ import annotations

import difflib
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree

import pytest
from conftest import REPO, copy_shipped, require_tool, run_cli

from pipeline.config import Config, load_config
from pipeline.errors import PipelineError
from pipeline.infra.digests import SHA256, FileFacts, facts_file, sha256_hex, tree_files
from pipeline.models import Location
from pipeline.po.reader import read_po
from pipeline.po.writer import write_po
from pipeline.stages.render import RenderResult, render_page, render_site
from pipeline.text.langs import parse_lang
from pipeline.text.pages import load_pages
from pipeline.text.translations import PoLocator
from pipeline.workspace import Workspace

GOLDEN = Path(__file__).parent / "golden" / "render-mini"
VNU = REPO / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
MakeRoot = Callable[[str], Path]


# --- a small HTML tree (standard library only) ------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}


@dataclass(eq=False)
class Node:
    tag: str
    attrs: dict[str, str]
    parent: Node | None = None
    children: list[Node] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)  # own text and descendants', in order

    def iter(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            yield from child.iter()

    def find_all(self, tag: str | None = None, **attrs: str) -> list[Node]:
        return [n for n in self.iter() if (tag is None or n.tag == tag)
                and all(n.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items())]

    @property
    def text(self) -> str:
        return "".join(self.texts)

    def ancestors(self) -> Iterator[Node]:
        node = self.parent
        while node is not None:
            yield node
            node = node.parent


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs}, self.stack[-1])
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        for node in self.stack:
            node.texts.append(data)


def parse_html(path: Path) -> Node:
    builder = _Builder()
    builder.feed(path.read_text(encoding="utf-8"))
    builder.close()
    return builder.root


# --- helpers ----------------------------------------------------------------------

def build(root: Path) -> Path:
    return root / "output" / "build"


def set_entry(root: Path, msgid: str, msgstr: str | None = None, fuzzy: bool = False,
              lang: str = "ar") -> None:
    """Change one entry of a fixture catalog (through our own PO writer)."""
    path = root / "locales" / lang / "LC_MESSAGES" / "messages.po"
    catalog = read_po(path, str(path))
    found = False
    entries = []
    for entry in catalog.entries:
        if entry.msgid == msgid and not entry.obsolete:
            found = True
            if msgstr is not None:
                entry = replace(entry, msgstr=msgstr)
            entry = entry.with_flags("fuzzy") if fuzzy else entry.with_flags(remove=("fuzzy",))
        entries.append(entry)
    assert found, msgid
    write_po(replace(catalog, entries=tuple(entries)), path, str(path))


def configure(root: Path, old: str, new: str) -> None:
    path = root / "pyproject.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def render(root: Path) -> tuple[Config, RenderResult]:
    config = load_config(root)
    return config, render_site(config)


def vnu_errors(files: list[Path]) -> str:
    java = require_tool("java")
    assert VNU.is_file(), "vnu-jar is not installed; 'make test' runs npm ci"
    result = subprocess.run(
        [java, "-jar", str(VNU), "--format", "gnu", "--skip-non-html", *map(str, files)],
        capture_output=True, text=True, timeout=300,
    )
    errors = [line for line in (result.stdout + result.stderr).splitlines()
              if ": error:" in line or ": fatal:" in line]
    assert result.returncode == 0 or errors, result.stderr
    return "\n".join(errors)


def html_files(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.html"))


@pytest.fixture
def mini(make_root: MakeRoot) -> Path:
    return make_root("render-mini")


# --- golden tree ------------------------------------------------------------------

def test_golden_tree(mini: Path) -> None:
    _, result = render(mini)
    out = build(mini)
    produced = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    if os.environ.get("UPDATE_GOLDEN"):
        shutil.rmtree(GOLDEN, ignore_errors=True)
        shutil.copytree(out, GOLDEN)
    expected = {p.relative_to(GOLDEN).as_posix() for p in GOLDEN.rglob("*") if p.is_file()}
    assert produced == expected
    for name in sorted(produced):
        got = (out / name).read_text(encoding="utf-8")
        want = (GOLDEN / name).read_text(encoding="utf-8")
        assert got == want, f"{name} differs from the golden file:\n" + "".join(
            difflib.unified_diff(want.splitlines(True), got.splitlines(True), "golden", "got"))
    assert len(result.files) == len(produced)


def test_result_counts_and_publication(mini: Path) -> None:
    config, result = render(mini)
    status = {(p.slug, p.tag): p for p in result.pages}
    assert len(status) == 6
    assert all(status[(slug, "en")].published for slug in
               ("first-visit", "opening-hours", "clinic-news"))
    visit = status[("first-visit", "ar")]
    assert (visit.published, visit.fallback, visit.outdated) == (True, 0, 0)
    assert visit.translated == visit.total and visit.percent == 100.0
    hours = status[("opening-hours", "ar")]
    assert (hours.published, hours.fallback) == (True, 1)
    news = status[("clinic-news", "ar")]
    assert not news.published and not news.rendered and news.percent < 75 == news.threshold
    assert not (mini / news.path).exists()
    summary = {s.tag: s for s in result.languages()}
    assert (summary["ar"].published, summary["ar"].left_out, summary["ar"].fallback) == (2, 1, 1)
    assert summary["en"].published == 3
    assert result.build_dir == "output/build"
    assert config.rel(build(mini) / "sitemap.xml") in result.files


# --- validity ---------------------------------------------------------------------

def test_every_rendered_page_is_valid_html(mini: Path) -> None:
    outdated = mini.with_name("outdated")
    shutil.copytree(mini, outdated)
    render(mini)
    configure(outdated, "completeness = 75", 'completeness = 75\nfallback = "outdated"')
    set_entry(outdated, "A photo ID", fuzzy=True)
    render(outdated)
    files = html_files(build(mini)) + html_files(build(outdated))
    assert len(files) == 20  # 3 + 2 pages, 2 indexes, 2 section pages, 1 chooser; twice
    assert vnu_errors(files) == ""


# --- safety -----------------------------------------------------------------------

HOSTILE = {
    "Please arrive **15 minutes** early. Bring your [referral letter](/forms/referral/) "
    "and a list of your *medicines*.":
        "<script>alert(1)</script> يُرجى [خطاب](https://evil.example/referral) "
        '<img src=x onerror="alert(2)"> [رابط](javascript:alert(1)) [آخر](https://evil.example/) '
        "![x](data:image/png;base64,AAAA) \u202eمخفي\u202c <a href='https://evil.example/'>ب</a>",
    "Your insurance card": "[بطاقة](https://evil.example/card) <b onmouseover=alert(3)>",
    "Map of the clinic entrance": '"><script>alert(4)</script>',
    "Patients": '<span style="color:red" onclick="alert(5)">المرضى</span>',
    "Your First Visit": "زيارتك</title><script>alert(6)</script>",
    "Skip to main content": "<script>alert(7)</script>تخطَّ",
    "Back to %(label)s": "%(label)s <em onfocus=x>عودة</em> %(nope)s",
    "What to bring": "[ما](vbscript:msgbox(1)) \u2066تحضره\u2069",  # noqa: RUF001
}


def test_hostile_translations_never_reach_the_html(mini: Path) -> None:
    for msgid, msgstr in HOSTILE.items():
        set_entry(mini, msgid, msgstr)
    render(mini)
    page = build(mini) / "ar" / "first-visit.html"
    html = page.read_text(encoding="utf-8")
    tree = parse_html(page)
    assert not tree.find_all("script")
    for node in tree.iter():
        assert not any(name.startswith("on") or name == "style" for name in node.attrs), node
        for name in ("href", "src"):
            value = node.attrs.get(name, "")
            assert not re.match(r"\s*(javascript|data|vbscript):", value, re.I), value
            assert "evil.example" not in value
    assert not BIDI.search(html)
    # Link text changed, URL kept from the source; the added link is plain text.
    paragraph = tree.find_all("p", data_src="source/pages/first-visit.md:18")[0]
    links = paragraph.find_all("a")
    assert [(a.attrs["href"], a.text) for a in links] == [("/forms/referral/", "خطاب")]
    assert "رابط" in paragraph.text and "آخر" in paragraph.text
    assert "<script>alert(1)</script>" in paragraph.text  # shown as text, harmless
    item = tree.find_all("li", data_src="source/pages/first-visit.md:23")[0]
    assert not item.find_all("a") and "بطاقة" in item.text
    image = tree.find_all("img")[0]
    assert image.attrs["src"] == "images/entrance-map.png"
    assert image.attrs["alt"] == '"><script>alert(4)</script>'
    # A template translation with an unknown placeholder falls back to the English.
    back = tree.find_all("p", **{"class": "back-link"})[0]
    assert back.text.startswith("Back to ")
    assert "<script>alert(7)</script>تخطَّ" in tree.find_all("a", **{"class": "skip-link"})[0].text


MAP = "Map of the clinic entrance"
TITLES = {
    "Where to find us": "أين تجدنا",  # the lone image's title
    "A quiet corridor": "ممر هادئ",  # a decorative image's title
    'See the [floor plan](/plan/ "Ground floor") and ![the lift](images/lift.png '
    '"The lift").': 'انظر [المخطط](/plan/ "الطابق الأرضي") و![المصعد](images/lift.png '
    '"المصعد").',
}


def with_titles(root: Path) -> None:
    """The mini site's first page with titles on images and a link, extracted and merged."""
    page = root / "source" / "pages" / "first-visit.md"
    text = page.read_text(encoding="utf-8")
    image = f"![{MAP}](images/entrance-map.png)"
    assert image in text
    page.write_text(text.replace(image, (
        f'![{MAP}](images/entrance-map.png "Where to find us")\n\n'
        '![](images/corridor.png "A quiet corridor")\n\n'
        'See the [floor plan](/plan/ "Ground floor") and ![the lift](images/lift.png '
        '"The lift").')), encoding="utf-8")
    run_cli(root, "extract", check=True)
    run_cli(root, "update", "ar", check=True)


def images(root: Path, lang: str) -> dict[str, dict[str, str]]:
    tree = parse_html(build(root) / lang / "first-visit.html")
    return {img.attrs["src"]: img.attrs for img in tree.find_all("img")}


def test_image_titles_are_translated(mini: Path) -> None:
    with_titles(mini)
    for msgid, msgstr in TITLES.items():
        set_entry(mini, msgid, msgstr)
    render(mini)
    english = images(mini, "en")
    assert english["images/entrance-map.png"] == {
        "src": "images/entrance-map.png", "alt": MAP, "title": "Where to find us"}
    arabic = images(mini, "ar")
    assert arabic["images/entrance-map.png"] == {
        "src": "images/entrance-map.png", "alt": "خريطة مدخل العيادة", "title": "أين تجدنا"}
    assert arabic["images/corridor.png"] == {
        "src": "images/corridor.png", "alt": "", "title": "ممر هادئ"}
    # Inside a paragraph the titles are part of the paragraph's message.
    assert arabic["images/lift.png"] == {
        "src": "images/lift.png", "alt": "المصعد", "title": "المصعد"}
    tree = parse_html(build(mini) / "ar" / "first-visit.html")
    [plan] = [a for a in tree.find_all("a") if a.attrs["href"] == "/plan/"]
    assert plan.attrs["title"] == "الطابق الأرضي"
    status = {(p.slug, p.tag): p for p in render(mini)[1].pages}
    assert status[("first-visit", "ar")].percent == 100.0  # the titles count


def test_an_image_title_never_changes_the_source_nor_speaks_another_language(
        mini: Path) -> None:
    with_titles(mini)
    set_entry(mini, "Where to find us", '"><script>alert(1)</script>[x](https://evil.example/)')
    render(mini)
    shown = images(mini, "ar")["images/entrance-map.png"]
    assert shown == {"src": "images/entrance-map.png", "alt": "خريطة مدخل العيادة",
                     "title": '"><script>alert(1)</script>[x](https://evil.example/)'}
    assert "<script>" not in (build(mini) / "ar" / "first-visit.html").read_text("utf-8")
    # Alt text translated, title not: an English tooltip would be in the wrong language.
    set_entry(mini, "Where to find us", "")
    render(mini)
    assert "title" not in images(mini, "ar")["images/entrance-map.png"]
    # Alt text in English (fallback), title translated: the element is English, so is
    # its title.
    set_entry(mini, MAP, "")
    set_entry(mini, "Where to find us", "أين تجدنا")
    render(mini)
    tree = parse_html(build(mini) / "ar" / "first-visit.html")
    [image] = [i for i in tree.find_all("img") if i.attrs["src"] == "images/entrance-map.png"]
    assert (image.attrs["alt"], image.attrs["title"]) == (MAP, "Where to find us")
    assert image.parent is not None and image.parent.attrs["lang"] == "en"


def test_fallback_text_is_marked_english(mini: Path) -> None:
    render(mini)
    tree = parse_html(build(mini) / "ar" / "opening-hours.html")
    assert tree.find_all("html")[0].attrs["dir"] == "rtl"
    [fallback] = [n for n in tree.find_all(lang="en") if "language-switcher" not in
                  " ".join(a.attrs.get("class", "") for a in n.ancestors())]
    assert fallback.tag == "p" and fallback.attrs["dir"] == "ltr"
    assert fallback.text == "Call reception if you are running late."
    assert fallback.attrs["data-src"] == "source/pages/opening-hours.md:11"
    assert "data-po" not in fallback.attrs  # catalog lines are looked up, not baked in
    locator = PoLocator(load_config(mini), Workspace())
    where = locator.locate(parse_lang("ar"), Location("source/pages/opening-hours.md", 11))
    assert where is not None and where.path == "locales/ar/LC_MESSAGES/messages.po"
    assert fallback.find_all("a")[0].attrs["href"] == "tel:+441234567890"


def test_fully_translated_page_has_no_english_but_the_switcher_link(mini: Path) -> None:
    render(mini)
    tree = parse_html(build(mini) / "ar" / "first-visit.html")
    english = tree.find_all(lang="en")
    # ... and the name the translator chose to keep in English, [Clinic News]{lang=en}.
    assert [(n.tag, n.text) for n in english] == [("a", "English"), ("span", "Clinic News")]
    assert english[0].parent is not None
    assert any(a.tag == "nav" and "language-switcher" in a.attrs.get("class", "")
               for a in english[0].ancestors())


# --- traceability -----------------------------------------------------------------

def test_blocks_and_front_matter_carry_source_and_po_lines(mini: Path) -> None:
    render(mini)
    po = (mini / "locales/ar/LC_MESSAGES/messages.po").read_text(encoding="utf-8").split("\n")
    tree = parse_html(build(mini) / "ar" / "first-visit.html")
    locator, arabic = PoLocator(load_config(mini), Workspace()), parse_lang("ar")
    marked = [n for n in tree.iter() if "data-src" in n.attrs]
    assert {n.tag for n in marked} >= {"h1", "h2", "p", "li", "th", "td", "a", "span"}
    for node in marked:
        path, line = node.attrs["data-src"].rsplit(":", 1)
        source = (mini / path).read_text(encoding="utf-8").split("\n")[int(line) - 1]
        assert "data-po" not in node.attrs
        where = locator.locate(arabic, Location(path, int(line)))
        if path.startswith("source/"):
            assert where is not None and where.path == "locales/ar/LC_MESSAGES/messages.po"
            assert po[where.line - 1].startswith("msgid "), node
        assert source.strip(), node
    crumbs = tree.find_all("nav", **{"class": "breadcrumb"})[0]
    assert crumbs.attrs["aria-label"]
    assert [a.attrs.get("aria-current") for a in crumbs.find_all("a")] == [None, None, "page"]
    back = tree.find_all("p", **{"class": "back-link"})[0].find_all("span")[0]
    assert back.attrs["data-src"] == "source/pages/first-visit.md:12"
    english = parse_html(build(mini) / "en" / "first-visit.html")
    assert all("data-po" not in n.attrs for n in english.iter())
    assert len(english.find_all("h1")) == 1


# --- hreflang, switcher, sitemap --------------------------------------------------

def _alternates(tree: Node) -> dict[str, str]:
    return {n.attrs["hreflang"]: n.attrs["href"]
            for n in tree.find_all("link", rel="alternate")}


def test_hreflang_sets_are_complete_and_reciprocal(mini: Path) -> None:
    config, result = render(mini)
    out = build(mini)
    base = config.base_url
    published: dict[str, set[str]] = {}
    for item in result.published():
        published.setdefault(item.slug, set()).add(item.tag)
    for item in result.published():
        tree = parse_html(mini / item.path)
        alternates = _alternates(tree)
        expected = {tag: f"{base}{tag}/{item.slug}.html" for tag in published[item.slug]}
        expected["x-default"] = f"{base}en/{item.slug}.html"
        assert alternates == expected, item.path
        canonical = tree.find_all("link", rel="canonical")[0].attrs["href"]
        assert canonical == expected[item.tag]
        for tag, href in alternates.items():
            target = out / href.removeprefix(base)
            assert target.is_file(), href
            assert _alternates(parse_html(target)) == alternates, (item.path, tag)
        switcher = tree.find_all("nav", **{"class": "language-switcher"})
        if len(published[item.slug]) > 1:
            links = switcher[0].find_all("a")
            assert {a.attrs["hreflang"] for a in links} == published[item.slug]
            assert all(a.attrs["lang"] == a.attrs["hreflang"] for a in links)
            assert [a.attrs["hreflang"] for a in links
                    if a.attrs.get("aria-current")] == [item.tag]
        else:
            assert not switcher
    sitemap = ElementTree.parse(out / "sitemap.xml").getroot()
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9",
          "x": "http://www.w3.org/1999/xhtml"}
    locs = {}
    for entry in sitemap.findall("s:url", ns):
        loc = entry.findtext("s:loc", namespaces=ns)
        locs[loc] = {a.get("hreflang"): a.get("href") for a in entry.findall("x:link", ns)}
    for item in result.pages:
        url = f"{base}{item.tag}/{item.slug}.html"
        assert (url in locs) == item.published
        if item.published:
            assert locs[url] == _alternates(parse_html(mini / item.path))


def test_language_chooser_and_indexes(mini: Path) -> None:
    render(mini)
    chooser = parse_html(build(mini) / "index.html")
    links = chooser.find_all("ul", **{"class": "language-list"})[0].find_all("a")
    assert [(a.attrs["href"], a.attrs["lang"], a.attrs["dir"], a.text) for a in links] == [
        ("en/index.html", "en", "ltr", "English"), ("ar/index.html", "ar", "rtl", "العربية")]
    arabic = parse_html(build(mini) / "ar" / "index.html")
    summaries = arabic.find_all("ul", **{"class": "page-list page-summaries"})[0]
    listed = [a.attrs["href"] for a in summaries.find_all("a")]
    assert listed == ["first-visit.html", "opening-hours.html"]
    # Each page is listed with its title as a heading and its last update.
    items = summaries.find_all("li")
    assert [len(li.find_all("h2")) for li in items] == [1, 1]
    assert all(li.find_all("time") for li in items)


def test_page_below_threshold_is_left_out_and_nothing_links_to_it(mini: Path) -> None:
    stale = build(mini) / "ar" / "clinic-news.html"
    stale.parent.mkdir(parents=True)
    stale.write_text("<!DOCTYPE html><title>old</title>", encoding="utf-8")
    _, result = render(mini)
    assert not stale.exists()
    assert "output/build/ar/clinic-news.html" in result.removed
    for file in [*html_files(build(mini)), build(mini) / "sitemap.xml"]:
        assert "ar/clinic-news.html" not in file.read_text(encoding="utf-8"), file
    news = parse_html(build(mini) / "en" / "clinic-news.html")
    assert set(_alternates(news)) == {"en", "x-default"}
    assert not news.find_all("nav", **{"class": "language-switcher"})
    footer = news.find_all("footer")[0].text
    assert "available in 1 language." in footer


def test_language_below_threshold_is_left_out_everywhere(mini: Path) -> None:
    configure(mini, "completeness = 75", "completeness = 100\nkeep = 100")
    set_entry(mini, "A photo ID", "")  # the one complete Arabic page is now incomplete
    _, result = render(mini)
    assert not result.published("ar")
    # The two pages translated in part are withdrawn: their URLs serve the notice page,
    # and nothing else is left in the language's folder (no index, no images).
    assert {p.slug for p in result.withdrawn()} == {"first-visit", "opening-hours"}
    assert sorted(p.name for p in (build(mini) / "ar").iterdir()) == [
        "first-visit.html", "opening-hours.html"]
    for file in [*html_files(build(mini) / "en"), build(mini) / "index.html",
                 build(mini) / "sitemap.xml"]:
        text = file.read_text(encoding="utf-8")
        assert 'hreflang="ar"' not in text and "ar/" not in text, file


# --- outdated translations (fallback = "outdated") -----------------------------

OUTDATED_AR = "وقد لا تكون الترجمة محدّثة"
UNTRANSLATED_AR = "لم تُترجم بعض أجزاء هذه الصفحة بعد"


def test_outdated_fallback_shows_translation_notice_and_marker(mini: Path) -> None:
    configure(mini, "completeness = 75", 'completeness = 75\nfallback = "outdated"')
    set_entry(mini, "A photo ID", fuzzy=True)
    _, result = render(mini)
    status = {(p.slug, p.tag): p for p in result.pages}
    assert (status[("first-visit", "ar")].outdated, status[("first-visit", "ar")].fallback) \
        == (1, 0)
    tree = parse_html(build(mini) / "ar" / "first-visit.html")
    [marked] = tree.find_all(data_outdated="true")
    assert marked.tag == "li" and marked.text == "هوية تحمل صورة" and "lang" not in marked.attrs
    [notice] = tree.find_all("div", **{"class": "notice"})
    assert notice.attrs["role"] == "note"
    assert OUTDATED_AR in notice.text and UNTRANSLATED_AR not in notice.text
    [link] = notice.find_all("a")
    assert (link.attrs["href"], link.attrs["hreflang"]) == ("../en/first-visit.html", "en")
    assert [(n.tag, n.text) for n in tree.find_all(lang="en")] == [
        ("a", "English"), ("span", "Clinic News")]
    # Untranslated entries still fall back to the source, marked as English, and the
    # notice says so.
    hours = parse_html(build(mini) / "ar" / "opening-hours.html")
    [notice] = hours.find_all("div", **{"class": "notice"})
    assert UNTRANSLATED_AR in notice.text and OUTDATED_AR not in notice.text
    assert [n.tag for n in hours.find_all(lang="en")] == ["a", "p"]


def test_default_fallback_shows_fuzzy_entries_in_english(mini: Path) -> None:
    set_entry(mini, "A photo ID", fuzzy=True)
    _, result = render(mini)
    status = {(p.slug, p.tag): p for p in result.pages}
    assert (status[("first-visit", "ar")].outdated, status[("first-visit", "ar")].fallback) \
        == (0, 1)
    tree = parse_html(build(mini) / "ar" / "first-visit.html")
    assert not tree.find_all(data_outdated="true")
    item = tree.find_all("li", lang="en")[0]
    assert (item.text, item.attrs["dir"]) == ("A photo ID", "ltr")
    # The notice, in Arabic, says that parts are shown in English and links there.
    [notice] = tree.find_all("div", role="note")
    assert UNTRANSLATED_AR in notice.text and OUTDATED_AR not in notice.text
    [link] = notice.find_all("a")
    assert (link.attrs["href"], link.attrs["hreflang"]) == ("../en/first-visit.html", "en")


# --- determinism, subsets, purity ---------------------------------------------------

def test_rendering_twice_changes_no_byte_and_no_mtime(mini: Path) -> None:
    render(mini)
    files = [p for p in build(mini).rglob("*") if p.is_file()]
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in files}
    _, again = render(mini)
    assert again.written == () and again.removed == ()
    after = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in files}
    assert after == before
    assert {p for p in build(mini).rglob("*") if p.is_file()} == set(files)


def test_render_a_subset_of_pages_and_languages(mini: Path) -> None:
    render(mini)
    set_entry(mini, "Opening Hours", "أوقات العمل")
    config = load_config(mini)
    visit = build(mini) / "ar" / "first-visit.html"
    mtime = visit.stat().st_mtime_ns
    result = render_site(config, slugs=["opening-hours"], langs=[parse_lang("ar")])
    rendered = {(p.slug, p.tag) for p in result.pages if p.rendered}
    assert rendered == {("opening-hours", "ar")}
    assert "أوقات العمل" in (build(mini) / "ar" / "opening-hours.html").read_text("utf-8")
    assert "أوقات العمل" in (build(mini) / "ar" / "index.html").read_text("utf-8")
    assert visit.stat().st_mtime_ns == mtime
    with pytest.raises(PipelineError, match="no page with slug"):
        render_site(config, slugs=["nope"])


def test_render_page_is_pure(mini: Path) -> None:
    config = load_config(mini)
    page = next(p for p in load_pages(config.pages_dir, mini, Workspace())
                if p.slug == "first-visit")
    html = render_page(config, page, parse_lang("ar"))
    assert html.startswith('<!DOCTYPE html>\n<html lang="ar" dir="rtl">')
    assert "14 مارس 2026" in html
    assert not (mini / "output").exists()


def test_templates_are_compiled_once_for_every_language(
        mini: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import jinja2

    compiled: list[str | None] = []
    compile_ = jinja2.Environment.compile

    def counted(env: jinja2.Environment, source: str, name: str | None = None,
                *args: object, **kwargs: object) -> object:
        compiled.append(name)
        return compile_(env, source, name, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(jinja2.Environment, "compile", counted)
    config, result = render(mini)
    assert len(config.all_languages) == 2 and result.pages
    assert "page.html" in compiled and "base.html" in compiled
    assert len(compiled) == len(set(compiled))  # the second language's are reused


# --- errors and the command line ---------------------------------------------------

def test_template_syntax_error_names_the_template_line(mini: Path) -> None:
    template = mini / "source" / "templates" / "page.html"
    lines = template.read_text(encoding="utf-8").split("\n")
    lines.insert(4, "{% if %}")
    template.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(PipelineError) as caught:
        render(mini)
    assert str(caught.value.location) == "source/templates/page.html:5"
    result = run_cli(mini, "render")
    assert result.returncode == 1
    assert result.stderr.startswith("source/templates/page.html:5: template syntax error")
    assert "Traceback" not in result.stderr


def test_template_runtime_error_names_the_template_line(mini: Path) -> None:
    template = mini / "source" / "templates" / "index.html"
    text = template.read_text(encoding="utf-8")
    template.write_text(text.replace("{{ item.html }}", "{{ item.no_such_name }}"),
                        encoding="utf-8")
    with pytest.raises(PipelineError) as caught:
        render(mini)
    assert caught.value.location is not None
    assert caught.value.location.path == "source/templates/index.html"
    assert caught.value.location.line == text.split("\n").index(
        next(x for x in text.split("\n") if "item.html" in x)) + 1


def test_missing_catalog_or_stylesheet_is_an_error_with_a_hint(mini: Path) -> None:
    (mini / "locales" / "ar" / "LC_MESSAGES" / "messages.po").unlink()
    result = run_cli(mini, "render")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "locales/ar/LC_MESSAGES/messages.po: no catalog for ar",
        "  hint: run 'pipeline init ar' (or remove it from 'languages')"]
    configure(mini, 'languages = ["ar"]', "languages = []")
    (mini / "source" / "templates" / "style.css").unlink()
    with pytest.raises(PipelineError, match="stylesheet not found"):
        render(mini)


def test_cli_render_prints_a_summary(mini: Path) -> None:
    result = run_cli(mini, "render")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["language", "published", "left", "out", "translated",
                                "outdated", "fallback"]
    assert lines[2].split() == ["en", "3", "0", "36", "0", "0"]
    assert lines[3].split()[:3] == ["ar", "2", "1"] and lines[3].split()[-1] == "1"
    assert ("ar: source/pages/clinic-news.md left out: 66.7 % translated, 66.7 % counting "
            "outdated translations; needs 75 %, or 75 % to stay") in lines
    assert lines[-1] == "output/build: 12 file(s) written, 0 unchanged, 0 removed"
    assert run_cli(mini, "render", "fr").returncode == 1


# --- stylesheet ---------------------------------------------------------------------

PHYSICAL = re.compile(r"(?<![-\w])(margin|padding|border)-(left|right)\b|"
                      r"(?<![-\w])(left|right)\s*:|text-align:\s*(left|right)|"
                      r"float:\s*(left|right)")


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_stylesheet_is_logical_and_has_aaa_contrast() -> None:
    css = (REPO / "source" / "templates" / "style.css").read_text(encoding="utf-8")
    assert not PHYSICAL.search(css), PHYSICAL.search(css)
    colours = dict(re.findall(r"--([\w-]+):\s*(#[0-9a-f]{6})", css))
    for text, background in [("text", "page"), ("link", "page"), ("link", "band"),
                             ("muted", "page"), ("text", "notice"), ("text", "band"),
                             ("link", "notice")]:
        assert contrast(colours[text], colours[background]) >= 7, (text, background)
    assert contrast(colours["focus"], colours["page"]) >= 3  # non-text contrast
    assert contrast(colours["focus"], colours["band"]) >= 3
    assert ":focus-visible" in css and "70ch" in css


def test_fixture_templates_are_the_shipped_templates() -> None:
    """The golden tree shows what the shipped templates render."""
    shipped = REPO / "source" / "templates"
    fixture = REPO / "tests" / "roots" / "render-mini" / "source" / "templates"
    names = sorted(p.name for p in shipped.iterdir() if p.is_file())
    assert names == sorted(p.name for p in fixture.iterdir() if p.is_file())
    for name in names:
        assert (fixture / name).read_bytes() == (shipped / name).read_bytes(), (
            f"copy source/templates/{name} into tests/roots/render-mini/source/templates/, "
            "run extract + update there, and regenerate the goldens (UPDATE_GOLDEN=1)")


# --- the shipped site (acceptance) --------------------------------------------------

@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, RenderResult]:
    root = tmp_path_factory.mktemp("shipped")
    copy_shipped(root)
    return root, render_site(load_config(root))


def test_shipped_site_every_language_has_the_clinic_page(
        shipped: tuple[Path, RenderResult]) -> None:
    root, result = shipped
    config = load_config(root)
    for lang in config.all_languages:
        page = build(root) / lang.tag / "hemifacial-spasm.html"
        assert page.is_file(), f"{lang.code} is not published: {result.languages()}"
        tree = parse_html(page)
        html = tree.find_all("html")[0]
        assert (html.attrs["lang"], html.attrs["dir"]) == (
            lang.tag, "rtl" if lang.code == "ar" else "ltr")
    for item in result.published():
        if item.tag != "en" and item.fallback == 0 and item.outdated == 0:
            english = parse_html(root / item.path).find_all(lang="en")
            assert [(n.tag, n.text) for n in english] == [("a", "English")], item.path


def test_shipped_site_is_valid_html(shipped: tuple[Path, RenderResult]) -> None:
    root, _ = shipped
    files = html_files(build(root))
    assert len(files) >= 11
    assert vnu_errors(files) == ""


def test_shipped_pages_reflow_at_320_and_640_css_pixels(
        shipped: tuple[Path, RenderResult]) -> None:
    """No horizontal scrolling at 320 px (WCAG 1.4.10) nor at 640 px (200 % zoom)."""
    chromium = require_tool("chromium")
    root, _ = shipped
    out = build(root)
    frames = [(tag, width) for tag in ("en", "ar", "zh-Hans", "es", "fr")
              for width in (320, 640)]
    probe = out / "probe.html"
    probe.write_text(
        "<!DOCTYPE html><html><body>\n" + "\n".join(
            f'<iframe src="{tag}/hemifacial-spasm.html" width="{width}" height="600" '
            f'data-name="{tag}@{width}"></iframe>' for tag, width in frames) +
        """
<script>
window.addEventListener("load", function () {  // after every frame has loaded
  document.querySelectorAll("iframe").forEach(function (f) {
    var d = f.contentDocument.documentElement;
    f.dataset.result = d.scrollWidth + "/" + d.clientWidth;
  });
  document.body.dataset.done = "yes";
});
</script></body></html>""", encoding="utf-8")
    result = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run", "--allow-file-access-from-files", "--virtual-time-budget=10000",
         "--dump-dom", probe.as_uri()],
        capture_output=True, text=True, timeout=120,
    )
    probe.unlink()
    assert 'data-done="yes"' in result.stdout, result.stderr[-2000:]
    measured = dict(re.findall(r'data-name="([^"]+)" data-result="(\d+/\d+)"', result.stdout))
    assert len(measured) == len(frames), result.stdout
    for name, value in measured.items():
        scroll, client = map(int, value.split("/"))
        assert scroll <= client, f"{name}: content is {scroll} px wide in {client} px"


def test_files_beside_the_pages_are_copied_into_every_language(make_root: MakeRoot) -> None:
    root = make_root("render-mini")
    pages = root / "source/pages"
    (pages / "images").mkdir()
    png = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                        "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082")
    (pages / "images/dot.png").write_bytes(png)
    (pages / ".notes.txt").write_text("not for the site")
    result = render_site(load_config(root))
    tags = {p.tag for p in result.pages if p.published}
    assert len(tags) > 1
    for tag in tags:
        assert (root / "output/build" / tag / "images/dot.png").read_bytes() == png
        assert not (root / "output/build" / tag / ".notes.txt").exists()
    assert f"output/build/{sorted(tags)[0]}/images/dot.png" in result.files


def test_the_digest_of_every_file_written_is_known_without_reading_it_again(
        make_root: MakeRoot) -> None:
    root = make_root("render-mini")
    config = load_config(root)
    facts = FileFacts(facts_file(config.output_dir))
    result = render_site(config, facts=facts)
    build = config.output_dir / "build"
    assert result.written and len(result.written) == len(result.files)

    def unread(data: bytes) -> str:
        raise AssertionError("read again")

    for rel, path, info in tree_files(build):
        assert facts.get(path, SHA256, unread, info) == sha256_hex(Path(path).read_bytes()), rel
    # A page changed by hand is the one file a second render writes; it is known again.
    page = next(p for p in result.pages if p.published)
    (build / page.tag / f"{page.slug}.html").write_text("changed by hand")
    again = render_site(config, facts=facts)
    assert again.written == (f"output/build/{page.tag}/{page.slug}.html",)
    for rel, path, info in tree_files(build):
        assert facts.get(path, SHA256, unread, info) == sha256_hex(Path(path).read_bytes()), rel


def test_a_file_named_like_a_rendered_page_is_refused(make_root: MakeRoot) -> None:
    root = make_root("render-mini")
    (root / "source/pages/index.html").write_text("<p>old home page</p>")
    with pytest.raises(PipelineError) as caught:
        render_site(load_config(root))
    assert str(caught.value).startswith(
        "source/pages/index.html: has the name of a rendered file, output/build/")
    assert "hint: rename it" in str(caught.value)


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("split", [False, True])
@pytest.mark.parametrize("fault", ["clash", "stylesheet"])
def test_an_error_in_render_changes_no_file_and_leaves_no_temp(
        make_root: MakeRoot, monkeypatch: pytest.MonkeyPatch, split: bool, fault: str) -> None:
    # Pages go to their temp files as they are rendered (by a forked child too, when
    # split): an error found later must take every one of them back.
    root = make_root("render-mini")
    render_site(load_config(root))
    before = _tree(root / "output")
    for page in (root / "source/pages").glob("*.md"):
        page.write_text(page.read_text() + "\nA new closing line.\n")
    if fault == "clash":
        (root / "source/pages/index.html").write_text("<p>old home page</p>")
    else:
        (root / "source/templates/style.css").unlink()
    if split:
        monkeypatch.setattr("pipeline.stages.render.SPLIT_PAGES", 1)
    with pytest.raises(PipelineError):
        render_site(load_config(root))
    assert _tree(root / "output") == before
    assert [p for p in (root / "output").rglob("*") if ".tmp-" in p.name] == []


def test_a_split_render_writes_what_one_process_writes(
        make_root: MakeRoot, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    one = make_root("render-mini")
    two = shutil.copytree(one, tmp_path / "split")
    alone = render_site(load_config(one))
    monkeypatch.setattr("pipeline.stages.render.SPLIT_PAGES", 1)
    split = render_site(load_config(two))
    assert split == alone
    assert _tree(two / "output") == _tree(one / "output")
    assert [p for p in (two / "output").rglob("*") if ".tmp-" in p.name] == []


def test_the_paths_shown_are_those_config_rel_shows(make_root: MakeRoot) -> None:
    """The renderer's paths, each folder read once, are ``config.rel``'s: a file that is
    a symbolic link shown where it leads, the others by their resolved folder, a file
    not yet written and a folder not yet made too."""
    from pipeline.stages.render import _Paths

    root = make_root("render-mini")
    config = load_config(root)
    render_site(config)
    es = root / "output/build/ar"
    (root / "elsewhere").mkdir()
    (root / "elsewhere/page.html").write_text("<p>moved</p>")
    os.symlink("../../../elsewhere/page.html", es / "linked.html")
    os.symlink("../../../elsewhere", es / "folder")
    os.symlink("ar", root / "output/build/ar-link")
    paths = [*sorted(es.iterdir()), es / "not-yet.html", es / "folder/page.html",
             root / "output/build/ar-link/linked.html", root / "output/build/new/a.html",
             root / "output/build/index.html"]
    shown = _Paths(config)
    assert [shown.rel(p) for p in paths] == [config.rel(p) for p in paths]
    assert shown.rel(es / "linked.html") == "elsewhere/page.html"
