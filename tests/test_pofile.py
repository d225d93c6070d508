"""pipeline.po: our PO reader/writer against polib, Babel, and hand-made broken files."""

from __future__ import annotations

import io
import os
from dataclasses import replace
from pathlib import Path

import polib
import pytest
from babel.messages.pofile import read_po as babel_read_po
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.errors import PipelineError
from pipeline.models import Location
from pipeline.po.model import Catalog, Entry
from pipeline.po.reader import parse_po, read_po
from pipeline.po.writer import format_po, write_po

LONG = (
    "Hemifacial spasm is a neuromuscular disorder characterized by frequent involuntary "
    "contractions (spasms) of the muscles on one side (hemi-) of the face (facial)."
)

HEADER = (
    ("Project-Id-Version", "Test Site"),
    ("Report-Msgid-Bugs-To", ""),
    ("POT-Creation-Date", "2026-01-02 03:04+0000"),
    ("PO-Revision-Date", "2026-01-02 03:04+0000"),
    ("Last-Translator", ""),
    ("Language-Team", ""),
    ("Language", "es"),
    ("MIME-Version", "1.0"),
    ("Content-Type", "text/plain; charset=UTF-8"),
    ("Content-Transfer-Encoding", "8bit"),
    ("Plural-Forms", "nplurals=2; plural=(n != 1);"),
)


def sample_catalog() -> Catalog:
    """One of everything a catalog of ours can hold."""
    return Catalog(
        header_comments=("Spanish translations for Test Site.",),
        header=HEADER,
        entries=(
            Entry("Hello", "Hola", locations=(Location("source/pages/a.md", 3),),
                  auto_comments=("heading level 1",), translator_comments=("checked by Ana",)),
            Entry(LONG, "El espasmo hemifacial es un trastorno neuromuscular.",
                  locations=(Location("source/pages/a.md", 5), Location("source/pages/b.md", 9)),
                  auto_comments=("paragraph",)),
            Entry('Say "hi"\nthen\ta \\ backslash', 'Di "hola"\nluego\tuna \\ barra',
                  locations=(Location("source/pages/a.md", 7),)),
            Entry("Open", "Abrir", msgctxt="menu", locations=(Location("source/pages/a.md", 11),)),
            Entry("%(count)s page", msgid_plural="%(count)s pages",
                  msgstr_plural=("%(count)s página", "%(count)s páginas"),
                  locations=(Location("source/templates/page.html", 41),),
                  flags=("python-format",)),
            Entry("The clinic opens at nine.", "La clínica abre a las nueve.",
                  locations=(Location("source/pages/a.md", 13),), auto_comments=("paragraph",),
                  flags=("fuzzy",), previous_msgid="The clinic opens at eight."),
            Entry("Close", "Cerrar", msgctxt="dialog",
                  locations=(Location("source/pages/a.md", 15),), flags=("fuzzy",),
                  previous_msgctxt="menu", previous_msgid="Close now"),
            Entry("NINDS", "NINDS", locations=(Location("source/pages/a.md", 17),),
                  translator_comments=("an acronym, the same in Spanish",),
                  flags=("no-check-same-as-source",)),
            Entry("Not yet", locations=(Location("source/pages/a.md", 19),)),
            Entry("Old paragraph", "Párrafo viejo", translator_comments=("kept",), obsolete=True),
            Entry("Older", "Más viejo", flags=("fuzzy",), previous_msgid="Oldest",
                  obsolete=True),
        ),
    )


def positionless(catalog: Catalog) -> Catalog:
    """Drop what only a parsed catalog knows (where things were in the file)."""
    return replace(catalog, header_line=0, header_lines=(), path="",
                   entries=tuple(replace(e, line=0) for e in catalog.entries))


def test_format_then_parse_round_trips() -> None:
    catalog = sample_catalog()
    text = format_po(catalog)
    assert positionless(parse_po(text, "x.po")) == catalog
    assert format_po(parse_po(text, "x.po")) == text


