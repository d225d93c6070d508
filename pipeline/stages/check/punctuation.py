"""Punctuation, brackets and quotes: the same kind of ending in the language's own
marks, the same edge whitespace, no brackets or quotation marks added or dropped.
"""

# Punctuation tables and messages use non-ASCII marks on purpose (Arabic, CJK, dashes).
# ruff: noqa: RUF001, RUF003

from __future__ import annotations

import re
from collections.abc import Iterator

from pipeline.models import Finding
from pipeline.po.model import Entry
from pipeline.stages.check.context import CheckContext, _syntax_left_as_text, _texts
from pipeline.stages.check.placeholders import _BRACE, _NAMED, _PRINTF, _is_printf
from pipeline.text.messages import Messages, visible

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
        source_class, _ = ctx.messages.source_facts(form.source).ending
        cls, mark = ctx.messages.facts(form.translation).ending
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


def _plain(text: str, printf: bool, messages: Messages, *, source: bool = False) -> str:
    """What a reader sees of ``text`` with its placeholders blanked: the parentheses of
    ``%(name)s`` and the braces of ``{name}`` are syntax, not brackets. ``source``:
    ``text`` is a source text (its facts are kept for every language)."""
    # HTML (a template message's <abbr title="…">) is not text: its quotes belong to attributes.
    shown = visible(messages.tokens(text, html=True)) if "<" in text else (
        (messages.source_facts if source else messages.facts)(text).visible)
    if "%" not in shown and "{" not in shown:
        return shown
    return _BRACE.sub(" ", (_PRINTF if printf else _NAMED).sub(" ", shown))


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
        if _syntax_left_as_text(form, ctx):
            continue
        source_counts = _bracket_counts(_plain(form.source, printf, ctx.messages,
                                               source=True))
        counts = _bracket_counts(_plain(form.translation, printf, ctx.messages))
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
                shown = ctx.messages.facts(form.translation).visible
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
        shown = _plain(form.translation, printf, ctx.messages)
        source = _quotes(_plain(form.source, printf, ctx.messages, source=True))
        marks = _quotes(shown)
        if marks == source or _syntax_left_as_text(form, ctx):
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
