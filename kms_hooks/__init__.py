"""Checks AWS KMS permissions in policy files against AWS's guidance."""
from __future__ import annotations

__version__ = "0.2.1"
# Where users get kms-hooks: the git URL of their pre-commit `repo:` and of the action.
__url__ = "https://github.com/YOUR-ORG/kms-hooks"
