"""Source pages: ``source/pages/*.md`` → ``Page`` (front matter + Markdown blocks with lines).

Extraction, rendering and readability all walk a page through this module, so the
msgid of a block is computed in one place and the three stages always agree. A page
is parsed once per build (``pipeline.workspace.Workspace.page``): its ``Page`` keeps
the body's markdown-it tokens and, for each block, the token of its inline run, which
the renderer uses instead of parsing the body again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import markdown_it
import mdit_py_plugins
import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.attrs import attrs_plugin

from pipeline import __version__
from pipeline.errors import PipelineError
from pipeline.models import Location

if TYPE_CHECKING:
    from pipeline.workspace import Workspace

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
CONTEXT_MARKER = re.compile(r"^<!--\s*msgctxt:\s*(.+?)\s*-->\s*$")
FRONT_MATTER_KEYS = ("title", "slug", "description", "updated", "breadcrumb", "parent",
                     "trivial_source_fixes")


@dataclass(frozen=True, slots=True)
class Text:
    """A translatable front-matter value and the line it is on."""

    value: str
    line: int


@dataclass(frozen=True, slots=True)
class Link:
    label: Text
    href: str
    line: int = 0  # 1-based line of the href in the page file


@dataclass(frozen=True, slots=True)
class BodyLink:
    """A link of the page body: its URL as the source writes it, and its line."""

    href: str
    line: int


@dataclass(frozen=True, slots=True)
class Block:
    """One translatable block of the body: one message."""

    kind: str  # heading, paragraph, list-item, table-header, table-cell, image-alt,
    #            image-title, quote
    msgid: str
    line: int  # 1-based line in the page file
    comment: str
    msgctxt: str | None = None
    level: int = 0  # heading level


class BodyTokens:
    """A page body's markdown-it block tokens, from the parse that made its ``Page``.

    Shared and read-only: whoever changes tokens copies them first. Not pickled (1,000
    pages' tokens take a second each way, as long as parsing them): a ``Page`` read back
    from the build cache parses its body again the first time its tokens are asked for,
    which only the renderer does, for the pages it renders. ``release`` drops them
    (the build does after rendering) and they are parsed again if asked for.
    """

    __slots__ = ("_body", "_tokens")

    def __init__(self, body: str, tokens: Sequence[Token] | None = None) -> None:
        self._body = body
        self._tokens = tuple(tokens) if tokens is not None else None

    def get(self) -> tuple[Token, ...]:
        if self._tokens is None:
            self._tokens = tuple(shared_empties(markdown(True).parse(self._body)))
        return self._tokens

    def release(self) -> None:
        self._tokens = None

    @property
    def held(self) -> bool:
        """Whether the tokens are in memory now (parsed and not released)."""
        return self._tokens is not None

    def __reduce__(self) -> tuple[type[BodyTokens], tuple[str]]:
        return BodyTokens, (self._body,)


class _SharedEmpty(dict[Any, Any]):
    """The one empty ``attrs`` and ``meta`` of every token without attributes or plugin
    data: two empty dicts a token were 70 MB of the tokens a 5,000-page build holds
    until it renders. Read-only, so a token changed in place (not copied first) fails
    loudly instead of changing every token; pickled as a plain empty dict."""

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("a page's tokens are shared: copy the token before changing it")

    __setitem__ = __delitem__ = __ior__ = _refuse
    update = setdefault = pop = popitem = clear = _refuse

    def __reduce__(self) -> tuple[type[dict[Any, Any]], tuple[()]]:
        return dict, ()


_NOTHING = _SharedEmpty()


def shared_empties(tokens: list[Token]) -> list[Token]:
    """``tokens`` (and their children) with each empty ``attrs`` and ``meta`` one shared
    read-only mapping."""
    for token in tokens:
        if not token.attrs:
            token.attrs = _NOTHING
        if not token.meta:
            token.meta = _NOTHING
        if token.children:
            shared_empties(token.children)
    return tokens


@dataclass(frozen=True, slots=True)
class Page:
    path: str  # relative to the content root
    slug: str
    title: Text
    description: Text | None
    updated: dt.date | None
    breadcrumb: tuple[Link, ...]
    parent: Link | None
    body: str
    body_line: int  # 1-based line of the body's first line in the file
    blocks: tuple[Block, ...]
    # The editor confirms this page's pending edits are typo-level: translations carry over.
    trivial_source_fixes: bool = False
    links: tuple[BodyLink, ...] = ()  # the body's links, in order
    # The body's tokens, and the index from block to token: ``tokens.get()[i]`` with
    # ``i = block_tokens[n]`` is the inline run of ``blocks[n]`` (a lone image's alt
    # text and title share theirs).
    tokens: BodyTokens = field(default_factory=lambda: BodyTokens(""), compare=False,
                               repr=False)
    block_tokens: tuple[int, ...] = ()
    # (token index, 1-based line) of the inline runs without a message (a decorative
    # image): the renderer still marks their line.
    bare_runs: tuple[tuple[int, int], ...] = ()

    def location(self, line: int) -> Location:
        return Location(self.path, line)

    @property
    def front_texts(self) -> tuple[tuple[str, Text], ...]:
        """Translatable front matter with the translator comment for each."""
        out: list[tuple[str, Text]] = [
            ("page title (front matter 'title'; used in <title>)", self.title)
        ]
        if self.description:
            out.append(("page description for search engines (front matter 'description')",
                        self.description))
        out += [("breadcrumb link text (front matter 'breadcrumb')", link.label)
                for link in self.breadcrumb]
        if self.parent:
            out.append(("parent page name, used in the back link (front matter 'parent')",
                        self.parent.label))
        return tuple(out)


@lru_cache(maxsize=2)
def markdown(html: bool) -> MarkdownIt:
    """The Markdown dialect: CommonMark plus tables and language marks. Raw HTML only
    parsed in sources.

    A language mark, ``[NINDS]{lang=en}``, is mdit-py-plugins' attribute span: only
    ``lang`` is kept on the token; any other attribute goes to
    ``token.meta["insecure_attrs"]``, where the checks find it.
    """
    return (MarkdownIt("commonmark", {"html": html}).enable("table")
            .use(attrs_plugin, after=(), spans=True, allowed=("lang",)))


def inline_message(content: str) -> str:
    """The msgid for an inline run: lines joined by spaces, indentation dropped.

    A hard line break (two trailing spaces or a backslash) stays one, written the
    portable way: a backslash before the newline.
    """
    lines = content.split("\n")
    out: list[str] = []
    for index, line in enumerate(lines):
        text = line.strip()
        if index == len(lines) - 1:
            out.append(text)
        elif _ends_with_escape(text):
            out.append(text[:-1].rstrip() + "\\\n")
        elif line.endswith("  ") and text:
            out.append(text + "\\\n")
        else:
            out.append(text + " ")
    return "".join(out).strip()


def _ends_with_escape(text: str) -> bool:
    """True when ``text`` ends with an odd number of backslashes (a hard break)."""
    return (len(text) - len(text.rstrip("\\"))) % 2 == 1


def image_only(children: list[Token] | None) -> Token | None:
    """The image token if an inline run is a lone image (its message is the alt text)."""
    if children and len(children) == 1 and children[0].type == "image":
        return children[0]
    return None


# The note (``#.``) of a lone image's messages, before its source and ")". They are plain
# text in the page (an attribute): the checks read these notes to know it.
IMAGE_NOTES = {"image-alt": "image alt text (image: ",
               "image-title": "image title, shown as a tooltip (image: "}


def image_messages(image: Token) -> tuple[tuple[str, str], ...]:
    """(kind, msgid) of a lone image's messages: its alt text, unless it is decorative,
    then its title (the tooltip: as markdown-it unescaped it, lines joined by spaces)."""
    title = " ".join(str(image.attrs.get("title") or "").split())
    return tuple((kind, msgid) for kind, msgid in (("image-alt", image.content),
                                                   ("image-title", title))
                 if msgid.strip())


def link_urls(children: list[Token] | None) -> list[str]:
    return [str(t.attrs.get("href", "")) for t in children or [] if t.type == "link_open"]


def _describe(kind: str, children: list[Token] | None, level: int) -> str:
    what = {
        "heading": f"heading level {level}",
        "paragraph": "paragraph",
        "list-item": "list item",
        "table-header": "table header cell",
        "table-cell": "table cell",
        "quote": "quoted paragraph",
    }[kind]
    urls = link_urls(children)
    if urls:
        what += "; link text may be translated, URL kept: " + ", ".join(urls)
    if any(t.type in ("strong_open", "em_open", "code_inline") for t in children or []):
        what += "; keep the **bold**, *emphasis* and `code` markers"
    return what


def walk_blocks(tokens: list[Token]) -> Iterator[tuple[Token, str, int, int]]:
    """Yield (inline token, kind, level, 0-based line) for every translatable run."""
    stack: list[str] = []
    line = 0
    level = 0
    for token in tokens:
        if token.map:
            line = token.map[0]
        if token.nesting == 1:
            stack.append(token.type)
            if token.type == "heading_open":
                level = int(token.tag[1:])
        elif token.nesting == -1 and stack:
            stack.pop()
        if token.type != "inline":
            continue
        if "th_open" in stack:
            kind = "table-header"
        elif "td_open" in stack:
            kind = "table-cell"
        elif "heading_open" in stack:
            kind = "heading"
        elif "list_item_open" in stack:
            kind = "list-item"
        elif "blockquote_open" in stack:
            kind = "quote"
        else:
            kind = "paragraph"
        yield token, kind, level, line


def _front_matter(text: str, path: str) -> tuple[dict[str, Any], yaml.Node, int]:
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        raise PipelineError(
            "no front matter: a page starts with a '---' line",
            Location(path, 1),
            "start the page with ---, then title: and slug:, then --- again",
        )
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() in ("---", "..."))
    except StopIteration:
        raise PipelineError(
            "front matter is not closed: no second '---' line", Location(path, 1),
            "add a line with --- after the front matter",
        ) from None
    source = "\n".join(lines[1:end])
    try:
        try:
            node, data = _load_yaml(source, _YamlLoader)
        except yaml.YAMLError:
            # Report with the pure-Python loader: its messages are the documented ones.
            node, data = _load_yaml(source, yaml.SafeLoader)
    except ValueError as exc:  # a constructor refused a value, e.g. the date 2026-13-45
        raise PipelineError(
            f"front matter has an invalid value: {exc}", Location(path, _bad_value_line(source)),
            "dates are written YYYY-MM-DD, e.g. updated: 2026-11-02",
        ) from exc
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, source, path) from exc
    if not isinstance(data, dict) or node is None:
        raise PipelineError(
            "front matter must be a YAML mapping (key: value lines)", Location(path, 2)
        )
    _refuse_duplicate_keys(node, path)
    return data, node, end + 2


# PyYAML notices some mistakes only where it gives up: a quote or bracket left open at
# the next key or the end of the front matter, a key without its ':' at the next line.
# For those, its context mark is where the quote, bracket or key starts: the line to fix.
_STARTS_AT_CONTEXT = ("while scanning a quoted scalar", "while parsing a flow sequence",
                      "while parsing a flow mapping", "while scanning a simple key")
_YAML_HINT = ("front matter is YAML: 'key: value' lines, the keys of one level indented "
              "alike with spaces; quote values that contain ': '")
_CLOSING = {"[": "]", "{": "}"}


def _yaml_error(exc: yaml.YAMLError, source: str, path: str) -> PipelineError:
    """The page line to fix (front matter line 1 is page line 2) and what is wrong there."""
    context = getattr(exc, "context", None)
    context_mark = getattr(exc, "context_mark", None)
    problem_mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).split("\n")[0]
    hint = _YAML_HINT
    if context in _STARTS_AT_CONTEXT and context_mark is not None:
        mark = context_mark
        opened = source.split("\n")[mark.line][mark.column:mark.column + 1]
        later = (f" (line {problem_mark.line + 2})"
                 if problem_mark is not None and problem_mark.line != mark.line else "")
        if context == "while scanning a quoted scalar":
            problem = f"the quoted value that starts with {opened} is never closed"
            hint = f"end the value with {opened} too, on the same line"
        elif context != "while scanning a simple key":
            kind = "list" if opened == "[" else "mapping"
            problem = f"the {kind} that starts with '{opened}' is not closed: {problem}{later}"
            hint = (f"a value that starts with '{opened}' is a YAML {kind}: close it, or "
                    f"quote the whole value, e.g. title: \"{opened}Draft{_CLOSING[opened]} "
                    "Hemifacial Spasm\"")
    else:
        mark = problem_mark or context_mark
        if "'\\t'" in problem:
            hint = "use spaces, not a tab: YAML does not allow tabs there"
    return PipelineError(f"front matter is not valid YAML: {problem}",
                         Location(path, mark.line + 2 if mark else 1), hint)


def _refuse_duplicate_keys(node: yaml.Node, path: str) -> None:
    """PyYAML keeps the last of two equal keys without a word: the first value would
    vanish from the page. Named at the second one, with the first one's line."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, yaml.MappingNode):
            seen: dict[str, int] = {}
            for key, value in current.value:
                line = key.start_mark.line + 2
                name = str(key.value)
                if name in seen:
                    raise PipelineError(
                        f"front matter has the key {name!r} twice (first on line {seen[name]})",
                        Location(path, line),
                        "YAML would keep only the last one: delete or rename one of them",
                    )
                seen[name] = line
                stack.append(value)
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)


