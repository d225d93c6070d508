"""pipeline.infra.workload: a second process sharing the items, the GC paused.

``map_split`` must give exactly what a loop in one process gives: the same results in the
same order, and the same error when an item fails, whichever process computed it. The
stages that use it are run split (their thresholds set to 0) and in one process on the
fixture roots and compared whole.
"""

from __future__ import annotations

import gc
import os
import shutil
import signal
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest
from conftest import ROOTS

from pipeline.config import load_config
from pipeline.infra import workload
from pipeline.models import Finding, Location, frozen_details
from pipeline.reporters.json import qa_document
from pipeline.reporters.readability_json import render_json
from pipeline.stages import check as checks
from pipeline.stages import readability

PARENT = os.getpid()
MakeRoot = Callable[[str], Path]


def assert_no_child_left() -> None:
    """No child of this process exists, not even a zombie, and nothing is left frozen."""
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)
    assert gc.get_freeze_count() == 0


def finding(n: int) -> Finding:
    return Finding("code", "warning", f"message {n}", Location("a.po", n), "hint",
                   (Location("p.md", n),), frozen_details(n=n, words=["a", n], nested={"k": n}))


def test_results_in_order_and_equal_to_one_process() -> None:
    items = list(range(7))
    split = workload.map_split(finding, items, split=True)
    assert split == [finding(n) for n in items]
    assert split[1].details["nested"] == {"k": 1}
    with pytest.raises(TypeError):  # still read-only after the trip through the pipe
        split[1].details["n"] = 2  # type: ignore[index]


def test_a_dear_item_does_not_hold_up_the_rest(tmp_path: Path) -> None:
    """Each process takes the next item not yet taken: while one works on a dear item,
    the other takes every item after it (with every other item each, the process with
    the dear item would still have half of the rest to do after it)."""
    def pid_of(n: int) -> int:
        if n == 0:  # dear: done once every other item is
            deadline = time.monotonic() + 60
            while len(list(tmp_path.iterdir())) < 39 and time.monotonic() < deadline:
                time.sleep(0.01)
        else:
            (tmp_path / str(n)).touch()
        return os.getpid()

    pids = workload.map_split(pid_of, list(range(40)), split=True)
    assert len(set(pids)) == 2
    assert pids[0] not in pids[1:]
    assert_no_child_left()


def test_more_items_than_the_pipe_holds_tickets() -> None:
    """A ticket stands for a run of items when there are more items than tickets."""
    items = list(range(100_000))
    assert workload.map_split(abs, [-n for n in items], split=True) == items
    assert_no_child_left()


def test_a_child_that_fails_costs_only_time() -> None:
    def fails_in_child(n: int) -> int:
        if os.getpid() != PARENT:
            raise RuntimeError("child")
        return n * n

    def killed_in_child(n: int) -> int:
        if os.getpid() != PARENT:
            os.kill(os.getpid(), signal.SIGKILL)
        return n + 1

    def unpicklable_in_child(n: int) -> object:
        return (lambda: n) if os.getpid() != PARENT else n

    assert workload.map_split(fails_in_child, [1, 2, 3, 4], split=True) == [1, 4, 9, 16]
    assert workload.map_split(killed_in_child, [1, 2, 3], split=True) == [2, 3, 4]
    assert workload.map_split(unpicklable_in_child, [1, 2, 3], split=True) == [1, 2, 3]


def test_the_error_is_the_first_in_order() -> None:
    def fails(n: int) -> int:
        if n in (1, 2):  # 1 is the child's, 2 this process's
            raise ValueError(f"item {n}")
        return n

    with pytest.raises(ValueError, match="item 1"):
        workload.map_split(fails, [0, 1, 2, 3], split=True)
    with pytest.raises(ValueError, match="item 1"):
        workload.map_split(fails, [0, 1, 3], split=True)


def test_no_child_left_behind() -> None:
    workload.map_split(finding, list(range(4)), split=True)
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)


