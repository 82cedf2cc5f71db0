"""--fix, --diff and --unsafe-fixes through the command line: every fix in every format it
applies to, with the exact text it makes, and what a fixing run promises (only the element's
text changes, the fixed file is checked again, a second run changes nothing)."""
from __future__ import annotations

import json
import os
import pathlib
from dataclasses import dataclass

import pytest

from kms_hooks.cli import main
from tests.gitutil import commit, git, repo  # noqa: F401  (fixture)


@dataclass(frozen=True)
class Case:
    name: str  # the file's name, which says its format
    before: str
    # (old, new): each replaced once in `before`, giving the exact fixed text.
    edits: tuple[tuple[str, str], ...]
    fixed: tuple[str, ...]  # the rules of the findings fixed, sorted

    @property
    def after(self) -> str:
        text = self.before
        for old, new in self.edits:
            assert text.count(old) == 1, old
            text = text.replace(old, new)
        return text


RAW = Case("policy.json", """{
  "Version": "2012-10-17",
  "Statement": [{"Effect": "Allow", "Action": ["kms:Decrpyt", "kms:Encrypt"],
                 "Resource": "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"}]
}
""", (("kms:Decrpyt", "kms:Decrypt"),), ("KMS111",))

KEY_POLICY_OUTPUT = Case("key-policy.json", json.dumps({
    "PolicyName": "default",
    "Policy": json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
        "Action": "kms:DescribeKye", "Resource": "*"}]}),
}, indent=2) + "\n", (("kms:DescribeKye", "kms:DescribeKey"),), ("KMS111",))

CFN_JSON = Case("template.json", """{
  "Resources": {
    "DataKey": {"Type": "AWS::KMS::Key", "Properties": {}},
    "Replica": {"Type": "AWS::KMS::ReplicaKey", "Properties": {"PrimaryKeyArn": "x"}},
    "Reader": {
      "Type": "AWS::IAM::ManagedPolicy",
      "Properties": {
        "PolicyDocument": {
          "Version": "2012-10-17",
          "Statement": [{
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:Encrpyt"],
            "Resource": [
              {"Ref": "DataKey"},
              { "Fn::GetAtt" : [ "Replica", "KeyId" ] },
              {"Fn::Sub": "${DataKey}"}
            ]
          }]
        }
      }
    },
    "Writer": {
      "Type": "AWS::IAM::ManagedPolicy",
      "Properties": {
        "PolicyDocument": {"Fn::Sub": "{\\"Version\\": \\"2012-10-17\\", \\"Statement\\": [{\\"Effect\\": \\"Allow\\", \\"Action\\": \\"kms:Encrypt\\", \\"Resource\\": \\"${Replica}\\"}]}"}
      }
    }
  }
}
""", (('{"Ref": "DataKey"}', '{"Fn::GetAtt": ["DataKey", "Arn"]}'),
      ('"KeyId"', '"Arn"'),
      ('{"Fn::Sub": "${DataKey}"}', '{"Fn::Sub": "${DataKey.Arn}"}'),
      ('"kms:Encrpyt"', '"kms:Encrypt"'),
      ('\\"${Replica}\\"', '\\"${Replica.Arn}\\"')),
    ("KMS102", "KMS102", "KMS102", "KMS102", "KMS111"))

