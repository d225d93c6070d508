"""pipeline.stages.check and ``pipeline check``: translation QA on real fixture catalogs.

``tests/roots/qa`` is a small clean site (es, ar, zh_Hans): no finding at all.
``tests/roots/qa-findings`` has catalogs where every entry lists, in a ``#. expect:``
comment, exactly the codes it must produce, and ``#. near-miss:`` the codes it looks
like it could trigger but must not (reordered links, Arabic-Indic digits, ``؟``…).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOTS, copy_shipped, msgfmt_check, run_cli

from pipeline.config import load_config
from pipeline.errors import PipelineError, UsageError
from pipeline.po.model import Catalog, Entry
from pipeline.po.reader import read_po
from pipeline.po.writer import write_po
from pipeline.stages.check import check_catalog, check_entry, run_checks
from pipeline.stages.check.codes import CODES, FLAG_CODES, SOURCE_CODES
from pipeline.stages.check.context import CheckContext
from pipeline.text.glossary import parse_glossary
from pipeline.text.langs import parse_lang
from pipeline.text.messages import Messages

FINDINGS = ROOTS / "qa-findings"
# Codes of catalog entries (link-dead is about the source pages: tests/test_links.py).
CONTENT_CODES = [c for c in CODES if c not in FLAG_CODES | SOURCE_CODES]


def expectations(root: Path, key: str) -> dict[tuple[str, int], set[str]]:
    """(catalog path, msgid line) → the codes its ``#. <key>:`` comment names."""
    config = load_config(root)
    out: dict[tuple[str, int], set[str]] = {}
    for lang in config.languages:
        path = config.po_path(lang)
        catalog = read_po(path, config.rel(path))
        for entry in catalog.active:
            for comment in entry.auto_comments:
                if comment.startswith(f"{key}:"):
                    out[(catalog.path, entry.line)] = set(comment.split(":", 1)[1].split())
    return out


def found_codes(findings: Any) -> dict[tuple[str, int], set[str]]:
    out: dict[tuple[str, int], set[str]] = defaultdict(set)
    for f in findings:
        out[(f.location.path, f.location.line)].add(f.code)
    return out


def _spanish_lines(findings: Any) -> list[int]:
    """The catalog lines of the Spanish catalog's findings, in order."""
    return [f.location.line for f in findings
            if f.location is not None and "/es/" in f.location.path]


@pytest.fixture(scope="module")
def findings_result() -> Any:
    return run_checks(load_config(FINDINGS))


def test_clean_site_has_no_finding() -> None:
    result = run_checks(load_config(ROOTS / "qa"))
    assert result.findings == ()
    assert result.ok
    assert [(s.language, s.checked) for s in result.languages] == [
        ("en", 2), ("es", 12), ("ar", 12), ("zh_Hans", 12)]  # en: the pages' two links


def test_every_entry_produces_exactly_its_expected_codes(findings_result: Any) -> None:
    expected = expectations(FINDINGS, "expect")
    got = found_codes(findings_result.findings)
    assert set(got) <= set(expected), f"findings on entries without expectations: {got}"
    mismatches = {where: (want, got.get(where, set())) for where, want in expected.items()
                  if got.get(where, set()) != want}
    assert not mismatches, mismatches


@pytest.mark.parametrize("code", CONTENT_CODES)
def test_each_check_triggers_and_stays_quiet(code: str, findings_result: Any) -> None:
    expected = expectations(FINDINGS, "expect")
    near = expectations(FINDINGS, "near-miss")
    got = found_codes(findings_result.findings)
    triggers = [w for w, codes in expected.items() if code in codes]
    assert triggers, f"no fixture entry triggers {code}"
    assert all(code in got[w] for w in triggers)
    quiet = [w for w, codes in near.items() if code in codes]
    assert quiet, f"no near-miss fixture for {code}"
    assert all(code not in got.get(w, set()) for w in quiet)
    # and the clean site never triggers it
    assert all(f.code != code for f in run_checks(load_config(ROOTS / "qa")).findings)


