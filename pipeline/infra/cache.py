"""The build cache: ``output/.cache/build/``, keyed by content hashes.

Each page gets a fingerprint of everything its rendered HTML depends on (its source,
the templates, the configuration, and the text every language resolves for it); an
unchanged fingerprint means the page's languages are not re-rendered, re-scored or
re-checked. Accessibility results are keyed by the sha256 of the HTML that was checked.
A cache that cannot be read is ignored (a full build), never trusted.

The cache is split into parts (the readability results, the QA memo, the parsed pages,
the catalogs, the accessibility results, and the rest), one pickle each, named by a
digest of its bytes, and ``manifest.json``, which names each part's file and is written
last: a build reads only the parts it uses and writes only those it changed (an edit
used to load and save 60 MB, 2 s of a 15 s build), and a build stopped between two
writes leaves the last manifest and the files it names as they were.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import pickle
import zlib
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import Any, Generic, TypeVar

from pipeline import __version__
from pipeline.errors import PipelineError
from pipeline.infra.faults import fault_point
from pipeline.infra.fsutil import TMP_MARK, write_text_atomic
from pipeline.infra.workload import Pending, Writable, dump, meanwhile, paused_gc
from pipeline.models import Location

CACHE_FORMAT = 11  # 7: in parts, with a manifest; 8: the template memo says whose layout;
# 9: a catalog memo keeps its blocks' digests; 10: readability results keep anchors;
# 11: a11y findings traced to a catalog name their entry (details msgid, msgctxt)
MANIFEST = "manifest.json"
SHARDS = 16  # files of a per-page part: an edit rewrites the one its page falls in

T = TypeVar("T")


class _Field(Generic[T]):
    """A value of the cache, kept in one of its parts."""

    def __init__(self, part: str, default: Callable[[], T]) -> None:
        self.part = part
        self.default = default
        self.name = ""

    def __set_name__(self, owner: type[BuildCache], name: str) -> None:
        self.name = name

    def __get__(self, cache: BuildCache, owner: type[BuildCache]) -> T:
        values = cache._part(self.part)
        if self.name not in values:
            values[self.name] = self.default()
        value: T = values[self.name]
        return value

    def __set__(self, cache: BuildCache, value: T) -> None:
        cache._part(self.part)[self.name] = value
        cache.touch(self.name)


class _PerPage(_Field[dict[Any, Any]]):
    """A dict with an entry per page, the only value of its part, kept in ``SHARDS``
    files by key: a file is written again only when one of its keys was added or
    removed, or holds another value than the one read (not the very same object)."""

    def __init__(self, part: str) -> None:
        super().__init__(part, dict)


def _shard(key: Any) -> int:
    return zlib.crc32(repr(key).encode("utf-8", "surrogatepass")) % SHARDS


class BuildCache:
    """Mutable during one build; the parts it changed are written at its end. A value
    changed in place (not assigned) needs ``touch`` to be written."""

    fingerprints = _Field[dict[str, str]]("state", dict)  # slug → page fingerprint
    # What those were made from (build.Fingerprints): (slug, language code) → listing
    # hash; the hash of what every page depends on; slug → its path and text digest; and
    # language code → the digest of the catalog file read (update's memo of it)
    listings = _Field[dict[tuple[str, str], str]]("state", dict)
    fingerprint_base = _Field[str]("state", str)
    fingerprint_texts = _Field[dict[str, str]]("state", dict)
    fingerprint_catalogs = _Field[dict[str, bytes]]("state", dict)
    readability_key = _Field[str]("state", str)  # the glossary and word list of the advice
    completeness = _Field[dict[str, Any]]("state", dict)  # slug → {lang: Completeness}
    page_parser = _Field[str]("state", str)  # pages.PARSER of ``pages``
    readability = _PerPage("readability")  # slug → PageReadability tuple, as scored
    readability_shown = _Field[dict[str, bytes]]("state", dict)  # slug → build._shown()
    # slug → (sha256 of its readability document, where its movable locations are in
    # it: readability_html.page_document's slots), for the documents that have them
    readability_documents = _PerPage("documents")
    # Workspace.parsed_pages(): each page's Page by its path and text digest, without
    # its tokens; the next build's workspace starts from them.
    pages = _PerPage("pages")
    page_stats = _Field[dict[str, Any]]("state", dict)  # Workspace.page_stats() of ``pages``
    # lang code (or "code/file" of a section page) → (a digest of what it shows, its
    # sha256): render.render_site's
    language_indexes = _Field[dict[str, tuple[str, str]]]("state", dict)
    qa = _Field[dict[str, Any]]("qa", dict)  # lang → check Memo (entry → findings)
    catalogs = _Field[Any]("catalogs", lambda: None)  # update.UpdateMemo: catalogs, parsed
    a11y_key = _Field[str]("a11y", str)  # settings the a11y results depend on
    a11y_pages = _Field[dict[str, Any]]("a11y", dict)  # page → (sha256, pieces)
    a11y_meta = _Field[Any]("a11y", lambda: None)  # the last A11yResult (versions, …)

    def __init__(self) -> None:
        self._values: dict[str, dict[str, Any]] = {part: {} for part in PARTS}
        self._files: dict[str, list[str]] = {}  # part → its files, for the parts on disk
        self._read: dict[str, list[dict[Any, Any]]] = {}  # per-page part → shards as read
        self._dirty: set[str] = set(PARTS)  # a new cache writes every part
        self._unread: set[str] = set()  # parts on disk this build did not ask for

    def _part(self, part: str) -> dict[str, Any]:
        if part in self._unread:
            raise RuntimeError(f"the build cache's {part!r} part was not loaded")
        return self._values[part]

    def touch(self, *names: str) -> None:
        """Write these values' parts at the end of the build."""
        for name in names:
            field = vars(BuildCache).get(name)
            if not isinstance(field, _Field):
                raise AttributeError(name)
            self._dirty.add(field.part)

    def drop(self, part: str) -> None:
        """Let go of a part already written (``save_parts``) or unchanged: its files stay
        named in the manifest, its values are no longer held (nor readable) here."""
        if part in self._dirty or (part in _PER_PAGE and (
                len(self._files.get(part, ())) != SHARDS
                or self._shards(part, _PER_PAGE[part])[1])):
            raise ValueError(f"the build cache's {part!r} part is not on disk as it is")
        self._values[part] = {}
        self._unread.add(part)

    def adopt(self, part: str, files: list[str]) -> None:
        """A part another process of this build wrote (``save_parts``) and let go: these
        files are named in the manifest, its values not held here (as after ``drop``)."""
        self._files[part] = list(files)
        self._values[part] = {}
        self._read.pop(part, None)
        self._dirty.discard(part)
        self._unread.add(part)

    def files(self, part: str) -> list[str]:
        """The files of a part on disk (``save_parts``), for ``adopt``."""
        return list(self._files.get(part, ()))

    def _shards(self, part: str, name: str) -> tuple[list[dict[Any, Any]], list[int]]:
        """A per-page part's shards, and those that differ from what was read."""
        value: dict[Any, Any] = self._values[part].get(name, {})
        shards: list[dict[Any, Any]] = [{} for _ in range(SHARDS)]
        for key, item in value.items():
            shards[_shard(key)][key] = item
        read = self._read.get(part)
        if read is None or len(self._files.get(part, ())) != SHARDS:
            return shards, list(range(SHARDS))
        return shards, [n for n, (shard, before) in enumerate(zip(shards, read, strict=True))
                        if shard.keys() != before.keys()
                        or any(item is not before[key] for key, item in shard.items())]


