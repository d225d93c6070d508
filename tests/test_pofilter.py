"""translate-toolkit's ``pofilter`` and ``pipeline check`` on the same catalogs.

The contract: every finding of pofilter's with a check we cover (``COVERED``, docs/translators.md's
comparison table) is also one of ours, on the same entry, except pofilter's documented
false positives (``false_positive``). It is checked on the shipped catalogs, whatever
their wording, and on ``tests/roots/pofilter-defects``, whose entries each carry one
defect (``#. defect: CHECK``) or one of pofilter's false positives
(``#. false-positive: CHECK``).
"""

# Bracket and quotation mark tables use non-ASCII forms on purpose (CJK, German).
# ruff: noqa: RUF001, RUF003

from __future__ import annotations

import re
import subprocess
import sys
import unicodedata
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import polib
import pytest
from conftest import REPO, ROOTS, copy_shipped

from pipeline.config import Config, load_config
from pipeline.po.model import Entry
from pipeline.po.reader import read_po
from pipeline.stages.check import run_checks
from pipeline.stages.check.context import CheckContext, make_context
from pipeline.stages.check.silencing import silencing_reason
from pipeline.stages.check.words import is_name_like

DEFECTS = ROOTS / "pofilter-defects"

# pofilter's check → the codes of ours that report the same defect.
LINKS = frozenset({"url-changed", "link-missing", "link-added"})
COVERED: dict[str, frozenset[str]] = {
    "blank": frozenset({"blank-translation"}),
    "brackets": frozenset({"bracket-mismatch"}),
    "compendiumconflicts": frozenset({"merge-conflict"}),
    "doublequoting": frozenset({"quote-mismatch"}),
    "doublewords": frozenset({"repeated-word"}),
    "emails": LINKS,
    "endpunc": frozenset({"punctuation"}),
    "endwhitespace": frozenset({"punctuation"}),
    "long": frozenset({"length-ratio"}),
    "newlines": frozenset({"markup-mismatch"}),
    "nplurals": frozenset({"placeholder-mismatch"}),
    "numbers": frozenset({"number-changed"}),
    "printf": frozenset({"placeholder-mismatch"}),
    "pythonbraceformat": frozenset({"placeholder-mismatch"}),
    "short": frozenset({"length-ratio"}),
    "startwhitespace": frozenset({"punctuation"}),
    "unchanged": frozenset({"same-as-source"}),
    "urls": LINKS,
    "xmltags": frozenset({"html-added", "markup-mismatch"}),
}

Where = tuple[str, int]  # (catalog as shown, the entry's msgid line)


def pofilter(config: Config) -> dict[Where, dict[str, str]]:
    """pofilter's findings per entry: {(catalog, msgid line): {check: message}}."""
    found: dict[Where, dict[str, str]] = defaultdict(dict)
    for lang in config.languages:
        path = config.po_path(lang)
        catalog = read_po(path, config.rel(path))
        lines = {(e.msgctxt, e.msgid): e.line for e in catalog.active}
        out = path.with_name("pofilter-out.po")
        # Fuzzy entries are not checked by ours either (no language shows them here).
        result = subprocess.run(
            [sys.executable, "-m", "translate.filters.pofilter", "--progress=none",
             "--nofuzzy", f"--language={lang.code}", str(path), "-o", str(out)],
            capture_output=True, text=True, timeout=120)
        assert result.returncode == 0 and out.exists(), result.stderr
        for unit in polib.pofile(str(out)):
            where = (catalog.path, lines[(unit.msgctxt, unit.msgid)])
            for comment in unit.tcomment.splitlines():
                check, _, message = comment.removeprefix("(pofilter) ").partition(": ")
                if comment.startswith("(pofilter) "):
                    found[where][check] = message
        out.unlink()
    return found


def ours(config: Config) -> dict[Where, set[str]]:
    found: dict[Where, set[str]] = defaultdict(set)
    for f in run_checks(config).findings:
        assert f.location is not None, f  # every check names where to fix it
        found[(f.location.path, f.location.line)].add(f.code)
    return found


# --- pofilter's false positives, as the README lists them ------------------------------

def _pairs(entry: Entry, ctx: CheckContext) -> list[tuple[str, str]]:
    return [(form.source, form.translation) for form in ctx.forms(entry)]


