"""What several rules need to know about a statement: the KMS actions it grants, what its
resources are, and whether its conditions close the resource perimeter."""
from __future__ import annotations

import re
from kms_hooks.records import dataclass

from kms_hooks.kms import arn
from kms_hooks.kms.facts import ALL, describe, expand, has_wildcard
from kms_hooks.model import SPECIFIC, Condition, Policy, Statement, Value, Where

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, TypeVar

    T = TypeVar("T")


def memo(owner: Statement | Policy, name: str, compute: Callable[[], T]) -> T:
    """Computes a fact about a statement (or a policy) once, however many rules ask for it."""
    cache: dict[str, Any] | None = getattr(owner, "_memo", None)
    if cache is None:
        cache = {}
        object.__setattr__(owner, "_memo", cache)
    if name not in cache:
        cache[name] = compute()
    result: T = cache[name]
    return result


@dataclass(frozen=True)
class ActionGrant:
    """One `Action` entry (or the whole `NotAction`) and the KMS actions it reaches."""

    where: Where
    written: str  # as written, for messages
    actions: frozenset[str]
    literal: bool  # names one action without wildcards
    value: Value | None  # None for NotAction


def action_grants(statement: Statement) -> list[ActionGrant]:
    """The KMS actions each entry reaches: the statement grants them if it is an Allow."""
    def compute() -> list[ActionGrant]:
        grants = []
        for value in statement.actions or ():
            if value.text is None:
                continue
            reached = expand(value.text)
            if reached:  # other services' entries reach nothing; large policies hold thousands
                grants.append(ActionGrant(value.where, value.shown, reached,
                                          not has_wildcard(value.text), value))
        if statement.not_actions is not None:
            excluded: set[str] = set()
            known = True
            for value in statement.not_actions:
                if value.text is None:
                    known = False
                else:
                    excluded |= expand(value.text)
            if known:
                grants.append(ActionGrant(statement.key_where("NotAction"), '"NotAction"',
                                          ALL - excluded, False, None))
        return grants

    return memo(statement, "action_grants", compute)


def granted_actions(statement: Statement) -> frozenset[str]:
    def compute() -> frozenset[str]:
        found: set[str] = set()
        for grant in action_grants(statement):
            found |= grant.actions
        return frozenset(found)

    return memo(statement, "granted_actions", compute)


def resources(statement: Statement, policy: Policy) -> list[tuple[Value, arn.Resource]]:
    return memo(statement, "resources", lambda: [
        (value, arn.classify_value(value, policy.version)) for value in statement.resources or ()
    ])


_NOT_KMS = frozenset({arn.OTHER_ARN, arn.OTHER})


def may_reach_keys(statement: Statement, policy: Policy) -> bool:
    """Whether the statement's resources can include KMS keys or aliases.  A Resource made only
    of other services' ARNs grants no KMS action, whatever its Action says."""
    if statement.resources is None:
        return True
    return any(r.kind not in _NOT_KMS for _, r in resources(statement, policy))


def explain_actions(grants: list[ActionGrant], relevant: frozenset[str]) -> str:
    """The written entries that reach `relevant` actions, with what patterns expanded to."""
    parts = []
    for grant in grants:
        reached = grant.actions & relevant
        if not reached:
            continue
        if grant.literal:
            parts.append(grant.written)
        elif grant.value is None:
            left = "every KMS action" if grant.actions == ALL else describe(reached, 3)
            parts.append(f"NotAction, which leaves {left}")
        elif grant.actions == ALL:
            parts.append(f"{grant.written} (every KMS action)")
        else:
            parts.append(f"{grant.written} ({describe(reached, 3)})")
    return ", ".join(parts)


def reach_verb(grants: list[ActionGrant], relevant: frozenset[str]) -> str:
    """"reaches" for one action named literally, "reach" for several."""
    reaching = [g for g in grants if g.actions & relevant]
    return "reaches" if len(reaching) == 1 and reaching[0].literal else "reach"


# Condition operators ---------------------------------------------------------------------------

POSITIVE = frozenset({"stringequals", "stringlike", "stringequalsignorecase", "arnequals",
                      "arnlike"})
NEGATED = frozenset({"stringnotequals", "stringnotlike", "stringnotequalsignorecase",
                     "arnnotequals", "arnnotlike"})


@dataclass(frozen=True)
class Operator:
    qualifier: str  # "", "foranyvalue" or "forallvalues"
    base: str  # lower case, without qualifier or IfExists
    if_exists: bool


def operator(name: str) -> Operator:
    lowered = name.lower()
    qualifier = ""
    for prefix in ("foranyvalue:", "forallvalues:"):
        if lowered.startswith(prefix):
            qualifier, lowered = prefix[:-1], lowered[len(prefix):]
    if_exists = lowered.endswith("ifexists")
    if if_exists:
        lowered = lowered[: -len("ifexists")]
    return Operator(qualifier, lowered, if_exists)


def only_wildcards(value: Value) -> bool:
    return value.text is not None and value.text.strip("*?") == ""


def pins(condition: Condition, keys: frozenset[str],
         multivalued: frozenset[str] = frozenset()) -> bool:
    """A positive test, not IfExists, of one of `keys`, with a value that is not only wildcards.

    Multivalued keys count only with ForAnyValue; ForAllValues never pins (it holds when the
    key is absent).  Unknown values (template references, policy variables) count as specific.
    """
    key = condition.key.lower()
    if key not in keys:
        return False
    op = operator(condition.operator)
    if op.base not in POSITIVE or op.if_exists or op.qualifier == "forallvalues":
        return False
    if key in multivalued and op.qualifier != "foranyvalue":
        return False
    return bool(condition.values) and not any(only_wildcards(v) for v in condition.values)


RESOURCE_PERIMETER_KEYS = frozenset({"aws:resourceaccount", "aws:resourceorgid",
                                     "aws:resourceorgpaths"})


# com.amazonaws.REGION.kms and .kms-fips; a service name not known here may be one of them.
_KMS_SERVICE = re.compile(r"com\.amazonaws\.[^.]+\.kms(?:-fips)?", re.IGNORECASE)


def kms_endpoint(policy: Policy) -> bool:
    """Whether an endpoint policy's endpoint is (or may be) an AWS KMS endpoint."""
    service = policy.attributes.get("service_name")
    if service is None or service.text is None or service.text.strip(SPECIFIC) == "":
        return True
    return _KMS_SERVICE.fullmatch(service.text.strip()) is not None


def for_aws_services(statement: Statement) -> bool:
    """Statements only AWS services can use (aws:PrincipalIsAWSService = true)."""
    for condition in statement.conditions:
        if condition.key.lower() == "aws:principalisawsservice" \
                and condition.operator.lower() == "bool" \
                and any(v.text is not None and v.text.lower() == "true" for v in condition.values):
            return True
    return False


def condition_keys(statement: Statement) -> set[str]:
    return {c.key.lower() for c in statement.conditions}
