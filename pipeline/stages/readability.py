"""Readability: pages + catalogs → scores, hardest sentences and advice per page and language.

Input: the config, the source pages and each language's catalog (through
``translations.Translations``, so the text is exactly what the renderer shows, fallbacks
included). Output: a ``ReadabilityResult`` (``pipeline.models.readability``); the build and the
CLI write it as ``output/reports/readability.json`` and ``readability.html``. Catalogs
are only read: no score is ever written into them.

What counts (``../shared/CONVENTIONS.md``): the page's blocks as a reader reads them
(H1, headings, body, call to action; image alt text and the chrome — breadcrumb,
switcher, footer, back link — are not). Each block is its own unit: a heading is a
sentence without a final period. A block a translation does not cover yet is shown in
the source language (fallback): it is counted (``fallback_blocks``, ``fallback_words``)
but left out of that language's formulas — English text never feeds the Spanish formula
— and it is scored where it belongs, in the source language's row.
"""

from __future__ import annotations

import operator
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import replace

from pipeline.config import Config
from pipeline.errors import PipelineError
from pipeline.infra.fsutil import read_text
from pipeline.infra.workload import map_split, paused_gc
from pipeline.models import Finding, Location, Severity, frozen_details
from pipeline.models.readability import (
    Counts,
    PageReadability,
    ReadabilityResult,
    Score,
    SentenceScore,
    Target,
    also_used,
    lines_text,
)
from pipeline.text.glossary import GlossaryTerm, kept_terms, load_glossary
from pipeline.text.langs import Lang, parse_lang
from pipeline.text.measure.advice import passive_phrases, plain_word_pattern, shipped_plain_words
from pipeline.text.measure.formulas import FORMULAS, OTHER, profile, scores
from pipeline.text.measure.sentences import (
    measure_sentence,
    sentence_load,
    split_sentences,
    total,
)
from pipeline.text.measure.syllables import cmudict_file, ensure_cmudict
from pipeline.text.measure.words import language_of, words
from pipeline.text.messages import Messages
from pipeline.text.pages import Page, load_pages
from pipeline.text.translations import PoLocator, Resolved, Translations
from pipeline.workspace import Workspace

CHARS_PER_WORD_ZH = 1.6  # long-sentence limit for Chinese: words limit times this, in characters
# From this many pages times languages on, a second process shares the scoring (map_split).
SPLIT_PAGES = 1_000
SCORED_KINDS = ("heading", "paragraph", "list-item", "table-header", "table-cell", "quote")



def relocate(page: PageReadability, entries: PoLocator) -> PageReadability:
    """An earlier result for a page whose text did not change, pointed at today's
    catalog lines: an edit elsewhere in the catalog moves its entries."""
    if page.lang.code == entries.config.source_language.code:
        return page
    anchors = dict(page.anchors)

    def moved(po: Location, source: Location) -> Location:
        key = anchors.get(po)
        return (entries.where(page.lang, key) if key is not None
                else entries.locate(page.lang, source)) or po

    # What did not move is kept as it is (no copy): after an edit, the results of the
    # pages above it, and of every page after an edit that moves no line.
    def sentence(s: SentenceScore) -> SentenceScore:
        if s.po is None:
            return s
        po = moved(s.po, s.source)
        return s if po == s.po else replace(s, po=po)

    def relocated(f: Finding) -> Finding:
        if f.location is None or not f.location.line or len(f.related) != 1:
            return f
        location = moved(f.location, f.related[0])
        if not f.details.get("also"):
            return f if location == f.location else f.moved_to(location)
        # A term's other uses: their entries moved too.
        before = also_used(f)
        also = [moved(where, Location(page.page, line))
                for where, line in zip(before, f.details["also_lines"], strict=True)]
        if location == f.location and also == before:
            return f
        return replace(
            f, location=location,
            message=_plain_message(f.details["word"], f.details["plainer"], location, also),
            details=frozen_details(**{**f.details, "also": tuple(map(str, also))}))

    hardest = tuple(map(sentence, page.hardest))
    findings = tuple(map(relocated, page.findings))
    if all(map(operator.is_, hardest, page.hardest)) and all(
            map(operator.is_, findings, page.findings)):
        return page
    return replace(page, hardest=hardest, findings=findings)


def _movable(page: PageReadability) -> list[tuple[Location, Location]]:
    """Each catalog location ``relocate`` may move, by its rule above, with the page
    line it is found again by."""
    places = [(s.po, s.source) for s in page.hardest if s.po is not None]
    for f in page.findings:
        if f.location is not None and f.location.line and len(f.related) == 1:
            places.append((f.location, f.related[0]))
            if f.details.get("also"):
                places += [(where, Location(page.page, line)) for where, line in zip(
                    also_used(f), f.details["also_lines"], strict=True)]
    return places