def test_location_is_the_msgid_line_and_related_the_source(findings_result: Any) -> None:
    first = findings_result.findings[0]
    path = FINDINGS / first.location.path
    lines = path.read_text(encoding="utf-8").split("\n")
    assert lines[first.location.line - 1].startswith("msgid ")
    assert first.related and first.related[0].path == "source/pages/first-visit.md"
    assert first.details["language"] == "es" and first.details["msgid"]
    assert first.hint


def test_severities(findings_result: Any) -> None:
    for f in findings_result.findings:
        if f.code != "markup-mismatch":
            assert f.severity == CODES[f.code].severity, f
    markup = {f.message: f.severity for f in findings_result.findings
              if f.code == "markup-mismatch"}
    assert markup["unbalanced markup: '**' would show as text"] == "error"
    assert markup["0 image(s), the source has 1"] == "error"
    emphasis = "markup differs from the source: emphasis (*…*): 0, the source has 1"
    assert markup[emphasis] == "warning"
    es = findings_result.language("es")
    assert (es.errors, es.warnings) == (
        sum(1 for f in findings_result.findings
            if f.location.path.startswith("locales/es/") and f.severity == "error"),
        sum(1 for f in findings_result.findings
            if f.location.path.startswith("locales/es/") and f.severity == "warning"))
    assert not findings_result.ok


def test_fuzzy_entries_are_checked_only_when_asked_or_shown(make_root: Any) -> None:
    result = run_checks(load_config(FINDINGS), include_fuzzy=True)
    expected = expectations(FINDINGS, "expect-fuzzy")
    assert expected
    got = found_codes(result.findings)
    for where, codes in expected.items():
        assert got[where] == codes
    # a language that shows outdated (fuzzy) translations to readers has them checked
    root = make_root("qa-findings")
    config = root / "pyproject.toml"
    config.write_text(config.read_text() + '\n[tool.pipeline.language.es]\nfallback = "outdated"\n')
    got = found_codes(run_checks(load_config(root)).findings)
    for where, codes in expected.items():
        assert got[where] == codes


def _entry(msgstr: str, comments: tuple[str, ...] = (), flags: tuple[str, ...] = ()) -> Entry:
    return Entry(msgid="Welcome back", msgstr=msgstr, translator_comments=comments, flags=flags,
                 line=7)


def _context() -> CheckContext:
    return CheckContext(lang=parse_lang("es"), path="locales/es/LC_MESSAGES/messages.po",
                        source_language=parse_lang("en"))


def test_silencing_flag_needs_a_reason() -> None:
    ctx = _context()
    assert [f.code for f in check_entry(_entry("Welcome back"), ctx)] == ["same-as-source"]
    flagged = _entry("Welcome back", flags=("no-check-same-as-source",))
    assert [f.code for f in check_entry(flagged, ctx)] == ["same-as-source",
                                                          "flag-without-reason"]
    explained = replace(flagged, translator_comments=("Used as is on Spanish sites.",))
    assert check_entry(explained, ctx) == []
    prefill_note = replace(flagged, translator_comments=("pre-filled by tm: exact match",))
    assert "same-as-source" in [f.code for f in check_entry(prefill_note, ctx)]
    # a flag silences only its own code
    other = _entry("Welcome back", ("Used as is.",), ("no-check-punctuation",))
    assert [f.code for f in check_entry(other, ctx)] == ["same-as-source"]
    # html-added can never be silenced
    script = _entry("Bienvenido<script>x()</script>", ("harmless",), ("no-check-html-added",))
    assert [f.code for f in check_entry(script, ctx)] == ["html-added", "flag-not-allowed"]


