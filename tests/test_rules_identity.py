"""Identity policy rules (KMS101-KMS113): what fires, at which element, at which severity."""
from __future__ import annotations

import pathlib

import pytest

from tests.helpers import at, check, located, policy, write

KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
Cap = pytest.CaptureFixture[str]


def run(capsys: Cap, tmp_path: pathlib.Path, text: str, *args: str) -> list[tuple[str, int, int, str]]:
    return located(check(capsys, write(tmp_path, "policy.json", text), *args))


def stmt(action: str, resource: str = '"*"', effect: str = "Allow", extra: str = "") -> str:
    return f'{{"Effect": "{effect}", "Action": {action}, "Resource": {resource}{extra}}}'


# KMS101 -----------------------------------------------------------------------------------------

def test_kms101_cross_account_use_on_star_is_an_error_at_the_resource(capsys: Cap, tmp_path: pathlib.Path) -> None:
    text = policy(stmt('["kms:Decrypt", "kms:GenerateDataKey"]'))
    assert run(capsys, tmp_path, text) == [("KMS101", *at(text, '"*"'), "error")]


def test_kms101_message_names_actions_and_reach(capsys: Cap, tmp_path: pathlib.Path) -> None:
    text = policy(stmt('"kms:Get*"'))
    [finding] = check(capsys, write(tmp_path, "p.json", text))
    assert finding["message"].startswith(
        'kms:Get* (kms:GetKeyLastUsage, kms:GetKeyPolicy, kms:GetKeyRotationStatus (+2 more)) on '
        '"Resource": "*" reach any KMS key, in any account')
    assert finding["severity"] == "warning"  # metadata and management, no cross-account use
    assert finding["pointer"] == "/Statement/0/Resource"
    assert finding["policy_kind"] == "identity"


def test_kms101_read_only_metadata_is_a_warning(capsys: Cap, tmp_path: pathlib.Path) -> None:
    text = policy(stmt('["kms:DescribeKey", "kms:ListGrants"]'))
    assert run(capsys, tmp_path, text) == [("KMS101", *at(text, '"*"'), "warning")]


@pytest.mark.parametrize("action", ['"kms:CreateKey"', '"kms:ListKeys"', '"kms:ListAliases"',
                                    '"kms:GenerateRandom"', '"kms:CreateAlias"',
                                    '["kms:UpdateAlias", "kms:DeleteAlias"]', '"s3:GetObject"'])
def test_kms101_not_for_star_only_alias_or_other_services(capsys: Cap, tmp_path: pathlib.Path,
                                                          action: str) -> None:
    text = policy(stmt(action, extra=', "Condition": {"StringEquals": {"kms:KeySpec": "X"}}'))
    assert [f for f in run(capsys, tmp_path, text) if f[0] == "KMS101"] == []


def test_kms101_deny_is_never_reported(capsys: Cap, tmp_path: pathlib.Path) -> None:
    assert run(capsys, tmp_path, policy(stmt('"kms:Decrypt"', effect="Deny"))) == []


@pytest.mark.parametrize("condition", [
    '{"StringEquals": {"aws:resourceorgid": "o-a1b2c3d4e5"}}',
    '{"ForAnyValue:StringLike": {"aws:ResourceOrgPaths": "o-a1b2c3d4e5/r-ab12/*"}}',
    '{"StringLike": {"aws:ResourceAccount": "1111*"}}',
])
def test_kms101_resource_perimeter_lowers_error_to_warning(capsys: Cap, tmp_path: pathlib.Path,
                                                           condition: str) -> None:
    text = policy(stmt('"kms:Decrypt"', extra=f', "Condition": {condition}'))
    [finding] = check(capsys, write(tmp_path, "p.json", text))
    assert (finding["rule"], finding["line"], finding["column"], finding["severity"]) == (
        "KMS101", *at(text, '"*"'), "warning")
    assert "admits, not only the keys this principal needs" in finding["message"]


