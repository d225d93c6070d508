"""The tools behind the accessibility check: pa11y-ci, Chromium and axe-core's rules.

Finds pa11y-ci and Chromium (the config, then the environment, then the defaults),
writes pa11y-ci's config (standard, runners axe and htmlcs, the launch flags of
``../shared/notes/pa11y.md``), runs ``pa11y-ci --json`` in its own process group under
a time limit and stops it with its browsers when the run is stopped or dies, and
checks its report URL by URL. Anything that keeps a page from being checked raises
``PipelineError``: the gate fails closed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from pipeline.config import Config
from pipeline.errors import PipelineError, Stopped
from pipeline.infra.fsutil import write_text_atomic
from pipeline.infra.procs import die_with_parent, stop_marked
from pipeline.infra.server import StaticServer
from pipeline.infra.workload import cpus
from pipeline.models import Location
from pipeline.stages.a11y.targets import Target

RUNNERS = ("axe", "htmlcs")
DEFAULT_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = (
    "--no-sandbox",  # required as root; pa11y-ci exits 1 without it
    "--disable-dev-shm-usage",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
# axe best-practice rules carry no WCAG tag; these report the same defect as an htmlcs
# WCAG check on the same element, so they share its criterion for grouping.
AXE_EXTRA_CRITERIA: Mapping[str, tuple[str, ...]] = {
    "heading-order": ("1.3.1",),
    "empty-heading": ("1.3.1",),
}
_AXE_TAG = re.compile(r"^wcag(\d)(\d)(\d+)$")


# --- finding the tools -----------------------------------------------------------------

def find_pa11y_ci(config: Config) -> Path:
    """``$PIPELINE_PA11Y_CI``, else node_modules/.bin/pa11y-ci in the content root or
    beside the pipeline package, else ``pa11y-ci`` on PATH."""
    env = os.environ.get("PIPELINE_PA11Y_CI")
    candidates = [Path(env)] if env else [
        config.root / "node_modules/.bin/pa11y-ci",
        Path(__file__).resolve().parents[3] / "node_modules/.bin/pa11y-ci",
    ]
    if not env and (on_path := shutil.which("pa11y-ci")):
        candidates.append(Path(on_path))
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    where = f"$PIPELINE_PA11Y_CI={env}" if env else "node_modules/.bin/pa11y-ci"
    raise PipelineError(
        f"pa11y-ci is not installed ({where} not found); nothing was checked",
        hint="run 'make install' (npm ci with PUPPETEER_SKIP_DOWNLOAD=1) in the project",
    )


def find_chromium(config: Config) -> tuple[str, str]:
    """(path, where the setting came from): the config's ``[tool.pipeline.a11y] chromium``,
    then ``$PIPELINE_CHROMIUM``, ``$CHROME_PATH``, then Debian's /usr/bin/chromium."""
    for value, origin in (
        (config.a11y.chromium, f"{config.file}: a11y.chromium"),
        (os.environ.get("PIPELINE_CHROMIUM", ""), "$PIPELINE_CHROMIUM"),
        (os.environ.get("CHROME_PATH", ""), "$CHROME_PATH"),
        (DEFAULT_CHROMIUM, "the default path"),
    ):
        if not value:
            continue
        path = value if os.sep in value else (shutil.which(value) or value)
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            raise PipelineError(
                f"Chromium not found at {value} (from {origin}); nothing was checked",
                hint="install it (apt-get install -y chromium) or point "
                "[tool.pipeline.a11y] chromium / $PIPELINE_CHROMIUM at the browser",
            )
        return path, origin
    raise AssertionError("unreachable")


def package_dir(bin_path: Path) -> Path:
    """The npm package a ``node_modules/.bin`` entry (or its target) belongs to."""
    return bin_path.resolve().parent.parent


def package_version(bin_path: Path) -> str:
    package = package_dir(bin_path) / "package.json"
    with contextlib.suppress(OSError, ValueError):
        return str(json.loads(package.read_text(encoding="utf-8"))["version"])
    return "unknown"


