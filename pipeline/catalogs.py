"""Catalogs: POT + PO → merged PO (``update``), new PO (``init``), ``.mo`` (``compile``), counts.

``update`` follows GNU ``msgmerge --previous``: translations kept; a changed source
string becomes fuzzy with ``#| msgid`` and the closest old translation; removed
entries that had a translation become obsolete ``#~`` (and come back when the text
returns); untranslated ones are dropped; translator comments and flags survive.
Every catalog is parsed before any is written, and each write is atomic.
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import struct
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from pipeline.config import Config
from pipeline.errors import PipelineError
from pipeline.fsutil import write_bytes_atomic
from pipeline.langs import Lang
from pipeline.models import Location
from pipeline.pofile import FUZZY, Catalog, Entry, read_po, write_po

# GNU msgmerge's FUZZY_THRESHOLD: below this similarity no translation is offered.
FUZZY_THRESHOLD = 0.6
FORMAT_FLAG_SUFFIX = "-format"


@dataclass(frozen=True, slots=True)
class Stats:
    language: str
    path: str
    translated: int
    fuzzy: int
    untranslated: int
    obsolete: int

    @property
    def total(self) -> int:
        return self.translated + self.fuzzy + self.untranslated

    @property
    def percent(self) -> float:
        return 100.0 * self.translated / self.total if self.total else 100.0

    def to_dict(self) -> dict[str, object]:
        return {"language": self.language, "path": self.path, "translated": self.translated,
                "fuzzy": self.fuzzy, "untranslated": self.untranslated,
                "obsolete": self.obsolete, "total": self.total,
                "percent": round(self.percent, 1)}


@dataclass(frozen=True, slots=True)
class UpdateResult:
    language: str
    path: str
    written: bool
    created: bool
    new_fuzzy: int
    new_untranslated: int
    newly_obsolete: int


def now_stamp() -> str:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    moment = (dt.datetime.fromtimestamp(int(epoch), dt.UTC) if epoch and epoch.isdigit()
              else dt.datetime.now(dt.UTC))
    return moment.strftime("%Y-%m-%d %H:%M+0000")


def load_pot(config: Config) -> Catalog:
    if not config.pot_path.is_file():
        raise PipelineError("no template catalog yet", Location(config.rel(config.pot_path)),
                            "run 'pipeline extract' first")
    return read_po(config.pot_path, config.rel(config.pot_path))


def load_catalog(config: Config, lang: Lang) -> Catalog:
    path = config.po_path(lang)
    return read_po(path, config.rel(path))


def new_catalog(config: Config, lang: Lang, pot: Catalog) -> Catalog:
    """A fresh catalog for ``lang`` with the right Language and Plural-Forms headers."""
    stamp = now_stamp()
    header = (
        ("Project-Id-Version", config.site_title),
        ("Report-Msgid-Bugs-To", ""),
        ("POT-Creation-Date", pot.header_value("POT-Creation-Date") or stamp),
        ("PO-Revision-Date", stamp),
        ("Last-Translator", ""),
        ("Language-Team", ""),
        ("Language", lang.code),
        ("MIME-Version", "1.0"),
        ("Content-Type", "text/plain; charset=UTF-8"),
        ("Content-Transfer-Encoding", "8bit"),
        ("Plural-Forms", lang.plural_forms),
    )
    empty = Catalog(
        header_comments=(f"{lang.english_name} translations for {config.site_title}.",),
        header=header,
        path=config.rel(config.po_path(lang)),
    )
    return merge(empty, pot, lang.nplurals)


def init_catalog(config: Config, lang: Lang) -> Path:
    path = config.po_path(lang)
    if path.exists():
        raise PipelineError(
            "catalog already exists; init never overwrites a catalog",
            Location(config.rel(path)),
            "use 'pipeline update' to bring it up to date with the template",
        )
    write_po(new_catalog(config, lang, load_pot(config)), path, config.rel(path))
    return path


def _similarity(a: str, b: str) -> float:
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    if matcher.real_quick_ratio() < FUZZY_THRESHOLD or matcher.quick_ratio() < FUZZY_THRESHOLD:
        return 0.0
    return matcher.ratio()


def best_match(msgid: str, candidates: Iterable[Entry]) -> tuple[Entry | None, float]:
    """The old entry whose msgid is most like ``msgid`` (≥ msgmerge's threshold)."""
    best: Entry | None = None
    score = 0.0
    for candidate in candidates:
        longer = max(len(msgid), len(candidate.msgid))
        if not longer or 2 * min(len(msgid), len(candidate.msgid)) / (
            len(msgid) + len(candidate.msgid)
        ) < FUZZY_THRESHOLD:
            continue
        ratio = _similarity(msgid, candidate.msgid)
        if ratio >= FUZZY_THRESHOLD and ratio > score:
            best, score = candidate, ratio
    return best, score


def _is_format(flag: str) -> bool:
    return flag.endswith(FORMAT_FLAG_SUFFIX)


def _merge_flags(pot_flags: tuple[str, ...], old: Entry, fuzzy: bool) -> tuple[str, ...]:
    flags = [FUZZY] if fuzzy else []
    flags += [f for f in pot_flags if f != FUZZY]
    flags += [f for f in old.flags if f != FUZZY and not _is_format(f) and f not in flags]
    return tuple(flags)


def _fit_plurals(forms: tuple[str, ...], nplurals: int) -> tuple[str, ...]:
    return tuple(forms[:nplurals]) + ("",) * max(0, nplurals - len(forms))


def merge(po: Catalog, pot: Catalog, nplurals: int | None = None) -> Catalog:
    """Merge ``pot`` into ``po`` the way ``msgmerge --previous`` does."""
    forms = po.nplurals or nplurals or 2
    old_by_key = {e.key: e for e in po.active}
    obsolete_by_key = {e.key: e for e in po.obsolete}
    pool = [e for e in (*po.active, *po.obsolete) if e.has_translation and e.msgid]
    used: set[tuple[str | None, str]] = set()
    entries: list[Entry] = []
    for ref in pot.active:
        old = old_by_key.get(ref.key) or obsolete_by_key.get(ref.key)
        if old is not None:
            used.add(old.key)
            entries.append(replace(
                ref,
                msgstr=old.msgstr,
                msgstr_plural=_fit_plurals(old.msgstr_plural, forms) if ref.msgid_plural is not None
                else (),
                translator_comments=old.translator_comments,
                flags=_merge_flags(ref.flags, old, old.fuzzy),
                previous_msgctxt=old.previous_msgctxt if old.fuzzy else None,
                previous_msgid=old.previous_msgid if old.fuzzy else None,
                previous_msgid_plural=old.previous_msgid_plural if old.fuzzy else None,
                obsolete=False,
                line=0,
            ))
            continue
        match, _score = best_match(ref.msgid, pool)
        if match is not None:
            plural = ref.msgid_plural is not None
            msgstr_plural = match.msgstr_plural or ((match.msgstr,) if plural else ())
            entries.append(replace(
                ref,
                msgstr="" if plural else (match.msgstr or
                                          (match.msgstr_plural[0] if match.msgstr_plural else "")),
                msgstr_plural=_fit_plurals(msgstr_plural, forms) if plural else (),
                translator_comments=match.translator_comments,
                flags=_merge_flags(ref.flags, match, True),
                previous_msgctxt=match.msgctxt,
                previous_msgid=match.msgid,
                previous_msgid_plural=match.msgid_plural,
                line=0,
            ))
            continue
        entries.append(replace(
            ref,
            msgstr_plural=_fit_plurals((), forms) if ref.msgid_plural is not None else (),
            flags=tuple(f for f in ref.flags if f != FUZZY),
            line=0,
        ))
    # Removed entries with a translation become obsolete, after the active ones.
    for old in po.active:
        if old.key not in used and old.has_translation:
            entries.append(replace(old, obsolete=True, locations=(), auto_comments=(), line=0))
    for old in po.obsolete:
        if old.key not in used:
            entries.append(replace(old, line=0))
    merged = replace(po, entries=tuple(entries), header_line=0)
    created = pot.header_value("POT-Creation-Date")
    if created:
        merged = merged.with_header("POT-Creation-Date", created)
    return merged


def update_catalogs(config: Config, languages: tuple[Lang, ...] | None = None
                    ) -> list[UpdateResult]:
    """Merge the POT into each language's catalog; parse all before writing any."""
    pot = load_pot(config)
    todo: list[tuple[Lang, Catalog | None]] = []
    for lang in languages or config.languages:
        path = config.po_path(lang)
        todo.append((lang, load_catalog(config, lang) if path.exists() else None))
    results = []
    for lang, po in todo:
        path = config.po_path(lang)
        display = config.rel(path)
        if po is None:
            merged = new_catalog(config, lang, pot)
        else:
            merged = merge(po, pot, lang.nplurals)
        before = {e.key: e for e in (po.entries if po else ())}
        written = write_po(merged, path, display)
        results.append(UpdateResult(
            language=lang.code,
            path=display,
            written=written,
            created=po is None,
            new_fuzzy=sum(1 for e in merged.active if e.fuzzy and not
                          (e.key in before and before[e.key].fuzzy)),
            new_untranslated=sum(1 for e in merged.active if not e.has_translation
                                 and e.key not in before),
            newly_obsolete=sum(1 for e in merged.obsolete if e.key in before
                               and not before[e.key].obsolete),
        ))
    return results


def catalog_stats(catalog: Catalog, language: str, path: str) -> Stats:
    active = catalog.active
    translated = sum(1 for e in active if e.translated)
    fuzzy = sum(1 for e in active if e.fuzzy and e.has_translation)
    return Stats(language, path, translated, fuzzy, len(active) - translated - fuzzy,
                 len(catalog.obsolete))


def status(config: Config, languages: tuple[Lang, ...] | None = None) -> list[Stats]:
    out = []
    for lang in languages or config.languages:
        path = config.po_path(lang)
        display = config.rel(path)
        if not path.exists():
            raise PipelineError("no catalog for this language", Location(display),
                                f"run 'pipeline init {lang.code}' or 'pipeline update'")
        out.append(catalog_stats(read_po(path, display), lang.code, display))
    return out


# --- .mo ---------------------------------------------------------------------------


def mo_bytes(catalog: Catalog) -> bytes:
    """GNU .mo bytes; fuzzy and untranslated entries are left out, as msgfmt does."""
    pairs: list[tuple[bytes, bytes]] = []
    header = "".join(f"{k}: {v}\n" for k, v in catalog.header)
    pairs.append((b"", header.encode("utf-8")))
    for entry in catalog.active:
        if not entry.translated:
            continue
        msgid = entry.msgid
        if entry.msgctxt is not None:
            msgid = f"{entry.msgctxt}\x04{msgid}"
        if entry.msgid_plural is not None:
            key = f"{msgid}\x00{entry.msgid_plural}"
            value = "\x00".join(entry.msgstr_plural)
        else:
            key, value = msgid, entry.msgstr
        pairs.append((key.encode("utf-8"), value.encode("utf-8")))
    pairs.sort()
    count = len(pairs)
    key_start = 7 * 4 + 16 * count
    keys = b"".join(k + b"\x00" for k, _ in pairs)
    values = b"".join(v + b"\x00" for _, v in pairs)
    key_table: list[int] = []
    offset = key_start
    for key, _ in pairs:
        key_table += [len(key), offset]
        offset += len(key) + 1
    value_table: list[int] = []
    offset = key_start + len(keys)
    for _, value in pairs:
        value_table += [len(value), offset]
        offset += len(value) + 1
    head = struct.pack("<7I", 0x950412DE, 0, count, 7 * 4, 7 * 4 + 8 * count, 0, key_start)
    return (head + struct.pack(f"<{2 * count}I", *key_table)
            + struct.pack(f"<{2 * count}I", *value_table) + keys + values)


def compile_catalogs(config: Config, languages: tuple[Lang, ...] | None = None
                     ) -> list[tuple[str, bool]]:
    loaded = [(lang, load_catalog(config, lang)) for lang in languages or config.languages]
    out = []
    for lang, catalog in loaded:
        path = config.po_path(lang).with_suffix(".mo")
        out.append((config.rel(path), write_bytes_atomic(path, mo_bytes(catalog),
                                                          config.rel(path))))
    return out
