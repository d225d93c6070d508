"""Read and write gettext PO/POT files: text ↔ ``Catalog``.

Our own reader so that every error carries the 1-based line a translator sees in
their editor, and so that a broken file is refused, not half-read (polib and Babel read
an unterminated string with its last character cut). Our own writer so that the output
is byte for byte what GNU ``msgcat`` writes (width 79 in columns, libunistring's line
breaks, ``#|`` previous msgid, ``#~`` obsolete entries), except that we keep the flags
GNU does not know (``no-check-…``). ``.mo`` files are polib's (``catalogs.mo_bytes``).
"""

from __future__ import annotations

import bisect
import datetime as dt
import gettext
import hashlib
import os
import re
from dataclasses import dataclass, field, replace
from itertools import pairwise
from pathlib import Path

from pipeline.errors import PipelineError
from pipeline.infra.fsutil import (
    FileStamp,
    decode_utf8,
    read_bytes,
    read_bytes_stamped,
    write_text_atomic,
)
from pipeline.models import Location
from pipeline.po.linebreak import line_breaks

WIDTH = 79
FUZZY = "fuzzy"


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


# --- reading -------------------------------------------------------------------

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "a": "\a", "b": "\b",
            "f": "\f", "v": "\v"}
_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)(?=[\s"]|$)\s*(.*)$')
_QUOTE_HINT = 'strings in PO files are written "like this"; write a quote inside as \\"'


# Fast path for the usual line: one string with at most the common escapes (a
# 1,000-page catalog has 90,000 of them); anything else takes the full path below.
_PLAIN_STRING = re.compile(r'"((?:[^"\\]|\\[ntr"\\abfv])*)"')
_PLAIN_ESCAPE = re.compile(r"\\(.)")


def _unquote(token: str, where: Location) -> str:
    """The value of one or more adjacent C-style quoted strings, escapes resolved."""
    text = token.strip()
    plain = _PLAIN_STRING.fullmatch(text)
    if plain is not None:
        value = plain.group(1)
        return _PLAIN_ESCAPE.sub(lambda m: _ESCAPES[m.group(1)], value) if "\\" in value else value
    if not text.startswith('"'):
        found = f"found {text[:20]!r}" if text else "found nothing"
        raise PipelineError(f"expected a quoted string, {found}", where, _QUOTE_HINT)
    out = bytearray()
    i, n = 0, len(text)
    while i < n:
        i += 1  # past the opening quote
        closed = False
        while i < n:
            char = text[i]
            if char == '"':
                closed = True
                i += 1
                break
            if char != "\\":
                out += char.encode("utf-8")
                i += 1
                continue
            if i + 1 >= n:
                break
            nxt = text[i + 1]
            if nxt in _ESCAPES:
                out += _ESCAPES[nxt].encode("utf-8")
                i += 2
            elif (octal := re.match(r"[0-7]{1,3}", text[i + 1 :])) is not None:
                out.append(int(octal.group(0), 8) & 0xFF)
                i += 1 + len(octal.group(0))
            elif (hexa := re.match(r"x([0-9A-Fa-f]{1,2})", text[i + 1 :])) is not None:
                out.append(int(hexa.group(1), 16))
                i += 1 + len(hexa.group(0))
            else:
                raise PipelineError(
                    f"invalid escape sequence \\{nxt}", where,
                    'valid escapes are \\n \\t \\" \\\\; write a backslash itself as \\\\',
                )
        if not closed:
            raise PipelineError(
                "unterminated string: missing closing quote", where,
                'end the string with a double quote ("); write \\" for a quote inside the text',
            )
        rest = text[i:].lstrip()
        if not rest:
            break
        if not rest.startswith('"'):
            raise PipelineError(
                f"unexpected text after the closing quote: {rest[:20]!r}", where,
                'write a double quote inside the text as \\", or remove the extra text',
            )
        i = n - len(rest)
    try:
        return out.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PipelineError(
            "escape sequences do not form valid UTF-8", where,
            "write the characters themselves instead of octal or hex escapes",
        ) from exc


@dataclass
class _Draft:
    """The entry being read: filled line by line, turned into an ``Entry`` by ``finish``."""

    obsolete: bool = False
    has_keyword: bool = False
    msgctxt: str | None = None
    msgctxt_line: int = 0
    msgid: str | None = None
    msgid_plural: str | None = None
    msgstr: str | None = None
    msgstr_line: int = 0
    msgstr_parts: list[tuple[int, str]] = field(default_factory=list)
    msgstr_plural: dict[int, str] = field(default_factory=dict)
    plural_lines: dict[int, int] = field(default_factory=dict)
    locations: list[Location] = field(default_factory=list)
    auto_comments: list[str] = field(default_factory=list)
    translator_comments: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    previous: dict[str, str] = field(default_factory=dict)
    line: int = 0  # the msgid keyword's line
    first_line: int = 0
    last: str | None = None  # the field that continuation lines append to
    # Continuation lines per field, joined once by ``finish``: adding them one by one
    # (str + str) copies the whole string every line, minutes for a 10 MB entry.
    more: dict[str, list[str]] = field(default_factory=dict)

    def join_continuations(self) -> None:
        for name, pieces in self.more.items():
            tail = "".join(pieces)
            if name == "msgctxt":
                self.msgctxt = (self.msgctxt or "") + tail
            elif name == "msgid":
                self.msgid = (self.msgid or "") + tail
            elif name == "msgid_plural":
                self.msgid_plural = (self.msgid_plural or "") + tail
            elif name == "msgstr":
                self.msgstr = (self.msgstr or "") + tail
            else:
                self.msgstr_plural[int(name[7:-1])] += tail
        self.more = {}

    @property
    def started(self) -> bool:
        return self.first_line > 0

    @property
    def has_msgstr(self) -> bool:
        return self.msgstr is not None or bool(self.msgstr_plural)


def _split_flags(body: str) -> list[str]:
    """Flags as GNU reads them: separated by commas or spaces; "range: 1..5" is one."""
    tokens = [t for t in re.split(r"[\s,]+", body) if t]
    out: list[str] = []
    while tokens:
        token = tokens.pop(0)
        if token == "range:" and tokens:
            token = f"range: {tokens.pop(0)}"
        out.append(token)
    return out


def _parse_references(text: str) -> list[Location]:
    out = []
    for token in text.split():
        path, sep, line = token.rpartition(":")
        if sep and line.isdigit() and int(line) > 0:  # "file:0" stays as written
            out.append(Location(path, int(line)))
        else:
            out.append(Location(token, 0))
    return out


class _Parser:
    """A line-by-line PO reader that knows, for every error, the line to blame."""

    def __init__(self, path: str):
        self.path = path
        self.entries: list[Entry] = []
        self.header: Catalog | None = None
        self.seen: dict[tuple[str | None, str], int] = {}
        self.draft = _Draft()

    def where(self, line: int) -> Location:
        return Location(self.path, line)

    def feed(self, number: int, raw: str) -> None:
        line = raw.strip()
        if not line:
            return  # blank lines separate entries for people; the grammar ignores them
        obsolete = False
        if line.startswith("#~"):
            obsolete = True
            line = line[2:].lstrip()
            if not line:
                return
            if line[0] in "|,.:":
                line = "#" + line  # "#~| msgid", "#~, fuzzy": comments of an obsolete entry
        if line.startswith("#"):
            # GNU keeps a comment's trailing spaces: so do we, for msgcat-identical output.
            self.comment(number, line if obsolete else raw.lstrip().rstrip("\r"))
            return
        match = _KEYWORD.match(line)
        if match:
            self.keyword(number, match, obsolete)
            return
        if line.startswith('"'):
            self.continuation(number, line, obsolete)
            return
        word = line.split()[0][:30]
        raise PipelineError(
            f"syntax error: unexpected text {word!r}",
            self.where(number),
            "each line must be a comment (#…), a keyword (msgid, msgstr, …) or a quoted string",
        )

    def incomplete(self) -> PipelineError:
        """The error for an entry that stopped before its msgstr."""
        draft = self.draft
        if draft.msgid is None:
            return PipelineError(
                "msgctxt without msgid", self.where(draft.msgctxt_line),
                "a msgctxt line must be followed by the msgid it belongs to",
            )
        return PipelineError(
            "msgid without msgstr", self.where(draft.line),
            'add a msgstr line after the msgid (msgstr "" if not translated yet)',
        )

    def comment(self, number: int, line: str) -> None:
        draft = self.draft
        if draft.has_msgstr:
            self.finish()  # a comment after a msgstr starts the next entry
            draft = self.draft
        elif draft.has_keyword:
            raise self.incomplete()
        if not draft.started:
            draft.first_line = number
        kind, body = line[:2], line[2:].strip()
        if kind == "#:":
            draft.locations.extend(_parse_references(body))
        elif kind == "#.":
            draft.auto_comments.append(line[2:].removeprefix(" "))  # as GNU reads it
        elif kind in ("#,", "#!"):
            draft.flags.extend(f for f in _split_flags(body) if f not in draft.flags)
        elif kind == "#|":
            self.previous(number, body)
        else:
            draft.translator_comments.append(line[1:].removeprefix(" "))

    def previous(self, number: int, body: str) -> None:
        draft = self.draft
        where = self.where(number)
        match = _KEYWORD.match(body)
        if match and match.group(1) in ("msgctxt", "msgid", "msgid_plural"):
            draft.previous[match.group(1)] = _unquote(match.group(3), where)
            draft.last = "previous:" + match.group(1)
        elif body.startswith('"') and draft.last and draft.last.startswith("previous:"):
            name = draft.last.split(":", 1)[1]
            draft.previous[name] += _unquote(body, where)
        else:
            raise PipelineError(
                "malformed #| previous-message comment", where,
                '#| lines hold the previous msgid, e.g.  #| msgid "Old text"',
            )

    def keyword(self, number: int, match: re.Match[str], obsolete: bool) -> None:
        keyword, index, rest = match.group(1), match.group(2), match.group(3)
        where = self.where(number)
        draft = self.draft
        if keyword in ("msgctxt", "msgid") and draft.has_msgstr:
            self.finish()
            draft = self.draft
        if draft.has_keyword and draft.obsolete != obsolete:
            raise self.mixed(number)
        if not draft.started:
            draft.first_line = number
        draft.obsolete = obsolete
        draft.has_keyword = True
        value = _unquote(rest, where)
        if keyword == "msgctxt":
            if draft.msgctxt is not None:
                raise self.incomplete()
            if draft.msgid is not None:
                raise self.incomplete()
            draft.msgctxt, draft.msgctxt_line = value, number
        elif keyword == "msgid":
            if draft.msgid is not None:
                raise self.incomplete()
            draft.msgid, draft.line = value, number
        elif keyword == "msgid_plural":
            if draft.msgid is None or draft.msgid_plural is not None or draft.has_msgstr:
                raise PipelineError(
                    "msgid_plural out of place", where,
                    "write msgid_plural once, right after the msgid and before msgstr[0]",
                )
            draft.msgid_plural = value
        else:
            if draft.msgid is None:
                raise PipelineError(
                    "msgstr before msgid", where,
                    "every entry needs a msgid line before its msgstr",
                )
            if index is None:
                if draft.has_msgstr:
                    raise PipelineError(
                        "msgstr before msgid: the entry above already has its msgstr", where,
                        "every entry needs its own msgid line before its msgstr",
                    )
                draft.msgstr, draft.msgstr_line = value, number
                draft.msgstr_parts = [(number, value)]
            else:
                slot = int(index)
                if slot in draft.msgstr_plural or draft.msgstr is not None:
                    raise PipelineError(f"msgstr[{slot}] given twice", where,
                                        "give each plural form once")
                draft.msgstr_plural[slot] = value
                draft.plural_lines[slot] = number
        draft.last = keyword if index is None else f"msgstr[{index}]"

    def mixed(self, number: int) -> PipelineError:
        return PipelineError(
            "entry mixes obsolete (#~) and active lines", self.where(number),
            "an obsolete entry has #~ before every msgid/msgstr line; remove the #~ "
            "from all of them to bring the entry back",
        )

    def continuation(self, number: int, line: str, obsolete: bool) -> None:
        draft = self.draft
        where = self.where(number)
        if draft.last is None or draft.last.startswith("previous:"):
            raise PipelineError(
                "string without a keyword before it", where,
                "a line that is only a quoted string continues the msgid or msgstr above it",
            )
        if draft.obsolete != obsolete:
            raise self.mixed(number)
        value = _unquote(line, where)
        draft.more.setdefault(draft.last, []).append(value)
        if draft.last == "msgstr":
            draft.msgstr_parts.append((number, value))

    def finish(self) -> None:
        draft = self.draft
        self.draft = _Draft()
        if not draft.has_keyword:
            return  # comments with no entry after them (end of file)
        draft.join_continuations()
        if draft.msgid is None or not draft.has_msgstr:
            self.draft = draft
            raise self.incomplete()
        if draft.msgid_plural is None and draft.msgstr_plural:
            raise PipelineError(
                "msgstr[N] without msgid_plural", self.where(min(draft.plural_lines.values())),
                "use plain msgstr for a message with no plural",
            )
        if draft.msgid_plural is not None and draft.msgstr is not None:
            raise PipelineError(
                "plural message uses msgstr instead of msgstr[0]",
                self.where(draft.msgstr_line),
                "write msgstr[0], msgstr[1], … for plural messages",
            )
        plural: tuple[str, ...] = ()
        if draft.msgstr_plural:
            indexes = sorted(draft.msgstr_plural)
            if indexes != list(range(len(indexes))):
                missing = min(set(range(len(indexes) + 1)) - set(indexes))
                raise PipelineError(
                    f"plural forms skip msgstr[{missing}]", self.where(draft.line),
                    "number the forms msgstr[0], msgstr[1], … without gaps",
                )
            plural = tuple(draft.msgstr_plural[i] for i in indexes)
        entry = Entry(
            msgid=draft.msgid,
            msgstr=draft.msgstr or "",
            msgctxt=draft.msgctxt,
            msgid_plural=draft.msgid_plural,
            msgstr_plural=plural,
            locations=tuple(draft.locations),
            auto_comments=tuple(draft.auto_comments),
            translator_comments=tuple(draft.translator_comments),
            flags=tuple(draft.flags),
            previous_msgctxt=draft.previous.get("msgctxt"),
            previous_msgid=draft.previous.get("msgid"),
            previous_msgid_plural=draft.previous.get("msgid_plural"),
            obsolete=draft.obsolete,
            line=draft.line,
        )
        if entry.obsolete:
            self.entries.append(entry)
            return
        if entry.key in self.seen:
            raise PipelineError(
                f"duplicate message definition (first defined at line {self.seen[entry.key]})",
                self.where(entry.line),
                "merge the two entries into one, or give one a msgctxt",
            )
        self.seen[entry.key] = entry.line
        if entry.msgid == "" and entry.msgctxt is None:
            if self.entries:
                raise PipelineError(
                    'header entry (msgid "") must be the first entry', self.where(entry.line),
                    "move it to the top of the file",
                )
            self.header = _parse_header(entry, draft.msgstr_parts, self.path)
            return
        self.entries.append(entry)

    def close(self) -> Catalog:
        self.finish()
        head = self.header or Catalog()
        catalog = replace(head, entries=tuple(self.entries), path=self.path)
        _check_catalog(catalog, self.path)
        return catalog


def parse_po(text: str, path: str) -> Catalog:
    """Parse PO text (already decoded) into a Catalog; errors name ``path:line``."""
    parser = _Parser(path)
    for number, raw in enumerate(text.split("\n"), start=1):
        parser.feed(number, raw)
    return parser.close()


def _parse_header(entry: Entry, parts: list[tuple[int, str]], path: str) -> Catalog:
    """Header fields from the header's msgstr, each with the line it was written on."""
    starts: list[int] = []
    offset = 0
    for _, piece in parts:
        starts.append(offset)
        offset += len(piece)
    fields: list[tuple[str, str]] = []
    lines: list[tuple[str, int]] = []
    offset = 0
    for line_text in entry.msgstr.split("\n"):
        line = parts[max(bisect.bisect_right(starts, offset) - 1, 0)][0] if parts else entry.line
        offset += len(line_text) + 1
        if not line_text.strip():
            continue
        name, sep, value = line_text.partition(":")
        if not sep:
            raise PipelineError(
                f"malformed header field {line_text[:40]!r}", Location(path, line),
                'header lines look like "Name: value\\n"',
            )
        fields.append((name.strip(), value.strip()))
        lines.append((name.strip(), line))
    return Catalog(
        header_comments=entry.translator_comments,
        header=tuple(fields),
        header_flags=entry.flags,
        header_line=entry.line,
        header_lines=tuple(lines),
    )


def _check_catalog(catalog: Catalog, path: str) -> None:
    content_type = catalog.header_value("Content-Type")
    if content_type:
        match = re.search(r"charset=([^\s;]+)", content_type)
        charset = match.group(1) if match else ""
        if charset.upper() not in ("UTF-8", "UTF8", "CHARSET"):
            raise _charset_error(charset, Location(path, catalog.header_line_of("Content-Type")))
    forms = catalog.header_value("Plural-Forms")
    if forms is not None:
        _check_plural_forms(forms, Location(path, catalog.header_line_of("Plural-Forms")))
    # A template's plural entries are all empty: only a translated form needs the header.
    plurals = [e for e in catalog.active if e.msgid_plural is not None and any(e.msgstr_plural)]
    if not plurals:
        return
    nplurals = catalog.nplurals
    if nplurals is None:
        raise PipelineError(
            "plural forms are translated but the header has no Plural-Forms",
            Location(path, plurals[0].line),
            "add the header line for your language (pipeline init writes it), e.g. "
            '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"',
        )
    for entry in plurals:
        if len(entry.msgstr_plural) != nplurals:
            raise PipelineError(
                f"{len(entry.msgstr_plural)} plural forms, but Plural-Forms says "
                f"nplurals={nplurals}",
                Location(path, entry.line),
                f"give exactly {nplurals} msgstr[N] lines, msgstr[0] to msgstr[{nplurals - 1}]",
            )


def _check_context_separator(entry: Entry, path: str) -> None:
    """U+0004 separates msgctxt from msgid in a compiled catalog: msgfmt refuses it anywhere."""
    texts = (entry.msgctxt or "", entry.msgid, entry.msgid_plural or "", entry.msgstr,
             *entry.msgstr_plural)
    if any("\x04" in text for text in texts):
        raise PipelineError(
            "the entry contains the invisible character U+0004 (end of transmission), which "
            "gettext reserves; msgfmt refuses it", Location(path, entry.line),
            "delete it (it often comes from copying out of a terminal or a PDF)",
        )


def _check_line_breaks(entry: Entry, path: str) -> None:
    """msgfmt's rule: a translation begins (and ends) with a line break exactly when its
    msgid does, and so does msgid_plural; msgfmt refuses the catalog otherwise. Like
    msgfmt, fuzzy and untranslated entries are not checked."""
    forms = entry.msgstr_plural if entry.msgid_plural is not None else (entry.msgstr,)
    if entry.fuzzy or not entry.msgid or not forms or not forms[0]:
        return
    pairs = [("msgid_plural", entry.msgid_plural)] if entry.msgid_plural is not None else []
    pairs += [(f"msgstr[{i}]" if entry.msgid_plural is not None else "msgstr", text)
              for i, text in enumerate(forms)]
    for name, text in pairs:
        for word, test in (("begin", str.startswith), ("end", str.endswith)):
            if test(entry.msgid, "\n") != test(text or "", "\n"):
                raise PipelineError(
                    f"msgid and {name} do not both {word} with a line break (\\n); msgfmt "
                    "refuses this entry", Location(path, entry.line),
                    f"{word} the {'translation' if name.startswith('msgstr') else 'plural'} "
                    "with \\n exactly when the msgid does",
                )


def _check_plural_forms(forms: str, where: Location) -> None:
    match = re.fullmatch(r"\s*nplurals\s*=\s*(\d+)\s*;\s*plural\s*=\s*(.+?)\s*;?\s*", forms)
    problem = None
    if match is None:
        problem = "is not 'nplurals=N; plural=EXPRESSION;'"
    elif not 1 <= int(match.group(1)) <= 6:
        problem = f"has nplurals={match.group(1)}; gettext languages use 1 to 6"
    else:
        try:
            evaluate = gettext.c2py(match.group(2))
            too_big = [n for n in range(200) if not 0 <= evaluate(n) < int(match.group(1))]
        except (ValueError, RecursionError, ZeroDivisionError):
            problem = f"has an invalid plural expression {match.group(2)!r}"
        else:
            if too_big:
                problem = (f"plural expression gives form {evaluate(too_big[0])} for "
                           f"n={too_big[0]}, but nplurals={match.group(1)}")
    if problem:
        raise PipelineError(
            f"Plural-Forms header {problem}", where,
            "copy the line for your language from 'pipeline init' or the gettext manual",
        )


def _charset_error(charset: str, where: Location) -> PipelineError:
    return PipelineError(
        f"declared charset {charset!r} is not UTF-8", where,
        "convert the file to UTF-8 (msgconv -t UTF-8 file.po -o file.po) and set "
        '"Content-Type: text/plain; charset=UTF-8"',
    )


# The last catalog parsed under each name, with its content hash: in one build
# several stages read the same four catalogs (0.5 s each at 12,000 entries). A
# Catalog is immutable, so handing out the same object again is safe; a file that
# changed replaces its old version, so no stale catalog is kept alive.
_PARSED: dict[str, tuple[bytes, Catalog]] = {}
_PARSED_MAX = 32


def read_po(file: Path, display: str) -> Catalog:
    """Read a PO/POT file: UTF-8 with or without a BOM, LF or CRLF line ends."""
    return _catalog_of(read_bytes(file, display), display)


def read_po_stamped(file: Path, display: str) -> tuple[Catalog, FileStamp]:
    """``read_po``, and the file's stamp for a write that must not replace a newer save."""
    data, stamp = read_bytes_stamped(file, display)
    return _catalog_of(data, display), stamp


def _catalog_of(data: bytes, display: str) -> Catalog:
    known = _PARSED.get(display)
    if known is not None and known[0] == _digest(data):
        return known[1]
    catalog = parse_po_bytes(data, display)
    remember_po(display, data, catalog)
    return catalog


def _digest(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


def remember_po(display: str, data: bytes, catalog: Catalog) -> None:
    """``catalog`` is what ``parse_po_bytes(data, display)`` gives: the next ``read_po``
    of a file holding ``data`` returns it without parsing."""
    _PARSED.pop(display, None)
    if len(_PARSED) >= _PARSED_MAX:
        del _PARSED[next(iter(_PARSED))]
    _PARSED[display] = (_digest(data), catalog)


def parse_po_bytes(data: bytes, display: str) -> Catalog:
    """A PO file's bytes → its Catalog, with every check ``read_po`` makes."""
    try:
        text = decode_utf8(data, display)
    except PipelineError:
        # Not UTF-8: if the header declares another charset, that is the real problem.
        declared = re.search(rb"charset=([^\s\\\";]+)", data)
        if declared and declared.group(1).upper() not in (b"UTF-8", b"UTF8"):
            line = data.count(b"\n", 0, declared.start()) + 1
            raise _charset_error(declared.group(1).decode("ascii", "replace"),
                                 Location(display, line)) from None
        raise
    if not text.strip():
        raise PipelineError(
            "empty file: no header entry", Location(display, 1),
            "move the empty file away and recreate it with 'pipeline init LANG'",
        )
    catalog = parse_po(text, display)
    for entry in catalog.active:  # a file msgfmt would refuse; parse_po is the grammar only
        _check_context_separator(entry, display)
        _check_line_breaks(entry, display)
    return catalog


# --- writing -------------------------------------------------------------------
#
# The layout is GNU gettext 0.21's write-po.c, so that a catalog we write is the one
# msgcat or msgmerge would write for the same messages: no diff churn on their saves.


_WRITE_ESCAPES = {"\\": "\\\\", '"': '\\"', "\t": "\\t", "\r": "\\r", "\n": "\\n",
                  "\a": "\\a", "\b": "\\b", "\f": "\\f", "\v": "\\v"}
_NEEDS_ESCAPE = re.compile("[" + re.escape("".join(_WRITE_ESCAPES)) + "]")
_ESCAPE_SEQUENCE = re.compile(r"\\.")
_LINES = re.compile(r"[^\n]*\n|[^\n]+")
# write-po.c's order of the format flags (message.c format_language).
_FORMAT_LANGUAGES = (
    "c", "objc", "python", "python-brace", "java", "java-printf", "csharp", "javascript",
    "scheme", "lisp", "elisp", "librep", "ruby", "sh", "awk", "lua", "object-pascal",
    "smalltalk", "qt", "qt-plural", "kde", "kde-kuit", "boost", "tcl", "perl", "perl-brace",
    "php", "gcc-internal", "gfc-internal", "ycp",
)
_RANGE = re.compile(r"range:\s*(\d+)\.\.(\d+)")


def _escape(text: str) -> str:
    if _NEEDS_ESCAPE.search(text) is None:
        return text
    return _NEEDS_ESCAPE.sub(lambda m: _WRITE_ESCAPES[m.group(0)], text)


@dataclass(frozen=True, slots=True)
class _Flags:
    """An entry's flags the way GNU reads them, plus the ones only we know."""

    fuzzy: bool
    formats: tuple[str, ...]  # "python-format", "no-c-format", … in GNU's order
    format_language: str | None  # the first one that may be a format string
    range_flag: str | None
    no_wrap: bool
    own: tuple[str, ...]  # flags GNU does not know (no-check-…): kept, after GNU's

    @classmethod
    def of(cls, flags: tuple[str, ...]) -> _Flags:
        if not flags:
            return _NO_FLAGS
        fuzzy = no_wrap = False
        formats: dict[str, str] = {}
        range_: str | None = None
        own: list[str] = []
        for flag in flags:
            language, kind = _format_flag(flag)
            if flag == FUZZY:
                fuzzy = True
            elif language is not None:
                formats[language] = kind  # a later flag wins, as in GNU
            elif (bounds := _RANGE.fullmatch(flag)) is not None:
                if int(bounds.group(1)) <= int(bounds.group(2)):
                    range_ = f"range: {int(bounds.group(1))}..{int(bounds.group(2))}"
            elif flag in ("wrap", "no-wrap"):
                no_wrap = flag == "no-wrap"
            elif flag not in own:
                own.append(flag)
        ordered = [(language, formats[language]) for language in _FORMAT_LANGUAGES
                   if language in formats]
        written = tuple(f"no-{lang}-format" if kind == "no" else f"{lang}-format"
                        for lang, kind in ordered if kind != "impossible")
        possible = next((lang for lang, kind in ordered if kind in ("yes", "possible")), None)
        return cls(fuzzy, written, possible, range_, no_wrap, tuple(own))

    def line(self, *, translated: bool, obsolete: bool) -> str | None:
        """write-po.c's "#," line: fuzzy only on a translation (always on an obsolete
        entry), no range on an obsolete entry; ours after GNU's."""
        names = ["fuzzy"] if self.fuzzy and (translated or obsolete) else []
        names += self.formats
        if self.range_flag is not None and not obsolete:
            names.append(self.range_flag)
        if self.no_wrap:
            names.append("no-wrap")
        names += self.own
        return "#, " + ", ".join(names) if names else None


_NO_FLAGS = _Flags(False, (), None, None, False, ())


def own_flags(flags: tuple[str, ...]) -> tuple[str, ...]:
    """The flags GNU gettext does not know (ours, such as ``no-check-…``): msgcat drops
    them; we keep them, after GNU's."""
    return _Flags.of(flags).own


def _format_flag(flag: str) -> tuple[str | None, str]:
    """("python", "yes") for python-format, ("c", "no") for no-c-format, …"""
    if not flag.endswith("-format"):
        return None, ""
    name = flag[: -len("-format")]
    kind = "yes"
    for prefix in ("no-", "possible-", "impossible-"):
        if name.startswith(prefix):
            name, kind = name[len(prefix):], prefix[:-1]
            break
    return (name, kind) if name in _FORMAT_LANGUAGES else (None, "")


def _python_directives(text: str) -> list[tuple[int, int]]:
    """Spans (first, last) of the valid %-directives, as gettext's format-python.c marks
    them: up to the first invalid one."""
    spans: list[tuple[int, int]] = []
    i, n = 0, len(text)
    named = unnamed = False
    while i < n:
        if text[i] != "%":
            i += 1
            continue
        start = i
        i += 1
        name = False
        if i < n and text[i] == "(":
            depth = 0
            i += 1
            while i < n and not (text[i] == ")" and depth == 0):
                depth += {"(": 1, ")": -1}.get(text[i], 0)
                i += 1
            if i >= n:
                return spans
            i += 1
            name = True
        while i < n and text[i] in "-+ #0":
            i += 1
        if i < n and text[i] == "*":
            if named:
                return spans
            unnamed = True
            i += 1
        else:
            while i < n and "0" <= text[i] <= "9":
                i += 1
        if i < n and text[i] == ".":
            i += 1
            if i < n and text[i] == "*":
                if named:
                    return spans
                unnamed = True
                i += 1
            else:
                while i < n and "0" <= text[i] <= "9":
                    i += 1
        if i < n and text[i] in "hlL":
            i += 1
        if i >= n or text[i] not in "%csridouxXeEfgG":
            return spans
        if name:
            if unnamed:
                return spans
            named = True
        elif text[i] != "%":
            if named:
                return spans
            unnamed = True
        spans.append((start, i))
        i += 1
    return spans


def _brace_field(text: str, i: int) -> int:
    """The end of a name (a letter or _, then also digits) or a number starting at ``i``;
    ``i`` itself when there is none (format-python-brace.c)."""
    n = len(text)
    if i < n and (text[i].isascii() and (text[i].isalpha() or text[i] == "_")):
        i += 1
        while i < n and text[i].isascii() and (text[i].isalnum() or text[i] == "_"):
            i += 1
    elif i < n and "0" <= text[i] <= "9":
        while i < n and "0" <= text[i] <= "9":
            i += 1
    return i


def _brace_directive(text: str, i: int, top: bool) -> int | None:
    """From the "{" at ``i``: the index after the directive, or None if it is invalid."""
    n = len(text)
    i += 1
    if i < n and text[i] == "{":
        return i + 1
    end = _brace_field(text, i)
    if end == i:
        return None
    i = end
    while i < n and text[i] in ".[":
        opener = text[i]
        end = _brace_field(text, i + 1)
        if end == i + 1 or (opener == "." and not (text[i + 1].isalpha() or text[i + 1] == "_")):
            return None
        i = end
        if opener == "[":
            if i >= n or text[i] != "]":
                return None
            i += 1
    if i < n and text[i] == ":":
        if not top:
            return None
        i += 1
        if i < n and text[i] == "{":
            nested = _brace_directive(text, i, False)
            if nested is None:
                return None
            i = nested
        else:
            if i + 1 < n and text[i + 1] in "<>=^":
                i += 2
            elif i < n and text[i] in "<>=^":
                i += 1
            for optional in "+- ", "#", "0":
                if i < n and text[i] in optional:
                    i += 1
            while i < n and "0" <= text[i] <= "9":
                i += 1
            if i < n and text[i] == ".":
                i += 1
                while i < n and "0" <= text[i] <= "9":
                    i += 1
            if i < n and text[i] in "bcdoxXneEfFgG%":
                i += 1
    if i >= n or text[i] != "}":
        return None
    return i + 1


def _brace_directives(text: str) -> list[tuple[int, int]]:
    """Spans of the valid {}-directives (format-python-brace.c), up to the first invalid."""
    spans: list[tuple[int, int]] = []
    i = 0
    while (i := text.find("{", i)) >= 0:
        end = _brace_directive(text, i, True)
        if end is None:
            break
        if text[i + 1 : i + 2] != "{":
            spans.append((i, end - 1))
        i = end
    return spans


def _inside_directives(text: str, language: str | None) -> set[int]:
    """Indexes in ``text`` that GNU never breaks before: inside a format directive, past
    its first character. Only the Python formats our templates use are parsed."""
    if not text or language not in ("python", "python-brace"):
        return set()
    spans = _python_directives(text) if language == "python" else _brace_directives(text)
    return {i for first, last in spans for i in range(first + 1, last + 1)}


def _wrap_string(keyword: str, text: str, prefix: str = "", *, wrap: bool = True,
                 directives: set[int] | frozenset[int] = frozenset()) -> list[str]:
    """Lay out ``keyword "text"`` as write-po.c's ``wrap`` does at width 79.

    The text is cut after each ``\\n``; each piece is escaped and broken where
    libunistring allows (``pipeline.po.linebreak``), never inside an escape, a format
    directive or before a final ``\\n``. When the whole does not fit on the keyword's
    line (or has a ``\\n`` before its end), the first line is ``keyword ""``.
    """
    if len(text) <= 30 and "\n" not in text:
        # At most 60 columns escaped: fits after any keyword and prefix (the usual case).
        return [f'{prefix}{keyword} "{_escape(text)}"']
    after_break = len(prefix) + 1  # a continuation line's text starts after prefix and "
    width = (WIDTH if wrap else 2**31 - 1) - 1 - after_break
    pieces = _LINES.findall(text) or [""]
    lines: list[str] = []
    first = True
    offset = 0
    for number, piece in enumerate(pieces):
        escaped = _escape(piece)
        prohibited: set[int] = set()
        if "\\" in escaped:
            prohibited.update(m.start() + 1 for m in _ESCAPE_SEQUENCE.finditer(escaped))
            if piece.endswith("\n"):
                prohibited.add(len(escaped) - 2)  # not between the text and its \n
        if directives:
            escapes = [m.start() for m in _NEEDS_ESCAPE.finditer(piece)]
            for index in directives:
                if offset <= index < offset + len(piece):
                    local = index - offset
                    prohibited.add(local + bisect.bisect_left(escapes, local))
        breaks = line_breaks(escaped, width, 0, prohibited)
        if first and escaped:
            start_column = len(keyword) + 1
            # Broken after the keyword too when broken at column 0 (it only starts later).
            if (number + 1 < len(pieces) or start_column > width or breaks
                    or line_breaks(escaped, width, start_column, prohibited)):
                lines.append(f'{prefix}{keyword} ""')
                first = False
        head = f"{prefix}{keyword} " if first else prefix
        first = False
        chunks = [escaped[a:b] for a, b in pairwise([0, *breaks, len(escaped)])]
        lines.append(f'{head}"{chunks[0]}"')
        lines += [f'{prefix}"{chunk}"' for chunk in chunks[1:]]
        offset += len(piece)
    return lines


def _wrap_references(locations: tuple[Location, ...]) -> list[str]:
    """``#:`` lines as write-po.c fills them: no line past 79 columns unless one reference
    alone is longer; a leading ``./`` dropped."""
    lines: list[str] = []
    current = "#:"
    for location in locations:
        path = location.path
        while path.startswith("./"):
            path = path[2:]
        token = f"{path}:{location.line}" if location.line else path
        if current != "#:" and len(current) + 1 + len(token) > WIDTH:
            lines.append(current)
            current = "#:"
        current += " " + token
    if current != "#:":
        lines.append(current)
    return lines


def _comment_lines(translator: tuple[str, ...], auto: tuple[str, ...]) -> list[str]:
    out = [f"# {c}" if c else "#" for c in translator]
    out += [f"#. {c}" if c else "#." for c in auto]
    return out


def _entry_lines(entry: Entry) -> list[str]:
    flags = _Flags.of(entry.flags)
    forms = entry.msgstr_plural or ("", "") if entry.msgid_plural is not None else None
    first_form = forms[0] if forms else entry.msgstr
    out = _comment_lines(entry.translator_comments, entry.auto_comments)
    out += _wrap_references(entry.locations)
    flag_line = flags.line(translated=bool(first_form), obsolete=entry.obsolete)
    if flag_line is not None:
        out.append(flag_line)
    wrap = not flags.no_wrap
    prefix = "#~ " if entry.obsolete else ""
    previous_prefix = "#~| " if entry.obsolete else "#| "

    def string(keyword: str, text: str, pre: str) -> list[str]:
        return _wrap_string(keyword, text, pre, wrap=wrap,
                            directives=_inside_directives(text, flags.format_language))

    for keyword, previous in (("msgctxt", entry.previous_msgctxt),
                              ("msgid", entry.previous_msgid),
                              ("msgid_plural", entry.previous_msgid_plural)):
        if previous is not None:
            out += string(keyword, previous, previous_prefix)
    if entry.msgctxt is not None:
        out += string("msgctxt", entry.msgctxt, prefix)
    out += string("msgid", entry.msgid, prefix)
    if forms is not None:
        out += string("msgid_plural", entry.msgid_plural or "", prefix)
        for index, form in enumerate(forms):
            out += string(f"msgstr[{index}]", form, prefix)
    else:
        out += string("msgstr", entry.msgstr, prefix)
    return out


def format_po(catalog: Catalog) -> str:
    """Serialize a catalog as GNU msgcat writes it: header, entries, then the obsolete
    ones that hold a translation. The same catalog always gives the same text."""
    header = "".join(f"{k}: {v}\n" for k, v in catalog.header)
    head = _comment_lines(catalog.header_comments, ())
    flag_line = _Flags.of(catalog.header_flags).line(translated=bool(header), obsolete=False)
    if flag_line is not None:
        head.append(flag_line)
    head += _wrap_string("msgid", "")
    head += _wrap_string("msgstr", header)
    blocks = [head]
    blocks += [_entry_lines(e) for e in catalog.entries if not e.obsolete]
    blocks += [_entry_lines(e) for e in catalog.entries
               if e.obsolete and _first_form_of(e)]
    return "\n\n".join("\n".join(b) for b in blocks) + "\n"


def _first_form_of(entry: Entry) -> str:
    if entry.msgid_plural is not None:
        return entry.msgstr_plural[0] if entry.msgstr_plural else ""
    return entry.msgstr


def write_po(catalog: Catalog, file: Path, display: str, *, expect: FileStamp | None = None,
             doing: str = "updating") -> bool:
    """Write atomically; returns False (and touches nothing) when the bytes are unchanged.
    ``expect``, ``doing``: as for ``fsutil.write_bytes_atomic``."""
    return write_text_atomic(file, format_po(catalog), display, expect=expect, doing=doing)
