from __future__ import annotations

import json
import pathlib

import pytest

from kms_hooks.cli import main
from tests.gitutil import BAD, commit, located, write

# Two old findings: KMS101 on line 6 and KMS111 (a typo) on line 10.
OLD = """{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Action": "kms:Decrypt",
    "Resource": "*"
  }, {
    "Sid": "Typo",
    "Effect": "Allow",
    "Action": "kms:Encrpyt",
    "Resource": "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
  }]
}
"""


@pytest.fixture
def repo(repo: pathlib.Path) -> pathlib.Path:
    """The repository with committed files."""
    path = repo
    write(path, "policies/app.json", OLD)
    write(path, "policies/other.json", BAD)
    commit(path)
    return path


def test_baseline_survives_an_inserted_line_and_reports_new_findings(
        repo: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--write-baseline", ".kms-baseline.json", "."]) == 0
    assert capsys.readouterr().err == ".kms-baseline.json: recorded 3 findings\n"
    recorded = json.loads((repo / ".kms-baseline.json").read_text())
    assert [(e["path"], e["rule"], e["pointer"]) for e in recorded["findings"]] == [
        ("policies/app.json", "KMS101", "/Statement/0/Resource"),
        ("policies/app.json", "KMS111", "/Statement/1/Action"),
        ("policies/other.json", "KMS101", "/Statement/0/Resource"),
    ]

    # Lines move: a Sid above every finding.  Nothing is new.
    moved = OLD.replace('  "Statement": [{\n', '  "Statement": [{\n    "Sid": "Read",\n')
    write(repo, "policies/app.json", moved)
    assert main(["--baseline", ".kms-baseline.json", "."]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.endswith("; 3 hidden by the baseline, 0 baseline entries no longer "
                                 "match\n")

    # A statement inserted above the others moves their list positions.  Nothing is new.
    inserted = moved.replace('  "Statement": [{\n', '  "Statement": [{\n    "Sid": "Listing",\n'
                             '    "Effect": "Allow",\n    "Action": "kms:ListKeys",\n'
                             '    "Resource": "*"\n  }, {\n', 1)
    write(repo, "policies/app.json", inserted)
    assert main(["--baseline", ".kms-baseline.json", "."]) == 0
    assert "; 3 hidden by the baseline, 0 baseline entries" in capsys.readouterr().err

    # A new finding is reported; fixing an old one leaves a stale entry.
    grown = moved.replace('"kms:Encrpyt"', '"kms:Encrypt"').replace(
        '"kms:Decrypt"', '["kms:Decrypt", "kms:ScheduleKeyDeletion"]')
    write(repo, "policies/app.json", grown)
    assert main(["--baseline", ".kms-baseline.json", "."]) == 1
    captured = capsys.readouterr()
    assert [located(line) for line in captured.out.splitlines()] == [
        "policies/app.json:6:31: KMS106 warning"]
    assert "; 2 hidden by the baseline, 1 baseline entry no longer match" in captured.err


def test_a_changed_value_at_the_same_place_is_new(
        repo: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--write-baseline", "baseline.json", "policies"]) == 0
    write(repo, "policies/app.json", OLD.replace("kms:Encrpyt", "kms:Encrpt"))
    assert main(["--baseline", "baseline.json", "policies"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("policies/app.json:10:15: KMS111 error: kms:Encrpt")


def test_entries_of_files_not_checked_are_not_stale(
        repo: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    # pre-commit passes only the changed files: the other files' entries still hold.
    assert main(["--write-baseline", "baseline.json", "."]) == 0
    assert main(["--baseline", "baseline.json", "policies/other.json"]) == 0
    assert capsys.readouterr().err.endswith("1 hidden by the baseline, 0 baseline entries no "
                                            "longer match\n")
    (repo / "policies" / "app.json").unlink()  # a deleted file's entries are stale
    assert main(["--baseline", "baseline.json", "policies/other.json"]) == 0
    assert capsys.readouterr().err.endswith("1 hidden by the baseline, 2 baseline entries no "
                                            "longer match\n")


def test_baseline_paths_are_relative_to_the_baseline_file(
        repo: pathlib.Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert main(["--write-baseline", "baseline.json", "."]) == 0
    monkeypatch.chdir(repo / "policies")
    assert main(["--baseline", "../baseline.json", "."]) == 0


@pytest.mark.parametrize(("content", "message"), [
    (None, "baseline.json: no such baseline; record one with --write-baseline"),
    ("{", "baseline.json: not a kms-hooks baseline (invalid JSON: "),
    ('{"findings": []}', "baseline.json: not a kms-hooks baseline (write one with "
                         "--write-baseline)"),
    ('{"tool": "kms-hooks", "version": 9, "findings": []}',
     "baseline.json: baseline format version 9 is not 1; record it again with "
     "--write-baseline"),
    ('{"tool": "kms-hooks", "version": 1, "findings": [{"rule": "KMS101"}]}',
     "baseline.json: an entry lacks a path or a fingerprint"),
])
def test_unusable_baseline_is_exit_2(repo: pathlib.Path, capsys: pytest.CaptureFixture[str],
                                     content: str | None, message: str) -> None:
    if content is not None:
        write(repo, "baseline.json", content)
    assert main(["--baseline", "baseline.json", "."]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"kms-policies: error: {message}")
    assert len(err.splitlines()) == 1


def test_a_second_finding_alike_to_a_recorded_one_is_new(
        repo: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--write-baseline", "baseline.json", "policies/other.json"]) == 0
    twice = BAD.replace('  }]\n', '  }, {\n    "Effect": "Allow",\n    "Action": "kms:Decrypt",\n'
                                  '    "Resource": "*"\n  }]\n')
    write(repo, "policies/other.json", twice)
    assert main(["--baseline", "baseline.json", "policies/other.json"]) == 1
    captured = capsys.readouterr()
    assert [located(line) for line in captured.out.splitlines()] == [
        "policies/other.json:10:17: KMS101 error"]
    assert "1 hidden by the baseline" in captured.err
