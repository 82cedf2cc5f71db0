from __future__ import annotations

import pathlib

import pytest

from kms_hooks.cli import main

FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "fixtures"


def test_bad_fixture_fails_with_located_findings(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(FIXTURES / "bad" / "reader-policy.json")]) == 1
    out = capsys.readouterr().out
    assert "reader-policy.json:8:19: KMS101 error:" in out


def test_good_fixtures_pass(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(FIXTURES / "good")]) == 0
    assert capsys.readouterr().out == ""


def test_verbose_says_why_files_were_skipped(tmp_path: pathlib.Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    trust = tmp_path / "trust.json"
    trust.write_text('{"Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},'
                     ' "Action": "sts:AssumeRole"}]}')
    notes = tmp_path / "notes.txt"
    notes.write_text("Statement")
    assert main(["-v", str(trust), str(notes)]) == 0
    err = capsys.readouterr().err
    assert f"{trust}: skipped: read as raw: no KMS-related policy in it" in err
    assert f"{notes}: skipped: holds no policy this hook reads" in err