# One perimeter, one verdict: pinned to the caller's own account or organization, or to named
# accounts, a statement on "*" or on a wildcard-account pattern is the same as
# arn:aws:kms:*:ACCOUNT:key/*.
_PINNED = [
    '{"StringEquals": {"aws:ResourceAccount": "111122223333"}}',
    '{"StringEquals": {"aws:ResourceAccount": ["111122223333", "444455556666"]}}',
    '{"StringEquals": {"aws:ResourceAccount": "${aws:PrincipalAccount}"}}',
    '{"StringEquals": {"aws:ResourceOrgID": "${aws:PrincipalOrgID}"}}',
    '{"ForAnyValue:StringLike": {"aws:ResourceOrgPaths": "${aws:PrincipalOrgID}/*"}}',
    '{"StringEquals": {"aws:ResourceOrgID": "o-a1b2c3d4e5", "aws:ResourceAccount": "${aws:PrincipalAccount}"}}',
]


@pytest.mark.parametrize("condition", _PINNED)
@pytest.mark.parametrize("resource", ['"*"', '"arn:aws:kms:*:*:key/*"', '"arn:aws:kms:us-east-1:*:*"'])
def test_perimeter_pinned_to_accounts_is_no_kms101_and_no_kms104(
        capsys: Cap, tmp_path: pathlib.Path, condition: str, resource: str) -> None:
    text = policy(stmt('["kms:Decrypt", "kms:DescribeKey"]', resource, extra=f', "Condition": {condition}'))
    assert run(capsys, tmp_path, text) == []


def test_perimeter_variable_without_version_is_literal_text(capsys: Cap, tmp_path: pathlib.Path) -> None:
    # No "Version": "2012-10-17": ${aws:PrincipalAccount} is literal text, which names no
    # account of ours; the perimeter is closed but not known to be the caller's own.
    text = policy(stmt('"kms:Decrypt"', extra=', "Condition": {"StringEquals": '
                                              '{"aws:ResourceAccount": "${aws:PrincipalAccount}"}}'),
                  version='"2008-10-17"')
    assert run(capsys, tmp_path, text) == [("KMS101", *at(text, '"*"'), "warning")]


@pytest.mark.parametrize("key, value", [("aws:ResourceAccount", "${aws:PrincipalAccount}"),
                                        ("aws:ResourceOrgID", "${aws:PrincipalOrgID}"),
                                        ("aws:ResourceAccount", "111122223333")])
def test_perimeter_deny_in_the_same_policy_pins_like_a_condition(
        capsys: Cap, tmp_path: pathlib.Path, key: str, value: str) -> None:
    text = policy(
        stmt('"kms:Decrypt"'),
        stmt('"kms:Decrypt"', '"arn:aws:kms:*:*:key/*"'),
        stmt('"kms:*"', effect="Deny",
             extra=f', "Condition": {{"StringNotEquals": {{"{key}": "{value}"}}}}'),
    )
    assert run(capsys, tmp_path, text) == []


def test_perimeter_kms101_and_kms104_agree_on_an_organization(capsys: Cap, tmp_path: pathlib.Path) -> None:
    condition = ', "Condition": {"StringEquals": {"aws:ResourceOrgID": "o-a1b2c3d4e5"}}'
    text = policy(stmt('"kms:Decrypt"', '["*", "arn:aws:kms:*:*:key/*"]', extra=condition))
    findings = check(capsys, write(tmp_path, "p.json", text))
    assert located(findings) == [("KMS101", *at(text, '"*"'), "warning"),
                                 ("KMS104", *at(text, '"arn:aws:kms:*:*:key/*"'), "warning")]
    assert all("aws:ResourceOrgID o-a1b2c3d4e5 admits" in f["message"] for f in findings)


def test_perimeter_literal_accounts_are_kms105_when_untrusted(capsys: Cap, tmp_path: pathlib.Path) -> None:
    text = policy(
        stmt('"kms:Decrypt"', extra=', "Condition": {"StringEquals": {"aws:ResourceAccount": '
                                    '["111122223333", "444455556666"]}}'),
        stmt('"kms:*"', effect="Deny",
             extra=', "Condition": {"StringNotEquals": {"aws:ResourceAccount": "777788889999"}}'))
    assert run(capsys, tmp_path, text) == []
    findings = check(capsys, write(tmp_path, "policy.json", text), "--trusted-account", "111122223333")
    assert located(findings) == [("KMS105", *at(text, '"444455556666"'), "warning"),
                                 ("KMS105", *at(text, '"777788889999"'), "warning")]
    assert "resource perimeter admits keys in account 444455556666" in findings[0]["message"]


