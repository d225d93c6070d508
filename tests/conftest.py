"""Shared test helpers: real tools, fixture roots, and 'a skip is a failure' under CI."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest
from click.testing import CliRunner

from pipeline.cli import main

REPO = Path(__file__).resolve().parent.parent
ROOTS = Path(__file__).resolve().parent / "roots"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """With CI=true a skipped test is a failure: a tool that is missing must be installed."""
    if os.environ.get("CI", "").lower() not in ("1", "true", "yes"):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if skipped:
        print(f"\nCI=true: {skipped} skipped test(s) count as failures", file=sys.stderr)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def require_tool(name: str) -> str:
    """The path of a real tool; the test fails (never skips) when it is missing."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed; 'make test' installs it")
    return path


@pytest.fixture
def make_root(tmp_path: Path) -> Iterator[object]:
    """Copy a fixture root from tests/roots/<name> into a temp dir and return its path."""

    def copy(name: str) -> Path:
        target = tmp_path / name
        shutil.copytree(ROOTS / name, target, symlinks=True)
        return target

    yield copy


# The suite sends SIGINT to processes it starts (Ctrl-C of serve, a stopped build). A
# suite started as a background job, or under a wrapper that ignores SIGINT, passes the
# ignoring on to every child, which then rightly keeps ignoring it ("a signal ignored
# when the run began stays so"): with Python's own handler here instead, children start
# with the default, as from a terminal.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


SHIPPED_CONFIG = "pipeline.toml"


def copy_shipped(root: Path) -> Path:
    """A copy of the shipped content project (config, pages, templates, catalogs)."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / SHIPPED_CONFIG, root / SHIPPED_CONFIG)
    shutil.copytree(REPO / "source", root / "source")
    shutil.copytree(REPO / "locales", root / "locales", ignore=shutil.ignore_patterns("*.mo"))
    return root


def run_cli(root: Path, *args: str, env: Mapping[str, str | None] | None = None,
            check: bool = False) -> subprocess.CompletedProcess[str]:
    """``pipeline --root ROOT ARGS``, in this process (``invoke_cli``)."""
    return invoke_cli("--root", str(root), *args, env=env, check=check)


def invoke_cli(*args: str, env: Mapping[str, str | None] | None = None,
               cwd: Path | None = None, check: bool = False
               ) -> subprocess.CompletedProcess[str]:
    """``pipeline ARGS`` in this process, through the console entry point (``main``: its
    messages, hints and exit statuses), stdout and stderr captured apart by Click's
    CliRunner. ``env`` is set (None: unset) for the call only, and the environment is as
    it was afterwards. An exception that escapes ``main`` (``--debug``) fails the test
    with its traceback. A test about the process itself (a kill, a signal, a traceback
    printed by the interpreter, the environment read at start-up) uses
    ``run_cli_process``."""
    assert not env or "PIPELINE_FAULT" not in env, "a fault point kills the process: " \
        "use run_cli_process"
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    environ = dict(os.environ)
    try:
        with contextlib.ExitStack() as stack:
            if cwd is not None:
                stack.enter_context(contextlib.chdir(cwd))
            out, err, _ = stack.enter_context(CliRunner().isolation(env=env))
            status = main(list(args))
            sys.stdout.flush()
            sys.stderr.flush()
            result = subprocess.CompletedProcess(["pipeline", *args], status,
                                                 out.getvalue().decode(), err.getvalue().decode())
    finally:
        # What a run sets for its own children (NLTK_DATA) leaves with it, as a process's would.
        for key in os.environ.keys() - environ.keys():
            del os.environ[key]
        os.environ.update(environ)
    for sig, handler in handlers.items():
        assert signal.getsignal(sig) is handler, f"the command left its {sig.name} handler"
    return _checked(result, check)


def run_cli_process(root: Path, *args: str, env: dict[str, str] | None = None,
                    check: bool = False) -> subprocess.CompletedProcess[str]:
    """Run the real console entry point in a process of its own, as a user would."""
    full_env = {**os.environ, **(env or {})}
    result = subprocess.run(
        [sys.executable, "-m", "pipeline", "--root", str(root), *args],
        capture_output=True, text=True, env=full_env, timeout=900,
    )
    return _checked(result, check)


def _checked(result: subprocess.CompletedProcess[str], check: bool
             ) -> subprocess.CompletedProcess[str]:
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, result.args))} failed:\n{result.stdout}\n"
                             f"{result.stderr}")
    return result


def msgfmt_check(path: Path) -> None:
    """Real ``msgfmt --check``: exit 0 and no warnings."""
    msgfmt = require_tool("msgfmt")
    result = subprocess.run([msgfmt, "--check", "-o", os.devnull, str(path)],
                            capture_output=True, text=True)
    assert result.returncode == 0 and not result.stderr.strip(), (
        f"msgfmt --check {path}:\n{result.stderr}"
    )


@contextlib.contextmanager
def lock_held_elsewhere(root: Path) -> Iterator[int]:
    """Another process holding the root's lock (as a running build would)."""
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from pathlib import Path; from pipeline.infra.lock import root_lock\n"
         "with root_lock(Path(sys.argv[1]), 'output/.lock'):\n"
         "    print('locked', flush=True); time.sleep(60)", str(root / "output")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        yield holder.pid
    finally:
        holder.kill()
        holder.wait()


class _Hrefs(HTMLParser):
    """Every address an HTML file points at: href of <a>/<link>, src of <img>/<script>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = {"a": "href", "link": "href", "img": "src", "script": "src"}.get(tag)
        self.found += [value for name, value in attrs if name == wanted and value]


def dead_internal_links(site: Path, base_url: str, external: Sequence[str] = ()
                        ) -> list[str]:
    """Crawl ``site``: every same-origin address in its HTML that is no file, as
    "page: address". Root-relative paths the wider site serves (``external``, a trailing
    "*" taking every path under it) are left out, as the pipeline keeps them."""
    base = urlsplit(base_url)
    dead = []
    for page in sorted(site.rglob("*.html")):
        rel = page.relative_to(site).as_posix()
        parser = _Hrefs()
        parser.feed(page.read_text(encoding="utf-8"))
        for href in parser.found:
            url = urlsplit(urljoin(base_url + rel, href))
            if (url.scheme, url.netloc) != (base.scheme, base.netloc):
                continue  # another site, mailto:, tel:
            path = unquote(url.path)
            if any(path.startswith(e[:-1]) if e.endswith("*") else
                   path.rstrip("/") == e.rstrip("/") for e in external):
                continue
            inside = path.removeprefix(base.path) if path.startswith(base.path) else None
            target = None if inside is None else site / (inside or "index.html")
            if target is not None and target.is_dir():
                target = target / "index.html"
            if target is None or not target.is_file():
                dead.append(f"{rel}: {href}")
    return dead
