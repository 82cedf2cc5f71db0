"""CloudFormation intrinsic functions, resolved to what they return.

A policy element written as `{"Ref": "DataKey"}` or `!Sub arn:${AWS::Partition}:kms:...` is
turned into a Value whose text is what CloudFormation would put there, with the parts known only
by meaning written as placeholders: THIS_ACCOUNT for `AWS::AccountId`, SPECIFIC for one definite
value that is not known here (a region, a parameter inside a string, a key id).  What cannot be
known at all is an unknown value (text None), never a guess.  `Fn::If` stands for both of its
branches; `AWS::NoValue` for nothing.
"""
from __future__ import annotations

import itertools
import json
import re

from kms_hooks.model import SPECIFIC, THIS_ACCOUNT, Value, Where
from kms_hooks.normalize import Reader
from kms_hooks.sources.cloudformation import fix

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterator, Mapping

KEY_TYPES = frozenset({"AWS::KMS::Key", "AWS::KMS::ReplicaKey"})
ALIAS_TYPE = "AWS::KMS::Alias"
KEY_ARN = f"arn:{SPECIFIC}:kms:{SPECIFIC}:{THIS_ACCOUNT}:key/{SPECIFIC}"
# The ARN of a role or user made by the template: an IAM identity of this account.
IDENTITY_ARNS = {"AWS::IAM::Role": f"arn:{SPECIFIC}:iam::{THIS_ACCOUNT}:role/{SPECIFIC}",
                 "AWS::IAM::User": f"arn:{SPECIFIC}:iam::{THIS_ACCOUNT}:user/{SPECIFIC}"}

_PSEUDO = {
    "AWS::AccountId": THIS_ACCOUNT,
    "AWS::Partition": SPECIFIC,
    "AWS::Region": SPECIFIC,
    "AWS::URLSuffix": SPECIFIC,
    "AWS::StackName": SPECIFIC,
    "AWS::StackId": SPECIFIC,
}
_NO_VALUE = "AWS::NoValue"
_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_WHOLE_SUB = re.compile(r"\$\{([A-Za-z0-9]+)(?:\.KeyId)?\}")
# More alternatives than this (Fn::If inside Fn::Join inside Fn::Sub ...) make a value unknown.
_MAX_ALTERNATIVES = 32
# YAML aliases make a template a graph, so a few lines can stand for strings of exabytes
# (`&b !Join ['', [*a, *a]]`, and so on).  A built string longer than the largest policy IAM
# takes is unknown; all the strings built for one template may together be a few times its
# size, past which every value still to build is unknown; a value quoted in a message is cut.
MAX_TEXT = 10_240
BUDGET_PER_BYTE = 8
_MIN_BUDGET = 1 << 20
_MAX_SHOWN = 200
OVER_BUDGET = "values built past the size budget (YAML aliases) are unknown"


def is_no_value(node: Any) -> bool:
    return isinstance(node, dict) and len(node) == 1 and node.get("Ref") == _NO_VALUE


def function(node: Any) -> tuple[str, Any] | None:
    """`(name, argument)` when the node is an intrinsic function (or Ref)."""
    if isinstance(node, dict) and len(node) == 1:
        name, argument = next(iter(node.items()))
        if name == "Ref" or name.startswith("Fn::"):
            return name, argument
    return None


