"""Faults: killed mid-write, two runs at once, a full disk, a crashing or unreachable a11y run.

Killed mid-write uses the fault points of ``pipeline.infra.fsutil.write_bytes_atomic``
(``PIPELINE_FAULT=write:before-rename`` / ``write:after-rename`` end the process with
``os._exit(137)``, as ``kill -9`` would, at the first file the command really changes);
publish's own fault points are tested in test_build.py. The disk is really full (a
small tmpfs). The a11y faults are real: pa11y-ci and Chromium are killed by a signal
mid-run, and the loopback is really down (a network namespace of our own). A pa11y-ci
timeout, a missing pa11y-ci and a missing or broken Chromium are in test_a11y.py.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import (
    ROOTS,
    lock_held_elsewhere,
    msgfmt_check,
    require_tool,
    run_cli,
    run_cli_process,
)

from pipeline.infra.fsutil import TMP_MARK
from pipeline.infra.lock import LOCK_ENV, child_marker
from pipeline.infra.server import HOST, StaticServer

BASE = Path(__file__).parent / "corpus" / "bad" / "_base"
ES = "locales/es/LC_MESSAGES/messages.po"
PAGE = "source/pages/dry-eye.md"
OLD_TEXT = "Las gotas para los ojos pueden ayudar."
NEW_TEXT = "Las gotas oculares pueden ayudar."


def copy_base(parent: Path) -> Path:
    root = parent / "root"
    shutil.copytree(BASE, root)
    return root


def temps(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if TMP_MARK in p.name)


def hashes(folder: Path) -> dict[str, str]:
    """Content of every file but temp files and the lock (which holds its holder's PID)."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*"))
            if p.is_file() and TMP_MARK not in p.name and p.name != ".lock"}


def add_paragraph(root: Path) -> None:
    """A source change, so that ``update`` has a catalog to rewrite."""
    with (root / PAGE).open("a", encoding="utf-8") as handle:
        handle.write("\nRest your eyes every twenty minutes.\n")
    assert run_cli(root, "extract").returncode == 0


def retranslate(root: Path) -> None:
    """A translation change, so that ``render`` has a page to rewrite."""
    path = root / ES
    path.write_text(path.read_text("utf-8").replace(OLD_TEXT, NEW_TEXT), "utf-8")


# --- killed mid-write -------------------------------------------------------------------------

@pytest.mark.parametrize("point", ["write:before-rename", "write:after-rename"])
def test_killed_update_leaves_the_old_or_the_new_catalog(tmp_path: Path, point: str) -> None:
    root = copy_base(tmp_path)
    add_paragraph(root)
    old = (root / ES).read_bytes()
    killed = run_cli_process(root, "update", "es", env={"PIPELINE_FAULT": point})
    assert killed.returncode == 137, killed.stderr
    now = (root / ES).read_bytes()
    msgfmt_check(root / ES)  # whole either way
    if point == "write:before-rename":
        assert now == old
        left = temps(root)
        assert [p.parent for p in left] == [(root / ES).parent], left
        assert b"Rest your eyes" in left[0].read_bytes()  # the new catalog, never renamed
    else:
        assert b"Rest your eyes" in now and not temps(root)
    done = run_cli(root, "update", "es")
    assert done.returncode == 0, done.stderr
    assert b'msgid "Rest your eyes every twenty minutes."' in (root / ES).read_bytes()
    assert temps(root) == []
    msgfmt_check(root / ES)


@pytest.mark.parametrize("point", ["write:before-rename", "write:after-rename"])
def test_killed_render_leaves_every_page_whole(tmp_path: Path, point: str) -> None:
    root = copy_base(tmp_path)
    assert run_cli(root, "render").returncode == 0
    build = root / "output/build"
    before = hashes(build)
    retranslate(root)
    killed = run_cli_process(root, "render", env={"PIPELINE_FAULT": point})
    assert killed.returncode == 137, killed.stderr
    after = hashes(build)
    changed = {name for name in after if after[name] != before.get(name)}
    if point == "write:before-rename":
        assert after == before
        assert [p.name for p in temps(root)] == [f".dry-eye.html{TMP_MARK}{_pid(temps(root))}"]
    else:
        assert changed == {"es/dry-eye.html"} and not temps(root)
    for page in build.rglob("*.html"):
        assert page.read_text("utf-8").rstrip().endswith("</html>"), page  # never half a page
    done = run_cli(root, "render")
    assert done.returncode == 0, done.stderr
    assert NEW_TEXT in (build / "es/dry-eye.html").read_text("utf-8")
    assert temps(root) == []