def test_bracket_and_quote_findings_show_what_was_added() -> None:
    ctx = _context()
    gloss = Entry(msgid="Other treatments include botulinum toxin.", line=9,
                  msgstr="Otros tratamientos incluyen la toxina botulínica (bótox).")
    [finding] = check_entry(gloss, ctx)
    assert (finding.code, finding.severity) == ("bracket-mismatch", "warning")
    assert finding.message == ('the translation adds round brackets: 1 pair, the source has '
                               'none: "(bótox)"')
    assert "no-check-bracket-mismatch" in (finding.hint or "")
    # A placeholder's parentheses are syntax; the brackets around it are not.
    counted = Entry(msgid="%(count)s day", msgid_plural="%(count)s days", line=9,
                    msgstr_plural=("%(count)s día", "(%(count)s) días"), flags=("python-format",))
    assert [f.message for f in check_entry(counted, ctx)] == [
        'msgstr[1]: the translation adds round brackets: 1 pair, the source has none: '
        '"(%(count)s)"']
    zh = replace(ctx, lang=parse_lang("zh_Hans"))
    quoted = Entry(msgid="The first symptom is eyelid twitching (spasm).", line=9,
                   msgstr="首发症状通常是“眼皮跳”（痉挛）。")  # noqa: RUF001
    assert [f.message for f in check_entry(quoted, zh) if f.code == "quote-mismatch"] == [
        'the translation adds quotation marks: 1 quotation, the source has none: "“眼皮跳”"']


def test_pseudo_locales_skip_the_checks_their_transformation_trips() -> None:
    """en_XA brackets every message and may pad "one" with "öñé": not findings."""
    from pipeline.stages.prefill import pseudo_text

    ctx = replace(_context(), lang=parse_lang("en_XA"))
    for source in ("Take step one", 'Press "Send" (below).', "Write to info@example.org."):
        pseudo = pseudo_text(source, ctx.lang)
        assert check_entry(Entry(msgid=source, msgstr=pseudo, line=3), ctx) == [], pseudo


def test_html_found_sees_through_obfuscation() -> None:
    def html_found(text: str) -> list[str]:
        return list(Messages().facts(text).html)

    assert html_found("plain text, less than <5") == []
    assert html_found("[x](/a/) and <info@example.org>") == []
    assert html_found("Data: 2026") == []
    assert "a <script> tag" in html_found("a <SCRIPT src=//x>")
    assert "a <iframe> tag" in html_found("<iframe")  # unclosed still counts
    assert "a javascript: URL" in html_found("[x](java&#115;cript:alert(1))")
    assert "a javascript: URL" in html_found("<a href='java\u200bscript:x'>")
    assert "an event handler (onerror=)" in html_found('![x](/a.png "t") onerror=alert(1)')
    assert "a vbscript: URL" in html_found("vbscript:msgbox")
    assert "a style= attribute (CSS)" in html_found("{style=color:red}")


# (language, English, translation, what the translation adds: "" when nothing).
BLOCKS = [
    # real text that starts a line with a number, "#1" or a year
    ("de", "January 1: New Year's Day", "1. Januar: Neujahr", ""),
    ("de", "Closed on:\\\nNew Year's Day\\\nChristmas Day",
     "Geschlossen am:\\\n1. Januar\\\n25. Dezember", ""),
    ("hu", "Opened on January 1, 2024", "2024. január 1-jén nyitottunk", ""),
    ("es", "We rank first in care.\\\nWe opened in 2024.",
     "Somos el\\\n#1 en atención.\\\n2024 fue el año de apertura.", ""),
    ("zh_Hans", "Call us.", "请致电我们。", ""),
    ("es", "Bring **your card** and *one* ID.", "Traiga **su tarjeta** y *un* documento.", ""),
    # structure the English has too (a heading about "# of visits")
    ("es", "# of visits", "# de visitas", ""),
    # injected blocks
    ("es", "Bring your card.", "Traiga su tarjeta.\n\n# Y su pasaporte.",
     'a heading (line 3: "# Y su pasaporte.")'),
    ("es", "Bring your card.", "Traiga su tarjeta.\n\n> Cita falsa.",
     'a quote (line 3: "> Cita falsa.")'),
    ("es", "Bring your card.", "Traiga su tarjeta.\n- y su pasaporte.",
     'a list item (line 2: "- y su pasaporte.")'),
    ("es", "Bring your card.", "Traiga su tarjeta.\n\n1986. Doble la dosis.",
     'a list item (line 3: "1986. Doble la dosis.")'),
    ("es", "Bring your card.", "Traiga su tarjeta.\n```\nrm -rf\n```",
     'a code block (line 2: "```")'),
    ("es", "Bring your card.", "Traiga:\n| a | b |\n|---|---|",
     'a table row (line 2: "| a | b |")'),
    ("es", "Bring your card.", "Traiga su tarjeta.\n***", 'a thematic break (line 2: "***")'),
    ("es", "Bring your card.", "Traiga su tarjeta.\n====", 'a heading (line 2: "====")'),
    ("es", "# of visits", "# de visitas\n\n# Otra", 'a heading (line 3: "# Otra")'),
]


