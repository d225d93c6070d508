"""fsutil.write_files_atomic: many files, one disk flush, the guarantees of one atomic write."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.errors import PipelineError
from pipeline.infra.fsutil import TMP_MARK, Staging, remove_stale_temps, write_files_atomic
from pipeline.infra.workload import map_split

WRITE_THREE = """
import sys
from pathlib import Path
from pipeline.infra.fsutil import write_files_atomic
folder = Path(sys.argv[1])
write_files_atomic([(folder / name, b"new " + name.encode(), name)
                    for name in ("a.html", "b.html", "c.html")])
"""


def temps(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if TMP_MARK in p.name)


def test_writes_changed_files_in_order_and_leaves_unchanged_ones_alone(tmp_path: Path) -> None:
    same = tmp_path / "same.html"
    same.write_bytes(b"same")
    mtime = same.stat().st_mtime_ns
    old = tmp_path / "old.html"
    old.write_bytes(b"old")
    old.chmod(0o640)
    files = [(tmp_path / "new" / "deep.html", b"deep", "new/deep.html"),
             (same, b"same", "same.html"), (old, b"changed", "old.html")]
    assert write_files_atomic(files) == [True, False, True]
    assert (tmp_path / "new" / "deep.html").read_bytes() == b"deep"
    assert same.stat().st_mtime_ns == mtime
    assert old.read_bytes() == b"changed"
    assert old.stat().st_mode & 0o777 == 0o640  # the file keeps its permissions
    assert temps(tmp_path) == []
    assert write_files_atomic(files) == [False, False, False]


def test_an_error_before_the_renames_changes_no_file(tmp_path: Path) -> None:
    first = tmp_path / "first.html"
    first.write_bytes(b"old")
    # The second file's temp cannot be created: a folder has its name.
    (tmp_path / f".second.html{TMP_MARK}{os.getpid()}").mkdir()
    with pytest.raises(PipelineError) as caught:
        write_files_atomic([(first, b"new", "first.html"),
                            (tmp_path / "second.html", b"new", "second.html")])
    assert str(caught.value.location) == "second.html"
    assert caught.value.message == "cannot write file: Is a directory; the file was not changed"
    assert first.read_bytes() == b"old"
    assert not (tmp_path / "second.html").exists()
    assert [p for p in temps(tmp_path) if not (tmp_path / p).is_dir()] == []


@pytest.mark.parametrize("point", ["write:before-rename", "write:after-rename"])
def test_killed_between_renames_leaves_every_file_whole(tmp_path: Path, point: str) -> None:
    for name in ("a.html", "b.html", "c.html"):
        (tmp_path / name).write_bytes(b"old " + name.encode())
    killed = subprocess.run([sys.executable, "-c", WRITE_THREE, str(tmp_path)],
                            env={"PIPELINE_FAULT": point, "PATH": "/usr/bin:/bin"},
                            capture_output=True, text=True)
    assert killed.returncode == 137, killed.stderr
    renamed = 1 if point == "write:after-rename" else 0
    for index, name in enumerate(("a.html", "b.html", "c.html")):
        state = b"new " if index < renamed else b"old "
        assert (tmp_path / name).read_bytes() == state + name.encode()
    # every new version not yet renamed is whole in its temp file
    left = temps(tmp_path)
    assert [name.split(TMP_MARK)[0] for name in left] == [
        f".{name}" for name in ("a.html", "b.html", "c.html")[renamed:]]
    done = subprocess.run([sys.executable, "-c", WRITE_THREE, str(tmp_path)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert [(tmp_path / n).read_bytes() for n in ("a.html", "b.html", "c.html")] == [
        b"new a.html", b"new b.html", b"new c.html"]
    assert temps(tmp_path) == []


def test_staging_again_replaces_the_temp_and_keeps_the_place(tmp_path: Path) -> None:
    first, second, same = (tmp_path / n for n in ("first.html", "second.html", "same.html"))
    same.write_bytes(b"same")
    with Staging(tmp_path) as staging:
        assert staging.stage(first, b"draft", "first.html")
        assert staging.stage(second, b"second", "second.html")
        assert staging.stage(same, b"draft", "same.html")
        assert temps(tmp_path) == sorted(f".{n}{TMP_MARK}{os.getpid()}"
                                         for n in ("first.html", "second.html", "same.html"))
        assert staging.stage(first, b"final", "first.html")  # its temp rewritten
        assert not staging.stage(same, b"same", "same.html")  # its temp removed
        assert len(temps(tmp_path)) == 2 and not first.exists()
        staging.commit()
    assert (first.read_bytes(), second.read_bytes(), same.read_bytes()) == (
        b"final", b"second", b"same")
    assert temps(tmp_path) == []


def test_an_error_between_stages_changes_no_file_and_leaves_no_temp(tmp_path: Path) -> None:
    old = tmp_path / "old.html"
    old.write_bytes(b"old")
    with pytest.raises(ValueError), Staging(tmp_path) as staging:
        staging.stage(old, b"new", "old.html")
        staging.stage(tmp_path / "sub" / "new.html", b"new", "sub/new.html")
        raise ValueError("found later")
    assert old.read_bytes() == b"old" and not (tmp_path / "sub" / "new.html").exists()
    assert temps(tmp_path) == []


@pytest.mark.parametrize("fails", ["child", "everywhere"])
def test_temps_written_by_a_failed_forked_child_are_not_left(tmp_path: Path, fails: str) -> None:
    # map_split's child writes its share's temps, then fails: the parent does that share
    # again (the same temp names, rewritten) or fails too, and abort sweeps what is left.
    parent = os.getpid()
    names = [f"{n}.html" for n in range(6)]
    for name in names:
        (tmp_path / name).write_bytes(b"old")

    def write(name: str) -> bool:
        staged = staging.write(tmp_path / name, b"new " + name.encode(), name)
        if os.getpid() != parent or (fails == "everywhere" and name == names[-1]):
            raise RuntimeError("fails after writing its temp")
        return staging.add(staged)

    staging = Staging(tmp_path)
    if fails == "child":
        with staging:
            assert map_split(write, names, split=True) == [True] * 6
            staging.commit()
        assert [(tmp_path / n).read_bytes() for n in names] == [
            b"new " + n.encode() for n in names]
    else:
        with pytest.raises(RuntimeError), staging:
            map_split(write, names, split=True)
        assert [(tmp_path / n).read_bytes() for n in names] == [b"old"] * 6
    assert temps(tmp_path) == []


def test_a_forked_writer_spares_the_temps_of_the_staging_it_writes_for(tmp_path: Path) -> None:
    # As in a split render: the child is forked, then the parent stages into a folder the
    # child has not swept yet; the child's first write there sweeps it.
    (tmp_path / "sub").mkdir()
    stale = tmp_path / "sub" / f".gone.html{TMP_MARK}999999999"
    stale.write_bytes(b"from a killed run")
    with Staging(tmp_path) as staging:
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                os.close(write)
                os.read(read, 1)  # the parent's temp is written
                staging.write(tmp_path / "sub" / "b.html", b"b", "sub/b.html")
            finally:
                os._exit(0)
        os.close(read)
        staging.stage(tmp_path / "sub" / "a.html", b"a", "sub/a.html")
        os.write(write, b"x")
        os.close(write)
        os.waitpid(pid, 0)
        assert temps(tmp_path) == sorted(f".{n}.html{TMP_MARK}{os.getpid()}" for n in "ab")
        staging.abort()
    assert temps(tmp_path) == []


def test_a_live_processs_temp_is_not_swept_a_dead_ones_is(tmp_path: Path) -> None:
    """Two processes of one build write the same folder meanwhile (the readability
    child beside the check's reports): the first write of either there must not remove
    the other's temp. A temp whose process is gone is a killed run's: swept."""
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        live = tmp_path / f".qa.json{TMP_MARK}{sleeper.pid}"
        live.write_bytes(b"half written")
        write_files_atomic([(tmp_path / "a.html", b"a", "a.html")])
        assert live.exists()
    finally:
        sleeper.kill()
        sleeper.wait()
    remove_stale_temps(tmp_path / "a.html", swept=set())
    assert temps(tmp_path) == []
