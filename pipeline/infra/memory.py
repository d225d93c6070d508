"""Giving freed memory back to the system between a build's stages.

Python keeps small objects in its own arenas and asks the C library for everything
larger (a rendered page's HTML, a report's text). When the renderer drops a 5,000-page
site's HTML (200 MB), glibc keeps the freed space in its heap for later ``malloc``
calls, but the stages after it build small objects, which go to new arenas: the
process kept both. ``release_free_memory`` hands the free heap pages back
(``malloc_trim``), so the next stage grows from what is really in use.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Callable


def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None where the C library has none (musl, macOS)."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        trim: Callable[[int], int] = libc.malloc_trim
    except (OSError, AttributeError, TypeError):
        return None
    return trim


_TRIM = _malloc_trim()


def release_free_memory() -> None:
    """Return the C heap's free pages to the system (a few milliseconds; nothing where
    the C library cannot)."""
    if _TRIM is not None:
        _TRIM(0)