@pytest.mark.parametrize(("code", "english", "translation", "added"), BLOCKS)
def test_a_translation_adds_no_block_structure(code: str, english: str, translation: str,
                                               added: str) -> None:
    ctx = CheckContext(lang=parse_lang(code), path="locales/x.po",
                       source_language=parse_lang("en"))
    entry = Entry(msgid=english, msgstr=translation, line=9)
    found = [f for f in check_entry(entry, ctx) if f.code == "block-added"]
    if not added:
        assert found == []
        return
    [finding] = found
    assert finding.message == f"the translation adds {added}"
    assert (finding.severity, str(finding.location)) == ("error", "locales/x.po:9")
    assert "structure like the English" in (finding.hint or "")


def test_markup_in_an_images_alt_text_or_title_is_an_error() -> None:
    ctx = _context()
    title = Entry(msgid="Where to find us", line=4,
                  auto_comments=("image title, shown as a tooltip (image: map.png)",))
    alt = replace(title, auto_comments=("image alt text (image: map.png)",))
    for entry in (title, alt):
        def codes(msgstr: str, entry: Entry = entry) -> list[tuple[str, str]]:
            return [(f.code, f.severity) for f in check_entry(replace(entry, msgstr=msgstr),
                                                                ctx)]
        assert codes("Dónde encontrarnos") == []
        assert codes("Dónde **encontrarnos**") == [("markup-mismatch", "error")]
        assert codes("Dónde [encontrarnos](https://evil.example/)") == [("link-added", "error")]
        assert codes("Dónde ![x](x.png)") == [("markup-mismatch", "error")]
        assert codes("Dónde <b>encontrarnos</b>") == [("html-added", "error")]
    # the same words in a paragraph: bold there is a matter of style
    paragraph = replace(title, auto_comments=("paragraph",), msgstr="Dónde **encontrarnos**")
    assert [(f.code, f.severity) for f in check_entry(paragraph, ctx)] == [
        ("markup-mismatch", "warning")]


def test_plural_header_that_does_not_fit_the_language() -> None:
    config = load_config(FINDINGS)
    entry = Entry(msgid="%(count)s day", msgid_plural="%(count)s days",
                  msgstr_plural=("%(count)s يوم", "%(count)s أيام"), flags=("python-format",),
                  line=20)
    catalog = Catalog(header=(("Plural-Forms", "nplurals=2; plural=(n != 1);"),),
                      entries=(entry,), path="locales/ar/LC_MESSAGES/messages.po")
    findings, summary, _ = check_catalog(config, parse_lang("ar"), catalog)
    assert [f.message for f in findings] == [
        "the catalog's Plural-Forms header says nplurals=2, Arabic needs 6"]
    assert findings[0].severity == "error" and summary.errors == 1


