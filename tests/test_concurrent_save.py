"""A translator saves a catalog while a command that rewrites it is running.

The save is real: another process writes a temp file beside the catalog and renames it
over the catalog, as Poedit does. It lands at the command's own hook point between
reading the catalogs and writing them (``PIPELINE_HOOK=<point>=<command>``, see
``pipeline.infra.faults``), so no sleep has to hit the window. The save must survive, the
command must say so and exit 1, and the catalogs nobody touched are still written.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
import time
from pathlib import Path

import pytest
from conftest import msgfmt_check, run_cli

from pipeline.config import load_config
from pipeline.infra import fsutil, workload
from pipeline.infra.fsutil import TMP_MARK, ChangedMeanwhile, read_bytes_stamped, write_bytes_atomic
from pipeline.stages import update as catalogs
from pipeline.stages.update import update_catalogs

BASE = Path(__file__).parent / "corpus" / "bad" / "_base"
ES = "locales/es/LC_MESSAGES/messages.po"
FR = "locales/fr/LC_MESSAGES/messages.po"
XA = "locales/en_XA/LC_MESSAGES/messages.po"
PAGE = "source/pages/dry-eye.md"
ES_OLD, ES_NEW = "Las gotas para los ojos pueden ayudar.", "Las gotas oculares pueden ayudar."
FR_OLD, FR_NEW = "Les gouttes pour les yeux peuvent aider.", "Des gouttes oculaires aident."
NEW_PARAGRAPH = "Rest your eyes every twenty minutes."

# What Poedit does on save: the whole file to a temp file in the same folder, flushed,
# then renamed over the catalog.
POEDIT_SAVE = """\
import os, sys
path, old, new = sys.argv[1:4]
with open(path, encoding="utf-8") as handle:
    text = handle.read()
assert old in text, old
temp = path + ".poedit-save"
with open(temp, "w", encoding="utf-8") as handle:
    handle.write(text.replace(old, new))
    handle.flush()
    os.fsync(handle.fileno())
os.replace(temp, path)
"""


def poedit_save(path: Path, old: str, new: str) -> str:
    """The command line of a translator's save of ``path`` that changes ``old`` to ``new``."""
    return shlex.join([sys.executable, "-c", POEDIT_SAVE, str(path), old, new])


def at(point: str, *commands: str) -> dict[str, str]:
    """The environment that runs ``commands`` (one after the other) at hook ``point``."""
    command = commands[0] if len(commands) == 1 else shlex.join(
        ["sh", "-c", " && ".join(commands)])
    return {"PIPELINE_HOOK": f"{point}={command}"}


def copy_base(parent: Path) -> Path:
    root = parent / "root"
    shutil.copytree(BASE, root)
    return root


def add_paragraph(root: Path) -> None:
    """An English change, so that update has every catalog to rewrite."""
    with (root / PAGE).open("a", encoding="utf-8") as handle:
        handle.write(f"\n{NEW_PARAGRAPH}\n")
    assert run_cli(root, "extract").returncode == 0


def no_temps(root: Path) -> bool:
    return not [p for p in root.rglob("*") if TMP_MARK in p.name or "poedit-save" in p.name]


def changed_line(path: str, doing: str) -> str:
    return f"{path}: changed while {doing}; nothing written to it, run the command again"


# --- update, build ---------------------------------------------------------------------------

def test_a_save_during_update_is_kept_and_reported(tmp_path: Path) -> None:
    root = copy_base(tmp_path)
    add_paragraph(root)
    saved = (root / ES).read_bytes().replace(ES_OLD.encode(), ES_NEW.encode())
    done = run_cli(root, "update",
                   env=at("update:before-write", poedit_save(root / ES, ES_OLD, ES_NEW)))
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stderr.splitlines()
    assert lines[0] == changed_line(ES, "updating"), done.stderr
    assert lines[1].startswith("  hint: ") and "Traceback" not in done.stderr
    assert (root / ES).read_bytes() == saved  # the translator's save, byte for byte
    assert done.stdout.startswith(f"{FR}: updated;"), done.stdout  # the other one is written
    assert NEW_PARAGRAPH in (root / FR).read_text("utf-8")
    assert ES not in done.stdout and no_temps(root)
    msgfmt_check(root / ES)

    again = run_cli(root, "update")
    assert again.returncode == 0, again.stderr
    merged = (root / ES).read_text("utf-8")
    assert ES_NEW in merged and f'msgid "{NEW_PARAGRAPH}"' in merged  # the save, merged
    assert again.stdout.startswith(f"{ES}: updated;")


