"""This checkout as pre-commit installs it, shared by every test that runs real pre-commit.

pre-commit builds a hook environment (a virtualenv with this package installed) once per
repository and rev in PRE_COMMIT_HOME; the tests share one home and one committed snapshot, so
the environment is built once per test session.
"""
from __future__ import annotations

import os
import pathlib
import re
import shutil
import subprocess
from typing import Any

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent


class Shell:
    """Runs commands as a user types them, with the installed hooks on PATH."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env

    def __call__(self, command: str, cwd: pathlib.Path, **extra: str) -> Any:
        return subprocess.run(command, shell=True, cwd=cwd, capture_output=True, text=True,
                              env={**self.env, **extra})

    def git(self, cwd: pathlib.Path, *args: str) -> str:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True,
                              env=self.env)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def new_repo(self, path: pathlib.Path, files: dict[str, str]) -> pathlib.Path:
        path.mkdir(parents=True)
        self.git(path, "init", "-q")
        for name, text in files.items():
            (path / name).parent.mkdir(parents=True, exist_ok=True)
            (path / name).write_text(text)
        return path

    def published(self, top: pathlib.Path,
                  files: dict[str, str]) -> tuple[pathlib.Path, pathlib.Path]:
        """A repository `top/repo` whose first commit of `files` is pushed to the main branch of
        a bare `top/origin.git`, its `origin`: (the repository, the remote)."""
        origin = top / "origin.git"
        self.git(top, "init", "-q", "--bare", str(origin))
        repo = self.new_repo(top / "repo", files)
        self.git(repo, "add", "-A")
        self.git(repo, "commit", "-q", "-m", "first")
        self.git(repo, "remote", "add", "origin", str(origin))
        self.git(repo, "push", "-q", "origin", "main")
        return repo, origin


def readme_rev() -> str:
    """The rev the README's pre-commit recipe tells users to pin."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("\n## Use it with pre-commit\n")
    found = re.compile(r"^\s+rev: (\S+)$", re.M).search(readme, start)
    assert found is not None
    return found.group(1)


@pytest.fixture(scope="session")
def shell(tmp_path_factory: pytest.TempPathFactory) -> Shell:
    home = tmp_path_factory.mktemp("home")
    (home / "gitconfig").write_text("[user]\n\tname = Test\n\temail = test@example.com\n"
                                    "[init]\n\tdefaultBranch = main\n")
    env = {key: value for key, value in os.environ.items()
           if key not in ("GITHUB_ACTIONS", "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE",
                          "PYTHONPATH")}
    env.update(GIT_CONFIG_GLOBAL=str(home / "gitconfig"), GIT_CONFIG_NOSYSTEM="1",
               PRE_COMMIT_HOME=str(home / "pre-commit"), PRE_COMMIT_COLOR="never")
    return Shell(env)


@pytest.fixture(scope="session")
def hook_repository(tmp_path_factory: pytest.TempPathFactory, shell: Shell) -> pathlib.Path:
    """This checkout, files as they are now (what `pre-commit try-repo` would snapshot),
    committed and tagged with the README's rev."""
    target = tmp_path_factory.mktemp("kms-hooks")
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others",
                             "--exclude-standard"], cwd=ROOT, capture_output=True, check=True)
    for name in filter(None, listed.stdout.decode().split("\0")):
        if (ROOT / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target / name)
    shell.git(target, "init", "-q")
    shell.git(target, "add", "-A")
    shell.git(target, "commit", "-q", "-m", "kms-hooks")
    shell.git(target, "tag", readme_rev())
    return target