def _pid(found: list[Path]) -> str:
    assert found, "no temp file: the kill did not happen between write and rename"
    return found[0].name.rsplit(TMP_MARK, 1)[1]


# --- two runs at once ------------------------------------------------------------------------



WRITERS = [("extract",), ("init", "de"), ("update",), ("compile",), ("translate", "es",
           "--engine", "tm"), ("check",), ("readability",), ("render",), ("a11y",),
           ("publish",)]


@pytest.mark.parametrize("args", WRITERS, ids=lambda a: a[0])
def test_a_second_writer_is_refused_with_the_holders_pid(tmp_path: Path,
                                                         args: tuple[str, ...]) -> None:
    root = copy_base(tmp_path)
    add_paragraph(root)  # every writer would have something to write
    before = hashes(root)
    with lock_held_elsewhere(root) as pid:
        done = run_cli(root, *args)
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stderr.splitlines()
    assert lines[0] == f"output/.lock: another pipeline run holds the lock (PID {pid})"
    assert lines[1].startswith("  hint: wait for it to finish")
    assert hashes(root) == before


def test_status_only_reads_and_runs_beside_a_writer(tmp_path: Path) -> None:
    root = copy_base(tmp_path)
    with lock_held_elsewhere(root):
        done = run_cli(root, "status")
    assert done.returncode == 0, done.stderr


