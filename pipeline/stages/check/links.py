"""Links and addresses: a translation keeps every link's URL, image source and written
web or e-mail address of the source, and adds none.
"""

# Punctuation tables and messages use non-ASCII marks on purpose (Arabic, CJK, dashes).

from __future__ import annotations

import re
from collections.abc import Iterator

from pipeline.models import Finding
from pipeline.po.model import Entry
from pipeline.stages.check.context import CheckContext, _syntax_left_as_text, _texts, _unmatched
from pipeline.text.messages import Messages


def check_links(entry: Entry, ctx: CheckContext) -> Iterator[Finding]:
    """Links keep their URLs (the renderer takes them from the source); none lost or added."""
    for form in ctx.forms(entry):
        source = ctx.messages.source_facts(form.source)
        translation = ctx.messages.facts(form.translation)
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


# Web and e-mail addresses written as text (a link's URL is check_links' business).
_ADDRESS = re.compile(r"(?:https?|ftp)://[\w\-.~:/?#\[\]@!$&'()*+,;=%]+"
                      r"|www\.[\w\-.~:/?#\[\]@!$&'()*+,;=%]+"
                      r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.ASCII)


def _addresses(text: str, messages: Messages) -> list[str]:
    if "@" not in text and "://" not in text and "www." not in text:
        return []
    out: list[str] = []
    autolink = False
    # Raw HTML is not text (html-added reports it in a translation): its URLs are skipped.
    for token in messages.tokens(text, html=True):
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
        if _syntax_left_as_text(form, ctx):
            continue
        missing, extra = _unmatched(_addresses(form.source, ctx.messages),
                                    _addresses(form.translation, ctx.messages))
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
