"""What Terraform expressions stand for as policy values.

References resolve to what they return, as the rule catalog lists: `aws_kms_key.k.arn` is a key
ARN of this account, `.key_id` and `.id` are key ids (IAM never matches them in a Resource),
`aws_kms_alias.a.arn` an alias ARN, `data.aws_caller_identity.c.account_id` this account.  The
parts known only by meaning are placeholders from `kms_hooks.model` (THIS_ACCOUNT, SPECIFIC)
inside the value's text, so the shared ARN classification reads them like written ARNs.
Locals are followed; variables, module outputs and other data sources are unknown.

Works on the Terraform model only, whichever reader built it.
"""
from __future__ import annotations

from kms_hooks.records import replace

from kms_hooks.model import SPECIFIC, THIS_ACCOUNT, Value, Where
from kms_hooks.sources.terraform.fix import reference_fix
from kms_hooks.sources.terraform.model import Block, Expression, Module, Reference

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Iterator

KEY_ARN = "key-arn"
KEY_ID = "key-id"
ALIAS_ARN = "alias-arn"
ALIAS_NAME = "alias-name"
_ACCOUNT = "account"  # this account's id
_ONE = "specific"  # one definite value that is not known here (a region, a partition)
_INPUT = "input"  # the data source's own argument, as written
_IDENTITY = "identity"  # the ARN of a role or user made here: an IAM identity of this account
_ENDPOINT_SERVICE = "endpoint-service"  # com.amazonaws.REGION.SERVICE, from `service`

KEY_TYPES = frozenset({"aws_kms_key", "aws_kms_external_key", "aws_kms_replica_key",
                       "aws_kms_replica_external_key"})

# (block type, resource type) -> attribute -> what it returns.  `_INPUT` names the argument
# whose value the attribute echoes.
RETURNS: dict[tuple[str, str], dict[str, str]] = {
    **{("resource", t): {"arn": KEY_ARN, "key_id": KEY_ID, "id": KEY_ID} for t in KEY_TYPES},
    ("resource", "aws_kms_alias"): {"arn": ALIAS_ARN, "name": ALIAS_NAME, "id": ALIAS_NAME,
                                    "target_key_arn": KEY_ARN, "target_key_id": KEY_ID},
    ("data", "aws_kms_key"): {"arn": KEY_ARN, "id": KEY_ID, "key_id": _INPUT + ":key_id"},
    ("data", "aws_kms_alias"): {"arn": ALIAS_ARN, "id": ALIAS_ARN, "name": _INPUT + ":name",
                                "target_key_arn": KEY_ARN, "target_key_id": KEY_ID},
    ("data", "aws_caller_identity"): {"account_id": _ACCOUNT, "id": _ACCOUNT},
    ("data", "aws_vpc_endpoint_service"): {"service_name": _ENDPOINT_SERVICE},
    ("resource", "aws_iam_role"): {"arn": _IDENTITY + ":role"},
    ("resource", "aws_iam_user"): {"arn": _IDENTITY + ":user"},
    ("data", "aws_partition"): {"partition": _ONE, "id": _ONE},
    ("data", "aws_region"): {"name": _ONE, "region": _ONE, "id": _ONE},
}
# The attribute to suggest instead of one that returns a key id.
_ARN_OF = {"key_id": "arn", "id": "arn", "target_key_id": "target_key_arn"}
# Alias types whose `arn` names the alias, and which also return the key ARN behind it.
_ALIAS_TYPES = frozenset({("resource", "aws_kms_alias"), ("data", "aws_kms_alias")})
# Functions that only combine or filter the lists they are given.
_LIST_FUNCTIONS = frozenset({"concat", "flatten", "distinct", "compact", "tolist", "toset",
                             "sort"})
_MAX_DEPTH = 16  # locals referring to locals: deeper than this is a cycle
# Locals that double a string or a list at each level (`l2 = "${local.l1}${local.l1}"`) stand
# for values of exabytes.  Each local is resolved once; a string longer than the largest policy
# IAM takes, or a list of more entries than one could hold, is unknown.
MAX_TEXT = 10_240
MAX_VALUES = 4_096
OVER_BUDGET = "values built past the size budget (locals that grow at each level) are unknown"


