"""Which statements the normalizer reads: only those that may concern KMS, except in key policies."""
from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kms_hooks.documents import JsonDocument
from kms_hooks.kms.facts import concerns_kms
from kms_hooks.model import GUARDRAIL, IDENTITY, KEY, KEY_OR_ENDPOINT, Where
from kms_hooks.normalize import (
    PLAIN,
    Reader,
    concerns_kms_rules,
    holds_nothing_for_kms,
    may_concern_kms,
    read_policy,
)


@pytest.mark.parametrize("statement", [
    {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"},
    {"Effect": "Allow", "Action": "KMS:decrypt", "Resource": "*"},
    {"Effect": "Allow", "Action": "kms:Decrpyt", "Resource": "*"},  # a typo is still KMS's
    {"Effect": "Allow", "Action": ["s3:GetObject", "kms:Get*"], "Resource": "*"},
    {"Effect": "Allow", "Action": "*", "Resource": "*"},
    {"Effect": "Allow", "Action": "k*:*", "Resource": "*"},
    {"Effect": "Allow", "Action": "*:Decrypt", "Resource": "*"},
    {"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"},
    {"Effect": "Allow", "Resource": "arn:aws:kms:*:*:key/*"},  # no Action at all
    {"Effect": "Allow", "Action": {"Fn::If": ["C", "kms:Decrypt", "s3:*"]}, "Resource": "*"},
    {"Effect": "Allow", "Action": ["s3:GetObject", {"Ref": "Action"}], "Resource": "*"},
    {"Effect": "Allow", "Action": ["s3:GetObject", 5], "Resource": "*"},
    {"Effect": "Allow", "Action": 5, "Resource": "*"},
])
def test_statements_that_may_concern_kms(statement: dict[str, Any]) -> None:
    assert may_concern_kms(statement)


@pytest.mark.parametrize("statement", [
    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
    {"Effect": "Allow", "Action": ["s3:*", "ec2:Describe*", "kmsx:Get"], "Resource": "*"},
    {"Effect": "Allow", "Action": "s?:*", "Resource": "arn:aws:kms:*:*:key/*"},
    {"Effect": "Allow", "Action": [], "Resource": "*"},
])
def test_statements_of_other_services(statement: dict[str, Any]) -> None:
    assert not may_concern_kms(statement)


POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "S3", "Effect": "Allow", "Action": "s3:*", "Resource": "*"},
        {"Sid": "Kms", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"},
        {"Sid": "Ec2", "Effect": "Deny", "Action": ["ec2:*"], "Resource": "*"},
        {"Sid": "All", "Effect": "Deny", "NotAction": "iam:*", "Resource": "*"},
    ],
}


def _read(kind: str) -> list[tuple[str | None, tuple[Any, ...]]]:
    text = json.dumps(POLICY, indent=1)
    document = JsonDocument("p.json", text, json.loads(text))
    policy = read_policy(POLICY, Where(document, ()), PLAIN, kind, "p")
    return [(s.sid, s.where.at) for s in policy.statements or ()]


@pytest.mark.parametrize("kind", [IDENTITY, GUARDRAIL])
def test_other_policies_keep_only_statements_that_may_concern_kms(kind: str) -> None:
    # The statements keep their own index, so findings still point at the right place.
    assert _read(kind) == [("Kms", ("Statement", 1)), ("All", ("Statement", 3))]


@pytest.mark.parametrize("kind", [KEY, KEY_OR_ENDPOINT])
def test_key_policies_keep_every_statement(kind: str) -> None:
    assert [sid for sid, _ in _read(kind)] == ["S3", "Kms", "Ec2", "All"]


_ACTION_TEXT = st.text(alphabet="kmsKMS3:*?ec2\n -", max_size=12) | st.sampled_from(
    ["*", "kms:Decrypt", "s3:GetObject", "k*:*", "*:Decrypt", "ec2:*", "KMS:x", "s?:*"])


@settings(max_examples=200, deadline=None)
@given(st.lists(_ACTION_TEXT, max_size=6))
def test_a_list_of_actions_concerns_kms_when_one_entry_does(actions: list[str]) -> None:
    statement = {"Effect": "Allow", "Action": actions, "Resource": "*"}
    assert may_concern_kms(statement) == any(concerns_kms(a) for a in actions)


_STATEMENT = st.fixed_dictionaries(
    {"Effect": st.sampled_from(["Allow", "Deny"])},
    optional={"Action": _ACTION_TEXT | st.lists(_ACTION_TEXT, max_size=4) | st.just(5),
              "NotAction": _ACTION_TEXT,
              "Resource": st.sampled_from(["*", "arn:aws:kms:*:*:key/*"])})
_POLICY_NODE = st.fixed_dictionaries(
    {}, optional={"Version": st.just("2012-10-17"),
                  "Statement": st.lists(_STATEMENT | st.just("x"), max_size=3)
                  | _STATEMENT | st.just(7)}) | st.just([])


@settings(max_examples=300, deadline=None)
@given(_POLICY_NODE, st.sampled_from([IDENTITY, GUARDRAIL, KEY, KEY_OR_ENDPOINT]),
       st.booleans())
def test_a_policy_passed_over_unread_is_one_the_rules_would_drop(
        node: Any, kind: str, repeats: bool) -> None:
    # The pre-check must never pass over a policy that reading would keep: a KMS statement,
    # a malformed one, a repeated key, a key policy.
    text = json.dumps(node)
    reader = Reader({id(node): ["Version"]} if repeats and isinstance(node, dict) else {})
    policy = read_policy(node, Where(JsonDocument("p.json", text, node), ()), reader, kind, "p")
    assert holds_nothing_for_kms(node, reader, kind) == (not concerns_kms_rules(policy))