class Template:
    """What the resolver needs to know about the template around a policy."""

    def __init__(self, data: Mapping[str, Any], yaml: bool, size: int = 0) -> None:
        self.yaml = yaml
        self.resources = _mapping(data.get("Resources"))
        self.parameters = _mapping(data.get("Parameters"))
        self.mappings = _mapping(data.get("Mappings"))
        # Characters that the strings built from this template may take in all (see MAX_TEXT).
        self.budget = max(_MIN_BUDGET, BUDGET_PER_BYTE * size)
        self.over_budget = False  # some value was left unknown for it

    def resource_type(self, logical_id: Any) -> str | None:
        resource = self.resources.get(logical_id) if isinstance(logical_id, str) else None
        kind = resource.get("Type") if isinstance(resource, dict) else None
        return kind if isinstance(kind, str) else None

    def written(self, node: Any) -> str:
        """How a node is written in the template, on one line (for messages)."""
        if self.yaml:
            return _yaml_flow(node)
        return json.dumps(node, separators=(", ", ": "))

    def whole_key(self, template: str) -> tuple[str, str] | None:
        """`(written, logical id)` when a Sub template is one key's `${K}` or `${K.KeyId}`
        and nothing else: a key id standing for a whole resource."""
        found = _WHOLE_SUB.fullmatch(template)
        if found is None or self.resource_type(found.group(1)) not in KEY_TYPES:
            return None
        return found.group(0), found.group(1)


_PLAIN = re.compile(r"[^\s\[\]{},#&*!|>'\"%@`][^\[\]{},#]*")


def _yaml_flow(node: Any) -> str:
    """A node in YAML flow style, short-form tags kept as written (`!GetAtt Key.Arn`), cut
    after a few hundred characters: through aliases a small node may stand for a huge one."""
    out: list[str] = []
    size = 0
    for piece in _flow_pieces(node):
        out.append(piece)
        size += len(piece)
        if size > _MAX_SHOWN:
            out.append("...")
            break
    return "".join(out)


def _flow_pieces(node: Any) -> Iterator[str]:
    tag = getattr(node, "tag", None)
    if tag is not None:
        ((_, argument),) = node.items()
        if tag == "!GetAtt" and isinstance(argument, list) and len(argument) == 2 \
                and all(isinstance(part, str) for part in argument):
            yield f"!GetAtt {argument[0]}.{argument[1]}"
            return
        yield f"{tag} "
        yield from _flow_pieces(argument)
    elif isinstance(node, dict):
        yield "{"
        for index, (key, value) in enumerate(node.items()):
            yield ", " if index else ""
            yield from _flow_pieces(key)
            yield ": "
            yield from _flow_pieces(value)
        yield "}"
    elif isinstance(node, list):
        yield "["
        for index, item in enumerate(node):
            yield ", " if index else ""
            yield from _flow_pieces(item)
        yield "]"
    elif isinstance(node, str):
        plain = _PLAIN.fullmatch(node) and ": " not in node and not node.endswith((":", " "))
        yield node if plain else json.dumps(node)
    else:
        yield json.dumps(node)


def _mapping(node: Any) -> dict[str, Any]:
    return node if isinstance(node, dict) else {}