class Resolver:
    """Resolves expressions against the blocks of one module."""

    def __init__(self, module: Module) -> None:
        self.module = module
        # Several blocks share labels in a plan: the instances of a counted resource.
        self._blocks: dict[tuple[str, ...], list[Block]] = {}
        self._locals: dict[str, Expression] = {}
        # Strings and lists built from templates and list expressions, by the expression's
        # identity (kept alive beside): each is built once however many locals refer to it.
        self._texts: dict[int, tuple[Expression, str | None]] = {}
        self._lists: dict[int, tuple[Expression, list[Value]]] = {}
        self.over_budget = False  # some value was left unknown for its size
        for block in module.blocks:
            if block.type in ("resource", "data") and len(block.labels) == 2:
                self._blocks.setdefault((block.type,) + block.labels, []).append(block)
            elif block.type == "locals":
                for name, attribute in block.attributes.items():
                    self._locals.setdefault(name, attribute.value)

    # Blocks and locals ---------------------------------------------------------------------

    def target(self, reference: Reference) -> tuple[Block | None, tuple[str, ...]]:
        """The resource or data block a reference starts with, and the parts after it
        (index steps dropped).  (None, ()) when it names no block of this module."""
        parts = _steps(reference.parts)
        if len(parts) >= 3 and parts[0] == "data":
            key, rest = ("data", parts[1], parts[2]), parts[3:]
        elif len(parts) >= 2 and "_" in parts[0] and parts[0] not in ("local", "var", "module"):
            key, rest = ("resource", parts[0], parts[1]), parts[2:]
        else:
            return None, ()
        instances = self._blocks.get(key)
        if not instances:
            return None, rest
        return _instance(instances, reference, key[-1]), rest

    def follow(self, expression: Expression, depth: int = 0) -> Expression:
        """The expression a local stands for (through locals referring to locals)."""
        while depth < _MAX_DEPTH and expression.reference is not None:
            parts = _steps(expression.reference.parts)
            if len(parts) < 2 or parts[0] != "local" or parts[1] not in self._locals:
                return expression
            found: Expression | None = self._locals[parts[1]]
            for step in parts[2:]:
                found = _member(found, step) if found is not None else None
            if found is None:
                return expression
            expression = found
            depth += 1
        return expression

    # Values --------------------------------------------------------------------------------

    def value(self, expression: Expression, depth: int = 0) -> Value:
        """One string value; unknown (text None) when it cannot be known here."""
        written = expression
        expression = self.follow(expression)
        where = expression.where
        if expression.is_literal:
            literal = expression.literal
            if isinstance(literal, bool):
                return Value("true" if literal else "false", where)
            if isinstance(literal, (str, int, float)):
                return Value(str(literal), where)
            return Value(None, where, display=expression.source or None)
        if expression.reference is not None:
            return self._reference(expression.reference, where, depth,
                                   in_place=expression is written)
        if expression.template is not None:
            built = self._texts.get(id(expression))
            if built is None:
                built = self._texts[id(expression)] = (expression,
                                                       self._template(expression, depth))
            return Value(built[1], where, display=expression.source)
        return Value(None, where, display=expression.source or None)

    def _template(self, expression: Expression, depth: int) -> str | None:
        assert expression.template is not None
        if depth >= _MAX_DEPTH:
            return None
        texts = []
        size = 0
        for part in expression.template:
            if isinstance(part, str):
                texts.append(part)
            else:
                resolved = self.value(part, depth + 1)
                texts.append(resolved.text if resolved.text is not None else SPECIFIC)
            size += len(texts[-1])
            if size > MAX_TEXT:
                self.over_budget = True
                return None
        return "".join(texts)

    def values(self, expression: Expression, depth: int = 0) -> list[Value]:
        """The values of a list argument (`resources = [...]`); a lone string is a list of one."""
        followed = self.follow(expression)
        listed = followed.items is not None or (
            followed.call is not None and followed.call[0] in _LIST_FUNCTIONS
            and depth < _MAX_DEPTH)
        if not listed:
            return [self.value(expression, depth)]  # it follows locals itself, and knows it did
        built = self._lists.get(id(followed))
        if built is None:
            built = self._lists[id(followed)] = (followed, self._list(followed, depth))
        return list(built[1])

    def _list(self, followed: Expression, depth: int) -> list[Value]:
        found: list[Value] = []
        if followed.items is not None:
            for item in followed.items:
                found.extend(self.values(item, depth + 1) if _is_list(self.follow(item))
                             else [self.value(item, depth + 1)])
                if len(found) > MAX_VALUES:
                    break
        else:
            assert followed.call is not None
            for argument in followed.call[1]:
                found.extend(self.values(argument, depth + 1))
                if len(found) > MAX_VALUES:
                    break
        if len(found) > MAX_VALUES:
            self.over_budget = True
            return [Value(None, followed.where, display=followed.source or None)]
        return found

    def _reference(self, reference: Reference, where: Where, depth: int,
                   in_place: bool = True) -> Value:
        value = self._referenced(reference, where, depth, in_place)
        block, _ = self.target(reference)
        if block is not None:
            # The resource behind the value, by its address: how an access review names it.
            return replace(value, refers=block.name)
        return value

    def _referenced(self, reference: Reference, where: Where, depth: int,
                    in_place: bool) -> Value:
        display = reference.text
        parts = _steps(reference.parts)
        if len(parts) >= 3 and parts[0] == "data":
            mode, type_, attribute = "data", parts[1], parts[3] if len(parts) > 3 else ""
        elif len(parts) >= 2:
            mode, type_, attribute = "resource", parts[0], parts[2] if len(parts) > 2 else ""
        else:
            return Value(None, where, display=display)
        returns = RETURNS.get((mode, type_), {}).get(attribute)
        if returns is None or len(parts) > (4 if mode == "data" else 3):
            return Value(None, where, display=display)
        block, _ = self.target(reference)
        prefix = display[: display.rfind("." + attribute)]
        if returns.startswith(_INPUT):
            argument = block.get(returns.partition(":")[2]) if block is not None else None
            if argument is None or depth >= _MAX_DEPTH:
                return Value(None, where, display=display)
            echoed = self.value(argument, depth + 1)
            return Value(echoed.text, where, display=display)
        if returns == _ACCOUNT:
            return Value(THIS_ACCOUNT, where, display=display)
        if returns == _ENDPOINT_SERVICE:
            return Value(self._endpoint_service(block, depth), where, display=display)
        if returns.startswith(_IDENTITY):
            path = returns.partition(":")[2]
            return Value(f"arn:{SPECIFIC}:iam::{THIS_ACCOUNT}:{path}/{SPECIFIC}", where,
                         display=display)
        if returns == _ONE:
            return Value(SPECIFIC, where, display=display)
        fix_at = where if in_place else None
        if returns == KEY_ID:
            return Value(SPECIFIC, where, display=display, kind=KEY_ID,
                         fix=reference_fix(display, f"{prefix}.{_ARN_OF[attribute]}", fix_at))
        if returns == KEY_ARN:
            return Value(self._key_arn(mode, type_, block, depth), where, display=display,
                         kind=KEY_ARN)
        alias = self._alias_name(mode, block, depth)
        if returns == ALIAS_NAME:
            return Value(alias, where, display=display, kind=ALIAS_NAME)
        fix = reference_fix(display, f"{prefix}.target_key_arn", fix_at) \
            if (mode, type_) in _ALIAS_TYPES and attribute == "arn" else None
        return Value(f"arn:{SPECIFIC}:kms:{SPECIFIC}:{THIS_ACCOUNT}:{alias}", where,
                     display=display, kind=ALIAS_ARN, fix=fix)

    def _key_arn(self, mode: str, type_: str, block: Block | None, depth: int) -> str:
        # Keys made here, and the keys behind aliases (an alias names a key of its own account),
        # are this account's.  A data source may name a key of any account.
        account = THIS_ACCOUNT
        if mode == "data" and type_ == "aws_kms_key":
            argument = block.get("key_id") if block is not None else None
            written = self.value(argument, depth + 1).text if argument is not None \
                and depth < _MAX_DEPTH else None
            if written is not None and written.startswith("arn:") and ":key/" in written:
                return written
            account = SPECIFIC
        return f"arn:{SPECIFIC}:kms:{SPECIFIC}:{account}:key/{SPECIFIC}"

    def _endpoint_service(self, block: Block | None, depth: int) -> str | None:
        """The service name data.aws_vpc_endpoint_service finds: its `service_name`, or
        com.amazonaws.REGION.SERVICE for its `service` ("kms")."""
        if block is None or depth >= _MAX_DEPTH:
            return None
        named = block.get("service_name")
        if named is not None:
            return self.value(named, depth + 1).text
        service = block.get("service")
        text = self.value(service, depth + 1).text if service is not None else None
        return f"com.amazonaws.{SPECIFIC}.{text}" if text else None

    def _alias_name(self, mode: str, block: Block | None, depth: int) -> str:
        argument = block.get("name") if block is not None else None
        written = self.value(argument, depth + 1).text if argument is not None \
            and depth < _MAX_DEPTH else None
        if written is not None and written.startswith("alias/"):
            return written
        return f"alias/{SPECIFIC}"

    # References ----------------------------------------------------------------------------

    def references(self, expression: Expression) -> Iterator[Reference]:
        """Every reference inside an expression (templates, lists, objects, call arguments)."""
        pending = [expression]
        while pending:
            current = pending.pop()
            if current.reference is not None:
                yield current.reference
            if current.template is not None:
                pending.extend(p for p in current.template if isinstance(p, Expression))
            if current.items is not None:
                pending.extend(current.items)
            if current.members is not None:
                pending.extend(value for _, value in current.members)
            if current.call is not None:
                pending.extend(current.call[1])


def _steps(parts: tuple[str, ...]) -> tuple[str, ...]:
    """A reference's parts without index and splat steps (`k[0].arn`, `k[*].arn`, `k.*.arn`):
    every instance of a counted resource returns the same kind of value."""
    return tuple(p for p in parts if not p.startswith("[") and p != "*" and not p.isdigit())


def _instance(instances: list[Block], reference: Reference, name: str) -> Block:
    """The instance a reference names by its key (`x["a"]`, `x[0]`); the first without one."""
    parts = reference.parts
    for index, part in enumerate(parts[:-1]):
        if part == name and parts[index + 1].startswith("[") and parts[index + 1] != "[*]":
            suffix = name + parts[index + 1]
            for block in instances:
                if block.address.endswith(suffix):
                    return block
    return instances[0]


def _member(expression: Expression, step: str) -> Expression | None:
    if expression.members is not None:
        for name, value in expression.members:
            if name == step:
                return value
    return None


def _is_list(expression: Expression) -> bool:
    return expression.items is not None or (
        expression.call is not None and expression.call[0] in _LIST_FUNCTIONS)
