"""Extraction: source pages + templates (+ the site title) → ``locales/messages.pot``.

One message per block; identical text merges into one entry with several ``#:``
references. Sorted by first reference, stable header, ``POT-Creation-Date`` from
``SOURCE_DATE_EPOCH``; an unchanged POT is not rewritten (same bytes, same mtime).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, replace

from babel.messages.extract import extract as babel_extract
from jinja2 import TemplateSyntaxError

from pipeline.config import Config
from pipeline.errors import PipelineError
from pipeline.infra.fsutil import content_digest, read_bytes, read_text, write_bytes_atomic
from pipeline.models import Location, Segment
from pipeline.po.blocks import entry_content, split_blocks
from pipeline.po.model import Catalog, Entry, po_date
from pipeline.po.writer import entry_text, format_po, header_text
from pipeline.text.pages import Page, load_pages
from pipeline.workspace import Workspace

TEMPLATE_KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2),
                     "npgettext": ((1, "c"), 2, 3)}
PYTHON_FORMAT = re.compile(r"%\((\w+)\)[sd]|%[sd]")
PLURAL_MARK = "plural:"  # a Segment flag carrying a template message's plural msgid


@dataclass(frozen=True, slots=True)
class ExtractResult:
    """The template as it now stands, whether the file was (re)written, the pages read,
    and the sha256 of the file's bytes, which are format_po's layout of ``catalog``."""

    catalog: Catalog
    written: bool
    pages: tuple[Page, ...]
    digest: bytes


def page_segments(page: Page) -> list[Segment]:
    """The messages of one page, front matter first, in line order."""
    out = [Segment(text.value, None, (page.location(text.line),), (comment,))
           for comment, text in page.front_texts]
    out += [Segment(b.msgid, b.msgctxt, (page.location(b.line),), (b.comment,))
            for b in page.blocks]
    return out


def template_segments(config: Config) -> list[Segment]:
    """Messages of every ``*.html`` template, through Babel's Jinja2 extractor."""
    out: list[Segment] = []
    folder = config.templates_dir
    if not folder.is_dir():
        raise PipelineError("templates directory not found", Location(config.templates),
                            "set 'templates' in [tool.pipeline] or create the directory")
    for file in sorted(folder.rglob("*.html")):
        rel = config.rel(file)
        source = read_text(file, rel)  # UTF-8 check with the line of a bad byte
        try:
            found = list(babel_extract(
                "jinja2", io.BytesIO(source.encode("utf-8")), keywords=TEMPLATE_KEYWORDS,
                comment_tags=("Translators:",),
                options={"extensions": "jinja2.ext.i18n", "trimmed": "true",
                         "silent": "false", "encoding": "utf-8"},
            ))
        except TemplateSyntaxError as exc:
            raise PipelineError(
                f"template syntax error: {exc.message or exc}", Location(rel, exc.lineno or 0),
                "fix the Jinja tag on that line; {% trans %} blocks may hold only "
                "variables, and every {% … %} tag needs its closing tag",
            ) from exc
        for lineno, message, comments, context in found:
            if isinstance(message, tuple):
                msgid, plural = message[0], message[1]
            else:
                msgid, plural = message, None
            if not msgid:
                continue
            texts = (msgid,) if plural is None else (msgid, plural)
            flags: tuple[str, ...] = (
                ("python-format",) if any(PYTHON_FORMAT.search(t) for t in texts) else ())
            if plural is not None:
                flags += (f"{PLURAL_MARK}{plural}",)
            comment = tuple(c.removeprefix("Translators:").strip() for c in comments)
            comment += ("template text",)
            out.append(Segment(msgid, context, (Location(rel, lineno),), comment, flags))
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
    # Most messages occur once: only a key met again gets its ordered sets (dicts) of
    # locations, comments and flags (a phrase on every page has thousands of
    # references). Merging every segment through such sets took a third of extract's
    # time in an edit's build at 1,000 pages.
    first: dict[tuple[str | None, str], Segment] = {}
    again: dict[tuple[str | None, str], list[Segment]] = {}
    for seg in raw:
        key = (seg.msgctxt, seg.msgid)
        if first.setdefault(key, seg) is not seg:
            again.setdefault(key, []).append(seg)
    for key, more in again.items():
        seg = first[key]
        locations = dict.fromkeys(seg.locations)
        comments = dict.fromkeys(seg.comments)
        flags = dict.fromkeys(seg.flags)
        for other in more:
            locations.update(dict.fromkeys(other.locations))
            comments.update(dict.fromkeys(other.comments))
            flags.update(dict.fromkeys(other.flags))
        if (len(locations), len(comments), len(flags)) != (
                len(seg.locations), len(seg.comments), len(seg.flags)):
            first[key] = replace(seg, locations=tuple(locations), comments=tuple(comments),
                                 flags=tuple(flags))
    segments = list(first.values())
    # By path and line, as Location orders: compared as plain values, not dataclasses.
    order = {config.file: 0}
    segments.sort(key=lambda s: (order.get(s.locations[0].path, 1), s.locations[0].path,
                                 s.locations[0].line))
    return segments


