"""The everyday drift loop: the English moves ahead, translations catch up, and the
published site stays whole (``tests/roots/drift``, real pa11y-ci in the builds).

One module-scoped root goes through the loop as a user runs it (edit the English,
``pipeline extract && pipeline update && pipeline build``); the tests that take a page
out of a language work on their own copy of it, with the cache warm.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import ROOTS, require_tool, run_cli

from pipeline.build import _completeness_gate
from pipeline.config import load_config
from pipeline.stages.extract import extract
from pipeline.stages.render import render_site
from pipeline.stages.update import update_catalogs

PAGE = "source/pages/blepharospasm.md"
CHANGED = ("Most people need a new injection every three months.",
           "Most people need a new injection every three to four months.")
ADDED = "Dark glasses can make bright light easier to bear."
TRANSLATED = ("es", "fr", "ar", "zh-Hans")
# The notice, in each reader's language (the shipped catalogs' translation).
NOTICE = {
    "es": "Algunas partes de esta página aún no están traducidas. Se muestran en inglés.",
    "fr": "Certaines parties de cette page ne sont pas encore traduites. Elles sont "
          "affichées en anglais.",
    "ar": "لم تُترجم بعض أجزاء هذه الصفحة بعد، وهي معروضة باللغة الإنجليزية.",
    "zh-Hans": "本页面的部分内容尚未翻译，暂以英文显示。",  # noqa: RUF001
}
STUB_ES = "Estamos actualizando esta página. Por el momento no está disponible en su idioma."


def edit_english(root: Path) -> None:
    """Change one sentence, add one paragraph, and add a page nobody has translated."""
    page = root / PAGE
    text = page.read_text(encoding="utf-8")
    assert CHANGED[0] in text
    page.write_text(text.replace(CHANGED[0], f"{CHANGED[1]}\n\n{ADDED}"), encoding="utf-8")
    (root / "source/pages/dry-eye.md").write_text(
        "---\ntitle: Dry Eye\nslug: dry-eye\n---\n\n# Dry Eye\n\nEye drops can help.\n",
        encoding="utf-8")


def configure(root: Path, text: str) -> None:
    with (root / "pyproject.toml").open("a", encoding="utf-8") as handle:
        handle.write(text)


def main_html(path: Path) -> str:
    """The page's <main>, where the notice and the body are."""
    html = path.read_text(encoding="utf-8")
    return html[html.index("<main"):html.index("</main>")]


@pytest.fixture(scope="module")
def drifted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    require_tool("chromium")
    root = tmp_path_factory.mktemp("drift") / "site"
    shutil.copytree(ROOTS / "drift", root)
    assert run_cli(root, "build").returncode == 0  # published in every language
    edit_english(root)
    for command in ("extract", "update"):
        run_cli(root, command, check=True)
    result = run_cli(root, "build")
    assert result.returncode == 0, result.stdout + result.stderr
    yield root, result.stdout


def test_english_edit_keeps_every_language_published(drifted: tuple[Path, str]) -> None:
    root, stdout = drifted
    site = root / "output/site"
    for tag in ("en", *TRANSLATED):
        assert (site / tag / "blepharospasm.html").is_file(), tag
    [gate] = [line for line in stdout.splitlines() if line.startswith("gate completeness")]
    assert gate.split()[2] == "pass", gate
    assert "published while translators catch up: es/blepharospasm 86 %" in gate, gate
    # The page nobody has translated is not published in those languages, and gets no
    # notice page either: it never appeared there.
    assert "not translated yet: es/dry-eye, fr/dry-eye, ar/dry-eye, zh-Hans/dry-eye" in gate
    assert (site / "en/dry-eye.html").is_file() and not (site / "es/dry-eye.html").exists()
    # The switcher, hreflang links and sitemap still name all five languages.
    sitemap = (site / "sitemap.xml").read_text(encoding="utf-8")
    english = (site / "en/blepharospasm.html").read_text(encoding="utf-8")
    for tag in TRANSLATED:
        assert f"<loc>https://clinic.example.org/{tag}/blepharospasm.html</loc>" in sitemap
        assert f'<link rel="alternate" hreflang="{tag}"' in english, tag
        assert f'href="../{tag}/blepharospasm.html"' in english, tag


@pytest.mark.parametrize("tag", TRANSLATED)
def test_changed_and_new_blocks_show_in_english_under_the_notice(
        drifted: tuple[Path, str], tag: str) -> None:
    root, _ = drifted
    main = main_html(root / "output/site" / tag / "blepharospasm.html")
    direction = ' dir="ltr"' if tag == "ar" else ""
    notice = re.search(r'<div class="notice" role="note">\n<p>\n(.*)\n<a href="([^"]+)" '
                       r'hreflang="en">', main)
    assert notice, main
    assert (notice.group(1), notice.group(2)) == (NOTICE[tag], "../en/blepharospasm.html")
    changed = main.index(f'lang="en"{direction}>Injections of botulinum toxin relax the '
                         f'muscles around the eyes. {CHANGED[1]}</p>')
    added = main.index(f'lang="en"{direction}>{ADDED}</p>')
    assert main.index("</div>") < changed < added  # under the notice, in page order
    assert len(re.findall(r' lang="en"', main)) == 2  # the rest is still translated