def anchored(page: PageReadability, entries: PoLocator) -> PageReadability:
    """``page`` as just scored, with the message of each catalog location that
    ``relocate`` would not find again by its page line (``PageReadability.anchors``):
    a line holding several messages, a table row's, leads to its first one. Without
    them an edit moved a cell's sentence to the entry of the row's first cell."""
    if page.lang.code == entries.config.source_language.code:
        return page
    anchors: dict[Location, tuple[str | None, str]] = {}
    for po, source in _movable(page):
        if source in entries.shared and po not in anchors \
                and entries.locate(page.lang, source) != po:
            key = entries.message_at(page.lang, po)
            if key is not None:
                anchors[po] = key
    return replace(page, anchors=tuple(anchors.items())) if anchors else page


def moves_within(page: PageReadability, catalog: str) -> bool:
    """Whether ``relocate`` can move ``page``'s results only from one line of
    ``catalog`` (the path shown) to another: each location it may move is a line of
    that file already."""
    return all(po.path == catalog and po.line for po, _ in _movable(page))


def run_readability(config: Config, languages: Sequence[Lang] | None = None,
                    slugs: Sequence[str] | None = None, *,
                    targets: Mapping[str, float] | None = None,
                    fail_over_target: bool = False,
                    ws: Workspace | None = None) -> ReadabilityResult:
    """Score every page (or ``slugs``) in every language (or ``languages``).

    ``targets`` overrides a language's target (gettext code → value on its own scale);
    ``fail_over_target`` makes ``over-target`` findings errors instead of warnings.
    Pages, catalogs and messages are read through ``ws`` (one of its own when None).
    """
    ws = ws or Workspace()
    with paused_gc():
        ensure_dictionary(config)
        langs = _languages(config, languages)
        pages = _pages(config, slugs, ws)
        extra_words = _extra_plain_words(config)
        glossary = load_glossary(config)
        overrides = {parse_lang(code).code: value for code, value in (targets or {}).items()}
        blocks = _BlockMeasures()

        def score(unit: tuple[Lang, slice]) -> list[PageReadability]:
            lang, share = unit
            blocks.next_language()
            translations = Translations.load(config, lang, ws)
            words_to_avoid = {**shipped_plain_words(language_of(lang.base)),
                              **extra_words.get(language_of(lang.base), {})}
            plain = {" ".join(k.lower().split()): v for k, v in words_to_avoid.items() if v}
            names = _proper_names(config, glossary, lang)
            checker = _Advice(config, lang, plain_word_pattern(plain), plain,
                              plain_word_pattern(names))
            target = _target(config, lang, overrides)
            return [_score_page(config, page, lang, translations, target, checker,
                                fail_over_target, blocks, ws.messages) for page in pages[share]]

        # Languages are independent: with a second CPU, a child shares them.
        # An odd language out is split by pages between the two: with five languages,
        # three against two left one process 1.1 s of CPU behind the other at 1,000 pages.
        split = len(pages) * len(langs) >= SPLIT_PAGES
        units = [(lang, slice(None)) for lang in langs]
        if split and len(langs) % 2:
            units[-1:] = [(langs[-1], slice(0, None, 2)), (langs[-1], slice(1, None, 2))]
        results = [r for scored in map_split(score, units, split=split) for r in scored]
    order = {lang.code: i for i, lang in enumerate(langs)}
    results.sort(key=lambda r: (r.page, order[r.lang.code]))
    return ReadabilityResult(tuple(langs), config.source_language, tuple(results))


def ensure_dictionary(config: Config) -> None:
    """The CMU dictionary written where textstat's NLTK finds it (``ensure_cmudict``):
    once, in the build cache; later calls only put it on NLTK's path."""
    ensure_cmudict(config.output_dir / ".cache")


def dictionary_written(config: Config) -> bool:
    """Whether ``ensure_dictionary`` has nothing left to write."""
    return cmudict_file(config.output_dir / ".cache").is_file()


def _languages(config: Config, languages: Sequence[Lang] | None) -> list[Lang]:
    configured = list(config.all_languages)
    if not languages:
        return configured
    known = {lang.code: lang for lang in configured}
    out: list[Lang] = []
    for lang in languages:
        if lang.code not in known:
            raise PipelineError(
                f"language {lang.code!r} is not configured",
                Location(config.file),
                "configured: " + ", ".join(known) + " (add it to 'languages' first)",
            )
        if known[lang.code] not in out:
            out.append(known[lang.code])
    return sorted(out, key=configured.index)


