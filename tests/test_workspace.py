"""The workspace: what a build keeps, parsed once per build, and nothing kept beyond it."""

from __future__ import annotations

import hashlib
import os
import pickle
import re
import shutil
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from conftest import ROOTS
from hypothesis import example, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token

import pipeline.build
from pipeline import workspace
from pipeline.build import build
from pipeline.config import load_config
from pipeline.infra.fsutil import read_bytes_stat
from pipeline.po.blocks import BlockIndex, read_blocks, read_blockwise
from pipeline.po.model import Catalog
from pipeline.po.reader import parse_po_bytes
from pipeline.stages import update
from pipeline.stages.render import render_site
from pipeline.text import pages as pages_module
from pipeline.text.links import page_assets, site_links
from pipeline.text.markup import prepare_body
from pipeline.text.messages import Messages
from pipeline.text.pages import Page, inline_message, load_pages, markdown, parse_page
from pipeline.text.translations import Translations

MakeRoot = Callable[[str], Path]

T = TypeVar("T")


def _digest(data: str | bytes) -> str:
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    return hashlib.sha256(raw).hexdigest()


def test_a_build_parses_each_page_catalog_and_message_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "site"
    shutil.copytree(ROOTS / "build-site", root)
    pages: Counter[tuple[str, str]] = Counter()
    catalogs: Counter[tuple[str, str]] = Counter()
    bodies: Counter[str] = Counter()
    inline: Counter[tuple[bool, str]] = Counter()
    real_page, real_po = parse_page, parse_po_bytes  # what the workspace calls
    real_parse, real_inline = MarkdownIt.parse, MarkdownIt.parseInline

    def parse_page_counted(text: str, path: str) -> Page:
        pages[(path, _digest(text))] += 1
        return real_page(text, path)

    def parse_po_counted(data: bytes, display: str) -> Catalog:
        catalogs[(display, _digest(data))] += 1
        return real_po(data, display)

    real_blockwise = read_blockwise  # what update calls

    def blockwise_counted(data: bytes, display: str,
                          before: tuple[Catalog, BlockIndex] | None
                          ) -> tuple[Catalog, BlockIndex] | None:
        read = real_blockwise(data, display, before)
        if read is not None:  # update reads the template block by block
            catalogs[(display, _digest(data))] += 1
        return read

    real_blocks = read_blocks

    def blocks_counted(blocks: list[str], display: str,
                       before: tuple[Catalog, BlockIndex] | None
                       ) -> tuple[Catalog, BlockIndex] | None:
        read = real_blocks(blocks, display, before)
        if read is not None:  # and each catalog, from the blocks of its file
            catalogs[(display, _digest(("\n\n".join(blocks) + "\n").encode()))] += 1
        return read

    def parse_counted(md: MarkdownIt, src: str, env: Any = None) -> list[Token]:
        bodies[src] += 1
        return real_parse(md, src, env)

    def inline_counted(md: MarkdownIt, src: str, env: Any = None) -> list[Token]:
        inline[(bool(md.options["html"]), src)] += 1
        return real_inline(md, src, env)

    links: list[int] = []
    assets: list[int] = []
    listed: list[int] = []
    monkeypatch.setattr(pages_module, "_page_files", _noting(listed, pages_module._page_files))
    monkeypatch.setattr(workspace, "site_links", _noting(links, site_links))
    monkeypatch.setattr(workspace, "page_assets", _noting(assets, page_assets))
    monkeypatch.setattr(workspace, "parse_page", parse_page_counted)
    monkeypatch.setattr(workspace, "parse_po_bytes", parse_po_counted)
    monkeypatch.setattr(update, "parse_po_bytes", parse_po_counted)  # what it replaces
    monkeypatch.setattr(update, "read_blockwise", blockwise_counted)
    monkeypatch.setattr(update, "read_blocks", blocks_counted)
    monkeypatch.setattr(MarkdownIt, "parse", parse_counted)
    monkeypatch.setattr(MarkdownIt, "parseInline", inline_counted)
    spaces: list[workspace.Workspace] = []

    released: list[Page] = []

    class Recorded(workspace.Workspace):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            spaces.append(self)

        def release_pages(self) -> None:
            released.extend(self._pages.values())
            super().release_pages()

    monkeypatch.setattr(pipeline.build, "Workspace", Recorded)
    result = build(load_config(root), defer_a11y=True)
    assert result.verdict == "deferred"
    # Rendered, then dropped: the build holds no page's tokens after the renderer, and
    # no page at all once readability, the last stage that reads one, is done.
    assert released and not any(page.tokens.held for page in released)
    assert not spaces[0]._pages
    page_files = list((root / "source/pages").rglob("*.md"))
    assert len(pages) == len(page_files) and set(pages.values()) == {1}
    # Every catalog and the template: read by several stages, each version parsed once
    # (a catalog update rewrote is a new version).
    assert {display for display, _ in catalogs} == {
        "locales/messages.pot", "locales/es/LC_MESSAGES/messages.po",
        "locales/fr/LC_MESSAGES/messages.po"}
    assert set(catalogs.values()) == {1}
    # A page body by its one parse (the renderer uses its tokens); a message's block
    # structure ("x\n" + text) once; a message's inline Markdown once.
    assert bodies and set(bodies.values()) == {1}
    assert inline and set(inline.values()) == {1}
    # The site's links and the files beside the pages: worked out once, for the
    # fingerprints, the check and the renderer.
    assert (len(links), len(assets)) == (1, 1)
    assert len(listed) == 1  # the pages folder: listed once, by extract

    # The next build starts from the parsed pages and catalogs the build cache kept:
    # none is parsed.
    pages.clear()
    catalogs.clear()
    build(load_config(root), defer_a11y=True)
    assert not pages
    assert not catalogs