def test_two_saves_during_update_are_both_named(tmp_path: Path) -> None:
    root = copy_base(tmp_path)
    add_paragraph(root)
    done = run_cli(root, "update", env=at("update:before-write",
                                          poedit_save(root / ES, ES_OLD, ES_NEW),
                                          poedit_save(root / FR, FR_OLD, FR_NEW)))
    assert done.returncode == 1, done.stderr
    lines = done.stderr.splitlines()
    assert lines[:2] == [changed_line(ES, "updating"), changed_line(FR, "updating")], lines
    assert lines[2].startswith("  hint: ") and done.stdout == ""
    assert ES_NEW in (root / ES).read_text("utf-8") and FR_NEW in (root / FR).read_text("utf-8")


def test_update_without_a_save_meanwhile_writes_as_before(tmp_path: Path) -> None:
    """The hook itself changes nothing: a hook that saves nothing leaves update as it was."""
    root = copy_base(tmp_path)
    add_paragraph(root)
    nothing = shlex.join([sys.executable, "-c", "pass"])
    done = run_cli(root, "update", env=at("update:before-write", nothing))
    assert done.returncode == 0, done.stderr
    assert NEW_PARAGRAPH in (root / ES).read_text("utf-8")


def test_a_save_during_the_builds_update_stops_the_build(tmp_path: Path) -> None:
    root = copy_base(tmp_path)
    add_paragraph(root)
    saved = (root / ES).read_bytes().replace(ES_OLD.encode(), ES_NEW.encode())
    done = run_cli(root, "build",
                   env=at("update:before-write", poedit_save(root / ES, ES_OLD, ES_NEW)))
    assert done.returncode == 1, done.stdout + done.stderr
    assert changed_line(ES, "updating") in done.stderr.splitlines(), done.stderr
    assert "Traceback" not in done.stderr
    assert (root / ES).read_bytes() == saved
    assert NEW_PARAGRAPH in (root / FR).read_text("utf-8")
    assert not (root / "output/build").exists() and not (root / "output/site").exists()


def test_the_guard_holds_when_a_forked_child_read_the_catalog(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On a big site update merges every other language in a forked child
    (``pipeline.infra.workload``): the stamp of what the child read travels back with its
    merge, and the parent's write checks it."""
    root = copy_base(tmp_path)
    add_paragraph(root)
    config = load_config(root)
    assert [lang.code for lang in config.languages] == ["es", "fr"]  # fr: the child's
    monkeypatch.setattr(catalogs, "SPLIT_ENTRIES", 1)
    monkeypatch.setattr(workload, "cpus", lambda: 2)
    children: list[bool] = []
    real_result = workload._Child.result

    def result(self: workload._Child) -> object:
        value = real_result(self)
        children.append(value is not None)
        return value

    monkeypatch.setattr(workload._Child, "result", result)
    saved = (root / FR).read_bytes().replace(FR_OLD.encode(), FR_NEW.encode())
    for name, value in at("update:before-write",
                          poedit_save(root / FR, FR_OLD, FR_NEW)).items():
        monkeypatch.setenv(name, value)
    results = {r.language: r for r in update_catalogs(config)}
    assert children == [True]  # the child merged fr, and its result was used
    assert results["fr"].changed_meanwhile and not results["fr"].written
    assert results["es"].written and not results["es"].changed_meanwhile
    assert (root / FR).read_bytes() == saved
    assert NEW_PARAGRAPH in (root / ES).read_text("utf-8") and no_temps(root)


# --- translate, pseudo-locales, init ---------------------------------------------------------

def test_a_save_during_translate_is_kept(tmp_path: Path) -> None:
    root = copy_base(tmp_path)
    add_paragraph(root)
    assert run_cli(root, "update").returncode == 0
    saved = (root / ES).read_bytes().replace(ES_OLD.encode(), ES_NEW.encode())
    done = run_cli(root, "translate", "es", "--engine", "tm",
                   env=at("translate:before-write", poedit_save(root / ES, ES_OLD, ES_NEW)))
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stderr.splitlines()[0] == changed_line(ES, "translating"), done.stderr
    assert (root / ES).read_bytes() == saved and no_temps(root)


def test_a_save_during_pseudo_translation_is_kept(tmp_path: Path) -> None:
    root = copy_base(tmp_path)
    assert run_cli(root, "translate", "en_XA", "--engine", "pseudo").returncode == 0
    add_paragraph(root)
    before = (root / XA).read_text("utf-8")
    old = next(line for line in before.splitlines() if line.startswith('msgstr "[')
               and len(line) > 20)
    saved = before.replace(old, 'msgstr "[checked by hand]"').encode()
    done = run_cli(root, "translate", "en_XA", "--engine", "pseudo",
                   env=at("translate:before-write",
                          poedit_save(root / XA, old, 'msgstr "[checked by hand]"')))
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stderr.splitlines()[0] == changed_line(XA, "translating"), done.stderr
    assert (root / XA).read_bytes() == saved and no_temps(root)


def test_a_catalog_appearing_during_init_is_not_overwritten(tmp_path: Path) -> None:
    root = copy_base(tmp_path)
    theirs = tmp_path / "theirs.po"
    (root / FR).rename(theirs)
    copy = shlex.join([sys.executable, "-c", "import shutil, sys; shutil.copy(*sys.argv[1:])",
                       str(theirs), str(root / FR)])
    done = run_cli(root, "init", "fr", env=at("init:before-write", copy))
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stderr.splitlines()[0] == (
        f"{FR}: catalog already exists; init never overwrites a catalog"), done.stderr
    assert (root / FR).read_bytes() == theirs.read_bytes() and no_temps(root)


# --- the write itself -----------------------------------------------------------------------

def test_a_write_checks_size_time_and_content(tmp_path: Path) -> None:
    path = tmp_path / "messages.po"
    path.write_bytes(b"one\n")
    _, stamp = read_bytes_stamped(path, "messages.po")
    assert write_bytes_atomic(path, b"two\n", "messages.po", expect=stamp)
    with pytest.raises(ChangedMeanwhile) as caught:  # the stamp is of "one"
        write_bytes_atomic(path, b"three\n", "messages.po", expect=stamp, doing="updating")
    assert str(caught.value).splitlines()[0] == changed_line("messages.po", "updating")
    # Same size and modification time, other bytes: only the hash tells.
    info = path.stat()
    _, stamp = read_bytes_stamped(path, "messages.po")
    path.write_bytes(b"TWO\n")
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))
    with pytest.raises(ChangedMeanwhile):
        write_bytes_atomic(path, b"three\n", "messages.po", expect=stamp)
    assert path.read_bytes() == b"TWO\n"
    assert [p.name for p in tmp_path.iterdir()] == ["messages.po"]


