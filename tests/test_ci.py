"""CI (`.ci/run`) checks the types and runs the README's test command, stopping at a failure."""
from __future__ import annotations

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_ci_runs_mypy_strict_and_the_readme_test_command() -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "set -euo pipefail" in script
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(r"\n## Run the tests\n\n```\n(.+)\n```", readme)
    assert found is not None
    readme_steps = [step.strip() for step in found.group(1).split("&&")]
    [command] = [line for line in script.splitlines() if line.startswith("python3 -m venv")]
    # pip may be told to be quiet in CI; the steps are otherwise the README's.
    steps = [step.strip().replace("pip install -q ", "pip install ") for step in command.split("&&")]
    # Every step is joined by &&, so a type error stops the run with mypy's failing status.
    assert "mypy --strict kms_hooks" in steps
    assert [s for s in steps if s != "mypy --strict kms_hooks"] == readme_steps
    assert steps.index("mypy --strict kms_hooks") < steps.index("coverage run -m pytest")
