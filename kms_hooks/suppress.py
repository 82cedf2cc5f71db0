"""Suppressions written in the checked files themselves, applied after the checker has run.

Sources find them, each in its own format (a comment in HCL or YAML, a Terraform JSON `"//"`
property, CloudFormation `Metadata`), and describe each one the same way: the region of the file
it covers, the rule ids it names (each where it is written) and the reason.  `apply` sets aside
the findings they cover, and reports ids that name no rule and suppressions that silenced
nothing (KMS004).  Rules never see any of this.
"""
from __future__ import annotations

import heapq
import os
import re
from kms_hooks.records import dataclass, field, replace

from kms_hooks.model import NOTE, WARNING, Finding, Span, Where

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable, Iterable

    from kms_hooks.checker import Selection

# A file without this text holds no directive: the only cost a file pays.
MARK = "kms-hooks:"
RULE = "KMS004"
END_OF_LINE = 1 << 30  # a column past the end of any line

# `kms-hooks:ignore=KMS101,KMS104 reason`; another word after `kms-hooks:` with `=` is a typo.
_DIRECTIVE = re.compile(r"kms-hooks:([A-Za-z][\w-]*)(=?)[ \t]*([\w-]+(?:[ \t]*,[ \t]*[\w-]+)*)?")

Position = tuple[int, int]  # 1-based line and column


@dataclass(frozen=True)
class Suppression:
    """One directive: it silences `rules` for the findings that start in [start, end)."""

    path: str
    at: Span  # the directive itself, for reports about it
    rules: tuple[tuple[str, Span], ...]  # each id, upper-cased, where it is written
    reason: str
    start: Position
    end: Position
    form: str = "comment"  # how a listing names it: comment, Metadata, "//" property
    problem: str | None = None  # a directive that could not be read: reported, silences nothing


@dataclass(frozen=True)
class Silenced:
    finding: Finding
    by: Suppression


@dataclass
class Applied:
    findings: list[Finding] = field(default_factory=list)  # reported: kept and KMS004
    silenced: list[Silenced] = field(default_factory=list)


@dataclass(frozen=True)
class Directive:
    """A directive read from a comment's text: offsets are into that text."""

    start: int
    end: int
    rules: tuple[tuple[str, int, int], ...]  # id, start and end offsets
    reason: str
    problem: str | None = None


def read_directive(text: str) -> Directive | None:
    """The directive in a comment's (or a `"//"` value's) text, None when it holds none."""
    found = _DIRECTIVE.search(text)
    if found is None:
        return None
    word, equals, listed = found.group(1), found.group(2), found.group(3)
    reason = text[found.end():].strip()
    if word != "ignore":
        return Directive(found.start(), found.end(), (), reason,
                         f"kms-hooks:{word} is not a directive; write "
                         "kms-hooks:ignore=KMS101 followed by the reason")
    if not equals or not listed:
        return Directive(found.start(), found.end(), (), reason,
                         "kms-hooks:ignore names no rule; write kms-hooks:ignore=KMS101 "
                         "followed by the reason")
    rules = tuple((m.group().upper(), found.start(3) + m.start(), found.start(3) + m.end())
                  for m in re.finditer(r"[\w-]+", listed))
    return Directive(found.start(), found.end(), rules, reason)


def in_text(path: str, directive: Directive, locate: Callable[[int], Position],
            start: Position, end: Position, form: str = "comment") -> Suppression:
    """A Suppression from a directive read out of a text whose offsets `locate` places in the
    file (a comment, a JSON string)."""

    def span(first: int, last: int) -> Span:
        return Span(*locate(first), *locate(last))

    return Suppression(path, span(directive.start, directive.end),
                       tuple((rule, span(first, last)) for rule, first, last in directive.rules),
                       directive.reason, start, end, form, directive.problem)


def lines(first: int, last: int) -> tuple[Position, Position]:
    """The region of whole lines first..last."""
    return (first, 1), (last, END_OF_LINE)


