"""Pre-fill: a language's catalog + an engine → the catalog with its empty entries filled.

Engines:

``tm``
    translation memory: the project's other catalogs *in the same language* (every
    ``.po`` under ``locales/`` whose ``Language`` is this one), the catalog's own
    obsolete and translated entries, and any ``.po``/``.tmx`` file given with
    ``--memory``. An exact match (same msgid, msgctxt and plural) is filled as it
    is; a similar one (GNU ``fstrcmp`` similarity ≥ the threshold, found through a
    word index rather than by comparing every pair) is filled ``fuzzy`` with a
    translator comment naming the score and where it came from.
``pseudo``
    the pseudo-locales ``en_XA`` (accented, ~35 % longer, in brackets) and ``ar_XB``
    (each run of words reversed and turned upside down, Arabic punctuation, shown
    right to left because its base locale is ``ar``). Placeholders, link and image
    URLs, code and entities are kept byte for byte, so the checks pass on the result.
    A pseudo catalog is generated, not translated: every run rewrites all of it from
    the current template.
plugins
    any object registered under the entry point group ``pipeline.engines`` (or with
    ``register_engine``) that has ``translate(texts, source, target) -> list[str]``
    (BCP 47 tags); whatever it fills is ``fuzzy``.

Entries that already have a translation are never touched, unless
``overwrite_fuzzy`` is set, and then only the fuzzy ones. The catalog is written
atomically (``po.writer.write_po``) and only when it changed, and never over a version
someone saved after it was read (``fsutil.ChangedMeanwhile``).
"""

# Pseudo-locale tables are non-ASCII look-alike letters on purpose.
# ruff: noqa: RUF001

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Protocol, runtime_checkable
from xml.parsers import expat

from babel import Locale, UnknownLocaleError
from babel.core import get_global

from pipeline.config import Config
from pipeline.errors import PipelineError, UsageError
from pipeline.infra.faults import fault_point
from pipeline.infra.fsutil import NO_FILE, FileStamp, read_bytes
from pipeline.models import Location
from pipeline.models.prefill import Fill, PrefillResult
from pipeline.po.model import FUZZY, PREFILL_MARK, Catalog, Entry, plural_values
from pipeline.po.reader import parse_po, read_po
from pipeline.po.writer import format_po, write_po
from pipeline.text.catalogs import load_pot, new_catalog, read_catalog_stamped
from pipeline.text.langs import Lang
from pipeline.text.msgmerge import merge, similarity
from pipeline.workspace import Workspace

# The codes of the error-level checks an entry fails in its catalog (check.error_codes).
Vet = Callable[[Config, Lang, Catalog, Entry], Sequence[str]]
ENTRY_POINT_GROUP = "pipeline.engines"
BUILTIN_ENGINES = ("tm", "pseudo")
DEFAULT_THRESHOLD = 0.75
# Candidates compared in full per entry, best word overlap first.
COMPARE_LIMIT = 50
# Index postings read per lookup (rarest words first), and the fewest words always read.
POSTINGS_BUDGET = 20000
MIN_KEYS = 3


@runtime_checkable
class Engine(Protocol):
    """A machine-translation engine: one call per catalog, texts in, texts out, same order."""

    def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]: ...


_registered: dict[str, Engine] = {}


def register_engine(name: str, engine: Engine) -> None:
    """Make ``engine`` available as ``--engine name`` in this process."""
    if name in BUILTIN_ENGINES:
        raise ValueError(f"{name!r} is a built-in engine")
    if not isinstance(engine, Engine):
        raise TypeError("an engine needs a translate(texts, source, target) method")
    _registered[name] = engine


def unregister_engine(name: str) -> None:
    _registered.pop(name, None)


def installed_engines() -> list[str]:
    names = {ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)}
    return sorted(names | set(_registered))


