"""Safe HTML for one page's content: source Markdown + resolved messages → HTML blocks.

The body is not parsed again: the ``Page`` keeps the tokens of the parse that made its
blocks and, for each block, the token of its inline run, so every block has its place
by construction. A translation is parsed (once, ``pipeline.text.messages``)
as inline Markdown with raw HTML disabled and rendered by markdown-it, which escapes
all text; link targets and image sources come from the *source* block by position,
never from the translation, and a link keeps a title only where the source's has one.
Unicode bidi controls and other control characters are stripped from translations.

Each block element carries ``data-src`` (source line; the reports map it to the
catalog entry, so catalog line shifts never change a page's bytes); text shown in
another language than the page's gets ``lang`` (and ``dir`` when the direction differs).

A language mark, ``[NINDS]{lang=en}``, becomes ``<span lang="en" dir="ltr">``: the
direction always comes from the language, never from the text; a mark with a language
Babel does not know shows its text unmarked. Link addresses go through the caller's
``LinkAttrs`` (the render stage's link resolution), which may add ``hreflang``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import cast

from markdown_it.common.utils import escapeHtml
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import OptionsDict, OptionsType
from markupsafe import Markup, escape

from pipeline.errors import PipelineError
from pipeline.models import Location
from pipeline.text.langs import Lang, parse_lang
from pipeline.text.messages import Messages
from pipeline.text.pages import Block, Page, image_only, markdown
from pipeline.text.translations import Resolved

Resolve = Callable[[str, str | None], Resolved]
Attrs = dict[str, str | int | float]  # a markdown-it token's attributes
# A source link's href → the attributes its <a> gets (href, and hreflang when it leads
# to another language's version).
LinkAttrs = Callable[[str], Mapping[str, str]]
LINK_ATTRS = ("href", "hreflang")  # what a translated link takes from the source's

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
    return Markup("".join([f' {escape(k)}="{escape(v)}"' for k, v in attrs.items()]))


def plain_text(resolved: Resolved) -> str:
    """A message as plain text (front matter, <title>, attributes): no Markdown, and a
    language mark's text without its mark."""
    text = strip_bidi_controls(resolved.text) if resolved.state != "source" else resolved.text
    return LANG_MARK.sub(r"\1", text) if "]{" in text else text


# A language mark in front-matter text (a title, a label), which is not Markdown: only
# the plain form, [text]{lang=xx}.
LANG_MARK = re.compile(r"\[([^\[\]]*)\]\{\s*lang=(\"?)([A-Za-z0-9_-]+)\2\s*\}")


def lang_span(value: str) -> dict[str, str] | None:
    """The attributes of a language mark's ``<span>``, or None for an unknown language."""
    try:
        lang = parse_lang(value)
    except PipelineError:
        return None
    return {"lang": lang.tag, "dir": lang.direction}


@dataclass(frozen=True, slots=True)
class RenderedBody:
    """A page body in one language: HTML plus how every block was resolved."""

    html: Markup
    blocks: tuple[Resolved, ...]

    @property
    def outdated(self) -> bool:
        return any(r.state == "outdated" for r in self.blocks)


@dataclass(frozen=True, slots=True)
class _Slot:
    """One translatable block of a prepared body: where its HTML goes, what the source gives."""

    # The run's message: its text, a lone image's alt text (its title if it has none).
    # Its language is the element's.
    block: Block
    where: Location  # the block's source line, for data-src
    inline: int  # index of its inline run in ``PreparedBody.tokens``
    target: int  # index of the element that takes its attributes
    source: tuple[Token, ...]  # the source's own safe inline tokens
    source_html: str  # those tokens as HTML: what the source page and a fallback show
    lone_image: bool
    # What a translation's HTML takes from the source: the attributes of its links and
    # images (a lone image: the whole source image). Keys the translated-HTML memo.
    takes: tuple[object, ...]
    title: Block | None = None  # a lone image's title, beside its alt text
    # The element's opening tag up to and from its attributes, ``data-src`` included,
    # when nothing else puts an attribute on it: a language adds only its own (lang,
    # dir, data-outdated) in between, without the attributes written out again.
    framed: tuple[str, str] | None = None


