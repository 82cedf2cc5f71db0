"""Suppressions written in the files: where each form applies, exactly, and what is said about
them (the summary, -v, SARIF, KMS004 for unknown ids and suppressions that silence nothing)."""
from __future__ import annotations

import json
import re
import pathlib
from typing import Any

import pytest

from kms_hooks.cli import main
from tests import gitutil
from tests.helpers import at, write

Cap = pytest.CaptureFixture[str]


def run(capsys: Cap, *argv: str) -> tuple[int, list[tuple[str, int, int, str]], list[str], str]:
    """Exit status, (rule, line, column, severity) of each finding, the -v lines that list
    suppressed findings (`line:col: RULE by <form> on line N (reason)`), and the summary."""
    status = main(["--format", "json", "-v", *argv])
    captured = capsys.readouterr()
    findings = [(f["rule"], f["line"], f["column"], f["severity"])
                for f in json.loads(captured.out)]
    silenced = []
    for line in captured.err.splitlines():
        if " suppressed by the " in line:
            where, _, rest = line.partition(" suppressed by the ")
            position = ":".join(where.rsplit(":", 3)[1:])
            silenced.append(f"{position} by {rest.split('): ', 1)[0]})")
    return status, findings, silenced, captured.err.splitlines()[-1]


# CloudFormation YAML ------------------------------------------------------------------------

TEMPLATE = """\
Resources:
  Reader:
    Type: AWS::IAM::Policy
    Properties:
      PolicyName: reader
      Roles: [app]
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Action: [kms:Decrypt]
            Resource: "*"{same_line}
          - Effect: Allow
{above_element}            Action: kms:*
            Resource: arn:aws:kms:us-east-1:111122223333:key/*
{above_resource}  Admin:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Action: kms:PutKeyPolicy
            Resource: "*"
"""


def template(same_line: str = "", above_element: str = "", above_resource: str = "") -> str:
    return TEMPLATE.format(same_line=same_line, above_element=above_element,
                           above_resource=above_resource)


def test_yaml_without_suppressions(tmp_path: pathlib.Path, capsys: Cap) -> None:
    path = write(tmp_path, "template.yaml", template())
    status, findings, silenced, _ = run(capsys, str(path))
    assert findings == [("KMS101", 12, 23, "error"), ("KMS108", 14, 21, "warning"),
                        ("KMS106", 23, 21, "warning"), ("KMS101", 24, 23, "warning")]
    assert silenced == []


def test_yaml_comment_on_the_element_line(tmp_path: pathlib.Path, capsys: Cap) -> None:
    path = write(tmp_path, "template.yaml", template(
        same_line="  # kms-hooks:ignore=KMS101 reads keys other accounts share"))
    status, findings, silenced, summary = run(capsys, str(path))
    assert findings == [("KMS108", 14, 21, "warning"), ("KMS106", 23, 21, "warning"),
                        ("KMS101", 24, 23, "warning")]
    assert silenced == ["12:23: KMS101 by comment on line 12 (reads keys other accounts share)"]
    assert summary.endswith("; 1 suppressed in the files")


def test_yaml_comment_on_the_line_above_the_element(tmp_path: pathlib.Path, capsys: Cap) -> None:
    path = write(tmp_path, "template.yaml", template(
        above_element="            # kms-hooks:ignore=KMS108 the key admin task\n"))
    _, findings, silenced, _ = run(capsys, str(path))
    assert findings == [("KMS101", 12, 23, "error"), ("KMS106", 24, 21, "warning"),
                        ("KMS101", 25, 23, "warning")]
    assert silenced == ["15:21: KMS108 by comment on line 14 (the key admin task)"]


