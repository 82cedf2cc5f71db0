from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import pytest

from kms_hooks.cli import main
from tests.gitutil import BAD, GOOD, commit, write

ROOT = pathlib.Path(__file__).resolve().parent.parent


@pytest.fixture
def repo(repo: pathlib.Path) -> pathlib.Path:
    """The repository with committed files."""
    path = repo
    write(path, "policies/reader.json", BAD)
    write(path, "policies/broken.json", '{"Statement": [\n')
    write(path, "policies/sp ace.json", BAD)
    commit(path)
    return path


def sarif(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    status = main(["--format", "sarif", *argv])
    return status, json.loads(capsys.readouterr().out)


def test_sarif_is_valid_against_the_schema(repo: pathlib.Path, shared: pathlib.Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    import jsonschema

    schema = json.loads((shared / "reference" / "sarif-schema-2.1.0.json").read_text())
    status, log = sarif(capsys, ".")
    assert status == 1
    jsonschema.Draft4Validator(schema).validate(log)
    assert len(log["runs"]) == 1
    assert len(log["runs"][0]["results"]) == 3


def test_sarif_results_rules_and_locations(repo: pathlib.Path,
                                           capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo / "policies")  # paths are relative to the repository, not here
    _, log = sarif(capsys, ".")
    run = log["runs"][0]
    assert log["version"] == "2.1.0"
    assert run["columnKind"] == "unicodeCodePoints"
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == repo.as_uri() + "/"
    rules = run["tool"]["driver"]["rules"]
    by_id = {r["id"]: r for r in rules}
    assert by_id["KMS101"]["name"] == "resource-star"
    assert by_id["KMS101"]["help"]["text"].startswith("KMS101 resource-star (default severity:")
    assert by_id["KMS113"]["defaultConfiguration"]["level"] == "note"

    results = {(r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]): r
               for r in run["results"]}
    assert sorted(results) == [("KMS001", "policies/broken.json"),
                               ("KMS101", "policies/reader.json"),
                               ("KMS101", "policies/sp%20ace.json")]
    found = results[("KMS101", "policies/reader.json")]
    assert found["level"] == "error"
    assert rules[found["ruleIndex"]]["id"] == "KMS101"
    location = found["locations"][0]
    assert location["physicalLocation"]["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
    assert location["physicalLocation"]["region"] == {
        "startLine": 6, "startColumn": 17, "endLine": 6, "endColumn": 20}
    assert location["logicalLocations"] == [
        {"fullyQualifiedName": "/Statement/0/Resource", "kind": "element"}]
    other = results[("KMS101", "policies/sp%20ace.json")]
    # Same element and value in another file: a different fingerprint.
    assert found["partialFingerprints"]["kmsHooks/v1"] != \
        other["partialFingerprints"]["kmsHooks/v1"]


def test_sarif_fingerprints_do_not_move_with_lines(repo: pathlib.Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    _, before = sarif(capsys, "policies/reader.json")
    write(repo, "policies/reader.json", "\n\n" + BAD)
    _, after = sarif(capsys, "policies/reader.json")
    first, second = before["runs"][0]["results"][0], after["runs"][0]["results"][0]
    assert second["locations"][0]["physicalLocation"]["region"]["startLine"] == 8
    assert first["partialFingerprints"] == second["partialFingerprints"]


def test_github_workflow_commands(repo: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--format", "github", "policies/reader.json", "policies/broken.json"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(
        "::error file=policies/broken.json,line=2,col=1,title=KMS001::parse-error: invalid JSON")
    assert lines[1].startswith(
        "::error file=policies/reader.json,line=6,col=17,"
        "title=KMS101::resource-star: kms:Decrypt on \"Resource\": \"*\"")


def test_github_paths_are_from_the_repository_root(
        repo: pathlib.Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo / "policies")
    main(["--format", "github", "reader.json"])
    assert capsys.readouterr().out.startswith("::error file=policies/reader.json,line=6,col=17,")


def test_github_escapes_properties_and_data() -> None:
    from kms_hooks.report.github import _data, _property

    assert _property("a,b:c%d\ne") == "a%2Cb%3Ac%25d%0Ae"
    assert _data("50% of a: b\r\n") == "50%25 of a: b%0D%0A"


def test_github_format_is_the_default_under_github_actions(
        repo: pathlib.Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    main(["policies/reader.json"])
    assert capsys.readouterr().out.startswith("::error file=policies/reader.json,line=6,")
    main(["--format", "text", "policies/reader.json"])
    assert capsys.readouterr().out.startswith("policies/reader.json:6:17: KMS101")


def test_json_fields_are_stable(repo: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["--format", "json", "policies/reader.json"])
    [finding] = json.loads(capsys.readouterr().out)
    assert finding == {
        "path": "policies/reader.json", "line": 6, "column": 17, "end_line": 6,
        "end_column": 20, "rule": "KMS101", "name": "resource-star", "severity": "error",
        "message": finding["message"], "policy_kind": "identity", "policy": "policy",
        "pointer": "/Statement/0/Resource",
    }


def test_directory_audit_ends_with_a_table_per_rule(
        repo: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["."])
    err = capsys.readouterr().err
    assert err.splitlines() == [
        "rule    name            error warning    note",
        "KMS001  parse-error         1       0       0",
        "KMS101  resource-star       2       0       0",
        "total                       3       0       0",
        "3 findings (3 errors) in 2 files with policies, 3 checked",
    ]
    main(["policies/reader.json"])  # files, not a directory: the summary line alone
    assert capsys.readouterr().err.splitlines() == [
        "1 finding (1 error) in 1 file with policies, 1 checked"]
    main(["-q", "."])
    assert capsys.readouterr().err == ""


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_progress_only_when_stderr_is_a_terminal(tmp_path: pathlib.Path) -> None:
    import pty

    folder = tmp_path / "many"
    folder.mkdir()
    # Enough work that the run outlasts the 0.2 s before progress is first drawn: many files,
    # each with many statements the rules read.
    statement = json.loads(GOOD)["Statement"][0]
    many = json.dumps({"Version": "2012-10-17", "Statement": [
        {**statement, "Sid": f"Use{n}"} for n in range(40)]}, indent=2)
    for index in range(600):
        (folder / f"{index:04}.json").write_text(many)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "kms_hooks", str(folder)]

    piped = subprocess.run(command, capture_output=True, text=True, env=env)
    assert piped.returncode == 0
    assert "checked 0" not in piped.stderr and "\r" not in piped.stderr

    leader, follower = pty.openpty()
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=follower, env=env) as process:
        os.close(follower)
        shown = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the terminal closes with the process
                break
            if not chunk:
                break
            shown += chunk
        process.wait()
    os.close(leader)
    text = shown.decode()
    assert "\r\x1b[Kchecked " in text
    assert "/600 files: " in text
    assert text.endswith("\r\x1b[K0 findings in 600 files with policies, 600 checked\r\n")