CFN_YAML = Case("template.yaml", """\
Resources:
  DataKey:
    Type: AWS::KMS::Key
  Reader:
    Type: AWS::IAM::Policy
    Properties:
      PolicyName: reader
      Roles: [app]
      PolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Effect: Allow
            Action: [kms:Decrpyt, 'kms:Encrypt']  # read and write
            Resource:
              - !Ref DataKey
              - Ref: DataKey   # the key
              - {Ref: DataKey}
              - !GetAtt DataKey.KeyId
              - !GetAtt [DataKey, KeyId]
              - Fn::GetAtt: [DataKey, "KeyId"]
              - !Sub '${DataKey}'
  Writer:
    Type: AWS::IAM::Policy
    Properties:
      PolicyName: writer
      Roles: [app]
      PolicyDocument: !Sub |
        {"Version": "2012-10-17",
         "Statement": [{"Effect": "Allow", "Action": "kms:Encrypt", "Resource": "${DataKey}"}]}
""", (("kms:Decrpyt", "kms:Decrypt"),
      ("- !Ref DataKey", "- !GetAtt DataKey.Arn"),
      ("- Ref: DataKey   #", "- Fn::GetAtt: [DataKey, Arn]   #"),
      ("{Ref: DataKey}", "{Fn::GetAtt: [DataKey, Arn]}"),
      ("!GetAtt DataKey.KeyId", "!GetAtt DataKey.Arn"),
      ("!GetAtt [DataKey, KeyId]", "!GetAtt [DataKey, Arn]"),
      ('[DataKey, "KeyId"]', '[DataKey, "Arn"]'),
      ("!Sub '${DataKey}'", "!Sub '${DataKey.Arn}'"),
      ('"Resource": "${DataKey}"', '"Resource": "${DataKey.Arn}"')),
    ("KMS102",) * 8 + ("KMS111",))

HCL = Case("main.tf", """\
resource "aws_kms_key" "data" {}
resource "aws_kms_replica_key" "copy" { primary_key_arn = aws_kms_key.data.arn }
resource "aws_kms_alias" "data" {
  name          = "alias/data"
  target_key_id = aws_kms_key.data.key_id
}
data "aws_kms_key" "shared" { key_id = "alias/shared" }

resource "aws_iam_role_policy" "app" {
  role = "app"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["kms:Decrpyt", "kms:GenerateDataKey"] # reads
      Resource = [
        aws_kms_key.data.key_id,
        aws_kms_key.data.id,
        aws_kms_replica_key.copy.key_id,
        data.aws_kms_key.shared.id,
        aws_kms_alias.data.target_key_id,
        aws_kms_alias.data.arn,
      ]
    }]
  })
}

data "aws_iam_policy_document" "doc" {
  statement {
    actions   = ["kms:Encrypt"]
    resources = ["${aws_kms_key.data.key_id}"]
  }
}
resource "aws_iam_policy" "doc" { policy = data.aws_iam_policy_document.doc.json }

resource "aws_iam_policy" "heredoc" {
  policy = <<-EOF
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:Encrpyt",
      "Resource": ["${aws_kms_key.data.key_id}", "${aws_kms_key.data.id}"]}]}
  EOF
}
""", (("kms:Decrpyt", "kms:Decrypt"),
      ("        aws_kms_key.data.key_id,", "        aws_kms_key.data.arn,"),
      ("aws_kms_key.data.id,", "aws_kms_key.data.arn,"),
      ("aws_kms_replica_key.copy.key_id", "aws_kms_replica_key.copy.arn"),
      ("data.aws_kms_key.shared.id", "data.aws_kms_key.shared.arn"),
      ("aws_kms_alias.data.target_key_id", "aws_kms_alias.data.target_key_arn"),
      ("aws_kms_alias.data.arn", "aws_kms_alias.data.target_key_arn"),
      ('["${aws_kms_key.data.key_id}"]', '["${aws_kms_key.data.arn}"]'),
      ("kms:Encrpyt", "kms:Encrypt"),
      ('"${aws_kms_key.data.key_id}", "${aws_kms_key.data.id}"',
       '"${aws_kms_key.data.arn}", "${aws_kms_key.data.arn}"')),
    ("KMS102",) * 8 + ("KMS103", "KMS111", "KMS111"))

TF_JSON = Case("main.tf.json", """{
  "resource": {
    "aws_kms_key": {"data": {}},
    "aws_iam_policy": {
      "p": {"policy": "{\\"Version\\": \\"2012-10-17\\", \\"Statement\\": [{\\"Effect\\": \\"Allow\\", \\"Action\\": \\"kms:Decrpyt\\", \\"Resource\\": [\\"${aws_kms_key.data.key_id}\\", \\"${aws_kms_key.data.key_id}\\"]}]}"}
    }
  },
  "data": {"aws_iam_policy_document": {"d": {"statement": [
    {"actions": ["kms:Decrypt"], "resources": ["${aws_kms_key.data.id}"]}]}}},
  "output": {"d": {"value": "${data.aws_iam_policy_document.d.json}"}}
}
""", (("kms:Decrpyt", "kms:Decrypt"),
      ('[\\"${aws_kms_key.data.key_id}\\", \\"${aws_kms_key.data.key_id}\\"]',
       '[\\"${aws_kms_key.data.arn}\\", \\"${aws_kms_key.data.arn}\\"]'),
      ('["${aws_kms_key.data.id}"]', '["${aws_kms_key.data.arn}"]')),
    ("KMS102", "KMS102", "KMS102", "KMS111"))

