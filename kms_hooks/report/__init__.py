"""Output formats.  Each formatter takes findings and knows nothing else."""
from __future__ import annotations

import importlib
from collections.abc import Callable

from kms_hooks.engine import Outcome

Formatter = Callable[[Outcome], str]

# Format name -> module with `render(outcome) -> str`.
FORMATS = {
    "text": "kms_hooks.report.text",
    "json": "kms_hooks.report.json_format",
    "sarif": "kms_hooks.report.sarif",
    "github": "kms_hooks.report.github",
}


def formatter(name: str) -> Formatter:
    render: Formatter = importlib.import_module(FORMATS[name]).render
    return render