def test_shared_objects_frozen_while_the_child_lives() -> None:
    """Loaded objects sit in the permanent generation while the child shares them, and
    come back to this process's collector after it, whether the child succeeded or not."""
    def frozen(n: int) -> int:
        return gc.get_freeze_count()

    def fails(n: int) -> int:
        if n == 2:
            raise ValueError("mine")
        return n

    assert all(count > 0 for count in workload.map_split(frozen, [0, 1, 2, 3], split=True))
    assert gc.get_freeze_count() == 0
    with pytest.raises(ValueError):
        workload.map_split(fails, [0, 1, 2, 3], split=True)
    assert gc.get_freeze_count() == 0


def test_paused_gc_restores_the_collector() -> None:
    assert gc.isenabled()
    with workload.paused_gc():
        assert not gc.isenabled()
        with workload.paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(KeyError), workload.paused_gc():
        raise KeyError("x")
    assert gc.isenabled()


def test_checks_split_or_not_give_the_same_result(monkeypatch: pytest.MonkeyPatch) -> None:
    for root in ("qa-findings", "qa"):
        config = load_config(ROOTS / root)
        monkeypatch.setattr(checks, "SPLIT_ENTRIES", 10**9)
        alone = checks.run_checks(config, include_fuzzy=True)
        monkeypatch.setattr(checks, "SPLIT_ENTRIES", 0)
        split = checks.run_checks(config, include_fuzzy=True)
        assert split == alone and len(split.languages) > 1
        assert qa_document(split) == qa_document(alone)


def test_readability_split_or_not_gives_the_same_result(monkeypatch: pytest.MonkeyPatch,
                                                        make_root: MakeRoot) -> None:
    config = load_config(make_root("readability-basic"))
    monkeypatch.setattr(readability, "SPLIT_PAGES", 10**9)
    alone = readability.run_readability(config)
    monkeypatch.setattr(readability, "SPLIT_PAGES", 0)
    split = readability.run_readability(config)
    assert split == alone and len(split.languages) > 2
    assert render_json(split) == render_json(alone)


def test_update_split_or_not_writes_the_same_catalogs(monkeypatch: pytest.MonkeyPatch,
                                                      tmp_path: Path) -> None:
    from pipeline import workspace
    from pipeline.po import reader as pofile
    from pipeline.stages import update as catalogs

    texts = {}
    for threshold in (10**9, 0):
        root = tmp_path / f"split-{threshold}"
        shutil.copytree(ROOTS / "translated", root)
        page = root / "source/pages/visit.md"
        page.write_text(page.read_text(encoding="utf-8").replace(
            "fifteen minutes early", "twenty minutes early", 1), encoding="utf-8")
        config = load_config(root)
        from pipeline.stages.extract import extract

        extract(config)
        monkeypatch.setattr(catalogs, "SPLIT_ENTRIES", threshold)
        ws = workspace.Workspace()
        results = catalogs.update_catalogs(config, remember=True, ws=ws)
        assert len(results) > 1 and any(r.new_fuzzy for r in results)
        texts[threshold] = ([r for r in results],
                            {p.relative_to(root).as_posix(): p.read_bytes()
                             for p in sorted((root / "locales").rglob("*.po"))})
        for path in (root / "locales").rglob("*.po"):
            display = path.relative_to(root).as_posix()
            with monkeypatch.context() as patched:
                if threshold == 0:  # split: parsed beside the merge, before anyone reads it
                    patched.setattr(workspace, "parse_po_bytes", None)
                remembered = ws.read_po(path, display)
            # What the split remembered is what parsing the written file gives.
            assert remembered == pofile.parse_po_bytes(path.read_bytes(), display)
    assert texts[0] == texts[10**9]


