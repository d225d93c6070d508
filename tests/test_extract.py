"""pipeline extract: pages and templates → locales/messages.pot (one entry per block)."""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import run_cli

from pipeline import workspace
from pipeline.config import load_config
from pipeline.errors import PipelineError
from pipeline.po.model import Catalog, Entry
from pipeline.po.reader import read_po
from pipeline.stages.extract import extract
from pipeline.text.pages import Page, inline_message, load_pages, parse_page

MakeRoot = Callable[[str], Path]
PAGE = "source/pages/sample.md"
TEMPLATE = "source/templates/base.html"


def refs(entry: Entry) -> list[str]:
    return [str(location) for location in entry.locations]


@pytest.fixture
def pot(make_root: MakeRoot) -> Catalog:
    root = make_root("extraction")
    result = run_cli(root, "extract")
    assert result.returncode == 0, result.stderr
    return read_po(root / "locales" / "messages.pot", "locales/messages.pot")


def test_one_entry_per_block_with_lines(pot: Catalog) -> None:
    got = [(e.msgctxt, e.msgid, refs(e)) for e in pot.entries]
    assert got == [
        (None, "Fixture Clinic", ["pyproject.toml:5"]),
        (None, "Sample Page", [f"{PAGE}:2", f"{PAGE}:14"]),
        (None, "A page with every kind of block.", [f"{PAGE}:4"]),
        (None, "Home", [f"{PAGE}:7", f"{PAGE}:10", f"{PAGE}:49", f"{TEMPLATE}:7"]),
        (None, "A paragraph with **bold**, *emphasis*, `code` and a "
               '[link](https://example.org/ "Example"). It goes on over a second line.',
         [f"{PAGE}:16"]),
        (None, "Lists", [f"{PAGE}:19"]),
        (None, "First item", [f"{PAGE}:21"]),
        (None, "Second item with a [link](/contact/)", [f"{PAGE}:22"]),
        (None, "Step one", [f"{PAGE}:24"]),
        (None, "Step two", [f"{PAGE}:25"]),
        (None, "A neurologist talks with a patient", [f"{PAGE}:27"]),
        (None, "Dr. Rivera at the clinic", [f"{PAGE}:27"]),
        (None, "Section break", [f"{PAGE}:29"]),  # a decorative image's title
        (None, "Day", [f"{PAGE}:31"]),
        (None, "Hours", [f"{PAGE}:31"]),
        (None, "Monday", [f"{PAGE}:33"]),
        (None, "9\u201317", [f"{PAGE}:33"]),  # an en dash
        (None, "Tuesday", [f"{PAGE}:34"]),
        (None, "Closed", [f"{PAGE}:34"]),
        (None, "A quoted paragraph.", [f"{PAGE}:42"]),
        ("verb", "Close", [f"{PAGE}:45", f"{TEMPLATE}:12"]),
        (None, "Close", [f"{PAGE}:47"]),
        (None, "Skip to main content", [f"{TEMPLATE}:5"]),
        (None, "Breadcrumb", [f"{TEMPLATE}:7"]),
        (None, "Last updated: %(date)s", [f"{TEMPLATE}:10"]),
        (None, "One language.", [f"{TEMPLATE}:11"]),
        (None, "%(num)d page", [f"{TEMPLATE}:13"]),
    ]


def test_code_blocks_and_decorative_images_are_not_extracted(pot: Catalog) -> None:
    text = " ".join(e.msgid for e in pot.entries)
    assert "not extracted" not in text
    assert "divider" not in text