_FIELDS = {name: f for name, f in vars(BuildCache).items() if isinstance(f, _Field)}
PARTS = tuple(dict.fromkeys(f.part for f in _FIELDS.values()))
_PER_PAGE = {f.part: name for name, f in _FIELDS.items() if isinstance(f, _PerPage)}


class _Hashing(io.RawIOBase):
    """A binary stream that hashes what it passes on."""

    def __init__(self, stream: Writable, hasher: Any) -> None:
        super().__init__()
        self.stream = stream
        self.hasher = hasher

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.hasher.update(data)
        self.stream.write(data)
        return len(data)


def cache_dir(output_dir: Path) -> Path:
    return output_dir / ".cache" / "build"


def load_cache(output_dir: Path, parts: Iterable[str] = PARTS) -> BuildCache:
    """The cache's ``parts`` (the others stay on disk as they are, unread); a fresh
    cache (a full build) if any of them cannot be read."""
    folder = cache_dir(output_dir)
    wanted = set(parts)
    # The collector paused: unpickling makes some hundred thousand objects and no
    # cycles, and each full collection meanwhile walked all made so far (1.2 → 0.5 s
    # of CPU at 1,000 pages).
    with contextlib.suppress(Exception), paused_gc():  # unreadable: a full build
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        if manifest["format"] == CACHE_FORMAT and manifest["version"] == __version__:
            cache = BuildCache()
            cache._files = {part: [str(name) for name in names]
                            for part, names in manifest["parts"].items() if part in PARTS}
            for part in PARTS:
                if part not in wanted:
                    cache._unread.add(part)
                elif part in cache._files:
                    _read_part(folder, cache, part)
            cache._dirty = {part for part in wanted if part not in cache._files}
            return cache
    return BuildCache()


