"""The hooks on Terraform HCL (`.tf`): every form a policy takes in HCL, references followed
across the files of a module, syntax errors, exact positions."""
from __future__ import annotations

import pathlib
import re

import pytest
import yaml

from kms_hooks.cli import main, main_terraform
from tests.gitutil import git, repo, write  # noqa: F401  (repo is a fixture)

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures" / "terraform-hcl"


def findings(capsys: pytest.CaptureFixture[str], *paths: pathlib.Path | str,
             hook=main_terraform, options: tuple[str, ...] = ()) -> list[str]:
    """`path:line:col: RULE` of each finding, paths relative to the fixtures."""
    hook([*options, *(str(p) for p in paths)])
    out = capsys.readouterr().out
    return [line.split(" ", 2)[0].replace(str(FIXTURES) + "/", "") + " " + line.split(" ")[1]
            for line in out.splitlines()]


def test_every_form_of_policy_in_hcl(capsys: pytest.CaptureFixture[str]) -> None:
    assert findings(capsys, FIXTURES / "forms" / "main.tf") == [
        "forms/main.tf:11:33: KMS111",  # <<EOF heredoc: "kms:Decrpyt"
        "forms/main.tf:26:21: KMS106",  # <<-KMS_POLICY heredoc, indentation removed
        "forms/main.tf:35:126: KMS101",  # a quoted JSON string, through its escapes
        "forms/main.tf:53:21: KMS201",  # jsonencode({...}) of a key policy: Principal = "*"
        "forms/main.tf:73:18: KMS113",  # aws_iam_policy_document beside a dynamic statement
    ]


def test_verbose_says_what_was_not_read(capsys: pytest.CaptureFixture[str]) -> None:
    main_terraform(["-v", str(FIXTURES / "forms" / "main.tf")])
    err = capsys.readouterr().err
    assert ("aws_kms_key.unknown: policy written as jsonencode(...): checked as a key policy "
            "(statements written as expressions are not read)") in err
    assert ("data.aws_iam_policy_document.dynamic (the policy of aws_iam_policy.dynamic): "
            "checked as an identity policy (dynamic statement blocks are not expanded: what "
            "their content writes without the iterator is checked)") in err
    assert ('aws_iam_policy.relative: policy: file(policy.json) names a file that is not known '
            'here: not checked') in err
    assert "aws_iam_role_policy.indented: policy written as JSON: checked as an identity" in err


def test_a_module_split_across_files(capsys: pytest.CaptureFixture[str]) -> None:
    assert findings(capsys, FIXTURES / "module") == [
        "module/iam.tf:19:22: KMS201",  # the document is the key policy of aws_kms_key.data
        "module/iam.tf:32:9: KMS102",  # aws_kms_key.data.key_id
        "module/iam.tf:33:9: KMS103",  # aws_kms_alias.data.arn
        "module/iam.tf:34:9: KMS103",  # aws_kms_alias.data.name
        "module/policies/app.json:7:19: KMS101",  # file("${path.module}/policies/app.json")
        "module/policies/templated.json.tpl:7:30: KMS104",  # templatefile(...)
    ]


def test_a_changed_file_sees_the_rest_of_its_module(capsys: pytest.CaptureFixture[str]) -> None:
    # Only iam.tf changed: its document is the key policy of a key in kms.tf, so it is checked
    # as a key policy (Principal "*" is KMS201); nothing is reported in the other files.
    assert findings(capsys, FIXTURES / "module" / "iam.tf") == [
        "module/iam.tf:19:22: KMS201",
        "module/iam.tf:32:9: KMS102",
        "module/iam.tf:33:9: KMS103",
        "module/iam.tf:34:9: KMS103",
    ]
    assert findings(capsys, FIXTURES / "module" / "kms.tf") == []


def test_a_file_read_by_a_tf_file_is_reported_once(capsys: pytest.CaptureFixture[str]) -> None:
    # kms-policies reads app.json as a raw policy too: the same finding is not given twice.
    module = FIXTURES / "module"
    assert findings(capsys, module / "app.tf", module / "policies" / "app.json", hook=main) == [
        "module/policies/app.json:7:19: KMS101"]


def test_syntax_error_is_reported_and_the_valid_blocks_are_checked(
        capsys: pytest.CaptureFixture[str]) -> None:
    status = main_terraform([str(FIXTURES / "broken" / "main.tf")])
    out = capsys.readouterr().out
    assert status == 1
    assert out.splitlines()[0].startswith(f"{FIXTURES}/broken/main.tf:5:73: KMS101 error: "
                                          "aws_iam_policy.valid:")
    assert out.splitlines()[1] == (f"{FIXTURES}/broken/main.tf:13:55: KMS001 error: "
                                   "invalid HCL: unexpected ']'")