def _passes_when_folded(check: str, fold: Callable[[str], str]) -> Callable[..., bool]:
    """pofilter's own check passes once a language's own form of the same mark is written
    the English way: what it flagged was only that form."""

    def passes(entry: Entry, ctx: CheckContext) -> bool:
        from translate.filters.checks import CheckerConfig, FilterFailure, StandardChecker

        checker = StandardChecker(CheckerConfig(targetlanguage=ctx.lang.code))
        try:
            for source, translation in _pairs(entry, ctx):
                getattr(checker, check)(fold(source), fold(translation))
        except FilterFailure:
            return False
        return True

    return passes


# CJK brackets (（ ） for ( ) …) are the same brackets; pofilter counts only ASCII ones.
_BRACKET_FORMS = str.maketrans("（）［］〔〕【】〖〗｛｝", "()[][][][]{}")
# pofilter counts " “ ” « » as quotation marks, not German „ “ nor CJK 「 」.
_QUOTE_FORMS = str.maketrans({c: '"' for c in "„‟「」﹁﹂＂〝〞〟“”«»"})
# A placeholder's own parentheses, %(count)s: pofilter counts them as brackets, so an
# Arabic singular or dual form that rightly leaves the number out "misses" a bracket.
_PLACEHOLDER = re.compile(r"%\(\w+\)[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]")
_SEPARATOR = re.compile(r"(?<=\d)[.,\u00a0\u202f\u066b\u066c](?=\d)")


def _number_forms(text: str) -> str:
    """Arabic-Indic or full-width digits, and 1,5 for 1.5: pofilter reads neither."""
    text = "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in text)
    return _SEPARATOR.sub("", text)


def _short(entry: Entry, ctx: CheckContext) -> bool:
    """Lengths are compared from ``length_min`` characters on: short labels vary most
    (是 for "Yes")."""
    return all(ctx.messages.facts(source).visible_length < ctx.length_min
               for source, _ in _pairs(entry, ctx))


def _soft_newline(entry: Entry, ctx: CheckContext) -> bool:
    """A newline that is not a hard break is a space to the reader."""
    return all(source.count("\\\n") == translation.count("\\\n")
               for source, translation in _pairs(entry, ctx))


def _number_left_out(entry: Entry, ctx: CheckContext) -> bool:
    """A plural form used for exactly one n may leave the number out (Arabic "one
    language", "two languages"), as GNU msgfmt --check allows; pofilter flags it."""
    from translate.filters.checks import CheckerConfig, FilterFailure, StandardChecker

    checker = StandardChecker(CheckerConfig(targetlanguage=ctx.lang.code))
    for form in ctx.forms(entry):
        try:
            checker.printf(form.source, form.translation)
        except FilterFailure:
            if not form.single:
                return False
    return True


FALSE_POSITIVES: dict[str, Callable[[Entry, CheckContext], bool]] = {
    "brackets": _passes_when_folded(
        "brackets", lambda t: _PLACEHOLDER.sub("", t).translate(_BRACKET_FORMS)),
    "doublequoting": _passes_when_folded("doublequoting", lambda t: t.translate(_QUOTE_FORMS)),
    "numbers": _passes_when_folded("numbers", _number_forms),
    "printf": _number_left_out,
    "unchanged": lambda entry, ctx: all(is_name_like(source, ctx)
                                        for source, _ in _pairs(entry, ctx)),
    "long": _short,
    "short": _short,
    "newlines": _soft_newline,
}


def false_positive(config: Config, where: Where, check: str) -> bool:
    path, line = where
    lang = next(lg for lg in config.languages if config.rel(config.po_path(lg)) == path)
    catalog = read_po(config.po_path(lang), path)
    entry = next(e for e in catalog.active if e.line == line)
    rule = FALSE_POSITIVES.get(check)
    return rule is not None and rule(entry, make_context(config, lang, catalog))


def silenced(config: Config, where: Where, check: str) -> bool:
    """A translator silenced our code for this check on the entry, with a reason: the
    finding was ours and was answered (pofilter knows no such flag)."""
    path, line = where
    lang = next(lg for lg in config.languages if config.rel(config.po_path(lg)) == path)
    entry = next(e for e in read_po(config.po_path(lang), path).active if e.line == line)
    return (silencing_reason(entry) is not None
            and any(f"no-check-{code}" in entry.flags for code in COVERED[check]))