def _pages(config: Config, slugs: Sequence[str] | None, ws: Workspace) -> list[Page]:
    pages = list(load_pages(config.pages_dir, config.root, ws))
    if not slugs:
        return pages
    by_slug = {p.slug: p for p in pages}
    missing = [s for s in slugs if s not in by_slug]
    if missing:
        raise PipelineError(f"no page with slug {missing[0]!r}", Location(config.pages),
                            "slugs: " + ", ".join(sorted(by_slug)))
    return [p for p in pages if p.slug in set(slugs)]


def _target(config: Config, lang: Lang, overrides: Mapping[str, float]) -> Target:
    scale = profile(lang.base)
    formula = FORMULAS[scale.primary]
    if lang.code in overrides:
        return Target(formula, overrides[lang.code], "command line", scale.why)
    configured = config.lang_config(lang).readability_target
    if configured is not None:
        return Target(formula, configured, "config", scale.why)
    return Target(formula, scale.target, "default", scale.why)


def _extra_plain_words(config: Config) -> dict[str, dict[str, str]]:
    """``[tool.pipeline.readability] plain_words``: a TOML file of ``[lang]`` tables."""
    if not config.readability.plain_words:
        return {}
    path = config.root / config.readability.plain_words
    display = config.readability.plain_words
    try:
        data = tomllib.loads(read_text(path, display))
    except tomllib.TOMLDecodeError as exc:
        raise PipelineError(f"not valid TOML: {exc}", Location(display)) from exc
    out: dict[str, dict[str, str]] = {}
    for code, table in data.items():
        if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
            raise PipelineError(
                f"[{code}] must be a table of word = \"plainer word\"", Location(display),
                'write e.g.\n    [en]\n    utilize = "use"',
            )
        out.setdefault(language_of(code), {}).update({str(k): v for k, v in table.items()})
    return out


def _proper_names(config: Config, glossary: Sequence[GlossaryTerm], lang: Lang
                  ) -> tuple[str, ...]:
    """Names plain-language advice leaves alone in ``lang``: the glossary's terms kept
    as they are (a brand, an acronym) and ``[tool.pipeline.readability] proper_names``
    (an institute's full name: "Neurological" in it is not the page's wording)."""
    return (*kept_terms(glossary, lang, config.source_language),
            *config.readability.proper_names)


_Sentence = tuple[str, int, Counts, int]  # text, start in the block, counts, load


class _BlockMeasures:
    """Sentences and counts of a block's text, measured once per language (pages repeat
    blocks) and its words once per run (a block that falls back to the source is the
    same text in every language)."""

    def __init__(self) -> None:
        self._words: dict[str, int] = {}
        self._sentences: dict[tuple[str, str], tuple[_Sentence, ...]] = {}

    def next_language(self) -> None:
        """Forget the sentences measured so far: another language's texts are its own
        (kept for every language, they grew with the site); fallback blocks, the same
        text in every language, only have their words counted."""
        self._sentences.clear()

    def words(self, text: str) -> int:
        count = self._words.get(text)
        if count is None:
            count = self._words[text] = len(words(text))
        return count

    def sentences(self, text: str, lang: str) -> tuple[_Sentence, ...]:
        """The sentences of a block's plain text in ``lang``, measured."""
        measured = self._sentences.get((text, lang))
        if measured is None:
            out: list[_Sentence] = []
            position = 0
            for sentence in split_sentences(text, lang):
                start = max(text.find(sentence, position), 0)
                position = start + len(sentence)
                counts = measure_sentence(sentence, lang)
                out.append((sentence, start, counts, sentence_load(counts, lang)))
            measured = self._sentences[(text, lang)] = tuple(out)
        return measured


