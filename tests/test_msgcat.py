"""Our PO writer against GNU msgcat, byte for byte, and our line breaking against libunistring.

A translator who saves a catalog through msgcat, msgmerge or Poedit's gettext must get
the bytes we wrote, or every save churns the diff. ``msgcat FILE`` re-lays out a whole
catalog (re-wrapping every string), so for each catalog we compare what msgcat writes
with what our writer writes for our reading of the same file. The one difference is on
purpose: msgcat drops flags GNU does not know (our ``no-check-…``); we keep them, so
they are left out of the comparison.
"""

# ruff: noqa: RUF001 -- multilingual test texts (full-width punctuation, en dashes)
from __future__ import annotations

import ctypes
import ctypes.util
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import REPO, ROOTS, require_tool
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.models import Location
from pipeline.po.linebreak import line_breaks, possible_breaks
from pipeline.po.model import Catalog, Entry
from pipeline.po.reader import parse_po, read_po
from pipeline.po.writer import format_po, own_flags

SHIPPED = sorted([REPO / "locales" / "messages.pot",
                  *(REPO / "locales").glob("*/LC_MESSAGES/messages.po")])
FIXTURES = sorted((ROOTS / "msgcat-layout" / "locales").glob("*/LC_MESSAGES/messages.po"))
HEADER = (("Project-Id-Version", "Layout Clinic"), ("Language", "ar"),
          ("MIME-Version", "1.0"), ("Content-Type", "text/plain; charset=UTF-8"),
          ("Content-Transfer-Encoding", "8bit"),
          ("Plural-Forms", "nplurals=2; plural=(n != 1);"))


def msgcat(path: Path) -> str:
    done = subprocess.run([require_tool("msgcat"), str(path)], capture_output=True,
                          check=True)
    return done.stdout.decode("utf-8")


def gnu_flags_only(catalog: Catalog) -> Catalog:
    """The catalog as msgcat keeps it: without the flags GNU does not know."""
    return replace(catalog, entries=tuple(
        replace(e, flags=tuple(f for f in e.flags if f not in own_flags(e.flags)))
        for e in catalog.entries))


def assert_msgcat_layout(catalog: Catalog, tmp_path: Path) -> None:
    """msgcat re-writes our output of ``catalog`` unchanged: our layout is GNU's."""
    ours = format_po(gnu_flags_only(catalog))
    written = tmp_path / "ours.po"
    written.write_text(ours, encoding="utf-8")
    assert msgcat(written) == ours


@pytest.mark.parametrize("path", SHIPPED + FIXTURES,
                         ids=lambda p: str(p.relative_to(REPO)))
def test_catalog_is_written_as_msgcat_writes_it(path: Path) -> None:
    assert len(SHIPPED) == 5 and len(FIXTURES) == 3
    ours = format_po(gnu_flags_only(read_po(path, path.name)))
    assert ours == msgcat(path)


def test_the_fixtures_need_wrapping_and_exercise_the_hard_cases() -> None:
    """The fixtures are written unwrapped: both writers have to break every long line."""
    texts = {p.parent.parent.name: p.read_text(encoding="utf-8") for p in FIXTURES}
    for lang, text in texts.items():
        assert max(len(line) for line in text.splitlines()) > 150, lang
        assert text != msgcat(ROOTS / "msgcat-layout" / "locales" / lang / "LC_MESSAGES"
                              / "messages.po")
    zh = msgcat(FIXTURES[2])
    assert '"面肌痉挛是一种神经肌肉疾病，特点是一侧面部肌肉频繁出现不自主的收缩（痉挛）。"\n' in zh
    assert "#~ msgid" in msgcat(FIXTURES[0]) and "#| msgid" in msgcat(FIXTURES[0])


