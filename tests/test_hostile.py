"""A pull request is untrusted input: each test plays one attack through the real command line,
in a real git repository, with real files and links."""
from __future__ import annotations

import json
import os
import pathlib
import re

import pytest

from kms_hooks.cli import main
from tests.gitutil import BAD, commit, git, repo  # noqa: F401  (repo is a fixture)

# A workflow command at the start of a line: GitHub would turn it into an annotation.
COMMAND = re.compile(r"^::(error|warning|notice)", re.M)


# -- printed lines cannot be forged ------------------------------------------------------------


FORGED = "x\n::error file=README.md,line=1::forged\x1b[2J\u2028\ud800.json"


def test_a_file_name_cannot_forge_an_annotation_or_a_terminal_escape(
        repo: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "policies").mkdir()
    # The name as bytes: the lone surrogate stands for a byte that is not UTF-8.
    name = os.fsencode(FORGED.replace("\ud800", "\udcff"))
    (repo / "policies").joinpath(os.fsdecode(name)).write_text(BAD)
    (repo / "policies" / "bad.json").write_text(BAD)
    for form in ("github", "text", "sarif", "json"):
        status = main(["--format", form, "-v", "policies"])
        out, err = capsys.readouterr()
        assert status == 1
        for stream in (out, err):
            assert "\x1b" not in stream and "\u2028" not in stream
            assert len(COMMAND.findall(stream)) == (2 if form == "github" and stream is out
                                                    else 0), (form, stream)
        assert out.encode("utf-8") and err.encode("utf-8")  # nothing that cannot be printed
        if form == "text":
            assert "x\\n::error file=README.md,line=1::forged\\x1b[2J\\u2028\\udcff.json" in out
        if form == "sarif":
            uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                    for r in json.loads(out)["runs"][0]["results"]]
            assert "policies/x%0A%3A%3Aerror%20file%3DREADME.md%2Cline%3D1%3A%3Aforged%1B%5B2J" \
                   "%E2%80%A8%FF.json" in uris


