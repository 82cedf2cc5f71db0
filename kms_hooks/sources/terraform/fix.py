"""Fixes in Terraform configuration (HCL and JSON): what a reference becomes, and the edit that
makes it where the reference is written."""
from __future__ import annotations

from kms_hooks.model import Fix, TextEdit, Where


def reference_fix(written: str, replacement: str, where: Where | None) -> Fix:
    """`aws_kms_key.k.key_id` becomes `aws_kms_key.k.arn` in the element at `where`.  A reference
    reached through a local (`local.key`) is not edited: other places may use the local as the
    key id it is."""
    if where is None:
        return Fix(replacement, reason=f"{written} is written in a local, which other places "
                                       "may use as it is")
    return Fix(replacement, (TextEdit(where, replacement, written),))


def at_element(fix: Fix | None, where: Where) -> Fix | None:
    """The same fix made in the element at `where` (a JSON string inside a policy held as a
    string), which holds the reference once, where the whole string may hold it more often."""
    if fix is None or not fix.edits:
        return fix
    return Fix(fix.title, tuple(TextEdit(where, e.new, e.old) for e in fix.edits), fix.safe,
               fix.reason)
