"""The grant and endpoint rules (KMS301, KMS302, KMS311), through Terraform configuration."""
from __future__ import annotations

import json
import pathlib
from typing import Any

import pytest

from kms_hooks.cli import main_terraform


def check(tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str],
          resources: dict[str, Any], *options: str) -> list[str]:
    """`RULE line:col` of each finding for a configuration of these resources."""
    path = tmp_path / "main.tf.json"
    path.write_text(json.dumps({"resource": resources}, indent=2))
    main_terraform([*options, str(path)])
    found = []
    for line in capsys.readouterr().out.splitlines():
        location, rule = line.split(": ")[0], line.split(" ")[1]
        found.append(f"{rule} {location.rsplit(':', 2)[1]}:{location.rsplit(':', 2)[2]}")
    return found


def grant(**arguments: Any) -> dict[str, Any]:
    return {"aws_kms_grant": {"g": {"key_id": "${aws_kms_key.k.key_id}",
                                    "grantee_principal": "arn:aws:iam::111122223333:role/A",
                                    **arguments}}}


def test_create_grant_in_a_grant(tmp_path: pathlib.Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert check(tmp_path, capsys, grant(operations=["DescribeKey", "CreateGrant"])) == [
        "KMS301 9:11"]
    assert check(tmp_path, capsys, grant(operations=["RetireGrant"])) == []
    # An operations list that is not known here says nothing.
    assert check(tmp_path, capsys, grant(operations="${var.operations}")) == []


def test_grant_without_constraints(tmp_path: pathlib.Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert check(tmp_path, capsys, grant(operations=["GenerateDataKeyWithoutPlaintext"])) == [
        "KMS302 7:9"]
    constrained = grant(operations=["Decrypt"],
                        constraints={"encryption_context_subset": {"app": "x"}})
    assert check(tmp_path, capsys, constrained) == []
    # Operations that take no encryption context cannot be constrained by one.
    assert check(tmp_path, capsys, grant(operations=["Sign", "Verify", "DescribeKey"])) == []


def endpoint(service: str, statement: dict[str, Any] | None) -> dict[str, Any]:
    arguments: dict[str, Any] = {"vpc_id": "vpc-1", "service_name": service}
    if statement is not None:
        arguments["policy"] = json.dumps({"Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
             **statement}]})
    return {"aws_vpc_endpoint": {"e": arguments}}


KMS = "com.amazonaws.eu-west-1.kms"


def test_endpoint_rule_reads_the_service(tmp_path: pathlib.Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert check(tmp_path, capsys, endpoint(KMS, None)) == ["KMS311 4:7"]
    assert check(tmp_path, capsys, endpoint("com.amazonaws.eu-west-1.kms-fips", None)) == [
        "KMS311 4:7"]
    assert check(tmp_path, capsys, endpoint("com.amazonaws.${var.region}.kms", None)) == [
        "KMS311 4:7"]
    assert check(tmp_path, capsys, endpoint("${var.service}", None)) == ["KMS311 4:7"]
    assert check(tmp_path, capsys, endpoint("com.amazonaws.eu-west-1.s3", None)) == []
    assert check(tmp_path, capsys, endpoint("com.amazonaws.eu-west-1.s3", {
        "Action": "kms:Decrypt", "Resource": "*"})) == []


def test_endpoint_policy_statements(tmp_path: pathlib.Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert check(tmp_path, capsys, endpoint(KMS, {"Action": "kms:*", "Resource": "*"})) == [
        "KMS311 7:160"]
    assert check(tmp_path, capsys, endpoint(KMS, {
        "Action": "kms:Decrypt", "Resource": "arn:aws:kms:*:*:key/*"})) == ["KMS311 7:166"]
    # Account-pinned resources, a perimeter condition, AWS services, and actions that never
    # reach another account's key pass.
    for statement in (
            {"Action": "kms:Decrypt", "Resource": "arn:aws:kms:*:111122223333:key/*"},
            {"Action": "kms:Decrypt", "Resource": "*",
             "Condition": {"StringEquals": {"aws:ResourceAccount": "111122223333"}}},
            {"Action": "kms:Decrypt", "Resource": "*",
             "Condition": {"Bool": {"aws:PrincipalIsAWSService": "true"}}},
            {"Action": ["kms:CreateKey", "kms:ListAliases"], "Resource": "*"}):
        assert check(tmp_path, capsys, endpoint(KMS, statement)) == [], statement
    # A Deny that closes the perimeter for the same actions (the data perimeter pattern).
    policy = json.dumps({"Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*",
         "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}},
        {"Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*",
         "Condition": {"StringNotEquals": {"aws:ResourceOrgID": "o-a1b2c3d4e5"}}}]})
    resources = {"aws_vpc_endpoint": {"e": {"service_name": KMS, "policy": policy}}}
    assert check(tmp_path, capsys, resources) == []


def test_endpoint_rule_documentation(capsys: pytest.CaptureFixture[str]) -> None:
    for rule, heading in (("KMS301", "Best practices for AWS KMS grants"),
                          ("KMS302", "Using grant constraints"),
                          ("KMS311", "Connect to AWS KMS through a VPC endpoint")):
        assert main_terraform(["--explain", rule]) == 0
        text = capsys.readouterr().out
        for part in ("What it finds", "Why it matters", "Bad", "Good", "AWS guidance", heading):
            assert part in text, (rule, part)
    main_terraform(["--list-rules"])
    table = capsys.readouterr().out
    assert "KMS301  grant-allows-create-grant" in table and "KMS311  endpoint-any-key" in table
