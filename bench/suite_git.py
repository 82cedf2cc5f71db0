"""Speed of `--staged`: 1,000 staged policy files read from the git index against the same files
read from the working tree, each through one command-line call as a git hook makes it.

    python bench/suite_git.py

`run()` returns (label, seconds, baseline label, baseline seconds) rows for the bench runner.
"""
from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
FILES = 1000
REPEAT = 7


def _policy(index: int) -> str:
    """Policies of several shapes and sizes; one in five has a finding."""
    key = f"arn:aws:kms:us-east-1:111122223333:key/{index:08x}-12ab-34cd-56ef-1234567890ab"
    statements = [
        {"Sid": f"Use{n}", "Effect": "Allow",
         "Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
         "Resource": "*" if index % 5 == 0 and n == 0 else [key]}
        for n in range(1 + index % 4)
    ]
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, indent=2) + "\n"


def _repository(directory: pathlib.Path) -> list[str]:
    environment = _git_environment(directory)
    subprocess.run(["git", "init", "-q", str(directory)], check=True, env=environment)
    names = []
    for index in range(FILES):
        name = f"policies/team{index % 20:02}/policy{index:04}.json"
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_policy(index))
        names.append(name)
    subprocess.run(["git", "add", "-A"], cwd=directory, check=True, env=environment)
    return names


def _git_environment(directory: pathlib.Path) -> dict[str, str]:
    config = directory.parent / "gitconfig"
    config.write_text("[user]\n\tname = Bench\n\temail = bench@example.com\n")
    return {**os.environ, "GIT_CONFIG_GLOBAL": str(config), "GIT_CONFIG_NOSYSTEM": "1",
            "PYTHONPATH": str(ROOT)}


def _timed(command: list[str], cwd: pathlib.Path, environment: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=environment, capture_output=True)
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise RuntimeError(done.stderr.decode(errors="replace"))
    return elapsed


def run() -> list[tuple[str, float, str, float]]:
    with tempfile.TemporaryDirectory() as temporary:
        repository = pathlib.Path(temporary) / "repo"
        names = _repository(repository)
        environment = _git_environment(repository)
        tool = [sys.executable, "-m", "kms_hooks", "-q"]
        # Alternate the two, so that other load on the machine weighs on both alike.
        staged = working = float("inf")
        for _ in range(REPEAT):
            staged = min(staged, _timed([*tool, "--staged"], repository, environment))
            working = min(working, _timed([*tool, *names], repository, environment))
    return [(f"--staged: {FILES:,} policy files from the index", staged,
             "same files from the working tree", working)]


if __name__ == "__main__":
    for label, seconds, baseline, baseline_seconds in run():
        print(f"{label}: {seconds:.3f} s; {baseline}: {baseline_seconds:.3f} s; "
              f"ratio {seconds / baseline_seconds:.2f} (target at most 2)")
