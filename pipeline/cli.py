"""Command line: parses arguments, calls a stage, prints its result. Nothing else.

Exit status: 0 success, 1 findings that fail a gate or an error in the input,
2 a usage error. No traceback reaches the user unless ``--debug``.
"""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, ParamSpec, Protocol, TypeVar

import click
from rich.console import Console

from pipeline import __version__
from pipeline.build import (
    a11y_report_paths,
    check_a11y,
    check_shard,
    extract_step,
    update_step,
    write_qa_report,
    write_readability_reports,
)
from pipeline.build import build as run_build
from pipeline.build import gate as run_gate
from pipeline.config import load_config
from pipeline.errors import PipelineError, Stopped, UsageError, format_message
from pipeline.infra.fsutil import ChangedMeanwhile, repository_prefix, write_text_atomic
from pipeline.infra.lock import root_lock
from pipeline.infra.server import StaticServer
from pipeline.models.a11y import Shard
from pipeline.reporters.a11y_json import a11y_document
from pipeline.reporters.a11y_text import a11y_text
from pipeline.reporters.annotations import gate_annotations
from pipeline.reporters.build_text import build_summary
from pipeline.reporters.json import dumps, qa_document
from pipeline.reporters.junit import a11y_junit
from pipeline.reporters.readability_html import render_html
from pipeline.reporters.readability_json import json_pieces
from pipeline.reporters.readability_text import advice_summary, hardest_text, summary_table
from pipeline.reporters.terminal import finding_text, table
from pipeline.stages.check import error_codes, run_checks
from pipeline.stages.prefill import prefill
from pipeline.stages.publish import publish as run_publish
from pipeline.stages.readability import run_readability
from pipeline.stages.render import render_site
from pipeline.stages.update import compile_catalogs, init_catalog
from pipeline.stages.update import status as catalog_status
from pipeline.text.langs import parse_lang
from pipeline.workspace import Workspace

if TYPE_CHECKING:
    from types import FrameType

    from pipeline.build import Log
    from pipeline.config import Config
    from pipeline.models.build import BuildResult
    from pipeline.text.langs import Lang

P = ParamSpec("P")
R = TypeVar("R")


