from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest

from kms_hooks.cli import main
from kms_hooks.gitio import parse_diff
from tests.gitutil import BAD, GOOD, commit, git, isolate_git, located, write

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_staged_checks_the_index_not_the_working_tree(
        repo: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "policies/reader.json", BAD)
    git(repo, "add", "policies/reader.json")
    write(repo, "policies/reader.json", "\n\n" + GOOD)  # fixed, but the fix is not staged

    assert main(["--staged"]) == 1
    out = capsys.readouterr().out
    # The line and column are those of the staged text, not of the working tree's.
    assert out.startswith(f"policies{os.sep}reader.json:6:17: KMS101 error:")

    assert main([]) == 0  # the working tree itself is fine


def test_staged_fix_passes_while_the_working_tree_is_bad(
        repo: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "reader.json", GOOD)
    git(repo, "add", "reader.json")
    write(repo, "reader.json", BAD)
    assert main(["--staged"]) == 0
    assert main(["reader.json"]) == 1


def test_staged_limits_to_paths_and_skips_deleted_files(
        repo: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "old.json", BAD)
    commit(repo)
    git(repo, "rm", "-q", "old.json")
    write(repo, "a/one.json", BAD)
    write(repo, "b/two.json", BAD)
    git(repo, "add", "-A")
    capsys.readouterr()
    assert main(["--staged", "a"]) == 1
    captured = capsys.readouterr()
    assert f"a{os.sep}one.json:6:17" in captured.out
    assert "two.json" not in captured.out and "old.json" not in captured.out
    assert "in 1 file with policies, 1 checked" in captured.err


def test_staged_from_a_subdirectory_names_files_from_there(
        repo: pathlib.Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "deploy/iam/reader.json", BAD)
    git(repo, "add", "-A")
    monkeypatch.chdir(repo / "deploy")
    assert main(["--staged"]) == 1
    assert capsys.readouterr().out.startswith(f"iam{os.sep}reader.json:6:17:")


