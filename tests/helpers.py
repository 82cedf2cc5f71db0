"""Running the real command line on files written for a test, and reading its JSON output."""
from __future__ import annotations

import json
import pathlib
from typing import Any

import pytest

from kms_hooks.cli import main


def check(capsys: pytest.CaptureFixture[str], path: pathlib.Path, *args: str,
          hook: Any = main) -> list[dict[str, Any]]:
    hook(["--format", "json", *args, str(path)])
    found: list[dict[str, Any]] = json.loads(capsys.readouterr().out)
    return found


def located(findings: list[dict[str, Any]]) -> list[tuple[str, int, int, str]]:
    """(rule, line, column, severity) of each finding, in output order."""
    return [(f["rule"], f["line"], f["column"], f["severity"]) for f in findings]


def write(tmp_path: pathlib.Path, name: str, text: str) -> pathlib.Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def at(text: str, needle: str, occurrence: int = 1) -> tuple[int, int]:
    """1-based line and column of the n-th occurrence of `needle` in `text`."""
    index = -1
    for _ in range(occurrence):
        index = text.index(needle, index + 1)
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return line, column


def policy(*statements: str, version: str = '"2012-10-17"') -> str:
    """A policy document, one statement per line, so positions are easy to read."""
    body = ",\n".join("    " + s for s in statements)
    return '{\n  "Version": ' + version + ',\n  "Statement": [\n' + body + "\n  ]\n}\n"
