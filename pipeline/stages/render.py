"""Rendering: pages + catalogs + templates → ``output/build/`` (one folder per language).

For the source language and every target language: ``<tag>/<slug>.html`` for each
page published in that language, ``<tag>/index.html`` (the language's pages),
``index.html`` (the language chooser), ``sitemap.xml`` with ``xhtml:link``
alternates, ``style.css`` (copied from the templates folder) and, in every language's
folder, the images and other files kept beside the pages.

A page is published in a language when its completeness (its own messages plus the
template messages it shows, resolved as a reader gets them) reaches the language's
``completeness`` threshold, or when the share with a translation, current or outdated
(fuzzy), reaches its ``keep`` threshold: an English edit turns changed blocks fuzzy and
adds untranslated ones, and a published page stays while translators catch up, under a
notice. A page that is not published but has translations of its own (it left the
language, or is being translated) is *withdrawn*: its URL gets a short page in that
language pointing to the source-language version. The switcher, hreflang links, sitemap
and indexes name only published pages. Output is deterministic and unchanged files are
not rewritten.

Links between pages (``pipeline.text.links``) lead to the reader's language where the target
is published there, else to the source language's version with ``hreflang``. Every
section the breadcrumbs name gets ``<tag>/<section path>/index.html`` (``section.html``)
in each language one of its pages is published in, listing what is in it there.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import posixpath
import re
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as xml_escape
from xml.sax.saxutils import quoteattr

from babel.dates import format_date
from jinja2 import (
    BytecodeCache,
    Environment,
    FileSystemLoader,
    StrictUndefined,
    Template,
    TemplateError,
    TemplateNotFound,
    TemplateSyntaxError,
)
from jinja2.bccache import Bucket
from markupsafe import Markup, escape

from pipeline.config import Config
from pipeline.errors import PipelineError
from pipeline.infra.cache import digest
from pipeline.infra.digests import SHA256, FileFacts, sha256_hex
from pipeline.infra.fsutil import Staged, Staging, read_bytes
from pipeline.infra.workload import map_split, paused_gc
from pipeline.models import Location
from pipeline.text.langs import Lang
from pipeline.text.links import SECTION_FILE, Section, SiteLinks, Target, page_assets
from pipeline.text.markup import (
    PreparedBody,
    TranslatedHtml,
    attributes_html,
    inline_html,
    plain_text,
    prepare_body,
    render_body,
    strip_bidi_controls,
    text_attributes,
)
from pipeline.text.pages import Link, Page, Text, load_pages
from pipeline.text.translations import Completeness, Resolved, Translations, page_completeness
from pipeline.workspace import Workspace

BUILD = "build"
STYLESHEET = "style.css"
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
XHTML_NS = "http://www.w3.org/1999/xhtml"
Key = tuple[str, str | None]  # (msgid, msgctxt), as translations.page_completeness takes them
# From this many pages x languages on, a forked child renders every other page.
SPLIT_PAGES = 1_000
KEPT_SHOWN = 1 << 14  # front-matter texts a SiteRenderer keeps as HTML, per language
# (kind, key) of a page or section → the codes of the languages it is published in.
Available = Mapping[tuple[str, str], frozenset[str]]


# --- results -------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class PageResult:
    """One page in one language."""

    slug: str
    source: str  # the page file, relative to the content root
    lang: str  # gettext code (zh_Hans)
    tag: str  # BCP 47 tag (zh-Hans), also the output folder
    path: str  # output/build/<tag>/<slug>.html, relative to the content root
    published: bool  # meets completeness or keep; listed, linked, in the sitemap
    rendered: bool  # this call produced the file (False: not asked for, or neither
    # published nor withdrawn)
    written: bool  # the file's bytes changed on disk
    translated: int  # messages in the reader's language (source-language pages: all)
    outdated: int  # fuzzy translations shown (fallback = "outdated")
    fallback: int  # messages shown in the source language
    total: int
    percent: float
    threshold: float
    stale: int  # fuzzy entries shown in the source language
    own_started: int  # the page's own messages with a translation, current or outdated
    covered: float  # % with a translation, current or outdated
    keep: float  # the keep threshold (at most ``threshold``)
    withdrawn: bool  # not published, but translated in part: its URL serves a notice page


@dataclass(frozen=True, slots=True)
class LanguageSummary:
    lang: str
    tag: str
    published: int
    left_out: int
    translated: int
    outdated: int
    fallback: int
    withdrawn: int = 0


@dataclass(frozen=True, slots=True)
class RenderResult:
    """Everything ``render_site`` decided and wrote; paths relative to the content root."""

    pages: tuple[PageResult, ...]  # every (page, language), in page then language order
    files: tuple[str, ...]  # every file this call produced, written or already identical
    written: tuple[str, ...]  # the subset of ``files`` whose bytes changed
    removed: tuple[str, ...]  # pages of an earlier build that are no longer published
    build_dir: str = "output/build"

    def languages(self) -> tuple[LanguageSummary, ...]:
        order: dict[str, list[PageResult]] = {}
        for item in self.pages:
            order.setdefault(item.lang, []).append(item)
        out = []
        for lang, items in order.items():
            shown = [i for i in items if i.published]
            out.append(LanguageSummary(
                lang, items[0].tag, len(shown), len(items) - len(shown),
                sum(i.translated for i in shown), sum(i.outdated for i in shown),
                sum(i.fallback for i in shown), sum(1 for i in items if i.withdrawn)))
        return tuple(out)

    def published(self, lang: str | None = None) -> tuple[PageResult, ...]:
        return tuple(p for p in self.pages if p.published and lang in (None, p.lang, p.tag))

    def withdrawn(self) -> tuple[PageResult, ...]:
        return tuple(p for p in self.pages if p.withdrawn)

    def to_dict(self) -> dict[str, Any]:
        return {
            "build_dir": self.build_dir,
            "pages": [{k: getattr(p, k) for k in PageResult.__slots__} for p in self.pages],
            "languages": [{k: getattr(s, k) for k in LanguageSummary.__slots__}
                          for s in self.languages()],
            "files": list(self.files),
            "written": list(self.written),
            "removed": list(self.removed),
        }


# --- template data -----------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Alternate:
    """A language version of the current page, for the switcher and hreflang."""

    tag: str
    dir: str
    name: str
    href: str  # relative to the current file
    absolute: str
    current: bool


@dataclass(frozen=True, slots=True)
class TextItem:
    """A translatable label with its href and element attributes."""

    html: Markup
    attrs: Markup
    href: str = ""
    text: str = ""


@dataclass(frozen=True, slots=True)
class RenderedPage:
    html: str
    completeness: Completeness
    outdated: bool


@dataclass(frozen=True, slots=True)
class PageView:
    """One page in one language, ready for the template but for its language list."""

    page: Page
    lang: Lang
    context: dict[str, Any]  # without "alternates" and "languages_count"
    outdated: bool


class _Gettext:
    """Template gettext for one language, resolving like page text; records what it used.

    A translation is escaped here (Jinja marks gettext results safe) and checked
    against the msgid's placeholders; a broken one falls back to the source text.
    """

    def __init__(self, translations: Translations):
        self.translations = translations
        self.used: list[Key] = []
        # Catalogs do not change during a run: each call's result is worked out once.
        self._memo: dict[tuple[str | None, str, str | None, int | None], Markup] = {}

    def gettext(self, message: str) -> Markup:
        return self.npgettext(None, message, None, None)

    def pgettext(self, context: str, message: str) -> Markup:
        return self.npgettext(context, message, None, None)

    def ngettext(self, singular: str, plural: str, n: int) -> Markup:
        return self.npgettext(None, singular, plural, n)

    def npgettext(self, context: str | None, singular: str, plural: str | None,
                  n: int | None) -> Markup:
        self.used.append((singular, context))
        key = (context, singular, plural, n)
        shown = self._memo.get(key)
        if shown is None:
            if plural is None or n is None:
                resolved = self.translations.resolve(singular, context)
                shown = self._safe(singular, resolved)
            else:
                resolved = self.translations.resolve_plural(singular, plural, n, context)
                shown = self._safe(singular if n == 1 else plural, resolved)
            self._memo[key] = shown
        return shown

    @staticmethod
    def _safe(english: str, resolved: Resolved) -> Markup:
        text = strip_bidi_controls(resolved.text)
        if "%" not in english:
            text = text.replace("%", "%%")  # Jinja applies % formatting to every result
        elif not _placeholders_fit(english, text):
            text = english
        return escape(text)


_PLACEHOLDER = re.compile(r"%%|%\((\w+)\)[sd]")


def _placeholders_fit(english: str, text: str) -> bool:
    known = set(_PLACEHOLDER.findall(english)) - {""}
    rest = _PLACEHOLDER.sub(lambda m: "" if m.group(1) in known or not m.group(1) else "%",
                            text)
    return "%" not in rest


class _Compiled(BytecodeCache):
    """Templates compiled once for every language's environment (their options are the
    same; only the gettext callables differ, and they are looked up when rendering), not
    once for each: five compiles of each template were 0.3 s of an edit's build. Held in
    memory: a template changed on disk has another checksum, and is compiled again."""

    def __init__(self) -> None:
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.code[bucket.key] = bucket.bytecode_to_string()


class SiteRenderer:
    """Templates and catalogs of one content root, loaded once and reused for every page;
    pages, catalogs and translations' Markdown come from ``ws``."""

    def __init__(self, config: Config, links: SiteLinks | None = None,
                 ws: Workspace | None = None):
        self.config = config
        self.ws = ws or Workspace()
        self._links = links
        # Where pages and sections are published; None: everywhere (a draft's links,
        # before the site's plan is known).
        self.available: Available | None = None
        self._translations: dict[str, Translations] = {}
        self._envs: dict[str, tuple[Environment, _Gettext]] = {}
        self._compiled = _Compiled()
        # What is the same on every page, worked out once: the site name, dates,
        # translations as HTML, and the last page's parsed body (by its links' addresses).
        self._site_names: dict[str, TextItem] = {}
        self._dates: dict[tuple[dt.date, str], Markup] = {}  # the <time> of ``_updated``
        # (language code, text) → a front-matter text's HTML, attributes but data-src
        # and plain text (``_resolve_text``); bounded, emptied when full.
        self._shown: dict[tuple[str, str], tuple[Markup, Markup, str]] = {}
        self._translated = TranslatedHtml(self.ws.messages)
        self._body: tuple[Page, dict[tuple[tuple[str, str], ...], PreparedBody]] | None = None

    @property
    def links(self) -> SiteLinks:
        """The site's links (loaded from the pages folder when not given)."""
        if self._links is None:
            self._links = self.ws.site_links(
                self.config, load_pages(self.config.pages_dir, self.config.root, self.ws))
        return self._links

    # loading
    def translations(self, lang: Lang) -> Translations:
        if lang.code not in self._translations:
            path = self.config.po_path(lang)
            if lang.code != self.config.source_language.code and not path.exists():
                raise PipelineError(
                    f"no catalog for {lang.code}", Location(self.config.rel(path)),
                    f"run 'pipeline init {lang.code}' (or remove it from 'languages')")
            self._translations[lang.code] = Translations.load(self.config, lang, self.ws)
        return self._translations[lang.code]

    def _env(self, lang: Lang) -> tuple[Environment, _Gettext]:
        if lang.code not in self._envs:
            folder = self.config.templates_dir
            if not folder.is_dir():
                raise PipelineError("templates directory not found",
                                    Location(self.config.templates),
                                    "set 'templates' in [tool.pipeline] or create the directory")
            env = Environment(
                loader=FileSystemLoader(str(folder)), autoescape=True,
                extensions=["jinja2.ext.i18n"], undefined=StrictUndefined,
                trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                auto_reload=False, bytecode_cache=self._compiled,
            )
            env.policies["ext.i18n.trimmed"] = True
            gettext = _Gettext(self.translations(lang))
            env.install_gettext_callables(  # type: ignore[attr-defined]
                gettext.gettext, gettext.ngettext, newstyle=True,
                pgettext=gettext.pgettext, npgettext=gettext.npgettext)
            self._envs[lang.code] = (env, gettext)
        return self._envs[lang.code]

    def _template(self, lang: Lang, name: str) -> Template:
        env, _ = self._env(lang)
        try:
            return env.get_template(name)
        except TemplateSyntaxError as exc:
            raise PipelineError(
                f"template syntax error: {exc.message}",
                Location(self._rel_template(exc.filename, name), exc.lineno or 0),
                "fix the Jinja tag on that line; see https://jinja.palletsprojects.com/",
            ) from exc
        except TemplateNotFound as exc:
            raise PipelineError(
                f"template not found: {exc.name}", Location(f"{self.config.templates}/{name}"),
                "the renderer needs base.html, page.html, switcher.html, index.html, "
                "chooser.html and withdrawn.html (and, when breadcrumbs name sections, "
                "section.html) in the templates folder",
            ) from exc
        except OSError as exc:
            raise self._unreadable(exc, name) from exc

    def _unreadable(self, exc: OSError, name: str) -> PipelineError:
        return PipelineError(
            f"cannot read the template: {exc.strerror or exc}",
            Location(self._rel_template(exc.filename, name)),
            "check the file's owner and permissions (chmod u+r)",
        )

    def _rel_template(self, filename: str | None, name: str) -> str:
        if filename:
            return self.config.rel(Path(filename))
        return f"{self.config.templates}/{name}"

    def _run(self, lang: Lang, name: str, context: dict[str, Any]) -> tuple[str, list[Key]]:
        template = self._template(lang, name)
        _, gettext = self._env(lang)
        gettext.used = []
        try:
            html = template.render(context)
        except TemplateError as exc:
            raise self._runtime_error(exc, name) from exc
        except (KeyError, ValueError, TypeError, AttributeError) as exc:
            raise self._runtime_error(exc, name) from exc
        except OSError as exc:  # an included template that cannot be read
            raise self._unreadable(exc, name) from exc
        return html, list(gettext.used)

    def _runtime_error(self, exc: Exception, name: str) -> PipelineError:
        folder = str(self.config.templates_dir.resolve())
        frames = [f for f in traceback.extract_tb(exc.__traceback__)
                  if str(Path(f.filename).resolve()).startswith(folder)]
        where = (Location(self.config.rel(Path(frames[-1].filename)), frames[-1].lineno or 0)
                 if frames else Location(f"{self.config.templates}/{name}"))
        message = getattr(exc, "message", None) or str(exc)
        return PipelineError(f"template error: {message}", where,
                             "check the names used on that line against the "
                             "list of template variables in docs/editors.md")

    # pieces
    def _resolve_text(self, lang: Lang, text: Text, where: Location) -> tuple[Resolved, TextItem]:
        resolved = self.translations(lang).resolve(text.value)
        # A title or a label is shown on several pages and indexes: all but its
        # data-src is worked out once per language.
        key = (lang.code, text.value)
        shown = self._shown.get(key)
        if shown is None:
            if len(self._shown) >= KEPT_SHOWN:
                self._shown.clear()
            shown = self._shown[key] = (
                inline_html(resolved), attributes_html(text_attributes(resolved, lang, None)),
                plain_text(resolved))
        html, attrs, plain = shown
        # attributes_html({"data-src": …, **rest}): only data-src is written per page
        return resolved, TextItem(html, attributes_html({"data-src": str(where)}) + attrs,
                                  text=plain)

    def _site_name(self, lang: Lang) -> TextItem:
        if lang.code not in self._site_names:
            config = self.config
            _, self._site_names[lang.code] = self._resolve_text(
                lang, Text(config.site_title, config.site_title_line),
                Location(config.file, config.site_title_line))
        return self._site_names[lang.code]

    def _link(self, lang: Lang, page: Page, link: Link, up: str = "") -> TextItem:
        """A front-matter link in ``lang``, from a document ``up`` below its language's
        folder: its href leads to the reader's language where the target is published."""
        _, item = self._resolve_text(lang, link.label, page.location(link.label.line))
        attrs = self.link_attrs(page, link.href, lang, up)
        extra = attributes_html({k: v for k, v in attrs.items() if k != "href"})
        return TextItem(item.html, item.attrs + extra, attrs["href"], item.text)

    # links
    def published_in(self, target: Target, lang: Lang) -> bool:
        """Whether ``target`` exists in ``lang`` (home and files: wherever a page is)."""
        if self.available is None or target.kind not in ("page", "section"):
            return True
        return lang.code in self.available.get((target.kind, target.key), frozenset())

    def link_attrs(self, page: Page, href: str, lang: Lang, up: str) -> dict[str, str]:
        """The attributes of a link ``href`` of ``page`` shown in ``lang``."""
        target = self.links.resolve(page, href)
        if target.kind in ("kept", "dead"):
            return {"href": href}
        if self.published_in(target, lang):
            return {"href": f"{up}{target.file}{target.suffix}"}
        source = self.config.source_language
        return {"href": f"{up}../{source.tag}/{target.file}{target.suffix}",
                "hreflang": source.tag}

    def falls_back(self, page: Page, lang: Lang) -> bool:
        """Whether a link of ``page`` leads to another language's version in ``lang``."""
        return not all(self.published_in(t, lang) for t in self.links.targets(page))

    def _lang_view(self, lang: Lang) -> dict[str, str]:
        return {"tag": lang.tag, "dir": lang.direction, "name": lang.own_name}

    def _prepared(self, page: Page, lang: Lang) -> PreparedBody:
        """``page``'s parsed body with its links for ``lang``; the last page's are kept,
        as every language needs one (the same one wherever every target is published)."""
        if self._body is None or self._body[0] is not page:
            self._body = (page, {})
        addresses = {link.href: self.link_attrs(page, link.href, lang, "")
                     for link in page.links}
        key = tuple(sorted((href, repr(attrs)) for href, attrs in addresses.items()))
        bodies = self._body[1]
        if key not in bodies:
            def resolve(href: str) -> dict[str, str]:
                return addresses.get(href) or self.link_attrs(page, href, lang, "")

            bodies[key] = prepare_body(page, resolve)
        return bodies[key]

    def _base_context(self, lang: Lang, root: str) -> dict[str, Any]:
        site = self._site_name(lang)
        return {
            "lang": self._lang_view(lang),
            "source_lang": self._lang_view(self.config.source_language),
            "root": root,
            "home": f"{root}{lang.tag}/index.html",
            "site_title": site.text,
            "site_name": site,
            "description": None,
            "canonical": None,
            "alternates": [],
            "x_default": None,
        }

    def url(self, relative: str) -> str:
        return self.config.base_url + relative

    def alternates(self, langs: Sequence[Lang], current: Lang, file: str,
                   root: str) -> list[Alternate]:
        return [Alternate(lg.tag, lg.direction, lg.own_name, f"{root}{lg.tag}/{file}",
                          self.url(f"{lg.tag}/{file}"), lg.code == current.code)
                for lg in langs]

    # whole files
    def page(self, page: Page, lang: Lang, published: Sequence[Lang]) -> RenderedPage:
        """One page in one language; ``published`` are the languages it exists in."""
        view = self.page_view(page, lang)
        html, used = self.page_html(view, published)
        return RenderedPage(html, self.completeness(page, lang, used), view.outdated)

    def completeness(self, page: Page, lang: Lang, used: Sequence[Key]) -> Completeness:
        """How much of ``page`` a reader of ``lang`` gets: its messages, the site name and
        the template messages its HTML ``used``."""
        keys = tuple([(self.config.site_title, None), *used])
        return page_completeness(page, self.translations(lang), keys)

    def page_view(self, page: Page, lang: Lang) -> PageView:
        """Everything of ``page`` in ``lang`` that does not depend on its language list."""
        config = self.config
        translations = self.translations(lang)
        body = render_body(self._prepared(page, lang), lang, translations.resolve,
                           self._translated)
        title_resolved, title = self._resolve_text(lang, page.title,
                                                   page.location(page.title.line))
        description = None
        front: list[Resolved] = [title_resolved]
        if page.description is not None:
            resolved, item = self._resolve_text(lang, page.description,
                                                page.location(page.description.line))
            front.append(resolved)
            description = item.text
        crumbs = [self._link(lang, page, link) for link in page.breadcrumb]
        parent = None
        if page.parent is not None:
            _, label = self._resolve_text(lang, page.parent.label,
                                          page.location(page.parent.label.line))
            attrs = self.link_attrs(page, page.parent.href, lang, "")
            parent = TextItem(Markup("<span{}>{}</span>").format(label.attrs, label.html),
                              attributes_html({k: v for k, v in attrs.items() if k != "href"}),
                              attrs["href"], label.text)
        updated = self._updated(page, lang)
        file = f"{page.slug}.html"
        root = "../"
        context = self._base_context(lang, root)
        outdated = body.outdated or any(r.state == "outdated" for r in front)
        # What the reader sees of the page itself in the source language (the description
        # is not shown): the notice says such parts are not translated yet.
        labels = [translations.resolve(link.label.value) for link in
                  [*page.breadcrumb, *([page.parent] if page.parent else [])]]
        untranslated = any(r.is_fallback for r in [*body.blocks, title_resolved, *labels])
        context.update({
            "description": description,
            "canonical": self.url(f"{lang.tag}/{file}"),
            "x_default": self.url(f"{config.source_language.tag}/{file}"),
            "languages_count": 0,  # page_html sets both from the published languages
            "page": {
                "slug": page.slug,
                "href": file,
                "title": title.text,
                "title_html": title.html,
                "title_attrs": title.attrs,
                "breadcrumb": crumbs,
                "parent": parent,
                "body": body.html,
                "updated": updated,
                "outdated": outdated,
                "untranslated": untranslated,
                "source_href": f"{root}{config.source_language.tag}/{file}",
            },
        })
        return PageView(page, lang, context, outdated)

    def page_html(self, view: PageView, published: Sequence[Lang]) -> tuple[str, list[Key]]:
        """The page's HTML with ``published`` in its switcher, and the messages it used."""
        file = f"{view.page.slug}.html"
        context = dict(view.context)  # each run gets its own dicts and lists, as before
        context["page"] = {**context["page"],
                           "breadcrumb": list(context["page"]["breadcrumb"])}
        context["alternates"] = self.alternates(published, view.lang, file, "../")
        context["languages_count"] = len(published)
        return self._run(view.lang, "page.html", context)

    def _updated(self, page: Page, lang: Lang) -> Markup | None:
        """The page's "last updated" date, localized, in a machine-readable <time>."""
        if page.updated is None:
            return None
        # Made once per date and language: each language's index shows every page's.
        key = (page.updated, lang.code)
        if key not in self._dates:
            self._dates[key] = Markup('<bdi><time datetime="{}">{}</time></bdi>').format(
                page.updated.isoformat(), format_date(page.updated, format="long",
                                                      locale=lang.locale))
        return self._dates[key]

    def language_index(self, lang: Lang, pages: Sequence[Page], langs: Sequence[Lang]) -> str:
        """The language's list of pages: each title with its description and its last
        update, as a reader scans a list of leaflets."""
        items = []
        for page in pages:
            _, title = self._resolve_text(lang, page.title, page.location(page.title.line))
            description = None
            if page.description is not None:
                _, description = self._resolve_text(lang, page.description,
                                                     page.location(page.description.line))
            items.append({"html": title.html, "attrs": title.attrs, "href": f"{page.slug}.html",
                          "text": title.text, "description": description,
                          "updated": self._updated(page, lang)})
        context = self._base_context(lang, "../")
        context.update({
            "pages": items,
            "canonical": self.url(f"{lang.tag}/index.html"),
            "alternates": self.alternates(langs, lang, "index.html", "../"),
            "x_default": self.url("index.html"),
        })
        return self._run(lang, "index.html", context)[0]

    def withdrawn(self, page: Page, lang: Lang) -> str:
        """What a withdrawn page's URL serves: its title, a note that the page is being
        updated, and a link to the source-language version."""
        _, title = self._resolve_text(lang, page.title, page.location(page.title.line))
        context = self._base_context(lang, "../")
        # The language may have no published page, and so no index: the site name leads
        # to the language chooser instead.
        context["home"] = "../index.html"
        context["page"] = {
            "title": title.text,
            "title_html": title.html,
            "title_attrs": title.attrs,
            "source_href": f"../{self.config.source_language.tag}/{page.slug}.html",
        }
        return self._run(lang, "withdrawn.html", context)[0]

    def section_page(self, section: Section, lang: Lang, langs: Sequence[Lang]) -> str:
        """A section's page in ``lang``: its trail and what in it is published there;
        ``langs`` are the languages the section exists in."""
        up = "../" * section.file.count("/")
        owner = self.links.pages[section.page]
        _, title = self._resolve_text(lang, section.label, section.location)
        items = []
        for child in section.children:
            if not self.published_in(child, lang):
                continue
            if child.kind == "page":
                page = self.links.by_slug[child.key]
                text, where = page.title, page.location(page.title.line)
            else:
                named = self.links.sections[child.key]
                text, where = named.label, named.location
            _, item = self._resolve_text(lang, text, where)
            items.append(TextItem(item.html, item.attrs, f"{up}{child.file}", item.text))
        source = self.config.source_language
        context = self._base_context(lang, up + "../")
        context.update({
            "section": {
                "href": SECTION_FILE,
                "title": title.text,
                "title_html": title.html,
                "title_attrs": title.attrs,
                "breadcrumb": [self._link(lang, owner, link, up) for link in section.trail],
                "children": items,
            },
            "canonical": self.url(f"{lang.tag}/{section.file}"),
            "alternates": self.alternates(langs, lang, section.file, up + "../"),
            "x_default": self.url(f"{source.tag}/{section.file}"),
        })
        return self._run(lang, "section.html", context)[0]

    def section_key(self, section: Section, lang: Lang, langs: Sequence[Lang],
                    listings: Mapping[tuple[str, str], str]) -> str | None:
        """A digest of all ``section_page`` shows (None: a listing it needs is missing):
        the label and the trail as resolved, each child's file and whether it is
        published, and a page child's listing digest (its title in the language, with the
        templates and the configuration: the owner's stands for them when no child has
        one); the languages."""
        owner = self.links.pages[section.page]
        base = listings.get((owner.slug, lang.code))
        if base is None:
            return None
        up = "../" * section.file.count("/")
        parts = [lang.code, *(lg.code for lg in langs), section.file, base,
                 repr(self._resolve_text(lang, section.label, section.location)[1]),
                 *(repr(self._link(lang, owner, link, up)) for link in section.trail)]
        for child in section.children:
            published = self.published_in(child, lang)
            parts.append(f"{child.kind}\x00{child.key}\x00{child.file}\x00{published}")
            if not published:
                continue
            if child.kind == "page":
                listed = listings.get((child.key, lang.code))
                if listed is None:
                    return None
                parts.append(listed)
            else:
                named = self.links.sections[child.key]
                parts.append(repr(self._resolve_text(lang, named.label, named.location)[1]))
        return digest(*parts)

    def chooser(self, langs: Sequence[Lang]) -> str:
        source = self.config.source_language
        context = self._base_context(source, "")
        context.update({
            "canonical": self.url("index.html"),
            "alternates": self.alternates(langs, source, "index.html", ""),
            "x_default": self.url("index.html"),
        })
        # The chooser is no language's version: nothing is marked current.
        context["alternates"] = [Alternate(a.tag, a.dir, a.name, a.href, a.absolute, False)
                                 for a in context["alternates"]]
        return self._run(source, "chooser.html", context)[0]