# libyaml's loader when PyYAML was built with it: front matter is most of a page's parse.
_YamlLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _load_yaml(source: str, loader_class: Any) -> tuple[yaml.Node | None, Any]:
    """One pass: compose (for line numbers), then construct from the same nodes."""
    loader = loader_class(source)
    try:
        node = loader.get_single_node()
        return node, (loader.construct_document(node) if node is not None else None)
    finally:
        loader.dispose()


def _bad_value_line(source: str) -> int:
    """The page line of the first date-like scalar that is not a real date."""
    node = yaml.compose(source, Loader=yaml.SafeLoader)
    stack = [node] if node is not None else []
    while stack:
        current = stack.pop(0)
        if isinstance(current, yaml.ScalarNode):
            if current.tag == "tag:yaml.org,2002:timestamp":
                try:
                    dt.date.fromisoformat(str(current.value)[:10])
                except ValueError:
                    return current.start_mark.line + 2
        elif isinstance(current, yaml.MappingNode):
            stack += [item for pair in current.value for item in pair]
        elif isinstance(current, yaml.SequenceNode):
            stack += list(current.value)
    return 1


def _node_lines(node: yaml.Node) -> dict[str, tuple[int, yaml.Node]]:
    out: dict[str, tuple[int, yaml.Node]] = {}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            out[str(key.value)] = (key.start_mark.line + 2, value)
    return out


