"""Language marks ``[text]{lang=xx}``: a known language and nothing else, only where
Markdown is rendered.
"""

# Punctuation tables and messages use non-ASCII marks on purpose (Arabic, CJK, dashes).

from __future__ import annotations

from collections.abc import Iterator, Sequence

from markdown_it.token import Token

from pipeline.errors import PipelineError
from pipeline.models import Finding
from pipeline.po.model import Entry
from pipeline.stages.check.context import _LOOSE_MARK, CheckContext
from pipeline.text.langs import parse_lang
from pipeline.text.messages import visible

LANG_MARK_HINT = ("write the language only, right after the phrase in brackets: "
                  "[NINDS]{lang=en}; the direction (dir) follows from the language")


def check_lang_marks(entry: Entry, ctx: CheckContext) -> Iterator[Finding]:
    """Language marks ``[text]{lang=xx}`` set a known language and nothing else, and
    only where Markdown is rendered (not in template text)."""
    for form in ctx.forms(entry):
        if "{" not in form.translation:
            continue
        tokens = ctx.messages.tokens(form.translation)
        marks = [i for i, t in enumerate(tokens) if t.type == "span_open"]
        template = bool(marks) and bool(ctx.templates) and all(
            loc.path.startswith(ctx.templates.rstrip("/") + "/") for loc in entry.locations)
        for index in marks:
            token = tokens[index]
            text = visible(_span_children(tokens, index))
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
