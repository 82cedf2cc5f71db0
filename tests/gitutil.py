"""Real git repositories in tmp_path for the tests: no mocks, the `git` on PATH."""
from __future__ import annotations

import pathlib
import subprocess

import pytest

# An identity policy with one KMS101 finding: the "*" on line 6, columns 19-22.
BAD = """{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Action": "kms:Decrypt",
    "Resource": "*"
  }]
}
"""
GOOD = BAD.replace('"*"', '"arn:aws:kms:us-east-1:111122223333:key/'
                          '1234abcd-12ab-34cd-56ef-1234567890ab"')


def located(line: str) -> str:
    """`path:line:col: RULE severity` of a line of text output, without the message (the rules'
    own tests hold their wording)."""
    return ": ".join(line.split(": ", 2)[:2])


def git(repo: pathlib.Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def isolate_git(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the machine's git configuration (hooks paths, signing, templates) out of the test."""
    empty = tmp_path / "gitconfig"
    empty.write_text("[user]\n\tname = Test\n\temail = test@example.com\n"
                     "[init]\n\tdefaultBranch = main\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(empty))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def repo(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> pathlib.Path:
    """A new git repository, the current directory for the test."""
    isolate_git(tmp_path, monkeypatch)
    path = new_repo(tmp_path / "repo")
    monkeypatch.chdir(path)
    return path


def new_repo(path: pathlib.Path) -> pathlib.Path:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q")
    return path


def write(repo: pathlib.Path, name: str, text: str) -> pathlib.Path:
    target = repo / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    return target


def commit(repo: pathlib.Path, message: str = "change") -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