def test_the_page_keeps_its_tokens_and_an_index_from_block_to_token() -> None:
    page = parse_page(
        "---\ntitle: T\nslug: t\n---\n\n# Title\n\n- one\n- two **bold**\n\n"
        "![](/deco.png)\n\n![A map](/map.png \"Map\")\n\n| a | b |\n|---|---|\n| c | d |\n",
        "p.md")
    tokens = page.tokens.get()
    assert [t.type for t in tokens] == [t.type for t in markdown(True).parse(page.body)]
    assert len(page.block_tokens) == len(page.blocks)
    for block, index in zip(page.blocks, page.block_tokens, strict=True):
        run = tokens[index]
        assert run.type == "inline"
        assert page.body_line + (run.map or [0])[0] == block.line
        if not block.kind.startswith("image-"):
            assert inline_message(run.content) == block.msgid
    # The map's alt text and title are two messages of one run; the decorative image
    # has none, and its line is kept for the renderer.
    alt, title = (i for i, b in enumerate(page.blocks) if b.kind.startswith("image-"))
    assert page.block_tokens[alt] == page.block_tokens[title]
    (bare, line), = page.bare_runs
    children = tokens[bare].children
    assert children and children[0].type == "image"
    assert line == page.body_line + 6


def _snapshot(tokens: tuple[Token, ...]) -> list[Any]:
    return [(t.type, t.tag, dict(t.attrs), t.hidden, t.block, t.content,
             [(c.type, dict(c.attrs), c.content) for c in t.children or []]) for t in tokens]


def test_rendering_leaves_the_pages_tokens_as_parsed(make_root: MakeRoot) -> None:
    """The renderer copies what it changes (link targets, tight-list paragraphs, table
    alignment, data-src): the page's parse serves every language and every render."""
    root = make_root("render-mini")
    config = load_config(root)
    ws = workspace.Workspace()
    pages = load_pages(config.pages_dir, root, ws)
    before = {p.path: _snapshot(p.tokens.get()) for p in pages}
    first = {p.path: prepare_body(p, lambda href: {"href": "x/" + href}) for p in pages}
    render_site(config, ws=ws)
    assert {p.path: _snapshot(p.tokens.get()) for p in pages} == before
    again = {p.path: prepare_body(p, lambda href: {"href": "x/" + href}) for p in pages}
    assert again == first


