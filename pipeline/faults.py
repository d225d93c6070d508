"""Fault points for tests: ``PIPELINE_FAULT=<name>`` kills the process at that point.

Only the reliability tests set the variable; it simulates a ``kill -9`` between two
steps of a write so that they can prove a reader never sees a half-done result.
"""

from __future__ import annotations

import os

ENV = "PIPELINE_FAULT"


def fault_point(name: str) -> None:
    if os.environ.get(ENV) == name:
        os._exit(137)  # as if killed: no cleanup, no finally blocks