@dataclass(frozen=True, slots=True)
class PreparedBody:
    """A page body parsed once for every language.

    ``pieces`` is the HTML of every token, already final for the tokens no language
    changes; a language fills in its slots (the inline runs and the elements that carry
    ``data-src``/``lang``/``dir``). Nothing here is mutated after ``prepare_body``.
    """

    pieces: tuple[str, ...]
    slots: tuple[_Slot, ...]
    # The elements that take a slot's attributes, by index: the HTML before and after
    # their attributes, and the attributes markdown-it gave them.
    frames: Mapping[int, tuple[str, Attrs, str]]


def prepare_body(page: Page, link_attrs: LinkAttrs | None = None) -> PreparedBody:
    """Render what is the same in every language of ``page``'s body, from the tokens of
    its parse and its index from block to token; each link's attributes come from
    ``link_attrs`` (default: its href as written)."""
    # The page's tokens serve every render of it (and every language's links): a token
    # changed here is a copy, in this list only.
    tokens = list(page.tokens.get())
    copied: set[int] = set()

    def own(index: int) -> Token:
        if index not in copied:
            tokens[index] = _copy(tokens[index])
            copied.add(index)
        return tokens[index]

    by_run: dict[int, list[Block]] = {}
    for block, index in zip(page.blocks, page.block_tokens, strict=True):
        by_run.setdefault(index, []).append(block)
    bare = dict(page.bare_runs)
    found: list[tuple[list[Block], int, int, list[Token], bool]] = []
    for index in sorted({*by_run, *bare}):
        children = tokens[index].children or []
        source = safe_source_children(children)
        if link_attrs is not None:
            source = [_with_link_attrs(t, link_attrs) if t.type == "link_open" else t
                      for t in source]
        target = _attribute_target(tokens, index, own)
        blocks = by_run.get(index)
        if blocks is None:
            # E.g. a decorative image: nothing to translate, the same in every language,
            # but a finding about it must still name its line of the page.
            own(index).children = source
            own(target).attrSet("data-src", str(page.location(bare[index])))
            continue
        # A lone image: judged on its children as extraction saw them, unfiltered.
        found.append((blocks, index, target, source, image_only(children) is not None))
    inlines = {inline for _, inline, _, _, _ in found}
    targets = {target for _, _, target, _, _ in found}
    for index, token in enumerate(tokens):
        if index in targets:
            own(index)  # its frame's attributes are taken off and put back
        elif index not in inlines and "style" in token.attrs:
            _align_class(own(index).attrs)
    kept_at: dict[int, int] = {}
    kept: list[Token] = []
    for index, token in enumerate(tokens):
        if token.type != "html_block":
            kept_at[index] = len(kept)
            kept.append(token)
    options = _html_options()
    frames = {kept_at[target]: _frame(kept, kept_at[target], options)
              for _, _, target, _, _ in found}
    shared = Counter(target for _, _, target, _, _ in found)
    slots = tuple(
        _Slot(blocks[0], page.location(blocks[0].line), kept_at[inline], kept_at[target],
              tuple(source), _render_inline(source), lone_image, _takes(source, lone_image),
              blocks[1] if len(blocks) > 1 else None,
              _framed(frames[kept_at[target]], page.location(blocks[0].line))
              if shared[target] == 1 else None)
        for blocks, inline, target, source, lone_image in found)
    in_slots = {kept_at[i] for i in inlines | targets}
    pieces = tuple("" if index in in_slots else _render_token(kept, index, options)
                   for index in range(len(kept)))
    return PreparedBody(pieces, slots, frames)


def _framed(frame: tuple[str, Attrs, str], where: Location) -> tuple[str, str] | None:
    """A slot's ``framed`` (see ``_Slot``): when its element has no attribute of its own."""
    head, attrs, tail = frame
    if attrs:
        return None
    return head + _attrs_html({"data-src": str(where)}), tail


def _copy(token: Token) -> Token:
    copy = token.copy()
    copy.attrs = dict(token.attrs)
    return copy


def _with_link_attrs(link: Token, link_attrs: LinkAttrs) -> Token:
    """A copy of a source link with the attributes ``link_attrs`` gives its href (and
    its own title)."""
    title = link.attrs.get("title")
    copy = link.copy()
    copy.attrs = {**link_attrs(str(link.attrs.get("href", ""))),
                  **({"title": title} if title is not None else {})}
    return copy