def test_yaml_comment_above_a_list_item_covers_the_statement(tmp_path: pathlib.Path,
                                                              capsys: Cap) -> None:
    text = template().replace("          - Effect: Allow\n            Action: kms:*",
                              "          # kms-hooks:ignore=KMS108\n"
                              "          - Effect: Allow\n            Action: kms:*")
    _, findings, silenced, _ = run(capsys, str(write(tmp_path, "template.yaml", text)))
    assert ("KMS108", 15, 21, "warning") not in findings
    assert silenced == ["15:21: KMS108 by comment on line 13 (no reason given)"]


def test_yaml_comment_above_a_resource_covers_it(tmp_path: pathlib.Path, capsys: Cap) -> None:
    path = write(tmp_path, "template.yaml", template(
        above_resource="  # kms-hooks:ignore=KMS101,KMS106 break-glass administration\n"))
    _, findings, silenced, summary = run(capsys, str(path))
    assert findings == [("KMS101", 12, 23, "error"), ("KMS108", 14, 21, "warning")]
    assert silenced == ["24:21: KMS106 by comment on line 16 (break-glass administration)",
                        "25:23: KMS101 by comment on line 16 (break-glass administration)"]
    assert summary.endswith("; 2 suppressed in the files")


def test_yaml_hash_inside_strings_is_no_comment(tmp_path: pathlib.Path, capsys: Cap) -> None:
    text = template().replace("PolicyName: reader",
                              "PolicyName: 'x # kms-hooks:ignore=KMS101'").replace(
        "Version: \"2012-10-17\"\n        Statement:\n          - Effect: Allow\n"
        "            Action: [kms:Decrypt]",
        "Version: \"2012-10-17\"\n        Statement:\n          - Effect: Allow\n"
        "            Sid: |\n              a # kms-hooks:ignore=KMS101\n"
        "            Action: [kms:Decrypt]")
    _, findings, silenced, _ = run(capsys, str(write(tmp_path, "template.yaml", text)))
    assert [f[0] for f in findings] == ["KMS101", "KMS108", "KMS106", "KMS101"]
    assert silenced == []


def test_metadata_unknown_id_is_reported(tmp_path: pathlib.Path, capsys: Cap) -> None:
    text = template().replace("    Type: AWS::IAM::Policy\n", (
        "    Type: AWS::IAM::Policy\n    Metadata:\n      kms-hooks:\n"
        "        ignore: [KMS999, KMS101]\n        reason: shared keys\n"), 1)
    _, findings, silenced, _ = run(capsys, str(write(tmp_path, "template.yaml", text)))
    assert findings == [("KMS004", 6, 18, "warning"), ("KMS108", 18, 21, "warning"),
                        ("KMS106", 27, 21, "warning"), ("KMS101", 28, 23, "warning")]
    assert silenced == ["16:23: KMS101 by Metadata on line 5 (shared keys)"]


# HCL ----------------------------------------------------------------------------------------

HCL = """\
resource "aws_iam_role_policy" "app" {
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["kms:Decrypt"]
      Resource = "*"<same_line>
    }]
  })
}

<above_resource>resource "aws_iam_policy" "admin" {
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = "kms:*"
      Resource = "arn:aws:kms:us-east-1:111122223333:key/*"
    }]
  })
}

<above_data>data "aws_iam_policy_document" "reader" {
  statement {
    actions   = ["kms:Encrypt"]
    resources = ["*"]
  }
<above_statement>  statement {
    actions   = ["kms:ScheduleKeyDeletion"]
    resources = ["arn:aws:kms:us-east-1:111122223333:key/*"]
  }
}
"""


def hcl(same_line: str = "", above_resource: str = "", above_data: str = "",
        above_statement: str = "") -> str:
    return (HCL.replace("<same_line>", same_line).replace("<above_resource>", above_resource)
            .replace("<above_data>", above_data).replace("<above_statement>", above_statement))


ALL_HCL = [("KMS101", 7, 18, "error"), ("KMS108", 17, 18, "warning"),
           ("KMS101", 26, 18, "error"), ("KMS106", 29, 18, "warning")]