def _text(value: Any, line: int, path: str, key: str) -> Text:
    if not isinstance(value, str) or not value.strip():
        raise PipelineError(f"front matter '{key}' must be a non-empty string",
                            Location(path, line))
    return Text(value.strip(), line)


def _link(value: Any, node: yaml.Node, line: int, path: str, key: str) -> Link:
    if not isinstance(value, dict) or set(value) != {"label", "href"}:
        raise PipelineError(
            f"front matter '{key}' must have exactly 'label' and 'href'", Location(path, line),
            "write it as:  label: Our Specialties  and  href: /what-we-do/specialties/",
        )
    lines = _node_lines(node)
    href = value["href"]
    if not isinstance(href, str) or not href or re.match(r"^\s*(javascript|data|vbscript):",
                                                            href, re.I):
        raise PipelineError(f"front matter '{key}' has an unsafe or empty href",
                            Location(path, lines["href"][0]))
    return Link(_text(value["label"], lines["label"][0], path, f"{key}.label"), href,
                lines["href"][0])


def parse_page(text: str, path: str) -> Page:
    """Parse one page's text; ``path`` is relative to the content root."""
    data, node, body_line = _front_matter(text, path)
    lines = _node_lines(node)
    for key in data:
        if key not in FRONT_MATTER_KEYS:
            raise PipelineError(
                f"unknown front matter key {key!r}", Location(path, lines[str(key)][0]),
                "known keys: " + ", ".join(FRONT_MATTER_KEYS),
            )
    for key in ("title", "slug"):
        if key not in data:
            raise PipelineError(f"front matter has no '{key}'", Location(path, 1))
    slug = data["slug"]
    if not isinstance(slug, str) or not SLUG_RE.match(slug):
        raise PipelineError(
            f"slug {slug!r} is not allowed", Location(path, lines["slug"][0]),
            "use lower-case letters, digits and single hyphens, e.g. hemifacial-spasm",
        )
    updated = data.get("updated")
    if updated is not None and not isinstance(updated, dt.date):
        raise PipelineError("front matter 'updated' must be a date like 2026-11-02",
                            Location(path, lines["updated"][0]))
    breadcrumb: list[Link] = []
    if "breadcrumb" in data:
        crumb_line, crumb_node = lines["breadcrumb"]
        if not isinstance(data["breadcrumb"], list):
            raise PipelineError("front matter 'breadcrumb' must be a list of links",
                                Location(path, crumb_line))
        for item, item_node in zip(data["breadcrumb"], crumb_node.value, strict=True):
            breadcrumb.append(_link(item, item_node, item_node.start_mark.line + 2, path,
                                    "breadcrumb"))
    parent = None
    if "parent" in data:
        parent = _link(data["parent"], lines["parent"][1], lines["parent"][0], path, "parent")
    description = None
    if "description" in data:
        description = _text(data["description"], lines["description"][0], path, "description")
    trivial = data.get("trivial_source_fixes", False)
    if not isinstance(trivial, bool):
        raise PipelineError("front matter 'trivial_source_fixes' must be true or false",
                            Location(path, lines["trivial_source_fixes"][0]))
    body = "\n".join(text.split("\n")[body_line - 1 :])
    tokens = shared_empties(markdown(True).parse(body))
    links: list[BodyLink] = []
    block_tokens: list[int] = []
    bare_runs: list[tuple[int, int]] = []
    blocks = tuple(_blocks(tokens, body_line, path, links, block_tokens, bare_runs))
    headings = [b for b in blocks if b.kind == "heading" and b.level == 1]
    if not headings:
        raise PipelineError(
            "page has no H1 heading", Location(path, body_line),
            "start the body with one '# Title' line: every page needs one main heading",
        )
    if len(headings) > 1:
        raise PipelineError(
            f"page has more than one H1 heading (first at line {headings[0].line})",
            Location(path, headings[1].line), "use '##' for section headings",
        )
    return Page(
        path=path,
        slug=slug,
        title=_text(data["title"], lines["title"][0], path, "title"),
        description=description,
        updated=updated,
        breadcrumb=tuple(breadcrumb),
        parent=parent,
        body=body,
        body_line=body_line,
        blocks=blocks,
        trivial_source_fixes=trivial,
        links=tuple(links),
        tokens=BodyTokens(body, tokens),
        block_tokens=tuple(block_tokens),
        bare_runs=tuple(bare_runs),
    )


