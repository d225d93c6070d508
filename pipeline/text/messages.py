"""Message texts as the pages' Markdown: a text → its inline tokens and what is read from them.

A message (a msgid, a translation) is inline Markdown: the checks read its links,
visible text, markers, HTML and block structure (``TextFacts``); readability reads its
plain text; the renderer turns a translation into HTML. ``Messages`` parses each text
once and keeps the parse and what was read from it, so the stages of one build share
them (``pipeline.workspace.Workspace.messages``).

A text in which no inline rule can start (most translations) is one text token and
never reaches the parser. The parse with raw HTML enabled (the checks look for HTML)
differs from the one without only where the text has a ``<``: other texts are parsed
once for both.
"""

# Punctuation tables use non-ASCII marks on purpose (Arabic, CJK).
# ruff: noqa: RUF001

from __future__ import annotations

import html
import re
import unicodedata
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache, partial
from urllib.parse import unquote

from markdown_it.token import Token

from pipeline.models.fastinit import fast_init
from pipeline.text.pages import markdown

# The characters an inline rule of the dialect can start at (line breaks, escapes, code,
# emphasis, links, images, autolinks, HTML, entities), and the two its normalization
# rewrites (CR, NUL). A text with none of them parses to one text token holding all of it,
# which most translations are: they skip the parser.
_INLINE_SYNTAX = re.compile(r"[\n\r\0\\`*_&<!\[\]]")

# How many texts a ``Messages`` keeps of each kind (tokens, facts, plain text), least
# recently used dropped first. A 1,000-page site in 5 languages has about 57,000 distinct
# texts, of which 13,000 need the parser: their tokens take about 30 MB. Plain texts are
# kept only of those 13,000, and are small: all of a 5,000-page site's fit.
KEPT_TOKENS = 1 << 14
KEPT_FACTS = 1 << 15
KEPT_PLAIN = 1 << 17
# The checks read a source text's facts once for every language, long after the first:
# kept apart from the translations' (each read only while its entry is checked), and
# enough of them for the template of a 5,000-page site (61,000 msgids, 750 bytes each).
# With one bound for both, 5,000 pages pushed every msgid's facts out before the next
# language asked again: 432,000 facts made for 276,000 texts in one process, 320,000 so.
KEPT_SOURCE_FACTS = 1 << 16

Tokens = tuple[Token, ...]
TokensOf = Callable[[str, bool], Tokens]


class Messages:
    """Message texts parsed once: ``tokens``, ``facts`` and ``plain`` of a text.

    Bounded: at most ``KEPT_TOKENS`` parses, ``KEPT_FACTS`` facts (and
    ``KEPT_SOURCE_FACTS`` of source texts) and ``KEPT_PLAIN`` plain texts (of texts
    that need the parser, kept from any parse of them), least recently used dropped
    first (a text dropped and asked for again is parsed again).
    What is handed out is shared: never change a token.
    """

    def __init__(self) -> None:
        # Per instance, not per module: they go when the workspace goes. They hold no
        # reference to ``self``, so dropping a Messages frees them without the cyclic GC.
        # The plain text of every text parsed (as ``plain`` parses it), made from the
        # parse whoever asked for it: at 5,000 pages the checks' and the renderer's
        # parses are long pushed out of the tokens' bound when readability asks, and
        # parsing every text again took it 5.5 s of CPU (0.14 s at 1,000 pages).
        self._plains: OrderedDict[str, str] = OrderedDict()
        # Only texts that need the parser are kept: the others (most translations) are
        # one text token, cheaper to make again than a place in the cache, and kept they
        # pushed out the parses the renderer asks for after the checks.
        self._parse: TokensOf = partial(_tokens_of, lru_cache(maxsize=KEPT_TOKENS)(
            partial(_parse_inline, self._plains)))
        self.facts: Callable[[str], TextFacts] = lru_cache(maxsize=KEPT_FACTS)(
            partial(_text_facts, self._parse))
        """What the checks read of a text (``TextFacts``), from one parse."""
        self.source_facts: Callable[[str], TextFacts] = lru_cache(
            maxsize=KEPT_SOURCE_FACTS)(partial(_text_facts, self._parse))
        """``facts`` of a source text (a msgid), which every language's check reads."""

    def release_facts(self) -> None:
        """Drop the facts (once the checks are done: no later stage reads them)."""
        self.facts.cache_clear()  # type: ignore[attr-defined]  # an lru_cache
        self.source_facts.cache_clear()  # type: ignore[attr-defined]

    def plain(self, text: str) -> str:
        """Inline Markdown → what a reader reads: link text kept, URLs and markers
        dropped, white space runs as one space (readability measures this)."""
        if _INLINE_SYNTAX.search(text) is None:
            return " ".join(text.split())  # re.sub(r"\s+", " ", text).strip(), faster
        found = self._plains.get(text)
        if found is not None:
            self._plains.move_to_end(text)  # the least recently used go first
        else:
            tokens = self._parse(text, "<" in text)  # a parse made now keeps its plain text
            found = self._plains.get(text)
            if found is None:  # parsed before its plain text was pushed out
                found = _keep_plain(self._plains, text, tokens)
        return found

    def tokens(self, text: str, html: bool = False) -> Tokens:
        """The inline tokens of ``text`` in the pages' dialect, raw HTML parsed as HTML
        with ``html`` (read-only)."""
        return self._parse(text, html and "<" in text)


