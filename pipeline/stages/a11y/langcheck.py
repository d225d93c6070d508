"""Rendered page → language and direction findings that no accessibility runner makes.

axe and HTML_CodeSniffer check that ``lang`` exists and is a valid code, not that it
is *right*. Three checks on the rendered HTML, each finding traced through the render
stage's ``data-src`` / ``data-po`` attributes to the Markdown line and the catalog
entry (``pipeline.text.htmltree.trace``):

``dir-mismatch``
    ``dir`` disagrees with ``lang``: on ``<html>`` (``lang="ar"`` needs ``dir="rtl"``),
    on every element that sets ``lang`` (``<span lang="ar">`` inside a left-to-right
    page needs ``dir="rtl"``, ``dir="auto"`` or a ``<bdi>``), and right-to-left text
    laid out left to right.
``language-mismatch``
    the page's ``<html lang>`` is not the language of its folder, or an element's
    text is not in the script of the language it claims: letters of another
    non-Latin script (Arabic inside ``lang="en"``, Chinese inside ``lang="ar"``), or
    Latin text inside a non-Latin language that reads as a phrase or sentence — at
    least ``LATIN_PHRASE_WORDS`` lower-case words in one run — rather than a name,
    acronym, drug name or number ("NINDS", "NIH", "Botox", "Riverside Neurology Clinic"
    pass; "Is there any treatment?" does not). Script detection cannot tell English
    from Spanish; untranslated text that the renderer marks ``lang="en"`` is honest
    and passes.
``bidi-control``
    Unicode bidirectional embedding, override and isolate controls (U+202A to U+202E,
    U+2066 to U+2069) in text or attribute values: invisible, they reorder what a reader
    sees ("Trojan Source"). Use ``dir`` and ``<bdi>`` markup instead. The marks
    U+200E/U+200F/U+061C are allowed.

Code (``code``, ``pre``, ``kbd``, ``samp``, ``var``), scripts, styles and anything
marked ``translate="no"`` are exempt from the script check (not from the bidi check).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache

from babel.core import get_global

from pipeline.errors import PipelineError
from pipeline.models import Finding, frozen_details
from pipeline.text.htmltree import VOID, Element, Locate, pa11y_selector, trace
from pipeline.text.langs import Lang, parse_lang

RUNNER = "langcheck"
CODES = ("dir-mismatch", "language-mismatch", "bidi-control")
LATIN_PHRASE_WORDS = 3  # lower-case Latin words in one run that make a phrase, not a name
FOREIGN_RUN_LETTERS = 2  # letters of another script in a row that make a word
BIDI_CONTROLS = {
    "\u202a": "LEFT-TO-RIGHT EMBEDDING",
    "\u202b": "RIGHT-TO-LEFT EMBEDDING",
    "\u202c": "POP DIRECTIONAL FORMATTING",
    "\u202d": "LEFT-TO-RIGHT OVERRIDE",
    "\u202e": "RIGHT-TO-LEFT OVERRIDE",
    "\u2066": "LEFT-TO-RIGHT ISOLATE",
    "\u2067": "RIGHT-TO-LEFT ISOLATE",
    "\u2068": "FIRST STRONG ISOLATE",
    "\u2069": "POP DIRECTIONAL ISOLATE",
}
_BIDI_RE = re.compile("[" + "".join(BIDI_CONTROLS) + "]")
EXEMPT = frozenset({"code", "pre", "kbd", "samp", "var", "script", "style", "template"})
INLINE = frozenset({
    "a", "abbr", "b", "bdi", "bdo", "br", "cite", "data", "dfn", "em", "i", "img", "ins",
    "del", "label", "mark", "q", "s", "small", "span", "strong", "sub", "sup", "time", "u",
    "wbr",
})
TEXT_ATTRIBUTES = ("alt", "title", "aria-label", "placeholder")
RTL_SCRIPTS = frozenset({"ARABIC", "HEBREW", "SYRIAC", "THAANA", "NKO"})
# ISO 15924 script of a language → the Unicode name prefixes of its letters.
SCRIPT_LETTERS: Mapping[str, frozenset[str]] = {
    "Latn": frozenset({"LATIN"}),
    "Arab": frozenset({"ARABIC"}),
    "Hebr": frozenset({"HEBREW"}),
    "Cyrl": frozenset({"CYRILLIC"}),
    "Grek": frozenset({"GREEK"}),
    "Deva": frozenset({"DEVANAGARI"}),
    "Thai": frozenset({"THAI"}),
    "Hans": frozenset({"CJK"}),
    "Hant": frozenset({"CJK"}),
    "Jpan": frozenset({"CJK", "HIRAGANA", "KATAKANA", "KATAKANA-HIRAGANA"}),
    "Kore": frozenset({"HANGUL", "CJK"}),
}
_URLISH = re.compile(r"\S+://\S+|\S+@\S+|\b\w+(?:\.\w+){1,}\S*")


@dataclass(frozen=True, slots=True)
class LangInfo:
    tag: str
    direction: str  # "ltr" / "rtl"
    letters: frozenset[str] | None  # None: script unknown or pseudo-locale, no script check


@lru_cache(maxsize=256)
def lang_info(tag: str) -> LangInfo | None:
    """Direction and expected script for a ``lang`` value; None when Babel does not know it."""
    try:
        lang = parse_lang(tag)
    except PipelineError:
        return None
    return LangInfo(lang.tag, lang.direction, None if lang.is_pseudo else _letters(lang))


def _letters(lang: Lang) -> frozenset[str] | None:
    script = lang.locale.script
    if not script:
        likely = get_global("likely_subtags").get(lang.locale.language, "")
        parts = likely.split("_")
        script = parts[1] if len(parts) > 1 and len(parts[1]) == 4 else None
    return SCRIPT_LETTERS.get(script) if script else None


def char_script(ch: str) -> str | None:
    """The Unicode script family of a letter (``LATIN``, ``ARABIC``, ``CJK``…), else None."""
    return _char_kind(ch)[2]


@cache
def _char_kind(ch: str) -> tuple[bool, bool, str | None]:
    """(a letter, a combining mark, its script family if a letter): unicodedata asked once
    a character. A site uses a few hundred characters, and asking per character of text
    took 1.25 of the 1.5 s the language checks of 250 pages took before pa11y-ci started."""
    category = unicodedata.category(ch)
    if category[0] != "L":
        return False, category[0] == "M", None
    name = unicodedata.name(ch, "")
    return True, False, name.split(" ", 1)[0] if name else None


@dataclass(frozen=True, slots=True)
class _Context:
    lang: str  # effective lang value ("" when none)
    direction: str  # "ltr", "rtl" or "auto"
    isolated: bool  # inside <bdi> or dir="auto": direction comes from the text
    exempt: bool  # code or translate="no": no script check


@dataclass(frozen=True, slots=True)
class _Unit:
    """Text a reader reads as one piece: a block, or an inline element with its own lang."""

    element: Element
    context: _Context
    text: str


def check_page(
    root: Element,
    page: str,
    *,
    expected_lang: str | None = None,
    url: str = "",
    templates: Mapping[str, str] | None = None,
    locate: Locate | None = None,
) -> list[Finding]:
    """All language and direction findings for one parsed page.

    ``page`` is the page's path relative to the content root (for locations);
    ``expected_lang`` the BCP 47 tag the page's folder promises, if any.
    """
    checker = _Checker(page, url, root.attrs.get("lang", ""), templates, locate)
    checker.check_root(root, expected_lang)
    top = _Context(root.attrs.get("lang", ""), _dir_attr(root) or "ltr", _dir_attr(root) == "auto",
                   False)
    for unit in _units(root, top):
        checker.check_unit(unit)
    checker.check_bidi(root)
    return checker.findings


def _dir_attr(element: Element) -> str:
    value = element.attrs.get("dir", "").strip().lower()
    return value if value in ("ltr", "rtl", "auto") else ""


def _child_context(element: Element, parent: _Context) -> _Context:
    lang = element.attrs["lang"].strip() if "lang" in element.attrs else parent.lang
    direction = _dir_attr(element) or parent.direction
    isolated = (element.tag == "bdi" or direction == "auto"
                or (parent.isolated and not _dir_attr(element)))
    exempt = (parent.exempt or element.tag in EXEMPT
              or element.attrs.get("translate", "").strip().lower() == "no")
    return _Context(lang, direction, isolated, exempt)


def _units(element: Element, context: _Context) -> Iterator[_Unit]:
    """Split the tree into reading units; each unit's text excludes nested units."""
    parts: list[str] = []
    nested: list[tuple[Element, _Context]] = []

    def collect(node: Element, ctx: _Context) -> None:
        for child in node.children:
            if isinstance(child, str):
                parts.append(child)
                continue
            child_ctx = _child_context(child, ctx)
            own_unit = (child.tag not in INLINE or "lang" in child.attrs
                        or "dir" in child.attrs or child_ctx.exempt != ctx.exempt)
            if own_unit:
                parts.append(" ")
                nested.append((child, child_ctx))
            else:
                collect(child, child_ctx)

    collect(element, context)
    text = " ".join("".join(parts).split())
    if text:
        yield _Unit(element, context, text)
    for child, child_ctx in nested:
        yield from _units(child, child_ctx)