def test_entry_line_is_the_msgid_keyword_line() -> None:
    text = format_po(sample_catalog())
    lines = text.split("\n")
    for entry in parse_po(text, "x.po").entries:
        assert lines[entry.line - 1].lstrip("#~ ").startswith("msgid "), entry


def test_long_strings_wrap_at_79_columns_and_newlines_split() -> None:
    text = format_po(sample_catalog())
    assert max(len(line) for line in text.split("\n")) <= 79
    assert 'msgid ""\n"Say \\"hi\\"\\n"\n"then\\ta \\\\ backslash"\n' in text


def test_polib_reads_what_we_wrote(tmp_path: Path) -> None:
    catalog = sample_catalog()
    path = tmp_path / "es.po"
    write_po(catalog, path, "es.po")
    po = polib.pofile(str(path))
    assert po.metadata == dict(HEADER)
    assert po.header == "Spanish translations for Test Site."
    got = list(po)
    assert len(got) == len(catalog.entries)
    for ours, theirs in zip(catalog.entries, got, strict=True):
        assert theirs.msgid == ours.msgid
        assert theirs.msgctxt == ours.msgctxt
        assert theirs.obsolete == ours.obsolete
        if ours.msgid_plural is not None:
            assert theirs.msgid_plural == ours.msgid_plural
            assert theirs.msgstr_plural == dict(enumerate(ours.msgstr_plural))
        else:
            assert theirs.msgstr == ours.msgstr
        assert theirs.flags == list(ours.flags)
        assert theirs.occurrences == [(loc.path, str(loc.line)) for loc in ours.locations]
        assert theirs.comment == "\n".join(ours.auto_comments)
        assert theirs.tcomment == "\n".join(ours.translator_comments)
        if not ours.obsolete:  # polib 1.2 skips GNU's "#~|" (an obsolete entry's previous)
            assert theirs.previous_msgid == ours.previous_msgid
            assert theirs.previous_msgctxt == ours.previous_msgctxt
    assert [e.msgid for e in po.obsolete_entries()] == ["Old paragraph", "Older"]
    assert [e.msgid for e in po.fuzzy_entries()] == [
        "The clinic opens at nine.", "Close"]


def test_babel_reads_what_we_wrote(tmp_path: Path) -> None:
    catalog = sample_catalog()
    path = tmp_path / "es.po"
    write_po(catalog, path, "es.po")
    with open(path, "rb") as handle:
        babel = babel_read_po(handle)
    assert babel.fuzzy is False
    assert babel.plural_forms == "nplurals=2; plural=(n != 1);"
    assert babel.num_plurals == 2
    active = [m for m in babel if m.id]
    expected = catalog.active
    assert len(active) == len(expected)
    for ours, theirs in zip(expected, active, strict=True):
        if ours.msgid_plural is not None:
            assert theirs.id == (ours.msgid, ours.msgid_plural)
            assert theirs.string == ours.msgstr_plural
        else:
            assert theirs.id == ours.msgid
            assert theirs.string == ours.msgstr
        assert theirs.context == ours.msgctxt
        assert theirs.flags == set(ours.flags)
        assert theirs.locations == [(loc.path, loc.line) for loc in ours.locations]
        assert theirs.auto_comments == list(ours.auto_comments)
        # Babel 2.18's reader keeps "#|" lines as translator comments, verbatim.
        previous = []
        if ours.previous_msgctxt is not None:
            previous.append(f'| msgctxt "{ours.previous_msgctxt}"')
        if ours.previous_msgid is not None:
            previous.append(f'| msgid "{ours.previous_msgid}"')
        assert theirs.user_comments == [*ours.translator_comments, *previous]
    assert set(babel.obsolete) == {"Old paragraph", "Older"}
    assert babel.obsolete["Old paragraph"].string == "Párrafo viejo"
    assert babel.obsolete["Old paragraph"].user_comments == ["kept"]
    assert babel.obsolete["Older"].string == "Más viejo"
    assert "fuzzy" in babel.obsolete["Older"].flags