def test_tokens_without_attributes_share_one_read_only_mapping() -> None:
    page = parse_page("---\ntitle: T\nslug: t\n---\n\n# Title\n\nA [link](/a/) *b*.\n",
                      "p.md")
    tokens = page.tokens.get()
    plain = [t for t in tokens if not t.attrs] + [
        c for t in tokens for c in t.children or [] if not c.attrs]
    assert len(plain) > 3 and len({id(t.attrs) for t in plain}) == 1
    assert len({id(t.meta) for t in tokens if not t.meta}) == 1
    with pytest.raises(TypeError, match="copy the token"):
        plain[0].attrs["class"] = "x"  # would change every token without attributes
    assert not plain[0].attrs
    link = next(c for c in tokens[4].children or [] if c.type == "link_open")
    assert link.attrs == {"href": "/a/"}  # a token's own attributes are its own
    assert pickle.loads(pickle.dumps(plain[0])).attrs == {}  # a plain dict once pickled


def test_pickled_pages_leave_their_tokens_behind() -> None:
    page = parse_page("---\ntitle: T\nslug: t\n---\n\n# Title\n\nA [link](/a/).\n", "p.md")
    bytes_with_tokens = len(pickle.dumps(page.tokens.get()))
    back = pickle.loads(pickle.dumps(page))
    assert back == page
    assert len(pickle.dumps(page)) < bytes_with_tokens
    assert _snapshot(back.tokens.get()) == _snapshot(page.tokens.get())
    page.tokens.release()
    assert _snapshot(page.tokens.get()) == _snapshot(back.tokens.get())  # parsed again


