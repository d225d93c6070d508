"""Safe file writes: temp file + fsync + rename, and nothing rewritten when unchanged."""

from __future__ import annotations

import contextlib
import errno
import os
from pathlib import Path

from pipeline.errors import PipelineError
from pipeline.faults import fault_point
from pipeline.models import Location

TMP_MARK = ".tmp-"


def _tmp_name(path: Path) -> Path:
    return path.with_name(f".{path.name}{TMP_MARK}{os.getpid()}")


_swept: set[Path] = set()  # folders already cleaned by this process


def remove_stale_temps(path: Path) -> None:
    """Remove temp files a killed earlier run left beside ``path``.

    Each folder is swept once per process (listing it for every write made writing a
    folder of N files quadratic); our own temp files never outlive a write.
    """
    folder = path.parent
    if folder in _swept:
        return
    with contextlib.suppress(FileNotFoundError):
        for sibling in folder.iterdir():
            name = sibling.name
            if not (name.startswith(".") and TMP_MARK in name):
                continue
            pid = name.rsplit(TMP_MARK, 1)[1]
            if pid.isdigit() and int(pid) != os.getpid():
                with contextlib.suppress(OSError):
                    sibling.unlink()
    if folder.is_dir():
        _swept.add(folder)


def write_bytes_atomic(path: Path, data: bytes, display: str | None = None) -> bool:
    """Write ``data`` to ``path`` atomically. Returns False when the file already held it."""
    remove_stale_temps(path)
    try:
        if path.is_file() and path.read_bytes() == data:
            return False
    except OSError:
        pass
    tmp = _tmp_name(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            with contextlib.suppress(OSError):
                os.chmod(tmp, path.stat().st_mode & 0o7777)
        fault_point("write:before-rename")  # tests: killed with the new bytes in the temp
        os.replace(tmp, path)
        fault_point("write:after-rename")
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        where = Location(display or str(path))
        if exc.errno == errno.ENOSPC:
            raise PipelineError(
                "no space left on device; the file was not changed",
                where,
                "free some disk space and run the command again",
            ) from exc
        raise PipelineError(
            f"cannot write file: {exc.strerror or exc}; the file was not changed", where,
            "check that you may write to that folder (its owner and permissions) and that "
            "the disk is not read-only",
        ) from exc
    return True


def write_text_atomic(path: Path, text: str, display: str | None = None) -> bool:
    return write_bytes_atomic(path, text.encode("utf-8"), display)


def read_text(path: Path, display: str) -> str:
    """Read a UTF-8 text file, accepting a BOM and CRLF, with errors a person can act on."""
    data = read_bytes(path, display)
    return decode_utf8(data, display)


def read_bytes(path: Path, display: str) -> bytes:
    if path.is_dir():
        raise PipelineError(
            "is a directory, expected a file", Location(display), "remove or rename the directory"
        )
    try:
        return path.read_bytes()
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
