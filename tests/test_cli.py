"""The command line around the catalog commands: --root, python -m, configuration errors.

In-process through the console entry point (conftest's ``invoke_cli``), except where the
process itself is the subject: ``python -m`` and the console script, the traceback the
interpreter prints under ``--debug``, and ``serve`` stopped by Ctrl-C.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import REPO, invoke_cli, run_cli, run_cli_process

from pipeline.cli import cli
from pipeline.config import load_config

MakeRoot = Callable[[str], Path]


def run_in(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return invoke_cli(*args, cwd=cwd)


def test_root_option_works_from_another_directory(make_root: MakeRoot, tmp_path: Path) -> None:
    root = make_root("translated")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    absolute = run_in(elsewhere, "--root", str(root), "status")
    assert absolute.returncode == 0, absolute.stderr
    assert absolute.stdout.splitlines()[2].split()[:2] == ["es", "13"]
    relative = run_in(root.parent, "--root", root.name, "extract")
    assert relative.returncode == 0, relative.stderr
    assert relative.stdout.startswith("locales/messages.pot: unchanged")
    assert not (elsewhere / "locales").exists()


def test_default_root_is_the_current_directory(make_root: MakeRoot) -> None:
    root = make_root("translated")
    result = run_in(root, "status", "--json")
    assert result.returncode == 0, result.stderr
    assert '"language": "ar"' in result.stdout


def test_python_dash_m_and_the_console_script(tmp_path: Path) -> None:
    version = subprocess.run([sys.executable, "-m", "pipeline", "--version"], cwd=tmp_path,
                             capture_output=True, text=True, timeout=300)
    assert version.returncode == 0
    assert version.stdout.startswith("pipeline, version ")
    script = Path(sys.executable).parent / "pipeline"
    helped = subprocess.run([str(script), "--help"], capture_output=True, text=True)
    assert helped.returncode == 0
    for command in ("extract", "init", "update", "compile", "status"):
        assert f"  {command}" in helped.stdout


def test_the_command_ends_with_its_status_and_all_its_output(tmp_path: Path) -> None:
    # ``run`` ends the process without the interpreter's teardown: what ``main`` printed
    # (more than a pipe holds) must still all arrive, and its status be the process's.
    script = tmp_path / "big.py"
    script.write_text(
        "import sys\n"
        "import pipeline.cli as cli\n"
        "def main():\n"
        "    print('x' * 1_000_000)\n"
        "    sys.stderr.write('pipeline: done')\n"
        "    return 3\n"
        "cli.main = main\n"
        "cli.run()\n", encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          cwd=REPO, timeout=300)
    assert done.returncode == 3
    assert done.stdout == "x" * 1_000_000 + "\n"
    assert done.stderr == "pipeline: done"
    usage = subprocess.run([sys.executable, "-m", "pipeline", "no-such-command"],
                           cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert usage.returncode == 2
    assert usage.stderr.startswith("pipeline: No such command")


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    result = run_in(tmp_path, "no-such-command")
    assert result.returncode == 2
    assert result.stderr == ("pipeline: No such command 'no-such-command'.\n"
                             "  hint: run 'pipeline --help' to see what it accepts\n")


def test_no_configuration(tmp_path: Path) -> None:
    result = run_in(tmp_path, "extract")
    assert result.returncode == 1
    assert "no pipeline configuration" in result.stderr
    assert "hint:" in result.stderr


PYPROJECT = """\
[project]
name = "site"
version = "1.0"

