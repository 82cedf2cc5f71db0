from __future__ import annotations

import json
import os
import pathlib

import pytest

from kms_hooks.cli import main
from kms_hooks.config import Config, find, load
from tests.gitutil import BAD, located, write

# An identity policy with a sensitive action the configuration may add (kms:DisableKey, line 5)
# and a foreign account's key (line 6).
DISABLER = """{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Action": "kms:DisableKey",
    "Resource": "arn:aws:kms:us-east-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab"
  }]
}
"""


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str], str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out.splitlines(), captured.err


def test_found_from_a_subdirectory_up_to_the_git_root(repo: pathlib.Path) -> None:
    write(repo, "pyproject.toml", '[project]\nname = "x"\n\n[tool.kms-hooks]\nfail-on = "error"\n')
    sub = repo / "a" / "b"
    sub.mkdir(parents=True)
    assert find(str(sub)) == str(repo / "pyproject.toml")
    assert load(start=str(sub)).fail_on == "error"


def test_pyproject_without_our_table_gives_way_to_our_own_file(repo: pathlib.Path) -> None:
    write(repo, "pyproject.toml", '[project]\nname = "x"\n')
    write(repo, ".kms-hooks.toml", 'ignore = ["KMS101"]\n')
    assert find(str(repo)) == str(repo / ".kms-hooks.toml")
    assert load(start=str(repo)).ignore == ("KMS101",)


def test_nothing_above_the_git_root_is_read(repo: pathlib.Path) -> None:
    write(repo.parent, ".kms-hooks.toml", 'fail-on = "never"\n')
    assert find(str(repo)) is None
    assert load(start=str(repo)) == Config(root=str(repo))


def test_outside_git_only_the_current_directory_counts(tmp_path: pathlib.Path) -> None:
    write(tmp_path, ".kms-hooks.toml", 'fail-on = "never"\n')
    below = tmp_path / "plain"
    below.mkdir()
    assert find(str(below)) is None
    assert find(str(tmp_path)) == str(tmp_path / ".kms-hooks.toml")


def test_every_key_takes_effect(repo: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "policies/disabler.json", DISABLER)
    write(repo, "policies/reader.json", BAD)
    write(repo, "legacy/reader.json", BAD)
    write(repo, "pyproject.toml", """
[tool.kms-hooks]
trusted-accounts = ["111122223333"]
sensitive-actions = ["kms:DisableKey"]
fail-on = "error"
ignore = ["KMS113"]
per-file-ignores = { "legacy/*" = ["KMS101"] }
severity = { KMS105 = "note" }
""")
    status, out, _ = run(capsys, ".")
    assert [located(line) for line in out] == [
        "policies/disabler.json:5:15: KMS106 warning",  # a configured sensitive action
        "policies/disabler.json:6:17: KMS105 note",  # trusted accounts, severity changed
        "policies/reader.json:6:17: KMS101 error",  # legacy/ is ignored for KMS101
    ]
    assert "444455556666, which is not a trusted account (111122223333)" in out[1]
    assert status == 1


def test_command_line_overrides_the_file(repo: pathlib.Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "reader.json", BAD)
    write(repo, ".kms-hooks.toml", 'fail-on = "never"\nselect = ["KMS2"]\n')
    assert run(capsys, "reader.json")[:2] == (0, [])
    status, out, _ = run(capsys, "--select", "KMS1", "--fail-on", "error", "reader.json")
    assert status == 1 and len(out) == 1 and ":6:17: KMS101" in out[0]


def test_config_option_names_the_file(repo: pathlib.Path, capsys: pytest.CaptureFixture[str],
                                      tmp_path: pathlib.Path) -> None:
    write(repo, "reader.json", BAD)
    write(repo, ".kms-hooks.toml", 'fail-on = "never"\n')
    other = write(tmp_path, "ci.toml", '[tool.kms-hooks]\nfail-on = "error"\n')
    assert run(capsys, "reader.json")[0] == 0
    assert run(capsys, "--config", str(other), "reader.json")[0] == 1


