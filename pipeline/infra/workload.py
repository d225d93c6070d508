"""CPU-bound stages: items + a function → the results in item order, on two processes;
and the cyclic garbage collector paused while a stage builds its results.

``run_checks`` and ``run_readability`` spend their time in pure Python, one language
after another, and the languages do not depend on each other: with a second core, a
forked child and this process each take the next language (or page) not yet taken,
until none is left, so both end together. The child inherits everything already loaded
(config, pages, catalogs, caches), so nothing is sent to it; its results come back
pickled through a pipe. (Every other item each left one process up to 0.6 s behind the
other at the end of each split stage of a 1,000-page cold build.)

A child that fails in any way (an exception, a signal, unpicklable results) costs only
time: this process then does the child's share itself, so a result and an error are
always exactly those of a run in one process. Small work is never split, and neither is
any work where fork is missing or only one CPU is available.

Work that needs little of what this process holds can run in a fresh interpreter
instead (``meanwhile(..., fresh=True)``), at the lowest CPU priority: a forked child
keeps every page this process writes while it runs, as a copy (publish's copy made
ahead by a fork added 120-150 MB to a 1,000-page build's processes summed).

Both stages build hundreds of thousands of objects and no reference cycles; each
collection of the oldest generation walks everything loaded before (catalogs, pages),
which was a quarter of their time on 1,000 pages. ``paused_gc`` turns the collector off
for the stage and back on (if it was on) after it.
"""

from __future__ import annotations

import contextlib
import copyreg
import dataclasses
import fcntl
import gc
import io
import os
import pickle
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from operator import attrgetter
from types import MappingProxyType
from typing import Any, Generic, Protocol, TypeVar

from pipeline.infra.procs import die_with_parent

T = TypeVar("T")
R = TypeVar("R")


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """The cyclic garbage collector off inside the block (reference counting still frees
    everything without cycles), as it was after it."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# Net allocations between two collections of the youngest generation in a build (the
# interpreter's default is 700). A build keeps millions of objects (catalogs, pages,
# findings), and nearly everything it frees has no cycle (reference counting frees it):
# a collection mostly walks objects that will live to the end. At 700, the parent of a
# cold build on 1,000 pages ran 2,300 young, 208 middle and 11 full collections, 2.5 s
# of CPU; at 10,000, 172 young and 11 middle ones, 0.45 s; at 1,000,000, 75 young ones
# (0.02 s), all while the pipeline is imported. A cold build took 0.2-0.4 s less at
# 1,000 pages (four interleaved pairs) and 2 s less at 5,000, with the same peak RSS.
BUILD_YOUNG_THRESHOLD = 1_000_000


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    """The cyclic collector run less often inside the block (``BUILD_YOUNG_THRESHOLD``),
    as often as before after it. Cycles are still collected, only later."""
    before = gc.get_threshold()
    gc.set_threshold(max(before[0], BUILD_YOUNG_THRESHOLD), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


def cpus() -> int:
    """CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def _mapping_proxy(values: dict[Any, Any]) -> MappingProxyType[Any, Any]:
    return MappingProxyType(values)


def _dataclass(cls: type[Any], values: tuple[Any, ...]) -> Any:
    """A dataclass as pickles written before the reduction to ``cls`` itself rebuild it."""
    return cls(*values)


_init_fields_of: dict[type[Any], tuple[str, ...] | None] = {}


def _init_fields(cls: type[Any]) -> tuple[str, ...] | None:
    """The fields of a dataclass its __init__ takes, in order; None for other classes and
    for dataclasses that __init__ alone does not rebuild."""
    if cls in _init_fields_of:
        return _init_fields_of[cls]
    names: tuple[str, ...] | None = None
    if (dataclasses.is_dataclass(cls) and not hasattr(cls, "__post_init__")
            and "__reduce__" not in vars(cls)):  # a class that says how, pickled so
        fields = dataclasses.fields(cls)
        if all(f.init for f in fields):
            names = tuple(f.name for f in fields)
    _init_fields_of[cls] = names
    return names


def _reduce_mapping_proxy(obj: MappingProxyType[Any, Any]) -> tuple[Any, ...]:
    return _mapping_proxy, (dict(obj),)


