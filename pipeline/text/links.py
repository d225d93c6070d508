"""Links between the pages of the site: pages + config → where every link leads.

Input: the pages (their body links, breadcrumbs and parent links), the files kept beside
them and ``external_paths``. Output: ``SiteLinks``, which answers for any link of a page
its ``Target`` (a page, a section, the language's home, a file, a URL kept as written,
or nothing: dead), and lists the *sections* the breadcrumbs name. The render stage
writes a target's address in the reader's language; the check stage reports the dead
ones (``link-dead``). Nothing here depends on a language or on which pages are
published: that is the render stage's plan.

What a link in a page may name:

- another page: its Markdown file, relative to the linking page (``other.md``,
  ``../topics/other.md#part``);
- the home page: ``/`` (the language's index of pages);
- a section: a root-relative path that a breadcrumb or ``parent`` link names
  (``/what-we-do/``): the pipeline generates a page listing what is in it;
- a file kept beside the pages, relative to the pages folder (``images/map.png``), as
  the renderer copies it into every language's folder;
- a path the wider site serves (``external_paths``), a URL with a scheme
  (``https:``, ``mailto:``, ``tel:``), a ``//host`` URL or a ``#part`` of the page:
  kept as written.

A URL under ``base_url`` is read as the root-relative path it names.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Literal
from urllib.parse import unquote

from pipeline.config import Config
from pipeline.errors import PipelineError
from pipeline.models import Finding, Location, frozen_details
from pipeline.text.pages import Link, Page, Text

Kind = Literal["page", "section", "home", "file", "kept", "dead"]
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
# A section's path: lower-case segments like slugs (it names folders of the output).
_SECTION = re.compile(r"^/(?:[a-z0-9]+(?:[-_][a-z0-9]+)*/)+$")
SECTION_FILE = "index.html"


@dataclass(frozen=True, slots=True)
class Target:
    """Where one link leads."""

    kind: Kind
    key: str = ""  # page slug, section path, file path under the pages folder; "kept": the URL
    suffix: str = ""  # the link's "?query" and "#fragment", kept
    problem: str = ""  # "dead": what is missing
    hint: str = ""

    @property
    def file(self) -> str:
        """The target's file relative to a language's folder (pages, sections, home, files)."""
        if self.kind == "page":
            return f"{self.key}.html"
        if self.kind == "section":
            return section_file(self.key)
        if self.kind == "home":
            return "index.html"
        return self.key


@dataclass(frozen=True, slots=True)
class Section:
    """A section the breadcrumbs name: a generated page that lists what is in it."""

    path: str  # "/what-we-do/specialties/"
    label: Text  # its name, as the first page that names it writes it
    page: str  # that page's file, where ``label`` is
    trail: tuple[Link, ...]  # the links before it on that page's breadcrumb: its own trail
    children: tuple[Target, ...]  # sections and pages directly under it, in page order
    members: tuple[str, ...]  # slugs of the pages that name it: it exists where one does

    @property
    def file(self) -> str:
        return section_file(self.path)

    @property
    def location(self) -> Location:
        return Location(self.page, self.label.line)


def section_file(path: str) -> str:
    return f"{path.strip('/')}/{SECTION_FILE}"


@dataclass(frozen=True, slots=True)
class SiteLinks:
    """Every page and section of the site, and how a link resolves among them."""

    base_url: str
    external: tuple[str, ...]
    pages: Mapping[str, Page]  # by file, relative to the content root
    pages_folder: str  # relative to the content root
    files: frozenset[str]  # files beside the pages, relative to the pages folder
    sections: Mapping[str, Section] = field(default_factory=dict)
    by_slug: Mapping[str, Page] = field(default_factory=dict)
    # Each (page file, href) resolved once: render resolves a page's links in every
    # language, and the checks and section building do too (90,000 calls on 1,000 pages).
    _resolved: dict[tuple[str, str], Target] = field(default_factory=dict, init=False,
                                                     repr=False, compare=False)

    def resolve(self, page: Page, href: str) -> Target:
        """Where ``href``, written in ``page``, leads."""
        key = (page.path, href)
        target = self._resolved.get(key)
        if target is None:
            target = self._resolved[key] = self._resolve(page, href)
        return target

    def _resolve(self, page: Page, href: str) -> Target:
        if not href or href.startswith("#"):
            return Target("kept", href)
        if href.startswith(self.base_url):
            href = "/" + href[len(self.base_url):]
        if _SCHEME.match(href) or href.startswith("//"):
            return Target("kept", href)
        cut = min((i for i in (href.find("?"), href.find("#")) if i >= 0), default=len(href))
        path, suffix = unquote(href[:cut]), href[cut:]
        if not path:  # "?query": this page
            return Target("kept", href)
        if path.startswith("/"):
            return self._site_path(path, href, suffix)
        return self._relative(page, path, suffix)

    def _site_path(self, path: str, href: str, suffix: str) -> Target:
        if path == "/":
            return Target("home", suffix=suffix)
        if self.is_external(path):
            return Target("kept", href)
        folder = path if path.endswith("/") else path + "/"
        if folder in self.sections:
            return Target("section", folder, suffix)
        return Target(
            "dead", path, suffix, f"no page or section of the site is at {path}",
            "link a page by its file (other-page.md); if the wider site serves "
            f"{path}, list it in external_paths in the configuration")

    def _relative(self, page: Page, path: str, suffix: str) -> Target:
        pages_prefix = self.pages_folder.rstrip("/") + "/"
        if path.endswith(".md"):
            file = posixpath.normpath(posixpath.join(posixpath.dirname(page.path), path))
            target = self.pages.get(file)
            if target is not None:
                return Target("page", target.slug, suffix)
            return Target("dead", path, suffix, f"no page file {file}",
                          f"link an existing page by its file, relative to {page.path}")
        name = posixpath.normpath(path)
        if name in self.files:
            return Target("file", name, suffix)
        slug = name.removesuffix(".html")
        hint = f"keep the file in {pages_prefix} and link it relative to that folder"
        if slug in self.by_slug:
            hint = ("link the page by its Markdown file, relative to this page, e.g. "
                    f"{slug}.md: each language gets its own address")
        return Target("dead", path, suffix, f"no file {pages_prefix}{name}", hint)

    def is_external(self, path: str) -> bool:
        """Whether ``path`` (root-relative) is one the wider site serves."""
        plain = path.rstrip("/")
        for declared in self.external:
            if declared.endswith("*"):
                if path.startswith(declared[:-1]):
                    return True
            elif plain == declared.rstrip("/"):
                return True
        return False

    def trail(self, page: Page) -> list[tuple[Link, Target]]:
        """The page's breadcrumb and parent link with their targets, parent last."""
        out = [(link, self.resolve(page, link.href)) for link in page.breadcrumb]
        if page.parent is not None:
            out.append((page.parent, self.resolve(page, page.parent.href)))
        return out

    def targets(self, page: Page) -> list[Target]:
        """Every link target of ``page``: body, breadcrumb and parent link."""
        return ([self.resolve(page, link.href) for link in page.links]
                + [target for _, target in self.trail(page)])