def test_translator_comments_say_what_each_block_is(pot: Catalog) -> None:
    comments = {(e.msgctxt, e.msgid): e.auto_comments for e in pot.entries}
    assert comments[(None, "Lists")] == ("heading level 2",)
    assert comments[(None, "Sample Page")] == (
        "page title (front matter 'title'; used in <title>)", "heading level 1")
    assert comments[(None, "First item")] == ("list item",)
    assert comments[(None, "Second item with a [link](/contact/)")] == (
        "list item; link text may be translated, URL kept: /contact/",)
    assert comments[(None, "A neurologist talks with a patient")] == (
        "image alt text (image: /images/visit.jpg)",)
    assert comments[(None, "Dr. Rivera at the clinic")] == (
        "image title, shown as a tooltip (image: /images/visit.jpg)",)
    assert comments[(None, "Section break")] == (
        "image title, shown as a tooltip (image: /images/divider.png)",)
    assert comments[(None, "Day")] == ("table header cell",)
    assert comments[(None, "Monday")] == ("table cell",)
    assert comments[(None, "A quoted paragraph.")] == ("quoted paragraph",)
    paragraph = next(c for (_, msgid), c in comments.items() if msgid.startswith("A paragraph"))
    assert paragraph == ("paragraph; link text may be translated, URL kept: "
                         "https://example.org/; keep the **bold**, *emphasis* and `code` "
                         "markers",)
    assert comments[(None, "Breadcrumb")] == (
        "the name of the breadcrumb trail for screen readers.", "template text")
    assert comments[(None, "Home")] == (
        "breadcrumb link text (front matter 'breadcrumb')",
        "parent page name, used in the back link (front matter 'parent')",
        "paragraph", "template text")


def test_templates_through_babel_jinja_extractor(pot: Catalog) -> None:
    by_key = {(e.msgctxt, e.msgid): e for e in pot.entries}
    updated = by_key[(None, "Last updated: %(date)s")]
    assert updated.flags == ("python-format",)
    assert updated.msgid_plural is None
    languages = by_key[(None, "One language.")]
    assert languages.msgid_plural == "%(count)s languages."
    assert languages.msgstr_plural == ("", "")
    assert languages.flags == ("python-format",)
    pages = by_key[(None, "%(num)d page")]
    assert (pages.msgid_plural, pages.flags) == ("%(num)d pages", ("python-format",))
    assert by_key[(None, "Skip to main content")].flags == ()
    assert by_key[("verb", "Close")].msgctxt == "verb"


def test_extract_twice_changes_no_byte_and_no_mtime(make_root: MakeRoot) -> None:
    root = make_root("extraction")
    pot = root / "locales" / "messages.pot"
    assert run_cli(root, "extract").returncode == 0
    first = pot.read_bytes()
    os.utime(pot, ns=(1_000_000_000, 1_000_000_000))
    for epoch in ("86400", "172800", None):
        result = run_cli(root, "extract", env={"SOURCE_DATE_EPOCH": epoch})
        assert result.returncode == 0, result.stderr
        assert "unchanged" in result.stdout
        assert pot.read_bytes() == first
        assert pot.stat().st_mtime_ns == 1_000_000_000


def test_source_date_epoch_sets_the_creation_date(make_root: MakeRoot) -> None:
    root = make_root("extraction")
    pot = root / "locales" / "messages.pot"
    assert run_cli(root, "extract", env={"SOURCE_DATE_EPOCH": "1767225600"}).returncode == 0
    assert '"POT-Creation-Date: 2026-01-01 00:00+0000\\n"' in pot.read_text()
    again = run_cli(root, "extract", env={"SOURCE_DATE_EPOCH": "1767225600"})
    assert "unchanged" in again.stdout
    page = root / PAGE
    page.write_text(page.read_text().replace("Step two", "Step two, then three"))
    changed = run_cli(root, "extract", env={"SOURCE_DATE_EPOCH": "1767312000"})
    assert "wrote" in changed.stdout
    text = pot.read_text()
    assert '"POT-Creation-Date: 2026-01-02 00:00+0000\\n"' in text
    assert 'msgid "Step two, then three"' in text


def test_template_syntax_error_names_file_and_line(make_root: MakeRoot) -> None:
    root = make_root("broken-template")
    result = run_cli(root, "extract")
    assert result.returncode == 1
    first = result.stderr.splitlines()[0]
    assert first.startswith("source/templates/page.html:4: template syntax error: "), first
    assert "hint:" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (root / "locales" / "messages.pot").exists()


