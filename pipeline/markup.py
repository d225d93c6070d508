"""Safe HTML for one page's content: source Markdown + resolved messages → HTML blocks.

The body is parsed from the source page exactly as extraction parses it
(``pages.walk_blocks``), so every block finds its message. A translation is parsed
as inline Markdown with raw HTML disabled and rendered by markdown-it, which escapes
all text; link targets and image sources come from the *source* block by position,
never from the translation, and a link keeps a title only where the source's has one.
Unicode bidi controls and other control characters are stripped from translations.

Each block element carries ``data-src`` (source line; the reports map it to the
catalog entry, so catalog line shifts never change a page's bytes); text shown in
another language than the page's gets ``lang`` (and ``dir`` when the direction differs).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import cast

from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import OptionsDict, OptionsType
from markupsafe import Markup, escape

from pipeline.errors import PipelineError
from pipeline.langs import Lang
from pipeline.models import Location
from pipeline.pages import Block, Page, image_only, inline_message, markdown, walk_blocks
from pipeline.translations import Resolved

Resolve = Callable[[str, str | None], Resolved]

# Embeddings, overrides and isolates (Trojan Source); LRM/RLM marks are left alone. Also
# the C0/C1 control characters but tab and line ends: invisible, and not allowed in HTML.
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
UNSAFE_URL = re.compile(r"^\s*(javascript|data|vbscript|file):", re.I)
# Table alignment markdown-it writes as style="text-align:…"; ours are classes.
ALIGN_CLASSES = {"text-align:left": "align-start", "text-align:right": "align-end",
                 "text-align:center": "align-center"}


def strip_bidi_controls(text: str) -> str:
    return BIDI_CONTROLS.sub("", text)


def is_safe_url(url: str) -> bool:
    return not UNSAFE_URL.match(strip_bidi_controls(url).replace("\t", "").replace("\n", ""))


def text_attributes(resolved: Resolved, page_lang: Lang, src: Location | None
                    ) -> dict[str, str]:
    """The attributes of an element showing ``resolved``, in a fixed order."""
    attrs: dict[str, str] = {}
    if src is not None:
        attrs["data-src"] = str(src)
    if resolved.lang.code != page_lang.code:
        attrs["lang"] = resolved.lang.tag
        if resolved.lang.direction != page_lang.direction:
            attrs["dir"] = resolved.lang.direction
    if resolved.state == "outdated":
        attrs["data-outdated"] = "true"
    return attrs


def attributes_html(attrs: Mapping[str, str]) -> Markup:
    """`` name="value"`` pairs, escaped, for a template."""
    return Markup("").join(Markup(' {}="{}"').format(k, v) for k, v in attrs.items())


def plain_text(resolved: Resolved) -> str:
    """A message as plain text (front matter, <title>, attributes): no Markdown."""
    return strip_bidi_controls(resolved.text) if resolved.state != "source" else resolved.text


@dataclass(frozen=True, slots=True)
class RenderedBody:
    """A page body in one language: HTML plus how every block was resolved."""

    html: Markup
    blocks: tuple[Resolved, ...]

    @property
    def outdated(self) -> bool:
        return any(r.state == "outdated" for r in self.blocks)


def render_body(page: Page, lang: Lang, resolve: Resolve) -> RenderedBody:
    """Render ``page``'s body for a reader of ``lang``; ``resolve`` looks messages up."""
    md = markdown(True)
    tokens = md.parse(page.body)
    position = {id(token): i for i, token in enumerate(tokens)}
    pending: Iterator[Block] = iter(page.blocks)
    resolved_blocks: list[Resolved] = []
    for inline, _kind, _level, line0 in walk_blocks(tokens):
        source_children = safe_source_children(inline.children or [])
        image = image_only(inline.children)  # unfiltered, exactly as extraction sees it
        msgid = image.content if image is not None else inline_message(inline.content)
        if not msgid.strip():
            inline.children = source_children  # e.g. a decorative image: nothing to translate
            continue
        block = next(pending, None)
        if block is None or block.msgid != msgid or block.line != page.body_line + line0:
            raise PipelineError(  # pages.py and this walk disagree: a bug, not bad input
                "internal error: rendering and extraction disagree on a block",
                page.location(page.body_line + line0),
            )
        resolved = resolve(block.msgid, block.msgctxt)
        resolved_blocks.append(resolved)
        if resolved.state in ("translated", "outdated"):
            inline.children = translated_children(resolved.text, source_children,
                                                  image is not None)
        else:
            inline.children = source_children
        attrs = text_attributes(resolved, lang, page.location(block.line))
        _set_block_attributes(tokens, position[id(inline)], attrs)
    kept = [t for t in tokens if t.type != "html_block"]
    for token in kept:
        style = token.attrGet("style")
        if style is not None:
            del token.attrs["style"]
            if str(style) in ALIGN_CLASSES:
                token.attrSet("class", ALIGN_CLASSES[str(style)])
    html = md.renderer.render(kept, _html_options(), {})
    return RenderedBody(Markup(html.rstrip("\n")), tuple(resolved_blocks))