def test_values_echoed_in_messages_are_cut(
        tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    action = "kms:" + "Decrypt" * 200_000
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": action, "Resource": "*"}]}))
    assert main([str(policy)]) == 1
    out = capsys.readouterr().out
    assert out and max(len(line) for line in out.splitlines()) < 2_000
    assert "characters)" in out


# -- nothing outside the repository is read; nothing but regular files -------------------------


SECRET = "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY\n"
POLICY_FILE_TF = '''resource "aws_iam_policy" "p" {
  policy = file("${path.module}/%s")
}
'''


@pytest.fixture
def outside(tmp_path: pathlib.Path) -> pathlib.Path:
    """A directory beside the repository, holding what a link could lead to."""
    folder = tmp_path / "home"
    folder.mkdir()
    (folder / "credentials").write_text(SECRET)
    (folder / "policy.json").write_text(BAD)
    return folder


def test_committed_links_out_of_the_repository_are_not_read(
        repo: pathlib.Path, outside: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    os.symlink("/etc/passwd", repo / "passwd.tf")
    os.symlink(outside / "credentials", repo / "credentials.json")
    os.symlink(outside / "policy.json", repo / "policy.json")
    (repo / "infra").mkdir()
    os.symlink(outside / "credentials", repo / "infra" / "creds.tf")
    (repo / "infra" / "main.tf").write_text(POLICY_FILE_TF % "creds.tf")
    commit(repo)
    for form in ("text", "github", "sarif"):
        for args in (["."], ["passwd.tf", "credentials.json", "policy.json", "infra/main.tf"]):
            status = main(["-v", "--format", form, *args])
            out, err = capsys.readouterr()
            assert status == 0, (out, err)
            assert "root:" not in out + err and "wJalr" not in out + err
            if form == "sarif":
                assert json.loads(out)["runs"][0]["results"] == []
            else:
                assert out == ""
            assert "passwd.tf: skipped: a link to a file outside the repository: not read" in err
            assert "policy.json: skipped: a link to a file outside the repository" in err


def test_a_file_through_a_linked_directory_out_of_the_repository_is_not_read(
        repo: pathlib.Path, outside: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The file itself is no link: its directory is.  A directory is resolved once per run, so
    # a file read first from inside must not vouch for the same name through the link.
    (repo / "inside").mkdir()
    (repo / "inside" / "policy.json").write_text(BAD)
    os.symlink(outside, repo / "out")
    status = main(["-v", "inside/policy.json", "out/policy.json", "out/credentials"])
    out, err = capsys.readouterr()
    assert status == 1
    assert {line.split(":")[0] for line in out.splitlines()} == {"inside/policy.json"}
    assert "out/policy.json: skipped: a link to a file outside the repository: not read" in err
    assert "out/credentials: skipped: a link to a file outside the repository" in err
    assert "wJalr" not in out + err


def test_terraform_file_cannot_climb_out_of_the_repository(
        repo: pathlib.Path, outside: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "mod").mkdir()
    (repo / "mod" / "main.tf").write_text(POLICY_FILE_TF % "../../home/policy.json")
    os.symlink(outside / "policy.json", repo / "mod" / "linked.json")
    (repo / "mod" / "linked.tf").write_text(
        (POLICY_FILE_TF % "linked.json").replace('"p"', '"q"'))
    (repo / "mod" / "inside.json").write_text(BAD)
    (repo / "mod" / "inside.tf").write_text(
        (POLICY_FILE_TF % "inside.json").replace('"p"', '"r"'))
    status = main(["-v", "mod"])
    out, err = capsys.readouterr()
    assert status == 1
    # Only the file inside the repository is read; the others are unknown values.
    assert [line.split(": ")[0] for line in out.splitlines()] == ["mod/inside.json:6:17"]
    assert "home/policy.json, which is not read: a link to a file outside the repository" in err
    assert "linked.json, which is not read: a link to a file outside the repository" in err


fifo_only = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")


@fifo_only
def test_fifos_and_devices_never_block(
        repo: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "infra").mkdir()
    os.mkfifo(repo / "infra" / "pipe.json")
    os.mkfifo(repo / "infra" / "pipe.tf")  # a sibling of main.tf: read for the module
    os.symlink(repo / "infra" / "pipe.json", repo / "infra" / "to-pipe.json")
    os.symlink("/dev/zero", repo / "infra" / "zero.json")
    (repo / "infra" / "main.tf").write_text(POLICY_FILE_TF % "zero.json")
    (repo / "infra" / "other.tf").write_text(
        (POLICY_FILE_TF % "pipe.json").replace('"p"', '"q"'))
    (repo / "infra" / "bad.json").write_text(BAD)
    # Found in a walk: skipped, with a reason under -v.
    status = main(["-v", "infra"])
    out, err = capsys.readouterr()
    assert status == 1
    assert [line.split(": ")[0] for line in out.splitlines()] == ["infra/bad.json:6:17"]
    # git lists no FIFO; a link to one it does.
    assert "infra/to-pipe.json: skipped: a FIFO, not a regular file: not read" in err
    assert "zero.json, which is not read: a link to a file outside the repository" in err
    assert "pipe.json, which is not read: a FIFO, not a regular file: not read" in err
    # Named on the command line: an error, at once.
    status = main(["infra/pipe.json", "infra/to-pipe.json", "infra/main.tf"])
    out, err = capsys.readouterr()
    assert status == 1
    assert out.splitlines() == [
        "infra/pipe.json:1:1: KMS001 error: a FIFO, not a regular file: not read",
        "infra/to-pipe.json:1:1: KMS001 error: a FIFO, not a regular file: not read"]


# -- configuration and baselines: a one-line error, exit 2, whatever they hold ------------------


@pytest.mark.parametrize("name, text, message", [
    ("pyproject.toml", "[tool]\nkms-hooks = 5\n", "[tool.kms-hooks] must be a table"),
    ("pyproject.toml", "tool = 5\n# kms-hooks\n", None),  # not ours: no configuration
    (".kms-hooks.toml", "x = " + "[" * 5000 + "]" * 5000 + "\n",
     "invalid TOML: nested too deeply to read"),
])
def test_odd_configuration_is_a_clean_error(
        repo: pathlib.Path, capsys: pytest.CaptureFixture[str], name: str, text: str,
        message: str | None) -> None:
    (repo / name).write_text(text)
    (repo / "bad.json").write_text(BAD)
    status = main(["bad.json"])
    out, err = capsys.readouterr()
    if message is None:
        assert status == 1 and out.startswith("bad.json:6:17: KMS101")
    else:
        assert (status, out) == (2, "")
        assert err == f"kms-policies: error: {name}: {message}\n"


def test_config_and_baseline_never_read_a_device(
        repo: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "bad.json").write_text(BAD)
    assert main(["--config", "/dev/zero", "bad.json"]) == 2
    assert capsys.readouterr().err == (
        "kms-policies: error: /dev/zero: cannot read the configuration file: a device, not a "
        "regular file: not read\n")
    os.symlink("/dev/zero", repo / "baseline.json")
    assert main(["--baseline", "baseline.json", "bad.json"]) == 2
    assert capsys.readouterr().err == (
        "kms-policies: error: baseline.json: cannot read the baseline: a link to a file outside "
        "the repository: not read\n")


def test_a_deep_baseline_is_a_clean_error(
        repo: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "bad.json").write_text(BAD)
    (repo / "baseline.json").write_text("[" * 100_000 + "]" * 100_000)
    assert main(["--baseline", "baseline.json", "bad.json"]) == 2
    assert capsys.readouterr().err == (
        "kms-policies: error: baseline.json: not a kms-hooks baseline (nested too deeply to "
        "read)\n")


# -- no code from the repository runs -----------------------------------------------------------


def test_the_git_hook_never_imports_the_repositorys_files(
        repo: pathlib.Path, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    import subprocess

    ran = tmp_path / "ran"
    payload = f"open({str(ran)!r}, 'a').write(__name__ + '\\n')\n"
    # Modules that `python -m kms_hooks` imports, shadowed at the repository's root.
    (repo / "json.py").write_text(payload)
    (repo / "identify").mkdir()
    (repo / "identify" / "__init__.py").write_text(payload)
    (repo / "kms_hooks").mkdir()
    (repo / "kms_hooks" / "__init__.py").write_text(payload)
    assert main(["install-git-hook"]) == 0
    (repo / "reader.json").write_text(BAD)
    git(repo, "add", "-A")
    done = subprocess.run(["git", "commit", "-q", "-m", "bad"], cwd=repo, capture_output=True,
                          text=True)
    assert done.returncode == 1
    assert "reader.json:6:17: KMS101 error" in done.stderr
    assert not ran.exists()


# -- writes never follow links, and are whole ----------------------------------------------------


def test_write_baseline_refuses_a_committed_link(
        repo: pathlib.Path, outside: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "bad.json").write_text(BAD)
    os.symlink(outside / "credentials", repo / ".kms-baseline.json")
    (repo / "ci").mkdir()
    os.symlink(outside, repo / "ci" / "out")
    commit(repo)
    for target in (".kms-baseline.json", "ci/out/baseline.json"):
        assert main(["--write-baseline", target, "bad.json"]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"kms-policies: error: {target}: cannot write the baseline: ")
    assert (outside / "credentials").read_text() == SECRET
    assert sorted(p.name for p in outside.iterdir()) == ["credentials", "policy.json"]
    assert main(["--output-file", ".kms-baseline.json", "bad.json"]) == 2
    assert (outside / "credentials").read_text() == SECRET


def test_parallel_baseline_writes_leave_one_whole_file(repo: pathlib.Path) -> None:
    import subprocess
    import sys

    for index in range(40):
        (repo / f"p{index}.json").write_text(BAD)
    command = [sys.executable, "-I", "-m", "kms_hooks", "--write-baseline", "b.json", "."]
    for _ in range(3):
        runs = [subprocess.Popen(command, cwd=repo, stderr=subprocess.DEVNULL)
                for _ in range(8)]
        assert [run.wait() for run in runs] == [0] * 8
        assert len(json.loads((repo / "b.json").read_text())["findings"]) == 40
    assert [p.name for p in repo.iterdir() if p.name.endswith(".tmp")] == []


def test_a_walk_passes_over_another_runs_temporary_file(
        repo: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "p.json").write_text(BAD)
    # Another run's file, about to be renamed: here a template, which is read by content.
    template = pathlib.Path(__file__).parent.parent / "fixtures/bad/cloudformation-identity.yaml"
    (repo / ".kms-hooks-x1y2.tmp").write_text(template.read_text())
    assert main(["--format", "json", "."]) == 1
    assert {f["path"] for f in json.loads(capsys.readouterr().out)} == {"p.json"}


def test_install_git_hook_backs_up_what_it_replaces(
        repo: pathlib.Path, outside: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    from kms_hooks.gitio import HOOK_MARK

    hook = repo / ".git" / "hooks" / "pre-commit"
    hook.parent.mkdir(exist_ok=True)
    mine = f"#!/bin/sh\n{HOOK_MARK}\nmake lint\nkms-policies --staged\n"
    hook.write_text(mine)
    assert main(["install-git-hook"]) == 0
    out = capsys.readouterr().out
    backup = hook.parent / "pre-commit.kms-hooks-backup"
    assert f"kept as {os.path.relpath(backup)}" in out
    assert backup.read_text() == mine and "-I -m kms_hooks" in hook.read_text()
    assert main(["install-git-hook"]) == 0  # its own script again: nothing to keep
    assert "kept as" not in capsys.readouterr().out
    assert sorted(p.name for p in hook.parent.iterdir() if "kms-hooks" in p.name) == [
        "pre-commit.kms-hooks-backup"]
    hook.unlink()
    os.symlink(outside / "credentials", hook)
    assert main(["install-git-hook"]) == 2
    assert "is a symbolic link; not replacing it" in capsys.readouterr().err
    assert (outside / "credentials").read_text() == SECRET


# -- no traceback, no internal error, whatever the bytes -----------------------------------------


def _deep_plan() -> str:
    values = '{"policy": "{}", "n": ' * 950 + "{}" + "}" * 950
    return ('{"format_version": "1.2", "terraform_version": "1.5.0", "planned_values": {'
            '"root_module": {"resources": [{"address": "aws_iam_policy.x", "mode": "managed", '
            '"type": "aws_iam_policy", "name": "x", "values": ' + values + "}]}}}")


STATEMENT = '{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}'
HOSTILE: dict[str, tuple[str | None, str | None]] = {
    # name: (content, the first line printed, if any)
    "surrogate.json": ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", '
                       '"Action": "kms:Decrypt\\ud800", "Resource": "*"}]}',
                       "surrogate.json:1:71: KMS111 error: kms:Decrypt\\ud800 is not"),
    "surrogate/main.tf": ('resource "aws_iam_policy" "p" {\n  policy = jsonencode({Statement = '
                          '[{Effect = "Allow", Action = "kms:Decrypt\\ud800", '
                          'Resource = "*"}]})\n}\n',
                          "surrogate/main.tf:2:65: KMS111 error: aws_iam_policy.p: "
                          "kms:Decrypt\\ud800 is not"),
    "digits.json": ('{"Version": "2012-10-17", "Statement": [' + STATEMENT[:-1]
                    + ', "Sid": ' + "9" * 5000 + "}]}",
                    "digits.json:1:110: KMS001 error: invalid JSON: a number too long to read"),
    "digits.yaml": ("Resources:\n  P:\n    Type: AWS::IAM::Policy\n    Properties:\n"
                    "      PolicyDocument:\n        Version: " + "9" * 5000 + "\n",
                    "digits.yaml:6:18: KMS001 error: invalid YAML: a number too long to read"),
    "digits/main.tf.json": ('{"resource": {"aws_iam_policy": {"p": {"policy": ' + "9" * 5000
                            + "}}}}",
                            "digits/main.tf.json:1:50: KMS001 error: invalid JSON: a number "
                            "too long to read"),
    "authorization.json": ('{"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [], '
                           '"Policies": [{"PolicyName": "x", "DefaultVersionId": "v1", '
                           '"PolicyVersionList": 7}]}', None),
    "typeless-plan.json": ('{"format_version": "1.2", "terraform_version": "1.5.0", '
                           '"planned_values": {"root_module": {"resources": [{"address": "x", '
                           '"mode": "managed", "type": [], "name": "x", "values": {}}]}}}',
                           None),
    "deep-plan.json": (_deep_plan(),
                       "deep-plan.json:1:1: KMS001 error: "),
    "itself/main.tf": ('locals {\n  a = local.a\n}\nresource "aws_iam_policy" "p" {\n'
                       '  policy = local.a\n}\n', None),
    "nul/main.tf": ('resource "aws_iam_policy" "p" {\n'
                    '  policy = file("${path.module}/a\\u0000b.json")\n}\n', None),
    "utf16.json": (None, "utf16.json:1:2: KMS001 error: not UTF-8 text (a NUL byte: UTF-16?)"),
    "exponent/main.tf": ('resource "aws_iam_policy" "p" {\n  x = 1e3\n  policy = jsonencode({'
                         'Statement = [{Effect = "Allow", Action = "kms:Decrypt", '
                         'Resource = "*"}]})\n}\n',
                         "exponent/main.tf:3:91: KMS101 error: aws_iam_policy.p: kms:Decrypt "
                         'on "Resource": "*"'),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
@pytest.mark.parametrize("form", ["text", "github", "sarif"])
def test_hostile_bytes_never_crash(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str], name: str,
                                   form: str) -> None:
    monkeypatch.chdir(tmp_path)
    text, first = HOSTILE[name]
    os.makedirs(os.path.dirname(name) or ".", exist_ok=True)
    if text is None:  # UTF-16 without a byte order mark
        pathlib.Path(name).write_bytes(BAD.encode("utf-16-le"))
    else:
        pathlib.Path(name).write_text(text)
    status = main(["-v", "--format", form, name])
    out, err = capsys.readouterr()
    assert "internal error" not in err and "Traceback" not in err
    assert (out + err).encode("utf-8")  # nothing that cannot be printed
    assert status == (0 if first is None else 1), out + err
    if form == "text":
        assert out.startswith(first) if first is not None else out == ""


# -- --diff-base counts lines as git does --------------------------------------------------------


TEMPLATE_HEAD = """AWSTemplateFormatVersion: '2010-09-09'
# Reviewed.{breaks}
Resources:
  Reader:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Effect: Allow
            Action: kms:ListKeys
            Resource: '*'
"""
NEW_STATEMENT = """          - Effect: Allow
            Action: kms:Decrypt
            Resource: '*'
"""


@pytest.mark.parametrize("name, breaks, newline", [
    ("cr-only.yaml", "", "\r"),  # one line to git, thirteen to YAML
    ("separators.yaml", "\u2028#\x85#\u2029#" * 10, "\n"),  # thirty lines more to YAML
])
def test_diff_base_cannot_be_dodged_by_line_endings(
        repo: pathlib.Path, capsys: pytest.CaptureFixture[str], name: str, breaks: str,
        newline: str) -> None:
    old = TEMPLATE_HEAD.format(breaks=breaks)
    (repo / name).write_bytes(old.replace("\n", newline).encode())
    commit(repo, "old")
    (repo / name).write_bytes((old + NEW_STATEMENT).replace("\n", newline).encode())
    commit(repo, "new statement")
    assert main(["--diff-base", "HEAD~1", name]) == 1
    out = capsys.readouterr().out.splitlines()
    line = 1 if newline == "\r" else 15
    column = (old + NEW_STATEMENT).replace("\n", newline).split("\n")[line - 1].rindex("'*'") + 1
    assert [entry.split(": ")[0:2] for entry in out] == [
        [f"{name}:{line}:{column}", "KMS101 error"]]


# -- shallow clones ----------------------------------------------------------------------------


def test_diff_base_in_a_shallow_clone(repo: pathlib.Path, tmp_path: pathlib.Path,
                                      monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    # The origin: main moves on after the pull request branched; GitHub checks out the merge.
    (repo / "old.json").write_text(BAD)
    commit(repo, "old finding")
    git(repo, "checkout", "-q", "-b", "pr")
    (repo / "new.json").write_text(BAD)
    commit(repo, "pull request")
    git(repo, "checkout", "-q", "main")
    (repo / "later.json").write_text(BAD)
    commit(repo, "main moves on")
    git(repo, "checkout", "-q", "-b", "pr-merge")
    git(repo, "merge", "-q", "--no-ff", "-m", "merge", "pr")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth=1", "--branch", "pr-merge", repo.as_uri(), str(clone))
    monkeypatch.chdir(clone)

    assert main(["--diff-base", "origin/main", "."]) == 2
    err = capsys.readouterr().err
    assert err.startswith("kms-policies: error: --diff-base origin/main: no such revision here; "
                          "this is a shallow clone")
    assert "`fetch-depth: 0`" in err and "git fetch origin main" in err

    # The base branch alone, without the history back to the merge base.
    git(clone, "fetch", "-q", "--depth=1", "origin", "main:refs/remotes/origin/main")
    assert main(["--diff-base", "origin/main", "."]) == 1
    out, err = capsys.readouterr()
    assert [line.split(": ")[0] for line in out.splitlines()] == ["new.json:6:17"]
    assert err.splitlines()[0] == (
        "--diff-base origin/main: the merge base is not in this shallow clone; compared with "
        "origin/main itself (fetch-depth: 0 gives the merge base)")


# -- no silent pass --------------------------------------------------------------------------


DUPLICATE_TEMPLATE = """Resources:
  Reader:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Action: kms:Decrypt
            Resource: "*"
  Reader:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Action: s3:GetObject
            Resource: "*"
"""


@pytest.mark.parametrize("name", ["template.yaml", "template.json"])
def test_a_repeated_logical_id_is_reported(tmp_path: pathlib.Path,
                                           monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str], name: str) -> None:
    # The first Reader, with the finding, is replaced by the second one when parsed.
    monkeypatch.chdir(tmp_path)
    text = DUPLICATE_TEMPLATE
    if name.endswith(".json"):
        text = '{"Resources": {"Reader": %s,\n"Reader": %s}}' % (
            _managed_policy("kms:Decrypt"), _managed_policy("s3:GetObject"))
    pathlib.Path(name).write_text(text)
    assert main([name]) == 1
    index = text.index("Reader", text.index("Reader") + 1)
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + (0 if name.endswith(".json") else 1)
    assert capsys.readouterr().out == (
        f'{name}:{line}:{column}: KMS002 error: Resources/Reader: the logical id "Reader" '
        "appears more than once under Resources; only the last one is deployed, and the "
        "others are not checked\n")


def _managed_policy(action: str) -> str:
    return json.dumps({"Type": "AWS::IAM::ManagedPolicy", "Properties": {"PolicyDocument": {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]}}})


@fifo_only
def test_a_walk_outside_git_skips_fifos(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    os.mkfifo("pipe.json")
    pathlib.Path("bad.json").write_text(BAD)
    assert main(["-v", "."]) == 1
    out, err = capsys.readouterr()
    assert [line.split(": ")[0] for line in out.splitlines()] == ["bad.json:6:17"]
    assert "pipe.json: skipped: a FIFO, not a regular file: not read" in err
