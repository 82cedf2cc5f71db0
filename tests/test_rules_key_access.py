"""Account-wide key administration (KMS204), service principals without a source condition
(KMS205), vacuous set conditions (KMS114), malformed principals (KMS003) and what KMS202 may
say about the principals that hold kms:PutKeyPolicy."""
from __future__ import annotations

import json
import pathlib

import pytest

from tests.helpers import at, check, located, policy, write

Cap = pytest.CaptureFixture[str]
ROOT = ('{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, '
        '"Action": "kms:*", "Resource": "*"}')


def run(capsys: Cap, tmp_path: pathlib.Path, text: str, *args: str) -> list[tuple[str, int, int, str]]:
    return located(check(capsys, write(tmp_path, "policy.json", text), *args))


def key_policy_output(tmp_path: pathlib.Path, document: str) -> tuple[pathlib.Path, str]:
    """`aws kms get-key-policy` output: a complete key policy of known source."""
    text = json.dumps({"Policy": document, "PolicyName": "default"}, indent=4) + "\n"
    return write(tmp_path, "key-policy.json", text), text


def everyone(action: str, condition: str) -> str:
    return (f'{{"Effect": "Allow", "Principal": {{"AWS": "*"}}, "Action": {action}, '
            f'"Resource": "*", "Condition": {condition}}}')


# KMS204 -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("key", ["kms:CallerAccount", "aws:PrincipalAccount"])
def test_kms204_everyone_in_the_account_administers_the_key(capsys: Cap, tmp_path: pathlib.Path,
                                                            key: str) -> None:
    text = policy(ROOT, everyone('["kms:Decrypt", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion"]',
                                 f'{{"StringEquals": {{"{key}": "111122223333"}}}}'))
    findings = check(capsys, write(tmp_path, "policy.json", text))
    assert located(findings) == [("KMS204", *at(text, '"*"', 2), "warning")]
    assert findings[0]["message"] == (
        f'Principal "*" limited only to the account ({key}) is allowed kms:PutKeyPolicy, '
        "kms:ScheduleKeyDeletion: every user and role of that account gets them with no IAM "
        "grant; give them to the account principal (arn:aws:iam::ACCOUNT:root), so IAM policies "
        "decide, or to named administrator roles")


@pytest.mark.parametrize("action, condition", [
    # Using and describing the key is what AWS managed keys allow this way.
    ('["kms:Decrypt", "kms:GenerateDataKey*", "kms:Describe*", "kms:Get*", "kms:List*"]',
     '{"StringEquals": {"kms:CallerAccount": "111122223333"}}'),
    # CreateGrant only for AWS resources.
    ('["kms:Decrypt", "kms:CreateGrant"]',
     '{"StringEquals": {"kms:CallerAccount": "111122223333"}, "Bool": {"kms:GrantIsForAWSResource": "true"}}'),
    # The AWS managed key pattern.
    ('["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:CreateGrant", "kms:DescribeKey"]',
     '{"StringEquals": {"kms:CallerAccount": "111122223333", "kms:ViaService": "ec2.us-east-1.amazonaws.com"}}'),
    # Pinned to a role, not only to the account.
    ('"kms:*"', '{"StringEquals": {"kms:CallerAccount": "111122223333"}, '
                '"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/Admin"}}'),
])
def test_kms204_not_for_use_managed_key_pattern_or_a_named_role(capsys: Cap, tmp_path: pathlib.Path,
                                                               action: str, condition: str) -> None:
    assert run(capsys, tmp_path, policy(ROOT, everyone(action, condition))) == []


def test_kms204_create_grant_without_grant_condition(capsys: Cap, tmp_path: pathlib.Path) -> None:
    text = policy(ROOT, everyone('"kms:CreateGrant"', '{"StringEquals": {"kms:CallerAccount": "111122223333"}}'))
    findings = check(capsys, write(tmp_path, "policy.json", text))
    assert [f[:3] for f in located(findings)] == [("KMS204", *at(text, '"*"', 2)),
                                                  ("KMS113", *at(text, '"kms:CreateGrant"'))]


