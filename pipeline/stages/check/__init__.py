"""Translation QA: language catalogs (+ the project glossary) → findings.

Input: ``locales/<lang>/LC_MESSAGES/messages.po`` for each language, the config and
the optional glossary ``locales/glossary.csv``. Output: a ``CheckResult`` of
``Finding``s, each at the ``.po`` entry's ``msgid`` line, related to the entry's
source references.

The checks are a list of small functions ``(entry, context) -> Iterator[Finding]``
(``CHECKS``); each code they yield is listed in ``CODES`` with its severity. A
translator silences a code on one entry with the flag ``#, no-check-<code>`` plus a
translator comment saying why; CI ignores codes with ``[tool.pipeline.check] ignore``
or ``pipeline check --ignore``. ``html-added`` and ``bidi-control`` can never be
silenced nor ignored.

Only what a reader can get is checked: translated entries, plus fuzzy ones when the
language shows outdated translations (``fallback = "outdated"``) or when asked.

The source pages are checked too, once, under the source language: a link that leads
to no page, section, file or declared external path is a ``link-dead`` error
(``pipeline.text.links``).
"""

# Punctuation tables and messages use non-ASCII marks on purpose (Arabic, CJK, dashes).
# ruff: noqa: RUF001, RUF003

from __future__ import annotations

import gettext
import hashlib
import html
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from markdown_it.token import Token

from pipeline import __version__
from pipeline.config import Config
from pipeline.errors import PipelineError, UsageError
from pipeline.infra.workload import map_split, paused_gc
from pipeline.models import Finding, Location, Severity, frozen_details
from pipeline.po import Catalog, Entry
from pipeline.stages.update import load_catalog
from pipeline.text.glossary import GlossaryTerm, load_glossary
from pipeline.text.langs import Lang, parse_lang
from pipeline.text.links import dead_links, page_assets, site_links
from pipeline.text.pages import IMAGE_NOTES, load_pages, markdown

# From this many catalog entries on, a second process checks half of the languages.
SPLIT_ENTRIES = 10_000
FLAG_PREFIX = "no-check-"
# Translator comments written by `pipeline translate` start with this; they are not a
# person's reason for silencing a check.
PREFILL_MARK = "pre-filled by "
# Default length-ratio bounds for languages whose script needs far fewer characters than
# English (CJK: one character per syllable or word; Arabic, Persian, Hebrew: short vowels
# unwritten). Measured on the shipped catalogs: zh_Hans 0.24–0.65, ar 0.55–0.97.
LANGUAGE_LENGTH_RATIOS = {"zh": (0.15, 0.8), "ja": (0.2, 0.9), "ko": (0.2, 1.0),
                          "ar": (0.35, 1.6), "fa": (0.35, 1.6), "he": (0.35, 1.6)}


@dataclass(frozen=True, slots=True)
class CodeInfo:
    severity: Severity
    summary: str
    silenceable: bool = True


CODES: Mapping[str, CodeInfo] = {
    "url-changed": CodeInfo("error", "a link's URL or an image's source differs from the source's"),
    "link-missing": CodeInfo("error", "a link of the source is missing from the translation"),
    "link-added": CodeInfo("error", "the translation has a link the source does not have"),
    "markup-mismatch": CodeInfo(
        "error", "unbalanced markup or images differ (error); emphasis, bold or code "
        "differ from the source (warning)"),
    "block-added": CodeInfo(
        "error", "a heading, list item, quote, code block, table row or thematic break at "
        "the start of a line that the source does not have"),
    "html-added": CodeInfo(
        "error", "raw HTML, a script, an event handler, a style attribute or a "
        "javascript:/vbscript:/data: URL", silenceable=False),
    "bidi-control": CodeInfo(
        "error", "an invisible bidirectional control character (U+202A–U+202E, "
        "U+2066–U+2069)", silenceable=False),
    "placeholder-mismatch": CodeInfo(
        "error", "printf (%s, %(name)s) or {name} placeholders differ; plural forms missing "
        "or empty"),
    "number-changed": CodeInfo("warning", "a number of the source is missing from the "
                               "translation"),
    "same-as-source": CodeInfo("warning", "the translation is the source text unchanged"),
    "length-ratio": CodeInfo("warning", "the translation is much longer or shorter than the "
                             "source"),
    "punctuation": CodeInfo("warning", "ending punctuation or leading/trailing whitespace "
                            "differs from the source"),
    "bracket-mismatch": CodeInfo("warning", "the translation adds or drops brackets (a "
                                 "language's own forms, such as （ ）, count as the same)"),
    "quote-mismatch": CodeInfo("warning", "the translation adds or drops quotation marks (any "
                               "language's style: “ ”, « », „ “, 「 」)"),
    "repeated-word": CodeInfo("warning", "a word is written twice in a row"),
    "blank-translation": CodeInfo("error", "the translation is only white space"),
    "merge-conflict": CodeInfo("error", "msgcat's conflict markers (#-#-#-#-#) are left in the "
                               "translation"),
    "glossary": CodeInfo("warning", "a glossary term is not translated the approved way"),
    "lang-mark": CodeInfo(
        "error", "a language mark [text]{lang=…} sets something besides a known language, "
        "is not attached to [text], or is in template text, where it shows as text"),
    "link-dead": CodeInfo(
        "error", "a link of a source page leads to no page, section, file or declared "
        "external path (checked once, under the source language)"),
    "flag-without-reason": CodeInfo("warning", "a no-check flag without a translator comment "
                                    "saying why (the check still runs)"),
    "flag-unknown-check": CodeInfo("warning", "a no-check flag names a check that does not "
                                   "exist"),
    "flag-not-allowed": CodeInfo("warning", "a no-check flag for a check that cannot be "
                                 "silenced"),
}
UNSILENCEABLE = frozenset(code for code, info in CODES.items() if not info.silenceable)
# Findings about the flags themselves: CI may ignore them, a flag cannot silence them.
FLAG_CODES = frozenset(code for code in CODES if code.startswith("flag-"))
# Findings about the source pages, not a catalog entry: no entry's flag silences them.
SOURCE_CODES = frozenset({"link-dead"})
SILENCEABLE = tuple(c for c, info in CODES.items()
                    if info.silenceable and c not in FLAG_CODES | SOURCE_CODES)


# --- reading a message: Markdown inline tokens ------------------------------------------


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


# --- the context one catalog is checked in --------------------------------------------------


@dataclass(frozen=True, slots=True)
class Form:
    """One translated string of an entry, paired with the source text it translates."""

    index: int | None  # msgstr[index] of a plural entry; None for plain msgstr
    source: str
    translation: str
    single: bool = False  # a plural form used for exactly one n: it may leave the number out

    def label(self, message: str) -> str:
        return message if self.index is None else f"msgstr[{self.index}]: {message}"