def test_babel_reads_our_template(tmp_path: Path) -> None:
    pot = Catalog(
        header=(("Content-Type", "text/plain; charset=UTF-8"),),
        header_flags=("fuzzy",),
        entries=(Entry("One", locations=(Location("a.md", 1),)),
                 Entry("%(n)s item", msgid_plural="%(n)s items", msgstr_plural=("", ""),
                       flags=("python-format",))),
    )
    path = tmp_path / "messages.pot"
    write_po(pot, path, "messages.pot")
    babel = babel_read_po(io.BytesIO(path.read_bytes()))
    assert [m.id for m in babel if m.id] == ["One", ("%(n)s item", "%(n)s items")]
    assert all(not m.string or m.string == ("", "") for m in babel if m.id)
    assert positionless(read_po(path, "messages.pot")) == pot


def test_crlf_and_bom_are_read_and_never_written(tmp_path: Path) -> None:
    catalog = sample_catalog()
    text = format_po(catalog)
    path = tmp_path / "es.po"
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    parsed = read_po(path, "es.po")
    assert positionless(parsed) == catalog
    assert write_po(parsed, path, "es.po") is True
    data = path.read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf")
    assert b"\r" not in data
    assert data.decode("utf-8") == text


def test_comments_before_a_blank_line_stay_with_their_entry() -> None:
    text = ('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
            "# a note\n\nmsgid \"a\"\n\nmsgstr \"b\"\n")
    (entry,) = parse_po(text, "x.po").entries
    assert entry.translator_comments == ("a note",)
    assert (entry.msgstr, entry.line) == ("b", 7)


def test_unchanged_catalog_is_not_rewritten(tmp_path: Path) -> None:
    path = tmp_path / "es.po"
    assert write_po(sample_catalog(), path, "es.po") is True
    os.utime(path, (1_000_000, 1_000_000))
    assert write_po(sample_catalog(), path, "es.po") is False
    assert path.stat().st_mtime == 1_000_000


PO_HEAD = ('msgid ""\nmsgstr ""\n"Language: es\\n"\n'
           '"Content-Type: text/plain; charset=UTF-8\\n"\n'
           '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n\n')  # 6 lines
NO_PLURALS_HEAD = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'

BROKEN = {
    "unterminated string": (
        PO_HEAD + 'msgid "Hello\nmsgstr "Hola"\n', 7, "unterminated string"),
    "bad escape": (
        PO_HEAD + 'msgid "Hello"\nmsgstr "Ho\\qla"\n', 8, "invalid escape sequence \\q"),
    "msgstr before msgid": (
        PO_HEAD + '#: a.md:1\nmsgstr "Hola"\n', 8, "msgstr before msgid"),
    "second msgstr with no msgid": (
        PO_HEAD + 'msgid "a"\nmsgstr "b"\n\nmsgstr "c"\n', 10, "msgstr before msgid"),
    "stray text": (
        PO_HEAD + 'msgid "a"\nmsgstr "b"\nhello there\n', 9, "unexpected text 'hello'"),
    "text after closing quote": (
        PO_HEAD + 'msgid "a"\nmsgstr "b" c\n', 8, "unexpected text after the closing quote"),
    "unescaped quote": (
        PO_HEAD + 'msgid "a"\nmsgstr "say "hi""\n', 8, "unexpected text after the closing quote"),
    "duplicate msgid": (
        PO_HEAD + 'msgid "a"\nmsgstr "b"\n\nmsgid "a"\nmsgstr "c"\n', 10,
        "duplicate message definition (first defined at line 7)"),
    "wrong number of plural forms": (
        PO_HEAD + 'msgid "a"\nmsgid_plural "as"\nmsgstr[0] "x"\nmsgstr[1] "y"\n'
        'msgstr[2] "z"\n', 7, "3 plural forms, but Plural-Forms says nplurals=2"),
    "missing Plural-Forms": (
        NO_PLURALS_HEAD + 'msgid "a"\nmsgstr "b"\n\nmsgid "one"\nmsgid_plural "many"\n'
        'msgstr[0] "uno"\nmsgstr[1] "muchos"\n', 8, "the header has no Plural-Forms"),
    "bad Plural-Forms": (
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
        '"Plural-Forms: nplurals=2; plural=n;\\n"\n', 4, "Plural-Forms header"),
    "msgid without msgstr": (
        PO_HEAD + 'msgid "a"\n\nmsgid "b"\nmsgstr "c"\n', 7, "msgid without msgstr"),
    "obsolete and active lines mixed": (
        PO_HEAD + '#~ msgid "a"\nmsgstr "b"\n', 8, "mixes obsolete"),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_po_names_path_line_and_hint(tmp_path: Path, name: str) -> None:
    text, line, message = BROKEN[name]
    path = tmp_path / "es.po"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PipelineError) as caught:
        read_po(path, "locales/es/LC_MESSAGES/messages.po")
    error = caught.value
    assert str(error.location) == f"locales/es/LC_MESSAGES/messages.po:{line}", str(error)
    assert message in error.message
    assert error.hint
    assert str(error).startswith(f"locales/es/LC_MESSAGES/messages.po:{line}: ")


