"""Where GNU gettext breaks a PO string: libunistring's ``ulc_width_linebreaks`` in Python.

``msgcat`` (and ``msgmerge``, ``xgettext``) wrap every string with libunistring: Unicode
line-breaking classes and libunistring's own pair table (it breaks after ``.`` in
``example.org``, between any two Chinese characters, but not before ``。``), and a
greedy fill measured in columns (East Asian wide characters count 2, combining marks
0). ``pipeline/data/gnu_linebreak.txt`` holds that data as libunistring 1.0 has it
(``scripts/gnu_linebreak_table.py`` writes it from the library).

``line_breaks(text, width, start_column, prohibited)`` gives the indexes before which a
line break goes. A break opportunity depends only on the few characters before it, so
only the candidates next to each line's end are examined, not every character: on a
large catalog this is what keeps the writer as fast as a split at spaces.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from itertools import accumulate

# libunistring's property values (gnulib lib/unilbrk/lbrktables.h); 0..32 index the pairs.
_CLASS_NUMBERS = {
    "WJ": 0, "GL": 1, "B2": 2, "BA": 3, "BB": 4, "HY": 5, "CL": 6, "CP1": 7, "CP2": 8,
    "EX": 9, "IN": 10, "NS": 11, "OP1": 12, "OP2": 13, "QU": 14, "IS": 15, "NU": 16,
    "PO": 17, "PR": 18, "SY": 19, "AL": 20, "H2": 21, "H3": 22, "ID1": 23, "ID2": 24,
    "JL": 25, "JV": 26, "JT": 27, "HL": 28, "RI": 29, "ZWJ": 30, "EB": 31, "EM": 32,
    "BK": 33, "CR": 34, "LF": 35, "CM": 36, "ZW": 37, "SP": 38,
}
# Resolved as libunistring resolves them for a UTF-8 text: ambiguous → alphabetic,
# contingent → ideographic, complex-context scripts (no dictionary) and unknown → alphabetic.
_RESOLVED = {"CB": "ID1", "AI": "AL", "SA": "AL", "XX": "AL"}
_BA, _HY, _NU, _AL, _HL, _RI, _ZWJ = 3, 5, 16, 20, 28, 29, 30
_BK, _CR, _LF, _CM, _ZW, _SP = 33, 34, 35, 36, 37, 38
_MANDATORY = (_BK, _CR, _LF)
_DIRECT, _INDIRECT = 1, 2  # in the pair table; 3 is "prohibited"


@dataclass(frozen=True, slots=True)
class _Table:
    classes: bytes  # code point → resolved class
    widths: bytes  # code point → columns (control characters, -1 in libunistring: 0)
    pairs: tuple[bytes, ...]  # [class before][class after] → 1 direct, 2 indirect, 3 none
    not_one_column: re.Pattern[str]  # a character whose width may not be 1
    mandatory: re.Pattern[str]  # a character that ends a line by itself
    # A character before which a break may be allowed: not a space, and not a letter,
    # digit or mark after a letter or digit (never a break: the pairs say so). The
    # fill only examines these, a few per line.
    candidate: re.Pattern[str]
    last_candidate: re.Pattern[str]  # .* then a candidate: the last one before endpos


@lru_cache(maxsize=1)
def _table() -> _Table:
    """The shipped data, read once per process (about 20 ms); it never changes."""
    text = resources.files("pipeline").joinpath("data/gnu_linebreak.txt").read_text(
        encoding="utf-8")
    classes = bytearray(0x110000)
    widths = bytearray(0x110000)
    order: list[int] = []
    pairs: list[bytes] = []
    odd_width: list[str] = []
    mandatory: list[str] = []
    word: list[str] = []  # letters and digits (AL, NU)
    mark: list[str] = []  # combining marks (CM)
    space: list[str] = []
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        fields = line.split()
        if fields[0] == "classes":
            order = [_CLASS_NUMBERS[name] for name in fields[1:]]
            continue
        if fields[0] == "pairs":
            pairs.append(bytes("?DIP".index(mark) for mark in fields[1]))
            continue
        first, last = int(fields[0], 16), int(fields[1], 16)
        number = _CLASS_NUMBERS[_RESOLVED.get(fields[2], fields[2])]
        width = max(int(fields[3]), 0)
        classes[first : last + 1] = bytes([number]) * (last - first + 1)
        widths[first : last + 1] = bytes([width]) * (last - first + 1)
        # Character classes only over the BMP, where re matches them by bitmap (astral
        # ranges are tried one by one): astral characters take the slow path anyway.
        span = re.escape(chr(first)) + "-" + re.escape(chr(min(last, 0xFFFF)))
        if width != 1 and first <= 0xFFFF:
            odd_width.append(span)
        if number in _MANDATORY:
            mandatory.append(span)
        if first <= 0xFFFF:
            {_AL: word, _NU: word, _CM: mark, _SP: space}.get(number, []).append(span)
    if order != list(range(33)):
        raise ValueError("gnu_linebreak.txt: unexpected class order")
    return _Table(bytes(classes), bytes(widths), tuple(pairs),
                  re.compile("[" + "".join(odd_width) + "\U00010000-\U0010FFFF]"),
                  re.compile("[" + "".join(mandatory) + "]"),
                  *_candidate_patterns(word, mark, space))


def _candidate_patterns(word: list[str], mark: list[str], space: list[str]
                        ) -> tuple[re.Pattern[str], re.Pattern[str]]:
    candidate = (f"(?<![{''.join(word)}])[^{''.join(space)}]"
                 f"|[^{''.join(word + mark + space)}]")
    return re.compile(candidate), re.compile(f"(?s:.*)(?:{candidate})")


def _last_class(text: str, classes: bytes, index: int, low: int) -> int:
    """libunistring's ``last_prop`` after the non-space character at ``index``: a
    combining mark takes the class of what it is attached to, or AL after a space, a
    zero-width space or the start of the line (LB9, LB10)."""
    cls = classes[ord(text[index])]
    if cls != _CM and cls != _ZWJ:
        return cls
    while index >= low and classes[ord(text[index])] in (_CM, _ZWJ):
        index -= 1
    if index < low:
        return _AL
    base = classes[ord(text[index])]
    return _AL if base in (_SP, _ZW, *_MANDATORY) else base


def _breaks_before(text: str, table: _Table, index: int, low: int) -> bool:
    """Whether libunistring's ``u8_possible_linebreaks`` allows a break before the
    character at ``index``, in a line that starts at ``low``."""
    classes = table.classes
    cls = classes[ord(text[index])]
    if index > low:
        before = classes[ord(text[index - 1])]
        # The usual case, two characters of ordinary classes next to each other: the
        # pair table alone decides (no space, mark, joiner, hyphen rule or flag pair).
        if cls < _ZWJ and before < _ZWJ and cls != _RI and before != _HY and before != _BA:
            return table.pairs[before][cls] == _DIRECT
    if cls in (_SP, _ZW, *_MANDATORY):
        return False
    position = index - 1
    while position >= low and classes[ord(text[position])] == _SP:
        position -= 1
    seen_space = position < index - 1
    last = _BK if position < low else _last_class(text, classes, position, low)
    if cls in (_CM, _ZWJ):
        return last != _BK and (last == _ZW or seen_space)
    if last == _BK:
        return False
    if last == _ZW:
        return True
    previous = classes[ord(text[index - 1])]
    if previous == _ZWJ:
        return False
    if last == _RI and cls == _RI:
        if seen_space:
            return True
        run = 0
        while index - 1 - run >= low and classes[ord(text[index - 1 - run])] == _RI:
            run += 1
        return run % 2 == 0
    if previous in (_HY, _BA) and index - 2 >= low and classes[ord(text[index - 2])] == _HL:
        return False  # LB21a: no break after a Hebrew letter and a hyphen
    pair = table.pairs[last][cls]
    return pair == _DIRECT or (pair == _INDIRECT and seen_space)


def _segments(text: str, table: _Table, prohibited: Collection[int]) -> list[tuple[int, int]]:
    """[start, end) runs between mandatory line-break characters (U+2028, NEL, …), which
    libunistring's fill restarts at column 0 after (they print no line break)."""
    if table.mandatory.search(text) is None:
        return [(0, len(text))]
    ends = [m.start() for m in table.mandatory.finditer(text) if m.start() not in prohibited]
    starts = [0] + [end + 1 for end in ends]
    return list(zip(starts, [*ends, len(text)], strict=True))