@dataclass(frozen=True, slots=True)
class CheckContext:
    """Everything a check needs besides the entry: language, catalog, glossary, limits."""

    lang: Lang
    path: str  # the catalog as shown to people
    source_language: Lang
    site_title: str = ""
    glossary: tuple[GlossaryTerm, ...] = ()
    length_ratio: tuple[float, float] = (0.5, 2.0)
    length_min: int = 20
    nplurals: int = 2  # what the language needs
    catalog_nplurals: int | None = None  # what the catalog's Plural-Forms header says
    plural_values: tuple[tuple[int, ...], ...] = ()  # sample n for each plural form
    templates: str = ""  # the templates folder: its text is not Markdown

    def finding(self, entry: Entry, code: str, message: str, hint: str | None,
                severity: Severity | None = None, related: tuple[Location, ...] = (),
                **details: Any) -> Finding:
        return Finding(
            code=code,
            severity=severity or CODES[code].severity,
            message=message,
            location=Location(self.path, entry.line),
            hint=hint,
            related=entry.locations + related,
            details=frozen_details(language=self.lang.code, msgid=entry.msgid,
                                   msgctxt=entry.msgctxt, **details),
        )

    def forms(self, entry: Entry) -> list[Form]:
        if entry.msgid_plural is None:
            return [Form(None, entry.msgid, entry.msgstr)]
        out = []
        for index, text in enumerate(entry.msgstr_plural):
            if not text:
                continue  # reported by the plural check
            values = self.plural_values[index] if index < len(self.plural_values) else ()
            source = entry.msgid if values == (1,) else entry.msgid_plural
            out.append(Form(index, source, text, single=len(values) == 1))
        return out


def plural_values(plural_forms: str, nplurals: int) -> tuple[tuple[int, ...], ...]:
    """For each plural form, the n in 0…199 that use it (a form with one n is 'single')."""
    match = re.search(r"plural\s*=\s*([^;]+)", plural_forms)
    try:
        choose = gettext.c2py(match.group(1).strip()) if match else None
    except ValueError:
        choose = None
    if choose is None:
        return ()
    buckets: list[list[int]] = [[] for _ in range(nplurals)]
    for n in range(200):
        index = choose(n)
        if 0 <= index < nplurals:
            buckets[index].append(n)
    return tuple(tuple(b) for b in buckets)


def length_ratio_for(config: Config, lang: Lang) -> tuple[float, float]:
    own = config.lang_config(lang).length_ratio
    if own is not None:
        return own
    return LANGUAGE_LENGTH_RATIOS.get(lang.base.split("_")[0], config.check.length_ratio)


def make_context(config: Config, lang: Lang, catalog: Catalog,
                 glossary: tuple[GlossaryTerm, ...] = ()) -> CheckContext:
    forms = catalog.header_value("Plural-Forms") or lang.plural_forms
    catalog_n = catalog.nplurals
    return CheckContext(
        lang=lang,
        path=catalog.path,
        source_language=config.source_language,
        site_title=config.site_title,
        glossary=tuple(t for t in glossary if t.lang in ("*", lang.code)),
        length_ratio=length_ratio_for(config, lang),
        length_min=config.check.length_min,
        nplurals=lang.nplurals,
        catalog_nplurals=catalog_n,
        plural_values=plural_values(forms, catalog_n or lang.nplurals),
        templates=config.templates,
    )


# --- the checks ----------------------------------------------------------------------------

Check = Callable[[Entry, CheckContext], Iterator[Finding]]


def _unmatched(source: Sequence[str], translation: Sequence[str]
               ) -> tuple[list[str], list[str]]:
    """Items of ``source`` missing from ``translation`` and extra ones, each in order."""
    if len(source) == len(translation) and list(source) == list(translation):
        return [], []  # most entries: the same links (or none) in the same order
    missing_count = Counter(source) - Counter(translation)
    extra_count = Counter(translation) - Counter(source)
    missing, extra = [], []
    for item in source:
        if missing_count[item] > 0:
            missing.append(item)
            missing_count[item] -= 1
    for item in translation:
        if extra_count[item] > 0:
            extra.append(item)
            extra_count[item] -= 1
    return missing, extra


def check_links(entry: Entry, ctx: CheckContext) -> Iterator[Finding]:
    """Links keep their URLs (the renderer takes them from the source); none lost or added."""
    for form in ctx.forms(entry):
        source, translation = text_facts(form.source), text_facts(form.translation)
        missing, extra = _unmatched(source.links, translation.links)
        for old, new in zip(missing, extra, strict=False):
            yield ctx.finding(
                entry, "url-changed", form.label(f'link target changed: "{old}" → "{new}"'),
                f"links must keep their URL; translate only the link text: [your text]({old})",
                url=old, translation_url=new)
        for old in missing[len(extra):]:
            yield ctx.finding(
                entry, "link-missing", form.label(f'the link to "{old}" is missing'),
                f"keep every link of the source, with its URL: [your text]({old})", url=old)
        for new in extra[len(missing):]:
            yield ctx.finding(
                entry, "link-added", form.label(f'the translation adds a link to "{new}"'),
                "remove it: a translation has the same links as the source, no more",
                translation_url=new)
        old_images, new_images = _unmatched(source.images, translation.images)
        for old, new in zip(old_images, new_images, strict=False):
            yield ctx.finding(
                entry, "url-changed", form.label(f'image source changed: "{old}" → "{new}"'),
                f"keep the image's source; translate only its description: ![your text]({old})",
                url=old, translation_url=new)


# A mark left as text: "NINDS{lang=en}", "[NINDS] {lang=en}".
_LOOSE_MARK = re.compile(r"\{\s*lang\s*=[^{}]*\}")
LANG_MARK_HINT = ("write the language only, right after the phrase in brackets: "
                  "[NINDS]{lang=en}; the direction (dir) follows from the language")


def check_lang_marks(entry: Entry, ctx: CheckContext) -> Iterator[Finding]:
    """Language marks ``[text]{lang=xx}`` set a known language and nothing else, and
    only where Markdown is rendered (not in template text)."""
    for form in ctx.forms(entry):
        if "{" not in form.translation:
            continue
        tokens = inline_tokens(form.translation)
        marks = [i for i, t in enumerate(tokens) if t.type == "span_open"]
        template = bool(marks) and bool(ctx.templates) and all(
            loc.path.startswith(ctx.templates.rstrip("/") + "/") for loc in entry.locations)
        for index in marks:
            token = tokens[index]
            text = _visible(_span_children(tokens, index))
            extra = sorted(dict(token.meta.get("insecure_attrs", {})))
            lang = str(token.attrs.get("lang", ""))
            if template:
                yield ctx.finding(
                    entry, "lang-mark", form.label(
                        f'the mark on "{text}" would show as text: template text is not '
                        "Markdown"),
                    "write the phrase without [ ]{lang=…} in this entry", text=text)
            elif extra:
                yield ctx.finding(
                    entry, "lang-mark", form.label(
                        f'the mark on "{text}" sets {", ".join(extra)}: only lang is allowed'),
                    LANG_MARK_HINT, text=text, attributes=extra)
            elif not lang:
                yield ctx.finding(entry, "lang-mark",
                                  form.label(f'the mark on "{text}" sets no language'),
                                  LANG_MARK_HINT, text=text)
            else:
                try:
                    parse_lang(lang)
                except PipelineError:
                    yield ctx.finding(
                        entry, "lang-mark",
                        form.label(f'the mark on "{text}" names an unknown language "{lang}"'),
                        "use a language code, e.g. {lang=en}, {lang=fr}, {lang=ar} or "
                        "{lang=zh-Hans}", text=text, lang=lang)
        for token in tokens:
            loose = _LOOSE_MARK.search(token.content) if token.type == "text" else None
            if loose:
                yield ctx.finding(
                    entry, "lang-mark", form.label(
                        f'"{loose.group(0)}" is not attached to a [phrase] and would show '
                        "as text"), LANG_MARK_HINT, mark=loose.group(0))


