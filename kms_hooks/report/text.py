"""`path:line:col: RULE severity: message`, one line per finding."""
from __future__ import annotations

from kms_hooks.engine import Outcome
from kms_hooks.escape import printable

# ANSI colours, as ruff and cfn-lint use them: the path bold, the rule and severity by severity.
_BOLD, _RESET = "\x1b[1m", "\x1b[0m"
_SEVERITY = {"error": "\x1b[31m", "warning": "\x1b[33m", "note": "\x1b[36m"}


def render(outcome: Outcome, colour: bool = False) -> str:
    lines = []
    for finding in outcome.findings:
        span = finding.where.span()
        # Escaped before colouring: the colours are the only escape sequences printed.
        path, rule = printable(finding.where.doc.path), f"{finding.rule} {finding.severity}"
        if colour:
            path = f"{_BOLD}{path}{_RESET}"
            rule = f"{_BOLD}{_SEVERITY.get(finding.severity, '')}{rule}{_RESET}"
        lines.append(f"{path}:{span.line}:{span.column}: {rule}: {printable(finding.message)}")
    return "".join(line + "\n" for line in lines)