class IntrinsicReader(Reader):
    """Reads policy values that may be intrinsic functions.

    With `sub_variables` set, the policy was written as the template string of an `Fn::Sub`:
    its strings are substituted (with that variable map) and nothing else is a function.
    """

    def __init__(self, template: Template, duplicate_keys: Mapping[int, list[str]] | None = None,
                 sub_variables: Mapping[str, Any] | None = None) -> None:
        super().__init__(duplicate_keys)
        self.template = template
        self.sub_variables = sub_variables
        self._aliases_read: set[str] = set()
        # What each function node stands for, by identity: an alias is the node it names, so
        # a node read through a thousand aliases is resolved once.
        self._resolved: dict[int, tuple[Any, list[str] | None]] = {}

    # The Reader interface ------------------------------------------------------------------

    def values(self, node: Any, where: Where) -> list[Value] | None:
        if isinstance(node, str):
            if self.sub_variables is not None and "${" in node:
                whole = self.template.whole_key(node)
                if whole is not None and whole[1] not in self.sub_variables:
                    return [Value(SPECIFIC, where, node, "key-id", fix.sub_fix(*whole, where))]
                texts = self.sub_texts(node, self.sub_variables)
                return [Value(text, where, node) for text in texts] if texts else \
                    [Value(None, where, node)]
            return [Value(node, where)]
        if self.sub_variables is not None:
            return None
        called = function(node)
        if called is None:
            return None
        return self._call(called[0], called[1], node, where)

    def nodes(self, node: Any, where: Where) -> list[tuple[Any, Where]]:
        found: list[tuple[Any, Where]] = []
        self._branches(node, where, found, set())
        if len(found) > _MAX_ALTERNATIVES:
            # Fn::If over aliases of Fn::If: 2**n alternatives.  The first ones are read.
            self.template.over_budget = True
            del found[_MAX_ALTERNATIVES:]
        return found

    def _branches(self, node: Any, where: Where, found: list[tuple[Any, Where]],
                  empty: set[int]) -> None:
        """Appends the alternatives of `node` to `found`, until there are too many; `empty`
        holds the Fn::If nodes that stand for nothing (AWS::NoValue), not to be read twice."""
        if len(found) > _MAX_ALTERNATIVES or is_no_value(node):
            return
        called = function(node) if self.sub_variables is None else None
        if called is not None and called[0] == "Fn::If" and _branches(called[1]):
            if id(node) in empty:
                return
            before = len(found)
            branches = where.child("Fn::If")
            self._branches(called[1][1], branches.child(1), found, empty)
            self._branches(called[1][2], branches.child(2), found, empty)
            if len(found) == before:
                empty.add(id(node))
            return
        found.append((node, where))

    # Whole values ----------------------------------------------------------------------------

    def _call(self, name: str, argument: Any, node: Any, where: Where) -> list[Value]:
        shown = self.template.written(node)
        if name == "Ref":
            return self._ref(argument, where, shown, node)
        if name == "Fn::GetAtt":
            return [self._get_att(argument, where, shown)]
        if name == "Fn::Sub":
            whole_key = self._sub_key(argument, where)
            if whole_key is not None:
                return [whole_key]
        if name == "Fn::If":
            if not _branches(argument):
                return [Value(None, where, shown)]
            found: list[Value] = []
            for branch, branch_where in self.nodes(node, where):
                found.extend(self.values(branch, branch_where) or [Value(None, branch_where)])
            return found
        if name == "Fn::Select" and isinstance(argument, list) and len(argument) == 2 \
                and isinstance(argument[1], list):
            chosen = self._index(argument[0])
            if chosen is not None and chosen < len(argument[1]):
                # An element written out: read it as itself, at its own place.
                item_where = where.child(name).child(1).child(chosen)
                return self.values(argument[1][chosen], item_where) or [Value(None, item_where)]
        if name in ("Fn::Split", "Fn::FindInMap", "Fn::Select") or name in _STRING_FUNCTIONS:
            texts = self._texts(node)
            if texts is None:
                return [Value(None, where, shown)]
            if name == "Fn::Sub":
                template = argument[0] if isinstance(argument, list) and argument else argument
                shown = template if isinstance(template, str) else shown
            return [Value(text, where, shown) for text in texts]
        return [Value(None, where, shown)]  # Fn::ImportValue, Fn::GetAZs, Fn::Base64, ...

    def _sub_key(self, argument: Any, where: Where) -> Value | None:
        """An `Fn::Sub` that is one key's `${K}`: the key id, which its ARN should replace."""
        variables: Any = {}
        at = where.child("Fn::Sub")
        if isinstance(argument, list) and len(argument) == 2 and isinstance(argument[1], dict):
            argument, variables, at = argument[0], argument[1], at.child(0)
        whole = self.template.whole_key(argument) if isinstance(argument, str) else None
        if whole is None or whole[1] in variables:
            return None
        return Value(SPECIFIC, where, argument, "key-id", fix.sub_fix(*whole, at))

    def _ref(self, name: Any, where: Where, shown: str, node: Any) -> list[Value]:
        if name == _NO_VALUE:
            return []
        if not isinstance(name, str):
            return [Value(None, where, shown)]
        if name in _PSEUDO:
            return [Value(_PSEUDO[name], where, shown)]
        if name in self.template.parameters:
            return [Value(text, where, f"{shown} ({why} {json.dumps(text)})")
                    for text, why in self._parameter(name)] or [Value(None, where, shown)]
        kind = self.template.resource_type(name)
        refers = f"Resources/{name}" if kind is not None else None
        if kind in KEY_TYPES:
            return [Value(SPECIFIC, where, shown, "key-id",
                          fix.ref_fix(name, node, where, self.template.yaml), refers)]
        if kind == ALIAS_TYPE:
            return [Value(text, where, shown, "alias-name", refers=refers)
                    for text in self._alias_names(name)]
        return [Value(None, where, shown, refers=refers)]

    def _get_att(self, argument: Any, where: Where, shown: str) -> Value:
        logical_id, attribute = _get_att_parts(argument)
        kind = self.template.resource_type(logical_id)
        refers = f"Resources/{logical_id}" if kind is not None else None
        if kind in KEY_TYPES:
            assert isinstance(logical_id, str)
            if attribute == "Arn":
                return Value(KEY_ARN, where, shown, "key-arn", refers=refers)
            if attribute == "KeyId":
                return Value(SPECIFIC, where, shown, "key-id",
                             fix.get_att_fix(logical_id, argument, where, self.template.yaml),
                             refers)
        if kind in IDENTITY_ARNS and attribute == "Arn":
            return Value(IDENTITY_ARNS[kind], where, shown, refers=refers)
        return Value(None, where, shown, refers=refers)

    def _parameter(self, name: str) -> list[tuple[str, str]]:
        """The values a parameter may take, as the template says: each of its AllowedValues, or
        its Default (lists split at commas); none when neither is given."""
        parameter = self.template.parameters.get(name)
        if not isinstance(parameter, dict):
            return []
        if str(parameter.get("Type", "")).startswith("AWS::SSM::"):
            return []  # the Default names an SSM parameter, not the value
        listed = _is_list_type(parameter)
        allowed = parameter.get("AllowedValues")
        if isinstance(allowed, list) and allowed and all(_is_scalar(v) for v in allowed):
            return [(text, "one of its AllowedValues") for v in allowed
                    for text in _split(_text(v), listed)]
        default = parameter.get("Default")
        if _is_scalar(default):
            return [(text, "its Default") for text in _split(_text(default), listed)]
        return []

    def _alias_names(self, logical_id: str) -> list[str]:
        properties = self.template.resources[logical_id].get("Properties")
        name = properties.get("AliasName") if isinstance(properties, dict) else None
        if name is None or logical_id in self._aliases_read:
            return ["alias/" + SPECIFIC]  # no name, or names that refer to each other
        self._aliases_read.add(logical_id)
        try:
            texts = self._texts(name)
        finally:
            self._aliases_read.discard(logical_id)
        return texts or ["alias/" + SPECIFIC]

    # Strings built from pieces -----------------------------------------------------------------

    def _texts(self, node: Any) -> list[str] | None:
        """The strings a node may stand for inside a string being built (Fn::Sub, Fn::Join):
        None when one of them cannot be known."""
        if isinstance(node, str):
            return [node]
        if isinstance(node, bool):
            return ["true" if node else "false"]
        if isinstance(node, (int, float)):
            return [str(node)]
        if self._aliases_read:
            return self._resolve(node)  # inside an alias's name: what it reads may differ
        done = self._resolved.get(id(node))
        if done is None:
            done = self._resolved[id(node)] = (node, self._resolve(node))  # keeps node alive
        return done[1]

    def _resolve(self, node: Any) -> list[str] | None:
        called = function(node)
        if called is None:
            return None
        name, argument = called
        if name == "Ref":
            return self._ref_texts(argument)
        if name == "Fn::GetAtt":
            logical_id, attribute = _get_att_parts(argument)
            kind = self.template.resource_type(logical_id)
            if kind in KEY_TYPES and attribute == "Arn":
                return [KEY_ARN]
            if kind in IDENTITY_ARNS and attribute == "Arn":
                return [IDENTITY_ARNS[kind]]
            return [SPECIFIC] if logical_id in self.template.resources else None
        if name == "Fn::If":
            if not _branches(argument):
                return None
            return _union(self._texts(argument[1]) if not is_no_value(argument[1]) else [],
                          self._texts(argument[2]) if not is_no_value(argument[2]) else [])
        if name == "Fn::Sub":
            if isinstance(argument, str):
                return self.sub_texts(argument, {})
            if isinstance(argument, list) and len(argument) == 2 and isinstance(argument[0], str) \
                    and isinstance(argument[1], dict):
                return self.sub_texts(argument[0], argument[1])
            return None
        if name == "Fn::Join":
            return self._join_texts(argument)
        if name == "Fn::Select":
            return self._select_texts(argument)
        if name == "Fn::Split":
            return self._split_texts(argument)
        if name == "Fn::FindInMap":
            return self._map_texts(argument)
        return None

    def _ref_texts(self, name: Any) -> list[str] | None:
        if not isinstance(name, str) or name == _NO_VALUE:
            return None
        if name in _PSEUDO:
            return [_PSEUDO[name]]
        kind = self.template.resource_type(name)
        if kind == ALIAS_TYPE:
            return self._alias_names(name)
        if name in self.template.parameters or kind is not None:
            return [SPECIFIC]  # a key id, a bucket name, a parameter: one definite value
        return None

    def sub_texts(self, template: str, variables: Mapping[str, Any]) -> list[str] | None:
        pieces: list[list[str]] = []
        last = 0
        for match in _SUB_VARIABLE.finditer(template):
            pieces.append([template[last : match.start()]])
            last = match.end()
            name = match.group(1).strip()
            if name.startswith("!"):
                pieces.append(["${" + name[1:] + "}"])  # a literal: an IAM policy variable
                continue
            if name in variables:
                found = self._texts(variables[name])
            elif "." in name and name not in _PSEUDO:
                logical_id, _, attribute = name.partition(".")
                found = self._texts({"Fn::GetAtt": [logical_id, attribute]})
            else:
                found = self._ref_texts(name)
            pieces.append(found if found is not None else [SPECIFIC])
        pieces.append([template[last:]])
        return self._combine(pieces, "")

    def _join_texts(self, argument: Any) -> list[str] | None:
        if not isinstance(argument, list) or len(argument) != 2 or \
                not isinstance(argument[0], str):
            return None
        items = self._list_items(argument[1])
        if items is None:
            return None
        pieces: list[list[str]] = []
        for item in items:
            if is_no_value(item):
                continue
            found = self._texts(item)
            pieces.append(found if found is not None else [SPECIFIC])
        return self._combine(pieces, argument[0])

    def _combine(self, pieces: list[list[str]], separator: str) -> list[str] | None:
        """Every string the pieces may join to; None (unknown) past the limits."""
        count = 1
        for alternatives in pieces:
            count *= max(len(alternatives), 1)
        if count > _MAX_ALTERNATIVES:
            return None
        longest = sum(max(map(len, alternatives), default=0) for alternatives in pieces) \
            + len(separator) * max(len(pieces) - 1, 0)
        if longest > MAX_TEXT or longest * count > self.template.budget:
            self.template.over_budget = True
            return None
        self.template.budget -= longest * count
        return list(dict.fromkeys(separator.join(choice) for choice in itertools.product(*pieces)))

    def _list_items(self, node: Any) -> list[Any] | None:
        """The items of a list argument: written out, or from Fn::Split, Fn::FindInMap or the
        Default of a list parameter."""
        if isinstance(node, list):
            return node
        called = function(node)
        if called is None:
            return None
        name, argument = called
        if name == "Fn::Split":
            return self._split_texts(argument)
        if name == "Fn::FindInMap":
            found = self._map_values(argument)
            if found is not None and len(found) == 1 and isinstance(found[0], list):
                return found[0]
        if name == "Ref" and isinstance(argument, str):
            parameter = self.template.parameters.get(argument)
            if isinstance(parameter, dict) and _is_list_type(parameter) \
                    and isinstance(parameter.get("Default"), str):
                return _split(parameter["Default"], True)
        return None

    def _select_texts(self, argument: Any) -> list[str] | None:
        if not isinstance(argument, list) or len(argument) != 2:
            return None
        index = self._index(argument[0])
        items = self._list_items(argument[1])
        if index is None or items is None or index >= len(items):
            return None
        return self._texts(items[index])

    def _index(self, node: Any) -> int | None:
        found = self._texts(node)
        if not found or len(found) != 1 or not found[0].isdigit():
            return None
        return int(found[0])

    def _split_texts(self, argument: Any) -> list[str] | None:
        if not isinstance(argument, list) or len(argument) != 2 or \
                not isinstance(argument[0], str) or not argument[0]:
            return None
        found = self._texts(argument[1])
        if found is None or len(found) != 1 or SPECIFIC in found[0]:
            return None  # splitting an unknown string gives an unknown number of pieces
        return found[0].split(argument[0])

    def _map_values(self, argument: Any) -> list[Any] | None:
        """The values an Fn::FindInMap may return: every entry its keys may select."""
        if not isinstance(argument, list) or len(argument) < 3:
            return None
        levels: list[Any] = [self.template.mappings.get(argument[0])
                             if isinstance(argument[0], str) else None]
        for key in argument[1:3]:
            keys = self._texts(key)
            following: list[Any] = []
            for level in levels:
                if not isinstance(level, dict):
                    continue
                if keys is None or any(SPECIFIC in k or THIS_ACCOUNT in k for k in keys):
                    following.extend(level.values())  # any entry the key may select
                else:
                    following.extend(level[k] for k in keys if k in level)
            levels = following
        return levels or None

    def _map_texts(self, argument: Any) -> list[str] | None:
        found = self._map_values(argument)
        if found is None:
            return None
        texts: list[str] = []
        for value in found:
            for item in value if isinstance(value, list) else [value]:
                resolved = self._texts(item)
                if resolved is None:
                    return None
                texts.extend(resolved)
        return list(dict.fromkeys(texts))


