from __future__ import annotations

import os
import pathlib

import pytest
from hypothesis import settings

# In CI the property tests replay the same examples every run, so a run's result depends on the
# change alone; locally they explore new examples each time.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

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
