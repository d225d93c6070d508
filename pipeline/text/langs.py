"""Language codes: gettext names for catalogs, BCP 47 tags for HTML, Babel for the data.

Pseudo-locales ``en_XA`` (accented, longer) and ``ar_XB`` (mirrored, RTL) are ours;
each borrows a base locale's Babel data (plural rules, direction, dates).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from babel import Locale, UnknownLocaleError
from babel.localedata import locale_identifiers
from babel.messages.plurals import get_plural

from pipeline.errors import PipelineError
from pipeline.models import Location

PSEUDO_BASES = {"en_XA": "en", "ar_XB": "ar"}
_CODE_RE = re.compile(r"^[A-Za-z]{2,3}([_-][A-Za-z0-9]{2,8})*$")


@dataclass(frozen=True, slots=True)
class Lang:
    """One language as the pipeline uses it."""

    code: str  # gettext name: zh_Hans, pt_BR, en_XA
    base: str  # Babel locale whose data we use (== code except for pseudo-locales)

    @property
    def tag(self) -> str:
        """BCP 47 tag for HTML ``lang``, URLs and hreflang."""
        return self.code.replace("_", "-")

    @property
    def locale(self) -> Locale:
        return _locale(self.base)

    @property
    def direction(self) -> str:
        return _direction(self.base)

    @property
    def is_pseudo(self) -> bool:
        return self.code in PSEUDO_BASES

    @property
    def plural_forms(self) -> str:
        """The ``Plural-Forms`` header value gettext expects for this language."""
        return _plural_forms_header(self.base)

    @property
    def nplurals(self) -> int:
        return int(re.search(r"nplurals=(\d+)", self.plural_forms).group(1))  # type: ignore[union-attr]

    @property
    def own_name(self) -> str:
        """The language's name in itself, capitalised where the script has case."""
        if self.is_pseudo:
            # Upside-down letters on purpose: the pseudo-locale's own name.
            return {"en_XA": "[Ƥšéûðö Éñĝļîšĥ]", "ar_XB": "[ɔıqɐɹ∀ opnǝsԀ]"}[self.code]  # noqa: RUF001
        name = _display_name(self.base, None) or self.code
        return name[:1].upper() + name[1:]

    @property
    def english_name(self) -> str:
        return _display_name(self.base, "en") or self.code


# Reports ask for a language's names and direction once per page and sentence: Babel
# parses the locale identifier and reads its data on every call.
@cache
def _locale(base: str) -> Locale:
    return Locale.parse(base)


@cache
def _direction(base: str) -> str:
    return "rtl" if _locale(base).character_order == "right-to-left" else "ltr"


@cache
def _display_name(base: str, language: str | None) -> str | None:
    locale = _locale(base)
    return locale.display_name if language is None else locale.get_display_name(language)


# Babel's gettext table maps Arabic 11-99 to form 5; GNU gettext and CLDR say form 4.
_PLURAL_OVERRIDES = {
    "ar": "nplurals=6; plural=(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : "
    "n%100>=3 && n%100<=10 ? 3 : n%100>=11 ? 4 : 5);",
}


@cache
def _plural_forms_header(base: str) -> str:
    language = base.split("_")[0]
    if language in _PLURAL_OVERRIDES:
        return _PLURAL_OVERRIDES[language]
    plural = get_plural(base)
    return f"nplurals={plural.num_plurals}; plural={plural.plural_expr};"


@cache
def _known() -> tuple[str, ...]:
    return tuple(sorted(locale_identifiers()))


def parse_lang(code: str, where: Location | None = None, likely: Sequence[Lang] = ()
               ) -> Lang:
    """Normalize ``code`` (either form, any case) or raise with a suggestion: one of
    ``likely`` (the configured languages) when one is close, else one of Babel's."""
    raw = code.strip()
    for pseudo, base in PSEUDO_BASES.items():
        if raw.replace("-", "_").lower() == pseudo.lower():
            return Lang(pseudo, base)
    if not _CODE_RE.match(raw):
        raise _unknown(raw, where, likely)
    try:
        locale = Locale.parse(raw.replace("-", "_"))
    except (UnknownLocaleError, ValueError) as exc:
        raise _unknown(raw, where, likely) from exc
    if not _subtags_known(raw):
        # Babel quietly maps a typo to a likely locale (zh_Hanz → zh_Hans, es_ZZ → es_ES).
        raise _unknown(raw, where, likely)
    name = str(locale)
    return Lang(name, name)


def _subtags_known(code: str) -> bool:
    """Every script and region subtag in ``code`` is a real CLDR one (not 'unknown')."""
    english = Locale("en")
    for part in code.replace("-", "_").split("_")[1:]:
        is_script = len(part) == 4 and part.isalpha()
        is_region = (part.isalpha() and len(part) == 2) or (part.isdigit() and len(part) == 3)
        if is_script and part.title() not in set(english.scripts) - {"Zzzz"}:
            return False
        if is_region and part.upper() not in set(english.territories) - {"ZZ"}:
            return False
    return True


def _close_to(wanted: str, likely: Sequence[Lang]) -> list[str]:
    """The codes of ``likely`` languages close to ``wanted``, by code or by name ("esp" is
    close to es and to Español, "french" to fr)."""
    forms: dict[str, str] = {}
    for lang in likely:
        names = (lang.code, lang.tag) if lang.is_pseudo else (
            lang.code, lang.tag, lang.english_name, lang.own_name)
        forms.update((name.lower(), lang.code) for name in names)
    if not forms:
        return []
    close = difflib.get_close_matches(wanted.lower(), forms, n=len(forms), cutoff=0.6)
    return list(dict.fromkeys(forms[c] for c in close))[:3]


def _unknown(code: str, where: Location | None, likely: Sequence[Lang] = ()
             ) -> PipelineError:
    wanted = code.replace("-", "_")
    language = wanted.split("_")[0].lower()
    same_language = [k for k in _known() if k.split("_")[0] == language and k != language]
    close = (_close_to(wanted, likely)
             or difflib.get_close_matches(wanted, same_language, n=3, cutoff=0.6)
             or difflib.get_close_matches(wanted, _known(), n=3, cutoff=0.6))
    if close:
        hint = f"did you mean {', '.join(close)}?"
    elif likely:
        hint = "the configured languages are " + ", ".join(lang.code for lang in likely)
    else:
        hint = "use a language code such as es, fr, ar, zh_Hans or pt_BR"
    return PipelineError(f"unknown locale code {code!r}", where, hint)