def load_engine(name: str) -> Engine:
    """A registered engine, or the entry point ``name`` in ``pipeline.engines``."""
    if name in _registered:
        return _registered[name]
    for point in entry_points(group=ENTRY_POINT_GROUP):
        if point.name != name:
            continue
        try:
            loaded: Any = point.load()
            engine = loaded() if isinstance(loaded, type) else loaded
        except Exception as exc:
            raise PipelineError(f"engine {name!r} ({point.value}) failed to load: {exc}",
                                hint="check that the plugin package is installed") from exc
        if not isinstance(engine, Engine):
            raise PipelineError(f"engine {name!r} ({point.value}) has no "
                                "translate(texts, source, target) method")
        return engine
    known = ", ".join([*BUILTIN_ENGINES, *installed_engines()])
    raise UsageError(f"unknown engine {name!r}", hint=f"engines: {known}")


# --- translation memory ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Unit:
    """One source text with its translation(s) in the target language."""

    source: str
    targets: tuple[str, ...]  # one, or the plural forms
    origin: Location
    msgctxt: str | None = None
    source_plural: str | None = None


@dataclass(frozen=True, slots=True)
class Match:
    unit: Unit
    score: float
    exact: bool


_WORD = re.compile(r"\w+")
# Scripts written without spaces between words (CJK ideographs, kana, hangul, full-width).
_UNSPACED = re.compile("[\u1100-\u11ff\u2e80-\ua4cf\uac00-\ud7af\uf900-\ufaff\uff00-\uffef"
                       "\U00020000-\U0003ffff]")


def index_keys(text: str) -> frozenset[str]:
    """Words cut to 5 letters (a crude stem: "languages" and "language" share "langu");
    runs in scripts without spaces (Chinese, Japanese) become character pairs."""
    folded = text.casefold()
    if not _UNSPACED.search(folded):
        return frozenset(word[:5] for word in _WORD.findall(folded))
    keys: set[str] = set()
    for word in _WORD.findall(folded):
        if _UNSPACED.search(word):
            keys.update(word[i:i + 2] for i in range(max(1, len(word) - 1)))
        else:
            keys.add(word[:5])
    return frozenset(keys)


class TranslationMemory:
    """Units indexed for exact lookup and, by shared words, for fuzzy lookup."""

    def __init__(self, units: Iterable[Unit]):
        self.units: list[Unit] = []
        self._exact: dict[tuple[str | None, str, str | None], int] = {}
        self._same_text: dict[tuple[str, str | None], int] = {}
        self._keys: list[frozenset[str]] = []
        self._index: dict[str, list[int]] = {}
        for unit in units:
            if not unit.source or not all(unit.targets):
                continue
            number = len(self.units)
            self.units.append(unit)
            self._exact.setdefault((unit.msgctxt, unit.source, unit.source_plural), number)
            self._same_text.setdefault((unit.source, unit.source_plural), number)
            keys = index_keys(unit.source)
            self._keys.append(keys)
            for key in keys:
                self._index.setdefault(key, []).append(number)

    def __len__(self) -> int:
        return len(self.units)

    def lookup(self, msgid: str, msgctxt: str | None, plural: str | None,
               threshold: float) -> Match | None:
        number = self._exact.get((msgctxt, msgid, plural))
        if number is not None:
            return Match(self.units[number], 1.0, exact=True)
        number = self._same_text.get((msgid, plural))
        if number is not None:  # the same text in another context: worth a look, not trust
            return Match(self.units[number], 1.0, exact=False)
        return self._fuzzy(msgid, plural, threshold)

    def candidates(self, text: str) -> list[int]:
        """Units sharing the most index keys with ``text`` (at most COMPARE_LIMIT).

        The rarest keys are counted first; common ones only while the number of
        postings read stays within POSTINGS_BUDGET, so a lookup costs about the same
        in a memory of a thousand units or of a million.
        """
        query = index_keys(text)
        postings = sorted((self._index.get(key, []) for key in query), key=len)
        shared: Counter[int] = Counter()
        read = 0
        for position, numbers in enumerate(postings):
            if position >= MIN_KEYS and read + len(numbers) > POSTINGS_BUDGET:
                break
            shared.update(numbers)
            read += len(numbers)
        rough = [number for number, _ in shared.most_common(4 * COMPARE_LIMIT)]
        ranked = sorted(rough, key=lambda n: (
            -2 * len(query & self._keys[n]) / (len(query) + len(self._keys[n])), n))
        return ranked[:COMPARE_LIMIT]

    def _fuzzy(self, msgid: str, plural: str | None, threshold: float) -> Match | None:
        best: Match | None = None
        target = msgid.encode("utf-8")
        for number in self.candidates(msgid):
            unit = self.units[number]
            if (unit.source_plural is None) != (plural is None):
                continue
            other = unit.source.encode("utf-8")
            floor = best.score if best else threshold
            if 2 * min(len(target), len(other)) / (len(target) + len(other)) < floor:
                continue  # similarity can never reach the floor with these lengths
            score = similarity(msgid, unit.source)
            if score >= threshold and (best is None or score > best.score):
                best = Match(unit, score, exact=False)
        return best


