"""Files' digests remembered by their stat: read again exactly when they may have changed."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import pytest

import pipeline.infra.digests as digests
from pipeline.infra.digests import FileFacts, sha256_hex, tree_files
from pipeline.stages.publish import hash_tree


class Counted:
    def __init__(self) -> None:
        self.reads: list[bytes] = []

    def __call__(self, data: bytes) -> str:
        self.reads.append(data)
        return sha256_hex(data)


def aged(info: os.stat_result, seconds: int) -> os.stat_result:
    """``info`` with its ctime moved back, as if the file had not changed since then."""
    return cast(os.stat_result, SimpleNamespace(
        st_ino=info.st_ino, st_size=info.st_size, st_mtime_ns=info.st_mtime_ns,
        st_ctime_ns=info.st_ctime_ns - seconds * 1_000_000_000))


def test_an_unchanged_file_is_not_read_again(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(digests, "RACY_NS", 0)
    path = tmp_path / "a.html"
    path.write_text("one")
    facts, compute = FileFacts(tmp_path / "facts.json"), Counted()
    first = facts.get(path, "sha256", compute)
    facts.save()
    again = FileFacts(tmp_path / "facts.json")  # the next run
    assert again.get(path, "sha256", compute) == first
    assert compute.reads == [b"one"]
    # Replaced (a new inode), as render writes: read again.
    (tmp_path / "b").write_text("two")
    os.replace(tmp_path / "b", path)
    assert again.get(path, "sha256", compute) == sha256_hex(b"two")


def test_an_edit_in_place_with_its_mtime_put_back_is_seen(tmp_path: Path) -> None:
    path = tmp_path / "a.html"
    path.write_text("one")
    facts, compute = FileFacts(tmp_path / "facts.json"), Counted()
    info = os.stat(path)
    facts.record(path, "sha256", sha256_hex(b"one"), aged(info, 10))
    path.write_text("two")  # same size, in place
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))
    assert os.stat(path).st_mtime_ns == info.st_mtime_ns
    assert facts.get(path, "sha256", compute) == sha256_hex(b"two")  # the ctime moved


def test_a_file_changed_just_now_is_not_trusted_later(tmp_path: Path) -> None:
    path = tmp_path / "a.html"
    path.write_text("one")
    facts, compute = FileFacts(tmp_path / "facts.json"), Counted()
    facts.get(path, "sha256", compute)
    facts.get(path, "sha256", compute)  # a second write in the same clock tick could hide
    assert len(compute.reads) == 2


def test_facts_of_files_gone_are_dropped(tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A file removed, and a folder removed with its files (looked up once): their facts
    go, those of the files still there stay."""
    monkeypatch.setattr(digests, "RACY_NS", 0)
    (tmp_path / "old").mkdir()
    names = ("a", "b", "old/c", "old/d")
    for name in names:
        (tmp_path / name).write_text(name)
    facts = FileFacts(tmp_path / "facts.json")
    for name in names:
        facts.get(tmp_path / name, "sha256", sha256_hex)
    facts.save()
    (tmp_path / "b").unlink()
    shutil.rmtree(tmp_path / "old")
    FileFacts(tmp_path / "facts.json").save()
    assert [k.split("\0")[1] for k in FileFacts(tmp_path / "facts.json")._facts] == [
        str(tmp_path / "a")]


def test_hash_tree_reads_only_what_changed(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(digests, "RACY_NS", 0)
    tree = tmp_path / "build"
    for rel in ("en/a.html", "en/b.html", "es/a.html", "index.html", "en/img/x.svg"):
        (tree / rel).parent.mkdir(parents=True, exist_ok=True)
        (tree / rel).write_text(rel)
    (tree / "link.html").symlink_to(tree / "index.html")
    facts = FileFacts(tmp_path / "facts.json")
    full = hash_tree(tree)
    assert hash_tree(tree, facts) == full
    assert list(full) == [p.relative_to(tree).as_posix() for p in sorted(tree.rglob("*"))
                          if p.is_file()]
    (tree / "es/a.html").write_text("changed")
    reads: list[str] = []
    real = digests.FileFacts.get

    def counting(self: FileFacts, path: str, kind: str, compute: object,
                 info: os.stat_result | None = None) -> object:
        def read(data: bytes) -> str:
            reads.append(os.path.relpath(path, tree))
            return sha256_hex(data)
        return real(self, path, kind, read, info)

    monkeypatch.setattr(digests.FileFacts, "get", counting)
    assert hash_tree(tree, facts) == hash_tree(tree)
    assert reads == ["es/a.html"]
    assert [rel for rel, _, _ in tree_files(tree)] == list(full)


def test_what_another_process_learned_is_kept(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(digests, "RACY_NS", 0)
    first, second = tmp_path / "a.html", tmp_path / "b.html"
    first.write_text("one")
    second.write_text("two")
    child = FileFacts(tmp_path / "facts.pickle")  # as a forked child would have them
    parent = FileFacts(tmp_path / "facts.pickle")
    child.get(first, "sha256", sha256_hex)
    parent.get(second, "sha256", sha256_hex)
    parent.learn(child.learned())
    parent.save()
    compute = Counted()
    again = FileFacts(tmp_path / "facts.pickle")
    assert again.get(first, "sha256", compute) == sha256_hex(b"one")
    assert again.get(second, "sha256", compute) == sha256_hex(b"two")
    assert compute.reads == []


def test_unchanged_says_whether_the_file_is_still_the_one_recorded(tmp_path: Path) -> None:
    """By its stat alone, nothing read: a file written since, with no fact of that
    kind, or gone, is not the one recorded."""
    path = tmp_path / "a.html"
    path.write_text("one")
    facts = FileFacts(tmp_path / "facts.json")
    assert not facts.unchanged(path, "kind")
    facts.record(path, "kind", "value", path.stat(), trusted=True)
    assert facts.unchanged(path, "kind")
    assert not facts.unchanged(path, "other kind")
    path.write_text("one, edited")
    assert not facts.unchanged(path, "kind")
    path.unlink()
    assert not facts.unchanged(path, "kind")
