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
