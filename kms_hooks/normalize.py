"""Turns a parsed IAM policy document into the policy model.

IAM's "a string or a list of strings" shapes are normalized once, here.  A source that has its
own expressions (CloudFormation intrinsics) passes a `Reader` that resolves them to values, and
expands conditional structure (`Fn::If`) into the alternatives it may stand for.
"""
from __future__ import annotations


from kms_hooks.kms.facts import concerns_kms
from kms_hooks.model import (
    KEY,
    KEY_OR_ENDPOINT,
    MALFORMED_PRINCIPAL,
    PRINCIPAL_TYPES,
    Condition,
    Policy,
    PrincipalEntry,
    Problem,
    Statement,
    Value,
    Where,
    json_type_name,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Mapping


class Reader:
    """How one source reads values inside a policy.  This one reads plain JSON."""

    # Whether values are read as written (no expressions): lists of strings are then read in one
    # step, the hot path of large policies.  False for a subclass that reads values its own way.
    plain = True

    def __init_subclass__(cls) -> None:
        super().__init_subclass__()
        cls.plain = cls.values is Reader.values and cls.nodes is Reader.nodes

    def __init__(self, duplicate_keys: Mapping[int, list[str]] | None = None) -> None:
        self._duplicates = duplicate_keys or {}

    def values(self, node: Any, where: Where) -> list[Value] | None:
        """The values a node stands for, or None when it is not a value (a wrong type)."""
        if isinstance(node, str):
            return [Value(node, where)]
        return None

    def nodes(self, node: Any, where: Where) -> list[tuple[Any, Where]]:
        """The alternatives a structural node stands for (one, for plain JSON)."""
        return [(node, where)]

    def duplicates(self, node: Any) -> list[str]:
        """Keys that the object `node` repeats in the file."""
        if not self._duplicates:
            return []
        return self._duplicates.get(id(node), [])


PLAIN = Reader()

_ELEMENTS = ("Action", "NotAction", "Resource", "NotResource")


def statement_problems(reader: Reader, node: Any, where: Where) -> list[Problem]:
    return [
        Problem("KMS002", f'"{key}" appears more than once; parsers disagree on which one counts',
                Where(where.doc, where.at + (key,), True))
        for key in reader.duplicates(node)
    ]


def read_statement(node: dict[str, Any], where: Where, reader: Reader,
                   default_effect: str | None = None) -> Statement:
    problems = statement_problems(reader, node, where)
    keys = {name: Where(where.doc, where.at + (name,), True) for name in node}

    effect: str | None = None
    raw_effect = node.get("Effect", default_effect)
    if "Effect" not in node and default_effect is None:
        problems.append(Problem("KMS003", 'the statement has no "Effect"', where))
    elif "Effect" in node:
        effects = reader.values(raw_effect, where.child("Effect"))
        if effects and len(effects) == 1 and effects[0].text in ("Allow", "Deny"):
            effect = effects[0].text
        elif effects is not None and all(v.text is None for v in effects):
            effect = None  # an expression we cannot know
        else:
            problems.append(Problem(
                "KMS003", f'"Effect" must be "Allow" or "Deny", not {_shown(raw_effect)}',
                where.child("Effect")))
    else:
        effect = default_effect

    lists: dict[str, tuple[Value, ...] | None] = {}
    for name in _ELEMENTS:
        if name not in node:
            lists[name] = None
            continue
        lists[name] = _string_list(node[name], where.child(name), reader, name, problems)

    if (lists["Action"] is None) == (lists["NotAction"] is None):
        which = "both" if lists["Action"] is not None else "neither"
        problems.append(Problem(
            "KMS003", f'the statement has {which} "Action" and "NotAction"', where))

    principals = _principals(node, "Principal", where, reader, problems)
    not_principals = _principals(node, "NotPrincipal", where, reader, problems)
    conditions = _conditions(node.get("Condition"), where.child("Condition"), reader, problems) \
        if "Condition" in node else ()

    sid = node.get("Sid")
    return Statement(
        where=where,
        sid=sid if isinstance(sid, str) else None,
        effect=effect,
        actions=lists["Action"],
        not_actions=lists["NotAction"],
        resources=lists["Resource"],
        not_resources=lists["NotResource"],
        principals=principals,
        not_principals=not_principals,
        conditions=conditions,
        keys=keys,
        problems=tuple(problems),
    )


def _shown(node: Any) -> str:
    if isinstance(node, str):
        return f'"{node}"'
    name = json_type_name(node)
    return f"{'an' if name[0] in 'ao' else 'a'} {name}"


def _string_list(node: Any, where: Where, reader: Reader, name: str,
                 problems: list[Problem]) -> tuple[Value, ...]:
    if reader.plain:
        if isinstance(node, str):
            return (Value(node, where),)
        if isinstance(node, list) and all(isinstance(entry, str) for entry in node):
            doc, at = where.doc, where.at
            return tuple([Value(entry, Where(doc, (*at, index)))
                          for index, entry in enumerate(node)])
    found: list[Value] = []
    for item, item_where in reader.nodes(node, where):
        if isinstance(item, list):
            for index, entry in enumerate(item):
                for alternative, alt_where in reader.nodes(entry, item_where.child(index)):
                    _append_values(alternative, alt_where, reader, name, problems, found)
        else:
            _append_values(item, item_where, reader, name, problems, found)
    return tuple(found)


def _append_values(node: Any, where: Where, reader: Reader, name: str,
                   problems: list[Problem], found: list[Value]) -> None:
    values = reader.values(node, where)
    if values is None:
        problems.append(Problem(
            "KMS003", f'"{name}" entries must be strings, not {_shown(node)}', where))
    else:
        found.extend(values)


def _principals(node: dict[str, Any], name: str, where: Where, reader: Reader,
                problems: list[Problem]) -> tuple[PrincipalEntry, ...] | None:
    if name not in node:
        return None
    entries: list[PrincipalEntry] = []
    for value, value_where in reader.nodes(node[name], where.child(name)):
        if isinstance(value, dict):
            problems.extend(statement_problems(reader, value, value_where))
            for kind, ids in value.items():
                type_ = kind if kind in PRINCIPAL_TYPES else MALFORMED_PRINCIPAL
                if type_ == MALFORMED_PRINCIPAL:
                    problems.append(Problem(
                        "KMS003", f'"{name}" has an unknown principal type "{kind}": IAM '
                        f"accepts {', '.join(PRINCIPAL_TYPES)}",
                        Where(value_where.doc, value_where.at + (kind,), True)))
                for principal in _string_list(ids, value_where.child(kind), reader, name, problems):
                    entries.append(PrincipalEntry(type_, principal))
        else:
            values = reader.values(value, value_where)
            if values is None:
                problems.append(Problem(
                    "KMS003", f'"{name}" must be "*" or an object, not {_shown(value)}',
                    value_where))
                continue
            for principal in values:
                if principal.text is not None and principal.text != "*":
                    problems.append(Problem(
                        "KMS003", f'"{name}" must be "*" or an object such as {{"AWS": '
                        f'"{principal.shown}"}}, not a string', principal.where))
                    entries.append(PrincipalEntry(MALFORMED_PRINCIPAL, principal))
                else:
                    entries.append(PrincipalEntry("*" if principal.text == "*" else "AWS",
                                                  principal))
    return tuple(entries)


def _conditions(node: Any, where: Where, reader: Reader,
                problems: list[Problem]) -> tuple[Condition, ...]:
    conditions: list[Condition] = []
    for block, block_where in reader.nodes(node, where):
        if not isinstance(block, dict):
            problems.append(Problem(
                "KMS003", f'"Condition" must be an object, not {_shown(block)}', block_where))
            continue
        problems.extend(statement_problems(reader, block, block_where))
        for operator, tests in block.items():
            operator_where = block_where.child(operator)
            for test_block, test_where in reader.nodes(tests, operator_where):
                if not isinstance(test_block, dict):
                    problems.append(Problem(
                        "KMS003", f'condition "{operator}" must be an object, not '
                        f"{_shown(test_block)}", test_where))
                    continue
                problems.extend(statement_problems(reader, test_block, test_where))
                for key, values in test_block.items():
                    key_where = test_where.child(key)
                    found: list[Value] = []
                    for item, item_where in reader.nodes(values, key_where):
                        items = item if isinstance(item, list) else [item]
                        for index, entry in enumerate(items):
                            entry_where = item_where.child(index) if isinstance(item, list) \
                                else item_where
                            # Conditions also take booleans and numbers; keep them as text.
                            if isinstance(entry, (bool, int, float)) and not isinstance(entry, str):
                                text = str(entry).lower() if isinstance(entry, bool) else str(entry)
                                found.append(Value(text, entry_where))
                            else:
                                resolved = reader.values(entry, entry_where)
                                if resolved is None:
                                    # Malformed, not unknown: it must not count as pinning.
                                    problems.append(Problem(
                                        "KMS003", f'condition "{key}" takes strings, numbers or '
                                        f"booleans, not {_shown(entry)}", entry_where))
                                else:
                                    found.extend(resolved)
                    conditions.append(Condition(operator, key, tuple(found), key_where))
    return tuple(conditions)


# Action entries seen, and whether each concerns KMS: the same few thousand names recur in
# every large policy.
_CONCERNS_KMS: dict[str, bool] = {}


def may_concern_kms(node: dict[str, Any]) -> bool:
    """Whether a statement, as written, may name or reach a KMS action.  False only when its
    `Action` is a string or list of strings, none of them `kms:` or a wildcard that reaches KMS
    (`*`, `k*:*`): no rule reads such a statement in a policy other than a key policy.  Anything
    else (NotAction, no Action, an expression) may."""
    if "NotAction" in node or "Action" not in node:
        return True
    actions = node["Action"]
    if isinstance(actions, str):
        return concerns_kms(actions)
    if not isinstance(actions, list):
        return True
    known = _CONCERNS_KMS
    for action in actions:
        if not isinstance(action, str):
            return True
        concerns = known.get(action)
        if concerns is None:
            if len(known) > 100_000:
                known.clear()
            concerns = known[action] = concerns_kms(action)
        if concerns:
            return True
    return False


def read_statements(node: Any, where: Where, reader: Reader, default_effect: str | None = None,
                    only_kms: bool = False) -> tuple[tuple[Statement, ...], list[Problem]]:
    """Statements of a `Statement` element: one object, or a list of them.

    With `only_kms`, statements that cannot concern KMS (see `may_concern_kms`) are left out:
    most of a large AWS managed policy is other services, and reading it would be wasted.
    """
    statements: list[Statement] = []
    problems: list[Problem] = []
    for value, value_where in reader.nodes(node, where):
        items = list(enumerate(value)) if isinstance(value, list) else [(None, value)]
        for index, item in items:
            if only_kms and isinstance(item, dict) and not may_concern_kms(item):
                continue
            item_where = value_where if index is None else value_where.child(index)
            for alternative, alt_where in reader.nodes(item, item_where):
                if isinstance(alternative, dict):
                    if only_kms and alternative is not item and not may_concern_kms(alternative):
                        continue
                    statements.append(read_statement(alternative, alt_where, reader, default_effect))
                else:
                    problems.append(Problem(
                        "KMS003", f"a statement must be an object, not {_shown(alternative)}",
                        alt_where))
    return tuple(statements), problems


def read_policy(node: Any, where: Where, reader: Reader, kind: str, name: str,
                **context: Any) -> Policy:
    """A policy document (`{"Version", "Statement"}`) in its context.

    `context` carries the Policy fields the source knows (known_source, aws_managed, ...).
    Every statement of a key policy is read (KMS is all it is about); in other policies only
    the statements that may concern KMS.
    """
    problems: list[Problem] = list(statement_problems(reader, node, where))
    version: str | None = None
    statements: tuple[Statement, ...] = ()
    if isinstance(node, dict):
        raw_version = node.get("Version")
        version = raw_version if isinstance(raw_version, str) else None
        if "Statement" in node:
            statements, more = read_statements(node["Statement"], where.child("Statement"), reader,
                                               only_kms=kind not in (KEY, KEY_OR_ENDPOINT))
            problems.extend(more)
        else:
            problems.append(Problem("KMS003", 'the policy has no "Statement"', where))
    else:
        problems.append(Problem(
            "KMS003", f"a policy document must be an object, not {_shown(node)}", where))
    return Policy(kind=kind, name=name, where=where, statements=statements, version=version,
                  problems=tuple(problems), **context)


def holds_nothing_for_kms(node: Any, reader: Reader, kind: str) -> bool:
    """Whether `read_policy` of `node` would give a policy that `concerns_kms_rules` rejects:
    a well-formed policy of a kind other than key, none of whose statements may concern KMS.
    Decided on the parsed values, without building the model: most policies in a folder of
    AWS managed policies are for other services."""
    if kind in (KEY, KEY_OR_ENDPOINT) or not reader.plain or not isinstance(node, dict) \
            or "Statement" not in node or reader.duplicates(node):
        return False
    statements = node["Statement"]
    if isinstance(statements, dict):
        statements = [statements]
    elif not isinstance(statements, list):
        return False
    for statement in statements:
        if not isinstance(statement, dict) or may_concern_kms(statement):
            return False
    return True


def concerns_kms_rules(policy: Policy) -> bool:
    """Whether the rules have anything to read in a policy: always in a key policy, a fragment
    or an absent policy; in another policy, when a statement that may concern KMS was read or
    reading it found a problem.  A source may drop the others (an AWS managed policy for S3
    alone is not a KMS-related policy)."""
    return (policy.kind in (KEY, KEY_OR_ENDPOINT) or not policy.complete
            or policy.statements is None or bool(policy.statements) or bool(policy.problems))


def read_fragment(node: dict[str, Any], where: Where, reader: Reader, kind: str,
                  name: str, **context: Any) -> Policy:
    """A lone statement, checked by the statement rules only."""
    statement = read_statement(node, where, reader)
    return Policy(kind=kind, name=name, where=where, statements=(statement,), complete=False,
                  **context)
