"""The command-line habits users bring from ruff, checkov and cfn-lint."""
from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import pytest

from kms_hooks import __version__
from kms_hooks.cli import build_parser, colour_wanted, main, main_cloudformation, parse_arguments
from tests.gitutil import BAD, GOOD, commit, located, write

# BAD with a second statement: KMS101 on the "*" at 6:17, KMS108 on the second one's "kms:*".
TWO_RULES = BAD.replace("  }]\n", '  }, {\n    "Effect": "Allow",\n    "Action": "kms:*",\n'
                                  '    "Resource": "arn:aws:kms:*:111122223333:key/*"\n  }]\n')


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def rules_in(out: str) -> list[str]:
    return [located(line).split(" ")[-2] for line in out.splitlines()]


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main_cloudformation(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out == f"kms-cloudformation {__version__}\n"


def test_a_call_with_paths_alone_reads_them_as_the_parser_would() -> None:
    # Paths alone skip argparse: what they give must be what the parser gives.
    for argv in ([], ["policy.json"], ["a.json", "b/c.tf", "install-git-hook.json"]):
        parsed = vars(build_parser("kms-policies").parse_args(argv))
        assert vars(parse_arguments("kms-policies", argv)) == parsed
    assert parse_arguments("kms-policies", ["-q", "a.json"]).quiet is True
    # Each call has its own lists: appending to one call's paths changes no other's.
    first = parse_arguments("kms-policies", ["a.json"])
    first.paths.append("b.json")
    first.select.append("KMS101")
    assert parse_arguments("kms-policies", ["a.json"]).paths == ["a.json"]
    assert parse_arguments("kms-policies", ["a.json"]).select == []


def test_comma_lists_ids_prefixes_and_names_select_rules(
        tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = write(tmp_path, "policy.json", TWO_RULES)
    assert rules_in(run(capsys, str(policy))[1]) == ["KMS101", "KMS108"]
    for chosen in (["--select", "KMS101,KMS108"], ["--select", "resource-star,KMS10"],
                   ["--select", "KMS1", "--ignore", "KMS105, KMS106"]):
        assert rules_in(run(capsys, *chosen, str(policy))[1]) == ["KMS101", "KMS108"], chosen
    assert rules_in(run(capsys, "--select", "resource-star", str(policy))[1]) == ["KMS101"]
    assert rules_in(run(capsys, "--ignore", "KMS2,RESOURCE-STAR", str(policy))[1]) == ["KMS108"]
    code, out, err = run(capsys, "--select", "KMS101,no-such-rule", str(policy))
    assert (code, out) == (2, "")
    assert "no rule matches 'no-such-rule'" in err


def test_configuration_takes_names_and_comma_lists(
        tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "policy.json", TWO_RULES)
    write(tmp_path, ".kms-hooks.toml", 'ignore = ["wildcard-kms-action"]\n'
                                       '[per-file-ignores]\n"*.json" = ["KMS2,resource-star"]\n')
    monkeypatch.chdir(tmp_path)
    assert run(capsys, "policy.json")[0] == 0
    write(tmp_path, ".kms-hooks.toml", 'select = ["resource-star,KMS3"]\n')
    assert rules_in(run(capsys, "policy.json")[1]) == ["KMS101"]


def test_explain_takes_a_name_and_keeps_paragraphs(capsys: pytest.CaptureFixture[str]) -> None:
    code, by_name, _ = run(capsys, "--explain", "resource-star")
    assert code == 0
    assert run(capsys, "--explain", "kms101")[1] == by_name
    assert by_name.startswith("KMS101 resource-star ")
    why = by_name.split("\nWhy it matters\n")[1].split("\nBad\n")[0]
    # Two paragraphs in the rule's documentation stay two, with a blank line between.
    assert why.count("\n\n") == 1
    assert all(line.startswith("    ") for line in why.strip("\n").split("\n") if line)
    assert run(capsys, "--explain", "resource")[0] == 2


def test_list_rules_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    from kms_hooks.rules import all_rules

    code, out, _ = run(capsys, "--list-rules", "--format", "json")
    assert code == 0
    listed = json.loads(out)
    assert [r["id"] for r in listed] == [r.id for r in all_rules()]
    [star] = [r for r in listed if r["id"] == "KMS101"]
    assert star == {"id": "KMS101", "name": "resource-star", "severity": "error",
                    "summary": star["summary"], "kinds": ["identity"]}
    assert "Resource" in star["summary"]
    assert run(capsys, "--list-rules")[1].startswith("KMS001  parse-error ")


def test_no_path_is_the_current_directory(repo: pathlib.Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "iam/reader.json", BAD)
    write(repo, "iam/writer.json", GOOD)
    code, out, err = run(capsys)
    assert code == 1
    assert [located(line) for line in out.splitlines()] == ["iam/reader.json:6:17: KMS101 error"]
    assert err.endswith("1 finding (1 error) in 2 files with policies, 2 checked\n")


def test_output_file_for_every_format(tmp_path: pathlib.Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    policy = write(tmp_path, "policy.json", BAD)
    for chosen in ("text", "json", "sarif", "github"):
        report = tmp_path / f"report.{chosen}"
        code, out, err = run(capsys, "--format", chosen, "--output-file", str(report),
                             str(policy))
        assert (code, out) == (1, ""), chosen
        assert "1 finding" in err
        assert report.read_text(encoding="utf-8") == run(capsys, "--format", chosen,
                                                         str(policy))[1]
    code, out, err = run(capsys, "--output-file", str(tmp_path / "no" / "such" / "dir"),
                         str(policy))
    assert (code, out) == (2, "")
    assert "cannot write" in err


def test_plurals_in_the_summary(tmp_path: pathlib.Path,
                                capsys: pytest.CaptureFixture[str]) -> None:
    one = write(tmp_path, "one.json", BAD)
    assert run(capsys, str(one))[2].endswith(
        "1 finding (1 error) in 1 file with policies, 1 checked\n")
    two = write(tmp_path, "two.json", TWO_RULES)
    assert run(capsys, str(one), str(two))[2].endswith(
        "3 findings (2 errors, 1 warning) in 2 files with policies, 2 checked\n")
    baseline = tmp_path / "baseline.json"
    assert run(capsys, "--write-baseline", str(baseline), str(one))[2] == \
        f"{baseline}: recorded 1 finding\n"
    write(tmp_path, "one.json", GOOD)
    assert run(capsys, "--baseline", str(baseline), str(one))[2].endswith(
        "; 0 hidden by the baseline, 1 baseline entry no longer matches\n")


def test_colour_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NO_COLOR", "FORCE_COLOR", "TERM"):
        monkeypatch.delenv(name, raising=False)
    controller, terminal = os.openpty()
    with open(terminal, "w") as tty, open(os.devnull, "w") as plain:
        assert colour_wanted(tty) and not colour_wanted(plain)
        monkeypatch.setenv("NO_COLOR", "1")
        assert not colour_wanted(tty)
        monkeypatch.setenv("FORCE_COLOR", "1")
        assert not colour_wanted(tty)  # NO_COLOR wins, as in Python itself
        monkeypatch.setenv("NO_COLOR", "")  # empty means unset
        assert colour_wanted(plain)
        monkeypatch.delenv("FORCE_COLOR")
        monkeypatch.setenv("TERM", "dumb")
        assert not colour_wanted(tty)
    os.close(controller)


def test_colour_codes_the_path_and_severity(
        tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    policy = write(tmp_path, "policy.json", BAD)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("FORCE_COLOR", "1")
    out = run(capsys, str(policy))[1]
    assert out.startswith(f"\x1b[1m{policy}\x1b[0m:6:17: \x1b[1m\x1b[31mKMS101 error\x1b[0m: ")
    for plain in (["--format", "json"], ["--output-file", str(tmp_path / "out.txt")]):
        assert "\x1b" not in run(capsys, *plain, str(policy))[1]
    assert "\x1b" not in (tmp_path / "out.txt").read_text()
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b" not in run(capsys, str(policy))[1]


def test_colour_on_a_real_terminal_and_plain_through_a_pipe(tmp_path: pathlib.Path) -> None:
    """The command itself, its standard output a pseudo-terminal, then a pipe."""
    import pty

    policy = write(tmp_path, "policy.json", BAD)
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "TERM")}
    env["PYTHONPATH"] = str(pathlib.Path(__file__).resolve().parent.parent)
    command = [sys.executable, "-m", "kms_hooks", str(policy)]
    controller, terminal = pty.openpty()
    done = subprocess.run(command, stdout=terminal, stderr=subprocess.DEVNULL, env=env)
    os.close(terminal)
    shown = b""
    while True:
        try:
            chunk = os.read(controller, 4096)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    os.close(controller)
    assert done.returncode == 1
    assert b"\x1b[31mKMS101 error\x1b[0m" in shown
    piped = subprocess.run(command, capture_output=True, env=env)
    assert piped.stdout.startswith(f"{policy}:6:17: KMS101 error: ".encode())


def test_install_git_hook_refusing_to_replace_a_hook_is_a_usage_error(
        repo: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    hook = repo / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\nexit 0\n")
    assert main(["install-git-hook"]) == 2
    assert hook.read_text() == "#!/bin/sh\nexit 0\n"


def test_usage_errors_exit_2(tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["--format", "xml", "."], ["--no-such-option"], ["--fail-on", "sometimes"]):
        with pytest.raises(SystemExit) as exited:
            main(argv)
        assert exited.value.code == 2, argv
    assert run(capsys, "--trusted-account", "12", str(tmp_path))[0] == 2
    assert run(capsys, "--config", str(tmp_path / "missing.toml"), str(tmp_path))[0] == 2


def test_a_walk_reads_untracked_files_but_not_ignored_ones(
        repo: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, ".gitignore", "build/\n")
    write(repo, "tracked.json", BAD)
    commit(repo)
    write(repo, "untracked.json", BAD)
    write(repo, "build/ignored.json", BAD)
    out = run(capsys, ".")[1]
    assert [line.split(":")[0] for line in out.splitlines()] == ["tracked.json", "untracked.json"]


def test_the_summary_counts_a_skipped_empty_file_quietly(
        tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = write(tmp_path, "empty.json", "")
    code, out, err = run(capsys, str(empty))
    assert (code, out, err) == (0, "", "0 findings in 0 files with policies, 1 checked\n")


def test_readme_command_line_examples_as_typed(tmp_path: pathlib.Path) -> None:
    """The README's examples, typed in a shell in a copy of the fixtures, with the commands
    this environment installed."""
    import re
    import shutil

    root = pathlib.Path(__file__).resolve().parent.parent
    readme = (root / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("\n## Command line\n"):]
    section = section[: section.index("\n## ", 1)]
    typed, expected = re.findall(r"The habits of other linters hold:\n\n```\n(.*?)```\n.*?"
                                 r"```\n(.*?)```\n", section, re.S)[0]
    shutil.copytree(root / "fixtures", tmp_path / "fixtures")
    env = {k: v for k, v in os.environ.items()
           if k not in ("NO_COLOR", "FORCE_COLOR", "GITHUB_ACTIONS")}
    env["PATH"] = f"{pathlib.Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    done = [subprocess.run(line, shell=True, cwd=tmp_path, capture_output=True, text=True,
                           env=env) for line in typed.splitlines()]
    version, explain, listed, sarif, select = done
    assert (version.returncode, version.stdout) == (0, f"kms-policies {__version__}\n")
    assert explain.returncode == 0 and explain.stdout.startswith("KMS101 resource-star ")
    assert listed.returncode == 0 and json.loads(listed.stdout)[0]["id"] == "KMS001"
    assert (sarif.returncode, sarif.stdout) == (1, "")
    log = json.loads((tmp_path / "kms-hooks.sarif").read_text(encoding="utf-8"))
    assert log["runs"][0]["results"]
    [star] = [r for r in log["runs"][0]["tool"]["driver"]["rules"] if r["id"] == "KMS101"]
    assert star["helpUri"].endswith("/kms/latest/developerguide/iam-policies-best-practices.html")
    assert star["properties"]["security-severity"] == "8.0"
    assert (select.returncode, select.stdout) == (1, expected)