def render_page(config: Config, page: Page, lang: Lang,
                published: Sequence[Lang] | None = None, *, ws: Workspace | None = None) -> str:
    """The HTML of one page in one language, written nowhere (for tests and previews)."""
    return SiteRenderer(config, ws=ws).page(page, lang, published or config.all_languages).html


# --- the site ------------------------------------------------------------------------

def publishes(config: Config, lang: Lang, status: Completeness) -> bool:
    """Whether a page with ``status`` is published in ``lang``.

    Read from the repository alone (CI has no earlier site): a page whose current
    translations reach ``completeness``, or whose translations, current or outdated
    (fuzzy), cover ``keep`` % of it. An English edit makes changed blocks fuzzy, which
    still count, and adds untranslated blocks, which do not: so a published page stays
    while translators catch up, until new text passes 100 - keep % of it.
    """
    if lang.code == config.source_language.code:
        return True
    if not config.lang_config(lang).publish:
        return False
    return (status.percent >= config.completeness_threshold(lang)
            or status.covered >= config.keep_threshold(lang))


def withdraws(config: Config, lang: Lang, status: Completeness) -> bool:
    """Not published, though translated in part: the page left the language (or is being
    translated; the repository cannot tell which), so its URL serves a notice page."""
    return not publishes(config, lang, status) and status.own_started > 0