def test_update_split_refuses_a_broken_catalog_and_writes_nothing(
        monkeypatch: pytest.MonkeyPatch, make_root: MakeRoot) -> None:
    from pipeline.errors import PipelineError
    from pipeline.stages import update as catalogs

    root = make_root("translated")
    config = load_config(root)
    pos = sorted((root / "locales").rglob("*.po"))
    broken = pos[-1]  # the last language: the child's share or this process's
    broken.write_text(broken.read_text(encoding="utf-8") + '\nmsgid "x"\n', encoding="utf-8")
    before = {p: p.read_bytes() for p in pos}
    monkeypatch.setattr(catalogs, "SPLIT_ENTRIES", 0)
    with pytest.raises(PipelineError) as caught:
        catalogs.update_catalogs(config)
    assert caught.value.location is not None
    assert caught.value.location.path == broken.relative_to(root).as_posix()
    assert {p: p.read_bytes() for p in pos} == before


def test_render_split_or_not_writes_the_same_site(monkeypatch: pytest.MonkeyPatch,
                                                 tmp_path: Path) -> None:
    from pipeline.stages import render

    trees = []
    for threshold in (10**9, 0):
        root = tmp_path / f"split-{threshold}"
        shutil.copytree(ROOTS / "render-mini", root)
        monkeypatch.setattr(render, "SPLIT_PAGES", threshold)
        result = render.render_site(load_config(root))
        trees.append((result.pages, {p.relative_to(root).as_posix(): p.read_bytes()
                                     for p in sorted((root / "output").rglob("*"))
                                     if p.is_file()}))
    assert trees[0] == trees[1] and len(trees[0][1]) > 5


def test_fewer_collections_inside_and_as_before_after() -> None:
    before = gc.get_threshold()
    with pytest.raises(RuntimeError), workload.fewer_collections():
        assert gc.get_threshold() == (workload.BUILD_YOUNG_THRESHOLD, *before[1:])
        raise RuntimeError("a failed build")
    assert gc.get_threshold() == before


def test_meanwhile_runs_in_a_child_and_its_value_comes_back(tmp_path: Path) -> None:
    """The function runs in a child while this process goes on: its files are there when
    the result is taken; a child that fails in any way costs only time (the function runs
    here then); without fork, it runs here when the result is asked for."""
    def made(name: str) -> Callable[[], tuple[int, str]]:
        def write() -> tuple[int, str]:
            (tmp_path / name).write_text(name)
            return os.getpid(), name
        return write

    pending = workload.meanwhile(made("a"))
    pid, value = pending.result()
    assert pid != PARENT and value == "a" and (tmp_path / "a").read_text() == "a"

    def fails_in_child() -> int:
        if os.getpid() != PARENT:
            os.kill(os.getpid(), signal.SIGKILL)
        return 7

    assert workload.meanwhile(fails_in_child).result() == 7
    assert workload.meanwhile(lambda: None).result() is None  # a value, not a failure
    later = workload.meanwhile(made("b"), fork=False)
    assert not (tmp_path / "b").exists()
    assert later.result() == (PARENT, "b")
    assert_no_child_left()


def test_meanwhile_stopped_leaves_no_child() -> None:
    """This process failed meanwhile: ``stop`` ends the child, which leaves nothing."""
    pending = workload.meanwhile(lambda: time.sleep(30))
    started = time.monotonic()
    pending.stop()
    assert time.monotonic() - started < 5
    assert_no_child_left()