def _blocks(tokens: list[Token], body_line: int, path: str, links: list[BodyLink],
            block_tokens: list[int], bare_runs: list[tuple[int, int]]) -> Iterator[Block]:
    """The body's translatable blocks; its links are appended to ``links``, the token
    index of each block's inline run to ``block_tokens``, runs without a message (index,
    line) to ``bare_runs``."""
    position = {id(token): index for index, token in enumerate(tokens)}
    for token in tokens:
        if token.type == "html_block" and not token.content.strip().startswith("<!--"):
            line = body_line + (token.map[0] if token.map else 0)
            raise PipelineError(
                "raw HTML is not allowed in pages", Location(path, line),
                "use Markdown; the renderer adds the page's HTML",
            )
    for inline, kind, level, line0 in walk_blocks(tokens):
        line = body_line + line0
        if not all(c.content.startswith("<!--") for c in inline.children or []
                   if c.type == "html_inline"):
            raise PipelineError("raw HTML is not allowed in pages", Location(path, line),
                                "use Markdown; the renderer adds the page's HTML")
        index = position[id(inline)]
        context = _pending_context(tokens, index)
        links += [BodyLink(href, _link_line(inline.content, href, line))
                  for href in link_urls(inline.children)]
        image = image_only(inline.children)
        if image is not None:
            # A lone image has two messages: its alt text (none for a decorative image)
            # and its title, the tooltip, with the same reference and context.
            src = str(image.attrs.get("src", ""))
            found = [Block(kind, msgid, line, f"{IMAGE_NOTES[kind]}{src})", context, level)
                     for kind, msgid in image_messages(image)]
        else:
            msgid = inline_message(inline.content)
            found = [Block(kind, msgid, line, _describe(kind, inline.children, level),
                           context, level)] if msgid else []
        if not found:
            bare_runs.append((index, line))
        block_tokens += [index] * len(found)
        yield from found


