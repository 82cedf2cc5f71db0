"""The rule registry.  Each rule module registers its rules with `@rule`; nothing else lists them."""
from __future__ import annotations

import importlib
from kms_hooks.records import dataclass, field
from collections.abc import Callable, Iterable, Iterator

from kms_hooks.model import Fix, Grant, Policy, Where

# Modules that hold rules, imported on first use of the registry.
RULE_MODULES = (
    "kms_hooks.rules.structure",
    "kms_hooks.rules.identity",
    "kms_hooks.rules.key",
    "kms_hooks.rules.key_access",
    "kms_hooks.rules.conditions",
    "kms_hooks.rules.grant",
    "kms_hooks.rules.endpoint",
)


@dataclass(frozen=True)
class Context:
    """What rules may depend on besides the policy: the user's configuration."""

    trusted_accounts: frozenset[str] = frozenset()
    sensitive_actions: frozenset[str] = frozenset({"PutKeyPolicy", "ScheduleKeyDeletion"})
    account: str | None = None  # the home account, for fixes that name its keys


@dataclass(frozen=True)
class Report:
    """What a rule says: a message at an element, with a severity when not the rule's default."""

    message: str
    where: Where
    severity: str | None = None
    fix: Fix | None = None  # what resolves it, when one edit is right


@dataclass(frozen=True)
class RuleDoc:
    finds: str
    why: str
    bad: str
    good: str
    guidance: str  # the heading of the AWS guidance the rule comes from
    suppress: str = ""


Check = Callable[..., Iterable[Report]]


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    severity: str  # the default; some rules choose per finding (see summary)
    summary: str  # one line: when it fires
    kinds: frozenset[str]  # policy kinds it reads, or {"grant"}
    doc: RuleDoc
    check: Check | None = field(compare=False)  # None: findings made while reading files
    applies: str = ""  # what it applies to, when not policy kinds alone (for the docs)

    def applies_to(self, subject: Policy | Grant) -> bool:
        kind = "grant" if isinstance(subject, Grant) else subject.kind
        return kind in self.kinds


_REGISTRY: dict[str, Rule] = {}
_loaded = False
_sorted: list[Rule] = []  # all_rules(), once loaded


def rule(id: str, name: str, severity: str, summary: str, kinds: Iterable[str],
         doc: RuleDoc) -> Callable[[Check], Check]:
    def register(check: Check) -> Check:
        if id in _REGISTRY:
            raise ValueError(f"rule {id} is registered twice")
        _REGISTRY[id] = Rule(id, name, severity, summary, frozenset(kinds), doc, check)
        return check

    return register


def declare(id: str, name: str, severity: str, summary: str, doc: RuleDoc,
            applies: str = "any file a hook reads", kinds: Iterable[str] = (),
            check: Check | None = None) -> None:
    """A rule whose findings the reading layer makes (a file that cannot be parsed), and, with
    `check`, also the rules from problems that sources found inside policies."""
    _REGISTRY[id] = Rule(id, name, severity, summary, frozenset(kinds), doc, check, applies)


def all_rules() -> list[Rule]:
    global _loaded, _sorted
    if not _loaded:
        for module in RULE_MODULES:
            importlib.import_module(module)
        _loaded = True
    if len(_sorted) != len(_REGISTRY):
        _sorted = sorted(_REGISTRY.values(), key=lambda r: r.id)
    return list(_sorted)


def get(rule_id: str) -> Rule | None:
    """The rule with this id, or this name (`resource-star`); asked once per finding by the
    reports."""
    wanted = rule_id.strip()
    if not _loaded:
        all_rules()
    found = _REGISTRY.get(wanted.upper())
    if found is not None:
        return found
    for r in all_rules():
        if r.name == wanted.lower():
            return r
    return None


def split_names(values: Iterable[str]) -> tuple[str, ...]:
    """Rule ids, prefixes and names as given, repeated or in comma lists (`KMS101,KMS2`)."""
    return tuple(part.strip() for value in values for part in value.split(",") if part.strip())


def as_ids(patterns: Iterable[str]) -> tuple[str, ...]:
    """Ids and prefixes, with rule names replaced by their rule's id."""
    names = {r.name: r.id for r in all_rules()}
    return tuple(names.get(p.lower(), p.upper()) for p in patterns)


def iter_matching(patterns: Iterable[str]) -> Iterator[Rule]:
    """Rules named by ids or id prefixes (`KMS1` is every KMS1xx rule)."""
    wanted = [p.upper() for p in patterns]
    for r in all_rules():
        if any(r.id.startswith(p) or r.name == p.lower() for p in wanted):
            yield r