class State:
    """What the group's options give every command; the configuration, loaded once."""

    def __init__(self, root: Path, debug: bool, root_given: bool = False) -> None:
        self.root = root
        self.debug = debug
        self.root_given = root_given  # --root was on the command line, not the default
        self._config: Config | None = None
        self.site_before: str | None = None  # where output/site pointed when the run began

    def config(self) -> Config:
        if self._config is None:
            self._config = load_config(self.root)
            self.site_before = self.live_site()
        return self._config

    def langs(self, codes: tuple[str, ...]) -> tuple[Lang, ...] | None:
        """Languages named on the command line (either code form), or None for all."""
        if not codes:
            return None
        # A typo is most likely one of the languages the project has.
        likely = self.config().all_languages
        return tuple(parse_lang(code, likely=likely) for code in codes)

    def live_site(self) -> str | None:
        """The build output/site points to (None: nothing published, or no config yet)."""
        if self._config is None:
            return None
        try:
            return os.readlink(Path(self._config.output_dir, "site"))
        except OSError:
            return None

    def stopped_message(self, stop: Stopped) -> str:
        """What a stopped run says: what its cleanup stopped, and whether the published
        site is as it was (a stop after publish's one atomic step finds a new one)."""
        said = [f"{what} were stopped" for what in stop.stopped]
        now = self.live_site()
        said.append("the published site is unchanged" if now == self.site_before else
                    f"the new site had already been published (output/site -> {now})")
        return f"pipeline: stopped by {stop.name}; {', '.join(said)}"


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """SIGTERM and SIGINT raise ``Stopped`` in the main thread, so the run cleans up on its
    way out (pa11y-ci and its browsers stopped) instead of dying at once (SIGTERM) or at
    a random point (SIGINT). Only the first: a second signal is ignored while the cleanup,
    a few seconds at most, runs. A signal ignored when the run began (nohup) stays so."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set in the main thread (a test's CliRunner)
        return
    raised = False

    def handler(signum: int, frame: FrameType | None) -> None:
        nonlocal raised
        if not raised:
            raised = True
            raise Stopped(signum)

    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    for sig, was in previous.items():
        if was is not signal.SIG_IGN:
            signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, was in previous.items():
            signal.signal(sig, signal.SIG_DFL if was is None else was)


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn PipelineError (and anything unexpected) into a message and an exit status."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        state = click.get_current_context().find_object(State)
        with stop_on_signals():
            try:
                return func(*args, **kwargs)
            except PipelineError as exc:
                if state and state.debug:
                    raise
                click.echo(f"{exc}", err=True)
                sys.exit(exc.exit_code)
            except (Stopped, KeyboardInterrupt) as exc:
                stop = exc if isinstance(exc, Stopped) else Stopped(signal.SIGINT)
                click.echo(state.stopped_message(stop) if state
                           else f"pipeline: stopped by {stop.name}", err=True)
                sys.exit(stop.exit_code)
            except (click.exceptions.Exit, click.ClickException, SystemExit):
                raise
            except Exception as exc:
                if state and state.debug:
                    raise
                click.echo(f"pipeline: internal error: {type(exc).__name__}: {exc}", err=True)
                click.echo("  hint: run again with --debug for the traceback, and report it",
                           err=True)
                sys.exit(1)

    return wrapper


def holds_lock(func: Callable[P, R]) -> Callable[P, R]:
    """A command that writes into the content root holds its lock (``output/.lock``) while
    it runs, as ``build`` does: a second writer is refused with the holder's PID instead of
    interleaving its writes (two renders, an update under a build). ``status`` only reads."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        config = current_state().config()
        with root_lock(config.output_dir, config.rel(config.output_dir / ".lock")) as note:
            if note:
                click.echo(f"pipeline: {note}", err=True)
            return func(*args, **kwargs)

    return wrapper


def current_state() -> State:
    """The State the group put on the context (every command runs under the group)."""
    state = click.get_current_context().find_object(State)
    if state is None:
        raise RuntimeError("a pipeline command ran outside the 'pipeline' group")
    return state


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--root", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="Content root: the folder with pyproject.toml or "
              "pipeline.toml.")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.version_option(__version__, prog_name="pipeline")
@click.pass_context
def cli(ctx: click.Context, root: Path, debug: bool) -> None:
    """Accessible multilingual content pipeline."""
    given = ctx.get_parameter_source("root") is not click.core.ParameterSource.DEFAULT
    ctx.obj = State(root, debug, given)


def _root_after_command(ctx: click.Context, _: click.Parameter, root: Path | None) -> None:
    """``pipeline build --root DIR`` means ``pipeline --root DIR build``: people put options
    after the command. Given both ways, the two must name the same folder."""
    state = ctx.find_object(State)
    if root is None or state is None:
        return
    if state.root_given and state.root.resolve() != root.resolve():
        raise click.UsageError(
            f"--root is given twice, as {state.root} before the command and as {root} after "
            "it; give it once", ctx)
    state.root, state.root_given = root, True


pass_state = click.make_pass_decorator(State)


@cli.command()
@pass_state
@handle_errors
@holds_lock
def extract(state: State) -> None:
    """Extract pages and templates into locales/messages.pot."""
    config = state.config()
    result = extract_step(config)
    verb = "wrote" if result.written else "unchanged"
    click.echo(f"{config.rel(config.pot_path)}: {verb}, {len(result.catalog.active)} messages "
               f"from {len(result.pages)} page(s)")


@cli.command()
@click.argument("lang")
@pass_state
@handle_errors
@holds_lock
def init(state: State, lang: str) -> None:
    """Create the catalog for LANG from the template (never overwrites)."""
    config = state.config()
    path = init_catalog(config, parse_lang(lang), ws=Workspace())
    click.echo(f"{config.rel(path)}: created")


