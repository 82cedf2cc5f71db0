"""Fixes in CloudFormation templates, JSON and YAML: the edits that turn a reference to a key's
id into its ARN, written in the form (short or long, JSON or YAML) the template already uses."""
from __future__ import annotations

import json

from kms_hooks.model import Fix, Narrowing, TextEdit, Value, Where
from kms_hooks.sources.edits import account_keys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

NODE, SUB_STRING, PLAIN_STRING = "node", "sub", "string"  # how a policy is written

def key_arn_title(logical_id: str, yaml: bool) -> str:
    """How the key's ARN is written in a template of this syntax, for messages."""
    if yaml:
        return f"!GetAtt {logical_id}.Arn"
    return json.dumps({"Fn::GetAtt": [logical_id, "Arn"]}, separators=(", ", ": "))


def ref_fix(logical_id: str, node: Any, where: Where, yaml: bool) -> Fix:
    """`Ref` of a key (`{"Ref": "K"}`, `Ref: K`, `!Ref K`) becomes its `Fn::GetAtt [K, Arn]`."""
    title = key_arn_title(logical_id, yaml)
    if getattr(node, "tag", None) == "!Ref":
        return Fix(title, (TextEdit(where, f"!GetAtt {logical_id}.Arn"),))
    arguments = f"[{logical_id}, Arn]" if yaml else json.dumps([logical_id, "Arn"])
    inner = where.child("Ref")
    return Fix(title, (TextEdit(inner.as_key(), "Fn::GetAtt", "Ref"),
                       TextEdit(inner, arguments)))


def get_att_fix(logical_id: str, argument: Any, where: Where, yaml: bool) -> Fix:
    """`Fn::GetAtt` of a key's `KeyId` becomes its `Arn`: only the attribute's name changes."""
    title = key_arn_title(logical_id, yaml)
    inner = where.child("Fn::GetAtt")
    if isinstance(argument, list):
        return Fix(title, (TextEdit(inner.child(1), "Arn", "KeyId"),))
    return Fix(title, (TextEdit(inner, f"{logical_id}.Arn", f"{logical_id}.KeyId"),))


def sub_fix(written: str, logical_id: str, where: Where) -> Fix:
    """`${K}` (or `${K.KeyId}`) standing for a whole resource in an `Fn::Sub` string becomes
    `${K.Arn}`."""
    return Fix(f"${{{logical_id}.Arn}}", (TextEdit(where, f"${{{logical_id}.Arn}}", written),))


def narrowing(yaml: bool, written: str) -> Narrowing:
    """How a policy of the template writes the account's keys: `!Sub` (or `Fn::Sub`) of
    `arn:${AWS::Partition}:kms:*:${AWS::AccountId}:key/*`; inside a policy that is an
    `Fn::Sub` string, the pattern itself; a policy that is a plain JSON string has no way to."""

    def narrow(value: Value, account: str | None) -> Fix:
        title = "arn:${AWS::Partition}:kms:*:${AWS::AccountId}:key/*"
        if value.text is None or value.display is not None:
            return Fix(title, safe=False, reason="the resource is written with an intrinsic "
                                                 "function: rewrite it by hand")
        if written == PLAIN_STRING:
            return Fix(title, safe=False, reason="the policy is a plain JSON string, which "
                                                 "cannot name the account (make it an Fn::Sub)")
        pattern = account_keys(value.text, "${AWS::Partition}", "${AWS::AccountId}")
        if written == SUB_STRING:
            return Fix(pattern, (TextEdit(value.where, pattern, value.text),), safe=False)
        element = f'!Sub "{pattern}"' if yaml else json.dumps({"Fn::Sub": pattern})
        return Fix(element, (TextEdit(value.where, element),), safe=False)

    return narrow