def test_tfvars_files_are_skipped(capsys: pytest.CaptureFixture[str]) -> None:
    assert main_terraform(["-v", str(FIXTURES / "module" / "terraform.tfvars")]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "terraform.tfvars: skipped: holds no policy this hook reads" in captured.err


def test_the_hooks_take_terraform_files() -> None:
    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert hooks["kms-terraform"]["types_or"] == ["json", "terraform"]
    # kms-policies takes files by name: *.tf among them (and *.tf.json as *.json).
    assert re.search(hooks["kms-policies"]["files"], "main.tf")
    assert re.search(hooks["kms-policies"]["files"], "main.tf.json")


def test_staged_tf_file_in_a_git_repository(repo: pathlib.Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "main.tf", (FIXTURES / "forms" / "main.tf").read_text())
    git(repo, "add", "main.tf")
    # The working tree changes after staging: the staged text is what is checked.
    write(repo, "main.tf", "# emptied after staging\n")
    assert main_terraform(["--staged"]) == 1
    out = capsys.readouterr().out
    assert [line.split(" ")[0] for line in out.splitlines()] == [
        "main.tf:11:33:", "main.tf:26:21:", "main.tf:35:126:", "main.tf:53:21:",
        "main.tf:73:18:"]


def readme_example() -> tuple[str, list[str]]:
    """The README's `.tf` example and the lines it says the hook prints (up to their `...`)."""
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("### HCL (`.tf`)"):]
    example = section[section.index("```hcl\n") + 7:section.index("```\n\n```\n")]
    output = section[section.index("```\n\n```\n") + 9:]
    output = output[:output.index("```")]
    return example, [line.removesuffix("...") for line in output.splitlines()]


def test_the_readme_example(tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str],
                            monkeypatch: pytest.MonkeyPatch) -> None:
    example, shown = readme_example()
    (tmp_path / "main.tf").write_text(example)
    monkeypatch.chdir(tmp_path)
    assert main_terraform(["main.tf"]) == 1
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == len(shown)
    for line, expected in zip(printed, shown):
        assert line.startswith(expected)


def test_crlf_line_ends_and_nesting_too_deep(tmp_path: pathlib.Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    crlf = tmp_path / "crlf.tf"
    crlf.write_bytes(b'resource "aws_iam_policy" "p" {\r\n  policy = <<-EOF\r\n    {"Statement": '
                     b'[{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]}\r\n'
                     b'  EOF\r\n}\r\n')
    deep = tmp_path / "deep" / "main.tf"
    deep.parent.mkdir()
    deep.write_text("locals {\n  x = " + "[" * 3000 + "]" * 3000 + "\n}\n")
    assert findings(capsys, crlf, deep) == [f"{crlf}:3:77: KMS101", f"{deep}:1:1: KMS001"]


def test_lockout_is_not_judged_on_actions_or_effects_not_known(
        tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    statement = '{{ Effect = {effect}, Principal = {{ AWS = "*" }}, Action = {action}, ' \
                'Resource = "*", Condition = {{ StringEquals = {{ "aws:PrincipalAccount" = ' \
                '"111122223333" }} }} }}'
    keys = [("unknown_actions", '"Allow"', "var.actions"),
            ("unknown_effect", "var.effect", '"kms:*"'),
            ("known", '"Allow"', '"kms:Decrypt"')]
    path = tmp_path / "main.tf"
    path.write_text("".join(
        f'resource "aws_kms_key" "{name}" {{\n  policy = jsonencode({{\n'
        f'    Version = "2012-10-17"\n'
        f'    Statement = [{statement.format(effect=effect, action=action)}]\n  }})\n}}\n'
        for name, effect, action in keys))
    # Only the key whose statements are all known gets KMS202, at its policy (line 14).
    assert findings(capsys, path) == [f"{path}:14:23: KMS202"]


def test_jsonencode_of_locals_points_into_the_locals(capsys: pytest.CaptureFixture[str]) -> None:
    # jsonencode(local.reader), whose second statement is local.decrypt: each finding is where
    # the local writes the element.
    assert findings(capsys, FIXTURES / "forms" / "locals.tf") == [
        "forms/locals.tf:4:88: KMS101", "forms/locals.tf:6:68: KMS101"]
