"""What the checks read of a message text: its Markdown inline tokens, visible text,
links, markup, HTML, ending and block structure, each text parsed once (``text_facts``);
and a glossary grouped by term once.
"""

# Punctuation tables and messages use non-ASCII marks on purpose (Arabic, CJK, dashes).
# ruff: noqa: RUF001

from __future__ import annotations

import html
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import unquote

from markdown_it.token import Token

from pipeline.text.glossary import GlossaryTerm
from pipeline.text.pages import markdown

# The characters an inline rule of the dialect can start at (line breaks, escapes, code,
# emphasis, links, images, autolinks, HTML, entities), and the two its normalization
# rewrites (CR, NUL). A text with none of them parses to one text token holding all of it,
# which most translations are: they skip the parser.
_INLINE_SYNTAX = re.compile(r"[\n\r\0\\`*_&<!\[\]]")


@lru_cache(maxsize=8192)
def inline_tokens(text: str, html_enabled: bool = False) -> tuple[Token, ...]:
    """The inline tokens of ``text`` in the pages' Markdown dialect (read-only)."""
    if _INLINE_SYNTAX.search(text) is None:
        return (Token("text", "", 0, content=text),) if text else ()
    parsed = markdown(html_enabled).parseInline(text)
    return tuple(parsed[0].children or ()) if parsed else ()


def _visible(tokens: Iterable[Token]) -> str:
    out: list[str] = []
    for token in tokens:
        if token.type in ("text", "code_inline", "image"):
            out.append(token.content)
        elif token.type in ("softbreak", "hardbreak"):
            out.append(" ")
    return "".join(out)


@lru_cache(maxsize=8192)
def visible_text(text: str) -> str:
    """What a reader sees of a message: text, code and image alt text, no URLs or markers."""
    return _visible(inline_tokens(text))


def _targets(tokens: Iterable[Token], kind: str) -> list[str]:
    if kind == "link":
        return [str(t.attrs.get("href", "")) for t in tokens if t.type == "link_open"]
    return [str(t.attrs.get("src", "")) for t in tokens if t.type == "image"]


def targets(text: str, kind: str) -> list[str]:
    """Link URLs (``kind="link"``) or image sources (``"image"``) in order."""
    return _targets(inline_tokens(text), kind)


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
    html: tuple[str, ...]
    blocks: tuple[tuple[str, int, str], ...]  # block structure: (kind, line, that line)


@lru_cache(maxsize=1 << 15)
def text_facts(text: str) -> TextFacts:
    tokens = inline_tokens(text)
    links, images = _targets(tokens, "link"), _targets(tokens, "image")
    visible = _visible(tokens)
    return TextFacts(
        links=tuple(links), images=tuple(images), visible=visible, folded=_fold(visible),
        visible_length=len("".join(visible.split())), stray=_stray(tokens),
        emphasis=Counter(t.type for t in tokens if t.type in _EMPHASIS),
        code=tuple(sorted(t.content for t in tokens if t.type == "code_inline")),
        ending=_ending(visible), html=tuple(_html_found(text, links + images)),
        blocks=_block_structure(text),
    )


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


_EMPHASIS = {"strong_open": "bold (**…**)", "em_open": "emphasis (*…*)",
             "code_inline": "code (`…`)"}
_STRAY = re.compile(r"\*+|`+|(?<![^\W_])_+|_+(?![^\W_])")


def _stray(tokens: Iterable[Token]) -> Counter[str]:
    found: Counter[str] = Counter()
    for token in tokens:
        if token.type == "text":
            markers = _STRAY.findall(token.content)
            if markers:
                found.update(markers)
    return found


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


def html_found(text: str) -> list[str]:
    """Descriptions of the HTML and script in ``text``: tags, handlers, script URLs, CSS."""
    return list(text_facts(text).html)


def _html_found(text: str, urls: list[str]) -> list[str]:
    found: list[str] = []
    # html_inline tokens start at "<": without one, the HTML-enabled parse adds nothing.
    for token in inline_tokens(text, html_enabled=True) if "<" in text else ():
        if token.type == "html_inline":
            name = _TAG_NAME.match(token.content)
            if name is None:
                found.append(f"raw HTML {token.content[:20]!r}")
            elif _DANGEROUS[0][0].match(token.content):
                found.append(_DANGEROUS[0][1].format(name.group(1).lower()))
            else:
                found.append(f"an HTML tag <{name.group(1).lower()}>")
    decoded = html.unescape(text)
    for variant in dict.fromkeys((text, decoded, _INVISIBLE.sub("", decoded))):
        if _DANGEROUS_NEEDS.search(variant) is None:
            continue
        for pattern, description in _DANGEROUS:
            found += [description.format(m.group(1).lower()) for m in pattern.finditer(variant)]
    for url in urls:
        scheme = _SCHEME.match(_INVISIBLE.sub("", html.unescape(unquote(url))))
        if scheme and scheme.group(1).lower() in ("javascript", "vbscript", "data"):
            found.append(f"a {scheme.group(1).lower()}: URL")
    return list(dict.fromkeys(found))


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFC", text).replace("’", "'").replace("\u00a0", " ")
    return " ".join(text.casefold().split())


_CLASSES: dict[str, tuple[str, ...]] = {
    "full stop": (".", "。", "۔", "।", "．"),
    "question mark": ("?", "？", "؟"),
    "exclamation mark": ("!", "！"),
    "colon": (":", "：", "∶"),
    "semicolon": (";", "；", "؛"),
    "comma": (",", "，", "、", "،"),
    "ellipsis": ("...", "……", "…", "⋯"),
}


_CLOSERS = ")]}\"'»”’›）」』】*_` \u00a0\u202f\t\n"


def ending(text: str) -> tuple[str | None, str]:
    """(punctuation class, the mark) a text ends with, closing brackets and quotes aside."""
    return text_facts(text).ending


def _ending(visible: str) -> tuple[str | None, str]:
    shown = visible.rstrip(_CLOSERS)
    for name, marks in _CLASSES.items():
        for mark in marks:
            if shown.endswith(mark):
                return ("ellipsis" if shown.endswith(("...", "…")) else name), mark
    return None, ""


@lru_cache(maxsize=1024)
def _term_pattern(term: str) -> re.Pattern[str]:
    return re.compile(r"(?<![^\W_])" + re.escape(_fold(term)) + r"(?![^\W_])")


@dataclass(frozen=True, slots=True)
class _GlossaryEntry:
    folded: str  # the term as the folded source text contains it
    pattern: re.Pattern[str]  # the term as a whole word
    rows: tuple[GlossaryTerm, ...]  # its approved translations, in the glossary's order
    translations: tuple[str, ...]  # folded


# A context's glossary, grouped by term once (keyed by the tuple's identity).
_glossaries: dict[int, tuple[tuple[GlossaryTerm, ...], tuple[_GlossaryEntry, ...]]] = {}


def _glossary_entries(glossary: tuple[GlossaryTerm, ...]) -> tuple[_GlossaryEntry, ...]:
    known = _glossaries.get(id(glossary))
    if known is not None and known[0] is glossary:
        return known[1]
    by_term: dict[str, list[GlossaryTerm]] = {}
    for row in glossary:
        by_term.setdefault(_fold(row.term), []).append(row)
    entries = tuple(
        _GlossaryEntry(_fold(rows[0].term), _term_pattern(rows[0].term), tuple(rows),
                       tuple(_fold(r.translation) for r in rows))
        for rows in by_term.values())
    if len(_glossaries) >= 16:
        _glossaries.clear()
    _glossaries[id(glossary)] = (glossary, entries)
    return entries
