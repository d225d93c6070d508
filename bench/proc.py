"""Timed subprocesses: a command → wall time, peak RSS, exit status, capped or not.

Every measured step runs in its own process so that its peak RSS is its own. It
is read by GNU ``/usr/bin/time`` (``%M``: the largest resident set of the command
and of the processes it waited for, msgmerge under po4a), not by ``os.wait4``
here: a child spawned from this process inherits our own high-water mark.

``%M`` is one process's: a build that forks (a child checks or scores half of the
languages meanwhile) uses more memory than that. ``tree_pss_mb`` is what the whole
tree of processes holds together, their proportional set sizes summed (a page shared
copy-on-write counted once), sampled every ``SAMPLE_SECONDS`` (a shorter peak can
pass unseen).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True, slots=True)
class Run:
    """One timed process (or a sequence of them, summed)."""

    seconds: float
    peak_rss_mb: float
    returncode: int
    capped: bool = False
    output: str = ""  # the tail of stdout + stderr, for failures and for what a child printed
    load: float = 0.0  # 1-minute load average when it started
    tree_pss_mb: float = 0.0  # the process tree's summed PSS at its sampled peak; 0: unknown
    # User + system CPU of the process and of every process it, or they, waited for
    # (its forks, the interpreters and programs it started): on two CPUs against one,
    # what splitting the work costs in work.
    cpu_seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.capped

    def to_dict(self) -> dict[str, object]:
        return {"seconds": round(self.seconds, 3), "peak_rss_mb": round(self.peak_rss_mb, 1),
                "returncode": self.returncode, "capped": self.capped,
                "load_1min": round(self.load, 2), "tree_pss_mb": round(self.tree_pss_mb, 1),
                "cpu_seconds": round(self.cpu_seconds, 2),
                **({"output": self.output[-2000:]} if not self.ok else {})}


# --- trees a run is done with ---------------------------------------------------

# A tree the bench is done with is renamed aside, and every such tree is removed when
# the bench ends (``remove_set_aside``), never just before a timed run. On ext4 with no
# journal (this machine's /work: /sys/fs/ext4/vda/journal_task is ``<none>``), creating
# a file skips every inode of its block group freed in the last 60 s (360 s while the
# inode table block is dirty), one by one (fs/ext4/ialloc.c, ``find_inode_bit`` →
# ``recently_deleted``): a cold build that writes 12,000 files into the folder of the
# 12,000 just removed paid it for each file. Measured with perf on 1,000 pages: 16.5 s,
# 9.0 s of it in the kernel (ext4_create → recently_deleted the first kernel entry),
# against 11.4 s and 2.4 s after copying the root before the old one went. A user's
# build does not follow the removal of a whole site; a bench's cleanup is not the
# measured run's work. Peers get the same treatment.
SET_ASIDE = ".set-aside-"
# What a record says of it (its settings, its report's end-to-end line).
CLEANUP = ("each run on a fresh copy; the copies runs are done with are set aside and "
           "removed when the bench ends, none just before a timed run")
_set_aside_counter = itertools.count()


def set_aside(path: Path) -> None:
    """Rename ``path`` (if there) to a hidden sibling that ``remove_set_aside`` removes."""
    if path.exists() or path.is_symlink():
        path.rename(path.with_name(f".{path.name}{SET_ASIDE}{os.getpid()}-"
                                   f"{next(_set_aside_counter)}"))


def remove_set_aside(work: Path) -> None:
    """Remove every tree ``set_aside`` left under ``work`` (at the bench's end)."""
    if not work.is_dir():
        return
    for entry in sorted(work.rglob(f".*{SET_ASIDE}*")):
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)


TIME = "/usr/bin/time"
RSS_MARK = "bench-peak-rss-kb:"
SAMPLE_SECONDS = 0.5