@cli.command()
@click.argument("langs", nargs=-1)
@click.option("--trivial-source-fixes", is_flag=True,
              help="The English changes are typo-level (spelling, punctuation, quotes, case, "
              "spaces): keep translations as they are instead of marking them fuzzy.")
@pass_state
@handle_errors
@holds_lock
def update(state: State, langs: tuple[str, ...], trivial_source_fixes: bool) -> None:
    """Merge the template into the catalogs (msgmerge --previous semantics)."""
    config = state.config()
    results = update_step(config, state.langs(langs),
                          trivial_source_fixes=trivial_source_fixes)
    for r in results:
        if r.changed_meanwhile:
            continue
        what = "created" if r.created else ("updated" if r.written else "unchanged")
        click.echo(f"{r.path}: {what}; {r.new_fuzzy} newly fuzzy, {r.new_untranslated} new, "
                   f"{r.newly_obsolete} newly obsolete"
                   + (f", {len(r.carried_over)} kept across a typo fix" if r.carried_over
                      else ""))
        for old, new, why in r.carried_over:
            click.echo(f"  kept: {old!r} -> {new!r} ({why})")
    changed = [ChangedMeanwhile(r.path, "updating") for r in results if r.changed_meanwhile]
    for error in changed[:-1]:  # the last one is raised, with the hint they share
        click.echo(format_message(error.message, error.location), err=True)
    if changed:
        raise changed[-1]


@cli.command(name="compile")
@click.argument("langs", nargs=-1)
@pass_state
@handle_errors
@holds_lock
def compile_(state: State, langs: tuple[str, ...]) -> None:
    """Compile catalogs to .mo files (fuzzy entries are not used)."""
    for path, written in compile_catalogs(state.config(), state.langs(langs), ws=Workspace()):
        click.echo(f"{path}: {'written' if written else 'unchanged'}")


