"""Silencing: which codes an entry's ``#, no-check-<code>`` flags silence, and findings
about flags that do not work (no reason given, unknown or unsilenceable code).
"""

# Punctuation tables and messages use non-ASCII marks on purpose (Arabic, CJK, dashes).

from __future__ import annotations

from pipeline.models import Finding
from pipeline.po.model import PREFILL_MARK, Entry
from pipeline.stages.check.codes import (
    CODES,
    FLAG_CODES,
    FLAG_PREFIX,
    SILENCEABLE,
    SOURCE_CODES,
    UNSILENCEABLE,
)
from pipeline.stages.check.context import CheckContext
from pipeline.stages.check.words import _LETTER


def silencing_reason(entry: Entry) -> str | None:
    """The translator comment that explains a no-check flag (pre-fill notes do not count)."""
    for comment in entry.translator_comments:
        text = comment.strip()
        if _LETTER.search(text) and not text.startswith(PREFILL_MARK):
            return text
    return None


def silenced(entry: Entry, ctx: CheckContext) -> tuple[frozenset[str], list[Finding]]:
    """Codes this entry's flags silence, and findings about flags that do not work."""
    flagged = [f[len(FLAG_PREFIX):] for f in entry.flags if f.startswith(FLAG_PREFIX)]
    if not flagged:
        return frozenset(), []
    notes: list[Finding] = []
    reason = silencing_reason(entry)
    codes: set[str] = set()
    for code in flagged:
        flag = FLAG_PREFIX + code
        if code not in CODES or code in FLAG_CODES | SOURCE_CODES:
            notes.append(ctx.finding(
                entry, "flag-unknown-check", f"flag '{flag}' names no check",
                "checks a flag can silence: " + ", ".join(SILENCEABLE), flag=flag))
        elif code in UNSILENCEABLE:
            notes.append(ctx.finding(
                entry, "flag-not-allowed", f"'{code}' cannot be silenced; the flag has no effect",
                f"fix the translation instead and remove '{flag}'", flag=flag))
        elif reason is None:
            notes.append(ctx.finding(
                entry, "flag-without-reason",
                f"flag '{flag}' has no translator comment saying why; '{code}' is still checked",
                f"add a line '# <why this is right>' above the entry, e.g. '# {code}: a brand "
                "name, kept as it is'", flag=flag))
        else:
            codes.add(code)
    return frozenset(codes), notes