def test_our_own_flags_are_the_only_difference() -> None:
    """msgcat drops ``no-check-…`` (a translator's reason to silence a check): we keep it,
    after GNU's flags, and that is the only line msgcat would change."""
    path = FIXTURES[0]
    ours = format_po(read_po(path, path.name)).splitlines()
    gnu = msgcat(path).splitlines()
    assert [line for line in ours if line not in gnu] == ["#, no-check-bracket-mismatch"]
    assert len(ours) == len(gnu) + 1


# Texts that meet the edge of a line at every column when shifted one column at a time.
SWEEP = (
    ("%(sender name)s wrote % d times to %(x)s today", ("python-format",)),
    ("{patient.name} and {doctor.name} at {date:%d.%m.%Y} or {a[0]}", ("python-brace-format",)),
    ('say "hello" and \\ back \\ slash "" and end', ()),
    ("a line of text that ends here\nand a second line\n", ()),
    ("面肌痉挛是一种神经肌肉疾病，特点是一侧面部肌肉频繁出现不自主的收缩（痉挛）。", ()),
    ("التَّشَنُّجُ النِّصْفِيُّ الوَجْهِيُّ اضْطِرَابٌ عَصَبِيٌّ عَضَلِيٌّ", ()),
    ("https://example.org/a/very/long/path/with-hyphens/and.dots?and=query&more=1", ()),
    ("well-known long-term follow-up check-ups — e.g. 3–5 mg/day", ()),
    ("👩\u200d⚕️👩\u200d⚕️👩\u200d⚕️ 🇨🇳🇨🇳🇨🇳 👍🏽👍🏽 emoji", ()),
    ("שלום-עולם מה-שלומך ‏(עברית)", ()),
    ("ภาษาไทยไม่มีช่องว่างระหว่างคำ and then English words", ()),
    ("tab\tand\u2028line separator\u00a0and\u200bzero width", ()),
)


def test_every_column_of_a_line_edge(tmp_path: Path) -> None:
    entries = [Entry(("x" * shift) + " " + text, text.upper(), flags=flags,
                     locations=(Location("p" * (shift + 40) + ".md", 1),
                                Location("source/pages/page.md", 7 + shift)))
               for text, flags in SWEEP for shift in range(26)]
    catalog = Catalog(header=HEADER, entries=tuple(entries))
    assert_msgcat_layout(catalog, tmp_path)


def test_previous_and_obsolete_strings_wrap_with_their_prefix(tmp_path: Path) -> None:
    long = "The clinic opens at nine in the morning from Monday to Friday, at ten on Saturdays."
    entries = [Entry(long + str(n) + " gone" * obsolete, "La clínica abre " * (n + 3),
                     flags=("fuzzy",),
                     previous_msgid=long[: 40 + n * 3] + " (old)",
                     previous_msgctxt="ctx " * n if n % 2 else None, obsolete=obsolete)
               for n in range(12) for obsolete in (False, True)]
    assert_msgcat_layout(Catalog(header=HEADER, entries=tuple(entries)), tmp_path)


_SCRIPTS = st.sampled_from([
    "abc", "Hemifacial", "spasm", " ", " ", "  ", "-", "—", ",", ".", "!", "?", ";", ":",
    "(", ")", "[", "]", '"', "'", "\\", "%", "%(n)s", "{n}", "/", "\n", "\t", "123", "1,5",
    "面肌", "痉挛", "，", "。", "、", "（", "）", "《", "》", "“", "”", "ＡＢ", "ｱｲ",
    "تشنج", "الوجه", "َ", "ّ", "،", "؟", "٣", "שלום", "ภาษา", "é", "ñ", "«", "»", "¿",
    "\u00a0", "\u200b", "\u200d", "👩", "🏽", "🇨", "\u0301", "\u2028", "https://x.org/a-b",
])
_TEXT = st.lists(_SCRIPTS, min_size=0, max_size=40).map("".join)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(_TEXT, _TEXT, st.sampled_from([(), ("python-format",),
                                                         ("python-brace-format",)])),
                min_size=1, max_size=12))