def segment_entry(segment: Segment) -> Entry:
    plural = next((f.removeprefix(PLURAL_MARK) for f in segment.flags
                   if f.startswith(PLURAL_MARK)), None)
    flags = tuple(f for f in segment.flags if not f.startswith(PLURAL_MARK))
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
    """The template catalog for ``segments``, stamped with ``date``."""
    return Catalog(
        header_comments=(
            f"Translations template for {config.site_title}.",
            "Generated by 'pipeline extract' from the pages and templates; do not edit.",
        ),
        header=_pot_header(config, date),
        header_flags=("fuzzy",),
        entries=tuple(segment_entry(s) for s in segments),
        path=config.rel(config.pot_path),
    )


def _pot_header(config: Config, date: str) -> tuple[tuple[str, str], ...]:
    return (
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


def extract(config: Config, *, ws: Workspace | None = None,
            laid_out: tuple[bytes, Catalog] | None = None) -> ExtractResult:
    """Extract the POT. When only the date would change, the file is left alone. The
    pages are parsed through ``ws`` (a workspace of its own when None).

    ``laid_out``: the sha256 of a template file in format_po's layout (this code's) and
    what it reads as (the build's memo of the template extract last wrote). While the
    file still holds those bytes, the block of each entry it holds is taken from it, not
    formatted again (12,000 entries: 0.3 s of an edit's build)."""
    pages = load_pages(config.pages_dir, config.root, ws or Workspace())
    segments = collect_segments(config, pages)
    display = config.rel(config.pot_path)
    pot = build_pot(config, segments, po_date())
    old = read_bytes(config.pot_path, display) if config.pot_path.is_file() else None
    old_digest = content_digest(old) if old is not None else b""
    # Once: only the header depends on the date.
    text = (_template_text(pot, old, laid_out[1])
            if old is not None and laid_out is not None and old_digest == laid_out[0]
            else format_po(pot))
    if old is not None:
        date = re.search(rb'^"POT-Creation-Date: ([^"\\]*)\\n"$', old, re.M)
        if date is not None:
            # The template as built, but for the file's date (not built again: 12,000
            # entries, 0.02 s of every build after the first at 1,000 pages).
            same = replace(pot, header=_pot_header(
                config, date.group(1).decode("utf-8", "replace")))
            if (header_text(same) + text[len(header_text(pot)):]).encode("utf-8") == old:
                return ExtractResult(same, False, pages, old_digest)
    data = text.encode("utf-8")
    written = write_bytes_atomic(config.pot_path, data, display)
    return ExtractResult(pot, written, pages, content_digest(data))


def _template_text(pot: Catalog, old: bytes, laid_out: Catalog) -> str:
    """``format_po(pot)``, the blocks of the entries ``old`` holds taken from it: ``old``
    is format_po's layout of ``laid_out``. A block is the layout of all of an entry but
    its line, and a template has no obsolete entry: the same text, made again only for
    the entries the pages changed."""
    if any(e.obsolete for e in pot.entries):
        return format_po(pot)
    known = laid_out.entries
    blocks = split_blocks(old.decode("utf-8", "surrogateescape"))
    if blocks is None or len(blocks) != len(known) + 1 or any(e.obsolete for e in known):
        return format_po(pot)
    kept = dict(zip(map(entry_content, known), blocks[1:], strict=True))
    return "\n\n".join([header_text(pot), *(kept.get(entry_content(e)) or entry_text(e)
                                             for e in pot.entries)]) + "\n"


__all__ = ["ExtractResult", "build_pot", "collect_segments", "extract", "page_segments",
           "template_segments"]