def units_from_catalog(catalog: Catalog, include_active: bool = True) -> list[Unit]:
    """Units from a catalog's entries with a complete, non-fuzzy translation."""
    out = []
    for entry in catalog.entries:
        if not entry.msgid or entry.fuzzy or (not include_active and not entry.obsolete):
            continue
        targets = entry.msgstr_plural if entry.msgid_plural is not None else (entry.msgstr,)
        if targets and all(targets):
            out.append(Unit(entry.msgid, tuple(targets), Location(catalog.path, entry.line),
                            entry.msgctxt, entry.msgid_plural))
    return out


def _locale_parts(code: str) -> tuple[str, str | None, str | None] | None:
    try:
        locale = Locale.parse(code.strip().replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        return None
    script = locale.script
    if script is None:
        likely = get_global("likely_subtags").get(locale.language)
        script = Locale.parse(likely).script if likely else None
    return locale.language, script, locale.territory


def same_language(code: str, lang: Lang) -> bool:
    """``code`` names ``lang`` (es-ES ≈ es, zh-CN ≈ zh_Hans; zh-TW ≠ zh_Hans)."""
    if code.strip().replace("-", "_").lower() == lang.code.lower():
        return True
    if lang.is_pseudo:
        return False
    mine, theirs = _locale_parts(lang.code), _locale_parts(code)
    if mine is None or theirs is None:
        return False
    return (mine[0] == theirs[0] and mine[1] == theirs[1]
            and (mine[2] is None or theirs[2] is None or mine[2] == theirs[2]))


def _po_language(catalog: Catalog, path: Path, lang: Lang) -> bool | None:
    """Whether a .po file is in ``lang`` (None: it does not say)."""
    declared = (catalog.header_value("Language") or "").strip()
    if declared:
        return same_language(declared, lang)
    if any(same_language(part, lang) for part in path.parts if part not in ("LC_MESSAGES",)):
        return True
    return None


def project_memory(config: Config, lang: Lang, catalog: Catalog) -> list[Unit]:
    """The catalog's own entries, then every other project .po in the same language."""
    units = units_from_catalog(catalog)
    own = config.po_path(lang).resolve()
    for path in sorted(config.locales_dir.rglob("*.po")):
        if path.resolve() == own:
            continue
        other = read_po(path, config.rel(path))
        if _po_language(other, path, lang):
            units += units_from_catalog(other)
    return units


def memory_file(path: Path, display: str, source: Lang, lang: Lang) -> list[Unit]:
    """Units from a ``--memory`` file: a ``.po`` in ``lang`` or a ``.tmx``."""
    suffix = path.suffix.lower()
    if suffix in (".po", ".pot"):
        catalog = read_po(path, display)
        if _po_language(catalog, path, lang) is False:
            raise PipelineError(
                f"memory file is in {catalog.header_value('Language')!r}, not {lang.code}",
                Location(display, catalog.header_line),
                "give translation memories in the language being filled")
        return units_from_catalog(catalog)
    if suffix == ".tmx":
        return read_tmx(read_bytes(path, display), display, source, lang)
    raise UsageError(f"{display}: a memory file must be .po or .tmx")


_NATIVE_CODE = frozenset({"bpt", "ept", "ph", "it", "ut"})


def read_tmx(data: bytes, display: str, source: Lang, lang: Lang) -> list[Unit]:
    """Translation units of a TMX file, source in ``source``, target in ``lang``.

    Only text a translator reads is kept: TMX inline native codes (bpt, ept, ph, it)
    are dropped. Entity declarations are refused (no entity expansion).
    """
    parser = expat.ParserCreate()
    units: list[Unit] = []
    stack: list[str] = []
    segs: list[tuple[str, str]] = []
    parts: list[str] = []
    state: dict[str, Any] = {"tu": 0, "lang": "", "srclang": ""}

    def start(name: str, attrs: dict[str, str]) -> None:
        stack.append(name)
        if name == "header":
            state["srclang"] = attrs.get("srclang", "")
        elif name == "tu":
            state["tu"] = parser.CurrentLineNumber
            segs.clear()
        elif name == "tuv":
            state["lang"] = attrs.get("xml:lang") or attrs.get("lang") or ""
        elif name == "seg":
            parts.clear()

    def end(name: str) -> None:
        stack.pop()
        if name == "seg":
            segs.append((state["lang"], "".join(parts)))
        elif name == "tu":
            src = next((t for code, t in segs if same_language(code, source)), None)
            dst = next((t for code, t in segs if same_language(code, lang)), None)
            if src and dst:
                units.append(Unit(src, (dst,), Location(display, state["tu"])))

    def text(content: str) -> None:
        if "seg" in stack and not _NATIVE_CODE.intersection(stack[stack.index("seg"):]):
            parts.append(content)

    def refuse_entities(*_: Any) -> None:
        raise PipelineError("TMX declares XML entities; refusing to expand them",
                            Location(display, parser.CurrentLineNumber),
                            "export the memory again without a DOCTYPE internal subset")

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    parser.EntityDeclHandler = refuse_entities
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise PipelineError(f"not a valid TMX (XML) file: {expat.errors.messages[exc.code]}",
                            Location(display, exc.lineno)) from exc
    return units


# --- pseudo-locales -------------------------------------------------------------------------

_ACCENTED = str.maketrans(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "åƀçðéƒĝĥîĵķļɱñöþǫŕšţûṽŵẋýžÅƁÇÐÉƑĜĤÎĴĶĻṀÑÖÞǪŔŠŢÛṼŴẊÝŽ",
)
_FLIPPED = str.maketrans(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "ɐqɔpǝɟƃɥıɾʞlɯuodbɹsʇnʌʍxʎz∀ꓭƆᗡƎℲ⅁HIſꓘ˥WNOԀΌꓤS⊥∩ΛMX⅄Z",
)
_ARABIC_PUNCTUATION = str.maketrans({"?": "؟", ",": "،", ";": "؛"})
_PADDING = "öñé ţŵö ţĥŕéé ƒöûŕ ƒîṽé šîẋ šéṽéñ éîĝĥţ ñîñé ţéñ"
EXPANSION = 0.35

# Kept byte for byte: placeholders, link/image destinations, language marks' {lang=…},
# code, autolinks, entities and Markdown escapes. A link's or image's title ("…", '…'
# or (…)) is text a reader sees (a tooltip): only its delimiters are kept.
_KEEP = (r"%\([^()]*\)[#0 +-]*\d*(?:\.\d+)?[a-zA-Z]"
         r"|\{[A-Za-z_][\w.]*\}|\{\d*\}"
         r"|\]\((?:[^()\s]|\([^()\s]*\))*(?:\s+(?P<title>\"(?:\\.|[^\"\\])*\""
         r"|'(?:\\.|[^'\\])*'|\((?:\\.|[^()\\])*\)))?\s*\)"
         r"|\]\{[^{}\n]*\}"
         r"|`[^`]*`"
         r"|<[A-Za-z][A-Za-z0-9+.-]*:[^<>\s]*>|<[^<>\s@]+@[^<>\s]+>"
         r"|&(?:#\d+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);"
         r"|\\[^\w\s]")
_PRINTF_KEEP = r"|%[#0 +-]*\d*(?:\.\d+)?[sdifxXeEgGcr%]"
_KEEP_RE = re.compile(_KEEP)
_KEEP_PRINTF_RE = re.compile(_KEEP + _PRINTF_KEEP)
_RUN = re.compile(r"[^\W\d_]+(?: +[^\W\d_]+)*")
_TAIL = re.compile(r"[.?!:;…]+[*_)\"'»”’]*$")


def _pieces(text: str, printf: bool) -> list[tuple[bool, str]]:
    """(kept, piece) in order: kept pieces are never changed."""
    pattern = _KEEP_PRINTF_RE if printf else _KEEP_RE
    out: list[tuple[bool, str]] = []
    position = 0
    for match in pattern.finditer(text):
        if match.start() > position:
            out.append((False, text[position:match.start()]))
        if match.group("title"):
            start, end = match.span("title")
            out.append((True, text[match.start():start + 1]))
            out += _pieces(text[start + 1:end - 1], printf)
            out.append((True, text[end - 1:match.end()]))
        else:
            out.append((True, match.group(0)))
        position = match.end()
    if position < len(text):
        out.append((False, text[position:]))
    return out


def _mirror(piece: str) -> str:
    flipped = _RUN.sub(lambda m: m.group(0)[::-1].translate(_FLIPPED), piece)
    return flipped.translate(_ARABIC_PUNCTUATION)


def pseudo_text(text: str, lang: Lang, printf: bool = False) -> str:
    """The pseudo-translation of one message for ``en_XA`` or ``ar_XB``."""
    stripped = text.strip()
    if not stripped:
        return text
    lead, trail = text[: len(text) - len(text.lstrip())], text[len(text.rstrip()):]
    pieces = _pieces(stripped, printf)
    if lang.code == "ar_XB":
        body = "".join(p if kept else _mirror(p) for kept, p in pieces)
    else:
        body = "".join(p if kept else p.translate(_ACCENTED) for kept, p in pieces)
        free = sum(len(p) for kept, p in pieces if not kept)
        extra = round(free * EXPANSION) - 2  # the brackets count too
        if extra >= 2:
            words = _PADDING.split()
            padding = ""
            while len(padding) < extra:
                padding += " " + words[len(padding.split()) % len(words)]
            # Before the closing punctuation, unless that belongs to a kept piece (a URL).
            tail = _TAIL.search(body)
            at = len(body)
            if tail is not None and not (pieces[-1][0]
                                         and tail.start() > len(body) - len(pieces[-1][1])):
                at = tail.start()
            body = body[:at] + padding + body[at:]
    return f"{lead}[{body}]{trail}"


def pseudo_entry(entry: Entry, lang: Lang, values: tuple[tuple[int, ...], ...]) -> Entry:
    printf = any(f.endswith("-format") and not f.startswith("no-") and "brace" not in f
                 for f in entry.flags)
    flags = tuple(f for f in entry.flags if f != FUZZY)
    base = replace(entry, flags=flags, previous_msgctxt=None, previous_msgid=None,
                   previous_msgid_plural=None, translator_comments=())
    if entry.msgid_plural is None:
        return replace(base, msgstr=pseudo_text(entry.msgid, lang, printf))
    forms = tuple(
        pseudo_text(entry.msgid if values[i] == (1,) else entry.msgid_plural, lang, printf)
        for i in range(len(values)))
    return replace(base, msgstr_plural=forms)


def pseudo_catalog(catalog: Catalog, lang: Lang) -> Catalog:
    """Every active entry pseudo-translated; obsolete ones dropped."""
    values = plural_values(lang.plural_forms, lang.nplurals)
    entries = tuple(pseudo_entry(e, lang, values) for e in catalog.active)
    what = ("accented, ~35 % longer" if lang.code == "en_XA"
            else "mirrored, right to left")
    return replace(
        catalog, entries=entries,
        header_comments=(f"Pseudo-locale {lang.code} ({what}), base locale {lang.base}.",
                         f"Generated by 'pipeline translate {lang.code} --engine pseudo'; "
                         "edits are overwritten."),
    )


# --- filling ---------------------------------------------------------------------------------


def needs_fill(entry: Entry, overwrite_fuzzy: bool) -> bool:
    if entry.obsolete or not entry.msgid:
        return False
    return not entry.has_translation or (overwrite_fuzzy and entry.fuzzy)


def _comment(entry: Entry, note: str) -> tuple[str, ...]:
    kept = tuple(c for c in entry.translator_comments if not c.startswith(PREFILL_MARK))
    return (*kept, PREFILL_MARK + note)


def _targets_for(entry: Entry, unit: Unit, nplurals: int) -> tuple[str, ...] | None:
    if entry.msgid_plural is None:
        return unit.targets[:1] if unit.source_plural is None else None
    if unit.source_plural is None or len(unit.targets) != nplurals:
        return None
    return unit.targets


def _fill_from_memory(entry: Entry, match: Match, nplurals: int) -> tuple[Entry, Fill] | None:
    unit = match.unit
    targets = _targets_for(entry, unit, nplurals)
    if targets is None:
        return None
    if match.exact:
        note = f"exact match from {unit.origin}"
    elif match.score == 1.0:
        note = f"same text in another context ({unit.msgctxt or 'none'}) from {unit.origin}"
    else:
        note = f"{match.score:.0%} match from {unit.origin}"
    filled = replace(
        entry,
        msgstr="" if entry.msgid_plural is not None else targets[0],
        msgstr_plural=targets if entry.msgid_plural is not None else (),
        translator_comments=_comment(entry, f"tm: {note}"),
        previous_msgctxt=None, previous_msgid=None, previous_msgid_plural=None,
    )
    if not match.exact:
        filled = replace(filled.with_flags(FUZZY), previous_msgctxt=unit.msgctxt,
                         previous_msgid=unit.source, previous_msgid_plural=unit.source_plural)
    else:
        filled = filled.with_flags(remove=(FUZZY,))
    fill = Fill(entry.msgid, entry.msgctxt, fuzzy=not match.exact, score=match.score,
                origin=str(unit.origin))
    return filled, fill


def _distrust_errors(config: Config, lang: Lang, catalog: Catalog, vet: Vet, entry: Entry,
                     fill: Fill) -> tuple[Entry, Fill]:
    """An exact match that fails an error-level check is filled fuzzy, with the reason."""
    if fill.fuzzy:
        return entry, fill
    errors = vet(config, lang, catalog, entry)
    if not errors:
        return entry, fill
    note = entry.translator_comments[-1] + f"; made fuzzy: {', '.join(dict.fromkeys(errors))}"
    return (replace(entry.with_flags(FUZZY), translator_comments=(
        *entry.translator_comments[:-1], note)), replace(fill, fuzzy=True))


def _plugin_texts(entry: Entry, values: tuple[tuple[int, ...], ...], nplurals: int
                  ) -> list[str]:
    if entry.msgid_plural is None:
        return [entry.msgid]
    return [entry.msgid if i < len(values) and values[i] == (1,) else entry.msgid_plural
            for i in range(nplurals)]


def prefill(config: Config, lang: Lang, engine: str, *, vet: Vet, memory: Sequence[Path] = (),
            threshold: float = DEFAULT_THRESHOLD, overwrite_fuzzy: bool = False,
            ws: Workspace | None = None) -> PrefillResult:
    """Fill ``lang``'s catalog with ``engine``; create the catalog from the template if
    needed. Catalogs and messages are read through ``ws`` (one of its own when None).

    ``vet`` names the error-level checks an entry fails (the check stage's
    ``error_codes``): an exact translation-memory match that fails one is filled fuzzy.
    The caller passes it, so that one stage does not import another."""
    ws = ws or Workspace()
    if not 0 < threshold <= 1:
        raise UsageError(f"--threshold must be in (0, 1], got {threshold:g}")
    if memory and engine != "tm":
        raise UsageError("--memory is only used by the tm engine")
    if lang.code == config.source_language.code:
        raise UsageError(f"{lang.code} is the source language; there is nothing to translate")
    if engine == "pseudo" and not lang.is_pseudo:
        raise UsageError(f"the pseudo engine writes the pseudo-locales en_XA and ar_XB, "
                         f"not {lang.code}", hint="pipeline translate en_XA --engine pseudo")
    plugin = None if engine in BUILTIN_ENGINES else load_engine(engine)
    path = config.po_path(lang)
    display = config.rel(path)
    existing, stamp = read_catalog_stamped(config, lang, ws)
    extra: list[Unit] = []
    for file in memory:
        extra += memory_file(file, config.rel(file), config.source_language, lang)

    if engine == "pseudo":
        pot = load_pot(config, ws)
        base = (merge(existing, pot, lang.nplurals, ws=ws) if existing is not None
                else new_catalog(config, lang, pot))
        catalog = pseudo_catalog(base, lang)
        before = {e.key: e for e in (existing.active if existing else ())}
        changed = [Fill(e.msgid, e.msgctxt, fuzzy=False, origin="pseudo")
                   for e in catalog.active
                   if before.get(e.key) is None or before[e.key].msgstr != e.msgstr
                   or before[e.key].msgstr_plural != e.msgstr_plural or before[e.key].fuzzy]
        return _finish(catalog, changed, lang, engine, path, display, stamp, 0)

    catalog = existing if existing is not None else new_catalog(config, lang,
                                                                load_pot(config, ws))
    nplurals = catalog.nplurals or lang.nplurals
    values = plural_values(catalog.header_value("Plural-Forms") or lang.plural_forms, nplurals)
    todo = [i for i, e in enumerate(catalog.entries) if needs_fill(e, overwrite_fuzzy)]
    entries = list(catalog.entries)
    fills: list[Fill] = []
    units = 0
    if engine == "tm":
        tm = TranslationMemory(project_memory(config, lang, catalog) + extra)
        units = len(tm)
        for index in todo:
            entry = entries[index]
            match = tm.lookup(entry.msgid, entry.msgctxt, entry.msgid_plural, threshold)
            done = _fill_from_memory(entry, match, nplurals) if match else None
            if done is None:
                continue
            filled, fill = _distrust_errors(config, lang, catalog, vet, *done)
            entries[index] = filled
            fills.append(fill)
    elif plugin is not None:
        batches = [_plugin_texts(entries[i], values, nplurals) for i in todo]
        texts = [t for batch in batches for t in batch]
        results = _run_plugin(plugin, engine, texts, config.source_language, lang) if texts else []
        position = 0
        for index, batch in zip(todo, batches, strict=True):
            got = results[position:position + len(batch)]
            position += len(batch)
            entry = entries[index]
            if not all(got):
                continue
            entries[index] = replace(
                entry,
                msgstr=got[0] if entry.msgid_plural is None else "",
                msgstr_plural=tuple(got) if entry.msgid_plural is not None else (),
                translator_comments=_comment(entry, f"{engine}: machine translation, review it"),
                previous_msgctxt=None, previous_msgid=None, previous_msgid_plural=None,
            ).with_flags(FUZZY)
            fills.append(Fill(entry.msgid, entry.msgctxt, fuzzy=True, origin=engine))
    return _finish(replace(catalog, entries=tuple(entries)), fills, lang, engine, path, display,
                   stamp, units)


def _run_plugin(plugin: Engine, name: str, texts: list[str], source: Lang, lang: Lang
                ) -> list[str]:
    try:
        results = plugin.translate(list(texts), source.tag, lang.tag)
    except Exception as exc:
        raise PipelineError(f"engine {name!r} failed: {type(exc).__name__}: {exc}",
                            hint="nothing was written") from exc
    if (not isinstance(results, list) or len(results) != len(texts)
            or not all(isinstance(r, str) for r in results)):
        raise PipelineError(f"engine {name!r} returned {type(results).__name__} of "
                            f"{len(results) if isinstance(results, list) else '?'} item(s) for "
                            f"{len(texts)} text(s); expected a list of strings",
                            hint="nothing was written")
    return results


def _finish(catalog: Catalog, fills: list[Fill], lang: Lang, engine: str, path: Path,
            display: str, read: FileStamp, units: int) -> PrefillResult:
    fault_point("translate:before-write")  # tests: a translator saves the catalog meanwhile
    written = write_po(catalog, path, display, expect=read, doing="translating")
    created = read == NO_FILE
    lines = {e.key: e.line for e in parse_po(format_po(catalog), display).active}
    placed = tuple(replace(f, line=lines.get((f.msgctxt, f.msgid), 0)) for f in fills)
    untranslated = sum(1 for e in catalog.active if e.msgid and not e.has_translation)
    return PrefillResult(lang.code, display, engine, created, written, placed, untranslated,
                         units)