@pytest.mark.parametrize("condition", [
    '{"StringEqualsIfExists": {"aws:ResourceAccount": "111122223333"}}',
    '{"StringNotEquals": {"aws:ResourceAccount": "111122223333"}}',
    '{"StringLike": {"aws:ResourceAccount": "*"}}',
    '{"StringEquals": {"aws:ResourceOrgPaths": "o-a1b2c3d4e5/*"}}',
    '{"StringEquals": {"aws:ResourceTag/team": "data"}}',
    '{"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}',
    '{"StringEquals": {"kms:CallerAccount": "111122223333"}}',
])
def test_kms101_conditions_that_do_not_close_the_perimeter(capsys: Cap, tmp_path: pathlib.Path,
                                                           condition: str) -> None:
    text = policy(stmt('"kms:Decrypt"', extra=f', "Condition": {condition}'))
    assert run(capsys, tmp_path, text) == [("KMS101", *at(text, '"*"'), "error")]


def test_kms101_data_perimeter_deny_in_the_same_policy_closes_it(capsys: Cap, tmp_path: pathlib.Path) -> None:
    text = policy(
        stmt('"kms:Decrypt"'),
        stmt('"kms:*"', effect="Deny",
             extra=', "Condition": {"StringNotEqualsIfExists": {"aws:ResourceOrgID": "o-a1b2c3d4e5"}}'),
    )
    assert run(capsys, tmp_path, text) == [("KMS101", *at(text, '"*"'), "warning")]


def test_kms101_not_in_a_key_policy(capsys: Cap, tmp_path: pathlib.Path) -> None:
    text = policy('{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, '
                  '"Action": "kms:*", "Resource": "*"}')
    assert run(capsys, tmp_path, text) == []


# KMS102 / KMS103 --------------------------------------------------------------------------------

@pytest.mark.parametrize("resource", [
    "1234abcd-12ab-34cd-56ef-1234567890ab",
    "mrk-1234abcd12ab34cd56ef1234567890ab",
])
def test_kms102_bare_key_id(capsys: Cap, tmp_path: pathlib.Path, resource: str) -> None:
    text = policy(stmt('"kms:Decrypt"', f'["{KEY}", "{resource}"]'))
    [finding] = check(capsys, write(tmp_path, "p.json", text))
    assert (finding["rule"], finding["line"], finding["column"]) == ("KMS102", *at(text, f'"{resource}"'))
    assert "grants nothing" in finding["message"]


@pytest.mark.parametrize("resource, why", [
    ("arn:aws:kms:us-east-1:111122223333:1234abcd-12ab-34cd-56ef-1234567890ab", "no key/"),
    ("arn:aws:kms:us-east-1::key/1234abcd-12ab-34cd-56ef-1234567890ab", "account is empty"),
    ("arn:aws:kms:us-east-1:111122223333:key/", "key id is empty"),
])
def test_kms102_malformed_kms_arn(capsys: Cap, tmp_path: pathlib.Path, resource: str, why: str) -> None:
    text = policy(stmt('"kms:Decrypt"', f'"{resource}"'))
    [finding] = check(capsys, write(tmp_path, "p.json", text))
    assert (finding["rule"], finding["line"], finding["column"]) == ("KMS102", *at(text, f'"{resource}"'))
    assert why in finding["message"]


def test_kms102_in_a_deny_says_it_denies_nothing(capsys: Cap, tmp_path: pathlib.Path) -> None:
    text = policy(stmt('"kms:Decrypt"', '"1234abcd-12ab-34cd-56ef-1234567890ab"', effect="Deny"))
    [finding] = check(capsys, write(tmp_path, "p.json", text))
    assert finding["rule"] == "KMS102" and "denies nothing" in finding["message"]


