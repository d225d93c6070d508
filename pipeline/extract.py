"""Extraction: source pages + templates (+ the site title) → ``locales/messages.pot``.

One message per block; identical text merges into one entry with several ``#:``
references. Sorted by first reference, stable header, ``POT-Creation-Date`` from
``SOURCE_DATE_EPOCH``; an unchanged POT is not rewritten (same bytes, same mtime).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, replace
from pathlib import Path

from babel.messages.extract import extract_from_file

from pipeline.config import Config
from pipeline.errors import PipelineError
from pipeline.models import Location, Segment
from pipeline.pages import Page, load_pages
from pipeline.pofile import Catalog, Entry, parse_po, read_po, write_po

TEMPLATE_KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2),
                     "npgettext": ((1, "c"), 2, 3)}
PYTHON_FORMAT = re.compile(r"%\((\w+)\)[sd]|%[sd]")


@dataclass(frozen=True, slots=True)
class ExtractResult:
    catalog: Catalog
    written: bool
    pages: tuple[Page, ...]


def page_segments(page: Page) -> list[Segment]:
    """The messages of one page, front matter first, in line order."""
    out = [Segment(text.value, None, (page.location(text.line),), (comment,))
           for comment, text in page.front_texts]
    out += [Segment(b.msgid, b.msgctxt, (page.location(b.line),), (b.comment,))
            for b in page.blocks]
    return out


def template_segments(config: Config) -> list[Segment]:
    out: list[Segment] = []
    folder = config.templates_dir
    if not folder.is_dir():
        raise PipelineError("templates directory not found", Location(config.templates),
                            "set 'templates' in [tool.pipeline] or create the directory")
    for file in sorted(folder.rglob("*.html")):
        rel = config.rel(file)
        try:
            found = list(extract_from_file(
                "jinja2", str(file), keywords=TEMPLATE_KEYWORDS,
                comment_tags=("Translators:",),
                options={"extensions": "jinja2.ext.i18n", "trimmed": "true",
                         "silent": "false"},
            ))
        except Exception as exc:  # Jinja raises TemplateSyntaxError with lineno
            line = getattr(exc, "lineno", 0) or 0
            message = getattr(exc, "message", None) or str(exc)
            raise PipelineError(
                f"template syntax error: {message}", Location(rel, line),
                "fix the Jinja tag on that line; see https://jinja.palletsprojects.com/",
            ) from exc
        for lineno, message, comments, context in found:
            if isinstance(message, tuple):
                msgid, plural = message[0], message[1]
            else:
                msgid, plural = message, None
            if not msgid:
                continue
            flags = ("python-format",) if PYTHON_FORMAT.search(msgid) else ()
            comment = tuple(c.removeprefix("Translators:").strip() for c in comments)
            comment += ("template text",)
            segment = Segment(msgid, context, (Location(rel, lineno),), comment, flags)
            out.append(segment if plural is None else replace(segment, flags=(*flags, f"plural:{plural}")))
    return out


def collect_segments(config: Config, pages: tuple[Page, ...]) -> list[Segment]:
    """All segments merged by (msgctxt, msgid), sorted by first reference."""
    raw: list[Segment] = []
    raw.append(Segment(config.site_title, None,
                       (Location(config.file, config.site_title_line),),
                       ("site name (config 'site_title'), shown in the header and <title>",)))
    for page in pages:
        raw += page_segments(page)
    raw += template_segments(config)
    merged: dict[tuple[str | None, str], Segment] = {}
    for seg in raw:
        known = merged.get(seg.key)
        if known is None:
            merged[seg.key] = seg
            continue
        merged[seg.key] = replace(
            known,
            locations=known.locations + tuple(x for x in seg.locations
                                              if x not in known.locations),
            comments=known.comments + tuple(c for c in seg.comments if c not in known.comments),
            flags=known.flags + tuple(f for f in seg.flags if f not in known.flags),
        )
    segments = list(merged.values())
    order = {config.file: 0}
    segments.sort(key=lambda s: (order.get(s.locations[0].path, 1), s.locations[0]))
    return segments


def _creation_date() -> str:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        moment = dt.datetime.fromtimestamp(int(epoch), dt.UTC)
    else:
        moment = dt.datetime.now(dt.UTC)
    return moment.strftime("%Y-%m-%d %H:%M+0000")


def segment_entry(segment: Segment) -> Entry:
    plural = next((f.split(":", 1)[1] for f in segment.flags if f.startswith("plural:")), None)
    flags = tuple(f for f in segment.flags if not f.startswith("plural:"))
    return Entry(
        msgid=segment.msgid,
        msgctxt=segment.msgctxt,
        msgid_plural=plural,
        msgstr_plural=("", "") if plural is not None else (),
        locations=segment.locations,
        auto_comments=segment.comments,
        flags=flags,
    )


def build_pot(config: Config, segments: list[Segment], date: str) -> Catalog:
    header = (
        ("Project-Id-Version", config.site_title),
        ("Report-Msgid-Bugs-To", ""),
        ("POT-Creation-Date", date),
        ("PO-Revision-Date", date),
        ("Last-Translator", ""),
        ("Language-Team", ""),
        # msgfmt --check warns on an empty Language: the template's is the source's.
        ("Language", config.source_language.code),
        ("MIME-Version", "1.0"),
        ("Content-Type", "text/plain; charset=UTF-8"),
        ("Content-Transfer-Encoding", "8bit"),
        ("Generated-By", "pipeline"),
    )
    return Catalog(
        header_comments=(
            f"Translations template for {config.site_title}.",
            "Generated by 'pipeline extract' from the pages and templates; do not edit.",
        ),
        header=header,
        header_flags=("fuzzy",),
        entries=tuple(segment_entry(s) for s in segments),
        path=config.rel(config.pot_path),
    )


def extract(config: Config) -> ExtractResult:
    """Extract the POT. Keeps the old creation date when nothing else changed."""
    pages = load_pages(config.pages_dir, config.root)
    segments = collect_segments(config, pages)
    display = config.rel(config.pot_path)
    pot = build_pot(config, segments, _creation_date())
    if config.pot_path.is_file():
        try:
            old = read_po(config.pot_path, display)
        except PipelineError:
            old = None  # a broken POT is ours to regenerate
        if old is not None:
            old_date = old.header_value("POT-Creation-Date") or ""
            same = build_pot(config, segments, old_date)
            if parse_po_equal(same, old):
                return ExtractResult(old, False, pages)
    written = write_po(pot, config.pot_path, display)
    return ExtractResult(pot, written, pages)


def parse_po_equal(a: Catalog, b: Catalog) -> bool:
    return (a.header, a.entries) == (b.header, _without_lines(b).entries)


def _without_lines(catalog: Catalog) -> Catalog:
    return replace(catalog, entries=tuple(replace(e, line=0) for e in catalog.entries))


__all__ = ["ExtractResult", "collect_segments", "extract", "page_segments", "parse_po"]