def render_body(body: PreparedBody, lang: Lang, resolve: Resolve,
                translated: TranslatedHtml) -> RenderedBody:
    """``body`` for a reader of ``lang``; ``resolve`` looks messages up."""
    pieces = list(body.pieces)
    targets: dict[int, Attrs] = {}
    resolved_blocks: list[Resolved] = []
    for slot in body.slots:
        resolved = resolve(slot.block.msgid, slot.block.msgctxt)
        resolved_blocks.append(resolved)
        if slot.lone_image:
            title = None if slot.title is None else resolve(slot.title.msgid,
                                                            slot.title.msgctxt)
            if title is not None:
                resolved_blocks.append(title)
            pieces[slot.inline] = translated.image(resolved, title, slot)
        elif resolved.state in _SHOWN:
            pieces[slot.inline] = translated.html(resolved.text, slot)
        else:
            pieces[slot.inline] = slot.source_html
        if slot.framed is not None:  # as below, with the element's other attributes none
            head, tail = slot.framed
            outdated = resolved.state == "outdated"
            pieces[slot.target] = head + ("" if resolved.lang.code == lang.code and not outdated
                                          else _language_attrs(resolved.lang, lang, outdated)
                                          ) + tail
            continue
        attrs = targets.get(slot.target)
        if attrs is None:
            attrs = targets[slot.target] = dict(body.frames[slot.target][1])
        attrs.update(text_attributes(resolved, lang, slot.where))
    for index, attrs in targets.items():
        _align_class(attrs)
        head, _, tail = body.frames[index]
        pieces[index] = head + _attrs_html(attrs) + tail
    return RenderedBody(Markup("".join(pieces).rstrip("\n")), tuple(resolved_blocks))


@lru_cache(maxsize=64)
def _language_attrs(shown: Lang, page_lang: Lang, outdated: bool) -> str:
    """What ``text_attributes`` adds after ``data-src``, as ``_attrs_html`` writes it."""
    resolved = Resolved("", "", shown, "outdated" if outdated else "translated", None)
    attrs: Attrs = dict(text_attributes(resolved, page_lang, None))
    return _attrs_html(attrs)


class TranslatedHtml:
    """Translations as inline HTML, each rendered once per run.

    The HTML of a translation depends only on its text and on what it takes from the
    source block (link targets and titles, image sources), so a text shown on several
    pages with the same links is rendered once; ``messages`` parses it (once per
    build: the checks parsed most translations already). Plain text is not kept:
    escaping it again is cheaper than keeping it.
    """

    def __init__(self, messages: Messages) -> None:
        self.messages = messages
        self._html: dict[tuple[object, ...], str] = {}

    def html(self, text: str, slot: _Slot) -> str:
        if not slot.lone_image:
            plain = _plain_html(text)
            if plain is not None:
                return plain
        key = (text, slot.takes)
        html = self._html.get(key)
        if html is None:
            html = translated_html(text, list(slot.source), slot.lone_image, self.messages)
            self._html[key] = html
        return html

    def image(self, resolved: Resolved, title: Resolved | None, slot: _Slot) -> str:
        """A lone image: ``resolved`` is its alt text (its title when it has no alt text),
        ``title`` its title beside its alt text."""
        if slot.block.kind == "image-title":
            alt, title = None, resolved
        else:
            alt = resolved.text if resolved.state in _SHOWN else None
        image = slot.source[0]
        shown: str | None = str(image.attrs.get("title") or "") or None  # the source's
        if title is not None and resolved.state in _SHOWN:
            # An element has one language: a tooltip the reader's language has no
            # translation for is left out, not shown in English on a translated image.
            shown = title.text if title.state in _SHOWN else None
        if alt is None and shown == image.attrs.get("title"):
            return slot.source_html
        key = (alt, shown, slot.takes)
        html = self._html.get(key)
        if html is None:
            html = self._html[key] = _render_inline(translated_image(image, alt, shown))
        return html


_SHOWN = ("translated", "outdated")  # the states in which a translation is shown


def translated_html(text: str, source: list[Token], lone_image: bool,
                    messages: Messages) -> str:
    """A translation as inline HTML: ``translated_children`` rendered."""
    plain = None if lone_image else _plain_html(text)
    if plain is not None:
        return plain
    return _render_inline(translated_children(text, source, lone_image, messages))


def _plain_html(text: str) -> str | None:
    """The HTML of a translation in which markdown-it's inline parser finds only text.

    That is text without a character that can start an inline rule, a line end or a
    NUL: markdown-it makes it one text token and its renderer escapes it, as here.
    None for any other text.
    """
    stripped = strip_bidi_controls(text)
    return escapeHtml(stripped) if _plain_text(stripped) else None


