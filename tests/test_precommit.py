"""Real pre-commit runs this repository's hooks on bad and good files.

`pre-commit try-repo` tries every hook of this checkout (its snapshot, `hook_repository`) the way
a hook author does; it builds a fresh environment on each call, so there are two calls, one on
bad files and one on good ones.  `pre-commit run` runs the hooks from a `.pre-commit-config.yaml`
the way a user does, in the environment shared with the other tests that run pre-commit.
"""
from __future__ import annotations

import pathlib
import re
import shutil
from typing import Any

import pytest
import yaml

from tests.hookrepo import ROOT, Shell, readme_rev

pytestmark = pytest.mark.skipif(shutil.which("pre-commit") is None, reason="needs pre-commit")

# A policy whose "*" on line 6 (columns 17-20) is a KMS101 error; listing one key fixes it.
BAD = ('{\n  "Version": "2012-10-17",\n  "Statement": [{\n    "Effect": "Allow",\n'
       '    "Action": ["kms:Decrypt", "kms:GenerateDataKey"],\n    "Resource": "*"\n  }]\n}\n')
GOOD = BAD.replace('"*"', '"arn:aws:kms:us-east-1:111122223333:key/'
                          '1234abcd-12ab-34cd-56ef-1234567890ab"')
# A template whose IAM policy has the same problem, at line 11, column 23.
TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Resources:
  Reader:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Effect: Allow
            Action: kms:Decrypt
            Resource: '*'
"""
# The diagnostics, up to their messages (the rules' own tests hold the wording).
POLICY_FINDING = "iam/reader.json:6:17: KMS101 error: "
TEMPLATE_FINDING = "templates/reader.yaml:11:23: KMS101 error: "
DIAGNOSTIC = re.compile(r"^\S+:\d+:\d+: KMS\d{3} ", re.M)
HOOK_NAMES = {hook["name"]: hook["id"] for hook in yaml.safe_load(
    (ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, shell: Shell,
            hook_repository: pathlib.Path) -> pathlib.Path:
    hooks = "".join(f"    -   id: {hook}\n" for hook in ("kms-iam-policies", "kms-policies"))
    repo = shell.new_repo(tmp_path_factory.mktemp("project") / "repo", {
        ".pre-commit-config.yaml":
            f"repos:\n-   repo: {hook_repository}\n    rev: {readme_rev()}\n    hooks:\n{hooks}",
        "iam/reader.json": BAD,
        "iam/writer.json": GOOD,
        "templates/reader.yaml": TEMPLATE,
        "templates/writer.yaml": TEMPLATE.replace("'*'", "arn:aws:kms:*:111122223333:key/*"),
        "package.json": '{"name": "app", "version": "1.0.0"}\n',
    })
    shell.git(repo, "add", "-A")
    return repo


def results(done: Any) -> dict[str, tuple[str, str]]:
    """Hook id -> (status, what the hook printed), from pre-commit's report."""
    found: dict[str, tuple[str, str]] = {}
    status_line = re.compile(r"^(.+?)\.{3,}(?:\(no files to check\))?(Passed|Failed|Skipped)$",
                             re.M)
    marks = list(status_line.finditer(done.stdout))
    for mark, following in zip(marks, marks[1:] + [None]):
        end = following.start() if following else len(done.stdout)
        found[HOOK_NAMES[mark.group(1)]] = (mark.group(2), done.stdout[mark.end():end])
    return found


def test_try_repo_fails_on_bad_files_and_passes_on_good_ones(
        shell: Shell, hook_repository: pathlib.Path, project: pathlib.Path) -> None:
    failed = shell(f"pre-commit try-repo {hook_repository} --files iam/reader.json "
                   "templates/reader.yaml package.json", project)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    hooks = results(failed)
    assert set(hooks) == set(HOOK_NAMES.values())
    status, printed = hooks["kms-iam-policies"]
    assert (status, len(DIAGNOSTIC.findall(printed))) == ("Failed", 1)
    assert POLICY_FINDING in printed
    status, printed = hooks["kms-policies"]
    assert (status, len(DIAGNOSTIC.findall(printed))) == ("Failed", 2)
    assert POLICY_FINDING in printed and TEMPLATE_FINDING in printed
    status, printed = hooks["kms-cloudformation"]
    assert (status, len(DIAGNOSTIC.findall(printed))) == ("Failed", 1)
    assert TEMPLATE_FINDING in printed
    assert hooks["kms-terraform"][0] in ("Passed", "Skipped")

    passed = shell(f"pre-commit try-repo {hook_repository} --files iam/writer.json "
                   "templates/writer.yaml package.json", project)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert {status for status, _ in results(passed).values()} <= {"Passed", "Skipped"}
    assert not DIAGNOSTIC.search(passed.stdout)


def test_run_from_the_configuration(shell: Shell, project: pathlib.Path) -> None:
    failed = shell("pre-commit run --all-files", project)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    hooks = results(failed)
    assert hooks["kms-iam-policies"][0] == hooks["kms-policies"][0] == "Failed"
    assert POLICY_FINDING in hooks["kms-iam-policies"][1]
    assert POLICY_FINDING in hooks["kms-policies"][1]
    assert TEMPLATE_FINDING in hooks["kms-policies"][1]
    assert "writer" not in failed.stdout
    passed = shell("pre-commit run --files iam/writer.json templates/writer.yaml", project)
    assert passed.returncode == 0, passed.stdout + passed.stderr


def test_a_file_named_like_an_option_is_checked_as_a_file(
        tmp_path: pathlib.Path, shell: Shell, hook_repository: pathlib.Path) -> None:
    # pre-commit passes file names after the hook's args: these would be options.
    repo = shell.new_repo(tmp_path / "repo", {
        ".pre-commit-config.yaml":
            f"repos:\n-   repo: {hook_repository}\n    rev: {readme_rev()}\n    hooks:\n"
            "    -   id: kms-policies\n        args: [--fail-on, error]\n",
        "iam/reader.json": BAD,
        "--write-baseline=.kms-baseline.json": "",
        "--fail-on=never.json": BAD,
        "-q.json": "",
    })
    shell.git(repo, "add", "-A")
    failed = shell("pre-commit run --all-files", repo)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    status, printed = results(failed)["kms-policies"]
    assert status == "Failed"
    assert sorted(DIAGNOSTIC.findall(printed)) == ["--fail-on=never.json:6:17: KMS101 ",
                                                   "iam/reader.json:6:17: KMS101 "]
    assert not (repo / ".kms-baseline.json").exists()
