"""The bad-input corpus: every broken input a translator or editor can hand us, through the CLI.

Each case in ``tests/corpus/bad/cases.toml`` is a copy of ``tests/corpus/bad/_base/``
(a small, valid content root) with the case's files laid over it: the broken file(s)
under ``<case>/root/``, and anything else in ``<case>/`` (a file a symlink points to)
next to the root. The command runs through the console entry point (in this process;
in a process of its own without the capabilities that bypass file permissions for the
``unprivileged`` cases) and must give the exact first line ``path:line: message``, a
``hint:`` line, the exit status, no traceback, and change no file (hash, mtime and mode
of everything in the root before and after; only the lock file and the cache may appear).

A case with ``exit = 0`` is an input we accept (a BOM, CRLF line ends, a 10 MB entry):
the command succeeds and, being a read-only command, still changes nothing.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
import sys
import sysconfig
import tempfile
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, msgfmt_check, run_cli

CORPUS = Path(__file__).parent / "corpus" / "bad"
BASE = CORPUS / "_base"
CASES: dict[str, dict[str, Any]] = tomllib.loads((CORPUS / "cases.toml").read_text("utf-8"))
ES = "locales/es/LC_MESSAGES/messages.po"
# Written by every run that takes the root's lock or uses the cache: not content.
IGNORED = ("output", "output/.lock", "output/.cache")
# Root bypasses file permissions through two capabilities; without them the cases' modes
# apply to root as the files' owner. Root stays root, so it still reaches the interpreter
# and the checkout wherever they are (a user "nobody" could not enter a private folder).
BYPASS = "dac_override,dac_read_search"
WITHOUT_BYPASS = ["setpriv", f"--inh-caps=-{BYPASS.replace(',', ',-')}",
                  f"--bounding-set=-{BYPASS.replace(',', ',-')}"] if os.geteuid() == 0 else []


# --- building a case -------------------------------------------------------------------

def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)


def overlay(source: Path, target: Path) -> None:
    """Lay ``source``'s tree over ``target``: files and symlinks replace what is there."""
    for item in sorted(source.iterdir()):
        dest = target / item.name
        if item.is_symlink():
            _remove(dest)
            os.symlink(os.readlink(item), dest)
        elif item.is_file():
            _remove(dest)
            shutil.copy2(item, dest)
        else:
            if dest.is_symlink() or dest.is_file():
                dest.unlink()
            dest.mkdir(exist_ok=True)
            overlay(item, dest)


def ten_megabyte_entry(root: Path) -> None:
    """A 10 MB translation of one paragraph, wrapped over 133,000 lines as GNU would."""
    path = root / ES
    words = "Las gotas para los ojos pueden ayudar. " * 256_000
    lines = "\n".join(f'"{words[i:i + 75]}"' for i in range(0, len(words), 75))
    text = path.read_text("utf-8").replace(
        'msgstr "Las gotas para los ojos pueden ayudar."', f'msgstr ""\n{lines}')
    path.write_text(text, "utf-8")
    assert path.stat().st_size > 10_000_000


GENERATORS = {"ten-megabyte-entry": ten_megabyte_entry}


def build_case(name: str, parent: Path) -> Path:
    spec = CASES[name]
    layout = parent / name
    root = layout / "root"
    shutil.copytree(BASE, root, symlinks=True)
    folder = CORPUS / name
    if folder.is_dir():
        for item in sorted(folder.iterdir()):
            if item.name == "root":
                overlay(item, root)
            elif item.is_dir():
                shutil.copytree(item, layout / item.name, symlinks=True)
            else:
                shutil.copy2(item, layout / item.name)
    if "generate" in spec:
        GENERATORS[spec["generate"]](root)
    for rel, mode in spec.get("chmod", {}).items():
        os.chmod(root / rel, mode)
    return root