def _plain_text(text: str) -> bool:
    return (markdown(False).inline.terminator_re.search(text) is None
            and "\r" not in text and "\0" not in text)


def _takes(source: list[Token], lone_image: bool) -> tuple[object, ...]:
    if lone_image:
        return (True, source[0].type, tuple(source[0].attrs.items()))
    return (False, *((t.type, tuple(t.attrs.items())) for t in source
                     if t.type in ("link_open", "image")))


def _render_inline(children: Sequence[Token]) -> str:
    if not children:
        return ""
    renderer = cast(RendererHTML, markdown(True).renderer)
    return renderer.renderInline(children, _html_options(), {})


def _render_token(tokens: Sequence[Token], index: int, options: OptionsDict) -> str:
    """One token of a block stream, exactly as markdown-it's ``RendererHTML.render`` does."""
    renderer = cast(RendererHTML, markdown(True).renderer)
    token = tokens[index]
    if token.type == "inline":
        return renderer.renderInline(token.children, options, {}) if token.children else ""
    if token.type in renderer.rules:
        return str(renderer.rules[token.type](tokens, index, options, {}))
    return renderer.renderToken(tokens, index, options, {})


def _frame(tokens: list[Token], index: int, options: OptionsDict) -> tuple[str, Attrs, str]:
    """An opening tag rendered around its attributes: (``<p``, attributes, ``>``).

    markdown-it renders the tag itself (a line end before or after it depends on its
    neighbours); ``_attrs_html`` writes the attributes as its ``renderAttrs`` does,
    which is checked, once per kind of tag, on the tag's own attributes and one more.
    """
    token = tokens[index]
    attrs = token.attrs
    token.attrs = {}
    bare = _render_token(tokens, index, options)
    cut = bare.find("<" + token.tag) + 1 + len(token.tag)
    head, tail = bare[:cut], bare[cut:]
    if (token.type, token.tag) not in _FRAMES_CHECKED:
        token.attrs = {**attrs, "data-probe": '"&<'}
        probed = _render_token(tokens, index, options)
        if token.nesting != 1 or cut == len(token.tag) or (
                probed != head + _attrs_html(token.attrs) + tail):
            raise PipelineError(f"internal error: cannot put attributes on a {token.type}")
        _FRAMES_CHECKED.add((token.type, token.tag))
    token.attrs = attrs
    return head, dict(attrs), tail


_FRAMES_CHECKED: set[tuple[str, str]] = set()


def _attrs_html(attrs: Attrs) -> str:
    return "".join([f' {escapeHtml(key)}="{escapeHtml(str(value))}"'
                    for key, value in attrs.items()])


def _align_class(attrs: Attrs) -> None:
    """Table alignment as one of our classes instead of markdown-it's ``style``."""
    style = attrs.pop("style", None)
    if style is not None and str(style) in ALIGN_CLASSES:
        attrs["class"] = ALIGN_CLASSES[str(style)]


def translated_children(text: str, source: list[Token], lone_image: bool,
                        messages: Messages) -> list[Token]:
    """Inline tokens for a translation: its text and emphasis, the source's URLs (its
    parse, from ``messages``, is shared: what changes is copied)."""
    text = strip_bidi_controls(text)
    if lone_image:
        return translated_image(source[0], LANG_MARK.sub(r"\1", text),
                                source[0].attrs.get("title"))
    children = messages.tokens(text)
    source_links = [t for t in source if t.type == "link_open"]
    source_images = [t for t in source if t.type == "image"]
    out: list[Token] = []
    kept_links: list[bool] = []
    kept_spans: list[bool] = []
    links = images = 0
    for token in children:
        if token.type == "link_open":
            target = source_links[links] if links < len(source_links) else None
            links += 1
            href = str(target.attrs.get("href", "")) if target is not None else ""
            keep = target is not None and is_safe_url(href)
            kept_links.append(keep)
            if keep and target is not None:
                link = token.copy()
                link.attrs = {k: target.attrs[k] for k in LINK_ATTRS if k in target.attrs}
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
                title = token.attrs.get("title")
                if title and target.attrs.get("title"):  # as for a link's title
                    image.attrs["title"] = strip_bidi_controls(str(title))
                out.append(image)
            else:  # an image the source does not have: its alt text, as text
                out.append(_as_text(token))
        elif token.type in ("span_open", "span_close"):
            _lang_mark(token, out, kept_spans)
        else:
            out.append(token)
    return out