# KMS205 -----------------------------------------------------------------------------------------

def service(principal: str, condition: str = "") -> str:
    extra = f', "Condition": {condition}' if condition else ""
    return (f'{{"Effect": "Allow", "Principal": {{"Service": {principal}}}, '
            f'"Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"], '
            f'"Resource": "*"{extra}}}')


def test_kms205_service_principal_without_source(capsys: Cap, tmp_path: pathlib.Path) -> None:
    text = policy(ROOT, service('["logs.us-east-1.amazonaws.com", "delivery.logs.amazonaws.com"]'))
    findings = check(capsys, write(tmp_path, "policy.json", text))
    assert located(findings) == [("KMS205", *at(text, '"logs.us-east-1.amazonaws.com"'), "warning")]
    assert findings[0]["message"].startswith(
        "logs.us-east-1.amazonaws.com (+1 more) are allowed kms:Decrypt, kms:Encrypt, "
        "kms:GenerateDataKey (+3 more) with no aws:SourceArn")


@pytest.mark.parametrize("condition", [
    '{"StringEquals": {"aws:SourceAccount": "111122223333"}}',
    '{"ArnLike": {"aws:SourceArn": "arn:aws:logs:us-east-1:111122223333:*"}}',
    '{"StringEquals": {"aws:SourceOrgID": "o-a1b2c3d4e5"}}',
    '{"ArnLike": {"kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:us-east-1:111122223333:log-group:*"}}',
    '{"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com", "kms:CallerAccount": "111122223333"}}',
])
def test_kms205_source_conditions(capsys: Cap, tmp_path: pathlib.Path, condition: str) -> None:
    assert run(capsys, tmp_path, policy(ROOT, service('"logs.us-east-1.amazonaws.com"', condition))) == []


@pytest.mark.parametrize("condition", [
    '{"StringEqualsIfExists": {"aws:SourceAccount": "111122223333"}}',
    '{"StringNotEquals": {"aws:SourceAccount": "111122223333"}}',
    '{"Null": {"kms:EncryptionContext:aws:logs:arn": "false"}}',
])
def test_kms205_conditions_that_do_not_tie_the_source(capsys: Cap, tmp_path: pathlib.Path,
                                                      condition: str) -> None:
    text = policy(ROOT, service('"logs.us-east-1.amazonaws.com"', condition))
    assert run(capsys, tmp_path, text) == [("KMS205", *at(text, '"logs.us-east-1.amazonaws.com"'), "warning")]


def test_kms205_not_for_describe_only_or_identity_policies(capsys: Cap, tmp_path: pathlib.Path) -> None:
    text = policy(ROOT, '{"Effect": "Allow", "Principal": {"Service": "config.amazonaws.com"}, '
                        '"Action": "kms:DescribeKey", "Resource": "*"}')
    assert run(capsys, tmp_path, text) == []


# KMS114 -----------------------------------------------------------------------------------------

def identity(condition: str) -> str:
    return ('{"Effect": "Allow", "Action": "kms:Decrypt", '
            '"Resource": "arn:aws:kms:*:111122223333:key/*", "Condition": ' + condition + '}')


@pytest.mark.parametrize("key, absent", [("kms:EncryptionContextKeys", "the request has no encryption context"),
                                         ("kms:ResourceAliases", "the key has no alias"),
                                         ("aws:TagKeys", "the request has no tags")])
def test_kms114_for_all_values_alone_is_vacuous(capsys: Cap, tmp_path: pathlib.Path,
                                                key: str, absent: str) -> None:
    text = policy(identity(f'{{"ForAllValues:StringEquals": {{"{key}": ["Department"]}}}}'))
    findings = check(capsys, write(tmp_path, "policy.json", text))
    assert located(findings) == [("KMS114", *at(text, f'"{key}"'), "note")]
    assert findings[0]["message"] == (
        f"ForAllValues:StringEquals on {key} is true when {absent}, so this Allow also allows "
        f'those requests; add "Null": {{"{key}": "false"}} or use ForAnyValue')


