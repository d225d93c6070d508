"""The incremental update: after a small change to the template, only what changed is
merged, formatted and parsed, and the catalogs are byte for byte those of a full merge."""

from __future__ import annotations

import pickle
import random
import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

import pytest
from conftest import msgfmt_check
from hypothesis import given, settings
from hypothesis import strategies as st
from test_catalogs import (
    LANGS,
    PAGE,
    TEMPLATE,
    VOCABULARY,
    change_source,
    edit,
    po_path,
    prepare_history,
)

from pipeline.config import load_config
from pipeline.infra.workload import dumps
from pipeline.models import Location
from pipeline.models.update import UpdateResult
from pipeline.po import blocks as blocks_module
from pipeline.po.blocks import moved, read_blocks, read_blockwise
from pipeline.po.model import Catalog, Entry
from pipeline.po.reader import parse_po_bytes
from pipeline.po.writer import entry_text, format_po, write_po
from pipeline.stages import update as update_module
from pipeline.stages.extract import extract
from pipeline.stages.update import UpdateMemo, ahead_file, read_ahead, update_catalogs
from pipeline.text.msgmerge import merge_items

MakeRoot = Callable[[str], Path]


class Formatted:
    """Counts the entries an update formats (the rest of each file is kept as it was)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        self.counts = (0, 0)
        real = entry_text  # what update calls

        def counting(entry: Entry) -> str:
            self.count += 1
            return real(entry)

        monkeypatch.setattr(update_module, "entry_text", counting)


def update_both(incremental: Path, full: Path, memo: UpdateMemo, *, trivial: bool = False,
                formatted: Formatted | None = None
                ) -> tuple[list[UpdateResult], list[UpdateResult]]:
    """extract + update in both roots: with the memo, and without (the full merge);
    ``formatted`` counts the entries each formatted: (incremental, full)."""
    results = []
    counts = []
    for root, kept in ((incremental, memo), (full, None)):
        config = load_config(root)
        extract(config)
        if formatted is not None:
            formatted.count = 0
        results.append(update_catalogs(config, trivial_source_fixes=trivial, remember=True,
                                       memo=kept))
        if formatted is not None:
            counts.append(formatted.count)
    if formatted is not None:
        formatted.counts = (counts[0], counts[1])
    return results[0], results[1]


def assert_same(incremental: Path, full: Path, memo: UpdateMemo) -> None:
    for lang in LANGS:
        ours = po_path(incremental, lang).read_bytes()
        assert ours == po_path(full, lang).read_bytes(), lang
        # The memo's catalog is what the file reads as, lines included.
        display = f"locales/{lang}/LC_MESSAGES/messages.po"
        assert memo.catalogs[lang].catalog == parse_po_bytes(ours, display)
    assert memo.template is not None
    pot = (incremental / "locales" / "messages.pot").read_bytes()
    assert memo.template.catalog == parse_po_bytes(pot, "locales/messages.pot")
    # As the build cache keeps it: packed relative to the template, the same unpacked.
    assert pickle.loads(dumps(memo)) == memo


def twin(make_root: MakeRoot, tmp_path: Path) -> tuple[Path, Path]:
    root = make_root("translated")
    prepare_history(root)  # an obsolete entry, translator comments, a custom flag
    full = tmp_path / "full"
    shutil.copytree(root, full)
    return root, full


def both(roots: tuple[Path, Path], change: Callable[[Path], None]) -> None:
    for root in roots:
        change(root)


def test_incremental_update_is_the_full_merge_step_by_step(
        make_root: MakeRoot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    incremental, full = twin(make_root, tmp_path)
    memo = UpdateMemo()
    first = update_both(incremental, full, memo)  # no memo yet: a full merge, remembered
    assert first[0] == first[1]
    assert_same(incremental, full, memo)

    formatted = Formatted(monkeypatch)
    # A sentence edited (fuzzy), a list item removed (obsolete), an obsolete text back
    # (revived), a plural changed: each step against the full merge of the same input.
    both((incremental, full), change_source)
    results = update_both(incremental, full, memo, formatted=formatted)
    assert results[0] == results[1]
    assert sum(r.new_fuzzy for r in results[0]) == 2 * len(LANGS)
    assert sum(r.newly_obsolete for r in results[0]) == len(LANGS)
    assert_same(incremental, full, memo)
    # The full merge formats every entry; the incremental one only those that changed:
    # the edited sentence, the plural, the revived and the newly obsolete entry, and the
    # entries below the removed list item (their references moved up a line).
    entries = len(memo.catalogs["es"].catalog.entries)
    assert formatted.counts == (7 * len(LANGS), len(LANGS) * entries)
    for lang in LANGS:
        msgfmt_check(po_path(incremental, lang))

    # Back to the old text: the fuzzy entry is merged again; then nothing changes.
    both((incremental, full), lambda root: edit(
        root / PAGE, "Please arrive twenty minutes early", "Please arrive fifteen minutes early"))
    results = update_both(incremental, full, memo)
    assert results[0] == results[1]
    assert_same(incremental, full, memo)
    results = update_both(incremental, full, memo)
    assert results[0] == results[1] and not any(r.written for r in results[0])
    assert_same(incremental, full, memo)

    # A new paragraph (untranslated), a template text with a context, a page removed line.
    def grow(root: Path) -> None:
        edit(root / PAGE, "## After the visit\n", "## After the visit\n\nBring a friend.\n")
        edit(root / TEMPLATE, "{% pluralize %}This page is offered in",
             "{% pluralize %}This page is now offered in")

    both((incremental, full), grow)
    results = update_both(incremental, full, memo)
    assert results[0] == results[1]
    assert sum(r.new_untranslated for r in results[0]) >= len(LANGS)
    assert_same(incremental, full, memo)


def test_a_first_merge_reads_again_only_the_blocks_whose_text_changed(
        make_root: MakeRoot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # No memo yet (a cold build): the old file is read block by block, and the merged
    # file's blocks with the very text of an old block are not read a second time.
    incremental, full = twin(make_root, tmp_path)
    both((incremental, full), change_source)
    read: list[str] = []
    real = blocks_module._alone

    def counted(block: str, first: int, display: str) -> Entry | Catalog | None:
        if display.endswith(".po"):  # the template is read block by block too
            read.append(block)
        return real(block, first, display)

    monkeypatch.setattr(blocks_module, "_alone", counted)
    olds = {lang: po_path(incremental, lang).read_text(encoding="utf-8") for lang in LANGS}
    memo = UpdateMemo()
    results = update_both(incremental, full, memo)
    assert results[0] == results[1]
    assert_same(incremental, full, memo)  # as parse_po_bytes reads the merged file
    for lang in LANGS:
        old = olds[lang][:-1].split("\n\n")
        new = po_path(incremental, lang).read_text(encoding="utf-8")[:-1].split("\n\n")
        fresh = [block for block in new[1:] if block not in old]
        assert 0 < len(fresh) < len(new), lang
        # Each old block once; of the new, the header and the entries with fresh text.
        for block in old + new[:1] + fresh:
            read.remove(block)
    assert read == []


def test_a_translators_save_in_between_is_merged_in_full(
        make_root: MakeRoot, tmp_path: Path) -> None:
    incremental, full = twin(make_root, tmp_path)
    memo = UpdateMemo()
    update_both(incremental, full, memo)

    def translate(root: Path) -> None:  # Poedit's save: the file is no longer ours
        path = po_path(root, "es")
        catalog = parse_po_bytes(path.read_bytes(), "es")
        entries = tuple(replace(e, msgstr="Tarjeta sanitaria", flags=())
                        if e.msgid == "Your health card" else e for e in catalog.entries)
        path.write_text(format_po(replace(catalog, entries=entries)).replace("\n\n", "\n\n\n"),
                        encoding="utf-8")
        change_source(root)

    both((incremental, full), translate)
    results = update_both(incremental, full, memo)
    assert results[0] == results[1]
    assert_same(incremental, full, memo)
    card = next(e for e in memo.catalogs["es"].catalog.entries if e.msgid == "Your health card")
    assert card.msgstr == "Tarjeta sanitaria"


def test_catalogs_read_ahead_merge_as_the_files_read_then(
        make_root: MakeRoot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``read_ahead`` (a cold build's child, while extract runs): a first merge taking
    its files writes the bytes and remembers the parses of one that reads the catalogs
    itself; a catalog saved after it was read ahead is read again (the translator's save
    kept), and one not read yet by then is read by the merge."""
    ahead, full = twin(make_root, tmp_path)
    folder = tmp_path / "ahead"
    folder.mkdir()
    read_ahead(load_config(ahead), folder, 123)
    files = {lang: ahead_file(folder, lang, 123) for lang in LANGS}
    assert all(file.is_file() for file in files.values())
    assert not list(folder.glob("*.part*"))
    # Only the languages the merge has no memo of (a language added to a built site).
    some = tmp_path / "some"
    some.mkdir()
    read_ahead(load_config(ahead), some, 123, frozenset({"ar"}))
    assert [p.name for p in some.iterdir()] == [ahead_file(some, "ar", 123).name]
    files["ar"].unlink()  # not written yet when the merge took its languages

    def save(root: Path) -> None:  # Poedit's save after the child read the file
        path = po_path(root, "es")
        catalog = parse_po_bytes(path.read_bytes(), "es")
        entries = tuple(replace(e, msgstr="Tarjeta sanitaria", flags=())
                        if e.msgid == "Your health card" else e for e in catalog.entries)
        path.write_text(format_po(replace(catalog, entries=entries)), encoding="utf-8")
        change_source(root)

    both((ahead, full), save)
    memos = []
    results = []
    read = []  # the catalogs each merge parsed itself
    real = read_blocks  # what update calls

    def reading(texts: Any, display: str, earlier: Any) -> Any:
        read.append(display)
        return real(texts, display, earlier)

    monkeypatch.setattr(update_module, "read_blocks", reading)
    for root, taken in ((ahead, files), (full, None)):
        config = load_config(root)
        extract(config)
        memos.append(UpdateMemo())
        results.append(update_catalogs(config, remember=True, memo=memos[-1], ahead=taken))
    assert sorted(read) == sorted([*(f"locales/{lang}/LC_MESSAGES/messages.po"
                                     for lang in ("es", "ar")),
                                   *(f"locales/{lang}/LC_MESSAGES/messages.po" for lang in LANGS)])
    assert results[0] == results[1]
    assert_same(ahead, full, memos[0])
    assert memos[0].catalogs == memos[1].catalogs
    card = next(e for e in memos[0].catalogs["es"].catalog.entries
                if e.msgid == "Your health card")
    assert card.msgstr == "Tarjeta sanitaria"


