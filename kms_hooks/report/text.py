"""`path:line:col: RULE severity: message`, one line per finding."""
from __future__ import annotations

from kms_hooks.engine import Outcome


def render(outcome: Outcome) -> str:
    lines = []
    for finding in outcome.findings:
        span = finding.where.span()
        lines.append(f"{finding.where.doc.path}:{span.line}:{span.column}: "
                     f"{finding.rule} {finding.severity}: {finding.message}")
    return "".join(line + "\n" for line in lines)