def _span_children(tokens: Sequence[Token], index: int) -> list[Token]:
    """The tokens inside the span that opens at ``index``."""
    depth = 0
    for end in range(index, len(tokens)):
        depth += tokens[end].nesting if tokens[end].type.startswith("span_") else 0
        if depth == 0:
            return list(tokens[index + 1:end])
    return list(tokens[index + 1:])


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


def _plain_text_entry(entry: Entry) -> bool:
    """Only an image's alt text or title: the page shows it as it is, markers too."""
    notes = tuple(IMAGE_NOTES.values())
    return bool(entry.auto_comments) and all(c.startswith(notes) for c in entry.auto_comments)


def check_markup(entry: Entry, ctx: CheckContext) -> Iterator[Finding]:
    """Inline markup is balanced and matches the source's (emphasis, bold, code, images)."""
    plain = _plain_text_entry(entry)
    for form in ctx.forms(entry):
        source, translation = text_facts(form.source), text_facts(form.translation)
        stray = translation.stray - source.stray if translation.stray else translation.stray
        if stray:
            shown = ", ".join(f"'{m}'" for m in sorted(stray))
            yield ctx.finding(
                entry, "markup-mismatch",
                form.label(f"unbalanced markup: {shown} would show as text"),
                "close every marker you open (**bold**, *emphasis*, `code`), or write \\* for a "
                "literal asterisk", markers=sorted(stray))
        source_images = len(source.images)
        images = len(translation.images)
        if images != source_images:
            yield ctx.finding(
                entry, "markup-mismatch",
                form.label(f"{images} image(s), the source has {source_images}"),
                "keep each image of the source as ![description](same source); translate the "
                "description only")
        source_kinds, kinds = source.emphasis, translation.emphasis
        added = [f"{_EMPHASIS[k]}: {kinds[k]}, the source has {source_kinds[k]}"
                 for k in _EMPHASIS if kinds[k] > source_kinds[k]]
        if plain and added:
            yield ctx.finding(
                entry, "markup-mismatch",
                form.label("markup would show as text in an image's alt text or title: "
                           + "; ".join(added)),
                "alt text and titles are plain text: write the words without **, * or `")
            continue
        differences = [
            f"{_EMPHASIS[k]}: {kinds[k]}, the source has {source_kinds[k]}"
            for k in _EMPHASIS if kinds[k] != source_kinds[k]
        ]
        if differences:
            yield ctx.finding(
                entry, "markup-mismatch", form.label("markup differs from the source: "
                                                     + "; ".join(differences)),
                "mark the same words as the source does (**bold**, *emphasis*, `code`)",
                severity="warning")
            continue
        if translation.code != source.code:
            yield ctx.finding(
                entry, "markup-mismatch", form.label("text inside `code` differs from the source"),
                "code is not translated: copy the text between backticks as it is",
                severity="warning")


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


def check_html(entry: Entry, ctx: CheckContext) -> Iterator[Finding]:
    """No raw HTML, scripts, handlers, CSS or script URLs the source does not have."""
    for form in ctx.forms(entry):
        found = text_facts(form.translation).html
        if not found:
            continue
        source = Counter(text_facts(form.source).html)
        added = [what for what in found
                 if source[what] == 0 or not what.startswith(("an HTML tag", "raw HTML"))]
        if added:
            yield ctx.finding(
                entry, "html-added", form.label("the translation contains " + ", ".join(added)),
                "write plain text and Markdown only (**bold**, [text](url)); raw HTML and scripts "
                "are never allowed in a translation", found=added)


BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def check_bidi(entry: Entry, ctx: CheckContext) -> Iterator[Finding]:
    """No invisible bidi embeddings, overrides or isolates ("Trojan Source")."""
    for form in ctx.forms(entry):
        chars = list(dict.fromkeys(BIDI_CONTROLS.findall(form.translation)))
        if chars:
            names = ", ".join(f"U+{ord(c):04X} {unicodedata.name(c)}" for c in chars)
            yield ctx.finding(
                entry, "bidi-control",
                form.label(f"invisible bidirectional control character: {names}"),
                "delete it (in vim: search /[\\u202a-\\u202e\\u2066-\\u2069]); the page already "
                "sets the text direction; if a mark is really needed use U+200F RIGHT-TO-LEFT "
                "MARK or U+200E LEFT-TO-RIGHT MARK", characters=[f"U+{ord(c):04X}" for c in chars])


_PRINTF = re.compile(r"%(?:\((?P<name>[^()]*)\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?"
                     r"(?P<conv>[diouxXeEfFgGcrsa%])")
_NAMED = re.compile(r"%\((?P<name>[^()]*)\)[#0 +-]*\d*(?:\.\d+)?(?P<conv>[diouxXeEfFgGcrsa])")
_BRACE = re.compile(r"(?<!\{)\{(?P<name>[A-Za-z_][\w.]*|\d*)(?:![rsa])?(?::[^{}]*)?\}(?!\})")


def placeholders(text: str, printf: bool) -> tuple[list[str], list[str]]:
    """(named placeholders, positional ones in order) of ``text``."""
    named, positional = _placeholders(text, printf)
    return list(named), list(positional)


@lru_cache(maxsize=1 << 14)
def _placeholders(text: str, printf: bool) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if "%" not in text and "{" not in text:
        return (), ()
    named: list[str] = []
    positional: list[str] = []
    pattern = _PRINTF if printf else _NAMED
    for match in pattern.finditer(text):
        if match.group("conv") == "%":
            continue
        if match.group("name") is not None:
            named.append(match.group(0))
        else:
            positional.append(match.group(0))
    for match in _BRACE.finditer(text):
        (named if match.group("name") and not match.group("name").isdigit()
         else positional).append(match.group(0))
    return tuple(named), tuple(positional)


def _is_printf(entry: Entry) -> bool:
    return any(f.endswith("-format") and not f.startswith("no-") and "brace" not in f
               for f in entry.flags)


def placeholder_problems(form: Form, printf: bool) -> list[str]:
    source_named, source_positional = _placeholders(form.source, printf)
    named, positional = _placeholders(form.translation, printf)
    missing, extra = _unmatched(source_named, named)
    problems = []
    if missing and not form.single:
        problems.append("missing " + ", ".join(missing))
    if extra:
        problems.append("unknown " + ", ".join(extra))
    if positional != source_positional and not (form.single and not positional):
        problems.append(f"{' '.join(positional) or 'none'} instead of "
                        f"{' '.join(source_positional)} (same order)")
    return problems