def test_a_save_in_our_layout_merges_again_only_the_blocks_it_changed(
        make_root: MakeRoot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A translator's editor that keeps the layout (vim, or any that writes what it read
    # untouched): its blocks with the text the last merge wrote are that merge's.
    incremental, full = twin(make_root, tmp_path)
    memo = UpdateMemo()
    update_both(incremental, full, memo)

    def translate(root: Path) -> None:
        path = po_path(root, "es")
        catalog = parse_po_bytes(path.read_bytes(), "es")
        entries = tuple(replace(e, msgstr="Tarjeta sanitaria", flags=())
                        if e.msgid == "Your health card" else e for e in catalog.entries)
        write_po(replace(catalog, entries=entries), path, "es")
        change_source(root)

    both((incremental, full), translate)
    formatted = Formatted(monkeypatch)
    results = update_both(incremental, full, memo, formatted=formatted)
    assert results[0] == results[1]
    assert_same(incremental, full, memo)
    card = next(e for e in memo.catalogs["es"].catalog.entries if e.msgid == "Your health card")
    assert card.msgstr == "Tarjeta sanitaria"
    # What the source change formats in every catalog (as in the step-by-step test), and
    # the translator's entry, merged again; not the rest of the Spanish catalog.
    assert formatted.counts[0] == 7 * len(LANGS) + 1

    # The next update finds the file as it wrote it: nothing to merge or write.
    results = update_both(incremental, full, memo, formatted=formatted)
    assert formatted.counts[0] == 0 and not any(r.written for r in results[0])


def test_a_catalog_as_its_merge_wrote_it_is_not_merged_again(
        make_root: MakeRoot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The same template into the file its merge wrote gives that file back: a build
    # after no change, or after a translator's save to one catalog, merges only that one.
    incremental, full = twin(make_root, tmp_path)
    memo = UpdateMemo()
    update_both(incremental, full, memo)
    merged: list[str] = []
    real = merge_items  # what update calls

    def counting(po: Catalog, *args: object, **kwargs: object) -> object:
        merged.append(po.path)
        return real(po, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(update_module, "merge_items", counting)
    parses = {lang: memo.catalogs[lang].catalog for lang in LANGS}
    results = update_both(incremental, full, memo)
    assert results[0] == results[1] and not any(r.written for r in results[0])
    assert_same(incremental, full, memo)
    # Only the full merge (no memo) merged; the memo's parses stand, not made again.
    assert len(merged) == len(LANGS)
    assert all(memo.catalogs[lang].catalog is parses[lang] for lang in LANGS)

    def translate(root: Path) -> None:  # saved in our layout, the template unchanged
        path = po_path(root, "es")
        catalog = parse_po_bytes(path.read_bytes(), "es")
        entries = tuple(replace(e, msgstr="Tarjeta sanitaria", flags=())
                        if e.msgid == "Your health card" else e for e in catalog.entries)
        write_po(replace(catalog, entries=entries), path, "es")

    both((incremental, full), translate)
    merged.clear()
    results = update_both(incremental, full, memo)
    assert results[0] == results[1]
    assert_same(incremental, full, memo)
    spanish = "locales/es/LC_MESSAGES/messages.po"
    assert merged.count(spanish) == 2  # here and in the full merge
    assert len(merged) == len(LANGS) + 1
    card = next(e for e in memo.catalogs["es"].catalog.entries if e.msgid == "Your health card")
    assert card.msgstr == "Tarjeta sanitaria"


def test_confirmed_typo_fixes_incrementally(make_root: MakeRoot, tmp_path: Path) -> None:
    incremental, full = twin(make_root, tmp_path)
    memo = UpdateMemo()
    update_both(incremental, full, memo, trivial=True)
    both((incremental, full), lambda root: edit(root / PAGE, "within one week",
                                                "withn one week"))
    update_both(incremental, full, memo, trivial=True)
    both((incremental, full), lambda root: edit(root / PAGE, "withn one week",
                                                "within one week"))
    results = update_both(incremental, full, memo, trivial=True)
    assert results[0] == results[1]
    assert all(r.carried_over for r in results[0])
    assert_same(incremental, full, memo)


@pytest.mark.parametrize("seed", [1, 2])
def test_incremental_merge_of_a_large_catalog(tmp_path: Path, seed: int,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Hundreds of entries (the fuzzy index), plural and context entries, edits, removals
    and additions in several rounds: every round's catalog is the full merge's."""
    # One POT-Creation-Date for every extract: two extracts either side of a minute's
    # change would differ in that header line only, which is not what this test is about.
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    rng = random.Random(seed)

    def sentence() -> str:
        return " ".join(rng.choice(VOCABULARY) for _ in range(rng.randint(3, 40)))

    root = tmp_path / "site"
    (root / "source" / "pages").mkdir(parents=True)
    (root / "source" / "templates").mkdir(parents=True)
    (root / "source" / "templates" / "page.html").write_text(
        "<p>{{ _('Home') }}</p><p>{% trans count=n %}One page{% pluralize %}"
        "{{ count }} pages{% endtrans %}</p>\n", encoding="utf-8")
    (root / "pipeline.toml").write_text(
        'languages = ["es", "ar", "zh_Hans"]\nsite_title = "Site"\n'
        'base_url = "https://example.org/"\n', encoding="utf-8")
    paragraphs = [list(dict.fromkeys(sentence() for _ in range(25))) for _ in range(16)]

    def write_pages(where: Path) -> None:
        for n, page in enumerate(paragraphs):
            body = "\n\n".join(page)
            (where / "source" / "pages" / f"p{n:02}.md").write_text(
                f"---\ntitle: Page {n}\nslug: p{n:02}\n---\n\n# Page {n}\n\n{body}\n",
                encoding="utf-8")

    write_pages(root)
    config = load_config(root)
    extract(config)
    update_catalogs(config)  # new catalogs; then most entries translated, some fuzzy
    for lang in LANGS:
        path = po_path(root, lang)
        catalog = parse_po_bytes(path.read_bytes(), "x")
        entries = tuple(
            e if n % 9 == 0 else
            replace(e, msgstr_plural=tuple(f"{lang} {e.msgid} {i}" for i in
                                           range(len(e.msgstr_plural))))
            if e.msgid_plural else
            replace(e, msgstr=f"{lang}: {e.msgid.upper()}", flags=(
                ("fuzzy",) if n % 13 == 0 else ()) + e.flags)
            for n, e in enumerate(catalog.entries))
        write_po(replace(catalog, entries=entries), path, "x")
    full = tmp_path / "full"
    shutil.copytree(root, full)
    memo = UpdateMemo()
    update_both(root, full, memo)
    for _ in range(3):
        for page in paragraphs:
            for i in range(len(page)):
                roll = rng.random()
                if roll < 0.05:
                    words = page[i].split()
                    words.insert(rng.randrange(len(words) + 1), rng.choice(VOCABULARY))
                    page[i] = " ".join(words)
                elif roll < 0.07:
                    page[i] = sentence()
            if rng.random() < 0.3:
                del page[rng.randrange(len(page))]
            if rng.random() < 0.3:
                page.insert(rng.randrange(len(page) + 1), sentence())
            page[:] = list(dict.fromkeys(page))
        write_pages(root)
        write_pages(full)
        results = update_both(root, full, memo)
        assert results[0] == results[1]
        assert_same(root, full, memo)
        assert any(r.new_fuzzy for r in results[0])


# --- reading block by block -------------------------------------------------------------

SURROGATES: tuple[Literal["Cs"]] = ("Cs",)  # not text: no catalog can hold them
texts = st.text(st.characters(blacklist_categories=SURROGATES, blacklist_characters="\x00\x04"),
                max_size=90)
entries = st.builds(
    Entry,
    msgid=texts.filter(bool),
    msgstr=texts,
    msgctxt=st.none() | texts,
    locations=st.lists(st.builds(Location, st.sampled_from(["a.md", "b/c.html", "x y.md"]),
                                 st.integers(0, 500)), max_size=3).map(tuple),
    auto_comments=st.lists(texts.filter(lambda t: "\n" not in t), max_size=2).map(tuple),
    translator_comments=st.lists(texts.filter(lambda t: "\n" not in t), max_size=2).map(tuple),
    flags=st.lists(st.sampled_from(["fuzzy", "python-format", "no-wrap", "no-check-x"]),
                   max_size=2, unique=True).map(tuple),
    previous_msgid=st.none() | texts,
    obsolete=st.booleans(),
)
HEADER = (("Content-Type", "text/plain; charset=UTF-8"),
          ("Plural-Forms", "nplurals=2; plural=(n != 1);"))


def catalog_of(items: list[Entry]) -> Catalog:
    unique = {(e.obsolete, e.key): e for e in items}
    active = [e for e in unique.values() if not e.obsolete]
    # Obsolete entries only when they hold a translation: format_po writes no other.
    obsolete = [e for e in unique.values() if e.obsolete and e.msgstr]
    return Catalog(header=HEADER, entries=(*active, *obsolete))


@settings(max_examples=150, deadline=None)
@given(st.lists(entries, max_size=12), st.lists(entries, max_size=4), st.data())
def test_reading_block_by_block_is_parsing(before: list[Entry], extra: list[Entry],
                                           data: st.DataObject) -> None:
    old_text = format_po(catalog_of(before)).encode("utf-8")
    try:
        expected = parse_po_bytes(old_text, "x.po")
    except Exception:
        assert read_blockwise(old_text, "x.po", None) is None  # refused, never misread
        return
    read = read_blockwise(old_text, "x.po", None)
    assert read is not None and read[0] == expected
    # Edited: some entries dropped, some added, the rest moved up or down.
    after = [e for e in before if data.draw(st.booleans())] + extra
    data.draw(st.randoms()).shuffle(after)
    new_text = format_po(catalog_of(after)).encode("utf-8")
    try:
        again = parse_po_bytes(new_text, "x.po")
    except Exception:
        assert read_blockwise(new_text, "x.po", read) is None
        return
    reread = read_blockwise(new_text, "x.po", read)
    assert reread is not None and reread[0] == again


def test_blocks_that_are_not_one_entry_are_read_whole() -> None:
    good = format_po(Catalog(header=HEADER, entries=(Entry("a", "b"), Entry("c", "d"))))
    assert read_blockwise(good.encode(), "x.po", None) is not None
    # A comment cut off from its entry by a blank line belongs to the next entry.
    loose = good.replace('msgid "c"', '# note\n\nmsgid "c"')
    assert read_blockwise(loose.encode(), "x.po", None) is None
    # Two entries in one block; a duplicate; a file without its last line break.
    assert read_blockwise(good.replace('"b"\n\nmsgid', '"b"\nmsgid').encode(), "x",
                          None) is None
    assert read_blockwise(good.replace('"c"', '"a"').replace('"d"', '"b"').encode(), "x",
                          None) is None
    assert read_blockwise(good.rstrip("\n").encode(), "x", None) is None


def test_moved_keeps_everything_but_the_line() -> None:
    entry = Entry("a", "b", "c", "d", ("e", "f"), (Location("g", 1),), ("h",), ("i",),
                  ("fuzzy",), "j", "k", "l", True, 7)
    assert moved(entry, 9) == replace(entry, line=9)
    assert moved(entry, 7) is entry


def test_extract_reuses_the_blocks_of_the_template_it_wrote(
        make_root: MakeRoot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # As the build runs them: update's memo says the template is extract's own layout
    # only when it read the very bytes extract just wrote; extract then takes the blocks
    # of the entries the file holds instead of formatting them again.
    from pipeline.po.writer import FORMAT
    from pipeline.stages import extract as extract_module

    incremental, full = twin(make_root, tmp_path)
    memo = UpdateMemo()
    config = load_config(incremental)
    done = extract(config)
    update_catalogs(config, remember=True, memo=memo, template_laid_out=done.digest)
    assert memo.template is not None and memo.template.writer == FORMAT

    formatted: list[str] = []  # the entries extract formats one by one
    whole: list[Catalog] = []  # the templates it formats whole
    def one_entry(entry: Entry) -> str:
        formatted.append(entry.msgid)
        return entry_text(entry)

    def laid_out_whole(catalog: Catalog) -> str:
        whole.append(catalog)
        return format_po(catalog)

    monkeypatch.setattr(extract_module, "entry_text", one_entry)
    monkeypatch.setattr(extract_module, "format_po", laid_out_whole)
    both((incremental, full), change_source)
    laid_out = (memo.template.digest, memo.template.catalog)
    reused = extract(config, laid_out=laid_out)
    # Formatted: the entries the pages changed, and those whose references moved.
    held = {blocks_module.entry_content(e) for e in laid_out[1].entries}
    assert formatted == [e.msgid for e in reused.catalog.entries
                         if blocks_module.entry_content(e) not in held]
    assert reused.written and 0 < len(formatted) < len(reused.catalog.entries) / 2
    assert not whole
    extract(load_config(full))
    pot = incremental / "locales" / "messages.pot"
    assert pot.read_bytes() == (full / "locales" / "messages.pot").read_bytes()
    assert pot.read_bytes() == format_po(parse_po_bytes(pot.read_bytes(), "x.pot")).encode()

    # Laid out by hand since (a msgid split over two lines, the same entries): its
    # blocks are not this code's layout, and the template is formatted whole again.
    update_catalogs(config, remember=True, memo=memo, template_laid_out=reused.digest)
    laid_out = (memo.template.digest, memo.template.catalog)
    text = pot.read_text(encoding="utf-8")
    assert 'msgid "Please arrive twenty minutes early' in text
    pot.write_text(text.replace('msgid "Please arrive twenty minutes early',
                                'msgid ""\n"Please arrive twenty minutes early'), "utf-8")
    both((incremental, full), lambda root: edit(
        root / PAGE, "Please arrive twenty minutes early", "Please arrive ten minutes early"))
    formatted.clear()
    whole.clear()
    extract(config, laid_out=laid_out)
    assert not formatted and len(whole) == 1
    extract(load_config(full))
    assert pot.read_bytes() == (full / "locales" / "messages.pot").read_bytes()

    # A template update read that extract did not just write: not known to be its layout.
    update_catalogs(config, remember=True, memo=memo, template_laid_out=b"other")
    assert memo.template.writer == ""


class Text(str):
    """A str of its own type, which marshal refuses."""


def test_a_memo_marshal_cannot_write_is_pickled_as_it_is(make_root: MakeRoot,
                                                         tmp_path: Path) -> None:
    """The build cache writes the memo's plain values with marshal; a value of a type
    marshal refuses (a str subclass, say) has the memo pickled as it is, read back the
    same."""
    incremental, full = twin(make_root, tmp_path)
    memo = UpdateMemo()
    update_both(incremental, full, memo)
    catalog = memo.catalogs["es"].catalog
    first = next(e for e in catalog.entries if e.msgstr)
    odd = replace(first, msgstr=Text(first.msgstr))
    memo.catalogs["es"] = replace(memo.catalogs["es"], catalog=replace(
        catalog, entries=tuple(odd if e is first else e for e in catalog.entries)))
    data = dumps(memo)
    assert b"_memo_from" in data
    assert pickle.loads(data) == memo
