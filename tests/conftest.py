from __future__ import annotations

import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


@pytest.fixture
def shared() -> pathlib.Path:
    """The evaluation data beside the repository; tests that need it skip without it."""
    if not SHARED.is_dir():
        pytest.skip("../shared is not present")
    return SHARED


# `repo`: a real git repository in tmp_path; `shell` and `hook_repository`: real pre-commit.
pytest_plugins = ("tests.gitutil", "tests.hookrepo")
