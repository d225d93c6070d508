"""The gettext data model: ``Entry`` (one message) and ``Catalog`` (a PO or POT file).

Plain frozen data, no I/O: ``pipeline.po.reader`` makes a ``Catalog`` from a file's
text, ``pipeline.po.writer`` writes one back as ``msgcat`` would and
``pipeline.po.mo`` compiles one (Babel's ``messages/catalog.py`` is the model).
"""

from __future__ import annotations

import datetime as dt
import gettext
import os
import re
from dataclasses import dataclass, replace

from pipeline.models import Location
from pipeline.models.fastinit import fast_init

FUZZY = "fuzzy"
# Translator comments written by `pipeline translate` start with this: pre-fill replaces
# its own, and the checks do not take one for a person's reason to silence a check.
PREFILL_MARK = "pre-filled by "


@fast_init
@dataclass(frozen=True, slots=True)
class Entry:
    """One PO entry. ``line`` is the line of its ``msgid`` keyword in the file read."""

    msgid: str
    msgstr: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr_plural: tuple[str, ...] = ()
    locations: tuple[Location, ...] = ()
    auto_comments: tuple[str, ...] = ()
    translator_comments: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    previous_msgctxt: str | None = None
    previous_msgid: str | None = None
    previous_msgid_plural: str | None = None
    obsolete: bool = False
    line: int = 0

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.msgctxt, self.msgid)

    @property
    def fuzzy(self) -> bool:
        return FUZZY in self.flags

    @property
    def has_translation(self) -> bool:
        """Something was written, fuzzy or not (msgmerge keeps these as obsolete)."""
        if self.msgid_plural is not None:
            return any(self.msgstr_plural)
        return bool(self.msgstr)

    @property
    def translated(self) -> bool:
        """Complete and not fuzzy: what msgfmt would use."""
        if self.fuzzy or self.obsolete:
            return False
        if self.msgid_plural is not None:
            return bool(self.msgstr_plural) and all(self.msgstr_plural)
        return bool(self.msgstr)

    def with_flags(self, *add: str, remove: tuple[str, ...] = ()) -> Entry:
        flags = [f for f in self.flags if f not in remove]
        for flag in add:
            if flag not in flags:
                flags.append(flag)
        # gettext puts "fuzzy" first, then the format flags.
        flags.sort(key=lambda f: (f != FUZZY,))
        return replace(self, flags=tuple(flags))


@dataclass(frozen=True, slots=True)
class Catalog:
    """A PO or POT file: header comments, header fields, entries in file order."""

    header_comments: tuple[str, ...] = ()
    header: tuple[tuple[str, str], ...] = ()
    header_flags: tuple[str, ...] = ()
    entries: tuple[Entry, ...] = ()
    header_line: int = 0
    path: str = ""
    header_lines: tuple[tuple[str, int], ...] = ()  # header field → line, in the file read

    def header_value(self, name: str) -> str | None:
        for key, value in self.header:
            if key.lower() == name.lower():
                return value
        return None

    def with_header(self, name: str, value: str) -> Catalog:
        items = list(self.header)
        for i, (key, _) in enumerate(items):
            if key.lower() == name.lower():
                items[i] = (key, value)
                break
        else:
            items.append((name, value))
        return replace(self, header=tuple(items))

    def header_line_of(self, name: str) -> int:
        """The line of header field ``name`` in the file read (else the header's line)."""
        for key, line in self.header_lines:
            if key.lower() == name.lower():
                return line
        return self.header_line

    @property
    def active(self) -> tuple[Entry, ...]:
        return tuple(e for e in self.entries if not e.obsolete)

    @property
    def obsolete(self) -> tuple[Entry, ...]:
        return tuple(e for e in self.entries if e.obsolete)

    @property
    def nplurals(self) -> int | None:
        forms = self.header_value("Plural-Forms") or ""
        match = re.search(r"nplurals\s*=\s*(\d+)", forms)
        return int(match.group(1)) if match else None


def po_date() -> str:
    """Now as a PO header date; ``SOURCE_DATE_EPOCH`` (reproducible builds) wins."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    moment = (dt.datetime.fromtimestamp(int(epoch), dt.UTC) if epoch.isdigit()
              else dt.datetime.now(dt.UTC))
    return moment.strftime("%Y-%m-%d %H:%M+0000")


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
