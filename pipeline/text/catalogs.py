"""A project's catalog files: the template and each language's ``.po``, read or made new.

``load_catalog`` is what every stage after ``update`` reads a language's catalog
with (through the build's workspace, which parses an unchanged file once);
``new_catalog`` is the catalog ``init`` writes and pre-fill starts from.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pipeline.config import Config
from pipeline.errors import PipelineError
from pipeline.infra.fsutil import NO_FILE, FileStamp
from pipeline.models import Location
from pipeline.po.model import Catalog, po_date
from pipeline.text.langs import Lang
from pipeline.text.msgmerge import merge

if TYPE_CHECKING:
    from pipeline.workspace import Workspace


def load_pot(config: Config, ws: Workspace) -> Catalog:
    if not config.pot_path.is_file():
        raise PipelineError("no template catalog yet", Location(config.rel(config.pot_path)),
                            "run 'pipeline extract' first")
    return ws.read_po(config.pot_path, config.rel(config.pot_path))


def load_catalog(config: Config, lang: Lang, ws: Workspace) -> Catalog:
    path = config.po_path(lang)
    if not path.exists():
        raise PipelineError("no catalog for this language", Location(config.rel(path)),
                            f"run 'pipeline init {lang.code}' (or 'pipeline update')")
    return ws.read_po(path, config.rel(path))


def read_catalog_stamped(config: Config, lang: Lang, ws: Workspace
                         ) -> tuple[Catalog | None, FileStamp]:
    """``lang``'s catalog (None when there is none yet) and its stamp, for a command that
    rewrites it: the write then refuses to replace a version saved in between."""
    path = config.po_path(lang)
    if not path.exists():
        return None, NO_FILE
    return ws.read_po_stamped(path, config.rel(path))


def new_header(config: Config, lang: Lang, pot: Catalog) -> tuple[tuple[str, str], ...]:
    """The header of a new catalog: the right Language and Plural-Forms for ``lang``."""
    stamp = po_date()
    return (
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


def new_catalog(config: Config, lang: Lang, pot: Catalog) -> Catalog:
    """A fresh catalog for ``lang``: every template message, untranslated."""
    empty = Catalog(
        header_comments=(f"{lang.english_name} translations for {config.site_title}.",),
        header=new_header(config, lang, pot),
        path=config.rel(config.po_path(lang)),
    )
    return merge(empty, pot, lang.nplurals)
