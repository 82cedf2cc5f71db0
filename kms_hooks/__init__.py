"""Checks AWS KMS permissions in policy files against AWS's guidance."""
from __future__ import annotations

__version__ = "0.1.0"