def test_hcl_without_suppressions(tmp_path: pathlib.Path, capsys: Cap) -> None:
    _, findings, silenced, _ = run(capsys, str(write(tmp_path, "main.tf", hcl())))
    assert (findings, silenced) == (ALL_HCL, [])


@pytest.mark.parametrize("comment", [
    "  # kms-hooks:ignore=KMS101 reads shared keys",
    "  // kms-hooks:ignore=KMS101 reads shared keys",
    "  /* kms-hooks:ignore=KMS101 reads shared keys */",
])
def test_hcl_comment_on_the_element_line(tmp_path: pathlib.Path, capsys: Cap,
                                         comment: str) -> None:
    path = write(tmp_path, "main.tf", hcl(same_line=comment))
    _, findings, silenced, _ = run(capsys, str(path))
    assert findings == ALL_HCL[1:]
    assert silenced == ["7:18: KMS101 by comment on line 7 (reads shared keys)"]


@pytest.mark.parametrize("comment", ["# kms-hooks:ignore=KMS108 admin role",
                                     "// kms-hooks:ignore=KMS108 admin role",
                                     "/* kms-hooks:ignore=KMS108\n   admin role */"])
def test_hcl_comment_above_a_resource_covers_it(tmp_path: pathlib.Path, capsys: Cap,
                                                comment: str) -> None:
    path = write(tmp_path, "main.tf", hcl(above_resource=comment + "\n"))
    lines = comment.count("\n") + 1
    _, findings, silenced, _ = run(capsys, str(path))
    assert findings == [ALL_HCL[0], *[(r, line + lines, c, s) for r, line, c, s in ALL_HCL[2:]]]
    assert silenced == [f"{17 + lines}:18: KMS108 by comment on line 12 (admin role)"]


@pytest.mark.parametrize(("above_data", "expected"), [
    ("# kms-hooks:ignore=KMS101,KMS106 CI\n",
     ["27:18: KMS101 by comment on line 23 (CI)", "30:18: KMS106 by comment on line 23 (CI)"]),
    # Stacked comments each apply to the block below them.
    ("# kms-hooks:ignore=KMS101 one\n# kms-hooks:ignore=KMS106 two\n",
     ["28:18: KMS101 by comment on line 23 (one)", "31:18: KMS106 by comment on line 24 (two)"]),
])
def test_hcl_comment_above_a_data_block_covers_every_statement(
        tmp_path: pathlib.Path, capsys: Cap, above_data: str, expected: list[str]) -> None:
    path = write(tmp_path, "main.tf", hcl(above_data=above_data))
    _, findings, silenced, _ = run(capsys, str(path))
    assert (findings, silenced) == (ALL_HCL[:2], expected)


def test_hcl_comment_above_a_statement_block_covers_it(tmp_path: pathlib.Path,
                                                       capsys: Cap) -> None:
    path = write(tmp_path, "main.tf", hcl(
        above_statement="  # kms-hooks:ignore=KMS106,KMS101 the cleanup job\n"))
    _, findings, silenced, _ = run(capsys, str(path))
    # The first statement's KMS101 lies outside the block the comment is above: reported, and
    # the comment's KMS101 silences nothing.
    assert findings == [*ALL_HCL[:3], ("KMS004", 28, 29, "note")]
    assert silenced == ["30:18: KMS106 by comment on line 28 (the cleanup job)"]


def test_hcl_comment_above_an_attribute_covers_its_whole_value(tmp_path: pathlib.Path,
                                                               capsys: Cap) -> None:
    text = hcl().replace('    resources = ["*"]\n', '    # kms-hooks:ignore=KMS101\n'
                                                   '    resources = [\n      "*",\n    ]\n')
    _, findings, silenced, _ = run(capsys, str(write(tmp_path, "main.tf", text)))
    assert findings == [*ALL_HCL[:2], ("KMS106", 32, 18, "warning")]
    assert silenced == ["28:7: KMS101 by comment on line 26 (no reason given)"]


