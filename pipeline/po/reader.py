"""Read gettext PO/POT files: bytes or text → ``Catalog``, strictly.

Our own reader so that every error carries the 1-based line a translator sees in
their editor (``path:line: message`` + a hint), and so that a broken file is refused,
not half-read: polib and Babel read an unterminated string with its last character
cut. It also refuses what ``msgfmt`` refuses where the grammar alone would not (a
``\\n`` at one end of the msgid but not of the translation, U+0004).
"""

from __future__ import annotations

import bisect
import gettext
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from pipeline.errors import PipelineError
from pipeline.infra.fsutil import FileStamp, decode_utf8, read_bytes, read_bytes_stamped
from pipeline.models import Location
from pipeline.po.model import Catalog, Entry

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "a": "\a", "b": "\b",
            "f": "\f", "v": "\v"}
_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)(?=[\s"]|$)\s*(.*)$')
_QUOTE_HINT = 'strings in PO files are written "like this"; write a quote inside as \\"'


# Fast paths for the usual line: one string without escapes (string operations alone),
# or with the common escapes only (a 1,000-page catalog has 90,000 strings, a build reads
# 650,000); anything else takes the full path below. The pattern is "(?:[^"\\]|\\[…])*"
# unrolled: a run of plain characters is one step, not one alternation per character.
_PLAIN_STRING = re.compile(r'"([^"\\]*(?:\\[ntr"\\abfv][^"\\]*)*)"')
_PLAIN_ESCAPE = re.compile(r"\\(.)")


def _unquote(token: str, path: str, number: int) -> str:
    """The value of one or more adjacent C-style quoted strings, escapes resolved; errors
    name ``path:number``."""
    text = token.strip()
    if len(text) > 1 and text[0] == '"' and text[-1] == '"':
        value = text[1:-1]
        if "\\" not in value:
            if '"' not in value:
                return value
        else:
            plain = _PLAIN_STRING.fullmatch(text)
            if plain is not None:
                return _PLAIN_ESCAPE.sub(lambda m: _ESCAPES[m.group(1)], plain.group(1))
    where = Location(path, number)
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


@dataclass(slots=True)
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
        # The lines format_po writes, without the checks that cannot apply to them: a
        # string continued (not indented, so no keyword), a comment but "#~".
        head = raw[:1]
        if head == '"':
            self.continuation(number, raw.rstrip(), False)
            return
        if head == "#" and raw[1:2] != "~":
            self.comment(number, raw.rstrip("\r"))
            return
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
        if draft.msgstr is not None or draft.msgstr_plural:  # has_msgstr, inlined
            self.finish()  # a comment after a msgstr starts the next entry
            draft = self.draft
        elif draft.has_keyword:
            raise self.incomplete()
        if draft.first_line <= 0:  # not started
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
        match = _KEYWORD.match(body)
        if match and match.group(1) in ("msgctxt", "msgid", "msgid_plural"):
            draft.previous[match.group(1)] = _unquote(match.group(3), self.path, number)
            draft.last = "previous:" + match.group(1)
        elif body.startswith('"') and draft.last and draft.last.startswith("previous:"):
            name = draft.last.split(":", 1)[1]
            draft.previous[name] += _unquote(body, self.path, number)
        else:
            raise PipelineError(
                "malformed #| previous-message comment", self.where(number),
                '#| lines hold the previous msgid, e.g.  #| msgid "Old text"',
            )

    def keyword(self, number: int, match: re.Match[str], obsolete: bool) -> None:
        keyword, index, rest = match.groups()
        draft = self.draft
        if keyword in ("msgctxt", "msgid") and (draft.msgstr is not None
                                                or draft.msgstr_plural):  # has_msgstr
            self.finish()
            draft = self.draft
        if draft.has_keyword and draft.obsolete != obsolete:
            raise self.mixed(number)
        if draft.first_line <= 0:  # not started
            draft.first_line = number
        draft.obsolete = obsolete
        draft.has_keyword = True
        value = _unquote(rest, self.path, number)
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
                    "msgid_plural out of place", self.where(number),
                    "write msgid_plural once, right after the msgid and before msgstr[0]",
                )
            draft.msgid_plural = value
        else:
            if draft.msgid is None:
                raise PipelineError(
                    "msgstr before msgid", self.where(number),
                    "every entry needs a msgid line before its msgstr",
                )
            if index is None:
                if draft.has_msgstr:
                    raise PipelineError(
                        "msgstr before msgid: the entry above already has its msgstr",
                        self.where(number),
                        "every entry needs its own msgid line before its msgstr",
                    )
                draft.msgstr, draft.msgstr_line = value, number
                draft.msgstr_parts = [(number, value)]
            else:
                slot = int(index)
                if slot in draft.msgstr_plural or draft.msgstr is not None:
                    raise PipelineError(f"msgstr[{slot}] given twice", self.where(number),
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
        last = draft.last
        if last is None or last.startswith("previous:"):
            raise PipelineError(
                "string without a keyword before it", self.where(number),
                "a line that is only a quoted string continues the msgid or msgstr above it",
            )
        if draft.obsolete != obsolete:
            raise self.mixed(number)
        value = _unquote(line, self.path, number)
        pieces = draft.more.get(last)
        if pieces is None:
            draft.more[last] = [value]
        else:
            pieces.append(value)
        if last == "msgstr":
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


def read_po(file: Path, display: str) -> Catalog:
    """Read a PO/POT file: UTF-8 with or without a BOM, LF or CRLF line ends. (A build
    reads each catalog through its workspace, which parses an unchanged file once.)"""
    return parse_po_bytes(read_bytes(file, display), display)


def read_po_stamped(file: Path, display: str) -> tuple[Catalog, FileStamp]:
    """``read_po``, and the file's stamp for a write that must not replace a newer save."""
    data, stamp = read_bytes_stamped(file, display)
    return parse_po_bytes(data, display), stamp


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