def test_kms103_alias_name_and_alias_arn(capsys: Cap, tmp_path: pathlib.Path) -> None:
    alias_arn = "arn:aws:kms:us-east-1:111122223333:alias/app"
    text = policy(stmt('"kms:Decrypt"', f'["alias/app", "{alias_arn}"]'))
    assert run(capsys, tmp_path, text) == [
        ("KMS103", *at(text, '"alias/app"'), "error"),
        ("KMS103", *at(text, f'"{alias_arn}"'), "error"),
    ]


def test_kms103_alias_arn_is_right_for_alias_operations(capsys: Cap, tmp_path: pathlib.Path) -> None:
    text = policy(stmt('"kms:CreateAlias"',
                       f'["arn:aws:kms:us-east-1:111122223333:alias/app", "{KEY}"]'))
    assert run(capsys, tmp_path, text) == []


# KMS104 -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("pattern", ["arn:aws:kms:*:*:key/*", "arn:aws:kms:us-east-1:*:*",
                                     "arn:*:kms:*:*:*", "arn:aws:kms:*", "arn:aws:kms:us-*",
                                     "arn:aws-us-gov:kms:*:*:key/*"])
def test_kms104_any_account_pattern(capsys: Cap, tmp_path: pathlib.Path, pattern: str) -> None:
    text = policy(stmt('"kms:Decrypt"', f'"{pattern}"'))
    assert run(capsys, tmp_path, text) == [("KMS104", *at(text, f'"{pattern}"'), "error")]


@pytest.mark.parametrize("pattern", ["arn:aws:kms:*:111122223333:key/*",
                                     "arn:aws:kms:us-east-1:111122223333:key/*",
                                     "arn:aws:kms:*:${aws:PrincipalAccount}:key/*"])
def test_kms104_not_for_a_pattern_fixed_to_one_account(capsys: Cap, tmp_path: pathlib.Path,
                                                       pattern: str) -> None:
    assert run(capsys, tmp_path, policy(stmt('"kms:Decrypt"', f'"{pattern}"'))) == []


def test_kms104_warning_for_metadata_and_pinned_perimeter(capsys: Cap, tmp_path: pathlib.Path) -> None:
    text = policy(stmt('"kms:DescribeKey"', '"arn:aws:kms:*:*:key/*"'),
                  stmt('"kms:Decrypt"', '"arn:aws:kms:*:*:key/*"',
                       extra=', "Condition": {"StringEquals": {"aws:ResourceAccount": "111122223333"}}'))
    assert run(capsys, tmp_path, text) == [("KMS104", *at(text, '"arn:aws:kms:*:*:key/*"'), "warning")]


@pytest.mark.parametrize("pattern", ["arn:aws:kms:*:*:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                                     "arn:aws:kms:*:*:key/mrk-1234abcd12ab34cd56ef1234567890ab",
                                     "arn:aws:kms:us-east-1:*:key/${aws:PrincipalTag/KmsKeyId}",
                                     "arn:*:kms:*:*:key/${aws:PrincipalTag/KmsKeyId}"])
def test_kms104_not_for_a_specific_key_behind_wildcards(capsys: Cap, tmp_path: pathlib.Path,
                                                       pattern: str) -> None:
    assert run(capsys, tmp_path, policy(stmt('"kms:Decrypt"', f'"{pattern}"'))) == []


@pytest.mark.parametrize("pattern", ["arn:aws:kms:*:*:key/mrk-*", "arn:aws:kms:*:*:key/1234abcd-*"])
def test_kms104_for_a_wildcard_key_id_part(capsys: Cap, tmp_path: pathlib.Path, pattern: str) -> None:
    text = policy(stmt('"kms:Decrypt"', f'"{pattern}"'))
    assert run(capsys, tmp_path, text) == [("KMS104", *at(text, f'"{pattern}"'), "error")]


# KMS105 -----------------------------------------------------------------------------------------

