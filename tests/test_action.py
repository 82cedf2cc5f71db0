"""The composite GitHub Action (`action.yml`), its shell steps run here as a runner runs them:
`bash --noprofile --norc -eo pipefail` on each script, with the environment GitHub sets and the
`${{ }}` expressions replaced, in a shallow clone of a real repository with an `origin`.

The action installs kms-hooks from its own checkout (`github.action_path`): here the snapshot of
this checkout that the pre-commit tests also use, so the install is what a runner would do.
"""
from __future__ import annotations

import json
import pathlib
import re
import shutil
import subprocess
from typing import Any

import pytest
import yaml

from tests.hookrepo import ROOT, Shell

ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
EXPRESSION = re.compile(r"\$\{\{\s*([\w.-]+)\s*\}\}")
# A policy whose "*" on line 6, column 17 is a KMS101 error.
BAD = ('{\n  "Version": "2012-10-17",\n  "Statement": [{\n    "Effect": "Allow",\n'
       '    "Action": "kms:Decrypt",\n    "Resource": "*"\n  }]\n}\n')
# An identity policy whose only finding is a warning: kms:* on this account's keys (KMS108).
WARNING_ONLY = BAD.replace('"kms:Decrypt"', '"kms:*"').replace(
    '"*"\n', '"arn:aws:kms:*:111122223333:key/*"\n')

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")


class Runner:
    """Runs the action's steps as a GitHub runner would, one job at a time."""

    def __init__(self, shell: Shell, action_path: pathlib.Path, temp: pathlib.Path) -> None:
        self.shell = shell
        self.action_path = action_path
        self.temp = temp
        self.summary = temp / "step-summary.md"  # the job summary a step writes

    def run(self, workspace: pathlib.Path, event: str, base_ref: str = "",
            inputs: dict[str, str] | None = None, steps: slice = slice(None)
            ) -> tuple[list[tuple[str, Any]], dict[str, str]]:
        """(step name, completed process) of each step run, and the step outputs written."""
        given = inputs or {}
        unknown = set(given) - set(ACTION["inputs"])
        assert not unknown, f"not inputs of the action: {unknown}"
        context = {f"inputs.{name}": given.get(name, spec.get("default", ""))
                   for name, spec in ACTION["inputs"].items()}
        context.update({"github.action_path": str(self.action_path),
                        "github.base_ref": base_ref, "github.event_name": event,
                        "github.workspace": str(workspace), "runner.temp": str(self.temp)})
        output = self.temp / "output"
        output.write_text("")
        env = {**self.shell.env, "CI": "true", "GITHUB_ACTIONS": "true",
               "GITHUB_EVENT_NAME": event, "GITHUB_BASE_REF": base_ref,
               "GITHUB_WORKSPACE": str(workspace), "GITHUB_ACTION_PATH": str(self.action_path),
               "RUNNER_TEMP": str(self.temp), "GITHUB_OUTPUT": str(output),
               "GITHUB_STEP_SUMMARY": str(self.summary)}
        self.summary.write_text("")
        done = []
        for step in ACTION["runs"]["steps"][steps]:
            assert step["shell"] == "bash"
            script = self.temp / "step.sh"
            script.write_text(expand(step["run"], context))
            step_env = {name: expand(str(value), context)
                        for name, value in step.get("env", {}).items()}
            result = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail",
                                     str(script)], cwd=workspace, env={**env, **step_env},
                                    capture_output=True, text=True)
            done.append((step["name"], result))
            if result.returncode != 0:
                break  # as on a runner: a failing step ends the job
        written = dict(line.split("=", 1) for line in output.read_text().splitlines())
        return done, written