CASES = [RAW, KEY_POLICY_OUTPUT, CFN_JSON, CFN_YAML, HCL, TF_JSON]


def findings(capsys: pytest.CaptureFixture[str], path: pathlib.Path) -> list[dict[str, object]]:
    main(["--format", "json", str(path)])
    found: list[dict[str, object]] = json.loads(capsys.readouterr().out)
    return found


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_fix_makes_the_exact_text_and_a_second_run_changes_nothing(
        tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str], case: Case) -> None:
    path = tmp_path / case.name
    path.write_text(case.before, encoding="utf-8")
    before = findings(capsys, path)
    fixed_rules = sorted(str(f["rule"]) for f in before if f["rule"] in case.fixed)
    assert fixed_rules == sorted(case.fixed)

    assert main(["--fix", str(path)]) == 1
    err = capsys.readouterr().err
    assert path.read_text(encoding="utf-8") == case.after
    count = len(case.fixed)
    assert f"fixed {count} finding{'s' if count > 1 else ''} in 1 file" in err

    after = findings(capsys, path)
    assert not [f for f in after if f["rule"] in case.fixed]  # every fixed finding is gone
    remaining = [(f["rule"], f["message"]) for f in before if f["rule"] not in case.fixed]
    assert [(f["rule"], f["message"]) for f in after] == remaining  # and no new one
    main(["--fix", str(path)])
    assert "fixed 0 findings in 0 files" in capsys.readouterr().err
    assert path.read_text(encoding="utf-8") == case.after


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_diff_prints_the_fix_and_writes_nothing(
        tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch, case: Case) -> None:
    import difflib

    monkeypatch.chdir(tmp_path)
    pathlib.Path(case.name).write_text(case.before, encoding="utf-8")
    assert main(["--diff", case.name]) == 1
    out, err = capsys.readouterr()
    expected = "".join(difflib.unified_diff(case.before.splitlines(keepends=True),
                                            case.after.splitlines(keepends=True),
                                            f"a/{case.name}", f"b/{case.name}"))
    assert out == expected
    assert f"would fix {len(case.fixed)} finding" in err
    assert pathlib.Path(case.name).read_text(encoding="utf-8") == case.before


