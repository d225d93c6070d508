"""Links between pages: resolution, sections, dead links, the reader's language.

``render-mini`` is English and Arabic; Clinic News is below the Arabic threshold, so a
link to it from an Arabic page leads to the English page, marked ``hreflang="en"``.
The last test builds the shipped content for real and crawls the published site.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import copy_shipped, dead_internal_links, require_tool, run_cli

from pipeline.config import load_config
from pipeline.errors import PipelineError
from pipeline.models import Location
from pipeline.stages.check import run_checks
from pipeline.stages.render import render_site
from pipeline.text.htmltree import Element, parse_html
from pipeline.text.links import SiteLinks, page_assets, site_links
from pipeline.text.pages import load_pages
from pipeline.text.translations import Completeness
from pipeline.workspace import Workspace

MakeRoot = Callable[[str], Path]


@pytest.fixture
def mini(make_root: MakeRoot) -> Path:
    return make_root("render-mini")


def links_of(root: Path) -> SiteLinks:
    config = load_config(root)
    return site_links(config, load_pages(config.pages_dir, config.root, Workspace()),
                      [name for name, _ in page_assets(config)])


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def html(root: Path, rel: str) -> Element:
    return parse_html((root / "output/build" / rel).read_text(encoding="utf-8"))


def anchors(tree: Element, text: str) -> list[dict[str, str]]:
    return [dict(a.attrs) for a in tree.iter() if a.tag == "a" and a.text().strip() == text]


# --- resolution -------------------------------------------------------------------------

def test_every_kind_of_link_resolves(mini: Path) -> None:
    (mini / "source/pages/images").mkdir()
    (mini / "source/pages/images/map.png").write_bytes(b"\x89PNG")
    links = links_of(mini)
    page = links.pages["source/pages/first-visit.md"]
    got = {href: (t.kind, t.key, t.suffix) for href in (
        "opening-hours.md", "./clinic-news.md#parking", "/", "/patients/", "/patients",
        "https://mini.example.org/patients/", "/forms/referral/", "/forms/a/b.pdf",
        "https://other.example/", "mailto:desk@mini.example.org", "tel:+441234", "#top",
        "images/map.png", "?q=1") for t in [links.resolve(page, href)]}
    assert got == {
        "opening-hours.md": ("page", "opening-hours", ""),
        "./clinic-news.md#parking": ("page", "clinic-news", "#parking"),
        "/": ("home", "", ""),
        "/patients/": ("section", "/patients/", ""),
        "/patients": ("section", "/patients/", ""),
        "https://mini.example.org/patients/": ("section", "/patients/", ""),
        "/forms/referral/": ("kept", "/forms/referral/", ""),  # external_paths "/forms/*"
        "/forms/a/b.pdf": ("kept", "/forms/a/b.pdf", ""),
        "https://other.example/": ("kept", "https://other.example/", ""),
        "mailto:desk@mini.example.org": ("kept", "mailto:desk@mini.example.org", ""),
        "tel:+441234": ("kept", "tel:+441234", ""),
        "#top": ("kept", "#top", ""),
        "images/map.png": ("file", "images/map.png", ""),
        "?q=1": ("kept", "?q=1", ""),
    }
    dead = {href: links.resolve(page, href) for href in (
        "missing.md", "opening-hours.html", "/nowhere/", "images/none.png")}
    assert dead["missing.md"].problem == "no page file source/pages/missing.md"
    assert "opening-hours.md" in dead["opening-hours.html"].hint
    assert dead["/nowhere/"].problem == "no page or section of the site is at /nowhere/"
    assert "external_paths" in dead["/nowhere/"].hint
    assert dead["images/none.png"].problem == "no file source/pages/images/none.png"


def test_breadcrumbs_name_sections_with_their_trail_children_and_members(
        mini: Path) -> None:
    pages = mini / "source/pages"
    edit(pages / "opening-hours.md", "updated: 2026-01-05\n", (
        "updated: 2026-01-05\nbreadcrumb:\n  - label: Home\n    href: /\n"
        "  - label: Patients\n    href: /patients/\n  - label: Your Visit\n"
        "    href: /patients/visit/\n"))
    links = links_of(mini)
    assert sorted(links.sections) == ["/patients/", "/patients/visit/"]
    patients, visit = links.sections["/patients/"], links.sections["/patients/visit/"]
    # Named first (pages in path order) by first-visit.md, on its line 9.
    assert (patients.label.value, patients.location) == (
        "Patients", Location("source/pages/first-visit.md", 9))
    assert [c.href for c in patients.trail] == ["/"]
    assert [(t.kind, t.key) for t in patients.children] == [
        ("page", "first-visit"), ("section", "/patients/visit/")]
    assert patients.members == ("first-visit", "opening-hours")
    assert patients.file == "patients/index.html"
    assert [c.href for c in visit.trail] == ["/", "/patients/"]
    assert [(t.kind, t.key) for t in visit.children] == [("page", "opening-hours")]


@pytest.mark.parametrize(("value", "message"), [
    ('["contact/"]', "expected root-relative paths"),
    ('["/"]', "expected root-relative paths"),
    ('["/*"]', "expected root-relative paths"),
    ('["//cdn.example/"]', "expected root-relative paths"),
    ('["/a/../b/"]', "expected root-relative paths"),
    ('["/forms/*/x"]', "expected root-relative paths"),
    ('["/contact/?x=1"]', "expected root-relative paths"),
    ('["/ar/forms/"]', "'/ar/forms/' is inside what the pipeline publishes (/ar)"),
    ('["/sitemap.xml"]', "is inside what the pipeline publishes"),
    ('"/contact/"', "expected an array of strings"),
])
def test_external_paths_are_validated(mini: Path, value: str, message: str) -> None:
    edit(mini / "pyproject.toml", 'external_paths = ["/forms/*"]', f"external_paths = {value}")
    with pytest.raises(PipelineError) as caught:
        load_config(mini)
    assert str(caught.value).startswith("pyproject.toml:8: tool.pipeline.external_paths: ")
    assert message in str(caught.value)


# --- dead links (the check stage) ---------------------------------------------------------

def test_dead_links_are_errors_at_their_source_line(mini: Path) -> None:
    page = mini / "source/pages/opening-hours.md"
    edit(page, "updated: 2026-01-05\n", "updated: 2026-01-05\nparent:\n  label: Patients\n"
         "  href: /Patients Area/\n")
    page.write_text(page.read_text(encoding="utf-8") + (
        "\nSee the [news](clinic-news.md), the [old news](news.md) and\n"
        "the [forms](/forms/x/) or [our team](/team/).\n"), encoding="utf-8")
    result = run_checks(load_config(mini))
    dead = [(str(f.location), f.message) for f in result.findings if f.code == "link-dead"]
    assert dead == [
        ("source/pages/opening-hours.md:16",
         'the link "news.md" leads nowhere: no page file source/pages/news.md'),
        ("source/pages/opening-hours.md:17",
         'the link "/team/" leads nowhere: no page or section of the site is at /team/'),
        ("source/pages/opening-hours.md:7", 'the link "/Patients Area/" leads nowhere: '
         "no page or section of the site is at /Patients Area/"),
    ]
    assert not result.ok and result.language("en").errors == 3  # type: ignore[union-attr]
    # The source pages are checked under the source language, on their own too.
    only = run_cli(mini, "check", "en")
    assert only.returncode == 1
    lines = only.stdout.splitlines()
    assert lines[0] == ('source/pages/opening-hours.md:16: error: the link "news.md" leads '
                        "nowhere: no page file source/pages/news.md [link-dead]")
    assert lines[1].startswith("  hint: link an existing page by its file")
    assert lines[-1].startswith("qa: 3 errors, 0 warnings (en: 3 errors, 0 warnings); ")
    assert run_cli(mini, "check", "ar").returncode == 0  # a catalog only
    edit(mini / "pyproject.toml", "[tool.pipeline.language.ar]",
         '[tool.pipeline.check]\nignore = ["link-dead"]\n\n[tool.pipeline.language.ar]')
    assert run_checks(load_config(mini)).ok


# --- the reader's language (the render stage) ---------------------------------------------

def test_links_lead_to_the_readers_language_or_to_the_marked_source(mini: Path) -> None:
    pages = mini / "source/pages"
    # Opening Hours (published in Arabic) names Clinic News (not) in its trail, and links
    # the section only Clinic News names.
    edit(pages / "opening-hours.md", "updated: 2026-01-05\n", (
        "updated: 2026-01-05\nbreadcrumb:\n  - label: Home\n    href: /\n"
        "  - label: Clinic News\n    href: clinic-news.md\nparent:\n  label: Clinic News\n"
        "  href: clinic-news.md\n"))
    edit(pages / "opening-hours.md", "We are open on weekdays.",
         "We are open on weekdays.\n\n[Clinic News](/news/)")
    edit(pages / "clinic-news.md", "slug: clinic-news\n",
         "slug: clinic-news\nbreadcrumb:\n  - label: Clinic News\n    href: /news/\n")
    result = render_site(load_config(mini))
    published = {(p.slug, p.tag) for p in result.published()}
    assert ("opening-hours", "ar") in published and ("clinic-news", "ar") not in published
    arabic = html(mini, "ar/opening-hours.html")
    crumbs = [a for a in arabic.iter() if a.tag == "a" and any(
        n.tag == "nav" and "breadcrumb" in n.classes for n in a.ancestors())]
    assert [(a.attrs["href"], a.attrs.get("hreflang")) for a in crumbs] == [
        ("index.html", None), ("../en/clinic-news.html", "en"),
        ("opening-hours.html", None)]
    back = next(a for a in arabic.iter() if a.tag == "a" and any(
        "back-link" in n.classes for n in a.ancestors()))
    assert (back.attrs["href"], back.attrs["hreflang"]) == ("../en/clinic-news.html", "en")
    [section] = anchors(arabic, "Clinic News")[-1:]
    assert (section["href"], section["hreflang"]) == ("../en/news/index.html", "en")
    # In English every link stays in English, unmarked.
    english = html(mini, "en/opening-hours.html")
    assert [(a["href"], a.get("hreflang")) for a in anchors(english, "Clinic News")] == [
        ("clinic-news.html", None), ("news/index.html", None)]
    # The section exists where a page that names it does: English only.
    assert (mini / "output/build/en/news/index.html").is_file()
    assert not (mini / "output/build/ar/news").exists()
    sitemap = (mini / "output/build/sitemap.xml").read_text(encoding="utf-8")
    assert "en/news/index.html" in sitemap and "ar/news/" not in sitemap


def test_a_section_lists_what_is_in_it_in_that_language(mini: Path) -> None:
    edit(mini / "source/pages/clinic-news.md", "slug: clinic-news\n",
         "slug: clinic-news\nparent:\n  label: Patients\n  href: /patients/\n")
    render_site(load_config(mini))
    for tag, listed in (("en", ["clinic-news.html", "first-visit.html"]),
                        ("ar", ["first-visit.html"])):
        tree = html(mini, f"{tag}/patients/index.html")
        items = [a.attrs["href"] for a in tree.iter() if a.tag == "a" and any(
            "page-list" in n.classes for n in a.ancestors())]
        assert items == [f"../{name}" for name in listed], tag
        [h1] = [n for n in tree.iter() if n.tag == "h1"]
        assert h1.attrs["data-src"] == "source/pages/first-visit.md:9"
        assert [n.attrs["href"] for n in tree.iter() if n.tag == "link"
                and n.attrs.get("rel") == "stylesheet"] == ["../../style.css"]


def test_a_section_no_page_names_any_more_is_removed(mini: Path) -> None:
    render_site(load_config(mini))
    build = mini / "output/build"
    assert (build / "ar/patients/index.html").is_file()
    edit(mini / "source/pages/first-visit.md", "    href: /patients/\n",
         "    href: /forms/patients/\n")
    edit(mini / "source/pages/first-visit.md", "  href: /patients/\n",
         "  href: /forms/patients/\n")
    result = render_site(load_config(mini), ["first-visit"])  # a partial render too
    assert {"output/build/en/patients/index.html",
            "output/build/ar/patients/index.html"} <= set(result.removed)
    assert not (build / "en/patients").exists() and not (build / "ar/patients").exists()


def test_an_unchanged_page_follows_its_link_target_out_of_a_language(mini: Path) -> None:
    """What the build does: pages outside ``slugs`` keep their completeness from the
    last render (``known``), but a link to a page that left their language changes."""
    edit(mini / "pyproject.toml", "completeness = 75", "completeness = 80")
    config = load_config(mini)
    first = render_site(config)
    assert ("opening-hours", "ar") in {(p.slug, p.tag) for p in first.published()}
    known: dict[str, dict[str, Completeness]] = {}
    for item in first.pages:
        known.setdefault(item.slug, {})[item.lang] = Completeness(
            item.translated, item.outdated, item.fallback, item.total)
    # Two new paragraphs (75 % translated, below the 80 % that keeps it): an edited
    # one would turn fuzzy, which keeps the page published.
    edit(mini / "source/pages/opening-hours.md", "We are open on weekdays.",
         "We are open on weekdays.\n\nSaturday mornings are for urgent appointments."
         "\n\nOn public holidays the clinic is closed.")
    assert run_cli(mini, "extract").returncode == 0
    assert run_cli(mini, "update").returncode == 0
    second = render_site(load_config(mini), ["opening-hours"], known=known)
    assert ("opening-hours", "ar") not in {(p.slug, p.tag) for p in second.published()}
    assert "output/build/ar/first-visit.html" in second.written
    link = anchors(html(mini, "ar/first-visit.html"), "مواعيد العمل")
    assert link == [{"href": "../en/opening-hours.html", "hreflang": "en"}]
    # ... exactly what a render from nothing writes.
    fresh = mini.with_name("fresh")
    shutil.copytree(mini, fresh, ignore=shutil.ignore_patterns("output"))
    render_site(load_config(fresh))
    for file in sorted((fresh / "output/build").rglob("*")):
        if file.is_file():
            rel = file.relative_to(fresh / "output/build")
            assert (mini / "output/build" / rel).read_bytes() == file.read_bytes(), rel


# --- the shipped site, built and crawled ------------------------------------------------

def test_shipped_site_has_no_dead_internal_link(tmp_path: Path) -> None:
    """Acceptance: a real build of the shipped content; every same-origin address in the
    published site is a file, but the paths the wider site serves (external_paths)."""
    require_tool("chromium")
    root = copy_shipped(tmp_path / "shipped")
    result = run_cli(root, "build")
    assert result.returncode == 0, result.stdout + result.stderr
    config = load_config(root)
    site = root / "output/site"
    assert dead_internal_links(site, config.base_url, config.external_paths) == []
    # The crawl sees the links that used to be dead: breadcrumb, back link, home.
    spanish = (site / "es/hemifacial-spasm.html").read_text(encoding="utf-8")
    for href in ("index.html", "what-we-do/index.html", "what-we-do/specialties/index.html"):
        assert f'href="{href}"' in spanish, href
    assert re.search(r'<a href="index\.html"[^>]*>Inicio</a>', spanish)
    report = json.loads((root / "output/reports/qa.json").read_text(encoding="utf-8"))
    assert report["summary"]["languages"]["en"]["errors"] == 0
    # And the crawler does see a dead link.
    (site.resolve() / "es/what-we-do/index.html").unlink()
    assert dead_internal_links(site, config.base_url, config.external_paths)
