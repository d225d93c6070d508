"""Placeholders and numbers: printf and brace placeholders as the source's, every plural
form filled, every number of the source kept (in any digits).
"""

# Punctuation tables and messages use non-ASCII marks on purpose (Arabic, CJK, dashes).

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterator

from pipeline.models import Finding
from pipeline.po.model import Entry
from pipeline.stages.check.context import CheckContext, Form, _unmatched
from pipeline.text.messages import Messages

_PRINTF = re.compile(r"%(?:\((?P<name>[^()]*)\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?"
                     r"(?P<conv>[diouxXeEfFgGcrsa%])")
_NAMED = re.compile(r"%\((?P<name>[^()]*)\)[#0 +-]*\d*(?:\.\d+)?(?P<conv>[diouxXeEfFgGcrsa])")
_BRACE = re.compile(r"(?<!\{)\{(?P<name>[A-Za-z_][\w.]*|\d*)(?:![rsa])?(?::[^{}]*)?\}(?!\})")


def placeholders(text: str, printf: bool) -> tuple[list[str], list[str]]:
    """(named placeholders, positional ones in order) of ``text``."""
    named, positional = _placeholders(text, printf)
    return list(named), list(positional)


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
# What a text needs to show a digit: a digit, or an entity (Markdown changes nothing
# else into one). A source without either has no number to keep.
_MAY_SHOW_DIGITS = re.compile(r"[\d&]")


def _numbers(text: str, printf: bool, messages: Messages, *, source: bool = False
             ) -> Counter[str]:
    """Digit runs a reader sees, as ASCII (Arabic-Indic and full-width digits included);
    ``source``: ``text`` is a source text (its facts are kept for every language)."""
    shown = (messages.source_facts if source else messages.facts)(text).visible
    if _DIGITS.search(shown) is None:
        return Counter()
    shown = (_PRINTF if printf else _NAMED).sub(" ", shown)
    shown = _BRACE.sub(" ", shown)
    return Counter("".join(str(unicodedata.decimal(c)) for c in run)
                   for run in _DIGITS.findall(shown))


def check_numbers(entry: Entry, ctx: CheckContext) -> Iterator[Finding]:
    """Every number of the source appears in the translation (in any digits)."""
    if not any(_MAY_SHOW_DIGITS.search(text) for text in (entry.msgid, entry.msgid_plural or "")):
        return  # most sources: no number
    printf = _is_printf(entry)
    for form in ctx.forms(entry):
        source = _numbers(form.source, printf, ctx.messages, source=True)
        if not source:
            continue
        missing = source - _numbers(form.translation, printf, ctx.messages)
        if missing:
            shown = ", ".join(sorted(missing.elements(), key=lambda n: (len(n), n)))
            yield ctx.finding(
                entry, "number-changed", form.label(f"number(s) missing from the translation: "
                                                    f"{shown}"),
                "keep the numbers of the source (digits, not words); separators may follow your "
                "language (1,000 → 1.000 or 1 000)", numbers=sorted(missing))
