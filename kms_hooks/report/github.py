"""GitHub Actions workflow commands: each finding becomes an annotation on the changed file."""
from __future__ import annotations

from kms_hooks.engine import Outcome
from kms_hooks.escape import printable
from kms_hooks.model import ERROR, WARNING
from kms_hooks.report.paths import from_root, repository_root

_COMMAND = {ERROR: "error", WARNING: "warning"}  # anything else is a notice


def _data(text: str) -> str:
    # Line breaks in GitHub's own escapes; every other control character, and what no stream
    # can encode, escaped visibly.
    return printable(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def render(outcome: Outcome) -> str:
    """One command per finding.  GitHub places annotations by paths from the repository's root,
    whatever directory the check ran in."""
    from kms_hooks.rules import get

    root = repository_root() if outcome.findings else ""
    lines = []
    for finding in outcome.findings:
        span = finding.where.span()
        rule = get(finding.rule)
        path = from_root(finding.where.doc.path, root) or finding.where.doc.path
        # The documented form: file, line, col and the rule id as title; the rule's name leads
        # the message, which GitHub shows under the title.
        properties = ",".join([
            f"file={_property(path)}",
            f"line={span.line}",
            f"col={span.column}",
            f"title={_property(finding.rule)}",
        ])
        message = f"{rule.name}: {finding.message}" if rule else finding.message
        command = _COMMAND.get(finding.severity, "notice")
        lines.append(f"::{command} {properties}::{_data(message)}")
    return "".join(line + "\n" for line in lines)
