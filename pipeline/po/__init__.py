"""The gettext layer: PO/POT text ↔ ``Catalog``, and ``.mo`` files.

``model`` (``Entry``, ``Catalog``), ``reader`` (our strict ``read_po``: errors at
``path:line``), ``writer`` (``write_po``, byte for byte GNU ``msgcat``'s layout, with
``linebreak``, libunistring's line breaking), ``mo`` (``.mo`` files, written by polib),
``blocks`` (a file the writer laid out, read again block by block after a small change).
"""
