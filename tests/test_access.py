"""`kms-policies access`: the access policies grant, and what a change does to it, in real git
repositories (a base commit on main, a pull request branch on top)."""
from __future__ import annotations

import json
import pathlib
from typing import Any

import pytest

from kms_hooks.cli import main
from kms_hooks.kms.facts import ACCESS_CLASSES, ACTION_CLASS, ALL, STAR_ONLY
from tests.gitutil import commit, git, write

KEY_ARN = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(["access", *argv])
    out, err = capsys.readouterr()
    return status, out, err


def rows(capsys: pytest.CaptureFixture[str], *argv: str) -> list[dict[str, Any]]:
    status, out, err = run(capsys, "--format", "json", *argv)
    assert status == 0, err
    found: list[dict[str, Any]] = json.loads(out)
    return found


def short(row: dict[str, Any]) -> tuple[Any, ...]:
    """(change, grantee, class, actions, keys, conditions, where) of a JSON row."""
    return (row.get("change"), row["grantee"], row["class"],
            ",".join(a.removeprefix("kms:") for a in row["actions"]), row["keys"],
            "; ".join(row["conditions"]), ", ".join(row["where"]))


def gate(capsys: pytest.CaptureFixture[str], classes: str) -> int:
    """The exit status of the review of the pull request against main, gated on `classes`."""
    return run(capsys, "--diff-base", "main", "--fail-on-new-access", classes)[0]


def pull_request(repo: pathlib.Path, files: dict[str, str]) -> None:
    """Commit `files` on a branch `pr` made from main."""
    git(repo, "checkout", "-q", "-b", "pr")
    for name, text in files.items():
        write(repo, name, text)
    commit(repo, "pull request")


def test_every_kms_action_has_an_access_class() -> None:
    assert set(ACTION_CLASS) == set(ALL)
    assert set(ACTION_CLASS.values()) == set(ACCESS_CLASSES)


# CloudFormation -------------------------------------------------------------------------------

TEMPLATE = """\
Resources:
  AppKey:
    Type: AWS::KMS::Key
    Properties:
      KeyPolicy:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {AWS: !Sub "arn:aws:iam::${AWS::AccountId}:root"}
            Action: kms:*
            Resource: "*"
          - Effect: Allow
            Principal: {Service: s3.amazonaws.com}
            Action: [kms:Decrypt, kms:GenerateDataKey]
            Resource: "*"
            Condition:
              StringEquals:
                kms:ViaService: s3.us-east-1.amazonaws.com
                kms:CallerAccount: "111122223333"
              StringLike:
                kms:EncryptionContext:aws:s3:arn: arn:aws:s3:::reports/*
  AppRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {}
      Policies:
        - PolicyName: use-key
          PolicyDocument:
            Statement:
              - Effect: Allow
                Action: kms:Decrypt
                Resource: !GetAtt AppKey.Arn
  ReadPolicy:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      Roles: [!Ref AppRole, batch-role]
      PolicyDocument:
        Statement:
          - Effect: Allow
            Action: kms:DescribeKey
            Resource: !GetAtt AppKey.Arn
"""


def test_cloudformation_rows_name_grantees_through_attachments(
        repo: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "stack.yaml", TEMPLATE)
    found = [short(r) for r in rows(capsys, "stack.yaml")]
    every = "this account (its IAM policies decide)"
    assert found == [
        (None, "Resources/AppRole", "use", "Decrypt", "Resources/AppKey", "", "stack.yaml:30"),
        (None, "Resources/AppRole", "read", "DescribeKey", "Resources/AppKey", "",
         "stack.yaml:39"),
        (None, "role batch-role", "read", "DescribeKey", "Resources/AppKey", "",
         "stack.yaml:39"),
        (None, "service s3.amazonaws.com", "use", "Decrypt,GenerateDataKey", "Resources/AppKey",
         "via s3; caller account 111122223333; encryption context aws:s3:arn", "stack.yaml:12"),
        *[(None, every, c, ",".join(sorted(a for a, k in ACTION_CLASS.items()
                                           if k == c and a not in STAR_ONLY)),
           "Resources/AppKey", "", "stack.yaml:8")
          for c in ("use", "sign", "mac", "agreement", "grants", "read", "manage")],
    ]