def _read_part(folder: Path, cache: BuildCache, part: str) -> None:
    """Read the files ``cache`` names for ``part`` into it; raises when one cannot be."""
    loaded = [pickle.loads((folder / name).read_bytes()) for name in cache._files[part]]
    if not all(isinstance(values, dict) for values in loaded):
        raise TypeError(part)
    if part in _PER_PAGE:
        cache._read[part] = loaded
        whole: dict[Any, Any] = {}
        for shard in loaded:
            whole.update(shard)
        cache._values[part] = {_PER_PAGE[part]: whole}
    else:
        (cache._values[part],) = loaded


def load_part(output_dir: Path, cache: BuildCache, part: str) -> bool:
    """Read a part ``load_cache`` left unread, in the process that needs it (the build
    hands readability to a child: its results, 150 MB at 5,000 pages, are not held
    here). False when the manifest names none of its files or they cannot be read: the
    part is then empty, as in a fresh cache, and written whole at the end."""
    if part not in cache._unread:  # read, or set since
        return True
    cache._unread.discard(part)
    if part not in cache._files:  # a manifest without it: nothing of it can be trusted
        cache._dirty.add(part)
        return False
    try:
        with paused_gc():  # as in load_cache
            _read_part(cache_dir(output_dir), cache, part)
    except Exception:  # unreadable: as if there were none
        cache._values[part] = {}
        cache._read.pop(part, None)
        del cache._files[part]
        cache._dirty.add(part)
        return False
    return True


def _write_part(folder: Path, part: str, values: dict[Any, Any]) -> str:
    """Pickle a part straight into a temp file (a big site's part is tens of megabytes,
    better not held twice), named by its digest once whole and on disk: its file name."""
    tmp = folder / f".{part}{TMP_MARK}{os.getpid()}"
    hasher = hashlib.sha256()
    try:
        with open(tmp, "wb") as handle, paused_gc():  # pickling makes no cycles
            dump(values, _Hashing(handle, hasher))
            handle.flush()
            os.fsync(handle.fileno())
        name = f"{part}-{hasher.hexdigest()[:20]}.pickle"
        if (folder / name).is_file():
            tmp.unlink()
        else:
            os.replace(tmp, folder / name)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise PipelineError(f"cannot write the build cache: {exc.strerror or exc}",
                            Location(str(folder)),
                            "check the disk space and the folder's permissions") from exc
    return name


def save_parts(output_dir: Path, cache: BuildCache, *parts: str) -> None:
    """Write these parts now if they changed (a per-page part: its shards that did);
    ``save_cache`` names them in the manifest at the build's end. The pickler keeps a
    memo of every object it wrote (the catalogs of a 5,000-page site: about 100 MB):
    written as soon as the build is done with a part, that memo is not stacked on the
    build's peak, and the part can be let go (``BuildCache.drop``). A build stopped
    before ``save_cache`` leaves the last manifest and its files; the next save removes
    a file written here that no manifest names."""
    folder = cache_dir(output_dir)
    folder.mkdir(parents=True, exist_ok=True)
    for part in parts:
        if part in cache._unread:
            continue
        if part in _PER_PAGE:
            _write_per_page(folder, cache, part)
        elif part in cache._dirty:
            cache._files[part] = [_write_part(folder, part, cache._values[part])]
            cache._dirty.discard(part)


def _saved(output_dir: Path, cache: BuildCache, part: str) -> list[str] | PipelineError:
    """``save_parts`` of ``part`` in ``save_meanwhile``'s child: its files, or the error
    for the build to raise when it takes them."""
    try:
        save_parts(output_dir, cache, part)
    except PipelineError as error:
        return error
    return cache.files(part)