class _Checker:
    def __init__(self, page: str, url: str, page_lang: str,
                 templates: Mapping[str, str] | None, locate: Locate | None = None) -> None:
        self.page = page
        self.locate = locate
        self.url = url
        self.page_lang = page_lang
        self.templates = templates
        self.findings: list[Finding] = []
        self.dir_flagged: set[int] = set()  # elements already reported as dir-mismatch

    def add(self, code: str, element: Element, message: str, hint: str,
            text_hint: str | None = None, **extra: object) -> None:
        """A finding at the element's origin; ``text_hint`` replaces ``hint`` when that is
        a translation or a page (Markdown, where a language mark is written)."""
        if code == "dir-mismatch":
            self.dir_flagged.add(id(element))
        where = trace(element, self.page, self.templates, self.locate)
        if text_hint is not None and where.kind in ("catalog", "source"):
            hint = text_hint
        self.findings.append(Finding(
            code=code,
            severity="error",
            message=message,
            location=where.location,
            hint=hint,
            related=where.related,
            details=frozen_details(
                url=self.url,
                page=self.page,
                language=self.page_lang,
                runner=RUNNER,
                runners=[RUNNER],
                codes=[code],
                selector=pa11y_selector(element),
                context=element_context(element),
                traced=where.kind,
                **where.entry_details,
                **extra,
            ),
        ))

    # <html lang dir> and every element that sets lang
    def check_root(self, root: Element, expected_lang: str | None) -> None:
        lang = root.attrs.get("lang", "").strip()
        if expected_lang and lang and _same_lang(lang, expected_lang) is False:
            self.add("language-mismatch", root,
                     f'the page is in the "{expected_lang}" folder but <html lang="{lang}">',
                     f'set lang="{expected_lang}" on <html>', element_lang=lang)
        for element in root.iter():
            if "lang" not in element.attrs:
                continue
            info = lang_info(element.attrs["lang"].strip())
            if info is None:
                continue  # unknown or empty lang: axe's valid-lang reports it
            own = _dir_attr(element)
            inherited = _inherited_dir(element)
            if element is root:
                have = own or "ltr"
                if have != info.direction and own != "auto":
                    self.add("dir-mismatch", element,
                             f'<html lang="{info.tag}"> is {_word(info.direction)} but its '
                             f'dir is "{have}"',
                             f'set dir="{info.direction}" on <html>', element_lang=info.tag)
                continue
            if element.tag == "bdi" or own == "auto" or _isolated_above(element):
                continue
            have = own or inherited
            if have != info.direction:
                how = f'dir="{own}"' if own else f'inherits dir="{inherited}"'
                self.add("dir-mismatch", element,
                         f'lang="{info.tag}" is {_word(info.direction)} but the element '
                         f"{how}",
                         f'add dir="{info.direction}" to the element (or wrap the text in '
                         "<bdi>)", element_lang=info.tag)

    def check_unit(self, unit: _Unit) -> None:
        ctx = unit.context
        if ctx.exempt:
            return
        texts = [unit.text] + [
            unit.element.attrs[a] for a in TEXT_ATTRIBUTES if unit.element.attrs.get(a)
        ]
        if unit.element.tag == "meta" and unit.element.attrs.get("name") == "description":
            texts.append(unit.element.attrs.get("content", ""))
        for node in unit.element.iter():
            if node is not unit.element and node.tag in INLINE and "lang" not in node.attrs:
                texts.extend(node.attrs[a] for a in TEXT_ATTRIBUTES if node.attrs.get(a))
        info = lang_info(ctx.lang) if ctx.lang else None
        for text in texts:
            if self._script_mismatch(unit, info, text):
                return
        flagged = any(id(a) in self.dir_flagged for a in unit.element.ancestors())
        if ctx.direction == "ltr" and not ctx.isolated and not flagged:
            for text in texts:
                run = _rtl_lead(text)
                if run:
                    self.add("dir-mismatch", unit.element,
                             f'right-to-left text laid out left to right: "{_excerpt(run)}"',
                             'mark the text with its lang and dir="rtl", or wrap it in <bdi>',
                             _mark_hint(run, "mark it with its language's code"),
                             text=_excerpt(text), element_lang=ctx.lang)
                    return

    def _script_mismatch(self, unit: _Unit, info: LangInfo | None, text: str) -> bool:
        if info is None or info.letters is None:
            return False
        foreign = _foreign_run(text, info.letters)
        if foreign:
            script = char_script(next(c for c in foreign if char_script(c))) or "?"
            rtl = script in RTL_SCRIPTS and unit.context.direction != "rtl"
            self.add("language-mismatch", unit.element,
                     f'{script.title()} text inside lang="{info.tag}": "{_excerpt(foreign)}"',
                     "translate it, or mark it with its own lang"
                     + (' and dir="rtl"' if rtl else "")
                     + " (or sit it in a <bdi lang=…>)",
                     _mark_hint(foreign, "translate it, or, if it is meant to stay in "
                                "that language, mark it with the language's code"),
                     text=_excerpt(text), element_lang=info.tag)
            return True
        if "LATIN" not in info.letters:
            phrase = _latin_phrase(text)
            if phrase:
                self.add("language-mismatch", unit.element,
                         f'Latin-script phrase inside lang="{info.tag}": "{_excerpt(phrase)}"',
                         f"translate it into {info.tag}, or, if it is meant to stay in another "
                         'language, mark it with that lang (e.g. lang="en" dir="ltr")',
                         _mark_hint(phrase, f"translate it into {info.tag}, or, if it is "
                                    "meant to stay in another language, mark it with that "
                                    "language's code"),
                         text=_excerpt(text), element_lang=info.tag)
                return True
        return False

    def check_bidi(self, root: Element) -> None:
        for element in root.iter():
            values = [c for c in element.children if isinstance(c, str)]
            values += [v for v in element.attrs.values() if v]
            found = sorted({ch for v in values for ch in _BIDI_RE.findall(v)})
            if found:
                names = ", ".join(f"U+{ord(c):04X} {BIDI_CONTROLS[c]}" for c in found)
                self.add("bidi-control", element,
                         f"invisible bidirectional control character(s) in the text: {names}",
                         "remove them; mark direction with dir or <bdi> instead (they can "
                         "make text display in a different order than it is read)",
                         characters=[f"U+{ord(c):04X}" for c in found])