def test_template_not_utf8_names_the_line(make_root: MakeRoot) -> None:
    root = make_root("extraction")
    (root / TEMPLATE).write_bytes(b"<p>\n<p>{{ _('caf\xe9') }}</p>\n")
    result = run_cli(root, "extract")
    assert result.returncode == 1
    assert result.stderr.startswith(f"{TEMPLATE}:2: not valid UTF-8"), result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(("front", "line", "message"), [
    ("title: T\nslug: x\ndescription: a: b\n", 4, "front matter is not valid YAML"),
    ("title: T\nslug: x\nupdated: 2026-13-45\n", 4, "front matter has an invalid value"),
    ("title: T\nslug: Not A Slug\n", 3, "slug 'Not A Slug' is not allowed"),
    ("title: T\nslug: x\ncolour: red\n", 4, "unknown front matter key 'colour'"),
])
def test_broken_front_matter(make_root: MakeRoot, front: str, line: int, message: str) -> None:
    root = make_root("extraction")
    (root / PAGE).write_text(f"---\n{front}---\n\n# T\n")
    result = run_cli(root, "extract")
    assert result.returncode == 1
    assert result.stderr.startswith(f"{PAGE}:{line}: {message}"), result.stderr
    assert "hint:" in result.stderr or message.startswith("front matter is not valid")
    assert "Traceback" not in result.stderr


# (front matter, the line to fix, the message after "front matter ", a word of the hint).
# Front matter line 1 is page line 2. PyYAML notices an open bracket or quote only at
# the next key or at the end, and a missing ':' at the next line: the line named is
# still the one with the mistake.
YAML_MISTAKES = [
    pytest.param("title: [Hemifacial Spasm\nslug: x\n", 2,
                 "is not valid YAML: the list that starts with '[' is not closed: "
                 "expected ',' or ']', but got ':' (line 3)", "quote the whole value",
                 id="unclosed-bracket"),
    pytest.param("slug: x\ntitle: [Hemifacial Spasm\n", 3,
                 "is not valid YAML: the list that starts with '[' is not closed: "
                 "expected ',' or ']', but got '<stream end>'", "close it",
                 id="unclosed-bracket-last"),
    pytest.param("title: T\nparent: {label: Home, href: /\nslug: x\n", 3,
                 "is not valid YAML: the mapping that starts with '{' is not closed: "
                 "expected ',' or '}', but got ':' (line 4)", "close it",
                 id="unclosed-brace"),
    pytest.param('title: "Hemifacial Spasm\nslug: x\ndescription: D\n', 2,
                 'is not valid YAML: the quoted value that starts with " is never closed',
                 'end the value with "', id="unclosed-double-quote"),
    pytest.param("title: T\ndescription: 'What it is\nslug: x\n", 3,
                 "is not valid YAML: the quoted value that starts with ' is never closed",
                 "end the value with '", id="unclosed-single-quote"),
    pytest.param("title: T\n  slug: x\n", 3,
                 "is not valid YAML: mapping values are not allowed here", "indented",
                 id="indented-key"),
    pytest.param("title: T\nslug: x\nparent:\n  label: Home\n href: /\n", 6,
                 "is not valid YAML: expected <block end>, but found '<block mapping start>'",
                 "indented", id="under-indented-key"),
    pytest.param("title: T\nspasm\nslug: x\n", 3,
                 "is not valid YAML: could not find expected ':'", "'key: value'",
                 id="key-without-colon"),
    pytest.param("title: T\n\tslug: x\n", 3,
                 "is not valid YAML: found character '\\t' that cannot start any token",
                 "not a tab", id="tab-indent"),
    pytest.param("title: T\nslug: x\ntitle: Other\n", 4,
                 "has the key 'title' twice (first on line 2)", "only the last",
                 id="duplicate-key"),
    pytest.param("title: T\nslug: x\nparent:\n  label: Home\n  href: /\n  label: Up\n", 7,
                 "has the key 'label' twice (first on line 5)", "only the last",
                 id="duplicate-nested-key"),
]


@pytest.mark.parametrize(("front", "line", "message", "hint"), YAML_MISTAKES)
def test_yaml_mistakes_name_the_line_to_fix(front: str, line: int, message: str,
                                            hint: str) -> None:
    text = f"---\n{front}---\n\n# T\n"
    with pytest.raises(PipelineError) as caught:
        parse_page(text, PAGE)
    error = caught.value
    assert (str(error.location), error.message) == (f"{PAGE}:{line}",
                                                    f"front matter {message}")
    assert error.hint is not None and hint in error.hint, error.hint


def test_a_yaml_mistake_is_reported_at_its_line_by_the_command(make_root: MakeRoot) -> None:
    root = make_root("extraction")
    page = root / PAGE
    page.write_text(page.read_text("utf-8").replace("title: Sample Page",
                                                    "title: [Sample Page", 1), "utf-8")
    result = run_cli(root, "extract")
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"{PAGE}:2: front matter is not valid YAML: the list that "
                               "starts with '[' is not closed"), result.stderr
    assert lines[1].startswith("  hint: ") and "Traceback" not in result.stderr


