"""A policy written as a string in a place where a policy belongs, that is not valid JSON, is
KMS001 at the place where the parser stopped; strings elsewhere stay quiet."""
from __future__ import annotations

import json
import pathlib

import pytest

from tests.helpers import at, check, located, write

Cap = pytest.CaptureFixture[str]

HEREDOC = """\
resource "aws_kms_key" "data" {
  description = <<-EOF
    {not json, and not a policy either
  EOF
  policy = <<-EOF
    {
      "Version": "2012-10-17",
      "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:*", "Resource": "*"},
      ]
    }
  EOF
}

resource "aws_iam_policy" "reader" {
  policy = "{\\"Version\\": \\"2012-10-17\\", \\"Statement\\": [{\\"Effect\\": \\"Allow\\" \\"Action\\": \\"kms:Decrypt\\"}]}"
}

resource "aws_iam_policy" "rendered" {
  policy = <<-EOF
    {"Version": "2012-10-17", "Statement": ${var.statements}}
  EOF
}
"""


def test_terraform_policy_strings_that_do_not_parse(capsys: Cap, tmp_path: pathlib.Path) -> None:
    findings = check(capsys, write(tmp_path, "main.tf", HEREDOC))
    # The heredoc: the `]` after the trailing comma, through the indentation `<<-` removes.
    # The quoted string: the `\"Action` where a comma belongs, through the escapes.
    # The rendered one may be JSON once Terraform renders it: not known here, quiet.
    assert located(findings) == [
        ("KMS001", *at(HEREDOC, "]\n    }\n  EOF"), "error"),
        ("KMS001", *at(HEREDOC, '\\"Action'), "error"),
    ]
    assert findings[0]["message"] == (
        "aws_kms_key.data: the policy string is not valid JSON (invalid JSON: Expecting value): "
        "AWS rejects it, and nothing in it was checked")
    assert "Expecting ',' delimiter" in findings[1]["message"]


TEMPLATE = """\
Resources:
  ReaderPolicy:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument: '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": *}]}'
  Topic:
    Type: AWS::SNS::Topic
    Properties:
      DisplayName: '{"not": json'
"""


def test_cloudformation_policy_string_that_does_not_parse(capsys: Cap, tmp_path: pathlib.Path) -> None:
    findings = check(capsys, write(tmp_path, "template.yaml", TEMPLATE))
    assert located(findings) == [("KMS001", *at(TEMPLATE, '*}]}'), "error")]
    assert findings[0]["message"].startswith("Resources/ReaderPolicy: the policy string is not "
                                             "valid JSON (invalid JSON: Expecting value)")


def test_get_key_policy_string_that_does_not_parse(capsys: Cap, tmp_path: pathlib.Path) -> None:
    document = '{"Version": "2012-10-17",\n "Statement": [\n  {"Effect": "Allow",}]}'
    text = json.dumps({"Policy": document, "PolicyName": "default"}, indent=4) + "\n"
    findings = check(capsys, write(tmp_path, "key-policy.json", text))
    assert located(findings) == [("KMS001", *at(text, '}]}'), "error")]
    assert findings[0]["pointer"] == "/Policy"
    # A string that does not set out to be JSON is not a broken policy.
    text = json.dumps({"Policy": "default", "PolicyName": "default"}) + "\n"
    assert check(capsys, write(tmp_path, "key-policy.json", text)) == []