def test_a_settled_file_is_known_by_its_stat_and_any_write_since_shows(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Files unchanged for RACY_NS when read (as if: 0 here) are told by inode, size,
    # mtime and ctime, not hashed again. A write since moves the ctime, which no call
    # sets back: same size, mtime put back, it still shows (a tick of the clock later).
    monkeypatch.setattr(fsutil, "RACY_NS", 0)
    path = tmp_path / "messages.po"
    path.write_bytes(b"one\n")
    time.sleep(0.05)  # past the file system clock's tick
    _, stamp = read_bytes_stamped(path, "messages.po")
    assert stamp.settled
    info = path.stat()
    path.write_bytes(b"ONE\n")
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))
    with pytest.raises(ChangedMeanwhile):
        write_bytes_atomic(path, b"two\n", "messages.po", expect=stamp)
    assert path.read_bytes() == b"ONE\n"
    # A save by rename (Poedit's): another inode.
    time.sleep(0.05)
    _, stamp = read_bytes_stamped(path, "messages.po")
    (tmp_path / "save").write_bytes(b"ONE\n")
    os.replace(tmp_path / "save", path)
    with pytest.raises(ChangedMeanwhile):
        write_bytes_atomic(path, b"two\n", "messages.po", expect=stamp)
    # Untouched: written without its bytes being read for the check.
    time.sleep(0.05)
    _, stamp = read_bytes_stamped(path, "messages.po")
    hashed: list[int] = []
    real = fsutil.content_digest

    def hashing(data: bytes) -> bytes:
        hashed.append(1)
        return real(data)

    monkeypatch.setattr(fsutil, "content_digest", hashing)
    assert write_bytes_atomic(path, b"two\n", "messages.po", expect=stamp)
    assert path.read_bytes() == b"two\n" and not hashed


def test_a_file_read_just_after_it_changed_is_checked_by_its_bytes(tmp_path: Path) -> None:
    path = tmp_path / "messages.po"
    path.write_bytes(b"one\n")
    _, stamp = read_bytes_stamped(path, "messages.po")
    assert not stamp.settled  # changed less than RACY_NS before the read
