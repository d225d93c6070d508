"""Every PO and POT we ship or write passes the real ``msgfmt --check``: exit 0, no warnings."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import REPO, ROOTS, msgfmt_check, run_cli

MakeRoot = Callable[[str], Path]

# Fixtures whose catalogs are wrong on purpose: a parse error for update's all-or-nothing
# test, and placeholder mistakes for the translation QA checks (ours and pofilter's) to find.
DELIBERATELY_BROKEN = {"broken-po", "qa-findings", "pofilter-defects"}


def shipped_catalogs() -> list[Path]:
    found = [*sorted((REPO / "locales").rglob("*.po")), REPO / "locales" / "messages.pot"]
    for root in sorted(ROOTS.iterdir()):
        if root.is_dir() and root.name not in DELIBERATELY_BROKEN:
            found += sorted(root.rglob("*.po")) + sorted(root.rglob("*.pot"))
    return found


@pytest.mark.parametrize("path", shipped_catalogs(), ids=lambda p: str(p.relative_to(REPO)))
def test_shipped_catalog_passes_msgfmt_check(path: Path) -> None:
    msgfmt_check(path)


def test_everything_extract_init_and_update_write_passes(make_root: MakeRoot) -> None:
    root = make_root("extraction")
    assert run_cli(root, "extract").returncode == 0
    for code in ("es", "fr", "ar", "zh_Hans", "pt_BR", "ru", "ja"):
        result = run_cli(root, "init", code)
        assert result.returncode == 0, result.stderr
    written = [*sorted(root.rglob("*.po")), root / "locales" / "messages.pot"]
    assert len(written) == 8
    for path in written:
        msgfmt_check(path)


def test_merged_catalogs_with_fuzzy_and_obsolete_entries_pass(make_root: MakeRoot) -> None:
    root = make_root("translated")
    page = root / "source" / "pages" / "visit.md"
    text = page.read_text()
    text = text.replace("fifteen minutes", "twenty minutes").replace(
        "- A list of the medicines you take\n", "")
    page.write_text(text)
    shutil.rmtree(root / "locales" / "zh_Hans")
    assert run_cli(root, "extract").returncode == 0
    assert run_cli(root, "update").returncode == 0
    assert run_cli(root, "compile").returncode == 0
    for path in [*sorted(root.rglob("*.po")), root / "locales" / "messages.pot"]:
        msgfmt_check(path)
