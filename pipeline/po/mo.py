"""Compile a ``Catalog`` to a ``.mo`` file, with polib.

The bytes differ from ``msgfmt``'s (the hash table and the order differ even between
GNU and polib), the messages do not: the tests read both back with ``msgunfmt`` and
Python's ``gettext``.
"""

from __future__ import annotations

import polib

from pipeline.po.model import Catalog


class _MsgfmtHeader(polib.POFile):  # type: ignore[misc]  # polib has no type hints
    """polib's ``.mo`` writer with the header ``msgfmt`` writes: the catalog's fields in
    their order, without POT-Creation-Date (polib sorts the fields its own way and keeps
    that one, so a new template alone would change every ``.mo``)."""

    def __init__(self, header: str) -> None:
        super().__init__(encoding="utf-8")
        self.mo_header = header

    def metadata_as_entry(self) -> polib.POEntry:
        return polib.POEntry(msgid="", msgstr=self.mo_header)


def mo_bytes(catalog: Catalog) -> bytes:
    """The ``.mo`` file of a catalog, written by polib: the messages msgfmt would put in
    it (fuzzy and untranslated entries left out); a plural entry only when every form is
    translated (msgfmt looks at the first form alone)."""
    mo = _MsgfmtHeader("".join(f"{k}: {v}\n" for k, v in catalog.header
                               if k.lower() != "pot-creation-date"))
    for entry in catalog.active:
        context, msgid = entry.msgctxt, entry.msgid
        if context == "":
            # polib leaves an empty msgctxt out; gettext keys it as "" + U+0004 + msgid.
            context, msgid = None, "\x04" + msgid
        message = polib.POEntry(msgctxt=context, msgid=msgid, flags=list(entry.flags))
        if entry.msgid_plural is not None:
            message.msgid_plural = entry.msgid_plural
            message.msgstr_plural = dict(enumerate(entry.msgstr_plural))
        else:
            message.msgstr = entry.msgstr
        mo.append(message)  # polib's to_binary keeps the translated ones
    return bytes(mo.to_binary())
