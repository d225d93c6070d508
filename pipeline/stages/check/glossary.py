"""Glossary: a term of the project glossary in the source is translated the approved way.
"""

# Punctuation tables and messages use non-ASCII marks on purpose (Arabic, CJK, dashes).

from __future__ import annotations

from collections.abc import Iterator

from pipeline.models import Finding
from pipeline.po.model import Entry
from pipeline.stages.check.context import CheckContext


def check_glossary(entry: Entry, ctx: CheckContext) -> Iterator[Finding]:
    """A glossary term in the source is translated with one of its approved translations."""
    if not ctx.glossary or ctx.lang.is_pseudo:
        return  # a pseudo-locale transforms every word, names included
    for form in ctx.forms(entry):
        source = ctx.messages.source_facts(form.source).folded
        translation = ctx.messages.facts(form.translation).folded
        for term in ctx.terms:
            # The pattern matches the folded term as it is: only a text holding it can match.
            if term.folded not in source or not term.pattern.search(source):
                continue
            if any(t in translation for t in term.translations):
                continue
            rows = term.rows
            approved = " or ".join(f'"{r.translation}"' for r in rows)
            notes = "; ".join(r.note for r in rows if r.note)
            yield ctx.finding(
                entry, "glossary",
                form.label(f'"{rows[0].term}" is not translated as {approved} (glossary)'),
                (f"{notes}; " if notes else "") + "use the approved term, or explain in a "
                "translator comment why not and add '#, no-check-glossary'",
                related=tuple(r.location for r in rows), term=rows[0].term,
                approved=[r.translation for r in rows])
