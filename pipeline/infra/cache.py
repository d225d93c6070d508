"""The build cache: ``output/.cache/build.pickle`` keyed by content hashes.

Each page gets a fingerprint of everything its rendered HTML depends on (its source,
the templates, the configuration, and the text every language resolves for it); an
unchanged fingerprint means the page's languages are not re-rendered, re-scored or
re-checked. Accessibility results are keyed by the sha256 of the HTML that was checked.
A cache that cannot be read is ignored (a full build), never trusted.
"""

from __future__ import annotations

import contextlib
import copyreg
import hashlib
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from pipeline import __version__
from pipeline.infra.fsutil import write_bytes_atomic


def _proxy(values: dict[str, Any]) -> MappingProxyType[str, Any]:
    return MappingProxyType(values)


def _reduce_proxy(proxy: MappingProxyType[str, Any]) -> tuple[Any, tuple[dict[str, Any]]]:
    return (_proxy, (dict(proxy),))


# Findings carry read-only mappings; pickle them as the dicts they wrap.
copyreg.pickle(MappingProxyType, _reduce_proxy)

CACHE_FORMAT = 6  # 6: the catalogs as update last left them


@dataclass
class BuildCache:
    """Mutable during one build; written once at its end."""

    fingerprints: dict[str, str] = field(default_factory=dict)  # slug → page fingerprint
    readability: dict[str, Any] = field(default_factory=dict)  # slug → PageReadability tuple
    readability_key: str = ""  # the glossary and word list the advice depends on
    completeness: dict[str, Any] = field(default_factory=dict)  # slug → {lang: Completeness}
    qa: dict[str, Any] = field(default_factory=dict)  # lang → checks.Memo (entry → findings)
    pages: tuple[str, dict[Any, Any]] = ("", {})  # (pages.PARSER, pages.parsed_pages())
    catalogs: Any = None  # update.UpdateMemo: the template and catalogs, parsed
    a11y_key: str = ""  # settings the a11y results depend on
    a11y_pages: dict[str, Any] = field(default_factory=dict)  # page → (sha256, pieces)
    a11y_meta: Any = None  # the last A11yResult (runner versions, chromium, …)


def cache_file(output_dir: Path) -> Path:
    return output_dir / ".cache" / "build.pickle"


def load_cache(output_dir: Path) -> BuildCache:
    path = cache_file(output_dir)
    with contextlib.suppress(Exception):  # any unreadable cache just means a full build
        data = pickle.loads(path.read_bytes())
        if data.get("format") == CACHE_FORMAT and data.get("version") == __version__:
            cache: BuildCache = data["cache"]
            return cache
    return BuildCache()


def save_cache(output_dir: Path, cache: BuildCache) -> None:
    payload = {"format": CACHE_FORMAT, "version": __version__, "cache": cache}
    path = cache_file(output_dir)
    write_bytes_atomic(path, pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL),
                       str(path))


def digest(*parts: bytes | str) -> str:
    hasher = hashlib.sha256()
    for part in parts:
        raw = part.encode("utf-8") if isinstance(part, str) else part
        hasher.update(len(raw).to_bytes(8, "little"))
        hasher.update(raw)
    return hasher.hexdigest()


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""


def tree_digest(folder: Path) -> str:
    parts: list[str] = []
    if folder.is_dir():
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            parts += [path.relative_to(folder).as_posix(), file_digest(path)]
    return digest(*parts)
