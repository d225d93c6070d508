"""The accessibility baseline: known findings accepted until a date.

``[tool.pipeline.a11y] baseline`` (default ``a11y-baseline.toml``) holds ``[[accept]]``
entries, each naming a page, a code (or WCAG criterion), optionally a language and a
selector, why it is accepted and until when. An accepted finding is kept in the results,
marked, and does not gate; an expired entry says so on the finding, which gates again;
an entry for a checked page that matched nothing is a ``baseline-unused`` notice.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from pipeline.config import Config
from pipeline.errors import PipelineError
from pipeline.infra.fsutil import read_text
from pipeline.models import Finding, Location, frozen_details


@dataclass(frozen=True, slots=True)
class BaselineEntry:
    """One accepted finding: ``[[accept]]`` in a11y-baseline.toml."""

    page: str  # relative to the content root
    code: str
    reason: str
    expires: dt.date
    location: Location
    language: str | None = None
    selector: str | None = None

    def matches(self, finding: Finding) -> bool:
        details = finding.details
        if details.get("page") != self.page:
            return False
        if self.language and self.language.lower() != str(details.get("language", "")).lower():
            return False
        if self.selector is not None and self.selector != details.get("selector"):
            return False
        return self.code in (finding.code, *details.get("codes", ()), *details.get("wcag", ()))


BASELINE_KEYS = ("page", "language", "code", "selector", "reason", "expires")


def load_baseline(config: Config) -> list[BaselineEntry]:
    """Read ``[tool.pipeline.a11y] baseline`` (absent file: no entries)."""
    path = config.root / config.a11y.baseline
    display = config.a11y.baseline
    if not path.exists():
        return []
    text = read_text(path, display)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = re.search(r"line (\d+)", str(exc))
        raise PipelineError(f"not valid TOML: {exc}",
                            Location(display, int(line.group(1)) if line else 0)) from exc
    extra = sorted(set(data) - {"accept"})
    if extra:
        raise PipelineError(f"unknown key {extra[0]!r}: a baseline holds only [[accept]] "
                            "entries", Location(display), _BASELINE_HINT)
    entries = data.get("accept", [])
    if not isinstance(entries, list):
        raise PipelineError("'accept' must be an array of tables: [[accept]]",
                            Location(display), _BASELINE_HINT)
    lines = [text.count("\n", 0, m.start()) + 1
             for m in re.finditer(r"^\s*\[\[\s*accept\s*\]\]", text, re.M)]
    out: list[BaselineEntry] = []
    for index, entry in enumerate(entries):
        where = Location(display, lines[index] if index < len(lines) else 0)
        out.append(_baseline_entry(config, entry, where))
    return out


_BASELINE_HINT = ('each entry: [[accept]] page = "ar/x.html", language = "ar", code = '
                  '"color-contrast", selector = "html > body > …", reason = "why", '
                  "expires = 2026-12-31")


def _baseline_entry(config: Config, entry: Any, where: Location) -> BaselineEntry:
    if not isinstance(entry, dict):
        raise PipelineError("a baseline entry must be a table", where, _BASELINE_HINT)
    unknown = sorted(set(entry) - set(BASELINE_KEYS))
    if unknown:
        raise PipelineError(f"unknown key {unknown[0]!r} in baseline entry", where,
                            "known keys: " + ", ".join(BASELINE_KEYS))
    for key in ("page", "code"):
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            raise PipelineError(f"baseline entry has no {key}", where, _BASELINE_HINT)
    reason = entry.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise PipelineError("baseline entry has no reason: say why this finding is accepted",
                            where, "add reason = \"…\" (who accepted it and why)")
    expires = entry.get("expires")
    if isinstance(expires, str):
        with contextlib.suppress(ValueError):
            expires = dt.date.fromisoformat(expires)
    if isinstance(expires, dt.datetime):
        expires = expires.date()
    if not isinstance(expires, dt.date):
        raise PipelineError("baseline entry has no expiry date", where,
                            "add expires = YYYY-MM-DD: accepted findings must be looked at "
                            "again")
    for key in ("language", "selector"):
        if key in entry and not isinstance(entry[key], str):
            raise PipelineError(f"baseline entry's {key} must be a string", where)
    page = entry["page"].replace(os.sep, "/").lstrip("/")
    output = config.output.strip("/") + "/"
    if not page.startswith(output):
        page = f"{output}build/{page}"
    return BaselineEntry(page=page, code=entry["code"].strip(), reason=reason.strip(),
                         expires=expires, location=where, language=entry.get("language"),
                         selector=entry.get("selector"))


def apply_baseline(findings: Sequence[Finding], entries: Sequence[BaselineEntry],
                   today: dt.date, checked_pages: Sequence[str]) -> list[Finding]:
    """Mark findings a current entry accepts; say so when an entry has expired; report
    entries for checked pages that matched nothing (notice ``baseline-unused``)."""
    used: set[int] = set()
    out: list[Finding] = []
    for finding in findings:
        entry = next((e for e in entries if e.matches(finding)), None)
        if entry is None:
            out.append(finding)
            continue
        used.add(id(entry))
        info = {"entry": str(entry.location), "reason": entry.reason,
                "expires": entry.expires.isoformat()}
        if entry.expires >= today:
            out.append(replace(finding, details=frozen_details(**finding.details,
                                                               accepted=info)))
        else:
            out.append(replace(
                finding,
                hint=(finding.hint or "") + f"; the baseline entry {entry.location} expired on "
                f"{entry.expires.isoformat()}",
                details=frozen_details(**finding.details, baseline_expired=info),
            ))
    for entry in entries:
        if id(entry) not in used and entry.page in checked_pages:
            out.append(Finding(
                code="baseline-unused", severity="notice",
                message=f"baseline entry for {entry.code} on {entry.page} matched no finding",
                location=entry.location, hint="the defect is gone: delete the entry",
                details=frozen_details(page=entry.page, language=entry.language or "",
                                       runner="baseline", runners=("baseline",),
                                       codes=("baseline-unused",), selector="", wcag=()),
            ))
    return out