def test_cloudformation_pull_request_widening_a_role(
        repo: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "stack.yaml", TEMPLATE)
    commit(repo, "base")
    widened = TEMPLATE.replace(
        "                Action: kms:Decrypt\n                Resource: !GetAtt AppKey.Arn\n",
        "                Action: [kms:Decrypt, kms:Encrypt]\n"
        "                Resource: [!GetAtt AppKey.Arn, \"*\"]\n"
        "              - Effect: Allow\n"
        "                Action: kms:ScheduleKeyDeletion\n"
        "                Resource: !GetAtt AppKey.Arn\n"
    ).replace("      Roles: [!Ref AppRole, batch-role]\n", "      Roles: [!Ref AppRole]\n")
    pull_request(repo, {"stack.yaml": widened})
    found = [short(r) for r in rows(capsys, "--diff-base", "main")]
    assert found == [
        ("widened", "Resources/AppRole", "use", "Decrypt,Encrypt", "Resources/AppKey", "",
         "stack.yaml:30"),
        ("added", "Resources/AppRole", "use", "Decrypt,Encrypt", "any key in any account", "",
         "stack.yaml:30"),
        ("added", "Resources/AppRole", "manage", "ScheduleKeyDeletion", "Resources/AppKey", "",
         "stack.yaml:33"),
        ("removed", "role batch-role", "read", "DescribeKey", "Resources/AppKey", "",
         "stack.yaml:39"),
    ]
    assert gate(capsys, "manage") == 1
    assert gate(capsys, "create,read") == 0


def test_cloudformation_dropped_condition_is_a_widening(
        repo: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "stack.yaml", TEMPLATE)
    commit(repo, "base")
    pull_request(repo, {"stack.yaml": TEMPLATE.replace(
        '                kms:CallerAccount: "111122223333"\n', "")})
    [change] = rows(capsys, "--diff-base", "main")
    assert short(change) == (
        "widened", "service s3.amazonaws.com", "use", "Decrypt,GenerateDataKey",
        "Resources/AppKey", "via s3; encryption context aws:s3:arn", "stack.yaml:12")
    assert change["why"] == ["condition dropped: caller account 111122223333"]
    assert short(change["before"])[5] == \
        "via s3; caller account 111122223333; encryption context aws:s3:arn"


# Terraform ------------------------------------------------------------------------------------

IAM_TF = """\
resource "aws_iam_policy" "reader" {
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["kms:Decrypt"]
      Resource = aws_kms_key.app.arn
    }]
  })
}

resource "aws_kms_key" "app" {
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::111122223333:root" }
      Action    = "kms:*"
      Resource  = "*"
    }]
  })
}
"""
ATTACH_TF = """\
resource "aws_iam_role" "app" {
  name               = "app"
  assume_role_policy = "{}"
}

resource "aws_iam_role_policy_attachment" "reader" {
  role       = aws_iam_role.app.name
  policy_arn = aws_iam_policy.reader.arn
}

resource "aws_iam_policy_attachment" "people" {
  name       = "people"
  users      = ["alice"]
  policy_arn = aws_iam_policy.reader.arn
}
"""


@pytest.fixture
def module(repo: pathlib.Path) -> pathlib.Path:
    write(repo, "infra/iam.tf", IAM_TF)
    write(repo, "infra/attach.tf", ATTACH_TF)
    commit(repo, "base")
    return repo


