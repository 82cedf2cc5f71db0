"""KMS202 reads principals written as references to roles and users of the same template or
module as roles and users, and leaves AWS managed key policies alone."""
from __future__ import annotations

import json
import pathlib

import pytest

from tests.helpers import at, check, located, policy, write

Cap = pytest.CaptureFixture[str]

TEMPLATE = """\
Resources:
  AdminRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {Statement: []}
  Operator:
    Type: AWS::IAM::User
  Rotator:
    Type: AWS::Lambda::Function
  DataKey:
    Type: AWS::KMS::Key
    Properties:
      KeyPolicy:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal:
              AWS: [!GetAtt AdminRole.Arn, !Sub "${Operator.Arn}"]
            Action: kms:*
            Resource: "*"
  OtherKey:
    Type: AWS::KMS::Key
    Properties:
      KeyPolicy:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal:
              AWS: !GetAtt Rotator.Arn
            Action: kms:*
            Resource: "*"
"""


def test_cloudformation_role_and_user_references_are_iam_identities(capsys: Cap,
                                                                   tmp_path: pathlib.Path) -> None:
    findings = check(capsys, write(tmp_path, "template.yaml", TEMPLATE))
    # OtherKey's principal is a function's ARN: not known to be a role or user, so no word.
    assert located(findings) == [("KMS202", *at(TEMPLATE, "Effect: Allow"), "warning")]
    assert findings[0]["message"].startswith(
        "Resources/DataKey: only IAM users or roles may change this key policy")


HCL = """\
resource "aws_iam_role" "admin" {
  name = "key-admin"
}

resource "aws_iam_user" "operator" {
  name = "operator"
}

data "aws_iam_policy_document" "key" {
  statement {
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = [aws_iam_role.admin.arn, aws_iam_user.operator.arn]
    }
  }
}

resource "aws_kms_key" "data" {
  policy = data.aws_iam_policy_document.key.json
}
"""


def test_terraform_role_and_user_references_are_iam_identities(capsys: Cap,
                                                              tmp_path: pathlib.Path) -> None:
    findings = check(capsys, write(tmp_path, "main.tf", HCL))
    assert located(findings) == [("KMS202", *at(HCL, "statement {"), "warning")]
    assert findings[0]["message"].startswith(
        "data.aws_iam_policy_document.key (the policy of aws_kms_key.data): only IAM users or "
        "roles may change this key policy")


def test_terraform_account_principal_keeps_it(capsys: Cap, tmp_path: pathlib.Path) -> None:
    text = HCL.replace("aws_iam_user.operator.arn",
                       '"arn:aws:iam::${data.aws_caller_identity.current.account_id}:root"')
    text += 'data "aws_caller_identity" "current" {}\n'
    assert check(capsys, write(tmp_path, "main.tf", text)) == []


def test_aws_managed_key_policy_is_not_judged(capsys: Cap, tmp_path: pathlib.Path) -> None:
    document = policy(
        '{"Sid": "Allow access through EBS for all principals in the account that are authorized '
        'to use EBS", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": ["kms:Encrypt", '
        '"kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:CreateGrant", '
        '"kms:DescribeKey"], "Resource": "*", "Condition": {"StringEquals": {"kms:ViaService": '
        '"ec2.us-east-1.amazonaws.com", "kms:CallerAccount": "111122223333"}}}',
        '{"Sid": "Allow direct access to key metadata to the account", "Effect": "Allow", '
        '"Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": ["kms:Describe*", '
        '"kms:Get*", "kms:List*", "kms:RevokeGrant"], "Resource": "*"}')
    output = json.dumps({"Policy": document, "PolicyName": "default"}, indent=4) + "\n"
    assert check(capsys, write(tmp_path, "key-policy.json", output)) == []
    # The same metadata statement alone is a customer's key policy that nobody can change.
    alone = policy(
        '{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, '
        '"Action": ["kms:Describe*", "kms:Get*"], "Resource": "*"}')
    output = json.dumps({"Policy": alone, "PolicyName": "default"}, indent=4) + "\n"
    assert [f["rule"] for f in check(capsys, write(tmp_path, "key-policy.json", output))] == ["KMS202"]