def _tokens_of(parsed: TokensOf, text: str, html: bool) -> Tokens:
    if _INLINE_SYNTAX.search(text) is None:
        return (Token("text", "", 0, content=text),) if text else ()
    return parsed(text, html)


def _parse_inline(plains: OrderedDict[str, str], text: str, html: bool) -> Tokens:
    parsed = markdown(html).parseInline(text)
    tokens = tuple(parsed[0].children or ()) if parsed else ()
    if html == ("<" in text):  # the parse ``plain`` reads (raw HTML is not read)
        _keep_plain(plains, text, tokens)
    return tokens


def _keep_plain(plains: OrderedDict[str, str], text: str, tokens: Tokens) -> str:
    out: list[str] = []
    for child in tokens:
        if child.type in ("text", "code_inline"):
            out.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            out.append(" ")
    plain = plains[text] = " ".join("".join(out).split())
    if len(plains) > KEPT_PLAIN:
        plains.popitem(last=False)  # the oldest first
    return plain


def visible(tokens: Iterable[Token]) -> str:
    """What a reader sees of ``tokens``: text, code and image alt text, no URLs or markers."""
    out: list[str] = []
    for token in tokens:
        if token.type in ("text", "code_inline", "image"):
            out.append(token.content)
        elif token.type in ("softbreak", "hardbreak"):
            out.append(" ")
    return "".join(out)


def _targets(tokens: Iterable[Token], kind: str) -> list[str]:
    if kind == "link":
        return [str(t.attrs.get("href", "")) for t in tokens if t.type == "link_open"]
    return [str(t.attrs.get("src", "")) for t in tokens if t.type == "image"]


def fold(text: str) -> str:
    """A text as the glossary and same-as-source compare it: NFC, case and spaces folded."""
    text = unicodedata.normalize("NFC", text).replace("’", "'").replace("\u00a0", " ")
    return " ".join(text.casefold().split())


EMPHASIS = ("strong_open", "em_open", "code_inline")


@fast_init
@dataclass(frozen=True, slots=True)
class TextFacts:
    """What the checks read of one message text, from one parse: the source side of an
    entry is read once for every language. The counters are never changed."""

    links: tuple[str, ...]
    images: tuple[str, ...]
    visible: str
    folded: str  # the visible text as glossary and same-as-source compare it
    visible_length: int  # characters other than white space
    stray: Counter[str]  # markers that would show as text
    emphasis: Counter[str]  # strong_open, em_open, code_inline tokens
    code: tuple[str, ...]  # the text of each code span, sorted
    ending: tuple[str | None, str]
    html: tuple[str, ...]  # descriptions of its HTML and script (tags, handlers, URLs, CSS)
    blocks: tuple[tuple[str, int, str], ...]  # block structure: (kind, line, that line)


def _text_facts(tokens_of: TokensOf, text: str) -> TextFacts:
    tokens = tokens_of(text, False)
    links, images = _targets(tokens, "link"), _targets(tokens, "image")
    shown = visible(tokens)
    return TextFacts(
        links=tuple(links), images=tuple(images), visible=shown, folded=fold(shown),
        visible_length=len("".join(shown.split())), stray=_stray(tokens),
        emphasis=Counter(t.type for t in tokens if t.type in EMPHASIS),
        code=tuple(sorted(t.content for t in tokens if t.type == "code_inline")),
        ending=_ending(shown), html=tuple(_html_found(tokens_of, text, links + images)),
        blocks=_block_structure(text),
    )


_STRAY = re.compile(r"\*+|`+|(?<![^\W_])_+|_+(?![^\W_])")


def _stray(tokens: Iterable[Token]) -> Counter[str]:
    found: Counter[str] = Counter()
    for token in tokens:
        # Each marker holds one of these: most texts have none and are not searched.
        if token.type == "text" and ("*" in token.content or "`" in token.content
                                     or "_" in token.content):
            markers = _STRAY.findall(token.content)
            if markers:
                found.update(markers)
    return found


# --- ending punctuation -----------------------------------------------------------------

ENDINGS: dict[str, tuple[str, ...]] = {
    "full stop": (".", "。", "۔", "।", "．"),
    "question mark": ("?", "？", "؟"),
    "exclamation mark": ("!", "！"),
    "colon": (":", "：", "∶"),
    "semicolon": (";", "；", "؛"),
    "comma": (",", "，", "、", "،"),
    "ellipsis": ("...", "……", "…", "⋯"),
}
_CLOSERS = ")]}\"'»”’›）」』】*_` \u00a0\u202f\t\n"


