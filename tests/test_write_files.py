"""fsutil.write_files_atomic: many files, one disk flush, the guarantees of one atomic write."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.errors import PipelineError
from pipeline.infra.fsutil import TMP_MARK, write_files_atomic

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
