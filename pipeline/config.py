"""The one validated configuration: ``[tool.pipeline]`` in pyproject.toml, or pipeline.toml.

content root → ``Config``. Unknown keys and wrong types are errors naming the file,
the line and the key; every key is documented in docs/configuration.md.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.errors import PipelineError
from pipeline.infra.fsutil import read_text
from pipeline.models import Location
from pipeline.text.langs import Lang, parse_lang

FALLBACKS = ("source", "outdated")
WITHDRAWN = ("warn", "block")
REFERENCE_HINT = "see docs/configuration.md for this key"
STANDARDS = ("WCAG2A", "WCAG2AA", "WCAG2AAA")


@dataclass(frozen=True, slots=True)
class GateConfig:
    a11y: bool = True
    qa: bool = True
    readability: bool = False
    completeness: float = 100.0  # % of current translations for a page to be complete
    keep: float = 80.0  # % translated or outdated (fuzzy) for a page to stay published
    withdrawn: str = "warn"  # a page that leaves a language: "warn" or "block"


@dataclass(frozen=True, slots=True)
class LanguageConfig:
    completeness: float | None = None
    keep: float | None = None
    publish: bool = True  # False: the language's pages are withdrawn (catalog kept up to date)
    fallback: str = "source"
    readability_target: float | None = None
    length_ratio: tuple[float, float] | None = None  # check 'length-ratio' bounds


_NO_LANGUAGE_CONFIG = LanguageConfig()  # a language without its own table (immutable)


@dataclass(frozen=True, slots=True)
class A11yConfig:
    standard: str = "WCAG2AA"
    concurrency: int | None = None  # None: from the core count (stages.a11y)
    timeout: int = 60  # seconds per page, pa11y's own timeout
    run_timeout: int = 600  # seconds for the whole pa11y-ci run
    chromium: str = ""  # empty: $PIPELINE_CHROMIUM, $CHROME_PATH, then the system path
    warnings_gate: bool = False
    baseline: str = "a11y-baseline.toml"


@dataclass(frozen=True, slots=True)
class ReadabilityConfig:
    long_sentence_words: int = 25
    hardest_sentences: int = 5
    plain_words: str = ""  # extra word list (TOML) relative to the root
    proper_names: tuple[str, ...] = ()  # names plain-language advice leaves alone


@dataclass(frozen=True, slots=True)
class CheckConfig:
    ignore: tuple[str, ...] = ()
    glossary: bool = True
    length_ratio: tuple[float, float] = (0.5, 2.0)  # translation / source, visible characters
    length_min: int = 20  # shorter sources are not length-checked


@dataclass(frozen=True, slots=True)
class Config:
    root: Path
    file: str  # config file, relative to root, for messages
    source_language: Lang
    languages: tuple[Lang, ...]
    site_title: str = "Site"
    base_url: str = "https://example.org/"
    pages: str = "source/pages"
    templates: str = "source/templates"
    locales: str = "locales"
    output: str = "output"
    gate: GateConfig = field(default_factory=GateConfig)
    language: Mapping[str, LanguageConfig] = field(default_factory=dict)
    a11y: A11yConfig = field(default_factory=A11yConfig)
    readability: ReadabilityConfig = field(default_factory=ReadabilityConfig)
    check: CheckConfig = field(default_factory=CheckConfig)
    site_title_line: int = 0
    # Root-relative paths the wider site serves outside the pipeline ("/contact/"; a
    # trailing "*" takes every path under it): links to them are kept as written.
    external_paths: tuple[str, ...] = ()

    # Paths, absolute.
    @property
    def pages_dir(self) -> Path:
        return self.root / self.pages

    @property
    def templates_dir(self) -> Path:
        return self.root / self.templates

    @property
    def locales_dir(self) -> Path:
        return self.root / self.locales

    @property
    def output_dir(self) -> Path:
        return self.root / self.output

    @property
    def pot_path(self) -> Path:
        return self.locales_dir / "messages.pot"

    def po_path(self, lang: Lang) -> Path:
        return self.locales_dir / lang.code / "LC_MESSAGES" / "messages.po"

    def rel(self, path: Path) -> str:
        """A path as shown to people: relative to the content root."""
        try:
            return path.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return str(path)

    def lang_config(self, lang: Lang) -> LanguageConfig:
        # Not ``get(code, LanguageConfig())``: that made a default every call (5,000 per
        # render at 1,000 pages, for the source language, which has no table).
        return self.language.get(lang.code, _NO_LANGUAGE_CONFIG)

    def completeness_threshold(self, lang: Lang) -> float:
        own = self.lang_config(lang).completeness
        return self.gate.completeness if own is None else own

    def keep_threshold(self, lang: Lang) -> float:
        """The share translated or outdated (fuzzy) that keeps a page published; never
        above the completeness threshold (a complete page is always published)."""
        own = self.lang_config(lang).keep
        return min(self.gate.keep if own is None else own, self.completeness_threshold(lang))

    @property
    def all_languages(self) -> tuple[Lang, ...]:
        return (self.source_language, *self.languages)


# --- loading -----------------------------------------------------------------

Check = Callable[[Any], Any]


class _Schema:
    """Validates one TOML table, reporting errors as ``file:line: key …``."""

    def __init__(self, file: str, text: str, section: str):
        self.file = file
        self.text = text
        self.section = section  # "tool.pipeline" in pyproject.toml, "" in pipeline.toml

    def _tables(self) -> list[tuple[str, int, int]]:
        """(table name, first line index, end line index) of every table, the root first."""
        lines = self.text.split("\n")
        tables: list[tuple[str, int, int]] = []
        name, start = "", 0
        for index, line in enumerate(lines):
            header = _TABLE_HEADER.match(line)
            if header:
                tables.append((name, start, index))
                name, start = _toml_key(header.group(1)), index
        tables.append((name, start, len(lines)))
        return tables

    def line_of(self, dotted: str) -> int:
        """The 1-based line where ``dotted`` (relative to the section) is set, else its table's."""
        parts = [p for p in f"{self.section}.{dotted}".split(".") if p]
        lines = self.text.split("\n")
        tables = self._tables()
        for cut in range(len(parts) - 1, -1, -1):
            table, keys = ".".join(parts[:cut]), parts[cut:]
            for name, start, end in tables:
                if name != table:
                    continue
                for index in range(start, end):
                    assignment = _KEY_ASSIGNMENT.match(lines[index])
                    if assignment and _toml_key(assignment.group(1)) in (
                        ".".join(keys), keys[0]
                    ):
                        return index + 1
        for cut in range(len(parts), 0, -1):
            for name, start, _ in tables:
                if name == ".".join(parts[:cut]):
                    return start + 1
        # A key that is only a table's prefix ("tool" of [tool.pipeline]): its first table.
        for name, start, _ in tables:
            if name.startswith(".".join(parts) + "."):
                return start + 1
        return 0

    def error(self, dotted: str, message: str, hint: str | None = None) -> PipelineError:
        name = ".".join(p for p in (self.section, dotted) if p) or "configuration"
        return PipelineError(
            f"{name}: {message}", Location(self.file, self.line_of(dotted)), hint
        )

    def _unknown_key_hint(self, key: str, spec: Mapping[str, Check], prefix: str) -> str:
        known = "known keys here: " + ", ".join(sorted(spec))
        if key == "tool" and not prefix and not self.section:
            return (f"in {self.file} the keys go at the top level: delete the "
                    "[tool.pipeline] line (that table is pyproject.toml's form) and write "
                    "[tool.pipeline.gate] as [gate], [tool.pipeline.language.es] as "
                    "[language.es]")
        # Compared as people misspell them: any case, - for _.
        by_form = {name.lower().replace("-", "_"): name for name in spec}
        close = difflib.get_close_matches(key.lower().replace("-", "_"), by_form, n=1,
                                          cutoff=0.6)
        return (f"did you mean '{by_form[close[0]]}'? " if close else "") + known

    def table(
        self, data: Any, spec: Mapping[str, Check], prefix: str = ""
    ) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise self.error(prefix.rstrip(".") or "", "expected a table",
                             f"write it as a [{self.section or 'pipeline'}.…] table; "
                             + REFERENCE_HINT)
        out: dict[str, Any] = {}
        for key, value in data.items():
            dotted = f"{prefix}{key}"
            if key not in spec:
                raise self.error(dotted, "unknown key", self._unknown_key_hint(key, spec, prefix))
            try:
                out[key] = spec[key](value)
            except _Invalid as exc:
                raise self.error(dotted, str(exc), exc.hint or REFERENCE_HINT) from exc
        return out