def test_terraform_grantees_through_attachments_in_another_file(
        module: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    found = [short(r) for r in rows(capsys, "infra/iam.tf")]
    assert [f for f in found if f[2] == "use"] == [
        (None, "account 111122223333 (its IAM policies decide)", "use",
         "Decrypt,Encrypt,GenerateDataKey,GenerateDataKeyPair,"
         "GenerateDataKeyPairWithoutPlaintext,GenerateDataKeyWithoutPlaintext,ReEncryptFrom,"
         "ReEncryptTo", "aws_kms_key.app", "", "infra/iam.tf:15"),
        (None, "aws_iam_role.app", "use", "Decrypt", "aws_kms_key.app", "", "infra/iam.tf:4"),
        (None, "user alice", "use", "Decrypt", "aws_kms_key.app", "", "infra/iam.tf:4"),
    ]


def test_terraform_pull_request_gives_the_role_every_key(
        module: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    pull_request(module, {"infra/iam.tf": IAM_TF.replace(
        "Resource = aws_kms_key.app.arn", 'Resource = [aws_kms_key.app.arn, "*"]')})
    found = [short(r) for r in rows(capsys, "--diff-base", "main")]
    assert found == [
        ("added", "aws_iam_role.app", "use", "Decrypt", "any key in any account", "",
         "infra/iam.tf:4"),
        ("added", "user alice", "use", "Decrypt", "any key in any account", "",
         "infra/iam.tf:4"),
    ]
    status, _, err = run(capsys, "--diff-base", "main", "--fail-on-new-access", "use")
    assert status == 1
    assert "2 add or widen access of the classes of --fail-on-new-access (use)" in err
    assert gate(capsys, "manage,grants") == 0


def test_terraform_attachment_change_alone_is_reviewed_with_the_base_module(
        module: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Only attach.tf changes: the policy in iam.tf now reaches another role.  The base side
    reads the module as the base commit holds it, not as the working tree does."""
    pull_request(module, {"infra/attach.tf": ATTACH_TF.replace(
        'users      = ["alice"]', 'users      = ["alice", "bob"]')})
    found = [short(r) for r in rows(capsys, "--diff-base", "main")]
    assert found == [
        ("added", "user bob", "use", "Decrypt", "aws_kms_key.app", "", "infra/iam.tf:4"),
    ]


def test_terraform_deleted_file_removes_its_access(
        module: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    git(module, "checkout", "-q", "-b", "pr")
    (module / "infra/attach.tf").unlink()
    commit(module, "detach")
    found = [short(r) for r in rows(capsys, "--diff-base", "main")]
    assert found == [
        ("added", "policy aws_iam_policy.reader", "use", "Decrypt", "aws_kms_key.app", "",
         "infra/iam.tf:4"),
        ("removed", "aws_iam_role.app", "use", "Decrypt", "aws_kms_key.app", "",
         "infra/iam.tf:4"),
        ("removed", "user alice", "use", "Decrypt", "aws_kms_key.app", "", "infra/iam.tf:4"),
    ]


def test_terraform_plan_attachment_by_the_policy_arn(
        repo: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A plan holds the ARN of a policy that exists already, not a reference to it."""
    arn = "arn:aws:iam::111122223333:policy/reader"
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]}
    resources = [
        {"address": "aws_iam_policy.reader", "mode": "managed", "type": "aws_iam_policy",
         "name": "reader", "values": {"arn": arn, "policy": json.dumps(policy)}},
        {"address": "aws_iam_role_policy_attachment.reader", "mode": "managed",
         "type": "aws_iam_role_policy_attachment", "name": "reader",
         "values": {"role": "app", "policy_arn": arn}},
    ]
    plan = {"format_version": "1.2", "planned_values": {"root_module": {"resources": resources}}}
    write(repo, "plan.json", json.dumps(plan, indent=2) + "\n")
    assert [short(r) for r in rows(capsys, "plan.json")] == [
        (None, "role app", "use", "Decrypt", "any key in any account", "", "plan.json:13")]


# Raw JSON -------------------------------------------------------------------------------------

DETAILS = {
    "RoleDetailList": [{
        "RoleName": "deployer",
        "RolePolicyList": [{"PolicyName": "keys", "PolicyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": KEY_ARN}]}}],
        "AttachedManagedPolicies": [{"PolicyName": "ops",
                                     "PolicyArn": "arn:aws:iam::111122223333:policy/ops"}],
    }],
    "UserDetailList": [], "GroupDetailList": [],
    "Policies": [{
        "PolicyName": "ops", "Arn": "arn:aws:iam::111122223333:policy/ops",
        "PolicyVersionList": [{"VersionId": "v1", "IsDefaultVersion": True, "Document": {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "kms:CreateGrant", "Resource": KEY_ARN,
                           "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}}}]}}],
    }],
}


def test_raw_authorization_details_pull_request(
        repo: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "iam/details.json", json.dumps(DETAILS, indent=2) + "\n")
    commit(repo, "base")
    changed = json.loads(json.dumps(DETAILS))
    statements = changed["RoleDetailList"][0]["RolePolicyList"][0]["PolicyDocument"]["Statement"]
    statements[0]["Action"] = "kms:*"
    statements.append({"Effect": "Deny", "Action": "kms:ScheduleKeyDeletion", "Resource": "*"})
    del changed["Policies"][0]["PolicyVersionList"][0]["Document"]["Statement"][0]["Condition"]
    pull_request(repo, {"iam/details.json": json.dumps(changed, indent=2) + "\n"})
    status, out, _ = run(capsys, "--diff-base", "main", "iam")
    lines = out.splitlines()
    assert [line.split()[0] for line in lines] == [
        "widened", "widened", "added", "added", "added", "added", "added"]
    assert lines[0] == ("widened  iam/details.json:11: role deployer · use (all) · "
                        f"{KEY_ARN} · no conditions  (more actions: Encrypt, GenerateDataKey, "
                        "GenerateDataKeyPair, GenerateDataKeyPairWithoutPlaintext, "
                        "GenerateDataKeyWithoutPlaintext, ReEncryptFrom, ReEncryptTo)")
    # The managed policy attached to the role lost its condition, and kms:* grants the rest.
    assert lines[1] == ("widened  iam/details.json:11: role deployer · grants (all) · "
                        f"{KEY_ARN} · no conditions (also line 46)  (condition dropped: grant "
                        "for an AWS resource; more actions: RetireGrant, RevokeGrant)")
    # The Deny takes ScheduleKeyDeletion away from kms:*.
    assert lines[-1] == ("added    iam/details.json:11: role deployer · manage (all but "
                         f"ScheduleKeyDeletion) · {KEY_ARN} · no conditions")
    assert status == 0
    assert gate(capsys, "grants") == 1


def test_staged_compares_the_index_with_head(
        repo: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = {"Version": "2012-10-17",
              "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": KEY_ARN}]}
    write(repo, "p.json", json.dumps(policy, indent=2) + "\n")
    commit(repo, "base")
    policy["Statement"][0]["Resource"] = "*"  # type: ignore[index]
    write(repo, "p.json", json.dumps(policy, indent=2) + "\n")
    assert rows(capsys, "--staged") == []  # not staged yet
    git(repo, "add", "p.json")
    [change] = rows(capsys, "--staged")
    assert short(change) == ("widened", "policy", "use", "Decrypt", "any key in any account",
                             "", "p.json:4")
    assert change["why"] == [f"keys: {KEY_ARN} -> any key in any account"]


def test_narrowing_to_one_key_is_not_new_access(
        repo: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["kms:Decrypt", "kms:Encrypt"], "Resource": "*"}]}
    write(repo, "p.json", json.dumps(policy, indent=2) + "\n")
    commit(repo, "base")
    policy["Statement"][0].update(Action="kms:Decrypt", Resource=KEY_ARN,  # type: ignore[index]
                                  Condition={"StringEquals": {"kms:ViaService":
                                                              "s3.us-east-1.amazonaws.com"}})
    pull_request(repo, {"p.json": json.dumps(policy, indent=2) + "\n"})
    [change] = rows(capsys, "--diff-base", "main")
    assert short(change) == ("narrowed", "policy", "use", "Decrypt", KEY_ARN, "via s3",
                             "p.json:4")
    assert change["why"] == [f"keys: any key in any account -> {KEY_ARN}",
                             "condition added: via s3", "fewer actions: Encrypt"]
    assert gate(capsys, "all") == 0