@pytest.mark.parametrize(("text", "message"), [
    ('trusted-account = ["111122223333"]',
     "unknown key 'trusted-account' (did you mean 'trusted-accounts'?)"),
    ('trusted-accounts = "111122223333"',
     "trusted-accounts must be a list of strings, such as [\"...\"], not the string "
     "'111122223333'"),
    ('trusted-accounts = [111122223333]',
     "trusted-accounts must be a list of strings, such as [\"...\"], not a list with "
     "non-string entries"),
    ('trusted-accounts = ["1234"]', "trusted-accounts: '1234' is not a 12-digit account id"),
    ('fail-on = "errors"', "fail-on must be one of error, warning, note, never, not 'errors'"),
    ('select = ["KMS9"]', "select: no rule matches 'KMS9'; see --list-rules"),
    ('sensitive-actions = ["kms:DeleteEverything"]',
     "sensitive-actions: 'kms:DeleteEverything' is not a KMS action (write it as kms:ActionName)"),
    ('severity = { KMS101 = "fatal" }',
     "severity: KMS101 must be one of error, warning, note, not 'fatal'"),
    ('severity = { KMS999 = "note" }', "severity: no rule 'KMS999'; see --list-rules"),
    ('per-file-ignores = ["legacy/*"]',
     "per-file-ignores must be a table of glob = [rule ids], not a list with non-string "
     "entries"),
    ('extract = [{ files = "*.json", path = "policies[", kind = "identity" }]',
     "extract[0]: path 'policies[' is not a valid JMESPath expression: "),
    ('extract = [{ files = "*.json", path = "policy", kind = "role" }]',
     "extract[0]: kind must be one of identity, key, endpoint, guardrail, not 'role'"),
    ('extract = [{ files = "*.json", path = "policy" }]',
     "extract[0]: kind must be a non-empty string"),
    ('extract = [{ files = "*.json", path = "p", kind = "key", name = "x" }]',
     "extract[0]: unknown key 'name'"),
    ('fail-on = ', "invalid TOML: "),
])
def test_bad_configuration_is_one_line_and_exit_2(
        repo: pathlib.Path, capsys: pytest.CaptureFixture[str], text: str, message: str) -> None:
    write(repo, "reader.json", BAD)
    write(repo, "pyproject.toml", f"[tool.kms-hooks]\n{text}\n")
    status, out, err = run(capsys, "reader.json")
    assert status == 2
    assert out == []
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("kms-policies: error: pyproject.toml: ")
    assert message in lines[0]
    assert "Traceback" not in err


def test_missing_config_file_is_exit_2(repo: pathlib.Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, "--config", "nope.toml", ".")
    assert status == 2
    assert err == ("kms-policies: error: nope.toml: cannot read the configuration file: "
                   "No such file or directory\n")


def test_pyproject_named_without_our_table_is_an_error(
        repo: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "pyproject.toml", "[project]\nname = 'x'\n")
    status, _, err = run(capsys, "--config", "pyproject.toml", ".")
    assert status == 2
    assert err == "kms-policies: error: pyproject.toml: has no [tool.kms-hooks] table\n"