def tree_pss_kb(pid: int) -> int:
    """The summed ``Pss`` of ``pid`` and its descendants (Linux; 0 elsewhere)."""
    total = 0
    stack = [pid]
    while stack:
        current = stack.pop()
        with contextlib.suppress(OSError, ValueError):
            with open(f"/proc/{current}/smaps_rollup", encoding="ascii") as rollup:
                total += next((int(line.split()[1]) for line in rollup
                               if line.startswith("Pss:")), 0)
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children", encoding="ascii") as kids:
                    stack += [int(child) for child in kids.read().split()]
    return total


class _TreeSampler(threading.Thread):
    """The peak of ``tree_pss_kb(pid)``, sampled until ``stop``."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(SAMPLE_SECONDS):
            self.peak = max(self.peak, tree_pss_kb(self.pid))

    def stop(self) -> float:
        """The peak, in MB."""
        self.done.set()
        self.join()
        return self.peak / 1024


def run_timed(command: Sequence[str], *, cwd: Path | None = None, cap: float = 300.0,
              env: Mapping[str, str] | None = None, keep: int = 20000) -> Run:
    """Run ``command``; kill its whole process group after ``cap`` seconds.

    ``keep``: how many bytes of the end of its output to keep (0: all of it).
    """
    load = os.getloadavg()[0]
    with tempfile.TemporaryFile() as out, tempfile.NamedTemporaryFile("r") as rss:
        argv = list(command)
        if os.access(TIME, os.X_OK):
            argv = [TIME, "-q", "-f", f"{RSS_MARK}%M", "-o", rss.name, *argv]
        start = time.perf_counter()
        try:
            proc = subprocess.Popen(
                argv, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, env={**os.environ, **(env or {})},
                start_new_session=True,
            )
        except OSError as exc:
            return Run(0.0, 0.0, 127, output=f"{command[0]}: {exc.strerror}", load=load)
        capped = threading.Event()

        def kill() -> None:
            capped.set()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)

        timer = threading.Timer(cap, kill)
        timer.start()
        sampler = _TreeSampler(proc.pid)
        sampler.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
            tree_mb = sampler.stop()
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if capped.is_set():
            # Children of a killed group may linger a moment; make sure none survive.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
        out.seek(0)
        data = out.read()
        text = (data[-keep:] if keep else data).decode("utf-8", "replace")
        kilobytes = float(usage.ru_maxrss)
        for line in rss.read().splitlines():
            if line.startswith(RSS_MARK):
                kilobytes = float(line[len(RSS_MARK):])
    return Run(
        seconds=seconds,
        peak_rss_mb=kilobytes / 1024,
        returncode=proc.returncode,
        capped=capped.is_set(),
        output=text,
        load=load,
        tree_pss_mb=tree_mb,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
    )


def last_json(output: str) -> dict[str, Any] | None:
    """The last line of a child's output that is a JSON object (what the bench's own
    children print last), or None."""
    for line in reversed(output.strip().splitlines()):
        if line.startswith("{"):
            value: dict[str, Any] = json.loads(line)
            return value
    return None


def run_sequence(commands: Sequence[Sequence[str]], *, cwd: Path | None = None,
                 cap: float = 300.0, env: Mapping[str, str] | None = None) -> Run:
    """Several commands as one step: times summed, the largest RSS, the cap shared."""
    total = cpu = 0.0
    peak = tree = 0.0
    outputs: list[str] = []
    load = os.getloadavg()[0]
    for command in commands:
        run = run_timed(command, cwd=cwd, cap=max(cap - total, 0.1), env=env)
        total += run.seconds
        cpu += run.cpu_seconds
        peak = max(peak, run.peak_rss_mb)
        tree = max(tree, run.tree_pss_mb)
        outputs.append(run.output)
        if not run.ok:
            return Run(total, peak, run.returncode, run.capped, "\n".join(outputs), load,
                       tree, cpu)
    return Run(total, peak, 0, False, "\n".join(outputs), load, tree, cpu)
