"""The README's recipes, typed as written into fresh git repositories.

The hooks are installed the way users get them: real pre-commit builds its environment from this
checkout (committed into a scratch repository and tagged with the README's `rev`), and the
commands the recipes type (`kms-policies`, `git commit`, `pre-commit run`) are the ones that
environment installed.  Only the repository URL of the snippets is replaced by that scratch
repository, and the `pip install` step of the workflow is not run (it fetches from the network).
"""
from __future__ import annotations

import json
import os
import pathlib
import re
import shutil
from typing import Any

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
PUBLISHED_URL = "https://github.com/YOUR-ORG/kms-hooks"

from tests.hookrepo import Shell

pytestmark = pytest.mark.skipif(shutil.which("pre-commit") is None, reason="needs pre-commit")

# A policy whose "*" on line 6 is a KMS101 finding; the same policy listing one key has none.
BAD = ('{\n  "Version": "2012-10-17",\n  "Statement": [{\n    "Effect": "Allow",\n'
       '    "Action": "kms:Decrypt",\n    "Resource": "*"\n  }]\n}\n')
GOOD = BAD.replace('"*"', '"arn:aws:kms:us-east-1:111122223333:key/'
                          '1234abcd-12ab-34cd-56ef-1234567890ab"')


def section(title: str) -> str:
    start = README.index(f"\n## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start : end if end >= 0 else len(README)]


def blocks(title: str) -> list[tuple[str, str]]:
    """(language, text) of each fenced block of a README section."""
    return re.findall(r"^```(\w*)\n(.*?)^```$", section(title), re.S | re.M)


def commands(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def pre_commit_config(hook_repository: pathlib.Path) -> str:
    [(language, text)] = [b for b in blocks("Use it with pre-commit") if b[0] == "yaml"]
    assert PUBLISHED_URL in text
    return text.replace(PUBLISHED_URL, str(hook_repository))


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory, shell: Shell,
              hook_repository: pathlib.Path) -> Shell:
    """The hook environment pre-commit builds, its commands first on PATH."""
    scratch = shell.new_repo(tmp_path_factory.mktemp("scratch") / "repo",
                             {".pre-commit-config.yaml": pre_commit_config(hook_repository)})
    done = shell("pre-commit install-hooks", scratch)
    assert done.returncode == 0, done.stdout + done.stderr
    [script] = pathlib.Path(shell.env["PRE_COMMIT_HOME"]).glob("repo*/py_env-*/bin/kms-policies")
    path = f"{script.parent}{os.pathsep}{shell.env['PATH']}"
    return Shell({**shell.env, "PATH": path})


def test_pre_commit_recipe(installed: Shell, hook_repository: pathlib.Path,
                           tmp_path: pathlib.Path) -> None:
    repo = installed.new_repo(tmp_path / "repo", {
        ".pre-commit-config.yaml": pre_commit_config(hook_repository),
        "iam/reader.json": BAD, "iam/writer.json": GOOD})
    installed.git(repo, "add", "-A")
    [(_, typed)] = [b for b in blocks("Use it with pre-commit") if b[0] == ""]
    install, audit = commands(typed)
    assert installed(install, repo).returncode == 0
    done = installed(audit, repo)
    assert done.returncode == 1
    assert "iam/reader.json:6:17: KMS101 error" in done.stdout
    assert "writer.json" not in done.stdout

    refused = installed('git commit -q -m "reader"', repo)  # the hook `pre-commit install` wrote
    assert refused.returncode != 0
    assert "iam/reader.json:6:17: KMS101 error" in refused.stdout + refused.stderr
    (repo / "iam" / "reader.json").write_text(GOOD)
    installed.git(repo, "add", "-A")
    assert installed('git commit -q -m "reader"', repo).returncode == 0


def test_plain_git_hook_recipe(installed: Shell, tmp_path: pathlib.Path) -> None:
    repo = installed.new_repo(tmp_path / "repo", {})
    [(_, typed)] = blocks("Without pre-commit: a plain git hook")
    for command in commands(typed):
        done = installed(command, repo)
        assert done.returncode == 0, done.stderr
    (repo / "reader.json").write_text(BAD)
    installed.git(repo, "add", "reader.json")
    (repo / "reader.json").write_text(GOOD)  # fixed in the working tree, not staged
    refused = installed('git commit -q -m "reader"', repo)
    assert refused.returncode == 1
    assert refused.stderr.startswith("reader.json:6:17: KMS101 error")
    installed.git(repo, "add", "reader.json")
    assert installed('git commit -q -m "reader"', repo).returncode == 0
    # A second install keeps its own hook; a hook it did not write is never replaced.
    assert installed(commands(typed)[0], repo).returncode == 0
    hook = repo / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\nexit 0\n")
    assert installed(commands(typed)[0], repo).returncode == 2
    assert hook.read_text() == "#!/bin/sh\nexit 0\n"


def test_github_actions_recipe(installed: Shell, hook_repository: pathlib.Path,
                               tmp_path: pathlib.Path, shared: pathlib.Path) -> None:
    import jsonschema

    [(language, text)] = blocks("GitHub Actions")
    assert language == "yaml"
    workflow = yaml.safe_load(text)
    steps = workflow["jobs"]["kms-hooks"]["steps"]
    assert steps[0]["with"]["fetch-depth"] == 0
    assert steps[-1]["uses"].startswith("github/codeql-action/upload-sarif@")
    assert workflow["jobs"]["kms-hooks"]["permissions"]["security-events"] == "write"
    assert steps[2]["run"].startswith("pip install pre-commit ")
    runnable = [s for s in steps if "run" in s and not s["run"].startswith("pip install")]

    # origin/main holds an old finding; the pull request adds a statement with a new one.
    repo, _ = installed.published(tmp_path, {
        ".pre-commit-config.yaml": pre_commit_config(hook_repository), "iam/old.json": BAD})
    installed.git(repo, "checkout", "-q", "-b", "pull")
    (repo / "iam" / "new.json").write_text(BAD)
    installed.git(repo, "add", "-A")
    installed.git(repo, "commit", "-q", "-m", "new")

    def job(event: str) -> dict[str, Any]:
        results = {}
        for step in runnable:
            condition = step.get("if", "always()")
            if condition == "always()" or condition == f"github.event_name == '{event}'":
                results[step["name"]] = installed(step["run"], repo, GITHUB_ACTIONS="true")
        return results

    pull = job("pull_request")
    assert list(pull) == ["What the pull request changes", "SARIF for code scanning"]
    changed = pull["What the pull request changes"]
    assert changed.returncode == 1
    assert changed.stdout.splitlines() == [line for line in changed.stdout.splitlines()
                                           if line.startswith("::error file=iam/new.json,line=6,"
                                                              "col=17,")]
    assert len(changed.stdout.splitlines()) == 1
    assert pull["SARIF for code scanning"].returncode == 0
    log = json.loads((repo / steps[-1]["with"]["sarif_file"]).read_text())
    schema = json.loads((shared / "reference" / "sarif-schema-2.1.0.json").read_text())
    jsonschema.Draft4Validator(schema).validate(log)
    uris = sorted(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                  for r in log["runs"][0]["results"])
    assert uris == ["iam/new.json", "iam/old.json"]

    push = job("push")
    assert list(push) == ["Every file", "SARIF for code scanning"]
    assert push["Every file"].returncode == 1
    assert "::error file=iam/old.json,line=6,col=17," in push["Every file"].stdout


def test_configuration_recipe(installed: Shell, tmp_path: pathlib.Path) -> None:
    found = blocks("Configuration")
    [toml] = [text for language, text in found if language == "toml"]
    [roles] = [text for language, text in found if language == "yaml"]
    [expected] = [text for language, text in found if language == ""]
    command = re.search(r"with `(kms-policies [^`]+)`", section("Configuration"))
    assert command is not None
    repo = installed.new_repo(tmp_path / "repo", {
        "pyproject.toml": toml, "deploy/roles/reader.yaml": roles,
        "legacy/old/reader.json": BAD})
    done = installed(command.group(1), repo)
    assert done.stdout == expected
    assert done.returncode == 1
    # The other keys are read too: legacy/** is silenced for KMS101 by per-file-ignores.
    assert installed("kms-policies legacy", repo).returncode == 0


def test_baselines_recipe(installed: Shell, tmp_path: pathlib.Path) -> None:
    repo = installed.new_repo(tmp_path / "repo", {"iam/old.json": BAD})
    installed.git(repo, "add", "-A")
    installed.git(repo, "commit", "-q", "-m", "old findings")
    [(_, typed)] = blocks("Baselines")
    write, add, check = commands(typed)
    assert installed(write, repo).returncode == 0
    assert installed(add, repo).returncode == 0
    done = installed(check, repo)
    assert (done.returncode, done.stdout) == (0, "")
    assert "1 hidden by the baseline, 0 baseline entries no longer match" in done.stderr
    (repo / "iam" / "old.json").write_text("\n" + BAD)  # lines move: still nothing new
    assert installed(check, repo).returncode == 0
    (repo / "iam" / "new.json").write_text(BAD)
    done = installed(check, repo)
    assert done.returncode == 1
    assert done.stdout.startswith("iam/new.json:6:17: KMS101 error")


def test_pre_commit_recipe_on_terraform_hcl(installed: Shell, hook_repository: pathlib.Path,
                                            tmp_path: pathlib.Path) -> None:
    """pre-commit passes `.tf` files (identify's `terraform` tag) to the hook, whose environment
    has the HCL parser; `.tfvars` files, also tagged `terraform`, are skipped."""
    from tests.test_terraform_hcl_cli import readme_example

    example, _ = readme_example()
    repo = installed.new_repo(tmp_path / "repo", {
        ".pre-commit-config.yaml": pre_commit_config(hook_repository),
        "infra/main.tf": example, "infra/terraform.tfvars": 'region = "us-east-1"\n'})
    installed.git(repo, "add", "-A")
    done = installed("pre-commit run --all-files", repo)
    assert done.returncode == 1
    assert "infra/main.tf:8:19: KMS102 error" in done.stdout
    assert "infra/main.tf:19:22: KMS201 error" in done.stdout
    assert "terraform.tfvars" not in done.stdout


def test_access_review_recipe(installed: Shell, tmp_path: pathlib.Path) -> None:
    """The worked example: main holds a key and a role; the pull request gives the role decrypt
    on the key and, by a "*", on every key in any account."""
    found = blocks("Access review")
    base, added, step = [text for language, text in found if language == "yaml"]
    [(_, typed)] = [b for b in found if b[0] == ""]
    origin = tmp_path / "origin.git"
    installed.git(tmp_path, "init", "-q", "--bare", str(origin))
    repo = installed.new_repo(tmp_path / "repo", {"reports.yaml": base})
    installed.git(repo, "add", "-A")
    installed.git(repo, "commit", "-q", "-m", "reports")
    installed.git(repo, "remote", "add", "origin", str(origin))
    installed.git(repo, "push", "-q", "origin", "main")
    installed.git(repo, "checkout", "-q", "-b", "read-reports")
    (repo / "reports.yaml").write_text(base + added)
    installed.git(repo, "commit", "-q", "-a", "-m", "read reports")

    # Each `$ command` prints what follows it, up to the next command.
    runs = re.findall(r"^\$ (.*)\n((?:(?!\$ ).*\n)*)", typed, re.M)
    assert len(runs) == 2
    for command, expected in runs:
        done = installed(command, repo)
        assert (done.returncode, done.stdout) == (0, expected), done.stderr
    text = section("Access review")
    gate = re.search(r"`(kms-policies access [^`]+ use)`\s+exits 1", text)
    passing = re.search(r"with\s+`(--fail-on-new-access manage,grants)`\s+it passes", text)
    assert gate is not None and passing is not None
    assert installed(gate.group(1), repo).returncode == 1
    assert installed(f"kms-policies access --diff-base main {passing.group(1)}",
                     repo).returncode == 0

    [workflow_step] = yaml.safe_load(step)
    summary = tmp_path / "summary.md"
    summary.write_text("")
    done = installed(workflow_step["run"], repo, GITHUB_STEP_SUMMARY=str(summary))
    assert done.returncode == 0, done.stderr
    assert summary.read_text() == runs[1][1]


def test_fixes_recipe(installed: Shell, tmp_path: pathlib.Path) -> None:
    found = blocks("Fixes")
    [example] = [text for language, text in found if language == "hcl"]
    [typed] = [text for language, text in found if language == ""]
    [diff] = [text for language, text in found if language == "diff"]
    [hook] = [text for language, text in found if language == "yaml"]
    repo = installed.new_repo(tmp_path / "repo", {"main.tf": example})
    preview, fix = commands(typed)
    done = installed(preview, repo)
    assert (done.returncode, done.stdout) == (1, diff)
    assert (repo / "main.tf").read_text() == example
    done = installed(fix, repo)
    assert done.returncode == 1
    assert "fixed 2 findings in 1 file" in done.stderr
    fixed = example.replace("kms:Decrpyt", "kms:Decrypt").replace(".data.key_id", ".data.arn")
    assert (repo / "main.tf").read_text() == fixed
    assert installed(fix, repo).returncode == 0  # nothing left to fix, and nothing found
    assert yaml.safe_load(hook) == {"hooks": [{"id": "kms-policies", "args": ["--fix"]}]}