def test_a_child_started_now_takes_a_value_sent_later(tmp_path: Path) -> None:
    """The child does what it can first (here: writes a file), then waits for the value
    this process sends once it has made it; a child that fails after that costs only
    time (the work runs here, with the value sent); nothing sent: the child fails, and
    this process, which stops it, is left with no child."""
    def work(later: workload.Later[int]) -> tuple[int, int]:
        (tmp_path / f"before-{os.getpid()}").write_text("started")
        return os.getpid(), later() * 2

    later: workload.Later[int] = workload.Later()
    pending = workload.meanwhile(partial(work, later))
    later.forked()
    started = time.monotonic()
    while not any(tmp_path.glob("before-*")) and time.monotonic() - started < 10:
        time.sleep(0.01)  # the child is under way before the value exists
    later.send(21)
    pid, value = pending.result()
    assert pid != PARENT and value == 42

    def fails_after_reading(later: workload.Later[int]) -> tuple[int, int]:
        value = later()
        if os.getpid() != PARENT:
            os.kill(os.getpid(), signal.SIGKILL)
        return os.getpid(), value

    later = workload.Later()
    pending = workload.meanwhile(partial(fails_after_reading, later))
    later.forked()
    later.send(5)
    assert pending.result() == (PARENT, 5)

    never: workload.Later[int] = workload.Later()
    pending = workload.meanwhile(partial(work, never))
    never.forked()
    with pytest.raises(RuntimeError):
        never()  # here, nothing was sent: no value to make up
    never.close()
    pending.stop()
    assert_no_child_left()


def test_meanwhile_then_hands_the_value_over_before_the_rest(tmp_path: Path) -> None:
    """``meanwhile_then``: the child's value is taken while the child still does the
    rest (here the rest waits for a file this process makes only once it has the
    value); the rest's value comes once the child is done. Without fork, both run at
    ``result``."""
    go = tmp_path / "go"

    def first(name: str) -> tuple[tuple[int, str], Callable[[], str]]:
        def rest() -> str:
            started = time.monotonic()
            while not go.exists() and time.monotonic() - started < 20:
                time.sleep(0.01)
            (tmp_path / name).write_text("rest")
            return f"{name} rested in {os.getpid()}"
        return (os.getpid(), name), rest

    handed = workload.meanwhile_then(partial(first, "a"))
    pid, value = handed.result()
    assert pid != PARENT and value == "a" and not (tmp_path / "a").exists()
    go.write_text("")  # the child, still running, finishes the rest now
    assert handed.rest() == f"a rested in {pid}" and (tmp_path / "a").exists()

    here = workload.meanwhile_then(partial(first, "b"), fork=False)
    assert not (tmp_path / "b").exists()
    assert here.result() == (PARENT, "b") and (tmp_path / "b").exists()
    assert here.rest() == f"b rested in {PARENT}"
    assert_no_child_left()


def test_meanwhile_then_a_child_that_fails_costs_only_time(tmp_path: Path) -> None:
    """A child killed before it hands the value over: the work, rest included, runs here
    at ``result``. Killed after: the value taken stands, and the whole work runs here
    again at ``rest`` (its files made by this process). ``stop`` leaves no child."""
    runs: list[str] = []  # this process's runs of ``first``

    def first(die_in: str) -> tuple[int, Callable[[], tuple[int, str]]]:
        if os.getpid() == PARENT:
            runs.append(die_in)
        elif die_in == "first":
            os.kill(os.getpid(), signal.SIGKILL)

        def rest() -> tuple[int, str]:
            if os.getpid() != PARENT and die_in == "rest":
                os.kill(os.getpid(), signal.SIGKILL)
            (tmp_path / f"{die_in}-{os.getpid()}").write_text("made")
            return os.getpid(), die_in
        return os.getpid(), rest

    early = workload.meanwhile_then(partial(first, "first"))
    assert early.result() == PARENT and runs == ["first"]
    assert (tmp_path / f"first-{PARENT}").exists()
    assert early.rest() == (PARENT, "first") and runs == ["first"]

    late = workload.meanwhile_then(partial(first, "rest"))
    assert late.result() != PARENT and runs == ["first"]  # the child's value
    assert late.rest() == (PARENT, "rest") and runs == ["first", "rest"]
    assert (tmp_path / f"rest-{PARENT}").exists()

    stopped = workload.meanwhile_then(lambda: (1, partial(time.sleep, 30)))
    assert stopped.result() == 1
    started = time.monotonic()
    stopped.stop()
    assert time.monotonic() - started < 5
    assert_no_child_left()


