"""SARIF 2.1.0, for code scanning: one run, the rules with their help, one result per finding."""
from __future__ import annotations

import json
import os
import textwrap
from urllib.parse import quote

from kms_hooks.engine import Outcome
from kms_hooks.escape import printable
from kms_hooks.model import Finding, Span
from kms_hooks.report.paths import from_root, repository_root

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

SCHEMA = ("https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/"
          "sarif-schema-2.1.0.json")
FINGERPRINT_KEY = "kmsHooks/v1"
ROOT_ID = "%SRCROOT%"


def _text(doc: str) -> str:
    return " ".join(textwrap.dedent(doc).split())


# GitHub ranks security alerts by this number: 7.0-8.9 is high, 4.0-6.9 medium, 0.1-3.9 low.
SECURITY_SEVERITY = {"error": "8.0", "warning": "5.0", "note": "2.0"}


def _kind_tags(kinds: frozenset[str]) -> list[str]:
    """The kinds of policy a rule reads, as tags code scanning can filter on: `key-policy`,
    `grant`.  `key-or-endpoint` (a raw document that may be either) adds nothing to the two."""
    return [kind if kind == "grant" else f"{kind}-policy"
            for kind in sorted(kinds) if kind != "key-or-endpoint"]


def _rules() -> tuple[list[dict[str, Any]], dict[str, int]]:
    from kms_hooks import __url__
    from kms_hooks.rules import all_rules
    from kms_hooks.rules.docs import explain
    from kms_hooks.rules.guidance import page

    described = []
    index = {}
    for position, rule in enumerate(all_rules()):
        index[rule.id] = position
        described.append({
            "id": rule.id,
            "name": rule.name,
            "shortDescription": {"text": rule.summary},
            "fullDescription": {"text": _text(rule.doc.finds)},
            "help": {"text": explain(rule)},
            "helpUri": page(rule) or __url__,
            "defaultConfiguration": {"level": rule.severity},
            "properties": {
                "security-severity": SECURITY_SEVERITY[rule.severity],
                "tags": ["security", "aws-kms", *_kind_tags(rule.kinds)],
            },
        })
    return described, index


def _artifact(path: str, root: str) -> dict[str, str]:
    relative = from_root(path, root)
    # Quoted as bytes: a file name that is not UTF-8 is written as the bytes it is.
    if relative is None:
        return {"uri": "file://" + quote(os.fsencode(os.path.abspath(path)))}
    return {"uri": quote(os.fsencode(relative)), "uriBaseId": ROOT_ID}


def _result(finding: Finding, outcome: Outcome, root: str, index: dict[str, int]) -> Any:
    from kms_hooks.baseline import fingerprint

    span = finding.where.span()
    path = finding.where.doc.path
    artifact = _artifact(path, root)
    location: dict[str, Any] = {
        "physicalLocation": {
            "artifactLocation": artifact,
            "region": _region(span),
        },
    }
    pointer = finding.where.pointer()
    if pointer:
        location["logicalLocations"] = [{"fullyQualifiedName": printable(pointer),
                                         "kind": "element"}]
    result: dict[str, Any] = {
        "ruleId": finding.rule,
        "level": finding.severity,
        "message": {"text": printable(finding.message)},
        "locations": [location],
        "partialFingerprints": {
            FINGERPRINT_KEY: fingerprint(finding, outcome.texts.get(path), artifact["uri"]),
        },
    }
    if finding.rule in index:
        result["ruleIndex"] = index[finding.rule]
    fixes = _fixes(finding, artifact)
    if fixes:
        result["fixes"] = fixes
    return result


def _results(outcome: Outcome, root: str, index: dict[str, int]) -> list[Any]:
    """The findings, and the findings suppressed in the files with their suppressions (code
    scanning shows them as dismissed, with the reason)."""
    results = [(f.sort_key(), _result(f, outcome, root, index)) for f in outcome.findings]
    for silenced in outcome.suppressed:
        result = _result(silenced.finding, outcome, root, index)
        by = silenced.by
        suppression: dict[str, Any] = {
            "kind": "inSource",
            "location": {"physicalLocation": {
                "artifactLocation": _artifact(by.path, root),
                "region": {"startLine": by.at.line, "startColumn": by.at.column,
                           "endLine": by.at.end_line, "endColumn": by.at.end_column},
            }},
        }
        if by.reason:
            suppression["justification"] = by.reason
        result["suppressions"] = [suppression]
        results.append((silenced.finding.sort_key(), result))
    results.sort(key=lambda pair: pair[0])
    return [result for _, result in results]


def _region(span: Span) -> dict[str, int]:
    return {"startLine": span.line, "startColumn": span.column,
            "endLine": span.end_line, "endColumn": span.end_column}


def _fixes(finding: Finding, artifact: dict[str, str]) -> list[dict[str, Any]]:
    """The finding's fix, as SARIF's artifact changes (an unsafe one says so)."""
    from kms_hooks.fixes import replacements

    found = replacements(finding)
    if not found or finding.fix is None:
        return []
    removal = all(not edit.new for edit in finding.fix.edits)
    description = finding.fix.title if removal else f"use {finding.fix.title}"
    if not finding.fix.safe:
        description += " (unsafe: applied with --unsafe-fixes)"
    return [{
        "description": {"text": description},
        "artifactChanges": [{
            "artifactLocation": artifact,
            "replacements": [{"deletedRegion": _region(span), "insertedContent": {"text": text}}
                             for span, text in found],
        }],
    }]


def render(outcome: Outcome) -> str:
    from kms_hooks import __url__, __version__

    rules, index = _rules()
    root = repository_root()
    invocation: dict[str, Any] = {"executionSuccessful": not outcome.errors}
    if outcome.errors:
        invocation["toolExecutionNotifications"] = [
            {"level": "error", "message": {"text": printable(error)}}
            for error in outcome.errors]
    log = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "kms-hooks",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": __url__,
                "rules": rules,
            }},
            "originalUriBaseIds": {ROOT_ID: {"uri": "file://" + quote(os.fsencode(root)) + "/"}},
            "columnKind": "unicodeCodePoints",
            "invocations": [invocation],
            "results": _results(outcome, root, index),
        }],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"