def translated_children(text: str, source: list[Token], lone_image: bool) -> list[Token]:
    """Inline tokens for a translation: its text and emphasis, the source's URLs."""
    text = strip_bidi_controls(text)
    if lone_image:
        image = source[0].copy()
        alt = Token("text", "", 0, content=text)
        image.children = [alt]
        image.content = text
        return [image]
    parsed = markdown(False).parseInline(text)
    children = parsed[0].children or [] if parsed else []
    source_links = [t for t in source if t.type == "link_open"]
    source_images = [t for t in source if t.type == "image"]
    out: list[Token] = []
    kept_links: list[bool] = []
    links = images = 0
    for token in children:
        if token.type == "link_open":
            target = source_links[links] if links < len(source_links) else None
            links += 1
            href = str(target.attrs.get("href", "")) if target is not None else ""
            keep = target is not None and is_safe_url(href)
            kept_links.append(keep)
            if keep:
                link = token.copy()
                link.attrs = {"href": href}
                title = token.attrs.get("title")
                if title and target is not None and target.attrs.get("title"):
                    # the translation of the source's title; none where the source has none
                    link.attrs["title"] = strip_bidi_controls(str(title))
                out.append(link)
        elif token.type == "link_close":
            if kept_links.pop() if kept_links else False:
                out.append(token)
        elif token.type == "image":
            target = source_images[images] if images < len(source_images) else None
            images += 1
            src = str(target.attrs.get("src", "")) if target is not None else ""
            if target is not None and is_safe_url(src):
                image = token.copy()
                image.attrs = {"src": src, "alt": ""}
                out.append(image)
            else:  # an image the source does not have: its alt text, as text
                out.append(_as_text(token))
        else:
            out.append(token)
    return out


def safe_source_children(children: list[Token]) -> list[Token]:
    """The source's own inline tokens minus HTML comments and unsafe URLs."""
    out: list[Token] = []
    kept_links: list[bool] = []
    for token in children:
        if token.type == "html_inline":
            continue
        if token.type == "link_open":
            keep = is_safe_url(str(token.attrs.get("href", "")))
            kept_links.append(keep)
            if keep:
                out.append(token)
        elif token.type == "link_close":
            if kept_links.pop() if kept_links else False:
                out.append(token)
        elif token.type == "image" and not is_safe_url(str(token.attrs.get("src", ""))):
            out.append(_as_text(token))
        else:
            out.append(token)
    return out


def _as_text(image: Token) -> Token:
    renderer = cast(RendererHTML, markdown(False).renderer)
    alt = renderer.renderInlineAsText(image.children, _html_options(), {})
    return Token("text", "", 0, content=alt)


def _html_options() -> OptionsDict:
    """The dialect's options, writing HTML (``<img>``), not XHTML (``<img />``)."""
    return OptionsDict(cast(OptionsType, {**markdown(False).options, "xhtmlOut": False}))


def _set_block_attributes(tokens: list[Token], index: int, attrs: Mapping[str, str]) -> None:
    """Put ``attrs`` on the element that holds the inline run at ``index``.

    A paragraph in a tight list is not rendered (hidden); its list item takes the
    attributes when the paragraph is all it holds, otherwise the paragraph becomes a
    ``<span>`` so the attributes do not spill onto a nested list.
    """
    opener = tokens[index - 1]
    if opener.hidden and opener.type == "paragraph_open":
        closer = tokens[index + 1]
        item = tokens[index - 2] if index >= 2 else None
        after = tokens[index + 2] if index + 2 < len(tokens) else None
        if (item is not None and item.type == "list_item_open"
                and after is not None and after.type == "list_item_close"):
            opener = item
        else:
            for token in (opener, closer):
                token.hidden = False
                token.tag = "span"
                token.block = False
    for key, value in attrs.items():
        opener.attrSet(key, value)


def inline_html(resolved: Resolved) -> Markup:
    """Front-matter text (a label, a title) as escaped HTML: it is not Markdown."""
    return escape(plain_text(resolved))