# The example language a hint's mark shows for a phrase in this script.
EXAMPLE_LANG = {"LATIN": "en", "ARABIC": "ar", "HEBREW": "he", "CJK": "zh-Hans",
                "CYRILLIC": "ru", "GREEK": "el", "HANGUL": "ko", "HIRAGANA": "ja",
                "KATAKANA": "ja", "DEVANAGARI": "hi", "THAI": "th"}


def _mark_hint(phrase: str, advice: str) -> str:
    """Advice for text a translator or editor writes: the Markdown language mark."""
    script = next((char_script(c) for c in phrase if char_script(c)), None) or "LATIN"
    example = EXAMPLE_LANG.get(script, "en")
    return (f"{advice} in the text, e.g. [{_excerpt(phrase, 40)}]{{lang={example}}}; "
            "the page then gets lang and dir")


def _same_lang(a: str, b: str) -> bool | None:
    """Whether two lang values name the same language; None when either is unknown."""
    x, y = lang_info(a), lang_info(b)
    if x is None or y is None:
        return None
    return x.tag.lower() == y.tag.lower()


def _inherited_dir(element: Element) -> str:
    for node in element.ancestors(include_self=False):
        own = _dir_attr(node)
        if own:
            return own
    return "ltr"


def _isolated_above(element: Element) -> bool:
    """Inside a <bdi> or a dir="auto" element, with no explicit dir in between."""
    for node in element.ancestors(include_self=False):
        if node.tag == "bdi" or _dir_attr(node) == "auto":
            return True
        if _dir_attr(node):
            return False
    return False


