"""Key policy rules (KMS201, KMS202), and how raw documents get their kind."""
from __future__ import annotations

import json
import pathlib

import pytest

from kms_hooks.sources.raw import decide_kind
from tests.helpers import at, check, located, policy, write

Cap = pytest.CaptureFixture[str]
ROOT = '{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"}'


def run(capsys: Cap, tmp_path: pathlib.Path, text: str, *args: str) -> list[tuple[str, int, int, str]]:
    return located(check(capsys, write(tmp_path, "policy.json", text), *args))


def public(condition: str = "", principal: str = '"*"') -> str:
    extra = f', "Condition": {condition}' if condition else ""
    return (f'{{"Effect": "Allow", "Principal": {principal}, "Action": ["kms:Decrypt"], '
            f'"Resource": "*"{extra}}}')


@pytest.mark.parametrize("principal", ['"*"', '{"AWS": "*"}',
                                       '{"AWS": ["arn:aws:iam::111122223333:root", "*"]}'])
def test_kms201_everyone_without_pinning_condition(capsys: Cap, tmp_path: pathlib.Path,
                                                   principal: str) -> None:
    text = policy(ROOT, public(principal=principal))
    assert run(capsys, tmp_path, text) == [("KMS201", *at(text, '"*"', 2), "error")]


@pytest.mark.parametrize("condition", [
    '{"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}',
    '{"StringEquals": {"aws:principalaccount": "111122223333"}}',
    '{"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/*"}}',
    '{"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-a1b2c3d4e5/r-ab12/*"}}',
    '{"StringEquals": {"kms:ViaService": "ec2.us-east-1.amazonaws.com", "kms:CallerAccount": "111122223333"}}',
    '{"StringEquals": {"aws:SourceAccount": "111122223333"}}',
])
def test_kms201_pinned_caller_passes(capsys: Cap, tmp_path: pathlib.Path, condition: str) -> None:
    assert run(capsys, tmp_path, policy(ROOT, public(condition))) == []


@pytest.mark.parametrize("condition", [
    '{"StringEquals": {"kms:ViaService": "ec2.us-east-1.amazonaws.com"}}',
    '{"StringEqualsIfExists": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}',
    '{"StringLike": {"aws:PrincipalAccount": "*"}}',
    '{"StringEquals": {"aws:PrincipalOrgPaths": "o-a1b2c3d4e5/*"}}',
    '{"Bool": {"aws:PrincipalIsAWSService": "true"}}',
    '{"ForAllValues:StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}',
])
def test_kms201_conditions_that_do_not_pin(capsys: Cap, tmp_path: pathlib.Path, condition: str) -> None:
    text = policy(ROOT, public(condition))
    assert run(capsys, tmp_path, text) == [("KMS201", *at(text, '"*"', 2), "error")]


def test_kms201_network_condition_alone_is_a_warning(capsys: Cap, tmp_path: pathlib.Path) -> None:
    text = policy(ROOT, public('{"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}'))
    assert run(capsys, tmp_path, text) == [("KMS201", *at(text, '"*"', 2), "warning")]


def test_kms201_not_principal_with_allow(capsys: Cap, tmp_path: pathlib.Path) -> None:
    text = policy(ROOT, '{"Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:role/X"}, '
                        '"Action": "kms:Decrypt", "Resource": "*"}')
    assert run(capsys, tmp_path, text) == [("KMS201", *at(text, '"NotPrincipal"'), "error")]


def test_kms201_deny_with_everyone_is_fine(capsys: Cap, tmp_path: pathlib.Path) -> None:
    text = policy(ROOT, '{"Effect": "Deny", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}')
    assert run(capsys, tmp_path, text) == []


def key_policy_output(tmp_path: pathlib.Path, document: str) -> tuple[pathlib.Path, str]:
    """`aws kms get-key-policy` output: the policy is a JSON string."""
    text = json.dumps({"Policy": document, "PolicyName": "default"}, indent=4) + "\n"
    return write(tmp_path, "key-policy.json", text), text


