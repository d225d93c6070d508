"""Accessibility sample and incremental build: corpus root → pages/second, wrapper overhead.

Waits for its stages: while ``pipeline.a11y`` or ``pipeline.build`` has not landed,
the result says "not yet built" for it, and the table shows that.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from typing import Any


def available(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def run(root: Path, work: Path, pages: int, cap: float, incremental: bool,
        log: Callable[[str], None] = print) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if not available("pipeline.a11y"):
        out["sample"] = {"missing": "not yet built"}
    if not incremental:
        out["incremental"] = {"skipped": "--quick"}
    elif not available("pipeline.build"):
        out["incremental"] = {"missing": "not yet built"}
    return out


def summary(a11y: dict[str, Any]) -> str:
    lines = []
    sample = a11y.get("sample", {})
    if "missing" in sample:
        lines.append(f"a11y sample: {sample['missing']}")
    incremental = a11y.get("incremental", {})
    if "missing" in incremental:
        lines.append(f"incremental build: {incremental['missing']}")
    elif "skipped" in incremental:
        lines.append(f"incremental build: skipped ({incremental['skipped']})")
    if "skipped" in a11y:
        lines.append(f"a11y: skipped ({a11y['skipped']})")
    return "\n".join(lines)


def target_lines(a11y: dict[str, Any], targets: dict[str, float],
                 verdict: Callable[[bool | None], str]) -> list[str]:
    overhead = a11y.get("sample", {}).get("overhead")
    seconds = a11y.get("incremental", {}).get("seconds")
    return [
        f"target a11y wrapper overhead ≤ {targets['a11y_overhead']:.0%}: "
        f"{'—' if overhead is None else f'{overhead:+.0%}'} → "
        f"{verdict(None if overhead is None else overhead <= targets['a11y_overhead'])}",
        f"target one-page incremental build ≤ {targets['incremental_seconds']:.0f} s + pa11y: "
        f"{'—' if seconds is None else f'{seconds:.2f} s'} → "
        f"{verdict(None if seconds is None else seconds <= targets['incremental_seconds'])}",
    ]