def test_config_error_names_the_file_found_from_a_subdirectory(
        repo: pathlib.Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    write(repo, ".kms-hooks.toml", "colour = 'red'\n")
    (repo / "sub").mkdir()
    monkeypatch.chdir(repo / "sub")
    status, _, err = run(capsys, ".")
    assert status == 2
    assert err.startswith("kms-policies: error: ../.kms-hooks.toml: unknown key 'colour'")


# --- extract: a team's own formats ---------------------------------------------------------

ROLES_JSON = """{
  "roles": [
    {
      "name": "reader",
      "inline_policy": {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]
      }
    },
    {"name": "no policy"}
  ]
}
"""

KEYS_YAML = """keys:
  - alias: data
    key_policy:
      Version: "2012-10-17"
      Statement:
        - Sid: Everyone
          Effect: Allow
          Principal: "*"
          Action: "kms:Decrypt"
          Resource: "*"
"""


def extract(files: str, path: str, kind: str) -> str:
    return f'[[extract]]\nfiles = "{files}"\npath = "{path}"\nkind = "{kind}"\n'


def test_extract_finds_policies_in_json_with_exact_positions(
        repo: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "infra/roles.json", ROLES_JSON)
    write(repo, ".kms-hooks.toml", extract("infra/*.json", "roles[].inline_policy", "identity"))
    status, out, _ = run(capsys, "--format", "json", "infra/roles.json")
    findings = json.loads("\n".join(out))
    assert [(f["rule"], f["line"], f["column"], f["end_column"], f["pointer"], f["policy"])
            for f in findings] == [
        ("KMS101", 7, 80, 83, "/roles/0/inline_policy/Statement/0/Resource",
         "/roles/0/inline_policy"),
    ]
    assert status == 1


def test_extract_in_yaml_checks_the_configured_kind(
        repo: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "keys.yaml", KEYS_YAML)
    write(repo, ".kms-hooks.toml", extract("keys.yaml", "keys[].key_policy", "key"))
    status, out, _ = run(capsys, "keys.yaml")
    # As a key policy: "*" as Resource is right, a public principal is not, and nobody is
    # left able to change the policy.
    assert [located(line) for line in out] == [
        "keys.yaml:4:7: KMS202 warning",
        "keys.yaml:8:22: KMS201 error",
    ]
    assert status == 1


def test_extract_policy_written_as_a_json_string(
        repo: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    inner = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]})
    write(repo, "settings.json", json.dumps({"task": {"policy": inner}}, indent=2) + "\n")
    write(repo, ".kms-hooks.toml", extract("settings.json", "task.policy", "identity"))
    status, out, _ = run(capsys, "settings.json")
    assert status == 1
    assert out[0].startswith("settings.json:3:")
    column = int(out[0].split(":")[2])
    line = (repo / "settings.json").read_text().splitlines()[2]
    assert line[column - 1 : column + 2] == '\\"*'  # the inner "*", inside the escaped string


def test_extract_leaves_other_files_to_the_other_sources(
        repo: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "plain.json", BAD)
    write(repo, ".kms-hooks.toml", extract("*.json", "roles[].inline_policy", "identity"))
    status, out, _ = run(capsys, "plain.json")
    assert status == 1 and out[0].startswith("plain.json:6:17: KMS101")


def test_invalid_yaml_in_an_extract_file_is_a_located_parse_error(
        repo: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "keys.yaml", "keys:\n  - alias: [unclosed\n")
    write(repo, ".kms-hooks.toml", extract("*.yaml", "keys[].key_policy", "key"))
    status, out, err = run(capsys, "keys.yaml")
    assert status == 1
    assert out[0].startswith("keys.yaml:3:1: KMS001 error: invalid YAML")
    assert "Traceback" not in err


def test_per_file_ignores_globs_are_relative_to_the_config_file(
        repo: pathlib.Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    write(repo, "legacy/old/reader.json", BAD)
    write(repo, "current/reader.json", BAD)
    write(repo, ".kms-hooks.toml", '[per-file-ignores]\n"legacy/**" = ["KMS1"]\n')
    monkeypatch.chdir(repo / "legacy")
    assert run(capsys, ".")[:2] == (0, [])
    monkeypatch.chdir(repo)
    status, out, _ = run(capsys, ".")
    assert [line.split(":")[0] for line in out] == [os.path.join("current", "reader.json")]



def test_extract_yaml_policy_written_as_json_text(
        repo: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = ('service:\n  name: reader\n  policy: |\n    {"Version": "2012-10-17",\n'
            '     "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]}\n')
    write(repo, "service.yaml", text)
    write(repo, ".kms-hooks.toml", extract("service.yaml", "service.policy", "identity"))
    status, out, _ = run(capsys, "service.yaml")
    assert [located(line) for line in out] == ["service.yaml:5:77: KMS101 error"]
    assert text.splitlines()[4][76:79] == '"*"'
    assert status == 1