@dataclass(slots=True)
class _Plan:
    status: dict[tuple[str, str], Completeness] = field(default_factory=dict)
    published: dict[str, list[Lang]] = field(default_factory=dict)


def availability(links: SiteLinks, published: Mapping[str, Iterable[Lang]]) -> Available:
    """Where each page (``published``: slug → its languages) and each section is; a
    section is wherever a page that names it is."""
    out = {("page", slug): frozenset(lg.code for lg in langs)
           for slug, langs in published.items()}
    for path, section in links.sections.items():
        out[("section", path)] = frozenset().union(
            *(out.get(("page", slug), frozenset()) for slug in section.members))
    return out


def sitemap_xml(entries: Iterable[tuple[str, Sequence[tuple[str, str]]]]) -> str:
    """``<urlset>`` with one ``<url>`` per page and its ``xhtml:link`` alternates."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             f'<urlset xmlns="{SITEMAP_NS}" xmlns:xhtml="{XHTML_NS}">']
    # A page's versions share one list of alternates (``_sitemap_entries``): its lines
    # are written once, not once per language (escaping them took 0.1 s at 1,000 pages).
    # By identity: each list is held here with its text, so no other takes its id.
    written: dict[int, tuple[Sequence[tuple[str, str]], str]] = {}
    for loc, alternates in entries:
        lines.append("<url>")
        lines.append(f"<loc>{xml_escape(loc)}</loc>")
        known = written.get(id(alternates))
        if known is None:
            known = written[id(alternates)] = (alternates, "\n".join(
                f'<xhtml:link rel="alternate" hreflang={quoteattr(hreflang)} '
                f"href={quoteattr(href)}/>" for hreflang, href in alternates))
        if known[1]:
            lines.append(known[1])
        lines.append("</url>")
    lines.append("</urlset>")
    return "\n".join(lines) + "\n"


def _language_index(renderer: SiteRenderer, lang: Lang, listed: Sequence[Page],
                    languages: Sequence[Lang], path: Path,
                    listings: Mapping[tuple[str, str], str] | None,
                    indexes: dict[str, tuple[str, str]] | None) -> bytes:
    """``renderer.language_index``'s bytes, or the same bytes as on disk: the same
    pages, each with the same listing digest (its title, description and date in the
    language, the templates, the configuration), in the same languages make the same
    index (five of them took 0.2 s of an edit's build at 1,000 pages)."""
    def render() -> str:
        return renderer.language_index(lang, listed, languages)

    if (listings is None or indexes is None
            or not all((page.slug, lang.code) in listings for page in listed)):
        return render().encode("utf-8")
    key = digest(lang.code, *(lg.code for lg in languages), *(
        part for page in listed for part in (page.slug, listings[(page.slug, lang.code)])))
    return _as_before(indexes, lang.code, key, path, render)


def _section_page(renderer: SiteRenderer, section: Section, lang: Lang,
                  langs: Sequence[Lang], path: Path,
                  listings: Mapping[tuple[str, str], str] | None,
                  indexes: dict[str, tuple[str, str]] | None) -> bytes:
    """``renderer.section_page``'s bytes, or the same bytes as on disk when
    ``section_key`` is as it was (the 55 section pages of 1,000 pages took 0.15 s of
    every build after an edit). Kept in ``indexes`` under ``code/file``."""
    def render() -> str:
        return renderer.section_page(section, lang, langs)

    key = None if listings is None or indexes is None else renderer.section_key(
        section, lang, langs, listings)
    if key is None or indexes is None:
        return render().encode("utf-8")
    return _as_before(indexes, f"{lang.code}/{section.file}", key, path, render)


def _as_before(indexes: dict[str, tuple[str, str]], name: str, key: str, path: Path,
               render: Callable[[], str]) -> bytes:
    """The bytes of ``path`` when ``indexes`` has ``key`` for ``name`` and the file
    still holds the bytes recorded with it; else ``render()``'s, recorded."""
    known = indexes.get(name)
    if known is not None and known[0] == key:
        try:
            data = path.read_bytes()
        except OSError:
            data = b""
        if sha256_hex(data) == known[1]:
            return data
    data = render().encode("utf-8")
    indexes[name] = (key, sha256_hex(data))
    return data


def render_site(config: Config, slugs: Sequence[str] | None = None,
                langs: Sequence[Lang] | None = None, *,
                known: Mapping[str, Mapping[str, Completeness]] | None = None,
                ws: Workspace | None = None,
                listings: Mapping[tuple[str, str], str] | None = None,
                indexes: dict[str, tuple[str, str]] | None = None,
                facts: FileFacts | None = None) -> RenderResult:
    """Render the site; ``slugs`` / ``langs`` limit which pages are (re)written.

    Publication is always decided for every page and language, so the switcher,
    hreflang links, indexes, sections, chooser and sitemap are always complete.
    ``known`` gives every page's completeness at the last render (the build's cache);
    pages outside ``slugs`` are taken to be unchanged since: they are not rendered again
    just to measure it, but they are when a page they link to changed languages.
    Pages, catalogs and messages are read through ``ws`` (one of its own when None).
    ``listings`` (the build's: (slug, language code) → a digest of all that language's
    index shows of the page) and ``indexes`` (language code → what its index listed and
    the index's sha256, and ``code/file`` → the same of a section page; kept by the build
    and updated here): a language's index whose pages and languages are as listed last
    time is not rendered again, nor a section page that shows what it showed; their
    files on disk are (when they still hold those bytes). ``facts`` (the build's): the
    sha256 of every file written, known from its bytes, as of its stat once in place.
    """
    # Each page goes to its temp file as soon as it is rendered (the site's HTML, 230 MB
    # on 5,000 pages, was held until one write at the end); all replace their files
    # together at the end, and an error before that changes none and leaves no temp.
    # The sha256 of a page is taken by the process that rendered it, from the bytes it
    # has: the a11y stage and publish's copy made ahead hashed 5,000 pages again from
    # disk after a cold build (0.12 s of the a11y stage's 0.23 s at 1,000 pages).
    with Staging(config.output_dir / BUILD, digests=facts is not None) as staging:
        return _render_site(config, slugs, langs, known, ws or Workspace(), staging,
                            listings, indexes, facts)


def _render_site(config: Config, slugs: Sequence[str] | None, langs: Sequence[Lang] | None,
                 known: Mapping[str, Mapping[str, Completeness]] | None, ws: Workspace,
                 staging: Staging, listings: Mapping[tuple[str, str], str] | None,
                 indexes: dict[str, tuple[str, str]] | None, facts: FileFacts | None
                 ) -> RenderResult:
    pages = load_pages(config.pages_dir, config.root, ws)
    by_slug = {p.slug: p for p in pages}
    for slug in slugs or ():
        if slug not in by_slug:
            raise PipelineError(f"no page with slug {slug!r}", Location(config.pages),
                                "known slugs: " + ", ".join(sorted(by_slug)))
    configured = {lg.code for lg in config.all_languages}
    for lang in langs or ():
        if lang.code not in configured:
            raise PipelineError(f"{lang.code} is not a configured language",
                                Location(config.file),
                                "add it to 'languages' in the configuration")
    wanted_slugs = set(slugs) if slugs is not None else set(by_slug)
    wanted_langs = {lg.code for lg in langs} if langs is not None else configured
    full = slugs is None and langs is None

    asset_files = ws.page_assets(config)
    links = ws.site_links(config, pages)
    renderer = SiteRenderer(config, links, ws)
    everywhere = tuple(config.all_languages)
    build = config.output_dir / BUILD
    paths = _Paths(config)
    rel = paths.rel

    def stage_page(page: Page, lang: Lang, html: str) -> Staged:
        """The page's temp file written now, by whichever process rendered it."""
        path = build / lang.tag / f"{page.slug}.html"
        return staging.write(path, html.encode("utf-8"), paths.written(path))

    def published_in(statuses: Mapping[str, Completeness]) -> list[Lang]:
        """The languages the page is published in, in config order."""
        return [lg for lg in everywhere if publishes(config, lg, statuses[lg.code])]

    def compose(page: Page) -> tuple[dict[str, Completeness], dict[str, Staged]]:
        """Every language's completeness of ``page``; the asked ones written to temps."""
        statuses: dict[str, Completeness] = {}
        views = []
        drafts = []
        for lang in everywhere:
            # With every language in the switcher: what the page shows decides completeness.
            view = renderer.page_view(page, lang)
            draft, used = renderer.page_html(view, everywhere)
            statuses[lang.code] = renderer.completeness(page, lang, used)
            views.append(view)
            drafts.append(draft)
        shown = published_in(statuses)
        html: dict[str, Staged] = {}
        for lang, view, draft in zip(everywhere, views, drafts, strict=True):
            if page.slug in wanted_slugs and lang.code in wanted_langs and lang in shown:
                # The draft is the page when the page is in every language (the usual case).
                final = draft if tuple(shown) == everywhere else renderer.page_html(
                    view, shown)[0]
                html[lang.code] = stage_page(page, lang, final)
        return statuses, html

    todo = [p for p in pages if p.slug in wanted_slugs or not configured <= set(
        (known or {}).get(p.slug, ()))]
    split = len(todo) * len(everywhere) >= SPLIT_PAGES
    if split:  # what both processes need, loaded once before the fork
        for lang in everywhere:
            renderer.translations(lang)
    with paused_gc():
        composed = dict(zip((p.slug for p in todo), map_split(compose, todo, split=split),
                            strict=True))
    plan = _Plan()
    html: dict[tuple[str, str], Staged] = {}  # pages rendered, their temps written
    for page in pages:
        statuses, pieces = composed.get(page.slug) or (dict((known or {})[page.slug]), {})
        plan.published[page.slug] = published_in(statuses)
        for code, status in statuses.items():
            plan.status[(page.slug, code)] = status
        html.update(((page.slug, code), data) for code, data in pieces.items())
    # The drafts' links assumed every page in every language; where a target is not,
    # the page links to its source-language version instead, and is rendered again.
    now = renderer.available = availability(links, plan.published)
    langs_by_code = {lg.code: lg for lg in everywhere}
    redo = {key for key in html if renderer.falls_back(by_slug[key[0]], langs_by_code[key[1]])}
    if known is not None:  # unchanged pages whose links now lead elsewhere
        renderer_before = SiteRenderer(config, links, ws)
        before = renderer_before.available = availability(links, {
            slug: published_in(statuses) for slug, statuses in known.items()
            if configured <= set(statuses)})
        # Only a target whose languages changed can answer otherwise (usually none: an
        # edit's build asked every link of every page, 0.05 s at 1,000 pages).
        moved = {key for key in before.keys() | now.keys()
                 if before.get(key, frozenset()) != now.get(key, frozenset())}
        for page in pages if moved else ():
            shown = [lg for lg in plan.published[page.slug] if lg.code in wanted_langs]
            if page.slug not in wanted_slugs and any(
                    renderer.published_in(t, lang) != renderer_before.published_in(t, lang)
                    for t in links.targets(page) if (t.kind, t.key) in moved
                    for lang in shown):
                redo.update((page.slug, lang.code) for lang in shown)
    for slug, code in sorted(redo):
        view = renderer.page_view(by_slug[slug], langs_by_code[code])
        html[(slug, code)] = stage_page(by_slug[slug], langs_by_code[code],
                                        renderer.page_html(view, plan.published[slug])[0])
        wanted_slugs.add(slug)

    files: list[str] = []  # staged, renamed into place together at the end in this order
    written: list[str] = []
    taken: set[Path] = set()
    removed: list[str] = []
    # (page, language, file, published, withdrawn, rendered, changed)
    rows: list[tuple[Page, Lang, str, bool, bool, bool, bool]] = []

    def emit(path: Path, data: str | bytes | Staged, display: str | None = None) -> bool:
        files.append(display or paths.written(path))
        taken.add(path)
        new = staging.add(data) if isinstance(data, Staged) else staging.stage(
            path, data.encode("utf-8") if isinstance(data, str) else data, files[-1])
        if new:
            written.append(files[-1])
        return new

    # A page's path is made only when the page is asked for (5,000 paths made and shown
    # took 0.03 s of an edit's build).
    folders = {lang.code: build / lang.tag for lang in config.all_languages}
    for page in pages:
        shown = plan.published[page.slug]
        name = f"{page.slug}.html"
        for lang in config.all_languages:
            folder = folders[lang.code]
            display = paths.named(folder, name)
            is_published = any(lg.code == lang.code for lg in shown)
            withdrawn = withdraws(config, lang, plan.status[(page.slug, lang.code)])
            rendered = new = False
            if page.slug in wanted_slugs and lang.code in wanted_langs:  # asked for
                path = folder / name
                if is_published:
                    rendered, new = True, emit(path, html.pop((page.slug, lang.code)),
                                               display)
                elif withdrawn:  # its URL never turns into a 404
                    rendered, new = True, emit(path, renderer.withdrawn(page, lang), display)
                elif path.exists():
                    path.unlink()
                    removed.append(rel(path))
            rows.append((page, lang, display, is_published, withdrawn, rendered, new))

    languages = [lg for lg in config.all_languages
                 if any(lg in plan.published[p.slug] for p in pages)]
    sections = _section_languages(links, renderer.available, everywhere)
    # The languages' indexes (the dearest, first), then the section pages: their bytes
    # made by both processes when the pages were (0.45 s of a 1,000-page cold build
    # that left the second CPU idle), emitted here in this order.
    listing_pages: list[tuple[Lang, Section | None, Sequence[Lang]]] = [
        (lang, None, languages) for lang in languages if lang.code in wanted_langs]
    listing_pages += [(lang, section, shown) for section, shown in sections
                      for lang in shown if lang.code in wanted_langs]

    def listing_page(unit: tuple[Lang, Section | None, Sequence[Lang]]
                     ) -> tuple[bytes, tuple[str, tuple[str, str] | None]]:
        """The page's bytes, and its record in ``indexes`` (made by whichever process)."""
        lang, section, shown = unit
        if section is None:
            listed = [p for p in pages if lang in plan.published[p.slug]]
            path, name = build / lang.tag / "index.html", lang.code
            data = _language_index(renderer, lang, listed, shown, path, listings, indexes)
        else:
            path, name = build / lang.tag / section.file, f"{lang.code}/{section.file}"
            data = _section_page(renderer, section, lang, shown, path, listings, indexes)
        return data, (name, None if indexes is None else indexes.get(name))

    made: set[str] = set()
    with paused_gc():
        listing_data = map_split(listing_page, listing_pages, split=split)
    for (lang, section, _), (data, (name, record)) in zip(listing_pages, listing_data,
                                                         strict=True):
        if indexes is not None and record is not None:
            indexes[name] = record
        if section is None:
            emit(build / lang.tag / "index.html", data)
        else:
            made.add(name)
            emit(build / lang.tag / section.file, data)
    if indexes is not None:  # a section page no longer made: its record goes too
        for name in [n for n in indexes if "/" in n and n not in made
                     and n.split("/", 1)[0] in wanted_langs]:
            del indexes[name]
    assets = [(name, file, read_bytes(file, config.rel(file))) for name, file in asset_files]
    for lang in config.all_languages:
        # A language whose last page was just left out: its index would link to nothing,
        # and its copies of the images serve no page.
        if lang in languages or lang.code not in wanted_langs:
            continue
        for stale in [build / lang.tag / "index.html",
                      *(build / lang.tag / name for name, _, _ in assets)]:
            if stale.is_file():
                stale.unlink()
                removed.append(rel(stale))
    emit(build / "index.html", renderer.chooser(languages))
    emit(build / "sitemap.xml", sitemap_xml(_sitemap_entries(renderer, pages, plan,
                                                             languages, sections)))
    rendered_files = set(taken)  # not the assets: checked against what was rendered
    for lang in languages:
        for asset_name, asset, data in assets:
            target = build / lang.tag / asset_name
            if target in rendered_files:
                raise PipelineError(
                    f"has the name of a rendered file, {rel(target)}",
                    Location(config.rel(asset)),
                    "rename it, or move it into a subfolder such as images/")
            emit(target, data)
    style = config.templates_dir / STYLESHEET
    if not style.is_file():
        raise PipelineError("stylesheet not found", Location(config.rel(style)),
                            f"the renderer copies {config.templates}/{STYLESHEET} to "
                            f"output/{BUILD}/{STYLESHEET}; create it")
    emit(build / STYLESHEET, read_bytes(style, config.rel(style)))

    for staged in staging.commit():
        if facts is not None:
            with contextlib.suppress(OSError):  # gone already: nothing to know of it
                facts.record(staged.path, SHA256, staged.digest, os.stat(staged.path),
                             trusted=True)
    results = []
    for page, lang, file, is_published, withdrawn, rendered, new in rows:
        status = plan.status[(page.slug, lang.code)]
        results.append(PageResult(
            page.slug, page.path, lang.code, lang.tag, file, is_published,
            rendered, new, status.translated,
            status.outdated, status.fallback, status.total, round(status.percent, 2),
            config.completeness_threshold(lang), status.stale, status.own_started,
            round(status.covered, 2), config.keep_threshold(lang), withdrawn))
    if full:
        removed += _remove_stale(config, build, set(files), rel)
    removed += _remove_stale_sections(config, build, set(files), wanted_langs, rel)
    return RenderResult(tuple(results), tuple(files), tuple(written), tuple(removed),
                        config.rel(build))


def _section_languages(links: SiteLinks, available: Available, langs: Sequence[Lang]
                       ) -> list[tuple[Section, list[Lang]]]:
    """Every section that exists somewhere, with its languages in config order."""
    out = []
    for section in links.sections.values():
        where = available.get(("section", section.path), frozenset())
        shown = [lg for lg in langs if lg.code in where]
        if shown:
            out.append((section, shown))
    return out


def _sitemap_entries(renderer: SiteRenderer, pages: Sequence[Page], plan: _Plan,
                     languages: Sequence[Lang],
                     sections: Sequence[tuple[Section, Sequence[Lang]]] = ()
                     ) -> list[tuple[str, list[tuple[str, str]]]]:
    source = renderer.config.source_language
    entries: list[tuple[str, list[tuple[str, str]]]] = []
    index_alts = [(lg.tag, renderer.url(f"{lg.tag}/index.html")) for lg in languages]
    index_alts.append(("x-default", renderer.url("index.html")))
    entries.append((renderer.url("index.html"), index_alts))
    for lang in languages:
        entries.append((renderer.url(f"{lang.tag}/index.html"), index_alts))
    for page in pages:
        shown = plan.published[page.slug]
        alts = [(lg.tag, renderer.url(f"{lg.tag}/{page.slug}.html")) for lg in shown]
        alts.append(("x-default", renderer.url(f"{source.tag}/{page.slug}.html")))
        entries += [(renderer.url(f"{lg.tag}/{page.slug}.html"), alts) for lg in shown]
    for section, where in sections:
        alts = [(lg.tag, renderer.url(f"{lg.tag}/{section.file}")) for lg in where]
        alts.append(("x-default", renderer.url(f"{source.tag}/{section.file}")))
        entries += [(renderer.url(f"{lg.tag}/{section.file}"), alts) for lg in where]
    return entries


def _remove_stale(config: Config, build: Path, produced: set[str],
                  rel: Callable[[Path], str]) -> list[str]:
    """Pages an earlier full render wrote for a configured language that no longer exist."""
    removed = []
    for lang in config.all_languages:
        folder = build / lang.tag
        if not folder.is_dir():
            continue
        for file in sorted(folder.glob("*.html")):
            if rel(file) not in produced:
                file.unlink()
                removed.append(rel(file))
    return removed


def _remove_stale_sections(config: Config, build: Path, produced: set[str],
                           wanted: set[str], rel: Callable[[Path], str]) -> list[str]:
    """Section pages of an earlier render that no longer exist (``wanted`` languages):
    sections are rendered on every run, so what was not produced is gone."""
    removed = []
    for lang in config.all_languages:
        folder = build / lang.tag
        if lang.code not in wanted or not folder.is_dir():
            continue
        for file in sorted(folder.glob(f"*/**/{SECTION_FILE}")):
            if rel(file) not in produced:
                file.unlink()
                removed.append(rel(file))
                for empty in file.parents:  # the folders it leaves empty
                    if empty == folder or any(empty.iterdir()):
                        break
                    empty.rmdir()
    return removed


class _Paths:
    """``config.rel`` for the many files of a few folders: each folder is resolved once.

    ``config.rel`` resolves the whole path (a system call per component) on each call;
    a file that is not itself a symbolic link is its resolved folder plus its name.
    """

    def __init__(self, config: Config):
        self.config = config
        self._folders: dict[Path, str] = {}

    def rel(self, path: Path) -> str:
        try:
            link = path.is_symlink()
        except OSError:
            link = True
        return self.config.rel(path) if link else self.written(path)

    def written(self, path: Path) -> str:
        """``rel`` of a file the renderer writes: a link there is replaced by the file
        written, so the path shown is never the link's target (and is not looked up:
        5,000 ``lstat`` calls a build at 1,000 pages)."""
        return self.named(path.parent, path.name)

    def named(self, folder: Path, name: str) -> str:
        """``written(folder / name)``, without making that path (``folder`` resolved
        once)."""
        shown = self._folders.get(folder)
        if shown is None:
            shown = self._folders[folder] = self.config.rel(folder)
        return name if shown == "." else posixpath.join(shown, name)


__all__ = ["PageResult", "RenderResult", "SiteRenderer", "page_assets", "publishes",
           "render_page", "render_site", "sitemap_xml", "withdraws"]
