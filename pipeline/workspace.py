"""One build's working memory: what the stages share instead of reading or parsing again.

``build`` makes one ``Workspace`` and passes it to every stage (``ws=``); a CLI command
makes one for the stage it runs; a stage called without one (a test, a script) makes
its own for that call. There is no module-level cache of pages, catalogs or messages
anywhere in the package: what a build keeps is what its workspace holds, and it is
gone with it. (Small pure functions of a language code or a word keep an
``lru_cache``: a language's Babel data and rules, a word's syllables, the two Markdown
parsers. They hold no page, catalog or message.)
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable, Mapping, Sequence
from pathlib import Path

from pipeline.config import Config
from pipeline.infra.digests import RACY_NS, Key, stat_key
from pipeline.infra.fsutil import (
    FileStamp,
    content_digest,
    decode_utf8,
    read_bytes,
    read_bytes_stamped,
    read_bytes_stat,
    settled,
)
from pipeline.po.model import Catalog, Entry
from pipeline.po.reader import parse_po_bytes
from pipeline.text.fuzzyindex import CandidateIndex
from pipeline.text.links import SiteLinks, page_assets, site_links
from pipeline.text.messages import Messages
from pipeline.text.pages import Page, parse_page

PageKey = tuple[str, bytes]  # (path relative to the content root, digest of the text)
PageStats = dict[str, tuple[Key, bytes]]  # path → (its stat key, digest of the text read)
EntryKey = tuple[str | None, str]  # an entry's (msgctxt, msgid)


class Workspace:
    """What a build keeps in memory between its stages, and for how long.

    - **Pages**: each page's ``Page``, by its path and a digest of its text, so a page
      is parsed once per build (files are still read by every stage that loads the
      pages: a page edited meanwhile is parsed again; the folder is listed once, so a
      page added or removed meanwhile is the next build's). One per page text: those this
      build read, and those the last build's cache handed over. A ``Page`` carries the
      body's markdown-it tokens (about 30 MB for 1,000 pages) until ``release_tokens``,
      which the build calls after rendering, the only stage that reads them. The build
      cache saves the parsed pages (``parsed_pages``, without tokens) and the next
      build starts from them (``Workspace(pages=...)``). A page file is read again only
      if its stat changed since it was read (``page_file``), by this build or, through
      the cache (``page_stats``), the last: an edit re-reads one page, not the site.
    - **Catalogs**: the last parse of each ``.po``/``.pot`` file, by the path shown and a
      digest of its bytes: the stages of a build read the same catalogs (0.5 s each at
      12,000 entries). A file that changed replaces its parse: at most one per file.
      A file update wrote (or read) and remembered here is not read again until the
      catalogs are released: the check, the renderer and readability all see the very
      catalog update made, so a translator's save during the build cannot put an
      unchecked translation on a page (that save is the next build's input, as update
      finds it changed). Reading and hashing them again took 0.07-0.09 s of an edit's
      build at 1,000 pages. With each parse, its active entries by key
      (``entries_by_key``), for every ``Translations`` of it.
    - **The site's links** (``site_links``, with the files beside the pages): worked out
      once for the pages the stages load (the same ``Page`` objects), not by the
      fingerprints, the check and the renderer each (0.045 s each at 1,000 pages, and
      their resolved links shared); let go with the pages.
    - **The fuzzy-match index** of ``update``: built over the old catalog's msgids and
      shared by the languages merged from it; one at a time.
    - **Messages** (``pipeline.text.messages.Messages``): each message text's inline
      tokens, the facts the checks read of it and its plain text, bounded (least
      recently used dropped first; see there): about 30 MB of tokens for the 13,000
      texts of a 1,000-page site in 5 languages that need the parser; dropped by
      ``release_messages`` once the build's last stage that reads them is done.

    Everything held is immutable or never changed once made. A forked child
    (``pipeline.infra.workload``) works on a copy: what it adds stays in the child.
    """

    def __init__(self, pages: Mapping[PageKey, Page] | None = None,
                 page_stats: PageStats | None = None) -> None:
        self._pages: dict[PageKey, Page] = dict(pages or {})
        self._page_stats: PageStats = dict(page_stats or {})
        self._texts: dict[str, tuple[Page, bytes]] = {}  # path → last page, text digest
        # display path → the file's digest, its parse and (when update knows them) the
        # digests of its blocks, header first: a block's text is all of its entry but its
        # line, so the check's memo can go by them instead of hashing every entry again.
        self._catalogs: dict[str, tuple[bytes, Catalog, Sequence[bytes] | None]] = {}
        self._snapshot: set[str] = set()  # catalogs remembered: not read again (above)
        self._by_key: dict[str, tuple[Catalog, dict[EntryKey, Entry]]] = {}  # entries_by_key
        self._fuzzy: tuple[tuple[str, ...], CandidateIndex] | None = None
        # site_links: (config, the pages they were worked out for, held and compared by
        # identity, the links)
        self._links: tuple[Config, tuple[Page, ...], SiteLinks] | None = None
        self._page_files: tuple[Path, Path, list[tuple[Path, str]]] | None = None
        self._assets: tuple[Config, list[tuple[str, Path]]] | None = None
        self.messages = Messages()

    # --- pages ------------------------------------------------------------------------

    def page(self, text: str, path: str) -> Page:
        """The ``Page`` of ``text``, the content of the page file ``path``."""
        return self._page(text, path)[0]

    def _page(self, text: str, path: str) -> tuple[Page, bytes]:
        key = (path, content_digest(text.encode("utf-8", "surrogatepass")))
        page = self._pages.get(key)
        if page is None:
            page = self._pages[key] = parse_page(text, path)
        self._texts[path] = (page, key[1])
        return page, key[1]

    def text_digest(self, page: Page) -> bytes | None:
        """The digest of the text ``page`` was parsed from, when it is the last page
        handed out for its path (the build's fingerprints need not read the file again)."""
        known = self._texts.get(page.path)
        return known[1] if known is not None and known[0] is page else None

    def page_file(self, file: Path, path: str) -> Page:
        """The ``Page`` of the page file ``file`` (``path`` as shown), read only if its
        stat (inode, size, mtime, ctime) is not the one of a read known here: git's
        index rule (``pipeline.infra.digests``), racy files included (a read less than
        ``RACY_NS`` after the file's last change is not remembered)."""
        known = self._page_stats.get(path)
        if known is not None:
            page = self._pages.get((path, known[1]))
            try:
                same = page is not None and stat_key(os.stat(file)) == known[0]
            except OSError:  # gone meanwhile: the read below says so
                same = False
            if same and page is not None:
                self._texts[path] = (page, known[1])
                return page
        data, info = read_bytes_stat(file, path)
        page, text_digest = self._page(decode_utf8(data, path), path)
        if settled(info, RACY_NS):
            self._page_stats[path] = (stat_key(info), text_digest)
        else:
            self._page_stats.pop(path, None)
        return page

    def page_files(self, pages_dir: Path, root: Path) -> list[tuple[Path, str]] | None:
        """The page files listed under ``pages_dir`` (``remember_page_files``), if known."""
        known = self._page_files
        return known[2] if known is not None and known[:2] == (pages_dir, root) else None

    def remember_page_files(self, pages_dir: Path, root: Path,
                            files: list[tuple[Path, str]]) -> list[tuple[Path, str]]:
        """``files`` (each file and its path as shown) are the pages under ``pages_dir``
        until the pages are let go: the stages of a build list the folder once (its
        rglob and a link test per file took 0.025 s a stage at 1,000 pages)."""
        self._page_files = (pages_dir, root, files)
        return files

    def page_stats(self, pages: Iterable[Page]) -> PageStats:
        """What ``page_file`` knows of ``pages``' files, for a later build's
        ``Workspace(page_stats=...)`` (with ``parsed_pages``)."""
        return {page.path: self._page_stats[page.path] for page in pages
                if page.path in self._page_stats}

    def parsed_pages(self, pages: Iterable[Page]) -> dict[PageKey, Page]:
        """The parses of ``pages``, for a later build's ``Workspace(pages=...)``."""
        wanted = {id(page) for page in pages}
        return {key: page for key, page in self._pages.items() if id(page) in wanted}

    def release_tokens(self) -> None:
        """Drop the pages' markdown-it tokens (parsed again if anyone asks)."""
        for page in self._pages.values():
            page.tokens.release()

    def release_pages(self) -> None:
        """Drop the parsed pages and what is known of their files (the build does once
        its last stage that reads a page is done and the cache holds them); read and
        parsed again if anyone asks."""
        self._pages = {}
        self._page_stats = {}
        self._texts = {}
        self._links = self._assets = self._page_files = None

    def site_links(self, config: Config, pages: Sequence[Page]) -> SiteLinks:
        """``site_links`` of ``pages`` and the files beside them (``page_assets``), worked
        out once for the same config and the very same pages."""
        known = self._links
        if (known is not None and known[0] is config and len(known[1]) == len(pages)
                and all(a is b for a, b in zip(known[1], pages, strict=True))):
            return known[2]
        links = site_links(config, pages, [name for name, _ in self.page_assets(config)])
        self._links = (config, tuple(pages), links)
        return links

    def page_assets(self, config: Config) -> list[tuple[str, Path]]:
        """``page_assets``, listed once (until the pages are let go)."""
        if self._assets is None or self._assets[0] is not config:
            self._assets = (config, page_assets(config))
        return list(self._assets[1])

    def release_messages(self) -> None:
        """Drop the messages' parses, facts and plain texts (the build does once its
        last stage that reads them is done); parsed again if anyone asks."""
        self.messages = Messages()

    # --- catalogs ---------------------------------------------------------------------

    def release_catalogs(self, keep: Collection[str] = ()) -> None:
        """Drop the parsed catalogs but those shown as ``keep``, and the fuzzy index (the
        build does once its last stage that reads them is done); read and parsed again
        if anyone asks."""
        self._catalogs = {display: known for display, known in self._catalogs.items()
                          if display in keep}
        self._snapshot &= set(self._catalogs)
        self._by_key = {path: known for path, known in self._by_key.items() if path in keep}
        self._fuzzy = None

    def read_po(self, file: Path, display: str) -> Catalog:
        """``pipeline.po.read_po``, parsing a file only if its bytes are new here; a file
        remembered (``remember_catalog``) is not read at all."""
        if display in self._snapshot:
            return self._catalogs[display][1]
        return self._catalog(read_bytes(file, display), display)

    def read_po_stamped(self, file: Path, display: str) -> tuple[Catalog, FileStamp]:
        """``pipeline.po.read_po_stamped``, parsing a file only if its bytes are new here."""
        data, stamp = read_bytes_stamped(file, display)
        return self._catalog(data, display), stamp

    def parse_po(self, data: bytes, display: str) -> Catalog:
        """``pipeline.po.parse_po_bytes``, parsing ``data`` only if it is new here."""
        return self._catalog(data, display)

    def remember_catalog(self, display: str, data: bytes, catalog: Catalog,
                         digest: bytes | None = None,
                         blocks: Sequence[bytes] | None = None) -> None:
        """``catalog`` is what ``parse_po_bytes(data, display)`` gives: the next read of
        a file holding ``data`` returns it without parsing. ``digest``: the caller's
        ``content_digest(data)``, if it has it (a catalog is megabytes to hash again).
        ``blocks``: ``block_digest`` of each of ``data``'s blocks, header first, if known."""
        if blocks is not None and len(blocks) != len(catalog.entries) + 1:
            blocks = None
        self._catalogs[display] = (digest or content_digest(data), catalog, blocks)
        self._snapshot.add(display)

    def entries_by_key(self, catalog: Catalog) -> Mapping[EntryKey, Entry]:
        """``catalog``'s active entries by key, made once per parse: the fingerprints,
        the renderer and readability each hold a ``Translations`` of every language
        (50,000 entries indexed three times took 0.04 s of an edit's build)."""
        known = self._by_key.get(catalog.path)
        if known is None or known[0] is not catalog:
            known = self._by_key[catalog.path] = (catalog, {e.key: e for e in catalog.active})
        return known[1]

    def catalog_digest(self, catalog: Catalog) -> bytes | None:
        """``content_digest`` of the bytes ``catalog`` was parsed from, when it is the
        parse known here for its file; else None."""
        known = self._catalogs.get(catalog.path)
        return known[0] if known is not None and known[1] is catalog else None

    def block_digests(self, catalog: Catalog) -> Sequence[bytes] | None:
        """The digests of ``catalog``'s blocks in its file, header first, when update
        remembered them with this very parse; else None."""
        known = self._catalogs.get(catalog.path)
        return known[2] if known is not None and known[1] is catalog else None

    def _catalog(self, data: bytes, display: str) -> Catalog:
        known = self._catalogs.get(display)
        digest = content_digest(data)
        if known is not None and known[0] == digest:
            return known[1]
        catalog = parse_po_bytes(data, display)
        self._catalogs[display] = (digest, catalog, None)
        self._snapshot.discard(display)
        return catalog

    # --- update's fuzzy matching ------------------------------------------------------

    def fuzzy_index(self, msgids: tuple[str, ...]) -> CandidateIndex:
        """The candidate index over ``msgids``, reused while the same old catalog is
        merged into another language."""
        if self._fuzzy is None or self._fuzzy[0] != msgids:
            self._fuzzy = (msgids, CandidateIndex(msgids))
        return self._fuzzy[1]


__all__ = ["PageKey", "PageStats", "Workspace"]