def _reduce_as_usual(obj: Any) -> Any:
    return obj.__reduce_ex__(pickle.HIGHEST_PROTOCOL)


class _Reducers(dict[type, Callable[[Any], Any]]):
    """``_Pickler``'s dispatch table, filled per class on first sight: a lookup in C for
    each object instead of a call of a Python ``reducer_override`` (240,000 of them on
    1,000 pages, half of the pickling's time)."""

    def __missing__(self, cls: type) -> Callable[[Any], Any]:
        if issubclass(cls, type):
            raise KeyError(cls)  # a class (of a metaclass): pickle saves it by name
        reduce = copyreg.dispatch_table.get(cls)
        if reduce is None:
            names = _init_fields(cls)
            if cls is MappingProxyType:
                reduce = _reduce_mapping_proxy
            elif names is None:
                reduce = _reduce_as_usual  # what pickle does for a class not in the table
            else:
                fields = attrgetter(*names) if len(names) > 1 else (
                    lambda obj, name=names[0]: (getattr(obj, name),))

                def reduce(obj: Any, cls: type = cls,
                           fields: Callable[[Any], tuple[Any, ...]] = fields) -> Any:
                    return cls, fields(obj)  # unpickled as cls(*fields), no call between
        self[cls] = reduce
        return reduce


class _Pickler(pickle.Pickler):
    """Pickles Finding.details (a read-only MappingProxyType, which pickle refuses as it
    is), and dataclasses as their __init__ arguments (but those with a ``__reduce__`` of
    their own): the default, one field at a time through __setstate__, unpickles 20
    times slower."""

    dispatch_table = _Reducers()


class Writable(Protocol):
    def write(self, data: bytes, /) -> object: ...


def dump(value: Any, stream: Writable) -> None:
    """``pickle.dump`` with ``_Pickler``."""
    _Pickler(stream, protocol=pickle.HIGHEST_PROTOCOL).dump(value)


def dumps(value: Any) -> bytes:
    """``pickle.dumps``, with the read-only mappings and fast dataclasses of ``_Pickler``."""
    buffer = io.BytesIO()
    _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(value)
    return buffer.getvalue()


def map_split(function: Callable[[T], R], items: Sequence[T], *, split: bool) -> list[R]:
    """``[function(item) for item in items]``, the same results and the same error; with
    ``split`` (and fork and a second CPU), this process and a forked child each take the
    next item not yet taken until none is left (``_Tickets``), so both end together
    whatever the items cost. Items early in ``items`` are taken first: put the dearest
    first when their costs differ much."""
    if not split or len(items) < 2 or cpus() < 2 or not hasattr(os, "fork"):
        return [function(item) for item in items]
    tickets = _Tickets(len(items))
    try:
        child = _start(lambda: [(i, function(items[i])) for i in tickets.taken()])
    except BaseException:
        tickets.close()
        raise
    results: dict[int, R] = {}
    try:
        for i in tickets.taken():
            results[i] = function(items[i])
    except Exception:
        # An earlier item of the child's may fail too: the error is the first in order.
        child.stop()
        return [function(item) for item in items]
    except BaseException:
        child.stop()
        raise
    finally:
        tickets.close()
    done = child.result()
    if isinstance(done, list):
        results.update((i, value) for i, value in done if i not in results)
    # A child that failed took its items from the queue: they are done here.
    results.update((i, function(items[i])) for i in range(len(items)) if i not in results)
    return [results[i] for i in range(len(items))]