def _score_page(config: Config, page: Page, lang: Lang, translations: Translations,
                target: Target, checker: _Advice, fail_over_target: bool,
                measures: _BlockMeasures, messages: Messages) -> PageReadability:
    # Each sentence as (its measures, its block's resolved text and page line); only the
    # hardest few become SentenceScores.
    sentences: list[tuple[_Sentence, Resolved, str, Location]] = []
    blocks = fallback_blocks = fallback_words = 0
    # Advice in reading order; a plain-language term is one notice per page, at its
    # first use (its key here), listing the lines it comes back on.
    advice: list[Finding | str] = []
    terms: dict[str, list[tuple[str, Location, Location]]] = {}
    for block in page.blocks:
        if block.kind not in SCORED_KINDS:
            continue
        blocks += 1
        resolved = translations.resolve(block.msgid, block.msgctxt)
        text = messages.plain(resolved.text)
        if resolved.is_fallback:
            fallback_blocks += 1
            fallback_words += measures.words(text)
            continue
        source = page.location(block.line)
        # SentenceScore.location: the .po entry for a translation, else the page line
        where = (resolved.po if resolved.po is not None and resolved.state != "source"
                 else source)
        for measured in measures.sentences(text, lang.base):
            sentences.append((measured, resolved, text, source))
            advice += checker.sentence(measured[0], measured[2].words, where, source)
            for word in checker.plain_words(measured[0]):
                key = word.lower()
                if key not in terms:
                    advice.append(key)
                terms.setdefault(key, []).append((word, where, source))
    findings = [checker.plain_language(terms[f], page.path) if isinstance(f, str) else f
                for f in advice]
    counts = total(m[2] for m, _, _, _ in sentences)
    # A pseudo-locale's text is a test rendering, not a language: no formula fits it.
    page_scores = () if lang.is_pseudo else scores(counts, lang.base)
    primary = next((s for s in page_scores if s.formula.key == target.formula.key), None)
    met = target.met_by(primary.value) if primary else None
    hardest = _hardest(sentences, config.readability.hardest_sentences)
    title = messages.plain(translations.resolve(page.title.value).text)
    result_findings = _page_findings(config, page, lang, translations, target, primary, met,
                                     blocks, fallback_blocks, fail_over_target)
    notes = _notes(lang, counts)
    return PageReadability(
        page=page.path, slug=page.slug, title=title, lang=lang,
        unit="characters" if language_of(lang.base) == "zh" else "words", counts=counts,
        scores=page_scores, target=target, met=met, blocks=blocks, fallback_blocks=fallback_blocks,
        fallback_words=fallback_words,
        hardest=tuple(SentenceScore(sentence, lang, sentence_counts, load, source, resolved.po,
                                    resolved.state, text, start)
                      for (sentence, start, sentence_counts, load), resolved, text, source
                      in (sentences[i] for i in hardest)),
        findings=(*result_findings, *findings), notes=notes,
    )


def _hardest(sentences: Sequence[tuple[_Sentence, Resolved, str, Location]], limit: int
             ) -> list[int]:
    """Indexes of the ``limit`` hardest sentences, hardest first; a sentence the page
    repeats (a block used twice) is listed once, at its first place."""
    out: list[int] = []
    seen: set[str] = set()
    for i in sorted(range(len(sentences)),
                    key=lambda i: (-sentences[i][0][3], -sentences[i][0][2].words, i)):
        text = sentences[i][0][0]
        if text not in seen:
            seen.add(text)
            out.append(i)
            if len(out) == limit:
                break
    return out


def _notes(lang: Lang, counts: Counts) -> tuple[str, ...]:
    language = language_of(lang.base)
    notes: list[str] = []
    if lang.is_pseudo:
        return (f"{lang.code} is a pseudo-locale (a test rendering of "
                f"{language_of(lang.base)}): counted, not scored.",)
    if language == "ar" and counts.undiacritized_words:
        notes.append(
            f"{counts.undiacritized_words} of {counts.words} words are written without "
            "short-vowel marks (harakat), or with only one or two: OSMAN counts their "
            "syllables from letters (every letter but alef and alef maqsura), textstat's "
            "fallback, so their syllable counts are estimates.")
    if language == "zh":
        notes.append("Chinese has no syllable formula: the score is the average sentence "
                     "length in characters; uncommon characters are those outside the 2,500 "
                     "most common. LIX is not defined for unspaced text.")
    if profile(lang.base) is OTHER:
        notes.append(f"No validated formula for {lang.english_name}: LIX only.")
    return tuple(notes)


