"""Fault points for tests: ``PIPELINE_FAULT=<name>`` kills the process at that point, and
``PIPELINE_HOOK=<name>=<command line>`` runs that command there and waits for it.

Only the reliability tests set these variables. A kill simulates a ``kill -9`` between
two steps of a write, so that they can prove a reader never sees a half-done result; a
hook does what another program does at that moment (a translator's editor saving the
catalog a command has read and is about to replace), without a sleep to hit the window.
"""

from __future__ import annotations

import os
import shlex
import subprocess

ENV = "PIPELINE_FAULT"
HOOK_ENV = "PIPELINE_HOOK"


def fault_point(name: str) -> None:
    if os.environ.get(ENV) == name:
        os._exit(137)  # as if killed: no cleanup, no finally blocks
    point, _, command = os.environ.get(HOOK_ENV, "").partition("=")
    if point == name and command:
        subprocess.run(shlex.split(command), check=True)
