"""Structure rules (KMS001-KMS003), AWS CLI outputs, rule documentation."""
from __future__ import annotations

import json
import pathlib

import pytest

from kms_hooks.cli import main
from kms_hooks.rules import all_rules
from kms_hooks.rules.docs import markdown
from tests.helpers import at, check, located, policy, write

Cap = pytest.CaptureFixture[str]
ROOT_DIR = pathlib.Path(__file__).resolve().parent.parent


def run(capsys: Cap, tmp_path: pathlib.Path, text: str) -> list[tuple[str, int, int, str]]:
    return located(check(capsys, write(tmp_path, "policy.json", text)))


def test_kms001_invalid_json_points_where_the_parser_stopped(capsys: Cap, tmp_path: pathlib.Path) -> None:
    text = '{\n  "Statement": [\n    {"Effect": "Allow",}\n  ]\n}\n'
    assert run(capsys, tmp_path, text) == [("KMS001", 3, 24, "error")]


def test_kms002_repeated_key_points_at_the_second_one(capsys: Cap, tmp_path: pathlib.Path) -> None:
    text = policy('{"Effect": "Allow", "Action": "kms:Decrypt", '
                  '"Resource": "arn:aws:kms:us-east-1:111122223333:key/*", "Resource": "*"}')
    findings = run(capsys, tmp_path, text)
    assert ("KMS002", *at(text, '"Resource"', 2), "error") in findings
    # The value that parsers keep (the last) is the one checked.
    assert ("KMS101", *at(text, '"*"'), "error") in findings


def test_kms002_not_reported_for_statements_outside_kms(capsys: Cap, tmp_path: pathlib.Path) -> None:
    text = policy('{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "a", "Resource": "b"}')
    assert run(capsys, tmp_path, text) == []


@pytest.mark.parametrize("statement, needle, message", [
    ('{"Action": "kms:Decrypt", "Resource": "arn:aws:kms:us-east-1:111122223333:key/*"}',
     '{"Action"', 'no "Effect"'),
    ('{"Effect": "Permit", "Action": "kms:Decrypt", "Resource": "arn:aws:kms:us-east-1:111122223333:key/*"}',
     '"Permit"', 'must be "Allow" or "Deny"'),
    ('{"Effect": "Allow", "Action": "kms:Decrypt", "NotAction": "kms:*", "Resource": "arn:aws:kms:us-east-1:111122223333:key/*"}',
     '{"Effect"', 'both "Action" and "NotAction"'),
    ('{"Effect": "Allow", "Action": ["kms:Decrypt", 7], "Resource": "arn:aws:kms:us-east-1:111122223333:key/*"}',
     "7]", "must be strings, not a number"),
    ('{"Effect": "Allow", "Action": "kms:Decrypt"}', '{"Effect"', 'no "Resource"'),
])
def test_kms003_malformed_statements(capsys: Cap, tmp_path: pathlib.Path, statement: str,
                                     needle: str, message: str) -> None:
    text = policy(statement)
    [finding] = check(capsys, write(tmp_path, "p.json", text))
    assert (finding["rule"], finding["line"], finding["column"]) == ("KMS003", *at(text, needle))
    assert message in finding["message"]


def test_kms003_key_policy_statement_without_resource(capsys: Cap, tmp_path: pathlib.Path) -> None:
    document = policy('{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, '
                      '"Action": "kms:*"}')
    path = write(tmp_path, "kp.json", json.dumps({"Policy": document, "PolicyName": "default"}))
    findings = check(capsys, path)
    assert [(f["rule"], f["pointer"]) for f in findings] == [("KMS003", "/Policy/Statement/0")]


def test_get_policy_version_and_role_policy_outputs(capsys: Cap, tmp_path: pathlib.Path) -> None:
    document = json.loads(policy('{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}'))
    version = write(tmp_path, "version.json", json.dumps(
        {"PolicyVersion": {"Document": document, "VersionId": "v3", "IsDefaultVersion": True}}, indent=2))
    role = write(tmp_path, "role.json", json.dumps(
        {"RoleName": "app", "PolicyName": "reader", "PolicyDocument": document}, indent=2))
    assert [(f["rule"], f["pointer"], f["policy"]) for f in check(capsys, version)] == [
        ("KMS101", "/PolicyVersion/Document/Statement/0/Resource", "PolicyVersion v3")]
    assert [(f["rule"], f["pointer"], f["policy"]) for f in check(capsys, role)] == [
        ("KMS101", "/PolicyDocument/Statement/0/Resource", "reader")]


def test_authorization_details_aws_managed_policies_are_notes(capsys: Cap, tmp_path: pathlib.Path) -> None:
    document = json.loads(policy('{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}'))
    details = {
        "RoleDetailList": [{"RoleName": "app", "RolePolicyList": [
            {"PolicyName": "inline", "PolicyDocument": document}]}],
        "Policies": [
            {"PolicyName": "AWSManaged", "Arn": "arn:aws:iam::aws:policy/AWSManaged",
             "PolicyVersionList": [{"Document": document, "VersionId": "v2", "IsDefaultVersion": True},
                                   {"Document": document, "VersionId": "v1", "IsDefaultVersion": False}]},
            {"PolicyName": "Ours", "Arn": "arn:aws:iam::111122223333:policy/Ours",
             "PolicyVersionList": [{"Document": document, "VersionId": "v1", "IsDefaultVersion": True}]},
        ],
    }
    findings = check(capsys, write(tmp_path, "details.json", json.dumps(details, indent=1)))
    assert sorted((f["pointer"], f["severity"], f["policy"]) for f in findings) == [
        ("/Policies/0/PolicyVersionList/0/Document/Statement/0/Resource", "note", "AWSManaged"),
        ("/Policies/1/PolicyVersionList/0/Document/Statement/0/Resource", "error", "Ours"),
        ("/RoleDetailList/0/RolePolicyList/0/PolicyDocument/Statement/0/Resource", "error", "inline"),
    ]


def test_json_files_that_are_not_policies_produce_nothing(capsys: Cap, tmp_path: pathlib.Path) -> None:
    path = write(tmp_path, "package.json", '{"name": "x", "scripts": {"test": "jest"}}')
    assert main([str(path)]) == 0
    assert capsys.readouterr().out == ""


def test_explain_prints_every_section(capsys: Cap) -> None:
    assert main(["--explain", "kms101"]) == 0
    out = capsys.readouterr().out
    for heading in ("KMS101 resource-star", "What it finds", "Why it matters", "Bad", "Good",
                    "AWS guidance", "Avoid \"Resource\": \"*\" in an IAM policy",
                    "When the broad grant is deliberate"):
        assert heading in out
    assert main(["--explain", "KMS999"]) == 2


def test_list_rules_names_every_rule(capsys: Cap) -> None:
    assert main(["--list-rules"]) == 0
    out = capsys.readouterr().out
    assert [line.split()[0] for line in out.splitlines()] == [r.id for r in all_rules()]


def test_every_rule_is_documented() -> None:
    for rule in all_rules():
        doc = rule.doc
        assert all(part.strip() for part in (doc.finds, doc.why, doc.bad, doc.good, doc.guidance)), rule.id


def test_docs_rules_md_is_generated_from_the_rules() -> None:
    written = (ROOT_DIR / "docs" / "rules.md").read_text(encoding="utf-8")
    assert written == markdown(), "regenerate with: python -m kms_hooks.rules.docs"
