"""Baselines: the findings a repository already has, recorded so that only new ones are reported.

An entry is a fingerprint of the file's path, the rule, where the element is in the document (its
JSON Pointer or YAML path) and the element's own text, not of line numbers: inserting a line
above a finding does not make it new.
"""
from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass
from typing import Any

from kms_hooks.config import UsageError
from kms_hooks.engine import Outcome
from kms_hooks.model import Finding

FORMAT_VERSION = 1


class BaselineError(UsageError):
    """A baseline file that cannot be used."""


def element_text(finding: Finding, text: str | None) -> str:
    """The element's text as written, with runs of white space made one space; empty for an
    element over several lines (a statement: its pointer names it) or an unreadable file."""
    if text is None:
        return ""
    span = finding.where.span()
    if span.line != span.end_line:
        return ""
    lines = text.split("\n")
    if not 0 < span.line <= len(lines):
        return ""
    return " ".join(lines[span.line - 1][span.column - 1 : span.end_column - 1].split())


def fingerprint(finding: Finding, text: str | None, path: str) -> str:
    import hashlib

    parts = (path, finding.rule, finding.where.pointer(), element_text(finding, text))
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:32]


def relative(path: str, directory: str) -> str:
    return os.path.relpath(os.path.abspath(path), directory).replace(os.sep, "/")


def _directory(baseline_path: str) -> str:
    return os.path.dirname(os.path.abspath(baseline_path))


def write(baseline_path: str, outcome: Outcome) -> int:
    """Record every finding of `outcome`; the number of entries written."""
    directory = _directory(baseline_path)
    entries = []
    for finding in outcome.findings:
        path = relative(finding.where.doc.path, directory)
        entries.append({
            "path": path,
            "rule": finding.rule,
            "pointer": finding.where.pointer(),
            "fingerprint": fingerprint(finding, outcome.texts.get(finding.where.doc.path), path),
            "message": finding.message,
        })
    entries.sort(key=lambda e: (e["path"], e["rule"], e["pointer"], e["fingerprint"]))
    document = {"tool": "kms-hooks", "version": FORMAT_VERSION, "findings": entries}
    try:
        with open(baseline_path, "w", encoding="utf-8") as handle:
            json.dump(document, handle, indent=2, ensure_ascii=False)
            handle.write("\n")
    except OSError as error:
        raise BaselineError(f"{baseline_path}: cannot write the baseline: "
                            f"{error.strerror or error}") from None
    return len(entries)


@dataclass(frozen=True)
class Entry:
    path: str
    fingerprint: str


def read(baseline_path: str) -> list[Entry]:
    try:
        with open(baseline_path, encoding="utf-8") as handle:
            document: Any = json.load(handle)
    except FileNotFoundError:
        raise BaselineError(f"{baseline_path}: no such baseline; record one with "
                            "--write-baseline") from None
    except OSError as error:
        raise BaselineError(f"{baseline_path}: cannot read the baseline: "
                            f"{error.strerror or error}") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise BaselineError(f"{baseline_path}: not a kms-hooks baseline (invalid JSON: "
                            f"{error})") from None
    findings = document.get("findings") if isinstance(document, dict) else None
    if (not isinstance(document, dict) or document.get("tool") != "kms-hooks"
            or not isinstance(findings, list)):
        raise BaselineError(f"{baseline_path}: not a kms-hooks baseline (write one with "
                            "--write-baseline)")
    if document.get("version") != FORMAT_VERSION:
        raise BaselineError(f"{baseline_path}: baseline format version "
                            f"{document.get('version')!r} is not {FORMAT_VERSION}; "
                            "record it again with --write-baseline")
    entries = []
    for item in findings:
        if not (isinstance(item, dict) and isinstance(item.get("path"), str)
                and isinstance(item.get("fingerprint"), str)):
            raise BaselineError(f"{baseline_path}: an entry lacks a path or a fingerprint")
        entries.append(Entry(item["path"], item["fingerprint"]))
    return entries


def apply(baseline_path: str, outcome: Outcome) -> None:
    """Drop the findings the baseline records; count them, and the entries that no longer
    match anything in the files this run checked (or in files that are gone)."""
    directory = _directory(baseline_path)
    entries = read(baseline_path)
    remaining = Counter(entry.fingerprint for entry in entries)
    kept: list[Finding] = []
    for finding in outcome.findings:
        path = relative(finding.where.doc.path, directory)
        found = fingerprint(finding, outcome.texts.get(finding.where.doc.path), path)
        if remaining[found] > 0:
            remaining[found] -= 1
            outcome.hidden_by_baseline += 1
        else:
            kept.append(finding)
    outcome.findings = kept
    checked = {relative(path, directory) for path in outcome.paths}
    for entry in entries:
        if remaining[entry.fingerprint] <= 0:
            continue
        gone = not os.path.exists(os.path.join(directory, entry.path))
        if entry.path in checked or gone:
            remaining[entry.fingerprint] -= 1
            outcome.stale_baseline += 1
