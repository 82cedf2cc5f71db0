"""Real pre-commit with `args: [--fix]`: the commit fails, the file is fixed in the working
tree, and the next commit (after `git add`) passes."""
from __future__ import annotations

import pathlib
import shutil

import pytest

from tests.hookrepo import Shell, readme_rev
from tests.test_fix import CFN_YAML, HCL, RAW

pytestmark = pytest.mark.skipif(shutil.which("pre-commit") is None, reason="needs pre-commit")


def test_a_fixing_hook_fails_the_commit_fixes_the_files_and_the_next_commit_passes(
        tmp_path: pathlib.Path, shell: Shell, hook_repository: pathlib.Path) -> None:
    config = (f"repos:\n-   repo: {hook_repository}\n    rev: {readme_rev()}\n    hooks:\n"
              "    -   id: kms-policies\n        args: [--fix]\n")
    files = {"iam/reader.json": RAW, "templates/reader.yaml": CFN_YAML, "infra/main.tf": HCL}
    repo = shell.new_repo(tmp_path / "repo", {
        ".pre-commit-config.yaml": config, **{name: case.before for name, case in files.items()}})
    installed = shell("pre-commit install", repo)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    shell.git(repo, "add", "-A")

    failed = shell("git commit -q -m 'add policies'", repo)
    assert failed.returncode != 0, failed.stdout + failed.stderr
    printed = failed.stdout + failed.stderr  # git shows the hook's output on stderr
    assert "files were modified by this hook" in printed
    fixed = sum(len(case.fixed) for case in files.values())
    assert f"fixed {fixed} findings in 3 files" in printed
    for name, case in files.items():
        assert (repo / name).read_text(encoding="utf-8") == case.after
    assert shell.git(repo, "log", "--oneline", "--all") == ""

    shell.git(repo, "add", "-A")
    passed = shell("git commit -q -m 'add policies'", repo)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert shell.git(repo, "show", "HEAD:iam/reader.json") == RAW.after