def test_a_catalog_is_parsed_again_only_when_its_bytes_change(
        make_root: MakeRoot, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_root("translated")
    path = next((root / "locales").rglob("*.po"))
    ws = workspace.Workspace()
    first = ws.read_po(path, "x.po")
    assert ws.read_po(path, "x.po") is first
    assert ws.read_po_stamped(path, "x.po")[0] is first
    path.write_bytes(path.read_bytes() + b'\nmsgid "new"\nmsgstr ""\n')
    changed = ws.read_po(path, "x.po")
    assert changed is not first and changed.entries[-1].msgid == "new"
    assert workspace.Workspace().read_po(path, "x.po") is not changed  # nothing global


def test_a_catalog_update_remembered_is_the_builds_until_released(
        make_root: MakeRoot) -> None:
    """What update wrote and remembered is what every later stage of the build reads,
    even if a translator saves the file meanwhile; once the catalogs are released, the
    file as saved."""
    root = make_root("translated")
    path = next((root / "locales").rglob("*.po"))
    data = path.read_bytes()
    ws = workspace.Workspace()
    written = ws.parse_po(data, "x.po")
    ws.remember_catalog("x.po", data, written)
    path.write_bytes(data + b'\nmsgid "saved meanwhile"\nmsgstr ""\n')
    assert ws.read_po(path, "x.po") is written
    assert ws.read_po_stamped(path, "x.po")[0].entries[-1].msgid == "saved meanwhile"
    assert ws.read_po(path, "x.po").entries[-1].msgid == "saved meanwhile"  # read now
    ws.remember_catalog("x.po", data, written)
    ws.release_catalogs()
    assert ws.read_po(path, "x.po").entries[-1].msgid == "saved meanwhile"


def test_released_catalogs_are_parsed_again_but_those_kept(make_root: MakeRoot) -> None:
    root = make_root("translated")
    first, second = sorted((root / "locales").rglob("*.po"))[:2]
    ws = workspace.Workspace()
    kept, dropped = ws.read_po(first, "a.po"), ws.read_po(second, "b.po")
    ws.release_catalogs(keep=("a.po",))
    assert ws.read_po(first, "a.po") is kept
    again = ws.read_po(second, "b.po")
    assert again is not dropped and again.entries == dropped.entries


# Text that is mostly plain, with now and then a character that may start Markdown.
TEXT = st.text(st.one_of(st.sampled_from("abc XYZ éü 中文 عربي.,;'?\"()/|#-+=%$@{}~:>^"),
                         st.characters(codec="utf-8")), max_size=40)


def _shape(tokens: Any) -> list[Any]:
    return [(t.type, t.tag, t.nesting, dict(t.attrs), t.content, t.markup, t.info,
             _shape(t.children or [])) for t in tokens]


@settings(max_examples=500, deadline=None)
@given(text=TEXT)
@example(text="50 % of {name} - #1 ~ a: b > c")
@example(text="")
@example(text=" spaces ")
@example(text="<b>bold</b> [x](/y/)")
def test_a_messages_parse_is_markdown_its_own(text: str) -> None:
    """The shortcut for texts no inline rule can start in, and one parse for both HTML
    settings where the text has no "<", give exactly markdown-it's tokens."""
    messages = Messages()
    for html in (False, True):
        parsed = markdown(html).parseInline(text)
        expected = parsed[0].children or [] if parsed else []
        assert _shape(messages.tokens(text, html)) == _shape(expected)


@settings(max_examples=300, deadline=None)
@given(text=TEXT)
@example(text="[Contact us](/contact/) <b>now</b> `code`\nnext  \nline")
def test_plain_text_reads_the_html_parse(text: str) -> None:
    out = []
    for token in markdown(True).parseInline(text):
        for child in token.children or []:
            if child.type in ("text", "code_inline"):
                out.append(child.content)
            elif child.type in ("softbreak", "hardbreak"):
                out.append(" ")
    assert Messages().plain(text) == re.sub(r"\s+", " ", "".join(out)).strip()


@settings(max_examples=200, deadline=None)
@given(text=TEXT)
@example(text="see <b>this</b> [link](/a/)")
def test_plain_text_is_the_same_after_any_parse(text: str) -> None:
    """Kept from the checks' or the renderer's parse, the plain text is the one parsed for
    it alone."""
    alone = Messages().plain(text)
    after_checks = Messages()
    after_checks.facts(text)
    assert after_checks.plain(text) == alone
    after_render = Messages()
    after_render.tokens(text, True)
    assert after_render.plain(text) == alone


def test_plain_text_outlasts_the_parse_it_came_from(monkeypatch: pytest.MonkeyPatch) -> None:
    """Readability asks for plain texts after the checks and the renderer: at 5,000 pages
    their parses are pushed out of the tokens' bound by then, and every text was parsed
    again. The plain text, kept from the first parse, needs none."""
    monkeypatch.setattr("pipeline.text.messages.KEPT_TOKENS", 2)
    messages = Messages()
    texts = ["[Contact us](/contact/) *now*", "Call <b>911</b> [now](/help/)"]
    for text in texts:
        messages.facts(text)  # as the checks read them
    for n in range(10):
        messages.tokens(f"*other {n}*")  # pushes both parses out
    expected = [Messages().plain(text) for text in texts]

    def no_parse(html: bool) -> None:
        raise AssertionError("parsed again")

    monkeypatch.setattr("pipeline.text.messages.markdown", no_parse)
    assert [messages.plain(text) for text in texts] == expected == [
        "Contact us now", "Call 911 now"]


def test_a_source_texts_facts_outlast_a_catalogs_translations(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The checks read a msgid's facts again in the next language, after every
    translation of the one before: those facts are kept apart, under their own bound."""
    monkeypatch.setattr("pipeline.text.messages.KEPT_FACTS", 2)
    monkeypatch.setattr("pipeline.text.messages.KEPT_SOURCE_FACTS", 3)
    messages = Messages()
    sources = ["[Contact us](/contact/)", "*Rest* often.", "Call 911."]
    first = [messages.source_facts(text) for text in sources]
    for n in range(50):  # a language's translations
        messages.facts(f"[Contáctenos {n}](/contact/)")
    assert all(messages.source_facts(text) is facts for text, facts in zip(
        sources, first, strict=True))
    assert first[0].links == ("/contact/",) and first[0] == Messages().facts(sources[0])
    messages.source_facts("*a fourth*")  # the bound holds
    assert messages.source_facts(sources[0]) is not first[0]
    messages.release_facts()
    assert messages.source_facts(sources[2]) is not first[2]


def test_plain_texts_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("pipeline.text.messages.KEPT_PLAIN", 3)
    messages = Messages()
    for n in range(10):
        assert messages.plain(f"*text {n}*") == f"text {n}"
    assert len(messages._plains) == 3


def _noting(calls: list[int], real: Callable[..., T]) -> Callable[..., T]:
    """``real``, noting each call in ``calls``."""
    def noted(*args: Any) -> T:
        calls.append(1)
        return real(*args)
    return noted


def _reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The page files read from here on (``Workspace.page_file``'s reads)."""
    read: list[str] = []
    real = read_bytes_stat  # what the workspace calls

    def counting(file: Path, display: str) -> tuple[bytes, Any]:
        read.append(display)
        return real(file, display)

    monkeypatch.setattr(workspace, "read_bytes_stat", counting)
    return read


def _edit_keeping_size_and_mtime(page: Path, old: str, new: str) -> None:
    """An edit that leaves the size and the mtime as they were: only the ctime tells."""
    assert len(old.encode()) == len(new.encode())
    before = page.stat()
    page.write_text(page.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
    os.utime(page, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = page.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)


def test_a_page_file_is_read_again_only_when_its_stat_changes(
        make_root: MakeRoot, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_root("build-site")
    config = load_config(root)
    read = _reads(monkeypatch)
    ws = workspace.Workspace()
    first = load_pages(config.pages_dir, root, ws)
    assert sorted(read) == sorted(p.path for p in first)
    # Just written (the copy): a read less than RACY_NS after the last change is not
    # remembered, as a second write within the same clock tick could look the same.
    read.clear()
    assert load_pages(config.pages_dir, root, ws) == first
    assert sorted(read) == sorted(p.path for p in first)
    assert ws.page_stats(first) == {}

    monkeypatch.setattr(workspace, "RACY_NS", 0)  # as if the files were older
    load_pages(config.pages_dir, root, ws)
    read.clear()
    assert load_pages(config.pages_dir, root, ws) == first and read == []
    # The next build's workspace, from the build cache: nothing read either.
    saved = pickle.loads(pickle.dumps((ws.parsed_pages(first), ws.page_stats(first))))
    assert load_pages(config.pages_dir, root, workspace.Workspace(*saved)) == first
    assert read == []
    # Edited in place with the size and mtime put back: the ctime moved, read again.
    page = root / "source/pages/dry-eye.md"
    _edit_keeping_size_and_mtime(page, "Eye drops can help.", "Eye drops may help.")
    again = load_pages(config.pages_dir, root, workspace.Workspace(*saved))
    assert read == ["source/pages/dry-eye.md"]
    assert again == load_pages(config.pages_dir, root, workspace.Workspace())
    edited = next(p for p in again if p.path == "source/pages/dry-eye.md")
    assert any("Eye drops may help." in b.msgid for b in edited.blocks)


def test_a_page_edited_keeping_size_and_mtime_builds_as_a_cold_build(
        make_root: MakeRoot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The build cache's page stats: a build after such an edit gives a cold build's
    output (pages, catalogs, reports)."""
    root = make_root("build-site")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    monkeypatch.setattr(workspace, "RACY_NS", 0)  # the copy's files count as old
    build(load_config(root), defer_a11y=True)
    read = _reads(monkeypatch)
    build(load_config(root), defer_a11y=True)
    assert read == []  # nothing changed: no page read
    _edit_keeping_size_and_mtime(root / "source/pages/dry-eye.md",
                                 "Eye drops can help.", "Eye drops may help.")
    build(load_config(root), defer_a11y=True)
    assert read == ["source/pages/dry-eye.md"]
    cold = tmp_path / "cold"
    shutil.copytree(root, cold, ignore=shutil.ignore_patterns("output"))
    shutil.copytree(ROOTS / "build-site" / "locales", cold / "locales", dirs_exist_ok=True)
    build(load_config(cold), defer_a11y=True)

    def outputs(base: Path) -> dict[str, str]:
        return {p.relative_to(base).as_posix(): _digest(p.read_bytes())
                for folder in ("locales", "output/build", "output/reports")
                for p in sorted((base / folder).rglob("*")) if p.is_file()
                and p.name not in ("build.json", "a11y-plan.json")}

    assert outputs(root) == outputs(cold)


def test_a_parse_stays_while_one_token_texts_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    """Texts no inline rule can start in are not kept, so they do not push out the
    parses of texts that need the parser (the renderer asks for those after the checks)."""
    monkeypatch.setattr("pipeline.text.messages.KEPT_TOKENS", 4)
    messages = Messages()
    parsed = messages.tokens("[Contact us](/contact/) *now*")
    for n in range(100):
        assert [t.content for t in messages.tokens(f"plain text {n}")] == [f"plain text {n}"]
    assert messages.tokens("[Contact us](/contact/) *now*") is parsed
    for n in range(5):  # the bound still holds for parses
        messages.tokens(f"*text {n}*")
    assert messages.tokens("[Contact us](/contact/) *now*") is not parsed


def test_translations_keep_their_answers_within_a_bound(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A kept answer is the one worked out again, also after the bound empties the memo."""
    root = tmp_path / "site"
    shutil.copytree(ROOTS / "build-site", root)
    config = load_config(root)
    monkeypatch.setattr("pipeline.text.translations.KEPT_RESOLVED", 3)
    ws = workspace.Workspace()
    for lang in config.all_languages:
        translations = Translations.load(config, lang, ws)
        fresh = Translations.load(config, lang, workspace.Workspace())
        keys = [(e.msgid, e.msgctxt) for e in (translations.catalog or fresh.catalog
                                               or Catalog()).active][:10]
        keys += [("not in the catalog", None), ("Skip to main content", None)]
        for msgid, ctx in keys * 3:
            assert translations.resolve(msgid, ctx) == fresh._resolve(msgid, ctx)
        assert len(translations._resolved) <= 3


def test_a_pages_text_digest_is_known_for_the_last_page_of_its_file(tmp_path: Path) -> None:
    """What the fingerprints read instead of the page file: the digest of the text the
    page handed out last for that file was parsed from; none for an earlier page."""
    file = tmp_path / "visit.md"
    file.write_text("---\ntitle: Visit\nslug: visit\n---\n\n# Visit\n\nCome in.\n",
                    encoding="utf-8")
    ws = workspace.Workspace()
    first = ws.page_file(file, "source/pages/visit.md")
    assert ws.text_digest(first) == hashlib.sha256(file.read_bytes()).digest()
    file.write_text("---\ntitle: Visit\nslug: visit\n---\n\n# Visit\n\nCome in, please.\n",
                    encoding="utf-8")
    second = ws.page_file(file, "source/pages/visit.md")
    assert ws.text_digest(second) == hashlib.sha256(file.read_bytes()).digest()
    assert ws.text_digest(first) is None
    ws.release_pages()
    assert ws.text_digest(second) is None
