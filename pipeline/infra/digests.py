"""Facts about files (their sha256, or anything else computed from their bytes),
remembered by the file's stat, so that a tree of thousands of files, most of them as
the last build left them, is read in proportion to what changed.

A fact is keyed by the file's inode, size, modification and status-change time, as
git's index keys a file's hash: any write changes the mtime, a rename or copy the
inode, and the ctime changes with every write, rename, link or chmod and cannot be set
back by any call, so a file edited in place and its mtime put back is read again too.
Two writes within one tick of the file system's clock can leave all four the same:
a fact about a file changed less than ``RACY`` ago is not kept ("racy git").
"""

from __future__ import annotations

import contextlib
import os
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from pipeline.infra.fsutil import RACY_NS, settled, sha256_hex, write_bytes_atomic

V = TypeVar("V", str, int)
Key = tuple[int, int, int, int]


def stat_key(info: os.stat_result) -> Key:
    return (info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


SHA256 = "sha256"  # the kind of fact a file's ``sha256_hex`` is kept as


class FileFacts:
    """Facts kept in ``store`` (a JSON file) between runs; ``save`` writes them back."""

    def __init__(self, store: Path) -> None:
        self.store = store
        self._facts: dict[str, list[int | str]] = {}  # "kind\0path" → [*stat key, value]
        self._touched: set[str] = set()
        self._changed = False
        with contextlib.suppress(Exception):  # unreadable: every file is read again
            facts = pickle.loads(store.read_bytes())
            if isinstance(facts, dict):
                self._facts = facts

    def get(self, path: str | Path, kind: str, compute: Callable[[bytes], V],
            info: os.stat_result | None = None) -> V:
        """``compute(bytes of path)``, read and computed only if the file changed since
        it was last computed; ``info``: the file's stat, if already at hand."""
        name = f"{kind}\0{path}"
        self._touched.add(name)
        known = self._facts.get(name)
        if known is not None:
            info = info or os.stat(path)
            if tuple(known[:4]) == stat_key(info):
                value: V = known[4]  # type: ignore[assignment]  # what compute gave
                return value
        with open(path, "rb") as handle:
            info = os.fstat(handle.fileno())  # before reading: a write meanwhile shows later
            value = compute(handle.read())
        self.record(path, kind, value, info)
        return value

    def unchanged(self, path: str | Path, kind: str) -> bool:
        """Whether ``path`` is still the file its ``kind`` fact was recorded of (by its
        stat; nothing read, nothing recorded)."""
        known = self._facts.get(f"{kind}\0{path}")
        try:
            return known is not None and tuple(known[:4]) == stat_key(os.stat(path))
        except OSError:
            return False

    def record(self, path: str | Path, kind: str, value: str | int, info: os.stat_result,
               *, trusted: bool = False) -> None:
        """Remember ``value`` for ``path`` as ``info`` describes it (unless the file changed
        too recently to tell a later write from it, or ``trusted``: the caller has just
        made the file from bytes it knows, writing none)."""
        name = f"{kind}\0{path}"
        self._touched.add(name)
        if not trusted and not settled(info, RACY_NS):
            if self._facts.pop(name, None) is not None:
                self._changed = True
            return
        fact: list[int | str] = [*stat_key(info), value]
        if self._facts.get(name) != fact:
            self._facts[name] = fact
            self._changed = True

    def learned(self) -> dict[str, list[int | str]]:
        """The facts read or recorded since these were loaded (a child's, for ``learn``)."""
        return {name: self._facts[name] for name in self._touched if name in self._facts}

    def learn(self, facts: dict[str, list[int | str]]) -> None:
        """Take in what another process learned (``learned``) of files this one has not
        looked at (a fact is keyed by the file's stat: an outdated one is only a miss)."""
        for name, fact in facts.items():
            if name not in self._touched and self._facts.get(name) != fact:
                self._facts[name] = fact
                self._changed = True
            self._touched.add(name)

    def save(self) -> None:
        """Write the facts back, without those of files that are gone."""
        # A folder gone is looked up once, not once per file it held (publish removes a
        # site's earlier version, 5,000 files at 1,000 pages, each build).
        folders: dict[str, bool] = {}
        for name in [n for n in self._facts if n not in self._touched]:
            path = name.split("\0", 1)[1]
            folder = os.path.dirname(path)
            there = folders.get(folder)
            if there is None:
                there = folders[folder] = os.path.isdir(folder)
            if not there or not os.path.lexists(path):
                del self._facts[name]
                self._changed = True
        if self._changed:
            self.store.parent.mkdir(parents=True, exist_ok=True)
            write_bytes_atomic(self.store, pickle.dumps(self._facts, protocol=5),
                               str(self.store))
            self._changed = False


def facts_file(output_dir: Path) -> Path:
    return output_dir / ".cache" / "file-facts.pickle"


def tree_files(tree: Path) -> list[tuple[str, str, os.stat_result]]:
    """Every file under ``tree`` (symbolic links to files too, not into folders, as
    ``Path.rglob``): (relative path, path, stat), in the order of sorted Paths; one
    ``scandir`` per folder (rglob builds objects nobody needs). A file renamed away
    or removed while the walk goes on is left out."""
    out: list[tuple[str, str, os.stat_result]] = []

    def walk(folder: str, prefix: str) -> None:
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    walk(entry.path, f"{prefix}{entry.name}/")
                elif entry.is_file():
                    try:
                        info = entry.stat()
                    except FileNotFoundError:  # renamed away meanwhile (a temp file)
                        continue
                    out.append((f"{prefix}{entry.name}", entry.path, info))

    if tree.is_dir():
        walk(str(tree), "")
    out.sort(key=lambda item: item[0].split("/"))
    return out


__all__ = ["RACY_NS", "SHA256", "FileFacts", "facts_file", "sha256_hex", "stat_key", "tree_files"]