def missed(config: Config) -> list[str]:
    """pofilter's findings on a check we cover that are neither ours, nor silenced by a
    translator with a reason, nor a documented false positive."""
    theirs, mine = pofilter(config), ours(config)
    return [f"{path}:{line}: {check}: {message} (ours: {sorted(mine.get((path, line), ()))})"
            for (path, line), checks in theirs.items() for check, message in checks.items()
            if check in COVERED and not COVERED[check] & mine.get((path, line), set())
            and not silenced(config, (path, line), check)
            and not false_positive(config, (path, line), check)]


# --- the tests ---------------------------------------------------------------------------


def marked(config: Config, key: str) -> dict[Where, str]:
    """(catalog, msgid line) → the check its ``#. <key>: CHECK`` comment names."""
    out: dict[Where, str] = {}
    for lang in config.languages:
        path = config.po_path(lang)
        for entry in read_po(path, config.rel(path)).active:
            for comment in entry.auto_comments:
                if comment.startswith(f"{key}:"):
                    out[(config.rel(path), entry.line)] = comment.split(":", 1)[1].strip()
    return out


@pytest.fixture(scope="module")
def defects() -> tuple[Config, dict[Where, dict[str, str]], dict[Where, set[str]]]:
    config = load_config(DEFECTS)
    return config, pofilter(config), ours(config)


def test_pofilter_lists_the_checks_the_readme_compares() -> None:
    """Every check of pofilter's has a row in the docs' comparison table (an upgrade that
    adds one fails here), and the rows that say "covered" name the codes of COVERED."""
    listed = subprocess.run(
        [sys.executable, "-m", "translate.filters.pofilter", "--listfilters"],
        capture_output=True, text=True, check=True).stdout
    checks = {line.split("\t")[0] for line in listed.splitlines() if "\t" in line}
    docs = "\n".join(p.read_text(encoding="utf-8")
                     for p in [REPO / "README.md", *sorted(REPO.glob("docs/*.md"))])
    rows = {m.group(1): m.group(2) for m in
            re.finditer(r"^\| `(\w+)` \| ([^|]+) \|", docs, re.MULTILINE)}
    assert checks and checks <= set(rows), f"not in the comparison table: {checks - set(rows)}"
    for check, verdict in rows.items():
        if check not in checks:
            continue
        codes = set(re.findall(r"`([a-z-]+)`", verdict))
        if check in COVERED:
            assert verdict.startswith("covered") and codes == set(COVERED[check]), (check, verdict)
        else:
            assert not verdict.startswith("covered"), (check, verdict)


def test_every_covered_check_has_a_defect_both_find(
        defects: tuple[Config, dict[Where, dict[str, str]], dict[Where, set[str]]]) -> None:
    config, theirs, mine = defects
    planted = marked(config, "defect")
    assert set(planted.values()) == set(COVERED), set(COVERED) ^ set(planted.values())
    for where, check in planted.items():
        assert check in theirs.get(where, {}), f"pofilter does not report {check} at {where}"
        assert COVERED[check] & mine.get(where, set()), f"we do not report {check} at {where}"


def test_documented_false_positives_are_pofilters_only(
        defects: tuple[Config, dict[Where, dict[str, str]], dict[Where, set[str]]]) -> None:
    config, theirs, mine = defects
    planted = marked(config, "false-positive")
    assert {"simplecaps", "brackets", "doublequoting", "numbers", "unchanged", "short"} <= set(
        planted.values())
    for where, check in planted.items():
        assert check in theirs.get(where, {}), f"pofilter no longer reports {check} at {where}"
        if check in COVERED:
            assert false_positive(config, where, check), (where, check)
        assert not mine.get(where), f"we report {mine[where]} at {where}"


def test_pofilter_finds_nothing_on_the_defects_that_we_miss(
        defects: tuple[Config, dict[Where, dict[str, str]], dict[Where, set[str]]]) -> None:
    config, _, _ = defects
    assert missed(config) == []


def test_pofilter_finds_nothing_on_the_shipped_catalogs_that_we_miss(tmp_path: Path) -> None:
    config = load_config(copy_shipped(tmp_path / "shipped"))
    assert missed(config) == []
