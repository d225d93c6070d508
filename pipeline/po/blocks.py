"""A PO file as ``format_po`` lays it out, read block by block.

``format_po`` writes a header block, then one block per entry, one blank line between
two blocks and none inside one. After a small change (one paragraph edited), nearly
every block of the new file is a block of the version read before, only lower down.
Reading the new file block by block reuses the entries of those blocks, their lines
shifted, and parses only the new blocks, each on its own: the ``Catalog`` that
``parse_po_bytes`` gives for the whole text, at a fraction of its cost (0.6 s for a
12,000-entry catalog).

A block stands for one entry exactly when, read alone, it is one complete entry that
does not end before the block does: then, in the whole file, its first line ends the
entry before it, and its last line is followed by the next block's first. Anything
else (a file laid out by another tool, an error) makes these functions give up, and
the caller reads the whole text with ``parse_po_bytes`` (which also names the error).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from operator import attrgetter
from typing import Any

from pipeline.errors import PipelineError
from pipeline.infra.fsutil import decode_utf8
from pipeline.po.model import Catalog, Entry
from pipeline.po.reader import (
    _check_catalog,
    _check_context_separator,
    _check_line_breaks,
    _Parser,
)

# Every field of an entry but its line, in the order Entry() takes them (line is last).
entry_content: Callable[[Entry], tuple[Any, ...]] = attrgetter(
    *(name for name in Entry.__slots__ if name != "line"))
_new_entry: Callable[..., Entry] = Entry


def moved(entry: Entry, line: int) -> Entry:
    """``entry`` at another line (``replace`` takes twice as long: 12,000 of these a
    catalog after an edit near its top)."""
    return entry if entry.line == line else _new_entry(*entry_content(entry), line)


@dataclass(frozen=True, slots=True)
class BlockIndex:
    """The blocks of a file read block by block: a digest of each and its first line
    (the header's first)."""

    digests: tuple[bytes, ...]
    starts: tuple[int, ...]


# An entry parsed before, and the first line of its block then.
Reused = tuple[Entry, int]


def split_blocks(text: str) -> list[str] | None:
    """The blocks of ``text`` (header first), as ``format_po`` joined them; None when
    the text does not end with a line break as ``format_po``'s does."""
    return text[:-1].split("\n\n") if text.endswith("\n") else None


def block_starts(blocks: Sequence[str] | Sequence[bytes]) -> list[int]:
    """The first line of each block, as text or as bytes (update keeps the blocks it
    takes from the old file undecoded)."""
    starts = []
    line = 1
    for block in blocks:
        starts.append(line)
        line += (block.count("\n") if isinstance(block, str) else block.count(b"\n")) + 2
    return starts


def block_digest(block: str) -> bytes:
    return hashlib.blake2b(block.encode("utf-8"), digest_size=16).digest()


def _alone(block: str, first: int, display: str) -> Entry | Catalog | None:
    """What ``block`` reads as on its own from line ``first``: one entry, or a header
    (a Catalog without entries); None when it is anything else or has an error."""
    parser = _Parser(display)
    try:
        for number, raw in enumerate(block.split("\n"), start=first):
            parser.feed(number, raw)
            if parser.entries or parser.header is not None:
                return None  # an entry ended inside the block: not one entry
        parser.finish()
    except PipelineError:
        return None
    if parser.header is not None:
        return parser.header
    return parser.entries[0] if len(parser.entries) == 1 else None


def parse_blocks(blocks: Sequence[str], display: str, reused: Sequence[Reused | None],
                 starts: Sequence[int] | None = None) -> Catalog | None:
    """The Catalog ``parse_po_bytes`` gives for ``"\\n\\n".join(blocks) + "\\n"``.

    ``reused[i]`` is, for the entry block ``blocks[i + 1]``, the entry its very text
    read as before and the line it started at then; None: it is read here. ``starts``:
    ``block_starts(blocks)``, if known. None when a block is not one entry or the text
    has an error (read the whole text instead)."""
    starts = starts or block_starts(blocks)
    header = _alone(blocks[0], 1, display)
    if not isinstance(header, Catalog):
        return None  # format_po always writes a header first
    entries: list[Entry] = []
    fresh: list[Entry] = []
    seen: set[tuple[str, str | None]] = {("", None)}  # the header's: a second is a duplicate
    for block, start, known in zip(blocks[1:], starts[1:], reused, strict=True):
        if known is not None:
            entry, then = known
            entry = moved(entry, entry.line + start - then)
        else:
            read = _alone(block, start, display)
            if not isinstance(read, Entry):
                return None
            entry = read
            fresh.append(entry)
        if not entry.obsolete:
            key = (entry.msgid, entry.msgctxt)
            if key in seen:
                return None  # a duplicate: parse_po_bytes names both lines
            seen.add(key)
        entries.append(entry)
    catalog = replace(header, entries=tuple(entries), path=display)
    try:  # the checks parse_po_bytes makes; reused entries passed them when first read
        _check_catalog(catalog, display)
        for entry in fresh:
            if not entry.obsolete:
                _check_context_separator(entry, display)
                _check_line_breaks(entry, display)
    except PipelineError:
        return None
    return catalog


def file_blocks(data: bytes, display: str) -> list[str] | None:
    """The blocks of a file's text, decoded as ``parse_po_bytes`` reads it (no BOM, LF
    line ends); None when it is not UTF-8 or not laid out as ``format_po`` writes."""
    try:
        return split_blocks(decode_utf8(data, display))
    except PipelineError:
        return None


def read_blockwise(data: bytes, display: str, before: tuple[Catalog, BlockIndex] | None
                   ) -> tuple[Catalog, BlockIndex] | None:
    """``data`` (a file ``format_po`` wrote) read block by block, reusing the entries of
    the blocks it shares with ``before``, and its BlockIndex for the next time; None
    when it cannot be read so (read it with ``parse_po_bytes``)."""
    blocks = file_blocks(data, display)
    return None if blocks is None else read_blocks(blocks, display, before)


def read_blocks(blocks: list[str], display: str, before: tuple[Catalog, BlockIndex] | None
                ) -> tuple[Catalog, BlockIndex] | None:
    """``read_blockwise`` of a file whose ``file_blocks`` are ``blocks``."""
    digests = [block_digest(block) for block in blocks]
    reused: list[Reused | None] = [None] * (len(blocks) - 1)
    if before is not None:
        catalog, index = before
        at = {digest: n for n, digest in enumerate(index.digests) if n}
        for n, digest in enumerate(digests[1:]):
            old = at.get(digest)
            if old is not None:
                reused[n] = (catalog.entries[old - 1], index.starts[old])
    starts = block_starts(blocks)
    parsed = parse_blocks(blocks, display, reused, starts)
    if parsed is None:
        return None
    return parsed, BlockIndex(tuple(digests), tuple(starts))


__all__ = ["BlockIndex", "Reused", "block_digest", "block_starts", "entry_content",
           "file_blocks", "moved", "parse_blocks", "read_blocks", "read_blockwise",
           "split_blocks"]