def test_extract_function_returns_the_catalog(make_root: MakeRoot) -> None:
    config = load_config(make_root("extraction"))
    first = extract(config)
    second = extract(config)
    assert first.written and not second.written
    assert [e.key for e in first.catalog.entries] == [e.key for e in second.catalog.entries]
    assert [p.slug for p in first.pages] == ["sample"]


def test_hard_line_breaks_survive_as_backslash_newline() -> None:
    assert inline_message("12 Main Street  \nSpringfield") == "12 Main Street\\\nSpringfield"
    assert inline_message("12 Main Street\\\nSpringfield") == "12 Main Street\\\nSpringfield"
    assert inline_message("soft\n  break") == "soft break"
    page = parse_page("---\ntitle: T\nslug: t\n---\n\n# T\n\nA  \nB\n", "p.md")
    assert [b.msgid for b in page.blocks] == ["T", "A\\\nB"]


def test_context_marker_applies_to_the_next_block_only() -> None:
    page = parse_page(
        "---\ntitle: T\nslug: t\n---\n\n# T\n\n<!-- msgctxt: menu -->\n- Open\n- Open file\n\n"
        "Open\n", "p.md")
    assert [(b.msgctxt, b.msgid, b.line) for b in page.blocks] == [
        (None, "T", 6), ("menu", "Open", 9), (None, "Open file", 10), (None, "Open", 12)]


def test_an_image_title_is_its_own_message_with_the_alt_texts_reference_and_context(
        ) -> None:
    page = parse_page(
        "---\ntitle: T\nslug: t\n---\n\n# T\n\n<!-- msgctxt: map -->\n"
        '![Entrance](map.png "Say \\"hi\\" &amp; turn\n  left")\n\n'
        "![Same](same.png 'Same')\n\n![](deco.png (Only a tooltip))\n\n"
        "![No title](plain.png)\n\n![](blank.png \"  \")\n", "p.md")
    assert [(b.kind, b.msgctxt, b.msgid, b.line) for b in page.blocks[1:]] == [
        ("image-alt", "map", "Entrance", 9),
        ("image-title", "map", 'Say "hi" & turn left', 9),  # unescaped, lines joined
        ("image-alt", None, "Same", 12),
        ("image-title", None, "Same", 12),
        ("image-title", None, "Only a tooltip", 14),
        ("image-alt", None, "No title", 16),
    ]
    assert page.blocks[2].comment == "image title, shown as a tooltip (image: map.png)"


def test_raw_html_in_a_page_is_an_error() -> None:
    with pytest.raises(PipelineError) as caught:
        parse_page("---\ntitle: T\nslug: t\n---\n\n# T\n\n<div>x</div>\n", "p.md")
    assert str(caught.value.location) == "p.md:8"


def test_a_saved_parse_is_reused_only_for_the_same_text(
        make_root: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """The build keeps parsed pages in its cache; a page is parsed again only when its
    text changed."""
    root = make_root("render-mini")
    config = load_config(root)
    ws = workspace.Workspace()
    first = load_pages(config.pages_dir, root, ws)
    saved = pickle.loads(pickle.dumps(ws.parsed_pages(first)))  # through the build cache
    assert len(saved) == len(first) > 1
    parsed: list[str] = []
    real = parse_page  # what the workspace calls

    def counting(text: str, path: str) -> Page:
        parsed.append(path)
        return real(text, path)

    monkeypatch.setattr(workspace, "parse_page", counting)
    assert load_pages(config.pages_dir, root, ws) == first and parsed == []  # the same build
    edited = root / first[0].path
    edited.write_text(edited.read_text(encoding="utf-8") + "\nOne more line.\n",
                      encoding="utf-8")
    again = load_pages(config.pages_dir, root, workspace.Workspace(pages=saved))  # the next
    assert parsed == [first[0].path]
    assert again[1:] == first[1:] and again[0] != first[0]
    # A page read back from the cache has no tokens kept: asked for, they are those of
    # the parse that made it (the renderer's index from block to token still holds).
    for kept, made in zip(again[1:], first[1:], strict=True):
        assert [(t.type, t.content, t.map) for t in kept.tokens.get()] == [
            (t.type, t.content, t.map) for t in made.tokens.get()]
