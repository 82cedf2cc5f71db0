"""Baselines: the findings a repository already has, recorded so that only new ones are reported.

An entry is a fingerprint of the file's path, the rule, where the element is in the document (its
JSON Pointer or YAML path, without list positions) and the element's own text, not of line
numbers: inserting a line, or a statement, above a finding does not make it new.  Entries are
counted, so a second finding alike to a recorded one is still new.
"""
from __future__ import annotations

import json
import os
import re
from collections import Counter
from kms_hooks.records import dataclass

from kms_hooks.config import UsageError
from kms_hooks.engine import Outcome
from kms_hooks.locate.jsonpos import LineMap
from kms_hooks.model import Finding

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

FORMAT_VERSION = 1


class BaselineError(UsageError):
    """A baseline file that cannot be used."""


def element_text(finding: Finding, text: str | None) -> str:
    """The element's text as written (over several lines for a statement), with runs of white
    space made one space; empty for an unreadable file."""
    if text is None:
        return ""
    span = finding.where.span()
    lines = _line_map(text)
    if not 0 < span.line <= span.end_line <= lines.count:
        return ""
    start = lines.clamped_offset(span.line, span.column, text)
    end = lines.clamped_offset(span.end_line, span.end_column, text)
    return " ".join(text[start:end].split())


_line_maps: dict[int, tuple[str, LineMap]] = {}


def _line_map(text: str) -> LineMap:
    """The line starts of a text, made once for all its findings (findings come sorted by
    file: only the last file's are kept)."""
    cached = _line_maps.get(id(text))
    if cached is None or cached[0] is not text:
        _line_maps.clear()
        cached = _line_maps[id(text)] = (text, LineMap(text))
    return cached[1]


# List positions in a pointer: "/Statement/3/Resource", "statement[3].resources".
_POSITION = re.compile(r"/\d+(?=/|$)|\[\d+\]")


def stable_pointer(pointer: str) -> str:
    """The pointer without list positions, which shift when a statement is inserted above."""
    return _POSITION.sub(lambda m: "[]" if m.group().startswith("[") else "/-", pointer)


def fingerprint(finding: Finding, text: str | None, path: str) -> str:
    import hashlib

    parts = (path, finding.rule, stable_pointer(finding.where.pointer()),
             element_text(finding, text))
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
    from kms_hooks.files import Unreadable, write_text

    try:
        # Through a new file renamed over the old one: never through a committed symbolic
        # link, and never half written when runs overlap.
        write_text(baseline_path, json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    except Unreadable as error:
        raise BaselineError(f"{baseline_path}: cannot write the baseline: "
                            f"{error.detail}") from None
    return len(entries)


@dataclass(frozen=True)
class Entry:
    path: str
    fingerprint: str


def read(baseline_path: str) -> list[Entry]:
    from kms_hooks.files import Unreadable, read_regular

    if not os.path.lexists(baseline_path):
        raise BaselineError(f"{baseline_path}: no such baseline; record one with "
                            "--write-baseline")
    try:
        document: Any = json.loads(read_regular(baseline_path).decode("utf-8"))
    except Unreadable as error:
        raise BaselineError(f"{baseline_path}: cannot read the baseline: "
                            f"{error.detail}") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise BaselineError(f"{baseline_path}: not a kms-hooks baseline (invalid JSON: "
                            f"{error})") from None
    except RecursionError:
        raise BaselineError(f"{baseline_path}: not a kms-hooks baseline (nested too "
                            "deeply to read)") from None
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