_RULES_JS = r"""
const base = process.argv[1];
const pa11y = require.resolve('pa11y/package.json', {paths: [base]});
const axe = require(require.resolve('axe-core', {paths: [pa11y]}));
let htmlcs = 'unknown';
try {
  const sniffer = '@pa11y/html_codesniffer/package.json';
  htmlcs = require(require.resolve(sniffer, {paths: [pa11y]})).version;
} catch (e) {}
const rules = {};
for (const r of axe.getRules()) rules[r.ruleId] = r.tags;
console.log(JSON.stringify({axe: axe.version, htmlcs, rules}));
"""


@lru_cache(maxsize=4)
def axe_rules(pa11y_ci: Path, cache: Path | None = None
              ) -> tuple[Mapping[str, tuple[str, ...]], Mapping[str, str]]:
    """(axe rule id → WCAG success criteria, runner versions), asked of the installed axe;
    with ``cache`` (a folder), kept there for the installed packages as npm recorded them
    (node_modules/.package-lock.json): asking node took 0.08-0.17 s of every run, after
    pa11y-ci's. No such record (a global pa11y-ci): node is asked every time."""
    key = _packages_key(pa11y_ci)
    kept = None if cache is None or key is None else cache / AXE_RULES_FILE
    if kept is not None:
        with contextlib.suppress(OSError, ValueError, KeyError, TypeError, AttributeError):
            data = json.loads(kept.read_text(encoding="utf-8"))
            if data["key"] == key:
                return _rules_of(data)
    data = _ask_axe(pa11y_ci)
    if kept is not None:
        with contextlib.suppress(OSError, PipelineError):  # unwritable: only slower
            kept.parent.mkdir(parents=True, exist_ok=True)
            write_text_atomic(kept, json.dumps({**data, "key": key}, sort_keys=True) + "\n",
                              str(kept))
    return _rules_of(data)


AXE_RULES_FILE = "axe-rules.json"


def _packages_key(pa11y_ci: Path) -> str | None:
    """A digest of what npm installed beside pa11y-ci (and of the question asked), or None
    when npm kept no record of it."""
    package = package_dir(pa11y_ci)
    try:
        installed = (package.parent / ".package-lock.json").read_bytes()
    except OSError:
        return None
    digest = hashlib.sha256(installed)
    digest.update(str(package).encode())
    digest.update(_RULES_JS.encode())
    return digest.hexdigest()


def _rules_of(data: Mapping[str, Any]
              ) -> tuple[Mapping[str, tuple[str, ...]], Mapping[str, str]]:
    rules: dict[str, tuple[str, ...]] = {}
    for rule, tags in data["rules"].items():
        criteria = [".".join(m.groups()) for t in tags if (m := _AXE_TAG.match(t))]
        rules[rule] = tuple(criteria) or AXE_EXTRA_CRITERIA.get(rule, ())
    return rules, {"axe": str(data["axe"]), "htmlcs": str(data["htmlcs"])}


def _ask_axe(pa11y_ci: Path) -> dict[str, Any]:
    """What ``_RULES_JS`` prints: axe's version, htmlcs's and every rule's tags."""
    node = shutil.which("node")
    if node is None:
        raise PipelineError("node is not installed; pa11y-ci cannot run",
                            hint="install Node.js 20 (make install does)")
    try:
        done = subprocess.run([node, "-e", _RULES_JS, str(package_dir(pa11y_ci))],
                              capture_output=True,
                              text=True, timeout=60, stdin=subprocess.DEVNULL)
        data = json.loads(done.stdout)
    except (subprocess.TimeoutExpired, ValueError) as exc:
        raise PipelineError(f"cannot read axe-core's rules next to {pa11y_ci}: {exc}",
                            hint="reinstall with 'make install'") from exc
    if done.returncode != 0:
        raise PipelineError(f"cannot read axe-core's rules: {done.stderr.strip()[-300:]}",
                            hint="reinstall with 'make install'")
    return {"axe": data["axe"], "htmlcs": data["htmlcs"], "rules": data["rules"]}


