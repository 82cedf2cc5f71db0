"""Templates are read by content whatever their name, real pre-commit delivers them to the hooks,
and each hook prints one sorted report with one summary however many files a commit holds."""
from __future__ import annotations

import json
import pathlib
import re
import shutil
from typing import Any

import pytest
import yaml

from kms_hooks.cli import main, main_cloudformation
from tests.hookrepo import Shell, readme_rev
from tests.test_precommit import TEMPLATE, results

# TEMPLATE: an IAM policy in a template, KMS101 at line 11, column 23 ("*").
# The same template as JSON: KMS101 at line 13, column 27.
TEMPLATE_JSON = json.dumps(yaml.safe_load(TEMPLATE), indent=2) + "\n"
# A raw policy: KMS101 at line 6, column 17.
POLICY = ('{\n  "Version": "2012-10-17",\n  "Statement": [{\n    "Effect": "Allow",\n'
          '    "Action": "kms:Decrypt",\n    "Resource": "*"\n  }]\n}\n')
SUMMARY = re.compile(r"^\d+ findings? .* checked$", re.M)
DIAGNOSTIC = re.compile(r"^(\S+):(\d+):(\d+): (KMS\d{3}) ", re.M)


@pytest.mark.parametrize("name, text, at", [
    ("app.template", TEMPLATE, "11:23"),
    ("api.template", TEMPLATE_JSON, "13:27"),
    ("stack.cfn", TEMPLATE, "11:23"),
    ("stack", TEMPLATE, "11:23"),
    ("notes.txt", TEMPLATE, "11:23"),
    ("db.cfn.yaml", TEMPLATE, "11:23"),
    ("web.template.json", TEMPLATE_JSON, "13:27"),
])
def test_a_template_is_read_by_content_whatever_its_name(
        tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str],
        name: str, text: str, at: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    for hook in (main, main_cloudformation):
        assert hook([str(path)]) == 1
        assert capsys.readouterr().out.startswith(f"{path}:{at}: KMS101 error: Resources/Reader: ")


def test_other_files_of_untyped_names_are_passed_over(
        tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    binary = tmp_path / "blob"
    binary.write_bytes(b"Resources AWS::IAM::Policy \x00\xff\xfe")
    prose = tmp_path / "notes.template"
    prose.write_text("Resources are declared with AWS:: types.\n", encoding="utf-8")
    script = tmp_path / "deploy.py"  # a known language is never read as a template
    script.write_text("Resources:\n  X:\n    Type: AWS::IAM::Policy\n", encoding="utf-8")
    assert main(["-v", str(binary), str(prose), str(script)]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"{binary}: skipped: holds no policy this hook reads" in captured.err
    assert f"{script}: skipped: holds no policy this hook reads" in captured.err


pre_commit = pytest.mark.skipif(shutil.which("pre-commit") is None, reason="needs pre-commit")
HOOKS = ("kms-cloudformation", "kms-policies", "kms-iam-policies")
RAW = [f"iam/policy-{n:02}.json" for n in range(12)]
TEMPLATES = {"stacks/app.template": "11:23", "stacks/api.template": "13:27",
             "stacks/db.cfn.yaml": "11:23", "stacks/web.template.json": "13:27"}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, shell: Shell,
            hook_repository: pathlib.Path) -> pathlib.Path:
    hooks = "".join(f"    -   id: {hook}\n" for hook in HOOKS)
    files = {".pre-commit-config.yaml":
             f"repos:\n-   repo: {hook_repository}\n    rev: {readme_rev()}\n    hooks:\n{hooks}"}
    files.update({name: POLICY for name in RAW})
    files.update({name: TEMPLATE_JSON if at == "13:27" else TEMPLATE
                  for name, at in TEMPLATES.items()})
    files["notes/readme.template"] = "Nothing here.\n"
    repo = shell.new_repo(tmp_path_factory.mktemp("templates") / "repo", files)
    shell.git(repo, "add", "-A")
    return repo


def hook_outputs(done: Any) -> dict[str, str]:
    """Hook id -> what it printed, from pre-commit's report."""
    return {hook: printed for hook, (_, printed) in results(done).items()}


@pre_commit
def test_pre_commit_delivers_templates_of_every_name(shell: Shell,
                                                     project: pathlib.Path) -> None:
    done = shell("pre-commit run --all-files", project)
    assert done.returncode == 1, done.stdout + done.stderr
    printed = hook_outputs(done)
    for hook in ("kms-cloudformation", "kms-policies"):
        found = {f"{m[0]}:{m[1]}:{m[2]}" for m in DIAGNOSTIC.findall(printed[hook])}
        assert {f"{name}:{at}" for name, at in TEMPLATES.items()} <= found, hook
    assert "stacks/" not in printed["kms-iam-policies"]
    assert "notes/" not in done.stdout


@pre_commit
def test_one_run_one_sorted_report_and_one_summary(shell: Shell, project: pathlib.Path) -> None:
    """pre-commit splits the files of a hook into a batch per processor unless the hook is
    serial; 16 files make two batches on any machine with two processors or more."""
    done = shell("pre-commit run --all-files --verbose", project)
    printed = hook_outputs(done)
    # Files each hook is given: every name its `files` pattern takes (the policies, the
    # templates, notes/readme.template and .pre-commit-config.yaml), or every JSON file.
    every = len(RAW) + len(TEMPLATES) + 2
    expected = {"kms-cloudformation": every, "kms-policies": every,
                "kms-iam-policies": len(RAW) + 1}
    for hook, output in printed.items():
        assert len(SUMMARY.findall(output)) == 1, (hook, output)
        found = [(path, int(line), int(column)) for path, line, column, _
                 in DIAGNOSTIC.findall(output)]
        assert found == sorted(found), hook
        checked = re.search(r" (\d+) checked$", SUMMARY.findall(output)[0])
        assert checked is not None and int(checked.group(1)) == expected[hook], (hook, output)


def test_readme_template_command_as_typed(tmp_path: pathlib.Path,
                                          monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    import shlex

    readme = (pathlib.Path(__file__).resolve().parent.parent / "README.md").read_text("utf-8")
    found = re.search(r"`(kms-policies\s+stacks/app\.template)`", readme)
    assert found is not None
    program, *argv = shlex.split(found.group(1))
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "app.template").write_text(TEMPLATE, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert program == "kms-policies" and main(argv) == 1
    assert capsys.readouterr().out.startswith("stacks/app.template:11:23: KMS101 error: ")