def possible_breaks(text: str, prohibited: Collection[int] = ()) -> list[int]:
    """Every index before which libunistring allows a line break (for the tests)."""
    table = _table()
    return [index for low, end in _segments(text, table, prohibited)
            for index in range(low, end)
            if index not in prohibited and _breaks_before(text, table, index, low)]


def line_breaks(text: str, width: int, start_column: int,
                prohibited: Collection[int] = ()) -> list[int]:
    """``ulc_width_linebreaks(text, width, start_column, overrides)``: the indexes before
    which a line break goes, so that each line fits in ``width`` columns where it can.
    ``prohibited``: indexes where the caller forbids a break (libunistring's overrides).

    The fill is greedy: a line runs to the last break opportunity that still fits, or,
    when none does, to the first one after (a long word overflows).
    """
    if start_column + (len(text) if text.isascii() else 2 * len(text)) <= width:
        return []  # fits whatever the widths (at most 2 columns a character)
    table = _table()
    plain = text.isascii() and text.isprintable()  # one column each, no line separator
    varied = not plain and table.not_one_column.search(text) is not None
    cumulative: Sequence[int] = (
        list(accumulate((table.widths[ord(c)] for c in text), initial=0)) if varied
        else range(len(text) + 1))
    forwards, backwards = table.candidate, table.last_candidate
    breaks: list[int] = []
    column = start_column
    for low, end in [(0, len(text))] if plain else _segments(text, table, prohibited):
        start = low
        while column + cumulative[end] - cumulative[start] > width:
            target = cumulative[start] + width - column
            fits = min(bisect_right(cumulative, target) - 1 if varied else target, end - 1)
            found = None
            stop = fits + 1  # the last candidate before stop, then the one before, …
            while stop > start + 1 and (last := backwards.match(text, start + 1, stop)):
                index = last.end() - 1
                if index not in prohibited and _breaks_before(text, table, index, low):
                    found = index
                    break
                stop = index
            position = max(fits + 1, start + 1)
            while found is None and (match := forwards.search(text, position, end)):
                index = match.start()
                if index not in prohibited and _breaks_before(text, table, index, low):
                    found = index
                position = index + 1
            if found is None:
                break
            breaks.append(found)
            start, column = found, 0
        column = 0
    return breaks