def _word(direction: str) -> str:
    return "right-to-left" if direction == "rtl" else "left-to-right"


@dataclass(frozen=True, slots=True)
class _Word:
    start: int
    end: int
    script: str  # script family of its first letter
    text: str


def _words(text: str) -> list[_Word]:
    """Maximal runs of letters (with their combining marks), each with its script."""
    words: list[_Word] = []
    start = -1
    script: str | None = None  # of the word's first letter
    for i, ch in enumerate(text):
        letter, mark, own = _char_kind(ch)
        if letter:
            if start < 0:
                start, script = i, own
            elif own != script:
                words.append(_Word(start, i, script or "", text[start:i]))
                start, script = i, own
        elif start >= 0 and not mark:
            words.append(_Word(start, i, script or "", text[start:i]))
            start = -1
    if start >= 0:
        words.append(_Word(start, len(text), script or "", text[start:]))
    return words


def _scripts(text: str) -> set[str]:
    """The script families of the text's letters ("" for a letter without one, as
    ``_words`` names it): most texts hold none that a check looks for, and their few
    distinct characters are asked about faster than every character in turn."""
    return {kind[2] or "" for ch in set(text) if (kind := _char_kind(ch))[0]}


def _foreign_run(text: str, allowed: frozenset[str]) -> str:
    """The first phrase in a script the language does not use (Latin is judged apart).

    A phrase starts at a word of ``FOREIGN_RUN_LETTERS``+ letters and runs on over the
    following words of the same script.
    """
    if _scripts(text) - allowed <= {"LATIN"}:
        return ""
    words = _words(text)
    for n, word in enumerate(words):
        foreign = word.script not in allowed and word.script != "LATIN"
        letters = sum(1 for c in word.text if _char_kind(c)[0])
        if foreign and letters >= FOREIGN_RUN_LETTERS:
            end = word.end
            for later in words[n + 1:]:
                if later.script != word.script:
                    break
                end = later.end
            return text[word.start:end]
    return ""


