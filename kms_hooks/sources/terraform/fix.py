"""Fixes in Terraform configuration (HCL and JSON): what a reference becomes, and the edit that
makes it where the reference is written."""
from __future__ import annotations

from kms_hooks.model import Fix, Narrowing, TextEdit, Value, Where
from kms_hooks.sources.edits import account_keys
from kms_hooks.sources.terraform.model import Module


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


def attribute_removal(where: Where, name: str) -> Fix | None:
    """Removing an argument of a resource, in configuration (HCL or JSON; never in a plan, which
    terraform writes)."""
    from kms_hooks.documents import JsonDocument
    from kms_hooks.sources.edits import removal

    if not configuration(where):
        return None
    return removal(where, f"remove {name}", isinstance(where.doc, JsonDocument))


def configuration(where: Where) -> bool:
    """Whether `where` lies in a configuration file (`.tf`, `.tf.json`), which may be edited."""
    path = where.doc.path
    return path.endswith(".tf") or path.endswith(".tf.json")


def narrowing(module: Module) -> Narrowing:
    """How the module writes its account's keys: interpolations of its
    `data "aws_caller_identity"` (and `data "aws_partition"`) data sources."""
    caller = module.find("data", "aws_caller_identity")
    partition = module.find("data", "aws_partition")

    def narrow(value: Value, account: str | None) -> Fix:
        title = "arn:${data.aws_partition.X.partition}:kms:*:" \
                "${data.aws_caller_identity.X.account_id}:key/*"
        if not configuration(value.where):
            return Fix(title, safe=False, reason="the policy is not in a .tf or .tf.json file "
                                                 "(a plan, or JSON read by file()), where "
                                                 "nothing can name the account")
        if caller is None:
            return Fix(title, safe=False, reason='the module has no data "aws_caller_identity" '
                                                 "to name the account with")
        if value.text is None or value.display is not None:
            return Fix(title, safe=False, reason="the resource is an expression: rewrite it by "
                                                 "hand")
        account_of = "${data.aws_caller_identity." + caller.labels[1] + ".account_id}"
        partition_of = "aws" if partition is None else \
            "${data.aws_partition." + partition.labels[1] + ".partition}"
        pattern = account_keys(value.text, partition_of, account_of)
        return Fix(pattern, (TextEdit(value.where, pattern, value.text),), safe=False)

    return narrow