def test_hcl_directive_text_in_a_string_is_no_comment(tmp_path: pathlib.Path,
                                                      capsys: Cap) -> None:
    text = hcl().replace('Version = "2012-10-17"\n    Statement = [{\n      Effect   = "Allow"\n'
                         '      Action   = ["kms:Decrypt"]',
                         'Version = "2012-10-17"\n    Statement = [{\n      Effect   = "Allow"\n'
                         '      Sid      = "# kms-hooks:ignore=KMS101"\n'
                         '      Action   = ["kms:Decrypt"]', 1)
    _, findings, silenced, _ = run(capsys, str(write(tmp_path, "main.tf", text)))
    assert findings[0] == ("KMS101", 8, 18, "error") and silenced == []


# Terraform JSON -----------------------------------------------------------------------------

TF_JSON = """\
{
  "resource": {
    "aws_iam_policy": {
      "reader": {
        "//": "kms-hooks:ignore=KMS101 reads keys other accounts share",
        "policy": "${jsonencode({Statement = [{Effect = \\"Allow\\", Action = \\"kms:Decrypt\\", Resource = \\"*\\"}]})}"
      },
      "writer": {
        "policy": "${jsonencode({Statement = [{Effect = \\"Allow\\", Action = \\"kms:Encrypt\\", Resource = \\"*\\"}]})}"
      }
    }
  },
  "data": {
    "aws_iam_policy_document": {
      "doc": {
        "statement": [
          {"actions": ["kms:Decrypt"], "resources": ["*"]},
          {"//": ["kms-hooks:ignore=KMS101", "the backup job"],
           "actions": ["kms:Encrypt"], "resources": ["*"]}
        ]
      }
    }
  }
}
"""


def test_terraform_json_comment_property(tmp_path: pathlib.Path, capsys: Cap) -> None:
    path = write(tmp_path, "main.tf.json", TF_JSON)
    _, findings, silenced, summary = run(capsys, str(path))
    writer = at(TF_JSON, '"${jsonencode', 2)
    doc = at(TF_JSON, '"*"', 1)
    assert findings == [("KMS101", *writer, "error"), ("KMS101", *doc, "error")]
    reader = at(TF_JSON, '"${jsonencode', 1)
    backup = at(TF_JSON, '"*"', 2)
    assert silenced == [
        f"{reader[0]}:{reader[1]}: KMS101 by \"//\" property on line 5 "
        "(reads keys other accounts share)",
        f"19:{backup[1]}: KMS101 by \"//\" property on line 18 (no reason given)"]
    assert summary.endswith("; 2 suppressed in the files")


# What is said about suppressions ------------------------------------------------------------

def test_unknown_ids_and_unused_suppressions(tmp_path: pathlib.Path, capsys: Cap) -> None:
    text = hcl(same_line="  # kms-hooks:ignore=KMS999,KMS104,KMS101 shared keys")
    path = write(tmp_path, "main.tf", text)
    status, findings, silenced, _ = run(capsys, str(path))
    assert findings[:2] == [("KMS004", 7, 42, "warning"), ("KMS004", 7, 49, "note")]
    assert findings[2:] == ALL_HCL[1:]
    assert silenced == ["7:18: KMS101 by comment on line 7 (shared keys)"]
    main([str(path)])
    out = capsys.readouterr().out.splitlines()
    assert out[:2] == [
        f"{path}:7:42: KMS004 warning: kms-hooks:ignore names KMS999, which is no rule: it "
        "silences nothing; see --list-rules",
        f"{path}:7:49: KMS004 note: kms-hooks:ignore=KMS104 silences nothing here: no KMS104 "
        "finding in what it covers; remove it"]


def test_rules_may_be_named(tmp_path: pathlib.Path, capsys: Cap) -> None:
    path = write(tmp_path, "main.tf", hcl(same_line=" # kms-hooks:ignore=resource-star shared"))
    _, findings, silenced, _ = run(capsys, str(path))
    assert (findings, silenced) == (ALL_HCL[1:], ["7:18: KMS101 by comment on line 7 (shared)"])


