"""One run at a time per content root: ``output/.lock`` held with ``flock``.

The kernel drops the lock when its holder dies, so a killed build never leaves a
lock that blocks the next one; the PID in the file only tells people who holds it.
A killed run's children should die with it (``pipeline.stages.a11y.run_pa11y_ci``); as a
net, they carry the lock's path in their environment (``child_marker``), and whoever
takes the lock next stops any process still marked with it: while we hold the lock,
no live run can own one.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

from pipeline.errors import PipelineError
from pipeline.infra.procs import stop_marked
from pipeline.models import Location

LOCK_ENV = "PIPELINE_LOCK"


def child_marker(output_dir: Path) -> dict[str, str]:
    """The environment entry of every long-lived child of a run on this root (pa11y-ci,
    and through it every browser process)."""
    return {LOCK_ENV: _marker(output_dir)}


def _marker(output_dir: Path) -> str:
    return str(output_dir.resolve() / ".lock")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def root_lock(output_dir: Path, display: str, wait: float = 0.0) -> Iterator[str | None]:
    """Hold the root's lock; yields a note when a stale lock was cleared.

    ``wait`` seconds to wait for another run before giving up (0: refuse at once).
    """
    path = output_dir / ".lock"
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise PipelineError(
            f"cannot create the lock file: {exc.strerror or exc}", Location(display),
            "the pipeline writes into the output folder: check that you may write to it "
            "(its owner and permissions) and that the disk is not read-only",
        ) from exc
    note: str | None = None
    acquired = False
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                acquired = True
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
                    raise PipelineError(
                        f"another pipeline run holds the lock (PID {holder or 'unknown'})",
                        Location(display),
                        "wait for it to finish, or pass --wait SECONDS",
                    ) from None
                time.sleep(0.2)
        previous = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
        if previous.isdigit() and int(previous) != os.getpid() and not _pid_alive(int(previous)):
            note = f"cleared a stale lock left by PID {previous}, which is no longer running"
        # The PID only informs people; on a full disk the run goes on without it and the
        # stage's own write reports "no space left" with the file it could not write.
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        left = stop_marked(LOCK_ENV, _marker(output_dir))
        if left:
            what = f"{len(left)} process(es) ({', '.join(sorted(set(left.values()) - {''}))})"
            note = (f"{note}; stopped {what} it left running" if note
                    else f"stopped {what} that a killed run left running")
        yield note
    finally:
        if acquired:  # a refused run must not erase the holder's PID
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
        os.close(fd)  # closing releases the flock
