"""The kms-terraform hook on .tf.json configuration: every resource type, both JSON forms,
data sources followed across the files of a module, exact positions."""
from __future__ import annotations

import json
import pathlib
import shutil

import pytest

from kms_hooks.cli import main, main_terraform
from kms_hooks.sources.base import SourceFile
from kms_hooks.sources.terraform.source import TerraformSource

FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "terraform"


def findings(capsys: pytest.CaptureFixture[str], *paths: pathlib.Path | str,
             hook=main_terraform) -> list[str]:
    """`path:line:col: RULE` of each finding, paths relative to the fixtures."""
    hook([str(p) for p in paths])
    out = capsys.readouterr().out
    return [line.split(" ", 2)[0].replace(str(FIXTURES) + "/", "") + " " + line.split(" ")[1]
            for line in out.splitlines()]


def test_every_resource_type_is_read_with_its_kind(capsys: pytest.CaptureFixture[str]) -> None:
    assert findings(capsys, FIXTURES / "resources") == [
        "resources/main.tf.json:6:160: KMS101",  # aws_iam_policy
        "resources/main.tf.json:12:133: KMS102",  # aws_iam_role_policy, ${aws_kms_key.data.key_id}
        "resources/main.tf.json:18:133: KMS103",  # aws_iam_user_policy, ${aws_kms_alias.data.arn}
        "resources/main.tf.json:24:102: KMS108",  # aws_iam_group_policy
        "resources/main.tf.json:34:106: KMS106",  # aws_iam_role inline_policy
        "resources/main.tf.json:43:109: KMS107",  # aws_ssoadmin_permission_set_inline_policy
        "resources/main.tf.json:49:279: KMS201",  # aws_kms_key
        "resources/main.tf.json:64:66: KMS202",  # aws_kms_replica_key
        "resources/main.tf.json:70:47: KMS203",  # aws_kms_external_key, no policy
        "resources/main.tf.json:76:267: KMS201",  # aws_kms_replica_external_key, NotPrincipal
        "resources/main.tf.json:82:217: KMS003",  # aws_kms_key_policy
        "resources/main.tf.json:86:7: KMS311",  # aws_vpc_endpoint without a policy
        "resources/main.tf.json:104:178: KMS311",  # aws_vpc_endpoint_policy
        "resources/main.tf.json:110:132: KMS111",  # aws_organizations_policy
        "resources/main.tf.json:123:9: KMS302",  # aws_kms_grant without constraints
        "resources/main.tf.json:126:11: KMS301",  # aws_kms_grant with CreateGrant
    ]


def test_messages_name_the_resource(capsys: pytest.CaptureFixture[str]) -> None:
    main_terraform([str(FIXTURES / "resources" / "main.tf.json"), "--select", "KMS203"])
    out = capsys.readouterr().out
    assert out.endswith(": KMS203 warning: aws_kms_external_key.imported: "
                        "bypass_policy_lockout_safety_check = true: the key policy lockout "
                        "safety check is bypassed; a mistaken key policy can then leave the key "
                        "unmanageable; remove it unless the key policy was reviewed for exactly "
                        "this\n")


def test_array_of_objects_forms(capsys: pytest.CaptureFixture[str]) -> None:
    # Arrays at the block type, label and body levels, a root array, and a policy in a local.
    assert findings(capsys, FIXTURES / "array-form") == [
        "array-form/main.tf.json:32:25: KMS201",
        "array-form/main.tf.json:74:139: KMS101",
        "array-form/root.tf.json:6:137: KMS101",
        "array-form/root.tf.json:13:143: KMS104",
    ]


def test_one_document_checked_as_the_kind_of_each_use(capsys: pytest.CaptureFixture[str]) -> None:
    # The document is the policy of a role (identity: "*" reaches every key) and of a key
    # (key policy: "*" is this key, but Principal "*" opens it to everyone).
    main_terraform(["-v", str(FIXTURES / "shared-document")])
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    by_use = {(line.split(": ")[0].split("/")[-1], line.split(" ")[1], line.split(": ")[2])
              for line in lines}
    reader = "data.aws_iam_policy_document.shared (the policy of aws_iam_role_policy.reader)"
    key = "data.aws_iam_policy_document.shared (the policy of aws_kms_key.shared)"
    assert by_use == {
        ("iam.tf.json:15:25", "KMS108", reader),
        ("iam.tf.json:16:27", "KMS101", reader),
        ("iam.tf.json:22:31", "KMS201", key),
        ("iam.tf.json:25:27", "KMS101", reader),
        ("iam.tf.json:32:25", "KMS102", "data.aws_iam_policy_document.unused"),
        ("kms.tf.json:7:47", "KMS203", key),
    }
    assert ("data.aws_iam_policy_document.unused: not used as the policy of any resource in "
            "this module: checked as an identity policy") in captured.err
    assert f"{key}: checked as a key policy" in captured.err


