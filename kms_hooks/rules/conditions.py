"""Conditions that do not test what they seem to: a set operator that holds when the key is
absent (KMS114)."""
from __future__ import annotations


from kms_hooks.model import ENDPOINT, IDENTITY, KEY, KEY_OR_ENDPOINT, NOTE, Condition, Policy
from kms_hooks.rules import Context, Report, RuleDoc, rule
from kms_hooks.rules.common import operator

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Iterator

# Multivalued keys a request may carry no value for, and what their absence means.
_MAY_BE_ABSENT = {
    "kms:encryptioncontextkeys": "the request has no encryption context",
    "kms:resourcealiases": "the key has no alias",
    "aws:tagkeys": "the request has no tags",
}


def _requires_presence(condition: Condition) -> bool:
    """A limit that fails when the key is absent: `Null` = false, or a ForAnyValue test."""
    op = operator(condition.operator)
    if op.base == "null":
        return any(v.text is not None and v.text.lower() == "false" for v in condition.values)
    return op.qualifier == "foranyvalue" and not op.if_exists


@rule("KMS114", "vacuous-set-condition", NOTE,
      "an Allow's only limit on kms:EncryptionContextKeys, kms:ResourceAliases or aws:TagKeys "
      "is ForAllValues, which holds when the request has none", (IDENTITY, KEY, KEY_OR_ENDPOINT,
                                                                ENDPOINT),
      RuleDoc(
          finds="""
              An Allow whose only limit on a multivalued condition key that a request may omit
              (kms:EncryptionContextKeys, kms:ResourceAliases, aws:TagKeys) uses a
              ForAllValues: operator, with no Null check ("Null": {"KEY": "false"}) and no
              ForAnyValue test of the same key.  ForAllValues on kms:GrantOperations is fine:
              a grant always has operations.
          """,
          why="""
              ForAllValues is true when every value in the request is in the list, and so also
              when the request has no value at all.  "ForAllValues:StringEquals":
              {"kms:EncryptionContextKeys": "Department"} reads as "only with the Department
              context key" but also allows every request without an encryption context.
          """,
          bad="""
              "Condition": {"ForAllValues:StringEquals": {"kms:EncryptionContextKeys": "Department"}}
          """,
          good="""
              "Condition": {"ForAllValues:StringEquals": {"kms:EncryptionContextKeys": "Department"},
                            "Null": {"kms:EncryptionContextKeys": "false"}}
          """,
          guidance='IAM User Guide: "Single-valued vs. multivalued context keys" (ForAllValues '
                   'returns true when the key is absent); AWS KMS Developer Guide: '
                   "kms:EncryptionContextKeys.",
      ))
def vacuous_set_condition(policy: Policy, context: Context) -> Iterator[Report]:
    for statement in policy.statements or ():
        if not statement.is_allow:
            continue
        present = {c.key.lower() for c in statement.conditions if _requires_presence(c)}
        for condition in statement.conditions:
            key = condition.key.lower()
            absent = _MAY_BE_ABSENT.get(key)
            if absent is None or key in present \
                    or operator(condition.operator).qualifier != "forallvalues":
                continue
            yield Report(f"{condition.operator} on {condition.key} is true when {absent}, so "
                         "this Allow also allows those requests; add "
                         f'"Null": {{"{condition.key}": "false"}} or use ForAnyValue',
                         condition.where.as_key())
