"""The shared checker: every applicable rule over every policy, and the findings they make."""
from __future__ import annotations

from kms_hooks.records import dataclass, field

from kms_hooks.config import glob_matches
from kms_hooks.escape import shortened
from kms_hooks.model import NOTE, Finding, Grant, Path, Subject, Where
from kms_hooks.rules import Context, Report, Rule, all_rules

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Iterable


@dataclass(frozen=True)
class Selection:
    """Which rules run, at which severity, and where they are silenced."""

    select: tuple[str, ...] = ()  # ids or prefixes; empty: all rules
    ignore: tuple[str, ...] = ()
    severity: dict[str, str] = field(default_factory=dict)  # rule id -> severity
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (glob, rule ids)
    root: str = "."  # the directory the per-file-ignores globs are relative to

    def enabled(self, rule_id: str, path: str = "") -> bool:
        if self.select and not _named(rule_id, self.select):
            return False
        if _named(rule_id, self.ignore):
            return False
        for pattern, ids in self.per_file_ignores:
            if _named(rule_id, ids) and glob_matches(pattern, path, self.root):
                return False
        return True


def _named(rule_id: str, patterns: Iterable[str]) -> bool:
    return any(rule_id.startswith(p.upper()) for p in patterns)


@dataclass
class Checked:
    findings: list[Finding] = field(default_factory=list)


def check(subjects: Iterable[Subject], context: Context, selection: Selection,
          result: Checked | None = None) -> Checked:
    result = result if result is not None else Checked()
    rules = [r for r in all_rules() if r.check is not None]
    # The rules for each kind of subject in each file, found once: a file can hold thousands.
    chosen: dict[tuple[str, str], list[Rule]] = {}
    for subject in subjects:
        path = subject.where.doc.path
        statements = _StatementIndex(subject)
        kind = "grant" if isinstance(subject, Grant) else subject.kind
        running = chosen.get((kind, path))
        if running is None:
            running = chosen[(kind, path)] = [
                r for r in rules if r.applies_to(subject) and selection.enabled(r.id, path)]
        for rule in running:
            assert rule.check is not None
            for report in rule.check(subject, context):
                result.findings.append(_finding(rule, subject, report, selection, statements))
    return result


def _finding(rule: Rule, subject: Subject, report: Report, selection: Selection,
             statements: _StatementIndex) -> Finding:
    message, where = report.message, report.where
    chosen = report.severity or rule.severity
    kind = "grant" if isinstance(subject, Grant) else subject.kind
    if not isinstance(subject, Grant) and subject.aws_managed:
        chosen = NOTE  # AWS managed policies cannot be edited, only detached
    chosen = selection.severity.get(rule.id, chosen)
    if subject.name_in_messages:
        message = f"{subject.name}: {message}"
    # What a tool wrote, or AWS owns, is fixed where it comes from, not here.
    fixable = isinstance(subject, Grant) or not (subject.generated or subject.aws_managed)
    return Finding(rule.id, chosen, shortened(message), where, subject.name, kind,
                   statements.enclosing(where), report.fix if fixable else None)


class _StatementIndex:
    """The statements of one subject by document and path, made on the first finding: each
    finding then finds its statement by the prefixes of its own path, not by a search of all
    statements (thousands of findings in one policy)."""

    def __init__(self, subject: Subject) -> None:
        self._subject = subject
        self._index: dict[tuple[int, Path], Where] | None = None

    def enclosing(self, where: Where) -> Where | None:
        if self._index is None:
            self._index = {}
            if not isinstance(self._subject, Grant):
                for statement in reversed(self._subject.statements or ()):
                    # The first statement that holds the path wins, as a search in order would.
                    self._index[(id(statement.where.doc), statement.where.at)] = statement.where
        if not self._index:
            return None
        doc = id(where.doc)
        for length in range(len(where.at) + 1):
            found = self._index.get((doc, where.at[:length]))
            if found is not None:
                return found
        return None