def page_assets(config: Config) -> list[tuple[str, Path]]:
    """Files beside the pages: (path under the pages folder, file).

    Each is copied into every language's folder, so ``![…](images/face.png)`` in a page
    works the same in every language. Markdown and hidden files are not assets; a
    symbolic link that leads out of the content root is refused, as for pages.
    """
    root = config.root.resolve()
    found: list[tuple[str, Path]] = []
    if not config.pages_dir.is_dir():
        return found
    for file in sorted(config.pages_dir.rglob("*")):
        name = file.relative_to(config.pages_dir).as_posix()
        if file.suffix == ".md" or any(part.startswith(".") for part in name.split("/")) \
                or not file.is_file():
            continue
        if not file.resolve().is_relative_to(root):
            raise PipelineError(
                f"is a symbolic link that leads outside the content root, to {file.resolve()}",
                Location(config.rel(file)),
                "replace the link with the file itself: the pipeline reads and writes only "
                "inside the content root")
        found.append((name, file))
    return found


def site_links(config: Config, pages: Sequence[Page], files: Sequence[str] = ()) -> SiteLinks:
    """The site's links: ``pages`` and the ``files`` beside them (``page_assets`` names)."""
    links = SiteLinks(config.base_url, config.external_paths, {p.path: p for p in pages},
                      config.pages, frozenset(files), {}, {p.slug: p for p in pages})
    # A root-relative path a breadcrumb or parent link names is a section (unless the
    # wider site serves it); what follows it on a trail is in it.
    # A section takes its name and its own trail from the first breadcrumb (pages in
    # path order) that names it; from a parent link only when no breadcrumb does.
    named: dict[str, tuple[Text, str, tuple[Link, ...]]] = {}
    by_parent: dict[str, tuple[Text, str, tuple[Link, ...]]] = {}
    # Ordered sets (dicts): a section may hold thousands of pages.
    children: dict[str, dict[Target, None]] = {}
    members: dict[str, dict[str, None]] = {}
    for page in pages:
        trail = [(link, _section_path(links, page, link.href)) for link in page.breadcrumb]
        for index, (link, path) in enumerate(trail):
            if path is not None and path not in named:
                named[path] = (link.label, page.path, tuple(page.breadcrumb[:index]))
        parent = page.parent
        parent_path = _section_path(links, page, parent.href) if parent else None
        if parent is not None and parent_path is not None:
            by_parent.setdefault(parent_path, (parent.label, page.path, ()))
        chain = [path for _, path in trail]
        for above, below in pairwise(chain):
            if above is not None and below is not None:
                children.setdefault(above, {})[Target("section", below)] = None
        last = [chain[-1]] if chain else []
        for path in dict.fromkeys([*last, parent_path]):
            if path is not None:
                children.setdefault(path, {})[Target("page", page.slug)] = None
        for path in dict.fromkeys([*chain, parent_path]):
            if path is not None:
                members.setdefault(path, {})[page.slug] = None
    for path, naming in by_parent.items():
        named.setdefault(path, naming)
    sections = {path: Section(path, label, where, trail, tuple(children.get(path, ())),
                              tuple(members.get(path, ())))
                for path, (label, where, trail) in named.items()}
    return SiteLinks(links.base_url, links.external, links.pages, links.pages_folder,
                     links.files, sections, {p.slug: p for p in pages})


def _section_path(links: SiteLinks, page: Page, href: str) -> str | None:
    """The section a trail link names, or None (a page, home, a kept URL, or dead)."""
    target = links.resolve(page, href)
    if target.kind != "dead" or not target.key.startswith("/"):
        return None
    folder = target.key if target.key.endswith("/") else target.key + "/"
    return folder if _SECTION.match(folder) else None


def dead_links(links: SiteLinks) -> Iterator[Finding]:
    """A ``link-dead`` finding for every link of every page that leads nowhere."""
    for page in links.pages.values():
        found = [(link.href, link.line) for link in page.links]
        found += [(link.href, link.line) for link, _ in links.trail(page)]
        for href, line in found:
            target = links.resolve(page, href)
            if target.kind != "dead":
                continue
            yield Finding(
                code="link-dead", severity="error",
                message=f'the link "{href}" leads nowhere: {target.problem}',
                location=page.location(line), hint=target.hint,
                details=frozen_details(url=href, page=page.slug))


__all__ = ["Section", "SiteLinks", "Target", "dead_links", "page_assets", "section_file",
           "site_links"]
