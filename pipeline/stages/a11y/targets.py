"""The documents the accessibility check reads: where each is, how it is served, its URL.

A document is a rendered page under ``output/build/`` or an HTML report under
``output/reports/`` (the reports are checked too); each folder is served on 127.0.0.1
by a server of its own, and a finding names the page where it is published.
"""

from __future__ import annotations

import os
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from pipeline.config import Config
from pipeline.errors import PipelineError
from pipeline.models import Location
from pipeline.stages.a11y.langcheck import lang_info

REPORTS = "reports"
PENDING = "pending"  # output/.cache/a11y/pending/: this run's report, checked before it is final


@dataclass(frozen=True, slots=True)
class Target:
    page: str  # relative to the content root
    folder: str  # "build", "reports" or PENDING
    rel: str  # relative to that folder, "/"-separated
    file: Path
    language: str  # BCP 47 tag ("" until read from the page)


def folders(config: Config) -> dict[str, Path]:
    return {"build": config.output_dir / "build", REPORTS: config.output_dir / REPORTS}


def target(config: Config, name: str) -> Target:
    """A page named relative to output/build, or relative to the content root."""
    roots = folders(config)
    text = name.replace(os.sep, "/").strip()
    folder, rel = "build", text.lstrip("/")
    for name_, path in roots.items():
        prefix = config.rel(path) + "/"
        if text.startswith(prefix):
            folder, rel = name_, text[len(prefix):]
            break
    rel = rel.lstrip("/")
    parts = rel.split("/")
    if not rel or any(p in ("", ".", "..") for p in parts):
        raise PipelineError(f"not a page path: {name!r}",
                            hint="name pages relative to output/build, e.g. es/x.html")
    file = roots[folder] / rel
    page = f"{config.rel(roots[folder])}/{rel}"  # as named, even if a symlink
    if not file.is_file():
        raise PipelineError(
            f"page not found: {page}; nothing was checked", Location(page),
            "render the site first (pipeline render), or check the page name",
        )
    language = ""
    if folder == "build" and len(parts) > 1 and (info := lang_info(parts[0])):
        language = info.tag
    return Target(page, folder, rel, file, language)


def all_targets(config: Config) -> list[Target]:
    found: list[Target] = []
    for root in folders(config).values():
        if root.is_dir():
            found += [target(config, f"{config.rel(root)}/{file.relative_to(root).as_posix()}")
                      for file in sorted(root.rglob("*.html"))
                      if file.is_file() and not file.name.startswith(".")]
    return found


def public_url(config: Config, target: Target) -> str:
    if target.folder == "build":
        return config.base_url + urllib.parse.quote(target.rel)
    return target.page


def pending_report(config: Config) -> Path:
    """Where a run writes the a11y.html it checks before the final one is written."""
    return config.output_dir / ".cache" / "a11y" / PENDING / "a11y.html"