def expand(text: str, context: dict[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        assert match.group(1) in context, f"expression not known to the test: {match.group(0)}"
        return context[match.group(1)]

    return EXPRESSION.sub(value, text)


@pytest.fixture(scope="module")
def runner(tmp_path_factory: pytest.TempPathFactory, shell: Shell,
           hook_repository: pathlib.Path) -> Runner:
    """The runner with kms-hooks installed by the action's first step."""
    found = Runner(shell, hook_repository, tmp_path_factory.mktemp("runner-temp"))
    [(name, installed)], _ = found.run(tmp_path_factory.mktemp("workspace"), "push",
                                       steps=slice(0, 1))
    assert name == "Install kms-hooks"
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return found


@pytest.fixture(scope="module")
def origin(tmp_path_factory: pytest.TempPathFactory, shell: Shell) -> pathlib.Path:
    """A remote whose main holds an old finding, with a pull request branch that adds a new
    one and a warning."""
    work, bare = shell.published(tmp_path_factory.mktemp("origin"),
                                 {"iam/old.json": BAD, "README.md": "app\n"})
    shell.git(work, "checkout", "-q", "-b", "pull")
    (work / "iam" / "new.json").write_text(BAD)
    (work / "iam" / "admin.json").write_text(WARNING_ONLY)
    shell.git(work, "add", "-A")
    shell.git(work, "commit", "-q", "-m", "new")
    shell.git(work, "push", "-q", "origin", "pull")
    shell.git(work, "checkout", "-q", "-b", "warning-only", "main")
    (work / "iam" / "admin.json").write_text(WARNING_ONLY)
    shell.git(work, "add", "-A")
    shell.git(work, "commit", "-q", "-m", "admin")
    shell.git(work, "push", "-q", "origin", "warning-only")
    return bare


def checkout(shell: Shell, origin: pathlib.Path, branch: str, target: pathlib.Path) -> Any:
    """What actions/checkout does by default: one commit, no history."""
    done = subprocess.run(["git", "clone", "-q", "--depth", "1", "--branch", branch,
                           origin.as_uri(), str(target)], capture_output=True, text=True,
                          env=shell.env)
    assert done.returncode == 0, done.stderr
    return target


def annotations(stdout: str) -> list[str]:
    return [line.split("::")[1] for line in stdout.splitlines() if line.startswith("::")]


def test_pull_request_fails_on_new_findings_and_writes_sarif_of_all(
        runner: Runner, shell: Shell, origin: pathlib.Path, tmp_path: pathlib.Path,
        shared: pathlib.Path) -> None:
    import jsonschema

    workspace = checkout(shell, origin, "pull", tmp_path / "ws")
    done, outputs = runner.run(workspace, "pull_request", base_ref="main", steps=slice(1, None))
    [(name, check)] = done
    assert check.returncode == 1, check.stdout + check.stderr
    # Only what the pull request adds is annotated: the old error is not on a changed line.
    assert annotations(check.stdout) == [
        "warning file=iam/admin.json,line=5,col=15,title=KMS108",
        "error file=iam/new.json,line=6,col=17,title=KMS101"]
    sarif = workspace / outputs["sarif-file"]
    log = json.loads(sarif.read_text(encoding="utf-8"))
    schema = json.loads((shared / "reference" / "sarif-schema-2.1.0.json").read_text())
    jsonschema.Draft4Validator(schema).validate(log)
    uris = sorted(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                  for r in log["runs"][0]["results"])
    assert uris == ["iam/admin.json", "iam/new.json", "iam/old.json"]


def test_push_checks_every_file(runner: Runner, shell: Shell, origin: pathlib.Path,
                                tmp_path: pathlib.Path) -> None:
    workspace = checkout(shell, origin, "main", tmp_path / "ws")
    [(_, check)], outputs = runner.run(workspace, "push", steps=slice(1, None))
    assert check.returncode == 1
    assert annotations(check.stdout) == ["error file=iam/old.json,line=6,col=17,title=KMS101"]
    assert outputs == {"sarif-file": "kms-hooks.sarif"}


def test_inputs_fail_on_paths_diff_base_and_config(runner: Runner, shell: Shell,
                                                   origin: pathlib.Path,
                                                   tmp_path: pathlib.Path) -> None:
    workspace = checkout(shell, origin, "warning-only", tmp_path / "ws")
    # A warning fails by default, not with fail-on: error.
    [(_, check)], _ = runner.run(workspace, "pull_request", base_ref="main",
                                 steps=slice(1, None))
    assert check.returncode == 1
    assert annotations(check.stdout) == ["warning file=iam/admin.json,line=5,col=15,title=KMS108"]
    [(_, check)], _ = runner.run(workspace, "pull_request", base_ref="main",
                                 inputs={"fail-on": "error"}, steps=slice(1, None))
    assert check.returncode == 0, check.stdout + check.stderr
    # diff-base: none checks everything, also on a pull request; paths narrow it.
    [(_, check)], _ = runner.run(workspace, "pull_request", base_ref="main",
                                 inputs={"diff-base": "none", "paths": "iam/old.json\nREADME.md"},
                                 steps=slice(1, None))
    assert (check.returncode, annotations(check.stdout)) == (
        1, ["error file=iam/old.json,line=6,col=17,title=KMS101"])
    # A named diff base, and a configuration file that ignores the rule.
    (workspace / "kms.toml").write_text('ignore = ["KMS108"]\n')
    [(_, check)], outputs = runner.run(
        workspace, "push", inputs={"diff-base": "origin/main", "config": "kms.toml",
                                   "sarif-file": "report.sarif"}, steps=slice(1, None))
    assert (check.returncode, annotations(check.stdout)) == (0, []), check.stderr
    assert outputs == {"sarif-file": "report.sarif"}
    assert json.loads((workspace / "report.sarif").read_text())["runs"][0]["results"]


def test_pull_request_access_summary_and_its_gate(runner: Runner, shell: Shell,
                                                 origin: pathlib.Path,
                                                 tmp_path: pathlib.Path) -> None:
    workspace = checkout(shell, origin, "pull", tmp_path / "ws")
    inputs = {"fail-on": "never"}
    [(_, check)], _ = runner.run(workspace, "pull_request", base_ref="main", inputs=inputs,
                                 steps=slice(1, None))
    assert check.returncode == 0, check.stdout + check.stderr
    summary = runner.summary.read_text()
    assert summary.startswith("### KMS access changes\n\n")
    # new.json gives kms:Decrypt on any key in any account; admin.json kms:* on the account's.
    assert "| added | use (Decrypt) | any key in any account | no conditions | " \
           "iam/new.json:3 |" in summary
    assert "| added | manage (all) | keys of account 111122223333 | no conditions | " \
           "iam/admin.json:3 |" in summary
    assert gated(runner, workspace, {**inputs, "fail-on-new-access": "manage,grants"}) == 1
    assert gated(runner, workspace, {**inputs, "fail-on-new-access": "create"}) == 0
    # Without the summary, the gate still holds, and the log shows what it found.
    [(_, check)], _ = runner.run(workspace, "pull_request", base_ref="main",
                                 inputs={**inputs, "fail-on-new-access": "manage",
                                         "access-summary": "false"}, steps=slice(1, None))
    assert check.returncode == 1
    assert runner.summary.read_text() == ""
    assert "added    iam/admin.json:3: policy · manage (all) · keys of account 111122223333 " \
           "· no conditions\n" in check.stdout


def gated(runner: Runner, workspace: pathlib.Path, inputs: dict[str, str]) -> int:
    [(_, check)], _ = runner.run(workspace, "pull_request", base_ref="main", inputs=inputs,
                                 steps=slice(1, None))
    return int(check.returncode)


def readme_steps() -> list[dict[str, Any]]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("\n## The GitHub Action\n"):]
    section = section[: section.index("\n## ", 1)]
    [text] = re.findall(r"^```yaml\n(.*?)^```$", section, re.S | re.M)
    steps: list[dict[str, Any]] = yaml.safe_load(text)["jobs"]["kms-hooks"]["steps"]
    return steps


def test_readme_workflow_runs_the_action_of_this_version(
        runner: Runner, shell: Shell, origin: pathlib.Path, tmp_path: pathlib.Path) -> None:
    from kms_hooks import __url__, __version__

    steps = readme_steps()
    name = __url__.split("github.com/")[1]
    [action] = [s for s in steps if s.get("uses", "").split("@")[0] == name]
    assert action["uses"].split("@")[1] == f"v{__version__}"
    upload = steps[-1]
    assert upload["uses"].startswith("github/codeql-action/upload-sarif@")
    assert upload["with"]["sarif_file"] == "${{ steps.%s.outputs.sarif-file }}" % action["id"]
    assert ACTION["outputs"]["sarif-file"]["value"] == "${{ steps.check.outputs.sarif-file }}"
    assert any(s.get("id") == "check" for s in ACTION["runs"]["steps"])
    workspace = checkout(shell, origin, "pull", tmp_path / "ws")
    [(_, check)], outputs = runner.run(workspace, "pull_request", base_ref="main",
                                       inputs=action.get("with", {}), steps=slice(1, None))
    # Warnings are still shown; with fail-on: error, the new error alone fails the job.
    assert check.returncode == 1
    assert annotations(check.stdout) == [
        "warning file=iam/admin.json,line=5,col=15,title=KMS108",
        "error file=iam/new.json,line=6,col=17,title=KMS101"]
    assert (workspace / outputs["sarif-file"]).is_file()