def test_staged_before_the_first_commit_compares_with_nothing(
        repo: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
         "Action": "kms:Decrypt", "Resource": "*"}]}
    write(repo, "key-policy.json", json.dumps(policy, indent=2) + "\n")
    git(repo, "add", "key-policy.json")
    [change] = rows(capsys, "--staged")
    assert short(change) == ("added", "account 111122223333 (its IAM policies decide)", "use",
                             "Decrypt", "the key of policy", "", "key-policy.json:4")


def test_unknown_values_are_shown_as_unknown(
        repo: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "main.tf", """\
resource "aws_iam_role_policy" "x" {
  role   = var.role
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = [var.action], Resource = var.key }]
  })
}
""")
    assert [short(r) for r in rows(capsys, "main.tf")] == [
        (None, "role unknown (var.role)", "unknown", "", "unknown (var.key)", "", "main.tf:5")]


def test_markdown_groups_by_grantee_with_widened_and_added_first_and_escapes(
        repo: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "stack.yaml", TEMPLATE)
    commit(repo, "base")
    pull_request(repo, {"stack.yaml": TEMPLATE.replace(
        "batch-role", '"batch|<b>role</b>\\e[31m"').replace(
        "Resource: !GetAtt AppKey.Arn\n  ReadPolicy", "Resource: '*'\n  ReadPolicy")})
    status, out, _ = run(capsys, "--diff-base", "main", "--format", "markdown")
    assert status == 0
    assert out == """\
### KMS access changes

1 widened, 1 added, 1 removed

**Resources/AppRole (stack.yaml)**

| change | access | keys | conditions | where |
|---|---|---|---|---|
| widened: keys: Resources/AppKey -\\> any key in any account | use (Decrypt) | any key in any account | no conditions | stack.yaml:30 |

**role batch\\|\\<b\\>role\\</b\\>\\\\x1b\\[31m (stack.yaml)**

| change | access | keys | conditions | where |
|---|---|---|---|---|
| added | read (DescribeKey) | Resources/AppKey | no conditions | stack.yaml:39 |

**role batch-role (stack.yaml)**

| change | access | keys | conditions | where |
|---|---|---|---|---|
| removed | read (DescribeKey) | Resources/AppKey | no conditions | stack.yaml:39 |
"""


def test_output_file_and_bad_classes_are_usage_errors(
        repo: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "stack.yaml", TEMPLATE)
    summary = repo / "summary.md"
    status, out, _ = run(capsys, "--format", "markdown", "--output-file", str(summary))
    assert status == 0 and out == ""
    assert summary.read_text().startswith("### KMS access\n\n**Resources/AppRole (stack.yaml)**")
    status, _, err = run(capsys, "--fail-on-new-access", "use,everything", "stack.yaml")
    assert status == 2
    assert "not 'everything'" in err


def test_a_link_out_of_the_repository_is_not_read(
        repo: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    outside = repo.parent / "outside.json"
    outside.write_text(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]}))
    (repo / "linked.json").symlink_to(outside)
    status, out, err = run(capsys, ".")
    assert (status, out) == (0, "")
    assert "outside" not in err


def test_an_unreadable_file_fails_the_review(
        repo: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "broken.json", '{"Statement": [\n')
    status, out, err = run(capsys, "broken.json")
    assert status == 1
    assert "broken.json:2:1: cannot read: invalid JSON" in err
