"""The project glossary: ``<locales>/glossary.csv`` → frozen ``GlossaryTerm`` rows.

Approved translations of source terms (columns term, lang, translation[, note]; ``*``
for every language). QA checks translations against them (``checks.check_glossary``);
a row whose translation is the term itself marks a name kept as it is (a brand, an
institute's acronym), which QA's ``same-as-source`` and readability's plain-language
advice leave alone.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from pipeline.config import Config
from pipeline.errors import PipelineError
from pipeline.infra.fsutil import read_text
from pipeline.models import Location
from pipeline.text.langs import Lang, parse_lang

GLOSSARY_FILE = "glossary.csv"


@dataclass(frozen=True, slots=True)
class GlossaryTerm:
    """One row of ``locales/glossary.csv``: a source term and an approved translation."""

    term: str
    lang: str  # gettext code, or "*" for every language
    translation: str
    note: str = ""
    location: Location = field(default_factory=lambda: Location(""))


def load_glossary(config: Config) -> tuple[GlossaryTerm, ...]:
    """Rows of ``<locales>/glossary.csv`` (columns term, lang, translation[, note])."""
    path = config.locales_dir / GLOSSARY_FILE
    if not path.exists():
        return ()
    display = config.rel(path)
    return parse_glossary(read_text(path, display), display)


def parse_glossary(text: str, display: str) -> tuple[GlossaryTerm, ...]:
    reader = csv.reader(io.StringIO(text))
    rows: list[GlossaryTerm] = []
    columns: list[str] | None = None
    while True:
        line = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise PipelineError(f"glossary is not valid CSV: {exc}", Location(display, line),
                                'quote a cell that contains a comma: "term, with comma"'
                                ) from exc
        if not any(cell.strip() for cell in row) or row[0].lstrip().startswith("#"):
            continue
        cells = [cell.strip() for cell in row]
        if columns is None:
            columns = [c.lower() for c in cells]
            missing = [c for c in ("term", "lang", "translation") if c not in columns]
            unknown = [c for c in columns if c not in ("term", "lang", "translation", "note")]
            if missing or unknown:
                raise PipelineError(
                    "glossary header must name the columns term, lang, translation (and "
                    "optionally note)" + (f"; unknown column {unknown[0]!r}" if unknown else ""),
                    Location(display, line), "first line: term,lang,translation,note")
            continue
        values = dict(zip(columns, cells, strict=False))
        term, lang, translation = (values.get(k, "") for k in ("term", "lang", "translation"))
        where = Location(display, line)
        if len(cells) > len(columns):
            raise PipelineError(f"{len(cells)} cells but the header names {len(columns)}", where,
                                'quote a cell that contains a comma: "term, with comma"')
        if not term or not lang or not translation:
            raise PipelineError("glossary row needs a term, a lang and a translation", where)
        if lang != "*":
            lang = parse_lang(lang, where).code
        rows.append(GlossaryTerm(term, lang, translation, values.get("note", ""), where))
    return tuple(rows)


def kept_terms(glossary: Iterable[GlossaryTerm], lang: Lang, source: Lang) -> tuple[str, ...]:
    """The terms kept as they are in ``lang``'s text: rows whose translation is the term,
    for that language or ``*``; in the source language, the terms kept in any language."""
    def same(a: str, b: str) -> bool:
        return unicodedata.normalize("NFC", a).casefold().split() == (
            unicodedata.normalize("NFC", b).casefold().split())

    return tuple(dict.fromkeys(
        row.term for row in glossary
        if same(row.term, row.translation)
        and (lang.code == source.code or row.lang in ("*", lang.code))))