def _latin_phrase(text: str) -> str:
    """A run of Latin words with ``LATIN_PHRASE_WORDS``+ lower-case words in it, else ''.

    Capitalised words, acronyms, numbers, URLs and e-mail addresses don't count: names
    ("Riverside Neurology Clinic", "NINDS", "Botox") stay Latin in every language.
    """
    cleaned = _URLISH.sub(lambda m: " " * len(m.group(0)), text)
    if "LATIN" not in _scripts(cleaned):
        return ""
    run: list[_Word] = []
    for word in [*_words(cleaned), _Word(0, 0, "", "")]:
        if word.script == "LATIN":
            run.append(word)
            continue
        lower = [w for w in run if len(w.text) >= 2 and w.text.islower()]
        if len(lower) >= LATIN_PHRASE_WORDS:
            return text[run[0].start:run[-1].end]
        run = []
    return ""


def _rtl_lead(text: str) -> str:
    """The first word when the text's first strong letters are right to left, else ''."""
    for word in _words(text):
        if word.script in RTL_SCRIPTS and len(word.text) >= FOREIGN_RUN_LETTERS:
            return word.text
        return ""
    return ""


def _excerpt(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    text = _BIDI_RE.sub(lambda m: f"<U+{ord(m.group(0)):04X}>", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def element_context(element: Element, limit: int = 250) -> str:
    """A short HTML snippet of the element, like pa11y's ``context``."""
    attrs = "".join(f' {k}="{v}"' if v else f" {k}" for k, v in element.attrs.items())
    inner = " ".join(element.text().split())
    if len(inner) > 31:
        inner = inner[:31] + "..."
    snippet = f"<{element.tag}{attrs}>" + ("" if element.tag in VOID else
                                           f"{inner}</{element.tag}>")
    snippet = _BIDI_RE.sub(lambda m: f"<U+{ord(m.group(0)):04X}>", snippet)
    return snippet if len(snippet) <= limit else snippet[:limit] + "..."
