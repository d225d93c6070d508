"""The scale curve as a picture: a ``<date>-curve.json`` → an SVG beside it.

``python -m bench.plot FILE.json …`` writes ``FILE.svg`` for each; ``bench.run``'s curve
writes it with its record. Two panels on linear axes, where linear time is a straight
line: each stage's median seconds and the end-to-end build by page count, and the
end-to-end build's memory (the largest process, and all of its processes together) with
the issue's targets. Plain SVG, no plotting library: a title and a description carry
every figure for a reader who cannot see the lines, and each line has a mark shape and a
label of its own, not only a colour.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Sequence
from html import escape
from pathlib import Path
from typing import Any

STAGES = ("extract", "update", "check", "readability", "render", "publish")
# Okabe and Ito's palette, told apart with the common colour-vision deficiencies; each
# line also has its own mark, so colour is never the only cue.
STYLE = {
    "extract": ("#E69F00", "circle"),
    "update": ("#56B4E9", "square"),
    "check": ("#009E73", "diamond"),
    "readability": ("#0072B2", "triangle"),
    "render": ("#D55E00", "cross"),
    "publish": ("#CC79A7", "ring"),
    "end to end": ("#000000", "square"),
    "largest process": ("#0072B2", "circle"),
    "all processes (PSS)": ("#D55E00", "square"),
}
# The memory targets: 500 MB for the 1,000-page build, 1 GB at 5,000 pages.
TARGETS = ((500.0, "500 MB target (1,000 pages)"), (1000.0, "1 GB target (5,000 pages)"))

WIDTH, HEIGHT = 960, 500
PANEL_W, PANEL_H = 330, 300  # the plotting area of each panel
LEFT = (70, 560)  # each panel's left edge
TOP = 50


def nice_top(value: float) -> float:
    """The smallest 1, 2 or 5 times 10^k at or above ``value`` (an axis's end)."""
    if value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= value)


def _number(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 or value == int(value) else f"{value:g}"


def _figure(value: float) -> str:
    """A measured figure to about three significant digits: 1.78, 15.5, 94.9, 1,527."""
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.1f}" if value >= 10 else f"{value:.2f}".rstrip("0").rstrip(".")


def _mark(shape: str, x: float, y: float, colour: str) -> str:
    if shape == "circle":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}"/>'
    if shape == "ring":
        return (f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="#fff" stroke="{colour}" '
                'stroke-width="2"/>')
    if shape == "square":
        return f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="{colour}"/>'
    if shape == "diamond":
        return (f'<polygon points="{x:.1f},{y - 5:.1f} {x + 5:.1f},{y:.1f} {x:.1f},{y + 5:.1f} '
                f'{x - 5:.1f},{y:.1f}" fill="{colour}"/>')
    if shape == "triangle":
        return (f'<polygon points="{x:.1f},{y - 5:.1f} {x + 5:.1f},{y + 4:.1f} '
                f'{x - 5:.1f},{y + 4:.1f}" fill="{colour}"/>')
    return (f'<path d="M{x - 4:.1f},{y - 4:.1f} L{x + 4:.1f},{y + 4:.1f} M{x - 4:.1f},'
            f'{y + 4:.1f} L{x + 4:.1f},{y - 4:.1f}" stroke="{colour}" stroke-width="2"/>')