def test_kms202_nobody_may_change_the_policy(capsys: Cap, tmp_path: pathlib.Path) -> None:
    path, text = key_policy_output(tmp_path, policy(
        '{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/App"}, '
        '"Action": ["kms:Decrypt"], "Resource": "*"}'))
    [finding] = check(capsys, path)
    assert finding["rule"] == "KMS202" and finding["severity"] == "warning"
    assert "lockout safety check" in finding["message"]
    # The finding is about the whole document: it points at its opening brace inside the string.
    assert (finding["line"], finding["column"]) == at(text, '{\\n  \\"Version')
    assert finding["pointer"] == "/Policy"


def test_kms202_only_roles_may_change_it(capsys: Cap, tmp_path: pathlib.Path) -> None:
    path, text = key_policy_output(tmp_path, policy(
        '{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/Admin"}, '
        '"Action": "kms:*", "Resource": "*"}'))
    [finding] = check(capsys, path)
    assert finding["rule"] == "KMS202" and "AWS Support" in finding["message"]
    assert finding["pointer"] == "/Policy/Statement/0"
    assert (finding["line"], finding["column"]) == at(text, '{\\"Effect')


def test_kms202_account_principal_keeps_it(capsys: Cap, tmp_path: pathlib.Path) -> None:
    for principal in ('"arn:aws:iam::111122223333:root"', '"111122223333"'):
        path, _ = key_policy_output(tmp_path, policy(
            f'{{"Effect": "Allow", "Principal": {{"AWS": {principal}}}, "Action": "kms:Put*", '
            '"Resource": "*"}'))
        assert check(capsys, path) == []


def test_kms202_unconditional_deny_takes_it_from_everyone(capsys: Cap, tmp_path: pathlib.Path) -> None:
    path, text = key_policy_output(tmp_path, policy(
        ROOT, '{"Effect": "Deny", "Principal": "*", "Action": "kms:PutKeyPolicy", "Resource": "*"}'))
    [finding] = check(capsys, path)
    assert finding["rule"] == "KMS202" and finding["pointer"] == "/Policy/Statement/1"


def test_kms202_not_for_raw_documents_of_unknown_source(capsys: Cap, tmp_path: pathlib.Path) -> None:
    text = policy('{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/App"}, '
                  '"Action": ["kms:Decrypt"], "Resource": "*"}')
    assert run(capsys, tmp_path, text) == []


def test_kms202_not_for_aws_managed_key_policies(capsys: Cap, tmp_path: pathlib.Path) -> None:
    path, _ = key_policy_output(tmp_path, policy(
        '{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": ["kms:Decrypt"], "Resource": "*", '
        '"Condition": {"StringEquals": {"kms:CallerAccount": "111122223333", '
        '"kms:ViaService": "ebs.us-east-1.amazonaws.com"}}}'))
    assert check(capsys, path) == []


def test_findings_inside_a_policy_string_point_into_the_string(capsys: Cap, tmp_path: pathlib.Path) -> None:
    path, text = key_policy_output(tmp_path, policy(ROOT, public()))
    [finding] = check(capsys, path)
    assert finding["rule"] == "KMS201"
    assert (finding["line"], finding["column"]) == at(text, '\\"*\\"', 2)
    assert (finding["end_line"], finding["end_column"]) == (finding["line"], finding["column"] + 5)


