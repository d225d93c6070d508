"""Safe file writes: temp file + fsync + rename, and nothing rewritten when unchanged;
and where the content root sits in the CI's checkout.

A command that rewrites a file someone may be editing (a catalog open in Poedit) reads
it with ``read_bytes_stamped`` and passes the stamp to the write: if the file is no
longer the one it read, the write changes nothing and raises ``ChangedMeanwhile``.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from pipeline.errors import PipelineError
from pipeline.infra.faults import fault_point
from pipeline.models import Location

TMP_MARK = ".tmp-"


# A file changed less than this before it was read may change again within the same
# tick of the file system's clock and keep its stat ("racy git"): only its bytes tell.
RACY_NS = 2_000_000_000


@dataclass(frozen=True, slots=True)
class FileStamp:
    """A file as a command read it: size, modification time and content hash; its inode
    and status-change time, and whether they alone tell a later write from it
    (``settled``: it had not changed for ``RACY_NS`` when it was read)."""

    size: int
    mtime_ns: int
    digest: bytes
    ino: int = 0
    ctime_ns: int = 0
    settled: bool = False


NO_FILE = FileStamp(-1, 0, b"")  # read as absent: the command creates it


def settled(info: os.stat_result, racy_ns: int) -> bool:
    """Whether the file ``info`` describes had not changed for ``racy_ns`` (``RACY_NS``,
    as its caller's module has it) by now: its stat alone tells a later write from it."""
    return time.time_ns() - max(info.st_mtime_ns, info.st_ctime_ns) >= racy_ns


def stamp_of(data: bytes, info: os.stat_result) -> FileStamp:
    """The stamp of ``data``, read from a file whose stat, taken before the read, was
    ``info``."""
    return FileStamp(info.st_size, info.st_mtime_ns, content_digest(data), info.st_ino,
                     info.st_ctime_ns, settled(info, RACY_NS))


def content_digest(data: bytes) -> bytes:
    """What a file's bytes are known by here: sha256, which this CPU computes in hardware
    (SHA-NI: 6 ms for a 7.6 MB catalog; blake2b 17 ms)."""
    return hashlib.sha256(data).digest()


def sha256_hex(data: bytes) -> str:
    """``content_digest`` as hex: what the file facts, the manifest and a11y.json name
    a file's bytes by."""
    return hashlib.sha256(data).hexdigest()


def is_still(path: Path, stamp: FileStamp) -> bool:
    """Whether ``path`` is still the file ``stamp`` was taken of (or still absent).

    A settled file with the same inode, size and times is: every write changes the
    ctime, which no call can set back, as git's index trusts a file's stat (reading and
    hashing the catalogs again was 0.2 s of an edit's build at 1,000 pages). A file
    that had just changed when it was read is compared by its bytes."""
    try:
        with open(path, "rb") as handle:
            info = os.fstat(handle.fileno())
            if (info.st_size, info.st_mtime_ns) != (stamp.size, stamp.mtime_ns):
                return False
            if stamp.settled and (info.st_ino, info.st_ctime_ns) == (stamp.ino,
                                                                     stamp.ctime_ns):
                return True
            return content_digest(handle.read()) == stamp.digest
    except FileNotFoundError:
        return stamp == NO_FILE


class ChangedMeanwhile(PipelineError):
    """The file changed between the command's read and its write (someone saved it)."""

    def __init__(self, display: str, doing: str):
        super().__init__(
            f"changed while {doing}; nothing written to it, run the command again",
            Location(display),
            "the version saved meanwhile is kept as it is; the next run starts from it",
        )


def _tmp_name(path: Path, pid: int | None = None) -> Path:
    return path.with_name(f".{path.name}{TMP_MARK}{pid or os.getpid()}")


_swept: set[Path] = set()  # folders already cleaned by this process


def _alive(pid: int) -> bool:
    """Whether a process ``pid`` exists (a pid reused since leaves its temp for later)."""
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):  # no such pid, or none so big
        return False
    except PermissionError:  # another user's
        return True
    return True