def test_ignore_codes_from_cli_and_config(make_root: Any) -> None:
    result = run_checks(load_config(FINDINGS), ignore=("same-as-source,punctuation",))
    codes = {f.code for f in result.findings}
    assert "same-as-source" not in codes and "punctuation" not in codes
    assert "url-changed" in codes and result.ignored == ("same-as-source", "punctuation")
    with pytest.raises(UsageError, match="'html-added' cannot be ignored"):
        run_checks(load_config(FINDINGS), ignore=("html-added",))
    with pytest.raises(UsageError, match="unknown check code 'speling'"):
        run_checks(load_config(FINDINGS), ignore=("speling",))

    root = make_root("qa-findings")
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text()
                         + '\n[tool.pipeline.check]\nignore = ["number-changed"]\n')
    assert "number-changed" not in {f.code for f in run_checks(load_config(root)).findings}
    cli = run_cli(root, "check", "--ignore", "glossary", "--json")
    assert cli.returncode == 1
    codes = {f["code"] for f in json.loads(cli.stdout)["findings"]}
    assert "number-changed" not in codes and "glossary" not in codes and "html-added" in codes

    pyproject.write_text(pyproject.read_text().replace('"number-changed"', '"bidi-control"'))
    with pytest.raises(PipelineError, match=r"check\.ignore: 'bidi-control' cannot be ignored"):
        run_checks(load_config(root))
    config_error = run_cli(root, "check")
    assert config_error.returncode == 1
    assert config_error.stderr.startswith(
        "pyproject.toml: tool.pipeline.check.ignore: 'bidi-control' cannot be ignored")
    refused = run_cli(make_root("qa"), "check", "--ignore", "nope")
    assert refused.returncode == 2
    assert "--ignore: unknown check code 'nope'" in refused.stderr


def test_cli_prints_gnu_findings_and_a_summary_and_writes_qa_json(make_root: Any) -> None:
    root = make_root("qa-findings")
    result = run_cli(root, "check", "es")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert re.fullmatch(r"locales/es/LC_MESSAGES/messages\.po:\d+: error: .* \[url-changed\]",
                        lines[0])
    assert lines[1].startswith("  hint: ")
    assert lines[-1].startswith("qa: 25 errors, 19 warnings (es: 25 errors, 19 warnings); "
                                "report: output/reports/qa.json")
    report = root / "output" / "reports" / "qa.json"
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["stage"] == "qa"
    assert data["summary"]["errors"] == 25 and data["summary"]["warnings"] == 19
    assert data["summary"]["languages"]["es"]["checked"] > 40
    first = data["findings"][0]
    assert first["path"] == "locales/es/LC_MESSAGES/messages.po"
    assert first["location"] == f"{first['path']}:{first['line']}"
    assert first["code"] == "url-changed" and first["severity"] == "error"
    assert first["related"] == ["source/pages/first-visit.md:12"]
    assert first["details"]["url"] == "/contact/"
    # --json prints the same document; an unchanged report is not rewritten
    before = report.stat().st_mtime_ns
    as_json = run_cli(root, "check", "es", "--json")
    assert as_json.returncode == 1
    assert json.loads(as_json.stdout) == data
    assert report.stat().st_mtime_ns == before


def test_clean_fixture_exits_zero_and_passes_msgfmt(make_root: Any) -> None:
    root = make_root("qa")
    result = run_cli(root, "check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == (
        "qa: 0 errors, 0 warnings (en: 0 errors, 0 warnings; es: 0 errors, 0 warnings; "
        "ar: 0 errors, 0 warnings; zh_Hans: 0 errors, 0 warnings); "
        "report: output/reports/qa.json")
    for lang in ("es", "ar", "zh_Hans"):
        msgfmt_check(root / "locales" / lang / "LC_MESSAGES" / "messages.po")


def _shipped_copy(tmp_path: Path) -> Path:
    root = tmp_path / "shipped"
    return copy_shipped(root)


def test_shipped_catalogs_pass(tmp_path: Path) -> None:
    root = _shipped_copy(tmp_path)
    result = run_cli(root, "check")
    assert result.returncode == 0, result.stdout
    assert " 0 errors" in result.stdout


