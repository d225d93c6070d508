"""Typo-level source fixes keep translations (issue 11); real rewrites still go fuzzy."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import ROOTS, msgfmt_check, run_cli

from pipeline.po.reader import read_po
from pipeline.text.trivial import trivial_change

LANGS = ("es", "ar", "zh_Hans")
PAGE = "source/pages/visit.md"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    target = tmp_path / "translated"
    shutil.copytree(ROOTS / "translated", target)
    return target


def edit(root: Path, old: str, new: str) -> None:
    page = root / PAGE
    text = page.read_text(encoding="utf-8")
    assert old in text
    page.write_text(text.replace(old, new), encoding="utf-8")


def catalogs(root: Path) -> dict[str, list[tuple[str, str, bool, str | None]]]:
    out = {}
    for code in LANGS:
        path = root / f"locales/{code}/LC_MESSAGES/messages.po"
        catalog = read_po(path, str(path))
        out[code] = [(e.msgid, e.msgstr, e.fuzzy, e.previous_msgid) for e in catalog.active]
    return out


@pytest.mark.parametrize(("old", "new"), [
    ("fifteen minutes early", "fifteen  minutes early"),            # doubled space
    ("fill in a short form.", "fill in a short form!"),            # punctuation
    ("Your health card", "Your Health Card"),                       # case
    ("send a letter", "send a lettre"),                             # one-letter typo
    ("medicines you take", "medecines you take"),                   # spelling
])
def test_confirmed_typo_fix_keeps_every_translation(root: Path, old: str, new: str) -> None:
    before = catalogs(root)
    edit(root, old, new)
    assert run_cli(root, "extract").returncode == 0
    result = run_cli(root, "update", "--trivial-source-fixes")
    assert result.returncode == 0, result.stderr
    assert "1 kept across a typo fix" in result.stdout
    assert "  kept: " in result.stdout
    after = catalogs(root)
    for code in LANGS:
        assert not any(fuzzy for _, _, fuzzy, _ in after[code]), code
        old_strs = sorted(s for _, s, _, _ in before[code])
        assert sorted(s for _, s, _, _ in after[code]) == old_strs, code
        assert any(new in msgid for msgid, _, _, _ in after[code])
        path = root / f"locales/{code}/LC_MESSAGES/messages.po"
        assert not read_po(path, str(path)).obsolete  # carried over, not left behind
        msgfmt_check(path)


def test_front_matter_marker_confirms_for_that_page(root: Path) -> None:
    edit(root, "updated: 2026-02-01", "updated: 2026-02-01\ntrivial_source_fixes: true")
    edit(root, "send a letter", "send a lettre")
    run_cli(root, "extract", check=True)
    result = run_cli(root, "update", check=True)
    assert result.stdout.count("1 kept across a typo fix") == len(LANGS)
    assert not any(f for c in catalogs(root).values() for _, _, f, _ in c)


def test_unconfirmed_typo_fix_goes_fuzzy_like_msgmerge(root: Path) -> None:
    edit(root, "send a letter", "send a lettre")
    run_cli(root, "extract", check=True)
    result = run_cli(root, "update", check=True)
    assert "kept across" not in result.stdout
    for code, entries in catalogs(root).items():
        fuzzy = [(m, p) for m, _, f, p in entries if f]
        assert len(fuzzy) == 1, code
        assert "lettre" in fuzzy[0][0] and fuzzy[0][1] is not None and "letter" in fuzzy[0][1]


@pytest.mark.parametrize(("old", "new"), [
    ("within one week", "within two weeks"),                                 # a number word
    ("Please arrive fifteen minutes early", "Please do not arrive early"),   # rewrite
    ("A list of the medicines you take", "A list of the medicines you don't take"),
])
def test_real_rewrite_still_goes_fuzzy_even_when_confirmed(root: Path, old: str,
                                                           new: str) -> None:
    edit(root, old, new)
    run_cli(root, "extract", check=True)
    result = run_cli(root, "update", "--trivial-source-fixes", check=True)
    assert "kept across" not in result.stdout
    for code, entries in catalogs(root).items():
        fuzzy = [(m, p) for m, _, f, p in entries if f]
        assert len(fuzzy) == 1, (code, fuzzy)
        assert fuzzy[0][1] is not None and old.split()[-1] in fuzzy[0][1]


@pytest.mark.parametrize(("old", "new", "kept"), [
    ("a tumour grows", "a tumor grows", True),
    ("colour and behaviour", "color and behavior", True),
    ("it's here", "it\u2019s here", True),
    ("Hello  world", "Hello world", True),
    ("The cat sat.", "The dog sat.", False),
    ("Take 2 pills", "Take 3 pills", False),
    ("You can control it.", "You can't control it.", False),
    ("[Call us](/contact/)", "[Call us](/contacts/)", False),
    ("Surgery may help most people.", "Surgery helps most people.", False),
])
def test_trivial_change_rules(old: str, new: str, kept: bool) -> None:
    assert (trivial_change(old, new) is not None) is kept