def remove_stale_temps(path: Path, own: int | None = None,
                       swept: set[Path] = _swept) -> None:
    """Remove temp files a killed earlier run left beside ``path``: those of a pid that
    is neither ``own`` (this process's by default) nor alive. A live one is this build's
    other process (a forked child, or the parent), writing the same folder meanwhile.

    Each folder is swept once per process, or per ``swept`` given (listing it for every
    write made writing a folder of N files quadratic); our own temp files never outlive
    a write.
    """
    folder = path.parent
    if folder in swept:
        return
    with contextlib.suppress(FileNotFoundError):
        for sibling in folder.iterdir():
            name = sibling.name
            if not (name.startswith(".") and TMP_MARK in name):
                continue
            pid = name.rsplit(TMP_MARK, 1)[1]
            if (pid.isdigit() and int(pid) not in (own or os.getpid(), os.getpid())
                    and not _alive(int(pid))):
                with contextlib.suppress(OSError):
                    sibling.unlink()
    if folder.is_dir():
        swept.add(folder)


def write_bytes_atomic(path: Path, data: bytes, display: str | None = None, *,
                       expect: FileStamp | None = None, doing: str = "updating") -> bool:
    """Write ``data`` to ``path`` atomically. Returns False when the file already held it.

    ``expect``: the stamp of what the caller read. A file that is no longer that is left
    as it is, and ``ChangedMeanwhile`` says what the caller was ``doing``. Checked first
    and again just before the rename, so a save made while the temp file was written is
    kept too: what remains open is the moment between that check and the rename, against
    the seconds a read-merge-write takes (POSIX has no rename-if-unchanged).
    """
    remove_stale_temps(path)
    name = display or str(path)
    tmp = _tmp_name(path)
    try:
        if expect is not None and not is_still(path, expect):
            raise ChangedMeanwhile(name, doing)
        with contextlib.suppress(OSError):
            if path.is_file() and path.read_bytes() == data:
                return False
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        _keep_mode(tmp, path)
        if expect is not None and not is_still(path, expect):
            tmp.unlink()
            raise ChangedMeanwhile(name, doing)
        _rename_into_place(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise _write_error(exc, name) from exc
    return True


def _keep_mode(tmp: Path, path: Path) -> None:
    """The new file gets the permissions of the one it replaces."""
    try:  # one stat (a site's render stages thousands of files)
        mode = os.stat(path).st_mode & 0o7777
    except OSError:
        return
    with contextlib.suppress(OSError):
        os.chmod(tmp, mode)


def _rename_into_place(tmp: Path, path: Path) -> None:
    fault_point("write:before-rename")  # tests: killed with the new bytes in the temp
    os.replace(tmp, path)
    fault_point("write:after-rename")


def _write_error(exc: OSError, display: str) -> PipelineError:
    where = Location(display)
    if exc.errno == errno.ENOSPC:
        return PipelineError(
            "no space left on device; the file was not changed",
            where,
            "free some disk space and run the command again",
        )
    return PipelineError(
        f"cannot write file: {exc.strerror or exc}; the file was not changed", where,
        "check that you may write to that folder (its owner and permissions) and that "
        "the disk is not read-only",
    )


def write_text_atomic(path: Path, text: str, display: str | None = None, *,
                      expect: FileStamp | None = None, doing: str = "updating") -> bool:
    return write_bytes_atomic(path, text.encode("utf-8"), display, expect=expect, doing=doing)


@contextlib.contextmanager
def atomic_text_stream(path: Path, display: str | None = None) -> Iterator[TextIO]:
    """``write_text_atomic`` for text made in pieces (a big report): a UTF-8 stream to a
    temp file beside ``path``, which replaces ``path`` when the block ends, so the text is
    never whole in memory. A file that already held these bytes is left as it was (its
    mtime too); an error in the block leaves it as it was, and no temp file."""
    remove_stale_temps(path)
    name = display or str(path)
    tmp = _tmp_name(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "w", encoding="utf-8", newline="") as stream:
            yield stream
            stream.flush()
            if path.is_file() and _same_bytes(tmp, path):
                tmp.unlink()
                return
            os.fsync(stream.fileno())
        _keep_mode(tmp, path)
        _rename_into_place(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise _write_error(exc, name) from exc
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def _same_bytes(one: Path, other: Path) -> bool:
    """Whether two files hold the same bytes, read a block at a time (not
    ``filecmp.cmp``: it remembers outcomes by size and mtime, and a temp file reused
    within one mtime tick would be taken for the earlier one)."""
    with open(one, "rb") as first, open(other, "rb") as second:
        if os.fstat(first.fileno()).st_size != os.fstat(second.fileno()).st_size:
            return False
        while True:
            block = first.read(1 << 20)
            if block != second.read(1 << 20):
                return False
            if not block:
                return True


def write_files_atomic(files: Sequence[tuple[Path, bytes, str]]) -> list[bool]:
    """``write_bytes_atomic`` for many ``(path, data, display)``, with one disk flush.

    Returns, for each file (paths distinct), whether its bytes changed. The guarantees
    are those of ``Staging``, which does the work.
    """
    with Staging(swept=_swept) as staging:  # batches: each folder swept once per process
        changed = [staging.stage(path, data, display) for path, data, display in files]
        staging.commit()
    return changed


@dataclass(frozen=True, slots=True)
class Staged:
    """A file ``Staging`` wrote to its temp (``temp``), or found already holding the
    bytes (``temp`` None): small, so a forked child can send it back."""

    path: Path
    temp: Path | None
    display: str
    digest: str = ""  # sha256 of the bytes written, for a ``Staging(digests=True)``

    @property
    def changed(self) -> bool:
        return self.temp is not None


class Staging:
    """Many files replaced together, each file's new bytes written to its temp file as
    soon as they are known (the site's HTML is never whole in memory), one disk flush.

    ``stage`` compares the bytes with the file's and writes a changed file's temp; then
    ``commit`` runs one ``sync()`` (on Linux it waits for the writes, like an fsync of
    every file; elsewhere each temp is fsynced) and only then renames each temp over its
    file, in stage order. One fsync per file costs a journal commit each (0.4-0.7 ms
    here: 2-3.5 s for the 5,000 pages of a render). So the guarantees are those of
    ``write_bytes_atomic``: a process killed at any point, or a power cut, leaves every
    file whole, old or new (temps left behind are swept by the next run), and an error
    before the renames (a full disk, an error of the caller's between two stages: used
    as a context manager, ``abort`` runs then) changes no file and leaves no temp.
    What ``sync()`` does not report is a write-back I/O error, which an fsync would.

    A forked child may ``write`` for it (``add`` takes the record in): temps carry the
    pid of the process that made the ``Staging``, so that what a failed child left is
    overwritten when the work is done again, or removed by ``abort`` (which sweeps
    ``root``), and the child's sweep of stale temps spares the parent's.
    Staging a path again replaces its temp (or removes it, the bytes now being the
    file's) and keeps its place in the order.
    """

    def __init__(self, root: Path | None = None, *, swept: set[Path] | None = None,
                 digests: bool = False):
        self.root = root
        self.pid = os.getpid()
        self.digests = digests
        self._files: dict[Path, Staged] = {}
        # Folders swept by this staging, not once per process: a process that renders
        # twice (tests do) must still sweep what a run killed in between left.
        self._swept: set[Path] = set() if swept is None else swept

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, kind: object, *_: object) -> None:
        if kind is not None:
            self.abort()

    def write(self, path: Path, data: bytes, display: str) -> Staged:
        """Compare and write the temp now (in this process or a forked child); not
        yet staged: ``add`` the result."""
        remove_stale_temps(path, self.pid, self._swept)
        tmp = _tmp_name(path, self.pid)
        try:
            if path.is_file() and path.read_bytes() == data:
                with contextlib.suppress(FileNotFoundError):
                    tmp.unlink()  # staged before with other bytes
                return Staged(path, None, display)
        except OSError:
            pass
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(tmp, "wb") as handle:
                handle.write(data)
        except OSError as exc:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise _write_error(exc, display) from exc
        return Staged(path, tmp, display, sha256_hex(data) if self.digests else "")

    def add(self, staged: Staged) -> bool:
        """Stage what ``write`` wrote; whether the file changes."""
        self._files[staged.path] = staged
        return staged.changed

    def stage(self, path: Path, data: bytes, display: str) -> bool:
        """``write`` and ``add``: whether the file changes."""
        return self.add(self.write(path, data, display))

    def commit(self) -> list[Staged]:
        """Make every temp durable, then rename each over its file, in stage order; the
        files renamed (their ``digest`` the sha256 of their bytes, with ``digests``)."""
        pending = [s for s in self._files.values() if s.temp is not None]
        self._files = {}
        renamed = 0
        display = ""
        try:
            if not pending:
                return pending
            if sys.platform.startswith("linux"):
                os.sync()
            else:
                for staged in pending:
                    display = staged.display
                    with open(staged.temp or "", "rb+") as handle:
                        os.fsync(handle.fileno())
            for staged in pending:
                display = staged.display
                tmp = staged.temp or staged.path
                _keep_mode(tmp, staged.path)
                _rename_into_place(tmp, staged.path)
                renamed += 1
        except OSError as exc:
            for staged in pending[renamed:]:
                with contextlib.suppress(OSError):
                    (staged.temp or staged.path).unlink()
            raise _write_error(exc, display) from exc
        return pending

    def abort(self) -> None:
        """Remove every temp staged, and under ``root`` any a forked child left."""
        for staged in self._files.values():
            if staged.temp is not None:
                with contextlib.suppress(OSError):
                    staged.temp.unlink()
        self._files = {}
        if self.root is not None:
            for tmp in self.root.rglob(f".*{TMP_MARK}{self.pid}"):
                with contextlib.suppress(OSError):
                    tmp.unlink()


def read_text(path: Path, display: str) -> str:
    """Read a UTF-8 text file, accepting a BOM and CRLF, with errors a person can act on."""
    data = read_bytes(path, display)
    return decode_utf8(data, display)


def read_bytes(path: Path, display: str) -> bytes:
    return _read(path, display)[0]


def read_bytes_stat(path: Path, display: str) -> tuple[bytes, os.stat_result]:
    """The file's bytes and its stat, both from one open file (taken before reading)."""
    return _read(path, display)


def read_bytes_stamped(path: Path, display: str) -> tuple[bytes, FileStamp]:
    """The file's bytes and its stamp, both from one open file."""
    data, info = _read(path, display)
    return data, stamp_of(data, info)


def _read(path: Path, display: str) -> tuple[bytes, os.stat_result]:
    if path.is_dir():
        raise PipelineError(
            "is a directory, expected a file", Location(display), "remove or rename the directory"
        )
    try:
        with open(path, "rb") as handle:
            info = os.fstat(handle.fileno())  # before reading: a write meanwhile shows later
            return handle.read(), info
    except FileNotFoundError as exc:
        raise PipelineError("no such file", Location(display)) from exc
    except PermissionError as exc:
        raise PipelineError(
            "permission denied: cannot read the file",
            Location(display),
            "check the file's owner and permissions (chmod u+r)",
        ) from exc
    except OSError as exc:
        raise PipelineError(f"cannot read the file: {exc.strerror}", Location(display)) from exc


def decode_utf8(data: bytes, display: str) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise PipelineError(
            f"not valid UTF-8: byte 0x{data[exc.start]:02X} at column {column}",
            Location(display, line),
            "save the file as UTF-8 (in Poedit: it does this for you; in vim: :set fenc=utf-8)",
        ) from exc
    return text.replace("\r\n", "\n").replace("\r", "\n")


def repository_prefix(root: Path, environ: Mapping[str, str]) -> str:
    """The content root's folder inside the CI's checkout, ``"site/"`` (or ``""`` at its
    top): what goes before a content-root path for GitHub annotations and GitLab Code
    Quality, which both take paths from the checkout's top.

    The checkout is ``$GITHUB_WORKSPACE`` or ``$CI_PROJECT_DIR`` when the content root is
    inside it (the runner makes annotation paths relative to the workspace too), else the
    nearest folder at or above the content root that holds ``.git``, else the content
    root itself.
    """
    here = root.resolve()
    tops = [Path(environ[name]) for name in ("GITHUB_WORKSPACE", "CI_PROJECT_DIR")
            if environ.get(name)]
    git = next((p for p in (here, *here.parents) if (p / ".git").exists()), None)
    if git is not None:
        tops.append(git)
    for top in tops:
        try:
            inside = here.relative_to(top.resolve())
        except ValueError:
            continue
        return "" if inside == Path(".") else inside.as_posix() + "/"
    return ""
