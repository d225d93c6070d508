"""Readability result → self-contained, accessible HTML documents (no scripts, no external files).

``output/reports/readability.html`` is the index: how to read the report and one row per
page with each language's score and whether it meets its target, linking to that page's
own document. ``output/reports/readability/<slug>.html`` is one page in detail: its
scores per language, a small inline SVG chart (each language against its own scale and
target, with a text alternative), and per language the hardest sentences highlighted in
their block with the page line and the ``.po`` line to change, and the advice. A detail
document depends only on its own page's result, so an unchanged page keeps its bytes and
its file (the build re-checks only changed documents for accessibility).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from html import escape

from pipeline.models import Finding, Location
from pipeline.models.readability import (
    Formula,
    PageReadability,
    ReadabilityResult,
    SentenceScore,
    also_used,
    lines_text,
)
from pipeline.reporters.htmldoc import report_document
from pipeline.text.langs import Lang
from pipeline.text.measure.formulas import FORMULAS, profile
from pipeline.text.measure.words import language_of

CSS = """
:root { color: #1a1a1a; background: #ffffff; font-family: system-ui, sans-serif;
  line-height: 1.5; }
body { margin: 0; }
main { max-width: 72rem; margin: 0 auto; padding: 1rem 1.5rem 3rem; }
h1 { font-size: 1.75rem; } h2 { font-size: 1.4rem; margin-top: 2.5rem;
  border-top: 2px solid #5c5c5c; padding-top: 1rem; }
h3 { font-size: 1.2rem; margin-top: 2rem; } h4 { font-size: 1rem; margin-bottom: .25rem; }
.scroll { overflow-x: auto; }
.scroll:focus { outline: 3px solid #0b4f8a; }
table { border-collapse: collapse; margin: 1rem 0; font-variant-numeric: tabular-nums; }
caption { text-align: start; font-weight: 600; padding-bottom: .25rem; }
th, td { border: 1px solid #8a8a8a; padding: .25rem .5rem; text-align: start;
  vertical-align: top; }
td.num { text-align: end; }
thead th { background: #ececec; }
.over { color: #a4161a; font-weight: 600; }
.met { color: #1b5e20; font-weight: 600; }
mark { background: #fff0a8; color: #1a1a1a; padding: 0 .1em; outline: 1px solid #8a6d00; }
blockquote { margin: .25rem 0; padding: .25rem .75rem; border-inline-start: 4px solid #5c5c5c;
  background: #f6f6f6; }
code { font-size: .95em; overflow-wrap: anywhere; }
p, li, dl, figcaption, blockquote { max-width: 70ch; }
dl.scores { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: .1rem 1rem; }
dl.scores dt { font-weight: 600; } dl.scores dd { margin: 0; }
@media (max-width: 30rem) {
  main { padding-inline: 1rem; }
  dl.scores { display: block; } dl.scores dd { margin-bottom: .5rem; }
}
figure { margin: 1rem 0; } svg { max-width: 100%; height: auto; }
.chart-axis { display: flex; justify-content: space-between; font: 13px/20px system-ui,
  sans-serif; color: #1a1a1a; background: #ffffff; }
.chart-label { font: 600 14px/20px system-ui, sans-serif; color: #1a1a1a;
  background: #ffffff; white-space: nowrap; }
.chart-value { font: 13px/20px system-ui, sans-serif; color: #1a1a1a; background: #ffffff;
  white-space: nowrap; }
.note { border-inline-start: 4px solid #0b4f8a; padding-inline-start: .75rem; }
"""

ROW_HEIGHT = 64
CHART_WIDTH = 720
TRACK_X = 8
TRACK_WIDTH = 480


INDEX = "readability.html"  # in output/reports/
DETAILS = "readability"  # the detail documents' folder, beside the index


def detail_name(slug: str) -> str:
    return f"{slug}.html"


# The summary table holds at most this many pages. pa11y's HTML_CodeSniffer takes
# superlinear time on a big table (1,000 rows: over 3 minutes; 100 rows: 4 s), and the
# index is checked again after every edit; a bigger site gets parts of this size.
PART_ROWS = 100


def part_name(number: int) -> str:
    return f"_pages-{number}.html"  # a slug has no "_": never a page's document name


def part_count(result: ReadabilityResult) -> int:
    """How many parts the summary comes in (``render_part_html``): 0 when the index
    holds every row."""
    return len(_parts(result))


def _parts(result: ReadabilityResult) -> list[list[tuple[str, list[PageReadability]]]]:
    """The summary rows in parts of ``PART_ROWS`` pages; none when one table holds all."""
    pages = by_page(result.pages)
    if len(pages) <= PART_ROWS:
        return []
    return [pages[i:i + PART_ROWS] for i in range(0, len(pages), PART_ROWS)]


def _document(title: str, body: list[str]) -> str:
    return report_document(escape(title), CSS, body)


def render_html(result: ReadabilityResult) -> str:
    """The index document: how to read the report, one summary row per page (a big
    site: a row per language and links to the parts of the summary)."""
    parts = _parts(result)
    return _document("Readability report", [
        "<h1>Readability report</h1>",
        *_introduction(result),
        *(_overview(result, parts) if parts else _summary(result, by_page(result.pages))),
    ])


def render_part_html(result: ReadabilityResult, number: int) -> str:
    """Part ``number`` (from 1) of a big site's summary: its pages' rows."""
    parts = _parts(result)
    pages = parts[number - 1]
    first = (number - 1) * PART_ROWS + 1
    total = sum(len(part) for part in parts)
    heading = f"Readability: pages {first} to {first + len(pages) - 1} of {total}"
    return _document(heading, [
        f'<p><a href="../{INDEX}">All pages: the '
        "readability report and how to read it</a></p>",
        f"<h1>{escape(heading)}</h1>",
        *_summary(result, pages, details=""),
    ])


def _overview(result: ReadabilityResult,
              parts: list[list[tuple[str, list[PageReadability]]]]) -> list[str]:
    """A big site's summary: each language's pages over target, and the parts."""
    out = [
        '<h2 id="summary">Summary</h2>',
        "<table>",
        "<caption>Pages over their target, per language</caption>",
        '<thead><tr><th scope="col">Language</th><th scope="col">Formula and target</th>'
        '<th scope="col">Pages scored</th><th scope="col">Over target</th></tr></thead>',
        "<tbody>",
    ]
    for lang in result.languages:
        rows = [r for r in result.pages if r.lang.code == lang.code and r.met is not None]
        if not rows:
            continue
        over = sum(1 for r in rows if r.met is False)
        out.append(f'<tr><th scope="row">{escape(_name(lang))}</th>'
                   f"<td>{escape(_usual_target(lang, rows))}</td><td>{len(rows)}</td>"
                   f"<td>{over}</td></tr>")
    out += ["</tbody>", "</table>",
            f'<h2 id="parts">Every page, {PART_ROWS} to a part</h2>', "<ul>"]
    for number, part in enumerate(parts, start=1):
        first = (number - 1) * PART_ROWS + 1
        over = sum(1 for _, rows in part for r in rows if r.met is False)
        out.append(
            f'<li><a href="{DETAILS}/{part_name(number)}">Pages {first} to '
            f"{first + len(part) - 1}</a>: {escape(_title(part[0][1]))} to "
            f"{escape(_title(part[-1][1]))}; {over} page-language(s) over target</li>")
    out.append("</ul>")
    return out


# How a document writes a location that an edit elsewhere in the catalog moves
# (``catalog_locations``): (location, its line alone) → text, before escaping.
Where = Callable[[Location, bool], str]


def _where(location: Location, line_alone: bool) -> str:
    return str(location.line) if line_alone else str(location)


def render_page_html(page: str, rows: list[PageReadability], where: Where = _where) -> str:
    """One page's detail document (``rows``: that page in each language, config order)."""
    slug = rows[0].slug
    return _document(f"Readability: {slug}", [
        f'<p><a href="../{INDEX}">All pages: the '
        "readability report and how to read it</a></p>",
        f"<h1>Readability: <code>{escape(slug)}</code></h1>",
        *_page_table(rows),
        *_page_section(page, rows, where),
    ])


# A place in a page's document where a movable location is written: its first and
# last byte (end excluded), the location as in the results it was rendered from, and
# whether its line alone is written.
Slot = tuple[int, int, Location, bool]
_MARK = "\x00"  # around a slot's number in the text rendered


def page_document(page: str, rows: list[PageReadability],
                  moved: Mapping[Location, Location]) -> tuple[bytes, tuple[Slot, ...]] | None:
    """``render_page_html`` of ``rows`` with each movable location written as ``moved``
    has it (else as it is), encoded, and where each is written (``patched_document``
    moves them later without rendering again); None when a text of the page holds the
    mark the slots are found by (a NUL character, which markdown-it turns into U+FFFD:
    a translation could still hold one), and the caller renders it as usual."""
    places: list[tuple[Location, bool]] = []

    def mark(location: Location, line_alone: bool) -> str:
        places.append((location, line_alone))
        return f"{_MARK}{len(places) - 1}{_MARK}"

    pieces = render_page_html(page, rows, mark).encode("utf-8").split(_MARK.encode())
    if len(pieces) != 2 * len(places) + 1 or any(
            pieces[n] != b"%d" % (n // 2) for n in range(1, len(pieces), 2)):
        return None
    out: list[bytes] = []
    slots: list[Slot] = []
    size = 0
    for n, (location, line_alone) in enumerate(places):
        out.append(pieces[2 * n])
        size += len(out[-1])
        out.append(escape(_where(moved.get(location, location), line_alone)).encode("utf-8"))
        slots.append((size, size + len(out[-1]), location, line_alone))
        size += len(out[-1])
    out.append(pieces[-1])
    return b"".join(out), tuple(slots)


def patched_document(old: bytes, slots: Sequence[Slot], moved: Mapping[Location, Location]
                     ) -> tuple[bytes, tuple[Slot, ...]] | None:
    """A document ``page_document`` made (``old``, its ``slots``), each of its movable
    locations written as ``moved`` has it now: what ``page_document`` makes of the same
    results (None when the slots do not fit the document)."""
    out: list[bytes] = []
    new: list[Slot] = []
    position = size = 0
    for start, end, location, line_alone in slots:
        if not position <= start <= end <= len(old):
            return None
        out.append(old[position:start])
        size += start - position
        out.append(escape(_where(moved.get(location, location), line_alone)).encode("utf-8"))
        new.append((size, size + len(out[-1]), location, line_alone))
        size += len(out[-1])
        position = end
    out.append(old[position:])
    return b"".join(out), tuple(new)


def by_page(rows: Iterable[PageReadability]) -> list[tuple[str, list[PageReadability]]]:
    """The rows page by page: (the page's path, its rows in the order given)."""
    out: dict[str, list[PageReadability]] = {}
    for row in rows:
        out.setdefault(row.page, []).append(row)
    return list(out.items())


def _lang_attrs(lang: Lang) -> str:
    return f'lang="{escape(lang.tag)}" dir="{lang.direction}"'


def _name(lang: Lang) -> str:
    return f"{lang.english_name} ({lang.code})"


def _num(value: float) -> str:
    return f"{value:.1f}"


def _status(row: PageReadability) -> str:
    if row.met is None:
        return "not scored yet"
    return "met" if row.met else "over target"


def _status_html(row: PageReadability) -> str:
    if row.met is None:
        return "not scored yet"
    if row.met:
        return '<span class="met">yes, met</span>'
    return '<span class="over">no, over target</span>'


def _introduction(result: ReadabilityResult) -> list[str]:
    items = []
    for lang in result.languages:
        scale = profile(lang.base)
        names = ", ".join(FORMULAS[k].name for k in scale.formulas)
        items.append(
            f"<li>{escape(_name(lang))}: {escape(names)}. The target is on "
            f"{escape(FORMULAS[scale.primary].name)} (default "
            f"{'≥' if FORMULAS[scale.primary].higher_is_easier else '≤'} "
            f"{scale.target:g}: {escape(scale.why)}).</li>")
    return [
        "<h2>How to read this report</h2>",
        "<p>Each page is scored in each language with formulas made for that language; "
        "scales differ, so compare a language with its own target, not with another "
        "language's number. The text scored is what a reader reads: the main heading, the "
        "headings (each counts as a sentence), the body and the call to action. Blocks not "
        "translated yet are shown to readers in the source language: they are counted but "
        "not scored as the page's language (the source-language row scores them).</p>",
        "<p>Each page has its own document, linked from its row in the summary: a chart of "
        "its scores, and under each language the hardest sentences (most words and "
        "syllables) highlighted in their paragraph, with the page line to edit the source "
        "and the catalog line to edit the translation, then the advice.</p>",
        "<ul>", *items, "</ul>",
    ]


def _summary(result: ReadabilityResult, pages: list[tuple[str, list[PageReadability]]],
             details: str = f"{DETAILS}/") -> list[str]:
    """One row per page, one column per language: the score and whether it is met.
    ``details``: where the page documents are, from the document holding the table."""
    langs = [lang for lang in result.languages
             if any(r.lang.code == lang.code for _, rows in pages for r in rows)]
    usual = {lang.code: _usual_target(lang, result.pages) for lang in langs}
    out = [
        '<h2 id="summary">Summary</h2>',
        '<div class="scroll" role="region" aria-labelledby="summary" tabindex="0">',
        "<table>",
        "<caption>Score per page and language, each on its own formula and target; "
        "the page link opens its details</caption>",
        '<thead><tr><th scope="col">Page</th>',
        *(f'<th scope="col">{escape(_name(lang))}: {escape(usual[lang.code])}</th>'
          for lang in langs),
        "</tr></thead>",
        "<tbody>",
    ]
    for _, rows in pages:
        by_lang = {r.lang.code: r for r in rows}
        cells = []
        for lang in langs:
            row = by_lang.get(lang.code)
            if row is None:
                cells.append("<td>—</td>")
                continue
            primary = row.primary
            score = _num(primary.value) if primary else "—"
            target = _target_text(row)
            own = "" if target == usual[lang.code] else f" ({escape(target)})"
            cells.append(f"<td>{score}{own}: {_status_html(row)}</td>")
        out.append(
            "<tr>"
            f'<th scope="row"><a href="{details}{detail_name(rows[0].slug)}">'
            f"{escape(_title(rows))}</a> <code>{escape(rows[0].slug)}</code></th>"
            + "".join(cells) + "</tr>")
    out += ["</tbody>", "</table>", "</div>"]
    return out


def _target_text(row: PageReadability) -> str:
    return f"{row.target.formula.name}, target {row.target.text}"


def _usual_target(lang: Lang, rows: Iterable[PageReadability]) -> str:
    """The formula and target most pages in ``lang`` have (the column heading)."""
    counts: dict[str, int] = {}
    for row in rows:
        if row.lang.code == lang.code:
            text = _target_text(row)
            counts[text] = counts.get(text, 0) + 1
    return max(sorted(counts), key=counts.__getitem__)


def _title(rows: list[PageReadability]) -> str:
    """The page's title as the first language's reader sees it."""
    return rows[0].title or rows[0].page


def _page_table(rows: list[PageReadability]) -> list[str]:
    """One page's scores and counts, one row per language."""
    out = [
        '<h2 id="summary">Summary</h2>',
        '<div class="scroll" role="region" aria-labelledby="summary" tabindex="0">',
        "<table>",
        "<caption>Score per language, each on its own formula and target</caption>",
        "<thead><tr>",
        *(f'<th scope="col">{h}</th>' for h in (
            "Language", "Formula", "Score", "Target", "Target met?",
            "Words (characters for Chinese)", "Sentences", "Average sentence length",
            "Long words (3+ syllables; Arabic: 6+ letters)", "LIX",
            "Blocks shown in the source language")),
        "</tr></thead>",
        "<tbody>",
    ]
    for row in rows:
        primary = row.primary
        lix = next((s for s in row.scores if s.formula.key == "lix"), None)
        long_words = ("—" if row.unit == "characters" else
                      str(row.counts.arabic_long_words if language_of(row.lang.base) == "ar"
                          else row.counts.polysyllables))
        out.append(
            "<tr>"
            f'<th scope="row"><a href="#{_page_id(row.page)}-{row.lang.code}">'
            f"{escape(_name(row.lang))}</a></th>"
            f"<td>{escape(row.target.formula.name)}</td>"
            f'<td class="num">{_num(primary.value) if primary else "—"}</td>'
            f'<td class="num">{escape(row.target.text)}</td>'
            f"<td>{_status_html(row)}</td>"
            f'<td class="num">{row.counts.words}</td>'
            f'<td class="num">{row.counts.sentences}</td>'
            f'<td class="num">{_num(row.counts.words_per_sentence)}</td>'
            f'<td class="num">{long_words}</td>'
            f'<td class="num">{_num(lix.value) if lix else "—"}</td>'
            f'<td class="num">{row.fallback_blocks} of {row.blocks}</td>'
            "</tr>")
    out += ["</tbody>", "</table>", "</div>"]
    return out


def _page_id(page: str) -> str:
    return "page-" + "".join(c if c.isalnum() else "-" for c in page).strip("-")


def _page_section(page: str, rows: list[PageReadability], where: Where = _where
                  ) -> list[str]:
    pid = _page_id(page)
    title = next((r.title for r in rows if r.lang.code == rows[0].lang.code), page)
    out = [
        f'<section aria-labelledby="{pid}">',
        f'<h2 id="{pid}">{escape(title)} <small>(<code>{escape(page)}</code>)</small></h2>',
        *_chart(pid, rows),
    ]
    for row in rows:
        out += _language_section(pid, row, where)
    out.append("</section>")
    return out


def _ease(formula: Formula, value: float) -> float:
    """0 (hardest end of the chart) … 1 (easiest end), clamped."""
    position = (value - formula.low) / (formula.high - formula.low)
    position = min(1.0, max(0.0, position))
    return position if formula.higher_is_easier else 1.0 - position


def _chart_text(row: PageReadability) -> str:
    primary = row.primary
    if primary is None and row.lang.is_pseudo:
        return f"{_name(row.lang)}: a pseudo-locale, not scored."
    if primary is None:
        return (f"{_name(row.lang)}: not scored yet, {row.fallback_blocks} of {row.blocks} "
                "blocks are shown in the source language.")
    direction = "higher" if primary.formula.higher_is_easier else "lower"
    return (f"{_name(row.lang)}: {primary.formula.name} {_num(primary.value)}, target "
            f"{row.target.text} ({direction} is easier): {_status(row)}.")


def _label(x: float, y: float, width: float, css: str, text: str) -> str:
    """Chart text as HTML in a foreignObject: checkers can measure its contrast, which
    they cannot do for SVG <text> (axe leaves that 'needs review')."""
    return (f'<foreignObject x="{x:g}" y="{y:g}" width="{width:g}" height="22">'
            f'<div class="{css}">{text}</div></foreignObject>')


def _chart(pid: str, rows: list[PageReadability]) -> list[str]:
    height = 30 + ROW_HEIGHT * len(rows)
    title_id, desc_id = f"{pid}-chart-title", f"{pid}-chart-desc"
    description = " ".join(_chart_text(r) for r in rows)
    out = [
        "<figure>",
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{CHART_WIDTH}" '
        f'height="{height}" viewBox="0 0 {CHART_WIDTH} {height}" '
        f'aria-labelledby="{title_id} {desc_id}">',
        f'<title id="{title_id}">Score per language, each on its own scale</title>',
        f'<desc id="{desc_id}">{escape(description)}</desc>',
        _label(TRACK_X, 0, TRACK_WIDTH, "chart-axis",
               "<span>← harder</span><span>easier →</span>"),
    ]
    for index, row in enumerate(rows):
        y = 46 + index * ROW_HEIGHT
        out.append(_label(TRACK_X, y - 20, CHART_WIDTH - TRACK_X, "chart-label",
                          f"{escape(_name(row.lang))}: {escape(row.target.formula.name)}, "
                          f"target {escape(row.target.text)}"))
        out.append(f'<rect x="{TRACK_X}" y="{y + 6}" width="{TRACK_WIDTH}" height="20" '
                   'fill="#f0f0f0" stroke="#5c5c5c"/>')
        primary = row.primary
        if primary is not None:
            ease = _ease(primary.formula, primary.value)
            colour = "#1b5e20" if row.met else "#a4161a"
            out.append(f'<rect x="{TRACK_X}" y="{y + 6}" width="{ease * TRACK_WIDTH:.1f}" '
                       f'height="20" fill="{colour}"/>')
            label = f"{_num(primary.value)} ({_status(row)})"
        else:
            label = "not scored yet"
        target_x = TRACK_X + _ease(row.target.formula, row.target.value) * TRACK_WIDTH
        out.append(f'<line x1="{target_x:.1f}" y1="{y + 1}" x2="{target_x:.1f}" y2="{y + 31}" '
                   'stroke="#1a1a1a" stroke-width="3" stroke-dasharray="4 2"/>')
        value_x = TRACK_X + TRACK_WIDTH + 8
        out.append(_label(value_x, y + 5, CHART_WIDTH - value_x, "chart-value",
                          escape(label)))
    out += [
        "</svg>",
        "<figcaption>Score per language: bars further right are easier, each on its own "
        "language's scale; the dashed line is the target. In words: "
        f"{escape(description)}</figcaption>",
        "</figure>",
    ]
    return out


def _language_section(pid: str, row: PageReadability, where: Where = _where) -> list[str]:
    lid = f"{pid}-{row.lang.code}"
    primary = row.primary
    headline = (f"{row.target.formula.name} {_num(primary.value)}, target {row.target.text}"
                if primary else "not scored yet")
    out = [
        f'<h3 id="{lid}">{escape(_name(row.lang))}: {escape(headline)}, '
        f"{_status_html(row)}</h3>",
        '<dl class="scores">',
    ]
    for score in row.scores:
        band = f" ({escape(score.band)})" if score.band else ""
        out.append(f"<dt>{escape(score.formula.name)}</dt>"
                   f"<dd>{_num(score.value)}{band}: {escape(score.formula.scale)}</dd>")
    c = row.counts
    unit = row.unit
    out += [
        f"<dt>Counted</dt><dd>{c.words} {unit}, {c.sentences} sentences, "
        f"{_num(c.words_per_sentence)} {unit} per sentence"
        + (f", {c.syllables} syllables, {c.polysyllables} words of 3+ syllables, "
           f"{c.long_words} words of 7+ letters" if unit == "words" else
           f", {c.uncommon_characters} uncommon characters")
        + "</dd>",
        f"<dt>Target</dt><dd>{escape(row.target.text)} on {escape(row.target.formula.name)} "
        f"({escape(row.target.origin)}: {escape(row.target.why)})</dd>",
        f"<dt>Not scored</dt><dd>{row.fallback_blocks} of {row.blocks} blocks "
        f"({row.fallback_words} words) shown in the source language</dd>",
        "</dl>",
    ]
    for note in row.notes:
        out.append(f'<p class="note">{escape(note)}</p>')
    if row.hardest:
        out += [f"<h4>Hardest sentences in {escape(row.lang.english_name)}</h4>", "<ol>"]
        out += [_paragraph_item(group, unit, where) for group in _by_paragraph(row.hardest)]
        out.append("</ol>")
    advice = [f for f in row.findings if f.code not in ("over-target",)]
    if advice:
        out += [f"<h4>Advice for {escape(row.lang.english_name)}</h4>", "<ul>"]
        out += [_advice_item(group, row.lang, where) for group in _by_sentence(advice)]
        out.append("</ul>")
    return out


def _by_paragraph(hardest: Iterable[SentenceScore]) -> list[list[SentenceScore]]:
    """The hardest sentences by the block they are in, blocks in the order of their
    hardest sentence: a paragraph with two of them is shown once."""
    out: dict[tuple[Location, str], list[SentenceScore]] = {}
    for s in hardest:
        out.setdefault((s.source, s.block), []).append(s)
    return list(out.values())


def _paragraph_item(sentences: list[SentenceScore], unit: str, where: Where = _where) -> str:
    """One paragraph with its hardest sentences highlighted, then their counts."""
    first = sentences[0]
    in_order = sorted(sentences, key=lambda s: s.start)
    parts: list[str] = []
    position = 0
    for s in in_order:
        parts += [escape(first.block[position:s.start]), f"<mark>{escape(s.text)}</mark>"]
        position = s.start + len(s.text)
    parts.append(escape(first.block[position:]))
    place = f"Page <code>{escape(str(first.source))}</code>"
    if first.po is not None:
        place += f", catalog <code>{escape(where(first.po, False))}</code>"

    def counts(s: SentenceScore) -> str:
        return f"{s.counts.words} {unit}" + (
            f", {s.counts.syllables} syllables" if unit == "words" else "")

    if len(in_order) == 1:
        facts = counts(first)
    else:
        facts = (f"{len(in_order)} sentences highlighted, in reading order: "
                 + "; ".join(counts(s) for s in in_order))
    return (f"<li><blockquote {_lang_attrs(first.lang)}><p>{''.join(parts)}</p></blockquote>"
            f"<p>{facts}. {place}.</p></li>")


# Advice about a sentence quotes it; these codes' notices on one sentence share an item.
SENTENCE_CODES = ("sentence-too-long", "passive-voice")
# What ends a sentence (Latin, CJK full-width, Arabic): no full stop after these.
TERMINAL = ".!?…。！？؟"  # noqa: RUF001


def _by_sentence(advice: Iterable[Finding]) -> list[list[Finding]]:
    """Advice in order, the notices on one sentence (consecutive) grouped."""
    out: list[list[Finding]] = []
    for f in advice:
        last = out[-1][0] if out else None
        if (last is not None and f.code in SENTENCE_CODES and last.code in SENTENCE_CODES
                and (f.location, f.details["sentence"])
                == (last.location, last.details["sentence"])):
            out[-1].append(f)
        else:
            out.append([f])
    return out


def _stop(visible_end: str) -> str:
    """The full stop a sentence ending in ``visible_end`` still needs, if any."""
    return "" if visible_end.rstrip().endswith(tuple(TERMINAL)) else "."


def _sentence(text: str) -> str:
    """Plain text as a sentence of HTML: first letter upper case, one full stop."""
    text = text.strip()
    return escape(text[:1].upper() + text[1:] + _stop(text))


def _advice_item(findings: list[Finding], lang: Lang, where: Where = _where) -> str:
    """One item of advice, in whole sentences; quoted text is marked with its language
    (WCAG 3.1.2)."""
    f = findings[0]
    place = f"<code>{escape(where(f.location, False))}</code>" if f.location else ""
    if f.related:
        place += " (source " + ", ".join(f"<code>{escape(str(r))}</code>"
                                        for r in f.related) + ")"
    place += ": " if place else ""

    def quoted(text: str) -> str:
        return f"<q {_lang_attrs(lang)}>{escape(text)}</q>"

    details = f.details
    if f.code in SENTENCE_CODES:
        sentence = str(details["sentence"])
        text = quoted(sentence) + _stop(sentence)
        for finding in findings:
            text += " " + _sentence_advice(finding, quoted)
    elif f.code == "plain-language":
        also = also_used(f)
        text = (f"{quoted(str(details['word']))}: a plainer word is "
                f"{quoted(str(details['plainer']))}"
                + (f"; also on {escape(lines_text(f.location, also, where))}"
                   if also and f.location else "")
                + ". Use it, or explain the word where it first appears.")
    else:
        text = (escape(f.message) + _stop(f.message)
                + (" " + _sentence(f.hint) if f.hint else ""))
    return f"<li>{place}{text}</li>"


def _sentence_advice(f: Finding, quoted: Callable[[str], str]) -> str:
    """What to do about one sentence, as sentences (the sentence itself is quoted once,
    before)."""
    details = f.details
    if f.code == "sentence-too-long":
        unit = "characters" if details.get("chinese") else "words"
        return (f"It has {details['words']} {unit}, over the limit of {details['limit']}. "
                + _sentence(f.hint or ""))
    phrases = ", ".join(quoted(str(p)) for p in details["phrases"])
    return (f"Passive voice: {phrases}. Say who does what: "
            "<q>doctors use X</q>, not <q>X is used</q>.")