def test_meanwhile_then_apart_does_the_rest_in_a_child_of_its_own(tmp_path: Path) -> None:
    """Run here with ``apart``: the value is made here, the rest by a child forked then,
    while this process goes on (the rest waits for a file made only after ``result``).
    A child that dies there costs only time: the rest runs here, at ``rest``."""
    go = tmp_path / "go"

    def first(name: str) -> tuple[int, Callable[[], int]]:
        def rest() -> int:
            if name == "dies" and os.getpid() != PARENT:
                os.kill(os.getpid(), signal.SIGKILL)
            started = time.monotonic()
            while not go.exists() and time.monotonic() - started < 20:
                time.sleep(0.01)
            (tmp_path / name).write_text(str(os.getpid()))
            return os.getpid()
        return os.getpid(), rest

    apart = workload.meanwhile_then(partial(first, "a"), fork=False, apart=True)
    assert apart.result() == PARENT and not (tmp_path / "a").exists()
    go.write_text("")
    child = apart.rest()
    assert child != PARENT and (tmp_path / "a").read_text() == str(child)

    dies = workload.meanwhile_then(partial(first, "dies"), fork=False, apart=True)
    assert dies.result() == PARENT
    assert dies.rest() == PARENT and (tmp_path / "dies").read_text() == str(PARENT)

    go.unlink()
    stopped = workload.meanwhile_then(partial(first, "stopped"), fork=False, apart=True)
    assert stopped.result() == PARENT
    started = time.monotonic()
    stopped.stop()
    assert time.monotonic() - started < 5 and not (tmp_path / "stopped").exists()
    assert_no_child_left()


def test_meanwhile_then_idle_rest_does_the_rest_at_the_lowest_priority() -> None:
    """``idle_rest``: the value is made at this process's priority, the rest at the
    lowest, by the child that made the value or by one forked apart; run here, the rest
    leaves this process's priority as it was."""
    def first() -> tuple[int, Callable[[], int]]:
        return os.nice(0), partial(os.nice, 0)

    ours = os.nice(0)
    handed = workload.meanwhile_then(first, idle_rest=True)
    assert handed.result() == ours and handed.rest() == 19
    apart = workload.meanwhile_then(first, fork=False, apart=True, idle_rest=True)
    assert apart.result() == ours and apart.rest() == 19
    plain = workload.meanwhile_then(first)
    assert plain.result() == ours and plain.rest() == ours
    here = workload.meanwhile_then(first, fork=False, idle_rest=True)
    assert here.result() == ours and here.rest() == ours and os.nice(0) == ours
    assert_no_child_left()


def test_meanwhile_fresh_runs_in_a_new_interpreter(tmp_path: Path) -> None:
    """``fresh``: a new interpreter, not a fork (it has not imported what this one has),
    whose side effects and value come back; a failure there costs only time."""
    command = workload.meanwhile(partial(Path.read_bytes, Path("/proc/self/cmdline")),
                                 fresh=True).result()
    assert command.split(b"\0")[:2] == [sys.executable.encode(), b"-c"], command
    # At the lowest priority: it takes what the build leaves idle.
    assert workload.meanwhile(partial(os.nice, 0), fresh=True).result() == 19
    pending = workload.meanwhile(partial(Path.write_text, tmp_path / "a", "made"), fresh=True)
    assert pending.result() == 4 and (tmp_path / "a").read_text() == "made"
    # The pipe's end is not inherited: the write fails there and is done here.
    read, write = os.pipe()
    assert workload.meanwhile(partial(os.write, write, b"x"), fresh=True).result() == 1
    assert os.read(read, 1) == b"x"
    os.close(read)
    os.close(write)
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)


def test_meanwhile_fresh_stopped_leaves_no_child() -> None:
    pending = workload.meanwhile(partial(time.sleep, 30), fresh=True)
    started = time.monotonic()
    pending.stop()
    assert time.monotonic() - started < 5
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)