def test_a_suppressed_finding_is_not_fixed(tmp_path: pathlib.Path, capsys: Cap) -> None:
    text = hcl().replace('Resource = "*"', 'Resource = [aws_kms_key.data.key_id]')
    path = write(tmp_path, "main.tf", text.replace(
        "key_id]", "key_id] # kms-hooks:ignore=KMS102 a test of key ids", 1))
    assert main(["--diff", str(path)]) == 0
    assert capsys.readouterr().out == ""
    path.write_text(text)
    assert main(["--diff", str(path)]) == 1
    assert "+      Resource = [aws_kms_key.data.arn]" in capsys.readouterr().out


def test_malformed_directive_is_reported(tmp_path: pathlib.Path, capsys: Cap) -> None:
    path = write(tmp_path, "main.tf", hcl(same_line=" # kms-hooks:ignroe=KMS101"))
    _, findings, _, _ = run(capsys, str(path))
    assert findings[:2] == [("KMS101", 7, 18, "error"), ("KMS004", 7, 24, "warning")]
    path = write(tmp_path, "main.tf", hcl(same_line=" # kms-hooks:ignore KMS101"))
    _, findings, _, _ = run(capsys, str(path))
    assert findings[:2] == [("KMS101", 7, 18, "error"), ("KMS004", 7, 24, "warning")]


def test_rules_that_do_not_run_are_not_judged(tmp_path: pathlib.Path, capsys: Cap) -> None:
    path = write(tmp_path, "main.tf", hcl(same_line=" # kms-hooks:ignore=KMS101"))
    _, findings, _, _ = run(capsys, "--select", "KMS108", str(path))
    assert findings == [("KMS108", 17, 18, "warning")]
    _, findings, _, _ = run(capsys, "--ignore", "KMS004", str(path))
    assert findings == ALL_HCL[1:]


def test_a_note_does_not_fail_the_run(tmp_path: pathlib.Path, capsys: Cap) -> None:
    good = ('data "aws_iam_policy_document" "d" {\n  statement {\n'
            '    actions   = ["kms:Decrypt"] # kms-hooks:ignore=KMS101 left over\n'
            '    resources = ["arn:aws:kms:us-east-1:111122223333:key/*"]\n  }\n}\n')
    path = write(tmp_path, "main.tf", good)
    status, findings, _, _ = run(capsys, str(path))
    assert (status, findings) == (0, [("KMS004", 3, 52, "note")])


# The sample repository of the issue: one suppressed and one reported finding per format ------

def test_sample_repository(repo: pathlib.Path, shared: pathlib.Path, capsys: Cap) -> None:
    import jsonschema

    gitutil.write(repo, "infra/main.tf", hcl(same_line="  # kms-hooks:ignore=KMS101 reads shared keys")
          .split("\n\ndata ")[0] + "\n")
    gitutil.write(repo, "stack/template.yaml", template(
        above_element="            # kms-hooks:ignore=KMS108 the key admin task\n")
          .split("  Admin:")[0])
    gitutil.write(repo, "cdktf/main.tf.json", TF_JSON.split(',\n  "data"')[0] + "\n}\n")
    gitutil.commit(repo)
    status, findings, silenced, summary = run(capsys, ".")
    assert status == 1
    assert findings == [("KMS101", *at(TF_JSON, '"${jsonencode', 2), "error"),
                        ("KMS108", 17, 18, "warning"),
                        ("KMS101", 12, 23, "error")]
    assert len(silenced) == 3 and summary.endswith("; 3 suppressed in the files")

    main(["--format", "sarif", "."])
    log: dict[str, Any] = json.loads(capsys.readouterr().out)
    schema = json.loads((shared / "reference" / "sarif-schema-2.1.0.json").read_text())
    jsonschema.Draft4Validator(schema).validate(log)
    results = log["runs"][0]["results"]
    suppressed = [(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                   r["ruleId"], r["suppressions"][0]["kind"],
                   r["suppressions"][0]["justification"],
                   r["suppressions"][0]["location"]["physicalLocation"]["region"]["startLine"])
                  for r in results if "suppressions" in r]
    assert suppressed == [("cdktf/main.tf.json", "KMS101", "inSource",
                           "reads keys other accounts share", 5),
                          ("infra/main.tf", "KMS101", "inSource", "reads shared keys", 7),
                          ("stack/template.yaml", "KMS108", "inSource", "the key admin task", 14)]
    assert [r["ruleId"] for r in results if "suppressions" not in r] == [
        "KMS101", "KMS108", "KMS101"]


