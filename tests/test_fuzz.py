"""Arbitrary text, arbitrary JSON and policy-shaped JSON with odd types: the checker never lets
an exception escape, reports no internal error, and every finding has a position."""
from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kms_hooks.engine import Options, Outcome, run
from kms_hooks.report import formatter
from kms_hooks.sources import HOOKS
from kms_hooks.sources.base import SourceFile
from tests.strategies import json_values

NAMES = ["policy.json", "template.yaml", "template.json", "main.tf.json", "plan.json", "main.tf"]
SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def check(name: str, content: bytes) -> Outcome:
    outcome = run([SourceFile(name, content)], Options(sources=HOOKS["kms-policies"]))
    assert outcome.errors == []
    for finding in outcome.findings:
        span = finding.where.span()
        assert span.line >= 1 and span.column >= 1
        assert (span.end_line, span.end_column) >= (span.line, span.column)
    for form in ("text", "json"):
        formatter(form)(outcome)
    return outcome


@SETTINGS
@given(st.sampled_from(NAMES), st.text(max_size=300))
def test_arbitrary_text(name: str, text: str) -> None:
    check(name, text.encode("utf-8", "surrogatepass"))


@SETTINGS
@given(st.sampled_from(NAMES), st.binary(max_size=200))
def test_arbitrary_bytes(name: str, content: bytes) -> None:
    check(name, content)




@SETTINGS
@given(st.sampled_from(NAMES), json_values, st.sampled_from([None, 2]))
def test_arbitrary_json(name: str, data: Any, indent: int | None) -> None:
    check(name, json.dumps(data, indent=indent).encode("utf-8"))


# Policy-shaped JSON: the right keys, with values of every shape ------------------------------------

odd = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) \
    | st.just([]) | st.just({}) | st.text(max_size=6)

actions = st.sampled_from([
    "kms:Decrypt", "kms:*", "*", "kms:Get*", "KMS:encrypt", "kms:Decrpyt", "kms:CreateKey",
    "kms:CreateGrant", "kms:PutKeyPolicy", "kms:CreateAlias", "kms:?ecrypt", "k*:*", "s3:*",
    "kms:", "kms", "",
])
resources = st.sampled_from([
    "*", "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "arn:aws:kms:*:*:key/*", "arn:aws:kms:*", "arn:*", "arn:aws:kms:us-east-1:111122223333:alias/a",
    "alias/a", "1234abcd-12ab-34cd-56ef-1234567890ab", "arn:aws:kms:us-east-1::key/x",
    "arn:aws:s3:::b/*", "arn:aws:kms:us-east-1:${aws:PrincipalAccount}:key/*", "arn:", "",
    "mrk-1234abcd12ab34cd56ef1234567890ab",
])
principals = st.sampled_from([
    "*", {"AWS": "*"}, {"AWS": ["*", "arn:aws:iam::111122223333:root"]},
    {"AWS": "111122223333"}, {"Service": "ec2.amazonaws.com"}, {"AWS": []}, {"AWS": None},
    {"CanonicalUser": "x"}, ["*"],
])
condition_keys = st.sampled_from([
    "aws:ResourceAccount", "aws:ResourceOrgID", "aws:ResourceOrgPaths", "aws:PrincipalAccount",
    "kms:ViaService", "kms:CallerAccount", "kms:GrantIsForAWSResource", "aws:SourceVpce",
    "kms:EncryptionContext:x", "aws:PrincipalOrgID", "",
])
operators = st.sampled_from([
    "StringEquals", "StringLike", "ForAnyValue:StringEquals", "StringNotEquals",
    "StringEqualsIfExists", "Bool", "ForAllValues:StringLike", "Null", "",
])


def one_or_many(element: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return element | st.lists(element | odd, max_size=3) | odd


conditions = st.dictionaries(
    operators, st.dictionaries(condition_keys, one_or_many(st.text(max_size=12) | resources),
                               max_size=2) | odd, max_size=2) | odd

statement_fields = {
    "Sid": odd,
    "Effect": st.sampled_from(["Allow", "Deny", "allow", ""]) | odd,
    "Action": one_or_many(actions),
    "NotAction": one_or_many(actions),
    "Resource": one_or_many(resources),
    "NotResource": one_or_many(resources),
    "Principal": principals | odd,
    "NotPrincipal": principals | odd,
    "Condition": conditions,
}



def some(element: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return element | st.lists(element, min_size=1, max_size=3)


# Mostly well formed, so that the rules get far; then anything in any field.
statements = st.fixed_dictionaries(
    {"Effect": st.sampled_from(["Allow", "Deny"]), "Action": some(actions),
     "Resource": some(resources)},
    optional={"Principal": principals, "Condition": st.dictionaries(
        operators, st.dictionaries(condition_keys, some(st.text(max_size=12) | resources),
                                   min_size=1, max_size=2), max_size=2)},
) | st.fixed_dictionaries(
    {"Effect": st.just("Allow"), "NotAction": some(actions), "NotResource": some(resources)},
    optional={"NotPrincipal": principals},
) | st.fixed_dictionaries({}, optional=statement_fields)
policies = st.fixed_dictionaries(
    {"Statement": one_or_many(statements)},
    optional={"Version": st.sampled_from(["2012-10-17", "2008-10-17"]) | odd, "Id": odd},
) | odd


@st.composite
def documents(draw: st.DrawFn) -> Any:
    """A policy as each source finds them: raw, CLI outputs, templates, Terraform."""
    policy = draw(policies)
    as_string = json.dumps(policy) if draw(st.booleans()) else policy
    return draw(st.sampled_from([
        policy,
        [policy, policy],
        draw(statements),
        {"PolicyVersion": {"Document": policy, "VersionId": draw(odd | st.just("v1"))}},
        {"PolicyName": "p", "PolicyDocument": as_string},
        {"Policy": json.dumps(policy), "PolicyName": draw(odd)},
        {"Policy": draw(odd)},
        {"RoleDetailList": [{"RolePolicyList": [{"PolicyName": "r", "PolicyDocument": policy}]}],
         "Policies": [{"Arn": "arn:aws:iam::aws:policy/P", "PolicyVersionList": [
             {"Document": as_string, "IsDefaultVersion": draw(odd | st.just(True))}]}]},
        {"Resources": {"Key": {"Type": "AWS::KMS::Key", "Properties": {
            "KeyPolicy": as_string, "BypassPolicyLockoutSafetyCheck": draw(odd)}}}},
        {"Resources": {"P": {"Type": draw(st.sampled_from(
            ["AWS::IAM::Policy", "AWS::IAM::Role", "AWS::EC2::VPCEndpoint",
             "AWS::Organizations::Policy"])), "Properties": {
            "PolicyDocument": policy, "Policies": [{"PolicyDocument": policy}] if draw(
                st.booleans()) else draw(odd)}}}},
        {"resource": {"aws_kms_key": {"k": {"policy": json.dumps(policy),
                                             "bypass_policy_lockout_safety_check": draw(odd)}},
                      "aws_iam_policy": {"p": {"policy": as_string}}}},
        {"format_version": "1.2", "planned_values": {"root_module": {"resources": [
            {"address": "aws_iam_policy.p", "type": "aws_iam_policy", "name": "p",
             "mode": "managed", "values": {"policy": as_string}}]}}},
    ]))


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.sampled_from(NAMES[:5]), documents(), st.sampled_from([None, 1]))
def test_policy_shaped_json(name: str, document: Any, indent: int | None) -> None:
    check(name, json.dumps(document, indent=indent).encode("utf-8"))