_TABLE_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
_KEY_ASSIGNMENT = re.compile(r"^\s*([A-Za-z0-9_\-.\"' ]+?)\s*=")


def _toml_key(text: str) -> str:
    """A TOML key or table name, dotted, without quotes or spaces around the dots."""
    return ".".join(part.strip().strip("\"'") for part in text.split("."))


class _Invalid(Exception):
    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.hint = hint


def _type_name(value: Any) -> str:
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string",
            list: "an array", dict: "a table"}.get(type(value), type(value).__name__)


def _string(value: Any) -> str:
    if not isinstance(value, str):
        raise _Invalid(f"expected a string, got {_type_name(value)}",
                       'write text in double quotes, e.g. key = "text"')
    return value


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _Invalid(f"expected true or false, got {_type_name(value)}",
                       "write true or false, without quotes")
    return value


def _integer(low: int, high: int) -> Check:
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _Invalid(f"expected an integer, got {_type_name(value)}",
                           f"write a whole number without quotes, e.g. {low}")
        if not low <= value <= high:
            raise _Invalid(f"expected an integer from {low} to {high}, got {value}",
                           f"use a whole number from {low} to {high}")
        return value

    return check


def _number(low: float, high: float) -> Check:
    def check(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _Invalid(f"expected a number, got {_type_name(value)}",
                           f"write a number without quotes, e.g. {high:g}")
        if not low <= value <= high:
            raise _Invalid(f"expected a number from {low:g} to {high:g}, got {value}",
                           f"use a number from {low:g} to {high:g}")
        return float(value)

    return check


def _choice(*choices: str) -> Check:
    def check(value: Any) -> str:
        text = _string(value)
        if text not in choices:
            raise _Invalid(f"expected one of {', '.join(map(repr, choices))}, got {text!r}",
                           f'write one of them, in quotes, e.g. "{choices[0]}"')
        return text

    return check


def _string_list(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _Invalid(f"expected an array of strings, got {_type_name(value)}",
                       'write a list in brackets, each item in quotes, e.g. ["es", "fr"]')
    return tuple(value)


def _names(value: Any) -> tuple[str, ...]:
    names = _string_list(value)
    if any(not name.strip() for name in names):
        raise _Invalid("expected names, got an empty string",
                       'write each name in full, e.g. ["National Institutes of Health"]')
    return tuple(" ".join(name.split()) for name in names)


def _ratio_range(value: Any) -> tuple[float, float]:
    if (not isinstance(value, list) or len(value) != 2
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)):
        raise _Invalid(f"expected [low, high], two numbers, got {_type_name(value)}",
                       "write two numbers in brackets, e.g. [0.5, 2.0]")
    low, high = float(value[0]), float(value[1])
    if not 0 < low < high:
        raise _Invalid(f"expected 0 < low < high, got [{low:g}, {high:g}]",
                       "write the smaller number first, both above 0, e.g. [0.5, 2.0]")
    return (low, high)


_SITE_PATH = re.compile(r"^/[^\s?#*]*\*?$")


def _site_paths(value: Any) -> tuple[str, ...]:
    paths = _string_list(value)
    for path in paths:
        if (not _SITE_PATH.match(path) or path.startswith("//")
                or ".." in path.split("/") or path.rstrip("*") in ("", "/")):
            raise _Invalid(
                f"expected root-relative paths such as \"/contact/\" or \"/forms/*\", "
                f"got {path!r}",
                'write each path as the wider site serves it, starting with "/", without '
                'spaces, "?" or "#"; a trailing "*" takes every path under it; "/" itself is '
                "the pipeline's")
    return paths


def _relative_path(value: Any) -> str:
    text = _string(value)
    if Path(text).is_absolute() or ".." in Path(text).parts:
        raise _Invalid(f"must be a path inside the content root, got {text!r}",
                       'write a folder inside the content root, relative to it, e.g. "locales"')
    return text


def find_config_file(root: Path) -> tuple[Path, dict[str, Any], str]:
    """Return (file, the pipeline table, section name: "tool.pipeline" or "") for ``root``."""
    if not root.is_dir():
        raise PipelineError(
            "content root is not a directory", Location(str(root)), "pass --root DIR"
        )
    pyproject = root / "pyproject.toml"
    standalone = root / "pipeline.toml"
    found: list[tuple[Path, dict[str, Any], str]] = []
    for path, section in ((pyproject, "tool.pipeline"), (standalone, "")):
        if not path.exists():
            continue
        text = read_text(path, path.name)
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            match = re.search(r"line (\d+)", str(exc))
            raise PipelineError(
                f"not valid TOML: {exc}",
                Location(path.name, int(match.group(1)) if match else 0),
                'check that line: text needs a double quote at both ends ("…"), a list '
                "needs [ and ], and every key needs = and a value",
            ) from exc
        if section == "tool.pipeline":
            tool = data.get("tool", {})
            table = tool.get("pipeline") if isinstance(tool, dict) else None
            if table is None:
                continue
        else:
            table = data
        found.append((path, table, section))
    if len(found) == 2:
        raise PipelineError(
            "configuration in both pyproject.toml [tool.pipeline] and pipeline.toml",
            Location("pipeline.toml"),
            "keep one: move the keys into one file and delete the other",
        )
    if not found:
        raise PipelineError(
            "no pipeline configuration: no [tool.pipeline] in pyproject.toml and no pipeline.toml",
            Location(str(root)),
            "run in your content root or pass --root DIR",
        )
    return found[0]


def load_config(root: Path) -> Config:
    root = root.resolve() if root.exists() else root
    path, table, section = find_config_file(root)
    text = read_text(path, path.name)
    schema = _Schema(path.name, text, section)

    def lang(value: Any) -> Lang:
        code = _string(value)
        try:
            return parse_lang(code)
        except PipelineError as exc:
            raise _Invalid(exc.message, exc.hint) from exc

    def lang_list(value: Any) -> tuple[Lang, ...]:
        return tuple(lang(v) for v in _string_list(value))

    def gate(value: Any) -> GateConfig:
        spec = {
            "a11y": _boolean,
            "qa": _boolean,
            "readability": _boolean,
            "completeness": _number(0, 100),
            "keep": _number(0, 100),
            "withdrawn": _choice(*WITHDRAWN),
        }
        return GateConfig(**schema.table(value, spec, "gate."))

    def languages_table(value: Any) -> dict[str, LanguageConfig]:
        if not isinstance(value, dict):
            raise _Invalid("expected a table of languages")
        spec = {
            "completeness": _number(0, 100),
            "keep": _number(0, 100),
            "publish": _boolean,
            "fallback": _choice(*FALLBACKS),
            "readability_target": _number(-200, 200),
            "length_ratio": _ratio_range,
        }
        out: dict[str, LanguageConfig] = {}
        for code, sub in value.items():
            try:
                key = parse_lang(code).code
            except PipelineError as exc:
                raise schema.error(f"language.{code}", exc.message, exc.hint) from exc
            out[key] = LanguageConfig(**schema.table(sub, spec, f"language.{code}."))
        return out

    def a11y(value: Any) -> A11yConfig:
        spec = {
            "standard": _choice(*STANDARDS),
            "concurrency": _integer(1, 16),
            "timeout": _integer(1, 600),
            "run_timeout": _integer(1, 7200),
            "chromium": _string,
            "warnings_gate": _boolean,
            "baseline": _relative_path,
        }
        return A11yConfig(**schema.table(value, spec, "a11y."))

    def readability(value: Any) -> ReadabilityConfig:
        spec = {
            "long_sentence_words": _integer(5, 200),
            "hardest_sentences": _integer(1, 100),
            "plain_words": _relative_path,
            "proper_names": _names,
        }
        return ReadabilityConfig(**schema.table(value, spec, "readability."))

    def check(value: Any) -> CheckConfig:
        spec = {"ignore": _string_list, "glossary": _boolean, "length_ratio": _ratio_range,
                "length_min": _integer(0, 10000)}
        return CheckConfig(**schema.table(value, spec, "check."))

    spec: dict[str, Check] = {
        "source_language": lang,
        "languages": lang_list,
        "site_title": _string,
        "base_url": _string,
        "pages": _relative_path,
        "templates": _relative_path,
        "locales": _relative_path,
        "output": _relative_path,
        "gate": gate,
        "language": languages_table,
        "a11y": a11y,
        "readability": readability,
        "check": check,
        "external_paths": _site_paths,
    }
    values = schema.table(table, spec)
    values.setdefault("source_language", parse_lang("en"))
    values.setdefault("languages", ())
    source = values["source_language"]
    codes = [lg.code for lg in values["languages"]]
    if source.code in codes:
        raise schema.error("languages", f"lists the source language {source.code!r}",
                           "list only the languages the pages are translated into")
    if len(set(codes)) != len(codes):
        raise schema.error("languages", "lists a language twice",
                           "list each language once")
    base_url = values.get("base_url", "https://example.org/")
    if not re.match(r"^https?://[^/\s]+/?", base_url):
        raise schema.error("base_url", f"expected an http(s) URL, got {base_url!r}",
                           'write the address the site is published at, e.g. '
                           '"https://example.org/"')
    values["base_url"] = base_url if base_url.endswith("/") else base_url + "/"
    # The pipeline writes these: the wider site cannot serve them too.
    owned = [f"/{lg.tag}" for lg in (source, *values["languages"])] + [
        "/index.html", "/sitemap.xml", "/style.css"]
    for external in values.get("external_paths", ()):
        first = "/" + external.rstrip("*").strip("/").split("/")[0]
        if first.lower() in (o.lower() for o in owned):
            raise schema.error("external_paths", f"{external!r} is inside what the pipeline "
                               f"publishes ({first})",
                               "list only paths the wider site serves outside the pipeline")
    config = Config(
        root=root,
        file=path.name,
        site_title_line=schema.line_of("site_title"),
        **values,
    )
    refuse_links_out(config)
    return config


def _refuse_unreadable(folder: Path, root: Path) -> None:
    """A folder (or one inside it) that cannot be listed is an error: a glob would skip it
    silently, and ``extract`` would then drop every message of the pages it holds."""

    def refuse(error: OSError) -> None:
        raise error

    try:
        for _ in os.walk(folder, onerror=refuse):
            pass
    except FileNotFoundError:
        return  # a missing folder is reported by the stage that needs it
    except OSError as exc:
        where = Path(exc.filename or folder)
        shown = where.relative_to(root).as_posix() if where.is_relative_to(root) else str(where)
        raise PipelineError(
            f"cannot open the folder: {exc.strerror or exc}", Location(shown),
            "check the folder's owner and permissions: its reader needs read and execute "
            "(chmod u+rx, or a+rx for everyone)",
        ) from exc


def refuse_links_out(config: Config) -> None:
    """No folder, catalog or template the pipeline reads or writes may lead out of the root;
    the folders it reads must be readable.

    A symlink committed to the content repository could otherwise make the pipeline read
    (and publish) or overwrite any file its user can reach. Pages are checked as they are
    read (``pages.load_pages``).
    """
    real_root = config.root.resolve()
    for folder in (config.pages_dir, config.templates_dir, config.locales_dir):
        _refuse_unreadable(folder, config.root)
    paths = [config.pages_dir, config.templates_dir, config.locales_dir, config.output_dir,
             config.pot_path, *(config.po_path(lang) for lang in config.languages)]
    if config.templates_dir.is_dir() and not config.templates_dir.is_symlink():
        paths += sorted(config.templates_dir.rglob("*"))
    for path in paths:
        if not (path.is_symlink() or path.exists()):
            continue
        real = path.resolve()
        if not real.is_relative_to(real_root):
            raise PipelineError(
                f"is a symbolic link that leads outside the content root, to {real}",
                Location(path.relative_to(config.root).as_posix()),
                "replace the link with the file or folder itself: the pipeline reads and "
                "writes only inside the content root",
            )