def test_kms105_only_with_trusted_accounts(capsys: Cap, tmp_path: pathlib.Path) -> None:
    other = "arn:aws:kms:us-east-1:444455556666:key/*"
    text = policy(stmt('"kms:Decrypt"', f'["{KEY}", "{other}"]'))
    assert run(capsys, tmp_path, text) == []
    assert run(capsys, tmp_path, text, "--trusted-account", "111122223333") == [
        ("KMS105", *at(text, f'"{other}"'), "warning")]


def test_kms105_key_policy_principal_of_an_untrusted_account(capsys: Cap, tmp_path: pathlib.Path) -> None:
    text = policy(
        '{"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::111122223333:root", '
        '"arn:aws:iam::444455556666:role/Reader", "777788889999"]}, '
        '"Action": "kms:*", "Resource": "*"}')
    assert run(capsys, tmp_path, text, "--trusted-account", "111122223333") == [
        ("KMS105", *at(text, '"arn:aws:iam::444455556666:role/Reader"'), "warning"),
        ("KMS105", *at(text, '"777788889999"'), "warning"),
    ]


def test_trusted_account_must_be_an_account_id(capsys: Cap, tmp_path: pathlib.Path) -> None:
    from kms_hooks.cli import main

    assert main(["--trusted-account", "12345", str(write(tmp_path, "p.json", "{}"))]) == 2
    assert "12-digit" in capsys.readouterr().err


# KMS106 / KMS107 / KMS108 -----------------------------------------------------------------------

def test_kms106_sensitive_actions_directly_and_through_wildcards(capsys: Cap, tmp_path: pathlib.Path) -> None:
    text = policy(stmt('["kms:PutKeyPolicy", "kms:Schedule*"]', f'"{KEY}"'))
    assert run(capsys, tmp_path, text) == [
        ("KMS106", *at(text, '"kms:PutKeyPolicy"'), "warning"),
        ("KMS106", *at(text, '"kms:Schedule*"'), "warning"),
    ]


def test_kms108_reports_every_kms_action_instead_of_kms106_and_kms107(capsys: Cap, tmp_path: pathlib.Path) -> None:
    text = policy(stmt('"kms:*"', '"arn:aws:kms:*:111122223333:key/*"'),
                  stmt('"*"', '"arn:aws:kms:*:111122223333:key/*"'))
    assert run(capsys, tmp_path, text) == [
        ("KMS108", *at(text, '"kms:*"'), "warning"),
        ("KMS108", *at(text, '"*"'), "warning"),
    ]


def test_kms107_create_key_without_condition_points_at_the_action(capsys: Cap, tmp_path: pathlib.Path) -> None:
    text = policy(stmt('["kms:Decrypt", "kms:CreateKey"]', f'"{KEY}"'),
                  stmt('["kms:Describe*", "kms:Create*"]'),
                  stmt('"kms:CreateKey"', extra=', "Condition": {"StringEquals": '
                                                '{"kms:KeySpec": "SYMMETRIC_DEFAULT"}}'))
    findings = check(capsys, write(tmp_path, "p.json", text))
    assert [f for f in located(findings) if f[0] == "KMS107"] == [
        ("KMS107", *at(text, '"kms:Create*"'), "warning")]
    [kms107] = [f for f in findings if f["rule"] == "KMS107"]
    assert "(through kms:Create*)" in kms107["message"]
    text = policy(stmt('"kms:CreateKey"'))
    assert run(capsys, tmp_path, text) == [("KMS107", *at(text, '"kms:CreateKey"'), "warning")]


# KMS109 -----------------------------------------------------------------------------------------

def test_kms109_not_action_and_not_resource_point_at_the_key(capsys: Cap, tmp_path: pathlib.Path) -> None:
    text = policy('{"Effect": "Allow", "NotAction": "iam:*", "Resource": "arn:aws:kms:us-east-1:111122223333:key/*"}',
                  '{"Effect": "Allow", "Action": "kms:Decrypt", "NotResource": "arn:aws:s3:::b"}')
    assert run(capsys, tmp_path, text) == [
        ("KMS109", *at(text, '"NotAction"'), "error"),
        ("KMS109", *at(text, '"NotResource"'), "error"),
    ]