def test_a_changed_file_sees_the_rest_of_its_module(capsys: pytest.CaptureFixture[str]) -> None:
    # Only iam.tf.json changed: kms.tf.json is read to know the document is a key policy, and
    # nothing is reported in it.
    assert findings(capsys, FIXTURES / "shared-document" / "iam.tf.json") == [
        "shared-document/iam.tf.json:15:25: KMS108",
        "shared-document/iam.tf.json:16:27: KMS101",
        "shared-document/iam.tf.json:22:31: KMS201",
        "shared-document/iam.tf.json:25:27: KMS101",
        "shared-document/iam.tf.json:32:25: KMS102",
    ]
    assert findings(capsys, FIXTURES / "shared-document" / "kms.tf.json") == [
        "shared-document/kms.tf.json:7:47: KMS203",
    ]


def test_each_policy_is_checked_once_when_all_its_files_are_given(
        capsys: pytest.CaptureFixture[str]) -> None:
    both = findings(capsys, FIXTURES / "shared-document" / "kms.tf.json",
                    FIXTURES / "shared-document" / "iam.tf.json")
    assert len(both) == len(set(both)) == 6


def test_a_good_configuration_has_no_findings(capsys: pytest.CaptureFixture[str]) -> None:
    assert main_terraform([str(FIXTURES / "good")]) == 0
    assert capsys.readouterr().out == ""


