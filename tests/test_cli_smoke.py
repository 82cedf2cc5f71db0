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