def _panel(left: int, title: str, unit: str, pages: Sequence[int],
           series: dict[str, list[float | None]], lines: Sequence[tuple[float, str]] = ()
           ) -> list[str]:
    """One panel: axes with a tick at each measured size, a line per series through the
    sizes it has a figure for (marks alone when fewer than two), dashed reference lines,
    and the legend below."""
    top_value = nice_top(max([v for values in series.values() for v in values if v]
                             + [v for v, _ in lines] + [0.0]))
    right = max(pages)

    def at(n: float, value: float) -> tuple[float, float]:
        return left + n / right * PANEL_W, TOP + PANEL_H - value / top_value * PANEL_H

    bottom = TOP + PANEL_H
    out = [f'<g class="panel"><text x="{left}" y="{TOP - 18}" font-weight="bold">'
           f"{escape(title)}</text>",
           f'<line x1="{left}" y1="{bottom}" x2="{left + PANEL_W}" y2="{bottom}" '
           'stroke="#333"/>',
           f'<line x1="{left}" y1="{TOP}" x2="{left}" y2="{bottom}" stroke="#333"/>']
    for k in range(6):  # five steps up the value axis
        value = top_value * k / 5
        _, y = at(0, value)
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + PANEL_W}" y2="{y:.1f}" '
                   'stroke="#ddd"/>')
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">'
                   f"{_number(value)}</text>")
    for n in pages:
        x, _ = at(n, 0)
        out.append(f'<line x1="{x:.1f}" y1="{bottom}" x2="{x:.1f}" y2="{bottom + 5}" '
                   'stroke="#333"/>')
        out.append(f'<text x="{x:.1f}" y="{bottom + 18}" text-anchor="middle">{n:,}</text>')
    out.append(f'<text x="{left + PANEL_W / 2}" y="{bottom + 36}" text-anchor="middle">'
               "pages (x 5 languages)</text>")
    out.append(f'<text x="{left - 52}" y="{TOP + PANEL_H / 2}" text-anchor="middle" '
               f'transform="rotate(-90 {left - 52} {TOP + PANEL_H / 2})">{escape(unit)}</text>')
    for value, label in lines:
        if value <= top_value:
            _, y = at(0, value)
            out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + PANEL_W}" y2="{y:.1f}" '
                       'stroke="#666" stroke-dasharray="6 4"/>')
            out.append(f'<text x="{left + 6}" y="{y - 5:.1f}" fill="#444">{escape(label)}</text>')
    for number, (name, values) in enumerate(series.items()):
        colour, shape = STYLE[name]
        width = 3 if name == "end to end" else 2
        points = [at(n, v) for n, v in zip(pages, values, strict=True) if v is not None]
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            out.append(f'<polyline class="series" data-name="{escape(name)}" points="{path}" '
                       f'fill="none" stroke="{colour}" stroke-width="{width}"/>')
        out += [_mark(shape, x, y, colour) for x, y in points]
        # The legend: two columns under the axis label.
        lx = left + (number % 2) * 170
        ly = bottom + 58 + (number // 2) * 18
        out.append(f'<line x1="{lx}" y1="{ly - 4}" x2="{lx + 22}" y2="{ly - 4}" '
                   f'stroke="{colour}" stroke-width="{width}"/>')
        out.append(_mark(shape, lx + 11, ly - 4, colour))
        out.append(f'<text x="{lx + 28}" y="{ly}">{escape(name)}</text>')
    out.append("</g>")
    return out


def _described(name: str, pages: Sequence[int], values: Sequence[float | None],
               unit: str) -> str:
    return f"{name}: " + ", ".join(
        f"{'no figure' if v is None else _figure(v) + ' ' + unit} at {n:,} pages"
        for n, v in zip(pages, values, strict=True))


def curve_svg(result: dict[str, Any]) -> str:
    """The SVG of a curve record (``bench.run``'s ``<date>-curve.json``)."""
    rows = sorted(result["curve"], key=lambda row: row["pages"])
    pages = [int(row["pages"]) for row in rows]
    times = {name: [row["seconds"].get(name) for row in rows]
             for name in (*STAGES, "end to end")}
    memory = {"largest process": [row["peak_rss_mb"].get("end to end") for row in rows],
              "all processes (PSS)": [(row.get("tree_pss_mb") or {}).get("end to end")
                                      for row in rows]}
    title = (f"Scale curve, {result.get('date', '')}: time and memory of a cold build by "
             f"page count (pipeline {result.get('pipeline', '')})")
    description = "; ".join(
        [_described(n, pages, v, "s") for n, v in times.items()]
        + [_described(n, pages, v, "MB") for n, v in memory.items()])
    body = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="title desc" '
        'font-family="sans-serif" font-size="12">',
        f'<title id="title">{escape(title)}</title>',
        f'<desc id="desc">{escape(description)}.</desc>',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#fff"/>',
        *_panel(LEFT[0], "Median seconds, each stage alone and the whole build",
                "seconds", pages, times),
        *_panel(LEFT[1], "Peak memory of the whole build", "MB", pages, memory, TARGETS),
        "</svg>",
    ]
    return "\n".join(body) + "\n"


def write_svg(record: Path) -> Path:
    """``record`` (a curve's JSON) drawn to the same name with ``.svg``."""
    result = json.loads(record.read_text(encoding="utf-8"))
    target = record.with_suffix(".svg")
    target.write_text(curve_svg(result), encoding="utf-8")
    return target


def main(argv: Sequence[str]) -> int:
    if not argv:
        print("usage: python -m bench.plot CURVE.json [CURVE.json …]", file=sys.stderr)
        return 2
    for name in argv:
        print(f"wrote {write_svg(Path(name))}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