def test_latin1_bytes_in_a_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "es.po"
    path.write_bytes((PO_HEAD + 'msgid "cafe"\n').encode() + b'msgstr "caf\xe9"\n')
    with pytest.raises(PipelineError) as caught:
        read_po(path, "es.po")
    assert str(caught.value.location) == "es.po:8"
    assert "not valid UTF-8" in caught.value.message
    assert caught.value.hint and "UTF-8" in caught.value.hint


@pytest.mark.parametrize("body", [b'msgid "a"\nmsgstr "b"\n', b'msgid "cafe"\nmsgstr "caf\xe9"\n'])
def test_charset_other_than_utf8(tmp_path: Path, body: bytes) -> None:
    path = tmp_path / "es.po"
    path.write_bytes(b'msgid ""\nmsgstr ""\n"Language: es\\n"\n'
                     b'"Content-Type: text/plain; charset=ISO-8859-1\\n"\n\n' + body)
    with pytest.raises(PipelineError) as caught:
        read_po(path, "es.po")
    assert str(caught.value.location) == "es.po:4"
    assert "charset 'ISO-8859-1' is not UTF-8" in caught.value.message
    assert caught.value.hint and "msgconv" in caught.value.hint


@pytest.mark.parametrize("data", [b"", b"\n\n  \n", b"\xef\xbb\xbf"])
def test_empty_file(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "es.po"
    path.write_bytes(data)
    with pytest.raises(PipelineError) as caught:
        read_po(path, "es.po")
    assert str(caught.value.location) == "es.po:1"
    assert "empty file" in caught.value.message
    assert caught.value.hint


_TEXT = st.text(
    alphabet=st.one_of(
        st.characters(blacklist_categories=("Cs", "Cc")),
        st.sampled_from('\n\t"\\ '),
    ),
    max_size=200,
)


@settings(max_examples=200, deadline=None)
@given(msgid=_TEXT.filter(bool), msgstr=_TEXT, context=st.none() | _TEXT,
       comment=st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=60),
       obsolete=st.booleans())
def test_any_text_round_trips(msgid: str, msgstr: str, context: str | None, comment: str,
                              obsolete: bool) -> None:
    entry = Entry(msgid, msgstr, msgctxt=context, obsolete=obsolete,
                  translator_comments=(comment.strip(),) if comment.strip() else ())
    catalog = Catalog(header=(("Content-Type", "text/plain; charset=UTF-8"),), entries=(entry,))
    text = format_po(catalog)
    if obsolete and not msgstr:  # as msgcat, no obsolete entry without a translation
        catalog = replace(catalog, entries=())
    assert positionless(parse_po(text, "x.po")) == catalog
