"""The benchmark corpus generator: deterministic, and a content root the pipeline accepts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import REPO, msgfmt_check, require_tool, run_cli

LANGUAGES = ("es", "fr", "ar", "zh_Hans")


def generate(dest: Path, pages: int = 5, seed: int = 1) -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, "-m", "bench.corpus", str(dest), "--pages", str(pages),
         "--seed", str(seed)],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    info: dict[str, object] = json.loads((dest / "corpus.json").read_text(encoding="utf-8"))
    return info


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file() and p.name != "corpus.json"}


def test_same_seed_same_bytes_other_seed_other_pages(tmp_path: Path) -> None:
    generate(tmp_path / "one")
    generate(tmp_path / "two")
    generate(tmp_path / "three", seed=2)
    one = tree(tmp_path / "one")
    assert one == tree(tmp_path / "two")
    pages = {k: v for k, v in one.items() if "/source/pages/" in k}
    assert len(pages) == 2 * 5  # base/ and changed/
    assert pages != {k: v for k, v in tree(tmp_path / "three").items() if "/source/pages/" in k}


def test_generated_root_passes_extract_and_msgfmt(tmp_path: Path) -> None:
    generate(tmp_path / "corpus")
    base = tmp_path / "corpus" / "base"
    text = (base / "source" / "pages").glob("*.md")
    page = next(iter(sorted(text))).read_text(encoding="utf-8")
    assert page.startswith("---\ntitle: ") and "\n# " in page and "\n## " in page
    result = run_cli(base, "extract")
    assert result.returncode == 0, result.stderr
    assert "unchanged" in result.stdout  # the generator's POT is what extract writes
    for lang in LANGUAGES:
        po = base / "locales" / lang / "LC_MESSAGES" / "messages.po"
        msgfmt_check(po)
        stats = subprocess.run([require_tool("msgfmt"), "--statistics", "-o", "/dev/null", str(po)],
                               capture_output=True, text=True, check=True).stderr
        translated = int(stats.split()[0])
        untranslated = int(stats.split(",")[1].split()[0]) if "," in stats else 0
        assert 0.8 < translated / (translated + untranslated) < 0.97, stats


def test_changed_root_differs_by_the_listed_paragraphs(tmp_path: Path) -> None:
    info = generate(tmp_path / "corpus", pages=5)
    changes = info["changes"]
    assert isinstance(changes, list) and changes
    base, changed = tmp_path / "corpus" / "base", tmp_path / "corpus" / "changed"
    for page in sorted({c["page"] for c in changes}):
        old = (base / page).read_text(encoding="utf-8").split("\n")
        new = (changed / page).read_text(encoding="utf-8").split("\n")
        here = [c for c in changes if c["page"] == page]
        for change in here:
            assert old[change["line"] - 1] == change["old"] != change["new"]
            assert new[change["line"] - 1] == change["new"]
        differ = [i + 1 for i, (a, b) in enumerate(zip(old, new, strict=True)) if a != b]
        assert differ == sorted(c["line"] for c in here)
    result = run_cli(changed, "extract")
    assert result.returncode == 0, result.stderr
    pot = (changed / "locales" / "messages.pot").read_text(encoding="utf-8")
    assert all(c["new"].split()[-1] in pot for c in changes)


def test_drift_scenario_keeps_every_published_page_language(tmp_path: Path) -> None:
    """``bench.run --drift-only``: 1 % of paragraphs edited and a paragraph added to 10
    pages, then extract, update and build; the same page-languages are published."""
    result = subprocess.run(
        [sys.executable, "-m", "bench.run", "--drift-only", "--pages", "12",
         "--work", str(tmp_path / "work"), "--results", str(tmp_path / "results")],
        cwd=REPO, capture_output=True, text=True, timeout=900,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    [report] = (tmp_path / "results").glob("*-12p-drift.json")
    drift = json.loads(report.read_text(encoding="utf-8"))["drift"]
    assert drift["edited_paragraphs"] >= 1 and len(drift["added_to"]) == 10
    # The same page-languages, but those the build reported as withdrawn (the corpus is
    # translated at about 90 %, so a page near the keep threshold may leave).
    after = drift["after"]
    assert drift["consistent"] and not after["lost_unreported"] and not after["gained"]
    assert drift["before"]["published"] - len(after["newly_withdrawn"]) \
        == after["published"] > 0
    assert set(drift["steps"]) == {"extract", "update", "build"}
    assert all(step["seconds"] > 0 for step in drift["steps"].values())
    assert "page-languages published" in result.stdout
    # An added paragraph shows, in English, under the notice, in every language that
    # publishes its page.
    root = Path(drift["root"])
    slug = Path(drift["added_to"][0]).stem
    build = json.loads((root / "output/reports/build.json").read_text(encoding="utf-8"))
    shown = [row["tag"] for row in build["languages"]
             if row["tag"] != "en" and slug not in row["left_out"]]
    assert shown
    for tag in shown:
        html = (root / "output/build" / tag / f"{slug}.html").read_text(encoding="utf-8")
        assert '<div class="notice" role="note">' in html, tag