class _Tickets:
    """The indices ``0 … count-1``, taken in order by whichever process asks next (the
    parent, or a child forked after this was made): each is taken exactly once.

    A pipe filled before the fork, its writing end closed: a read of one ticket's four
    bytes is atomic, and the end of the pipe is the end of the work. With more items
    than the pipe holds tickets, a ticket stands for a run of consecutive indices."""

    SIZE = 4

    def __init__(self, count: int):
        self.count = count
        self._read, write = os.pipe()
        try:
            capacity = fcntl.fcntl(write, fcntl.F_GETPIPE_SZ) if hasattr(
                fcntl, "F_GETPIPE_SZ") else 4096
            self.run = -(-count // max(1, capacity // self.SIZE))  # ceiling
            tickets = -(-count // self.run)
            data = memoryview(b"".join(k.to_bytes(self.SIZE, "little") for k in range(tickets)))
            while data:  # fits: the pipe is empty and holds ``capacity`` bytes
                data = data[os.write(write, data):]
        except BaseException:
            os.close(self._read)
            raise
        finally:
            os.close(write)

    def taken(self) -> Iterator[int]:
        """The indices this process takes, one by one, until none is left."""
        while len(ticket := os.read(self._read, self.SIZE)) == self.SIZE:
            first = int.from_bytes(ticket, "little") * self.run
            yield from range(first, min(first + self.run, self.count))

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self._read)


def _sent(value: Any) -> tuple[Any] | None:
    """A child's value as it sends it, in a 1-tuple (a value of None is not a failure);
    None when the child failed."""
    return value if type(value) is tuple and len(value) == 1 else None


class Pending(Generic[R]):
    """``function()``, started in a forked child (``meanwhile``) while this process goes
    on. ``result`` is its value; when the child failed in any way, or there was none,
    ``function`` runs here then, so the value or the error is that of a run here."""

    def __init__(self, function: Callable[[], R], child: _Child | _Fresh | None):
        self._function = function
        self._child = child

    def result(self) -> R:
        child, self._child = self._child, None
        if child is not None and (done := _sent(child.result())) is not None:
            value: R = done[0]
            return value
        return self._function()

    @property
    def forked(self) -> bool:
        """Whether a child runs ``function`` (else it runs here, at ``result``)."""
        return self._child is not None

    def sent(self) -> tuple[R] | None:
        """The child's value in a 1-tuple, once it ended; None when it failed, and then
        nothing runs here: for work on values this process let go once it forked."""
        child, self._child = self._child, None
        return None if child is None else _sent(child.result())

    def stop(self) -> None:
        """End the child, if any, without its value (this process failed meanwhile)."""
        child, self._child = self._child, None
        if child is not None:
            child.stop()


def meanwhile(function: Callable[[], R], *, fork: bool = True,
              fresh: bool = False, idle: bool = False) -> Pending[R]:
    """``function()`` in a forked child (with ``fork``, fork and a second CPU; else
    nothing runs until ``result``). Its side effects (files written) are the child's: the
    caller must not need them before ``result``, and must ``stop`` it when it fails.
    ``fresh``: in a new interpreter rather than a fork, at the lowest CPU priority,
    ``function`` (a module's function, or a ``partial`` of one) and its value pickled
    across: it shares none of this process's memory (see the module's docstring).
    ``idle``: a fork at the lowest CPU priority, for work that may use only what the
    build leaves idle."""
    if not fork or cpus() < 2 or not hasattr(os, "fork"):
        return Pending(function, None)
    if fresh:
        return Pending(function, _Fresh.start(function))
    return Pending(function, _start(partial(_sent_from, function, idle)))


def _sent_from(function: Callable[[], R], idle: bool) -> tuple[R]:
    """``function()``'s value as a ``meanwhile`` child sends it; ``idle``: run at the
    lowest CPU priority."""
    if idle:
        os.nice(19)
    return (function(),)


class Handover(Generic[R, T]):
    """``first()``, which returns a value and the rest of its work, started in a forked
    child (``meanwhile_then``) while this process goes on: ``result`` is the value as
    soon as the child has it (the child then does the rest), ``rest`` the rest's value
    once the child is done. Run here (no child, or the child failed before handing the
    value over), the rest is done at once, in ``result`` (nothing it holds waits), or
    with ``apart`` by a child forked then, while this process goes on (its failure costs
    only time: the rest is then done here, at ``rest``). A child that fails after
    handing over has the whole work done here again, at ``rest``: the value and the
    error are always those of a run here. ``idle_rest``: a child does the rest at the
    lowest CPU priority (this process never changes its own)."""

    def __init__(self, first: Callable[[], tuple[R, Callable[[], T]]], child: _Child | None,
                 apart: bool = False, idle_rest: bool = False):
        self._first = first
        self._child = child
        self._rest: tuple[T] | None = None
        self._apart = apart
        self._idle_rest = idle_rest
        self._resting: Pending[T] | None = None  # the rest, run apart

    def result(self) -> R:
        child = self._child
        if child is not None:
            if (sent := _sent(child.take())) is not None:
                value: R = sent[0]
                return value
            self._child = None
            child.result()  # gone before handing over: waited for, its work done here
        value, rest = self._first()
        if self._apart:
            resting = meanwhile(rest, idle=self._idle_rest)
            if resting.forked:  # else (one CPU) done now, as without ``apart``
                self._resting = resting
                return value
        self._rest = (rest(),)
        return value

    def rest(self) -> T:
        child, self._child = self._child, None
        if child is not None:
            if (done := _sent(child.result())) is not None:
                last: T = done[0]
                return last
            return self._first()[1]()
        resting, self._resting = self._resting, None
        if resting is not None:
            self._rest = (resting.result(),)
        if self._rest is None:
            raise RuntimeError("Handover.rest before result")
        return self._rest[0]

    def stop(self) -> None:
        """End the child, if any (this process failed meanwhile)."""
        child, self._child = self._child, None
        if child is not None:
            child.stop()
        resting, self._resting = self._resting, None
        if resting is not None:
            resting.stop()


def meanwhile_then(first: Callable[[], tuple[R, Callable[[], T]]], *, fork: bool = True,
                   apart: bool = False, idle_rest: bool = False) -> Handover[R, T]:
    """``meanwhile`` for work whose value this process needs before all of it is done:
    ``first()`` returns that value and a function doing the rest (files the value does
    not depend on). Without ``fork``, both run here; ``apart``: the rest, in a child
    forked once the value is made. ``idle_rest``: a child does the rest at the lowest
    CPU priority, for a rest nothing waits for while other work runs. See
    ``Handover``."""
    if not fork or cpus() < 2 or not hasattr(os, "fork"):
        return Handover(first, None, apart, idle_rest)
    return Handover(first, _start(first, handover=True, idle_rest=idle_rest), apart,
                    idle_rest)


class Later(Generic[T]):
    """A value a child forked now (``meanwhile``) needs only later, once this process has
    made it: the child starts on what it can do without it, then calls this, which
    waits for the value through a pipe. Called in this process (the child failed, or
    none was started, and the work is done here) it returns the value sent."""

    def __init__(self) -> None:
        self._read, self._write = os.pipe()
        self._sent: tuple[T] | None = None
        self._here = os.getpid()  # the process that sends

    def forked(self) -> None:
        """This process's side, once the child is started: only the child reads."""
        os.close(self._read)
        self._read = -1

    def send(self, value: T) -> None:
        """``value`` to the child (which may have failed meanwhile: it is then done here)."""
        self._sent = (value,)
        write, self._write = self._write, -1
        try:
            with os.fdopen(write, "wb") as stream:
                dump(value, stream)
        except OSError:  # the child is gone: its work is done here, with the value kept
            pass

    def close(self) -> None:
        """No value will come: the child, if any, stops waiting (a failure, which nobody
        reads); the pipe is closed on this side."""
        for end in (self._write, self._read):
            if end >= 0:
                with contextlib.suppress(OSError):
                    os.close(end)
        self._write = self._read = -1

    def __call__(self) -> T:
        if os.getpid() == self._here:
            if self._sent is None:
                raise RuntimeError("Later: called here before a value was sent")
            return self._sent[0]
        # The child: its copy of the write end would keep the pipe open.
        os.close(self._write)
        with os.fdopen(self._read, "rb") as stream:
            value: T = pickle.load(stream)  # EOF (nothing sent): an error, as it must be
        return value


def serve() -> None:
    """A fresh interpreter's side of ``meanwhile(fresh=True)``: the work from stdin, its
    value (as a 1-tuple, as ``_start``'s children send it) to stdout."""
    work = pickle.load(sys.stdin.buffer)
    value = (work(),)
    dump(value, sys.stdout.buffer)
    sys.stdout.buffer.flush()


def _lowest_priority(arm: Callable[[], None]) -> Callable[[], None]:
    """``arm``, then the lowest CPU priority: a fresh child gets what this process and
    its forks leave idle. At normal priority, publish's copy made ahead took 0.8 s from
    readability beside it in a 1,000-page build; niced, it still ended before publish."""
    def run() -> None:
        arm()
        os.nice(19)
    return run


class _Fresh:
    """A new interpreter running ``serve``; ``result`` and ``stop`` as ``_Child``'s."""

    def __init__(self, proc: subprocess.Popen[bytes]):
        self.proc = proc

    @classmethod
    def start(cls, work: Callable[[], Any]) -> _Fresh | None:
        try:
            # The work through an unnamed temporary file, read whenever the child is up:
            # a pipe would hold this process until the child read it all.
            with tempfile.TemporaryFile() as given:
                dump(work, given)
                given.seek(0)
                proc = subprocess.Popen(
                    [sys.executable, "-c", "from pipeline.infra.workload import serve; serve()"],
                    stdin=given, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                    env={**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)},
                    preexec_fn=_lowest_priority(die_with_parent(signal.SIGKILL)))
        except (OSError, pickle.PicklingError, TypeError, AttributeError):
            return None  # run here, at ``result``
        return cls(proc)

    def result(self) -> Any:
        """The child's value, or None when it failed."""
        value: Any = None
        try:
            assert self.proc.stdout is not None
            with self.proc.stdout:
                value = pickle.load(self.proc.stdout)
        except Exception:  # a failure, a truncated or a broken result: the work is done here
            value = None
        if self.proc.wait() != 0:
            return None
        return value

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()


