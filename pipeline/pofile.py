"""Read and write gettext PO/POT files: text ↔ ``Catalog``.

Our own reader so that every error carries the 1-based line a translator sees in
their editor, and our own writer so that output is byte-stable and matches what
GNU gettext writes (width 79, ``#|`` previous msgid, ``#~`` obsolete entries).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from pipeline.errors import PipelineError
from pipeline.fsutil import decode_utf8, read_bytes, write_text_atomic
from pipeline.models import Location

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


# --- reading -------------------------------------------------------------------

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "a": "\a", "b": "\b",
            "f": "\f", "v": "\v"}
_KEYWORD = re.compile(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s*(.*)$")


def _unquote(token: str, where: Location) -> str:
    token = token.strip()
    if not token.startswith('"'):
        raise PipelineError(
            "expected a quoted string", where, 'strings in PO files are written "like this"'
        )
    if len(token) < 2 or not token.endswith('"') or _ends_escaped(token):
        raise PipelineError(
            "unterminated string: missing closing quote", where,
            'end the line with a double quote ("); write \\" for a quote inside the text',
        )
    body = token[1:-1]
    out: list[str] = []
    i = 0
    while i < len(body):
        char = body[i]
        if char == "\\":
            if i + 1 >= len(body):
                raise PipelineError("unterminated string", where)
            nxt = body[i + 1]
            if nxt in _ESCAPES:
                out.append(_ESCAPES[nxt])
                i += 2
                continue
            if nxt in "01234567":
                digits = re.match(r"[0-7]{1,3}", body[i + 1 :])
                assert digits is not None
                out.append(chr(int(digits.group(0), 8)))
                i += 1 + len(digits.group(0))
                continue
            raise PipelineError(
                f"invalid escape sequence \\{nxt}", where,
                "valid escapes are \\n \\t \\\" \\\\; write a backslash as \\\\",
            )
        if char == '"':
            raise PipelineError(
                "unescaped double quote inside a string", where, 'write it as \\"'
            )
        out.append(char)
        i += 1
    return "".join(out)


def _ends_escaped(token: str) -> bool:
    backslashes = len(token) - 1 - len(token[:-1].rstrip("\\"))
    return backslashes % 2 == 1


@dataclass
class _Draft:
    obsolete: bool = False
    msgctxt: str | None = None
    msgid: str | None = None
    msgid_plural: str | None = None
    msgstr: str | None = None
    msgstr_plural: dict[int, str] = field(default_factory=dict)
    locations: list[Location] = field(default_factory=list)
    auto_comments: list[str] = field(default_factory=list)
    translator_comments: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    previous: dict[str, str] = field(default_factory=dict)
    line: int = 0
    first_line: int = 0
    last: str | None = None  # field that continuation lines append to

    @property
    def started(self) -> bool:
        return self.first_line > 0


def _parse_references(text: str) -> list[Location]:
    out = []
    for token in text.split():
        path, sep, line = token.rpartition(":")
        if sep and line.isdigit():
            out.append(Location(path, int(line)))
        else:
            out.append(Location(token, 0))
    return out


def parse_po(text: str, path: str) -> Catalog:
    """Parse PO text (already decoded) into a Catalog; errors name ``path:line``."""
    entries: list[Entry] = []
    header: Catalog | None = None
    seen: dict[tuple[str | None, str], int] = {}
    draft = _Draft()

    def finish(at: int) -> None:
        nonlocal draft, header
        if not draft.started:
            return
        if draft.msgid is None:
            if draft.msgctxt is not None or draft.msgstr is not None or draft.msgstr_plural:
                raise PipelineError(
                    "msgstr without msgid" if draft.msgctxt is None else "msgctxt without msgid",
                    Location(path, draft.first_line),
                    "every entry needs a msgid line before its msgstr",
                )
            # Comments alone at the end of a file are kept only if they precede an entry.
            draft = _Draft()
            return
        if draft.msgstr is None and not draft.msgstr_plural:
            raise PipelineError(
                "msgid without msgstr", Location(path, draft.line),
                'add a msgstr line after the msgid (msgstr "" if not translated yet)',
            )
        if draft.msgid_plural is None and draft.msgstr_plural:
            raise PipelineError(
                "msgstr[N] without msgid_plural", Location(path, draft.line),
                "use plain msgstr for a message with no plural",
            )
        if draft.msgid_plural is not None and draft.msgstr is not None:
            raise PipelineError(
                "plural message uses msgstr instead of msgstr[0]", Location(path, draft.line),
                "write msgstr[0], msgstr[1], … for plural messages",
            )
        plural: tuple[str, ...] = ()
        if draft.msgstr_plural:
            indexes = sorted(draft.msgstr_plural)
            if indexes != list(range(len(indexes))):
                raise PipelineError(
                    "plural forms are not numbered msgstr[0], msgstr[1], … in order",
                    Location(path, draft.line),
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
        if entry.msgid == "" and entry.msgctxt is None and not entry.obsolete:
            if header is not None or entries:
                raise PipelineError(
                    "header entry (msgid \"\") must come first, once", Location(path, entry.line)
                )
            header = _parse_header(entry, path)
        elif not entry.obsolete:
            if entry.key in seen:
                raise PipelineError(
                    f"duplicate message definition (first defined at line {seen[entry.key]})",
                    Location(path, entry.line),
                    "merge the two entries into one, or give one a msgctxt",
                )
            seen[entry.key] = entry.line
            entries.append(entry)
        else:
            entries.append(entry)
        draft = _Draft()

    lines = text.split("\n")
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        where = Location(path, number)
        if not line:
            finish(number)
            continue
        obsolete = False
        if line.startswith("#~"):
            obsolete = True
            line = line[2:].strip()
            if not line:
                continue
            if line.startswith("|"):
                line = "#" + line  # "#~| msgid" is an obsolete entry's previous msgid
            if draft.started and not draft.obsolete and draft.msgid is not None:
                finish(number)
        if line.startswith("#"):
            if draft.msgid is not None and (draft.msgstr is not None or draft.msgstr_plural):
                finish(number)  # comments start the next entry even without a blank line
            if not draft.started:
                draft.first_line = number
            if obsolete:
                draft.obsolete = True
            kind, body = line[:2], line[2:].strip()
            if kind == "#:":
                draft.locations.extend(_parse_references(body))
            elif kind == "#.":
                draft.auto_comments.append(body)
            elif kind == "#,":
                draft.flags.extend(f.strip() for f in body.split(",") if f.strip())
            elif kind == "#|":
                match = _KEYWORD.match(body)
                if match and match.group(1) in ("msgctxt", "msgid", "msgid_plural"):
                    draft.previous[match.group(1)] = _unquote(match.group(3), where)
                    draft.last = "previous:" + match.group(1)
                elif body.startswith('"') and draft.last and draft.last.startswith("previous:"):
                    name = draft.last.split(":", 1)[1]
                    draft.previous[name] += _unquote(body, where)
                else:
                    raise PipelineError("malformed #| previous-message comment", where)
            elif kind == "#~":
                pass
            else:
                draft.translator_comments.append(line[1:].removeprefix(" "))
            continue
        if obsolete:
            draft.obsolete = True
        match = _KEYWORD.match(line)
        if match:
            keyword, index, rest = match.group(1), match.group(2), match.group(3)
            if keyword in ("msgctxt", "msgid") and (
                draft.msgstr is not None or draft.msgstr_plural
            ):
                finish(number)
            if not draft.started:
                draft.first_line = number
            if obsolete:
                draft.obsolete = True
            value = _unquote(rest, where)
            if keyword == "msgctxt":
                if draft.msgctxt is not None or draft.msgid is not None:
                    raise PipelineError("msgctxt must come before msgid, once", where)
                draft.msgctxt = value
            elif keyword == "msgid":
                if draft.msgid is not None:
                    raise PipelineError("msgid without msgstr before it", where,
                                        'add msgstr "" after the previous msgid')
                draft.msgid = value
                draft.line = number
            elif keyword == "msgid_plural":
                if draft.msgid is None or draft.msgid_plural is not None:
                    raise PipelineError("msgid_plural must follow msgid", where)
                draft.msgid_plural = value
            elif index is not None:
                if draft.msgid is None:
                    raise PipelineError("msgstr before msgid", where,
                                        "every entry needs a msgid line before its msgstr")
                if int(index) in draft.msgstr_plural:
                    raise PipelineError(f"msgstr[{index}] given twice", where)
                draft.msgstr_plural[int(index)] = value
            else:
                if draft.msgid is None:
                    raise PipelineError("msgstr before msgid", where,
                                        "every entry needs a msgid line before its msgstr")
                if draft.msgstr is not None:
                    raise PipelineError("msgstr given twice", where)
                draft.msgstr = value
            draft.last = keyword if index is None else f"msgstr[{index}]"
            continue
        if line.startswith('"'):
            if draft.last is None or draft.last.startswith("previous:"):
                raise PipelineError("string continuation without a keyword before it", where)
            value = _unquote(line, where)
            if draft.last == "msgctxt":
                draft.msgctxt = (draft.msgctxt or "") + value
            elif draft.last == "msgid":
                draft.msgid = (draft.msgid or "") + value
            elif draft.last == "msgid_plural":
                draft.msgid_plural = (draft.msgid_plural or "") + value
            elif draft.last == "msgstr":
                draft.msgstr = (draft.msgstr or "") + value
            else:
                idx = int(draft.last[7:-1])
                draft.msgstr_plural[idx] += value
            continue
        word = line.split()[0][:30]
        raise PipelineError(
            f"syntax error: unexpected text {word!r}",
            where,
            "each line must be a comment (#…), a keyword (msgid, msgstr, …) or a quoted string",
        )
    finish(len(lines) + 1)
    head = header or Catalog()
    catalog = Catalog(
        header_comments=head.header_comments,
        header=head.header,
        header_flags=head.header_flags,
        entries=tuple(entries),
        header_line=head.header_line,
        path=path,
    )
    _check_catalog(catalog, path)
    return catalog


def _parse_header(entry: Entry, path: str) -> Catalog:
    fields: list[tuple[str, str]] = []
    for line_text in entry.msgstr.split("\n"):
        if not line_text.strip():
            continue
        name, sep, value = line_text.partition(":")
        if not sep:
            raise PipelineError(
                f"malformed header field {line_text!r}", Location(path, entry.line),
                'header lines look like "Name: value\\n"',
            )
        fields.append((name.strip(), value.strip()))
    return Catalog(
        header_comments=entry.translator_comments,
        header=tuple(fields),
        header_flags=entry.flags,
        header_line=entry.line,
    )


def _check_catalog(catalog: Catalog, path: str) -> None:
    content_type = catalog.header_value("Content-Type")
    if content_type:
        match = re.search(r"charset=([^\s;]+)", content_type)
        charset = match.group(1) if match else ""
        if charset.upper() not in ("UTF-8", "UTF8", "CHARSET"):
            raise PipelineError(
                f"declared charset {charset!r} is not UTF-8",
                Location(path, catalog.header_line),
                "convert the file to UTF-8 (msgconv -t UTF-8) and set "
                '"Content-Type: text/plain; charset=UTF-8"',
            )
    # A template's plural entries are all empty: only a translated form needs the header.
    plurals = [e for e in catalog.active if e.msgid_plural is not None and any(e.msgstr_plural)]
    if not plurals:
        return
    nplurals = catalog.nplurals
    if nplurals is None:
        raise PipelineError(
            "plural messages but no valid Plural-Forms header",
            Location(path, catalog.header_line or plurals[0].line),
            "add the header for your language, e.g. "
            '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"',
        )
    for entry in plurals:
        if entry.msgstr_plural and len(entry.msgstr_plural) != nplurals:
            raise PipelineError(
                f"{len(entry.msgstr_plural)} plural forms, but Plural-Forms says "
                f"nplurals={nplurals}",
                Location(path, entry.line),
                f"give exactly {nplurals} msgstr[N] lines",
            )


def read_po(file: Path, display: str) -> Catalog:
    data = read_bytes(file, display)
    if not data.strip():
        raise PipelineError(
            "empty file: no header entry", Location(display, 1),
            "recreate it with 'pipeline init LANG' (after moving the empty file away)",
        )
    return parse_po(decode_utf8(data, display), display)


# --- writing -------------------------------------------------------------------


def _escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t")
        .replace("\r", "\\r").replace("\n", "\\n")
    )


def _wrap_string(keyword: str, text: str, prefix: str = "") -> list[str]:
    """Lay out ``keyword "text"`` the way GNU gettext does at width 79."""
    escaped = _escape(text)
    single = f'{prefix}{keyword} "{escaped}"'
    if len(single) <= WIDTH and "\\n" not in escaped[:-2]:
        return [single]
    # Break after each \n, then after spaces so that no line passes the width.
    pieces = re.split(r"(?<=\\n)", escaped)
    lines = [f'{prefix}{keyword} ""']
    limit = WIDTH - len(prefix) - 2
    for piece in pieces:
        if not piece:
            continue
        words = re.findall(r"[^ ]+ *| +", piece)
        current = ""
        for word in words:
            if current and len(current) + len(word) > limit:
                lines.append(f'{prefix}"{current}"')
                current = word
            else:
                current += word
        if current:
            lines.append(f'{prefix}"{current}"')
    return lines


def _wrap_references(locations: tuple[Location, ...]) -> list[str]:
    lines: list[str] = []
    current = "#:"
    for location in locations:
        token = str(location)
        if current != "#:" and len(current) + 1 + len(token) > WIDTH:
            lines.append(current)
            current = "#:"
        current += " " + token
    if current != "#:":
        lines.append(current)
    return lines


def _entry_lines(entry: Entry) -> list[str]:
    out = [f"# {c}" if c else "#" for c in entry.translator_comments]
    out += [f"#. {c}" if c else "#." for c in entry.auto_comments]
    if not entry.obsolete:
        out += _wrap_references(entry.locations)
    if entry.flags:
        out.append("#, " + ", ".join(entry.flags))
    prefix = "#~ " if entry.obsolete else ""
    previous_prefix = "#~| " if entry.obsolete else "#| "
    if entry.previous_msgctxt is not None:
        out += _wrap_string("msgctxt", entry.previous_msgctxt, previous_prefix)
    if entry.previous_msgid is not None:
        out += _wrap_string("msgid", entry.previous_msgid, previous_prefix)
    if entry.previous_msgid_plural is not None:
        out += _wrap_string("msgid_plural", entry.previous_msgid_plural, previous_prefix)
    if entry.msgctxt is not None:
        out += _wrap_string("msgctxt", entry.msgctxt, prefix)
    out += _wrap_string("msgid", entry.msgid, prefix)
    if entry.msgid_plural is not None:
        out += _wrap_string("msgid_plural", entry.msgid_plural, prefix)
        forms = entry.msgstr_plural or ("", "")
        for index, form in enumerate(forms):
            out += _wrap_string(f"msgstr[{index}]", form, prefix)
    else:
        out += _wrap_string("msgstr", entry.msgstr, prefix)
    return out


def format_po(catalog: Catalog) -> str:
    """Serialize a catalog; the same catalog always gives the same text."""
    blocks: list[list[str]] = []
    head = [f"# {c}" if c else "#" for c in catalog.header_comments]
    if catalog.header_flags:
        head.append("#, " + ", ".join(catalog.header_flags))
    head.append('msgid ""')
    head.append('msgstr ""')
    head += [f'"{_escape(f"{k}: {v}")}\\n"' for k, v in catalog.header]
    blocks.append(head)
    blocks += [_entry_lines(e) for e in catalog.entries]
    return "\n\n".join("\n".join(b) for b in blocks) + "\n"


def write_po(catalog: Catalog, file: Path, display: str) -> bool:
    """Write atomically; returns False (and touches nothing) when the bytes are unchanged."""
    return write_text_atomic(file, format_po(catalog), display)