@pytest.mark.parametrize("condition", [
    '{"ForAllValues:StringEquals": {"kms:EncryptionContextKeys": "Department"}, '
    '"Null": {"kms:EncryptionContextKeys": "false"}}',
    '{"ForAllValues:StringEquals": {"kms:EncryptionContextKeys": "Department"}, '
    '"ForAnyValue:StringEquals": {"kms:EncryptionContextKeys": "Department"}}',
    '{"ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/app"}}',
    '{"ForAllValues:StringEquals": {"kms:GrantOperations": ["Decrypt", "Encrypt"]}}',
])
def test_kms114_not_with_a_presence_check_or_grant_operations(capsys: Cap, tmp_path: pathlib.Path,
                                                              condition: str) -> None:
    assert run(capsys, tmp_path, policy(identity(condition))) == []


def test_kms114_not_in_a_deny(capsys: Cap, tmp_path: pathlib.Path) -> None:
    text = policy('{"Effect": "Deny", "Action": "kms:Decrypt", "Resource": "*", "Condition": '
                  '{"ForAllValues:StringEquals": {"aws:TagKeys": "x"}}}',
                  '{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "arn:aws:kms:*:111122223333:key/*"}')
    assert run(capsys, tmp_path, text) == []


# Malformed principals, and KMS202's words ------------------------------------------------------

@pytest.mark.parametrize("principal, element, message", [
    ('"arn:aws:iam::111122223333:role/Admin"', '"arn:aws:iam::111122223333:role/Admin"',
     '"Principal" must be "*" or an object such as {"AWS": "arn:aws:iam::111122223333:role/Admin"}, not a string'),
    ('{"IAM": "arn:aws:iam::111122223333:role/Admin"}', '"IAM"',
     '"Principal" has an unknown principal type "IAM": IAM accepts AWS, Service, Federated, CanonicalUser'),
    ('{"AWS": 111122223333}', "111122223333", '"Principal" entries must be strings, not a number'),
])
def test_malformed_principal_is_kms003_and_never_iam_users_or_roles(
        capsys: Cap, tmp_path: pathlib.Path, principal: str, element: str, message: str) -> None:
    path, text = key_policy_output(tmp_path, policy(
        f'{{"Effect": "Allow", "Principal": {principal}, "Action": "kms:*", "Resource": "*"}}'))
    findings = check(capsys, path)
    assert [(f["rule"], f["message"]) for f in findings] == [("KMS003", message)]
    assert (findings[0]["line"], findings[0]["column"]) == at(text, element.replace('"', '\\"'))


def test_kms202_names_service_principals_as_services(capsys: Cap, tmp_path: pathlib.Path) -> None:
    path, text = key_policy_output(tmp_path, policy(
        '{"Effect": "Allow", "Principal": {"Service": "cloudformation.amazonaws.com"}, '
        '"Action": "kms:PutKeyPolicy", "Resource": "*", '
        '"Condition": {"StringEquals": {"aws:SourceAccount": "111122223333"}}}'))
    [finding] = check(capsys, path)
    assert (finding["rule"], finding["line"], finding["column"]) == ("KMS202", *at(text, '{\\"Effect'))
    assert finding["message"].startswith("only AWS services may change this key policy "
                                         "(kms:PutKeyPolicy), not the account")


def test_kms202_says_nothing_of_a_principal_it_cannot_name(capsys: Cap, tmp_path: pathlib.Path) -> None:
    path, _ = key_policy_output(tmp_path, policy(
        '{"Effect": "Allow", "Principal": {"AWS": "AIDACKCEVSQ6C2EXAMPLE"}, '
        '"Action": "kms:*", "Resource": "*"}'))
    assert check(capsys, path) == []