def test_kms109_not_when_every_kms_action_is_excluded(capsys: Cap, tmp_path: pathlib.Path) -> None:
    text = policy('{"Effect": "Allow", "NotAction": ["kms:*", "iam:*"], "Resource": "*"}')
    assert run(capsys, tmp_path, text) == []


# KMS110 / KMS111 / KMS112 / KMS113 --------------------------------------------------------------

def test_kms110_star_only_action_on_specific_resources(capsys: Cap, tmp_path: pathlib.Path) -> None:
    text = policy(stmt('["kms:ListKeys", "kms:ListRetirableGrants", "kms:List*", "kms:Decrypt"]',
                       f'"{KEY}"'))
    assert run(capsys, tmp_path, text) == [("KMS110", *at(text, '"kms:ListKeys"'), "warning")]


def test_kms111_typo_is_an_error_unknown_is_a_warning(capsys: Cap, tmp_path: pathlib.Path) -> None:
    text = policy(stmt('["kms:Decrpyt", "kms:FrobnicateWidgets", "kms:Decrypt*", "s3:Nonsense"]',
                       f'"{KEY}"'))
    findings = check(capsys, write(tmp_path, "p.json", text))
    assert located(findings) == [
        ("KMS111", *at(text, '"kms:Decrpyt"'), "error"),
        ("KMS111", *at(text, '"kms:FrobnicateWidgets"'), "warning"),
    ]
    assert "did you mean kms:Decrypt?" in findings[0]["message"]


def test_kms112_alias_operation_on_aliases_only(capsys: Cap, tmp_path: pathlib.Path) -> None:
    alias = "arn:aws:kms:us-east-1:111122223333:alias/app-*"
    text = policy(stmt('"kms:CreateAlias"', f'"{alias}"'))
    assert run(capsys, tmp_path, text) == [("KMS112", *at(text, f'"{alias}"'), "note")]
    fixed = policy(stmt('"kms:CreateAlias"', f'["{alias}", "arn:aws:kms:us-east-1:111122223333:key/*"]'))
    assert run(capsys, tmp_path, fixed) == []


def test_kms113_create_grant_literal_without_grant_condition(capsys: Cap, tmp_path: pathlib.Path) -> None:
    text = policy(stmt('"kms:CreateGrant"', f'"{KEY}"'),
                  stmt('"kms:CreateGrant"', f'"{KEY}"',
                       extra=', "Condition": {"Bool": {"kms:GrantIsForAWSResource": true}}'),
                  stmt('"kms:Create*"', f'"{KEY}"',
                       extra=', "Condition": {"StringEquals": {"kms:KeySpec": "X"}}'))
    assert run(capsys, tmp_path, text) == [("KMS113", *at(text, '"kms:CreateGrant"'), "note")]


def test_lone_statement_is_a_fragment_checked_by_statement_rules(capsys: Cap, tmp_path: pathlib.Path) -> None:
    text = '{\n  "Effect": "Allow",\n  "Action": "kms:CreateAlias",\n  "Resource": "arn:aws:kms:us-east-1:111122223333:alias/a"\n}\n'
    assert run(capsys, tmp_path, text) == []  # KMS112 needs the whole policy
    text = '{"Effect": "Allow", "Action": "kms:Encrypt", "Resource": "*"}'
    assert run(capsys, tmp_path, text) == [("KMS101", 1, 58, "error")]


def test_select_and_ignore_by_prefix(capsys: Cap, tmp_path: pathlib.Path) -> None:
    text = policy(stmt('["kms:Decrypt", "kms:Decrpyt"]'))
    assert [f[0] for f in run(capsys, tmp_path, text, "--select", "KMS11")] == ["KMS111"]
    assert [f[0] for f in run(capsys, tmp_path, text, "--ignore", "KMS111")] == ["KMS101"]