def snapshot(root: Path) -> dict[str, tuple[object, ...]]:
    """Every path under ``root`` (symlinks not followed): kind, content hash, mtime, mode."""
    out: dict[str, tuple[object, ...]] = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder) / name
            rel = path.relative_to(root).as_posix()
            if rel in IGNORED or rel.startswith("output/.cache/"):
                continue
            info = path.lstat()
            if stat.S_ISLNK(info.st_mode):
                out[rel] = ("symlink", os.readlink(path))
            elif stat.S_ISDIR(info.st_mode):
                out[rel] = ("dir", stat.S_IMODE(info.st_mode))
            else:
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                out[rel] = ("file", digest, info.st_mtime_ns, stat.S_IMODE(info.st_mode))
    return out


@pytest.fixture
def case_folder(tmp_path: Path) -> Iterator[Path]:
    """pytest's temp folder, its modes restored afterwards so that anyone can remove it."""
    yield tmp_path
    for path in [tmp_path, *tmp_path.rglob("*")]:
        if not path.is_symlink():
            path.chmod(0o755 if path.is_dir() else 0o644)


def run_case(unprivileged: bool, root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    if not unprivileged:
        return run_cli(root, *args)
    return subprocess.run(
        [*WITHOUT_BYPASS, sys.executable, "-m", "pipeline", "--root", str(root), *args],
        capture_output=True, text=True, timeout=300, cwd="/",
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )


# --- the corpus --------------------------------------------------------------------------

def test_corpus_is_big_enough_and_every_case_is_described() -> None:
    errors = [n for n, c in CASES.items() if c.get("exit", 1) != 0]
    assert len(errors) >= 25, len(errors)
    for name, case in CASES.items():
        assert case.get("about"), name
        assert isinstance(case.get("command"), list), name
        assert (case.get("error") or "") != "" or case.get("exit", 1) == 0, name
    on_disk = {p.name for p in CORPUS.iterdir() if p.is_dir() and p.name != "_base"}
    assert on_disk <= set(CASES), f"folders without a case: {sorted(on_disk - set(CASES))}"


def test_the_base_root_is_valid() -> None:
    """Every failure below comes from the case's file, not from the base."""
    for rel in (ES, "locales/fr/LC_MESSAGES/messages.po", "locales/messages.pot"):
        msgfmt_check(BASE / rel)


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input(name: str, case_folder: Path) -> None:
    case = CASES[name]
    root = build_case(name, case_folder)
    before = snapshot(root)
    started = time.monotonic()
    result = run_case(case.get("unprivileged", False), root, *case["command"])
    elapsed = time.monotonic() - started
    shown = f"\n--- stdout\n{result.stdout[-2000:]}\n--- stderr\n{result.stderr[-2000:]}"
    assert "Traceback" not in result.stdout + result.stderr, shown
    assert "internal error" not in result.stderr, shown
    assert result.returncode == case.get("exit", 1), shown
    if result.returncode:
        lines = result.stderr.splitlines()
        expected = case["error"].replace("{layout}", str((case_folder / name).resolve()))
        assert lines and lines[0] == expected, shown
        assert len(lines) > 1 and lines[1].startswith("  hint: ") and len(lines[1]) > 12, shown
    assert snapshot(root) == before, "the command changed files"
    assert elapsed < case.get("seconds", 60), elapsed


UNPRIVILEGED = sorted(n for n, c in CASES.items() if c.get("unprivileged"))


def test_an_unprivileged_run_has_our_python_and_meets_permissions(tmp_path: Path) -> None:
    """The permission cases run our interpreter, and a file's mode really stops them: were
    the capabilities not dropped, root would read the file and every case would fail
    on its message."""
    locked = tmp_path / "locked.txt"
    locked.write_text("secret", "utf-8")
    locked.chmod(0o000)
    probe = ("import sys, pipeline.cli\n"
             "try:\n    open(sys.argv[1]).read()\nexcept PermissionError as exc:\n"
             "    print(exc.strerror)\nelse:\n    print('read it')")
    done = subprocess.run([*WITHOUT_BYPASS, sys.executable, "-c", probe, str(locked)],
                          capture_output=True, text=True, cwd="/")
    assert (done.returncode, done.stdout.strip()) == (0, "Permission denied"), done.stderr
    assert len(UNPRIVILEGED) >= 6, UNPRIVILEGED


def _project_copy(folder: Path) -> Path:
    """The package, this test module and its corpus, with an interpreter of their own
    (a venv that takes the third-party packages from ours): everything the cases run
    lives under ``folder``."""
    project = folder / "project"
    shutil.copytree(REPO / "pipeline", project / "pipeline",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (project / "tests").mkdir()
    for name in ("conftest.py", "test_corpus_bad.py"):
        shutil.copy2(REPO / "tests" / name, project / "tests" / name)
    shutil.copytree(CORPUS, project / "tests/corpus/bad", symlinks=True)
    shutil.copy2(REPO / "pyproject.toml", project / "pyproject.toml")
    venv = project / ".venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                          capture_output=True, text=True, check=True).stdout.strip()
    ours = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    Path(site, "project.pth").write_text("\n".join([str(project), *sorted(ours)]) + "\n")
    return project


def test_the_permission_cases_pass_from_a_private_folder() -> None:
    """A checkout in a folder only its owner may enter (root's home, a mktemp -d folder):
    the permission cases, run by pytest from a copy there, pass."""
    folder = Path(tempfile.mkdtemp(prefix="pipeline-private-"))
    try:
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        project = _project_copy(folder)
        python = project / ".venv/bin/python"
        where = subprocess.run([python, "-c", "import pipeline; print(pipeline.__file__)"],
                               capture_output=True, text=True, check=True, cwd="/").stdout.strip()
        assert Path(where).is_relative_to(project), where
        tests = [f"tests/test_corpus_bad.py::test_bad_input[{name}]" for name in UNPRIVILEGED]
        tests.append("tests/test_corpus_bad.py::"
                     "test_an_unprivileged_run_has_our_python_and_meets_permissions")
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
        done = subprocess.run(
            [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--basetemp",
             str(folder / "tmp"), *tests],
            capture_output=True, text=True, cwd=project, env=env, timeout=600)
        assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
        assert f"{len(tests)} passed" in done.stdout, done.stdout[-2000:]
    finally:
        shutil.rmtree(folder)


# --- accepted inputs that a writing command normalizes ---------------------------------------

@pytest.mark.parametrize("name", ["po-bom", "po-crlf"])
def test_update_rewrites_a_bom_or_crlf_catalog_plainly(name: str, tmp_path: Path) -> None:
    """Read-only commands leave such a file alone (see the corpus); ``update`` is the command
    that writes catalogs, and writes what msgfmt accepts: no BOM, LF line ends, same entries."""
    root = build_case(name, tmp_path)
    original = (root / ES).read_bytes()
    done = run_cli(root, "update", "es")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"{ES}: updated;"), done.stdout
    written = (root / ES).read_bytes()
    assert not written.startswith(b"\xef\xbb\xbf") and b"\r" not in written
    assert written == (BASE / ES).read_bytes()
    assert original != written
    msgfmt_check(root / ES)
    again = run_cli(root, "update", "es")
    assert again.stdout.startswith(f"{ES}: unchanged;"), again.stdout


@pytest.mark.parametrize("name", ["po-bom", "po-crlf"])
def test_a_build_merges_a_bom_or_crlf_catalog_plainly(name: str, tmp_path: Path) -> None:
    """The build's update reads such a file block by block as decoded (no BOM, LF line
    ends); it once split the undecoded text too, and stopped with an internal error."""
    root = build_case(name, tmp_path)
    done = run_cli(root, "build", "--defer-a11y")
    assert done.returncode == 0, done.stderr
    assert (root / ES).read_bytes() == (BASE / ES).read_bytes()


def test_a_ten_megabyte_entry_is_read_checked_and_rendered_in_seconds(tmp_path: Path) -> None:
    """Accepted (GNU gettext accepts it too): every stage stays linear in the entry's size."""
    root = build_case("po-ten-megabyte-entry", tmp_path)
    for command, limit in (("check", 60.0), ("render", 60.0), ("update", 60.0)):
        started = time.monotonic()
        done = run_cli(root, command, "es")
        elapsed = time.monotonic() - started
        assert done.returncode == 0, done.stderr[-500:]
        assert elapsed < limit, (command, elapsed)
    page = (root / "output/build/es/dry-eye.html").read_text("utf-8")
    assert page.count("Las gotas para los ojos pueden ayudar.") == 256_000
    msgfmt_check(root / ES)