_STRING_FUNCTIONS = frozenset({"Fn::Sub", "Fn::Join"})


def _branches(argument: Any) -> bool:
    return isinstance(argument, list) and len(argument) == 3


def _get_att_parts(argument: Any) -> tuple[Any, Any]:
    if isinstance(argument, str):
        logical_id, _, attribute = argument.partition(".")
        return logical_id, attribute
    if isinstance(argument, list) and len(argument) == 2:
        return argument[0], argument[1]
    return None, None


def _is_scalar(value: Any) -> bool:
    return isinstance(value, (str, int, float))  # bool is an int


def _is_list_type(parameter: Mapping[str, Any]) -> bool:
    kind = str(parameter.get("Type", ""))
    return kind.startswith("List<") or kind == "CommaDelimitedList"


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _split(text: str, listed: bool) -> list[str]:
    return [part.strip() for part in text.split(",")] if listed else [text]


def _union(first: list[str] | None, second: list[str] | None) -> list[str] | None:
    if first is None or second is None:
        return None
    found = list(dict.fromkeys(first + second))
    return found if len(found) <= _MAX_ALTERNATIVES else None


def alternatives(node: Any) -> Iterator[Any]:
    """What a node may stand for: both branches of an Fn::If (recursively), AWS::NoValue
    dropped."""
    called = function(node)
    if called is not None and called[0] == "Fn::If" and _branches(called[1]):
        yield from alternatives(called[1][1])
        yield from alternatives(called[1][2])
    elif not is_no_value(node):
        yield node