@pytest.mark.parametrize("statements, kind", [
    ([{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}], "identity"),
    ([{"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}], "key"),
    ([{"Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*"}], "guardrail"),
    ([{"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt",
       "Resource": "arn:aws:kms:us-east-1:111122223333:key/*"}], "key-or-endpoint"),
    ([{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
       "Action": "sts:AssumeRole"}], None),
])
def test_kind_of_a_raw_document(statements: list[object], kind: str | None) -> None:
    assert decide_kind(statements) == kind


def endpoint_template(service: str) -> str:
    return json.dumps({"Resources": {"Endpoint": {"Type": "AWS::EC2::VPCEndpoint", "Properties": {
        "ServiceName": service, "VpcId": "vpc-1a2b3c4d",
        "PolicyDocument": {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt",
                                          "Resource": "arn:aws:kms:us-east-1:111122223333:key/*"}]}}}}},
        indent=2)


def test_kms201_on_kms_endpoint_policies_only(capsys: Cap, tmp_path: pathlib.Path) -> None:
    kms = endpoint_template("com.amazonaws.us-east-1.kms")
    [finding] = check(capsys, write(tmp_path, "kms.template.json", kms))
    assert (finding["rule"], finding["policy_kind"]) == ("KMS201", "endpoint")
    assert (finding["line"], finding["column"]) == at(kms, '"*"')
    s3 = endpoint_template("com.amazonaws.us-east-1.s3")
    assert check(capsys, write(tmp_path, "s3.template.json", s3)) == []


# Statement interplay --------------------------------------------------------------------------

def deny_unless(condition: str, action: str = '"kms:*"') -> str:
    return (f'{{"Effect": "Deny", "Principal": "*", "Action": {action}, "Resource": "*", '
            f'"Condition": {condition}}}')


@pytest.mark.parametrize("condition", [
    '{"StringNotEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}',
    '{"StringNotEquals": {"aws:PrincipalAccount": ["111122223333", "444455556666"]}}',
    '{"ForAnyValue:StringNotLike": {"aws:PrincipalOrgPaths": "o-a1b2c3d4e5/r-ab12/*"}}',
])
def test_kms201_allow_to_everyone_confined_by_a_deny(capsys: Cap, tmp_path: pathlib.Path,
                                                     condition: str) -> None:
    assert run(capsys, tmp_path, policy(ROOT, public(), deny_unless(condition))) == []


@pytest.mark.parametrize("deny", [
    # Principals outside any organization have no aws:PrincipalOrgID: IfExists lets them in.
    deny_unless('{"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}'),
    # The Deny covers other actions than the Allow grants.
    deny_unless('{"StringNotEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}', '"kms:Encrypt"'),
    deny_unless('{"StringNotLike": {"aws:PrincipalAccount": "*"}}'),
])
def test_kms201_denies_that_do_not_confine(capsys: Cap, tmp_path: pathlib.Path, deny: str) -> None:
    text = policy(ROOT, public(), deny)
    assert run(capsys, tmp_path, text) == [("KMS201", *at(text, '"*"', 2), "error")]


@pytest.mark.parametrize("condition", [
    '{"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/Admin"}}',
    '{"ArnLike": {"aws:PrincipalArn": ["arn:aws:iam::111122223333:role/Admin", "arn:aws:iam::*:role/Ops"]}}',
    '{"StringLike": {"aws:PrincipalArn": "arn:aws:iam::1111*:role/Admin"}}',
    '{"ArnLike": {"aws:SourceArn": "arn:aws:logs:us-east-1:*:log-group:*"}}',
])
def test_kms201_an_arn_pins_only_with_an_account(capsys: Cap, tmp_path: pathlib.Path,
                                                 condition: str) -> None:
    text = policy(ROOT, public(condition))
    assert run(capsys, tmp_path, text) == [("KMS201", *at(text, '"*"', 2), "error")]


def test_kms201_resource_org_equal_to_principal_org_pins_the_caller(capsys: Cap, tmp_path: pathlib.Path) -> None:
    condition = '{"StringEquals": {"aws:ResourceOrgID": "${aws:PrincipalOrgID}"}}'
    assert run(capsys, tmp_path, policy(ROOT, public(condition))) == []
    # Without "Version": "2012-10-17" the variable is literal text, which pins nothing.
    text = policy(ROOT, public(condition), version='"2008-10-17"')
    assert run(capsys, tmp_path, text) == [("KMS201", *at(text, '"*"', 2), "error")]
    text = policy(ROOT, public('{"StringEquals": {"aws:ResourceOrgID": "o-a1b2c3d4e5"}}'))
    assert run(capsys, tmp_path, text) == [("KMS201", *at(text, '"*"', 2), "error")]


def test_kms201_endpoint_statement_for_aws_services_is_exempt(capsys: Cap, tmp_path: pathlib.Path) -> None:
    document = {"Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*",
         "Condition": {"Bool": {"aws:PrincipalIsAWSService": "true"}}},
        {"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}]}
    template = json.dumps({"Resources": {"Endpoint": {"Type": "AWS::EC2::VPCEndpoint", "Properties": {
        "ServiceName": "com.amazonaws.us-east-1.kms", "VpcId": "vpc-1a2b3c4d",
        "PolicyDocument": document}}}}, indent=2)
    findings = check(capsys, write(tmp_path, "kms.template.json", template))
    assert [(f["rule"], f["line"], f["column"]) for f in findings] == [
        ("KMS201", *at(template, '"*"', 3)), ("KMS311", *at(template, '"*"', 4))]