def test_verbose_says_what_was_not_understood(tmp_path: pathlib.Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    config = {"resource": {
        "aws_iam_policy": {"encoded": {"policy": "${jsonencode({Statement = []})}"},
                           "from_file": {"policy": "${file(\"policy.json\")}"},
                           "from_var": {"policy": "${var.policy}"}},
        "aws_kms_key": {"unknown": {"policy": "${var.key_policy}",
                                    "bypass_policy_lockout_safety_check": True}}}}
    path = tmp_path / "main.tf.json"
    path.write_text(json.dumps(config, indent=2))
    main_terraform(["-v", str(path)])
    captured = capsys.readouterr()
    # jsonencode is read in JSON syntax as in HCL; a file path relative to where terraform
    # runs is not known here.
    assert "aws_iam_policy.encoded: policy written as jsonencode(...): checked as an identity " \
           "policy" in captured.err
    assert 'aws_iam_policy.from_file: policy: file("policy.json") names a file that is not ' \
           'known here: not checked' in captured.err
    assert "aws_iam_policy.from_var: policy is ${var.policy}" in captured.err
    # An unknown key policy is not the default one, and the key's own arguments still count.
    assert captured.out.splitlines() == [
        f"{path}:17:47: KMS203 warning: aws_kms_key.unknown: bypass_policy_lockout_safety_check "
        "= true: the key policy lockout safety check is bypassed; a mistaken key policy can then "
        "leave the key unmanageable; remove it unless the key policy was reviewed for exactly "
        "this"]


def test_templates_in_json_policy_strings(tmp_path: pathlib.Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    policy = ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": '
              '"kms:Decrypt", "Resource": ["${aws_kms_key.k.arn}", '
              '"arn:aws:kms:${var.region}:${data.aws_caller_identity.c.account_id}:key/*", '
              '"arn:aws:kms:us-east-1:$${aws:PrincipalAccount}:alias/x", '
              '"${aws_kms_alias.a.name}", "*"]}]}')
    config = {"data": {"aws_caller_identity": {"c": {}}},
              "resource": {"aws_kms_alias": {"a": {"name": "alias/app"}},
                           "aws_iam_policy": {"p": {"policy": policy}}}}
    path = tmp_path / "main.tf.json"
    path.write_text(json.dumps(config))
    main_terraform([str(path)])
    out = capsys.readouterr().out.splitlines()
    text = path.read_text()
    located = [(line.split(":")[3].strip().split(" ")[0], text[int(line.split(":")[2]) - 1:])
               for line in out]
    # Each finding is at its element inside the string, after the $${ escape too.
    assert [(rule, rest[:24]) for rule, rest in located] == [
        ("KMS103", '\\"arn:aws:kms:us-east-1:'),
        ("KMS103", '\\"${aws_kms_alias.a.name'),
        ("KMS101", '\\"*\\"]}]}"}}}}'),
    ]
    assert "alias/app is an alias name" not in out[1] and "aws_kms_alias.a.name is an alias " \
        "name" in out[1]


def test_other_json_falls_through_to_the_raw_source(tmp_path: pathlib.Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    # Looks like a plan at a glance, is not one: the terraform source declines, raw reads it.
    raw = tmp_path / "policy.json"
    raw.write_text(json.dumps({"format_version": "1", "resource_changes_note": "none",
                               "Version": "2012-10-17", "Statement": [
                                   {"Effect": "Allow", "Action": "kms:Decrypt",
                                    "Resource": "*"}]}))
    file = SourceFile(str(raw))
    source = TerraformSource()
    assert source.sniff(file) is False
    raw.write_text(json.dumps({"format_version": "1", "resource_changes": "none",
                               "Version": "2012-10-17", "Statement": [
                                   {"Effect": "Allow", "Action": "kms:Decrypt",
                                    "Resource": "*"}]}))
    file = SourceFile(str(raw))
    assert source.sniff(file) is True and source.read(file) is None
    assert main([str(raw)]) == 1
    assert ": KMS101 error:" in capsys.readouterr().out
    package = tmp_path / "package.json"
    package.write_text('{"name": "x", "version": "1.0.0"}')
    assert main_terraform([str(package)]) == 0
    not_config = tmp_path / "data.tf.json"
    not_config.write_text('{"Version": "2012-10-17", "Statement": []}')
    assert TerraformSource().read(SourceFile(str(not_config))) is None


def test_a_broken_tf_json_is_a_parse_error_and_others_still_checked(
        tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    module = tmp_path / "module"
    shutil.copytree(FIXTURES / "shared-document", module)
    (module / "broken.tf.json").write_text('{"resource": {\n  "aws_kms_key": }\n')
    assert main_terraform([str(module / "broken.tf.json"), str(module / "iam.tf.json")]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"{module}/broken.tf.json:2:18: KMS001 error: invalid JSON")
    assert len(out) == 6  # iam.tf.json's five findings: the broken sibling is skipped


def test_source_and_override_documents_are_merged(tmp_path: pathlib.Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    base = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "Read", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"},
        {"Sid": "Tag", "Effect": "Allow", "Action": "kms:TagResource", "Resource": "*"}]})
    config = {
        "data": {"aws_iam_policy_document": {
            "base": {"source_policy_documents": [base]},
            "override": {"statement": {"sid": "Tag", "actions": ["kms:TagResource"],
                                       "resources": ["arn:aws:kms:*:111122223333:key/*"]}},
            "merged": {
                "source_policy_documents": ["${data.aws_iam_policy_document.base.json}"],
                "override_policy_documents": ["${data.aws_iam_policy_document.override.json}"],
                "statement": {"sid": "Encrypt", "actions": ["kms:Encrypt"],
                              "resources": ["*"]}},
            "from_variable": {"source_policy_documents": ["${var.base_policy}"],
                              "statement": {"actions": ["kms:Decrypt"], "resources": ["*"]}}}},
        "resource": {"aws_iam_policy": {
            "merged": {"policy": "${data.aws_iam_policy_document.merged.json}"},
            "from_variable": {"policy": "${data.aws_iam_policy_document.from_variable.json}"}}}}
    path = tmp_path / "main.tf.json"
    path.write_text(json.dumps(config))
    main_terraform(["-v", str(path)])
    captured = capsys.readouterr()
    text = path.read_text()
    found = [(line.split(" ")[1], text[int(line.split(":")[2]) - 1:][:14])
             for line in captured.out.splitlines()]
    # "Read" from the source document, "Encrypt" from the document itself; the override's
    # "Tag" (an account's keys) replaced the source's "Tag" on "*".
    assert found == [("KMS101", '\\"*\\"}, {\\"Sid'), ("KMS101", '"*"]}}, "from_')]
    assert "data.aws_iam_policy_document.from_variable (the policy of " \
        "aws_iam_policy.from_variable): source_policy_documents includes ${var.base_policy}, " \
        "which is not known here: not checked" in captured.err


def test_dynamic_statements_leave_the_document_incomplete(
        tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = {
        "data": {"aws_iam_policy_document": {"key": {
            "statement": {"sid": "App", "principals": {"type": "AWS", "identifiers": [
                "arn:aws:iam::111122223333:role/App"]}, "actions": ["kms:Decrypt"],
                "resources": ["*"]},
            "dynamic": {"statement": {"for_each": "${var.admins}", "content": {
                "principals": {"type": "AWS", "identifiers": ["${statement.value}"]},
                "actions": ["kms:*"], "resources": ["*"]}}}}}},
        "resource": {"aws_kms_key": {"k": {"policy": "${data.aws_iam_policy_document.key.json}"}}}}
    path = tmp_path / "main.tf.json"
    path.write_text(json.dumps(config))
    main_terraform(["-v", str(path)])
    captured = capsys.readouterr()
    # Without the dynamic blocks nobody may change the key policy; with them, someone may:
    # the lockout rule does not judge what it cannot see.
    assert "KMS202" not in captured.out
    assert "checked as a key policy (dynamic statement blocks are not expanded: what their " \
        "content writes without the iterator is checked)" in captured.err