class _Child:
    def __init__(self, pid: int, fd: int):
        self.pid = pid
        self.fd = fd
        # Unpickled as it arrives: the bytes are never all held at once (the catalogs of
        # a 5,000-page site are 150 MB of them). One reader for every value sent: it may
        # have read ahead into the next.
        self._stream = os.fdopen(fd, "rb", buffering=1 << 20, closefd=False)

    def take(self) -> Any:
        """The next value the child sends, as soon as it is sent (the child goes on), or
        None when it failed before sending it."""
        try:
            return pickle.load(self._stream)
        except Exception:  # a truncated or broken value, or none: the child failed
            return None

    def result(self) -> Any:
        """The child's (last) value, once it ended, or None when it failed."""
        value: Any = None
        try:
            value = self.take()
        finally:
            self._stream.close()
            os.close(self.fd)
            _, status = os.waitpid(self.pid, 0)
            gc.unfreeze()
        if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
            return None
        return value

    def stop(self) -> None:
        self._stream.close()
        os.close(self.fd)
        os.kill(self.pid, signal.SIGKILL)  # not yet waited for: it exists, if only as a zombie
        os.waitpid(self.pid, 0)
        gc.unfreeze()


def _start(work: Callable[[], Any], *, handover: bool = False,
           idle_rest: bool = False) -> _Child:
    # Killed with this process, even by SIGKILL: nothing left running that holds its
    # files (the root's lock).
    die_with_me = die_with_parent(signal.SIGKILL)
    read, write = os.pipe()
    # Everything loaded so far goes to the permanent generation: no collection in either
    # process walks (writes to) the objects the child shares copy-on-write. The parent
    # takes them back once the child is gone (result, stop), so its garbage stays collectable.
    gc.freeze()
    pid = os.fork()
    if pid:
        os.close(write)
        return _Child(pid, read)
    status = 1  # the child never returns into the caller's code
    try:
        os.close(read)
        die_with_me()
        result = work()
        # Pickled into the pipe as it goes (a failure half-way leaves a broken stream,
        # which the parent refuses): the bytes are never all held at once either.
        with os.fdopen(write, "wb", buffering=1 << 20) as stream:
            if handover:  # (value, rest): the value sent at once, then the rest done
                value, rest = result
                dump((value,), stream)
                stream.flush()
                if idle_rest:
                    os.nice(19)
                result = (rest(),)
            dump(result, stream)
        status = 0
    finally:
        os._exit(status)