[tool.pipeline]
source_language = "en"
languages = ["es", "ar"]
site_title = "Site"
{extra}
[tool.pipeline.gate]
completeness = 90
{gate}
"""


@pytest.mark.parametrize(("extra", "gate", "expected"), [
    ('version = "2"\n', "", "pyproject.toml:9: tool.pipeline.version: unknown key"),
    ("languages_ = 1\n", "", "pyproject.toml:9: tool.pipeline.languages_: unknown key"),
    ("output = 5\n", "",
     "pyproject.toml:9: tool.pipeline.output: expected a string, got an integer"),
    ("", "qa = \"yes\"\n",
     "pyproject.toml:12: tool.pipeline.gate.qa: expected true or false, got a string"),
    ("", "colour = 1\n", "pyproject.toml:12: tool.pipeline.gate.colour: unknown key"),
    ('pages = "../elsewhere"\n', "",
     "pyproject.toml:9: tool.pipeline.pages: must be a path inside the content root"),
    ("", "keep = 120\n",
     "pyproject.toml:12: tool.pipeline.gate.keep: expected a number from 0 to 100, got 120"),
    ("", 'withdrawn = "hide"\n', "pyproject.toml:12: tool.pipeline.gate.withdrawn: "
     "expected one of 'warn', 'block', got 'hide'"),
    ('[tool.pipeline.language.es]\npublish = "no"\n', "",
     "pyproject.toml:10: tool.pipeline.language.es.publish: expected true or false, "
     "got a string"),
])
def test_configuration_errors_name_file_line_and_key(
        make_root: MakeRoot, extra: str, gate: str, expected: str) -> None:
    root = make_root("translated")
    (root / "pyproject.toml").write_text(PYPROJECT.format(extra=extra, gate=gate))
    result = run_cli(root, "status")
    assert result.returncode == 1
    assert result.stderr.startswith(expected), result.stderr
    assert "Traceback" not in result.stderr


def test_wrong_language_code_in_configuration(make_root: MakeRoot) -> None:
    root = make_root("translated")
    text = (root / "pyproject.toml").read_text().replace('"zh_Hans"]', '"zh_Hanz"]')
    (root / "pyproject.toml").write_text(text)
    result = run_cli(root, "status")
    assert result.returncode == 1
    assert result.stderr.startswith("pyproject.toml:4: tool.pipeline.languages: unknown locale")


def test_invalid_toml(make_root: MakeRoot) -> None:
    root = make_root("translated")
    (root / "pyproject.toml").write_text("[tool.pipeline]\nlanguages = [\"es\"\nx = 1\n")
    result = run_cli(root, "status")
    assert result.returncode == 1
    assert result.stderr.startswith("pyproject.toml:3: not valid TOML")


def test_pipeline_toml_alone(make_root: MakeRoot) -> None:
    root = make_root("translated")
    text = (root / "pyproject.toml").read_text().replace("[tool.pipeline]\n", "")
    (root / "pyproject.toml").unlink()
    (root / "pipeline.toml").write_text(text)
    assert run_cli(root, "status").returncode == 0
    (root / "pipeline.toml").write_text(text + "colour = 1\n")
    result = run_cli(root, "status")
    assert result.returncode == 1
    line = len(text.splitlines()) + 1
    assert result.stderr.startswith(f"pipeline.toml:{line}: colour: unknown key"), result.stderr


def test_both_configuration_files_is_an_error(make_root: MakeRoot) -> None:
    root = make_root("translated")
    (root / "pipeline.toml").write_text('languages = ["es"]\n')
    result = run_cli(root, "status")
    assert result.returncode == 1
    assert "pyproject.toml [tool.pipeline]" in result.stderr
    assert "pipeline.toml" in result.stderr.replace("pyproject.toml", "")
    assert "hint:" in result.stderr


def test_pyproject_without_a_pipeline_table_defers_to_pipeline_toml(
        make_root: MakeRoot) -> None:
    root = make_root("translated")
    text = (root / "pyproject.toml").read_text()
    (root / "pyproject.toml").write_text('[project]\nname = "x"\n')
    (root / "pipeline.toml").write_text(text.replace("[tool.pipeline]\n", ""))
    assert run_cli(root, "status").returncode == 0


def test_debug_shows_the_traceback(make_root: MakeRoot) -> None:
    root = make_root("broken-po")
    quiet = run_cli(root, "status")
    loud = run_cli_process(root, "--debug", "status")  # the interpreter prints it
    assert quiet.returncode == 1 and "Traceback" not in quiet.stderr
    assert loud.returncode != 0 and "Traceback" in loud.stderr


def test_the_shipped_repository_is_a_content_root() -> None:
    result = run_in(REPO, "status", "--json")
    assert result.returncode == 0, result.stderr


# --- errors that guess better ------------------------------------------------------------


def invoke(*args: str) -> tuple[int, str, str]:
    """``pipeline ARGS``: (exit status, stdout, stderr)."""
    done = invoke_cli(*args)
    return done.returncode, done.stdout, done.stderr


@pytest.mark.parametrize(("code", "hint"), [
    ("esp", "did you mean es?"),  # Babel alone: es, ses, sbp
    ("zh-hanz", "did you mean zh_Hans?"),
    ("spanish", "did you mean es?"),  # by the language's name
    ("arabe", "did you mean ar?"),
    ("xq", "the configured languages are en, es, ar, zh_Hans"),
])
def test_unknown_language_suggests_the_configured_ones_first(
        make_root: MakeRoot, code: str, hint: str) -> None:
    root = make_root("translated")
    status, _, err = invoke("--root", str(root), "check", code)
    assert status == 1
    assert err == f"unknown locale code {code!r}\n  hint: {hint}\n"


def test_without_a_close_configured_language_babel_suggests(make_root: MakeRoot) -> None:
    root = make_root("translated")
    status, _, err = invoke("--root", str(root), "status", "pt_BX")
    assert status == 1
    assert "hint: did you mean pt_BR" in err


def test_root_is_accepted_after_the_command(make_root: MakeRoot, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_root("translated")
    monkeypatch.chdir(tmp_path)
    status, out, err = invoke("status", "--root", str(root), "--json")
    assert status == 0, err
    assert '"language": "ar"' in out
    # Both ways at once is fine when they name the same folder (spelt differently)…
    status, out, err = invoke("--root", str(root), "status", "--root", f"{root}/.")
    assert status == 0, err
    # …and a usage error when they do not.
    status, _, err = invoke("--root", str(tmp_path), "status", "--root", str(root))
    assert status == 2
    assert err.startswith(f"pipeline status: --root is given twice, as {tmp_path} before "
                          f"the command and as {root} after it"), err
    # The case: build reads the root given after it (here one without a config).
    status, _, err = invoke("build", "--root", str(tmp_path))
    assert status == 1
    assert err.startswith(f"{tmp_path}: no pipeline configuration"), err


def test_every_command_takes_root_after_its_name() -> None:
    for name, command in cli.commands.items():
        assert any("--root" in p.opts for p in command.params), name
        status, out, _ = invoke(name, "--help")
        assert status == 0 and "--root DIRECTORY" in out, name


@pytest.mark.parametrize(("config", "expected"), [
    ('languges = ["es"]\n',
     "pipeline.toml:1: languges: unknown key\n  hint: did you mean 'languages'? known keys"),
    ('site-title = "x"\n',
     "pipeline.toml:1: site-title: unknown key\n  hint: did you mean 'site_title'?"),
    ('languages = ["es"]\n[gate]\nQA = true\n',
     "pipeline.toml:3: gate.QA: unknown key\n  hint: did you mean 'qa'?"),
    ('languages = ["es"]\n[gate]\nblocking = true\n',
     "pipeline.toml:3: gate.blocking: unknown key\n  hint: known keys here: a11y, "
     "completeness, keep, qa, readability, withdrawn\n"),
    # The README's old pseudo-locale snippet, pasted into pipeline.toml:
    ('# site\n[tool.pipeline]\nlanguages = ["es", "en_XA"]\n',
     "pipeline.toml:2: tool: unknown key\n  hint: in pipeline.toml the keys go at the top "
     "level: delete the [tool.pipeline] line (that table is pyproject.toml's form) and write "
     "[tool.pipeline.gate] as [gate], [tool.pipeline.language.es] as [language.es]\n"),
])
def test_unknown_key_hints(tmp_path: Path, config: str, expected: str) -> None:
    (tmp_path / "pipeline.toml").write_text(config, encoding="utf-8")
    status, _, err = invoke("--root", str(tmp_path), "status")
    assert status == 1
    assert err.startswith(expected), err


def test_pyproject_form_of_the_pseudo_locale_snippet_is_accepted(tmp_path: Path) -> None:
    snippet = 'languages = ["es", "fr", "ar", "zh_Hans", "en_XA", "ar_XB"]\n'
    (tmp_path / "pipeline.toml").write_text(snippet, encoding="utf-8")
    top_level = load_config(tmp_path).languages
    (tmp_path / "pipeline.toml").unlink()
    (tmp_path / "pyproject.toml").write_text("[tool.pipeline]\n" + snippet, encoding="utf-8")
    assert load_config(tmp_path).languages == top_level
    assert [lang.code for lang in top_level][-2:] == ["en_XA", "ar_XB"]


# --- the preview server -----------------------------------------------------------------


def test_serve_without_a_site_says_what_to_run(make_root: MakeRoot) -> None:
    root = make_root("translated")
    status, out, err = invoke("--root", str(root), "serve", "--port", "0")
    assert status == 1 and out == ""
    assert err == ("output/site: nothing to serve: not a folder\n"
                   "  hint: run 'pipeline build' (or 'make') first\n")


def test_serve_shows_the_site_and_the_reports_until_stopped(make_root: MakeRoot) -> None:
    """A real process: the URLs it prints answer, and Ctrl-C (SIGINT) ends it cleanly."""
    root = make_root("translated")
    for folder, name, text in (("site-1", "index.html", "<!DOCTYPE html><title>site</title>"),
                               ("reports", "a11y.html", "<!DOCTYPE html><title>a11y</title>")):
        (root / "output" / folder).mkdir(parents=True)
        (root / "output" / folder / name).write_text(text, encoding="utf-8")
    (root / "output" / "site").symlink_to("site-1")
    server = subprocess.Popen([sys.executable, "-m", "pipeline", "--root", str(root), "serve",
                               "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
    try:
        assert server.stdout is not None
        site_line, reports_line = server.stdout.readline(), server.stdout.readline()
        assert site_line.startswith("site:    http://127.0.0.1:")
        assert site_line.endswith(" (output/site)\n")
        site_url = site_line.split()[1]
        reports_url = reports_line.split()[2].rstrip(",")
        with urllib.request.urlopen(site_url, timeout=10) as page:
            assert b"<title>site</title>" in page.read()
        with urllib.request.urlopen(reports_url, timeout=10) as page:
            assert b"<title>a11y</title>" in page.read()
    finally:
        server.send_signal(signal.SIGINT)
        try:
            # A bound on a hang, not a timing: a loaded machine may take seconds.
            _, err = server.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()  # never left behind for the tests after (a stray child fails
            server.communicate()  # test_workload's "no child left behind")
            raise
    assert server.returncode == 0, err
    assert err.splitlines()[-1] == "pipeline serve: stopped"
