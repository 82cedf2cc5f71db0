"""Inputs read as what they are: Organizations policies as guardrails, the service of a VPC
endpoint through data.aws_vpc_endpoint_service, what a dynamic statement writes without its
iterator, and a SAM KeyId that is an alias."""
from __future__ import annotations

import json
import pathlib

import pytest

from tests.helpers import at, check, located, write

Cap = pytest.CaptureFixture[str]


def describe_policy(policy_type: str, content: str) -> str:
    return json.dumps({"Policy": {
        "PolicySummary": {"Id": "p-examplepolicyid111", "Name": "KeyGuardrail",
                          "Type": policy_type, "AwsManaged": False},
        "Content": content}}, indent=4) + "\n"


def test_organizations_describe_policy_is_a_guardrail(capsys: Cap, tmp_path: pathlib.Path) -> None:
    content = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Action": ["kms:ScheduleKeyDeletion", "kms:Decrpyt"], "Resource": "*"},
        {"Effect": "Allow", "Action": "*", "Resource": "*"}]})
    text = describe_policy("SERVICE_CONTROL_POLICY", content)
    findings = check(capsys, write(tmp_path, "scp.json", text))
    # A guardrail grants nothing: only the structural rules and KMS111 read it.
    assert located(findings) == [("KMS111", *at(text, '\\"kms:Decrpyt'), "error")]
    assert findings[0]["policy_kind"] == "guardrail"
    assert findings[0]["pointer"] == "/Policy/Content/Statement/0/Action/1"


def test_other_organizations_policies_and_policy_objects_are_not_key_policies(
        capsys: Cap, tmp_path: pathlib.Path) -> None:
    tag_policy = describe_policy("TAG_POLICY", json.dumps({"tags": {"team": {}}}))
    assert check(capsys, write(tmp_path, "tag.json", tag_policy)) == []
    # A `Policy` that is an object is not get-key-policy output (whose Policy is a string).
    other = json.dumps({"Policy": {"Statement": "described elsewhere", "Name": "x"}}) + "\n"
    assert check(capsys, write(tmp_path, "other.json", other)) == []


ENDPOINTS = """\
data "aws_vpc_endpoint_service" "kms" {
  service = "kms"
}

data "aws_vpc_endpoint_service" "s3" {
  service = "s3"
}

resource "aws_vpc_endpoint" "kms" {
  vpc_id       = "vpc-1a2b3c4d"
  service_name = data.aws_vpc_endpoint_service.kms.service_name
}

resource "aws_vpc_endpoint" "s3" {
  vpc_id       = "vpc-1a2b3c4d"
  service_name = data.aws_vpc_endpoint_service.s3.service_name
  policy = jsonencode({
    Statement = [{ Effect = "Allow", Principal = "*", Action = "*", Resource = "*" }]
  })
}
"""


def test_endpoint_service_through_the_data_source(capsys: Cap, tmp_path: pathlib.Path) -> None:
    # The KMS endpoint without a policy is reported; the S3 endpoint's policy is not KMS's.
    assert located(check(capsys, write(tmp_path, "main.tf", ENDPOINTS))) == [
        ("KMS311", *at(ENDPOINTS, 'resource "aws_vpc_endpoint" "kms"'), "warning")]


DYNAMIC = """\
data "aws_iam_policy_document" "reader" {
  dynamic "statement" {
    for_each = var.readers
    content {
      sid       = statement.value.sid
      actions   = ["kms:Decrypt"]
      resources = ["*"]
    }
  }
  dynamic "statement" {
    for_each = var.readers
    iterator = reader
    content {
      actions   = reader.value.actions
      resources = ["*"]
    }
  }
  dynamic "statement" {
    for_each = var.readers
    content {
      actions   = ["kms:Decrypt"]
      resources = ["*"]
      dynamic "condition" {
        for_each = statement.value.conditions
        content {
          test     = condition.value.test
          variable = condition.value.variable
          values   = condition.value.values
        }
      }
    }
  }
}

resource "aws_iam_policy" "reader" {
  policy = data.aws_iam_policy_document.reader.json
}
"""


def test_dynamic_statement_content_without_the_iterator_is_checked(
        capsys: Cap, tmp_path: pathlib.Path) -> None:
    # The first content's actions and resources are literal; the second's actions come from
    # the iterator (unknown); the third may carry conditions that are not known here.
    assert located(check(capsys, write(tmp_path, "main.tf", DYNAMIC))) == [
        ("KMS101", *at(DYNAMIC, '"*"'), "error")]


SAM = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  DataKey:
    Type: AWS::KMS::Key
  DataAlias:
    Type: AWS::KMS::Alias
    Properties:
      AliasName: alias/data
      TargetKeyId: !Ref DataKey
  Reader:
    Type: AWS::Serverless::Function
    Properties:
      Handler: index.handler
      Runtime: python3.12
      CodeUri: .
      Policies:
        - KMSDecryptPolicy:
            KeyId: !Ref DataAlias
        - KMSEncryptPolicy:
            KeyId: alias/other
        - KMSDecryptPolicy:
            KeyId: !Ref DataKey
"""


def test_sam_key_id_that_is_an_alias(capsys: Cap, tmp_path: pathlib.Path) -> None:
    findings = check(capsys, write(tmp_path, "template.yaml", SAM))
    assert located(findings) == [("KMS103", *at(SAM, "!Ref DataAlias"), "error"),
                                 ("KMS103", *at(SAM, "alias/other"), "error")]
    assert findings[0]["message"] == (
        "Resources/Reader: KMSDecryptPolicy with KeyId !Ref DataAlias is the alias alias/data, "
        "which IAM never matches where a key belongs; use KeyId: the key id (Ref of the key, or "
        "its KeyId attribute)")
