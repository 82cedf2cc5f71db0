"""The resource perimeter of a statement: which accounts' keys it can reach, one verdict for
KMS101, KMS104, KMS105 and KMS311.

A positive condition on aws:ResourceAccount, aws:ResourceOrgID or aws:ResourceOrgPaths in the
statement, or a Deny in the same policy that refuses the same actions on the same resources when
one of those keys is not a listed value (the data-perimeter pattern), confines the statement to
the listed accounts or organizations.  What it is confined to decides the verdict:

- OWN: the caller's own account or organization (`${aws:PrincipalAccount}`, `AWS::AccountId`,
  `data.aws_caller_identity.X.account_id`, `${aws:PrincipalOrgID}`): the same as the ARN
  pattern `arn:PARTITION:kms:*:ACCOUNT:key/*`;
- ACCOUNTS: named accounts (literal ids, possibly with the caller's own, or a value that is one
  definite account not known here): the same as ARNs that name those accounts;
- OTHER: something narrower than "any account" that is not known to be ours (a literal
  organization id or path, a parameter): closed, but least privilege is still not met.
"""
from __future__ import annotations

import re
from kms_hooks.records import dataclass

from kms_hooks.kms.facts import glob_match
from kms_hooks.model import SPECIFIC, THIS_ACCOUNT, Condition, Policy, Statement, Value
from kms_hooks.rules.common import RESOURCE_PERIMETER_KEYS, granted_actions, memo, operator, pins

OWN = "own"
ACCOUNTS = "accounts"
OTHER = "other"
_RANK = {OTHER: 1, ACCOUNTS: 2, OWN: 3}

_MULTIVALUED = frozenset({"aws:resourceorgpaths"})
_ACCOUNT_ID = re.compile(r"\d{12}")


@dataclass(frozen=True)
class Perimeter:
    verdict: str
    accounts: tuple[Value, ...] = ()  # the literal account ids it names, for KMS105
    condition: Condition | None = None  # the condition that draws it, for messages


def _value_class(key: str, value: Value, version: str | None) -> str:
    """OWN, ACCOUNTS or OTHER for one value of a perimeter key."""
    text = value.text
    if text is None:
        # A template expression: one definite value.  An account-valued one is an account.
        return ACCOUNTS if key == "aws:resourceaccount" else OTHER
    lowered = text.strip().lower()
    variables = version == "2012-10-17"
    if key == "aws:resourceaccount":
        if THIS_ACCOUNT in text and text.strip(THIS_ACCOUNT) == "":
            return OWN
        if variables and lowered == "${aws:principalaccount}":
            return OWN
        if _ACCOUNT_ID.fullmatch(lowered) or (text.strip(SPECIFIC) == "" and text):
            return ACCOUNTS
        return OTHER
    if key == "aws:resourceorgid":
        return OWN if variables and lowered == "${aws:principalorgid}" else OTHER
    # aws:ResourceOrgPaths: "o-xxx/r-xxx/ou-xxx/", the caller's own when it starts with its org id.
    if variables and lowered.startswith("${aws:principalorgid}/"):
        return OWN
    return OTHER


def _condition_perimeter(condition: Condition, version: str | None) -> Perimeter:
    key = condition.key.lower()
    classes = [_value_class(key, v, version) for v in condition.values]
    verdict = min(classes, key=_RANK.__getitem__) if classes else OTHER
    accounts: tuple[Value, ...] = ()
    if verdict == ACCOUNTS:
        accounts = tuple(v for v in condition.values
                         if v.text is not None and _ACCOUNT_ID.fullmatch(v.text.strip()))
    return Perimeter(verdict, accounts, condition)


def _denies_outside(statement: Statement) -> list[Condition]:
    """The negated perimeter conditions of a Deny: it refuses what lies outside their values."""
    found = []
    for condition in statement.conditions:
        op = operator(condition.operator)
        if condition.key.lower() in RESOURCE_PERIMETER_KEYS and op.base == "stringnotequals" \
                and op.qualifier in ("", "foranyvalue", "forallvalues") and condition.values:
            found.append(condition)
    return found


def resource_perimeter(statement: Statement, policy: Policy, actions: frozenset[str],
                       resource_text: str) -> Perimeter | None:
    """The statement's resource perimeter for `actions` on `resource_text`, or None when it
    reaches keys in every account.  Conditions are ANDed: the narrowest verdict wins."""
    found: list[Perimeter] = [_condition_perimeter(c, policy.version)
                              for c in statement.conditions
                              if pins(c, RESOURCE_PERIMETER_KEYS, _MULTIVALUED)]
    found.extend(_denied_outside(policy, actions, resource_text))
    if not found:
        return None
    return max(found, key=lambda p: _RANK[p.verdict])


def _denied_outside(policy: Policy, actions: frozenset[str], resource_text: str
                    ) -> list[Perimeter]:
    """The perimeters that the policy's Denies draw around `actions` on `resource_text`.  Asked
    for every finding: the Denies are gathered once per policy and each question (most
    findings ask the same one) answered once, so thousands of statements stay linear."""
    answers: dict[tuple[frozenset[str], str], list[Perimeter]] = memo(
        policy, "perimeter_answers", dict)
    question = (actions, resource_text)
    if question not in answers:
        answers[question] = [
            perimeter
            for denied, patterns, perimeters in _perimeter_denies(policy)
            if actions <= denied and any(glob_match(p, resource_text) for p in patterns)
            for perimeter in perimeters]
    return answers[question]


def _perimeter_denies(policy: Policy
                      ) -> list[tuple[frozenset[str], tuple[str, ...], tuple[Perimeter, ...]]]:
    """For each data-perimeter Deny: the actions it denies, its resource patterns, and the
    perimeters its conditions draw."""
    def compute() -> list[tuple[frozenset[str], tuple[str, ...], tuple[Perimeter, ...]]]:
        found = []
        for other in policy.statements or ():
            denying = _denies_outside(other) if other.is_deny else []
            if denying:
                found.append((granted_actions(other),
                              tuple(v.text for v in other.resources or () if v.text is not None),
                              tuple(_condition_perimeter(c, policy.version) for c in denying)))
        return found

    return memo(policy, "perimeter_denies", compute)


def perimeter_accounts(policy: Policy) -> list[Value]:
    """The literal accounts that perimeter conditions name anywhere in the policy (KMS105)."""
    found: list[Value] = []
    for statement in policy.statements or ():
        if statement.is_allow:
            conditions = [c for c in statement.conditions
                          if pins(c, RESOURCE_PERIMETER_KEYS, _MULTIVALUED)]
        elif statement.is_deny:
            conditions = _denies_outside(statement)
        else:
            continue
        for condition in conditions:
            if condition.key.lower() == "aws:resourceaccount":
                found.extend(v for v in condition.values
                             if v.text is not None and _ACCOUNT_ID.fullmatch(v.text.strip()))
    return found


def describe_perimeter(perimeter: Perimeter) -> str:
    """How a message names what the perimeter admits: `aws:ResourceOrgID o-a1b2c3d4e5`."""
    condition = perimeter.condition
    if condition is None:
        return "the resource perimeter"
    shown = ", ".join(v.shown for v in condition.values[:3])
    if len(condition.values) > 3:
        shown += f" (+{len(condition.values) - 3} more)"
    return f"{condition.key} {shown}"