def _ending(shown: str) -> tuple[str | None, str]:
    """(punctuation class, the mark) a text ends with, closing brackets and quotes aside."""
    shown = shown.rstrip(_CLOSERS)
    for name, marks in ENDINGS.items():
        for mark in marks:
            if shown.endswith(mark):
                return ("ellipsis" if shown.endswith(("...", "…")) else name), mark
    return None, ""


# --- HTML and script ----------------------------------------------------------------------

_TAG_NAME = re.compile(r"<\s*/?\s*([A-Za-z][A-Za-z0-9-]*)")
_DANGEROUS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"<\s*/?\s*(script|iframe|object|embed|style|svg|math|link|meta|base|form|"
                r"input|button|textarea|select|frame|frameset|applet|template)\b", re.I),
     "a <{0}> tag"),
    (re.compile(r"(?<![\w-])(on[a-z]{3,})\s*=", re.I), "an event handler ({0}=)"),
    (re.compile(r"((?:java|vb)script)\s*:", re.I), "a {0}: URL"),
    (re.compile(r"\b(data)\s*:\s*[a-z]+/[a-z0-9.+-]+\s*[;,]", re.I), "a {0}: URL"),
    (re.compile(r"(?<![\w-])(style)\s*=", re.I), "a {0}= attribute (CSS)"),
)
# Characters browsers drop inside a URL scheme, used to hide "javascript:".
_INVISIBLE = re.compile("[\x00-\x20\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]")
_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*):", re.I)


# Each pattern of _DANGEROUS needs one of these characters (none of them has another
# case for re.I to match): a text without them is not searched.
_DANGEROUS_NEEDS = re.compile("[<=:]")


def _html_found(tokens_of: TokensOf, text: str, urls: list[str]) -> list[str]:
    found: list[str] = []
    # html_inline tokens start at "<": without one, the HTML-enabled parse adds nothing.
    for token in tokens_of(text, True) if "<" in text else ():
        if token.type == "html_inline":
            name = _TAG_NAME.match(token.content)
            if name is None:
                found.append(f"raw HTML {token.content[:20]!r}")
            elif _DANGEROUS[0][0].match(token.content):
                found.append(_DANGEROUS[0][1].format(name.group(1).lower()))
            else:
                found.append(f"an HTML tag <{name.group(1).lower()}>")
    decoded = html.unescape(text)
    # Unescaping removes none of "<=:" and dropping invisible characters adds none: a
    # decoded text without them leaves no variant to search.
    variants = (dict.fromkeys((text, decoded, _INVISIBLE.sub("", decoded)))
                if _DANGEROUS_NEEDS.search(decoded) is not None else ())
    for variant in variants:
        if _DANGEROUS_NEEDS.search(variant) is None:
            continue
        for pattern, description in _DANGEROUS:
            found += [description.format(m.group(1).lower()) for m in pattern.finditer(variant)]
    for url in urls:
        scheme = _SCHEME.match(_INVISIBLE.sub("", html.unescape(unquote(url))))
        if scheme and scheme.group(1).lower() in ("javascript", "vbscript", "data"):
            found.append(f"a {scheme.group(1).lower()}: URL")
    return list(dict.fromkeys(found))


# --- block structure ----------------------------------------------------------------------

# What a line can start with to open a block that interrupts a paragraph (after up to
# three spaces): a text of one line without any of them has no block structure.
_BLOCK_START = re.compile(r"[ ]{0,3}[#>`~*+=_-]")
_BLOCK_KINDS = {"heading_open": "a heading", "list_item_open": "a list item",
                "blockquote_open": "a quote", "fence": "a code block",
                "code_block": "a code block", "tr_open": "a table row",
                "hr": "a thematic break"}


def _block_structure(text: str) -> tuple[tuple[str, int, str], ...]:
    """The block structure markdown-it finds in a message, as (kind, 1-based line, line).

    A message is the inside of one block of a page, so it is parsed after a line of
    paragraph text: its first line continues that block, and a line can open a block
    only where CommonMark lets it interrupt a paragraph (``#1`` and ``2024 was`` never
    do). A numbered line (``1. Januar``, ``2024. január``) is ordinary text in many
    languages, so an ordered list counts only after a blank line, where the message
    starts a block of its own.
    """
    if "\n" not in text and "\r" not in text and not _BLOCK_START.match(text):
        return ()
    source = "x\n" + text
    lines = source.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    found: list[tuple[str, int, str]] = []
    counted: list[bool] = []  # per open list: are its items counted?
    for token in markdown(False).parse(source):
        if token.type in ("bullet_list_open", "ordered_list_open"):
            start = token.map[0] if token.map else 0
            counted.append(token.type == "bullet_list_open" or not lines[start - 1].strip())
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            counted.pop()
        kind = _BLOCK_KINDS.get(token.type)
        if kind is None or not token.map or (kind == "a list item" and not counted[-1]):
            continue
        # A setext heading's marker is its underline, on its last line.
        at = token.map[1] - 1 if token.markup in ("=", "-") and kind == "a heading" else (
            token.map[0])
        found.append((kind, at, lines[at].strip()))
    return tuple(found)


__all__ = ["EMPHASIS", "ENDINGS", "Messages", "TextFacts", "fold", "visible"]