def _link_line(content: str, href: str, first: int) -> int:
    """The line of a link in a block starting at line ``first``: the first line that shows
    its URL (a reference link's URL is elsewhere: then the block's line)."""
    for offset, text in enumerate(content.split("\n")):
        if f"]({href}" in text or f"](<{href}" in text:
            return first + offset
    return first


def _pending_context(tokens: list[Token], index: int) -> str | None:
    """A ``<!-- msgctxt: … -->`` comment right before this block gives it a context."""
    for token in reversed(tokens[: max(index - 1, 0)]):
        if token.type == "html_block":
            marker = CONTEXT_MARKER.match(token.content.strip())
            return marker.group(1) if marker else None
        if token.type == "inline":
            return None
    return None


# Who parsed, and the shape of Page (bumped when it gains a field): a parsed Page kept
# in the build cache from another parser or of another shape is not used. The parser's
# own source is part of it too, so a change to this module invalidates old parses even
# when the package version stays the same.
PAGE_MODEL = 3  # 3: the body's tokens and the index from block to token
PARSER = (f"pipeline {__version__} "
          f"{hashlib.blake2b(Path(__file__).read_bytes(), digest_size=8).hexdigest()}, "
          f"markdown-it-py {markdown_it.__version__}, "
          f"mdit-py-plugins {mdit_py_plugins.__version__}, page model {PAGE_MODEL}")