def test_nothing_to_fix_exits_as_a_check_does(tmp_path: pathlib.Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "policy.json"
    path.write_text(RAW.after, encoding="utf-8")
    assert main(["--fix", str(path)]) == 0
    assert main(["--diff", str(path)]) == 0
    assert capsys.readouterr().out == ""
    assert path.read_text(encoding="utf-8") == RAW.after


def test_a_reference_through_a_local_is_reported_but_not_edited(
        tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = """\
locals { key = aws_kms_key.data.key_id }
resource "aws_kms_key" "data" {}
resource "aws_iam_role_policy" "app" {
  role   = "app"
  policy = jsonencode({ Version = "2012-10-17", Statement = [
    { Effect = "Allow", Action = "kms:Decrypt", Resource = local.key }] })
}
"""
    path = tmp_path / "main.tf"
    path.write_text(text, encoding="utf-8")
    assert [f["rule"] for f in findings(capsys, path)] == ["KMS102"]
    assert main(["--fix", str(path)]) == 1
    assert "fixed 0 findings" in capsys.readouterr().err
    assert path.read_text(encoding="utf-8") == text


def test_a_near_typo_with_two_close_actions_is_not_guessed(
        tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = RAW.before.replace("kms:Decrpyt", "kms:Ecrypt")  # Decrypt, Encrypt
    path = tmp_path / "policy.json"
    path.write_text(text, encoding="utf-8")
    (found,) = findings(capsys, path)
    assert found["rule"] == "KMS111" and "kms:Decrypt or kms:Encrypt" in str(found["message"])
    main(["--fix", str(path)])
    assert path.read_text(encoding="utf-8") == text


def test_byte_order_mark_and_line_ends_are_kept(tmp_path: pathlib.Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "policy.json"
    path.write_bytes(b"\xef\xbb\xbf" + RAW.before.replace("\n", "\r\n").encode())
    assert main(["--fix", str(path)]) == 1
    assert path.read_bytes() == b"\xef\xbb\xbf" + RAW.after.replace("\n", "\r\n").encode()


def test_mode_is_kept_and_a_symbolic_link_is_not_replaced(
        tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "policy.json"
    target.write_text(RAW.before, encoding="utf-8")
    os.chmod(target, 0o640)
    link = tmp_path / "link.json"
    link.symlink_to(target)
    assert main(["--fix", str(link)]) == 2
    assert "is a symbolic link: not written through it" in capsys.readouterr().err
    assert link.is_symlink() and target.read_text(encoding="utf-8") == RAW.before
    assert main(["--fix", str(target)]) == 1
    assert target.read_text(encoding="utf-8") == RAW.after
    assert os.stat(target).st_mode & 0o777 == 0o640
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".kms-hooks-")]


def test_unsafe_fixes_needs_fix_or_diff(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--unsafe-fixes", "x.json"]) == 2
    assert "--unsafe-fixes needs --fix or --diff" in capsys.readouterr().err


def test_sarif_results_carry_their_fixes(tmp_path: pathlib.Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "main.tf"
    path.write_text(HCL.before, encoding="utf-8")
    main(["--format", "sarif", str(path)])
    results = json.loads(capsys.readouterr().out)["runs"][0]["results"]
    first = next(r for r in results if r["ruleId"] == "KMS102")
    (fix,) = first["fixes"]
    assert fix["description"] == {"text": "use aws_kms_key.data.arn"}
    (change,) = fix["artifactChanges"]
    assert change["replacements"] == [{
        "deletedRegion": {"startLine": 17, "startColumn": 9, "endLine": 17, "endColumn": 32},
        "insertedContent": {"text": "aws_kms_key.data.arn"}}]
    assert all("fixes" in r for r in results)


def test_staged_fix_edits_the_working_tree_file_when_it_matches_the_index(
        repo: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    (repo / "policy.json").write_text(RAW.before, encoding="utf-8")
    git(repo, "add", "policy.json")
    assert main(["--staged", "--fix"]) == 1
    assert (repo / "policy.json").read_text(encoding="utf-8") == RAW.after
    assert "fixed 1 finding in 1 file" in capsys.readouterr().err
    # The index still holds what was staged: the user reviews the fix and stages it.
    assert git(repo, "show", ":policy.json") == RAW.before


def test_staged_fix_refuses_when_the_working_tree_differs_from_the_index(
        repo: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    (repo / "policy.json").write_text(RAW.before, encoding="utf-8")
    git(repo, "add", "policy.json")
    unstaged = RAW.before.replace('"kms:Encrypt"', '"kms:Encrypt", "kms:Sign"')
    (repo / "policy.json").write_text(unstaged, encoding="utf-8")
    assert main(["--staged", "--fix"]) == 2
    assert "the working tree differs from the index" in capsys.readouterr().err
    assert (repo / "policy.json").read_text(encoding="utf-8") == unstaged


# Unsafe fixes: they narrow access ("*" and any-account patterns become the home account's keys)
# or change what a deployment does (the lockout safety check runs again).
RAW_UNSAFE = Case("policy.json", """{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": "*"},
    {"Effect": "Allow", "Action": "kms:Sign", "Resource": ["arn:aws-cn:kms:cn-north-1:*:key/*"]}
  ]
}
""", (('"Resource": "*"', '"Resource": "arn:aws:kms:*:111122223333:key/*"'),
      ("arn:aws-cn:kms:cn-north-1:*:key/*", "arn:aws-cn:kms:cn-north-1:111122223333:key/*")),
    ("KMS101", "KMS104"))

CFN_YAML_UNSAFE = Case("template.yaml", """\
Resources:
  DataKey:
    Type: AWS::KMS::Key
    Properties:
      Description: data
      BypassPolicyLockoutSafetyCheck: true  # reviewed
      KeyPolicy:
        Version: '2012-10-17'
        Statement:
          - Effect: Allow
            Principal: {AWS: !Sub 'arn:${AWS::Partition}:iam::${AWS::AccountId}:root'}
            Action: kms:*
            Resource: '*'
  Reader:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Effect: Allow
            Action: [kms:Decrypt]
            Resource: ['*', arn:aws:kms:*:*:key/*]
  Writer:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument: !Sub |
        {"Version": "2012-10-17",
         "Statement": [{"Effect": "Allow", "Action": "kms:Encrypt", "Resource": "*"}]}
""", (("      BypassPolicyLockoutSafetyCheck: true  # reviewed\n", ""),
      ("Resource: ['*', arn:aws:kms:*:*:key/*]",
       """Resource: [!Sub "arn:${AWS::Partition}:kms:*:${AWS::AccountId}:key/*", """
       """!Sub "arn:aws:kms:*:${AWS::AccountId}:key/*"]"""),
      ('"Action": "kms:Encrypt", "Resource": "*"',
       '"Action": "kms:Encrypt", "Resource": "arn:${AWS::Partition}:kms:*:${AWS::AccountId}:key/*"')),
    ("KMS101", "KMS101", "KMS104", "KMS203"))

CFN_JSON_UNSAFE = Case("template.json", """{
  "Resources": {
    "DataKey": {
      "Type": "AWS::KMS::Key",
      "Properties": {
        "Description": "data",
        "BypassPolicyLockoutSafetyCheck": true
      }
    },
    "Reader": {
      "Type": "AWS::IAM::ManagedPolicy",
      "Properties": {"PolicyDocument": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]}}
    }
  }
}
""", (('"Description": "data",\n        "BypassPolicyLockoutSafetyCheck": true',
       '"Description": "data"'),
      ('"Resource": "*"',
       '"Resource": {"Fn::Sub": "arn:${AWS::Partition}:kms:*:${AWS::AccountId}:key/*"}')),
    ("KMS101", "KMS203"))

HCL_UNSAFE = Case("main.tf", """\
data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

resource "aws_kms_key" "data" {
  bypass_policy_lockout_safety_check = true
  description                        = "data"
}

resource "aws_iam_role_policy" "app" {
  role = "app"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "kms:Decrypt", Resource = "*" }]
  })
}

data "aws_iam_policy_document" "doc" {
  statement {
    actions   = ["kms:Encrypt"]
    resources = ["arn:aws:kms:*:*:key/*"]
  }
}
resource "aws_iam_policy" "doc" { policy = data.aws_iam_policy_document.doc.json }

resource "aws_iam_policy" "heredoc" {
  policy = <<-EOF
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:Sign", "Resource": "*"}]}
  EOF
}
""", (("  bypass_policy_lockout_safety_check = true\n", ""),
      ('Action = "kms:Decrypt", Resource = "*"',
       'Action = "kms:Decrypt", Resource = "arn:${data.aws_partition.current.partition}:kms:*:'
       '${data.aws_caller_identity.current.account_id}:key/*"'),
      ('"arn:aws:kms:*:*:key/*"',
       '"arn:aws:kms:*:${data.aws_caller_identity.current.account_id}:key/*"'),
      ('"Action": "kms:Sign", "Resource": "*"',
       '"Action": "kms:Sign", "Resource": "arn:${data.aws_partition.current.partition}:kms:*:'
       '${data.aws_caller_identity.current.account_id}:key/*"')),
    ("KMS101", "KMS101", "KMS104", "KMS203"))

TF_JSON_UNSAFE = Case("main.tf.json", """{
  "data": {"aws_caller_identity": {"me": {}}},
  "resource": {
    "aws_kms_key": {"data": {"description": "data", "bypass_policy_lockout_safety_check": true}},
    "aws_iam_policy": {
      "p": {"policy": "{\\"Version\\": \\"2012-10-17\\", \\"Statement\\": [{\\"Effect\\": \\"Allow\\", \\"Action\\": \\"kms:Decrypt\\", \\"Resource\\": \\"*\\"}]}"}
    }
  }
}
""", ((', "bypass_policy_lockout_safety_check": true', ""),
      ('\\"Resource\\": \\"*\\"',
       '\\"Resource\\": \\"arn:aws:kms:*:${data.aws_caller_identity.me.account_id}:key/*\\"')),
    ("KMS101", "KMS203"))

UNSAFE = [RAW_UNSAFE, CFN_YAML_UNSAFE, CFN_JSON_UNSAFE, HCL_UNSAFE, TF_JSON_UNSAFE]


@pytest.mark.parametrize("case", UNSAFE, ids=[c.name for c in UNSAFE])
def test_unsafe_fixes_make_the_exact_text_only_when_asked(
        tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str], case: Case) -> None:
    config = tmp_path / "kms-hooks.toml"
    config.write_text('account = "111122223333"\n', encoding="utf-8")
    path = tmp_path / case.name
    path.write_text(case.before, encoding="utf-8")
    before = findings(capsys, path)
    assert sorted(str(f["rule"]) for f in before if f["rule"] in case.fixed) == list(case.fixed)

    main(["--config", str(config), "--fix", str(path)])
    err = capsys.readouterr().err
    assert path.read_text(encoding="utf-8") == case.before  # safe fixes only: none here
    count = len(case.fixed)
    assert f"{count} more findings can be fixed with --unsafe-fixes" in err

    assert main(["--config", str(config), "--fix", "--unsafe-fixes", str(path)]) == 1
    assert f"fixed {count} findings in 1 file" in capsys.readouterr().err
    assert path.read_text(encoding="utf-8") == case.after
    main(["--config", str(config), "--format", "json", str(path)])
    after = json.loads(capsys.readouterr().out)
    assert not [f for f in after if f["rule"] in case.fixed]
    assert [f["rule"] for f in after] == [f["rule"] for f in before if f["rule"] not in case.fixed]
    main(["--config", str(config), "--fix", "--unsafe-fixes", str(path)])
    assert path.read_text(encoding="utf-8") == case.after


@pytest.mark.parametrize("name, text, why", [
    ("policy.json", RAW_UNSAFE.before, "the home account is not configured"),
    ("main.tf", HCL_UNSAFE.before.replace('data "aws_caller_identity" "current" {}\n', ""),
     'the module has no data "aws_caller_identity"'),
    ("template.yaml", CFN_YAML_UNSAFE.before.replace("!Sub |", "|"),
     "the policy is a plain JSON string"),
    ("main.tf", HCL_UNSAFE.before.replace('Action = "kms:Decrypt"',
                                          'Action = ["kms:Decrypt", "kms:ListKeys"]'),
     'kms:ListKeys needs "*": split the statement by hand'),
    ("policy.json", RAW_UNSAFE.before.replace('["kms:Decrypt", "kms:GenerateDataKey"]',
                                              '"kms:*"'),
     'kms:* also grants kms:ConnectCustomKeyStore, kms:CreateAlias, kms:CreateCustomKeyStore '
     '(+'),
    ("template.json", '{"Resources": {"R": {"Type": "AWS::IAM::ManagedPolicy", "Properties": '
                      '{"PolicyDocument": {"Version": "2012-10-17", "Statement": {"Effect": '
                      '"Allow", "Action": ["kms:ListKeys", "kms:Decrypt"], "Resource": "*"}}}}}}\n',
     '"Statement" is one object, not a list'),
])
def test_an_unsafe_fix_that_cannot_be_written_says_why(
        tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str], name: str, text: str,
        why: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    main(["--diff", "--unsafe-fixes", str(path)])
    assert why in capsys.readouterr().err


def test_a_raw_statement_that_also_needs_star_is_split(
        tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The actions that need "*" keep the statement as it was; a copy after it, with the same
    condition and a Sid of its own, holds the key actions on the home account's keys."""
    before = """{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "Use",
      "Effect": "Allow",
      "Action": [
        "s3:GetObject",
        "kms:Decrypt",
        "kms:ListAliases",
        "kms:GenerateDataKey"
      ],
      "Resource": "*",
      "Condition": {"StringEquals": {"aws:RequestedRegion": "us-east-1"}}
    }
  ]
}
"""
    after = """{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "Use",
      "Effect": "Allow",
      "Action": [
        "s3:GetObject",
        "kms:ListAliases"
      ],
      "Resource": "*",
      "Condition": {"StringEquals": {"aws:RequestedRegion": "us-east-1"}}
    },
    {
      "Sid": "UseKeys",
      "Effect": "Allow",
      "Action": [
        "kms:Decrypt",
        "kms:GenerateDataKey"
      ],
      "Resource": "arn:aws:kms:*:111122223333:key/*",
      "Condition": {"StringEquals": {"aws:RequestedRegion": "us-east-1"}}
    }
  ]
}
"""
    config = tmp_path / "kms-hooks.toml"
    config.write_text('account = "111122223333"\n', encoding="utf-8")
    path = tmp_path / "policy.json"
    path.write_text(before, encoding="utf-8")
    assert main(["--config", str(config), "--fix", "--unsafe-fixes", str(path)]) == 1
    assert "fixed 1 finding in 1 file" in capsys.readouterr().err
    assert path.read_text(encoding="utf-8") == after
    assert main(["--config", str(config), "--fix", "--unsafe-fixes", str(path)]) == 0
    assert path.read_text(encoding="utf-8") == after


def test_a_cloudformation_json_statement_that_also_needs_star_is_split(
        tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    head = ('{"Resources": {"R": {"Type": "AWS::IAM::ManagedPolicy", "Properties": '
            '{"PolicyDocument": {"Version": "2012-10-17", "Statement": [\n')
    before = head + ('  {"Effect": "Allow", "Action": ["kms:Decrypt", "ec2:DescribeInstances"], '
                     '"Resource": "*"}]}}}}}\n')
    after = head + ('  {"Effect": "Allow", "Action": ["ec2:DescribeInstances"], "Resource": "*"},\n'
                    '  {"Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": {"Fn::Sub": '
                    '"arn:${AWS::Partition}:kms:*:${AWS::AccountId}:key/*"}}]}}}}}\n')
    path = tmp_path / "template.json"
    path.write_text(before, encoding="utf-8")
    assert main(["--fix", "--unsafe-fixes", str(path)]) == 1
    assert path.read_text(encoding="utf-8") == after
    assert main(["--fix", "--unsafe-fixes", str(path)]) == 0


def test_a_terraform_plan_is_reported_but_never_fixed(
        tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    """terraform writes plans: the fix belongs in the configuration they come from."""
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "kms:Decrpyt",
         "Resource": "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"}]}
    plan = json.dumps({"format_version": "1.2", "planned_values": {"root_module": {"resources": [
        {"address": "aws_iam_policy.p", "mode": "managed", "type": "aws_iam_policy", "name": "p",
         "values": {"policy": json.dumps(policy)}}]}}}, indent=2) + "\n"
    path = tmp_path / "plan.json"
    path.write_text(plan, encoding="utf-8")
    assert [f["rule"] for f in findings(capsys, path)] == ["KMS111"]
    assert main(["--fix", str(path)]) == 1  # the finding remains; no file changed
    assert "fixed 0 findings in 0 files" in capsys.readouterr().err
    assert path.read_text(encoding="utf-8") == plan


def test_sarif_with_fixes_is_valid_against_the_schema(
        tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str], shared: pathlib.Path) -> None:
    import jsonschema

    schema = json.loads((shared / "reference" / "sarif-schema-2.1.0.json").read_text())
    for case in (HCL, CFN_YAML, HCL_UNSAFE):
        path = tmp_path / case.name
        path.write_text(case.before, encoding="utf-8")
        main(["--format", "sarif", str(path)])
        log = json.loads(capsys.readouterr().out)
        jsonschema.Draft4Validator(schema).validate(log)
        fixes = [r["fixes"] for r in log["runs"][0]["results"] if "fixes" in r]
        assert len(fixes) >= len(case.fixed) - 1
    unsafe = [r for r in log["runs"][0]["results"] if r["ruleId"] == "KMS203"]
    assert unsafe[0]["fixes"][0]["description"]["text"] == (
        "remove bypass_policy_lockout_safety_check (unsafe: applied with --unsafe-fixes)")