def test_withdrawn_page_warns_serves_a_notice_page_and_leaves_the_lists(
        drifted: tuple[Path, str], tmp_path: Path) -> None:
    built, _ = drifted
    root = tmp_path / "site"
    shutil.copytree(built, root, symlinks=True)
    configure(root, "\n[tool.pipeline.language.es]\nkeep = 100\n"
                    "\n[tool.pipeline.language.fr]\npublish = false\n")
    result = run_cli(root, "build")
    assert result.returncode == 0, result.stdout + result.stderr
    [gate] = [line for line in result.stdout.splitlines() if line.startswith("gate completeness")]
    assert gate.split()[2] == "warn", gate
    assert ("es/blepharospasm: 86 % translated, 93 % counting outdated translations; "
            "needs 100 %, or 100 % to stay") in gate, gate
    assert "fr/blepharospasm: the language is configured off (publish = false)" in gate
    assert "ar/blepharospasm" not in gate and "dry-eye" not in gate
    site = root / "output/site"
    stub = (site / "es/blepharospasm.html").read_text(encoding="utf-8")
    assert '<html lang="es" dir="ltr">' in stub and STUB_ES in stub
    assert '<meta name="robots" content="noindex">' in stub
    assert '<a href="../en/blepharospasm.html" hreflang="en">Leer la versión en inglés</a>' \
        in stub
    assert "Nous mettons cette page à jour" in (site / "fr/blepharospasm.html").read_text()
    # Neither language has a published page left: no index, no entry anywhere.
    assert not (site / "es/index.html").exists() and not (site / "fr/index.html").exists()
    for file in [site / "index.html", site / "sitemap.xml", site / "en/blepharospasm.html",
                 site / "ar/blepharospasm.html", site / "ar/index.html"]:
        text = file.read_text(encoding="utf-8")
        assert not re.search(r'hreflang="(es|fr)"|/(es|fr)/', text), file
    # The build's report says the same, per language.
    report = json.loads((root / "output/reports/build.json").read_text(encoding="utf-8"))
    withdrawn = {row["tag"]: row["withdrawn"] for row in report["languages"]}
    assert withdrawn == {"en": [], "es": ["blepharospasm"], "fr": ["blepharospasm"],
                         "ar": [], "zh-Hans": []}


def test_withdrawal_blocks_when_the_gate_says_so(
        drifted: tuple[Path, str], tmp_path: Path) -> None:
    built, _ = drifted
    root = tmp_path / "site"
    shutil.copytree(built, root, symlinks=True)
    live = (root / "output/site").resolve()
    configure(root, "\n[tool.pipeline.gate]\nwithdrawn = \"block\"\n"
                    "\n[tool.pipeline.language.ar]\nkeep = 100\n")
    result = run_cli(root, "build")
    assert result.returncode == 1, result.stdout + result.stderr
    assert re.search(r"^gate completeness BLOCK withdrawn .*ar/blepharospasm: 86 % translated",
                     result.stdout, re.M), result.stdout
    assert "blocked, because withdrawn" in result.stdout
    assert (root / "output/site").resolve() == live  # the published site is untouched


def test_a_language_configured_off_warns_even_where_withdrawals_block(
        make_root: Callable[[str], Path]) -> None:
    root = make_root("drift")
    configure(root, '\n[tool.pipeline.gate]\nwithdrawn = "block"\n'
                    "\n[tool.pipeline.language.fr]\npublish = false\n")
    config = load_config(root)
    gate = _completeness_gate(config, render_site(config))
    assert (gate.passed, gate.blocks) == (False, False)  # a decision taken: a warning
    assert gate.detail.endswith("fr/blepharospasm: the language is configured off "
                                "(publish = false)"), gate.detail
    # A page that falls below its threshold does block.
    edit_english(root)
    configure(root, "\n[tool.pipeline.language.es]\nkeep = 100\n")
    config = load_config(root)
    extract(config)
    list(update_catalogs(config))
    result = render_site(config)
    gate = _completeness_gate(config, result)
    assert (gate.passed, gate.blocks) == (False, True)
    assert [(p.tag, p.slug) for p in result.withdrawn()] == [
        ("es", "blepharospasm"), ("fr", "blepharospasm")]
    # The page nobody translated is left out without a notice page.
    assert not (root / "output/build/es/dry-eye.html").exists()