# A page keeps Chromium waiting far more than working: pa11y waits for the page's network
# to be quiet for half a second, then runs axe and htmlcs. The shipped site's 24
# documents on 2 CPUs took 18.5 / 11.8 / 9.4 / 8.7 s at 2 / 4 / 8 / 16 pages at once,
# 5-6.6 s of CPU each time; on one CPU 35.8 s at 1, 14.4 s at 4. The same findings.
PAGES_PER_CPU = 4
MOST_PAGES = 8  # each open page costs Chromium memory (+70 MB of PSS from 2 to 8 here)


def default_concurrency() -> int:
    """Pages checked at once when neither the config nor the command line says: four per
    CPU this process may use, at most 8."""
    return max(1, min(PAGES_PER_CPU * cpus(), MOST_PAGES))


# --- pa11y-ci --------------------------------------------------------------------------

def pa11y_config(urls: Sequence[str], *, standard: str, chromium: str, timeout_s: int,
                 concurrency: int) -> dict[str, Any]:
    """The pa11y-ci JSON config (see ../shared/notes/pa11y.md for why each key)."""
    return {
        "defaults": {
            "standard": standard,
            "runners": list(RUNNERS),
            "timeout": timeout_s * 1000,
            "concurrency": concurrency,
            "useIncognitoBrowserContext": False,  # true breaks concurrency > 1
            "includeWarnings": True,
            "includeNotices": True,
            # pipe: DevTools over pa11y-ci's pipes, not a socket: Chromium exits when they
            # close, so a pa11y-ci that is killed takes its browser with it.
            "chromeLaunchConfig": {"executablePath": chromium, "args": list(CHROMIUM_ARGS),
                                   "pipe": True},
        },
        "urls": [{"url": url} for url in urls],
    }


RUN_TOKEN_ENV = "PIPELINE_A11Y_RUN"


def _stop(process: subprocess.Popen[str], token: str) -> None:
    """Stop pa11y-ci, its process group, and every Chromium it started.

    Puppeteer starts Chromium *detached* (a session of its own), so killing pa11y-ci's
    group is not enough when it dies mid-launch: the browser processes carry this
    run's unique token in their environment, and are found and stopped by it, with
    the helpers in their sessions.
    """
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=3)
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    stop_marked(RUN_TOKEN_ENV, token)


# Chromium puts its singleton socket at $TMPDIR/org.chromium.Chromium.XXXXXX/SingletonSocket,
# which must fit a socket address (108 bytes): with a $TMPDIR longer than this it exits
# at once ("Socket path too long", measured with Chromium 156).
CHROMIUM_TMPDIR_MAX = 62


def scratch_dir() -> Path:
    """A new folder for one pa11y-ci run's temporary files, short enough for Chromium:
    in the user's temp folder, or in /tmp when that one's path is too long."""
    for base in (tempfile.gettempdir(), "/tmp"):
        if len(base) + len("/pa11y-12345678") <= CHROMIUM_TMPDIR_MAX and os.access(base, os.W_OK):
            return Path(tempfile.mkdtemp(prefix="pa11y-", dir=base))
    return Path(tempfile.mkdtemp(prefix="pa11y-"))  # Chromium's error will say why


def run_pa11y_ci(pa11y_ci: Path, config_file: Path, run_timeout: float, chromium: str,
                 display: str, marker: Mapping[str, str],
                 started: Callable[[], None] | None = None) -> dict[str, Any]:
    """Run ``pa11y-ci --json --config FILE`` and return its parsed report, or raise.

    Its output goes to files, not pipes: pa11y-ci calls ``process.exit`` right after
    printing, and Node cuts a pipe's output off at 64 KiB (a file is written in full).
    ``marker``: the environment entry by which the next run on the root finds what this
    one left running if it is killed (``pipeline.infra.lock.child_marker``). The kernel kills
    pa11y-ci when this process dies, even by SIGKILL (SIGTERM would not do: Puppeteer
    catches it, closes the browser and may leave pa11y-ci waiting forever), and the
    browser, which pa11y-ci drives through a pipe, exits when the pipe closes.
    ``started``: called once pa11y-ci runs, before waiting for it.
    """
    token = uuid.uuid4().hex
    # Puppeteer's profile (puppeteer_dev_chrome_profile-*) and Chromium's own temp folders
    # (org.chromium.Chromium.*) go to $TMPDIR and stay there when a browser is stopped
    # mid-run: a folder of this run's own, removed when it ends however it ends, keeps
    # /tmp clean.
    scratch = scratch_dir()
    env = {**os.environ, "PUPPETEER_SKIP_DOWNLOAD": "1", "PUPPETEER_SKIP_CHROMIUM_DOWNLOAD": "1",
           "TMPDIR": str(scratch), RUN_TOKEN_ENV: token, **marker}
    try:
        stdout, stderr, returncode = _run(pa11y_ci, config_file, run_timeout, env, token,
                                          started)
        # Puppeteer drops the browser's own output: Chromium, started alone as pa11y-ci
        # starts it, says why it did not start.
        said = chromium_says(chromium, env) if returncode not in (0, 2) \
            and _browser_failed(stderr) else None
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return _report(stdout, stderr, returncode, chromium, display, said)