def test_acceptance_changed_link_and_script_in_the_shipped_spanish_catalog(
        tmp_path: Path) -> None:
    root = _shipped_copy(tmp_path)
    path = root / "locales" / "es" / "LC_MESSAGES" / "messages.po"
    display = "locales/es/LC_MESSAGES/messages.po"
    catalog = read_po(path, display)
    link = next(e for e in catalog.active if "](/contact/)" in e.msgstr)
    other = next(e for e in catalog.active if e.msgid == "Skip to main content")
    entries = tuple(
        replace(e, msgstr=e.msgstr.replace("](/contact/)", "](https://evil.example/)"))
        if e is link else replace(e, msgstr=e.msgstr + "<script>alert(1)</script>")
        if e is other else e
        for e in catalog.entries)
    write_po(replace(catalog, entries=entries), path, display)
    lines = {e.msgid: e.line for e in read_po(path, display).active}

    result = run_cli(root, "check")
    assert result.returncode == 1
    assert (f"{display}:{lines[link.msgid]}: error: link target changed: \"/contact/\" → "
            f"\"https://evil.example/\" [url-changed]") in result.stdout
    assert (f"{display}:{lines[other.msgid]}: error: the translation contains a <script> tag "
            "[html-added]") in result.stdout
    # The warnings follow the translations' wording; this test is about the two errors.
    assert re.search(r"qa: 2 errors, \d+ warnings? \(en: 0 errors, 0 warnings; "
                     r"es: 2 errors, \d+ warnings?; fr: 0 errors", result.stdout), result.stdout


def test_acceptance_blocks_injected_into_the_shipped_spanish_catalog(tmp_path: Path) -> None:
    root = _shipped_copy(tmp_path)
    path = root / "locales" / "es" / "LC_MESSAGES" / "messages.po"
    display = "locales/es/LC_MESSAGES/messages.po"
    catalog = read_po(path, display)
    added = {"What is the prognosis?": "\n\n# Pida cita hoy mismo.",
             "What research is being done?": "\n\n> Un médico lo recomienda."}
    entries = tuple(replace(e, msgstr=e.msgstr + added[e.msgid]) if e.msgid in added else e
                    for e in catalog.entries)
    write_po(replace(catalog, entries=entries), path, display)
    lines = {e.msgid: e.line for e in read_po(path, display).active}

    result = run_cli(root, "check", "es")
    assert result.returncode == 1
    assert (f"{display}:{lines['What is the prognosis?']}: error: the translation adds a "
            'heading (line 3: "# Pida cita hoy mismo.") [block-added]') in result.stdout
    assert (f"{display}:{lines['What research is being done?']}: error: the translation adds "
            'a quote (line 3: "> Un médico lo recomienda.") [block-added]') in result.stdout
    assert "hint: keep the translation's structure like the English" in result.stdout


def test_glossary_format_errors_name_the_line() -> None:
    rows = parse_glossary("term,lang,translation,note\n# comment\nBotox,*,Botox,brand\n"
                          "botulinum toxin,es-ES,toxina botulínica,\n", "locales/glossary.csv")
    assert [(r.term, r.lang, r.location.line) for r in rows] == [
        ("Botox", "*", 3), ("botulinum toxin", "es_ES", 4)]
    with pytest.raises(PipelineError) as bad_header:
        parse_glossary("source,target\n", "locales/glossary.csv")
    assert str(bad_header.value).startswith("locales/glossary.csv:1: glossary header")
    with pytest.raises(PipelineError) as bad_lang:
        parse_glossary("term,lang,translation\nx,klingon,y\n", "locales/glossary.csv")
    assert str(bad_lang.value).startswith("locales/glossary.csv:2: unknown locale code")
    with pytest.raises(PipelineError, match="needs a term, a lang and a translation"):
        parse_glossary("term,lang,translation\nx,es,\n", "locales/glossary.csv")


def test_glossary_can_be_switched_off(make_root: Any) -> None:
    root = make_root("qa-findings")
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + "\n[tool.pipeline.check]\nglossary = false\n")
    assert "glossary" not in {f.code for f in run_checks(load_config(root)).findings}


def test_length_ratio_tolerance_per_language(make_root: Any) -> None:
    root = make_root("qa-findings")
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text()
                         + "\n[tool.pipeline.language.zh_Hans]\nlength_ratio = [0.1, 1.5]\n")
    codes = found_codes(run_checks(load_config(root), [parse_lang("zh-Hans")]).findings)
    assert all("length-ratio" not in c for c in codes.values())
    pyproject.write_text(pyproject.read_text().replace("[0.1, 1.5]", "[1.5, 0.1]"))
    with pytest.raises(PipelineError, match="expected 0 < low < high"):
        load_config(root)