def check_placeholders(entry: Entry, ctx: CheckContext) -> Iterator[Finding]:
    """Placeholders match the source's; a plural entry has every form, none empty."""
    printf = _is_printf(entry)
    for form in ctx.forms(entry):
        problems = placeholder_problems(form, printf)
        if problems:
            yield ctx.finding(
                entry, "placeholder-mismatch", form.label("placeholders differ from the source: "
                                                          + "; ".join(problems)),
                "copy each placeholder (%(name)s, %s, {name}) exactly as in the source; only the "
                "words around it are translated", problems=problems)
    if entry.msgid_plural is None:
        return
    name = ctx.lang.english_name
    if ctx.catalog_nplurals is not None and ctx.catalog_nplurals != ctx.nplurals:
        yield ctx.finding(
            entry, "placeholder-mismatch",
            f"the catalog's Plural-Forms header says nplurals={ctx.catalog_nplurals}, "
            f"{name} needs {ctx.nplurals}",
            f'set the header to "Plural-Forms: {ctx.lang.plural_forms}" and fill every form')
    for index, text in enumerate(entry.msgstr_plural):
        if not text:
            values = ctx.plural_values[index] if index < len(ctx.plural_values) else ()
            used = ", ".join(map(str, values[:4])) + (", …" if len(values) > 4 else "")
            yield ctx.finding(
                entry, "placeholder-mismatch", f"plural form msgstr[{index}] is empty",
                f"fill it: {name} uses this form for n = {used}" if used
                else "fill every plural form", form=index)


_DIGITS = re.compile(r"\d+")


def numbers(text: str, printf: bool) -> Counter[str]:
    """Digit runs a reader sees, as ASCII (Arabic-Indic and full-width digits included)."""
    return Counter(_numbers(text, printf))


@lru_cache(maxsize=1 << 14)
def _numbers(text: str, printf: bool) -> Counter[str]:  # never changed: see numbers()
    shown = text_facts(text).visible
    if _DIGITS.search(shown) is None:
        return Counter()
    shown = (_PRINTF if printf else _NAMED).sub(" ", shown)
    shown = _BRACE.sub(" ", shown)
    return Counter("".join(str(unicodedata.decimal(c)) for c in run)
                   for run in _DIGITS.findall(shown))


def check_numbers(entry: Entry, ctx: CheckContext) -> Iterator[Finding]:
    """Every number of the source appears in the translation (in any digits)."""
    printf = _is_printf(entry)
    for form in ctx.forms(entry):
        source = _numbers(form.source, printf)
        if not source:
            continue
        missing = source - _numbers(form.translation, printf)
        if missing:
            shown = ", ".join(sorted(missing.elements(), key=lambda n: (len(n), n)))
            yield ctx.finding(
                entry, "number-changed", form.label(f"number(s) missing from the translation: "
                                                    f"{shown}"),
                "keep the numbers of the source (digits, not words); separators may follow your "
                "language (1,000 → 1.000 or 1 000)", numbers=sorted(missing))


_LETTER = re.compile(r"[^\W\d_]")
_WORD = re.compile(r"[^\W\d_][\w'’.-]*")
_ONLY_URL = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*://\S+|\S+@\S+\.\w+|/\S*)\s*$", re.I)


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFC", text).replace("’", "'").replace("\u00a0", " ")
    return " ".join(text.casefold().split())


def is_name_like(text: str, ctx: CheckContext) -> bool:
    """Text that may rightly stay as it is: no letters, acronyms, the site name, URLs,
    glossary terms whose approved translation is the term itself."""
    shown = visible_text(text)
    if not _LETTER.search(shown) or _ONLY_URL.match(shown):
        return True
    words = _WORD.findall(shown)
    if words and all(w.isupper() and len(_LETTER.findall(w)) >= 2 for w in words):
        return True
    folded = _fold(shown)
    if ctx.site_title and folded == _fold(ctx.site_title):
        return True
    return any(_fold(t.term) == folded and _fold(t.translation) == folded for t in ctx.glossary)


def check_same_as_source(entry: Entry, ctx: CheckContext) -> Iterator[Finding]:
    """The translation is not the source text copied unchanged (names excepted)."""
    if ctx.lang.base.split("_")[0] == ctx.source_language.base.split("_")[0]:
        return  # en_GB from en, or a pseudo-locale: equal text is expected
    for form in ctx.forms(entry):
        if text_facts(form.translation).folded != text_facts(form.source).folded:
            continue
        if is_name_like(form.source, ctx):
            continue
        yield ctx.finding(
            entry, "same-as-source", form.label("the translation is the same as the source"),
            "translate it; if it is right as it is (a name, a word your language borrows), add a "
            "translator comment saying so and the flag '#, no-check-same-as-source'")


def check_length(entry: Entry, ctx: CheckContext) -> Iterator[Finding]:
    """Visible length within the language's tolerance of the source's (long strings only)."""
    low, high = ctx.length_ratio
    for form in ctx.forms(entry):
        source = text_facts(form.source).visible_length
        if source < max(ctx.length_min, 1):
            continue
        ratio = text_facts(form.translation).visible_length / source
        if low <= ratio <= high:
            continue
        longer = ratio > high
        yield ctx.finding(
            entry, "length-ratio",
            form.label(f"the translation is {ratio:.0%} of the source's length (expected "
                       f"{low:.0%}–{high:.0%} for {ctx.lang.english_name})"),
            "check for repeated or added text" if longer else
            "check that no sentence or clause was left out",
            ratio=round(ratio, 3), expected=[low, high])


_CLASSES: dict[str, tuple[str, ...]] = {
    "full stop": (".", "。", "۔", "।", "．"),
    "question mark": ("?", "？", "؟"),
    "exclamation mark": ("!", "！"),
    "colon": (":", "：", "∶"),
    "semicolon": (";", "；", "؛"),
    "comma": (",", "，", "、", "،"),
    "ellipsis": ("...", "……", "…", "⋯"),
}
_DEFAULT_ALLOWED: dict[str, tuple[str, ...]] = {
    "full stop": (".",), "question mark": ("?",), "exclamation mark": ("!",), "colon": (":",),
    "semicolon": (";",), "comma": (",",), "ellipsis": ("…", "..."),
}
_CJK_ALLOWED = {"full stop": ("。",), "question mark": ("？",), "exclamation mark": ("！",),
                "colon": ("：",), "semicolon": ("；",), "comma": ("，", "、"),
                "ellipsis": ("……", "…")}
_ARABIC_ALLOWED = {**_DEFAULT_ALLOWED, "question mark": ("؟",), "semicolon": ("؛",),
                   "comma": ("،",)}
_LANG_ALLOWED = {"zh": _CJK_ALLOWED, "ja": _CJK_ALLOWED, "ar": _ARABIC_ALLOWED,
                 "fa": _ARABIC_ALLOWED, "ur": {**_ARABIC_ALLOWED, "full stop": ("۔", ".")}}
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


