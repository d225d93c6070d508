"""The HTML shell every report shares: English, left to right, styles inline, one main."""

from __future__ import annotations

from collections.abc import Iterable


def report_document(title_html: str, style: str, body: Iterable[str],
                    main_id: str | None = None) -> str:
    """A complete report page; ``title_html`` is already escaped."""
    main = f'<main id="{main_id}">' if main_id else "<main>"
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en" dir="ltr">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{title_html}</title>",
        f"<style>{style}</style>",
        "</head>",
        "<body>",
        main,
        *body,
        "</main>",
        "</body>",
        "</html>",
        "",
    ])