def test_statements_on_other_services_resources_grant_no_kms_action(capsys: Cap, tmp_path: pathlib.Path) -> None:
    role = '"arn:aws:iam::111122223333:role/deployer"'
    text = policy(stmt('"*"', role), stmt('"kms:PutKeyPolicy"', role), stmt('"kms:CreateGrant"', role),
                  '{"Effect": "Allow", "NotAction": "iam:*", "Resource": ' + role + '}')
    assert run(capsys, tmp_path, text) == []


def test_kms111_truncated_action_suggests_the_actions_it_starts(capsys: Cap, tmp_path: pathlib.Path) -> None:
    text = policy(stmt('["kms:ReEncrypt", "kms:GenerateDataKeyPairWith"]', f'"{KEY}"'))
    findings = check(capsys, write(tmp_path, "p.json", text))
    assert located(findings) == [("KMS111", *at(text, '"kms:ReEncrypt"'), "error"),
                                 ("KMS111", *at(text, '"kms:GenerateDataKeyPairWith"'), "error")]
    assert findings[0]["message"] == ("kms:ReEncrypt is not a KMS action: did you mean "
                                      "kms:ReEncryptFrom or kms:ReEncryptTo (or kms:ReEncrypt*)?")
    assert "kms:GenerateDataKeyPairWithoutPlaintext (or" in findings[1]["message"]


@pytest.mark.parametrize("resource", ["arn:aws:kms:${aws:RequestedRegion}:111122223333:key/*",
                                      "arn:aws:kms:us-east-1:111122223333:key/${aws:PrincipalTag/KmsKeyId}"])
def test_kms102_policy_variable_without_version_is_literal_text(capsys: Cap, tmp_path: pathlib.Path,
                                                                resource: str) -> None:
    text = policy(stmt('"kms:Decrypt"', f'"{resource}"'), version='"2008-10-17"')
    findings = check(capsys, write(tmp_path, "p.json", text))
    assert located(findings) == [("KMS102", *at(text, f'"{resource}"'), "error")]
    assert 'is literal text here, not a policy variable, because the policy has no "Version": ' \
           '"2012-10-17"' in findings[0]["message"]
    # With the version it is a variable: one key, or keys of this account.
    assert run(capsys, tmp_path, policy(stmt('"kms:Decrypt"', f'"{resource}"'))) == []


PERIMETER_TF = """\
data "aws_caller_identity" "current" {}

data "aws_iam_policy_document" "reader" {
  statement {
    actions   = ["kms:Decrypt"]
    resources = ["*", "arn:aws:kms:*:*:key/*"]
    condition {
      test     = "StringEquals"
      variable = "aws:ResourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
  statement {
    actions   = ["kms:Encrypt"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "aws:ResourceOrgID"
      values   = [var.org_id]
    }
  }
}

resource "aws_iam_policy" "reader" {
  policy = data.aws_iam_policy_document.reader.json
}
"""


def test_perimeter_on_this_account_in_terraform(capsys: Cap, tmp_path: pathlib.Path) -> None:
    # The caller identity's account is this account: no KMS101, no KMS104, and never KMS105.
    # An organization from a variable closes the perimeter without saying whose it is.
    findings = check(capsys, write(tmp_path, "main.tf", PERIMETER_TF), "--trusted-account", "111122223333")
    assert located(findings) == [("KMS101", *at(PERIMETER_TF, '"*"', 2), "warning")]
    assert "every KMS key that aws:ResourceOrgID var.org_id admits" in findings[0]["message"]


@pytest.mark.parametrize("rule_id, heading", [
    ("KMS204", 'AWS KMS Developer Guide: "Least-privilege permissions" and "Default key policy"'),
    ("KMS205", 'AWS KMS Developer Guide: "Least-privilege permissions"'),
    ("KMS114", "IAM User Guide: \"Single-valued vs. multivalued context keys\""),
])
def test_new_rules_explain_their_aws_guidance(capsys: Cap, rule_id: str, heading: str) -> None:
    from kms_hooks.cli import main

    assert main(["--explain", rule_id]) == 0
    out = capsys.readouterr().out
    assert out.startswith(rule_id) and "Bad" in out and "Good" in out
    assert heading in " ".join(out.split())