def check_punctuation(entry: Entry, ctx: CheckContext) -> Iterator[Finding]:
    """Same kind of ending punctuation (in the language's own marks) and edge whitespace."""
    language = ctx.lang.base.split("_")[0]
    allowed = _LANG_ALLOWED.get(language, _DEFAULT_ALLOWED)
    for form in ctx.forms(entry):
        for edge, test in (("leading", str.lstrip), ("trailing", str.rstrip)):
            source_space = test(form.source) != form.source
            space = test(form.translation) != form.translation
            if source_space != space:
                yield ctx.finding(
                    entry, "punctuation",
                    form.label(f"{edge} whitespace differs from the source "
                               f"({'none' if not source_space else 'some'} in the source)"),
                    f"keep the source's {edge} spaces and line breaks exactly")
        source_class, _ = text_facts(form.source).ending
        cls, mark = text_facts(form.translation).ending
        if cls != source_class:
            if source_class is None:
                message = f"the translation ends with a {cls} ({mark}), the source does not"
                hint = "end it as the source does, without a punctuation mark"
            else:
                want = " or ".join(allowed[source_class])
                message = (f"the source ends with a {source_class}, the translation "
                           + (f"with a {cls} ({mark})" if cls else "does not"))
                hint = f"end it with {want}"
            yield ctx.finding(entry, "punctuation", form.label(message), hint,
                              expected=source_class, found=cls)
            continue
        if cls is not None and mark not in allowed[cls]:
            want = " or ".join(allowed[cls])
            yield ctx.finding(
                entry, "punctuation",
                form.label(f"{ctx.lang.english_name} writes the {cls} as {want}, not {mark}"),
                f"end it with {want}", expected=want, found=mark)
        if (language == "es" and cls in ("question mark", "exclamation mark")
                and ("¿" if cls == "question mark" else "¡") not in form.translation):
            opener, what = ("¿", "question") if cls == "question mark" else ("¡", "exclamation")
            yield ctx.finding(
                entry, "punctuation", form.label(f"a Spanish {what} opens with {opener}"),
                f"add {opener} where the question or exclamation begins")


# --- what translate-toolkit's pofilter checks too (docs/translators.md compares them) -----


@lru_cache(maxsize=1 << 14)
def _plain(text: str, printf: bool) -> str:
    """What a reader sees of ``text`` with its placeholders blanked: the parentheses of
    ``%(name)s`` and the braces of ``{name}`` are syntax, not brackets."""
    # HTML (a template message's <abbr title="…">) is not text: its quotes belong to attributes.
    shown = _visible(inline_tokens(text, html_enabled=True)) if "<" in text else (
        text_facts(text).visible)
    if "%" not in shown and "{" not in shown:
        return shown
    return _BRACE.sub(" ", (_PRINTF if printf else _NAMED).sub(" ", shown))


def _texts(entry: Entry) -> tuple[str, ...]:
    """The entry's source and translated texts, for a check's quick "nothing to see" test
    (most entries have no bracket, quote, address or line break at all)."""
    translations = entry.msgstr_plural if entry.msgid_plural is not None else (entry.msgstr,)
    return (entry.msgid, entry.msgid_plural or "", *translations)


def _translations(entry: Entry) -> tuple[str, ...]:
    return entry.msgstr_plural if entry.msgid_plural is not None else (entry.msgstr,)


# (name, openers, closers): each language's own forms count as the same bracket, so
# Chinese （ ） is ( ) and ［ ］, 〔 〕 or 【 】 are [ ]. The CJK title marks 《 》 〈 〉 are
# not counted (English sets a title in italics), nor ﴾ ﴿, which frame Quranic verses.
_BRACKETS: tuple[tuple[str, str, str], ...] = (
    ("round", "(（", ")）"),
    ("square", "[［〔【〖", "]］〕】〗"),
    ("curly", "{｛", "}｝"),
)
_ANY_BRACKET = re.compile("[" + re.escape("".join(o + c for _, o, c in _BRACKETS)) + "]")
# A bracketed text, shown to the translator as written (a %(name)s placeholder included).
_BRACKETED = {name: re.compile(f"[{re.escape(o)}](?:%\\([^()]*\\)|[^{re.escape(o + c)}])*"
                               f"[{re.escape(c)}]")
              for name, o, c in _BRACKETS}
# Double quotation marks in every language's style (“…” "…", French «…», German „…“ and
# »…«, CJK 「…」 and its vertical ﹁…﹂): each quotation has two, whichever the style.
# Single quotes are not counted: ’ and ' are also apostrophes (qu’il, don't), and nested
# quotes (‘ ’, ‹ ›, 『 』) follow each language's own rules.
_QUOTE_MARKS = "\"“”„‟«»「」﹁﹂＂〝〞〟"
_ANY_QUOTE = re.compile(f"[{_QUOTE_MARKS}]")
_QUOTED = re.compile(f"[\"“„«»「﹁＂〝]([^{_QUOTE_MARKS}]{{1,60}})[\"”“»«」﹂＂〞〟]")


def _syntax_left_as_text(form: Form) -> bool:
    """A broken link, raw HTML or a loose language mark shows its brackets, quotes and
    URLs as text: link-missing, html-added and lang-mark report it, and an error is
    enough for one mistake."""
    source, translation = text_facts(form.source), text_facts(form.translation)
    return (len(translation.links) < len(source.links) or bool(translation.html)
            or bool(_LOOSE_MARK.search(translation.visible)))


def _bracket_counts(shown: str) -> tuple[tuple[int, int], ...]:
    """(openers, closers) per bracket class."""
    if _ANY_BRACKET.search(shown) is None:
        return ((0, 0),) * len(_BRACKETS)
    return tuple((sum(map(shown.count, opens)), sum(map(shown.count, closes)))
                 for _, opens, closes in _BRACKETS)


def _pairs(count: int) -> str:
    return "none" if count == 0 else f"{count} pair{'s' * (count != 1)}"


def _shown_segments(pattern: re.Pattern[str], shown: str) -> str:
    found = list(dict.fromkeys(m.group(0) for m in pattern.finditer(shown)))
    return (": " + ", ".join(f'"{s}"' for s in found[:3]) + (", …" if len(found) > 3 else "")
            if found else "")


def check_brackets(entry: Entry, ctx: CheckContext) -> Iterator[Finding]:
    """The translation neither adds nor drops brackets: an added "(…)" is most often a
    gloss or a brand name the source does not have."""
    if ctx.lang.is_pseudo or not any(map(_ANY_BRACKET.search, _texts(entry))):
        return  # a pseudo-locale brackets every message on purpose
    printf = _is_printf(entry)
    for form in ctx.forms(entry):
        if _syntax_left_as_text(form):
            continue
        source_counts = _bracket_counts(_plain(form.source, printf))
        counts = _bracket_counts(_plain(form.translation, printf))
        if counts == source_counts:
            continue
        for (name, opens, closes), (s_open, s_close), (t_open, t_close) in zip(
                _BRACKETS, source_counts, counts, strict=True):
            if (s_open, s_close) == (t_open, t_close):
                continue
            if t_open != t_close and s_open == s_close:
                message = (f"the translation's {name} brackets do not pair up: {t_open} × "
                           f"{opens[0]} and {t_close} × {closes[0]}")
                hint = f"close every bracket you open ({opens[0]} {closes[0]})"
            elif t_open + t_close > s_open + s_close:
                shown = text_facts(form.translation).visible
                message = (f"the translation adds {name} brackets: "
                           f"{_pairs(max(t_open, t_close))}, the source has "
                           f"{_pairs(max(s_open, s_close))}"
                           + (_shown_segments(_BRACKETED[name], shown) if not s_open else ""))
                hint = ("brackets the source does not have often add a gloss, a synonym or a "
                        "brand name: say what the source says; if the addition is right, "
                        "explain why in a translator comment and add "
                        "'#, no-check-bracket-mismatch'")
            else:
                message = (f"the translation drops {name} brackets: "
                           f"{_pairs(max(t_open, t_close))}, the source has "
                           f"{_pairs(max(s_open, s_close))}")
                hint = ("check that what the source says in brackets (an abbreviation, an "
                        "aside) is still said; your language's own brackets count as the "
                        "same, e.g. （ ） for ( )")
            yield ctx.finding(entry, "bracket-mismatch", form.label(message), hint,
                              brackets=name, source=[s_open, s_close],
                              translation=[t_open, t_close])


