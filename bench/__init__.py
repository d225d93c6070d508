"""Benchmarks: a generated corpus → timings of our stages and of peer tools, side by side.

``python -m bench.run`` (``make bench``) generates the corpus (``bench.corpus``),
times our stages and the peers (``bench.peers``) on it, prints a table and writes
``bench/results/<date>.json``. Work directories go under ``bench/work/`` (ignored).
"""
