"""Blocking findings → GitHub Actions workflow commands (``::error file=…,line=…::…``).

The runner reads them from the job's log and turns each into an annotation on that
file and line, shown on the pull request's diff when the line is part of it. Escaping
follows the runner's parser (actions/toolkit ``command.ts``): in the message ``%``,
CR and LF; in a property value also ``:`` and ``,``, which separate properties.
"""

from __future__ import annotations

from collections.abc import Iterable

from pipeline.models import Finding
from pipeline.models.build import Gate
from pipeline.reporters.build_text import GATE_LABELS, shown_findings

# The runner knows error, warning and notice: the same words as our severities.
_COMMAND = {"error": "error", "warning": "warning", "notice": "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(finding: Finding, title: str, prefix: str = "") -> str:
    """One workflow command. ``prefix`` is the content root's folder inside the checkout
    (``""`` or ``"site/"``): GitHub resolves ``file`` from the repository root."""
    props = []
    if finding.location is not None:
        props.append(f"file={escape_property(prefix + finding.location.path)}")
        if finding.location.line:
            props.append(f"line={finding.location.line}")
    props.append(f"title={escape_property(title)}")
    details = finding.details
    lines = [finding.message]  # the title names the code
    if details.get("page"):  # a catalog entry shows on many pages: say which one failed
        where = f"page: {details['page']}"
        if details.get("selector"):
            where += f", element: {details['selector']}"
        lines.append(where)
    if finding.hint:
        lines.append(f"hint: {finding.hint}")
    return f"::{_COMMAND[finding.severity]} {','.join(props)}::{escape_data(chr(10).join(lines))}"


def gate_annotations(gates: Iterable[Gate], prefix: str = "") -> str:
    """The findings the build summary prints (the first of each blocking gate), one
    command each; GitHub shows at most 10 errors per step anyway."""
    return "\n".join(
        annotation(finding, f"{finding.code} ({GATE_LABELS.get(gate.name, gate.name)})", prefix)
        for gate in gates for finding in shown_findings(gate))