def _quotes(shown: str) -> int:
    return len(_ANY_QUOTE.findall(shown)) if _ANY_QUOTE.search(shown) else 0


def _quotations(marks: int) -> str:
    return "none" if marks == 0 else f"{marks // 2 or 1} quotation{'s' * (marks > 3)}"


def check_quotes(entry: Entry, ctx: CheckContext) -> Iterator[Finding]:
    """The translation neither adds nor drops quotation marks, in whatever style its
    language writes them: French « » for English “ ” is the same quotation."""
    if ctx.lang.is_pseudo or not any(map(_ANY_QUOTE.search, _texts(entry))):
        return
    printf = _is_printf(entry)
    for form in ctx.forms(entry):
        shown = _plain(form.translation, printf)
        source, marks = _quotes(_plain(form.source, printf)), _quotes(shown)
        if marks == source or _syntax_left_as_text(form):
            continue
        if marks % 2 and not source % 2:
            message = f"the translation's quotation marks do not pair up: {marks} marks"
            hint = "close every quotation you open"
        elif marks > source:
            message = (f"the translation adds quotation marks: {_quotations(marks)}, the "
                       f"source has {_quotations(source)}"
                       + (_shown_segments(_QUOTED, shown) if not source else ""))
            hint = ("quotation marks the source does not have often set off a gloss or a "
                    "colloquial name: say what the source says; if they are right, explain "
                    "why in a translator comment and add '#, no-check-quote-mismatch'")
        else:
            message = (f"the translation drops quotation marks: {_quotations(marks)}, the "
                       f"source has {_quotations(source)}")
            hint = ("keep the source's quotations, in your language's style (« », „ “, "
                    "「 」 count as the same as “ ”)")
        yield ctx.finding(entry, "quote-mismatch", form.label(message), hint,
                          source=source, translation=marks)


# Words some languages rightly write twice (French "nous nous levons", German "die die").
_VALID_REPEATS = {"fr": frozenset({"nous", "vous"}), "de": frozenset({"der", "die", "das"}),
                  "nl": frozenset({"dat", "die"})}
_REPEATED = re.compile(r"(?<![^\W\d_])([^\W\d_]+)\s+\1(?![^\W\d_])", re.IGNORECASE)


def _repeats(shown: str) -> set[str]:
    return {m.group(1).casefold() for m in _REPEATED.finditer(shown)}


def check_repeated_words(entry: Entry, ctx: CheckContext) -> Iterator[Finding]:
    """No word written twice in a row ("de de"), unless the source repeats it too (a
    name such as "Bora Bora") or the language's grammar does (French "nous nous")."""
    if ctx.lang.is_pseudo:
        return  # its padding words may follow the same word of the source
    if not any(_repeats(text_facts(t).visible) for t in _translations(entry) if t):
        return  # the source is read only when a translation repeats a word
    valid = _VALID_REPEATS.get(ctx.lang.base.split("_")[0], frozenset())
    for form in ctx.forms(entry):
        shown = text_facts(form.translation).visible
        repeated = _repeats(shown) - _repeats(text_facts(form.source).visible) - valid
        if not repeated:
            continue
        words = sorted(repeated)
        yield ctx.finding(
            entry, "repeated-word",
            form.label("repeated word: " + ", ".join(f'"{w} {w}"' for w in words)),
            "delete one of them; if the repetition is right, explain why in a translator "
            "comment and add '#, no-check-repeated-word'", words=words)


# Web and e-mail addresses written as text (a link's URL is check_links' business).
_ADDRESS = re.compile(r"(?:https?|ftp)://[\w\-.~:/?#\[\]@!$&'()*+,;=%]+"
                      r"|www\.[\w\-.~:/?#\[\]@!$&'()*+,;=%]+"
                      r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.ASCII)


def _addresses(text: str) -> list[str]:
    if "@" not in text and "://" not in text and "www." not in text:
        return []
    out: list[str] = []
    autolink = False
    # Raw HTML is not text (html-added reports it in a translation): its URLs are skipped.
    for token in inline_tokens(text, html_enabled="<" in text):
        if token.type in ("link_open", "link_close"):
            autolink = token.type == "link_open" and token.markup == "autolink"
        elif token.type == "text" and not autolink:
            for match in _ADDRESS.finditer(token.content):
                address = match.group(0).rstrip(".,;:!?'")
                if address.endswith(")") and "(" not in address:
                    address = address.rstrip(")")
                out.append(address)
    return out


def check_addresses(entry: Entry, ctx: CheckContext) -> Iterator[Finding]:
    """A web or e-mail address written in the text is kept exactly: readers copy it."""
    if ctx.lang.is_pseudo or not any(
            "@" in t or "://" in t or "www." in t for t in _texts(entry)):
        return  # a pseudo-locale transforms every word it does not keep for the renderer
    for form in ctx.forms(entry):
        if _syntax_left_as_text(form):
            continue
        missing, extra = _unmatched(_addresses(form.source), _addresses(form.translation))
        for old, new in zip(missing, extra, strict=False):
            yield ctx.finding(
                entry, "url-changed", form.label(f'address changed: "{old}" → "{new}"'),
                f'addresses are not translated: write "{old}" exactly as the source does',
                url=old, translation_url=new)
        for old in missing[len(extra):]:
            yield ctx.finding(
                entry, "url-changed", form.label(f'the address "{old}" is missing'),
                f'keep every address of the source exactly: "{old}"', url=old)
        for new in extra[len(missing):]:
            yield ctx.finding(
                entry, "url-changed", form.label(f'the translation adds the address "{new}"'),
                "remove it: a translation has the same addresses as the source, no more",
                translation_url=new)


def check_line_breaks(entry: Entry, ctx: CheckContext) -> Iterator[Finding]:
    """Hard line breaks (a backslash or two spaces before the newline) match the source's;
    a plain newline inside a paragraph is a space to the reader and is not compared."""
    if not any("\n" in t for t in _texts(entry)):
        return
    for form in ctx.forms(entry):
        source = sum(t.type == "hardbreak" for t in inline_tokens(form.source))
        breaks = sum(t.type == "hardbreak" for t in inline_tokens(form.translation))
        if breaks != source:
            yield ctx.finding(
                entry, "markup-mismatch",
                form.label(f"line breaks differ from the source: {breaks}, the source has "
                           f"{source}"),
                "break the lines where the source does: a backslash at the end of the line "
                "(\\ then a new line)", severity="warning")


def check_html_kept(entry: Entry, ctx: CheckContext) -> Iterator[Finding]:
    """The HTML tags of the source (a template's message may hold one) are kept: check_html
    reports what a translation adds, this what it drops."""
    if "<" not in entry.msgid and "<" not in (entry.msgid_plural or ""):
        return
    for form in ctx.forms(entry):
        source = text_facts(form.source).html
        if not source:
            continue
        dropped = Counter(source) - Counter(text_facts(form.translation).html)
        if dropped:
            yield ctx.finding(
                entry, "markup-mismatch",
                form.label("the translation drops HTML of the source: " + ", ".join(
                    sorted(d.removeprefix("an HTML tag ") for d in dropped))),
                "keep the source's HTML tags as they are; translate only the text between "
                "them", severity="warning")