def translated_image(source: Token, alt: str | None, title: str | int | float | None
                     ) -> list[Token]:
    """A lone image of the source with the alt text ``alt`` (None: the source's) and the
    title ``title`` (None: no title); its source stays the source's."""
    image = source.copy()
    if alt is not None:
        alt = strip_bidi_controls(alt)
        image.children = [Token("text", "", 0, content=alt)]
        image.content = alt
    if image.type == "image":  # an unsafe source is text already: it has no title
        image.attrs = {k: v for k, v in image.attrs.items() if k != "title"}
        if title:
            image.attrs["title"] = strip_bidi_controls(str(title))
    return [image]


def _lang_mark(token: Token, out: list[Token], kept: list[bool]) -> None:
    """A language mark's span with ``lang`` and the language's ``dir`` and nothing else;
    a mark without a known language is left out (its text stays)."""
    if token.type == "span_close":
        if kept.pop() if kept else False:
            out.append(token)
        return
    attrs = lang_span(str(token.attrs.get("lang", "")))
    kept.append(attrs is not None)
    if attrs is not None:
        span = token.copy()
        span.attrs = dict(attrs)
        span.meta = {}
        out.append(span)


def safe_source_children(children: list[Token]) -> list[Token]:
    """The source's own inline tokens minus HTML comments and unsafe URLs. An image is
    a copy: rendering one sets its ``alt`` (the page's tokens stay as parsed)."""
    out: list[Token] = []
    kept_links: list[bool] = []
    kept_spans: list[bool] = []
    for token in children:
        if token.type == "html_inline":
            continue
        if token.type in ("span_open", "span_close"):
            _lang_mark(token, out, kept_spans)
            continue
        if token.type == "link_open":
            keep = is_safe_url(str(token.attrs.get("href", "")))
            kept_links.append(keep)
            if keep:
                out.append(token)
        elif token.type == "link_close":
            if kept_links.pop() if kept_links else False:
                out.append(token)
        elif token.type == "image":
            out.append(_copy(token) if is_safe_url(str(token.attrs.get("src", "")))
                       else _as_text(token))
        else:
            out.append(token)
    return out


def _as_text(image: Token) -> Token:
    renderer = cast(RendererHTML, markdown(False).renderer)
    alt = renderer.renderInlineAsText(image.children, _html_options(), {})
    return Token("text", "", 0, content=alt)


@cache
def _html_options() -> OptionsDict:
    """The dialect's options, writing HTML (``<img>``), not XHTML (``<img />``)."""
    return OptionsDict(cast(OptionsType, {**markdown(False).options, "xhtmlOut": False}))


def _attribute_target(tokens: list[Token], index: int, own: Callable[[int], Token]) -> int:
    """The element that takes the attributes of the inline run at ``index``.

    A paragraph in a tight list is not rendered (hidden); its list item takes the
    attributes when the paragraph is all it holds, otherwise the paragraph becomes a
    ``<span>`` (changed here, in ``tokens``, on copies ``own`` makes) so the attributes
    do not spill onto a nested list.
    """
    opener = tokens[index - 1]
    if opener.hidden and opener.type == "paragraph_open":
        item = tokens[index - 2] if index >= 2 else None
        after = tokens[index + 2] if index + 2 < len(tokens) else None
        if (item is not None and item.type == "list_item_open"
                and after is not None and after.type == "list_item_close"):
            return index - 2
        for token in (own(index - 1), own(index + 1)):
            token.hidden = False
            token.tag = "span"
            token.block = False
    return index - 1


def inline_html(resolved: Resolved) -> Markup:
    """Front-matter text (a label, a title) as escaped HTML: it is not Markdown, but a
    language mark becomes a ``<span lang dir>``."""
    text = strip_bidi_controls(resolved.text) if resolved.state != "source" else resolved.text
    if "]{" not in text:
        return escape(text)
    out: list[str] = []
    position = 0
    for match in LANG_MARK.finditer(text):
        attrs = lang_span(match.group(3))
        out.append(escape(text[position:match.start()]))
        inner = escape(match.group(1))
        out.append(Markup("<span{}>{}</span>").format(attributes_html(attrs), inner)
                   if attrs else inner)
        position = match.end()
    out.append(escape(text[position:]))
    return Markup("").join(out)
