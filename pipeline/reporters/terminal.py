"""Plain-text renderings for the terminal: GNU-style findings and aligned tables."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence

from pipeline.errors import format_message
from pipeline.models import Finding


def width(text: str) -> int:
    """Display width: East Asian wide characters take two columns."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def table(headers: Sequence[str], rows: Iterable[Sequence[object]],
          align_right: Sequence[bool] | None = None) -> str:
    body = [[str(c) for c in row] for row in rows]
    cols = [list(headers), *body]
    widths = [max(width(r[i]) for r in cols) for i in range(len(headers))]
    right = align_right or [False] * len(headers)

    def line(cells: Sequence[str]) -> str:
        out = []
        for i, cell in enumerate(cells):
            pad = " " * (widths[i] - width(cell))
            out.append(pad + cell if right[i] else cell + pad)
        return "  ".join(out).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(r) for r in body)])


def finding_text(finding: Finding) -> str:
    """``path:line: severity: message [code]`` plus the hint, GNU style."""
    return format_message(
        f"{finding.message} [{finding.code}]", finding.location, finding.hint,
        prefix=f"{finding.severity}: ",
    )


def findings_text(findings: Iterable[Finding]) -> str:
    return "\n".join(finding_text(f) for f in findings)
