"""Paths as code scanning and annotations need them: relative to the repository's root."""
from __future__ import annotations

import os


def repository_root() -> str:
    """The root of the git work tree around the current directory, else the directory itself."""
    from kms_hooks.gitio import toplevel

    return os.path.abspath(toplevel() or os.getcwd())


def from_root(path: str, root: str) -> str | None:
    """`path` relative to `root` with `/` separators, or None when it lies outside."""
    relative = os.path.relpath(os.path.abspath(path), root)
    if relative == os.pardir or relative.startswith(os.pardir + os.sep):
        return None
    return relative.replace(os.sep, "/")
