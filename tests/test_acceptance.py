"""Issue 3's acceptance: a translator never loses a word when the English changes.

In a content root whose catalogs are fully translated, editing one paragraph and
running ``pipeline extract && pipeline update`` leaves exactly that entry fuzzy, with
its previous msgid, in every language catalog; everything else stays translated.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

from conftest import copy_shipped, msgfmt_check, run_cli

from pipeline.po.reader import read_po

MakeRoot = Callable[[str], Path]


def ok(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    result = run_cli(root, *args)
    assert result.returncode == 0, f"pipeline {' '.join(args)}:\n{result.stdout}{result.stderr}"
    return result


def languages(root: Path) -> list[str]:
    return [row["language"] for row in json.loads(ok(root, "status", "--json").stdout)]


def check_one_paragraph_edit(root: Path, page: Path, old: str, new: str) -> None:
    """Start fully translated; edit one paragraph; exactly that entry turns fuzzy."""
    for row in json.loads(ok(root, "status", "--json").stdout):
        assert row["percent"] == 100.0, f"{row['path']} is not fully translated: {row}"
    text = page.read_text(encoding="utf-8")
    assert text.count(old) == 1
    page.write_text(text.replace(old, new), encoding="utf-8")

    ok(root, "extract")  # pipeline extract && pipeline update
    ok(root, "update")

    for lang in languages(root):
        path = root / "locales" / lang / "LC_MESSAGES" / "messages.po"
        catalog = read_po(path, lang)
        fuzzy = [e for e in catalog.active if e.fuzzy]
        assert [(e.msgid, e.previous_msgid) for e in fuzzy] == [(new, old)], lang
        assert fuzzy[0].msgstr, f"{lang}: the old translation is offered"
        others = [e for e in catalog.active if not e.fuzzy]
        assert others and all(e.translated for e in others), lang
        assert catalog.obsolete == (), lang
        msgfmt_check(path)
    for row in json.loads(ok(root, "status", "--json").stdout):
        assert (row["fuzzy"], row["untranslated"], row["obsolete"]) == (1, 0, 0), row


def test_fixture_root_one_paragraph_edit(make_root: MakeRoot) -> None:
    root = make_root("translated")
    assert "unchanged" in ok(root, "extract").stdout, "the fixture's template is out of date"
    check_one_paragraph_edit(
        root, root / "source" / "pages" / "visit.md",
        "The doctor will send a letter to your family doctor within one week.",
        "The doctor will send a letter to your family doctor within two weeks.",
    )


def test_shipped_content_one_paragraph_edit(tmp_path: Path) -> None:
    root = tmp_path / "site"
    copy_shipped(root)
    page = root / "source" / "pages" / "hemifacial-spasm.md"
    old = next(line for line in page.read_text(encoding="utf-8").split("\n")
               if line.startswith("The prognosis"))
    # Bring references up to date first (an edit to pyproject.toml moves the site
    # name's line): that changes no msgid, so every catalog stays fully translated.
    ok(root, "extract")
    ok(root, "update")
    check_one_paragraph_edit(root, page, old, old.replace("depends on", "will depend on"))