def test_two_real_runs_and_a_stale_lock(tmp_path: Path) -> None:
    """A real render holds the lock (frozen with SIGSTOP while it does); an update is refused
    with its PID; once the render is killed, the next run clears the stale lock and works."""
    root = copy_base(tmp_path)
    path = root / ES  # a 10 MB entry: reading it keeps the render busy under its lock
    path.write_text(path.read_text("utf-8").replace(
        f'msgstr "{OLD_TEXT}"', 'msgstr ""\n' + '"Las gotas ayudan. "\n' * 500_000), "utf-8")
    render = subprocess.Popen([sys.executable, "-m", "pipeline", "--root", str(root), "render"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lock = root / "output/.lock"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and render.poll() is None:
            if lock.is_file() and lock.read_text().strip() == str(render.pid):
                os.kill(render.pid, signal.SIGSTOP)
                break
            time.sleep(0.005)
        assert render.poll() is None, "render finished before it could be caught"
        refused = run_cli(root, "update")
        assert refused.returncode == 1
        assert refused.stderr.startswith(
            f"output/.lock: another pipeline run holds the lock (PID {render.pid})")
    finally:
        render.kill()  # SIGKILL also ends a stopped process
        render.wait()
    done = run_cli(root, "update")
    assert done.returncode == 0, done.stderr
    assert f"cleared a stale lock left by PID {render.pid}" in done.stderr
    assert run_cli(root, "render").returncode == 0
    assert temps(root) == []


# --- a full disk ---------------------------------------------------------------------------

@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MB tmpfs (the tests run as root; a container without mount rights fails here)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.fail(f"cannot mount a tmpfs to fill: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=True)


def fill(disk: Path) -> Path:
    """Fill the disk to the last byte; returns the filler file (delete it to free the space)."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError as exc:
        assert exc.errno == errno.ENOSPC, exc
    finally:
        os.close(fd)
    return filler


def test_full_disk_during_update_loses_nothing(small_disk: Path) -> None:
    root = copy_base(small_disk)
    add_paragraph(root)
    old = (root / ES).read_bytes()
    filler = fill(small_disk)
    done = run_cli(root, "update", "es")
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stderr.splitlines() == [
        f"{ES}: no space left on device; the file was not changed",
        "  hint: free some disk space and run the command again"]
    assert (root / ES).read_bytes() == old and temps(root) == []
    filler.unlink()
    assert run_cli(root, "update", "es").returncode == 0
    assert b"Rest your eyes" in (root / ES).read_bytes()
    msgfmt_check(root / ES)


def test_full_disk_during_render_loses_nothing(small_disk: Path) -> None:
    root = copy_base(small_disk)
    assert run_cli(root, "render").returncode == 0
    build = root / "output/build"
    before = hashes(build)
    retranslate(root)
    filler = fill(small_disk)
    done = run_cli(root, "render")
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stderr.splitlines()[0] == (
        "output/build/es/dry-eye.html: no space left on device; the file was not changed")
    assert hashes(build) == before and temps(root) == []
    filler.unlink()
    assert run_cli(root, "render").returncode == 0
    assert NEW_TEXT in (build / "es/dry-eye.html").read_text("utf-8")


# --- the a11y gate fails closed ------------------------------------------------------------

def a11y_root(tmp_path: Path) -> Path:
    require_tool("chromium")
    root = tmp_path / "a11y-site"
    shutil.copytree(ROOTS / "a11y-site", root, symlinks=True)
    return root


def descendants(pid: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = (entry / "stat").read_text()
                parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        children = [child for child, ppid in parents.items() if ppid == parent]
        found += children
        todo += children
    return found


def cmdline(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def with_marker(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if marker.encode() in (entry / "environ").read_bytes():
                    found.append(int(entry.name))
    return found


def run_and_kill(root: Path, wanted: str, sig: signal.Signals, after: float,
                 ready: str = "", keep_killing: float = 0.0
                 ) -> tuple[subprocess.CompletedProcess[str], str]:
    """Run ``pipeline a11y`` and send ``sig`` to the first process of ours whose command line
    starts with ``wanted`` (``after`` seconds after it appears, and once a process of the
    run has ``ready`` in its command line), then to every such process that appears in the
    next ``keep_killing`` seconds; returns the run and the test's marker (every process of
    the run inherits it)."""
    marker = uuid.uuid4().hex
    run = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "--root", str(root), "a11y", "en/clean.html"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "FAULT_TEST_MARKER": marker})
    killed = False
    deadline = time.monotonic() + 60
    while not killed and run.poll() is None and time.monotonic() < deadline:
        ours = descendants(run.pid)
        if ready and not any(ready in cmdline(pid) for pid in ours):
            time.sleep(0.02)
            continue
        for pid in ours:
            line = cmdline(pid)
            if line.startswith(wanted) and "--type=" not in line:
                time.sleep(after)
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, sig)
                killed = True
                break
        time.sleep(0.05)
    until = time.monotonic() + keep_killing
    while killed and run.poll() is None and time.monotonic() < until:
        for pid in descendants(run.pid):
            if cmdline(pid).startswith(wanted):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, sig)
        time.sleep(0.02)
    stdout, stderr = run.communicate(timeout=300)
    assert killed, f"{wanted} never started:\n{stderr}"
    return subprocess.CompletedProcess(run.args, run.returncode, stdout, stderr), marker


def assert_failed_closed(root: Path, done: subprocess.CompletedProcess[str],
                         first: str | tuple[str, ...], marker: str) -> None:
    """``first``: what the first line of the error says (one of them, for a tuple)."""
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert any(text in lines[0] for text in ((first,) if isinstance(first, str) else first)), (
        done.stderr)
    assert any(line.startswith("  hint: ") for line in lines[1:]), done.stderr
    report = json.loads((root / "output/reports/a11y.json").read_text("utf-8"))
    assert report["ok"] is False and report["passed"] is False
    deadline = time.monotonic() + 10
    while (left := with_marker(marker)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert left == [], [cmdline(p)[:80] for p in left]


def test_a_crashing_pa11y_ci_fails_closed(tmp_path: Path) -> None:
    root = a11y_root(tmp_path)
    done, marker = run_and_kill(root, "node ", signal.SIGSEGV, after=1.0)
    assert_failed_closed(root, done, "pa11y-ci crashed (killed by SIGSEGV) before it reported; "
                         "nothing was checked", marker)


def test_a_crashing_chromium_fails_closed(tmp_path: Path) -> None:
    root = a11y_root(tmp_path)
    binary = Path("/usr/lib/chromium/chromium")  # the browser itself, not the sh wrapper
    assert binary.is_file()
    # Killed once it renders (a renderer process exists), and every Chromium process of
    # the run for the next 10 s: a single kill could land after both documents were
    # checked (the run then passed). Whether the first kill lands while puppeteer is
    # still connecting or mid-page depends on the machine's load: both must fail closed,
    # each with its own message.
    done, marker = run_and_kill(root, str(binary), signal.SIGKILL, after=0.0,
                                ready="--type=renderer", keep_killing=10.0)
    mid_page = "output/build/en/clean.html: the page did not load in Chromium:"
    assert_failed_closed(root, done, (mid_page, "Chromium did not start"), marker)
    if mid_page in done.stderr:
        assert "it was not checked" in done.stderr


def test_a_loopback_that_is_down_fails_closed(tmp_path: Path) -> None:
    """In a network namespace of its own, 127.0.0.1 exists but nothing can reach it."""
    unshare = require_tool("unshare")
    root = a11y_root(tmp_path)
    marker = uuid.uuid4().hex
    done = subprocess.run([unshare, "-n", sys.executable, "-m", "pipeline", "--root",
                           str(root), "a11y", "en/clean.html"], capture_output=True, text=True,
                          timeout=300, env={**os.environ, "FAULT_TEST_MARKER": marker})
    assert_failed_closed(root, done, "output/build: the local web server on 127.0.0.1 cannot "
                         "be reached: Network is unreachable", marker)


def test_no_loopback_address_fails_closed(tmp_path: Path) -> None:
    """The server cannot bind 127.0.0.1 at all (the address was removed)."""
    unshare, ip = require_tool("unshare"), require_tool("ip")
    root = a11y_root(tmp_path)
    marker = uuid.uuid4().hex
    script = (f"{ip} link set lo up && {ip} addr del 127.0.0.1/8 dev lo && "
              f'exec "{sys.executable}" -m pipeline --root "{root}" a11y en/clean.html')
    done = subprocess.run([unshare, "-n", "sh", "-c", script], capture_output=True, text=True,
                          timeout=300, env={**os.environ, "FAULT_TEST_MARKER": marker})
    assert_failed_closed(root, done, "output/build: cannot start a local web server on "
                         "127.0.0.1: Cannot assign requested address", marker)


def test_a_busy_port_cannot_collide_with_the_server(tmp_path: Path) -> None:
    """'Port in use' cannot happen to us: each server asks the kernel for a free port
    (port 0), so a port taken by another program, or by a second a11y run at the same
    time, is never chosen."""
    (tmp_path / "index.html").write_text("<p>ok</p>", "utf-8")
    busy = socket.socket()
    busy.bind((HOST, 0))
    busy.listen()
    try:
        with contextlib.ExitStack() as stack:
            servers = [stack.enter_context(StaticServer(tmp_path)) for _ in range(8)]
            ports = {s.base_url for s in servers}
            assert len(ports) == 8
            assert f"http://{HOST}:{busy.getsockname()[1]}/" not in ports
            for server in servers:
                with urllib.request.urlopen(server.base_url, timeout=10) as response:
                    assert response.status == 200
    finally:
        busy.close()


# --- stopped while pa11y-ci checks pages --------------------------------------------------

NEW_PAGES = 30  # added to the published site: the next build checks ~70 documents with pa11y


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small site, built and published once (it is quick to check)."""
    require_tool("chromium")
    root = tmp_path_factory.mktemp("stopped") / "site"
    shutil.copytree(ROOTS / "build-site", root)
    done = run_cli(root, "build")
    assert done.returncode == 0, done.stdout + done.stderr
    return root


def grown_copy(published: Path, tmp_path: Path) -> Path:
    """A copy of the published root with many new pages: a long accessibility stage."""
    root = tmp_path / "site"
    shutil.copytree(published, root, symlinks=True)
    for n in range(NEW_PAGES):
        (root / f"source/pages/topic-{n:02d}.md").write_text(
            f"---\ntitle: Topic {n}\nslug: topic-{n:02d}\ndescription: Topic {n}.\n---\n\n"
            f"# Topic {n}\n\nThis page explains topic {n} in plain words.\n", "utf-8")
    return root


def site_state(root: Path) -> tuple[str, dict[str, str]]:
    """Where output/site points, and every byte it serves."""
    site = root / "output/site"
    return os.readlink(site), hashes(site.resolve())


def proc_stat(pid: int) -> tuple[str, int, int] | None:
    """(state, session, start time) of a process; None once it is gone."""
    with contextlib.suppress(OSError, IndexError, ValueError):
        fields = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
        return fields[0], int(fields[3]), int(fields[19])
    return None


class RunProcesses:
    """The processes of one run: those whose environment carries the test's marker, and
    every process in their sessions (Chromium writes its helpers' titles over their
    environment: a renderer is known as the run's only by the browser's session)."""

    def __init__(self, marker: str) -> None:
        self.marker = marker
        self.sessions: set[int] = set()
        self.seen: set[tuple[int, int]] = set()  # (pid, start time): safe from PID reuse

    def scan(self) -> list[int]:
        """The run's live processes now (a zombie has ended: it waits for init to reap)."""
        own = os.getsid(0)  # the pipeline itself runs in the test's session
        for pid in with_marker(self.marker):
            if (stat := proc_stat(pid)) and stat[1] != own:
                self.sessions.add(stat[1])
        live = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or not (stat := proc_stat(int(entry.name))):
                continue
            pid, (state, session, start) = int(entry.name), stat
            if (session in self.sessions or (pid, start) in self.seen) and state != "Z":
                self.seen.add((pid, start))
                live.append(pid)
        return live

    def checking(self) -> bool:
        """Chromium is loading a page for pa11y-ci (a renderer that is not the browser's
        own user interface)."""
        return any("--type=renderer" in (line := cmdline(pid))
                   and "--top-chrome-webui" not in line for pid in self.scan())

    def gone_within(self, seconds: float) -> list[str]:
        """What is still running after ``seconds`` (empty: everything ended)."""
        deadline = time.monotonic() + seconds
        while self.scan() and time.monotonic() < deadline:
            time.sleep(0.2)
        return [f"{pid}: {cmdline(pid)[:100]}" for pid in self.scan()]


@dataclass
class StoppedRun:
    done: subprocess.CompletedProcess[str]
    pid: int
    seconds: float  # from the signal to the end of the run
    procs: RunProcesses
    tmpdir: Path  # the run's $TMPDIR: what pa11y-ci and Chromium left in it is litter


@pytest.fixture
def short_tmp() -> Iterator[Path]:
    """A $TMPDIR for a run: not under the test's own folder, whose path is too long for
    Chromium (its socket's address), and removed after the test."""
    path = Path(tempfile.mkdtemp(prefix="t-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def stop_mid_check(root: Path, command: str, sig: signal.Signals, tmpdir: Path) -> StoppedRun:
    """Run ``pipeline COMMAND`` with ``tmpdir`` as its $TMPDIR and send it ``sig`` once
    Chromium loads pages for pa11y-ci."""
    marker = uuid.uuid4().hex
    run = subprocess.Popen([sys.executable, "-m", "pipeline", "--root", str(root), command],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           env={**os.environ, "FAULT_TEST_MARKER": marker,
                                "TMPDIR": str(tmpdir)})
    procs = RunProcesses(marker)
    try:
        deadline = time.monotonic() + 300
        while run.poll() is None and not procs.checking() and time.monotonic() < deadline:
            time.sleep(0.05)
        if run.poll() is not None:
            out, err = run.communicate()
            pytest.fail(f"the run ended before pa11y-ci checked a page: {out}{err}")
        assert procs.checking(), "pa11y-ci never started checking"
        run.send_signal(sig)
        sent = time.monotonic()
        stdout, stderr = run.communicate(timeout=60)
        seconds = time.monotonic() - sent
    finally:
        if run.poll() is None:
            run.kill()
            run.communicate()
    return StoppedRun(subprocess.CompletedProcess(run.args, run.returncode, stdout, stderr),
                      run.pid, seconds, procs, tmpdir)


@pytest.mark.parametrize(("command", "sig", "status"), [
    ("build", signal.SIGTERM, 1),
    ("build", signal.SIGINT, 130),
    ("a11y", signal.SIGTERM, 1),
], ids=["build-SIGTERM", "build-SIGINT", "a11y-SIGTERM"])
def test_a_stopped_run_stops_pa11y_ci_and_its_browsers(
        published: Path, tmp_path: Path, short_tmp: Path, command: str,
        sig: signal.Signals, status: int) -> None:
    root = grown_copy(published, tmp_path)
    if command == "a11y":
        assert run_cli(root, "render").returncode == 0
    before = site_state(root)
    run = stop_mid_check(root, command, sig, short_tmp)
    done = run.done
    assert done.returncode == status, done.stdout + done.stderr
    assert done.stderr.splitlines()[-1] == (
        f"pipeline: stopped by {sig.name}; pa11y-ci and its browsers were stopped, the "
        "published site is unchanged"), done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert run.seconds < 10, f"{run.seconds:.1f} s from the signal to the end of the run"
    assert run.procs.gone_within(10 - run.seconds) == []
    assert site_state(root) == before
    report = json.loads((root / "output/reports/a11y.json").read_text("utf-8"))
    assert report["ok"] is False and report["passed"] is False
    assert report["error"]["message"] == (f"the run was stopped by {sig.name} before it "
                                           "finished; nothing was checked")
    assert temps(root) == [] and (root / "output/.lock").read_text() == ""
    # Puppeteer's profile and Chromium's temp folders went with the browsers.
    assert sorted(p.name for p in run.tmpdir.iterdir()) == []


def test_a_killed_build_leaves_no_browser_running(published: Path, tmp_path: Path,
                                                   short_tmp: Path) -> None:
    """SIGKILL: pa11y-ci dies with the build (the kernel's parent-death signal), and
    Chromium with pa11y-ci (its DevTools pipe closes), before any next command."""
    root = grown_copy(published, tmp_path)
    before = site_state(root)
    run = stop_mid_check(root, "build", signal.SIGKILL, short_tmp)
    assert run.done.returncode == -signal.SIGKILL
    assert run.procs.gone_within(10) == []
    assert site_state(root) == before
    following = run_cli(root, "extract")
    assert following.returncode == 0, following.stderr
    assert following.stderr == (f"pipeline: cleared a stale lock left by PID {run.pid}, "
                                "which is no longer running\n")


def test_the_next_command_stops_what_a_killed_run_left_running(tmp_path: Path,
                                                                short_tmp: Path) -> None:
    """Whatever still runs with a root's marker once its lock is free was left by a killed
    run (a live one would hold the lock): the next command stops it, with its session.
    Left behind for real here: a Chromium and a Node that carry the marker, as pa11y-ci's
    would if the kernel's parent-death signal had not reached them."""
    chromium = require_tool("chromium")
    node = require_tool("node")
    root = copy_base(tmp_path)
    dead = subprocess.Popen(["true"])
    dead.wait()
    (root / "output").mkdir()
    (root / "output/.lock").write_text(f"{dead.pid}\n")
    # Its own $TMPDIR: the Chromium killed here leaves its temp folder, not in /tmp.
    env = {**os.environ, **child_marker(root / "output"), "TMPDIR": str(short_tmp)}
    left = [subprocess.Popen(args, env=env, start_new_session=True, stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for args in ([chromium, "--headless=new", "--no-sandbox", "--disable-gpu",
                          "--no-first-run", "about:blank"],
                         [node, "-e", "setInterval(() => {}, 1000)"])]
    try:
        procs = RunProcesses(child_marker(root / "output")[LOCK_ENV])
        deadline = time.monotonic() + 60
        while not procs.checking() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert procs.checking(), "Chromium did not start"
        running = procs.scan()
        # The next command is a process of its own here, as after a real kill: in this
        # process, once in a full run, one Chromium process was still alive when it
        # returned (not seen in 30 runs of this test alone).
        following = run_cli_process(root, "extract")
        assert following.returncode == 0, following.stderr
        lines = following.stderr.splitlines()
        assert lines[0].startswith(f"pipeline: cleared a stale lock left by PID {dead.pid}, "
                                   "which is no longer running; stopped "), lines
        assert lines[0].endswith("(chrome_crashpad, chromium, node) it left running"), lines
        count = int(lines[0].split("; stopped ")[1].split()[0])
        assert count >= len(running) > 4, (count, running)  # browser, helpers, node
        assert procs.scan() == []
    finally:
        for process in left:
            process.kill()
            process.wait()
