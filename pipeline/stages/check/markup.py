"""Markup: inline markup balanced and as the source's, no added block structure, no raw
HTML or script (``html-added``), the source's HTML and hard line breaks kept, no
invisible bidi controls (``bidi-control``).
"""

# Punctuation tables and messages use non-ASCII marks on purpose (Arabic, CJK, dashes).

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterator

from pipeline.models import Finding
from pipeline.po.model import Entry
from pipeline.stages.check.context import CheckContext, _texts
from pipeline.stages.check.facts import _EMPHASIS
from pipeline.text.pages import IMAGE_NOTES


def _plain_text_entry(entry: Entry) -> bool:
    """Only an image's alt text or title: the page shows it as it is, markers too."""
    notes = tuple(IMAGE_NOTES.values())
    return bool(entry.auto_comments) and all(c.startswith(notes) for c in entry.auto_comments)


def check_markup(entry: Entry, ctx: CheckContext) -> Iterator[Finding]:
    """Inline markup is balanced and matches the source's (emphasis, bold, code, images)."""
    plain = _plain_text_entry(entry)
    for form in ctx.forms(entry):
        source = ctx.messages.source_facts(form.source)
        translation = ctx.messages.facts(form.translation)
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


def check_blocks(entry: Entry, ctx: CheckContext) -> Iterator[Finding]:
    """No block structure the source does not have: a translation is one block's inside."""
    for form in ctx.forms(entry):
        structure = ctx.messages.facts(form.translation).blocks
        if not structure:
            continue
        allowed = Counter(kind for kind, _, _ in ctx.messages.source_facts(form.source).blocks)
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


def check_html(entry: Entry, ctx: CheckContext) -> Iterator[Finding]:
    """No raw HTML, scripts, handlers, CSS or script URLs the source does not have."""
    for form in ctx.forms(entry):
        found = ctx.messages.facts(form.translation).html
        if not found:
            continue
        source = Counter(ctx.messages.source_facts(form.source).html)
        added = [what for what in found
                 if source[what] == 0 or not what.startswith(("an HTML tag", "raw HTML"))]
        if added:
            yield ctx.finding(
                entry, "html-added", form.label("the translation contains " + ", ".join(added)),
                "write plain text and Markdown only (**bold**, [text](url)); raw HTML and scripts "
                "are never allowed in a translation", found=added)


def check_html_kept(entry: Entry, ctx: CheckContext) -> Iterator[Finding]:
    """The HTML tags of the source (a template's message may hold one) are kept: check_html
    reports what a translation adds, this what it drops."""
    if "<" not in entry.msgid and "<" not in (entry.msgid_plural or ""):
        return
    for form in ctx.forms(entry):
        source = ctx.messages.source_facts(form.source).html
        if not source:
            continue
        dropped = Counter(source) - Counter(ctx.messages.facts(form.translation).html)
        if dropped:
            yield ctx.finding(
                entry, "markup-mismatch",
                form.label("the translation drops HTML of the source: " + ", ".join(
                    sorted(d.removeprefix("an HTML tag ") for d in dropped))),
                "keep the source's HTML tags as they are; translate only the text between "
                "them", severity="warning")


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


def check_line_breaks(entry: Entry, ctx: CheckContext) -> Iterator[Finding]:
    """Hard line breaks (a backslash or two spaces before the newline) match the source's;
    a plain newline inside a paragraph is a space to the reader and is not compared."""
    if not any("\n" in t for t in _texts(entry)):
        return
    for form in ctx.forms(entry):
        source = sum(t.type == "hardbreak" for t in ctx.messages.tokens(form.source))
        breaks = sum(t.type == "hardbreak" for t in ctx.messages.tokens(form.translation))
        if breaks != source:
            yield ctx.finding(
                entry, "markup-mismatch",
                form.label(f"line breaks differ from the source: {breaks}, the source has "
                           f"{source}"),
                "break the lines where the source does: a backslash at the end of the line "
                "(\\ then a new line)", severity="warning")