def apply(findings: list[Finding], suppressions: Iterable[Suppression],
          selection: Selection) -> Applied:
    """Sets aside the findings the suppressions cover and reports the suppressions themselves:
    ids that name no rule (warning) and ids that silenced nothing (note).  Linear in findings
    and suppressions (up to sorting): a sweep over each file's positions."""
    from kms_hooks.rules import all_rules

    known = frozenset(rule.id for rule in all_rules())
    # A rule may be named by its name too (`resource-star`), as in --select.
    names = {rule.name.upper(): rule.id for rule in all_rules()}
    by_path: dict[str, list[Suppression]] = {}
    for suppression in suppressions:
        if any(rule in names for rule, _ in suppression.rules):
            suppression = replace(suppression, rules=tuple(
                (names.get(rule, rule), span) for rule, span in suppression.rules))
        by_path.setdefault(os.path.normpath(suppression.path), []).append(suppression)
    applied = Applied()
    if not by_path:
        applied.findings = findings
        return applied
    used: set[tuple[int, str]] = set()  # (id of the suppression, rule)
    # Each finding's place is found once (in a large template that is the costly part).
    kept: list[tuple[tuple[str, int, int, str], Finding]] = []
    groups: dict[str, list[tuple[tuple[str, int, int, str], Finding]]] = {}
    for finding in findings:
        path = os.path.normpath(finding.where.doc.path)
        keyed = (finding.sort_key(), finding)
        if path in by_path:
            groups.setdefault(path, []).append(keyed)
        else:
            kept.append(keyed)
    for path, group in groups.items():
        _sweep(group, by_path[path], kept, applied.silenced, used)
    for path, found in by_path.items():
        for suppression in found:
            kept.extend((problem.sort_key(), problem)
                        for problem in _problems(suppression, used, selection, known))
    kept.sort(key=lambda keyed: keyed[0])
    applied.findings = [finding for _, finding in kept]
    return applied


def _sweep(findings: list[tuple[tuple[str, int, int, str], Finding]],
           suppressions: list[Suppression], kept: list[tuple[tuple[str, int, int, str], Finding]],
           silenced: list[Silenced], used: set[tuple[int, str]]) -> None:
    ordered = sorted(suppressions, key=lambda s: s.start)
    located = sorted(findings, key=lambda keyed: keyed[0][1:3])
    # Per rule: the suppressions started so far, by their end (largest first), and those not
    # yet known to have silenced something.
    covering: dict[str, list[tuple[tuple[int, int], int]]] = {}
    pending: dict[str, list[int]] = {}
    started = 0
    for key, finding in located:
        position = key[1:3]
        while started < len(ordered) and ordered[started].start <= position:
            suppression = ordered[started]
            for rule, _ in suppression.rules:
                end = suppression.end
                heapq.heappush(covering.setdefault(rule, []), ((-end[0], -end[1]), started))
                pending.setdefault(rule, []).append(started)
            started += 1
        heap = covering.get(finding.rule)
        if heap and (-heap[0][0][0], -heap[0][0][1]) > position:
            by = ordered[heap[0][1]]
            silenced.append(Silenced(finding, by))
            # Every suppression of this rule that covers the element has done its work; those
            # that ended before it never will.
            for index in pending.pop(finding.rule, ()):
                if ordered[index].end > position:
                    used.add((id(ordered[index]), finding.rule))
        else:
            kept.append((key, finding))


def _problems(suppression: Suppression, used: set[tuple[int, str]], selection: Selection,
              known: frozenset[str]) -> list[Finding]:
    path = suppression.path
    if not selection.enabled(RULE, path):
        return []
    if suppression.problem is not None:
        return [_finding(path, suppression.at, WARNING, suppression.problem)]
    found = []
    for rule, span in suppression.rules:
        if rule not in known:
            found.append(_finding(path, span, WARNING,
                                  f"kms-hooks:ignore names {rule}, which is no rule: it silences "
                                  "nothing; see --list-rules"))
    unused = [(rule, span) for rule, span in suppression.rules
              if rule in known and selection.enabled(rule, path)
              and (id(suppression), rule) not in used]
    if unused:
        names = ", ".join(rule for rule, _ in unused)
        found.append(_finding(path, unused[0][1], NOTE,
                              f"kms-hooks:ignore={names} silences nothing here: no {names} "
                              f"finding in what it covers; remove it"))
    return found


def _finding(path: str, span: Span, severity: str, message: str) -> Finding:
    from kms_hooks.sources.base import FixedDocument

    return Finding(RULE, severity, message, Where(FixedDocument(path, span), ()))


def describe(silenced: Silenced) -> str:
    """One line for -v: the silenced finding, and what silenced it with which reason."""
    finding, by = silenced.finding, silenced.by
    span = finding.where.span()
    reason = by.reason or "no reason given"
    return (f"{finding.where.doc.path}:{span.line}:{span.column}: {finding.rule} suppressed by "
            f"the {by.form} on line {by.at.line} ({reason}): {finding.message}")
