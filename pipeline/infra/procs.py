"""Child processes that must not outlive the run that started them (Linux ``/proc``).

A run marks the children it starts with environment entries: pa11y-ci carries a token
of its own run and the lock of the root it works for (``pipeline.infra.lock.child_marker``),
and every process it starts inherits both. ``stop_marked`` finds processes by such an
entry and stops them with their sessions: Chromium writes its helpers' titles over
their environment, so a renderer shows no marker, but it lives in the session of the
browser, which does. ``die_with_parent`` asks the kernel to signal a child when its
parent dies, even by SIGKILL.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

PR_SET_PDEATHSIG = 1
GRACE = 3.0  # seconds a process gets to end after SIGTERM, before SIGKILL


def die_with_parent(sig: signal.Signals) -> Callable[[], None]:
    """A function to call in a forked child (``Popen(preexec_fn=…)``): the kernel sends it
    ``sig`` when this process (the thread that forks, strictly) ends. Everything is
    looked up here, before the fork, so that the child only makes two system calls."""
    parent = os.getpid()
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        return lambda: None

    def arm() -> None:
        prctl(PR_SET_PDEATHSIG, int(sig))
        if os.getppid() != parent:  # the parent ended before prctl
            os._exit(1)

    return arm


def _stat(pid: int) -> tuple[str, int, int] | None:
    """(state, session id, start time) of a process, None when it is gone."""
    try:
        fields = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
        return fields[0], int(fields[3]), int(fields[19])
    except (OSError, IndexError, ValueError):
        return None


def marked(name: str, value: str) -> list[int]:
    """Processes (those this user may read) whose environment holds ``name=value``."""
    needle = f"{name}={value}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        with contextlib.suppress(OSError):
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
    return found


def _with_sessions(pids: list[int]) -> dict[int, int]:
    """``pids`` and every live process in their sessions, never our own session: PID →
    start time (a PID the kernel gives to a new process is not the process we found)."""
    own = os.getsid(0)
    sessions = set()
    for pid in pids:
        if (stat := _stat(pid)) and stat[1] not in (own, 0):
            sessions.add(stat[1])
    found = set(pids)
    if sessions:
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit() and (stat := _stat(int(entry.name))) and stat[1] in sessions:
                found.add(int(entry.name))
    # A zombie has ended; it only waits for its parent (init, for an orphan) to reap it.
    return {pid: stat[2] for pid in sorted(found)
            if pid != os.getpid() and (stat := _stat(pid)) and stat[0] != "Z"}


def _running(pid: int, start: int) -> bool:
    stat = _stat(pid)
    return stat is not None and stat[0] != "Z" and stat[2] == start


def stop_marked(name: str, value: str) -> dict[int, str]:
    """Stop every process marked ``name=value`` and every process in its session: SIGTERM,
    then SIGKILL to what is left after ``GRACE`` seconds. Returns the processes found
    (PID → command name)."""
    started = _with_sessions(marked(name, value))
    found = {pid: _comm(pid) for pid in started}
    pids = list(started)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            if _running(pid, started[pid]):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, sig)
        deadline = time.monotonic() + GRACE
        while pids and time.monotonic() < deadline:
            time.sleep(0.1)
            pids = [pid for pid in pids if _running(pid, started[pid])]
        if not pids:
            break
    return found


def _comm(pid: int) -> str:
    """The command's name. Chromium starts its helpers through /proc/self/exe, so for a
    moment their name is "exe": name them by the program they run instead."""
    proc = Path("/proc") / str(pid)
    try:
        comm = (proc / "comm").read_text().strip()
    except OSError:
        return ""
    if comm == "exe":
        with contextlib.suppress(OSError):
            comm = Path(os.readlink(proc / "exe")).name or comm
    return comm