def check_blank(entry: Entry, ctx: CheckContext) -> Iterator[Finding]:
    """A translation of only spaces or newlines counts as translated but shows nothing."""
    if all(t.strip() or not t for t in _translations(entry)):
        return
    for form in ctx.forms(entry):
        if not form.translation.strip() and form.source.strip():
            yield ctx.finding(
                entry, "blank-translation", form.label("the translation is only white space"),
                "translate it, or empty it (msgstr \"\") so that readers get the source text")


MERGE_CONFLICT = "#-#-#-#-#"


def check_merge_conflict(entry: Entry, ctx: CheckContext) -> Iterator[Finding]:
    """msgcat writes every differing translation, between #-#-#-#-# lines, when it merges
    catalogs that disagree: all of them would be published."""
    if not any(MERGE_CONFLICT in t for t in _translations(entry)):
        return
    for form in ctx.forms(entry):
        if MERGE_CONFLICT in form.translation:
            yield ctx.finding(
                entry, "merge-conflict",
                form.label(f"the translation holds msgcat's conflict markers ({MERGE_CONFLICT})"),
                "keep the one right translation; delete the others and the marker lines")


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


def check_glossary(entry: Entry, ctx: CheckContext) -> Iterator[Finding]:
    """A glossary term in the source is translated with one of its approved translations."""
    if not ctx.glossary or ctx.lang.is_pseudo:
        return  # a pseudo-locale transforms every word, names included
    terms = _glossary_entries(ctx.glossary)
    for form in ctx.forms(entry):
        source = text_facts(form.source).folded
        translation = text_facts(form.translation).folded
        for term in terms:
            # The pattern matches the folded term as it is: only a text holding it can match.
            if term.folded not in source or not term.pattern.search(source):
                continue
            if any(t in translation for t in term.translations):
                continue
            rows = term.rows
            approved = " or ".join(f'"{r.translation}"' for r in rows)
            notes = "; ".join(r.note for r in rows if r.note)
            yield ctx.finding(
                entry, "glossary",
                form.label(f'"{rows[0].term}" is not translated as {approved} (glossary)'),
                (f"{notes}; " if notes else "") + "use the approved term, or explain in a "
                "translator comment why not and add '#, no-check-glossary'",
                related=tuple(r.location for r in rows), term=rows[0].term,
                approved=[r.translation for r in rows])


def check_blocks(entry: Entry, ctx: CheckContext) -> Iterator[Finding]:
    """No block structure the source does not have: a translation is one block's inside."""
    for form in ctx.forms(entry):
        structure = text_facts(form.translation).blocks
        if not structure:
            continue
        allowed = Counter(kind for kind, _, _ in text_facts(form.source).blocks)
        added = []
        for kind, line, text in structure:
            if allowed[kind] > 0:
                allowed[kind] -= 1
            else:
                added.append(f'{kind} (line {line}: "{text}")')
        if added:
            yield ctx.finding(
                entry, "block-added", form.label("the translation adds " + ", ".join(added)),
                "keep the translation's structure like the English: one block, no new "
                "heading, list, quote, code or table; join the lines, or write a backslash "
                "before the mark to keep it as text (\\#, \\>, \\-, 1\\.)",
                added=added)


CHECKS: tuple[Check, ...] = (
    check_links,
    check_markup,
    check_blocks,
    check_lang_marks,
    check_html,
    check_bidi,
    check_placeholders,
    check_numbers,
    check_same_as_source,
    check_length,
    check_punctuation,
    check_brackets,
    check_quotes,
    check_repeated_words,
    check_addresses,
    check_line_breaks,
    check_html_kept,
    check_blank,
    check_merge_conflict,
    check_glossary,
)


# --- silencing ---------------------------------------------------------------------------


def silencing_reason(entry: Entry) -> str | None:
    """The translator comment that explains a no-check flag (pre-fill notes do not count)."""
    for comment in entry.translator_comments:
        text = comment.strip()
        if _LETTER.search(text) and not text.startswith(PREFILL_MARK):
            return text
    return None


def silenced(entry: Entry, ctx: CheckContext) -> tuple[frozenset[str], list[Finding]]:
    """Codes this entry's flags silence, and findings about flags that do not work."""
    flagged = [f[len(FLAG_PREFIX):] for f in entry.flags if f.startswith(FLAG_PREFIX)]
    if not flagged:
        return frozenset(), []
    notes: list[Finding] = []
    reason = silencing_reason(entry)
    codes: set[str] = set()
    for code in flagged:
        flag = FLAG_PREFIX + code
        if code not in CODES or code in FLAG_CODES | SOURCE_CODES:
            notes.append(ctx.finding(
                entry, "flag-unknown-check", f"flag '{flag}' names no check",
                "checks a flag can silence: " + ", ".join(SILENCEABLE), flag=flag))
        elif code in UNSILENCEABLE:
            notes.append(ctx.finding(
                entry, "flag-not-allowed", f"'{code}' cannot be silenced; the flag has no effect",
                f"fix the translation instead and remove '{flag}'", flag=flag))
        elif reason is None:
            notes.append(ctx.finding(
                entry, "flag-without-reason",
                f"flag '{flag}' has no translator comment saying why; '{code}' is still checked",
                f"add a line '# <why this is right>' above the entry, e.g. '# {code}: a brand "
                "name, kept as it is'", flag=flag))
        else:
            codes.add(code)
    return frozenset(codes), notes


def check_entry(entry: Entry, ctx: CheckContext,
                checks: Sequence[Check] = CHECKS) -> list[Finding]:
    """All findings for one entry, minus the codes its (explained) flags silence."""
    quiet, notes = silenced(entry, ctx)
    found = [f for check in checks for f in check(entry, ctx) if f.code not in quiet]
    return found + notes


def should_check(entry: Entry, include_fuzzy: bool) -> bool:
    if entry.obsolete or not entry.msgid or not entry.has_translation:
        return False
    return include_fuzzy or not entry.fuzzy


# --- the stage -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LanguageSummary:
    language: str
    path: str
    checked: int  # entries checked
    errors: int
    warnings: int

    def to_dict(self) -> dict[str, Any]:
        return {"language": self.language, "path": self.path, "checked": self.checked,
                "errors": self.errors, "warnings": self.warnings}


@dataclass(frozen=True, slots=True)
class CheckResult:
    """What ``run_checks`` found: findings in catalog order and per-language counts."""

    findings: tuple[Finding, ...]
    languages: tuple[LanguageSummary, ...]
    ignored: tuple[str, ...] = ()

    @property
    def errors(self) -> int:
        return sum(s.errors for s in self.languages)

    @property
    def warnings(self) -> int:
        return sum(s.warnings for s in self.languages)

    @property
    def ok(self) -> bool:
        """No error finding: the translation QA gate passes."""
        return self.errors == 0

    def language(self, code: str) -> LanguageSummary | None:
        return next((s for s in self.languages if s.language == code), None)

    def summary(self) -> dict[str, Any]:
        return {"languages": {s.language: s.to_dict() for s in self.languages},
                "ignored": list(self.ignored), "ok": self.ok}