def load_pages(pages_dir: Path, root: Path, ws: Workspace) -> tuple[Page, ...]:
    """All pages under ``pages_dir``, sorted by path; duplicate slugs are an error.
    Each file is read every time (unless ``ws`` knows its stat), and parsed only if
    ``ws`` has not parsed its text yet; the folder is listed once per ``ws`` (until it
    lets go of its pages): a build's stages see the pages its extract saw."""
    files = ws.page_files(pages_dir, root)
    if files is None:
        files = ws.remember_page_files(pages_dir, root, _page_files(pages_dir, root))
    pages: list[Page] = []
    slugs: dict[str, str] = {}
    for file, rel in files:
        page = ws.page_file(file, rel)
        if page.slug in slugs:
            raise PipelineError(
                f"duplicate slug {page.slug!r}, also used by {slugs[page.slug]}",
                Location(rel, 1), "give each page its own slug",
            )
        slugs[page.slug] = rel
        pages.append(page)
    return tuple(pages)


def _page_files(pages_dir: Path, root: Path) -> list[tuple[Path, str]]:
    """Each page file under ``pages_dir``, sorted, with its path as shown."""
    if not pages_dir.is_dir():
        raise PipelineError("pages directory not found", Location(_rel(pages_dir, root)),
                            "set 'pages' in [tool.pipeline] or create the directory")
    files: list[tuple[Path, str]] = []
    # rglob does not enter linked folders: below the resolved folder, only a linked
    # file needs resolving (a resolve per page was most of this loop).
    real_root = root.resolve()
    try:
        real_dir: str | None = pages_dir.resolve().relative_to(real_root).as_posix()
    except ValueError:
        real_dir = None
    for file in sorted(pages_dir.rglob("*.md")):
        linked = file.is_symlink()
        if linked and not file.resolve().is_relative_to(real_root):
            raise PipelineError(
                "is a symbolic link that leads outside the content root, to "
                f"{file.resolve()}", Location(file.relative_to(root).as_posix()),
                "replace the link with the page itself: the pipeline reads and writes only "
                "inside the content root")
        rel = _rel(file, root) if linked or real_dir is None \
            else f"{real_dir}/{file.relative_to(pages_dir).as_posix()}".removeprefix("./")
        files.append((file, rel))
    return files


def _rel(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)
