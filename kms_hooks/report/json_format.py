"""A JSON array of findings with stable fields."""
from __future__ import annotations

import json

from kms_hooks.engine import Outcome
from kms_hooks.model import Finding

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def finding_fields(finding: Finding) -> dict[str, Any]:
    from kms_hooks.rules import get

    span = finding.where.span()
    rule = get(finding.rule)
    return {
        "path": finding.where.doc.path,
        "line": span.line,
        "column": span.column,
        "end_line": span.end_line,
        "end_column": span.end_column,
        "rule": finding.rule,
        "name": rule.name if rule else "",
        "severity": finding.severity,
        "message": finding.message,
        "policy_kind": finding.policy_kind,
        "policy": finding.subject_name,
        "pointer": finding.where.pointer(),
    }


def render(outcome: Outcome) -> str:
    return json.dumps([finding_fields(f) for f in outcome.findings], indent=2) + "\n"