def _page_findings(config: Config, page: Page, lang: Lang, translations: Translations,
                   target: Target, primary: Score | None, met: bool | None, blocks: int,
                   fallback_blocks: int, fail_over_target: bool) -> list[Finding]:
    out: list[Finding] = []
    first_line = page.blocks[0].line if page.blocks else 1
    page_location = page.location(first_line)
    where = page_location if translations.is_source else Location(translations.path)
    related = () if translations.is_source else (page_location,)
    if primary is not None and met is False:
        severity: Severity = "error" if fail_over_target else "warning"
        out.append(Finding(
            "over-target", severity,
            f"{page.slug} ({lang.code}): {primary.formula.name} {primary.value:.1f}, "
            f"target {target.text}",
            where,
            "shorten the sentences and use plainer words; the report lists the hardest "
            "sentences (output/reports/readability.html)",
            related,
            frozen_details(page=page.path, lang=lang.code, formula=primary.formula.name,
                           score=round(primary.value, 2), target=target.value),
        ))
    if fallback_blocks:
        shown = (f"all {blocks} blocks" if fallback_blocks == blocks
                 else f"{fallback_blocks} of {blocks} blocks")
        out.append(Finding(
            "fallback-not-scored", "notice",
            f"{page.slug} ({lang.code}): {shown} not translated yet: shown in "
            f"{config.source_language.english_name}, not scored as {lang.english_name}",
            where, "translate them; the source-language row scores that text", related,
            frozen_details(page=page.path, lang=lang.code, fallback_blocks=fallback_blocks,
                           blocks=blocks),
        ))
    return out


class _Advice:
    """Per-sentence advice (too long, passive voice) and the plain-language terms."""

    def __init__(self, config: Config, lang: Lang, pattern: re.Pattern[str] | None,
                 plain: Mapping[str, str], names: re.Pattern[str] | None):
        self.lang = lang
        self.pattern = pattern
        self.plain = plain
        self.names = names
        words = config.readability.long_sentence_words
        self.chinese = language_of(lang.base) == "zh"
        self.limit = round(words * CHARS_PER_WORD_ZH) if self.chinese else words
        self._passives: dict[str, list[str]] = {}
        self._plain_words: dict[str, list[str]] = {}

    def passives(self, text: str) -> list[str]:
        found = self._passives.get(text)
        if found is None:
            found = self._passives[text] = passive_phrases(text, self.lang.base)
        return found

    def plain_words(self, text: str) -> list[str]:
        """The words of the list in ``text``, in order, white space made single spaces;
        none inside a proper name."""
        found = self._plain_words.get(text)
        if found is None:
            names = ([m.span() for m in self.names.finditer(text)]
                     if self.names is not None else [])
            found = self._plain_words[text] = [
                " ".join(match.group(0).split()) for match in self.pattern.finditer(text)
                if not any(start < match.end() and match.start() < end
                           for start, end in names)
            ] if self.pattern is not None else []
        return found

    def sentence(self, text: str, words: int, location: Location, source: Location
                 ) -> list[Finding]:
        """Advice on one sentence of ``words`` words; ``location`` is where to fix it."""
        passives = self.passives(text)
        too_long = words > self.limit
        if not (too_long or passives):
            return []
        out: list[Finding] = []
        related = (source,) if location != source else ()
        quote = text if len(text) <= 80 else text[:77].rstrip() + "…"
        unit = "characters" if self.chinese else "words"
        if too_long:
            out.append(Finding(
                "sentence-too-long", "notice",
                f"sentence of {words} {unit} (limit {self.limit}): {quote}",
                location, "split it: one idea per sentence", related,
                frozen_details(lang=self.lang.code, words=words, limit=self.limit,
                               chinese=self.chinese, sentence=text),
            ))
        if passives:
            out.append(Finding(
                "passive-voice", "notice",
                f"passive voice {', '.join(_quoted(p) for p in passives)} in: {quote}",
                location, 'say who does what: "doctors use X", not "X is used"', related,
                frozen_details(lang=self.lang.code, phrases=tuple(passives), sentence=text),
            ))
        return out

    def plain_language(self, uses: Sequence[tuple[str, Location, Location]], page: str
                       ) -> Finding:
        """One notice for a term of the list: at its first use (the word as written,
        where to fix it, the page line), naming the other lines it is used on."""
        word, location, source = uses[0]
        plainer = self.plain[word.lower()]
        also: dict[Location, Location] = {}  # where to fix → its page line
        for _, where, line in uses[1:]:
            if where != location:
                also.setdefault(where, line)
        return Finding(
            "plain-language", "notice", _plain_message(word, plainer, location, list(also)),
            location,
            f"write {_quoted(plainer)} (or explain {_quoted(word)} the first time)",
            (source,) if location != source else (),
            frozen_details(lang=self.lang.code, word=word, plainer=plainer,
                           also=tuple(str(where) for where in also),
                           also_lines=tuple(line.line for line in also.values())),
        )


def _plain_message(word: str, plainer: str, location: Location, also: Sequence[Location]
                   ) -> str:
    message = f"{_quoted(word)}: a plainer word is {_quoted(plainer)}"
    return message + ("; also on " + lines_text(location, also) if also else "")


def _quoted(text: str) -> str:
    return f'"{text}"'
