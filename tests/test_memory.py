"""Freed memory goes back to the system between stages (pipeline.infra.memory)."""

from __future__ import annotations

import subprocess
import sys

# A renderer's worth of mid-sized objects (on the C heap, not in Python's arenas), each
# followed by a small one that stays: the heap cannot shrink from its top, and free()
# alone gives nothing back.
SCRIPT = """
import re
from pipeline.infra.memory import release_free_memory

def rss_mb():
    status = open("/proc/self/status").read()
    return int(re.search(r"VmRSS:\\s+([0-9]+)", status).group(1)) // 1024

pages = [(bytes([n % 256]) * 40_000, bytes(600)) for n in range(4_000)]  # 160 MB
pages = [kept for _, kept in pages]
before = rss_mb()
release_free_memory()
print(before, rss_mb())
"""


def test_freed_heap_memory_is_given_back() -> None:
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                         check=True).stdout
    before, after = map(int, out.split())
    assert before > after + 100, (before, after)  # free() alone kept the 160 MB