def test_the_readme_example(tmp_path: pathlib.Path, capsys: Cap,
                            monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's files, checked with the command it shows: the lines it prints, up to
    their `...`, stdout first and then -v's listing on stderr."""
    readme = (pathlib.Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = readme[readme.index("\n## Suppressing findings\n"):]
    section = section[:section.index("\n## ", 1)]
    blocks = re.findall(r"^`([\w.]+)`:\n\n```\w+\n(.*?)^```$", section, re.S | re.M)
    assert [name for name, _ in blocks] == ["main.tf", "template.yaml", "main.tf.json"]
    for name, text in blocks:
        (tmp_path / name).write_text(text)
    command = re.search(r"^`(kms-policies [^`]*)` reports", section, re.M)
    assert command is not None
    [shown] = [text for language, text in re.findall(r"^```(\w*)\n(.*?)^```$", section,
                                                     re.S | re.M) if not language]
    monkeypatch.chdir(tmp_path)
    assert main(command.group(1).split()[1:]) == 1
    captured = capsys.readouterr()
    err = captured.err.splitlines()
    printed = captured.out.splitlines() + [line for line in err if " suppressed by " in line]
    printed.append(err[-1])
    expected = [line.removesuffix("...") for line in shown.splitlines()]
    assert len(printed) == len(expected)
    for line, want in zip(printed, expected):
        assert line.startswith(want)


def test_a_yaml_comment_ends_at_any_yaml_line_break(tmp_path: pathlib.Path, capsys: Cap) -> None:
    """With CR line ends git sees one line; the comment still ends where YAML ends it, so the
    directive text in a later string is no comment."""
    text = template(above_element="            # a note\n").replace(
        "Action: kms:*", 'Action: kms:*\n            Sid: "kms-hooks:ignore=KMS108"')
    path = tmp_path / "template.yaml"
    path.write_bytes(text.replace("\n", "\r").encode())
    _, findings, silenced, _ = run(capsys, str(path))
    assert [f[0] for f in findings] == ["KMS101", "KMS108", "KMS106", "KMS101"]
    assert silenced == []


def test_metadata_in_a_json_template(tmp_path: pathlib.Path, capsys: Cap) -> None:
    text = json.dumps({"Resources": {"Reader": {
        "Type": "AWS::IAM::Policy",
        "Metadata": {"kms-hooks": {"ignore": ["KMS101", "KMS104", "KMS998"],
                                   "reason": "shared keys"}},
        "Properties": {"PolicyName": "reader", "Roles": ["app"], "PolicyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]}}},
        "Broken": {"Type": "AWS::IAM::Policy", "Metadata": {"kms-hooks": {"reason": "x"}}}}},
        indent=1)
    path = write(tmp_path, "template.json", text)
    _, findings, silenced, _ = run(capsys, str(path))
    unknown, unused, broken = (at(text, '"KMS998"'), at(text, '"KMS104"'),
                               at(text, '"kms-hooks"', 2))
    assert findings == [("KMS004", *unused, "note"), ("KMS004", *unknown, "warning"),
                        ("KMS004", *broken, "warning")]
    star, directive = at(text, '"*"'), at(text, '"kms-hooks"')
    assert silenced == [f"{star[0]}:{star[1]}: KMS101 by Metadata on line {directive[0]} "
                        "(shared keys)"]
