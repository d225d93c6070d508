"""Write gettext PO/POT files: ``Catalog`` → text, byte for byte as GNU ``msgcat`` does.

The layout is GNU gettext 0.21's write-po.c, so that a catalog we write is the one
msgcat or msgmerge would write for the same messages: no diff churn on their saves
(width 79 in columns, libunistring's line breaks from ``pipeline.po.linebreak``,
``#|`` previous msgid, ``#~`` obsolete entries). One difference on purpose: we keep
the flags GNU does not know (``no-check-…``).
"""

from __future__ import annotations

import bisect
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from pathlib import Path

from pipeline.infra.fsutil import FileStamp, write_text_atomic
from pipeline.models import Location
from pipeline.po import linebreak
from pipeline.po.linebreak import line_breaks
from pipeline.po.model import FUZZY, Catalog, Entry

WIDTH = 79
# This code's layout (its source and its line breaker's): a text laid out under another
# FORMAT may differ, so it is not reused as this code's (extract's blocks of the template).
FORMAT = hashlib.sha256(Path(__file__).read_bytes()
                        + Path(linebreak.__file__).read_bytes()).hexdigest()[:16]

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


@lru_cache(maxsize=1 << 14)
def _wrapped(keyword: str, text: str, prefix: str, wrap: bool, language: str | None
             ) -> tuple[str, ...]:
    """``_wrap_string`` of a long msgid, kept: a build writes each msgid in the template
    and again in every catalog (the forked processes of update inherit the template's).
    Translations are not kept: each is written once."""
    return tuple(_wrap_string(keyword, text, prefix, wrap=wrap,
                              directives=_inside_directives(text, language)))


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

    def string(keyword: str, text: str, pre: str) -> Sequence[str]:
        if len(text) <= 30 and "\n" not in text:
            return _wrap_string(keyword, text, pre)  # its fast path, whatever the flags
        if keyword == "msgid":  # the same in the template and every catalog
            return _wrapped(keyword, text, pre, wrap, flags.format_language)
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


def header_text(catalog: Catalog) -> str:
    """The header block as ``format_po`` writes it (no blank line after it)."""
    header = "".join(f"{k}: {v}\n" for k, v in catalog.header)
    head = _comment_lines(catalog.header_comments, ())
    flag_line = _Flags.of(catalog.header_flags).line(translated=bool(header), obsolete=False)
    if flag_line is not None:
        head.append(flag_line)
    head += _wrap_string("msgid", "")
    head += _wrap_string("msgstr", header)
    return "\n".join(head)


def entry_text(entry: Entry) -> str:
    """One entry's block as ``format_po`` writes it (no blank line after it)."""
    return "\n".join(_entry_lines(entry))


def format_po(catalog: Catalog) -> str:
    """Serialize a catalog as GNU msgcat writes it: header, entries, then the obsolete
    ones that hold a translation, one blank line between blocks. The same catalog
    always gives the same text."""
    blocks = [header_text(catalog)]
    blocks += [entry_text(e) for e in catalog.entries if not e.obsolete]
    blocks += [entry_text(e) for e in catalog.entries if e.obsolete and _first_form_of(e)]
    return "\n\n".join(blocks) + "\n"


def _first_form_of(entry: Entry) -> str:
    if entry.msgid_plural is not None:
        return entry.msgstr_plural[0] if entry.msgstr_plural else ""
    return entry.msgstr


def write_po(catalog: Catalog, file: Path, display: str, *, expect: FileStamp | None = None,
             doing: str = "updating") -> bool:
    """Write atomically; returns False (and touches nothing) when the bytes are unchanged.
    ``expect``, ``doing``: as for ``fsutil.write_bytes_atomic``."""
    return write_text_atomic(file, format_po(catalog), display, expect=expect, doing=doing)