def validate_ignore(codes: Iterable[str], where: str, config_file: str | None = None
                    ) -> tuple[str, ...]:
    """Codes to ignore (commas allowed); unknown or unsilenceable codes are refused."""
    error = PipelineError if config_file else UsageError
    location = Location(config_file) if config_file else None
    out: list[str] = []
    for raw in codes:
        for code in (c.strip() for c in raw.split(",")):
            if not code:
                continue
            if code not in CODES:
                raise error(f"{where}: unknown check code {code!r}", location,
                            "known codes: " + ", ".join(CODES))
            if code in UNSILENCEABLE:
                raise error(f"{where}: {code!r} cannot be ignored", location,
                            "html-added and bidi-control always run; fix the translation "
                            "instead")
            out.append(code)
    return tuple(dict.fromkeys(out))


# What an entry's findings were, by a digest of the entry (all but its line) and of the
# check context: (the entry's line then, its findings).
Memo = dict[bytes, tuple[int, tuple[Finding, ...]]]


def _entry_digest(context: bytes, entry: Entry) -> bytes:
    hasher = hashlib.blake2b(context, digest_size=16)
    hasher.update(repr((entry.msgid, entry.msgstr, entry.msgctxt, entry.msgid_plural,
                        entry.msgstr_plural, entry.locations, entry.auto_comments,
                        entry.translator_comments, entry.flags, entry.previous_msgctxt,
                        entry.previous_msgid, entry.previous_msgid_plural,
                        entry.obsolete)).encode("utf-8", "surrogatepass"))
    return hasher.digest()


def _at_line(findings: tuple[Finding, ...], path: str, was: int, now: int
             ) -> tuple[Finding, ...]:
    """Findings remembered for an entry that has moved from line ``was`` to ``now``."""
    if was == now:
        return findings
    here = Location(path, was)
    return tuple(replace(f, location=Location(path, now)) if f.location == here else f
                 for f in findings)


def check_catalog(config: Config, lang: Lang, catalog: Catalog, *,
                  glossary: tuple[GlossaryTerm, ...] = (), ignore: Iterable[str] = (),
                  include_fuzzy: bool = False, memo: Memo | None = None
                  ) -> tuple[list[Finding], LanguageSummary, Memo]:
    """One catalog's findings and summary; with ``memo`` (the last run's third value), an
    entry unchanged since then is not checked again: its findings are reused, at its
    line of today. The third value is the memo for the next run."""
    ctx = make_context(config, lang, catalog, glossary if config.check.glossary else ())
    context = repr((__version__, ctx)).encode("utf-8", "surrogatepass")
    fuzzy = include_fuzzy or config.lang_config(lang).fallback == "outdated"
    skip = frozenset(ignore)
    findings: list[Finding] = []
    checked = 0
    known = memo or {}
    now: Memo = {}
    for entry in catalog.entries:
        if not should_check(entry, fuzzy):
            continue
        checked += 1
        key = _entry_digest(context, entry)
        seen = known.get(key)
        if seen is None:
            found = tuple(check_entry(entry, ctx))
        else:
            found = _at_line(seen[1], ctx.path, seen[0], entry.line)
        now[key] = (entry.line, found)
        findings += [f for f in found if f.code not in skip]
    summary = LanguageSummary(
        lang.code, catalog.path, checked,
        errors=sum(1 for f in findings if f.severity == "error"),
        warnings=sum(1 for f in findings if f.severity == "warning"),
    )
    return findings, summary, now


def check_pages(config: Config, ignore: Iterable[str] = ()
                ) -> tuple[list[Finding], LanguageSummary]:
    """The source pages' findings (their links) and their summary, under the source
    language; ``checked`` counts the links."""
    pages = load_pages(config.pages_dir, config.root)
    links = site_links(config, pages, [name for name, _ in page_assets(config)])
    skip = frozenset(ignore)
    findings = [f for f in dead_links(links) if f.code not in skip]
    return findings, LanguageSummary(
        config.source_language.code, config.pages,
        checked=sum(len(links.targets(page)) for page in pages),
        errors=sum(1 for f in findings if f.severity == "error"),
        warnings=sum(1 for f in findings if f.severity == "warning"))


def run_checks(config: Config, languages: Sequence[Lang] | None = None, *,
               ignore: Iterable[str] = (), include_fuzzy: bool = False,
               memo: dict[str, Memo] | None = None) -> CheckResult:
    """Check the catalogs of ``languages`` (default: the configured ones), and the source
    pages when the source language is one of them (default: it is).

    ``ignore`` adds codes to ``[tool.pipeline.check] ignore``. Every catalog is read
    (and a broken one reported) before anything is checked. ``memo`` (language → what
    ``check_catalog`` remembered; the build keeps it in its cache) is read and updated.
    """
    section = "tool.pipeline" if config.file == "pyproject.toml" else "pipeline"
    skip = (validate_ignore(config.check.ignore, f"{section}.check.ignore", config.file)
            + validate_ignore(ignore, "--ignore"))
    source = config.source_language
    with_pages = not languages or any(lg.code == source.code for lg in languages)
    langs = (tuple(lg for lg in languages if lg.code != source.code) if languages
             else config.languages)
    with paused_gc():
        catalogs: list[tuple[Lang, Catalog]] = []
        for lang in langs:
            path = config.po_path(lang)
            if not path.exists():  # a folder in its place is read, and reported, as one
                raise PipelineError("no catalog for this language",
                                    Location(config.rel(path)),
                                    f"run 'pipeline init {lang.code}' or 'pipeline update'")
            catalogs.append((lang, load_catalog(config, lang)))
        glossary = load_glossary(config) if config.check.glossary else ()

        def check(job: tuple[Lang, Catalog]) -> tuple[list[Finding], LanguageSummary, Memo]:
            return check_catalog(config, job[0], job[1], glossary=glossary, ignore=skip,
                                 include_fuzzy=include_fuzzy,
                                 memo=None if memo is None else memo.get(job[0].code))

        # Languages are independent: with a second CPU, a child checks half of them.
        entries = sum(len(catalog.entries) for _, catalog in catalogs)
        findings: list[Finding] = []
        summaries: list[LanguageSummary] = []
        if with_pages:
            found_in_pages, pages_summary = check_pages(config, skip)
            findings += found_in_pages
            summaries.append(pages_summary)
        for (lang, _), (found, summary, remembered) in zip(
                catalogs, map_split(check, catalogs, split=entries >= SPLIT_ENTRIES),
                strict=True):
            findings += found
            summaries.append(summary)
            if memo is not None:
                memo[lang.code] = remembered
    return CheckResult(tuple(findings), tuple(summaries), tuple(dict.fromkeys(skip)))


def report_path(config: Config) -> Path:
    return config.output_dir / "reports" / "qa.json"


def qa_document(result: CheckResult) -> dict[str, Any]:
    from pipeline.reporters.json import findings_document

    return findings_document("qa", result.findings, result.summary())


def write_qa_report(config: Config, result: CheckResult) -> Path:
    """``output/reports/qa.json``; unchanged bytes are not rewritten."""
    from pipeline.reporters.json import write_report

    path = report_path(config)
    write_report(path, qa_document(result), config.rel(path))
    return path