def _browser_failed(stderr: str) -> bool:
    """Whether pa11y-ci's error output says its browser did not start or died."""
    return "launch the browser" in stderr or ("Browser" in stderr and "closed" in stderr) \
        or "Target closed" in stderr


def chromium_says(chromium: str, env: Mapping[str, str]) -> str:
    """What Chromium, started with pa11y-ci's arguments on a blank page, says when it
    fails: its FATAL line, else its last line and exit status; or that it ran."""
    try:
        done = subprocess.run([chromium, "--headless=new", *CHROMIUM_ARGS, "--dump-dom",
                               "about:blank"],
                              capture_output=True, text=True, errors="replace", env=env,
                              stdin=subprocess.DEVNULL, timeout=30, start_new_session=True)
    except subprocess.TimeoutExpired:
        return "it did not open a blank page within 30 s"
    except OSError as exc:
        return f"it cannot be run ({exc.strerror or exc})"
    if done.returncode == 0:
        return "it opens a blank page (the failure is pa11y-ci's or Puppeteer's)"
    lines = [line.strip() for line in done.stderr.splitlines() if line.strip()]
    fatal = [line for line in lines if ":FATAL:" in line]
    said = fatal[0].split("] ", 1)[-1] if fatal else (lines[-1] if lines else "")
    status = (f"killed by {signal.Signals(-done.returncode).name}" if done.returncode < 0
              else f"exit {done.returncode}")
    return f"{said} ({status})" if said else f"{status}, with no message"


def _run(pa11y_ci: Path, config_file: Path, run_timeout: float, env: Mapping[str, str],
         token: str, started: Callable[[], None] | None) -> tuple[str, str, int]:
    """pa11y-ci run to its end, or stopped with its browsers: (stdout, stderr, exit status)."""
    out_file = config_file.with_name("pa11y-ci.out.json")
    err_file = config_file.with_name("pa11y-ci.err.txt")
    with open(out_file, "w+", encoding="utf-8") as out, \
            open(err_file, "w+", encoding="utf-8") as err:
        try:
            process = subprocess.Popen(
                [str(pa11y_ci), "--json", "--config", str(config_file)],
                stdout=out, stderr=err, stdin=subprocess.DEVNULL, text=True, env=env,
                cwd=config_file.parent, start_new_session=True,
                preexec_fn=die_with_parent(signal.SIGKILL),
            )
        except OSError as exc:
            raise PipelineError(f"cannot start pa11y-ci ({pa11y_ci}): {exc.strerror or exc}",
                                hint="reinstall with 'make install'") from exc
        try:
            if started is not None:
                started()
            process.wait(timeout=run_timeout)
        except subprocess.TimeoutExpired as exc:
            _stop(process, token)
            raise PipelineError(
                f"pa11y-ci did not finish within {run_timeout:g} s and was stopped; "
                "nothing was checked",
                hint="raise [tool.pipeline.a11y] run_timeout, check fewer pages per run, "
                "or raise concurrency",
            ) from exc
        except BaseException as exc:  # Stopped by SIGTERM or SIGINT, or a bug
            _stop(process, token)
            if isinstance(exc, Stopped):
                exc.stopped.append("pa11y-ci and its browsers")
            raise
        _stop(process, token)  # a browser a crashed pa11y-ci left behind
        out.seek(0)
        err.seek(0)
        return out.read(), err.read(), process.returncode