@cli.command()
@click.argument("langs", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_state
@handle_errors
def status(state: State, langs: tuple[str, ...], as_json: bool) -> None:
    """Translated, fuzzy, untranslated and obsolete counts per language."""
    stats = catalog_status(state.config(), state.langs(langs), ws=Workspace())
    if as_json:
        click.echo(dumps([s.to_dict() for s in stats]), nl=False)
        return
    rows = [(s.language, s.translated, s.fuzzy, s.untranslated, s.obsolete, s.total,
             f"{s.percent:.1f} %") for s in stats]
    click.echo(table(("language", "translated", "fuzzy", "untranslated", "obsolete", "total",
                      "done"), rows, (False, True, True, True, True, True, True)))


@cli.command()
@click.argument("langs", nargs=-1)
@click.option("--page", "slugs", multiple=True, metavar="SLUG",
              help="Render only this page (repeatable); indexes and sitemap are refreshed.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_state
@handle_errors
@holds_lock
def render(state: State, langs: tuple[str, ...], slugs: tuple[str, ...], as_json: bool) -> None:
    """Render the site to output/build/ (all languages, or only LANG…)."""
    result = render_site(state.config(), slugs or None, state.langs(langs), ws=Workspace())
    if as_json:
        click.echo(dumps(result.to_dict()), nl=False)
        return
    rows = [(s.tag, s.published, s.left_out, s.translated, s.outdated, s.fallback)
            for s in result.languages()]
    click.echo(table(("language", "published", "left out", "translated", "outdated",
                      "fallback"), rows, (False, True, True, True, True, True)))
    for page in result.pages:
        if not page.published:
            state_word = "withdrawn (its URL says it is being updated)" if page.withdrawn \
                else "left out"
            click.echo(f"{page.tag}: {page.source} {state_word}: {page.percent:.1f} % "
                       f"translated, {page.covered:.1f} % counting outdated translations; "
                       f"needs {page.threshold:g} %, or {page.keep:g} % to stay")
    click.echo(f"{result.build_dir}: {len(result.written)} file(s) written, "
               f"{len(result.files) - len(result.written)} unchanged, "
               f"{len(result.removed)} removed")


@cli.command()
@click.argument("langs", nargs=-1)
@click.option("--ignore", "ignore", multiple=True, metavar="CODE",
              help="Ignore this check code (repeatable, or comma-separated); adds to "
              "[tool.pipeline.check] ignore.")
@click.option("--fuzzy", "include_fuzzy", is_flag=True,
              help="Also check fuzzy entries (always done when the language's fallback is "
              "'outdated').")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@pass_state
@handle_errors
@holds_lock
def check(state: State, langs: tuple[str, ...], ignore: tuple[str, ...], include_fuzzy: bool,
          as_json: bool) -> None:
    """Translation QA: check the catalogs (all languages, or only LANG…).

    Writes output/reports/qa.json; exit 1 when any error is found.
    """
    config = state.config()
    result = run_checks(config, state.langs(langs), ignore=ignore, include_fuzzy=include_fuzzy,
                        ws=Workspace())
    path = write_qa_report(config, result)
    if as_json:
        click.echo(dumps(qa_document(result)), nl=False)
    else:
        for finding in result.findings:
            click.echo(finding_text(finding))

        def counts(errors: int, warnings: int) -> str:
            return (f"{errors} error{'s' * (errors != 1)}, "
                    f"{warnings} warning{'s' * (warnings != 1)}")

        per_language = "; ".join(f"{s.language}: {counts(s.errors, s.warnings)}"
                                 for s in result.languages)
        click.echo(f"qa: {counts(result.errors, result.warnings)} ({per_language}); "
                   f"report: {config.rel(path)}")
    if not result.ok:
        sys.exit(1)


@cli.command()
@click.argument("langs", nargs=-1)
@click.option("--page", "slugs", multiple=True, metavar="SLUG",
              help="Score only this page (repeatable).")
@click.option("--json", "as_json", is_flag=True,
              help="Print the JSON report instead of the table.")
@click.option("--html", "as_html", is_flag=True,
              help="Print the HTML report instead of the table.")
@click.option("--target", "targets", multiple=True, metavar="[LANG=]VALUE",
              help="Override a target on that language's own scale (repeatable); a bare "
              "VALUE is the source language's (e.g. --target 6: English grade 6).")
@click.option("--fail-over-target", is_flag=True,
              help="A page over its target is an error: exit 1 (for CI).")
@click.option("-v", "--verbose", is_flag=True,
              help="Also print every piece of advice (long sentences, passive voice, plainer "
              "words).")
@pass_state
@handle_errors
@holds_lock
def readability(state: State, langs: tuple[str, ...], slugs: tuple[str, ...], as_json: bool,
                as_html: bool, targets: tuple[str, ...], fail_over_target: bool,
                verbose: bool) -> None:
    """Score readability per page, language and sentence (all languages, or only LANG…).

    Writes output/reports/readability.json and readability.html.
    """
    config = state.config()
    overrides: dict[str, float] = {}
    for item in targets:
        code, _, value = item.rpartition("=")
        try:
            overrides[code or config.source_language.code] = float(value)
        except ValueError:
            raise UsageError(f"--target {item!r}: expected VALUE or LANG=VALUE, e.g. 8 or "
                             "es=60") from None
    result = run_readability(config, state.langs(langs), slugs or None, targets=overrides,
                             fail_over_target=fail_over_target, ws=Workspace())
    json_path, html_path = write_readability_reports(config, result)
    if as_json:
        for piece in json_pieces(result):  # tens of megabytes on a big site: not one string
            click.echo(piece, nl=False)
    elif as_html:
        click.echo(render_html(result), nl=False)
    else:
        click.echo(summary_table(result))
        hardest = hardest_text(result)
        if hardest:
            click.echo("\n" + hardest)
        findings = [f for f in result.findings if verbose or f.severity != "notice"]
        if findings:
            click.echo("")
        for finding in findings:
            click.echo(finding_text(finding))
        advice = "" if verbose else advice_summary(result)
        click.echo(f"\n{advice + chr(10) if advice else ''}"
                   f"reports: {config.rel(json_path)}, {config.rel(html_path)}")
    if fail_over_target and result.over_target:
        sys.exit(1)


@cli.command()
@click.argument("pages", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print the a11y.json report instead.")
@click.option("--junit", "junit_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the JUnit XML report to FILE.")
@click.option("--standard", type=click.Choice(["WCAG2A", "WCAG2AA", "WCAG2AAA"],
                                              case_sensitive=False),
              help="WCAG level to check (default: [tool.pipeline.a11y] standard).")
@click.option("--concurrency", type=click.IntRange(1, 16),
              help="Pages checked at once (default: [tool.pipeline.a11y] concurrency, "
              "else four per CPU, at most 8).")
@click.option("--shard", "shard_arg", metavar="I/N",
              help="Check shard I of N of a deferred build (pipeline build --defer-a11y) "
              "and write output/reports/a11y-shard-I-of-N.json for 'pipeline gate'.")
@pass_state
@handle_errors
@holds_lock
def a11y(state: State, pages: tuple[str, ...], as_json: bool, junit_file: Path | None,
         standard: str | None, concurrency: int | None, shard_arg: str | None) -> None:
    """Check the rendered site with pa11y-ci (axe + htmlcs) and the language checks.

    PAGES are paths under output/build (default: every page, plus the HTML reports).
    Writes output/reports/a11y.json, a11y.junit.xml and a11y.html; exit 1 when a
    finding blocks publication or a page could not be checked. With --shard: exit 0
    when the shard's documents were checked, whatever they found ('pipeline gate'
    decides), 1 when they could not be.
    """
    config = state.config()
    if shard_arg is not None:
        if pages or standard:
            raise UsageError("--shard checks the shard's share of the deferred build with "
                             "the configured standard: it takes no PAGES and no --standard",
                             hint="run 'pipeline a11y --shard I/N' alone; the standard is "
                             "[tool.pipeline.a11y] standard")
        run, path = check_shard(config, Shard.parse(shard_arg), concurrency=concurrency)
        if junit_file is not None:
            write_text_atomic(junit_file, a11y_junit(run.result), str(junit_file))
        if as_json:
            click.echo(path.read_text(encoding="utf-8"), nl=False)
            return
        click.echo(a11y_text(run.result))
        click.echo(f"shard {run.shard} of build {run.build_id}: {len(run.documents)} "
                   f"document(s), pa11y ran on {len(run.ran)}; wrote {config.rel(path)}")
        return
    result = check_a11y(config, pages or None, standard=standard.upper() if standard else None,
                        concurrency=concurrency)
    if junit_file is not None:
        write_text_atomic(junit_file, a11y_junit(result), str(junit_file))
    if as_json:
        click.echo(dumps(a11y_document(result)), nl=False)
    else:
        click.echo(a11y_text(result))
        paths = a11y_report_paths(config).values()
        click.echo("reports: " + ", ".join(config.rel(p) for p in paths)
                   + f" ({result.seconds:.1f} s)")
    if not result.passed:
        sys.exit(1)


@cli.command()
@click.argument("lang")
@click.option("--engine", required=True, metavar="NAME",
              help="tm (translation memory), pseudo (en_XA, ar_XB) or an installed engine "
              "plugin (entry point group 'pipeline.engines').")
@click.option("--memory", "memory", multiple=True, metavar="FILE",
              type=click.Path(dir_okay=False, path_type=Path),
              help="Extra translation memory, .po or .tmx (repeatable; tm only).")
@click.option("--threshold", type=float, default=0.75, show_default=True,
              help="Lowest similarity (0-1) for a fuzzy translation-memory match.")
@click.option("--overwrite-fuzzy", is_flag=True,
              help="Also refill fuzzy entries (translated ones are never touched).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_state
@handle_errors
@holds_lock
def translate(state: State, lang: str, engine: str, memory: tuple[Path, ...], threshold: float,
              overwrite_fuzzy: bool, as_json: bool) -> None:
    """Pre-fill LANG's empty entries with an engine; creates the catalog if needed."""
    config = state.config()
    ws = Workspace()  # the catalogs, and the messages pre-fill checks
    result = prefill(config, parse_lang(lang, likely=config.all_languages), engine,
                     vet=functools.partial(error_codes, ws=ws), memory=memory,
                     threshold=threshold, overwrite_fuzzy=overwrite_fuzzy, ws=ws)
    if as_json:
        click.echo(dumps(result.to_dict()), nl=False)
        return
    for fill in result.fills:
        if fill.origin == "pseudo":
            continue
        what = (f"fuzzy, {fill.score:.0%} match" if fill.fuzzy and fill.score is not None
                else "fuzzy" if fill.fuzzy else "exact match")
        click.echo(f"{result.path}:{fill.line}: {what} from {fill.origin}")
    state_word = "created" if result.created else ("written" if result.written else "unchanged")
    if result.engine == "pseudo":
        summary = f"{len(result.fills)} entries (re)generated"
    else:
        summary = f"{result.exact} filled, {result.fuzzy} fuzzy"
        if result.engine == "tm":
            summary += f" from {result.memory_units} memory unit(s)"
    click.echo(f"{result.path}: {state_word}; {result.engine}: {summary}; "
               f"{result.untranslated} untranslated")


@cli.command()
@click.option("--force", is_flag=True, help="Ignore the cache: re-render and re-check everything.")
@click.option("--no-publish", is_flag=True, help="Run every stage and gate, but do not publish.")
@click.option("--wait", type=click.FloatRange(0, 3600), default=0, show_default=True,
              help="Seconds to wait for another run on this root to finish.")
@click.option("--trivial-source-fixes", is_flag=True,
              help="As for 'update': the English changes are typo-level; keep translations.")
@click.option("--defer-a11y", is_flag=True,
              help="Stop before the accessibility check and record what it must check "
              "(output/reports/a11y-plan.json), for 'pipeline a11y --shard I/N' on N "
              "runners and 'pipeline gate'. Publishes nothing; exit 0.")
@pass_state
@handle_errors
def build(state: State, force: bool, no_publish: bool, wait: float,
          trivial_source_fixes: bool, defer_a11y: bool) -> None:
    """Extract, update, check, score, render, check accessibility and publish.

    Exit 0 when published (or passed with --no-publish, or deferred), 1 when blocked.
    """
    _run_and_report(state, functools.partial(
        run_build, force=force, publish_site=not no_publish, wait=wait,
        trivial_source_fixes=trivial_source_fixes, defer_a11y=defer_a11y))


@cli.command()
@click.option("--a11y-from", "sources", multiple=True, required=True, metavar="DIR",
              type=click.Path(path_type=Path),
              help="A folder (searched at any depth) or file with the shards' results, "
              "a11y-shard-I-of-N.json (repeatable).")
@click.option("--no-publish", is_flag=True, help="Decide every gate, but do not publish.")
@click.option("--wait", type=click.FloatRange(0, 3600), default=0, show_default=True,
              help="Seconds to wait for another run on this root to finish.")
@pass_state
@handle_errors
def gate(state: State, sources: tuple[Path, ...], no_publish: bool, wait: float) -> None:
    """Finish a deferred build: merge the shards' accessibility results, gate, publish.

    Fails closed (exit 1, nothing published) on a shard missing, duplicated, stale or
    corrupt, naming it. Exit 0 when published (or passed with --no-publish), 1 when
    blocked.
    """
    _run_and_report(state, functools.partial(run_gate, sources=sources,
                                             publish_site=not no_publish, wait=wait))


class _Run(Protocol):
    """``pipeline.build.build`` or ``gate``, every option but these already given."""

    def __call__(self, config: Config, *, log: Log, repository_prefix: str) -> BuildResult: ...


def _run_and_report(state: State, run: _Run) -> None:
    """Run ``build`` or ``gate`` with a progress log; print the summary (and, on GitHub
    Actions, the annotations); exit 1 unless published, passed or deferred."""
    config = state.config()
    prefix = repository_prefix(config.root, os.environ)
    if sys.stderr.isatty():
        console = Console(stderr=True)
        status = console.status("starting")
        status.start()

        def log(stage: str, message: str) -> None:
            status.update(f"[bold]{stage}[/bold]: {message}")
            console.log(f"{stage}: {message}")

        try:
            result = run(config, log=log, repository_prefix=prefix)
        finally:
            status.stop()
    else:
        def log(stage: str, message: str) -> None:
            click.echo(f"[{stage}] {message}", err=True)

        result = run(config, log=log, repository_prefix=prefix)
    click.echo(build_summary(result))
    # On GitHub Actions the runner turns these log lines into annotations on the diff.
    annotations = gate_annotations(result.gates, prefix)
    # A deferred build's are printed once, by the gate that decides.
    if annotations and os.environ.get("GITHUB_ACTIONS") == "true" \
            and result.verdict != "deferred":
        click.echo(annotations)
    if result.verdict == "blocked":
        sys.exit(1)


@cli.command()
@pass_state
@handle_errors
@holds_lock
def publish(state: State) -> None:
    """Publish output/build atomically to output/site (only a checked build)."""
    config = state.config()
    result = run_publish(config)
    state_word = "published" if result.changed else "already published"
    click.echo(f"{state_word}: {config.rel(result.site)} -> {result.target.name} "
               f"({result.files} files)")


@cli.command()
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port of the published site on 127.0.0.1; the reports get the next one "
                   "(0: free ports).")
@pass_state
@handle_errors
def serve(state: State, port: int) -> None:
    """Preview the published site and the reports on 127.0.0.1 until Ctrl-C."""
    config = state.config()
    output = config.rel(config.output_dir)  # output/site itself, not the build it links to
    hint = "run 'pipeline build' (or 'make') first"
    with StaticServer(config.output_dir / "site", f"{output}/site", port, hint) as site, \
            StaticServer(config.output_dir / "reports", f"{output}/reports",
                         port + 1 if port else 0, hint) as shown:
        click.echo(f"site:    {site.base_url} ({output}/site)")
        click.echo(f"reports: {shown.url('build.json')}, {shown.url('a11y.html')}, "
                   f"{shown.url('readability.html')}")
        click.echo("press Ctrl-C to stop", err=True)
        try:
            while True:
                time.sleep(3600)
        except (Stopped, KeyboardInterrupt):
            click.echo("pipeline serve: stopped", err=True)


# Every command accepts --root after its name too (the group's option, same meaning).
for _command in cli.commands.values():
    _command.params.append(click.Option(
        ["--root"], type=click.Path(file_okay=False, path_type=Path), default=None,
        expose_value=False, callback=_root_after_command,
        help="Content root, as 'pipeline --root DIR COMMAND' (default: the current folder)."))


def main(argv: list[str] | None = None) -> int:
    try:
        cli.main(args=argv, prog_name="pipeline", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("pipeline: aborted", err=True)
        return 1
    except click.UsageError as exc:
        # GNU style like every other error: "pipeline status: No such option …" + hint.
        command = exc.ctx.command_path if exc.ctx is not None else "pipeline"
        click.echo(f"{command}: {exc.format_message()}", err=True)
        click.echo(f"  hint: run '{command} --help' to see what it accepts", err=True)
        return 2
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1
    return 0


def run() -> NoReturn:
    """The ``pipeline`` command and ``python -m pipeline``: ``main``, its output flushed,
    then the process ends at once. The interpreter's teardown would free a build's
    objects one by one (0.14 s of an edit's 2.8 s at 1,000 pages) and runs no handler
    of ours: every child is stopped and every temp removed before ``main`` returns."""
    code = main()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a reader gone: nothing to write to
            stream.flush()
    os._exit(code)