def test_random_text_in_many_scripts(tmp_path_factory: pytest.TempPathFactory,
                                     messages: list[tuple[str, str, tuple[str, ...]]]) -> None:
    entries = tuple(Entry(f"{n}{msgid}", msgstr, flags=flags)
                    for n, (msgid, msgstr, flags) in enumerate(messages))
    assert_msgcat_layout(Catalog(header=HEADER, entries=entries),
                         tmp_path_factory.mktemp("random"))


def test_header_and_flags_are_normalized_as_gnu_does() -> None:
    text = (
        'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        "#  two spaces\n#no space\n#.dot\n#. trailing   \n"
        "#: ./a.md:3 b.md c.md:0\n#, python-format fuzzy, c-format, no-check-x, wrap\n"
        'msgid "%s"\nmsgstr "%s"\n\n#, fuzzy\nmsgid "untranslated"\nmsgstr ""\n\n'
        '#~ msgid "obsolete and untranslated"\n#~ msgstr ""\n'
    )
    assert format_po(parse_po(text, "x.po")) == (
        'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        "#  two spaces\n# no space\n#. dot\n#. trailing   \n"
        "#: a.md:3 b.md c.md:0\n#, fuzzy, c-format, python-format, no-check-x\n"
        'msgid "%s"\nmsgstr "%s"\n\nmsgid "untranslated"\nmsgstr ""\n'
    )


# --- line breaking against libunistring itself ------------------------------------------


def _libunistring() -> ctypes.CDLL:
    require_tool("msgcat")  # libunistring comes with gettext
    name = ctypes.util.find_library("unistring")
    assert name, "libunistring is not installed; 'make test' installs gettext, which has it"
    return ctypes.CDLL(name)


def libunistring_line_breaks(text: str, width: int, start_column: int,
                             prohibited: set[int]) -> list[int]:
    """``u8_width_linebreaks_v2`` (what msgcat calls), in code-point indexes."""
    data = text.encode("utf-8")
    starts = [i for i, byte in enumerate(data) if byte & 0xC0 != 0x80]
    overrides = bytearray(len(data))
    for index in prohibited:
        overrides[starts[index]] = 1  # UC_BREAK_PROHIBITED
    result = ctypes.create_string_buffer(len(data))
    function = _libunistring().u8_width_linebreaks_v2
    function(data, ctypes.c_size_t(len(data)), width, start_column, 0,
             bytes(overrides), b"UTF-8", result)
    return [n for n, i in enumerate(starts) if result.raw[i] == 2]  # UC_BREAK_POSSIBLE


@settings(max_examples=300, deadline=None)
@given(text=_TEXT.filter(lambda t: "\n" not in t), width=st.integers(5, 80),
       start=st.integers(0, 20), forbid=st.sets(st.integers(0, 200), max_size=10))
def test_line_breaks_are_libunistrings(text: str, width: int, start: int,
                                       forbid: set[int]) -> None:
    prohibited = {i for i in forbid if i < len(text)}
    assert line_breaks(text, width, start, prohibited) == libunistring_line_breaks(
        text, width, start, prohibited)


def test_the_shipped_table_is_the_installed_libunistrings() -> None:
    """pipeline/data/gnu_linebreak.txt is what scripts/gnu_linebreak_table.py reads from
    the libunistring that msgcat uses (classes, widths and pair table of every code point)."""
    _libunistring()
    done = subprocess.run([sys.executable, str(REPO / "scripts" / "gnu_linebreak_table.py"),
                           "--check"], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_break_opportunities_follow_libunistrings_pair_table() -> None:
    assert possible_breaks("example.org and") == [8, 12]  # after "." too (no LB29 there)
    assert possible_breaks("面肌痉挛。是") == [1, 2, 3, 5]  # never before "。"
    assert possible_breaks("well-known") == [5]
    assert possible_breaks("%(n)s 10 %") == [6, 9]
    assert possible_breaks("C:\\clinic") == [2]  # after ":" before a backslash