def test_staged_reads_all_blobs_with_one_cat_file_process(
        repo: pathlib.Path, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for index in range(30):
        write(repo, f"p/{index}.json", BAD)
    git(repo, "add", "-A")
    trace = tmp_path / "trace"
    monkeypatch.setenv("GIT_TRACE", str(trace))
    assert main(["--staged", "-q"]) == 1
    commands = [line for line in trace.read_text().splitlines() if "trace: built-in" in line]
    assert sum("cat-file" in line for line in commands) == 1
    assert len(commands) <= 4  # rev-parse, diff, cat-file: not one process per file


def test_staged_outside_git_is_a_usage_error(
        tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    isolate_git(tmp_path, monkeypatch)
    outside = tmp_path / "plain"
    outside.mkdir()
    monkeypatch.chdir(outside)
    assert main(["--staged"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == "kms-policies: error: not inside a git work tree"


def test_diff_base_reports_only_new_findings(
        repo: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    # main holds an old finding; the branch adds a statement with a new one below it.
    write(repo, "policy.json", BAD)
    write(repo, "other.json", BAD)
    commit(repo, "old findings")
    git(repo, "checkout", "-q", "-b", "feature")
    added = BAD.replace('  }]\n', '  }, {\n    "Effect": "Allow",\n    "Action": "kms:Encrypt",\n'
                                  '    "Resource": "*"\n  }]\n')
    write(repo, "policy.json", added)
    commit(repo, "new statement")
    capsys.readouterr()

    assert main(["--diff-base", "main", "."]) == 1
    captured = capsys.readouterr()
    assert [located(line) for line in captured.out.splitlines()] == [
        "policy.json:10:17: KMS101 error"]
    assert "kms:Encrypt" in captured.out
    assert "2 on lines the change did not touch" in captured.err

    assert main(["--diff-base", "main"]) == 1  # no paths: the changed files
    assert capsys.readouterr().out.count("KMS101") == 1

    assert main(["--diff-base", "HEAD", "."]) == 0  # nothing changed since HEAD


def test_diff_base_counts_untracked_files_as_new_and_reports_broken_files(
        repo: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "policy.json", BAD)
    commit(repo)
    write(repo, "policy.json", BAD[:-3])  # the closing brace is gone: a parse error at the end
    write(repo, "new.json", BAD)
    assert main(["--diff-base", "HEAD", "."]) == 1
    out = capsys.readouterr().out
    assert "new.json:6:17: KMS101" in out
    assert "policy.json:7:5: KMS001 error" in out


def test_diff_base_with_an_unknown_revision_is_a_usage_error(
        repo: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "policy.json", BAD)
    commit(repo)
    assert main(["--diff-base", "no-such-branch", "."]) == 2
    err = capsys.readouterr().err
    assert err == "kms-policies: error: --diff-base no-such-branch: no such revision here\n"
    assert len(err.strip().splitlines()) == 1


def test_directory_inside_git_walks_tracked_files_only(
        repo: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, ".gitignore", "build/\n")
    write(repo, "build/generated.json", BAD)
    write(repo, "src/policy.json", BAD)
    assert main(["."]) == 1
    captured = capsys.readouterr()
    assert "src/policy.json:6:17" in captured.out.replace(os.sep, "/")
    assert "generated.json" not in captured.out


def test_parse_diff_new_lines_and_quoted_names() -> None:
    diff = (b'diff --git a/a.json b/a.json\n--- a/a.json\n+++ b/a.json\n'
            b'@@ -3,0 +4,2 @@\n+x\n+y\n@@ -9 +11 @@\n-a\n+b\n@@ -20,3 +22,0 @@\n-gone\n'
            b'diff --git "a/sp ace\\303\\251.json" "b/sp ace\\303\\251.json"\n'
            b'--- /dev/null\n+++ "b/sp ace\\303\\251.json"\n@@ -0,0 +1 @@\n+{}\n'
            b'diff --git a/gone.json b/gone.json\n--- a/gone.json\n+++ /dev/null\n'
            b'@@ -1 +0,0 @@\n-{}\n')
    assert parse_diff(diff) == {"a.json": [(4, 5), (11, 11)], "sp aceé.json": [(1, 1)]}


def test_install_git_hook_checks_each_commit(
        repo: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["install-git-hook"]) == 0
    hook = repo / ".git" / "hooks" / "pre-commit"
    assert os.access(hook, os.X_OK)
    assert "--staged" in hook.read_text()

    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # the hook runs this checkout's kms_hooks
    write(repo, "reader.json", BAD)
    git(repo, "add", "reader.json")
    refused = subprocess.run(["git", "commit", "-q", "-m", "bad"], cwd=repo, env=env,
                             capture_output=True, text=True)
    assert refused.returncode != 0
    assert "reader.json:6:17: KMS101 error" in refused.stderr  # git shows hook output there
    write(repo, "reader.json", GOOD)
    git(repo, "add", "reader.json")
    accepted = subprocess.run(["git", "commit", "-q", "-m", "good"], cwd=repo, env=env,
                              capture_output=True, text=True)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert main(["install-git-hook"]) == 0  # its own hook may be written again


def test_install_git_hook_never_replaces_another_hook(
        repo: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    hook = repo / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\nexec make lint\n")
    assert main(["install-git-hook"]) == 2  # a usage error, as ruff and git exit
    assert hook.read_text() == "#!/bin/sh\nexec make lint\n"
    err = capsys.readouterr().err
    assert "already exists and was not written by kms-policies" in err


def test_hook_falls_back_to_the_command_when_its_python_is_gone(tmp_path: pathlib.Path) -> None:
    from kms_hooks.gitio import hook_script

    script = tmp_path / "hook"
    script.write_text(hook_script(str(tmp_path / "no such python")))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "kms-policies").write_text('#!/bin/sh\necho "called with $*"\n')
    (bin_dir / "kms-policies").chmod(0o755)
    done = subprocess.run(["sh", str(script)], capture_output=True, text=True,
                          env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}/usr/bin:/bin"})
    assert done.stdout == "called with --staged\n"


if sys.platform == "win32":  # pragma: no cover
    pytestmark = pytest.mark.skip("the hook is a POSIX shell script")


def test_diff_base_reports_an_old_element_whose_statement_changed(
        repo: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    # "Resource": "*" is old, but the change adds kms:Decrypt to its statement: that is new.
    write(repo, "policy.json", BAD.replace('"kms:Decrypt"', '"kms:ListKeys"'))
    write(repo, "other.json", BAD)
    commit(repo, "old")
    write(repo, "policy.json", BAD.replace('"kms:Decrypt"', '[\n      "kms:ListKeys",\n'
                                                            '      "kms:Decrypt"\n    ]'))
    commit(repo, "widened")
    capsys.readouterr()
    assert main(["--diff-base", "HEAD~1", "."]) == 1
    captured = capsys.readouterr()
    assert [located(line) for line in captured.out.splitlines()] == [
        "policy.json:9:17: KMS101 error"]
    assert "1 on lines the change did not touch" in captured.err