def checked_entries(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The msgids the check checks from now on (its memo's misses), in order."""
    import pipeline.stages.check as checks

    calls: list[str] = []
    real = checks.check_entry

    def counted(entry: Entry, ctx: Any, *args: Any) -> list[Any]:
        calls.append(entry.msgid)
        return real(entry, ctx, *args)

    monkeypatch.setattr(checks, "check_entry", counted)
    return calls


def test_remembered_findings_follow_their_entry_and_nothing_else(
        make_root: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The build's memo: an unchanged entry is not checked again, and the findings are
    exactly those of a run without the memo, at today's line, even after lines move."""
    root = make_root("qa-findings")
    config = load_config(root)
    memo: dict[str, Any] = {}
    first = run_checks(config, memo=memo)
    assert first.findings and set(memo) == {lang.code for lang in config.languages}
    calls = checked_entries(monkeypatch)
    assert run_checks(config, memo=memo) == first
    assert calls == []
    # A translator adds a comment at the top of the Spanish entries (every later line
    # moves by one) and fixes nothing: the same findings, one line further down.
    po = root / "locales/es/LC_MESSAGES/messages.po"
    text = po.read_text(encoding="utf-8")
    head, sep, rest = text.partition('\n\n#')
    po.write_text(head + sep[:-1] + "# reviewed by Ana\n#" + rest, encoding="utf-8")
    again = run_checks(config, memo=memo)
    assert len(calls) == 1  # only the commented entry was checked again
    assert again == run_checks(config)  # without the memo
    moved = _spanish_lines(again.findings)
    assert moved and set(moved) != set(_spanish_lines(first.findings))
    # The memo keeps what it read for a moved entry (nothing made again to pickle)...
    before = dict(memo["es"])
    po.write_text(head + sep[:-1] + "# reviewed by Ana\n# and Luis\n#" + rest,
                  encoding="utf-8")
    calls.clear()
    once_more = run_checks(config, memo=memo)
    assert len(calls) == 1  # the commented entry, its comment changed again
    kept = [key for key in memo["es"] if key in before]
    assert kept and all(memo["es"][key] is before[key] for key in kept)
    # ...and findings moved from there are those of a run without the memo: two lines
    # below where they were first found, one below the last run's.
    assert once_more == run_checks(config)
    assert [line for line in _spanish_lines(once_more.findings) if line > moved[0]
            ] and once_more != again


def test_the_build_remembers_findings_by_the_blocks_update_hashed(
        make_root: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """In a build, update has hashed every block of every catalog: the memo goes by
    those digests (no entry hashed again), with the same findings as without a memo."""
    from pipeline.stages.extract import extract
    from pipeline.stages.update import UpdateMemo, update_catalogs
    from pipeline.workspace import Workspace

    root = make_root("qa-findings")
    config = load_config(root)
    kept = UpdateMemo()

    def updated() -> Workspace:
        ws = Workspace()
        extract(config, ws=ws)
        update_catalogs(config, remember=True, memo=kept, ws=ws)
        return ws

    memo: dict[str, Any] = {}
    first = run_checks(config, memo=memo, ws=updated())
    assert first == run_checks(config)
    assert {len(key) for keys in memo.values() for key in keys} == {32}
    calls = checked_entries(monkeypatch)
    assert run_checks(config, memo=memo, ws=updated()) == first
    assert calls == []
    # A translator's comment on the first Spanish entry moves every later line.
    po = root / "locales/es/LC_MESSAGES/messages.po"
    text = po.read_text(encoding="utf-8")
    head, sep, rest = text.partition('\n\n#')
    po.write_text(head + sep[:-1] + "# reviewed by Ana\n#" + rest, encoding="utf-8")
    again = run_checks(config, memo=memo, ws=updated())
    assert len(calls) == 1
    assert again == run_checks(config)