def _headline(stderr: str) -> str:
    """The error Node printed (``TargetCloseError: …``), not its stack."""
    for line in stderr.splitlines():
        if re.match(r"\s*(\w+Error|Error)\b.*:", line):
            return line.strip()
    return "no error message"


def _report(stdout: str, stderr: str, returncode: int, chromium: str,
            display: str, chromium_said: str | None) -> dict[str, Any]:
    """pa11y-ci's output → its parsed report, or a PipelineError saying what went wrong;
    ``chromium_said``: ``chromium_says`` when pa11y-ci's browser did not start."""
    tail = "\n".join(stderr.strip().splitlines()[-6:])
    if returncode < 0:  # killed by a signal: a crash, the OOM killer, a kill -9
        raise PipelineError(
            f"pa11y-ci crashed (killed by {signal.Signals(-returncode).name}) before "
            "it reported; nothing was checked", Location(display),
            "run the command again; if it keeps crashing, run pa11y-ci by hand with this "
            "config file to see why (memory: lower [tool.pipeline.a11y] concurrency)",
        )
    if returncode not in (0, 2):
        if chromium_said is not None:
            raise PipelineError(
                f"Chromium did not start ({chromium}); pa11y-ci exited {returncode} "
                f"({_headline(stderr)}); Chromium, started alone, says: {chromium_said}",
                hint="check the Chromium path ([tool.pipeline.a11y] chromium, "
                "$PIPELINE_CHROMIUM, $CHROME_PATH) and that it runs headless",
            )
        raise PipelineError(f"pa11y-ci failed (exit {returncode}): {tail or stdout[:300]}",
                            Location(display), "run it by hand with this config to see why")
    text = stdout.strip()
    if not text:
        raise PipelineError(f"pa11y-ci printed no report (exit {returncode}): {tail}",
                            Location(display))
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise PipelineError(f"pa11y-ci's output is not JSON ({exc}): {text[:120]!r}…",
                            Location(display)) from exc
    if not isinstance(data, dict) or not isinstance(data.get("results"), dict):
        raise PipelineError("pa11y-ci's report has no 'results' table", Location(display))
    return data


# --- its report ------------------------------------------------------------------------

def results_by_page(report: Mapping[str, Any], targets: Sequence[Target],
                    urls: Mapping[str, str], servers: Mapping[str, StaticServer],
                    ) -> dict[str, list[Mapping[str, Any]]]:
    """pa11y-ci's issues per page, once every URL came back, loaded, was served 200 and
    has well-formed issues."""
    results: Mapping[str, Any] = report["results"]
    unknown = set(results) - set(urls.values())
    if unknown:
        raise PipelineError(f"pa11y-ci reported a URL it was not given: {sorted(unknown)[0]}")
    out: dict[str, list[Mapping[str, Any]]] = {}
    for target in targets:
        url = urls[target.page]
        where = Location(target.page)
        if url not in results:
            raise PipelineError("pa11y-ci returned no result for this page; it was not "
                                "checked", where, "run again; if it persists, report it")
        items = results[url]
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise PipelineError("pa11y-ci's result for this page is not a list of issues",
                                where)
        failed = [i for i in items if "code" not in i]
        if failed:
            raise PipelineError(
                f"the page did not load in Chromium: {failed[0].get('message', '?')}; it was "
                "not checked", where,
                "open the page in a browser; if Chromium crashed ('Connection closed', 'Target "
                "closed') run again; if the page is slow raise [tool.pipeline.a11y] timeout",
            )
        served = servers[target.folder].statuses(target.rel)
        bad = [s for s in served if s.status != 200]
        if bad:
            raise PipelineError(
                f"the page was served {bad[0].status} ({bad[0].reason}), not the page; "
                "it was not checked", where, "the server refuses paths that lead outside "
                "output/build and output/reports (a symlink, ..): render real files",
            )
        if not served:
            raise PipelineError("Chromium never asked the server for this page; it was not "
                                "checked", where)
        out[target.page] = items
    return out