class Saving:
    """A part ``save_meanwhile`` let go, being written by a child; ``adopt`` names its
    files in the manifest (before ``save_cache``, which removes temp files and the files
    no manifest names)."""

    def __init__(self, cache: BuildCache, part: str,
                 pending: Pending[list[str] | PipelineError] | None) -> None:
        self._cache = cache
        self._part = part
        self._pending: Pending[list[str] | PipelineError] | None = pending

    def adopt(self) -> None:
        """Wait for the child: its files are the part's; a child that failed leaves the
        part out of the manifest (the next build makes it again, as after a cache that
        could not be read); a file it could not write stops the build here."""
        pending, self._pending = self._pending, None
        if pending is None:
            return
        sent = pending.sent()
        if sent is None:
            self._cache._files.pop(self._part, None)
        elif isinstance(sent[0], PipelineError):
            raise sent[0]
        else:
            self._cache.adopt(self._part, sent[0])

    def stop(self) -> None:
        """End the child (the build failed meanwhile): the part is written by no one."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.stop()


def save_meanwhile(output_dir: Path, cache: BuildCache, part: str) -> Saving:
    """``save_parts`` then ``drop`` of ``part``, its pickling and writing (0.1-0.35 s of
    a 1,000-page build's one-CPU stretches a part) done by a forked child while this
    process goes on; the part is let go here at once, the child writes its own copy.
    Without a child (one CPU, no fork), or nothing to write, both are done here, now."""
    if part in cache._unread:
        return Saving(cache, part, None)
    if part in cache._dirty or part in _PER_PAGE:
        pending = meanwhile(partial(_saved, output_dir, cache, part))
        if pending.forked:
            cache._values[part] = {}
            cache._read.pop(part, None)
            cache._dirty.discard(part)
            cache._unread.add(part)
            return Saving(cache, part, pending)
        save_parts(output_dir, cache, part)
    cache.drop(part)
    return Saving(cache, part, None)


def _write_per_page(folder: Path, cache: BuildCache, part: str) -> None:
    """Write the shards of a per-page part that differ from those read (or written)."""
    names = cache._files.get(part, [])
    if len(names) != SHARDS:
        names = [""] * SHARDS
    shards, changed = cache._shards(part, _PER_PAGE[part])
    for n in changed:
        names[n] = _write_part(folder, f"{part}.{n:02}", shards[n])
    cache._files[part] = names
    cache._read[part] = shards
    cache._dirty.discard(part)


def save_cache(output_dir: Path, cache: BuildCache) -> None:
    """Write the parts that changed, then the manifest; remove the files no longer named."""
    folder = cache_dir(output_dir)
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob(f"*{TMP_MARK}*"):  # left by a build killed while saving
        with contextlib.suppress(OSError):
            stale.unlink()
    for part in PARTS:
        if part in cache._unread:
            continue
        if part in _PER_PAGE:
            _write_per_page(folder, cache, part)
        elif part in cache._dirty:
            cache._files[part] = [_write_part(folder, part, cache._values[part])]
    files = {part: list(names) for part, names in cache._files.items()}
    manifest = {"format": CACHE_FORMAT, "version": __version__, "parts": files}
    fault_point("cache:before-manifest")  # tests: parts written, the manifest not yet
    write_text_atomic(folder / MANIFEST, json.dumps(manifest, indent=1, sort_keys=True) + "\n",
                      MANIFEST)
    cache._files, cache._dirty = files, set()
    keep = {name for names in files.values() for name in names}
    for path in folder.iterdir():
        if path.suffix == ".pickle" and path.name not in keep:
            with contextlib.suppress(OSError):
                path.unlink()
    with contextlib.suppress(OSError):  # the single file of earlier versions
        (output_dir / ".cache" / "build.pickle").unlink()


def digest(*parts: bytes | str) -> str:
    hasher = hashlib.sha256()
    for part in parts:
        raw = part.encode("utf-8") if isinstance(part, str) else part
        hasher.update(len(raw).to_bytes(8, "little"))
        hasher.update(raw)
    return hasher.hexdigest()


def framed(part: str) -> bytes:
    """``part`` as ``digest`` feeds it to the hash: ``digest(a, b)`` is the sha256 of
    ``framed(a) + framed(b)``, so a part met many times is encoded once."""
    raw = part.encode("utf-8")
    return len(raw).to_bytes(8, "little") + raw


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""


def tree_digest(folder: Path) -> str:
    parts: list[str] = []
    if folder.is_dir():
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            parts += [path.relative_to(folder).as_posix(), file_digest(path)]
    return digest(*parts)
